package sqlstore

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/dialect"
)

// This file compiles field-to-field comparisons (crm.ValueOf) and date
// differences (crm.DateDiff), with driver.Plan.Match's meaning.

// compareFields compiles "c op other" on one row: never true when either
// is null, text folded, money only within one currency.
func (b *builder) compareFields(tb *table, a string, c *column, op crm.Operator, other string) string {
	o, ok := tb.byName[other]
	if !ok || o.f.Type != c.f.Type {
		return b.fail(fmt.Errorf("sqlstore: %s cannot be compared with %q of %s", c.f.Name, other, tb.entity.Name))
	}
	ref, oref := a+"."+quote(c.name), a+"."+quote(o.name)
	guard := ref + " IS NOT NULL AND " + oref + " IS NOT NULL AND "
	switch {
	case c.f.Type == crm.TypeMoney:
		guard += a + "." + quote(c.extra) + " = " + a + "." + quote(o.extra) + " AND "
	case c.f.Type == crm.TypeDecimal && b.d.flavor == dialect.SQLite && (c.repr != o.repr || c.scale != o.scale):
		return guard + "(" + compareScaledColumns(c, ref, op, o, oref) + ")"
	}
	return guard + b.keyExpr(c, ref) + " " + opSQL[op] + " " + b.keyExpr(o, oref)
}

// compareScaledColumns compares two SQLite decimal columns kept at
// different scales or in different forms, exactly: no product that could
// overflow an int64 (SQLite would turn it into an inexact float).
func compareScaledColumns(c *column, ref string, op crm.Operator, o *column, oref string) string {
	if c.repr == reprScaled && o.repr == reprScaled {
		if c.scale > o.scale { // put the finer column second
			return compareScaledInts(o, oref, flipOp(op), c, ref)
		}
		return compareScaledInts(c, ref, op, o, oref)
	}
	s := max(c.scale, o.scale)
	width := s - min(c.scale, o.scale)
	return canonicalDecimal(c, ref, s, width) + " " + opSQL[op] + " " + canonicalDecimal(o, oref, s, width)
}

// flipOp turns "a op b" into "b op' a".
func flipOp(op crm.Operator) crm.Operator {
	switch op {
	case crm.OpLt:
		return crm.OpGt
	case crm.OpLe:
		return crm.OpGe
	case crm.OpGt:
		return crm.OpLt
	case crm.OpGe:
		return crm.OpLe
	}
	return op
}

// compareScaledInts compares the int64 x of coarse (scale s) with the
// int64 y of fine (scale t > s; with t = s it is a plain comparison):
// x/10^s op y/10^t. With P = 10^(t-s), y = q*P + r (q floored, 0 <= r <
// P), x*P op y is decided by x against q and by r, without multiplying.
func compareScaledInts(coarse *column, x string, op crm.Operator, fine *column, y string) string {
	if coarse.scale == fine.scale {
		return x + " " + opSQL[op] + " " + y
	}
	p := strconv.FormatInt(pow10[fine.scale-coarse.scale], 10)
	// SQLite's / and % truncate toward zero: floor by hand.
	neg := "(CASE WHEN " + y + " % " + p + " < 0 THEN 1 ELSE 0 END)"
	q := "(" + y + " / " + p + " - " + neg + ")"
	r := "(" + y + " % " + p + " + " + neg + " * " + p + ")"
	switch op {
	case crm.OpEq:
		return x + " = " + q + " AND " + r + " = 0"
	case crm.OpNe:
		return x + " <> " + q + " OR " + r + " <> 0"
	case crm.OpLt:
		return x + " < " + q + " OR (" + x + " = " + q + " AND " + r + " > 0)"
	case crm.OpLe:
		return x + " <= " + q
	case crm.OpGt:
		return x + " > " + q
	}
	return x + " > " + q + " OR (" + x + " = " + q + " AND " + r + " = 0)" // Ge
}

// canonicalDecimal writes a SQLite decimal column as text that orders as
// its value at scale s, for comparing columns of different scales where
// one is kept as reprWide text: a sign digit ('1' for zero and above, '0'
// below) and then the value times 10^s in ten's complement, 39+width
// digits. A reprWide value is already a sign digit and 39 such digits at
// its own scale; it gets zeros appended to reach scale s and its sign
// digit repeated in front (0 → '0', else '9') to reach the width.
func canonicalDecimal(c *column, ref string, s, width int32) string {
	var sign, body string
	if c.repr == reprWide {
		sign = "substr(" + ref + ", 1, 1)"
		body = "substr(" + ref + ", 2)"
	} else {
		// int64 to the same form. Below zero, ten's complement of x is
		// nine's complement of m = -(x+1), computed in two parts (the
		// first digit, then 18) so that nothing overflows.
		sign = "(CASE WHEN " + ref + " >= 0 THEN '1' ELSE '0' END)"
		m := "(-(" + ref + " + 1))"
		body = "(CASE WHEN " + ref + " >= 0 THEN printf('%039d', " + ref + ") ELSE '" + strings.Repeat("9", 20) +
			"' || (9 - " + m + " / 1000000000000000000) || printf('%018d', 999999999999999999 - " + m + " % 1000000000000000000) END)"
	}
	shift := s - c.scale
	out := sign
	if pad := int(width - shift); pad > 0 {
		out += " || (CASE WHEN " + sign + " = '1' THEN '" + strings.Repeat("0", pad) + "' ELSE '" + strings.Repeat("9", pad) + "' END)"
	}
	out += " || " + body
	if shift > 0 {
		out += " || '" + strings.Repeat("0", int(shift)) + "'"
	}
	return "(" + out + ")"
}

// diffExpr is the SQL of a date difference on the table aliased a: an
// integer, null when either time is. SQLite keeps times as microseconds
// since 1970 (floored to days or hours by hand, as / truncates);
// PostgreSQL as timestamps, whose dates subtract to whole days.
func (b *builder) diffExpr(tb *table, a string, d crm.DateDiff) string {
	from, ok1 := tb.byName[d.From]
	to, ok2 := tb.byName[d.To]
	if !ok1 || !ok2 || from.f.Type != crm.TypeTime || to.f.Type != crm.TypeTime {
		return b.fail(fmt.Errorf("sqlstore: %s is not a date difference of %s", d, tb.entity.Name))
	}
	f, t := a+"."+quote(from.name), a+"."+quote(to.name)
	if b.d.flavor == dialect.Postgres {
		days := "((" + t + ")::date - (" + f + ")::date)::bigint"
		if d.Unit == crm.Hours {
			return "(" + days + " * 24 + (extract(hour from " + t + ") - extract(hour from " + f + "))::bigint)"
		}
		return "(" + days + ")"
	}
	per := "86400000000"
	if d.Unit == crm.Hours {
		per = "3600000000"
	}
	floor := func(v string) string {
		return "(" + v + " / " + per + " - (CASE WHEN " + v + " % " + per + " < 0 THEN 1 ELSE 0 END))"
	}
	return "(" + floor(t) + " - " + floor(f) + ")"
}

// diffCondition compiles a date-difference condition.
func (b *builder) diffCondition(tb *table, a string, d crm.DiffCondition) string {
	op, ok := opSQL[d.Op]
	if !ok {
		return b.fail(fmt.Errorf("sqlstore: a date difference does not take %s", d.Op))
	}
	return b.diffExpr(tb, a, d.Diff) + " " + op + " " + b.arg(d.Value)
}

// diffMeasureCol compiles a measure of a date difference.
func (d *Driver) diffMeasureCol(tb *table, m crm.Measure) (measureCol, error) {
	b := d.newBuilder()
	e := b.diffExpr(tb, "t0", m.Diff)
	if b.err != nil {
		return measureCol{}, b.err
	}
	mc := measureCol{m: m}
	switch m.Func {
	case crm.AggCountColumn:
		mc.exprs = []string{"COUNT(" + e + ")"}
	case crm.AggSum:
		// PostgreSQL sums bigints as numeric: read it as text.
		s := "SUM(" + e + ")"
		if d.flavor == dialect.Postgres {
			s += "::text"
		}
		mc.exprs = []string{s}
	case crm.AggMin:
		mc.exprs = []string{"MIN(" + e + ")"}
	case crm.AggMax:
		mc.exprs = []string{"MAX(" + e + ")"}
	default:
		return mc, fmt.Errorf("sqlstore: aggregate %s of a date difference is not lowered by the planner", m.Func)
	}
	return mc, nil
}

// readDiffMeasure reads a sum, minimum or maximum of a date difference.
func readDiffMeasure(m crm.Measure, raw any) (any, error) {
	switch x := raw.(type) {
	case nil:
		return nil, nil
	case int64:
		return x, nil
	case string, []byte:
		s, _ := asString(x)
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("aggregate %s: %w", m.Alias, err)
		}
		return n, nil
	}
	return nil, fmt.Errorf("aggregate %s: date difference of type %T", m.Alias, raw)
}
