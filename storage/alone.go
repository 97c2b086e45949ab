package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// alone reports whether a write in ctx may run on its own, outside any
// transaction (patchAlone, createAlone, deleteAlone), and returns its
// call and time: it may when none runs in ctx and the checks that the
// general path makes before it begins one pass (ctx live and naming a
// caller, the depth within MaxDepth, the clock within the times a store
// keeps). When one fails, the general path reports it.
func (s *Store) alone(ctx context.Context) (call, time.Time, bool) {
	if s.txFrom(ctx) != nil || ctx.Err() != nil {
		return call{}, time.Time{}, false
	}
	if _, ok := crm.CallerFrom(ctx); !ok {
		return call{}, time.Time{}, false
	}
	cl := callOf(ctx)
	if cl.depth+1 > MaxDepth {
		return call{}, time.Time{}, false
	}
	now := crm.NormalizeTime(s.clock.Now())
	if now.Before(crm.EarliestTime) || now.After(crm.LatestTime) {
		return call{}, time.Time{}, false
	}
	return cl, now, true
}

// createAlone is Create as one insert on its own (no BEGIN and COMMIT),
// for a create that joins no transaction, on a Driver that can
// (driver.AloneInserter), when it needs nothing but the record: no hook
// at any stage, no rule, no named operation or import, an entity that is
// not priced, extends no base, keeps no N:N relationship and is not the
// currency entity, and no lookup set (a lookup is checked, and its
// target shared, inside a transaction). The record is made as the
// general path makes it (newRecord), so the fast path changes what a
// create costs, never what it stores or how it fails. It reports false,
// having written nothing, when the create needs the general path.
func (s *Store) createAlone(ctx context.Context, rec crm.Record) (crm.Record, bool, error) {
	d, ok := s.driver.(driver.AloneInserter)
	if !ok {
		return crm.Record{}, false, nil
	}
	cl, now, ok := s.alone(ctx)
	if !ok || cl.exec != nil || cl.importing {
		return crm.Record{}, false, nil
	}
	e, err := s.entity(rec.Entity)
	if err != nil || !s.createsAlone(e) {
		return crm.Record{}, false, nil
	}
	target, err := s.newRecord(ctx, e, rec, now, cl)
	if err != nil {
		return crm.Record{}, true, fmt.Errorf("create %s: %w", e.Name, err)
	}
	for _, f := range e.Lookups() {
		if target.Fields[f.Name] != nil {
			return crm.Record{}, false, nil
		}
	}
	done, err := d.InsertAlone(ctx, e, target)
	if errors.Is(err, ErrRetry) {
		return crm.Record{}, false, nil
	}
	if err != nil {
		return crm.Record{}, true, fmt.Errorf("create %s: %w", e.Name, err)
	}
	return target, done, nil
}

// createsAlone reports whether a create of e needs nothing of the write
// path but its record (see createAlone).
func (s *Store) createsAlone(e *crm.Entity) bool {
	if !plainCreate(e) {
		return false
	}
	for _, stage := range []Stage{PreValidation, PreOperation, PostOperation, AfterCommit} {
		if len(s.hooksFor(e.Name, OpCreate, stage)) > 0 {
			return false
		}
	}
	return true
}

// plainCreate reports whether making a record of e needs nothing of the
// write path but the record and its lookups' targets: e is writable, and
// has no rule, no pricing, no base record, no N:N relationship, and is
// not the currency entity (whose records set rates). The fast paths of a
// create (createAlone, stream) start from it.
func plainCreate(e *crm.Entity) bool {
	if writable(e) != nil || e.Base != "" || len(e.Rules) > 0 || e.Priced() || e.Name == crm.CurrencyEntity {
		return false
	}
	_, nn := e.ManyToMany()
	return !nn
}

// deleteAlone is Delete in one statement on its own (no BEGIN and COMMIT
// either), for a delete that joins no transaction, on a Driver that can
// (driver.AloneDeleter), when it needs nothing else: no relationship
// points at the entity (so nothing can point at the record), it extends
// no base (whose record goes with it), nobody watches it go (no delete
// hook or rule, no named operation: cascade.quiet) and the version is
// given. It reports false, having deleted nothing, when the delete needs
// the general path: that path then says what is wrong (not found, a
// stale version) with the same errors as ever, as patchAlone leaves it
// to for an update. A transaction the database aborts for retry takes
// the general path too, which retries.
func (s *Store) deleteAlone(ctx context.Context, ref crm.Ref, version int64) (bool, error) {
	d, ok := s.driver.(driver.AloneDeleter)
	if !ok || version == AnyVersion {
		return false, nil
	}
	cl, _, ok := s.alone(ctx)
	if !ok {
		return false, nil
	}
	e, err := s.entity(ref.Entity)
	if err != nil || writable(e) != nil || e.Base != "" || len(s.deletion(e.Name).rels) > 0 {
		return false, nil
	}
	if !(&cascade{store: s, call: cl}).quiet(e) {
		return false, nil
	}
	done, err := d.DeleteAlone(ctx, e, ref.ID, version)
	if errors.Is(err, ErrRetry) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("delete %s %s: %w", ref.Entity, ref.ID, err)
	}
	return done, nil
}
