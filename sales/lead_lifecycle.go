package sales

import "github.com/crmkit/crmkit/crm"

// Lifecycle events of leads.
const (
	// EventQualify moves an open lead to Qualified. It fires only inside
	// the QualifyLead operation (Leads.Qualify), which creates and links
	// the records the lead becomes: a bare state change is refused.
	EventQualify = "qualify"
	// EventDisqualify moves an open lead to Disqualified, with one of the
	// state's status reasons. It is refused for a lead that has an
	// opportunity (a rule of the lead).
	EventDisqualify = "disqualify"
	// EventReactivate moves a qualified or disqualified lead back to
	// Open (status reason New), where it can be edited and qualified
	// again.
	EventReactivate = "reactivate"
)

// MessageQualifyLead is the named operation (storage.Store.Execute) that
// qualifies a lead, Dynamics' QualifyLead message: hooks registered for it
// (storage.Store.HookMessage) see and may stop every qualification.
const MessageQualifyLead = "QualifyLead"

// LeadLifecycle returns the lead's lifecycle table (sales.md §1.2): Open
// (New, Contacted), Qualified (Qualified) and Disqualified (Lost, Cannot
// Contact, No Longer Interested, Canceled). Qualified and disqualified
// leads are read-only until reactivated. Each call returns a new table.
func LeadLifecycle() *crm.Lifecycle {
	const (
		open, qualified, disqualified crm.StateCode = 0, 1, 2
	)
	return &crm.Lifecycle{
		Initial: open,
		States: []crm.State{
			{Code: open, Name: "Open", DefaultStatus: 1},
			{Code: qualified, Name: "Qualified", DefaultStatus: 3, ReadOnly: true},
			{Code: disqualified, Name: "Disqualified", DefaultStatus: 4, ReadOnly: true},
		},
		Statuses: []crm.Status{
			{Code: 1, Name: "New", State: open},
			{Code: 2, Name: "Contacted", State: open},
			{Code: 3, Name: "Qualified", State: qualified},
			{Code: 4, Name: "Lost", State: disqualified},
			{Code: 5, Name: "Cannot Contact", State: disqualified},
			{Code: 6, Name: "No Longer Interested", State: disqualified},
			{Code: 7, Name: "Canceled", State: disqualified},
		},
		Transitions: []crm.Transition{
			{Event: EventQualify, From: []crm.StateCode{open}, To: qualified, Operation: MessageQualifyLead},
			{Event: EventDisqualify, From: []crm.StateCode{open}, To: disqualified},
			{Event: EventReactivate, From: []crm.StateCode{qualified, disqualified}, To: open},
		},
	}
}
