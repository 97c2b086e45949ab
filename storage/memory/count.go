package memory

import (
	"maps"
	"sync/atomic"

	"github.com/crmkit/crmkit/crm"
)

// Counts read no record when they need not: a count of the whole entity
// is the size of its records' map (no ordered table is made for it), and
// a count whose conditions all bound one field, in a way that the
// field's index decides exactly, is the number of items in the index's
// spans (O(log n) a span) or of the records the lookup index lists.

// exactRange returns the one range of ranges, counted, if every record
// within it matches where and no other does: where is one condition, or
// a top-level And of conditions, all on that field, each bounding a
// span (keyRanges) and decided by the sort key alone (exactOn).
func exactRange(e *crm.Entity, where crm.Filter, ranges []keyRange) (*keyRange, bool) {
	if len(ranges) != 1 || !ranges[0].counted {
		return nil, false
	}
	r := &ranges[0]
	conds := []crm.Filter{where}
	if g, ok := where.(crm.Group); ok && !g.Or {
		conds = g.Filters
	}
	for _, sub := range conds {
		c, ok := sub.(crm.Condition)
		if !ok || !literal(c) || c.Field != r.f.Name {
			return nil, false
		}
		if _, _, ok := condSpans(r.f, c); !ok || !exactOn(r, c) {
			return nil, false
		}
	}
	return r, true
}

// exactOn reports whether a record's sort key on r's field decides c as
// the plan's matcher does. It does for every type the matcher compares
// by sort key (driver.SortKey, driver.CompareKeys; text folded alike on
// both sides), and for null tests; not for money, whose matcher also
// compares the currency, nor for a lookup to several entities compared
// with a Ref by an ordered index, which keys the ID alone (the lookup
// index compares the entity too).
func exactOn(r *keyRange, c crm.Condition) bool {
	if c.Op == crm.OpNull || c.Op == crm.OpNotNull {
		return true
	}
	switch r.f.Type {
	case crm.TypeMoney:
		return false
	case crm.TypeLookup:
		if r.listed || len(r.f.Targets) == 1 {
			return true
		}
		for _, v := range c.Values {
			if _, ok := v.(crm.Ref); ok {
				return false
			}
		}
	}
	return true
}

// size returns how many committed records entity has, without a lock:
// Commit publishes each entity's size (setSize) as it changes the
// entity's records, under the write lock.
func (v committedView) size(entity string) int {
	d := v.d
	if last := d.lastSize.Load(); last != nil && last.entity == entity {
		return int(last.n.Load()) // counted again: no hash of the name
	}
	if sizes := d.sizes.Load(); sizes != nil {
		if n := (*sizes)[entity]; n != nil {
			d.lastSize.Store(&sizeOf{entity: entity, n: n})
			return int(n.Load())
		}
	}
	return 0
}

// sizeOf is an entity's counter of committed records (Driver.sizes),
// which stays the entity's once made.
type sizeOf struct {
	entity string
	n      *atomic.Int64
}

// setSize publishes the number of committed records of entity. The
// caller holds d.mu.
func (d *Driver) setSize(entity string, n int) {
	sizes := d.sizes.Load()
	if sizes != nil {
		if c := (*sizes)[entity]; c != nil {
			c.Store(int64(n))
			return
		}
	}
	next := map[string]*atomic.Int64{}
	if sizes != nil {
		next = maps.Clone(*sizes) // a new entity: readers keep the old map
	}
	c := &atomic.Int64{}
	c.Store(int64(n))
	next[entity] = c
	d.sizes.Store(&next)
}

// size returns how many records entity has as the transaction sees it:
// the committed ones, less those it deleted, plus those it created.
func (t *tx) size(entity string) int {
	d := t.d
	d.mu.RLock()
	defer d.mu.RUnlock()
	committed := d.records[entity]
	n := len(committed)
	for id, r := range t.overlay[entity] {
		_, was := committed[id]
		switch {
		case was && r == nil:
			n--
		case !was && r != nil:
			n++
		}
	}
	return n
}
