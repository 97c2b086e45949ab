package sqlstore

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/dialect"
)

// groupCol is one GROUP BY column of an aggregation.
type groupCol struct {
	g     crm.GroupBy
	c     *column
	exprs []string // the key, and a polymorphic lookup's entity
	label string   // the aggregated name of a lookup key's record, or ""
}

// measureCol is one measure's SQL output columns and how to read them.
type measureCol struct {
	m     crm.Measure
	c     *column // nil for AggCount
	exprs []string
}

// aggregate computes p in the database: one GROUP BY query for every
// measure but the minimum and maximum of text, which need the original
// text of the smallest folded value and come from a window query each.
func (d *Driver) aggregate(ctx context.Context, q querier, p *driver.AggregatePlan) ([]crm.AggregateRow, error) {
	tb, err := d.table(p.Entity)
	if err != nil {
		return nil, err
	}
	b := d.newBuilder()
	groups, joins, err := d.groupCols(b, tb, p)
	if err != nil {
		return nil, err
	}
	var gexprs, lexprs []string
	for _, g := range groups {
		gexprs = append(gexprs, g.exprs...)
		if g.label != "" {
			lexprs = append(lexprs, g.label)
		}
	}
	var measures, textExtremes []measureCol
	var mexprs []string
	for _, m := range p.Measures {
		mc, err := d.measureCol(tb, m)
		if err != nil {
			return nil, err
		}
		if mc.c != nil && mc.c.f.Type == crm.TypeText && (m.Func == crm.AggMin || m.Func == crm.AggMax) {
			textExtremes = append(textExtremes, mc)
			continue
		}
		measures = append(measures, mc)
		mexprs = append(mexprs, mc.exprs...)
	}
	if len(mexprs) == 0 {
		mexprs = []string{"COUNT(*)"} // keeps one row per group
	}
	where := b.filter(tb, "t0", p.Where)
	query := "SELECT " + strings.Join(slices.Concat(gexprs, lexprs, mexprs), ", ") +
		" FROM " + tb.ref + " t0" + joins + " WHERE " + where
	if len(gexprs) > 0 {
		query += " GROUP BY " + ordinals(1, len(gexprs))
	}
	if b.err != nil {
		return nil, b.err
	}
	rows, err := q.QueryContext(ctx, query, b.args...)
	if err != nil {
		return nil, d.mapErr("aggregate "+tb.entity.Name, err)
	}
	defer rows.Close()
	var out []crm.AggregateRow
	bySig := map[string]crm.AggregateRow{}
	for rows.Next() {
		raw := make([]any, len(gexprs)+len(lexprs)+len(mexprs))
		ptrs := make([]any, len(raw))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, d.mapErr("aggregate "+tb.entity.Name, err)
		}
		row := crm.AggregateRow{}
		sig, err := d.readGroups(groups, raw, row)
		if err != nil {
			return nil, err
		}
		i := len(gexprs)
		for _, g := range groups {
			if g.label != "" {
				if row[g.g.Alias+crm.LabelSuffix], err = labelValue(raw[i]); err != nil {
					return nil, fmt.Errorf("aggregate: label of %s: %w", g.g.Alias, err)
				}
				i++
			}
		}
		for _, mc := range measures {
			v, err := d.readMeasure(mc, raw[i:i+len(mc.exprs)])
			if err != nil {
				return nil, err
			}
			row[mc.m.Alias] = v
			i += len(mc.exprs)
		}
		for _, mc := range textExtremes {
			row[mc.m.Alias] = nil
		}
		out = append(out, row)
		bySig[sig] = row
	}
	if err := rows.Err(); err != nil {
		return nil, d.mapErr("aggregate "+tb.entity.Name, err)
	}
	if err := rows.Close(); err != nil {
		return nil, d.mapErr("aggregate "+tb.entity.Name, err)
	}
	for _, mc := range textExtremes {
		if err := d.textExtreme(ctx, q, tb, joins, p, groups, gexprs, mc, bySig); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func ordinals(from, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = strconv.Itoa(from + i)
	}
	return strings.Join(parts, ", ")
}

// groupCols returns the group columns of p and the LEFT JOINs that reach
// the fields of related records they group on.
func (d *Driver) groupCols(b *builder, tb *table, p *driver.AggregatePlan) ([]groupCol, string, error) {
	var out []groupCol
	var joins strings.Builder
	for i, g := range p.GroupBy {
		owner, a, err := d.joinPath(b, &joins, tb, g.Path)
		if err != nil {
			return nil, "", err
		}
		c, ok := owner.byName[g.Field]
		if !ok {
			return nil, "", fmt.Errorf("sqlstore: %s is not a field of %s", g.Field, owner.entity.Name)
		}
		ref := a + "." + quote(c.name)
		gc := groupCol{g: g, c: c}
		if g.Label && p.KeyField(i).Type == crm.TypeLookup {
			gc.label = d.labelJoin(b, &joins, a, c)
		}
		switch {
		case g.Date == crm.ByValue:
			gc.exprs = []string{ref}
			if c.extra != "" {
				gc.exprs = append(gc.exprs, a+"."+quote(c.extra))
			}
		case d.flavor == dialect.Postgres:
			unit := map[crm.DateGrouping]string{crm.ByDay: "day", crm.ByMonth: "month", crm.ByYear: "year"}[g.Date]
			gc.exprs = []string{"date_trunc('" + unit + "', " + ref + ")"}
		default:
			format := map[crm.DateGrouping]string{crm.ByDay: "%Y-%m-%d", crm.ByMonth: "%Y-%m", crm.ByYear: "%Y"}[g.Date]
			// Whole seconds, rounded down also before 1970.
			secs := "((" + ref + " - (((" + ref + " % 1000000) + 1000000) % 1000000)) / 1000000)"
			gc.exprs = []string{"strftime('" + format + "', " + secs + ", 'unixepoch')"}
		}
		out = append(out, gc)
	}
	return out, joins.String(), nil
}

// readGroups decodes the group keys of one result row into row and
// returns a signature that identifies the group.
func (d *Driver) readGroups(groups []groupCol, raw []any, row crm.AggregateRow) (string, error) {
	var sig strings.Builder
	i := 0
	for _, g := range groups {
		var v any
		var err error
		switch {
		case g.g.Date == crm.ByValue:
			var extra any
			if len(g.exprs) > 1 {
				extra = raw[i+1]
			}
			v, err = d.decode(g.c, raw[i], extra)
		case raw[i] == nil:
		default:
			switch x := raw[i].(type) {
			case time.Time:
				v = x.UTC()
			default:
				var s string
				if s, err = asString(x); err == nil {
					v, err = timeFromSQLite(s, g.g.Date)
				}
			}
		}
		if err != nil {
			return "", fmt.Errorf("aggregate: group %s: %w", g.g.Alias, err)
		}
		row[g.g.Alias] = v
		fmt.Fprintf(&sig, "%T:%v|", v, v)
		i += len(g.exprs)
	}
	return sig.String(), nil
}

func (d *Driver) measureCol(tb *table, m crm.Measure) (measureCol, error) {
	mc := measureCol{m: m}
	if m.Func == crm.AggCount {
		mc.exprs = []string{"COUNT(*)"}
		return mc, nil
	}
	if !m.Diff.IsZero() {
		return d.diffMeasureCol(tb, m)
	}
	c, ok := tb.byName[m.Field]
	if !ok {
		return mc, fmt.Errorf("sqlstore: %s is not a field of %s", m.Field, tb.entity.Name)
	}
	mc.c = c
	ref := "t0." + quote(c.name)
	pg := d.flavor == dialect.Postgres
	numeric := c.f.Type == crm.TypeDecimal || c.f.Type == crm.TypeMoney
	switch m.Func {
	case crm.AggCountColumn:
		mc.exprs = []string{"COUNT(" + ref + ")"}
	case crm.AggCountDistinct:
		mc.exprs = []string{countDistinct(c, "t0")}
	case crm.AggSum:
		switch {
		case pg:
			mc.exprs = []string{"SUM(" + ref + ")::text"}
		case c.repr == reprWide:
			// Sum the digits in 8-digit slices: no slice sum can overflow,
			// and Go puts them together exactly.
			for k := 0; k < wideDigits/8; k++ {
				mc.exprs = append(mc.exprs, fmt.Sprintf("SUM(CAST(substr(%s, %d, 8) AS INTEGER))", ref, 1+8*k))
			}
			mc.exprs = append(mc.exprs, "COUNT("+ref+")")
		default:
			// SQLite's SUM fails on int64 overflow and total() is a float:
			// summing the high and low 32 bits apart is exact for any
			// number of rows below 2^31.
			mc.exprs = []string{"SUM(" + ref + " >> 32)", "SUM(" + ref + " & 4294967295)"}
		}
	case crm.AggMin, crm.AggMax:
		fn := "MIN("
		if m.Func == crm.AggMax {
			fn = "MAX("
		}
		e := fn + ref + ")"
		if pg && numeric {
			e += "::text"
		}
		mc.exprs = []string{e}
	default:
		return mc, fmt.Errorf("sqlstore: aggregate %s is not lowered by the planner", m.Func)
	}
	if c.f.Type == crm.TypeMoney && m.Func != crm.AggCountColumn {
		cur := "t0." + quote(c.extra)
		// The currencies summed are one when the least equals the
		// greatest: two plain aggregates, where COUNT(DISTINCT) would
		// sort or hash every group's currencies.
		mc.exprs = append(mc.exprs, "MIN("+cur+")", "MAX("+cur+")")
	}
	return mc, nil
}

var two32 = big.NewInt(1 << 32)

func (d *Driver) readMeasure(mc measureCol, raw []any) (any, error) {
	m, c := mc.m, mc.c
	if m.Func == crm.AggCount || m.Func == crm.AggCountColumn || m.Func == crm.AggCountDistinct {
		n, ok := raw[0].(int64)
		if !ok {
			return nil, fmt.Errorf("aggregate %s: count of type %T", m.Alias, raw[0])
		}
		return n, nil
	}
	if !m.Diff.IsZero() {
		return readDiffMeasure(m, raw[0])
	}
	var currency crm.Currency
	if c.f.Type == crm.TypeMoney {
		k := len(raw) - 2
		if raw[k] != nil {
			least, err := asString(raw[k])
			if err != nil {
				return nil, err
			}
			greatest, err := asString(raw[k+1])
			if err != nil {
				return nil, err
			}
			if least != greatest {
				return nil, fmt.Errorf("%s %s: %w", m.Func, m.Field, crm.ErrCurrencyMismatch)
			}
			currency = crm.Currency(least)
		}
		raw = raw[:k]
	}
	if raw[0] == nil {
		return nil, nil
	}
	if m.Func == crm.AggMin || m.Func == crm.AggMax {
		return d.decode(c, raw[0], string(currency))
	}
	// A sum.
	var total decimal.Decimal
	switch {
	case d.flavor == dialect.Postgres:
		s, err := asString(raw[0])
		if err != nil {
			return nil, err
		}
		if total, err = decimal.NewFromString(s); err != nil {
			return nil, fmt.Errorf("aggregate %s: %w", m.Alias, err)
		}
	case c.repr == reprWide:
		sum := new(big.Int)
		for k := 0; k < wideDigits/8; k++ {
			n, _ := raw[k].(int64)
			sum.Mul(sum, big.NewInt(100_000_000))
			sum.Add(sum, big.NewInt(n))
		}
		count, _ := raw[len(raw)-1].(int64)
		sum.Sub(sum, new(big.Int).Mul(big.NewInt(count), wideOffset))
		total = decimal.NewFromBigInt(sum, -c.scale)
	default:
		hi, _ := raw[0].(int64)
		lo, _ := raw[1].(int64)
		sum := new(big.Int).Mul(big.NewInt(hi), two32)
		sum.Add(sum, big.NewInt(lo))
		total = decimal.NewFromBigInt(sum, -c.scale)
	}
	switch c.f.Type {
	case crm.TypeInteger:
		return total.BigInt().Int64(), nil
	case crm.TypeMoney:
		return crm.Money{Amount: total, Currency: currency}, nil
	}
	return total, nil
}

// textExtreme fills the minimum or maximum of a text field into the rows:
// crm orders text by its folded form, then by its exact bytes, so the
// answer is the first row of each group in that order.
func (d *Driver) textExtreme(ctx context.Context, q querier, tb *table, joins string, p *driver.AggregatePlan,
	groups []groupCol, gexprs []string, mc measureCol, bySig map[string]crm.AggregateRow) error {
	ref := "t0." + quote(mc.c.name)
	dir := " ASC"
	if mc.m.Func == crm.AggMax {
		dir = " DESC"
	}
	b := d.newBuilder()
	b.aliases = strings.Count(joins, " JOIN ") // the joins' aliases are taken
	where := b.filter(tb, "t0", p.Where)
	var inner, outer []string
	for i, e := range gexprs {
		inner = append(inner, e+" AS g"+strconv.Itoa(i))
		outer = append(outer, "s.g"+strconv.Itoa(i))
	}
	window := "ORDER BY lower(" + ref + ")" + dir + ", " + ref + dir
	if len(gexprs) > 0 {
		window = "PARTITION BY " + strings.Join(gexprs, ", ") + " " + window
	}
	inner = append(inner, ref+" AS v", "ROW_NUMBER() OVER ("+window+") AS rn")
	outer = append(outer, "s.v")
	query := "SELECT " + strings.Join(outer, ", ") + " FROM (SELECT " + strings.Join(inner, ", ") +
		" FROM " + tb.ref + " t0" + joins + " WHERE (" + where + ") AND " + ref + " IS NOT NULL) s WHERE s.rn = 1"
	if b.err != nil {
		return b.err
	}
	rows, err := q.QueryContext(ctx, query, b.args...)
	if err != nil {
		return d.mapErr("aggregate "+tb.entity.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		raw := make([]any, len(gexprs)+1)
		ptrs := make([]any, len(raw))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return d.mapErr("aggregate "+tb.entity.Name, err)
		}
		sig, err := d.readGroups(groups, raw, crm.AggregateRow{})
		if err != nil {
			return err
		}
		if row, ok := bySig[sig]; ok {
			if row[mc.m.Alias], err = d.decode(mc.c, raw[len(raw)-1], nil); err != nil {
				return err
			}
		}
	}
	return d.mapErr("aggregate "+tb.entity.Name, rows.Err())
}
