package driver

import (
	"fmt"

	"github.com/crmkit/crmkit/crm"
)

// Matcher tests one record against a compiled filter.
type Matcher func(rec Row) (bool, error)

// compile turns a planned filter on entity e into a Matcher.
func compile(r *crm.Registry, e *crm.Entity, f crm.Filter, src sources) Matcher {
	switch f := f.(type) {
	case nil:
		return func(Row) (bool, error) { return true, nil }
	case crm.Condition:
		if isHierarchyOp(f.Op) {
			return compileHierarchy(e, f, src.resolve)
		}
		field, ok := e.Field(f.Field)
		if !ok {
			return failing(fmt.Errorf("match: %s has no field %q", e.Name, f.Field))
		}
		if len(f.Values) == 1 {
			if fv, ok := f.Values[0].(crm.FieldValue); ok {
				other, ok := e.Field(fv.Field)
				if !ok {
					return failing(fmt.Errorf("match: %s has no field %q", e.Name, fv.Field))
				}
				m := compileFieldComparison(field, other, f.Op)
				return func(rec Row) (bool, error) { return m(rec), nil }
			}
		}
		m := compileCondition(field, f)
		return func(rec Row) (bool, error) { return m(rec), nil }
	case crm.DiffCondition:
		m := compileDiffCondition(f)
		return func(rec Row) (bool, error) { return m(rec), nil }
	case crm.Group:
		subs := make([]Matcher, len(f.Filters))
		for i, sub := range f.Filters {
			subs[i] = compile(r, e, sub, src)
		}
		return func(rec Row) (bool, error) {
			for _, m := range subs {
				ok, err := m(rec)
				if err != nil {
					return false, err
				}
				if ok == f.Or {
					return ok, nil // the first true of an Or, false of an And
				}
			}
			return !f.Or, nil
		}
	case crm.Related:
		target, err := r.Entity(f.Entity)
		if err != nil {
			return failing(fmt.Errorf("match: %w", err))
		}
		sub := compile(r, target, f.Where, src)
		return func(rec Row) (bool, error) {
			ref, _ := rec.Value(f.Lookup).(crm.Ref)
			if ref.IsZero() || ref.Entity != f.Entity {
				return false, nil
			}
			other, found, err := src.resolve(f.Entity, ref.ID)
			if err != nil || !found {
				return false, err
			}
			return sub(other)
		}
	case crm.Exists:
		return compileExists(r, e, f, src)
	}
	return failing(fmt.Errorf("match: filter of unknown type %T", f))
}

func failing(err error) Matcher { return func(Row) (bool, error) { return false, err } }

// compileCondition compiles one planned condition. Comparisons never match
// null; money matches only its own currency; text compares folded.
func compileCondition(f *crm.Field, c crm.Condition) func(Row) bool {
	name := f.Name
	value := func(r Row) any { return r.Value(name) }
	if c.Op == crm.OpNull || c.Op == crm.OpNotNull {
		null := func(r Row) bool { return value(r) == nil }
		if f.Type == crm.TypeText && !f.System { // no text put in an interface
			null = func(r Row) bool { _, ok := r.Text(name); return !ok }
		}
		if c.Op == crm.OpNull {
			return null
		}
		return func(r Row) bool { return !null(r) }
	}
	switch f.Type {
	case crm.TypeText:
		return compileText(f, c)
	case crm.TypeLookup:
		if want, ok := c.Values[0].(crm.Ref); ok { // Eq or Ne, entity and ID
			return func(r Row) bool {
				got, ok := value(r).(crm.Ref)
				return ok && (got == want) == (c.Op == crm.OpEq)
			}
		}
	case crm.TypeMoney:
		want := c.Values[0].(crm.Money)
		return func(r Row) bool {
			m, ok := value(r).(crm.Money)
			return ok && m.Currency == want.Currency && compareOp(c.Op, m.Amount.Cmp(want.Amount))
		}
	}
	return func(r Row) bool {
		v := value(r)
		if v == nil {
			return false
		}
		key := SortKey(f, v)
		if c.Op == crm.OpIn || c.Op == crm.OpNotIn {
			for _, want := range c.Values {
				if CompareKeys(key, want) == 0 {
					return c.Op == crm.OpIn
				}
			}
			return c.Op == crm.OpNotIn
		}
		return compareOp(c.Op, CompareKeys(key, c.Values[0]))
	}
}

// compileText compiles a condition on a text field with its constants
// folded once.
func compileText(f *crm.Field, c crm.Condition) func(Row) bool {
	folded := make([]string, len(c.Values))
	for i, v := range c.Values {
		folded[i] = FoldText(v.(string))
	}
	name := f.Name
	text := func(r Row) (string, bool) { return r.Text(name) }
	if f.System {
		text = func(r Row) (string, bool) { s, ok := r.Value(name).(string); return s, ok }
	}
	switch c.Op {
	case crm.OpIn, crm.OpNotIn:
		return func(r Row) bool {
			s, ok := text(r)
			if !ok {
				return false
			}
			for _, want := range folded {
				if compareText(s, want) == 0 {
					return c.Op == crm.OpIn
				}
			}
			return c.Op == crm.OpNotIn
		}
	case crm.OpLike, crm.OpNotLike:
		pattern := likeTokens(folded[0])
		return func(r Row) bool {
			s, ok := text(r)
			return ok && matchLike(pattern, s) == (c.Op == crm.OpLike)
		}
	}
	want := folded[0]
	return func(r Row) bool {
		s, ok := text(r)
		return ok && compareOp(c.Op, compareText(s, want))
	}
}
