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

// activeInactive returns the lifecycle Dynamics gives both accounts and
// contacts (sales.md §3.3): Active (statecode 0, status reason 1 Active)
// and Inactive (statecode 1, status reason 2 Inactive), moved between by
// the deactivate and activate events. The two entities' tables are the
// same in every respect Dynamics defines, numbers, names and events, so
// they are declared once here; an entity whose lifecycle grows its own
// status reasons would get its own table. Each call returns a new table,
// so no caller can change another's.
func activeInactive() *crm.Lifecycle { return activeInactiveWith(1, 2) }

// activeInactiveWith returns the two-state lifecycle with the given status
// reasons: 1 and 2 for accounts, contacts and unit groups, 100001 and
// 100002 for price lists and discount lists.
func activeInactiveWith(statusActive, statusInactive crm.StatusCode) *crm.Lifecycle {
	const active, inactive crm.StateCode = 0, 1
	return &crm.Lifecycle{
		Initial: active,
		States: []crm.State{
			{Code: active, Name: "Active", DefaultStatus: statusActive},
			// Dynamics shows an inactive record read-only; crmkit has no
			// forms, so the write path carries the rule: activate first.
			{Code: inactive, Name: "Inactive", DefaultStatus: statusInactive, ReadOnly: true},
		},
		Statuses: []crm.Status{
			{Code: statusActive, Name: "Active", State: active},
			{Code: statusInactive, Name: "Inactive", State: inactive},
		},
		Transitions: []crm.Transition{
			{Event: EventDeactivate, From: []crm.StateCode{active}, To: inactive},
			{Event: EventActivate, From: []crm.StateCode{inactive}, To: active},
		},
	}
}
