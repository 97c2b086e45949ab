package storagetest

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// testParity holds every store to what the memory store, the reference,
// answers: shapes of work that a SQL database could refuse for reasons of
// its own (one connection per transaction, parameter and depth limits)
// must work alike everywhere, or fail alike with a typed error.
func testParity(t *testing.T, open Opener) {
	t.Run("iterate and write in one transaction", func(t *testing.T) { testIterateAndWrite(t, open) })
	t.Run("big and deep filters", func(t *testing.T) { testBigFilters(t, open) })
	t.Run("extreme values in conditions", func(t *testing.T) { testExtremeConditions(t, open) })
}

// testIterateAndWrite updates each contact as Iterate yields it, inside
// one transaction, with every other read of the transaction in between.
// More rows than a store would fetch in one batch cross batch boundaries.
func testIterateAndWrite(t *testing.T, open Opener) {
	e := newEnv(t, open)
	acc := e.create(account, crm.Fields{"name": "Holder"})
	const n = 600
	recs := make([]crm.Record, n)
	for i := range recs {
		recs[i] = crm.Record{Entity: contact, Fields: crm.Fields{
			"lastname":         fmt.Sprintf("Contact %04d", i),
			"parentcustomerid": crm.Ref{Entity: account, ID: acc.ID},
		}}
	}
	_, err := e.store.CreateMany(e.ctx, recs)
	require.NoError(t, err)
	q := crm.Query{Entity: contact, OrderBy: []crm.Order{crm.Asc("lastname")}}

	t.Run("update each record as it is yielded", func(t *testing.T) {
		seen := 0
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			for rec, err := range e.store.Iterate(ctx, q) {
				if err != nil {
					return err
				}
				require.Equal(t, fmt.Sprintf("Contact %04d", seen), rec.Fields.String("lastname"), "order holds while writing")
				seen++
				change := crm.Record{Entity: contact, Header: crm.Header{ID: rec.ID, Version: rec.Version},
					Fields: crm.Fields{"city": "Visited"}}
				if _, err := e.store.Update(ctx, change); err != nil {
					return err
				}
			}
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, n, seen)
		visited, err := e.store.Count(e.ctx, crm.Query{Entity: contact, Where: crm.Eq("city", "Visited")})
		require.NoError(t, err)
		require.EqualValues(t, n, visited)
	})

	t.Run("every read and write of the transaction runs during an iteration", func(t *testing.T) {
		seen := 0
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			for rec, err := range e.store.Iterate(ctx, q) {
				if err != nil {
					return err
				}
				seen++
				if seen%100 != 1 {
					continue
				}
				if _, err := e.store.Count(ctx, crm.Query{Entity: contact}); err != nil {
					return fmt.Errorf("count: %w", err)
				}
				if _, err := e.store.Aggregate(ctx, crm.Aggregation{Entity: contact,
					Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}}); err != nil {
					return fmt.Errorf("aggregate: %w", err)
				}
				if _, err := e.store.Get(ctx, contact, rec.ID); err != nil {
					return fmt.Errorf("get: %w", err)
				}
				if _, err := e.store.Lock(ctx, contact, rec.ID); err != nil {
					return fmt.Errorf("lock: %w", err)
				}
				if _, err := e.store.Query(ctx, crm.Query{Entity: contact, Limit: 3}); err != nil {
					return fmt.Errorf("query: %w", err)
				}
				// A nested iteration, stopped early.
				for _, err := range e.store.Iterate(ctx, q) {
					if err != nil {
						return fmt.Errorf("nested iterate: %w", err)
					}
					break
				}
				// The write path shares the record a lookup points at.
				if _, err := e.store.Create(ctx, crm.Record{Entity: task, Fields: crm.Fields{
					"subject": "call", "regardingobjectid": crm.Ref{Entity: contact, ID: rec.ID}}}); err != nil {
					return fmt.Errorf("create: %w", err)
				}
			}
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, n, seen)
		require.EqualValues(t, n/100, e.count(task))
	})
}

// testBigFilters runs filters far larger than a SQL database binds or
// nests naively: lists of 100,000 values, thousands of conditions,
// groups nested 1,500 deep. Every store answers them, or refuses them
// alike with a validation error.
func testBigFilters(t *testing.T, open Opener) {
	e := newEnv(t, open)
	f := e.loadFixture()
	// checkFew checks the filter's rows and count.
	checkFew := func(t *testing.T, where crm.Filter, want ...string) {
		t.Helper()
		q := crm.Query{Entity: account, Where: where}
		require.ElementsMatch(t, want, names(e.all(q), "name"), "iterate")
		n, err := e.store.Count(e.ctx, q)
		require.NoError(t, err, "count")
		require.EqualValues(t, len(want), n, "count")
	}
	// check checks them through every read.
	check := func(t *testing.T, where crm.Filter, want ...string) {
		t.Helper()
		checkFew(t, where, want...)
		page, err := e.store.Query(e.ctx, crm.Query{Entity: account, Where: where, Limit: 2,
			OrderBy: []crm.Order{crm.Desc("name")}})
		require.NoError(t, err, "query")
		require.Len(t, page.Records, min(2, len(want)), "query")
		rows, err := e.store.Aggregate(e.ctx, crm.Aggregation{Entity: account, Where: where,
			Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}})
		require.NoError(t, err, "aggregate")
		require.Len(t, rows, 1)
		require.EqualValues(t, len(want), rows[0]["n"], "aggregate")
	}
	// list returns n values made by value, then the extra ones.
	list := func(n int, value func(i int) any, extra ...any) []any {
		out := make([]any, 0, n+len(extra))
		for i := range n {
			out = append(out, value(i))
		}
		return append(out, extra...)
	}
	const big = 100_000
	id := func(int) any { return crm.NewID() }
	text := func(i int) any { return "no such name " + strconv.Itoa(i) }
	number := func(i int) any { return int64(2_000_000 + i) }
	rating := func(i int) any { return decimal.New(int64(10_000+i), -2) }

	// count checks the filter's count only: lists of 100,000 values are
	// slow to bind under the race detector.
	count := func(t *testing.T, where crm.Filter, want int) {
		t.Helper()
		n, err := e.store.Count(e.ctx, crm.Query{Entity: account, Where: where})
		require.NoError(t, err, "count")
		require.EqualValues(t, want, n, "count")
	}
	t.Run("in and not-in with 100,000 values", func(t *testing.T) {
		count(t, crm.In(crm.FieldID, list(big, id, testID(1), testID(8))...), 2)
		// More than SQLite binds (32,766) one parameter a value.
		count(t, crm.In("name", list(40_000, text, "ALPHA", "zeta", "émile")...), 2)
		count(t, crm.Where("numberofemployees", crm.OpNotIn, list(40_000, number, 42, 0)...), 5)
	})
	// Lists this long go as one parameter on every SQL store.
	const long = 2_000
	t.Run("in and not-in of every type with 2,000 values", func(t *testing.T) {
		check(t, crm.In("name", list(long, text, "beta")...), nb)
		t.Run("lookups", func(t *testing.T) {
			checkFew(t, crm.In("parentaccountid", list(long, id, f.accounts[nA].Ref())...), nb)
			checkFew(t, crm.Where("parentaccountid", crm.OpNotIn, list(long, id, f.accounts[nA].Ref())...), nZ)
		})
		t.Run("text, ignoring case", func(t *testing.T) {
			checkFew(t, crm.Where("city", crm.OpNotIn, list(long, text, "PARIS", "zürich")...), nG, nd, nB, nZ)
		})
		t.Run("integers", func(t *testing.T) {
			checkFew(t, crm.In("numberofemployees", list(long, number, 42, 0)...), nd, nF, nB)
		})
		t.Run("choices", func(t *testing.T) {
			checkFew(t, crm.Where("category", crm.OpNotIn, list(long, func(int) any { return 1 })...), nb, nE, nZ)
		})
		t.Run("decimals, with more places than the field keeps", func(t *testing.T) {
			checkFew(t, crm.In("rating", list(long, rating, dec("1.5"), dec("9.990"), dec("3.251"))...), nA, nB)
			checkFew(t, crm.Where("rating", crm.OpNotIn, list(long, rating, dec("0"), dec("-1.25"), dec("3.251"))...), nA, nb, nG, nF, nB)
		})
		t.Run("no value the field can hold", func(t *testing.T) {
			checkFew(t, crm.In("rating", list(long, func(i int) any { return dec("0.001") })...))
			checkFew(t, crm.Where("rating", crm.OpNotIn, list(long, func(i int) any { return dec("0.001") })...), nA, nb, nG, nE, nF, nB, nZ)
		})
	})
	t.Run("an or of 600 lists of 60 values each", func(t *testing.T) {
		// 36,000 values: more than SQLite binds, one parameter a value.
		or := make([]crm.Filter, 600)
		for i := range or {
			or[i] = crm.In("numberofemployees", list(60, func(j int) any { return int64(3_000_000 + 60*i + j) })...)
		}
		or = append(or, crm.In("numberofemployees", 42, 43))
		checkFew(t, crm.Or(or...), nF, nB)
	})
	t.Run("equalities in an or, inequalities in an and, on several fields", func(t *testing.T) {
		or := []crm.Filter{crm.Eq("name", "ALPHA"), crm.Eq("rating", dec("9.990")), crm.Eq("rating", dec("3.251")),
			crm.Eq("numberofemployees", 250), crm.Eq("numberofemployees", -5), crm.Eq("city", "rome"),
			crm.Eq("parentaccountid", f.accounts[nG].Ref()), crm.Eq("parentaccountid", crm.Ref{Entity: account, ID: testID(99)})}
		and := []crm.Filter{crm.Ne("city", "paris"), crm.Ne("numberofemployees", 42), crm.Ne("numberofemployees", 0),
			crm.Ne("rating", dec("3.251")), crm.Ne("rating", dec("-1.5"))}
		for i := range 8 {
			or = append(or, crm.Eq("name", text(i)), crm.Eq("numberofemployees", 5000+i))
			and = append(and, crm.Ne("city", text(i)))
		}
		check(t, crm.Or(or...), nA, nB, nb, nE, nZ)
		check(t, crm.And(and...), nZ)
	})
	t.Run("an or of 3,000 conditions", func(t *testing.T) {
		or := make([]crm.Filter, 3000)
		for i := range or {
			or[i] = crm.Eq("numberofemployees", i)
		}
		checkFew(t, crm.Or(or...), nA, nb, nd, nF, nB, nM)
		// Two fields.
		for i := range or {
			if i%2 == 0 {
				or[i] = crm.Eq("name", text(i))
			}
		}
		count(t, crm.Or(or...), 1) // Émile's 7
		// Comparisons no list can stand for.
		cmp := []crm.Filter{crm.Gt("numberofemployees", 999_999)}
		for i := range 300 {
			cmp = append(cmp, crm.Lt("numberofemployees", -100-i), crm.Gt("rating", dec(strconv.Itoa(100+i))))
		}
		checkFew(t, crm.Or(cmp...), nZ)
	})
	t.Run("an and nested 1,500 deep", func(t *testing.T) {
		var where crm.Filter = crm.Like("name", "%a%")
		for i := range 1500 {
			where = crm.And(crm.Ne("numberofemployees", 5000+i), where)
		}
		checkFew(t, where, nA, nb, nd, nF, nB, nZ)
	})
	t.Run("an or nested 1,500 deep", func(t *testing.T) {
		var where crm.Filter = crm.Eq("name", "gamma")
		for i := range 1500 {
			where = crm.Or(crm.Eq("name", text(i)), where)
		}
		checkFew(t, where, nG)
	})
	// alternate nests groups alternating And and Or depth deep, each
	// with width conditions that decide nothing: only the innermost
	// condition does.
	alternate := func(depth, width int) crm.Filter {
		var where crm.Filter = crm.Eq("name", "alpha")
		for level := range depth {
			parts := []crm.Filter{where}
			for i := range width {
				if level%2 == 0 {
					parts = append(parts, crm.Eq("name", text(i)))
				} else {
					parts = append(parts, crm.Ne("numberofemployees", 5000+i))
				}
			}
			if level%2 == 0 {
				where = crm.Or(parts...)
			} else {
				where = crm.And(parts...)
			}
		}
		return where
	}
	t.Run("groups alternating as deep as allowed, each wide", func(t *testing.T) {
		check(t, alternate(crm.MaxFilterDepth, 8), nA)
	})
	t.Run("groups alternating deeper than allowed are refused alike", func(t *testing.T) {
		for _, depth := range []int{crm.MaxFilterDepth + 1, 1500} {
			q := crm.Query{Entity: account, Where: alternate(depth, 1)}
			_, err := e.store.Count(e.ctx, q)
			requireInvalid(t, err, "where")
			_, err = e.store.Query(e.ctx, q)
			requireInvalid(t, err, "where")
			for _, err := range e.store.Iterate(e.ctx, q) {
				requireInvalid(t, err, "where")
			}
			_, err = e.store.Aggregate(e.ctx, crm.Aggregation{Entity: account, Where: q.Where,
				Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}})
			requireInvalid(t, err, "where")
		}
	})
	t.Run("more conditions than allowed are refused alike", func(t *testing.T) {
		or := make([]crm.Filter, crm.MaxConditions+1)
		for i := range or {
			or[i] = crm.Eq("numberofemployees", i)
		}
		_, err := e.store.Count(e.ctx, crm.Query{Entity: account, Where: crm.Or(or...)})
		requireInvalid(t, err, "where")
	})
}

// testExtremeConditions runs conditions at the edges of what a query
// takes: patterns made of wildcards, values far longer than any stored,
// limits near the largest int.
func testExtremeConditions(t *testing.T, open Opener) {
	e := newEnv(t, open)
	e.loadFixture()
	rows := func(t *testing.T, q crm.Query) []string {
		t.Helper()
		q.Entity = account
		var out []string
		for rec, err := range e.store.Iterate(e.ctx, q) {
			require.NoError(t, err)
			out = append(out, rec.Fields.String("name"))
		}
		n, err := e.store.Count(e.ctx, crm.Query{Entity: account, Where: q.Where})
		require.NoError(t, err)
		require.EqualValues(t, len(out), n)
		return out
	}
	t.Run("like patterns of many wildcards", func(t *testing.T) {
		require.ElementsMatch(t, []string{nA, nb, nG, nd, nF, nB, nZ}, rows(t, crm.Query{Where: crm.Like("name", strings.Repeat("%", 5000)+"a"+strings.Repeat("%", 5000))}))
		require.Empty(t, rows(t, crm.Query{Where: crm.Like("name", strings.Repeat("%a", 2000))}))
		require.ElementsMatch(t, []string{nA}, rows(t, crm.Query{Where: crm.Like("name", "%a%l%p%h%a%")}))
		require.ElementsMatch(t, []string{nE, nF, nB}, rows(t, crm.Query{Where: crm.Like("name", strings.Repeat("_", 6)+"%")}))
		require.Empty(t, rows(t, crm.Query{Where: crm.Like("name", strings.Repeat("_", 50_000))}))
	})
	t.Run("text values far longer than any stored", func(t *testing.T) {
		long := strings.Repeat("alpha", 200_000) // a megabyte
		require.Empty(t, rows(t, crm.Query{Where: crm.Eq("name", long)}))
		require.ElementsMatch(t, []string{nA, nF}, rows(t, crm.Query{Where: crm.Lt("name", long)}))
		require.Empty(t, rows(t, crm.Query{Where: crm.BeginsWith("name", long)}))
		require.ElementsMatch(t, []string{nA}, rows(t, crm.Query{Where: crm.In("name", long, "alpha")}))
		require.Len(t, rows(t, crm.Query{Where: crm.Where("name", crm.OpNotIn, long)}), len(allAccounts))
	})
	t.Run("limits near the largest int", func(t *testing.T) {
		for _, limit := range []int{math.MaxInt32, math.MaxInt64 - 1, math.MaxInt64} {
			require.Len(t, rows(t, crm.Query{Limit: limit}), len(allAccounts), "limit %d", limit)
		}
	})
	t.Run("integers at the ends of their range", func(t *testing.T) {
		require.ElementsMatch(t, []string{nA, nb, nd, nE, nF, nB, nZ, nM}, rows(t, crm.Query{Where: crm.Gt("numberofemployees", int64(math.MinInt64))}))
		require.Empty(t, rows(t, crm.Query{Where: crm.Gt("numberofemployees", int64(math.MaxInt64))}))
		require.ElementsMatch(t, []string{nZ}, rows(t, crm.Query{Where: crm.In("numberofemployees", int64(math.MaxInt64), int64(math.MinInt64), 1_000_000)}))
	})
}
