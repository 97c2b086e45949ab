package driver

import (
	"fmt"
	"strings"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/shopspring/decimal"
)

// AggregatePlan is an Aggregation checked against metadata, for a storage
// adapter. Its measures use only Count, CountColumn, Sum, Min and Max: an
// average is a sum and a count that Finish divides. A measure with a
// Diff measures that date difference (an int64, see DiffUnits; null when
// either time is) instead of a field.
//
// An adapter returns one AggregateRow per group, in any order, holding each
// group key and each measure by alias:
//   - group keys in their field's canonical type (Ref for lookups), or the
//     first instant of the day, month or year (UTC) for date groupings;
//   - a group whose GroupBy has a Path keyed by the field of the record at
//     the end of its lookups (KeyField, KeyEntity), nil when the chain
//     breaks (a null lookup, one to another entity than the step names,
//     a record gone);
//   - for a lookup key whose GroupBy asks for a Label, the primary name
//     of the record it points at under alias+crm.LabelSuffix (nil when
//     there is none); Finish adds the labels of choice keys itself;
//   - counts (distinct counts too) as int64; sums as int64 (integer),
//     decimal.Decimal (decimal) or Money (money); min and max in the
//     field's canonical type;
//   - nil for a sum, min or max over no values;
//   - an error matching ErrCurrencyMismatch when a money sum, min or max
//     would combine two currencies.
//
// With no group fields there is exactly one row, even over no records.
type AggregatePlan struct {
	reg      *crm.Registry
	Entity   *crm.Entity
	Where    crm.Filter
	GroupBy  []crm.GroupBy
	Measures []crm.Measure

	avgs []avgMeasure
	keys []groupKey // the field each GroupBy entry groups on, by index
	// What Finish applies to every store's rows alike: see report.go.
	results map[string]*crm.Field // the result type of each measure alias
	having  []havingCond
	order   []crm.Order
	limit   int
}

type avgMeasure struct {
	alias, sum, count string
	field             *crm.Field
}

// PlanAggregate checks a against the registry r and lowers it, relative
// date conditions in a.Where counting from now in loc and caller
// conditions comparing with who, as PlanQuery's do.
// Groups by day, month or year still cut dates in UTC, on every store: a
// caller's zone does not move a record into another group (a documented
// limit; grouping in the caller's zone needs per-row zone rules in SQL).
func PlanAggregate(r *crm.Registry, a crm.Aggregation, now time.Time, loc *time.Location, who Principal) (*AggregatePlan, error) {
	e, err := r.Entity(a.Entity)
	if err != nil {
		return nil, fmt.Errorf("aggregate: %w", err)
	}
	c := newPlanner(r, now, loc, e)
	c.who = who
	p := &AggregatePlan{reg: r, Entity: e, Where: c.filter(e, a.Where, "")}
	aliases := map[string]bool{}
	alias := func(name string) bool {
		if !crm.ValidName(name) || aliases[name] {
			c.verr.Add(name, "is not a valid alias or is used twice")
			return false
		}
		aliases[name] = true
		return true
	}
	for _, g := range a.GroupBy {
		if g.Alias == "" && len(g.Path) == 0 {
			g.Alias = g.Field
		}
		f, owner, ok := c.groupField(e, &g)
		switch {
		case !ok:
		case f.Type == crm.TypeMoney || f.Type == crm.TypeID:
			c.verr.Add(groupName(g), "cannot be grouped on: a %s field", f.Type)
		case g.Date != crm.ByValue && f.Type != crm.TypeTime:
			c.verr.Add(groupName(g), "has a date grouping but is a %s field", f.Type)
		case g.Date < crm.ByValue || g.Date > crm.ByYear:
			c.verr.Add(groupName(g), "has an unknown date grouping %d", g.Date)
		case g.Label && f.Type != crm.TypeLookup && f.Type != crm.TypeChoice:
			c.verr.Add(groupName(g), "asks for a label, which only lookup and choice keys have: it is a %s field", f.Type)
		case alias(g.Alias):
			p.GroupBy = append(p.GroupBy, g)
			p.keys = append(p.keys, groupKey{field: f, entity: owner})
		}
	}
	if len(a.Measures) == 0 {
		c.verr.Add("measures", "are empty")
	}
	for _, m := range a.Measures {
		if !alias(m.Alias) {
			continue
		}
		if m.Func == crm.AggCount {
			p.Measures = append(p.Measures, crm.Measure{Alias: m.Alias, Func: crm.AggCount})
			continue
		}
		if !m.Diff.IsZero() {
			p.Measures = append(p.Measures, c.diffMeasure(p, e, m)...)
			continue
		}
		f, ok := e.Field(m.Field)
		if !ok {
			c.verr.Add(m.Alias, "measures %q, which is not a field of %s", m.Field, e.Name)
			continue
		}
		numeric := f.Type == crm.TypeInteger || f.Type == crm.TypeDecimal || f.Type == crm.TypeMoney
		ordered := numeric || f.Type == crm.TypeText || f.Type == crm.TypeTime || f.Type == crm.TypeChoice
		switch {
		case m.Func == crm.AggCountColumn:
		case m.Func == crm.AggCountDistinct && f.Type != crm.TypeMoney:
		case (m.Func == crm.AggSum || m.Func == crm.AggAvg) && numeric:
		case (m.Func == crm.AggMin || m.Func == crm.AggMax) && ordered:
		default:
			c.verr.Add(m.Alias, "cannot take %s of a %s field", m.Func, f.Type)
			continue
		}
		if m.Func == crm.AggAvg {
			avg := avgMeasure{alias: m.Alias, sum: "_sum_" + m.Alias, count: "_count_" + m.Alias, field: f}
			p.avgs = append(p.avgs, avg)
			p.Measures = append(p.Measures,
				crm.Measure{Alias: avg.sum, Func: crm.AggSum, Field: m.Field},
				crm.Measure{Alias: avg.count, Func: crm.AggCountColumn, Field: m.Field})
			continue
		}
		p.Measures = append(p.Measures, m)
	}
	c.planReport(p, a)
	c.checkShape(p.Where)
	if c.related > crm.MaxRelated {
		c.verr.Add("where", "has %d related-record conditions, more than the %d allowed", c.related, crm.MaxRelated)
	}
	if err := c.verr.Err(); err != nil {
		return nil, fmt.Errorf("aggregate: %w", err)
	}
	return p, nil
}

// Match reports whether rec is one of the records aggregated.
func (p *AggregatePlan) Match(rec crm.Record, resolve Resolver) (bool, error) {
	return p.Matcher(resolve)(RecordRow(&rec))
}

// Matcher compiles the aggregation's filter, as Plan.Matcher does.
func (p *AggregatePlan) Matcher(resolve Resolver) Matcher {
	return compile(p.reg, p.Entity, p.Where, sources{resolve: resolve})
}

// GroupKey returns the key of g for rec: its canonical value, or the start of
// its day, month or year.
func GroupKey(g crm.GroupBy, rec Row) any {
	v := rec.Value(g.Field)
	t, ok := v.(time.Time)
	if !ok || g.Date == crm.ByValue {
		return v
	}
	switch g.Date {
	case crm.ByDay:
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	case crm.ByMonth:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
}

// Accumulator computes an AggregatePlan's rows over records fed to it one
// at a time, as the memory store does.
type Accumulator struct {
	plan    *AggregatePlan
	groups  map[string]crm.AggregateRow
	order   []string
	err     error
	resolve Resolver
	// The values a distinct count has seen, by group and alias.
	seen map[string]map[string]bool
}

// NewAccumulator starts an aggregation.
func (p *AggregatePlan) NewAccumulator() *Accumulator {
	return &Accumulator{plan: p, groups: map[string]crm.AggregateRow{}}
}

// WithResolver sets how the accumulator reads related records: the
// groups through lookups (GroupBy.Path) and the labels of lookup keys
// need it. It returns a.
func (a *Accumulator) WithResolver(resolve Resolver) *Accumulator {
	a.resolve = resolve
	return a
}

// Add counts rec in its group.
func (a *Accumulator) Add(rec Row) {
	if a.err != nil {
		return
	}
	keys := make([]any, len(a.plan.GroupBy))
	var id strings.Builder
	for i, g := range a.plan.GroupBy {
		if len(g.Path) > 0 {
			if keys[i], a.err = pathKey(g, rec, a.resolve); a.err != nil {
				return
			}
		} else {
			keys[i] = GroupKey(g, rec)
		}
		fmt.Fprintf(&id, "%T:%v|", keys[i], keys[i])
	}
	row := a.group(id.String(), keys)
	if a.err != nil {
		return
	}
	for _, m := range a.plan.Measures {
		v := measureValue(m, rec)
		if m.Func == crm.AggCountDistinct {
			a.distinct(id.String(), row, m, v)
			continue
		}
		if a.err = accumulate(row, m, v); a.err != nil {
			return
		}
	}
}

// distinct counts v in row's distinct count m if the group has not seen
// it: text by its exact bytes, a lookup by entity and ID.
func (a *Accumulator) distinct(id string, row crm.AggregateRow, m crm.Measure, v any) {
	if v == nil {
		return
	}
	if a.seen == nil {
		a.seen = map[string]map[string]bool{}
	}
	set := a.seen[id+"\x00"+m.Alias]
	if set == nil {
		set = map[string]bool{}
		a.seen[id+"\x00"+m.Alias] = set
	}
	k := fmt.Sprintf("%T:%v", v, v) // decimals print canonically: 1.50 as 1.5
	if !set[k] {
		set[k] = true
		row[m.Alias] = row[m.Alias].(int64) + 1
	}
}

func (a *Accumulator) group(id string, keys []any) crm.AggregateRow {
	if row, ok := a.groups[id]; ok {
		return row
	}
	row := crm.AggregateRow{}
	for i, g := range a.plan.GroupBy {
		row[g.Alias] = keys[i]
		if g.Label && a.plan.keys[i].field.Type == crm.TypeLookup {
			var err error
			if row[g.Alias+crm.LabelSuffix], err = a.plan.lookupLabel(keys[i], a.resolve); err != nil && a.err == nil {
				a.err = err
			}
		}
	}
	for _, m := range a.plan.Measures {
		row[m.Alias] = nil
		if m.Func == crm.AggCount || m.Func == crm.AggCountColumn || m.Func == crm.AggCountDistinct {
			row[m.Alias] = int64(0)
		}
	}
	a.groups[id] = row
	a.order = append(a.order, id)
	return row
}

func accumulate(row crm.AggregateRow, m crm.Measure, v any) error {
	if m.Func == crm.AggCount {
		row[m.Alias] = row[m.Alias].(int64) + 1
		return nil
	}
	if v == nil {
		return nil
	}
	cur := row[m.Alias]
	switch m.Func {
	case crm.AggCountColumn:
		row[m.Alias] = cur.(int64) + 1
	case crm.AggSum:
		if cur == nil {
			row[m.Alias] = v
			return nil
		}
		switch x := v.(type) {
		case int64:
			row[m.Alias] = cur.(int64) + x
		case decimal.Decimal:
			row[m.Alias] = cur.(decimal.Decimal).Add(x)
		case crm.Money:
			sum, err := cur.(crm.Money).Add(x)
			if err != nil {
				return fmt.Errorf("sum %s: %w", m.Field, err)
			}
			row[m.Alias] = sum
		}
	case crm.AggMin, crm.AggMax:
		if cur == nil {
			row[m.Alias] = v
			return nil
		}
		c, err := compareValues(v, cur)
		if err != nil {
			return fmt.Errorf("%s %s: %w", m.Func, m.Field, err)
		}
		if (m.Func == crm.AggMin && c < 0) || (m.Func == crm.AggMax && c > 0) {
			row[m.Alias] = v
		}
	}
	return nil
}

// compareValues orders canonical values; money only within one currency.
// Equal text in another case orders by its exact bytes, so min and max are
// the same on every store.
func compareValues(a, b any) (int, error) {
	if m, ok := a.(crm.Money); ok {
		return m.Cmp(b.(crm.Money))
	}
	if c := CompareKeys(a, b); c != 0 {
		return c, nil
	}
	if s, ok := a.(string); ok {
		return strings.Compare(s, b.(string)), nil
	}
	return 0, nil
}

// Rows returns the accumulated rows, for Finish.
func (a *Accumulator) Rows() ([]crm.AggregateRow, error) {
	if a.err != nil {
		return nil, a.err
	}
	if len(a.plan.GroupBy) == 0 && len(a.order) == 0 {
		a.group("", nil)
	}
	out := make([]crm.AggregateRow, len(a.order))
	for i, id := range a.order {
		out[i] = a.groups[id]
	}
	return out, nil
}

// Finish turns an adapter's rows into the aggregation's result: averages
// computed, decimals in canonical form, choice keys labelled, groups kept
// by Having, ordered by OrderBy and then by their group keys (nulls first,
// text ignoring ASCII case, then by its exact bytes), and cut to Limit.
// Adapters never apply Having, OrderBy or Limit: Finish does, the same
// way for every store.
func (p *AggregatePlan) Finish(rows []crm.AggregateRow) []crm.AggregateRow {
	for _, row := range rows {
		for _, m := range p.Measures {
			if f, ok := p.Entity.Field(m.Field); ok && m.Func != crm.AggCount && m.Func != crm.AggCountColumn && m.Func != crm.AggCountDistinct {
				row[m.Alias] = canonicalNumber(f, row[m.Alias])
			}
		}
		for _, avg := range p.avgs {
			row[avg.alias] = average(avg.field, row[avg.sum], row[avg.count].(int64))
			delete(row, avg.sum)
			delete(row, avg.count)
		}
	}
	return p.report(rows)
}

func canonicalNumber(f *crm.Field, v any) any {
	switch x := v.(type) {
	case decimal.Decimal:
		if f.Type == crm.TypeDecimal {
			return x.Round(f.Precision)
		}
	case crm.Money:
		return crm.Money{Amount: x.Amount.Round(f.MoneyPlaces(x.Currency)), Currency: x.Currency}
	}
	return v
}

func average(f *crm.Field, sum any, count int64) any {
	if sum == nil || count == 0 {
		return nil
	}
	n := decimal.NewFromInt(count)
	switch s := sum.(type) {
	case int64:
		return crm.DivRound(decimal.NewFromInt(s), n, crm.AvgPlaces)
	case decimal.Decimal:
		return crm.DivRound(s, n, crm.AvgPlaces)
	case crm.Money:
		return crm.Money{Amount: crm.DivRound(s.Amount, n, f.MoneyPlaces(s.Currency)), Currency: s.Currency}
	}
	return nil
}
