package sqlstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/sqlstore"
)

// indexedRegistry registers "note", regarding an "item" through a
// polymorphic lookup, with the given indexes.
func indexedRegistry(t *testing.T, indexes ...crm.Index) *crm.Registry {
	t.Helper()
	reg := crm.NewRegistry()
	require.NoError(t, reg.Register(
		&crm.Entity{Name: "item", PrimaryName: "sku", Fields: []crm.Field{{Name: "sku", Type: crm.TypeText, MaxLength: 40}}},
		&crm.Entity{Name: "note", PrimaryName: "title", Indexes: indexes, Fields: []crm.Field{
			{Name: "title", Type: crm.TypeText, MaxLength: 100},
			{Name: "about", Type: crm.TypeLookup, Polymorphic: true, Targets: []string{"item"}},
			{Name: "on", Type: crm.TypeTime},
		}}))
	return reg
}

// TestIndexesAddedOnOpen checks that an index declared after the table
// exists is created by the migration on open, once, that a changed index
// is refused, and that a query sorted as the index, descending, equal on
// its leading lookup, reads the index instead of sorting.
func TestIndexesAddedOnOpen(t *testing.T) {
	timeline := crm.Index{Name: "timeline", Fields: []string{"about", "on", crm.FieldID}}
	for _, o := range dialects(t) {
		t.Run(o.name, func(t *testing.T) {
			o.raw(t) // skips PostgreSQL without a DSN
			ctx := crm.AsSystem(context.Background())
			reg := indexedRegistry(t)
			d := o.open(t, reg)
			s := storage.New(d, reg)
			item, err := s.Create(ctx, crm.Record{Entity: "item", Fields: crm.Fields{"sku": "A"}})
			require.NoError(t, err)
			recs := make([]crm.Record, 20)
			for i := range recs {
				recs[i] = crm.Record{Entity: "note", Fields: crm.Fields{"title": fmt.Sprint(i), "about": item.Ref()}}
				if i%4 != 0 { // some without a date, which sort last descending
					recs[i].Fields["on"] = time.Date(2026, 1, 1+i%7, 0, 0, 0, 0, time.UTC)
				}
			}
			_, err = s.CreateMany(ctx, recs)
			require.NoError(t, err)
			q := crm.Query{Entity: "note", Where: crm.Eq("about", item.Ref()),
				OrderBy: []crm.Order{crm.Desc("on"), crm.Desc(crm.FieldID)}, Limit: 7}
			before := pageIDs(t, s, q)
			version := d.SchemaVersion()

			reg = indexedRegistry(t, timeline)
			d = o.open(t, reg)
			require.Equal(t, version+1, d.SchemaVersion(), "the index is a migration")
			s = storage.New(d, reg)
			require.Equal(t, before, pageIDs(t, s, q), "an index changes no answer")

			table, name, explain, about := `"note"`, "note_ix_timeline", "EXPLAIN QUERY PLAN ", "X'00'"
			var n int
			if schema, _, ok := strings.Cut(o.table, "."); ok {
				table, explain, about = `"`+schema+`"."note"`, "EXPLAIN (COSTS OFF) ", "'"+crm.NilID.String()+"'"
				require.NoError(t, o.raw(t).QueryRow("SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND indexname = $2", schema, name).Scan(&n))
			} else {
				require.NoError(t, o.raw(t).QueryRow("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?", name).Scan(&n))
			}
			require.Equal(t, 1, n, "index %s", name)

			// The ORDER BY crmkit compiles a descending sort to.
			tx, err := o.raw(t).BeginTx(ctx, nil)
			require.NoError(t, err)
			defer func() { _ = tx.Rollback() }()
			if explain != "EXPLAIN QUERY PLAN " {
				_, err = tx.Exec("SET LOCAL enable_seqscan = off") // a table this small is read whole otherwise
				require.NoError(t, err)
			}
			rows, err := tx.Query(explain + `SELECT id FROM ` + table + ` t0 WHERE t0."about" = ` + about + ` AND t0."about_type" = 'item'` +
				` ORDER BY t0."on" DESC NULLS LAST, t0."id" DESC NULLS LAST LIMIT 7`)
			require.NoError(t, err)
			var plan []string
			for rows.Next() {
				cols, _ := rows.Columns()
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				require.NoError(t, rows.Scan(ptrs...))
				plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
			}
			require.NoError(t, rows.Err())
			got := strings.Join(plan, " | ")
			require.Contains(t, got, name, "the query reads the index")
			require.NotContains(t, got, "TEMP B-TREE", "the index gives the order")
			require.NotContains(t, got, "Sort", "the index gives the order")
			_ = tx.Rollback()

			d = o.open(t, reg)
			require.Equal(t, version+1, d.SchemaVersion(), "nothing left to migrate")

			changed := timeline
			changed.Fields = []string{"about", "on"}
			var opts []sqlstore.Option
			if schema, _, ok := strings.Cut(o.table, "."); ok {
				opts = append(opts, sqlstore.WithSchema(schema))
			}
			_, err = sqlstore.New(context.Background(), o.raw(t), d.Dialect(), indexedRegistry(t, changed), opts...)
			require.ErrorContains(t, err, "changing an index is not supported")
		})
	}
}

func pageIDs(t *testing.T, s *storage.Store, q crm.Query) []crm.ID {
	t.Helper()
	p, err := s.Query(crm.AsSystem(context.Background()), q)
	require.NoError(t, err)
	ids := make([]crm.ID, len(p.Records))
	for i, r := range p.Records {
		ids[i] = r.ID
	}
	return ids
}
