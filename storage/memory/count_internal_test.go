package memory

import (
	"context"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/storagetest"
	"github.com/stretchr/testify/require"
)

// A count that an index decides reads no record: the whole entity, or
// conditions on one field that its index (or the lookup index) answers
// exactly. Every count agrees with the definition (brute), committed and
// inside a transaction with writes of its own.
func TestCountsReadNoRecordWhenAnIndexAnswers(t *testing.T) {
	ctx := context.Background()
	reg := storagetest.Schema()
	e, err := reg.Entity("account")
	require.NoError(t, err)
	d := New()
	g := &accountGen{r: rand.New(rand.NewPCG(4, 4))}
	model := map[crm.ID]crm.Record{}
	load, err := d.Begin(ctx)
	require.NoError(t, err)
	for range 300 {
		id := crm.NewID()
		g.ids = append(g.ids, id)
		rec := g.record(id, 1)
		model[id] = rec
		require.NoError(t, load.Insert(ctx, e, []crm.Record{rec}))
	}
	require.NoError(t, load.Commit())
	var parent crm.ID
	for _, r := range model {
		if ref, ok := r.Fields["parentaccountid"].(crm.Ref); ok {
			parent = ref.ID
			break
		}
	}

	cases := []struct {
		name  string
		where crm.Filter
		reads bool
	}{
		{"everything", nil, false},
		{"text equality, folded", crm.Eq("city", "PARIS"), false},
		{"a range of integers", crm.And(crm.Ge("numberofemployees", 0), crm.Lt("numberofemployees", 100)), false},
		{"choices in a list", crm.In("category", 1, 2), false},
		{"null", crm.IsNull("rating"), false},
		{"a lookup equal to a record", crm.Eq("parentaccountid", crm.Ref{Entity: "account", ID: parent}), false},
		{"money compares its currency too", crm.Eq("creditlimit", crm.MustMoney("10.00 USD")), true},
		{"conditions on two fields", crm.And(crm.Eq("city", "Paris"), crm.Eq("category", 1)), true},
		{"not equal", crm.Ne("city", "Paris"), true},
	}
	check := func(t *testing.T, v view, recs map[crm.ID]crm.Record) {
		t.Helper()
		for _, c := range cases {
			p, err := driver.PlanQuery(reg, crm.Query{Entity: "account", Where: c.where}, diffNow, nil, driver.Principal{})
			require.NoError(t, err)
			// Twice: the first count may build the index.
			for range 2 {
				n, read, err := countRead(ctx, v, p)
				require.NoError(t, err)
				require.EqualValues(t, len(brute(t, p, recs)), n, c.name)
				if c.reads {
					require.NotZero(t, read, c.name)
				} else {
					require.Zero(t, read, c.name)
				}
			}
		}
	}
	t.Run("committed", func(t *testing.T) { check(t, d.view(), model) })
	t.Run("in a transaction", func(t *testing.T) {
		dtx, err := d.Begin(ctx)
		require.NoError(t, err)
		w := dtx.(*tx)
		defer w.Rollback()
		work := maps.Clone(model)
		n := 0
		for id, r := range model {
			switch n++; n % 3 {
			case 0:
				require.NoError(t, w.Delete(ctx, e, id, r.Version))
				delete(work, id)
			case 1:
				next := g.record(id, r.Version+1)
				next.Fields["parentaccountid"] = crm.Ref{Entity: "account", ID: parent}
				require.NoError(t, w.Update(ctx, e, next, r.Version))
				work[id] = next
			}
			if n == 60 {
				break
			}
		}
		for i := range 20 {
			rec := g.record(crm.NewID(), 1)
			rec.Fields["city"] = []string{"Paris", "paris"}[i%2]
			require.NoError(t, w.Insert(ctx, e, []crm.Record{rec}))
			work[rec.ID] = rec
		}
		check(t, w, work)
	})
}

// An equality on a lookup, as a delete's relationship probe asks it,
// reads the records the lookup index lists, and builds no ordered index
// on the lookup.
func TestALookupEqualityReadsTheLookupIndex(t *testing.T) {
	ctx := context.Background()
	reg := storagetest.Schema()
	e, err := reg.Entity("account")
	require.NoError(t, err)
	d := New()
	parent := crm.NewID()
	tx, err := d.Begin(ctx)
	require.NoError(t, err)
	recs := []crm.Record{{Entity: "account", Header: crm.Header{ID: parent, Version: 1}, Fields: crm.Fields{"name": "Parent"}}}
	for i := range 500 {
		rec := crm.Record{Entity: "account", Header: crm.Header{ID: crm.NewID(), Version: 1}, Fields: crm.Fields{"name": "Child"}}
		if i%100 == 0 {
			rec.Fields["parentaccountid"] = crm.Ref{Entity: "account", ID: parent}
		}
		recs = append(recs, rec)
	}
	require.NoError(t, tx.Insert(ctx, e, recs))
	require.NoError(t, tx.Commit())

	p, err := driver.PlanQuery(reg, crm.Query{Entity: "account", Where: crm.Eq("parentaccountid", crm.Ref{Entity: "account", ID: parent})},
		diffNow, nil, driver.Principal{})
	require.NoError(t, err)
	q := newQuery(ctx, d.view(), e, p.MatcherWith(resolver(d.view()), referrers(d.view())))
	var got []crm.ID
	q.em = emitter{yield: func(r crm.Record, err error) bool { got = append(got, r.ID); return true }}
	q.run(p, &q.em)
	require.NoError(t, q.err)
	require.Len(t, got, 5)
	require.Equal(t, 5, q.seen, "records read")
	_, built := d.tables["account"].indexes["parentaccountid"]
	require.False(t, built, "an ordered index on the lookup")
}
