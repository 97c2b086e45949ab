package crm

import "fmt"

// Matcher tests one record against a compiled filter.
type Matcher func(rec *Record) (bool, error)

// compile turns a planned filter on entity e into a Matcher.
func (r *Registry) compile(e *Entity, f Filter, resolve Resolver) Matcher {
	switch f := f.(type) {
	case nil:
		return func(*Record) (bool, error) { return true, nil }
	case Condition:
		field, ok := e.Field(f.Field)
		if !ok {
			return failing(fmt.Errorf("match: %s has no field %q", e.Name, f.Field))
		}
		m := compileCondition(field, f)
		return func(rec *Record) (bool, error) { return m(rec), nil }
	case Group:
		subs := make([]Matcher, len(f.Filters))
		for i, sub := range f.Filters {
			subs[i] = r.compile(e, sub, resolve)
		}
		return func(rec *Record) (bool, error) {
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
	case Related:
		target, err := r.Entity(f.Entity)
		if err != nil {
			return failing(fmt.Errorf("match: %w", err))
		}
		sub := r.compile(target, f.Where, resolve)
		return func(rec *Record) (bool, error) {
			ref, _ := rec.Value(f.Lookup).(Ref)
			if ref.IsZero() || ref.Entity != f.Entity {
				return false, nil
			}
			other, found, err := resolve(f.Entity, ref.ID)
			if err != nil || !found {
				return false, err
			}
			return sub(&other)
		}
	}
	return failing(fmt.Errorf("match: filter of unknown type %T", f))
}

func failing(err error) Matcher { return func(*Record) (bool, error) { return false, err } }

// compileCondition compiles one planned condition. Comparisons never match
// null; money matches only its own currency; text compares folded.
func compileCondition(f *Field, c Condition) func(*Record) bool {
	name := f.Name
	value := func(r *Record) any { return r.Fields[name] }
	if f.System {
		value = func(r *Record) any { return r.Value(name) }
	}
	switch c.Op {
	case OpNull:
		return func(r *Record) bool { return value(r) == nil }
	case OpNotNull:
		return func(r *Record) bool { return value(r) != nil }
	}
	switch f.Type {
	case TypeText:
		return compileText(c, value)
	case TypeLookup:
		if want, ok := c.Values[0].(Ref); ok { // Eq or Ne, entity and ID
			return func(r *Record) bool {
				got, ok := value(r).(Ref)
				return ok && (got == want) == (c.Op == OpEq)
			}
		}
	case TypeMoney:
		want := c.Values[0].(Money)
		return func(r *Record) bool {
			m, ok := value(r).(Money)
			return ok && m.Currency == want.Currency && compareOp(c.Op, m.Amount.Cmp(want.Amount))
		}
	}
	return func(r *Record) bool {
		v := value(r)
		if v == nil {
			return false
		}
		key := SortKey(f, v)
		if c.Op == OpIn || c.Op == OpNotIn {
			for _, want := range c.Values {
				if CompareKeys(key, want) == 0 {
					return c.Op == OpIn
				}
			}
			return c.Op == OpNotIn
		}
		return compareOp(c.Op, CompareKeys(key, c.Values[0]))
	}
}

// compileText compiles a condition on a text field with its constants
// folded once.
func compileText(c Condition, value func(*Record) any) func(*Record) bool {
	folded := make([]string, len(c.Values))
	for i, v := range c.Values {
		folded[i] = FoldText(v.(string))
	}
	text := func(r *Record) (string, bool) { s, ok := value(r).(string); return s, ok }
	switch c.Op {
	case OpIn, OpNotIn:
		return func(r *Record) bool {
			s, ok := text(r)
			if !ok {
				return false
			}
			for _, want := range folded {
				if compareText(s, want) == 0 {
					return c.Op == OpIn
				}
			}
			return c.Op == OpNotIn
		}
	case OpLike, OpNotLike:
		pattern := likeTokens(folded[0])
		return func(r *Record) bool {
			s, ok := text(r)
			return ok && matchLike(pattern, s) == (c.Op == OpLike)
		}
	}
	want := folded[0]
	return func(r *Record) bool {
		s, ok := text(r)
		return ok && compareOp(c.Op, compareText(s, want))
	}
}
