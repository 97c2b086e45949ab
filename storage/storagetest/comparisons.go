package storagetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// comparisonSchema is a registry with one entity, opportunity, whose fields
// come in pairs of one type for field-to-field comparisons: text, integers,
// yes/no, money (one currency per record is not enforced: multi-currency is
// off), date-only and date-and-time fields, and decimals kept at four
// precisions. On SQLite d2 and d4 are scaled int64s, d10 (precision 10 with
// the default bounds) and d0w (precision 0 up to 10^30) are wide text: the
// comparisons between them cross scales and forms.
func comparisonSchema() *crm.Registry {
	reg := crm.NewRegistry()
	bigBound := decimal.New(1, 30)
	negBound := bigBound.Neg()
	if err := reg.Register(&crm.Entity{
		Name: "opportunity", PrimaryName: "name",
		Fields: []crm.Field{
			{Name: "name", Type: crm.TypeText},
			{Name: "topic", Type: crm.TypeText},
			{Name: "i1", Type: crm.TypeInteger},
			{Name: "i2", Type: crm.TypeInteger},
			{Name: "b1", Type: crm.TypeBool},
			{Name: "b2", Type: crm.TypeBool},
			{Name: "estimatedvalue", Type: crm.TypeMoney},
			{Name: "actualvalue", Type: crm.TypeMoney},
			{Name: "d2", Type: crm.TypeDecimal, Precision: 2},
			{Name: "d4", Type: crm.TypeDecimal, Precision: 4},
			{Name: "d10", Type: crm.TypeDecimal, Precision: 10},
			{Name: "d0w", Type: crm.TypeDecimal, Precision: 0, Min: &negBound, Max: &bigBound},
			{Name: "estimatedclosedate", Type: crm.TypeTime, DateOnly: true},
			{Name: "actualclosedate", Type: crm.TypeTime, DateOnly: true},
			{Name: "closedon", Type: crm.TypeTime},
			{Name: "stage", Type: crm.TypeChoice, Options: []crm.Option{
				{Value: 1, Label: "Qualify"}, {Value: 2, Label: "Develop"}, {Value: 3, Label: "Propose"}}},
			{Name: "primarycontactid", Type: crm.TypeLookup, Targets: []string{"opportunity"}},
		},
	}); err != nil {
		panic("storagetest: comparison schema: " + err.Error())
	}
	return reg
}

// The comparison fixture: opportunities o1..o8 (IDs testID(301..308)),
// each created at noon UTC on 15 March 2026 (the clock's time) unless the
// row says otherwise.
//
//	#  name   topic  i1 i2 b1    b2    estimated   actual      estclose   actclose   closedon
//	1  Alpha  alpha  1  2  true  true  100 USD     120 USD     2026-03-01 2026-03-05 2026-03-15 23:59
//	2  Beta   beta2  5  5  true  false 100 USD     100 USD     2026-03-10 2026-03-10 2026-03-16 00:01
//	3  Émile  émile  7  -  false false 100 USD     90 EUR      2026-03-20 2026-03-10 2026-04-14 12:00
//	4  delta  DELTA  -  3  -     true  -           50 USD      -          2026-03-10 2026-04-15 00:00
//	5  Zed    ZED    -2 -3 false -     200 EUR     150 EUR     2026-04-01 2026-05-01 1999-12-31 23:00
//	6  eta    Eta    0  0  true  true  10 USD      -           2026-03-01 -          1960-01-01 23:30
//	7  Theta  theta  9  1  -     -     -           -           -          -          -
//	8  iota   Iota   3  4  true  false 1 USD       2 USD       1969-12-31 1970-01-01 2026-03-15 12:59
//
// The decimals, d2 / d4 / d10 / d0w: see decimalRows.
func loadComparisons(t *testing.T, e *env) {
	t.Helper()
	m := crm.MustMoney
	dt := func(y int, mo time.Month, d, h, mi int) time.Time { return utc(y, mo, d, h, mi) }
	rows := []crm.Fields{
		{"name": "Alpha", "topic": "alpha", "i1": 1, "i2": 2, "b1": true, "b2": true,
			"estimatedvalue": m("100 USD"), "actualvalue": m("120 USD"),
			"estimatedclosedate": day(2026, 3, 1), "actualclosedate": day(2026, 3, 5), "closedon": dt(2026, 3, 15, 23, 59), "stage": 1},
		{"name": "Beta", "topic": "beta2", "i1": 5, "i2": 5, "b1": true, "b2": false,
			"estimatedvalue": m("100 USD"), "actualvalue": m("100 USD"),
			"estimatedclosedate": day(2026, 3, 10), "actualclosedate": day(2026, 3, 10), "closedon": dt(2026, 3, 16, 0, 1), "stage": 2},
		{"name": "Émile", "topic": "émile", "i1": 7, "b1": false, "b2": false,
			"estimatedvalue": m("100 USD"), "actualvalue": m("90 EUR"),
			"estimatedclosedate": day(2026, 3, 20), "actualclosedate": day(2026, 3, 10), "closedon": dt(2026, 4, 14, 12, 0), "stage": 3},
		{"name": "delta", "topic": "DELTA", "i2": 3, "b2": true, "actualvalue": m("50 USD"),
			"actualclosedate": day(2026, 3, 10), "closedon": dt(2026, 4, 15, 0, 0), "stage": 2},
		{"name": "Zed", "topic": "ZED", "i1": -2, "i2": -3, "b1": false,
			"estimatedvalue": m("200 EUR"), "actualvalue": m("150 EUR"),
			"estimatedclosedate": day(2026, 4, 1), "actualclosedate": day(2026, 5, 1), "closedon": dt(1999, 12, 31, 23, 0), "stage": 2},
		{"name": "eta", "topic": "Eta", "i1": 0, "i2": 0, "b1": true, "b2": true, "estimatedvalue": m("10 USD"),
			"estimatedclosedate": day(2026, 3, 1), "closedon": dt(1960, 1, 1, 23, 30)},
		{"name": "Theta", "topic": "theta", "i1": 9, "i2": 1},
		{"name": "iota", "topic": "Iota", "i1": 3, "i2": 4, "b1": true, "b2": false,
			"estimatedvalue": m("1 USD"), "actualvalue": m("2 USD"),
			"estimatedclosedate": day(1969, 12, 31), "actualclosedate": day(1970, 1, 1), "closedon": dt(2026, 3, 15, 12, 59), "stage": 1},
	}
	for i, r := range rows {
		for k, v := range decimalRows[i] {
			if v != "" {
				r[k] = dec(v)
			}
		}
		e.createWithID("opportunity", testID(301+i), r)
	}
}

// decimalRows are the decimals of o1..o8: equal values at different
// scales, values that differ only in digits the coarser field cannot
// keep, negatives (where SQLite's / and % round toward zero), and values
// near the fields' bounds.
var decimalRows = []map[string]string{
	{"d2": "1.50", "d4": "1.5000", "d10": "1.5000000000", "d0w": "1"},
	{"d2": "1.50", "d4": "1.5001", "d10": "1.4999999999", "d0w": "2"},
	{"d2": "-1.50", "d4": "-1.5001", "d10": "-1.5000000001", "d0w": "-2"},
	{"d2": "-0.01", "d4": "0", "d10": "-0.0000000001", "d0w": "0"},
	{"d4": "3", "d10": "3", "d0w": "3"},
	{"d2": "99999999999.99", "d4": "-99999999999.9999", "d10": "99999999999.9999999999", "d0w": "100000000000000000000000000000"},
	{"d2": "-99999999999.99", "d4": "-99999999999.9999", "d10": "-99999999999.9999999999", "d0w": "-100000000000000000000000000000"},
	{"d2": "-3.00", "d4": "-3", "d10": "-3", "d0w": "-3"},
}

func testComparisons(t *testing.T, open Opener) {
	reg := comparisonSchema()
	e := newEnvFor(t, open(t, reg), reg)
	loadComparisons(t, e)
	ids := func(t *testing.T, where crm.Filter) []string {
		t.Helper()
		recs := e.all(crm.Query{Entity: "opportunity", Where: where})
		return names(recs, "name")
	}
	refused := func(t *testing.T, where crm.Filter, field string) {
		t.Helper()
		_, err := e.store.Count(e.ctx, crm.Query{Entity: "opportunity", Where: where})
		requireInvalid(t, err, field)
	}

	t.Run("closed after the estimated close date: date-only fields compare as dates", func(t *testing.T) {
		require.Equal(t, []string{"Alpha", "Zed", "iota"}, ids(t, crm.Gt("actualclosedate", crm.ValueOf("estimatedclosedate"))))
		require.Equal(t, []string{"Beta"}, ids(t, crm.Eq("actualclosedate", crm.ValueOf("estimatedclosedate"))))
		require.Equal(t, []string{"Alpha", "Émile", "Zed", "iota"}, ids(t, crm.Ne("actualclosedate", crm.ValueOf("estimatedclosedate"))),
			"a null on either side matches no comparison, ne included")
	})

	t.Run("date-and-time fields compare as instants, the header's too", func(t *testing.T) {
		require.Equal(t, []string{"Alpha", "Beta", "Émile", "delta", "iota"}, ids(t, crm.Gt("closedon", crm.ValueOf(crm.FieldCreatedOn))))
		require.Equal(t, []string{"Zed", "eta"}, ids(t, crm.Lt("closedon", crm.ValueOf(crm.FieldCreatedOn))))
	})

	t.Run("text compares folded as text conditions do", func(t *testing.T) {
		require.Equal(t, []string{"Alpha", "delta", "Zed", "eta", "Theta", "iota"}, ids(t, crm.Eq("name", crm.ValueOf("topic"))))
		// "Émile" and "émile" differ outside ASCII: É (C3 89) sorts before é (C3 A9).
		require.Equal(t, []string{"Beta", "Émile"}, ids(t, crm.Lt("name", crm.ValueOf("topic"))))
		require.Equal(t, []string{"Beta", "Émile"}, ids(t, crm.Ne("topic", crm.ValueOf("name"))))
	})

	t.Run("integers and yes/no", func(t *testing.T) {
		require.Equal(t, []string{"Beta", "Zed", "eta", "Theta"}, ids(t, crm.Ge("i1", crm.ValueOf("i2"))))
		require.Equal(t, []string{"Alpha", "iota"}, ids(t, crm.Lt("i1", crm.ValueOf("i2"))))
		require.Equal(t, []string{"Alpha", "Émile", "eta"}, ids(t, crm.Eq("b1", crm.ValueOf("b2"))))
		require.Equal(t, []string{"Beta", "iota"}, ids(t, crm.Ne("b1", crm.ValueOf("b2"))))
	})

	t.Run("money compares amounts within one currency only", func(t *testing.T) {
		require.Equal(t, []string{"Alpha", "iota"}, ids(t, crm.Gt("actualvalue", crm.ValueOf("estimatedvalue"))))
		require.Equal(t, []string{"Zed"}, ids(t, crm.Lt("actualvalue", crm.ValueOf("estimatedvalue"))))
		require.Equal(t, []string{"Alpha", "Zed", "iota"}, ids(t, crm.Ne("actualvalue", crm.ValueOf("estimatedvalue"))),
			"Émile's amounts are in USD and EUR: no comparison holds")
	})

	t.Run("decimals of different precisions and forms compare by value", func(t *testing.T) {
		fields := []string{"d2", "d4", "d10", "d0w"}
		ops := []crm.Operator{crm.OpEq, crm.OpNe, crm.OpLt, crm.OpLe, crm.OpGt, crm.OpGe}
		for _, a := range fields {
			for _, b := range fields {
				for _, op := range ops {
					var want []string
					for i, row := range decimalRows {
						if row[a] == "" || row[b] == "" {
							continue
						}
						if cmpHolds(op, dec(row[a]).Cmp(dec(row[b]))) {
							want = append(want, fmt.Sprintf("o%d", i+1))
						}
					}
					got := e.all(crm.Query{Entity: "opportunity", Where: crm.Where(a, op, crm.ValueOf(b))})
					var gotIDs []string
					for _, r := range got {
						for i := range decimalRows {
							if r.ID == testID(301+i) {
								gotIDs = append(gotIDs, fmt.Sprintf("o%d", i+1))
							}
						}
					}
					require.Equal(t, want, gotIDs, "%s %s valueof(%s)", a, op, b)
				}
			}
		}
	})

	t.Run("a related record's fields compare with each other", func(t *testing.T) {
		_, err := e.store.Update(e.ctx, crm.Record{Entity: "opportunity", Header: crm.Header{ID: testID(307)},
			Fields: crm.Fields{"primarycontactid": crm.Ref{Entity: "opportunity", ID: testID(301)}}})
		require.NoError(t, err)
		require.Equal(t, []string{"Theta"}, ids(t, crm.Through("primarycontactid", "", crm.Gt("actualclosedate", crm.ValueOf("estimatedclosedate")))))
	})

	t.Run("days between counts UTC calendar days crossed", func(t *testing.T) {
		// Created at noon on 15 March 2026: Alpha closed at 23:59 that day
		// (0), Beta a minute past midnight (1), Émile 30 days later at
		// noon, delta at midnight after 31 days; Zed and eta before 1970.
		created := crm.DaysBetween(crm.FieldCreatedOn, "closedon")
		require.Equal(t, []string{"Alpha", "iota"}, ids(t, created.Eq(0)))
		require.Equal(t, []string{"Beta"}, ids(t, created.Eq(1)))
		require.Equal(t, []string{"delta"}, ids(t, created.Gt(30)))
		require.Equal(t, []string{"Émile", "delta"}, ids(t, created.Ge(30)))
		require.Equal(t, []string{"Zed"}, ids(t, created.Eq(-9571)))
		require.Equal(t, []string{"eta"}, ids(t, created.Eq(-24180)))
		require.Equal(t, []string{"Alpha", "Beta", "Émile", "delta", "iota"}, ids(t, created.Ge(0)), "null closedon never matches")
		late := crm.DaysBetween("estimatedclosedate", "actualclosedate")
		require.Equal(t, []string{"Alpha", "Zed", "iota"}, ids(t, late.Gt(0)))
		require.Equal(t, []string{"Zed"}, ids(t, late.Eq(30)))
		require.Equal(t, []string{"Émile"}, ids(t, late.Lt(0)))
		require.Equal(t, []string{"iota"}, ids(t, late.Eq(1)), "across 1970")
		require.Equal(t, []string{"Alpha", "Émile", "Zed", "iota"}, ids(t, crm.Or(late.Ne(0), late.Eq(1))))
	})

	t.Run("hours between counts UTC clock hours crossed", func(t *testing.T) {
		h := crm.HoursBetween(crm.FieldCreatedOn, "closedon")
		require.Equal(t, []string{"iota"}, ids(t, h.Eq(0)), "12:00 to 12:59")
		require.Equal(t, []string{"Alpha"}, ids(t, h.Eq(11)))
		require.Equal(t, []string{"Beta"}, ids(t, h.Eq(12)))
		require.Equal(t, []string{"eta"}, ids(t, h.Eq(-580309)), "before 1970, floored")
	})

	t.Run("measures of a date difference", func(t *testing.T) {
		late := crm.DaysBetween("estimatedclosedate", "actualclosedate")
		rows, err := e.store.Aggregate(e.ctx, crm.Aggregation{Entity: "opportunity",
			GroupBy: []crm.GroupBy{{Field: "stage"}},
			Measures: []crm.Measure{
				{Alias: "n", Func: crm.AggCountColumn, Diff: late},
				{Alias: "total", Func: crm.AggSum, Diff: late},
				{Alias: "avg", Func: crm.AggAvg, Diff: late},
				{Alias: "least", Func: crm.AggMin, Diff: late},
				{Alias: "most", Func: crm.AggMax, Diff: late},
			}})
		require.NoError(t, err)
		requireRows(t, []crm.AggregateRow{
			{"stage": nil, "n": int64(0), "total": nil, "avg": nil, "least": nil, "most": nil},
			{"stage": int32(1), "n": int64(2), "total": int64(5), "avg": dec("2.5"), "least": int64(1), "most": int64(4)},
			{"stage": int32(2), "n": int64(2), "total": int64(30), "avg": dec("15"), "least": int64(0), "most": int64(30)},
			{"stage": int32(3), "n": int64(1), "total": int64(-10), "avg": dec("-10"), "least": int64(-10), "most": int64(-10)},
		}, rows)
		rows, err = e.store.Aggregate(e.ctx, crm.Aggregation{Entity: "opportunity",
			Where:    crm.NotNull("closedon"),
			Measures: []crm.Measure{{Alias: "avg", Func: crm.AggAvg, Diff: crm.DaysBetween(crm.FieldCreatedOn, "closedon")}}})
		require.NoError(t, err)
		// (0 + 1 + 30 + 31 - 9571 - 24180 + 0) / 7
		requireRows(t, []crm.AggregateRow{{"avg": dec("-4812.7142857143")}}, rows)
	})

	t.Run("an option's label is a value of its choice field", func(t *testing.T) {
		require.Equal(t, []string{"Beta", "delta", "Zed"}, ids(t, crm.Eq("stage", "develop")))
		require.Equal(t, []string{"Beta", "delta", "Zed"}, ids(t, crm.Eq("stage", " Develop ")))
		require.Equal(t, []string{"Alpha", "Émile", "iota"}, ids(t, crm.In("stage", "Qualify", "PROPOSE")))
		require.Equal(t, []string{"Beta", "Émile", "delta", "Zed"}, ids(t, crm.Ge("stage", "Develop")))
		require.Equal(t, []string{"Alpha", "Beta", "Émile", "delta", "Zed", "iota"}, ids(t, crm.Lt("stage", 99)), "a bound need not be an option")
		refused(t, crm.Eq("stage", "Won"), "stage")
		refused(t, crm.In("stage", "Qualify", "Won"), "stage")
		refused(t, crm.Eq("stage", 99), "stage")
		refused(t, crm.NotIn("stage", 1, 99), "stage")
	})

	t.Run("dates and times as ISO strings", func(t *testing.T) {
		require.Equal(t, []string{"Beta", "Émile", "delta"}, ids(t, crm.Eq("actualclosedate", "2026-03-10")))
		require.Equal(t, []string{"Alpha", "Beta", "Émile", "delta", "iota"}, ids(t, crm.Ge("closedon", "2026-03-15T12:00:00Z")))
		require.Equal(t, []string{"Alpha", "iota"}, ids(t, crm.Where("closedon", crm.OpOn, "2026-03-15")))
		require.Equal(t, []string{"Alpha", "Beta", "iota"}, ids(t, crm.Between("closedon", "2026-03-15", "2026-03-16T00:01:00+00:00")))
		refused(t, crm.Eq("actualclosedate", "2026-03-10T00:00:00Z"), "actualclosedate")
		refused(t, crm.Eq("closedon", "15 March"), "closedon")
	})

	t.Run("money needs its currency where the field has none of its own", func(t *testing.T) {
		refused(t, crm.Eq("actualvalue", dec("100")), "actualvalue")
		_, err := e.store.Count(e.ctx, crm.Query{Entity: "opportunity", Where: crm.Eq("actualvalue", dec("100"))})
		require.ErrorContains(t, err, "crm.Money")
	})

	t.Run("comparisons that cannot hold are validation errors", func(t *testing.T) {
		refused(t, crm.Eq("name", crm.ValueOf("nosuchfield")), "name")
		refused(t, crm.Eq("name", crm.ValueOf("i1")), "name")
		refused(t, crm.Gt("closedon", crm.ValueOf("actualclosedate")), "closedon")
		refused(t, crm.Gt("b1", crm.ValueOf("b2")), "b1")
		refused(t, crm.Eq("primarycontactid", crm.ValueOf(crm.FieldID)), "primarycontactid")
		refused(t, crm.In("i1", crm.ValueOf("i2")), "i1")
		refused(t, crm.Between("i1", 0, crm.ValueOf("i2")), "i1")
		refused(t, crm.DaysBetween("name", "closedon").Gt(1), "name")
		refused(t, crm.DaysBetween("closedon", "nosuch").Gt(1), "closedon")
		refused(t, crm.HoursBetween("estimatedclosedate", "closedon").Gt(1), "estimatedclosedate")
		refused(t, crm.DiffCondition{Diff: crm.DaysBetween(crm.FieldCreatedOn, "closedon"), Op: crm.OpLike}, crm.FieldCreatedOn)
		refused(t, crm.DiffCondition{Diff: crm.DateDiff{From: "closedon", To: "closedon"}}, "closedon")
		_, err := e.store.Aggregate(e.ctx, crm.Aggregation{Entity: "opportunity", Measures: []crm.Measure{
			{Alias: "x", Func: crm.AggAvg, Field: "i1", Diff: crm.DaysBetween("closedon", "closedon")}}})
		requireInvalid(t, err, "x")
		_, err = e.store.Aggregate(e.ctx, crm.Aggregation{Entity: "opportunity", Measures: []crm.Measure{
			{Alias: "x", Func: crm.AggSum, Diff: crm.DaysBetween("name", "closedon")}}})
		requireInvalid(t, err, "x")
	})
}

// testBaseComparisons: on a priced entity a base field is in the base
// currency, so it takes a plain decimal, refuses another currency, and
// compares with other base fields only.
func testBaseComparisons(t *testing.T, open Opener) {
	reg := pricedSchema(t)
	e := newEnvFor(t, open(t, reg), reg)
	e.create(crm.CurrencyEntity, crm.Fields{crm.FieldISOCurrencyCode: "EUR", crm.FieldCurrencyName: "Euro",
		crm.FieldExchangeRate: dec("0.5")})
	m := crm.MustMoney
	e.create("deal", crm.Fields{"name": "a", "amount": m("100.00 EUR"), "priceperunit": m("150.0000 EUR")}) // base 200, 300
	e.create("deal", crm.Fields{"name": "b", "amount": m("100.00 USD"), "priceperunit": m("50.0000 USD")})
	e.create("deal", crm.Fields{"name": "c", "amount": m("40.00 EUR")}) // base 80
	ids := func(t *testing.T, where crm.Filter) []string {
		t.Helper()
		return names(e.all(crm.Query{Entity: "deal", Where: where}), "name")
	}
	refused := func(t *testing.T, where crm.Filter, field string) {
		t.Helper()
		_, err := e.store.Count(e.ctx, crm.Query{Entity: "deal", Where: where})
		requireInvalid(t, err, field)
	}
	require.Equal(t, []string{"a", "b"}, ids(t, crm.Ge("amount_base", dec("100"))))
	require.Equal(t, []string{"a"}, ids(t, crm.Eq("amount_base", dec("200"))))
	require.Equal(t, []string{"b", "c"}, ids(t, crm.Lt("amount_base", m("150 USD"))))
	require.Equal(t, []string{"a"}, ids(t, crm.Gt("priceperunit_base", crm.ValueOf("amount_base"))))
	require.Equal(t, []string{"a"}, ids(t, crm.Gt("priceperunit", crm.ValueOf("amount"))))
	refused(t, crm.Eq("amount_base", m("200 EUR")), "amount_base")
	refused(t, crm.Eq("amount", dec("100")), "amount")
	refused(t, crm.Gt("amount", crm.ValueOf("amount_base")), "amount")
}

func cmpHolds(op crm.Operator, c int) bool {
	switch op {
	case crm.OpEq:
		return c == 0
	case crm.OpNe:
		return c != 0
	case crm.OpLt:
		return c < 0
	case crm.OpLe:
		return c <= 0
	case crm.OpGt:
		return c > 0
	}
	return c >= 0
}
