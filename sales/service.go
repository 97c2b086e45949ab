package sales

import (
	"context"
	"fmt"
	"iter"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// The account and contact services share what works the same for both
// through the small functions below; each service spells out its own
// methods, so its documentation names its own types.

// setState fires a lifecycle event with the state's default status reason.
func setState[T any](ctx context.Context, t *storage.Table[T], id crm.ID, version int64, event string) (T, error) {
	return t.SetState(ctx, id, version, event, 0)
}

// inEntity checks that q is a query of the table's entity (or names none)
// and returns it with the entity set.
func inEntity[T any](t *storage.Table[T], op string, q crm.Query) (crm.Query, error) {
	e := t.Entity()
	if q.Entity != "" && q.Entity != e {
		return q, fmt.Errorf("%s %ss: %w", op, e,
			crm.Invalid(e, "entity", fmt.Sprintf("is %q: %s queries %ss", q.Entity, op, e)))
	}
	q.Entity = e
	return q, nil
}

func search[T any](ctx context.Context, t *storage.Table[T], q crm.Query) (crm.PageOf[T], error) {
	q, err := inEntity(t, "search", q)
	if err != nil {
		return crm.PageOf[T]{}, err
	}
	return t.Query(ctx, q)
}

func count[T any](ctx context.Context, t *storage.Table[T], q crm.Query) (int64, error) {
	q, err := inEntity(t, "count", q)
	if err != nil {
		return 0, err
	}
	return t.Count(ctx, q)
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
