package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

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
	if !ok || s.txFrom(ctx) != nil || ctx.Err() != nil {
		return crm.Record{}, false, nil
	}
	if _, ok := crm.CallerFrom(ctx); !ok {
		return crm.Record{}, false, nil // the general path refuses it
	}
	cl := callOf(ctx)
	if cl.exec != nil || cl.importing || cl.depth+1 > MaxDepth {
		return crm.Record{}, false, nil
	}
	e, err := s.entity(rec.Entity)
	if err != nil || !s.createsAlone(e) {
		return crm.Record{}, false, nil
	}
	now := crm.NormalizeTime(s.clock.Now())
	if now.Before(crm.EarliestTime) || now.After(crm.LatestTime) {
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
	if writable(e) != nil || e.Base != "" || len(e.Rules) > 0 || e.Priced() || e.Name == crm.CurrencyEntity {
		return false
	}
	if _, ok := e.ManyToMany(); ok {
		return false
	}
	for _, stage := range []Stage{PreValidation, PreOperation, PostOperation, AfterCommit} {
		if len(s.hooksFor(e.Name, OpCreate, stage)) > 0 {
			return false
		}
	}
	return true
}
