package memory

import (
	"cmp"
	"encoding/binary"
	"slices"
	"sync/atomic"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// An ordered index is a B-tree of items, copy-on-write, that also counts
// the items under each node.
//
// Why this structure: a reader must be able to walk a consistent version
// of the index for as long as it streams a result, without a lock and
// while writers carry on, so a version that a reader holds may never
// change. Sorted slices would have to be copied whole (O(n)) on every
// write to keep that promise; a skip list cannot be shared between
// versions at all; a persistent binary tree copies about log2(n) ≈ 17
// small nodes per write. A B-tree copies log_B(n) ≈ 4 nodes, keeps the
// items of a node side by side for binary search and scans, and its
// subtree sizes count a range in O(log n), which is what the query
// planner needs to pick an index. Nodes are copied only when a reader may
// hold them: each carries the owner that made it, a tree changes in place
// the nodes of its own owner, and an owner that a reader has seen is
// marked shared and never used to change anything again (see table).

// A node holds at most maxItems items and, but for the root, at least
// minItems. The gap between them is wider than a classic B-tree's (2m+1
// would do), so that a node split by an item that lands past its end can
// keep most of its items: keys that only grow (IDs made by crm.NewID)
// fill nodes three quarters full, not half.
const (
	maxItems = 31
	minItems = 7
)

// item is one entry of an ordered index: a record under its sort key.
type item struct {
	key any    // the indexed field's sort key (driver.SortKey); unused in the ID index
	id  crm.ID // the record's ID, the tie-break and the ID index's key
	rec *row
}

// owner marks the nodes one writer made. Once shared, a reader may hold
// them and nobody changes them.
type owner struct{ shared atomic.Bool }

type node struct {
	items    []item
	children []*node // nil in a leaf, else len(items)+1
	size     int     // items in this subtree
	owner    *owner
}

// btree orders items by key, then by ID; the ID index (field nil) by ID.
type btree struct {
	root  *node
	field *crm.Field // the indexed field; nil for the ID index
	owner *owner     // nodes with this owner are changed in place
}

// with returns a tree that shares t's nodes and changes only those of o.
func (t *btree) with(o *owner) *btree {
	if t == nil {
		return nil
	}
	return &btree{root: t.root, field: t.field, owner: o}
}

func (t *btree) len() int {
	if t.root == nil {
		return 0
	}
	return t.root.size
}

// cmp orders two items: by sort key with driver.CompareKeys, the order
// every store sorts by, then by ID as CompareKeys orders IDs.
func (t *btree) cmp(a, b *item) int {
	if t.field != nil {
		if c := driver.CompareKeys(a.key, b.key); c != 0 {
			return c
		}
	}
	return compareIDs(&a.id, &b.id)
}

// compareIDs orders IDs as driver.CompareKeys does, by their bytes, eight
// at a time.
func compareIDs(a, b *crm.ID) int {
	x, y := binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8])
	if x == y {
		x, y = binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:])
	}
	return cmp.Compare(x, y)
}

// cmpKey compares an item's key with k, a sort key of the indexed field
// (an ID in the ID index), ignoring the ID.
func (t *btree) cmpKey(it *item, k any) int {
	if t.field != nil {
		return driver.CompareKeys(it.key, k)
	}
	if k == nil {
		return 1 // nulls sort first; no ID is null
	}
	id := k.(crm.ID)
	return compareIDs(&it.id, &id)
}

// mut returns n, or a copy of it that t may change.
func (t *btree) mut(n *node) *node {
	if n.owner == t.owner {
		return n
	}
	c := &node{owner: t.owner, size: n.size, items: make([]item, len(n.items), len(n.items)+1)}
	copy(c.items, n.items)
	if n.children != nil {
		c.children = make([]*node, len(n.children), len(n.children)+1)
		copy(c.children, n.children)
	}
	return c
}

func (t *btree) editing() {
	if t.owner == nil || t.owner.shared.Load() {
		panic("memory: an index that readers may hold was about to change")
	}
}

// find returns the position of the first item of n not before it, and
// whether that item is equal to it.
func (t *btree) find(n *node, it *item) (int, bool) {
	lo, hi := 0, len(n.items)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.cmp(&n.items[m], it) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(n.items) && t.cmp(&n.items[lo], it) == 0
}

// put adds it, or replaces the item equal to it; it reports whether it
// replaced one.
func (t *btree) put(it item) bool {
	t.editing()
	if t.root == nil {
		t.root = &node{owner: t.owner, size: 1, items: append(make([]item, 0, 1), it)}
		return false
	}
	t.root = t.mut(t.root)
	if len(t.root.items) >= maxItems {
		left := t.root
		mid, right := t.split(left, t.splitAt(left, &it))
		t.root = &node{owner: t.owner, size: left.size + 1 + right.size,
			items: []item{mid}, children: []*node{left, right}}
	}
	return t.insert(t.root, it)
}

// insert adds it under n, which t may change and which has room.
func (t *btree) insert(n *node, it item) bool {
	i, found := t.find(n, &it)
	if found {
		n.items[i] = it
		return true
	}
	if n.children == nil {
		n.items = insertAt(n.items, i, it, maxItems)
		n.size++
		return false
	}
	if len(n.children[i].items) >= maxItems {
		child := t.mut(n.children[i])
		n.children[i] = child
		mid, right := t.split(child, t.splitAt(child, &it))
		n.items = insertAt(n.items, i, mid, maxItems)
		n.children = insertAt(n.children, i+1, right, maxItems+1)
		switch c := t.cmp(&it, &n.items[i]); {
		case c == 0:
			n.items[i] = it
			return true
		case c > 0:
			i++
		}
	}
	child := t.mut(n.children[i])
	n.children[i] = child
	replaced := t.insert(child, it)
	if !replaced {
		n.size++
	}
	return replaced
}

// splitAt returns where to split the full node n, which it is about to
// go under: in the middle, or, if it lands past either end, so that the
// side it lands on keeps the fewest items.
func (t *btree) splitAt(n *node, it *item) int {
	switch {
	case t.cmp(it, &n.items[len(n.items)-1]) > 0:
		return maxItems - minItems - 1
	case t.cmp(it, &n.items[0]) < 0:
		return minItems
	}
	return maxItems / 2
}

// insertAt inserts v at position i of s, growing s, if it must, to hold
// max: a node never holds more, so append's doubling would only waste
// memory.
func insertAt[T any](s []T, i int, v T, max int) []T {
	if len(s) == cap(s) {
		grown := make([]T, len(s)+1, max)
		copy(grown, s[:i])
		grown[i] = v
		copy(grown[i+1:], s[i:])
		return grown
	}
	s = s[:len(s)+1]
	copy(s[i+1:], s[i:])
	s[i] = v
	return s
}

// room returns s, or a copy of it, with room for n more and no more than
// limit in all.
func room[T any](s []T, n, limit int) []T {
	if len(s)+n <= cap(s) {
		return s
	}
	grown := make([]T, len(s), max(len(s)+n, limit))
	copy(grown, s)
	return grown
}

// split cuts n, which t may change, after item i: n keeps what comes
// before it, the new node returned what comes after, and the caller the
// item itself.
func (t *btree) split(n *node, i int) (item, *node) {
	mid := n.items[i]
	right := &node{owner: t.owner, items: make([]item, len(n.items)-i-1, maxItems)}
	copy(right.items, n.items[i+1:])
	clear(n.items[i:])
	n.items = n.items[:i]
	right.size = len(right.items)
	if n.children != nil {
		right.children = make([]*node, len(n.children)-i-1, maxItems+1)
		copy(right.children, n.children[i+1:])
		clear(n.children[i+1:])
		n.children = n.children[:i+1]
		for _, c := range right.children {
			right.size += c.size
		}
	}
	n.size -= right.size + 1
	return mid, right
}

// del removes the item equal to it and reports whether there was one.
func (t *btree) del(it item) bool {
	t.editing()
	if t.root == nil {
		return false
	}
	t.root = t.mut(t.root)
	_, ok := t.remove(t.root, &it, false)
	if len(t.root.items) == 0 {
		if t.root.children != nil {
			t.root = t.root.children[0]
		} else {
			t.root = nil
		}
	}
	return ok
}

// remove takes the item equal to it (the last item if max) out of the
// subtree of n, which t may change.
func (t *btree) remove(n *node, it *item, max bool) (item, bool) {
	var i int
	var found bool
	if max {
		i = len(n.items)
		if n.children == nil {
			out := n.items[i-1]
			n.items[i-1] = item{}
			n.items = n.items[:i-1]
			n.size--
			return out, true
		}
	} else {
		i, found = t.find(n, it)
		if n.children == nil {
			if !found {
				return item{}, false
			}
			out := n.items[i]
			n.items = slices.Delete(n.items, i, i+1)
			n.size--
			return out, true
		}
	}
	if len(n.children[i].items) <= minItems {
		t.grow(n, i)
		return t.remove(n, it, max)
	}
	child := t.mut(n.children[i])
	n.children[i] = child
	if found {
		out := n.items[i]
		n.items[i], _ = t.remove(child, nil, true) // the predecessor moves up
		n.size--
		return out, true
	}
	out, ok := t.remove(child, it, max)
	if ok {
		n.size--
	}
	return out, ok
}

// grow gives child i of n, which t may change, more than minItems items:
// one from a sibling that can spare it, or all of a sibling's by merging.
func (t *btree) grow(n *node, i int) {
	if i > 0 && len(n.children[i-1].items) > minItems {
		child, left := t.mut(n.children[i]), t.mut(n.children[i-1])
		n.children[i], n.children[i-1] = child, left
		last := len(left.items) - 1
		child.items = insertAt(child.items, 0, n.items[i-1], maxItems)
		n.items[i-1] = left.items[last]
		left.items[last] = item{}
		left.items = left.items[:last]
		moved := 1
		if left.children != nil {
			last := len(left.children) - 1
			c := left.children[last]
			left.children[last] = nil
			left.children = left.children[:last]
			child.children = insertAt(child.children, 0, c, maxItems+1)
			moved += c.size
		}
		left.size -= moved
		child.size += moved
		return
	}
	if i < len(n.items) && len(n.children[i+1].items) > minItems {
		child, right := t.mut(n.children[i]), t.mut(n.children[i+1])
		n.children[i], n.children[i+1] = child, right
		child.items = append(room(child.items, 1, maxItems), n.items[i])
		n.items[i] = right.items[0]
		right.items = slices.Delete(right.items, 0, 1)
		moved := 1
		if right.children != nil {
			c := right.children[0]
			right.children = slices.Delete(right.children, 0, 1)
			child.children = append(room(child.children, 1, maxItems+1), c)
			moved += c.size
		}
		right.size -= moved
		child.size += moved
		return
	}
	if i >= len(n.items) {
		i--
	}
	child := t.mut(n.children[i])
	right := n.children[i+1] // read only: its items move into child
	child.items = append(room(child.items, 1+len(right.items), maxItems), n.items[i])
	child.items = append(child.items, right.items...)
	child.children = append(room(child.children, len(right.children), maxItems+1), right.children...)
	child.size += 1 + right.size
	n.children[i] = child
	n.items = slices.Delete(n.items, i, i+1)
	n.children = slices.Delete(n.children, i+1, i+2)
}

// ascend calls visit on the items in order, from the first for which
// before is false (before is true on a prefix of the items; nil: from the
// first item), until visit returns false. It reports whether visit
// always returned true.
func (t *btree) ascend(before func(*item) bool, visit func(*item) bool) bool {
	if t.root == nil {
		return true
	}
	return ascend(t.root, before, visit)
}

func ascend(n *node, before func(*item) bool, visit func(*item) bool) bool {
	i := 0
	if before != nil {
		i = firstNot(n.items, before)
	}
	for ; i <= len(n.items); i++ {
		if n.children != nil && !ascend(n.children[i], before, visit) {
			return false
		}
		before = nil // what follows the first child visited is not before
		if i < len(n.items) && !visit(&n.items[i]) {
			return false
		}
	}
	return true
}

// descend calls visit on the items in reverse order, from the last for
// which after is false (after is true on a suffix of the items; nil: from
// the last item), until visit returns false. It reports whether visit
// always returned true.
func (t *btree) descend(after func(*item) bool, visit func(*item) bool) bool {
	if t.root == nil {
		return true
	}
	return descend(t.root, after, visit)
}

func descend(n *node, after func(*item) bool, visit func(*item) bool) bool {
	j := len(n.items) // the first item after the start
	if after != nil {
		j = firstOf(n.items, after)
	}
	for i := j; i >= 0; i-- {
		if n.children != nil && !descend(n.children[i], after, visit) {
			return false
		}
		after = nil
		if i > 0 && !visit(&n.items[i-1]) {
			return false
		}
	}
	return true
}

// rank counts the items for which before is true (a prefix of them).
func (t *btree) rank(before func(*item) bool) int {
	r := 0
	for n := t.root; n != nil; {
		i := firstNot(n.items, before)
		r += i
		if n.children == nil {
			break
		}
		for _, c := range n.children[:i] {
			r += c.size
		}
		n = n.children[i]
	}
	return r
}

// firstNot returns the position of the first item for which before is
// false.
func firstNot(items []item, before func(*item) bool) int {
	lo, hi := 0, len(items)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if before(&items[m]) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// firstOf returns the position of the first item for which after is true.
func firstOf(items []item, after func(*item) bool) int {
	return firstNot(items, func(it *item) bool { return !after(it) })
}
