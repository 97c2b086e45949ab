package driver

import (
	"fmt"
	"strings"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/shopspring/decimal"
)

// This file plans the comparisons that go beyond "field op constant":
// field-to-field comparisons (crm.ValueOf), date differences
// (crm.DiffCondition, date-difference measures), and condition values as
// users have them (option labels, ISO dates, plain amounts on base
// fields), which become the field's own values before anything else sees
// them.

// userValues turns the values of a condition on f into values of f's own
// type where the user's form is unambiguous, and refuses those that could
// only be a mistake. It returns nil and false after reporting a refusal.
// The caller's slice is never changed.
//
//   - A choice field takes an option's label (in any case, surrounding
//     space ignored, as Field.OptionValue reads it); an unknown label is
//     refused. Equality operators (eq, ne, in, not-in) refuse a number no
//     option names: eq and in would silently match nothing.
//   - A date-only field takes an ISO date "2006-01-02"; a date-and-time
//     field an RFC 3339 time with its offset ("2024-03-01T09:00:00Z") or
//     an ISO date, which is its midnight in the caller's time zone (the
//     day "on" that date covers there).
//   - A money field takes a plain decimal only when its currency is known
//     without a record: a base field ("_base") is in the base currency.
//     Elsewhere a decimal is refused with a hint to pass a crm.Money, and a
//     base field refuses an amount in any other currency, which it can
//     never hold.
//   - A FieldValue (crm.ValueOf) is only for eq, ne, lt, le, gt and ge.
func (c *planner) userValues(e *crm.Entity, f *crm.Field, cond crm.Condition, name string) ([]any, bool) {
	if len(cond.Values) == 0 {
		return cond.Values, true
	}
	out := make([]any, len(cond.Values))
	for i, v := range cond.Values {
		nv, reason := c.userValue(e, f, cond.Op, v)
		if reason != "" {
			c.verr.Add(name, "%s: value %d %s", cond.Op, i+1, reason)
			return nil, false
		}
		out[i] = nv
	}
	return out, true
}

func (c *planner) userValue(e *crm.Entity, f *crm.Field, op crm.Operator, v any) (any, string) {
	if _, ok := v.(crm.FieldValue); ok {
		switch op {
		case crm.OpEq, crm.OpNe, crm.OpLt, crm.OpLe, crm.OpGt, crm.OpGe:
			return v, ""
		}
		return nil, "is another field (crm.ValueOf), which only eq, ne, lt, le, gt and ge compare with"
	}
	equality := op == crm.OpEq || op == crm.OpNe || op == crm.OpIn || op == crm.OpNotIn
	switch f.Type {
	case crm.TypeChoice:
		if s, ok := v.(string); ok {
			n, err := f.OptionValue(s)
			if err != nil {
				return nil, fmt.Sprintf("%q is not the label of an option of %s", s, f.Name)
			}
			return n, ""
		}
		if n, ok := crm.IntValue(v); ok && equality && len(f.Options) > 0 {
			if n < -1<<31 || n > 1<<31-1 {
				return v, "" // Coerce words it
			}
			if _, known := f.Option(int32(n)); !known {
				return nil, fmt.Sprintf("is %d: not an option of %s", n, f.Name)
			}
		}
	case crm.TypeTime:
		s, ok := v.(string)
		switch op {
		case crm.OpLastXDays, crm.OpNextXDays, crm.OpLastXHours, crm.OpOlderThanXDays:
			ok = false // they count; a string is no count
		}
		if !ok {
			return v, ""
		}
		if f.DateOnly {
			t, err := time.Parse(time.DateOnly, s)
			if err != nil {
				return nil, fmt.Sprintf("%q is not an ISO date such as 2024-03-01", s)
			}
			return t, ""
		}
		// A date alone is its first instant where the caller is, the
		// day "on" that date covers.
		if t, err := time.ParseInLocation(time.DateOnly, s, c.loc); err == nil {
			return t, ""
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, fmt.Sprintf("%q is neither an ISO date such as 2024-03-01 nor an RFC 3339 time such as 2024-03-01T09:00:00Z", s)
		}
		return t, ""
	case crm.TypeMoney:
		base := c.baseCurrency(e, f)
		switch x := v.(type) {
		case decimal.Decimal:
			if base == "" {
				return nil, fmt.Sprintf("is a plain decimal, but %s holds amounts in any currency: pass a crm.Money", f.Name)
			}
			return crm.Money{Amount: x, Currency: base}, ""
		case crm.Money:
			if base != "" && x.Currency != base {
				return nil, fmt.Sprintf("is in %s, but %s holds amounts in the base currency %s only", x.Currency, f.Name, base)
			}
		}
	}
	return v, ""
}

// baseCurrency returns the currency of money field f of e when it is a
// base field ("<money field>_base" of a priced entity), "" otherwise.
func (c *planner) baseCurrency(e *crm.Entity, f *crm.Field) crm.Currency {
	if !isBaseField(e, f) {
		return ""
	}
	return c.reg.BaseCurrency()
}

func isBaseField(e *crm.Entity, f *crm.Field) bool {
	if f.Type != crm.TypeMoney || !e.Priced() {
		return false
	}
	money, ok := strings.CutSuffix(f.Name, crm.BaseSuffix)
	if !ok {
		return false
	}
	for _, m := range e.MoneyFields() {
		if m.Name == money {
			return true
		}
	}
	return false
}

// fieldComparison plans "f op other field of the same record". The plan
// keeps the crm.FieldValue as the condition's value.
func (c *planner) fieldComparison(e *crm.Entity, f *crm.Field, cond crm.Condition, fv crm.FieldValue, name string) crm.Filter {
	bad := func(format string, args ...any) crm.Filter {
		c.verr.Add(name, "%s: %s", cond.Op, fmt.Sprintf(format, args...))
		return nil
	}
	g, ok := e.Field(fv.Field)
	if !ok {
		return bad("compares with %q, which is not a field of %s", fv.Field, e.Name)
	}
	switch {
	case f.Type != g.Type:
		return bad("compares a %s field with %s, a %s field", f.Type, g.Name, g.Type)
	case f.Type == crm.TypeLookup || f.Type == crm.TypeID:
		return bad("lookups and IDs are not compared field to field")
	case f.Type == crm.TypeTime && f.DateOnly != g.DateOnly:
		return bad("compares a date with a date and time (%s), which have no order without a time zone: compare crm.DaysBetween with 0", g.Name)
	case f.Type == crm.TypeMoney && isBaseField(e, f) != isBaseField(e, g):
		return bad("compares a base-currency amount with %s, a transaction-currency one: compare two base fields", g.Name)
	}
	ordered := f.Type != crm.TypeBool
	if cond.Op != crm.OpEq && cond.Op != crm.OpNe && !ordered {
		return bad("a %s field has no order", f.Type)
	}
	return crm.Condition{Field: cond.Field, Op: cond.Op, Values: []any{crm.FieldValue{Field: g.Name}}}
}

// diffCondition checks a date-difference condition; the plan keeps it as
// it is.
func (c *planner) diffCondition(e *crm.Entity, d crm.DiffCondition, path string) crm.Filter {
	name := path + d.Diff.From
	if !c.checkDiff(e, d.Diff, name) {
		return nil
	}
	switch d.Op {
	case crm.OpEq, crm.OpNe, crm.OpLt, crm.OpLe, crm.OpGt, crm.OpGe:
	default:
		c.verr.Add(name, "%s: a date difference takes eq, ne, lt, le, gt and ge", d.Op)
		return nil
	}
	return d
}

// checkDiff checks that d names two time fields of e and a unit they
// have; name is where a refusal is reported.
func (c *planner) checkDiff(e *crm.Entity, d crm.DateDiff, name string) bool {
	ok := true
	for _, n := range []string{d.From, d.To} {
		f, known := e.Field(n)
		switch {
		case !known:
			c.verr.Add(name, "date difference: %q is not a field of %s", n, e.Name)
			ok = false
		case f.Type != crm.TypeTime:
			c.verr.Add(name, "date difference: %s is a %s field, not a time", n, f.Type)
			ok = false
		case d.Unit == crm.Hours && f.DateOnly:
			c.verr.Add(name, "date difference in hours: %s is date-only and has no time of day", n)
			ok = false
		}
	}
	if d.Unit != crm.Days && d.Unit != crm.Hours {
		c.verr.Add(name, "date difference: unknown unit %d", int(d.Unit))
		ok = false
	}
	return ok
}

// Microseconds in a day and in an hour: the units a DateDiff counts.
const (
	microsPerDay  = 86_400_000_000
	microsPerHour = 3_600_000_000
)

// DiffUnits returns the boundaries of unit u (UTC) crossed from a to b:
// floor(b) - floor(a) in units since the Unix epoch, negative when b is
// earlier. It is what every store computes for a crm.DateDiff.
func DiffUnits(u crm.DiffUnit, a, b time.Time) int64 {
	per := int64(microsPerDay)
	if u == crm.Hours {
		per = microsPerHour
	}
	return floorDiv(b.UnixMicro(), per) - floorDiv(a.UnixMicro(), per)
}

func floorDiv(n, d int64) int64 {
	q := n / d
	if n%d != 0 && n < 0 {
		q--
	}
	return q
}

// diffValue returns d for rec, and false when either field is null.
func diffValue(d crm.DateDiff, rec Row) (int64, bool) {
	a, ok := rec.Value(d.From).(time.Time)
	if !ok {
		return 0, false
	}
	b, ok := rec.Value(d.To).(time.Time)
	if !ok {
		return 0, false
	}
	return DiffUnits(d.Unit, a, b), true
}

// compileFieldComparison compiles "f op g" on one record: both values
// present, money in one currency, text folded.
func compileFieldComparison(f, g *crm.Field, op crm.Operator) func(Row) bool {
	return func(r Row) bool {
		a, b := r.Value(f.Name), r.Value(g.Name)
		if a == nil || b == nil {
			return false
		}
		if m, ok := a.(crm.Money); ok {
			n := b.(crm.Money)
			return m.Currency == n.Currency && compareOp(op, m.Amount.Cmp(n.Amount))
		}
		return compareOp(op, CompareKeys(SortKey(f, a), SortKey(g, b)))
	}
}

// compileDiffCondition compiles a date-difference condition.
func compileDiffCondition(d crm.DiffCondition) func(Row) bool {
	return func(r Row) bool {
		n, ok := diffValue(d.Diff, r)
		return ok && compareOp(d.Op, cmpOrdered(n, d.Value))
	}
}

// diffMeasure checks a measure of a date difference and lowers it: an
// average becomes a sum and a count, as one of a field does.
func (c *planner) diffMeasure(p *AggregatePlan, e *crm.Entity, m crm.Measure) []crm.Measure {
	if m.Field != "" {
		c.verr.Add(m.Alias, "measures both the field %q and a date difference", m.Field)
		return nil
	}
	if !c.checkDiff(e, m.Diff, m.Alias) {
		return nil
	}
	switch m.Func {
	case crm.AggCountColumn, crm.AggSum, crm.AggMin, crm.AggMax:
		return []crm.Measure{m}
	case crm.AggAvg:
		avg := avgMeasure{alias: m.Alias, sum: "_sum_" + m.Alias, count: "_count_" + m.Alias}
		p.avgs = append(p.avgs, avg)
		return []crm.Measure{
			{Alias: avg.sum, Func: crm.AggSum, Diff: m.Diff},
			{Alias: avg.count, Func: crm.AggCountColumn, Diff: m.Diff}}
	}
	c.verr.Add(m.Alias, "cannot take %s of a date difference", m.Func)
	return nil
}

// measureValue is the value m measures in rec: its field's, or its date
// difference (nil when null).
func measureValue(m crm.Measure, rec Row) any {
	if m.Diff.IsZero() {
		return rec.Value(m.Field)
	}
	if n, ok := diffValue(m.Diff, rec); ok {
		return n
	}
	return nil
}
