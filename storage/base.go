package storage

import (
	"context"
	"fmt"

	"github.com/crmkit/crmkit/crm"
)

// The write path keeps the records of base entities (crm.Entity.TypeField,
// Dynamics' activitypointer): every insert, update and delete of a record
// of an entity that extends a base writes the base record with it, in the
// same transaction, through the functions below. Nothing else writes a
// base record: the public operations refuse one (writable).

// writable refuses a write that names a base entity.
func writable(e *crm.Entity) error {
	if e.TypeField == "" {
		return nil
	}
	return crm.Invalid(e.Name, "entity", fmt.Sprintf(
		"is a base entity, written only through the entities extending it (%s records follow them)", e.Name))
}

// mirror returns the base record of rec, a record of e, or false when e
// extends no base.
func (s *Store) mirror(e *crm.Entity, rec crm.Record) (*crm.Entity, crm.Record, error) {
	if e.Base == "" {
		return nil, crm.Record{}, nil
	}
	base, err := s.entity(e.Base)
	if err != nil {
		return nil, crm.Record{}, err
	}
	f := make(crm.Fields, len(base.Fields))
	for i := range base.Fields {
		name := base.Fields[i].Name
		if v, ok := rec.Fields[name]; ok && v != nil {
			f[name] = v
		}
	}
	f[base.TypeField] = e.Name
	return base, crm.Record{Entity: base.Name, Header: rec.Header, Fields: f}, nil
}

// insert stores new records of e, and their base records.
func (st *txState) insert(ctx context.Context, s *Store, e *crm.Entity, recs []crm.Record) error {
	if err := st.tx.Insert(ctx, e, recs); err != nil {
		return err
	}
	if e.Base == "" {
		return nil
	}
	var base *crm.Entity
	mirrored := make([]crm.Record, len(recs))
	for i, r := range recs {
		b, m, err := s.mirror(e, r)
		if err != nil {
			return err
		}
		base, mirrored[i] = b, m
	}
	return st.tx.Insert(ctx, base, mirrored)
}

// update writes rec over the stored record of e at version, and its base
// record, which is always at the same version.
func (st *txState) update(ctx context.Context, s *Store, e *crm.Entity, rec crm.Record, version int64) error {
	if err := st.tx.Update(ctx, e, rec, version); err != nil {
		return err
	}
	base, m, err := s.mirror(e, rec)
	if err != nil || base == nil {
		return err
	}
	return st.tx.Update(ctx, base, m, version)
}
