// Package driver is the contract between storage.Store and a storage
// adapter, as database/sql/driver is between database/sql and a database
// driver: application code uses storage.Store and never needs it.
//
// An adapter implements Driver and Tx: plain reads and writes of records
// described by metadata, in transactions. Reads take a Plan or an
// AggregatePlan, which PlanQuery and PlanAggregate make from a crm.Query or
// crm.Aggregation checked against the registry. A plan holds only the
// operators every adapter implements (Eq, Ne, Lt, Le, Gt, Ge, Like,
// NotLike, In, NotIn, Null, NotNull, and Under, NotUnder and Above along
// an entity's hierarchical lookup, in And/Or groups, Related and Exists
// conditions), relative dates already turned into ranges, caller
// conditions into IDs, values in their sort-key form (SortKey). What a plan means is defined here, once:
// Plan.Match, Plan.Compare and Plan.IsAfter for rows and their order,
// Accumulator for aggregates. storage/memory evaluates plans with them;
// storage/sqlstore compiles them to SQL; storage/storagetest holds every
// adapter to them.
package driver

import (
	"context"
	"errors"
	"iter"

	"github.com/crmkit/crmkit/crm"
)

// Driver is the contract a storage adapter implements: plain reads and
// writes of records described by metadata, and transactions. It is small on
// purpose. Everything a CRM needs on top (validation, relationships,
// lifecycles, hooks, versions, timestamps) lives once in Store, so an
// adapter holds no business rules and a new entity needs no adapter code.
//
// A Driver must be safe for concurrent use. storagetest.Run checks an
// implementation against this contract.
type Driver interface {
	// Reader reads committed data: a read outside a transaction never sees
	// another transaction's uncommitted writes.
	Reader
	// Begin starts a transaction. Writes happen only inside one, and a
	// transaction that is rolled back leaves no trace.
	Begin(ctx context.Context) (Tx, error)
}

// Reader reads records.
type Reader interface {
	// Get returns the record of entity e with the given ID, or an error
	// matching crm.ErrNotFound.
	Get(ctx context.Context, e *crm.Entity, id crm.ID) (crm.Record, error)
	// Select yields the records that match p.Where, ordered by p.OrderBy,
	// starting after p.After and stopping after p.Limit records (0: no
	// limit). It streams: a result larger than memory never sits in memory
	// at once. The semantics are Plan's Match, Compare and IsAfter.
	Select(ctx context.Context, p *Plan) iter.Seq2[crm.Record, error]
	// Count returns how many records match p.Where; it ignores order,
	// cursor and limit. p is read, never changed: the Store shares the
	// plan of a count with no condition between concurrent calls.
	Count(ctx context.Context, p *Plan) (int64, error)
	// Aggregate computes p's rows as AggregatePlan documents.
	Aggregate(ctx context.Context, p *AggregatePlan) ([]crm.AggregateRow, error)
}

// Tx is one transaction. Its reads see its own writes. It is used by one
// goroutine at a time.
type Tx interface {
	Reader
	// Lock returns the record like Get and keeps other transactions from
	// changing or deleting it until this one ends. The write path locks a
	// record before it changes it.
	Lock(ctx context.Context, e *crm.Entity, id crm.ID) (crm.Record, error)
	// Share reports whether the record exists and, if it does, keeps other
	// transactions from deleting it or locking it (Lock) until this one
	// ends (a shared lock: others may still share it and point at it). The
	// write path shares every record a lookup is about to point at, so
	// that no lookup can end up pointing nowhere; and, as it locks every
	// record before it changes it, a record it shares to check a rule
	// cannot change under the check.
	Share(ctx context.Context, e *crm.Entity, id crm.ID) (bool, error)
	// Referrers returns, for each relationship of rels (every one points
	// at ref.Entity), the IDs of the records of rel.From whose lookup
	// rel.Field holds ref, in the order of rels, each list in ID order. A
	// lookup that may point at several entities matches ref's entity as
	// well as its ID. It sees the transaction's own writes. The write path
	// asks it once per record it deletes, for every relationship of the
	// record's entity at once: an adapter answers from an index on each
	// lookup field, in one round trip. rels is read, never changed: the
	// Store passes the same slice to every delete of the entity.
	Referrers(ctx context.Context, ref crm.Ref, rels []crm.Relationship) ([][]crm.ID, error)
	// Insert stores new records of entity e, complete with their headers.
	// A record whose ID exists already fails the call with an error
	// matching crm.ErrDuplicate. Adapters write many records in as few
	// round trips as they can.
	//
	// After a failed Insert, Update or Delete the transaction may hold part
	// of the write, or be unusable: the Store never commits it. Except
	// that an Update or Delete failing with crm.ErrConflict or
	// crm.ErrNotFound has written nothing and leaves the transaction
	// usable: the Store writes a record's delete without reading it
	// first, and a caller may handle the conflict and go on.
	Insert(ctx context.Context, e *crm.Entity, recs []crm.Record) error
	// Update replaces a stored record with rec if the stored version is
	// prev; rec.Version is prev+1. A different stored version fails with
	// crm.ErrConflict, a missing record with crm.ErrNotFound.
	Update(ctx context.Context, e *crm.Entity, rec crm.Record, prev int64) error
	// Delete removes the record if its stored version is version, failing
	// like Update otherwise.
	Delete(ctx context.Context, e *crm.Entity, id crm.ID, version int64) error
	// Commit makes the transaction's writes visible to everyone.
	Commit() error
	// Rollback discards them. It is safe to call after Commit.
	Rollback() error
}

// ErrRetry marks an error that aborted a transaction through no fault of
// its own (a serialization failure or a deadlock in a SQL database). Store
// runs such a transaction again, a bounded number of times. Adapters wrap
// such errors so that errors.Is(err, ErrRetry) holds.
var ErrRetry = errors.New("transaction aborted by the database: retry")

// ErrUnavailable marks an error that came from the database being out of
// reach rather than from the request: it could not be connected to, is
// shutting down or starting up, or dropped the connection mid-statement.
// When the failure came before a transaction's COMMIT was sent, the
// database has rolled the transaction back and the error matches ErrRetry
// too, so that InTx runs it again; a failed COMMIT matches
// ErrCommitUnknown instead.
var ErrUnavailable = errors.New("database unavailable")

// ErrCommitUnknown is returned when the connection was lost while a
// transaction's COMMIT was under way: the transaction may or may not have
// committed. It never matches ErrRetry, since running the transaction
// again could apply it twice; re-read what it wrote before deciding to
// retry. It comes with ErrUnavailable.
var ErrCommitUnknown = errors.New("commit outcome unknown: the connection was lost during COMMIT")

// FieldAdder is an optional capability of a Driver whose storage has a
// schema: it makes room for fields added to an entity while the driver
// runs. Store.AddFields calls it with the extended entity, checked but not
// yet published in the registry, and publishes the entity only if it
// returns nil. A driver without a schema (storage/memory) need not
// implement it.
type FieldAdder interface {
	// AddFields makes e's storage hold every field of e, e being an
	// entity the driver stores with fields added at the end. Writes that
	// run concurrently, with the entity as it was, must not be lost, and
	// must keep working once AddFields returns. It is safe for concurrent
	// use.
	AddFields(ctx context.Context, e *crm.Entity) error
}
