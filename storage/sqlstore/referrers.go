package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/dialect"
)

// Referrers finds the records that point at ref through every
// relationship of rels in one statement, a UNION ALL of one indexed
// SELECT per relationship, prepared once per shape like the write path's
// statements. Every lookup column has an index (see plan), so each branch
// reads the referrers it finds and nothing else.
func (t *tx) Referrers(ctx context.Context, ref crm.Ref, rels []crm.Relationship) ([][]crm.ID, error) {
	if err := t.usable(ctx); err != nil {
		return nil, err
	}
	if len(rels) == 0 {
		return make([][]crm.ID, 0), nil
	}
	p, err := t.d.probeOf(ref, rels)
	if err != nil {
		return nil, err
	}
	key := stmtKey{tb: p.to, kind: stmtReferrers, rels: referrersKey(rels)}
	r, err := t.d.run(ctx, t.q, t.bound, key, func() string { return t.d.referrersSQL(p.froms, p.cols, 1) })
	if err != nil {
		return nil, err
	}
	rows, err := r.QueryContext(ctx, p.args(nil)...)
	if err != nil {
		return nil, t.d.mapErr("referrers of "+ref.Entity, err)
	}
	out, _, err := p.scan(rows)
	return out, err
}

var _ driver.UnreferencedDeleter = (*tx)(nil)

// DeleteUnreferenced deletes the record unless one of rels points at it,
// and otherwise asks who does. On PostgreSQL that is one statement: a
// DELETE ... WHERE NOT EXISTS (the probe) in a WITH, and the probe itself
// after it, both reading one snapshot taken after the caller locked the
// record, which no writer can then point at (a writer shares the record
// it points at first). On SQLite, whose one writer holds the database,
// it is the DELETE, then Referrers if it deleted nothing.
func (t *tx) DeleteUnreferenced(ctx context.Context, e *crm.Entity, id crm.ID, version int64, rels []crm.Relationship) (bool, [][]crm.ID, error) {
	if err := t.usable(ctx); err != nil {
		return false, nil, err
	}
	if len(rels) == 0 { // nothing can point at it
		if err := t.Delete(ctx, e, id, version); err != nil {
			return false, nil, err
		}
		return true, nil, nil
	}
	p, err := t.d.probeOf(crm.Ref{Entity: e.Name, ID: id}, rels)
	if err != nil {
		return false, nil, err
	}
	args := p.args([]any{t.d.encodeID(id), version})
	key := stmtKey{tb: p.to, kind: stmtDeleteUnreferenced, rels: referrersKey(rels)}
	r, err := t.d.run(ctx, t.q, t.bound, key, func() string { return t.d.deleteUnreferencedSQL(p) })
	if err != nil {
		return false, nil, err
	}
	if t.d.flavor == dialect.Postgres {
		rows, err := r.QueryContext(ctx, args...)
		if err != nil {
			return false, nil, t.d.mapErr("delete "+e.Name, err)
		}
		out, gone, err := p.scan(rows)
		return gone, out, err
	}
	res, err := r.ExecContext(ctx, args...)
	if err != nil {
		return false, nil, t.d.mapErr("delete "+e.Name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, nil, t.d.mapErr("rows affected", err)
	}
	if n == 1 {
		return true, nil, nil
	}
	out, err := t.Referrers(ctx, p.ref, rels)
	return false, out, err
}

// deleteUnreferencedSQL is the DELETE of a record at a version unless
// the probe finds a referrer; on PostgreSQL, with the probe's rows after
// a row numbered -1 for the record deleted.
func (d *Driver) deleteUnreferencedSQL(p *probe) string {
	probe := d.referrersSQL(p.froms, p.cols, 3)
	del := "DELETE FROM " + p.to.ref + " WHERE id = " + d.ph(1) + " AND version = " + d.ph(2) +
		" AND NOT EXISTS (" + probe + ")"
	if d.flavor != dialect.Postgres {
		return del
	}
	return "WITH gone AS (" + del + " RETURNING id) SELECT -1, id FROM gone UNION ALL " + probe
}

// probe is what asking who points at a record through rels needs: the
// target's table, and each relationship's table and lookup column.
type probe struct {
	d     *Driver
	ref   crm.Ref
	to    *table
	froms []*table
	cols  []*column
}

func (d *Driver) probeOf(ref crm.Ref, rels []crm.Relationship) (*probe, error) {
	tables := d.tables()
	to, ok := tables[ref.Entity]
	if !ok {
		return nil, fmt.Errorf("sqlstore: entity %q: %w", ref.Entity, crm.ErrNotFound)
	}
	p := &probe{d: d, ref: ref, to: to, cols: make([]*column, len(rels)), froms: make([]*table, len(rels))}
	for i, rel := range rels {
		from, ok := tables[rel.From]
		if !ok {
			return nil, fmt.Errorf("sqlstore: entity %q: %w", rel.From, crm.ErrNotFound)
		}
		c, ok := from.byName[rel.Field]
		if !ok || c.f.Type != crm.TypeLookup {
			return nil, fmt.Errorf("sqlstore: %s.%s is not a lookup: %w", rel.From, rel.Field, crm.ErrNotFound)
		}
		p.froms[i], p.cols[i] = from, c
	}
	return p, nil
}

// args appends the probe's parameters to args: the target's ID for each
// lookup column, and its entity's name after it for a polymorphic one.
func (p *probe) args(args []any) []any {
	id := p.d.encodeID(p.ref.ID)
	for _, c := range p.cols {
		args = append(args, id)
		if c.extra != "" {
			args = append(args, p.ref.Entity)
		}
	}
	return args
}

// scan reads the rows of a probe, (relationship number, id) each, into
// the IDs of each relationship's referrers in ID order. A row numbered
// -1 is no referrer but a deleted record (DeleteUnreferenced): gone
// reports whether there was one.
func (p *probe) scan(rows *sql.Rows) (out [][]crm.ID, gone bool, err error) {
	defer rows.Close()
	what := "referrers of " + p.ref.Entity
	out = make([][]crm.ID, len(p.cols))
	for rows.Next() {
		var (
			k   int
			raw any
		)
		if err := rows.Scan(&k, &raw); err != nil {
			return nil, false, p.d.mapErr(what, err)
		}
		if k == -1 {
			gone = true
			continue
		}
		rid, err := decodeID(raw)
		if err != nil || k < 0 || k >= len(p.cols) {
			return nil, false, fmt.Errorf("%s: row %d: %v", what, k, err)
		}
		out[k] = append(out[k], rid)
	}
	if err := rows.Err(); err != nil {
		return nil, false, p.d.mapErr(what, err)
	}
	for _, ids := range out {
		// In ID order, which is byte order on every store.
		slices.SortFunc(ids, func(a, b crm.ID) int { return bytes.Compare(a[:], b[:]) })
	}
	return out, gone, nil
}

// referrersKey names a list of relationships, for the statement cache.
func referrersKey(rels []crm.Relationship) string {
	var sb strings.Builder
	for _, rel := range rels {
		sb.WriteString(rel.From)
		sb.WriteByte('.')
		sb.WriteString(rel.Field)
		sb.WriteByte(' ')
	}
	return sb.String()
}

// referrersSQL is one SELECT of (relationship number, id) per lookup
// column, matching the target entity's name too when the lookup may point
// at several entities.
func (d *Driver) referrersSQL(froms []*table, cols []*column, first int) string {
	var sb strings.Builder
	n := first - 1
	for i, c := range cols {
		if i > 0 {
			sb.WriteString(" UNION ALL ")
		}
		n++
		sb.WriteString("SELECT " + strconv.Itoa(i) + ", id FROM " + froms[i].ref + " WHERE " + quote(c.name) + " = " + d.ph(n))
		if c.extra != "" {
			n++
			sb.WriteString(" AND " + quote(c.extra) + " = " + d.ph(n))
		}
	}
	return sb.String()
}
