package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// DefaultRecomputeBatch is how many records one transaction of Recompute
// reads when RecomputeOptions.BatchSize is 0.
const DefaultRecomputeBatch = 500

// RecomputeOptions says where Recompute starts and how much it does per
// transaction.
type RecomputeOptions struct {
	// After resumes a Recompute that stopped: records whose ID sorts after
	// it (RecomputeResult.Last). crm.NilID starts from the first record.
	After crm.ID
	// BatchSize is how many records one transaction reads (0:
	// DefaultRecomputeBatch). Smaller batches hold locks for less time;
	// larger ones commit less often.
	BatchSize int
}

// RecomputeResult is how far a Recompute got.
type RecomputeResult struct {
	// Last is the ID of the last record of the last committed batch:
	// pass it as RecomputeOptions.After to go on from there. It is
	// opts.After when no batch committed.
	Last    crm.ID
	Scanned int64 // records read in committed batches
	Changed int64 // records whose computed fields were written
}

// Recompute computes the computed fields of every stored record of
// entity again and writes those that changed: the way to bring existing
// records up to date after a computed field was added (Store.AddFields)
// or its calculator changed (a new release of the code a
// crm.Field.Calculator names). It streams the records in ID order, a
// batch per transaction, so that no more than a batch is ever in memory
// or locked; on error (a cancelled context included) it returns how far
// it got, every batch up to Last committed and the failing one rolled
// back, and a call with After: Last goes on from there.
//
// Recomputing is maintenance, not an edit: records in read-only states
// are recomputed too, modified on and by stay as they were, and no hook
// or rule runs. The version of a record that changes grows by one, as
// for every write, so that a writer holding the record as it was before
// gets crm.ErrConflict instead of writing back the stale computed value.
// A record whose computed fields do not change is not written. Like every
// write, Recompute needs a caller in ctx (crm.ErrNoCaller).
//
// Errors: crm.ErrNotFound for an unknown entity; a *crm.ValidationError
// for a computed value out of its field's range, naming the record.
func (s *Store) Recompute(ctx context.Context, entity string, opts RecomputeOptions) (RecomputeResult, error) {
	res := RecomputeResult{Last: opts.After}
	if _, err := s.entity(entity); err != nil {
		return res, fmt.Errorf("recompute %s: %w", entity, err)
	}
	size := opts.BatchSize
	switch {
	case size < 0:
		return res, fmt.Errorf("recompute %s: %w", entity, crm.Invalid(entity, "batchsize", fmt.Sprintf("%d is negative", size)))
	case size == 0:
		size = DefaultRecomputeBatch
	}
	for {
		var batch RecomputeResult
		err := s.write(ctx, func(ctx context.Context, st *txState, _ call) error {
			var err error
			batch, err = s.recomputeBatch(ctx, st, entity, res.Last, size)
			return err
		})
		if err != nil {
			return res, fmt.Errorf("recompute %s after %s: %w", entity, res.Last, err)
		}
		res.Scanned += batch.Scanned
		res.Changed += batch.Changed
		if batch.Scanned == 0 {
			return res, nil
		}
		res.Last = batch.Last
		if batch.Scanned < int64(size) {
			return res, nil
		}
	}
}

// recomputeBatch recomputes up to size records after the ID after, in st.
func (s *Store) recomputeBatch(ctx context.Context, st *txState, entity string, after crm.ID, size int) (RecomputeResult, error) {
	res := RecomputeResult{Last: after}
	e, err := s.entity(entity) // the newest view: fields may have been added
	if err != nil {
		return res, err
	}
	p, err := driver.PlanQuery(s.reg, crm.Query{Entity: entity, OrderBy: []crm.Order{crm.Asc(crm.FieldID)}, Limit: size}, st.now, nil, driver.Principal{})
	if err != nil {
		return res, err
	}
	if after != crm.NilID {
		p.After = []any{after} // the keyset cursor of the ID order: IDs after it
	}
	recs := make([]crm.Record, 0, min(size, 1024))
	for rec, err := range st.tx.Select(ctx, p) {
		if err != nil {
			return res, err
		}
		recs = append(recs, rec)
	}
	for _, rec := range recs {
		res.Scanned++
		res.Last = rec.ID
		next, changed, err := recomputed(e, rec)
		if err != nil || !changed {
			if err != nil {
				return res, fmt.Errorf("%s %s: %w", e.Name, rec.ID, err)
			}
			continue
		}
		cur, err := st.tx.Lock(ctx, e, rec.ID)
		if errors.Is(err, crm.ErrNotFound) {
			continue // deleted since it was read
		}
		if err != nil {
			return res, err
		}
		if cur.Version != rec.Version {
			// Changed since it was read (PostgreSQL reads without
			// locking): compute from what is stored now.
			if next, changed, err = recomputed(e, cur); err != nil || !changed {
				if err != nil {
					return res, fmt.Errorf("%s %s: %w", e.Name, rec.ID, err)
				}
				continue
			}
		}
		next.Version = cur.Version + 1
		st.writes++ // counted first, as in CreateMany
		if err := st.tx.Update(ctx, e, next, cur.Version); err != nil {
			return res, err
		}
		res.Changed++
	}
	return res, ctx.Err() // a cancelled batch is not committed on any store
}

// recomputed returns rec with its computed fields computed again, and
// whether any of them changed.
func recomputed(e *crm.Entity, rec crm.Record) (crm.Record, bool, error) {
	next := rec.Clone()
	if next.Fields == nil {
		next.Fields = crm.Fields{}
	}
	if err := e.Compute(next.Fields); err != nil {
		return rec, false, err
	}
	for _, f := range e.Fields {
		if f.Compute != nil && !crm.SameValue(next.Fields[f.Name], rec.Fields[f.Name]) {
			return next, true, nil
		}
	}
	return rec, false, nil
}
