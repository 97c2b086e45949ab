package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// patch is Update in one statement, when the adapter can (driver.Patcher)
// and nothing in the write path needs the record as it was: the change
// and its checks go to the adapter, which writes it only if the record is
// stored at rec.Version, in a state that allows updates, with the state,
// status reason and owner rec names. It reports false, having written
// nothing, when the update needs the general path: then change() reads
// the record and says what is wrong, with the same errors as ever. So the
// fast path changes how many statements an update costs, never what it
// does.
//
// The record as it was feeds, and so rules out the fast path: hooks on
// the update (PreOperation and PostOperation get Before, and AfterCommit
// a copy of the event), a named operation (Execution.Writes holds
// Before), rules (they read the whole record, and Rule.Applies compares
// it with what it was), computed fields (computed from every field,
// pricing's exchange rate and base amounts among them), immutable fields
// (a repeated one is dropped only if it equals the stored value), the
// currency records' own checks, base entities and the entities extending
// them (their base records are written with them), and lookups (checked only when they
// change, which needs the stored value). An update without a version
// (AnyVersion) takes the general path too.
func (s *Store) patch(ctx context.Context, st *txState, cl call, rec crm.Record) (crm.Record, bool, error) {
	p, ok := st.tx.(driver.Patcher)
	if !ok {
		return crm.Record{}, false, nil
	}
	e, pt := s.patchOf(ctx, cl, rec, st.now)
	if pt == nil {
		return crm.Record{}, false, nil
	}
	st.writes++ // counted first, as in CreateMany
	out, ok, err := p.Patch(ctx, e, pt)
	if err == nil && !ok {
		st.writes-- // nothing was written
	}
	return out, ok, err
}

// patchAlone is patch for an update that joins no transaction, on a
// Driver that patches outside one (one statement on its own: no BEGIN
// and COMMIT either). There is nothing to commit after it, since
// patchable rules out after-commit hooks. When the driver reports a
// transaction aborted for retry, or writes nothing, the update runs the
// general path, which retries and reads.
func (s *Store) patchAlone(ctx context.Context, rec crm.Record) (crm.Record, bool, error) {
	p, ok := s.driver.(driver.Patcher)
	if !ok {
		return crm.Record{}, false, nil
	}
	cl, now, ok := s.alone(ctx)
	if !ok {
		return crm.Record{}, false, nil
	}
	e, pt := s.patchOf(ctx, cl, rec, now)
	if pt == nil {
		return crm.Record{}, false, nil
	}
	out, ok, err := p.Patch(ctx, e, pt)
	if errors.Is(err, ErrRetry) {
		return crm.Record{}, false, nil
	}
	if err != nil {
		return crm.Record{}, false, fmt.Errorf("update %s %s: %w", rec.Entity, rec.ID, err)
	}
	return out, ok, nil
}

// patchOf returns the patch that writes rec at now, or nil when the
// update needs the general path (see patch).
func (s *Store) patchOf(ctx context.Context, cl call, rec crm.Record, now time.Time) (*crm.Entity, *driver.Patch) {
	if rec.Version == AnyVersion || cl.exec != nil {
		return nil, nil
	}
	e, err := s.entity(rec.Entity)
	if err != nil || !s.patchable(e) {
		return nil, nil
	}
	for name := range rec.Fields {
		f, ok := e.Field(name)
		if !ok || f.Immutable || f.Type == crm.TypeLookup {
			return nil, nil
		}
	}
	changes, err := e.CheckUpdate(rec.Fields)
	if err != nil {
		return nil, nil // the general path reports it, after the checks that come first
	}
	pt := &driver.Patch{ID: rec.ID, Version: rec.Version, Fields: changes,
		ModifiedOn: now, ModifiedBy: crm.Caller(ctx)}
	// What Update refuses to change must be as rec says: else the general
	// path reads the record and refuses.
	if rec.Status != 0 {
		pt.Expect = crm.Fields{crm.FieldStatus: int32(rec.Status), crm.FieldState: int32(rec.State)}
	} else if rec.State != 0 {
		pt.Expect = crm.Fields{crm.FieldState: int32(rec.State)}
	}
	if !rec.Owner.IsZero() {
		if pt.Expect == nil {
			pt.Expect = crm.Fields{}
		}
		pt.Expect[crm.FieldOwner] = rec.Owner
	}
	if lc := e.Lifecycle; lc != nil {
		for _, state := range lc.States {
			if state.ReadOnly {
				pt.NotIn = append(pt.NotIn, state.Code)
			}
		}
	}
	return e, pt
}

// patchable reports whether updates of e can skip reading the record
// first, as far as e and its hooks go (see patch).
func (s *Store) patchable(e *crm.Entity) bool {
	if len(e.Rules) > 0 || e.Name == crm.CurrencyEntity {
		return false
	}
	if e.Base != "" || e.TypeField != "" {
		// A base record is written with the record it mirrors (and a
		// base entity not at all): the general path does both.
		return false
	}
	for _, stage := range []Stage{PreOperation, PostOperation, AfterCommit} {
		if len(s.hooksFor(e.Name, OpUpdate, stage)) > 0 {
			return false
		}
	}
	for i := range e.Fields {
		if e.Fields[i].Compute != nil {
			return false
		}
	}
	return true
}
