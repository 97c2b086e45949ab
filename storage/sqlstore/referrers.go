package sqlstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/crmkit/crmkit/crm"
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
	out := make([][]crm.ID, len(rels))
	if len(rels) == 0 {
		return out, nil
	}
	tables := t.d.tables()
	to, ok := tables[ref.Entity]
	if !ok {
		return nil, fmt.Errorf("sqlstore: entity %q: %w", ref.Entity, crm.ErrNotFound)
	}
	cols := make([]*column, len(rels))
	froms := make([]*table, len(rels))
	for i, rel := range rels {
		from, ok := tables[rel.From]
		if !ok {
			return nil, fmt.Errorf("sqlstore: entity %q: %w", rel.From, crm.ErrNotFound)
		}
		c, ok := from.byName[rel.Field]
		if !ok || c.f.Type != crm.TypeLookup {
			return nil, fmt.Errorf("sqlstore: %s.%s is not a lookup: %w", rel.From, rel.Field, crm.ErrNotFound)
		}
		froms[i], cols[i] = from, c
	}
	key := stmtKey{tb: to, kind: stmtReferrers, rels: referrersKey(rels)}
	r, err := t.d.run(ctx, t.q, t.bound, key, func() string { return t.d.referrersSQL(froms, cols) })
	if err != nil {
		return nil, err
	}
	id := t.d.encodeID(ref.ID)
	args := make([]any, 0, 2*len(rels))
	for _, c := range cols {
		args = append(args, id)
		if c.extra != "" {
			args = append(args, ref.Entity)
		}
	}
	rows, err := r.QueryContext(ctx, args...)
	if err != nil {
		return nil, t.d.mapErr("referrers of "+ref.Entity, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k   int
			raw any
		)
		if err := rows.Scan(&k, &raw); err != nil {
			return nil, t.d.mapErr("referrers of "+ref.Entity, err)
		}
		rid, err := decodeID(raw)
		if err != nil || k < 0 || k >= len(rels) {
			return nil, fmt.Errorf("referrers of %s: row %d: %v", ref.Entity, k, err)
		}
		out[k] = append(out[k], rid)
	}
	if err := rows.Err(); err != nil {
		return nil, t.d.mapErr("referrers of "+ref.Entity, err)
	}
	for _, ids := range out {
		// In ID order, which is byte order on every store.
		slices.SortFunc(ids, func(a, b crm.ID) int { return bytes.Compare(a[:], b[:]) })
	}
	return out, nil
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
func (d *Driver) referrersSQL(froms []*table, cols []*column) string {
	var sb strings.Builder
	n := 0
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
