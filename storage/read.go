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
	if err := checkPageSize(q); err != nil {
		return crm.Page{}, fmt.Errorf("query %s: %w", q.Entity, err)
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
	var p *driver.Plan
	if q.Where == nil {
		p, err = s.wholePlan(q.Entity)
	} else {
		p, err = s.planQuery(ctx, rs, crm.Query{Entity: q.Entity, Where: q.Where})
	}
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", q.Entity, err)
	}
	n, err := rs.r.Count(ctx, p)
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", q.Entity, err)
	}
	return n, nil
}

// Aggregate computes a's measures in the store, grouped by a's fields
// (or fields of related records, through lookups), and returns one row
// per group that meets a.Having, ordered by a.OrderBy and then by the
// group keys, at most a.Limit of them. A store made WithAggregateLimit
// refuses, with an *AggregateLimitError, an aggregation over more records
// than its limit.
func (s *Store) Aggregate(ctx context.Context, a crm.Aggregation) ([]crm.AggregateRow, error) {
	rs, err := s.scope(ctx)
	if err != nil {
		return nil, fmt.Errorf("aggregate %s: %w", a.Entity, err)
	}
	p, err := s.planAggregate(ctx, rs, a)
	if err != nil {
		return nil, fmt.Errorf("aggregate %s: %w", a.Entity, err)
	}
	if s.aggLimit > 0 {
		p.CountRecords() // in the same statement: one more COUNT(*)
	}
	rows, err := rs.r.Aggregate(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("aggregate %s: %w", a.Entity, err)
	}
	if s.aggLimit > 0 {
		if n := p.Records(rows); n > s.aggLimit {
			return nil, fmt.Errorf("aggregate %s: %w", a.Entity, &AggregateLimitError{Records: n, Limit: s.aggLimit})
		}
	}
	return p.Finish(rows), nil
}

// CheckQuery checks q against the store's metadata as Query does before it
// reads anything, and reads nothing: a query loaded from JSON (a saved
// view, a marketing list, a request) is checked once, where it is loaded.
// It returns nil when Query would accept q, else the error Query would
// return: a *crm.ValidationError naming every unknown field, operator
// that does not fit its field, value of the wrong type, limit over
// crm.MaxPageSize and cursor of another query (an error matching
// crm.ErrNotFound for an unknown entity). Iterate takes every query
// CheckQuery accepts, and a Limit over the page size too; Count reads
// only Entity and Where.
func (s *Store) CheckQuery(ctx context.Context, q crm.Query) error {
	if err := checkPageSize(q); err != nil {
		return fmt.Errorf("check query %s: %w", q.Entity, err)
	}
	rs, err := s.scope(ctx)
	if err != nil {
		return fmt.Errorf("check query %s: %w", q.Entity, err)
	}
	if _, err := s.planQuery(ctx, rs, q); err != nil {
		return fmt.Errorf("check query %s: %w", q.Entity, err)
	}
	return nil
}

// CheckAggregation checks a against the store's metadata as Aggregate
// does before it reads anything, and reads nothing; it returns nil when
// Aggregate would accept a, else the error Aggregate would return (see
// CheckQuery).
func (s *Store) CheckAggregation(ctx context.Context, a crm.Aggregation) error {
	rs, err := s.scope(ctx)
	if err != nil {
		return fmt.Errorf("check aggregation %s: %w", a.Entity, err)
	}
	if _, err := s.planAggregate(ctx, rs, a); err != nil {
		return fmt.Errorf("check aggregation %s: %w", a.Entity, err)
	}
	return nil
}

// checkPageSize refuses a page query over the maximum page size.
func checkPageSize(q crm.Query) error {
	if q.Limit > crm.MaxPageSize {
		return crm.Invalid(q.Entity, "limit", fmt.Sprintf("%d is over the maximum page size %d", q.Limit, crm.MaxPageSize))
	}
	return nil
}
