package storage

import (
	"context"
	"fmt"

	"github.com/crmkit/crmkit/crm"
)

// Associate links a and b through the N:N relationship rel (see
// crm.ManyToMany): it creates the intersect record of the pair, through
// the write path and its hooks, like any Create. a and b are a record of
// each side, in either order; when both sides are one entity, a is on
// side 1.
//
// Errors: crm.ErrNotFound when rel is not a registered N:N relationship;
// a *crm.ValidationError when a or b is not of its entities or points at
// no record; crm.ErrDuplicate when the pair is associated already, on
// every store and between concurrent transactions alike.
func (s *Store) Associate(ctx context.Context, rel string, a, b crm.Ref) error {
	_, rec, err := s.association(rel, a, b)
	if err == nil {
		_, err = s.Create(ctx, rec)
	}
	if err != nil {
		return fmt.Errorf("associate %s with %s through %s: %w", a, b, rel, err)
	}
	return nil
}

// Disassociate removes the association of a and b through rel, given as
// Associate takes them. It fails with crm.ErrNotFound when they are not
// associated.
func (s *Store) Disassociate(ctx context.Context, rel string, a, b crm.Ref) error {
	m, rec, err := s.association(rel, a, b)
	if err == nil {
		err = s.Delete(ctx, crm.Ref{Entity: m.Name, ID: rec.ID}, AnyVersion)
	}
	if err != nil {
		return fmt.Errorf("disassociate %s from %s through %s: %w", a, b, rel, err)
	}
	return nil
}

// Associated returns one page of the records of q.Entity associated
// through rel with rec, a record of the other side, that match q (see
// Query): "the competitors of this opportunity", "the opportunities of
// this competitor". q.Entity may be left empty for the other side of
// rec's entity; when both sides are one entity, rec is on side 1 and the
// page lists side 2. The association is a condition of the query
// (crm.ManyToMany.With), answered by the store in one statement.
func (s *Store) Associated(ctx context.Context, rel string, rec crm.Ref, q crm.Query) (crm.Page, error) {
	m, err := s.reg.ManyToMany(rel)
	if err != nil {
		return crm.Page{}, fmt.Errorf("associated %s: %w", rel, err)
	}
	if q.Entity == "" {
		q.Entity = m.Other(rec.Entity)
	}
	with := m.With(rec)
	if q.Where != nil {
		q.Where = crm.And(with, q.Where)
	} else {
		q.Where = with
	}
	return s.Query(ctx, q)
}

// association returns rel and the intersect record that associates a and
// b, checked against rel's entities.
func (s *Store) association(rel string, a, b crm.Ref) (crm.ManyToMany, crm.Record, error) {
	m, err := s.reg.ManyToMany(rel)
	if err != nil {
		return m, crm.Record{}, err
	}
	if a.Entity != m.Entity1 || b.Entity != m.Entity2 {
		a, b = b, a
	}
	f1, f2 := m.Lookups()
	if a.Entity != m.Entity1 || b.Entity != m.Entity2 {
		verr := &crm.ValidationError{Entity: m.Name}
		if a.Entity != m.Entity1 {
			verr.Add(f1, "wants a %s record, got %q", m.Entity1, a.Entity)
		}
		if b.Entity != m.Entity2 {
			verr.Add(f2, "wants a %s record, got %q", m.Entity2, b.Entity)
		}
		return m, crm.Record{}, verr
	}
	return m, crm.Record{Entity: m.Name, Header: crm.Header{ID: m.AssociationID(a.ID, b.ID)},
		Fields: crm.Fields{f1: a, f2: b}}, nil
}

// associationID returns the ID of the intersect record of N:N m holding
// fields, which is derived from the pair; a caller's own ID (given) other
// than that is reported in verr.
func associationID(m crm.ManyToMany, fields crm.Fields, given crm.ID, verr *crm.ValidationError) crm.ID {
	f1, f2 := m.Lookups()
	a, _ := fields[f1].(crm.Ref)
	b, _ := fields[f2].(crm.Ref)
	if a.IsZero() || b.IsZero() {
		return given // the required lookups are reported missing
	}
	id := m.AssociationID(a.ID, b.ID)
	if given != crm.NilID && given != id {
		verr.Add(crm.FieldID, "of an association is derived from its pair (crm.ManyToMany.AssociationID)")
	}
	return id
}

// checkAssociation refuses an intersect record whose pair a hook changed
// after its ID was derived: the ID is what keeps a pair unique.
func checkAssociation(e *crm.Entity, target *crm.Record) error {
	m, ok := e.ManyToMany()
	if !ok {
		return nil
	}
	verr := &crm.ValidationError{Entity: e.Name}
	if id := associationID(m, target.Fields, target.ID, verr); id != target.ID || len(verr.Fields) > 0 {
		f1, _ := m.Lookups()
		return crm.Invalid(e.Name, f1, "was changed by a hook: an association's pair is fixed when it is created")
	}
	return nil
}

// Associate links the table's record id with other through the N:N
// relationship rel (see Store.Associate).
func (t *Table[T]) Associate(ctx context.Context, rel string, id crm.ID, other crm.Ref) error {
	return t.store.Associate(ctx, rel, t.Ref(id), other)
}

// Disassociate removes the association of the table's record id with
// other through rel (see Store.Disassociate).
func (t *Table[T]) Disassociate(ctx context.Context, rel string, id crm.ID, other crm.Ref) error {
	return t.store.Disassociate(ctx, rel, t.Ref(id), other)
}

// Associated returns one page of the table's records associated through
// rel with rec that match q (see Store.Associated); q.Entity may be left
// empty.
func (t *Table[T]) Associated(ctx context.Context, rel string, rec crm.Ref, q crm.Query) (crm.PageOf[T], error) {
	q.Entity = t.codec.Entity
	p, err := t.store.Associated(ctx, rel, rec, q)
	if err != nil {
		return crm.PageOf[T]{}, err
	}
	items, err := t.decodeAll(p.Records)
	if err != nil {
		return crm.PageOf[T]{}, err
	}
	return crm.PageOf[T]{Records: items, Next: p.Next, More: p.More}, nil
}
