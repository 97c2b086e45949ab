package storage

import (
	"context"
	"fmt"
	"iter"

	"github.com/crmkit/crmkit/crm"
)

// Codec converts between a Go type and the records of one entity. Domain
// packages give one per typed entity (sales.Account, ...).
type Codec[T any] struct {
	Entity string
	// Encode returns v as a record. Its Fields hold every declared field
	// the type carries, nil where v has no value.
	Encode func(v T) crm.Record
	// Decode returns the record as a T.
	Decode func(rec crm.Record) (T, error)
}

// Table is typed access to the records of one entity through a Store: the
// same write path, in Go types instead of records.
type Table[T any] struct {
	store *Store
	codec Codec[T]
}

// NewTable returns typed access to codec.Entity in s.
func NewTable[T any](s *Store, codec Codec[T]) *Table[T] {
	return &Table[T]{store: s, codec: codec}
}

// Store returns the store the table writes through.
func (t *Table[T]) Store() *Store { return t.store }

// Entity returns the table's entity name.
func (t *Table[T]) Entity() string { return t.codec.Entity }

// Ref returns a reference to the table's record with the given ID.
func (t *Table[T]) Ref(id crm.ID) crm.Ref { return crm.Ref{Entity: t.codec.Entity, ID: id} }

func (t *Table[T]) decode(rec crm.Record, err error) (T, error) {
	if err != nil {
		var zero T
		return zero, err
	}
	v, err := t.codec.Decode(rec)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("decode %s %s: %w", rec.Entity, rec.ID, err)
	}
	return v, nil
}

// Get returns the record with the given ID.
func (t *Table[T]) Get(ctx context.Context, id crm.ID) (T, error) {
	return t.decode(t.store.Get(ctx, t.codec.Entity, id))
}

// Lock returns the record and keeps it from changing until the
// transaction in ctx ends (see Store.Lock).
func (t *Table[T]) Lock(ctx context.Context, id crm.ID) (T, error) {
	return t.decode(t.store.Lock(ctx, t.codec.Entity, id))
}

// Create stores v as a new record (see Store.Create) and returns it as
// stored, with its header filled in.
func (t *Table[T]) Create(ctx context.Context, v T) (T, error) {
	rec := t.codec.Encode(v)
	rec.Entity = t.codec.Entity
	return t.decode(t.store.Create(ctx, rec))
}

// Update writes every field of v over the stored record (see
// Store.Update). v's version must be the version v was read at: if the
// record changed since, Update fails with crm.ErrConflict and changes
// nothing. Because every field is written, AnyVersion is refused with a
// *crm.ValidationError on the version (see AnyVersion).
func (t *Table[T]) Update(ctx context.Context, v T) (T, error) {
	rec := t.codec.Encode(v)
	rec.Entity = t.codec.Entity
	if rec.Version == AnyVersion {
		var zero T
		e := t.codec.Entity
		return zero, fmt.Errorf("update %s %s: %w", e, rec.ID,
			crm.Invalid(e, crm.FieldVersion, fmt.Sprintf("is required: update the %s as it was read", e)))
	}
	return t.decode(t.store.Update(ctx, rec))
}

// CreateMany stores vs as new records in one transaction (see
// Store.CreateMany) and returns them as stored.
func (t *Table[T]) CreateMany(ctx context.Context, vs []T) ([]T, error) {
	recs := make([]crm.Record, len(vs))
	for i, v := range vs {
		recs[i] = t.codec.Encode(v)
		recs[i].Entity = t.codec.Entity
	}
	out, err := t.store.CreateMany(ctx, recs)
	if err != nil {
		return nil, err
	}
	return t.decodeAll(out)
}

func (t *Table[T]) decodeAll(recs []crm.Record) ([]T, error) {
	out := make([]T, len(recs))
	for i, rec := range recs {
		var err error
		if out[i], err = t.decode(rec, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Delete removes the record (see Store.Delete); version works as in
// Store.Update.
func (t *Table[T]) Delete(ctx context.Context, id crm.ID, version int64) error {
	return t.store.Delete(ctx, t.Ref(id), version)
}

// SetState fires a lifecycle event on the record (see Store.SetState).
func (t *Table[T]) SetState(ctx context.Context, id crm.ID, version int64, event string, status crm.StatusCode) (T, error) {
	return t.decode(t.store.SetState(ctx, t.Ref(id), version, event, status))
}

// ChangeState fires a lifecycle event on the record with the field changes
// that belong to it, in one write (see Store.ChangeState).
func (t *Table[T]) ChangeState(ctx context.Context, id crm.ID, ch StateChange) (T, error) {
	return t.decode(t.store.ChangeState(ctx, t.Ref(id), ch))
}

// Assign gives the record a new owner, a user or a team (see
// Store.Assign).
func (t *Table[T]) Assign(ctx context.Context, id crm.ID, version int64, owner crm.Ref) (T, error) {
	return t.decode(t.store.Assign(ctx, t.Ref(id), version, owner))
}

// Query returns one page of the records matching q (see Store.Query);
// q.Entity may be left empty.
func (t *Table[T]) Query(ctx context.Context, q crm.Query) (crm.PageOf[T], error) {
	q.Entity = t.codec.Entity
	p, err := t.store.Query(ctx, q)
	if err != nil {
		return crm.PageOf[T]{}, err
	}
	items, err := t.decodeAll(p.Records)
	if err != nil {
		return crm.PageOf[T]{}, err
	}
	return crm.PageOf[T]{Records: items, Next: p.Next, More: p.More}, nil
}

// Iterate yields every record matching q (see Store.Iterate); q.Entity
// may be left empty.
func (t *Table[T]) Iterate(ctx context.Context, q crm.Query) iter.Seq2[T, error] {
	q.Entity = t.codec.Entity
	return func(yield func(T, error) bool) {
		for rec, err := range t.store.Iterate(ctx, q) {
			v, err := t.decode(rec, err)
			if !yield(v, err) || err != nil {
				return
			}
		}
	}
}

// Count returns how many records match q (see Store.Count); q.Entity may
// be left empty.
func (t *Table[T]) Count(ctx context.Context, q crm.Query) (int64, error) {
	q.Entity = t.codec.Entity
	return t.store.Count(ctx, q)
}
