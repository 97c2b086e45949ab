package crm_test

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
)

// limitsRegistry declares fields at the edges of what values may be: one
// bound of a range set, the other left to Dynamics' default.
func limitsRegistry(t *testing.T) *crm.Registry {
	t.Helper()
	reg := crm.NewRegistry()
	require.NoError(t, reg.Register(&crm.Entity{
		Name:        "gauge",
		PrimaryName: "name",
		Fields: []crm.Field{
			{Name: "name", Type: crm.TypeText, MaxLength: 160},
			{Name: "atleastten", Type: crm.TypeInteger, Min: decPtr("10")},
			{Name: "atmostten", Type: crm.TypeInteger, Max: decPtr("10")},
			{Name: "level", Type: crm.TypeDecimal, Precision: 2, Max: decPtr("5")},
			{Name: "amount", Type: crm.TypeMoney},
			{Name: "seenon", Type: crm.TypeTime},
			{Name: "bornon", Type: crm.TypeTime, DateOnly: true},
			{Name: "kind", Type: crm.TypeChoice, Options: []crm.Option{{Value: 0, Label: "Zero"}, {Value: 1, Label: "One"}}},
		},
	}))
	return reg
}

func TestValueLimits(t *testing.T) {
	reg := limitsRegistry(t)
	gauge := entity(t, reg, "gauge")
	huge := time.Unix(math.MaxInt64/2, 0) // far beyond any calendar a store keeps
	emoji := "😀"                          // one character, two UTF-16 code units

	tests := []struct {
		name   string
		field  string
		value  any
		want   any    // canonical value stored, when valid
		reason string // part of the reason, when invalid
	}{
		{"160 ASCII characters fit a 160-character field", "name", strings.Repeat("x", 160), strings.Repeat("x", 160), ""},
		{"80 emoji fit a 160-character field", "name", strings.Repeat(emoji, 80), strings.Repeat(emoji, 80), ""},
		{"160 emoji are 320 UTF-16 code units, as Dynamics counts", "name", strings.Repeat(emoji, 160), nil, "is 320 characters, longer than the maximum 160"},
		{"81 emoji overflow a 160-character field by one unit", "name", strings.Repeat(emoji, 81), nil, "is 162 characters"},
		{"characters of the Basic Multilingual Plane count one", "name", strings.Repeat("€", 160), strings.Repeat("€", 160), ""},

		{"an integer minimum alone is kept", "atleastten", 9, nil, "outside 10..2147483647"},
		{"an integer minimum alone keeps the default maximum", "atleastten", int64(1) << 31, nil, "outside 10..2147483647"},
		{"an integer maximum alone is kept", "atmostten", 11, nil, "outside -2147483648..10"},
		{"an integer maximum alone keeps the default minimum", "atmostten", -int64(1)<<31 - 1, nil, "outside -2147483648..10"},
		{"an integer within a one-sided range is kept", "atmostten", -5, int64(-5), ""},

		{"a decimal's trailing zeros are not places", "level", dec("1.250"), dec("1.25"), ""},
		{"a decimal maximum alone is kept", "level", dec("5.01"), nil, "outside -100000000000..5"},
		{"a decimal with a huge exponent is refused before rounding", "level", dec("1e3000000"), nil, "is out of range"},
		{"a negative decimal with a huge exponent is refused", "level", dec("-1e3000000"), nil, "is out of range"},
		{"a decimal finer than 10^-40 is refused before rounding", "level", dec("1e-3000000"), nil, "is out of range"},
		{"a decimal at 10^40 is refused", "level", dec("1e40"), nil, "is out of range"},
		{"zero with a huge exponent is zero", "level", dec("0e-3000000"), dec("0"), ""},
		{"trailing zeros beyond 40 places are not places", "level", dec("1." + strings.Repeat("0", 60)), dec("1"), ""},
		{"money with a huge exponent is refused before rounding", "amount", crm.Money{Amount: dec("1e3000000"), Currency: "USD"}, nil, "is out of range"},
		{"money finer than 10^-40 is refused", "amount", crm.Money{Amount: dec("1e-3000000"), Currency: "USD"}, nil, "is out of range"},
		{"money zero with a huge exponent is zero", "amount", crm.Money{Amount: dec("0e3000000"), Currency: "USD"}, crm.MustMoney("0.00 USD"), ""},

		{"1753-01-01 exactly is the earliest time", "seenon", crm.EarliestTime, crm.EarliestTime, ""},
		{"the last microsecond of 9999 is the latest time", "seenon", crm.LatestTime, crm.LatestTime, ""},
		{"nanoseconds after the latest microsecond are truncated into range", "seenon", crm.LatestTime.Add(999), crm.LatestTime, ""},
		{"a time after 9999 is refused", "seenon", crm.LatestTime.Add(time.Microsecond), nil, "after 9999-12-31"},
		{"a time in year 300000 is refused", "seenon", time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC), nil, "after 9999-12-31"},
		{"a time near the end of int64 seconds is refused", "seenon", huge, nil, "after 9999-12-31"},
		{"a time far before year 1 is refused", "seenon", time.Unix(math.MinInt64/2, 0), nil, "before 1753-01-01"},
		{"the range is checked in UTC", "seenon", time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("", -2*3600)), nil, "after 9999-12-31"},
		{"a date-only 9999-12-31 is kept", "bornon", time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("", -2*3600)), date(9999, 12, 31), ""},
		{"a date-only year 10000 is refused", "bornon", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), nil, "after 9999-12-31"},
		{"a date-only 1753-01-01 is kept", "bornon", crm.EarliestTime, crm.EarliestTime, ""},

		{"a choice beyond int32 does not wrap onto an option", "kind", int64(1) << 32, nil, "is not an option"},
		{"a choice beyond int32 plus one does not wrap onto an option", "kind", int64(1)<<32 + 1, nil, "is not an option"},
		{"a negative choice beyond int32 does not wrap", "kind", -int64(1) << 32, nil, "is not an option"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := gauge.CheckCreate(crm.Fields{tt.field: tt.value})
			if tt.reason != "" {
				require.Error(t, err)
				require.Contains(t, validationFields(t, err)[tt.field], tt.reason)
				return
			}
			require.NoError(t, err)
			require.True(t, crm.SameValue(tt.want, got[tt.field]), "got %v, want %v", got[tt.field], tt.want)
			_, err = gauge.CheckUpdate(crm.Fields{tt.field: tt.value})
			require.NoError(t, err, "an update takes what a create takes")
		})
	}
}

func TestPlanValueLimits(t *testing.T) {
	reg := limitsRegistry(t)
	now := date(2024, 1, 1)
	query := func(where crm.Filter) (*crm.Plan, error) {
		return reg.PlanQuery(crm.Query{Entity: "gauge", Where: where}, now)
	}
	refused := func(t *testing.T, where crm.Filter, field, reason string) {
		t.Helper()
		_, err := query(where)
		require.Error(t, err)
		require.Contains(t, validationFields(t, err)[field], reason)
	}
	y300000 := time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC)

	t.Run("times outside the range are refused as condition values", func(t *testing.T) {
		for _, where := range []crm.Filter{
			crm.Eq("seenon", y300000),
			crm.Lt("seenon", time.Unix(math.MaxInt64/2, 0)),
			crm.Gt("seenon", time.Time{}),
			crm.Where("seenon", crm.OpBetween, crm.EarliestTime, y300000),
			crm.Where("seenon", crm.OpOn, y300000),
			crm.Where("seenon", crm.OpOnOrBefore, time.Date(1752, 12, 31, 0, 0, 0, 0, time.UTC)),
			crm.Where("bornon", crm.OpOnOrAfter, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)),
		} {
			refused(t, where, where.(crm.Condition).Field, "is ")
		}
	})
	t.Run("the edges of the range are condition values", func(t *testing.T) {
		for _, where := range []crm.Filter{
			crm.Eq("seenon", crm.EarliestTime),
			crm.Le("seenon", crm.LatestTime),
			crm.Where("seenon", crm.OpOn, crm.LatestTime),
			crm.Where("bornon", crm.OpOnOrBefore, date(9999, 12, 31)),
			crm.Where("bornon", crm.OpOnOrAfter, crm.EarliestTime),
		} {
			_, err := query(where)
			require.NoError(t, err, "%v", where)
		}
	})
	t.Run("relative date ranges stop at the edges of the range", func(t *testing.T) {
		early, err := reg.PlanQuery(crm.Query{Entity: "gauge", Where: crm.Where("seenon", crm.OpLastXDays, 100_000)}, date(1800, 1, 1))
		require.NoError(t, err)
		lo, _ := timeRange(t, early.Where)
		require.Equal(t, crm.EarliestTime, lo)

		late, err := reg.PlanQuery(crm.Query{Entity: "gauge", Where: crm.Where("seenon", crm.OpNextXDays, 100_000)}, date(9999, 1, 1))
		require.NoError(t, err)
		_, hi := timeRange(t, late.Where)
		require.Equal(t, crm.LatestTime.Add(crm.TimePrecision), hi)

		older, err := reg.PlanQuery(crm.Query{Entity: "gauge", Where: crm.Where("seenon", crm.OpOlderThanXDays, 100_000)}, date(1800, 1, 1))
		require.NoError(t, err)
		_, hi = timeRange(t, older.Where)
		require.Equal(t, crm.EarliestTime, hi, "older than 1753: nothing")
	})
	t.Run("relative date counts beyond 100000 are refused", func(t *testing.T) {
		refused(t, crm.Where("seenon", crm.OpNextXDays, math.MaxInt64), "seenon", "wants one whole number")
		refused(t, crm.Where("seenon", crm.OpLastXDays, int64(1)<<40), "seenon", "wants one whole number")
	})
	t.Run("a decimal bound may have more places than the field", func(t *testing.T) {
		p, err := query(crm.Lt("level", dec("1.005")))
		require.NoError(t, err)
		require.True(t, dec("1.005").Equal(p.Where.(crm.Condition).Values[0].(decimal.Decimal)))
	})
	t.Run("a decimal bound beyond 10^40 moves to 10^40 without arithmetic on it", func(t *testing.T) {
		for bound, want := range map[string]string{"1e3000000": "1e40", "-1e3000000": "-1e40", "1e50": "1e40", "123456789e40": "1e40"} {
			p, err := query(crm.Lt("level", dec(bound)))
			require.NoError(t, err, bound)
			require.True(t, dec(want).Equal(p.Where.(crm.Condition).Values[0].(decimal.Decimal)), bound)
		}
		p, err := query(crm.Ge("amount", crm.Money{Amount: dec("1e3000000"), Currency: "USD"}))
		require.NoError(t, err)
		require.True(t, crm.MustMoney("1e40 USD").Equal(p.Where.(crm.Condition).Values[0].(crm.Money)))
	})
	t.Run("a decimal bound finer than 10^-40 is refused", func(t *testing.T) {
		refused(t, crm.Lt("level", dec("1e-3000000")), "level", "is out of range")
		refused(t, crm.Where("level", crm.OpIn, dec("1"), dec("1e-41")), "level", "is out of range")
		refused(t, crm.Gt("amount", crm.Money{Amount: dec("1e-200000"), Currency: "USD"}), "amount", "is out of range")
	})
	t.Run("a choice value beyond int32 does not wrap onto an option", func(t *testing.T) {
		refused(t, crm.Eq("kind", int64(1)<<32), "kind", "is not an option")
		refused(t, crm.Where("kind", crm.OpIn, 0, int64(1)<<32+1), "kind", "is not an option")
	})
}

func TestPlanRefusesForgedCursorValues(t *testing.T) {
	reg := limitsRegistry(t)
	forge := func(order string, key string) crm.Cursor {
		b, err := json.Marshal(map[string]any{"o": "gauge," + order + ",id", "k": []*string{&key, nil}})
		require.NoError(t, err)
		return crm.Cursor(base64.RawURLEncoding.EncodeToString(b))
	}
	for _, c := range []struct{ field, key string }{
		{"level", "1e3000000"},
		{"level", "-1e3000000"},
		{"level", "1e-3000000"},
		{"amount", "1e3000000"},
		{"seenon", "0001-01-01T00:00:00Z"},
		{"seenon", "9999-12-31T23:00:00-05:00"},
		{"kind", "4294967296"},
	} {
		q := crm.Query{Entity: "gauge", OrderBy: []crm.Order{crm.Asc(c.field)}, After: forge(c.field, c.key)}
		_, err := reg.PlanQuery(q, date(2024, 1, 1))
		require.Error(t, err, "%s %s", c.field, c.key)
		require.Contains(t, validationFields(t, err)["after"], "is not a cursor of this query", "%s %s", c.field, c.key)
	}
	t.Run("a cursor at the edges of the ranges is taken", func(t *testing.T) {
		for _, c := range []struct{ field, key string }{
			{"level", "-99999999999.99"},
			{"seenon", "1753-01-01T00:00:00Z"},
			{"seenon", "9999-12-31T23:59:59.999999Z"},
		} {
			q := crm.Query{Entity: "gauge", OrderBy: []crm.Order{crm.Asc(c.field)}, After: forge(c.field, c.key)}
			_, err := reg.PlanQuery(q, date(2024, 1, 1))
			require.NoError(t, err, "%s %s", c.field, c.key)
		}
	})
}

func TestRegistryRefusesBoundsNoStoreHolds(t *testing.T) {
	for _, tt := range []struct {
		name   string
		field  crm.Field
		reason string
	}{
		{"a decimal maximum beyond 38 digits", crm.Field{Name: "x", Type: crm.TypeDecimal, Precision: 10, Max: decPtr("1e28")}, "max 10000000000000000000000000000 is beyond the 38 digits a decimal field holds at 10 places"},
		{"a decimal minimum beyond 38 digits", crm.Field{Name: "x", Type: crm.TypeDecimal, Min: decPtr("-1e38")}, "min -100000000000000000000000000000000000000 is beyond the 38 digits"},
		{"a money maximum beyond the range of money", crm.Field{Name: "x", Type: crm.TypeMoney, Max: decPtr("922337203685478")}, "outside -922337203685477..922337203685477"},
		{"a bound with a huge exponent, before any arithmetic", crm.Field{Name: "x", Type: crm.TypeInteger, Min: decPtr("1e3000000"), Max: decPtr("1e3000001")}, "min is out of range"},
		{"a bound finer than 10^-40", crm.Field{Name: "x", Type: crm.TypeDecimal, Min: decPtr("1e-3000000")}, "min is out of range"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := crm.NewRegistry().Register(&crm.Entity{Name: "thing", Fields: []crm.Field{tt.field}})
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.reason)
		})
	}
	t.Run("the widest bounds every store keeps are taken", func(t *testing.T) {
		require.NoError(t, crm.NewRegistry().Register(&crm.Entity{Name: "thing", Fields: []crm.Field{
			{Name: "d", Type: crm.TypeDecimal, Precision: 10, Min: decPtr("-9999999999999999999999999999.9999999999"), Max: decPtr("9999999999999999999999999999.9999999999")},
			{Name: "p", Type: crm.TypeDecimal, Max: decPtr("999999999999999999999999999999999999")},
			{Name: "m", Type: crm.TypeMoney, Min: decPtr("-922337203685477"), Max: decPtr("922337203685477")},
		}}))
	})
}
