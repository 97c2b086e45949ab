package sqlstore

import (
	"fmt"
	"strconv"

	"github.com/crmkit/crmkit/crm"
)

// exists compiles an Exists condition on the table tb aliased a as a
// correlated subquery on the child's table, which the index every lookup
// column has answers:
//
//	EXISTS (SELECT 1 FROM child tN WHERE tN.lookup = a.id
//	        [AND tN.lookup_type = 'entity'] AND (where))
//
// and NOT EXISTS for None. A lookup to several entities compares the
// entity too: IDs are unique per entity only.
func (b *builder) exists(tb *table, a string, x crm.Exists) string {
	child, ok := b.d.tables()[x.Entity]
	if !ok {
		return b.fail(fmt.Errorf("sqlstore: entity %q: %w", x.Entity, crm.ErrNotFound))
	}
	c, ok := child.byName[x.Lookup]
	if !ok || c.f.Type != crm.TypeLookup {
		return b.fail(fmt.Errorf("sqlstore: %s is not a lookup of %s", x.Lookup, x.Entity))
	}
	id := tb.byName[crm.FieldID]
	b.aliases++
	ta := "t" + strconv.Itoa(b.aliases)
	s := "EXISTS (SELECT 1 FROM " + child.ref + " " + ta + " WHERE " + ta + "." + quote(c.name) + " = " + a + "." + quote(id.name)
	switch {
	case c.extra != "":
		s += " AND " + ta + "." + quote(c.extra) + " = " + b.arg(tb.entity.Name)
	case c.target != tb.entity.Name:
		// The planner refuses such a lookup; no child could point here.
		if x.Not {
			return sqlTrue
		}
		return sqlFalse
	}
	s += " AND (" + b.filter(child, ta, x.Where) + "))"
	if x.Not {
		return "NOT " + s
	}
	return s
}
