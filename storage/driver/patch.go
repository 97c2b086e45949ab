package driver

import (
	"context"
	"time"

	"github.com/crmkit/crmkit/crm"
)

// Patch is a change of some fields of one record, to be written only if
// the stored record is still as the writer read it: the write path sends
// one when nothing it runs needs the record as it was (no hooks, rules or
// computed fields to feed), so that an update is one statement.
type Patch struct {
	ID crm.ID
	// Version is the version the writer read; the record is written only
	// if it is still stored at that version, and gets Version+1.
	Version int64
	// Fields are the changed fields, checked and in canonical form; a nil
	// value clears its field. The record's other fields stay as stored.
	Fields crm.Fields
	// ModifiedOn is the writer's time; a driver keeps the stored
	// modifiedon when it is later, so that modifiedon never goes back
	// (a transaction's time is fixed before it waits for a lock).
	ModifiedOn time.Time
	ModifiedBy crm.ID
	// Expect holds header fields the stored record must hold, by name
	// (crm.FieldState, crm.FieldStatus, crm.FieldOwner), with the values
	// crm.Record.Value gives.
	Expect crm.Fields
	// NotIn are states the stored record must not be in: the read-only
	// states of its lifecycle.
	NotIn []crm.StateCode
}

// Patcher is an optional capability of a Tx: an update that checks and
// writes in one step. A Tx without it gets Lock followed by Update. A
// Driver may have it too, for an update that joins no transaction: the
// write is then committed on its own, as one statement; a Driver that
// cannot do that in a given case reports false, having written nothing,
// and the Store begins a transaction.
type Patcher interface {
	// Patch writes p to the record of entity e with ID p.ID if that
	// record is stored at p.Version, holds p.Expect and is in none of
	// the states p.NotIn, and returns the record as stored, with true.
	// When no record passes (it is missing, at another version, or in
	// another state), it writes nothing and returns false with a nil
	// error: the caller reads the record to say why. A written record
	// stays locked until the transaction ends, as after Lock. Other
	// errors are Update's (a key held by another record fails with
	// crm.ErrDuplicate), after which the transaction may be unusable.
	Patch(ctx context.Context, e *crm.Entity, p *Patch) (crm.Record, bool, error)
}
