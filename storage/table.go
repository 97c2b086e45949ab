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
// Store.Update): v's version must still be the stored one.
func (t *Table[T]) Update(ctx context.Context, v T) (T, error) {
	rec := t.codec.Encode(v)
	rec.Entity = t.codec.Entity
	return t.decode(t.store.Update(ctx, rec))
}

// Delete removes the record (see Store.Delete).
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

// Page is one page of typed query results.
type Page[T any] struct {
	Items []T
	Next  crm.Cursor // continues the query; empty when More is false
	More  bool
}

// Query returns one page of the records matching q (see Store.Query);
// q.Entity may be left empty.
func (t *Table[T]) Query(ctx context.Context, q crm.Query) (Page[T], error) {
	q.Entity = t.codec.Entity
	p, err := t.store.Query(ctx, q)
	if err != nil {
		return Page[T]{}, err
	}
	out := Page[T]{Items: make([]T, len(p.Records)), Next: p.Next, More: p.More}
	for i, rec := range p.Records {
		if out.Items[i], err = t.decode(rec, nil); err != nil {
			return Page[T]{}, err
		}
	}
	return out, nil
}

// Iterate yields every record matching q (see Store.Iterate).
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

// Count returns how many records match where.
func (t *Table[T]) Count(ctx context.Context, where crm.Filter) (int64, error) {
	return t.store.Count(ctx, crm.Query{Entity: t.codec.Entity, Where: where})
}
