package sqlstore

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/crmkit/crmkit/crm"
)

// joinPath writes to joins the LEFT JOINs that follow path from tb
// (aliased t0) and returns the table at its end and that table's alias.
// A record whose chain breaks (a null lookup, one to another entity, a
// record gone) joins nulls, and so falls in the null group. Every join is
// on a primary key, so it never multiplies the records aggregated.
func (d *Driver) joinPath(b *builder, joins *strings.Builder, tb *table, path []crm.Link) (*table, string, error) {
	cur, a := tb, "t0"
	for _, l := range path {
		c, ok := cur.byName[l.Lookup]
		if !ok || c.f.Type != crm.TypeLookup {
			return nil, "", fmt.Errorf("sqlstore: %s is not a lookup of %s", l.Lookup, cur.entity.Name)
		}
		target, ok := d.tables()[l.Entity]
		if !ok {
			return nil, "", fmt.Errorf("sqlstore: entity %q: %w", l.Entity, crm.ErrNotFound)
		}
		ta := b.joinAlias()
		joins.WriteString(" LEFT JOIN " + target.ref + " " + ta + " ON " + lookupOn(a, c, ta, l.Entity))
		cur, a = target, ta
	}
	return cur, a, nil
}

// joinAlias takes the next table alias, t1, t2...: the same counter as
// the EXISTS subqueries of a filter, so no two tables share one.
func (b *builder) joinAlias() string {
	b.aliases++
	return "t" + strconv.Itoa(b.aliases)
}

// lookupOn is the join condition from lookup c of the table aliased a to
// the entity record aliased ta. Entity names are metadata names (letters,
// digits and underscores), safe to write as literals: a join's literal
// keeps the statement's parameters in the order of its WHERE.
func lookupOn(a string, c *column, ta, entity string) string {
	on := ta + ".id = " + a + "." + quote(c.name)
	if c.extra != "" {
		on += " AND " + a + "." + quote(c.extra) + " = '" + entity + "'"
	}
	return on
}

// labelJoin joins, for the lookup key c of the table aliased a, every
// entity it may point at that has a text primary name, and returns the
// aggregate expression of the name of the record the key points at ("" if
// no target has a name). One key is one record, so MAX picks its name.
func (d *Driver) labelJoin(b *builder, joins *strings.Builder, a string, c *column) string {
	var names []string
	for _, entity := range c.f.Targets {
		target, ok := d.tables()[entity]
		if !ok || target.entity.PrimaryName == "" {
			continue
		}
		nc, ok := target.byName[target.entity.PrimaryName]
		if !ok || nc.f.Type != crm.TypeText {
			continue
		}
		ta := b.joinAlias()
		joins.WriteString(" LEFT JOIN " + target.ref + " " + ta + " ON " + lookupOn(a, c, ta, entity))
		names = append(names, ta+"."+quote(nc.name))
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return "MAX(" + names[0] + ")"
	}
	return "MAX(COALESCE(" + strings.Join(names, ", ") + "))"
}

// labelValue decodes a label column: text or null.
func labelValue(raw any) (any, error) {
	if raw == nil {
		return nil, nil
	}
	return asString(raw)
}

// countDistinct counts the distinct non-null values of c on the table
// aliased a. IDs are unique per entity only, so a lookup to several
// entities counts the IDs of each entity apart and adds the counts.
func countDistinct(c *column, a string) string {
	ref := a + "." + quote(c.name)
	if c.f.Type != crm.TypeLookup || c.extra == "" {
		return "COUNT(DISTINCT " + ref + ")"
	}
	parts := make([]string, len(c.f.Targets))
	for i, entity := range c.f.Targets {
		parts[i] = "COUNT(DISTINCT CASE WHEN " + a + "." + quote(c.extra) + " = '" + entity + "' THEN " + ref + " END)"
	}
	return "(" + strings.Join(parts, " + ") + ")"
}
