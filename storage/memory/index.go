package memory

import (
	"slices"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/shopspring/decimal"
)

// table is one entity's records in order: by ID, and by each field some
// query has needed an index on. A reader that is handed a table marks its
// owner shared (see share); from then on neither the table nor anything
// it reaches changes, and a writer works on a copy (writable). A table no
// reader has seen is changed in place, so that writes that no read
// follows copy nothing.
type table struct {
	ids *btree
	// indexes holds an ordered index by field name; a nil index is one
	// that could not be built (a stored value of the wrong type, which
	// only a direct driver caller can store): queries do without it.
	indexes map[string]*btree
	owner   *owner // of every tree's changeable nodes
}

func newTable() *table {
	o := &owner{}
	return &table{ids: &btree{owner: o}, indexes: map[string]*btree{}, owner: o}
}

// share marks tb as held by a reader and returns it.
func (tb *table) share() *table {
	tb.owner.shared.Store(true)
	return tb
}

// writable returns tb if no reader holds it, else a new table with the
// same contents whose changes copy what they touch.
func (tb *table) writable() *table {
	if !tb.owner.shared.Load() {
		return tb
	}
	return tb.copy()
}

// copy returns a table with tb's contents whose changes copy what they
// touch, leaving tb as it is.
func (tb *table) copy() *table {
	o := &owner{}
	out := &table{ids: tb.ids.with(o), indexes: make(map[string]*btree, len(tb.indexes)), owner: o}
	for name, ix := range tb.indexes {
		out.indexes[name] = ix.with(o)
	}
	return out
}

// apply changes a writable table from holding old to holding new: an
// insert (old nil), a delete (new nil) or an update of one record.
func (tb *table) apply(old, new *row) {
	switch {
	case new != nil:
		tb.ids.put(item{id: new.ID, rec: new})
	case old != nil:
		tb.ids.del(item{id: old.ID})
	}
	for name, ix := range tb.indexes {
		if ix != nil && !ix.apply(old, new) {
			tb.indexes[name] = nil
		}
	}
}

// apply replaces old's item with new's in a field index; it reports false
// when new's value cannot be ordered, and the index is then unusable.
func (t *btree) apply(old, new *row) bool {
	var ni item
	if new != nil {
		k, ok := keyOf(t.field, new)
		if !ok {
			return false
		}
		ni = item{key: k, id: new.ID, rec: new}
	}
	if old != nil {
		k, _ := keyOf(t.field, old) // indexed before, so of the right type
		oi := item{key: k, id: old.ID}
		if new == nil || t.cmp(&oi, &ni) != 0 {
			t.del(oi)
		}
	}
	if new != nil {
		t.put(ni) // replaces the old item when the key did not move
	}
	return true
}

// buildIndex orders the records of ids by field f, with owner o; it
// returns nil if a record holds a value of f that cannot be ordered.
func buildIndex(ids *btree, f *crm.Field, o *owner) *btree {
	ix := &btree{field: f, owner: o}
	ok := ids.ascend(nil, func(it *item) bool {
		k, ok := keyOf(f, it.rec)
		if ok {
			ix.put(item{key: k, id: it.id, rec: it.rec})
		}
		return ok
	})
	if !ok {
		return nil
	}
	return ix
}

// keyOf returns rec's sort key for f, and whether it is of the type that
// f's keys have (driver.CompareKeys panics on anything else).
func keyOf(f *crm.Field, rec *row) (any, bool) {
	k := driver.SortKey(f, rec.Value(f.Name))
	var ok bool
	switch k.(type) {
	case nil:
		return nil, true
	case string:
		ok = f.Type == crm.TypeText
	case int64:
		ok = f.Type == crm.TypeInteger
	case decimal.Decimal:
		ok = f.Type == crm.TypeDecimal || f.Type == crm.TypeMoney
	case bool:
		ok = f.Type == crm.TypeBool
	case time.Time:
		ok = f.Type == crm.TypeTime
	case int32:
		ok = f.Type == crm.TypeChoice
	case crm.ID:
		ok = f.Type == crm.TypeLookup || f.Type == crm.TypeID
	}
	return k, ok
}

// A span is a range of sort keys: every key between lo and hi.
type span struct{ lo, hi bound }

type bound struct {
	key  any
	open bool // no limit on this side
	incl bool // the key itself is in the span
}

var (
	everything = span{lo: bound{open: true}, hi: bound{open: true}}
	// notNull is where every comparison lands: nulls sort first and
	// compare with nothing.
	notNull = span{lo: bound{key: nil}, hi: bound{open: true}}
)

func point(k any) span { return span{lo: bound{key: k, incl: true}, hi: bound{key: k, incl: true}} }

func (s span) empty() bool {
	if s.lo.open || s.hi.open {
		return false
	}
	c := driver.CompareKeys(s.lo.key, s.hi.key)
	return c > 0 || c == 0 && !(s.lo.incl && s.hi.incl)
}

// below reports whether it comes before the span in t.
func (s span) below(t *btree, it *item) bool {
	if s.lo.open {
		return false
	}
	c := t.cmpKey(it, s.lo.key)
	return c < 0 || c == 0 && !s.lo.incl
}

// above reports whether it comes after the span in t.
func (s span) above(t *btree, it *item) bool {
	if s.hi.open {
		return false
	}
	c := t.cmpKey(it, s.hi.key)
	return c > 0 || c == 0 && !s.hi.incl
}

// higherLo is the lower bound of the two that lets less through.
func higherLo(a, b bound) bound {
	switch {
	case a.open:
		return b
	case b.open:
		return a
	}
	switch c := driver.CompareKeys(a.key, b.key); {
	case c > 0:
		return a
	case c < 0:
		return b
	}
	a.incl = a.incl && b.incl
	return a
}

// hiBefore reports whether upper bound a ends before upper bound b.
func hiBefore(a, b bound) bool {
	switch {
	case a.open:
		return false
	case b.open:
		return true
	}
	c := driver.CompareKeys(a.key, b.key)
	return c < 0 || c == 0 && !a.incl && b.incl
}

// intersect returns the spans of keys in both a and b, each sorted and
// disjoint, as the result is.
func intersect(a, b []span) []span {
	out := []span{} // empty, not nil: no key at all
	for i, j := 0, 0; i < len(a) && j < len(b); {
		s := span{lo: higherLo(a[i].lo, b[j].lo), hi: a[i].hi}
		if hiBefore(b[j].hi, a[i].hi) {
			s.hi = b[j].hi
		}
		if !s.empty() {
			out = append(out, s)
		}
		if hiBefore(a[i].hi, b[j].hi) {
			i++
		} else {
			j++
		}
	}
	return out
}

// keyRange is what a filter says about one field's sort keys.
type keyRange struct {
	f     *crm.Field
	spans []span // sorted and disjoint; empty: no record matches
	// selective is true when a condition other than not-null made the
	// spans: worth building an index for.
	selective bool
	// n is how many records the spans hold, if counted is set: the
	// field has an ordered index, or ref was looked up.
	n       int
	counted bool
	// ref is the record that an equality on a lookup (of the record's
	// own fields) names, entity and ID: the lookup index of exists.go
	// answers it exactly, in O(1), without an ordered index on the
	// lookup. Nil for any other range. listed is set when the lookup
	// index counted n.
	ref    *crm.Ref
	listed bool
}

// keyRanges returns, one per field, the spans that the sort key of every
// record matching where lies in: from the conditions every matching
// record must meet (where itself, or the conditions of a top-level And)
// that an ordered index can answer: Eq, Lt, Le, Gt, Ge, In, Null and
// NotNull. The spans may hold records that do not match (a money amount
// in another currency, text that only folds alike); the filter decides.
func keyRanges(e *crm.Entity, where crm.Filter) []keyRange {
	conds := []crm.Filter{where}
	if g, ok := where.(crm.Group); ok && !g.Or {
		conds = g.Filters
	}
	var out []keyRange
next:
	for _, sub := range conds {
		// Exists, Related, DiffCondition and Or groups are not
		// conditions on one field's keys: the matcher checks them.
		c, ok := sub.(crm.Condition)
		if !ok || !literal(c) {
			continue
		}
		f, ok := e.Field(c.Field)
		if !ok {
			continue
		}
		spans, selective, ok := condSpans(f, c)
		if !ok {
			continue
		}
		for i := range out {
			if r := &out[i]; r.f.Name == c.Field {
				r.spans = intersect(r.spans, spans)
				r.selective = r.selective || selective
				r.ref = nil // two conditions: the ordered index takes both
				continue next
			}
		}
		out = append(out, keyRange{f: f, spans: spans, selective: selective, ref: refOf(f, c)})
	}
	return out
}

// refOf returns the record that c, an equality on the lookup f, names,
// or nil if c is anything else. A system lookup (the owner) is left to
// the ordered indexes: the lookup index reads a record's Fields.
func refOf(f *crm.Field, c crm.Condition) *crm.Ref {
	if f.Type != crm.TypeLookup || f.System || c.Op != crm.OpEq || len(c.Values) != 1 {
		return nil
	}
	switch v := c.Values[0].(type) {
	case crm.Ref:
		return &v
	case crm.ID: // the planner's form for a lookup to one entity
		if len(f.Targets) == 1 {
			return &crm.Ref{Entity: f.Targets[0], ID: v}
		}
	}
	return nil
}

// rangeOf returns the range on the named field, or nil.
func rangeOf(ranges []keyRange, field string) *keyRange {
	for i := range ranges {
		if ranges[i].f.Name == field {
			return &ranges[i]
		}
	}
	return nil
}

// literal reports whether c compares its field with values, not with
// another field of the record (a crm.FieldValue), whose value differs
// from record to record and so bounds no range of keys.
func literal(c crm.Condition) bool {
	return !slices.ContainsFunc(c.Values, func(v any) bool {
		switch v.(type) {
		case crm.FieldValue, *crm.FieldValue:
			return true
		}
		return false
	})
}

// condSpans returns the spans of the sort keys of f that c can match.
// Operators it does not list (hierarchy ones among them: Under, NotUnder
// and Above on the ID follow lookups, not the ID's order) bound no span.

func condSpans(f *crm.Field, c crm.Condition) (spans []span, selective, ok bool) {
	key := func(i int) any { return driver.SortKey(f, c.Values[i]) }
	one := len(c.Values) == 1
	switch {
	case c.Op == crm.OpNull && len(c.Values) == 0:
		return []span{point(nil)}, true, true
	case c.Op == crm.OpNotNull && len(c.Values) == 0:
		return []span{notNull}, false, true
	case c.Op == crm.OpEq && one:
		return []span{point(key(0))}, true, true
	case (c.Op == crm.OpLt || c.Op == crm.OpLe) && one:
		return []span{{lo: notNull.lo, hi: bound{key: key(0), incl: c.Op == crm.OpLe}}}, true, true
	case (c.Op == crm.OpGt || c.Op == crm.OpGe) && one:
		return []span{{lo: bound{key: key(0), incl: c.Op == crm.OpGe}, hi: bound{open: true}}}, true, true
	case c.Op == crm.OpIn && len(c.Values) > 0:
		keys := make([]any, len(c.Values))
		for i := range keys {
			keys[i] = key(i)
		}
		slices.SortFunc(keys, driver.CompareKeys)
		for i, k := range keys {
			if i == 0 || driver.CompareKeys(keys[i-1], k) != 0 { // "Paris" and "PARIS" are one key
				spans = append(spans, point(k))
			}
		}
		return spans, true, true
	}
	return nil, false, false
}

// count returns how many items of t lie in the spans (all if nil).
func (t *btree) count(spans []span) int {
	if spans == nil {
		return t.len()
	}
	n := 0
	for _, s := range spans {
		if s.empty() {
			continue
		}
		n += t.rank(func(it *item) bool { return !s.above(t, it) }) - t.rank(func(it *item) bool { return s.below(t, it) })
	}
	return n
}
