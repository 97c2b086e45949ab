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

// UnreferencedDeleter is an optional capability of a Tx: the delete of a
// record that nothing points at, in the step that asks who points at it.
// The write path uses it for a delete nobody watches, once it holds the
// record's lock (LockVersion): DeleteUnreferenced deletes the record of
// entity e with ID id, stored at version, unless a record of one of rels
// points at it. It reports whether it deleted the record; when it did
// not, referrers is what Tx.Referrers returns for rels, which the write
// path then walks as ever. An adapter that sends one statement where it
// would send Referrers and Delete saves a round trip on every delete of a
// record nothing points at, and costs none on the others.
type UnreferencedDeleter interface {
	DeleteUnreferenced(ctx context.Context, e *crm.Entity, id crm.ID, version int64, rels []crm.Relationship) (deleted bool, referrers [][]crm.ID, err error)
}
