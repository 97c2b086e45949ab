package driver_test

import (
	"fmt"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, whatever the host has

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// plan plans a query on accounts for the filter at now.
func plan(t *testing.T, reg *crm.Registry, where crm.Filter, now time.Time) *driver.Plan {
	t.Helper()
	p, err := driver.PlanQuery(reg, crm.Query{Entity: "account", Where: where}, now, nil, driver.Principal{})
	require.NoError(t, err)
	return p
}

// planErr plans a query that must fail and returns its bad fields.
func planErr(t *testing.T, reg *crm.Registry, q crm.Query) map[string]string {
	t.Helper()
	if q.Entity == "" {
		q.Entity = "account"
	}
	_, err := driver.PlanQuery(reg, q, date(2024, 1, 1), nil, driver.Principal{})
	require.Error(t, err)
	return validationFields(t, err)
}

// timeRange returns the [lo, hi) bounds a date operator was lowered to; a
// zero bound is open.
func timeRange(t *testing.T, f crm.Filter) (lo, hi time.Time) {
	t.Helper()
	conds := []crm.Filter{f}
	if g, ok := f.(crm.Group); ok {
		require.False(t, g.Or)
		conds = g.Filters
	}
	for _, c := range conds {
		c := c.(crm.Condition)
		require.Len(t, c.Values, 1)
		v := c.Values[0].(time.Time)
		switch c.Op {
		case crm.OpGe:
			lo = v
		case crm.OpLt:
			hi = v
		default:
			t.Fatalf("unexpected operator %v", c.Op)
		}
	}
	return lo, hi
}

func TestPlanLowersTextOperators(t *testing.T) {
	reg := testRegistry(t)
	now := date(2024, 1, 1)
	tests := []struct {
		op      crm.Operator
		value   string
		wantOp  crm.Operator
		pattern string
	}{
		{crm.OpBeginsWith, "Con", crm.OpLike, "Con%"},
		{crm.OpNotBeginWith, "Con", crm.OpNotLike, "Con%"},
		{crm.OpEndsWith, "Ltd", crm.OpLike, "%Ltd"},
		{crm.OpNotEndWith, "Ltd", crm.OpNotLike, "%Ltd"},
		{crm.OpBeginsWith, `100%_off\`, crm.OpLike, `100\%\_off\\%`},
		{crm.OpEndsWith, "a_b", crm.OpLike, `%a\_b`},
		{crm.OpLike, "Con%", crm.OpLike, "Con%"},
		{crm.OpNotLike, "_x", crm.OpNotLike, "_x"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %q becomes %s %q", tt.op, tt.value, tt.wantOp, tt.pattern), func(t *testing.T) {
			p := plan(t, reg, crm.Where("name", tt.op, tt.value), now)
			require.Equal(t, crm.Condition{Field: "name", Op: tt.wantOp, Values: []any{tt.pattern}}, p.Where)
		})
	}
	t.Run("begins-with matches its value literally", func(t *testing.T) {
		p := plan(t, reg, crm.BeginsWith("name", "50%_"), now)
		match := func(name string) bool {
			ok, err := p.Match(crm.Record{Entity: "account", Fields: crm.Fields{"name": name}}, nil)
			require.NoError(t, err)
			return ok
		}
		require.True(t, match("50%_ off"))
		require.True(t, match("50%_"))
		require.False(t, match("50% off"))
		require.False(t, match("500_"))
	})
	t.Run("escape like", func(t *testing.T) {
		require.Equal(t, `a\%b\_c\\d`, driver.EscapeLike(`a%b_c\d`))
	})
}

func TestPlanLowersRanges(t *testing.T) {
	reg := testRegistry(t)
	now := date(2024, 1, 1)
	t.Run("between is an inclusive and", func(t *testing.T) {
		p := plan(t, reg, crm.Between("employees", 10, 20), now)
		require.Equal(t, crm.And(
			crm.Condition{Field: "employees", Op: crm.OpGe, Values: []any{int64(10)}},
			crm.Condition{Field: "employees", Op: crm.OpLe, Values: []any{int64(20)}},
		), p.Where)
	})
	t.Run("not-between is an exclusive or", func(t *testing.T) {
		p := plan(t, reg, crm.Where("score", crm.OpNotBetween, dec("1.5"), dec("2.5")), now)
		require.Equal(t, crm.Or(
			crm.Condition{Field: "score", Op: crm.OpLt, Values: []any{dec("1.5")}},
			crm.Condition{Field: "score", Op: crm.OpGt, Values: []any{dec("2.5")}},
		), p.Where)
	})
	t.Run("values take their sort-key form", func(t *testing.T) {
		id := crm.NewID()
		p := plan(t, reg, crm.And(
			crm.Eq("primarycontactid", crm.Ref{Entity: "contact", ID: id}),
			crm.Eq("industry", 1),
			crm.Lt("score", dec("1.005")),
			crm.Eq("revenue", crm.MustMoney("5 USD")),
			crm.Eq("openedon", time.Date(2024, 3, 1, 13, 0, 0, 0, time.UTC)),
			crm.In("employees", 1, int32(2)),
		), now)
		g := p.Where.(crm.Group)
		require.Equal(t, []any{id}, g.Filters[0].(crm.Condition).Values, "lookups compare by ID")
		require.Equal(t, []any{int32(1)}, g.Filters[1].(crm.Condition).Values, "choices are int32")
		require.Equal(t, []any{dec("1.005")}, g.Filters[2].(crm.Condition).Values, "a decimal bound keeps its places")
		require.Equal(t, []any{crm.MustMoney("5 USD")}, g.Filters[3].(crm.Condition).Values, "money keeps its currency")
		require.Equal(t, []any{date(2024, 3, 1)}, g.Filters[4].(crm.Condition).Values, "date-only values lose their time")
		require.Equal(t, []any{int64(1), int64(2)}, g.Filters[5].(crm.Condition).Values)
	})
	t.Run("nil members of a group are dropped", func(t *testing.T) {
		p := plan(t, reg, crm.Or(nil, crm.IsNull("revenue")), now)
		require.Equal(t, crm.Or(crm.Condition{Field: "revenue", Op: crm.OpNull}), p.Where)
	})
	t.Run("pointer filters are planned like values", func(t *testing.T) {
		c := crm.NotNull("revenue")
		g := crm.And(&c)
		p := plan(t, reg, &g, now)
		require.Equal(t, crm.And(crm.Condition{Field: "revenue", Op: crm.OpNotNull}), p.Where)
	})
}

func TestPlanDateOperators(t *testing.T) {
	reg := testRegistry(t)
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, time.UTC) }
	leap := time.Date(2024, 2, 29, 15, 4, 5, 123456789, time.UTC)
	tests := []struct {
		name   string
		now    time.Time
		cond   crm.Condition
		lo, hi time.Time
	}{
		{"on is the whole given day", leap, crm.Where("lastcontacted", crm.OpOn, at(2024, 3, 10, 18, 0)), date(2024, 3, 10), date(2024, 3, 11)},
		{"on a leap day", leap, crm.Where("lastcontacted", crm.OpOn, leap), date(2024, 2, 29), date(2024, 3, 1)},
		{"on takes the UTC day of the value", leap, crm.Where("lastcontacted", crm.OpOn, time.Date(2024, 3, 10, 22, 0, 0, 0, time.FixedZone("X", -5*3600))), date(2024, 3, 11), date(2024, 3, 12)},
		{"on a date-only field takes the date the value shows, as stored", leap, crm.Where("openedon", crm.OpOn, time.Date(2024, 3, 10, 0, 0, 0, 0, time.FixedZone("X", 2*3600))), date(2024, 3, 10), date(2024, 3, 11)},
		{"on-or-before includes the day", leap, crm.Where("lastcontacted", crm.OpOnOrBefore, at(2023, 12, 31, 9, 0)), time.Time{}, date(2024, 1, 1)},
		{"on-or-after starts at the day", leap, crm.Where("lastcontacted", crm.OpOnOrAfter, at(2023, 12, 31, 9, 0)), date(2023, 12, 31), time.Time{}},
		{"today", leap, crm.Where("lastcontacted", crm.OpToday), date(2024, 2, 29), date(2024, 3, 1)},
		{"yesterday across a month", at(2024, 3, 1, 0, 0), crm.Where("lastcontacted", crm.OpYesterday), date(2024, 2, 29), date(2024, 3, 1)},
		{"yesterday across a year", at(2024, 1, 1, 8, 0), crm.Where("lastcontacted", crm.OpYesterday), date(2023, 12, 31), date(2024, 1, 1)},
		{"tomorrow on a leap day", leap, crm.Where("lastcontacted", crm.OpTomorrow), date(2024, 3, 1), date(2024, 3, 2)},
		{"tomorrow across a year", at(2023, 12, 31, 23, 59), crm.Where("lastcontacted", crm.OpTomorrow), date(2024, 1, 1), date(2024, 1, 2)},
		{"this month in February of a leap year", leap, crm.Where("lastcontacted", crm.OpThisMonth), date(2024, 2, 1), date(2024, 3, 1)},
		{"last month from the 31st", at(2024, 3, 31, 12, 0), crm.Where("lastcontacted", crm.OpLastMonth), date(2024, 2, 1), date(2024, 3, 1)},
		{"last month from January", at(2024, 1, 15, 12, 0), crm.Where("lastcontacted", crm.OpLastMonth), date(2023, 12, 1), date(2024, 1, 1)},
		{"next month from the 31st", at(2024, 1, 31, 12, 0), crm.Where("lastcontacted", crm.OpNextMonth), date(2024, 2, 1), date(2024, 3, 1)},
		{"next month from December", at(2024, 12, 31, 23, 0), crm.Where("lastcontacted", crm.OpNextMonth), date(2025, 1, 1), date(2025, 2, 1)},
		{"this year", leap, crm.Where("lastcontacted", crm.OpThisYear), date(2024, 1, 1), date(2025, 1, 1)},
		{"last year", leap, crm.Where("lastcontacted", crm.OpLastYear), date(2023, 1, 1), date(2024, 1, 1)},
		{"last x days runs from n days ago to the end of today", at(2024, 3, 2, 10, 0), crm.Where("lastcontacted", crm.OpLastXDays, 2), date(2024, 2, 29), date(2024, 3, 3)},
		{"next x days runs from today to the end of the nth day", at(2024, 2, 28, 10, 0), crm.Where("lastcontacted", crm.OpNextXDays, int64(2)), date(2024, 2, 28), date(2024, 3, 2)},
		{"last x hours runs to now, inclusive", leap, crm.Where("lastcontacted", crm.OpLastXHours, 16), time.Date(2024, 2, 28, 23, 4, 5, 123456000, time.UTC), time.Date(2024, 2, 29, 15, 4, 5, 123457000, time.UTC)},
		{"older than x days is before now minus n days", at(2024, 3, 30, 10, 30), crm.Where("lastcontacted", crm.OpOlderThanXDays, 30), time.Time{}, at(2024, 2, 29, 10, 30)},
		{"date operators work on date-only fields", leap, crm.Where("openedon", crm.OpThisMonth), date(2024, 2, 1), date(2024, 3, 1)},
		{"now in another zone is read in UTC", time.Date(2024, 2, 29, 23, 0, 0, 0, time.FixedZone("X", -5*3600)), crm.Where("lastcontacted", crm.OpToday), date(2024, 3, 1), date(2024, 3, 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := plan(t, reg, tt.cond, tt.now)
			lo, hi := timeRange(t, p.Where)
			require.Equal(t, tt.lo, lo, "lower bound")
			require.Equal(t, tt.hi, hi, "upper bound")
		})
	}
}

func TestPlanDateOperatorsInTheCallersZone(t *testing.T) {
	reg := testRegistry(t)
	zone := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		require.NoError(t, err)
		return loc
	}
	auckland, la := zone("Pacific/Auckland"), zone("America/Los_Angeles")
	utc := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }
	// 2024-03-31 20:00 UTC is 1 April 09:00 in Auckland (NZDT, +13) and
	// 31 March 13:00 in Los Angeles (PDT, -7).
	now := utc(2024, 3, 31, 20)
	tests := []struct {
		name   string
		loc    *time.Location
		now    time.Time
		cond   crm.Condition
		lo, hi time.Time
	}{
		{"this month in Auckland is April there", auckland, now, crm.Where("lastcontacted", crm.OpThisMonth), utc(2024, 3, 31, 11), utc(2024, 4, 30, 12)},
		{"this month in Los Angeles is March there", la, now, crm.Where("lastcontacted", crm.OpThisMonth), utc(2024, 3, 1, 8), utc(2024, 4, 1, 7)},
		{"today in Auckland", auckland, now, crm.Where("lastcontacted", crm.OpToday), utc(2024, 3, 31, 11), utc(2024, 4, 1, 11)},
		{"today in Los Angeles", la, now, crm.Where("lastcontacted", crm.OpToday), utc(2024, 3, 31, 7), utc(2024, 4, 1, 7)},
		{"a day across the end of daylight saving is 25 hours", auckland, utc(2024, 4, 6, 20), crm.Where("lastcontacted", crm.OpToday), utc(2024, 4, 6, 11), utc(2024, 4, 7, 12)},
		{"last x days counts local days", la, now, crm.Where("lastcontacted", crm.OpLastXDays, 1), utc(2024, 3, 30, 7), utc(2024, 4, 1, 7)},
		{"on takes the local day of the instant", la, now, crm.Where("lastcontacted", crm.OpOn, utc(2024, 3, 1, 3)), utc(2024, 2, 29, 8), utc(2024, 3, 1, 8)},
		{"a date-only field keeps calendar dates, today being the caller's", auckland, now, crm.Where("openedon", crm.OpToday), date(2024, 4, 1), date(2024, 4, 2)},
		{"a date-only field in Los Angeles", la, now, crm.Where("openedon", crm.OpThisMonth), date(2024, 3, 1), date(2024, 4, 1)},
		{"nil is UTC", nil, now, crm.Where("lastcontacted", crm.OpToday), date(2024, 3, 31), date(2024, 4, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := driver.PlanQuery(reg, crm.Query{Entity: "account", Where: tt.cond}, tt.now, tt.loc, driver.Principal{})
			require.NoError(t, err)
			lo, hi := timeRange(t, p.Where)
			require.Equal(t, tt.lo, lo, "lower bound")
			require.Equal(t, tt.hi, hi, "upper bound")
			require.Equal(t, time.UTC, lo.Location(), "adapters get UTC instants")
		})
	}
}

func TestPlanRefusesBadQueries(t *testing.T) {
	reg := testRegistry(t)
	id := crm.NewID()
	related := func(n int) crm.Filter {
		g := crm.And()
		for range n {
			g.Filters = append(g.Filters, crm.Through("parentaccountid", "", crm.NotNull("name")))
		}
		return g
	}
	tests := []struct {
		name   string
		q      crm.Query
		field  string
		reason string
	}{
		{"unknown field", crm.Query{Where: crm.Eq("nickname", "x")}, "nickname", "is not a field of account"},
		{"wrong value type", crm.Query{Where: crm.Eq("employees", "ten")}, "employees", "eq: value 1 wants a integer value, got string"},
		{"nil value", crm.Query{Where: crm.Eq("employees", nil)}, "employees", "use the null and not-null operators"},
		{"unknown currency", crm.Query{Where: crm.Eq("revenue", crm.Money{Amount: dec("1"), Currency: "XXX"})}, "revenue", `currency "XXX" is not known`},
		{"lookup value that is not an ID", crm.Query{Where: crm.Eq("primarycontactid", "x")}, "primarycontactid", "wants an ID or a Ref"},
		{"order on an unordered field", crm.Query{Where: crm.Lt("creditonhold", true)}, "creditonhold", "a bool field has no order"},
		{"between on a lookup", crm.Query{Where: crm.Between("primarycontactid", id, id)}, "primarycontactid", "a lookup field has no order"},
		{"in on money", crm.Query{Where: crm.In("revenue", crm.MustMoney("1 USD"))}, "revenue", "not for money fields"},
		{"in on time", crm.Query{Where: crm.In("lastcontacted", date(2024, 1, 1))}, "lastcontacted", "not for time fields"},
		{"in without values", crm.Query{Where: crm.In("employees")}, "employees", "wants at least one value"},
		{"like on a number", crm.Query{Where: crm.Like("employees", "1%")}, "employees", "only for text fields"},
		{"like with a number", crm.Query{Where: crm.Where("name", crm.OpLike, 1)}, "name", "wants a string, got int"},
		{"date operator on text", crm.Query{Where: crm.Where("name", crm.OpToday)}, "name", "only for time fields"},
		{"eq with two values", crm.Query{Where: crm.Where("name", crm.OpEq, "a", "b")}, "name", "wants 1 value(s), got 2"},
		{"null with a value", crm.Query{Where: crm.Where("name", crm.OpNull, "a")}, "name", "wants 0 value(s), got 1"},
		{"between with one value", crm.Query{Where: crm.Where("employees", crm.OpBetween, 1)}, "employees", "wants 2 value(s), got 1"},
		{"today with a value", crm.Query{Where: crm.Where("lastcontacted", crm.OpToday, 1)}, "lastcontacted", "takes no value"},
		{"on without a time", crm.Query{Where: crm.Where("lastcontacted", crm.OpOn, 20240101)}, "lastcontacted", "wants one time.Time value"},
		{"last x days of zero", crm.Query{Where: crm.Where("lastcontacted", crm.OpLastXDays, 0)}, "lastcontacted", "wants one whole number from 1 to 100000"},
		{"last x days of too many", crm.Query{Where: crm.Where("lastcontacted", crm.OpLastXDays, 100_001)}, "lastcontacted", "from 1 to 100000"},
		{"next x days of a string", crm.Query{Where: crm.Where("lastcontacted", crm.OpNextXDays, "3")}, "lastcontacted", "from 1 to 100000"},
		{"last x hours on a date-only field", crm.Query{Where: crm.Where("openedon", crm.OpLastXHours, 3)}, "openedon", "needs a time of day"},
		{"unknown operator", crm.Query{Where: crm.Where("lastcontacted", crm.Operator(99))}, "lastcontacted", "is not a known operator"},
		{"related condition on a field that is not a lookup", crm.Query{Where: crm.Through("name", "account", nil)}, "name", "is not a lookup field of account"},
		{"related condition on an unknown field", crm.Query{Where: crm.Through("nothing", "account", nil)}, "nothing", "is not a lookup field"},
		{"related condition through the wrong target", crm.Query{Where: crm.Through("primarycontactid", "account", nil)}, "primarycontactid", `cannot point at "account" records`},
		{"related condition on a polymorphic lookup without entity", crm.Query{Entity: "contact", Where: crm.Through("parentcustomerid", "", nil)}, "parentcustomerid", `cannot point at "" records`},
		{"related condition to an entity without metadata", crm.Query{Where: crm.Through(crm.FieldOwner, crm.UserEntity, nil)}, crm.FieldOwner, "has no metadata here"},
		{"bad field inside a related condition names its path", crm.Query{Where: crm.Through("primarycontactid", "", crm.Eq("nickname", "x"))}, "primarycontactid.nickname", "is not a field of contact"},
		{"more related conditions than allowed", crm.Query{Where: related(crm.MaxRelated + 1)}, "where", "has 16 related-record conditions, more than the 15 allowed"},
		{"sort on an unknown field", crm.Query{OrderBy: []crm.Order{crm.Asc("nickname")}}, "nickname", "cannot be sorted on"},
		{"negative limit", crm.Query{Limit: -1}, "limit", "is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := planErr(t, reg, tt.q)
			require.Contains(t, bad, tt.field, "bad fields: %v", bad)
			require.Contains(t, bad[tt.field], tt.reason)
		})
	}
	t.Run("as many related conditions as allowed", func(t *testing.T) {
		_, err := driver.PlanQuery(reg, crm.Query{Entity: "account", Where: related(crm.MaxRelated)}, date(2024, 1, 1), nil, driver.Principal{})
		require.NoError(t, err)
	})
	t.Run("every bad condition is reported at once", func(t *testing.T) {
		bad := planErr(t, reg, crm.Query{Where: crm.Or(crm.Eq("nickname", 1), crm.Gt("employees", "x"), crm.Like("score", "1"))})
		require.Len(t, bad, 3)
	})
	t.Run("unknown entity is not found", func(t *testing.T) {
		_, err := driver.PlanQuery(reg, crm.Query{Entity: "nowhere"}, date(2024, 1, 1), nil, driver.Principal{})
		require.ErrorIs(t, err, crm.ErrNotFound)
	})
	t.Run("operator names round trip", func(t *testing.T) {
		for op := crm.OpEq; op <= crm.OpNeBusinessID; op++ {
			back, err := crm.ParseOperator(op.String())
			require.NoError(t, err)
			require.Equal(t, op, back)
		}
		_, err := crm.ParseOperator("almost")
		require.ErrorIs(t, err, crm.ErrNotFound)
		require.Equal(t, "Operator(0)", crm.Operator(0).String())
	})
}

func TestPlanOrder(t *testing.T) {
	reg := testRegistry(t)
	t.Run("the id is always the last tiebreak", func(t *testing.T) {
		p, err := driver.PlanQuery(reg, crm.Query{Entity: "account", OrderBy: []crm.Order{crm.Desc("revenue")}}, date(2024, 1, 1), nil, driver.Principal{})
		require.NoError(t, err)
		require.Equal(t, []crm.Order{crm.Desc("revenue"), crm.Asc(crm.FieldID)}, p.OrderBy)
	})
	t.Run("orders after the id are dropped", func(t *testing.T) {
		p, err := driver.PlanQuery(reg, crm.Query{Entity: "account", OrderBy: []crm.Order{crm.Desc(crm.FieldID), crm.Asc("name")}}, date(2024, 1, 1), nil, driver.Principal{})
		require.NoError(t, err)
		require.Equal(t, []crm.Order{crm.Desc(crm.FieldID)}, p.OrderBy)
	})
}

func TestPlanSortKeysOrderAsCompare(t *testing.T) {
	reg := testRegistry(t)
	names := []any{nil, "Contoso", "contoso", "Fabrikam", "Émile"}
	amounts := []any{nil, crm.MustMoney("12.50 USD"), crm.MustMoney("12.5 EUR"), crm.MustMoney("-3.00 USD")}
	scores := []any{nil, dec("1.5"), dec("1.50"), dec("-2")}
	var recs []crm.Record
	for i := range 60 {
		f := crm.Fields{}
		for k, v := range map[string]any{"name": names[i%len(names)], "revenue": amounts[i/5%len(amounts)], "score": scores[i/3%len(scores)]} {
			if v != nil {
				f[k] = v
			}
		}
		recs = append(recs, crm.Record{Entity: "account", Header: crm.Header{ID: crm.NewID(), CreatedOn: date(2024, 1, 1+i%3)}, Fields: f})
	}
	for _, order := range [][]crm.Order{
		nil,
		{crm.Desc(crm.FieldID)},
		{crm.Asc("name"), crm.Desc("revenue")},
		{crm.Desc("score"), crm.Asc(crm.FieldCreatedOn), crm.Desc("name")},
	} {
		p, err := driver.PlanQuery(reg, crm.Query{Entity: "account", OrderBy: order}, date(2024, 1, 1), nil, driver.Principal{})
		require.NoError(t, err)
		for _, a := range recs {
			ka := p.SortKeys(nil, driver.RecordRow(&a))
			require.Len(t, ka, len(p.OrderBy))
			for _, b := range recs {
				require.Equal(t, p.Compare(a, b), p.CompareSortKeys(ka, p.SortKeys(nil, driver.RecordRow(&b))), "by %v", order)
			}
		}
	}
}

func TestPlanCursor(t *testing.T) {
	reg := testRegistry(t)
	now := date(2024, 1, 1)
	order := []crm.Order{crm.Asc("name"), crm.Desc("revenue"), crm.Asc("lastcontacted"), crm.Asc("score"), crm.Asc("industry"), crm.Asc("primarycontactid"), crm.Asc(crm.FieldCreatedBy)}
	q := crm.Query{Entity: "account", OrderBy: order}
	p, err := driver.PlanQuery(reg, q, now, nil, driver.Principal{})
	require.NoError(t, err)
	contact := crm.NewID()
	rec := crm.Record{Entity: "account", Header: crm.Header{ID: crm.NewID(), CreatedBy: crm.NewID()}, Fields: crm.Fields{
		"name": "Contoso", "revenue": crm.MustMoney("12.50 USD"), "lastcontacted": time.Date(2024, 2, 29, 1, 2, 3, 456000, time.UTC),
		"score": dec("-1.25"), "industry": int32(2), "primarycontactid": crm.Ref{Entity: "contact", ID: contact},
	}}

	t.Run("a cursor round trips to the sort keys of its record", func(t *testing.T) {
		q.After = p.Cursor(rec)
		next, err := driver.PlanQuery(reg, q, now, nil, driver.Principal{})
		require.NoError(t, err)
		require.Len(t, next.After, len(next.OrderBy))
		require.Equal(t, "Contoso", next.After[0])
		require.True(t, dec("12.5").Equal(next.After[1].(decimal.Decimal)), "money sorts by amount")
		require.Equal(t, rec.Fields["lastcontacted"], next.After[2])
		require.True(t, dec("-1.25").Equal(next.After[3].(decimal.Decimal)))
		require.Equal(t, int32(2), next.After[4])
		require.Equal(t, contact, next.After[5], "lookups sort by ID")
		require.Equal(t, rec.CreatedBy, next.After[6])
		require.Equal(t, rec.ID, next.After[7])
	})
	t.Run("a cursor's keys order the record itself as not after it", func(t *testing.T) {
		q.After = p.Cursor(rec)
		next, err := driver.PlanQuery(reg, q, now, nil, driver.Principal{})
		require.NoError(t, err)
		require.False(t, next.IsAfter(driver.RecordRow(&rec)))
		later := rec.Clone()
		later.Fields["name"] = "Fabrikam"
		require.True(t, next.IsAfter(driver.RecordRow(&later)))
		lessRevenue := rec.Clone()
		lessRevenue.Fields["revenue"] = crm.MustMoney("12.49 USD")
		require.True(t, next.IsAfter(driver.RecordRow(&lessRevenue)), "descending: a smaller amount comes after")
	})
	t.Run("null keys survive the round trip", func(t *testing.T) {
		bare := crm.Record{Entity: "account", Header: crm.Header{ID: crm.NewID()}, Fields: crm.Fields{}}
		q.After = p.Cursor(bare)
		next, err := driver.PlanQuery(reg, q, now, nil, driver.Principal{})
		require.NoError(t, err)
		require.Nil(t, next.After[0])
		require.False(t, next.IsAfter(driver.RecordRow(&bare)))
		require.True(t, next.IsAfter(driver.RecordRow(&rec)), "nulls come first")
	})
	t.Run("a cursor of another query is refused", func(t *testing.T) {
		cursor := p.Cursor(rec)
		for _, other := range []crm.Query{
			{Entity: "account", OrderBy: []crm.Order{crm.Asc("name")}},
			{Entity: "account", OrderBy: append([]crm.Order{crm.Desc("name")}, order[1:]...)},
			{Entity: "contact", OrderBy: []crm.Order{crm.Asc("lastname")}},
		} {
			other.After = cursor
			_, err := driver.PlanQuery(reg, other, now, nil, driver.Principal{})
			require.Error(t, err)
			require.Contains(t, validationFields(t, err)["after"], "is not a cursor of this query")
		}
	})
	t.Run("a forged cursor is refused", func(t *testing.T) {
		for _, c := range []crm.Cursor{"not base64!", "e30", "eyJvIjoiYWNjb3VudCxpZCIsImsiOlsieCJdfQ"} {
			_, err := driver.PlanQuery(reg, crm.Query{Entity: "account", After: c}, now, nil, driver.Principal{})
			require.ErrorIs(t, err, crm.ErrValidation, "%q", c)
		}
	})
}

func TestPlanFilterShape(t *testing.T) {
	reg := testRegistry(t)
	now := date(2024, 1, 1)
	eq := func(n int) crm.Condition { return crm.Eq("employees", n) }
	lowered := func(n int) crm.Condition {
		return crm.Condition{Field: "employees", Op: crm.OpEq, Values: []any{int64(n)}}
	}
	t.Run("an and inside an and is flattened, a between with it", func(t *testing.T) {
		p := plan(t, reg, crm.And(eq(1), crm.And(eq(2), crm.And(eq(3))), crm.Between("employees", 4, 5)), now)
		require.Equal(t, crm.And(lowered(1), lowered(2), lowered(3),
			crm.Condition{Field: "employees", Op: crm.OpGe, Values: []any{int64(4)}},
			crm.Condition{Field: "employees", Op: crm.OpLe, Values: []any{int64(5)}},
		), p.Where)
	})
	t.Run("an or inside an or is flattened, an and inside an or is not", func(t *testing.T) {
		p := plan(t, reg, crm.Or(eq(1), crm.Or(eq(2), crm.And(eq(3), eq(4)))), now)
		require.Equal(t, crm.Or(lowered(1), lowered(2), crm.And(lowered(3), lowered(4))), p.Where)
	})
	t.Run("an and nested 1,500 deep is one and", func(t *testing.T) {
		var where crm.Filter = eq(0)
		for i := 1; i <= 1500; i++ {
			where = crm.And(eq(i), where)
		}
		p := plan(t, reg, where, now)
		g, ok := p.Where.(crm.Group)
		require.True(t, ok)
		require.False(t, g.Or)
		require.Len(t, g.Filters, 1501)
	})
	// nest returns groups alternating And and Or, depth deep.
	nest := func(depth int) crm.Filter {
		var where crm.Filter = eq(0)
		for i := 1; i <= depth; i++ {
			if i%2 == 0 {
				where = crm.And(eq(i), where)
			} else {
				where = crm.Or(eq(i), where)
			}
		}
		return where
	}
	t.Run("alternating groups nest up to the limit", func(t *testing.T) {
		plan(t, reg, nest(crm.MaxFilterDepth), now)
	})
	t.Run("alternating groups nested past the limit are refused", func(t *testing.T) {
		bad := planErr(t, reg, crm.Query{Where: nest(crm.MaxFilterDepth + 1)})
		require.Contains(t, bad["where"], fmt.Sprintf("is nested more than %d deep", crm.MaxFilterDepth))
		bad = planErr(t, reg, crm.Query{Where: nest(1500)})
		require.Contains(t, bad["where"], "nested more than")
	})
	t.Run("related conditions count as depth", func(t *testing.T) {
		plan(t, reg, crm.Through("parentaccountid", "account", nest(crm.MaxFilterDepth-1)), now)
		bad := planErr(t, reg, crm.Query{Where: crm.Through("parentaccountid", "account", nest(crm.MaxFilterDepth))})
		require.Contains(t, bad["where"], "nested more than")
	})
	t.Run("conditions past the limit are refused; an in list counts once", func(t *testing.T) {
		many := make([]crm.Filter, crm.MaxConditions+1)
		values := make([]any, crm.MaxConditions+1)
		for i := range many {
			many[i] = eq(i)
			values[i] = i
		}
		bad := planErr(t, reg, crm.Query{Where: crm.Or(many...)})
		require.Contains(t, bad["where"], fmt.Sprintf("more than the %d allowed", crm.MaxConditions))
		plan(t, reg, crm.Or(many[:crm.MaxConditions]...), now)
		plan(t, reg, crm.In("employees", values...), now)
	})
	t.Run("aggregates hold the same limits", func(t *testing.T) {
		_, err := driver.PlanAggregate(reg, crm.Aggregation{Entity: "account", Where: nest(crm.MaxFilterDepth + 1),
			Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}}, now, nil, driver.Principal{})
		require.ErrorIs(t, err, crm.ErrValidation)
	})
}
