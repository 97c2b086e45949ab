package sqlstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/memory"
)

// seed writes the same pseudo-random accounts and contacts into every
// store, nulls, case, accents and both currencies included.
func seed(t *testing.T, stores ...*storage.Store) (accounts, contacts []crm.ID) {
	t.Helper()
	ctx := crm.AsSystem(context.Background())
	r := rand.New(rand.NewPCG(1, 2))
	names := []string{"acme", "ACME", "Acme Corp", "zeta", "Zeta", "émile", "Émile", "b%c", "b_c", `b\c`, "o'brien", "", "ab", "AB", "a", "Ä"}
	curs := []crm.Currency{"USD", "EUR", "JPY"}
	base := time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC)
	var accs, cons []crm.Record
	for i := range 120 {
		f := crm.Fields{"name": fmt.Sprintf("%s %d", names[r.IntN(len(names))], r.IntN(4))}
		if i%7 == 0 {
			f["name"] = names[r.IntN(len(names))] + "x"
		}
		if r.IntN(4) > 0 {
			f["employees"] = int64(r.IntN(50) - 10)
		}
		if r.IntN(4) > 0 {
			c := curs[r.IntN(len(curs))]
			amt := crm.RoundHalfAwayFromZero(dec(fmt.Sprintf("%d.%04d", r.IntN(2000)-1000, r.IntN(10000))), c.Precision())
			f["revenue"] = crm.NewMoney(amt, c)
		}
		if r.IntN(4) > 0 {
			f["rating"] = dec(fmt.Sprintf("%d.%02d", r.IntN(10)-5, r.IntN(100)))
		}
		if r.IntN(4) > 0 {
			f["ratio"] = dec(fmt.Sprintf("%d.%010d", r.IntN(100_000_000_000)-50_000_000_000, r.Int64N(10_000_000_000)))
		}
		if r.IntN(3) > 0 {
			f["active"] = r.IntN(2) == 0
		}
		if r.IntN(4) > 0 {
			f["founded"] = base.Add(time.Duration(r.Int64N(int64(400*24*time.Hour))) - 40*24*time.Hour).Truncate(time.Microsecond)
		}
		if r.IntN(4) > 0 {
			f["industry"] = int32(1 + r.IntN(3))
		}
		if len(accs) > 0 && r.IntN(3) == 0 {
			f["parentaccountid"] = accs[r.IntN(len(accs))].Ref()
		}
		accs = append(accs, crm.Record{Entity: "account", Header: crm.Header{ID: crm.NewID()}, Fields: f})
	}
	for range 80 {
		f := crm.Fields{"lastname": names[r.IntN(len(names))] + "z"}
		if r.IntN(4) > 0 {
			f["accountid"] = accs[r.IntN(len(accs))].Ref()
		}
		switch r.IntN(3) {
		case 0:
			f["parentcustomerid"] = accs[r.IntN(len(accs))].Ref()
		case 1:
			if len(cons) > 0 {
				f["parentcustomerid"] = cons[r.IntN(len(cons))].Ref()
			}
		}
		if r.IntN(3) > 0 {
			f["score"] = dec(fmt.Sprintf("%d.%04d", r.IntN(2000)-1000, r.IntN(10000)))
		}
		cons = append(cons, crm.Record{Entity: "contact", Header: crm.Header{ID: crm.NewID()}, Fields: f})
	}
	for _, s := range stores {
		_, err := s.CreateMany(ctx, accs)
		require.NoError(t, err)
		_, err = s.CreateMany(ctx, cons)
		require.NoError(t, err)
	}
	for _, a := range accs {
		accounts = append(accounts, a.ID)
	}
	for _, c := range cons {
		contacts = append(contacts, c.ID)
	}
	return accounts, contacts
}

func newStores(t *testing.T, o opener) (mem, sqls *storage.Store) {
	t.Helper()
	reg := testRegistry(t)
	clock := crm.NewManualClock(time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC))
	return memory.Open(reg, storage.WithClock(clock)), storage.New(o.open(t, reg), reg, storage.WithClock(clock))
}

func queryIDs(t *testing.T, s *storage.Store, q crm.Query) []crm.ID {
	t.Helper()
	var ids []crm.ID
	for rec, err := range s.Iterate(context.Background(), q) {
		require.NoError(t, err)
		ids = append(ids, rec.ID)
	}
	return ids
}

func pagedIDs(t *testing.T, s *storage.Store, q crm.Query, size int) []crm.ID {
	t.Helper()
	var ids []crm.ID
	q.Limit = size
	for {
		page, err := s.Query(context.Background(), q)
		require.NoError(t, err)
		for _, r := range page.Records {
			ids = append(ids, r.ID)
		}
		if !page.More {
			return ids
		}
		q.After = page.Next
	}
}

func semanticQueries(accounts []crm.ID) []crm.Query {
	usd := func(s string) crm.Money { return crm.NewMoney(dec(s), "USD") }
	day := time.Date(1970, 2, 1, 0, 0, 0, 0, time.UTC)
	acc := func(w crm.Filter, order ...crm.Order) crm.Query {
		return crm.Query{Entity: "account", Where: w, OrderBy: order}
	}
	con := func(w crm.Filter, order ...crm.Order) crm.Query {
		return crm.Query{Entity: "contact", Where: w, OrderBy: order}
	}
	return []crm.Query{
		acc(nil),
		acc(crm.Eq("name", "ACME 1")),
		acc(crm.Ne("name", "acme 1")),
		acc(crm.Lt("name", "b"), crm.Asc("name")),
		acc(crm.Ge("name", "Émile"), crm.Desc("name")),
		acc(crm.Like("name", "%C%")),
		acc(crm.Like("name", `b\%c%`)),
		acc(crm.Like("name", `b_c%`)),
		acc(crm.Where("name", crm.OpNotLike, "a%")),
		acc(crm.BeginsWith("name", `b\`)),
		acc(crm.Where("name", crm.OpEndsWith, "X")),
		acc(crm.In("name", "zeta 0", "ZETA 1", "nope")),
		acc(crm.NotIn("name", "zeta 0", "ZETA 1")),
		acc(crm.IsNull("employees")),
		acc(crm.Gt("employees", 10), crm.Desc("employees")),
		acc(crm.Between("employees", 0, 5), crm.Asc("employees"), crm.Desc("name")),
		acc(crm.Where("employees", crm.OpNotBetween, 0, 5)),
		acc(crm.Eq("revenue", usd("12.5"))),
		acc(crm.Gt("revenue", usd("0")), crm.Desc("revenue")),
		acc(crm.Ne("revenue", usd("0"))),
		acc(crm.Le("revenue", crm.NewMoney(dec("100"), "JPY"))),
		acc(nil, crm.Asc("revenue"), crm.Desc("founded")),
		acc(crm.Lt("rating", dec("1.005")), crm.Asc("rating")),
		acc(crm.Ge("rating", dec("-2.999"))),
		acc(crm.Eq("rating", dec("1.005"))),
		acc(crm.Ne("rating", dec("1.005"))),
		acc(crm.In("rating", dec("1.5"), dec("1.50"), dec("2.001"))),
		acc(crm.Gt("ratio", dec("0.00000000001")), crm.Desc("ratio")),
		acc(crm.Lt("ratio", dec("123456789012345678901234567890"))),
		acc(crm.Gt("ratio", dec("-1e40"))),
		acc(crm.Eq("active", true), crm.Asc("active")),
		acc(crm.Ne("active", true)),
		acc(crm.Where("founded", crm.OpOnOrAfter, day), crm.Asc("founded")),
		acc(crm.Where("founded", crm.OpOn, time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC))),
		acc(crm.Where("founded", crm.OpThisYear)),
		acc(crm.In("industry", 1, 3), crm.Desc("industry"), crm.Asc("name")),
		acc(crm.NotNull("parentaccountid"), crm.Asc("parentaccountid")),
		acc(crm.Eq("parentaccountid", accounts[0])),
		acc(crm.Through("parentaccountid", "", crm.Like("name", "a%"))),
		acc(crm.Or(crm.IsNull("employees"), crm.And(crm.Gt("employees", 3), crm.Eq("active", false)))),
		acc(crm.Or()),
		acc(crm.And()),
		acc(crm.Gt("version", 0), crm.Desc("createdon")),
		acc(crm.Eq("statecode", 0), crm.Asc("modifiedon")),
		acc(nil, crm.Desc("id")),
		acc(nil, crm.Asc("active"), crm.Desc("industry"), crm.Asc("rating"), crm.Desc("name")),
		con(crm.Through("parentcustomerid", "contact", crm.Like("lastname", "a%"))),
		con(crm.Through("parentcustomerid", "account", crm.Through("parentaccountid", "", crm.NotNull("employees")))),
		con(crm.Through("accountid", "", crm.Gt("revenue", usd("-100")))),
		con(crm.Ge("score", dec("-10.00005")), crm.Desc("score")),
		con(crm.In("parentcustomerid", accounts[1], accounts[2])),
		con(nil, crm.Asc("parentcustomerid"), crm.Desc("lastname")),
		con(crm.Gt("lastname", "\u00c4")),
	}
}

func TestQueriesMatchMemory(t *testing.T) {
	for _, o := range dialects(t) {
		t.Run(o.name, func(t *testing.T) {
			o.raw(t) // skips PostgreSQL without a DSN
			mem, sqls := newStores(t, o)
			accounts, _ := seed(t, mem, sqls)
			for i, q := range semanticQueries(accounts) {
				want := queryIDs(t, mem, q)
				require.Equal(t, want, queryIDs(t, sqls, q), "query %d: %+v", i, q)
				require.Equal(t, want, pagedIDs(t, sqls, q, 7), "paged query %d: %+v", i, q)
				nm, err := mem.Count(context.Background(), q)
				require.NoError(t, err)
				ns, err := sqls.Count(context.Background(), q)
				require.NoError(t, err)
				require.Equal(t, nm, ns, "count %d", i)
			}
		})
	}
}

func TestRecordsRoundTrip(t *testing.T) {
	for _, o := range dialects(t) {
		t.Run(o.name, func(t *testing.T) {
			o.raw(t) // skips PostgreSQL without a DSN
			mem, sqls := newStores(t, o)
			accounts, contacts := seed(t, mem, sqls)
			ctx := crm.AsSystem(context.Background())
			for _, id := range accounts {
				want, err := mem.Get(ctx, "account", id)
				require.NoError(t, err)
				got, err := sqls.Get(ctx, "account", id)
				require.NoError(t, err)
				require.Equal(t, want, got)
			}
			for _, id := range contacts {
				want, err := mem.Get(ctx, "contact", id)
				require.NoError(t, err)
				got, err := sqls.Get(ctx, "contact", id)
				require.NoError(t, err)
				require.Equal(t, want, got)
			}
		})
	}
}

func TestAggregatesMatchMemory(t *testing.T) {
	aggs := []crm.Aggregation{
		{Entity: "account", Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}},
		{Entity: "account", Where: crm.Eq("name", "nothing"), Measures: []crm.Measure{
			{Alias: "n", Func: crm.AggCount}, {Alias: "s", Func: crm.AggSum, Field: "employees"}, {Alias: "m", Func: crm.AggMin, Field: "name"}}},
		{Entity: "account", GroupBy: []crm.GroupBy{{Field: "industry"}}, Measures: []crm.Measure{
			{Alias: "n", Func: crm.AggCount}, {Alias: "c", Func: crm.AggCountColumn, Field: "rating"},
			{Alias: "s", Func: crm.AggSum, Field: "employees"}, {Alias: "avg", Func: crm.AggAvg, Field: "employees"},
			{Alias: "r", Func: crm.AggSum, Field: "rating"}, {Alias: "ar", Func: crm.AggAvg, Field: "rating"},
			{Alias: "q", Func: crm.AggSum, Field: "ratio"}, {Alias: "qmin", Func: crm.AggMin, Field: "ratio"}, {Alias: "qmax", Func: crm.AggMax, Field: "ratio"},
			{Alias: "lo", Func: crm.AggMin, Field: "name"}, {Alias: "hi", Func: crm.AggMax, Field: "name"},
			{Alias: "first", Func: crm.AggMin, Field: "founded"}, {Alias: "last", Func: crm.AggMax, Field: "founded"},
		}},
		{Entity: "account", Where: crm.Eq("revenue", crm.NewMoney(dec("0"), "EUR")), Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}},
		{Entity: "account", GroupBy: []crm.GroupBy{{Field: "founded", Date: crm.ByDay, Alias: "d"}}, Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}},
		{Entity: "account", GroupBy: []crm.GroupBy{{Field: "founded", Date: crm.ByMonth, Alias: "m"}, {Field: "active"}}, Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}, {Alias: "x", Func: crm.AggMax, Field: "name"}}},
		{Entity: "account", GroupBy: []crm.GroupBy{{Field: "founded", Date: crm.ByYear, Alias: "y"}}, Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}},
		{Entity: "account", GroupBy: []crm.GroupBy{{Field: "parentaccountid"}}, Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}},
		{Entity: "account", GroupBy: []crm.GroupBy{{Field: "name"}}, Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}},
		{Entity: "contact", GroupBy: []crm.GroupBy{{Field: "parentcustomerid"}}, Measures: []crm.Measure{
			{Alias: "n", Func: crm.AggCount}, {Alias: "s", Func: crm.AggSum, Field: "score"}, {Alias: "a", Func: crm.AggAvg, Field: "score"}}},
		{Entity: "account", Where: crm.Gt("revenue", crm.NewMoney(dec("-5000"), "USD")), GroupBy: []crm.GroupBy{{Field: "active"}}, Measures: []crm.Measure{
			{Alias: "s", Func: crm.AggSum, Field: "revenue"}, {Alias: "a", Func: crm.AggAvg, Field: "revenue"},
			{Alias: "lo", Func: crm.AggMin, Field: "revenue"}, {Alias: "hi", Func: crm.AggMax, Field: "revenue"}}},
	}
	for _, o := range dialects(t) {
		t.Run(o.name, func(t *testing.T) {
			o.raw(t) // skips PostgreSQL without a DSN
			mem, sqls := newStores(t, o)
			seed(t, mem, sqls)
			ctx := crm.AsSystem(context.Background())
			for i, a := range aggs {
				want, err := mem.Aggregate(ctx, a)
				require.NoError(t, err, "aggregation %d", i)
				got, err := sqls.Aggregate(ctx, a)
				require.NoError(t, err, "aggregation %d", i)
				require.Equal(t, fmt.Sprint(want), fmt.Sprint(got), "aggregation %d", i)
			}
			t.Run("a money sum over two currencies fails", func(t *testing.T) {
				_, err := sqls.Aggregate(ctx, crm.Aggregation{Entity: "account", Measures: []crm.Measure{{Alias: "s", Func: crm.AggSum, Field: "revenue"}}})
				require.ErrorIs(t, err, crm.ErrCurrencyMismatch)
			})
		})
	}
}
