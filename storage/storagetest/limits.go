package storagetest

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/stretchr/testify/require"
)

// testLimits pins the edges of what values may be, on every adapter alike:
// times from crm.EarliestTime to crm.LatestTime, decimals within
// crm.DecimalDigits, text lengths in UTF-16 code units. Values beyond them
// are refused with a *crm.ValidationError wherever they enter (writes,
// condition values, cursors) and change nothing; no adapter may wrap one
// onto another value, answer with an untyped error, or spend seconds on
// one (1e3000000 is refused by its exponent, before any arithmetic).
func testLimits(t *testing.T, open Opener) {
	y300000 := time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC)
	huge := time.Unix(math.MaxInt64/2, 0) // SQLite's microseconds and pgx's would wrap
	emoji := "😀"                          // one character, two UTF-16 code units

	t.Run("writes beyond the limits are refused and change nothing", func(t *testing.T) {
		cases := []struct {
			name  string
			field string
			value any
		}{
			{"a time in year 300000", "lastcontactedon", y300000},
			{"a time near the end of int64 seconds", "lastcontactedon", huge},
			{"a time one microsecond after crm.LatestTime", "lastcontactedon", crm.LatestTime.Add(time.Microsecond)},
			{"a time just before crm.EarliestTime", "lastcontactedon", crm.EarliestTime.Add(-time.Nanosecond)},
			{"a time far before year 1", "lastcontactedon", time.Unix(math.MinInt64/2, 0)},
			{"a date-only year 10000", "foundedon", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
			{"a decimal of 1e3000000", "rating", dec("1e3000000")},
			{"a decimal of -1e3000000", "rating", dec("-1e3000000")},
			{"a decimal of 1e-3000000", "rating", dec("1e-3000000")},
			{"a decimal of 10^40", "rating", dec("1e40")},
			{"money of 1e3000000", "creditlimit", crm.Money{Amount: dec("1e3000000"), Currency: "USD"}},
			{"money of 1e-3000000", "creditlimit", crm.Money{Amount: dec("1e-3000000"), Currency: "USD"}},
			{"21 emoji in a 40-character field", "name", strings.Repeat(emoji, 21)},
		}
		for _, c := range cases {
			t.Run(c.name+" naming "+c.field, func(t *testing.T) {
				e := newEnv(t, open)
				acc := e.create(account, crm.Fields{"name": "Edge"})
				before := e.dump()
				fields := crm.Fields{"name": "New", c.field: c.value}
				_, err := e.store.Create(e.ctx, crm.Record{Entity: account, Fields: fields})
				requireInvalid(t, err, c.field)
				requireInvalid(t, update(e, acc, crm.Fields{c.field: c.value}), c.field)
				require.Equal(t, before, e.dump(), "a refused write changes nothing")
			})
		}
	})

	t.Run("values at the limits round trip exactly", func(t *testing.T) {
		e := newEnv(t, open)
		cases := []crm.Fields{
			{"name": strings.Repeat(emoji, 20), "lastcontactedon": crm.EarliestTime, "foundedon": crm.EarliestTime},
			{"name": strings.Repeat("x", 40), "lastcontactedon": crm.LatestTime, "foundedon": time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)},
			{"name": "Trailing zeros", "rating": dec("1.250"), "creditlimit": crm.Money{Amount: dec("0e-3000000"), Currency: "USD"}},
			{"name": "Nanoseconds", "lastcontactedon": crm.LatestTime.Add(999)},
		}
		canonical := []crm.Fields{
			cases[0], cases[1],
			{"name": "Trailing zeros", "rating": dec("1.25"), "creditlimit": money("0.00 USD")},
			{"name": "Nanoseconds", "lastcontactedon": crm.LatestTime},
		}
		for i, fields := range cases {
			rec := e.create(account, fields)
			requireFields(t, canonical[i], e.get(account, rec.ID).Fields, "case ", i)
		}
	})

	// The records the condition and cursor cases read.
	seed := func(e *env) {
		e.t.Helper()
		e.createWithID(account, testID(1), crm.Fields{"name": "Earliest", "rating": dec("1.25"),
			"creditlimit": money("100 USD"), "lastcontactedon": crm.EarliestTime, "foundedon": crm.EarliestTime})
		e.createWithID(account, testID(2), crm.Fields{"name": "Latest", "rating": dec("-3"),
			"creditlimit": money("5 EUR"), "lastcontactedon": crm.LatestTime, "foundedon": time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)})
		e.createWithID(account, testID(3), crm.Fields{"name": "Now", "creditlimit": money("-7 USD"), "lastcontactedon": now})
		e.createWithID(account, testID(4), crm.Fields{"name": "Empty"})
	}

	t.Run("conditions beyond the limits are refused by every read", func(t *testing.T) {
		e := newEnv(t, open)
		seed(e)
		cases := []crm.Condition{
			crm.Eq("lastcontactedon", y300000),
			crm.Lt("lastcontactedon", huge),
			crm.Gt("lastcontactedon", time.Time{}),
			crm.Where("lastcontactedon", crm.OpBetween, crm.EarliestTime, y300000),
			crm.Where("lastcontactedon", crm.OpOn, y300000),
			crm.Where("lastcontactedon", crm.OpOnOrBefore, time.Date(1752, 12, 31, 0, 0, 0, 0, time.UTC)),
			crm.Where("foundedon", crm.OpOnOrAfter, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)),
			crm.Where("lastcontactedon", crm.OpNextXDays, math.MaxInt64),
			crm.Where("lastcontactedon", crm.OpLastXDays, int64(1)<<40),
			crm.Lt("rating", dec("1e-200000")),
			crm.Where("rating", crm.OpIn, dec("1.25"), dec("1e-41")),
			crm.Gt("creditlimit", crm.Money{Amount: dec("1e-3000000"), Currency: "USD"}),
		}
		for _, c := range cases {
			q := crm.Query{Entity: account, Where: c}
			_, err := e.store.Query(e.ctx, q)
			requireInvalid(t, err, c.Field)
			_, err = e.store.Count(e.ctx, q)
			requireInvalid(t, err, c.Field)
			for _, err := range e.store.Iterate(e.ctx, q) {
				requireInvalid(t, err, c.Field)
			}
			_, err = e.store.Aggregate(e.ctx, crm.Aggregation{Entity: account, Where: c, Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}})
			requireInvalid(t, err, c.Field)
		}
	})

	t.Run("conditions at and beyond the limits give every store the same answer", func(t *testing.T) {
		e := newEnv(t, open)
		seed(e)
		cases := []struct {
			where crm.Filter
			want  []string
		}{
			{crm.Lt("rating", dec("1e200000")), []string{"Earliest", "Latest"}},
			{crm.Gt("rating", dec("1e3000000")), nil},
			{crm.Gt("rating", dec("-1e3000000")), []string{"Earliest", "Latest"}},
			{crm.Le("rating", dec("-1e50")), nil},
			{crm.Eq("rating", dec("1e50")), nil},
			{crm.Ne("rating", dec("1e50")), []string{"Earliest", "Latest"}},
			{crm.Where("rating", crm.OpIn, dec("1e50"), dec("1.25")), []string{"Earliest"}},
			{crm.Where("rating", crm.OpNotIn, dec("-1e50"), dec("1.25")), []string{"Latest"}},
			{crm.Where("rating", crm.OpBetween, dec("-1e3000000"), dec("1e3000000")), []string{"Earliest", "Latest"}},
			{crm.Lt("rating", dec("1.2500000000000000000000000000000000000001")), []string{"Earliest", "Latest"}},
			{crm.Lt("creditlimit", crm.Money{Amount: dec("1e200000"), Currency: "USD"}), []string{"Earliest", "Now"}},
			{crm.Gt("creditlimit", crm.Money{Amount: dec("-1e200000"), Currency: "EUR"}), []string{"Latest"}},
			{crm.Eq("lastcontactedon", crm.EarliestTime), []string{"Earliest"}},
			{crm.Ge("lastcontactedon", crm.LatestTime), []string{"Latest"}},
			{crm.Le("lastcontactedon", crm.LatestTime), []string{"Earliest", "Latest", "Now"}},
			{crm.Where("lastcontactedon", crm.OpOn, crm.LatestTime), []string{"Latest"}},
			{crm.Where("lastcontactedon", crm.OpOnOrBefore, crm.EarliestTime), []string{"Earliest"}},
			{crm.Where("foundedon", crm.OpOnOrAfter, time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)), []string{"Latest"}},
			{crm.Where("lastcontactedon", crm.OpOlderThanXDays, 100_000), nil},
		}
		for _, c := range cases {
			got := names(e.all(crm.Query{Entity: account, Where: c.where}), "name")
			require.Equal(t, sorted(c.want), sorted(got), "%v", c.where)
			n, err := e.store.Count(e.ctx, crm.Query{Entity: account, Where: c.where})
			require.NoError(t, err, "%v", c.where)
			require.EqualValues(t, len(c.want), n, "%v", c.where)
		}

		// Ranges computed from a clock near the edges stop at them.
		e.clock.Set(time.Date(9999, 12, 30, 12, 0, 0, 0, time.UTC))
		got := names(e.all(crm.Query{Entity: account, Where: crm.Where("lastcontactedon", crm.OpNextXDays, 100_000)}), "name")
		require.Equal(t, []string{"Latest"}, got, "next 100000 days from 9999-12-30")
		got = names(e.all(crm.Query{Entity: account, Where: crm.Where("foundedon", crm.OpNextMonth)}), "name")
		require.Empty(t, got, "next month from December 9999")
		e.clock.Set(time.Date(1753, 1, 2, 12, 0, 0, 0, time.UTC))
		got = names(e.all(crm.Query{Entity: account, Where: crm.Where("lastcontactedon", crm.OpLastXDays, 100_000)}), "name")
		require.Equal(t, []string{"Earliest"}, got, "last 100000 days from 1753-01-02")
		got = names(e.all(crm.Query{Entity: account, Where: crm.Where("foundedon", crm.OpLastYear)}), "name")
		require.Empty(t, got, "last year from 1753")
	})

	t.Run("forged cursors beyond the limits are refused", func(t *testing.T) {
		e := newEnv(t, open)
		seed(e)
		for _, c := range []struct{ field, key string }{
			{"rating", "1e3000000"},
			{"rating", "-1e3000000"},
			{"rating", "1e-3000000"},
			{"creditlimit", "1e3000000"},
			{"lastcontactedon", "0001-01-01T00:00:00Z"},
			{"lastcontactedon", "9999-12-31T23:00:00-05:00"},
			{"category", "4294967297"},
		} {
			q := crm.Query{Entity: account, OrderBy: []crm.Order{crm.Asc(c.field)}, After: forgeCursor(t, account, c.field, c.key)}
			_, err := e.store.Query(e.ctx, q)
			requireInvalid(t, err, "after")
			for _, err := range e.store.Iterate(e.ctx, q) {
				requireInvalid(t, err, "after")
			}
		}
		// The same forgery at the edge of the range is a cursor like any.
		q := crm.Query{Entity: account, OrderBy: []crm.Order{crm.Asc("lastcontactedon")}, After: forgeCursor(t, account, "lastcontactedon", "1753-01-01T00:00:00Z")}
		page, err := e.store.Query(e.ctx, q)
		require.NoError(t, err)
		require.Equal(t, []string{"Earliest", "Now", "Latest"}, names(page.Records, "name"))
	})
}

// forgeCursor builds the cursor a caller could write by hand for a query
// on entity ordered by field (then by ID), continuing after key with a
// null ID.
func forgeCursor(t *testing.T, entity, field, key string) crm.Cursor {
	t.Helper()
	b, err := json.Marshal(map[string]any{"o": entity + "," + field + ",id", "k": []*string{&key, nil}})
	require.NoError(t, err)
	return crm.Cursor(base64.RawURLEncoding.EncodeToString(b))
}
