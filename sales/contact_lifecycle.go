package sales

import "github.com/crmkit/crmkit/crm"

// ContactLifecycle returns the contact's lifecycle table: Active (status
// Active) and Inactive (status Inactive, read-only until activated again),
// moved between by the deactivate and activate events. Each call returns a
// new table.
func ContactLifecycle() *crm.Lifecycle {
	return &crm.Lifecycle{
		Initial: crm.StateCode(contactActive),
		States: []crm.State{
			{Code: crm.StateCode(contactActive), Name: "Active", DefaultStatus: crm.StatusCode(contactStatusActive)},
			{Code: crm.StateCode(contactInactive), Name: "Inactive", DefaultStatus: crm.StatusCode(contactStatusInactive), ReadOnly: true},
		},
		Statuses: []crm.Status{
			{Code: crm.StatusCode(contactStatusActive), Name: "Active", State: crm.StateCode(contactActive)},
			{Code: crm.StatusCode(contactStatusInactive), Name: "Inactive", State: crm.StateCode(contactInactive)},
		},
		Transitions: []crm.Transition{
			{Event: EventDeactivate, From: []crm.StateCode{crm.StateCode(contactActive)}, To: crm.StateCode(contactInactive)},
			{Event: EventActivate, From: []crm.StateCode{crm.StateCode(contactInactive)}, To: crm.StateCode(contactActive)},
		},
	}
}
