package driver

import (
	"context"

	"github.com/crmkit/crmkit/crm"
)

// Writes on their own: optional capabilities of a Driver for a write
// that joins no transaction and needs nothing else, which the database
// commits as it runs it (one round trip), as Patcher is for an update.

// AloneInserter is an optional capability of a Driver: the insert of one
// new record that joins no transaction, committed on its own as one
// statement. The write path uses it for a create that needs nothing but
// the record itself (no hook, rule, lookup to check, pricing or base
// record), so that such a create costs what an INSERT costs. InsertAlone
// fails as Tx.Insert does (crm.ErrDuplicate for a taken ID or key); a
// Driver that cannot insert alone in a given case (inside a caller's
// transaction) reports false, having written nothing, and the Store
// begins a transaction.
type AloneInserter interface {
	InsertAlone(ctx context.Context, e *crm.Entity, rec crm.Record) (bool, error)
}

// AloneDeleter is an optional capability of a Driver: a version-checked
// delete that joins no transaction, committed on its own as one
// statement. The write path uses it for a delete that needs nothing else
// (no record can point at the deleted one, nobody watches it go), so
// that such a delete costs what it costs hand-written. DeleteAlone
// deletes the record of entity e with ID id if it is stored at version
// and reports true; when no record is, or the driver cannot run the
// delete alone (inside a caller's transaction), it deletes nothing and
// reports false with a nil error, and the Store takes its general path,
// which says why.
type AloneDeleter interface {
	DeleteAlone(ctx context.Context, e *crm.Entity, id crm.ID, version int64) (bool, error)
}
