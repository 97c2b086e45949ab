package driver_test

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

func TestPlanValueLimits(t *testing.T) {
	reg := limitsRegistry(t)
	now := date(2024, 1, 1)
	query := func(where crm.Filter) (*driver.Plan, error) {
		return driver.PlanQuery(reg, crm.Query{Entity: "gauge", Where: where}, now, nil, driver.Principal{})
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
		early, err := driver.PlanQuery(reg, crm.Query{Entity: "gauge", Where: crm.Where("seenon", crm.OpLastXDays, 100_000)}, date(1800, 1, 1), nil, driver.Principal{})
		require.NoError(t, err)
		lo, _ := timeRange(t, early.Where)
		require.Equal(t, crm.EarliestTime, lo)

		late, err := driver.PlanQuery(reg, crm.Query{Entity: "gauge", Where: crm.Where("seenon", crm.OpNextXDays, 100_000)}, date(9999, 1, 1), nil, driver.Principal{})
		require.NoError(t, err)
		_, hi := timeRange(t, late.Where)
		require.Equal(t, crm.LatestTime.Add(crm.TimePrecision), hi)

		older, err := driver.PlanQuery(reg, crm.Query{Entity: "gauge", Where: crm.Where("seenon", crm.OpOlderThanXDays, 100_000)}, date(1800, 1, 1), nil, driver.Principal{})
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
		_, err := driver.PlanQuery(reg, q, date(2024, 1, 1), nil, driver.Principal{})
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
			_, err := driver.PlanQuery(reg, q, date(2024, 1, 1), nil, driver.Principal{})
			require.NoError(t, err, "%s %s", c.field, c.key)
		}
	})
}
