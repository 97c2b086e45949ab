package driver

import (
	"fmt"
	"slices"
	"strings"

	"github.com/crmkit/crmkit/crm"
	"github.com/shopspring/decimal"
)

// What reports add to an aggregation: groups through lookups, labels of
// group keys, Having, OrderBy and Limit, and the record count a store's
// aggregate limit checks.
//
// Having, OrderBy and Limit are applied by Finish, to the groups every
// adapter returns, and never by an adapter: one implementation compares
// exact decimals and money the same way for every store (SQLite sums in
// two halves that it could not compare exactly in SQL), and the groups,
// not the records, are what crosses from the database.

// groupKey is what one GroupBy entry groups on.
type groupKey struct {
	field  *crm.Field
	entity *crm.Entity // the entity field belongs to: the last step's
}

// havingCond is one lowered Having condition and how to test it.
type havingCond struct {
	match func(Row) bool
}

// recordsAlias is the hidden measure that counts the records aggregated
// when a store enforces an aggregate record limit (CountRecords).
const recordsAlias = "_records"

// groupName is how errors name a group: its field, after its path.
func groupName(g crm.GroupBy) string {
	var b strings.Builder
	for _, l := range g.Path {
		b.WriteString(l.Lookup)
		b.WriteByte('.')
	}
	b.WriteString(g.Field)
	return b.String()
}

// groupField follows g's path from e and returns the field g groups on
// and the entity it belongs to. It fills in the entity of each step of a
// lookup to one entity, so adapters never guess it, and counts each step
// as a related-record join against crm.MaxRelated (Dynamics' 15
// link-entities).
func (c *planner) groupField(e *crm.Entity, g *crm.GroupBy) (*crm.Field, *crm.Entity, bool) {
	name := groupName(*g)
	if len(g.Path) > 0 {
		if g.Alias == "" {
			c.verr.Add(name, "needs an alias: it groups through lookups")
			return nil, nil, false
		}
		g.Path = slices.Clone(g.Path)
	}
	cur := e
	for i, l := range g.Path {
		c.related++
		f, ok := cur.Field(l.Lookup)
		if !ok || f.Type != crm.TypeLookup {
			c.verr.Add(name, "step %d: %s is not a lookup field of %s", i+1, l.Lookup, cur.Name)
			return nil, nil, false
		}
		if l.Entity == "" {
			if len(f.Targets) != 1 {
				c.verr.Add(name, "step %d: %s points at %v: name the entity to follow", i+1, l.Lookup, f.Targets)
				return nil, nil, false
			}
			l.Entity = f.Targets[0]
		}
		if !slices.Contains(f.Targets, l.Entity) {
			c.verr.Add(name, "step %d: %s cannot point at %q records", i+1, l.Lookup, l.Entity)
			return nil, nil, false
		}
		next, err := c.reg.Entity(l.Entity)
		if err != nil {
			c.verr.Add(name, "step %d: %s points at %q, which has no metadata here", i+1, l.Lookup, l.Entity)
			return nil, nil, false
		}
		g.Path[i] = l
		cur = next
	}
	f, ok := cur.Field(g.Field)
	if !ok {
		c.verr.Add(name, "is not a field of %s", cur.Name)
		return nil, nil, false
	}
	return f, cur, true
}

// planReport checks and plans a's Having, OrderBy and Limit against the
// groups and measures p holds.
func (c *planner) planReport(p *AggregatePlan, a crm.Aggregation) {
	p.results = map[string]*crm.Field{}
	for _, m := range a.Measures {
		if f := resultField(p.Entity, m); f != nil && slices.ContainsFunc(p.Measures, func(pm crm.Measure) bool {
			return pm.Alias == m.Alias || pm.Alias == "_sum_"+m.Alias
		}) {
			p.results[m.Alias] = f
		}
	}
	for _, h := range a.Having {
		name := "having." + h.Field
		f, ok := p.results[h.Field]
		if !ok {
			c.verr.Add(name, "is not the alias of a measure")
			continue
		}
		switch h.Op {
		case crm.OpEq, crm.OpNe, crm.OpLt, crm.OpLe, crm.OpGt, crm.OpGe, crm.OpBetween, crm.OpNotBetween, crm.OpNull, crm.OpNotNull:
		default:
			c.verr.Add(name, "%s: not for having (eq, ne, lt, le, gt, ge, between, not-between, null, not-null)", h.Op)
			continue
		}
		if match := c.having(f, h); match != nil {
			p.having = append(p.having, havingCond{match: match})
		}
	}
	for _, o := range a.OrderBy {
		if _, ok := p.keyField(o.Field); !ok {
			c.verr.Add("orderby."+o.Field, "is not the alias of a group or a measure")
			continue
		}
		p.order = append(p.order, o)
	}
	if a.Limit < 0 {
		c.verr.Add("limit", "is negative")
	}
	p.limit = a.Limit
}

// resultField describes the values measure m yields on entity e, named by
// its alias; nil when m is not valid (PlanAggregate reports why).
func resultField(e *crm.Entity, m crm.Measure) *crm.Field {
	switch m.Func {
	case crm.AggCount, crm.AggCountColumn, crm.AggCountDistinct:
		return &crm.Field{Name: m.Alias, Type: crm.TypeInteger}
	}
	if !m.Diff.IsZero() { // whole days or hours: an average is a decimal
		if m.Func == crm.AggAvg {
			return &crm.Field{Name: m.Alias, Type: crm.TypeDecimal, Precision: crm.AvgPlaces}
		}
		return &crm.Field{Name: m.Alias, Type: crm.TypeInteger}
	}
	f, ok := e.Field(m.Field)
	if !ok {
		return nil
	}
	out := *f
	out.Name, out.System, out.Compute = m.Alias, false, nil
	switch {
	case f.Type == crm.TypeMoney:
	case f.Type == crm.TypeInteger && m.Func == crm.AggSum:
		out = crm.Field{Name: m.Alias, Type: crm.TypeInteger}
	case m.Func == crm.AggAvg || (f.Type == crm.TypeDecimal && m.Func == crm.AggSum):
		out = crm.Field{Name: m.Alias, Type: crm.TypeDecimal, Precision: crm.AvgPlaces}
	}
	return &out
}

// having checks and compiles a Having condition on a measure whose values
// f describes: values are checked and compared as a Where condition's on
// a field of that type are (text ignoring case, money in its currency).
func (c *planner) having(f *crm.Field, h crm.Condition) func(Row) bool {
	name := "having." + h.Field
	want := 1
	switch h.Op {
	case crm.OpNull, crm.OpNotNull:
		want = 0
	case crm.OpBetween, crm.OpNotBetween:
		want = 2
	}
	if len(h.Values) != want {
		c.verr.Add(name, "%s: wants %d value(s), got %d", h.Op, want, len(h.Values))
		return nil
	}
	keys := make([]any, len(h.Values))
	for i, v := range h.Values {
		if n, ok := v.(int); ok && f.Type == crm.TypeDecimal {
			v = decimal.NewFromInt(int64(n)) // "an average above 10"
		} else if n, ok := v.(int64); ok && f.Type == crm.TypeDecimal {
			v = decimal.NewFromInt(n)
		}
		k, reason := c.key(f, v)
		if reason != "" {
			c.verr.Add(name, "%s: value %d %s", h.Op, i+1, reason)
			return nil
		}
		keys[i] = k
	}
	cond := func(op crm.Operator, vals ...any) func(Row) bool {
		return compileCondition(f, crm.Condition{Field: f.Name, Op: op, Values: vals})
	}
	switch h.Op {
	case crm.OpBetween:
		lo, hi := cond(crm.OpGe, keys[0]), cond(crm.OpLe, keys[1])
		return func(r Row) bool { return lo(r) && hi(r) }
	case crm.OpNotBetween:
		lo, hi := cond(crm.OpLt, keys[0]), cond(crm.OpGt, keys[1])
		return func(r Row) bool { return lo(r) || hi(r) }
	}
	return cond(h.Op, keys...)
}

// keyField returns the field whose values alias holds in a row: a group
// key's or a measure's result.
func (p *AggregatePlan) keyField(alias string) (*crm.Field, bool) {
	for i, g := range p.GroupBy {
		if g.Alias == alias {
			return p.keys[i].field, true
		}
	}
	f, ok := p.results[alias]
	return f, ok
}

// KeyField returns the field the i-th GroupBy entry groups on: a field of
// the aggregated entity, or of the last entity of the entry's Path.
func (p *AggregatePlan) KeyField(i int) *crm.Field { return p.keys[i].field }

// KeyEntity returns the entity whose field the i-th GroupBy entry groups
// on: the aggregated entity, or the last entity of the entry's Path.
func (p *AggregatePlan) KeyEntity(i int) *crm.Entity { return p.keys[i].entity }

// CountRecords adds a hidden measure counting the records aggregated, for
// Records: what a store checks its aggregate record limit with. Finish
// removes it from the rows.
func (p *AggregatePlan) CountRecords() {
	if !slices.ContainsFunc(p.Measures, func(m crm.Measure) bool { return m.Alias == recordsAlias }) {
		p.Measures = append(p.Measures, crm.Measure{Alias: recordsAlias, Func: crm.AggCount})
	}
}

// Records returns how many records an adapter's rows aggregated, when
// CountRecords was called before the adapter ran.
func (p *AggregatePlan) Records(rows []crm.AggregateRow) int64 {
	var n int64
	for _, r := range rows {
		n += r.Int(recordsAlias)
	}
	return n
}

// chooseLabel returns the label of choice value v of f, a field of e: the
// option's label, or the state or status reason's name.
func chooseLabel(e *crm.Entity, f *crm.Field, v any) any {
	c, ok := v.(int32)
	if !ok {
		return nil
	}
	if l := e.Lifecycle; l != nil && f.System {
		switch f.Name {
		case crm.FieldState:
			if s, ok := l.State(crm.StateCode(c)); ok {
				return s.Name
			}
		case crm.FieldStatus:
			if s, ok := l.Status(crm.StatusCode(c)); ok {
				return s.Name
			}
		}
		return nil
	}
	if label, ok := f.OptionLabel(c); ok {
		return label
	}
	return nil
}

// report applies labels of choice keys, Having, OrderBy and Limit to rows
// whose measures are final.
func (p *AggregatePlan) report(rows []crm.AggregateRow) []crm.AggregateRow {
	for _, row := range rows {
		delete(row, recordsAlias)
		for i, g := range p.GroupBy {
			if !g.Label {
				continue
			}
			key := g.Alias + crm.LabelSuffix
			if p.keys[i].field.Type == crm.TypeChoice {
				row[key] = chooseLabel(p.keys[i].entity, p.keys[i].field, row[g.Alias])
			} else if _, ok := row[key]; !ok || row[g.Alias] == nil {
				row[key] = nil
			}
		}
	}
	if len(p.having) > 0 {
		rows = slices.DeleteFunc(rows, func(row crm.AggregateRow) bool {
			rec := RecordRow(&crm.Record{Fields: crm.Fields(row)})
			for _, h := range p.having {
				if !h.match(rec) {
					return true
				}
			}
			return false
		})
	}
	byKeys := func(a, b crm.AggregateRow) int {
		for i, g := range p.GroupBy {
			f := p.keys[i].field
			if c, _ := compareValues(SortKey(f, a[g.Alias]), SortKey(f, b[g.Alias])); c != 0 {
				return c
			}
		}
		return 0
	}
	slices.SortStableFunc(rows, func(a, b crm.AggregateRow) int {
		for _, o := range p.order {
			f, _ := p.keyField(o.Field)
			c, _ := compareValues(SortKey(f, a[o.Field]), SortKey(f, b[o.Field]))
			if o.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return byKeys(a, b)
	})
	if p.limit > 0 && len(rows) > p.limit {
		rows = rows[:p.limit]
	}
	return rows
}

// pathKey returns the key of g for rec, following g's Path with resolve:
// nil when a step's lookup is null, points at another entity or at a
// record that is gone.
func pathKey(g crm.GroupBy, rec Row, resolve Resolver) (any, error) {
	for _, l := range g.Path {
		ref, _ := rec.Value(l.Lookup).(crm.Ref)
		if ref.IsZero() || ref.Entity != l.Entity {
			return nil, nil
		}
		if resolve == nil {
			return nil, fmt.Errorf("aggregate: group %s follows lookups and needs a Resolver", g.Alias)
		}
		next, found, err := resolve(l.Entity, ref.ID)
		if err != nil || !found {
			return nil, err
		}
		rec = next
	}
	return GroupKey(g, rec), nil
}

// lookupLabel returns the primary name of the record key points at.
func (p *AggregatePlan) lookupLabel(key any, resolve Resolver) (any, error) {
	ref, ok := key.(crm.Ref)
	if !ok || ref.IsZero() || resolve == nil {
		return nil, nil
	}
	e, err := p.reg.Entity(ref.Entity)
	if err != nil || e.PrimaryName == "" {
		return nil, nil
	}
	rec, found, err := resolve(ref.Entity, ref.ID)
	if err != nil || !found {
		return nil, err
	}
	if name, ok := rec.Value(e.PrimaryName).(string); ok {
		return name, nil // SQL stores join text names only
	}
	return nil, nil
}
