package storagetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/stretchr/testify/require"
)

// requireRows checks aggregate rows exactly: the same rows in the same
// order, each with the same keys, values of the same Go type and equal
// (decimals and money by value).
func requireRows(t *testing.T, want, got []crm.AggregateRow) {
	t.Helper()
	require.Equal(t, formatRows(want), formatRows(got))
}

func formatRows(rows []crm.AggregateRow) string {
	var b strings.Builder
	for _, row := range rows {
		keys := make([]string, 0, len(row))
		for k := range row {
			keys = append(keys, k)
		}
		for _, k := range sorted(keys) {
			v := row[k]
			fmt.Fprintf(&b, "%s=%s(%s) ", k, typeName(v), formatValue(v))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func typeName(v any) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprintf("%T", v)
}

func testAggregates(t *testing.T, open Opener) {
	e := newEnv(t, open)
	f := e.loadFixture()
	agg := func(t *testing.T, a crm.Aggregation) []crm.AggregateRow {
		t.Helper()
		a.Entity = account
		rows, err := e.store.Aggregate(e.ctx, a)
		require.NoError(t, err)
		return rows
	}
	m := func(alias string, fn crm.AggFunc, field string) crm.Measure {
		return crm.Measure{Alias: alias, Func: fn, Field: field}
	}

	t.Run("count and countcolumn: nulls count as rows, not as values", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{Measures: []crm.Measure{
			m("n", crm.AggCount, ""), m("emp", crm.AggCountColumn, "numberofemployees"),
			m("city", crm.AggCountColumn, "city"), m("hold", crm.AggCountColumn, "creditonhold"),
			m("parent", crm.AggCountColumn, "parentaccountid"), m("credit", crm.AggCountColumn, "creditlimit"),
		}})
		requireRows(t, []crm.AggregateRow{{"n": int64(9), "emp": int64(8), "city": int64(8), "hold": int64(6), "parent": int64(2), "credit": int64(7)}}, rows)
	})

	t.Run("integer sum, avg, min and max", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{Measures: []crm.Measure{
			m("sum", crm.AggSum, "numberofemployees"), m("avg", crm.AggAvg, "numberofemployees"),
			m("min", crm.AggMin, "numberofemployees"), m("max", crm.AggMax, "numberofemployees"),
		}})
		requireRows(t, []crm.AggregateRow{{"sum": int64(1000346), "avg": dec("125043.25"), "min": int64(-5), "max": int64(1000000)}}, rows)
	})

	t.Run("decimal sum, avg rounded to ten places, min and max", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{Measures: []crm.Measure{
			m("sum", crm.AggSum, "rating"), m("avg", crm.AggAvg, "rating"),
			m("min", crm.AggMin, "rating"), m("max", crm.AggMax, "rating"),
		}})
		requireRows(t, []crm.AggregateRow{{"sum": dec("20.24"), "avg": dec("2.8914285714"), "min": dec("-1.25"), "max": dec("9.99")}}, rows)
	})

	t.Run("money sum, avg, min and max in one currency", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{Where: crm.Ge("creditlimit", money("-1000000 USD")), Measures: []crm.Measure{
			m("n", crm.AggCountColumn, "creditlimit"), m("sum", crm.AggSum, "creditlimit"), m("avg", crm.AggAvg, "creditlimit"),
			m("min", crm.AggMin, "creditlimit"), m("max", crm.AggMax, "creditlimit"),
		}})
		requireRows(t, []crm.AggregateRow{{"n": int64(5), "sum": money("6032.92 USD"), "avg": money("1206.58 USD"),
			"min": money("-10.00 USD"), "max": money("5000.50 USD")}}, rows)
	})

	t.Run("money sum mixing currencies is ErrCurrencyMismatch", func(t *testing.T) {
		for _, fn := range []crm.AggFunc{crm.AggSum, crm.AggAvg, crm.AggMax} {
			_, err := e.store.Aggregate(e.ctx, crm.Aggregation{Entity: account, Measures: []crm.Measure{m("x", fn, "creditlimit")}})
			require.ErrorIs(t, err, crm.ErrCurrencyMismatch, "%s", fn)
		}
	})

	t.Run("money grouped by a field that splits the currencies", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{Where: crm.Eq("category", 1), GroupBy: []crm.GroupBy{{Field: "city"}},
			Measures: []crm.Measure{m("sum", crm.AggSum, "creditlimit")}})
		requireRows(t, []crm.AggregateRow{
			{"city": "London", "sum": money("200.00 EUR")},
			{"city": "Paris", "sum": money("1000.00 USD")},
			{"city": "Rome", "sum": money("1000.00 EUR")},
		}, rows)
	})

	t.Run("text, time, date-only and choice min and max", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{Measures: []crm.Measure{
			m("minname", crm.AggMin, "name"), m("maxname", crm.AggMax, "name"),
			m("mincity", crm.AggMin, "city"), m("maxcity", crm.AggMax, "city"),
			m("first", crm.AggMin, "lastcontactedon"), m("last", crm.AggMax, "lastcontactedon"),
			m("oldest", crm.AggMin, "foundedon"), m("newest", crm.AggMax, "foundedon"),
			m("mincat", crm.AggMin, "category"), m("maxcat", crm.AggMax, "category"),
		}})
		requireRows(t, []crm.AggregateRow{{
			"minname": nF, "maxname": nM, "mincity": "Berlin", "maxcity": "Zürich",
			"first": utc(2025, 7, 4, 15, 0), "last": utc(2026, 4, 2, 9, 0),
			"oldest": day(1999, 12, 31), "newest": day(2026, 3, 20),
			"mincat": int32(1), "maxcat": int32(2),
		}}, rows)
	})

	t.Run("a filter narrows what is aggregated", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{Where: crm.Eq("city", "PARIS"), Measures: []crm.Measure{
			m("n", crm.AggCount, ""), m("sum", crm.AggSum, "numberofemployees"),
		}})
		requireRows(t, []crm.AggregateRow{{"n": int64(3), "sum": int64(302)}}, rows)
	})

	t.Run("group by a choice puts the null group first", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{GroupBy: []crm.GroupBy{{Alias: "cat", Field: "category"}}, Measures: []crm.Measure{
			m("n", crm.AggCount, ""), m("emp", crm.AggCountColumn, "numberofemployees"), m("sum", crm.AggSum, "numberofemployees"),
			m("maxrating", crm.AggMax, "rating"),
		}})
		requireRows(t, []crm.AggregateRow{
			{"cat": nil, "n": int64(3), "emp": int64(3), "sum": int64(49), "maxrating": dec("2.00")},
			{"cat": int32(1), "n": int64(3), "emp": int64(2), "sum": int64(52), "maxrating": dec("9.99")},
			{"cat": int32(2), "n": int64(3), "emp": int64(3), "sum": int64(1000245), "maxrating": dec("3.25")},
		}, rows)
	})

	t.Run("group by text keeps case-distinct values apart and orders them ignoring case", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{GroupBy: []crm.GroupBy{{Field: "city"}}, Measures: []crm.Measure{m("n", crm.AggCount, "")}})
		requireRows(t, []crm.AggregateRow{
			{"city": nil, "n": int64(1)},
			{"city": "Berlin", "n": int64(1)},
			{"city": "London", "n": int64(1)},
			{"city": "london", "n": int64(1)},
			{"city": "Paris", "n": int64(2)},
			{"city": "paris", "n": int64(1)},
			{"city": "Rome", "n": int64(1)},
			{"city": "Zürich", "n": int64(1)},
		}, rows)
	})

	t.Run("group by a bool and a lookup", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{GroupBy: []crm.GroupBy{{Field: "creditonhold"}}, Measures: []crm.Measure{m("n", crm.AggCount, "")}})
		requireRows(t, []crm.AggregateRow{
			{"creditonhold": nil, "n": int64(3)},
			{"creditonhold": false, "n": int64(3)},
			{"creditonhold": true, "n": int64(3)},
		}, rows)
		rows = agg(t, crm.Aggregation{GroupBy: []crm.GroupBy{{Alias: "parent", Field: "parentaccountid"}}, Measures: []crm.Measure{m("n", crm.AggCount, "")}})
		requireRows(t, []crm.AggregateRow{
			{"parent": nil, "n": int64(7)},
			{"parent": f.accounts[nA].Ref(), "n": int64(1)},
			{"parent": f.accounts[nG].Ref(), "n": int64(1)},
		}, rows)
	})

	t.Run("group by day, month and year", func(t *testing.T) {
		g := func(d crm.DateGrouping) crm.Aggregation {
			return crm.Aggregation{GroupBy: []crm.GroupBy{{Alias: "at", Field: "lastcontactedon", Date: d}},
				Measures: []crm.Measure{m("n", crm.AggCount, ""), m("sum", crm.AggSum, "numberofemployees")}}
		}
		requireRows(t, []crm.AggregateRow{
			{"at": nil, "n": int64(1), "sum": int64(42)},
			{"at": day(2025, 7, 4), "n": int64(1), "sum": int64(-5)},
			{"at": day(2026, 2, 10), "n": int64(1), "sum": int64(0)},
			{"at": day(2026, 3, 10), "n": int64(1), "sum": int64(42)},
			{"at": day(2026, 3, 14), "n": int64(1), "sum": int64(250)},
			{"at": day(2026, 3, 15), "n": int64(2), "sum": int64(1000010)},
			{"at": day(2026, 3, 16), "n": int64(1), "sum": nil},
			{"at": day(2026, 4, 2), "n": int64(1), "sum": int64(7)},
		}, agg(t, g(crm.ByDay)))
		requireRows(t, []crm.AggregateRow{
			{"at": nil, "n": int64(1), "sum": int64(42)},
			{"at": day(2025, 7, 1), "n": int64(1), "sum": int64(-5)},
			{"at": day(2026, 2, 1), "n": int64(1), "sum": int64(0)},
			{"at": day(2026, 3, 1), "n": int64(5), "sum": int64(1000302)},
			{"at": day(2026, 4, 1), "n": int64(1), "sum": int64(7)},
		}, agg(t, g(crm.ByMonth)))
		requireRows(t, []crm.AggregateRow{
			{"at": nil, "n": int64(1), "sum": int64(42)},
			{"at": day(2025, 1, 1), "n": int64(1), "sum": int64(-5)},
			{"at": day(2026, 1, 1), "n": int64(7), "sum": int64(1000309)},
		}, agg(t, g(crm.ByYear)))
	})

	t.Run("group by two keys", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{
			GroupBy:  []crm.GroupBy{{Alias: "cat", Field: "category"}, {Alias: "year", Field: "lastcontactedon", Date: crm.ByYear}},
			Measures: []crm.Measure{m("n", crm.AggCount, "")}})
		requireRows(t, []crm.AggregateRow{
			{"cat": nil, "year": nil, "n": int64(1)},
			{"cat": nil, "year": day(2026, 1, 1), "n": int64(2)},
			{"cat": int32(1), "year": day(2026, 1, 1), "n": int64(3)},
			{"cat": int32(2), "year": day(2025, 1, 1), "n": int64(1)},
			{"cat": int32(2), "year": day(2026, 1, 1), "n": int64(2)},
		}, rows)
	})

	t.Run("no rows: one row of zero counts and null measures when not grouped", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{Where: crm.Eq("name", "nobody"), Measures: []crm.Measure{
			m("n", crm.AggCount, ""), m("c", crm.AggCountColumn, "rating"), m("sum", crm.AggSum, "creditlimit"),
			m("avg", crm.AggAvg, "numberofemployees"), m("min", crm.AggMin, "name"), m("max", crm.AggMax, "lastcontactedon"),
		}})
		requireRows(t, []crm.AggregateRow{{"n": int64(0), "c": int64(0), "sum": nil, "avg": nil, "min": nil, "max": nil}}, rows)
	})

	t.Run("no rows: no groups when grouped", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{Where: crm.Eq("name", "nobody"), GroupBy: []crm.GroupBy{{Field: "city"}},
			Measures: []crm.Measure{m("n", crm.AggCount, "")}})
		require.Empty(t, rows)
	})

	t.Run("only nulls: measures are null, counts are not", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{Where: crm.IsNull("rating"), Measures: []crm.Measure{
			m("n", crm.AggCount, ""), m("c", crm.AggCountColumn, "rating"), m("sum", crm.AggSum, "rating"), m("avg", crm.AggAvg, "rating"),
		}})
		requireRows(t, []crm.AggregateRow{{"n": int64(2), "c": int64(0), "sum": nil, "avg": nil}}, rows)
	})

	t.Run("bad aggregations are validation errors", func(t *testing.T) {
		bad := []struct {
			name  string
			a     crm.Aggregation
			field string
		}{
			{"sum of text", crm.Aggregation{Measures: []crm.Measure{m("x", crm.AggSum, "name")}}, "x"},
			{"avg of a bool", crm.Aggregation{Measures: []crm.Measure{m("x", crm.AggAvg, "creditonhold")}}, "x"},
			{"max of a lookup", crm.Aggregation{Measures: []crm.Measure{m("x", crm.AggMax, "parentaccountid")}}, "x"},
			{"unknown field", crm.Aggregation{Measures: []crm.Measure{m("x", crm.AggSum, "nosuchfield")}}, "x"},
			{"no measures", crm.Aggregation{}, "measures"},
			{"an alias used twice", crm.Aggregation{GroupBy: []crm.GroupBy{{Alias: "x", Field: "city"}}, Measures: []crm.Measure{m("x", crm.AggCount, "")}}, "x"},
			{"group by money", crm.Aggregation{GroupBy: []crm.GroupBy{{Field: "creditlimit"}}, Measures: []crm.Measure{m("n", crm.AggCount, "")}}, "creditlimit"},
			{"group by an unknown field", crm.Aggregation{GroupBy: []crm.GroupBy{{Field: "nosuchfield"}}, Measures: []crm.Measure{m("n", crm.AggCount, "")}}, "nosuchfield"},
			{"date grouping of a non-time field", crm.Aggregation{GroupBy: []crm.GroupBy{{Field: "city", Date: crm.ByMonth}}, Measures: []crm.Measure{m("n", crm.AggCount, "")}}, "city"},
			{"a bad filter", crm.Aggregation{Where: crm.Eq("nosuchfield", 1), Measures: []crm.Measure{m("n", crm.AggCount, "")}}, "nosuchfield"},
		}
		for _, b := range bad {
			t.Run(b.name, func(t *testing.T) {
				b.a.Entity = account
				_, err := e.store.Aggregate(e.ctx, b.a)
				requireInvalid(t, err, b.field)
			})
		}
	})

	t.Run("aggregates use the injected clock for date operators", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{Where: crm.Where("lastcontactedon", crm.OpToday), Measures: []crm.Measure{m("n", crm.AggCount, "")}})
		requireRows(t, []crm.AggregateRow{{"n": int64(2)}}, rows)
		e.clock.Set(now.Add(24 * time.Hour))
		defer e.clock.Set(now)
		rows = agg(t, crm.Aggregation{Where: crm.Where("lastcontactedon", crm.OpToday), Measures: []crm.Measure{m("n", crm.AggCount, "")}})
		requireRows(t, []crm.AggregateRow{{"n": int64(1)}}, rows)
	})
}
