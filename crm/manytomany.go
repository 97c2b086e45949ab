package crm

import (
	"fmt"
	"slices"

	"github.com/google/uuid"
)

// ManyToMany declares a many-to-many (N:N) relationship between two
// entities, such as the competitors of opportunities or the members of a
// marketing list. As in Dynamics it is kept in an intersect entity, named
// Name, whose records each hold one associated pair through two required,
// immutable lookups: Field1 to an Entity1 record and Field2 to an Entity2
// record. Deleting either record deletes its associations (cascade), and a
// pair is associated at most once: an intersect record's ID is derived
// from its pair (AssociationID), so a second association of the same pair
// is a duplicate ID on every store, refused with ErrDuplicate.
//
// Register it with Registry.RegisterManyToMany; link pairs with
// storage.Store.Associate and Disassociate; cross it in queries with Any
// and None, which are Exists conditions on the intersect entity.
type ManyToMany struct {
	Name    string `json:"name"` // the relationship's and its intersect entity's logical name
	Entity1 string `json:"entity1"`
	Entity2 string `json:"entity2"`
	// Field1 and Field2 name the intersect entity's lookups. Empty means
	// Entity1+"id" and Entity2+"id", or, for a relationship of an entity
	// with itself, Entity1+"idone" and Entity1+"idtwo", as Dynamics names
	// them.
	Field1 string `json:"field1,omitempty"`
	Field2 string `json:"field2,omitempty"`
}

// Lookups returns the names of the intersect entity's lookups to Entity1
// and Entity2, defaults applied.
func (m ManyToMany) Lookups() (field1, field2 string) {
	field1, field2 = m.Field1, m.Field2
	if m.Entity1 == m.Entity2 {
		if field1 == "" {
			field1 = m.Entity1 + "idone"
		}
		if field2 == "" {
			field2 = m.Entity2 + "idtwo"
		}
		return field1, field2
	}
	if field1 == "" {
		field1 = m.Entity1 + "id"
	}
	if field2 == "" {
		field2 = m.Entity2 + "id"
	}
	return field1, field2
}

// withDefaults returns m with its lookup names filled in.
func (m ManyToMany) withDefaults() ManyToMany {
	m.Field1, m.Field2 = m.Lookups()
	return m
}

// intersectEntity returns the declaration of m's intersect entity.
func (m ManyToMany) intersectEntity() *Entity {
	m = m.withDefaults()
	lookup := func(name, target string) Field {
		return Field{Name: name, Type: TypeLookup, Targets: []string{target}, Required: true, Immutable: true, OnDelete: DeleteCascade}
	}
	return &Entity{Name: m.Name, Fields: []Field{lookup(m.Field1, m.Entity1), lookup(m.Field2, m.Entity2)}, intersect: &m}
}

// checkIntersect checks that e, which declares itself the intersect
// entity of an N:N relationship, holds exactly that relationship's two
// lookups: a declaration read back from JSON may have been edited.
func (e *Entity) checkIntersect() error {
	m := e.intersect.withDefaults()
	switch {
	case m.Name != e.Name:
		return fmt.Errorf("intersect of N:N relationship %q must be named after it", m.Name)
	case !ValidName(m.Entity1) || !ValidName(m.Entity2):
		return fmt.Errorf("N:N relationship %q: entities %q and %q are not valid logical names", m.Name, m.Entity1, m.Entity2)
	case !ValidName(m.Field1) || !ValidName(m.Field2) || m.Field1 == m.Field2:
		return fmt.Errorf("N:N relationship %q: lookups %q and %q must be two valid, different names", m.Name, m.Field1, m.Field2)
	case e.Lifecycle != nil || len(e.Rules) > 0 || e.PrimaryName != "":
		return fmt.Errorf("intersect of N:N relationship %q holds its two lookups only", m.Name)
	}
	want := m.intersectEntity().Fields
	if len(e.Fields) != len(want) {
		return fmt.Errorf("intersect of N:N relationship %q holds its two lookups only", m.Name)
	}
	for i, f := range e.Fields {
		w := want[i]
		if f.Name != w.Name || f.Type != w.Type || !slices.Equal(f.Targets, w.Targets) || !f.Required || !f.Immutable || f.OnDelete != DeleteCascade || f.Compute != nil {
			return fmt.Errorf("intersect of N:N relationship %q: field %q must be a required, immutable lookup to %q that cascades deletes", m.Name, w.Name, w.Targets[0])
		}
	}
	e.intersect = &m
	return nil
}

// RegisterManyToMany registers N:N relationships: for each, its intersect
// entity, with Register's checks (the two entities need not be registered
// yet, as for any lookup; Complete checks them). Nothing is registered if
// any declaration is invalid; a name in use fails with ErrDuplicate.
func (r *Registry) RegisterManyToMany(rels ...ManyToMany) error {
	entities := make([]*Entity, len(rels))
	for i, m := range rels {
		entities[i] = m.intersectEntity()
	}
	if err := r.Register(entities...); err != nil {
		return fmt.Errorf("register N:N relationship: %w", err)
	}
	return nil
}

// ManyToMany returns the N:N relationship whose intersect entity is
// named name, lookup names filled in, or an error matching ErrNotFound.
func (r *Registry) ManyToMany(name string) (ManyToMany, error) {
	e, ok := r.lookup(name)
	if !ok || e.intersect == nil {
		return ManyToMany{}, fmt.Errorf("N:N relationship %q: %w", name, ErrNotFound)
	}
	return *e.intersect, nil
}

// ManyToMany returns the N:N relationship e is the intersect entity of,
// and false when e is an ordinary entity.
func (e *Entity) ManyToMany() (ManyToMany, bool) {
	if e.intersect == nil {
		return ManyToMany{}, false
	}
	return *e.intersect, true
}

// associationSpace is the name space of association IDs (UUIDv5). It never
// changes: stored associations are found by it.
var associationSpace = uuid.MustParse("6f1d6c1e-5a0b-4c43-9a57-5e2b8f0c7d21")

// AssociationID returns the ID of the intersect record that associates the
// Entity1 record a with the Entity2 record b: derived from the
// relationship's name and the pair, so that each pair has one record and
// a second association of it is a duplicate on every store, concurrent
// writers included. It is a UUIDv5, not time-ordered like NewID's.
func (m ManyToMany) AssociationID(a, b ID) ID {
	data := make([]byte, 0, len(m.Name)+1+2*len(a))
	data = append(data, m.Name...)
	data = append(data, 0)
	data = append(data, a[:]...)
	data = append(data, b[:]...)
	return uuid.NewSHA1(associationSpace, data)
}

// Any returns the condition, on records of from (Entity1 or Entity2),
// that they are associated through m with some record of the other side
// matching where: "opportunities with a competitor in Oslo" is
// m.Any("opportunity", Eq("city", "oslo")). It is an Exists on the
// intersect entity holding a Related to the other side, which counts as
// two related-record conditions against MaxRelated (one with a nil
// where). For a relationship of an entity with itself, the queried
// records are on side 1 and where is about side 2.
func (m ManyToMany) Any(from string, where Filter) Exists { return m.exists(from, where, false) }

// None returns the condition that records of from are associated through
// m with no record of the other side matching where (with a nil where,
// with none at all). Sides are chosen as Any's.
func (m ManyToMany) None(from string, where Filter) Exists { return m.exists(from, where, true) }

func (m ManyToMany) exists(from string, where Filter, not bool) Exists {
	m = m.withDefaults()
	mine, other, otherEntity := m.Field1, m.Field2, m.Entity2
	if from != m.Entity1 && from == m.Entity2 {
		mine, other, otherEntity = m.Field2, m.Field1, m.Entity1
	}
	x := Exists{Entity: m.Name, Lookup: mine, Not: not}
	if where != nil {
		// A nil where needs no join: the lookup is required and its
		// target's delete cascades, so an association always has one.
		x.Where = Related{Lookup: other, Entity: otherEntity, Where: where}
	}
	return x
}

// With returns the condition, on records of the other side, that they are
// associated through m with rec: the records listed by
// storage.Store.Associated. When both sides are one entity, rec is on
// side 1.
func (m ManyToMany) With(rec Ref) Exists {
	m = m.withDefaults()
	mine, other := m.Field2, m.Field1
	if rec.Entity != m.Entity1 && rec.Entity == m.Entity2 {
		mine, other = m.Field1, m.Field2
	}
	return Exists{Entity: m.Name, Lookup: mine, Where: Eq(other, rec)}
}

// Other returns the entity on the other side of m from entity.
func (m ManyToMany) Other(entity string) string {
	if entity != m.Entity1 && entity == m.Entity2 {
		return m.Entity1
	}
	return m.Entity2
}
