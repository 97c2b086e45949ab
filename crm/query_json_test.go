package crm_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
)

// industry stands for a typed option set such as sales.Industry: a named
// integer type with a JSON form of its own (a name), which a condition
// value does not use.
type industry int32

func (industry) MarshalText() ([]byte, error) { return []byte("Consulting"), nil }

var (
	jsonID  = uuidOf("0190f5e8-7a3c-7d4e-9f00-1234567890ab")
	jsonID2 = uuidOf("0190f5e8-7a3c-7d4e-9f00-0000000000cd")
)

func uuidOf(s string) crm.ID {
	id, err := crm.ParseID(s)
	if err != nil {
		panic(err)
	}
	return id
}

// A query with every kind of filter and every kind of value, and its
// canonical JSON: the two must translate into each other exactly.
var (
	everyFilterQuery = crm.Query{
		Entity: "contact",
		Where: crm.And(
			crm.Like("lastname", "D%"),
			crm.Or(crm.Eq("numberofchildren", int64(2)), crm.IsNull("numberofchildren")),
			crm.Through("parentcustomerid", "account", crm.And(
				crm.Ge("revenue", crm.MustMoney("1000000.00 USD")),
				crm.Eq("industrycode", industry(7)),
			)),
			crm.Through("ownerid", "", nil),
			crm.In("rating", decimal.RequireFromString("1.50"), decimal.NewFromInt(5), decimal.New(15, 2), decimal.New(1, -41)),
			crm.Between("birthdate", time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1969, 12, 31, 23, 30, 0, 500, time.FixedZone("", -5*3600))),
			crm.Eq("contactid", jsonID),
			crm.In("regardingobjectid", crm.Ref{Entity: "account", ID: jsonID}, crm.Ref{ID: jsonID2}),
			crm.Ne("donotemail", true),
			crm.Eq("description", "<b> & \"quotes\" ünïcode"),
			crm.And(),
			nil,
			crm.Any("task", "regardingobjectid", crm.Eq("subject", "call back")),
			crm.None("listmember", "entityid", nil),
			crm.Gt("actualclosedate", crm.ValueOf("estimatedclosedate")),
			crm.DaysBetween("createdon", "actualclosedate").Gt(30),
		),
		OrderBy: []crm.Order{crm.Asc("lastname"), crm.Desc("createdon")},
		Limit:   50,
		After:   "eyJvIjoiY29udGFjdCJ9",
	}
	everyFilterJSON = `{"entity":"contact","where":{"and":[` +
		`{"field":"lastname","op":"like","values":["D%"]},` +
		`{"or":[{"field":"numberofchildren","op":"eq","values":[2]},{"field":"numberofchildren","op":"null"}]},` +
		`{"through":"parentcustomerid","entity":"account","where":{"and":[` +
		`{"field":"revenue","op":"ge","values":[{"money":"1000000.00 USD"}]},` +
		`{"field":"industrycode","op":"eq","values":[7]}]}},` +
		`{"through":"ownerid"},` +
		`{"field":"rating","op":"in","values":[1.50,{"decimal":"5"},{"decimal":"15e2"},{"decimal":"1e-41"}]},` +
		`{"field":"birthdate","op":"between","values":[{"time":"1960-01-01T00:00:00Z"},{"time":"1969-12-31T23:30:00.0000005-05:00"}]},` +
		`{"field":"contactid","op":"eq","values":[{"id":"0190f5e8-7a3c-7d4e-9f00-1234567890ab"}]},` +
		`{"field":"regardingobjectid","op":"in","values":[{"ref":{"entity":"account","id":"0190f5e8-7a3c-7d4e-9f00-1234567890ab"}},{"ref":{"id":"0190f5e8-7a3c-7d4e-9f00-0000000000cd"}}]},` +
		`{"field":"donotemail","op":"ne","values":[true]},` +
		`{"field":"description","op":"eq","values":["\u003cb\u003e \u0026 \"quotes\" ünïcode"]},` +
		`{"and":[]},` +
		`null,` +
		`{"any":"task","lookup":"regardingobjectid","where":{"field":"subject","op":"eq","values":["call back"]}},` +
		`{"none":"listmember","lookup":"entityid"},` +
		`{"field":"actualclosedate","op":"gt","values":[{"valueof":"estimatedclosedate"}]},` +
		`{"diff":{"unit":"days","from":"createdon","to":"actualclosedate"},"op":"gt","value":30}]},` +
		`"orderBy":[{"field":"lastname"},{"field":"createdon","desc":true}],"limit":50,"after":"eyJvIjoiY29udGFjdCJ9"}`

	everyMeasureAggregation = crm.Aggregation{
		Entity: "opportunity",
		Where:  crm.Eq("statecode", crm.StateCode(0)),
		GroupBy: []crm.GroupBy{
			{Field: "ownerid"},
			{Alias: "month", Field: "estimatedclosedate", Date: crm.ByMonth},
			{Alias: "day", Field: "createdon", Date: crm.ByDay},
			{Alias: "year", Field: "actualclosedate", Date: crm.ByYear},
			{Alias: "region", Path: []crm.Link{{Lookup: "ownerid", Entity: "systemuser"}, {Lookup: "teamid"}}, Field: "region", Label: true},
		},
		Measures: []crm.Measure{
			{Alias: "n", Func: crm.AggCount},
			{Alias: "valued", Func: crm.AggCountColumn, Field: "estimatedvalue"},
			{Alias: "total", Func: crm.AggSum, Field: "estimatedvalue"},
			{Alias: "mean", Func: crm.AggAvg, Field: "estimatedvalue"},
			{Alias: "least", Func: crm.AggMin, Field: "estimatedvalue"},
			{Alias: "most", Func: crm.AggMax, Field: "estimatedvalue"},
			{Alias: "owners", Func: crm.AggCountDistinct, Field: "ownerid"},
			{Alias: "hours", Func: crm.AggAvg, Diff: crm.HoursBetween("createdon", "actualclosedate")},
		},
		Having:  []crm.Condition{crm.Gt("total", crm.MustMoney("1000.00 USD")), crm.NotNull("mean")},
		OrderBy: []crm.Order{crm.Desc("total"), crm.Asc("month")},
		Limit:   5,
	}
	everyMeasureJSON = `{"entity":"opportunity","where":{"field":"statecode","op":"eq","values":[0]},` +
		`"groupBy":[{"field":"ownerid"},{"alias":"month","field":"estimatedclosedate","date":"month"},` +
		`{"alias":"day","field":"createdon","date":"day"},{"alias":"year","field":"actualclosedate","date":"year"},` +
		`{"alias":"region","path":[{"lookup":"ownerid","entity":"systemuser"},{"lookup":"teamid"}],"field":"region","label":true}],` +
		`"measures":[{"alias":"n","func":"count"},{"alias":"valued","func":"countcolumn","field":"estimatedvalue"},` +
		`{"alias":"total","func":"sum","field":"estimatedvalue"},{"alias":"mean","func":"avg","field":"estimatedvalue"},` +
		`{"alias":"least","func":"min","field":"estimatedvalue"},{"alias":"most","func":"max","field":"estimatedvalue"},{"alias":"owners","func":"countdistinct","field":"ownerid"},` +
		`{"alias":"hours","func":"avg","diff":{"unit":"hours","from":"createdon","to":"actualclosedate"}}],` +
		`"having":[{"field":"total","op":"gt","values":[{"money":"1000.00 USD"}]},{"field":"mean","op":"not-null"}],` +
		`"orderBy":[{"field":"total","desc":true},{"field":"month"}],"limit":5}`
)

// Canonical forms of values, for canonicalQuery.
type (
	exactDecimal struct {
		Coefficient string
		Exponent    int32
	}
	exactMoney struct {
		Amount   exactDecimal
		Currency crm.Currency
	}
	exactTime struct {
		Instant string // UTC, to the nanosecond
		Offset  int    // seconds east of UTC
	}
)

// canonicalQuery states what "a query round-trips exactly through JSON"
// means: json.Unmarshal(json.Marshal(q)) has the same canonical form as q.
// The canonical form is q itself, every Go type kept, except where JSON
// has one form for several Go values or reflect.DeepEqual compares how a
// value is built rather than what it is:
//
//   - a signed integer of any type (int, int32, a named type such as an
//     option set or crm.StateCode) is its int64: JSON has one kind of
//     whole number, and every store reads an int64 wherever it reads the
//     named type;
//   - a decimal is its coefficient and exponent: 1.50 stays 1.50, not
//     1.5 (a *big.Int's internal slices are not compared);
//   - money is its amount, so, and its currency;
//   - a time is its instant and its UTC offset, which fix the calendar
//     date it shows; the zone's name and a monotonic clock reading do not
//     travel;
//   - a pointer filter (*crm.Condition) is the filter it points at, and an
//     empty slice is nil.
//
// Everything else (strings, bools, IDs, Refs, nil, the shape of filters,
// orders, limits, cursors) must be equal as it is.
func canonicalQuery(q crm.Query) crm.Query {
	q.Where = canonicalFilter(q.Where)
	if len(q.OrderBy) == 0 {
		q.OrderBy = nil
	}
	return q
}

// canonicalAggregation is canonicalQuery's rule for an aggregation.
func canonicalAggregation(a crm.Aggregation) crm.Aggregation {
	a.Where = canonicalFilter(a.Where)
	if len(a.GroupBy) == 0 {
		a.GroupBy = nil
	}
	if len(a.Measures) == 0 {
		a.Measures = nil
	}
	if len(a.Having) == 0 {
		a.Having = nil
	}
	having := a.Having
	a.Having = nil
	for _, c := range having {
		a.Having = append(a.Having, canonicalFilter(c).(crm.Condition))
	}
	if len(a.OrderBy) == 0 {
		a.OrderBy = nil
	}
	return a
}

func canonicalFilter(f crm.Filter) crm.Filter {
	switch f := f.(type) {
	case *crm.Condition:
		return canonicalFilter(*f)
	case *crm.Group:
		return canonicalFilter(*f)
	case *crm.Related:
		return canonicalFilter(*f)
	case crm.Condition:
		var vs []any
		for _, v := range f.Values {
			vs = append(vs, canonicalValue(v))
		}
		f.Values = vs
		return f
	case crm.Group:
		var fs []crm.Filter
		for _, sub := range f.Filters {
			fs = append(fs, canonicalFilter(sub))
		}
		f.Filters = fs
		return f
	case crm.Related:
		f.Where = canonicalFilter(f.Where)
		return f
	case *crm.Exists:
		return canonicalFilter(*f)
	case crm.Exists:
		f.Where = canonicalFilter(f.Where)
		return f
	}
	return f
}

func canonicalValue(v any) any {
	switch x := v.(type) {
	case decimal.Decimal:
		return exactDecimal{x.Coefficient().String(), x.Exponent()}
	case crm.Money:
		return exactMoney{exactDecimal{x.Amount.Coefficient().String(), x.Amount.Exponent()}, x.Currency}
	case time.Time:
		_, off := x.Zone()
		return exactTime{x.UTC().Format(time.RFC3339Nano), off}
	}
	if rv := reflect.ValueOf(v); rv.IsValid() && rv.CanInt() {
		return rv.Int()
	}
	return v
}

// requireQueryRoundTrip checks that q marshals, reads back to the same
// canonical query, and marshals again to the same bytes; it returns the
// JSON.
func requireQueryRoundTrip(t *testing.T, q crm.Query) []byte {
	t.Helper()
	b, err := json.Marshal(q)
	require.NoError(t, err)
	var back crm.Query
	require.NoError(t, json.Unmarshal(b, &back), "%s", b)
	require.Equal(t, canonicalQuery(q), canonicalQuery(back), "%s", b)
	again, err := json.Marshal(back)
	require.NoError(t, err)
	require.Equal(t, string(b), string(again))
	return b
}

// requireAggregationRoundTrip is requireQueryRoundTrip for an aggregation.
func requireAggregationRoundTrip(t *testing.T, a crm.Aggregation) []byte {
	t.Helper()
	b, err := json.Marshal(a)
	require.NoError(t, err)
	var back crm.Aggregation
	require.NoError(t, json.Unmarshal(b, &back), "%s", b)
	require.Equal(t, canonicalAggregation(a), canonicalAggregation(back), "%s", b)
	again, err := json.Marshal(back)
	require.NoError(t, err)
	require.Equal(t, string(b), string(again))
	return b
}

// everyOperatorQuery uses every operator crm declares, each with values
// of the kind it takes.
func everyOperatorQuery(t testing.TB) crm.Query {
	var conds []crm.Filter
	day := time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
	for op := crm.Operator(1); !strings.HasPrefix(op.String(), "Operator("); op++ {
		parsed, err := crm.ParseOperator(op.String())
		if err != nil || parsed != op {
			t.Fatalf("operator %d: name %q does not parse back: %v", int(op), op, err)
		}
		var values []any
		switch op {
		case crm.OpNull, crm.OpNotNull, crm.OpToday, crm.OpYesterday, crm.OpTomorrow,
			crm.OpThisMonth, crm.OpLastMonth, crm.OpNextMonth, crm.OpThisYear, crm.OpLastYear:
		case crm.OpIn, crm.OpNotIn:
			values = []any{int64(1), int64(2), int64(3)}
		case crm.OpBetween, crm.OpNotBetween:
			values = []any{decimal.RequireFromString("0.5"), decimal.RequireFromString("99.95")}
		case crm.OpOn, crm.OpOnOrBefore, crm.OpOnOrAfter:
			values = []any{day}
		case crm.OpLastXDays, crm.OpNextXDays, crm.OpLastXHours, crm.OpOlderThanXDays:
			values = []any{int64(7)}
		case crm.OpEq, crm.OpNe, crm.OpLt, crm.OpLe, crm.OpGt, crm.OpGe:
			values = []any{crm.MustMoney("12.30 EUR")}
		default:
			values = []any{"pat%"}
		}
		conds = append(conds, crm.Where("f"+op.String(), op, values...))
	}
	return crm.Query{Entity: "thing", Where: crm.Or(conds...)}
}

// everyFuncAggregation uses every aggregate function crm declares.
func everyFuncAggregation(t testing.TB) crm.Aggregation {
	a := crm.Aggregation{Entity: "thing", GroupBy: []crm.GroupBy{{Field: "when", Date: crm.ByDay}}}
	for fn := crm.AggFunc(1); !strings.HasPrefix(fn.String(), "AggFunc("); fn++ {
		parsed, err := crm.ParseAggFunc(fn.String())
		if err != nil || parsed != fn {
			t.Fatalf("function %d: name %q does not parse back: %v", int(fn), fn, err)
		}
		a.Measures = append(a.Measures, crm.Measure{Alias: "m" + fn.String(), Func: fn, Field: "amount"})
	}
	return a
}

func TestQueryJSON(t *testing.T) {
	t.Run("the canonical form of a query with every filter and value", func(t *testing.T) {
		b := requireQueryRoundTrip(t, everyFilterQuery)
		require.Equal(t, everyFilterJSON, string(b))

		var q crm.Query
		require.NoError(t, json.Unmarshal([]byte(everyFilterJSON), &q))
		require.Equal(t, canonicalQuery(everyFilterQuery), canonicalQuery(q))
	})
	t.Run("the canonical form of an aggregation with every date grouping", func(t *testing.T) {
		b := requireAggregationRoundTrip(t, everyMeasureAggregation)
		require.Equal(t, everyMeasureJSON, string(b))
	})
	t.Run("every operator and every function travel by name", func(t *testing.T) {
		b := requireQueryRoundTrip(t, everyOperatorQuery(t))
		for op := crm.Operator(1); !strings.HasPrefix(op.String(), "Operator("); op++ {
			require.Contains(t, string(b), `"op":"`+op.String()+`"`)
		}
		b = requireAggregationRoundTrip(t, everyFuncAggregation(t))
		require.Contains(t, string(b), `"func":"countcolumn"`)
	})
	t.Run("values read back in their Go types", func(t *testing.T) {
		paris, err := time.LoadLocation("Europe/Paris")
		require.NoError(t, err)
		for _, tc := range []struct {
			name string
			in   any
			json string
			out  any // the value read back
		}{
			{"nil", nil, `null`, nil},
			{"text", "Contoso", `"Contoso"`, "Contoso"},
			{"a number in text stays text", "42", `"42"`, "42"},
			{"bool", false, `false`, false},
			{"int64", int64(-9_223_372_036_854_775_808), `-9223372036854775808`, int64(-9_223_372_036_854_775_808)},
			{"int becomes int64", 12, `12`, int64(12)},
			{"an option set is its number", industry(7), `7`, int64(7)},
			{"a state code is its number", crm.StateCode(1), `1`, int64(1)},
			{"a decimal keeps its places", decimal.RequireFromString("-0.10"), `-0.10`, decimal.RequireFromString("-0.10")},
			{"a whole decimal is tagged", decimal.NewFromInt(100), `{"decimal":"100"}`, decimal.NewFromInt(100)},
			{"a decimal with an exponent", decimal.New(-7, 3), `{"decimal":"-7e3"}`, decimal.New(-7, 3)},
			{"the zero decimal", decimal.Decimal{}, `{"decimal":"0"}`, decimal.NewFromInt(0)},
			{"decimal.Zero, whose exponent is 1", decimal.Zero, `{"decimal":"0e1"}`, decimal.Zero},
			{"a decimal finer than 40 places", decimal.New(3, -45), `{"decimal":"3e-45"}`, decimal.New(3, -45)},
			{"a long decimal", decimal.RequireFromString("123456789012345678901234567890.123456789"), `123456789012345678901234567890.123456789`, decimal.RequireFromString("123456789012345678901234567890.123456789")},
			{"money keeps its places", crm.MustMoney("0.0125 USD"), `{"money":"0.0125 USD"}`, crm.MustMoney("0.0125 USD")},
			{"whole money", crm.MustMoney("3 JPY"), `{"money":"3 JPY"}`, crm.MustMoney("3 JPY")},
			{"time in UTC", time.Date(2024, 1, 31, 9, 30, 0, 0, time.UTC), `{"time":"2024-01-31T09:30:00Z"}`, time.Date(2024, 1, 31, 9, 30, 0, 0, time.UTC)},
			{"time keeps its offset, not its zone name", time.Date(2024, 7, 1, 0, 15, 0, 123456789, paris),
				`{"time":"2024-07-01T00:15:00.123456789+02:00"}`, time.Date(2024, 7, 1, 0, 15, 0, 123456789, time.FixedZone("", 2*3600))},
			{"time drops a monotonic reading", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(0), `{"time":"2024-01-01T00:00:00Z"}`, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
			{"id", jsonID, `{"id":"0190f5e8-7a3c-7d4e-9f00-1234567890ab"}`, jsonID},
			{"ref", crm.Ref{Entity: "account", ID: jsonID}, `{"ref":{"entity":"account","id":"0190f5e8-7a3c-7d4e-9f00-1234567890ab"}}`, crm.Ref{Entity: "account", ID: jsonID}},
			{"ref without entity", crm.Ref{ID: jsonID}, `{"ref":{"id":"0190f5e8-7a3c-7d4e-9f00-1234567890ab"}}`, crm.Ref{ID: jsonID}},
			{"the zero ref", crm.Ref{}, `{"ref":{"id":"00000000-0000-0000-0000-000000000000"}}`, crm.Ref{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				q := crm.Query{Entity: "e", Where: crm.Eq("f", tc.in)}
				b := requireQueryRoundTrip(t, q)
				require.Equal(t, `{"entity":"e","where":{"field":"f","op":"eq","values":[`+tc.json+`]}}`, string(b))
				var back crm.Query
				require.NoError(t, json.Unmarshal(b, &back))
				got := back.Where.(crm.Condition).Values[0]
				require.IsType(t, tc.out, got)
				require.Equal(t, canonicalValue(tc.out), canonicalValue(got))
			})
		}
	})
	t.Run("a number is whole or a decimal as written", func(t *testing.T) {
		for in, want := range map[string]any{
			`7`:      int64(7),
			`-0`:     int64(0),
			`7.0`:    decimal.New(70, -1),
			`7e0`:    decimal.New(7, 0),
			`1E3`:    decimal.New(1, 3),
			`2.5e-3`: decimal.New(25, -4),
		} {
			var q crm.Query
			require.NoError(t, json.Unmarshal([]byte(`{"entity":"e","where":{"field":"f","op":"eq","values":[`+in+`]}}`), &q), in)
			got := q.Where.(crm.Condition).Values[0]
			require.IsType(t, want, got, in)
			require.Equal(t, canonicalValue(want), canonicalValue(got), in)
			requireQueryRoundTrip(t, q)
		}
	})
	t.Run("pointer filters marshal as the filters they point at", func(t *testing.T) {
		c, g, r := crm.Eq("a", "x"), crm.Or(crm.Eq("b", "y")), crm.Through("c", "account", nil)
		b, err := json.Marshal(crm.Query{Entity: "e", Where: &crm.Group{Filters: []crm.Filter{&c, &g, &r}}})
		require.NoError(t, err)
		want, err := json.Marshal(crm.Query{Entity: "e", Where: crm.And(c, g, r)})
		require.NoError(t, err)
		require.Equal(t, string(want), string(b))
	})
	t.Run("unmarshal replaces the whole query; null changes nothing", func(t *testing.T) {
		q := everyFilterQuery
		require.NoError(t, json.Unmarshal([]byte(`{"entity":"account"}`), &q))
		require.Equal(t, crm.Query{Entity: "account"}, q)
		require.NoError(t, json.Unmarshal([]byte(`null`), &q))
		require.Equal(t, crm.Query{Entity: "account"}, q)
		a := everyMeasureAggregation
		require.NoError(t, json.Unmarshal([]byte(`{"entity":"account","measures":[{"alias":"n","func":"count"}]}`), &a))
		require.Equal(t, crm.Aggregation{Entity: "account", Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}}, a)
	})
	t.Run("a query inside another document", func(t *testing.T) {
		type savedView struct {
			Name  string    `json:"name"`
			Query crm.Query `json:"query"`
		}
		in := savedView{Name: "My contacts", Query: everyFilterQuery}
		b, err := json.Marshal(in)
		require.NoError(t, err)
		require.Equal(t, `{"name":"My contacts","query":`+everyFilterJSON+`}`, string(b))
		var out savedView
		require.NoError(t, json.Unmarshal(b, &out))
		require.Equal(t, canonicalQuery(in.Query), canonicalQuery(out.Query))
	})
}

// requireJSONError checks that err is a *crm.ValidationError, reached
// through json's wrapping, that reports reason at path.
func requireJSONError(t *testing.T, err error, path, reason string) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, crm.ErrValidation)
	var verr *crm.ValidationError
	require.True(t, errors.As(err, &verr), "%v", err)
	for _, f := range verr.Fields {
		if f.Field == path {
			require.Contains(t, f.Reason, reason, "%v", err)
			return
		}
	}
	t.Fatalf("no error at %s: %v", path, err)
}

func TestQueryJSONRefuses(t *testing.T) {
	t.Run("unmarshal names the path and the reason", func(t *testing.T) {
		for _, tc := range []struct{ name, json, path, reason string }{
			{"an unknown operator", `{"entity":"contact","where":{"and":[{"field":"a","op":"eq"},{"field":"b","op":"null"},{"field":"c","op":"eqq","values":[1]}]}}`,
				"where.and[2].op", `names an unknown operator "eqq"`},
			{"an operator by number", `{"entity":"contact","where":{"field":"a","op":1}}`, "where.op", "wants a string, got 1"},
			{"a missing operator", `{"entity":"contact","where":{"field":"a","values":[1]}}`, "where.op", "is required"},
			{"an unknown key of a condition", `{"entity":"contact","where":{"field":"a","op":"eq","value":1}}`, "where.value", "is not a key of a condition (field, op, values)"},
			{"an unknown key of a query", `{"entity":"contact","top":5}`, "top", "is not a key of a query"},
			{"an aggregation's key in a query", `{"entity":"contact","measures":[]}`, "measures", "is not a key of a query"},
			{"a query without entity", `{"where":null}`, "entity", "is required"},
			{"not an object", `["contact"]`, "query", "wants an object, got a list"},
			{"a group with and and or", `{"entity":"c","where":{"and":[],"or":[]}}`, "where", `both "and" and "or"`},
			{"a group that is not a list", `{"entity":"c","where":{"or":{"field":"a","op":"null"}}}`, "where.or", "wants a list of filters, got an object"},
			{"a key beside a group", `{"entity":"c","where":{"or":[],"field":"a"}}`, "where.field", `is not a key of an "or" group (or)`},
			{"something that is no filter", `{"entity":"c","where":{"where":{}}}`, "where", "is not a filter"},
			{"a filter that is a string", `{"entity":"c","where":{"and":["lastname eq 'x'"]}}`, "where.and[0]", "wants a filter, an object, got a string"},
			{"a related condition without its lookup", `{"entity":"c","where":{"and":[{"through":null}]}}`, "where.and[0].through", "wants a string, got null"},
			{"a bad filter in a related condition", `{"entity":"c","where":{"through":"parentcustomerid","where":{"field":"a","op":"like-ish"}}}`,
				"where.where.op", `names an unknown operator "like-ish"`},
			{"a value that is a list", `{"entity":"c","where":{"field":"a","op":"in","values":[[1,2]]}}`, "where.values[0]", "is a list"},
			{"values that are no list", `{"entity":"c","where":{"field":"a","op":"in","values":1}}`, "where.values", "wants a list, got 1"},
			{"an unknown tag", `{"entity":"c","where":{"field":"a","op":"eq","values":[{"float":"1.5"}]}}`, "where.values[0].float", "is not a value tag"},
			{"two tags", `{"entity":"c","where":{"field":"a","op":"eq","values":[{"id":"x","ref":{}}]}}`, "where.values[0]", "one tag"},
			{"a tag that is not text", `{"entity":"c","where":{"field":"a","op":"eq","values":[{"decimal":1.5}]}}`, "where.values[0].decimal", "wants a string, got 1.5"},
			{"a bad decimal", `{"entity":"c","where":{"field":"a","op":"eq","values":[{"decimal":"1,5"}]}}`, "where.values[0].decimal", `"1,5" is not a decimal number`},
			{"money in an unknown currency", `{"entity":"c","where":{"field":"a","op":"eq","values":[{"money":"1.50 XYZ"}]}}`, "where.values[0].money", `"1.50 XYZ" is not money`},
			{"money without currency", `{"entity":"c","where":{"field":"a","op":"eq","values":[{"money":"1.50"}]}}`, "where.values[0].money", "is not money"},
			{"a time without zone", `{"entity":"c","where":{"field":"a","op":"on","values":[{"time":"2024-01-31T09:30:00"}]}}`, "where.values[0].time", "is not an RFC 3339 time"},
			{"a bad id", `{"entity":"c","where":{"field":"a","op":"eq","values":[{"id":"42"}]}}`, "where.values[0].id", `"42" is not an ID`},
			{"a ref without id", `{"entity":"c","where":{"field":"a","op":"eq","values":[{"ref":{"entity":"account"}}]}}`, "where.values[0].ref.id", "is required"},
			{"a ref with an unknown key", `{"entity":"c","where":{"field":"a","op":"eq","values":[{"ref":{"logicalName":"account","id":"0190f5e8-7a3c-7d4e-9f00-1234567890ab"}}]}}`,
				"where.values[0].ref.logicalName", "is not a key of a ref (entity, id)"},
			{"a whole number beyond int64", `{"entity":"c","where":{"field":"a","op":"eq","values":[9223372036854775808]}}`, "where.values[0]", "beyond the int64 range"},
			{"a decimal exponent beyond reach", `{"entity":"c","where":{"field":"a","op":"eq","values":[1e-9999999999]}}`, "where.values[0]", "exponent is out of range"},
			{"a limit with a fraction", `{"entity":"c","limit":2.5}`, "limit", "wants a whole number, got 2.5"},
			{"a limit in text", `{"entity":"c","limit":"50"}`, "limit", "wants a whole number, got a string"},
			{"an order that is a string", `{"entity":"c","orderBy":["lastname"]}`, "orderBy[0]", "wants an order, an object, got a string"},
			{"desc that is not a boolean", `{"entity":"c","orderBy":[{"field":"lastname","desc":"yes"}]}`, "orderBy[0].desc", "wants true or false"},
			{"a cursor that is not text", `{"entity":"c","after":7}`, "after", "wants a string"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				q := crm.Query{Entity: "untouched"}
				err := json.Unmarshal([]byte(tc.json), &q)
				requireJSONError(t, err, tc.path, tc.reason)
				require.Equal(t, crm.Query{Entity: "untouched"}, q, "a refused document changes nothing")
			})
		}
	})
	t.Run("unmarshal reports every problem at once, the entity named", func(t *testing.T) {
		var q crm.Query
		err := json.Unmarshal([]byte(`{"entity":"contact","where":{"and":[{"field":"a","op":"eqq"},{"field":"b","op":"gt","values":[{"money":"x"}]}]},"limit":-1.5}`), &q)
		require.EqualError(t, err, `unmarshal query: validation failed: invalid contact: `+
			`where.and[0].op names an unknown operator "eqq"; `+
			`where.and[1].values[0].money "x" is not money: want "<amount> <currency>" in a known currency, as "1.50 USD"; `+
			`limit wants a whole number, got -1.5`)
	})
	t.Run("a document with thousands of problems reports the first 20", func(t *testing.T) {
		var q crm.Query
		err := json.Unmarshal([]byte(`{"entity":"c","where":{"or":[`+strings.Repeat(`{"field":"a","op":"x"},`, 5000)+`null]}}`), &q)
		var verr *crm.ValidationError
		require.ErrorAs(t, err, &verr)
		require.Len(t, verr.Fields, 20)
		require.Equal(t, "where.or[19].op", verr.Fields[19].Field)
	})
	t.Run("a deep document names the deep path", func(t *testing.T) {
		const depth = 4000
		var q crm.Query
		err := json.Unmarshal([]byte(`{"entity":"c","where":`+strings.Repeat(`{"and":[`, depth)+`{"field":"a","op":"x"}`+strings.Repeat(`]}`, depth)+`}`), &q)
		var verr *crm.ValidationError
		require.ErrorAs(t, err, &verr)
		require.Equal(t, "where"+strings.Repeat(".and[0]", depth)+".op", verr.Fields[0].Field)
	})
	t.Run("a long input value is cut short in the message", func(t *testing.T) {
		var q crm.Query
		err := json.Unmarshal([]byte(`{"entity":"c","where":{"field":"a","op":"`+strings.Repeat("é", 1000)+`"}}`), &q)
		require.ErrorContains(t, err, `names an unknown operator "`+strings.Repeat("é", 32)+`…"`)
		require.Less(t, len(err.Error()), 200)
	})
	t.Run("aggregations name functions and date groupings", func(t *testing.T) {
		for _, tc := range []struct{ name, json, path, reason string }{
			{"an unknown function", `{"entity":"o","measures":[{"alias":"n","func":"count"},{"alias":"t","func":"total","field":"v"}]}`,
				"measures[1].func", `names an unknown aggregate function "total"`},
			{"a function by number", `{"entity":"o","measures":[{"alias":"n","func":1}]}`, "measures[0].func", "wants a string, got 1"},
			{"a measure without function", `{"entity":"o","measures":[{"alias":"n"}]}`, "measures[0].func", "is required"},
			{"a measure without alias", `{"entity":"o","measures":[{"func":"count"}]}`, "measures[0].alias", "is required"},
			{"an unknown date grouping", `{"entity":"o","groupBy":[{"field":"createdon","date":"week"}],"measures":[{"alias":"n","func":"count"}]}`,
				"groupBy[0].date", `names an unknown date grouping "week"`},
			{"an unknown key of a group", `{"entity":"o","groupBy":[{"field":"createdon","dategrouping":"day"}]}`, "groupBy[0].dategrouping", "is not a key of a group (alias, path, field, label, date)"},
			{"a query's key in an aggregation", `{"entity":"o","after":"x"}`, "after", "is not a key of an aggregation"},
			{"an unknown key of a path step", `{"entity":"o","groupBy":[{"alias":"r","path":[{"lookup":"a","to":"b"}],"field":"f"}]}`, "groupBy[0].path[0].to", "is not a key of a path step"},
			{"a bad filter", `{"entity":"o","where":{"field":"a","op":"eqq"}}`, "where.op", "names an unknown operator"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var a crm.Aggregation
				requireJSONError(t, json.Unmarshal([]byte(tc.json), &a), tc.path, tc.reason)
			})
		}
	})
	t.Run("marshal refuses what would not come back the same", func(t *testing.T) {
		lmt, err := time.LoadLocation("Europe/Paris")
		require.NoError(t, err)
		var nilCond *crm.Condition
		for _, tc := range []struct {
			name   string
			where  crm.Filter
			path   string
			reason string
		}{
			{"a float", crm.Gt("a", 1.5), "where.values[0]", "is a float64, which is not exact"},
			{"an unsigned integer", crm.Eq("a", uint(3)), "where.values[0]", "is a uint, which has no JSON form"},
			{"a named string type", crm.Eq("a", crm.Currency("USD")), "where.values[0]", "is a crm.Currency, which has no JSON form"},
			{"a pointer to a value", crm.Eq("a", new(int64)), "where.values[0]", "is a *int64"},
			{"text that is not UTF-8", crm.And(crm.Eq("a", "ok"), crm.Eq("b", "\xff")), "where.and[1].values[0]", "is not valid UTF-8"},
			{"a field name that is not UTF-8", crm.IsNull("\xff"), "where.field", "is not valid UTF-8"},
			{"money in an unknown currency", crm.Eq("a", crm.Money{Amount: decimal.NewFromInt(1), Currency: "XYZ"}), "where.values[0]", `is money in "XYZ", which is not a known currency`},
			{"the zero money", crm.Eq("a", crm.Money{}), "where.values[0]", `is money in "", which is not a known currency`},
			{"a time beyond year 9999", crm.Eq("a", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)), "where.values[0]", "cannot be written in RFC 3339"},
			{"a time with an offset in seconds", crm.Eq("a", time.Date(1900, 1, 1, 0, 0, 0, 0, lmt)), "where.values[0]", "UTC offset of 561s"},
			{"an operator with no name", crm.Condition{Field: "a", Op: 0}, "where.op", "is Operator(0), which has no name"},
			{"a nil pointer filter", crm.Or(crm.IsNull("a"), nilCond), "where.or[1]", "is a nil *crm.Condition"},
			{"a nested related condition", crm.Through("parentcustomerid", "account", crm.Eq("revenue", 1e6)), "where.where.values[0]", "is a float64"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := json.Marshal(crm.Query{Entity: "contact", Where: tc.where})
				requireJSONError(t, err, tc.path, tc.reason)
				require.ErrorContains(t, err, "marshal query: validation failed: invalid contact: ")
			})
		}
		_, err = json.Marshal(crm.Aggregation{Entity: "o",
			GroupBy:  []crm.GroupBy{{Field: "createdon", Date: crm.DateGrouping(9)}},
			Measures: []crm.Measure{{Alias: "n", Func: crm.AggFunc(0)}}})
		requireJSONError(t, err, "groupBy[0].date", "is DateGrouping(9), which has no name")
		requireJSONError(t, err, "measures[0].func", "is AggFunc(0), which has no name")
	})
}

// FuzzQueryJSON feeds bytes to Query and Aggregation UnmarshalJSON: they
// never panic, and what they accept marshals, reads back to the same
// canonical value (canonicalQuery) and marshals again to the same bytes.
// Under plain go test it runs the seed corpus only.
func FuzzQueryJSON(f *testing.F) {
	for _, q := range []crm.Query{everyOperatorQuery(f), everyFilterQuery} {
		b, err := json.Marshal(q)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, a := range []crm.Aggregation{everyFuncAggregation(f), everyMeasureAggregation} {
		b, err := json.Marshal(a)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`null`, `{}`, `[]`, `{"entity":""}`, `{"entity":"c","where":null,"orderBy":null,"limit":0}`,
		`{"entity":"c","where":{"field":"a","op":"eq","values":[1e-999999999, 1.5e3, -0, 0.000, {"decimal":"+5"}, {"money":"1e2 usd"}]}}`,
		`{"entity":"c","where":{"field":"a","op":"on","values":[{"time":"2024-02-29T23:59:59.999999999-23:59"}, {"id":"{0190f5e8-7a3c-7d4e-9f00-1234567890ab}"}]}}`,
		`{"entity":"c","where":{"and":[{"or":[{"and":[{"through":"x","where":{"or":[null]}}]}]}]}}`,
		`{"entity":"c","where":{"field":"a","op":"eq","values":["\ud800", "\u0000"]}}`,
		`{"entity":"o","groupBy":[{"field":"d","date":"value"}],"measures":[{"alias":"n","func":"count","field":""}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var q crm.Query
		if json.Unmarshal(b, &q) == nil {
			requireQueryRoundTrip(t, q)
		}
		var a crm.Aggregation
		if json.Unmarshal(b, &a) == nil {
			requireAggregationRoundTrip(t, a)
		}
	})
}
