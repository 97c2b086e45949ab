package storagetest

import (
	"fmt"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/stretchr/testify/require"
)

func testSorting(t *testing.T, open Opener) {
	e := newEnv(t, open)
	e.loadFixture()
	cases := []struct {
		name  string
		order []crm.Order
		want  []string
	}{
		{"text ascending ignores ASCII case; non-ASCII sorts last",
			[]crm.Order{crm.Asc("name")}, []string{nF, nA, nB, nb, nd, nE, nG, nZ, nM}},
		{"text descending",
			[]crm.Order{crm.Desc("name")}, []string{nM, nZ, nG, nE, nd, nb, nB, nA, nF}},
		{"nulls first ascending, then a second field",
			[]crm.Order{crm.Asc("city"), crm.Asc("name")}, []string{nE, nd, nG, nZ, nF, nA, nb, nB, nM}},
		{"nulls last descending, then a second field ascending",
			[]crm.Order{crm.Desc("city"), crm.Asc("name")}, []string{nM, nB, nF, nA, nb, nG, nZ, nd, nE}},
		{"integer descending, then decimal ascending",
			[]crm.Order{crm.Desc("numberofemployees"), crm.Asc("rating")}, []string{nZ, nb, nF, nB, nA, nM, nd, nE, nG}},
		{"choice ascending, then money descending by amount, then the ID",
			[]crm.Order{crm.Asc("category"), crm.Desc("creditlimit")}, []string{nF, nd, nM, nA, nB, nG, nb, nE, nZ}},
		{"bool ascending breaks ties by ID",
			[]crm.Order{crm.Asc("creditonhold")}, []string{nG, nF, nM, nb, nd, nZ, nA, nE, nB}},
		{"bool descending still breaks ties by ascending ID",
			[]crm.Order{crm.Desc("creditonhold")}, []string{nA, nE, nB, nb, nd, nZ, nG, nF, nM}},
		{"time descending",
			[]crm.Order{crm.Desc("lastcontactedon")}, []string{nM, nG, nZ, nA, nb, nB, nd, nE, nF}},
		{"date-only ascending",
			[]crm.Order{crm.Asc("foundedon")}, []string{nd, nF, nM, nb, nA, nZ, nE, nG, nB}},
		{"lookup ascending by ID",
			[]crm.Order{crm.Asc("parentaccountid")}, []string{nA, nG, nd, nE, nF, nB, nM, nb, nZ}},
		{"ID descending",
			[]crm.Order{crm.Desc(crm.FieldID)}, []string{nM, nZ, nB, nF, nE, nd, nG, nb, nA}},
		{"no order is ID order",
			nil, []string{nA, nb, nG, nd, nE, nF, nB, nZ, nM}},
		{"orders after the ID are ignored",
			[]crm.Order{crm.Asc(crm.FieldID), crm.Desc("name")}, []string{nA, nb, nG, nd, nE, nF, nB, nZ, nM}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := crm.Query{Entity: account, OrderBy: c.order}
			page, err := e.store.Query(e.ctx, q)
			require.NoError(t, err)
			require.Equal(t, c.want, names(page.Records, "name"), "query")
			require.Equal(t, c.want, names(e.all(q), "name"), "iterate")
		})
	}
	t.Run("a filtered, sorted query", func(t *testing.T) {
		q := crm.Query{Entity: account, Where: crm.NotNull("category"), OrderBy: []crm.Order{crm.Desc("category"), crm.Asc("name")}}
		require.Equal(t, []string{nb, nE, nZ, nA, nB, nG}, names(e.all(q), "name"))
	})
}

func testPaging(t *testing.T, open Opener) {
	e := newEnv(t, open)
	// 61 contacts with many equal sort values and nulls.
	cities := []any{nil, "Paris", "paris", "London", "Berlin"}
	lastnames := []string{"Smith", "smith", "Jones", "Brown"}
	firstnames := []any{nil, "Ann", "ann", "Bob", "Zoe", "Émile", "bob"}
	recs := make([]crm.Record, 61)
	for i := range recs {
		f := crm.Fields{"lastname": lastnames[i%4], "city": cities[i%5], "firstname": firstnames[i%7]}
		if i%3 == 0 {
			f["birthdate"] = day(1990+i%4, 1, 1)
		}
		// IDs descend while the data ascends, so the ID tiebreak is not
		// insertion order.
		recs[i] = crm.Record{Entity: contact, Header: crm.Header{ID: testID(1000 - i)}, Fields: f}
	}
	_, err := e.store.CreateMany(e.ctx, recs)
	require.NoError(t, err)

	orders := [][]crm.Order{
		nil,
		{crm.Asc("city")},
		{crm.Desc("city"), crm.Asc("lastname")},
		{crm.Asc("lastname"), crm.Desc("firstname")},
		{crm.Desc("birthdate"), crm.Desc("firstname"), crm.Asc("city")},
		{crm.Asc("fullname")},
	}
	filters := []crm.Filter{nil, crm.Or(crm.Eq("city", "paris"), crm.IsNull("firstname"))}
	for _, order := range orders {
		for _, where := range filters {
			for _, size := range []int{1, 2, 3, 7, 50} {
				t.Run(fmt.Sprintf("every row once in order: by %v where %v, pages of %d", order, where, size), func(t *testing.T) {
					q := crm.Query{Entity: contact, Where: where, OrderBy: order}
					all := e.all(q)
					require.NotEmpty(t, all)
					var walked []crm.ID
					pages := 0
					for {
						q.Limit = size
						page, err := e.store.Query(e.ctx, q)
						require.NoError(t, err)
						pages++
						require.LessOrEqual(t, len(page.Records), size)
						for _, r := range page.Records {
							walked = append(walked, r.ID)
						}
						if !page.More {
							require.Empty(t, page.Next, "the last page has no cursor")
							break
						}
						require.Len(t, page.Records, size, "only the last page is short")
						require.NotEmpty(t, page.Next)
						q.After = page.Next
						require.LessOrEqual(t, pages, len(all), "paging does not end")
					}
					want := make([]crm.ID, len(all))
					for i, r := range all {
						want[i] = r.ID
					}
					require.Equal(t, want, walked)
					require.Equal(t, (len(all)+size-1)/size, pages)
				})
			}
		}
	}

	t.Run("a page as large as the result says there is no more", func(t *testing.T) {
		page, err := e.store.Query(e.ctx, crm.Query{Entity: contact, Limit: 61})
		require.NoError(t, err)
		require.Len(t, page.Records, 61)
		require.False(t, page.More)
		page, err = e.store.Query(e.ctx, crm.Query{Entity: contact})
		require.NoError(t, err)
		require.Len(t, page.Records, 61, "the default page size holds everything")
		require.False(t, page.More)
	})

	t.Run("rows added between pages are neither skipped before the cursor nor repeated", func(t *testing.T) {
		e := newEnv(t, open)
		for _, n := range []string{"B", "D", "F", "H"} {
			e.create(contact, crm.Fields{"lastname": n})
		}
		q := crm.Query{Entity: contact, OrderBy: []crm.Order{crm.Asc("lastname")}, Limit: 2}
		page, err := e.store.Query(e.ctx, q)
		require.NoError(t, err)
		require.Equal(t, []string{"B", "D"}, names(page.Records, "lastname"))
		e.create(contact, crm.Fields{"lastname": "A"})
		e.create(contact, crm.Fields{"lastname": "E"})
		q.After, q.Limit = page.Next, 10
		page, err = e.store.Query(e.ctx, q)
		require.NoError(t, err)
		require.Equal(t, []string{"E", "F", "H"}, names(page.Records, "lastname"))
	})

	t.Run("a cursor of another query is refused", func(t *testing.T) {
		page, err := e.store.Query(e.ctx, crm.Query{Entity: contact, OrderBy: []crm.Order{crm.Asc("city")}, Limit: 5})
		require.NoError(t, err)
		require.True(t, page.More)
		for _, q := range []crm.Query{
			{Entity: contact, OrderBy: []crm.Order{crm.Asc("lastname")}, After: page.Next},
			{Entity: contact, OrderBy: []crm.Order{crm.Desc("city")}, After: page.Next},
			{Entity: contact, After: page.Next},
			{Entity: account, OrderBy: []crm.Order{crm.Asc("city")}, After: page.Next},
			{Entity: contact, OrderBy: []crm.Order{crm.Asc("city")}, After: "not a cursor"},
			{Entity: contact, OrderBy: []crm.Order{crm.Asc("city")}, After: page.Next + "x"},
		} {
			_, err := e.store.Query(e.ctx, q)
			requireInvalid(t, err, "after")
		}
		_, err = e.store.Query(e.ctx, crm.Query{Entity: contact, OrderBy: []crm.Order{crm.Asc("city")}, After: page.Next})
		require.NoError(t, err, "the same query accepts it")
	})

	t.Run("count counts what matches", func(t *testing.T) {
		n, err := e.store.Count(e.ctx, crm.Query{Entity: contact})
		require.NoError(t, err)
		require.EqualValues(t, 61, n)
		n, err = e.store.Count(e.ctx, crm.Query{Entity: contact, Where: crm.Eq("city", "PARIS"), Limit: 3, OrderBy: []crm.Order{crm.Desc("city")}})
		require.NoError(t, err)
		require.EqualValues(t, 24, n, "Paris and paris; order and limit do not matter")
		n, err = e.store.Count(e.ctx, crm.Query{Entity: account})
		require.NoError(t, err)
		require.Zero(t, n)
	})

	t.Run("iterate streams everything and stops early on break", func(t *testing.T) {
		q := crm.Query{Entity: contact, OrderBy: []crm.Order{crm.Asc("lastname")}}
		all := e.all(q)
		require.Len(t, all, 61)
		var first []crm.Record
		for rec, err := range e.store.Iterate(e.ctx, q) {
			require.NoError(t, err)
			first = append(first, rec)
			if len(first) == 3 {
				break
			}
		}
		require.Equal(t, all[:3], first)
		// The store is usable after a broken-off iteration.
		e.create(contact, crm.Fields{"lastname": "After break"})
		require.EqualValues(t, 62, e.count(contact))
	})

	t.Run("iterate stops after the limit", func(t *testing.T) {
		q := crm.Query{Entity: contact, OrderBy: []crm.Order{crm.Desc("city"), crm.Asc("lastname")}}
		all := e.all(q)
		q.Limit = 4
		require.Equal(t, all[:4], e.all(q))
		q.Limit = 1000
		require.Equal(t, all, e.all(q), "a limit over the total yields everything")
	})
}
