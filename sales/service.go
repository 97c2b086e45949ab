package sales

import (
	"context"
	"fmt"
	"iter"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// records is what the account and contact services share: typed access to
// one entity's table and the operations that work the same for both. Each
// service embeds it, so its methods are the service's own (Accounts.Get,
// Contacts.Deactivate, ...).
type records[T any] struct {
	table *storage.Table[T]
}

// Table returns typed access to the service's records, for what the service
// does not cover.
func (r records[T]) Table() *storage.Table[T] { return r.table }

// Get returns the record with the given ID, or an error matching
// crm.ErrNotFound.
func (r records[T]) Get(ctx context.Context, id crm.ID) (T, error) {
	return r.table.Get(ctx, id)
}

// Deactivate moves an active record to Inactive, where it is read-only
// until activated again. version is the version the record was read at:
// if someone changed it since, Deactivate fails with crm.ErrConflict and
// changes nothing; 0 skips the check. Deactivating an inactive record
// fails with a *crm.TransitionError (crm.ErrInvalidTransition).
func (r records[T]) Deactivate(ctx context.Context, id crm.ID, version int64) (T, error) {
	return r.table.SetState(ctx, id, version, EventDeactivate, 0)
}

// Activate moves an inactive record back to Active. version works as in
// Deactivate; activating an active record fails with
// crm.ErrInvalidTransition.
func (r records[T]) Activate(ctx context.Context, id crm.ID, version int64) (T, error) {
	return r.table.SetState(ctx, id, version, EventActivate, 0)
}

// Delete removes a record, in one transaction with what the entity's
// relationships do to the records around it (the service's type doc says
// what). version works as in Deactivate.
func (r records[T]) Delete(ctx context.Context, id crm.ID, version int64) error {
	return r.table.Delete(ctx, id, version)
}

// Search returns one page of the service's records matching q: its filter,
// sort order, page size (crm.DefaultPageSize if 0) and cursor (Page.Next of
// the previous page). q.Entity may be empty or the service's entity
// ("account", "contact"). A filter or order on an unknown field fails with
// crm.ErrValidation.
func (r records[T]) Search(ctx context.Context, q crm.Query) (storage.Page[T], error) {
	if e := r.table.Entity(); q.Entity != "" && q.Entity != e {
		return storage.Page[T]{}, fmt.Errorf("search %ss: %w",
			e, crm.Invalid(e, "entity", fmt.Sprintf("is %q: %s search queries %ss", q.Entity, e, e)))
	}
	return r.table.Query(ctx, q)
}

// checkVersion refuses an update without the version the record was read
// at: an update writes every field, so skipping the version check would
// silently undo other writers' changes.
func (r records[T]) checkVersion(id crm.ID, version int64) error {
	if version != 0 {
		return nil
	}
	e := r.table.Entity()
	return fmt.Errorf("update %s %s: %w", e, id,
		crm.Invalid(e, crm.FieldVersion, fmt.Sprintf("is required: update the %s as it was read", e)))
}

// collect reads a whole sequence, stopping at the first error.
func collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
