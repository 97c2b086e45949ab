package sqlstore

import (
	"fmt"
	"strings"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/dialect"
)

// Declared indexes (crm.Index) are ordinary indexes ordered as queries
// sort (builder.orderBy): a text part as lower(column), a polymorphic
// lookup as its ID column then its type column, nulls first. SQLite puts
// nulls first ascending already; PostgreSQL is told NULLS FIRST, so that
// scanned backwards the index yields DESC NULLS LAST, the order a
// descending crmkit query asks for. A query whose equalities cover the
// leading parts and whose sort is the rest, all ascending or all
// descending, reads its page from the index.
//
// The schema model records each index as an entry "index:<name>" of its
// table, holding the indexed expressions, as it records keys: an index
// added to the registry is created by the next migration, and one whose
// fields changed is refused.

// indexEntry is the schema model's name for index x.
func indexEntry(x *crm.Index) string { return "index:" + x.Name }

// declaredIndexName names the index x on t.
func (d *Driver) declaredIndexName(t *table, x *crm.Index) string {
	return d.objectName(t.entity.Name, "ix", x.Name)
}

// indexExprs returns what the index x on t indexes, in order.
func (d *Driver) indexExprs(t *table, x *crm.Index) string {
	nulls := ""
	if d.flavor == dialect.Postgres {
		nulls = " NULLS FIRST"
	}
	var parts []string
	for _, name := range x.Fields {
		c := t.byName[name]
		if c.f.Type == crm.TypeText {
			parts = append(parts, "lower("+quote(c.name)+")"+nulls)
			continue
		}
		parts = append(parts, quote(c.name)+nulls)
		if c.extra != "" {
			parts = append(parts, quote(c.extra)+nulls)
		}
	}
	return strings.Join(parts, ", ")
}

// indexModel adds the declared indexes of t to cols, t's entry of the
// schema model.
func (d *Driver) indexModel(t *table, cols map[string]string) {
	for i := range t.entity.Indexes {
		x := &t.entity.Indexes[i]
		cols[indexEntry(x)] = d.indexExprs(t, x)
	}
}

// planIndexes returns the statements that create the declared indexes of
// t that cur, its entry of the stored model, lacks.
func (d *Driver) planIndexes(t *table, cur map[string]string) ([]string, []string, error) {
	var stmts, summary []string
	for i := range t.entity.Indexes {
		x := &t.entity.Indexes[i]
		exprs := d.indexExprs(t, x)
		if have, ok := cur[indexEntry(x)]; ok {
			if have != exprs {
				return nil, nil, fmt.Errorf("entity %s index %s: indexed as (%s), the registry wants (%s): changing an index is not supported",
					t.entity.Name, x.Name, have, exprs)
			}
			continue
		}
		stmts = append(stmts, "CREATE INDEX IF NOT EXISTS "+quote(d.declaredIndexName(t, x))+" ON "+t.ref+" ("+exprs+")")
		summary = append(summary, "index "+t.raw+"."+x.Name)
	}
	return stmts, summary, nil
}
