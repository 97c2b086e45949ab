package sales

import "github.com/crmkit/crmkit/crm"

// ContactLifecycle returns the contact's lifecycle table: Active (status
// Active) and Inactive (status Inactive, read-only until activated again),
// moved between by the deactivate and activate events. It is the same
// table as AccountLifecycle, as in Dynamics. Each call returns a new table.
func ContactLifecycle() *crm.Lifecycle { return activeInactive() }
