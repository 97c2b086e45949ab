package memory

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/storagetest"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// The tests here hold the indexes to the definition: random inserts,
// updates and deletes, committed and rolled back, with paged queries in
// between (committed and inside the transaction), every answer compared
// with a brute-force evaluation of the plan (Plan.Match, Plan.Compare)
// over a model of the table. An index that went stale, a walk that
// skipped or repeated a record at a page boundary, or a span that left a
// matching record out shows as a difference.

var diffNow = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

// accountGen makes random accounts with few distinct values, so that
// sort keys tie, nulls abound and text differs only in case.
type accountGen struct {
	r   *rand.Rand
	ids []crm.ID // every ID ever made, some deleted since
}

func (g *accountGen) pick(vals ...any) any { return vals[g.r.IntN(len(vals))] }

func (g *accountGen) value(field string) any {
	d := decimal.RequireFromString
	t := func(day, hour int) time.Time { return time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC) }
	switch field {
	case "name":
		return g.pick("Alpha", "alpha", "ALPHA", "Beta", "beta", "Gamma", "Émile", "émile", "Zeta", "50% off", "a", "B")
	case "city":
		return g.pick(nil, nil, "Paris", "paris", "PARIS", "London", "Rome", "Zürich")
	case "numberofemployees":
		return g.pick(nil, int64(-5), int64(0), int64(7), int64(42), int64(1000))
	case "rating":
		return g.pick(nil, d("-1.25"), d("0"), d("0.00"), d("1.5"), d("1.50"), d("9.99"))
	case "creditlimit":
		return g.pick(nil, crm.MustMoney("10.00 USD"), crm.MustMoney("10.00 EUR"), crm.MustMoney("-3.00 USD"),
			crm.MustMoney("1000.00 EUR"), crm.MustMoney("0.00 USD"))
	case "creditonhold":
		return g.pick(nil, true, false)
	case "lastcontactedon":
		return g.pick(nil, t(1, 9), t(1, 10), t(14, 0), t(15, 12))
	case "category":
		return g.pick(nil, int32(1), int32(2))
	case "parentaccountid":
		if len(g.ids) == 0 || g.r.IntN(3) == 0 {
			return nil
		}
		return crm.Ref{Entity: "account", ID: g.ids[g.r.IntN(len(g.ids))]}
	}
	panic(field)
}

var diffFields = []string{"name", "city", "numberofemployees", "rating", "creditlimit", "creditonhold",
	"lastcontactedon", "category", "parentaccountid"}

func (g *accountGen) record(id crm.ID, version int64) crm.Record {
	rec := crm.Record{Entity: "account", Header: crm.Header{ID: id, Version: version, Owner: crm.SystemUser,
		CreatedOn: diffNow, ModifiedOn: diffNow.Add(time.Duration(g.r.IntN(3)) * time.Hour)}, Fields: crm.Fields{}}
	for _, f := range diffFields {
		if v := g.value(f); v != nil {
			rec.Fields[f] = v
		}
	}
	return rec
}

// condition returns a random condition on a random field.
func (g *accountGen) condition() crm.Filter {
	fields := append(slices.Clone(diffFields), crm.FieldID, crm.FieldModifiedOn)
	field := fields[g.r.IntN(len(fields))]
	value := func() any {
		switch field {
		case crm.FieldID:
			if len(g.ids) == 0 {
				return crm.NewID()
			}
			return g.ids[g.r.IntN(len(g.ids))]
		case crm.FieldModifiedOn:
			return diffNow.Add(time.Duration(g.r.IntN(4)) * time.Hour)
		case "parentaccountid":
			if len(g.ids) == 0 {
				return crm.NewID()
			}
			return g.ids[g.r.IntN(len(g.ids))]
		}
		for {
			if v := g.value(field); v != nil {
				return v
			}
		}
	}
	switch field {
	case "creditonhold":
		return g.pick(crm.Eq(field, value()), crm.Ne(field, value()), crm.IsNull(field)).(crm.Filter)
	case "parentaccountid", crm.FieldID:
		if field == "parentaccountid" && g.r.IntN(3) == 0 {
			// As a delete's relationship probe asks: the lookup index
			// answers it.
			return crm.Eq(field, crm.Ref{Entity: "account", ID: value().(crm.ID)})
		}
		return g.pick(crm.Eq(field, value()), crm.In(field, value(), value()), crm.NotNull(field), crm.IsNull(field),
			crm.Related{Lookup: "parentaccountid", Where: crm.Eq("city", "paris")}).(crm.Filter)
	case "creditlimit", "lastcontactedon", crm.FieldModifiedOn:
		return g.pick(crm.Eq(field, value()), crm.Lt(field, value()), crm.Le(field, value()), crm.Gt(field, value()),
			crm.Ge(field, value()), crm.Where(field, crm.OpBetween, value(), value()), crm.IsNull(field)).(crm.Filter)
	}
	return g.pick(crm.Eq(field, value()), crm.Ne(field, value()), crm.Lt(field, value()), crm.Le(field, value()),
		crm.Gt(field, value()), crm.Ge(field, value()), crm.Where(field, crm.OpBetween, value(), value()),
		crm.In(field, value(), value(), value()), crm.NotIn(field, value()), crm.IsNull(field), crm.NotNull(field)).(crm.Filter)
}

// query returns a random query: up to three conditions, mostly in an And,
// and up to three orders.
func (g *accountGen) query() crm.Query {
	q := crm.Query{Entity: "account"}
	var conds []crm.Filter
	for range g.r.IntN(4) {
		conds = append(conds, g.condition())
	}
	switch {
	case len(conds) == 1:
		q.Where = conds[0]
	case len(conds) > 1 && g.r.IntN(5) == 0:
		q.Where = crm.Or(conds...)
	case len(conds) > 1:
		q.Where = crm.And(conds...)
	}
	orderable := append(slices.Clone(diffFields), crm.FieldID, crm.FieldModifiedOn)
	for range g.r.IntN(4) {
		o := crm.Order{Field: orderable[g.r.IntN(len(orderable))], Desc: g.r.IntN(2) == 0}
		q.OrderBy = append(q.OrderBy, o)
	}
	return q
}

// brute answers a plan by definition: every record matched, then sorted.
func brute(t *testing.T, p *driver.Plan, recs map[crm.ID]crm.Record) []crm.ID {
	t.Helper()
	resolve := func(entity string, id crm.ID) (driver.Row, bool, error) {
		r, ok := recs[id]
		return driver.RecordRow(&r), ok && entity == "account", nil
	}
	var out []crm.Record
	for _, r := range recs {
		ok, err := p.Match(r, resolve)
		require.NoError(t, err)
		if ok {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, p.Compare)
	var ids []crm.ID
	for _, r := range out {
		ids = append(ids, r.ID)
	}
	return ids
}

// pageAll reads every record of q from r, size a page (0: one Select
// without a limit), and checks the count.
func pageAll(t *testing.T, r driver.Reader, reg *crm.Registry, q crm.Query, size int) ([]crm.ID, *driver.Plan) {
	t.Helper()
	ctx := context.Background()
	var all []crm.ID
	var first *driver.Plan
	for pages := 0; ; pages++ {
		p, err := driver.PlanQuery(reg, q, diffNow, nil, driver.Principal{})
		require.NoError(t, err)
		if first == nil {
			first = p
		}
		p.Limit = size
		var page []crm.Record
		for rec, err := range r.Select(ctx, p) {
			require.NoError(t, err)
			page = append(page, rec)
		}
		for _, rec := range page {
			all = append(all, rec.ID)
		}
		if size == 0 || len(page) < size {
			return all, first
		}
		q.After = p.Cursor(page[len(page)-1])
		require.Less(t, pages, 10_000, "paging does not end")
	}
}

func TestQueriesMatchTheDefinition(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			ctx := context.Background()
			reg := storagetest.Schema()
			e, err := reg.Entity("account")
			require.NoError(t, err)
			d := New()
			g := &accountGen{r: rand.New(rand.NewPCG(seed, 11))}
			model := map[crm.ID]crm.Record{} // committed

			check := func(r driver.Reader, recs map[crm.ID]crm.Record, step int) {
				t.Helper()
				for range 4 {
					q := g.query()
					p, err := driver.PlanQuery(reg, q, diffNow, nil, driver.Principal{})
					require.NoError(t, err)
					want := brute(t, p, recs)
					size := []int{0, 1, 2, 3, 5, 50}[g.r.IntN(6)]
					if size > 0 {
						size = max(size, len(want)/20) // twenty pages are enough to cross boundaries
					}
					got, _ := pageAll(t, r, reg, q, size)
					require.Equal(t, want, got, "step %d: %+v, pages of %d", step, q, size)
					n, err := r.Count(ctx, p)
					require.NoError(t, err)
					require.EqualValues(t, len(want), n, "step %d: count %+v", step, q)
				}
			}

			for step := range 200 {
				tx, err := d.Begin(ctx)
				require.NoError(t, err)
				work := maps.Clone(model)
				// Sometimes a query first, so that the transaction's table
				// is made before the writes and kept current by them.
				if g.r.IntN(3) == 0 {
					check(tx, work, step)
				}
				for range 1 + g.r.IntN(6) {
					ids := slices.Collect(maps.Keys(work))
					slices.SortFunc(ids, func(a, b crm.ID) int { return driver.CompareKeys(a, b) })
					op := g.r.IntN(10)
					if len(ids) > 120 {
						op = 5 + op/2 // the table stays small: only updates and deletes
					}
					switch {
					case op < 5 || len(ids) == 0:
						n := 1 + g.r.IntN(3)
						if step%20 == 0 {
							n = inPlaceMax + 1 // a commit too large to make in place
						}
						recs := make([]crm.Record, n)
						for i := range recs {
							id := crm.NewID()
							g.ids = append(g.ids, id)
							recs[i] = g.record(id, 1)
							work[id] = recs[i]
						}
						require.NoError(t, tx.Insert(ctx, e, recs))
					case op < 8:
						cur := work[ids[g.r.IntN(len(ids))]]
						next := g.record(cur.ID, cur.Version+1)
						if g.r.IntN(2) == 0 { // change one field only
							next.Fields = maps.Clone(cur.Fields)
							f := diffFields[g.r.IntN(len(diffFields))]
							if v := g.value(f); v != nil {
								next.Fields[f] = v
							} else {
								delete(next.Fields, f)
							}
						}
						require.NoError(t, tx.Update(ctx, e, next, cur.Version))
						work[cur.ID] = next
					default:
						cur := work[ids[g.r.IntN(len(ids))]]
						require.NoError(t, tx.Delete(ctx, e, cur.ID, cur.Version))
						delete(work, cur.ID)
					}
					if g.r.IntN(3) == 0 {
						check(tx, work, step) // the transaction sees its own writes
					}
					if g.r.IntN(4) == 0 {
						// Others see none of them, and may build indexes
						// the commit must then bring up to date.
						check(d, model, step)
					}
				}
				if g.r.IntN(4) == 0 {
					require.NoError(t, tx.Rollback())
				} else {
					require.NoError(t, tx.Commit())
					model = work
				}
				check(d, model, step)
			}
		})
	}
}

// TestReadersSeeOneVersion runs readers beside a writer: every query
// answers from one committed version of the table, whole, however its
// records stream, and (under -race) touches nothing a writer changes.
func TestReadersSeeOneVersion(t *testing.T) {
	ctx := context.Background()
	reg := storagetest.Schema()
	e, err := reg.Entity("account")
	require.NoError(t, err)
	d := New()
	g := &accountGen{r: rand.New(rand.NewPCG(5, 8))}

	// versions[k] is the sorted IDs of committed version k, by name then
	// ID; it is stored before version k commits.
	var versions sync.Map
	var committed atomic.Int64
	versions.Store(int64(0), []crm.ID(nil))
	q := crm.Query{Entity: "account", OrderBy: []crm.Order{crm.Asc("name")}}

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for reader := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				before := committed.Load()
				p, err := driver.PlanQuery(reg, q, diffNow, nil, driver.Principal{})
				if err != nil {
					t.Error(err)
					return
				}
				if reader == 2 {
					p.Limit = 7 // a first page
				}
				var got []crm.ID
				for rec, err := range d.Select(ctx, p) {
					if err != nil {
						t.Error(err)
						return
					}
					got = append(got, rec.ID)
					if i%5 == 0 {
						time.Sleep(time.Microsecond) // let the writer commit mid-stream
					}
				}
				after := committed.Load() + 1
				ok := false
				for k := before; k <= after && !ok; k++ {
					v, found := versions.Load(k)
					if !found {
						continue
					}
					want := v.([]crm.ID)
					if p.Limit > 0 {
						want = want[:min(len(want), p.Limit)]
					}
					ok = slices.Equal(want, got)
				}
				if !ok {
					t.Errorf("reader %d: a result that no version between %d and %d had", reader, before, after)
					return
				}
			}
		}()
	}

	model := map[crm.ID]crm.Record{}
	for k := int64(1); k <= 300; k++ {
		tx, err := d.Begin(ctx)
		require.NoError(t, err)
		work := maps.Clone(model)
		for range 1 + g.r.IntN(4) {
			if ids := slices.Collect(maps.Keys(work)); len(ids) > 0 && g.r.IntN(3) == 0 {
				slices.SortFunc(ids, func(a, b crm.ID) int { return driver.CompareKeys(a, b) })
				cur := work[ids[g.r.IntN(len(ids))]]
				if g.r.IntN(2) == 0 {
					require.NoError(t, tx.Delete(ctx, e, cur.ID, cur.Version))
					delete(work, cur.ID)
				} else {
					next := g.record(cur.ID, cur.Version+1)
					require.NoError(t, tx.Update(ctx, e, next, cur.Version))
					work[cur.ID] = next
				}
				continue
			}
			rec := g.record(crm.NewID(), 1)
			require.NoError(t, tx.Insert(ctx, e, []crm.Record{rec}))
			work[rec.ID] = rec
		}
		if g.r.IntN(5) == 0 {
			require.NoError(t, tx.Rollback())
			continue
		}
		p, err := driver.PlanQuery(reg, q, diffNow, nil, driver.Principal{})
		require.NoError(t, err)
		versions.Store(committed.Load()+1, brute(t, p, work))
		require.NoError(t, tx.Commit())
		committed.Add(1)
		model = work
	}
	close(stop)
	wg.Wait()
}

func TestIndexesBuiltDuringATransactionGetItsWrites(t *testing.T) {
	ctx := context.Background()
	reg := storagetest.Schema()
	e, err := reg.Entity("account")
	require.NoError(t, err)
	d := New()
	g := &accountGen{r: rand.New(rand.NewPCG(9, 9))}
	model := map[crm.ID]crm.Record{}
	insert := func(tx driver.Tx, n int) {
		for range n {
			rec := g.record(crm.NewID(), 1)
			require.NoError(t, tx.Insert(ctx, e, []crm.Record{rec}))
			model[rec.ID] = rec
		}
	}
	tx, err := d.Begin(ctx)
	require.NoError(t, err)
	insert(tx, 30)
	require.NoError(t, tx.Commit())

	tx, err = d.Begin(ctx)
	require.NoError(t, err)
	insert(tx, 5)
	byName := crm.Query{Entity: "account", OrderBy: []crm.Order{crm.Asc("name")}}
	got, p := pageAll(t, tx, reg, byName, 4) // the transaction's own table
	require.Equal(t, brute(t, p, model), got)
	// A reader outside builds an index the transaction's table lacks.
	byRating := crm.Query{Entity: "account", Where: crm.Gt("rating", decimal.Zero), OrderBy: []crm.Order{crm.Desc("rating")}}
	_, err = d.Count(ctx, mustPlan(t, reg, byRating))
	require.NoError(t, err)
	_, ok := d.table("account").indexes["rating"]
	require.True(t, ok, "the count built an index")
	insert(tx, 5) // kept in the transaction's table, which has no such index
	require.NoError(t, tx.Commit())
	_, ok = d.table("account").indexes["rating"]
	require.True(t, ok, "the commit kept the index")
	got, p = pageAll(t, d, reg, byRating, 3)
	require.Equal(t, brute(t, p, model), got, "the index built meanwhile holds the transaction's records")
}

func TestUnorderableValuesAreLeftToTheFilter(t *testing.T) {
	// Only a direct driver caller can store a value of the wrong type;
	// the index on that field is dropped, and queries scan instead.
	ctx := context.Background()
	reg := storagetest.Schema()
	e, err := reg.Entity("account")
	require.NoError(t, err)
	d := New()
	g := &accountGen{r: rand.New(rand.NewPCG(4, 4))}
	model := map[crm.ID]crm.Record{}
	tx, err := d.Begin(ctx)
	require.NoError(t, err)
	for range 20 {
		rec := g.record(crm.NewID(), 1)
		require.NoError(t, tx.Insert(ctx, e, []crm.Record{rec}))
		model[rec.ID] = rec
	}
	require.NoError(t, tx.Commit())
	q := crm.Query{Entity: "account", Where: crm.Eq("city", "paris"), OrderBy: []crm.Order{crm.Asc("city")}}
	got, p := pageAll(t, d, reg, q, 2)
	require.Equal(t, brute(t, p, model), got)

	tx, err = d.Begin(ctx)
	require.NoError(t, err)
	odd := g.record(crm.NewID(), 1)
	odd.Fields["city"] = 42
	require.NoError(t, tx.Insert(ctx, e, []crm.Record{odd}))
	got, _ = pageAll(t, tx, reg, q, 2)
	require.Equal(t, brute(t, p, model), got, "in the transaction")
	require.NoError(t, tx.Commit())
	got, _ = pageAll(t, d, reg, q, 2)
	require.Equal(t, brute(t, p, model), got, "committed")
	require.Nil(t, d.table("account").indexes["city"])
}

func mustPlan(t *testing.T, reg *crm.Registry, q crm.Query) *driver.Plan {
	t.Helper()
	p, err := driver.PlanQuery(reg, q, diffNow, nil, driver.Principal{})
	require.NoError(t, err)
	return p
}

func TestSpans(t *testing.T) {
	ints := func(spans []span) string {
		var out []string
		for _, s := range spans {
			out = append(out, fmt.Sprintf("%v%v,%v%v", map[bool]string{true: "[", false: "("}[s.lo.incl], s.lo.key, s.hi.key,
				map[bool]string{true: "]", false: ")"}[s.hi.incl]))
		}
		return fmt.Sprint(out)
	}
	e := &crm.Entity{Name: "thing", Fields: []crm.Field{{Name: "n", Type: crm.TypeInteger}, {Name: "s", Type: crm.TypeText},
		{Name: "m", Type: crm.TypeInteger}}}
	reg := crm.NewRegistry()
	require.NoError(t, reg.Register(e))
	e, _ = reg.Entity("thing")
	plan := func(where crm.Filter) crm.Filter {
		p, err := driver.PlanQuery(reg, crm.Query{Entity: "thing", Where: where}, diffNow, nil, driver.Principal{})
		require.NoError(t, err)
		return p.Where
	}
	t.Run("a range from two conditions", func(t *testing.T) {
		r := rangeOf(keyRanges(e, plan(crm.And(crm.Gt("n", 3), crm.Le("n", 9)))), "n")
		require.Equal(t, "[(3,9]]", ints(r.spans))
	})
	t.Run("between", func(t *testing.T) {
		r := rangeOf(keyRanges(e, plan(crm.Where("n", crm.OpBetween, 3, 9))), "n")
		require.Equal(t, "[[3,9]]", ints(r.spans))
	})
	t.Run("in, cut by a range; text values that fold alike are one", func(t *testing.T) {
		r := rangeOf(keyRanges(e, plan(crm.And(crm.In("n", 9, 1, 5, 5, 12), crm.Lt("n", 10)))), "n")
		require.Equal(t, "[[1,1] [5,5] [9,9]]", ints(r.spans))
		r = rangeOf(keyRanges(e, plan(crm.In("s", "Paris", "PARIS", "lyon"))), "s")
		require.Len(t, r.spans, 2)
	})
	t.Run("contradictions leave nothing", func(t *testing.T) {
		r := rangeOf(keyRanges(e, plan(crm.And(crm.Gt("n", 5), crm.Lt("n", 5)))), "n")
		require.NotNil(t, r.spans)
		require.Empty(t, r.spans)
		r = rangeOf(keyRanges(e, plan(crm.And(crm.IsNull("n"), crm.Eq("n", 5)))), "n")
		require.Empty(t, r.spans)
	})
	t.Run("comparisons leave out nulls; not-null alone is no reason to build an index", func(t *testing.T) {
		r := rangeOf(keyRanges(e, plan(crm.Lt("n", 5))), "n")
		require.Equal(t, "[(<nil>,5)]", ints(r.spans))
		r = rangeOf(keyRanges(e, plan(crm.NotNull("n"))), "n")
		require.False(t, r.selective)
	})
	t.Run("or, not and related conditions are left to the filter", func(t *testing.T) {
		require.Empty(t, keyRanges(e, plan(crm.Or(crm.Eq("n", 1), crm.Eq("n", 2)))))
		require.Empty(t, keyRanges(e, plan(crm.Ne("n", 1))))
		require.Empty(t, keyRanges(e, plan(crm.NotIn("n", 1))))
	})
	t.Run("a comparison with another field of the record bounds no range", func(t *testing.T) {
		require.Empty(t, keyRanges(e, plan(crm.Eq("n", crm.ValueOf("m")))))
		r := rangeOf(keyRanges(e, plan(crm.And(crm.Gt("n", 3), crm.Lt("n", crm.ValueOf("m"))))), "n")
		require.Equal(t, "[(3,<nil>)]", ints(r.spans))
	})
}

func TestFirstNIsTheStartOfTheSortedRows(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	for range 300 {
		rows := make([]int, 1+r.IntN(200))
		for i := range rows {
			rows[i] = r.IntN(50)
		}
		want := slices.Sorted(slices.Values(rows))
		n := r.IntN(60)
		if n > 0 && n < len(want) {
			want = want[:n]
		}
		require.Equal(t, want, firstN(slices.Clone(rows), n, func(a, b int) int { return a - b }), "first %d of %v", n, rows)
	}
}

// TestAPageReadsAboutThePage counts the records a query reads (tests
// with its filter) to fetch one page, wherever the page is: the cost a
// page may have, whatever the machine.
func TestAPageReadsAboutThePage(t *testing.T) {
	ctx := context.Background()
	reg := storagetest.Schema()
	e, err := reg.Entity("contact")
	require.NoError(t, err)
	d := New()
	r := rand.New(rand.NewPCG(1, 2))
	syllables := []string{"son", "man", "ley", "ton", "er", "ford", "well", "by", "den", "ick"}
	const n = 20_000
	recs := make([]crm.Record, n)
	for i := range recs {
		recs[i] = crm.Record{Entity: "contact", Header: crm.Header{ID: crm.NewID(), Version: 1, Owner: crm.SystemUser,
			CreatedOn: diffNow, ModifiedOn: diffNow}, Fields: crm.Fields{
			"lastname":  string(rune('A'+r.IntN(26))) + syllables[r.IntN(10)] + syllables[r.IntN(10)],
			"firstname": fmt.Sprintf("First%03d", r.IntN(300)),
			"city":      fmt.Sprintf("City%02d", r.IntN(50)),
			"birthdate": time.Date(1950+r.IntN(50), 1, 1, 0, 0, 0, 0, time.UTC),
		}}
	}
	tx, err := d.Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, tx.Insert(ctx, e, recs))
	require.NoError(t, tx.Commit())
	model := map[crm.ID]crm.Record{}
	for _, rec := range recs {
		model[rec.ID] = rec
	}

	// page reads the page of 50 after the record at position at of q's
	// answer (from the start if at < 0), and returns how many records it
	// tested.
	page := func(t *testing.T, q crm.Query, at int) int {
		t.Helper()
		p := mustPlan(t, reg, q)
		all := brute(t, p, model)
		if at >= 0 {
			q.After = p.Cursor(model[all[at]])
			p = mustPlan(t, reg, q)
		}
		p.Limit = 51
		var got []crm.ID
		qr := newQuery(ctx, d.view(), e, p.Matcher(resolver(d.view())))
		qr.run(p, &emitter{limit: p.Limit, yield: func(rec crm.Record, err error) bool {
			got = append(got, rec.ID)
			return true
		}})
		require.NoError(t, qr.err)
		require.Equal(t, all[at+1:min(at+1+51, len(all))], got)
		return qr.seen
	}
	end := n - 60
	byName := []crm.Order{crm.Asc("lastname"), crm.Asc("firstname")}
	for _, c := range []struct {
		name string
		q    crm.Query
		at   int
		most int
	}{
		{"by ID, at the end", crm.Query{Entity: "contact"}, end, 51},
		{"by ID descending, at the end", crm.Query{Entity: "contact", OrderBy: []crm.Order{crm.Desc(crm.FieldID)}}, end, 51},
		{"by city then ID, in a run of 400 equal keys", crm.Query{Entity: "contact", OrderBy: []crm.Order{crm.Asc("city")}}, end, 51},
		{"by city descending then ID, in a run of equal keys", crm.Query{Entity: "contact", OrderBy: []crm.Order{crm.Desc("city")}}, end, 51},
		// Runs of ~8 equal last names are read whole and sorted.
		{"by last then first name, at the end", crm.Query{Entity: "contact", OrderBy: byName}, end, 51 + 60},
		{"a range on the order field", crm.Query{Entity: "contact", Where: crm.Where("birthdate", crm.OpBetween,
			time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)),
			OrderBy: []crm.Order{crm.Desc("birthdate")}}, 3000, 51},
		// Collecting the 400 records of a city beats walking the names:
		// the walk would read until 51 of them begin with B.
		{"a narrow condition on another field", crm.Query{Entity: "contact",
			Where: crm.And(crm.Eq("city", "City07"), crm.BeginsWith("lastname", "B")), OrderBy: byName}, -1, 500},
		// Six cities in fifty promise a walk by name that finds a page
		// early, but only names after Z match: the walk gives up when it
		// has read as many records as the cities hold (~2,400) and
		// collects them, where it would have read all 20,000.
		{"a walk that gives up", crm.Query{Entity: "contact",
			Where: crm.And(crm.In("city", "City01", "City02", "City03", "City04", "City05", "City06"),
				crm.BeginsWith("lastname", "Z")), OrderBy: byName}, -1, 2*2400 + 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			read := page(t, c.q, c.at)
			t.Logf("read %d records", read)
			require.LessOrEqual(t, read, c.most)
		})
	}
}
