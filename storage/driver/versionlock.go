package driver

import (
	"context"

	"github.com/crmkit/crmkit/crm"
)

// VersionLocker is an optional capability of a Tx: it locks a record as
// Tx.Lock does and returns only its version. The write path uses it where
// the version is all it reads of the record (a delete that no hook
// watches), so that an adapter that holds records in memory need not copy
// one out; a Tx without it is asked Lock.
type VersionLocker interface {
	// LockVersion locks the record as Tx.Lock does and returns its stored
	// version, failing as Lock does (crm.ErrNotFound for a missing
	// record).
	LockVersion(ctx context.Context, e *crm.Entity, id crm.ID) (int64, error)
}
