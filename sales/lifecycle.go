package sales

import "github.com/crmkit/crmkit/crm"

// Lifecycle events of accounts and contacts. Both entities share Dynamics'
// two-state lifecycle, so they share the event names.
const (
	// EventDeactivate moves an active record to Inactive.
	EventDeactivate = "deactivate"
	// EventActivate moves an inactive record back to Active.
	EventActivate = "activate"
)

// AccountLifecycle returns the account's lifecycle table: Active (status
// Active) and Inactive (status Inactive), moved between by the deactivate
// and activate events. Each call returns a new table, so no caller can
// change another's.
func AccountLifecycle() *crm.Lifecycle {
	return &crm.Lifecycle{
		Initial: crm.StateCode(accountActive),
		States: []crm.State{
			{Code: crm.StateCode(accountActive), Name: "Active", DefaultStatus: crm.StatusCode(accountStatusActive)},
			// Dynamics shows an inactive account read-only; crmkit has no
			// forms, so the write path carries the rule: activate first.
			{Code: crm.StateCode(accountInactive), Name: "Inactive", DefaultStatus: crm.StatusCode(accountStatusInactive), ReadOnly: true},
		},
		Statuses: []crm.Status{
			{Code: crm.StatusCode(accountStatusActive), Name: "Active", State: crm.StateCode(accountActive)},
			{Code: crm.StatusCode(accountStatusInactive), Name: "Inactive", State: crm.StateCode(accountInactive)},
		},
		Transitions: []crm.Transition{
			{Event: EventDeactivate, From: []crm.StateCode{crm.StateCode(accountActive)}, To: crm.StateCode(accountInactive)},
			{Event: EventActivate, From: []crm.StateCode{crm.StateCode(accountInactive)}, To: crm.StateCode(accountActive)},
		},
	}
}
