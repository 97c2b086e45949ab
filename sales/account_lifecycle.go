package sales

import "github.com/crmkit/crmkit/crm"

// AccountLifecycle returns the account's lifecycle table: Active (status
// Active) and Inactive (status Inactive, read-only until activated again),
// moved between by the deactivate and activate events. It is the same
// table as ContactLifecycle, as in Dynamics. Each call returns a new table,
// so no caller can change another's.
func AccountLifecycle() *crm.Lifecycle { return activeInactive() }
