package sales

import "github.com/crmkit/crmkit/crm"

// Lifecycle events of opportunities.
const (
	// EventWin closes an open opportunity as Won, inside the
	// WinOpportunity operation only (Opportunities.Win), which records the
	// opportunity-close activity and the actual revenue and close date.
	EventWin = "win"
	// EventLose closes an open opportunity as Lost (Canceled or Out-Sold),
	// inside the LoseOpportunity operation only (Opportunities.Lose).
	EventLose = "lose"
	// EventReopen moves a won or lost opportunity back to Open (In
	// Progress), inside the ReopenOpportunity operation only
	// (Opportunities.Reopen), which clears what closing recorded.
	EventReopen = "reopen"
)

// The named operations (storage.Store.Execute) of the opportunity's
// lifecycle, Dynamics' messages: hooks registered for them
// (storage.Store.HookMessage) see and may stop every close and reopen.
const (
	MessageWinOpportunity    = "WinOpportunity"
	MessageLoseOpportunity   = "LoseOpportunity"
	MessageReopenOpportunity = "ReopenOpportunity"
)

// OpportunityLifecycle returns the opportunity's lifecycle table
// (sales.md §2.2): Open (In Progress, On Hold), Won (Won) and Lost
// (Canceled, Out-Sold). Won and lost opportunities are read-only until
// reopened. Each call returns a new table.
func OpportunityLifecycle() *crm.Lifecycle {
	const (
		open, won, lost crm.StateCode = 0, 1, 2
	)
	return &crm.Lifecycle{
		Initial: open,
		States: []crm.State{
			{Code: open, Name: "Open", DefaultStatus: 1},
			{Code: won, Name: "Won", DefaultStatus: 3, ReadOnly: true},
			{Code: lost, Name: "Lost", DefaultStatus: 4, ReadOnly: true},
		},
		Statuses: []crm.Status{
			{Code: 1, Name: "In Progress", State: open},
			{Code: 2, Name: "On Hold", State: open},
			{Code: 3, Name: "Won", State: won},
			{Code: 4, Name: "Canceled", State: lost},
			{Code: 5, Name: "Out-Sold", State: lost},
		},
		Transitions: []crm.Transition{
			{Event: EventWin, From: []crm.StateCode{open}, To: won, Operation: MessageWinOpportunity},
			{Event: EventLose, From: []crm.StateCode{open}, To: lost, Operation: MessageLoseOpportunity},
			{Event: EventReopen, From: []crm.StateCode{won, lost}, To: open, Operation: MessageReopenOpportunity},
		},
	}
}
