package sqlstore

import (
	"fmt"
	"strconv"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// hierarchy compiles a planned Under, NotUnder or Above on the table tb
// aliased a as a membership test in a recursive common table expression,
// so the whole hierarchy is walked by the database within the one
// statement, down (children by the lookup's index) or up (parents by the
// primary key). The depth column stops the walk at crm.MaxHierarchyDepth
// levels, as driver.Plan defines, and bounds it should a cycle have been
// stored. SQLite and PostgreSQL both take WITH RECURSIVE inside IN.
func (b *builder) hierarchy(tb *table, a string, cond crm.Condition) string {
	lookup := driver.HierarchyLookup(tb.entity)
	if lookup == nil {
		return b.fail(fmt.Errorf("sqlstore: %s has no hierarchical lookup for %s", tb.entity.Name, cond.Op))
	}
	c, ok := tb.byName[lookup.Name]
	if !ok {
		return b.fail(fmt.Errorf("sqlstore: %s is not a field of %s", lookup.Name, tb.entity.Name))
	}
	var id crm.ID
	ok = len(cond.Values) == 1
	if ok {
		id, ok = cond.Values[0].(crm.ID)
	}
	if !ok {
		return b.fail(fmt.Errorf("sqlstore: %s %s wants one ID", cond.Field, cond.Op))
	}
	b.aliases++
	n := strconv.Itoa(b.aliases)
	h, x := "h"+n, "x"+n // the walk and the table within it
	parent := x + "." + quote(c.name)
	limit := h + ".depth < " + strconv.Itoa(crm.MaxHierarchyDepth)
	var walk string
	if cond.Op == crm.OpAbove {
		walk = "SELECT " + parent + ", 1 FROM " + tb.ref + " " + x + " WHERE " + x + ".id = " + b.arg(b.d.encodeID(id)) +
			" AND " + parent + " IS NOT NULL UNION ALL SELECT " + parent + ", " + h + ".depth + 1 FROM " + tb.ref + " " + x +
			" JOIN " + h + " ON " + x + ".id = " + h + ".id WHERE " + parent + " IS NOT NULL AND " + limit
	} else {
		walk = "SELECT " + x + ".id, 1 FROM " + tb.ref + " " + x + " WHERE " + parent + " = " + b.arg(b.d.encodeID(id)) +
			" UNION ALL SELECT " + x + ".id, " + h + ".depth + 1 FROM " + tb.ref + " " + x +
			" JOIN " + h + " ON " + parent + " = " + h + ".id WHERE " + limit
	}
	in := " IN "
	if cond.Op == crm.OpNotUnder {
		in = " NOT IN " // the walk yields no null, so NOT IN is plain
	}
	return a + ".id" + in + "(WITH RECURSIVE " + h + "(id, depth) AS (" + walk + ") SELECT id FROM " + h + ")"
}
