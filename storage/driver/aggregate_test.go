package driver_test

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// aggregate runs a through an Accumulator and Finish, as the memory store
// does.
func aggregate(t *testing.T, reg *crm.Registry, a crm.Aggregation, recs ...crm.Record) ([]crm.AggregateRow, error) {
	t.Helper()
	a.Entity = "account"
	p, err := driver.PlanAggregate(reg, a, date(2024, 6, 15), nil, driver.Principal{})
	require.NoError(t, err)
	acc := p.NewAccumulator()
	for _, r := range recs {
		ok, err := p.Match(r, nil)
		require.NoError(t, err)
		if ok {
			acc.Add(driver.RecordRow(&r))
		}
	}
	rows, err := acc.Rows()
	if err != nil {
		return nil, err
	}
	return p.Finish(rows), nil
}

func acct(fields crm.Fields) crm.Record {
	return crm.Record{Entity: "account", Header: crm.Header{ID: crm.NewID()}, Fields: fields}
}

func TestAggregate(t *testing.T) {
	reg := testRegistry(t)

	t.Run("averages round half away from zero", func(t *testing.T) {
		rows, err := aggregate(t, reg, crm.Aggregation{Measures: []crm.Measure{
			{Alias: "avg_employees", Func: crm.AggAvg, Field: "employees"},
			{Alias: "avg_revenue", Func: crm.AggAvg, Field: "revenue"},
			{Alias: "avg_score", Func: crm.AggAvg, Field: "score"},
		}},
			acct(crm.Fields{"employees": int64(1), "revenue": crm.MustMoney("0.01 USD"), "score": dec("0.01")}),
			acct(crm.Fields{"employees": int64(1), "revenue": crm.MustMoney("0.00 USD"), "score": dec("0.01")}),
			acct(crm.Fields{"employees": int64(0), "score": dec("0.00")}),
		)
		require.NoError(t, err)
		require.Len(t, rows, 1)
		row := rows[0]
		require.True(t, dec("0.6666666667").Equal(row["avg_employees"].(decimal.Decimal)), "%v", row["avg_employees"])
		require.Equal(t, crm.MustMoney("0.01 USD"), row["avg_revenue"], "0.005 USD rounds away from zero; nulls are not counted")
		require.True(t, dec("0.0066666667").Equal(row["avg_score"].(decimal.Decimal)))
		require.NotContains(t, row, "_sum_avg_employees", "the parts of an average are not returned")
		require.NotContains(t, row, "_count_avg_employees")
	})
	t.Run("negative averages round away from zero", func(t *testing.T) {
		rows, err := aggregate(t, reg, crm.Aggregation{Measures: []crm.Measure{{Alias: "a", Func: crm.AggAvg, Field: "revenue"}}},
			acct(crm.Fields{"revenue": crm.MustMoney("-0.01 USD")}),
			acct(crm.Fields{"revenue": crm.MustMoney("0.00 USD")}),
		)
		require.NoError(t, err)
		require.Equal(t, crm.MustMoney("-0.01 USD"), rows[0]["a"])
	})
	t.Run("functions over no values are nil, counts are zero", func(t *testing.T) {
		rows, err := aggregate(t, reg, crm.Aggregation{Measures: []crm.Measure{
			{Alias: "n", Func: crm.AggCount},
			{Alias: "with_revenue", Func: crm.AggCountColumn, Field: "revenue"},
			{Alias: "total", Func: crm.AggSum, Field: "revenue"},
			{Alias: "average", Func: crm.AggAvg, Field: "employees"},
			{Alias: "lowest", Func: crm.AggMin, Field: "name"},
			{Alias: "highest", Func: crm.AggMax, Field: "lastcontacted"},
		}}, acct(crm.Fields{"name": "x"}))
		require.NoError(t, err)
		require.Equal(t, []crm.AggregateRow{{
			"n": int64(1), "with_revenue": int64(0), "total": nil, "average": nil, "lowest": "x", "highest": nil,
		}}, rows)
	})
	t.Run("no records and no groups is one row", func(t *testing.T) {
		rows, err := aggregate(t, reg, crm.Aggregation{Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}, {Alias: "s", Func: crm.AggSum, Field: "employees"}}})
		require.NoError(t, err)
		require.Equal(t, []crm.AggregateRow{{"n": int64(0), "s": nil}}, rows)
	})
	t.Run("no records with groups is no rows", func(t *testing.T) {
		rows, err := aggregate(t, reg, crm.Aggregation{GroupBy: []crm.GroupBy{{Field: "industry"}}, Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}})
		require.NoError(t, err)
		require.Empty(t, rows)
	})
	t.Run("sums keep their type", func(t *testing.T) {
		rows, err := aggregate(t, reg, crm.Aggregation{Measures: []crm.Measure{
			{Alias: "e", Func: crm.AggSum, Field: "employees"},
			{Alias: "s", Func: crm.AggSum, Field: "score"},
			{Alias: "r", Func: crm.AggSum, Field: "revenue"},
		}},
			acct(crm.Fields{"employees": int64(2), "score": dec("1.25"), "revenue": crm.MustMoney("1.10 USD")}),
			acct(crm.Fields{"employees": int64(3), "score": dec("-0.25"), "revenue": crm.MustMoney("2.20 USD")}),
		)
		require.NoError(t, err)
		require.Equal(t, int64(5), rows[0]["e"])
		require.Equal(t, "1.00", rows[0]["s"].(decimal.Decimal).StringFixed(2))
		require.Equal(t, crm.MustMoney("3.30 USD").String(), rows[0]["r"].(crm.Money).String())
	})
	t.Run("money of two currencies cannot be summed", func(t *testing.T) {
		_, err := aggregate(t, reg, crm.Aggregation{Measures: []crm.Measure{{Alias: "r", Func: crm.AggSum, Field: "revenue"}}},
			acct(crm.Fields{"revenue": crm.MustMoney("1 USD")}),
			acct(crm.Fields{"revenue": crm.MustMoney("1 EUR")}),
		)
		require.ErrorIs(t, err, crm.ErrCurrencyMismatch)
	})
	t.Run("money of two currencies has no minimum", func(t *testing.T) {
		_, err := aggregate(t, reg, crm.Aggregation{Measures: []crm.Measure{{Alias: "r", Func: crm.AggMin, Field: "revenue"}}},
			acct(crm.Fields{"revenue": crm.MustMoney("1 USD")}),
			acct(crm.Fields{"revenue": crm.MustMoney("1 EUR")}),
		)
		require.ErrorIs(t, err, crm.ErrCurrencyMismatch)
	})
	t.Run("grouped money of one currency per group sums", func(t *testing.T) {
		rows, err := aggregate(t, reg, crm.Aggregation{
			GroupBy:  []crm.GroupBy{{Alias: "ind", Field: "industry"}},
			Measures: []crm.Measure{{Alias: "r", Func: crm.AggSum, Field: "revenue"}},
		},
			acct(crm.Fields{"industry": int32(1), "revenue": crm.MustMoney("1 USD")}),
			acct(crm.Fields{"industry": int32(2), "revenue": crm.MustMoney("1 EUR")}),
		)
		require.NoError(t, err)
		require.Len(t, rows, 2)
	})
	t.Run("min and max of text ignore case, then order by bytes", func(t *testing.T) {
		rows, err := aggregate(t, reg, crm.Aggregation{Measures: []crm.Measure{
			{Alias: "lo", Func: crm.AggMin, Field: "name"},
			{Alias: "hi", Func: crm.AggMax, Field: "name"},
		}}, acct(crm.Fields{"name": "beta"}), acct(crm.Fields{"name": "Alpha"}), acct(crm.Fields{"name": "alpha"}), acct(crm.Fields{"name": "BETA"}))
		require.NoError(t, err)
		require.Equal(t, "Alpha", rows[0]["lo"])
		require.Equal(t, "beta", rows[0]["hi"])
	})
	t.Run("groups are ordered by their keys, nulls first", func(t *testing.T) {
		rows, err := aggregate(t, reg, crm.Aggregation{
			GroupBy:  []crm.GroupBy{{Field: "industry"}, {Alias: "nm", Field: "name"}},
			Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}},
		},
			acct(crm.Fields{"industry": int32(2), "name": "b"}),
			acct(crm.Fields{"industry": int32(1), "name": "b"}),
			acct(crm.Fields{"name": "z"}),
			acct(crm.Fields{"industry": int32(1), "name": "B"}),
			acct(crm.Fields{"industry": int32(1)}),
			acct(crm.Fields{"industry": int32(1), "name": "a"}),
			acct(crm.Fields{"industry": int32(1), "name": "b"}),
		)
		require.NoError(t, err)
		var keys [][2]any
		for _, r := range rows {
			keys = append(keys, [2]any{r["industry"], r["nm"]})
		}
		require.Equal(t, [][2]any{
			{nil, "z"}, {int32(1), nil}, {int32(1), "a"}, {int32(1), "B"}, {int32(1), "b"}, {int32(2), "b"},
		}, keys)
		require.Equal(t, int64(2), rows[4]["n"])
	})
	t.Run("date groupings start at the unit, in UTC", func(t *testing.T) {
		at := time.Date(2024, 2, 29, 15, 0, 0, 0, time.UTC)
		rows, err := aggregate(t, reg, crm.Aggregation{
			GroupBy: []crm.GroupBy{
				{Alias: "d", Field: "lastcontacted", Date: crm.ByDay},
				{Alias: "m", Field: "lastcontacted", Date: crm.ByMonth},
				{Alias: "y", Field: "lastcontacted", Date: crm.ByYear},
			},
			Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}},
		}, acct(crm.Fields{"lastcontacted": at}), acct(crm.Fields{"lastcontacted": at.Add(time.Hour)}))
		require.NoError(t, err)
		require.Equal(t, []crm.AggregateRow{{"d": date(2024, 2, 29), "m": date(2024, 2, 1), "y": date(2024, 1, 1), "n": int64(2)}}, rows)
	})
	t.Run("lookup groups keep the Ref and order by ID", func(t *testing.T) {
		lo, hi := crm.ID{1}, crm.ID{2}
		rows, err := aggregate(t, reg, crm.Aggregation{
			GroupBy:  []crm.GroupBy{{Alias: "contact", Field: "primarycontactid"}},
			Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}},
		}, acct(crm.Fields{"primarycontactid": crm.Ref{Entity: "contact", ID: hi}}), acct(crm.Fields{"primarycontactid": crm.Ref{Entity: "contact", ID: lo}}))
		require.NoError(t, err)
		require.Equal(t, crm.Ref{Entity: "contact", ID: lo}, rows[0]["contact"])
		require.Equal(t, crm.Ref{Entity: "contact", ID: hi}, rows[1]["contact"])
	})
	t.Run("a filter limits the records", func(t *testing.T) {
		rows, err := aggregate(t, reg, crm.Aggregation{Where: crm.Gt("employees", 1), Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}},
			acct(crm.Fields{"employees": int64(1)}), acct(crm.Fields{"employees": int64(2)}))
		require.NoError(t, err)
		require.Equal(t, int64(1), rows[0]["n"])
	})
}

func TestPlanAggregateRefuses(t *testing.T) {
	reg := testRegistry(t)
	count := crm.Measure{Alias: "n", Func: crm.AggCount}
	tests := []struct {
		name   string
		a      crm.Aggregation
		field  string
		reason string
	}{
		{"no measures", crm.Aggregation{}, "measures", "are empty"},
		{"an alias that is not a name", crm.Aggregation{Measures: []crm.Measure{{Alias: "Total Revenue", Func: crm.AggCount}}}, "Total Revenue", "is not a valid alias"},
		{"an empty alias", crm.Aggregation{Measures: []crm.Measure{{Func: crm.AggCount}}}, "", "is not a valid alias"},
		{"an alias used twice", crm.Aggregation{Measures: []crm.Measure{count, count}}, "n", "used twice"},
		{"a measure alias that repeats a group", crm.Aggregation{GroupBy: []crm.GroupBy{{Field: "industry"}}, Measures: []crm.Measure{{Alias: "industry", Func: crm.AggCount}}}, "industry", "used twice"},
		{"a measure of an unknown field", crm.Aggregation{Measures: []crm.Measure{{Alias: "s", Func: crm.AggSum, Field: "nothing"}}}, "s", `measures "nothing", which is not a field`},
		{"a sum of text", crm.Aggregation{Measures: []crm.Measure{{Alias: "s", Func: crm.AggSum, Field: "name"}}}, "s", "cannot take sum of a text field"},
		{"an average of a choice", crm.Aggregation{Measures: []crm.Measure{{Alias: "s", Func: crm.AggAvg, Field: "industry"}}}, "s", "cannot take avg of a choice field"},
		{"a max of a bool", crm.Aggregation{Measures: []crm.Measure{{Alias: "s", Func: crm.AggMax, Field: "creditonhold"}}}, "s", "cannot take max of a bool field"},
		{"an unknown function", crm.Aggregation{Measures: []crm.Measure{{Alias: "s", Func: 42, Field: "employees"}}}, "s", "cannot take AggFunc(42)"},
		{"a group on an unknown field", crm.Aggregation{GroupBy: []crm.GroupBy{{Field: "nothing"}}, Measures: []crm.Measure{count}}, "nothing", "is not a field"},
		{"a group on money", crm.Aggregation{GroupBy: []crm.GroupBy{{Field: "revenue"}}, Measures: []crm.Measure{count}}, "revenue", "cannot be grouped on: a money field"},
		{"a group on the id", crm.Aggregation{GroupBy: []crm.GroupBy{{Field: crm.FieldID}}, Measures: []crm.Measure{count}}, crm.FieldID, "cannot be grouped on"},
		{"a date grouping on a number", crm.Aggregation{GroupBy: []crm.GroupBy{{Field: "employees", Date: crm.ByMonth}}, Measures: []crm.Measure{count}}, "employees", "has a date grouping but is a integer field"},
		{"an unknown date grouping", crm.Aggregation{GroupBy: []crm.GroupBy{{Field: "lastcontacted", Date: 9}}, Measures: []crm.Measure{count}}, "lastcontacted", "unknown date grouping 9"},
		{"a bad filter", crm.Aggregation{Where: crm.Eq("nothing", 1), Measures: []crm.Measure{count}}, "nothing", "is not a field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.a.Entity = "account"
			_, err := driver.PlanAggregate(reg, tt.a, date(2024, 1, 1), nil, driver.Principal{})
			bad := validationFields(t, err)
			require.Contains(t, bad, tt.field, "bad fields: %v", bad)
			require.Contains(t, bad[tt.field], tt.reason)
		})
	}
	t.Run("an unknown entity is not found", func(t *testing.T) {
		_, err := driver.PlanAggregate(reg, crm.Aggregation{Entity: "nowhere", Measures: []crm.Measure{count}}, date(2024, 1, 1), nil, driver.Principal{})
		require.ErrorIs(t, err, crm.ErrNotFound)
	})
	t.Run("an average is lowered to a sum and a count", func(t *testing.T) {
		p, err := driver.PlanAggregate(reg, crm.Aggregation{Entity: "account", Measures: []crm.Measure{{Alias: "a", Func: crm.AggAvg, Field: "employees"}}}, date(2024, 1, 1), nil, driver.Principal{})
		require.NoError(t, err)
		require.Equal(t, []crm.Measure{
			{Alias: "_sum_a", Func: crm.AggSum, Field: "employees"},
			{Alias: "_count_a", Func: crm.AggCountColumn, Field: "employees"},
		}, p.Measures)
	})
	t.Run("function names", func(t *testing.T) {
		require.Equal(t, "countcolumn", crm.AggCountColumn.String())
		require.Equal(t, "AggFunc(0)", crm.AggFunc(0).String())
	})
}

func TestAggregateRowAccessors(t *testing.T) {
	reg := testRegistry(t)
	rows, err := aggregate(t, reg, crm.Aggregation{
		GroupBy: []crm.GroupBy{{Field: "industry"}, {Alias: "state", Field: crm.FieldState}},
		Measures: []crm.Measure{
			{Alias: "n", Func: crm.AggCount},
			{Alias: "employees", Func: crm.AggSum, Field: "employees"},
			{Alias: "avg_employees", Func: crm.AggAvg, Field: "employees"},
			{Alias: "revenue", Func: crm.AggSum, Field: "revenue"},
			{Alias: "first", Func: crm.AggMin, Field: crm.FieldCreatedOn},
		},
	},
		crm.Record{Entity: "account", Header: crm.Header{ID: crm.NewID(), CreatedOn: date(2024, 1, 2)},
			Fields: crm.Fields{"industry": int32(2), "employees": int64(3), "revenue": crm.MustMoney("10.00 USD")}},
		crm.Record{Entity: "account", Header: crm.Header{ID: crm.NewID(), CreatedOn: date(2024, 1, 1)},
			Fields: crm.Fields{"industry": int32(2), "employees": int64(4), "revenue": crm.MustMoney("2.50 USD")}},
		acct(crm.Fields{}),
	)
	require.NoError(t, err)
	require.Len(t, rows, 2)
	account, err := reg.Entity("account")
	require.NoError(t, err)
	industry, _ := account.Field("industry")
	state, _ := account.Field(crm.FieldState)

	t.Run("values read in their Go types", func(t *testing.T) {
		r := rows[1]
		require.Equal(t, int64(2), r.Int("n"))
		require.Equal(t, int64(7), r.Int("employees"))
		avg, ok := r.Decimal("avg_employees")
		require.True(t, ok)
		require.True(t, dec("3.5").Equal(avg))
		sum, ok := r.Decimal("employees")
		require.True(t, ok, "an integer reads as a decimal too")
		require.True(t, dec("7").Equal(sum))
		m, ok := r.Money("revenue")
		require.True(t, ok)
		require.Equal(t, crm.MustMoney("12.50 USD"), m)
		require.Equal(t, date(2024, 1, 1), r.Time("first"))
		c, ok := r.Choice("industry")
		require.True(t, ok)
		require.Equal(t, int32(2), c)
	})
	t.Run("choice group keys read as their labels from metadata", func(t *testing.T) {
		require.Equal(t, "Retail", rows[1].ChoiceLabel("industry", industry))
		require.Equal(t, "Active", rows[1].ChoiceLabel("state", state), "a state's label is its lifecycle's")
		require.Equal(t, "", rows[0].ChoiceLabel("industry", industry), "the null group has no label")
		require.Equal(t, "7", crm.AggregateRow{"industry": int32(7)}.ChoiceLabel("industry", industry))
	})
	t.Run("absent, null and mistyped values are zero and false", func(t *testing.T) {
		r := rows[0]
		_, ok := r.Choice("industry")
		require.False(t, ok, "the null group")
		_, ok = r.Money("revenue")
		require.False(t, ok, "a sum over no values")
		_, ok = r.Decimal("nosuch")
		require.False(t, ok)
		require.Zero(t, r.Int("nosuch"))
		require.Zero(t, r.String("n"))
		require.True(t, r.Time("nosuch").IsZero())
		require.True(t, r.Ref("nosuch").IsZero())
		require.False(t, r.Bool("nosuch"))
	})
}
