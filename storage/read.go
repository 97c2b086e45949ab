package storage

import (
	"context"
	"fmt"
	"iter"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// Get returns the record of entity with the given ID, or an error matching
// crm.ErrNotFound.
func (s *Store) Get(ctx context.Context, entity string, id crm.ID) (crm.Record, error) {
	e, err := s.entity(entity)
	if err != nil {
		return crm.Record{}, fmt.Errorf("get %s %s: %w", entity, id, err)
	}
	rs, err := s.scope(ctx)
	if err != nil {
		return crm.Record{}, fmt.Errorf("get %s %s: %w", entity, id, err)
	}
	rec, err := rs.r.Get(ctx, e, id)
	if err != nil {
		return crm.Record{}, fmt.Errorf("get %s %s: %w", entity, id, err)
	}
	return rec, nil
}

// Lock returns the record like Get and, inside a transaction (InTx), keeps
// other transactions from changing or deleting it until that transaction
// ends: the read a domain rule checks before it writes ("the primary
// contact must belong to the account") stays true until the write commits.
// Outside a transaction there is nothing to hold the lock, and Lock is Get.
func (s *Store) Lock(ctx context.Context, entity string, id crm.ID) (crm.Record, error) {
	st := s.txFrom(ctx)
	if st == nil {
		return s.Get(ctx, entity, id)
	}
	e, err := s.entity(entity)
	if err == nil {
		_, err = s.scope(ctx)
	}
	if err != nil {
		return crm.Record{}, fmt.Errorf("lock %s %s: %w", entity, id, err)
	}
	rec, err := st.tx.Lock(ctx, e, id)
	if err != nil {
		return crm.Record{}, fmt.Errorf("lock %s %s: %w", entity, id, err)
	}
	return rec, nil
}

// Query returns one page of the records matching q: at most q.Limit
// records (crm.DefaultPageSize if 0, never more than crm.MaxPageSize), in
// q.OrderBy order with the ID as the last tiebreak, after q.After. Pass
// Page.Next as the next query's After to read on.
//
// Unknown fields, operators that do not fit a field and values of the
// wrong type fail with a *crm.ValidationError before anything is read.
func (s *Store) Query(ctx context.Context, q crm.Query) (crm.Page, error) {
	if q.Limit > crm.MaxPageSize {
		return crm.Page{}, fmt.Errorf("query %s: %w", q.Entity,
			crm.Invalid(q.Entity, "limit", fmt.Sprintf("%d is over the maximum page size %d", q.Limit, crm.MaxPageSize)))
	}
	limit := q.Limit
	if limit == 0 {
		limit = crm.DefaultPageSize
	}
	rs, err := s.scope(ctx)
	if err != nil {
		return crm.Page{}, fmt.Errorf("query %s: %w", q.Entity, err)
	}
	p, err := s.planQuery(ctx, rs, q)
	if err != nil {
		return crm.Page{}, fmt.Errorf("query %s: %w", q.Entity, err)
	}
	p.Limit = limit + 1 // one more tells whether another page follows
	page := crm.Page{Records: make([]crm.Record, 0, min(limit, 64))}
	for rec, err := range rs.r.Select(ctx, p) {
		if err != nil {
			return crm.Page{}, fmt.Errorf("query %s: %w", q.Entity, err)
		}
		if len(page.Records) == limit {
			page.More = true
			break
		}
		page.Records = append(page.Records, rec)
	}
	if page.More {
		page.Next = p.Cursor(page.Records[len(page.Records)-1])
	}
	return page, nil
}

// Iterate yields every record matching q in order (at most q.Limit if it is
// set), streaming from the adapter: a million rows never sit in memory at
// once. Stop early by breaking out of the loop. An error ends the sequence.
func (s *Store) Iterate(ctx context.Context, q crm.Query) iter.Seq2[crm.Record, error] {
	return func(yield func(crm.Record, error) bool) {
		rs, err := s.scope(ctx)
		if err != nil {
			yield(crm.Record{}, fmt.Errorf("iterate %s: %w", q.Entity, err))
			return
		}
		p, err := s.planQuery(ctx, rs, q)
		if err != nil {
			yield(crm.Record{}, fmt.Errorf("iterate %s: %w", q.Entity, err))
			return
		}
		for rec, err := range rs.r.Select(ctx, p) {
			if err == nil {
				err = ctx.Err() // every store stops when the caller gives up
			}
			if err != nil {
				yield(crm.Record{}, fmt.Errorf("iterate %s: %w", q.Entity, err))
				return
			}
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// Count returns how many records match q.Where.
func (s *Store) Count(ctx context.Context, q crm.Query) (int64, error) {
	rs, err := s.scope(ctx)
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", q.Entity, err)
	}
	p, err := s.planQuery(ctx, rs, crm.Query{Entity: q.Entity, Where: q.Where})
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", q.Entity, err)
	}
	n, err := rs.r.Count(ctx, p)
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", q.Entity, err)
	}
	return n, nil
}

// Aggregate computes a's measures in the store, grouped by a's fields, and
// returns one row per group ordered by the group keys.
func (s *Store) Aggregate(ctx context.Context, a crm.Aggregation) ([]crm.AggregateRow, error) {
	rs, err := s.scope(ctx)
	if err != nil {
		return nil, fmt.Errorf("aggregate %s: %w", a.Entity, err)
	}
	p, err := driver.PlanAggregate(s.reg, a, s.now(ctx, rs), rs.sc.Loc(), driver.PrincipalOf(rs.sc))
	if err != nil {
		return nil, fmt.Errorf("aggregate %s: %w", a.Entity, err)
	}
	rows, err := rs.r.Aggregate(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("aggregate %s: %w", a.Entity, err)
	}
	return p.Finish(rows), nil
}
