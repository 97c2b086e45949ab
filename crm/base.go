package crm

import (
	"fmt"
	"slices"
)

// A base entity (Entity.TypeField) and the entities that extend it
// (Entity.Base) model what Dynamics does with activitypointer: every
// activity, whatever its type, also has an activitypointer row with the
// same ID holding the fields all activities share, so that one query
// reads a record's activities of every type at once. In crmkit the write
// path keeps that row: creating, changing or deleting a record of an
// extending entity writes its base record in the same transaction, and
// nothing else writes one.
//
// The rules, checked by Register:
//   - A base entity has a TypeField, a text field that holds the logical
//     name of the entity each record mirrors; no lifecycle of its own
//     (its records carry the state and status reason of the records they
//     mirror, from lifecycles that differ), no rules, no alternate keys,
//     no computed fields, and extends nothing itself. Fields cannot be
//     added to it once registered: they are what its extensions share.
//   - An extending entity names a base registered before it or with it,
//     and declares every field of the base but the TypeField, with the
//     same type and no wider values: text no longer, lookups to no other
//     targets, choices with no other options, the same DateOnly. The base
//     record holds those fields' values, the extending record's header
//     (ID, version, owner, state, dates, ...) and the extending entity's
//     name in the TypeField.
//   - Lookups of a base entity are not relationships of their own: the
//     base records are deleted with the records they mirror, so deleting
//     a regarding record cascades through the extending entities'
//     lookups only. A lookup to the base entity (an activity party's
//     activity) refers to the base record, and its delete behaviour
//     applies when the mirrored record is deleted.

// IsPolymorphic reports whether a lookup keeps the entity it points at
// with the ID: declared Polymorphic, or with two or more targets.
func (f *Field) IsPolymorphic() bool {
	return f.Type == TypeLookup && (f.Polymorphic || len(f.Targets) > 1)
}

// checkBaseDeclaration checks what a base entity itself must be.
func (e *Entity) checkBaseDeclaration() error {
	tf, ok := e.index[e.TypeField]
	switch {
	case !ok || tf.System || tf.Type != TypeText:
		return fmt.Errorf("type field %q of a base entity is not a declared text field", e.TypeField)
	case e.Base != "":
		return fmt.Errorf("a base entity extends no other entity")
	case e.Lifecycle != nil:
		return fmt.Errorf("a base entity has no lifecycle: its records carry the states of the records they mirror")
	case len(e.Rules) > 0 || len(e.Keys) > 0:
		return fmt.Errorf("a base entity has no rules and no alternate keys: they belong to the entities extending it")
	case e.intersect != nil:
		return fmt.Errorf("the intersect entity of an N:N relationship cannot be a base entity")
	}
	for i := range e.Fields {
		if e.Fields[i].Compute != nil {
			return fmt.Errorf("field %q of a base entity cannot be computed: its value is the mirrored record's", e.Fields[i].Name)
		}
	}
	return nil
}

// checkBase checks an entity that extends a base against the base, found
// in batch or in the registry.
func (r *Registry) checkBase(e *Entity, batch map[string]*Entity) error {
	if e.Base == "" {
		return nil
	}
	base, ok := batch[e.Base]
	if !ok {
		base, ok = r.lookup(e.Base)
	}
	switch {
	case !ok:
		return fmt.Errorf("base entity %q is not registered (register it before or with the entities extending it): %w", e.Base, ErrNotFound)
	case base.TypeField == "":
		return fmt.Errorf("%q is not a base entity (it has no TypeField)", e.Base)
	case e.intersect != nil:
		return fmt.Errorf("the intersect entity of an N:N relationship cannot extend a base entity")
	}
	if _, clash := e.index[base.TypeField]; clash {
		return fmt.Errorf("field %q is the type field of base entity %q", base.TypeField, base.Name)
	}
	for i := range base.Fields {
		bf := &base.Fields[i]
		if bf.Name == base.TypeField || bf.platform {
			continue
		}
		ef, ok := e.index[bf.Name]
		if !ok || ef.System {
			return fmt.Errorf("field %q of base entity %q is not declared", bf.Name, base.Name)
		}
		if why := narrowerThan(ef, bf); why != "" {
			return fmt.Errorf("field %q does not fit base entity %q's: %s", bf.Name, base.Name, why)
		}
	}
	return nil
}

// narrowerThan says why a value of ef may not fit bf, or "" when every
// value does.
func narrowerThan(ef, bf *Field) string {
	switch {
	case ef.Type != bf.Type:
		return fmt.Sprintf("it is %v, the base's is %v", ef.Type, bf.Type)
	case ef.Type == TypeText && ef.MaxLen() > bf.MaxLen():
		return fmt.Sprintf("it holds %d characters, the base's %d", ef.MaxLen(), bf.MaxLen())
	case ef.Type == TypeLookup && !bf.IsPolymorphic() && !slices.Equal(ef.Targets, bf.Targets):
		return fmt.Sprintf("it points at %v, the base's at %v", ef.Targets, bf.Targets)
	case ef.DateOnly != bf.DateOnly:
		return "one keeps dates, the other times"
	case ef.Type == TypeDecimal && ef.Precision > bf.Precision:
		return fmt.Sprintf("it keeps %d places, the base's %d", ef.Precision, bf.Precision)
	}
	for _, t := range ef.Targets {
		if !slices.Contains(bf.Targets, t) {
			return fmt.Sprintf("it may point at %q, the base's may not", t)
		}
	}
	for _, o := range ef.Options {
		if _, ok := bf.Option(o.Value); !ok {
			return fmt.Sprintf("option %d is not the base's", o.Value)
		}
	}
	return ""
}

// Extensions returns the registered entities that extend the named base
// entity, in registration order.
func (r *Registry) Extensions(base string) []*Entity {
	var out []*Entity
	for _, e := range r.Entities() {
		if e.Base == base {
			out = append(out, e)
		}
	}
	return out
}

// AddTargets lets a polymorphic lookup (Field.IsPolymorphic) point at more
// entities: an entity enabling activities becomes a target of every
// activity's regarding lookup. On a base entity the targets are added to
// the field of every entity extending it too, together, so base and
// extensions keep one set of targets; add them on the base, not on one
// extension. A target the field has already is skipped. Targets are
// checked as Register checks them (at once if the registry is complete);
// the new relationships follow, with the field's delete behaviour. It
// needs no change of storage: a polymorphic lookup keeps its entity with
// its ID.
func (r *Registry) AddTargets(entity, field string, targets ...string) error {
	r.change.Lock()
	defer r.change.Unlock()
	wrap := func(err error) error { return fmt.Errorf("add targets to %s.%s: %w", entity, field, err) }
	e, ok := r.lookup(entity)
	if !ok {
		return wrap(fmt.Errorf("entity %q: %w", entity, ErrNotFound))
	}
	f, ok := e.index[field]
	switch {
	case !ok || f.System || f.Type != TypeLookup:
		return wrap(fmt.Errorf("%q is not a declared lookup field: %w", field, ErrNotFound))
	case !f.IsPolymorphic():
		return wrap(fmt.Errorf("the lookup keeps no entity with its IDs: declare it Polymorphic"))
	}
	if e.Base != "" {
		if base, ok := r.lookup(e.Base); ok {
			if _, shared := base.index[field]; shared {
				return wrap(fmt.Errorf("the field is base entity %q's: add targets there", e.Base))
			}
		}
	}
	var added []string
	for _, t := range targets {
		if !ValidName(t) {
			return wrap(fmt.Errorf("target %q is not a valid logical name", t))
		}
		if !slices.Contains(f.Targets, t) && !slices.Contains(added, t) {
			added = append(added, t)
		}
	}
	if len(added) == 0 {
		return nil
	}
	if r.complete {
		for _, t := range added {
			if _, known := r.lookup(t); !known && !IsPrincipal(t) {
				return wrap(fmt.Errorf("target entity %q: %w", t, ErrNotFound))
			}
		}
	}
	owners := []*Entity{e}
	if e.TypeField != "" {
		owners = append(owners, r.Extensions(e.Name)...)
	}
	v := r.edit()
	for _, old := range owners {
		ne := cloneEntity(old)
		i := slices.IndexFunc(ne.Fields, func(f Field) bool { return f.Name == field })
		ne.Fields[i].Targets = append(ne.Fields[i].Targets, added...)
		if err := ne.prepare(); err != nil {
			return wrap(fmt.Errorf("entity %q: %w", old.Name, err))
		}
		v.entities[ne.Name] = ne
		if ne.TypeField == "" {
			for _, t := range added {
				v.inbound[t] = append(v.inbound[t], Relationship{From: ne.Name, Field: field, To: t, OnDelete: ne.Fields[i].OnDelete})
			}
		}
	}
	r.view.Store(v)
	r.gen.Add(1)
	return nil
}
