package sqlstore

import (
	"context"
	"database/sql"
	"strconv"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/dialect"
)

// selectPart is one statement of a plan's SELECT, with its arguments.
type selectPart struct {
	query string
	args  []any
}

// selectParts compiles a plan's SELECT: its filter, the keyset condition
// of its cursor, its order and its limit, as the statements that read it
// in turn.
//
// "After the cursor" is an OR chain (see after), which no database turns
// into a range of an index: a page deep into a sorted list would read and
// drop every row before it. So the cursor's first key also bounds the
// rows as a plain comparison, which an index on the sort keys answers as
// a range: ascending (nulls first, so a non-null cursor has every row
// after it non-null), key >= cursor; descending, key <= cursor, except
// that the rows with no value sort after it too (nulls last). A page of
// those is two ranges read in turn: the rows up to the cursor's value,
// then, only if the page is not full, the rows with none. Each part is
// one indexed range with its own LIMIT, so neither reads beyond a page.
func (d *Driver) selectParts(tb *table, p *driver.Plan) ([]selectPart, error) {
	limit := ""
	if p.Limit > 0 {
		limit = " LIMIT " + strconv.Itoa(p.Limit)
	}
	one := func(cond func(b *builder) string) (selectPart, error) {
		b := d.newBuilder()
		where := b.filter(tb, "t0", p.Where)
		if cond != nil {
			where = "(" + where + ") AND " + cond(b)
		}
		q := "SELECT " + tb.selectList + " FROM " + tb.ref + " t0 WHERE " + where +
			" ORDER BY " + b.orderBy(tb, "t0", p.OrderBy) + limit
		return selectPart{query: q, args: b.args}, b.err
	}
	parts := func(conds ...func(b *builder) string) ([]selectPart, error) {
		out := make([]selectPart, len(conds))
		for i, c := range conds {
			var err error
			if out[i], err = one(c); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if p.After == nil {
		return parts(nil)
	}
	chain := func(b *builder) string { return "(" + b.after(tb, "t0", p) + ")" }
	first, key := p.OrderBy[0], p.After[0]
	c := tb.byName[first.Field]
	if c == nil || key == nil {
		return parts(chain)
	}
	ref := "t0." + quote(c.name)
	bounded := func(b *builder) string {
		op := crm.OpGe
		if first.Desc {
			op = crm.OpLe
		}
		return "(" + b.compare(c, ref, op, key) + ") AND " + chain(b)
	}
	if !first.Desc || !nullable(c.f) {
		return parts(bounded)
	}
	return parts(bounded, func(*builder) string { return ref + " IS NULL" })
}

// nullable reports whether a field can be without a value.
func nullable(f *crm.Field) bool {
	switch f.Name {
	case crm.FieldID, crm.FieldVersion, crm.FieldCreatedOn, crm.FieldModifiedOn, crm.FieldState, crm.FieldStatus:
		return false
	}
	return !f.Required
}

// maxSelectShapes bounds the SELECT statements each table keeps prepared
// (see selectRunner): queries come in few shapes (a list's page, its next
// page, a timeline), but a host building filters freely would otherwise
// fill the cache with statements run once.
const maxSelectShapes = 64

// selectRunner returns a query's prepared statement on SQLite, outside a
// transaction: SQLite parses a statement's text every time it is run
// unprepared, which for a page of a wide table costs about as much as
// reading the page from an index. PostgreSQL's driver caches statements
// per connection itself, and inside a transaction a statement would be
// prepared for that transaction alone: both run the text.
func (d *Driver) selectRunner(ctx context.Context, q querier, tb *table, query string) runner {
	if d.flavor != dialect.SQLite {
		return textRunner{q: q, text: query}
	}
	if _, inTx := q.(*sql.Tx); inTx {
		return textRunner{q: q, text: query}
	}
	key := stmtKey{tb: tb, kind: stmtSelect, shape: query}
	if d.stmts.lookup(key) == nil && !d.stmts.admit(tb, stmtSelect, maxSelectShapes) {
		return textRunner{q: q, text: query}
	}
	r, err := d.run(ctx, q, nil, key, func() string { return query })
	if err != nil {
		return textRunner{q: q, text: query} // the query reports what is wrong
	}
	return r
}
