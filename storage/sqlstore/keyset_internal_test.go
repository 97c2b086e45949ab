package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/sqlitedialect"
)

// TestKeysetPageReadsARange: a page after a cursor reads the index on its
// sort keys as a range from the cursor, rather than walking the index
// from its start and dropping the rows before the cursor (the OR chain of
// "after the cursor" alone seeks nowhere). Descending on a field that may
// be null, the rows without a value are a second part.
func TestKeysetPageReadsARange(t *testing.T) {
	reg := crm.NewRegistry()
	require.NoError(t, reg.Register(
		&crm.Entity{Name: "item", Fields: []crm.Field{{Name: "sku", Type: crm.TypeText}}},
		&crm.Entity{Name: "note", Indexes: []crm.Index{{Name: "timeline", Fields: []string{"about", "on", crm.FieldID}}},
			Fields: []crm.Field{
				{Name: "about", Type: crm.TypeLookup, Polymorphic: true, Targets: []string{"item"}},
				{Name: "on", Type: crm.TypeTime},
			}}))
	ctx := context.Background()
	db, err := sql.Open("sqlite", ":memory:")
	require.NoError(t, err)
	defer db.Close()
	db.SetMaxOpenConns(1) // every connection to :memory: is a database of its own
	d, err := New(ctx, db, Dialect{sqlitedialect.Spec()}, reg)
	require.NoError(t, err)
	defer d.Close()
	e, err := reg.Entity("note")
	require.NoError(t, err)
	tb, err := d.table(e)
	require.NoError(t, err)

	explain := func(part selectPart) string {
		rows, err := db.Query("EXPLAIN QUERY PLAN "+part.query, part.args...)
		require.NoError(t, err)
		defer rows.Close()
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
			plan = append(plan, detail)
		}
		require.NoError(t, rows.Err())
		return strings.Join(plan, " | ")
	}
	page := func(desc bool) []selectPart {
		q := crm.Query{Entity: "note", Where: crm.Eq("about", crm.Ref{Entity: "item", ID: crm.NewID()}),
			OrderBy: []crm.Order{{Field: "on", Desc: desc}, {Field: crm.FieldID, Desc: desc}}, Limit: 7}
		p, err := driver.PlanQuery(reg, q, time.Now(), nil, driver.Principal{})
		require.NoError(t, err)
		p.After = []any{time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), crm.NewID()}
		parts, err := d.selectParts(tb, p)
		require.NoError(t, err)
		return parts
	}

	desc := page(true)
	require.Len(t, desc, 2, "descending: the dated rows up to the cursor, then those without a date")
	first := explain(desc[0])
	require.Contains(t, first, "note_ix_timeline")
	require.Contains(t, first, "on<?", "the cursor bounds the index range: %s", first)
	require.NotContains(t, first, "TEMP B-TREE")
	nulls := explain(desc[1])
	require.Contains(t, nulls, "note_ix_timeline")
	require.NotContains(t, nulls, "TEMP B-TREE")

	asc := page(false)
	require.Len(t, asc, 1, "ascending: nulls sort first, so every row after a dated cursor has a date")
	plan := explain(asc[0])
	require.Contains(t, plan, "on>?", "the cursor bounds the index range: %s", plan)
	require.NotContains(t, plan, "TEMP B-TREE")

}
