package driver_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

func TestPlanKeepsFieldComparisons(t *testing.T) {
	reg := testRegistry(t)
	p := plan(t, reg, crm.Gt("score", crm.ValueOf("ratio")), date(2024, 1, 1))
	require.Equal(t, crm.Condition{Field: "score", Op: crm.OpGt, Values: []any{crm.FieldValue{Field: "ratio"}}}, p.Where)

	t.Run("decimals of different precisions compare by value", func(t *testing.T) {
		rec := crm.Record{Entity: "account", Fields: crm.Fields{"score": dec("1.50"), "ratio": dec("1.5001")}}
		for op, want := range map[crm.Operator]bool{crm.OpEq: false, crm.OpNe: true, crm.OpLt: true, crm.OpLe: true, crm.OpGt: false, crm.OpGe: false} {
			ok, err := plan(t, reg, crm.Where("score", op, crm.ValueOf("ratio")), date(2024, 1, 1)).Match(rec, nil)
			require.NoError(t, err)
			require.Equal(t, want, ok, "1.50 %s 1.5001", op)
		}
	})
	t.Run("a null on either side matches nothing, ne included", func(t *testing.T) {
		rec := crm.Record{Entity: "account", Fields: crm.Fields{"score": dec("1.50")}}
		ok, err := plan(t, reg, crm.Ne("score", crm.ValueOf("ratio")), date(2024, 1, 1)).Match(rec, nil)
		require.NoError(t, err)
		require.False(t, ok)
	})
	t.Run("text compares folded", func(t *testing.T) {
		rec := crm.Record{Entity: "account", Fields: crm.Fields{"name": "ACME", "accountnumber": "acme"}}
		ok, err := plan(t, reg, crm.Eq("name", crm.ValueOf("accountnumber")), date(2024, 1, 1)).Match(rec, nil)
		require.NoError(t, err)
		require.True(t, ok)
	})
}

func TestPlanRefusesBadComparisons(t *testing.T) {
	reg := testRegistry(t)
	tests := []struct {
		name   string
		where  crm.Filter
		field  string
		reason string
	}{
		{"unknown other field", crm.Eq("name", crm.ValueOf("nickname")), "name", `compares with "nickname", which is not a field of account`},
		{"different types", crm.Eq("employees", crm.ValueOf("score")), "employees", "compares a integer field with score, a decimal field"},
		{"date with date and time", crm.Lt("openedon", crm.ValueOf("lastcontacted")), "openedon", "crm.DaysBetween"},
		{"lookups", crm.Eq("parentaccountid", crm.ValueOf("primarycontactid")), "parentaccountid", "lookups and IDs are not compared"},
		{"order on bools", crm.Lt("creditonhold", crm.ValueOf("creditonhold")), "creditonhold", "a bool field has no order"},
		{"valueof in a list", crm.In("employees", 1, crm.ValueOf("population")), "employees", "value 2 is another field (crm.ValueOf)"},
		{"valueof as a like pattern", crm.Where("name", crm.OpLike, crm.ValueOf("accountnumber")), "name", "crm.ValueOf"},
		{"days from a text field", crm.DaysBetween("name", "lastcontacted").Gt(1), "name", "name is a text field, not a time"},
		{"days to an unknown field", crm.DaysBetween("lastcontacted", "nope").Gt(1), "lastcontacted", `"nope" is not a field of account`},
		{"hours of a date-only field", crm.HoursBetween("openedon", "lastcontacted").Gt(1), "openedon", "openedon is date-only"},
		{"a difference with like", crm.DiffCondition{Diff: crm.DaysBetween("openedon", "lastcontacted"), Op: crm.OpLike}, "openedon", "takes eq, ne, lt, le, gt and ge"},
		{"a difference without a unit", crm.DiffCondition{Diff: crm.DateDiff{From: "openedon", To: "openedon"}, Op: crm.OpEq}, "openedon", "unknown unit"},
		{"an unknown label", crm.Eq("industry", "Mining"), "industry", `"Mining" is not the label of an option of industry`},
		{"a number no option names", crm.Eq("industry", 7), "industry", "value 1 is 7: not an option of industry"},
		{"a number no option names in a list", crm.NotIn("industry", 1, 7), "industry", "value 2 is 7: not an option of industry"},
		{"a date-only field with a time", crm.Eq("openedon", "2024-03-01T00:00:00Z"), "openedon", "is not an ISO date"},
		{"a time that is no time", crm.Ge("lastcontacted", "yesterday"), "lastcontacted", "RFC 3339"},
		{"money as a plain decimal", crm.Eq("revenue", dec("10")), "revenue", "pass a crm.Money"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := planErr(t, reg, crm.Query{Where: tt.where})
			require.Contains(t, bad, tt.field, "bad fields: %v", bad)
			require.Contains(t, bad[tt.field], tt.reason)
		})
	}
}

func TestPlanTakesValuesAsUsersHaveThem(t *testing.T) {
	reg := testRegistry(t)
	now := date(2024, 1, 1)
	t.Run("an option label, in any case, is its value", func(t *testing.T) {
		require.Equal(t, crm.Condition{Field: "industry", Op: crm.OpEq, Values: []any{int32(1)}}, plan(t, reg, crm.Eq("industry", "banking"), now).Where)
		require.Equal(t, crm.Condition{Field: "industry", Op: crm.OpIn, Values: []any{int32(1), int32(2)}}, plan(t, reg, crm.In("industry", "Banking", " RETAIL "), now).Where)
	})
	t.Run("a range bound need not be an option", func(t *testing.T) {
		require.Equal(t, crm.Condition{Field: "industry", Op: crm.OpLt, Values: []any{int32(7)}}, plan(t, reg, crm.Lt("industry", 7), now).Where)
	})
	t.Run("an ISO date on a date-only field is that date", func(t *testing.T) {
		require.Equal(t, crm.Condition{Field: "openedon", Op: crm.OpEq, Values: []any{date(2024, 3, 1)}}, plan(t, reg, crm.Eq("openedon", "2024-03-01"), now).Where)
	})
	t.Run("an ISO date on a date-and-time field is its midnight where the caller is", func(t *testing.T) {
		paris, err := time.LoadLocation("Europe/Paris")
		require.NoError(t, err)
		p, err := driver.PlanQuery(reg, crm.Query{Entity: "account", Where: crm.Where("lastcontacted", crm.OpOn, "2024-03-01")}, now, paris, driver.Principal{})
		require.NoError(t, err)
		lo, hi := timeRange(t, p.Where)
		require.Equal(t, time.Date(2024, 2, 29, 23, 0, 0, 0, time.UTC), lo)
		require.Equal(t, time.Date(2024, 3, 1, 23, 0, 0, 0, time.UTC), hi)
		p, err = driver.PlanQuery(reg, crm.Query{Entity: "account", Where: crm.Ge("lastcontacted", "2024-03-01T09:30:00+01:00")}, now, paris, driver.Principal{})
		require.NoError(t, err)
		require.Equal(t, crm.Condition{Field: "lastcontacted", Op: crm.OpGe, Values: []any{time.Date(2024, 3, 1, 8, 30, 0, 0, time.UTC)}}, p.Where)
	})
}

func TestDiffUnitsCountsBoundariesCrossed(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return v
	}
	tests := []struct {
		unit     crm.DiffUnit
		from, to string
		want     int64
	}{
		{crm.Days, "2024-03-01T23:59:00Z", "2024-03-02T00:01:00Z", 1},
		{crm.Days, "2024-03-01T00:01:00Z", "2024-03-01T23:59:00Z", 0},
		{crm.Days, "2024-03-02T00:01:00Z", "2024-03-01T23:59:00Z", -1},
		{crm.Days, "1969-12-31T23:00:00Z", "1970-01-01T01:00:00Z", 1},
		{crm.Days, "1960-01-01T12:00:00Z", "1960-01-02T11:00:00Z", 1},
		{crm.Days, "2024-02-28T00:00:00Z", "2024-03-01T00:00:00Z", 2},
		{crm.Hours, "2024-03-01T10:59:59Z", "2024-03-01T11:00:00Z", 1},
		{crm.Hours, "2024-03-01T10:00:00Z", "2024-03-01T10:59:59Z", 0},
		{crm.Hours, "1969-12-31T23:30:00Z", "1970-01-01T00:30:00Z", 1},
		{crm.Days, "2024-03-01T23:00:00-05:00", "2024-03-02T01:00:00Z", 0}, // both 2 March UTC
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, driver.DiffUnits(tt.unit, at(tt.from), at(tt.to)), "%s from %s to %s", tt.unit, tt.from, tt.to)
	}
}

func TestPlanAggregateOfDateDifferences(t *testing.T) {
	reg := testRegistry(t)
	p, err := driver.PlanAggregate(reg, crm.Aggregation{Entity: "account", Measures: []crm.Measure{
		{Alias: "avgdays", Func: crm.AggAvg, Diff: crm.DaysBetween(crm.FieldCreatedOn, "lastcontacted")}}}, date(2024, 1, 1), nil, driver.Principal{})
	require.NoError(t, err)
	acc := p.NewAccumulator()
	created := date(2024, 1, 1)
	for _, last := range []any{date(2024, 1, 2), date(2024, 1, 4), nil} {
		rec := crm.Record{Entity: "account", Header: crm.Header{CreatedOn: created}, Fields: crm.Fields{"lastcontacted": last}}
		acc.Add(driver.RecordRow(&rec))
	}
	rows, err := acc.Rows()
	require.NoError(t, err)
	rows = p.Finish(rows)
	got, ok := rows[0].Decimal("avgdays")
	require.True(t, ok)
	require.Equal(t, "2", got.String(), "(1 + 3) / 2: a null difference is left out")

	for name, m := range map[string]crm.Measure{
		"a field and a difference": {Alias: "x", Func: crm.AggSum, Field: "employees", Diff: crm.DaysBetween("openedon", "openedon")},
		"count of a difference":    {Alias: "x", Func: crm.AggCount, Diff: crm.DaysBetween("openedon", "openedon")},
		"hours of a date":          {Alias: "x", Func: crm.AggMax, Diff: crm.HoursBetween("openedon", "lastcontacted")},
	} {
		_, err := driver.PlanAggregate(reg, crm.Aggregation{Entity: "account", Measures: []crm.Measure{m}}, date(2024, 1, 1), nil, driver.Principal{})
		if name == "count of a difference" {
			require.NoError(t, err, "count counts rows: the difference plays no part")
			continue
		}
		require.ErrorIs(t, err, crm.ErrValidation, name)
	}
}
