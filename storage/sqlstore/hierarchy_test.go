package sqlstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/memory"
)

// TestHierarchyAtScale asks memory, SQLite and PostgreSQL (with a DSN) the
// hierarchy operators over 10,000 accounts 20 levels deep (800 under the
// race detector or -short) and requires each answer to be the one a walk
// of the parent links in Go gives.
func TestHierarchyAtScale(t *testing.T) {
	const (
		levels = 20
		entity = "hx_account"
	)
	// Past readUpTo rows an answer is checked by its count, except at
	// level 10, whose every answer is read: reading rows is most of the
	// time the test takes.
	perLevel, readUpTo := 500, 1000
	if raceEnabled || testing.Short() {
		perLevel, readUpTo = 40, 100 // 800 accounts, still 20 levels deep
	}
	reg := crm.NewRegistry()
	require.NoError(t, reg.Register(&crm.Entity{Name: entity, PrimaryName: "name", Fields: []crm.Field{
		{Name: "name", Type: crm.TypeText, MaxLength: 20},
		{Name: "parentid", Type: crm.TypeLookup, Targets: []string{entity}, Hierarchical: true},
	}}))
	// The records go in through each driver, complete with headers: this
	// is a test of reads, and the write path's checks of 10,000 records
	// under the race detector would take most of a minute.
	drivers := []driver.Driver{memory.New(), verifySQLite(t, reg)}
	names := []string{"memory", "sqlite"}
	if pg := verifyPostgres(t, reg); pg != nil {
		drivers, names = append(drivers, pg), append(names, "postgres")
	}
	var backends []diffBackend
	for i, d := range drivers {
		backends = append(backends, diffBackend{name: names[i], store: storage.New(d, reg)})
	}
	ctx := crm.AsSystem(context.Background())

	// Level 0 holds the roots; every record of a deeper level has a parent
	// one level up, so the trees are 20 levels deep and bushy. One root in
	// ten of the level-0 records stays childless by chance alone.
	r := rand.New(rand.NewPCG(7, 11))
	g := &diffGen{r: r}
	parent := map[crm.ID]crm.ID{}
	var byLevel [levels][]crm.ID
	var recs []crm.Record
	at := crm.NormalizeTime(diffNow)
	header := crm.Header{Version: 1, Owner: crm.SystemUser, CreatedOn: at, CreatedBy: crm.SystemUserID, ModifiedOn: at, ModifiedBy: crm.SystemUserID}
	for l := range levels {
		for i := range perLevel {
			id := g.id()
			rec := crm.Record{Entity: entity, Header: header, Fields: crm.Fields{"name": fmt.Sprintf("L%02d-%03d", l, i)}}
			rec.ID = id
			if l > 0 {
				p := byLevel[l-1][r.IntN(perLevel)]
				parent[id] = p
				rec.Fields["parentid"] = crm.Ref{Entity: entity, ID: p}
			}
			byLevel[l] = append(byLevel[l], id)
			recs = append(recs, rec)
		}
	}
	start := time.Now()
	e, err := reg.Entity(entity)
	require.NoError(t, err)
	for i, d := range drivers {
		tx, err := d.Begin(ctx)
		require.NoError(t, err, names[i])
		require.NoError(t, tx.Insert(ctx, e, recs), names[i])
		require.NoError(t, tx.Commit(), names[i])
	}
	t.Logf("loaded %d accounts into %s in %s", len(recs), diffBackendNames(backends), time.Since(start))

	children := map[crm.ID][]crm.ID{}
	for _, rec := range recs {
		if p, ok := parent[rec.ID]; ok {
			children[p] = append(children[p], rec.ID)
		}
	}
	under := func(x crm.ID) []crm.ID { // strict descendants
		var out []crm.ID
		for next := children[x]; len(next) > 0; {
			out = append(out, next...)
			var deeper []crm.ID
			for _, id := range next {
				deeper = append(deeper, children[id]...)
			}
			next = deeper
		}
		return out
	}
	above := func(x crm.ID) []crm.ID {
		var out []crm.ID
		for p, ok := parent[x]; ok; p, ok = parent[p] {
			out = append(out, p)
		}
		return out
	}
	without := func(xs []crm.ID) []crm.ID {
		drop := map[crm.ID]bool{}
		for _, id := range xs {
			drop[id] = true
		}
		var out []crm.ID
		for _, rec := range recs {
			if !drop[rec.ID] {
				out = append(out, rec.ID)
			}
		}
		return out
	}

	// A root with the largest subtree, records in the middle, a leaf, and
	// an ID no record has.
	root := byLevel[0][0]
	for _, id := range byLevel[0] {
		if len(under(id)) > len(under(root)) {
			root = id
		}
	}
	mid := parent[parent[byLevel[12][0]]] // level 10, with descendants
	points := map[string]crm.ID{"root": root, "level 5": byLevel[5][7], "level 10": mid, "leaf": byLevel[levels-1][3], "missing": g.id()}
	for name, x := range points {
		sub := under(x)
		up := above(x)
		self := []crm.ID{}
		if name != "missing" {
			self = append(self, x)
		}
		for _, c := range []struct {
			where crm.Condition
			want  []crm.ID
		}{
			{crm.Under(x), sub},
			{crm.EqOrUnder(x), append(slices.Clone(self), sub...)},
			{crm.Above(x), up},
			{crm.EqOrAbove(x), append(slices.Clone(self), up...)},
			{crm.NotUnder(x), without(sub)},
		} {
			t.Run(name+" "+c.where.Op.String(), func(t *testing.T) {
				want := sortedIDs(c.want)
				for _, b := range backends {
					n, err := b.store.Count(ctx, crm.Query{Entity: entity, Where: c.where})
					require.NoError(t, err, b.name)
					require.EqualValues(t, len(want), n, "%s: %s %s", b.name, c.where.Op, name)
					if n > int64(readUpTo) && name != "level 10" {
						continue
					}
					var got []crm.ID
					for rec, err := range b.store.Iterate(ctx, crm.Query{Entity: entity, Where: c.where, OrderBy: []crm.Order{crm.Asc(crm.FieldID)}}) {
						require.NoError(t, err, b.name)
						got = append(got, rec.ID)
					}
					require.Equal(t, want, got, "%s: %s %s", b.name, c.where.Op, name)
				}
			})
		}
	}
	require.Greater(t, len(under(root)), perLevel, "the widest tree reaches far")
	require.Len(t, above(byLevel[levels-1][3]), levels-1)
}

func sortedIDs(ids []crm.ID) []crm.ID {
	out := slices.Clone(ids)
	slices.SortFunc(out, func(a, b crm.ID) int { return strings.Compare(string(a[:]), string(b[:])) })
	if len(out) == 0 {
		return nil
	}
	return out
}
