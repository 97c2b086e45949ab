package memory

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/stretchr/testify/require"
)

// The B-tree is checked against a sorted slice: random puts and deletes
// on integer keys with many ties, every structural invariant after each
// step, range walks and counts from random places, and versions that a
// reader took earlier, which must never change.

var testField = &crm.Field{Name: "n", Type: crm.TypeInteger}

func testItem(key int64, id int) item {
	var rid crm.ID
	rid[14], rid[15] = byte(id>>8), byte(id)
	var k any = key
	if key < 0 {
		k = nil // a null
	}
	return item{key: k, id: rid}
}

// checkTree checks t's invariants and that it holds exactly want, in order.
func checkTree(t *testing.T, tr *btree, want []item) {
	t.Helper()
	var got []item
	tr.ascend(nil, func(it *item) bool { got = append(got, *it); return true })
	require.Equal(t, len(want), len(got))
	for i := range want {
		if tr.cmp(&want[i], &got[i]) != 0 {
			t.Fatalf("item %d is %v, want %v", i, got[i], want[i])
		}
	}
	require.Equal(t, len(want), tr.len())
	if tr.root == nil {
		return
	}
	leafDepth := -1
	var walk func(n *node, depth int, root bool) int
	walk = func(n *node, depth int, root bool) int {
		if len(n.items) > maxItems || !root && len(n.items) < minItems {
			t.Fatalf("a node of %d items", len(n.items))
		}
		for i := 1; i < len(n.items); i++ {
			if tr.cmp(&n.items[i-1], &n.items[i]) >= 0 {
				t.Fatalf("items out of order in a node")
			}
		}
		size := len(n.items)
		if n.children == nil {
			if leafDepth < 0 {
				leafDepth = depth
			}
			if leafDepth != depth {
				t.Fatalf("leaves at depths %d and %d", leafDepth, depth)
			}
		} else {
			if len(n.children) != len(n.items)+1 {
				t.Fatalf("%d children for %d items", len(n.children), len(n.items))
			}
			for _, c := range n.children {
				size += walk(c, depth+1, false)
			}
		}
		if size != n.size {
			t.Fatalf("a subtree of %d items says %d", size, n.size)
		}
		return size
	}
	walk(tr.root, 0, true)
}

func TestBTreeAgainstASortedSlice(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			o := &owner{}
			tr := &btree{field: testField, owner: o}
			var model []item
			type version struct {
				tree *btree
				want []item
			}
			var versions []version
			for step := range 4000 {
				// Ties on the key, nulls, and the ID as tie-break.
				it := testItem(int64(r.IntN(60))-3, r.IntN(700))
				i, found := slices.BinarySearchFunc(model, it, func(a, b item) int { return tr.cmp(&a, &b) })
				if r.IntN(3) == 0 {
					require.Equal(t, found, tr.del(it), "step %d: delete", step)
					if found {
						model = slices.Delete(model, i, i+1)
					}
				} else {
					require.Equal(t, found, tr.put(it), "step %d: put", step)
					if !found {
						model = slices.Insert(model, i, it)
					}
				}
				if step%97 == 0 {
					checkTree(t, tr, model)
				}
				if step%250 == 0 {
					// A reader takes this version: it must never change,
					// while the writer goes on with a copy.
					o.shared.Store(true)
					versions = append(versions, version{tree: tr.with(nil), want: slices.Clone(model)})
					o = &owner{}
					tr = tr.with(o)
				}
			}
			checkTree(t, tr, model)
			for _, v := range versions {
				checkTree(t, v.tree, v.want)
			}
			checkWalks(t, r, tr, model)
		})
	}
}

// checkWalks compares walks and counts from random spans with the model.
func checkWalks(t *testing.T, r *rand.Rand, tr *btree, model []item) {
	t.Helper()
	key := func() any {
		if k := int64(r.IntN(64)) - 4; k >= 0 {
			return k
		}
		return nil
	}
	for range 500 {
		s := everything
		if r.IntN(4) > 0 {
			s.lo = bound{key: key(), incl: r.IntN(2) == 0}
		}
		if r.IntN(4) > 0 {
			s.hi = bound{key: key(), incl: r.IntN(2) == 0}
		}
		var want []item
		for _, it := range model {
			if !s.below(tr, &it) && !s.above(tr, &it) {
				want = append(want, it)
			}
		}
		require.Equal(t, len(want), tr.count([]span{s}), "count %+v", s)
		if s.empty() {
			require.Empty(t, want)
		}
		var up, down []item
		tr.ascend(func(it *item) bool { return s.below(tr, it) }, func(it *item) bool {
			if s.above(tr, it) {
				return false
			}
			up = append(up, *it)
			return true
		})
		tr.descend(func(it *item) bool { return s.above(tr, it) }, func(it *item) bool {
			if s.below(tr, it) {
				return false
			}
			down = append(down, *it)
			return true
		})
		slices.Reverse(down)
		same := func(got []item) bool {
			return slices.EqualFunc(want, got, func(a, b item) bool { return tr.cmp(&a, &b) == 0 })
		}
		require.True(t, same(up), "ascend %+v", s)
		require.True(t, same(down), "descend %+v", s)
		// Stopping early stops.
		if len(want) > 2 {
			n := 0
			require.False(t, tr.ascend(func(it *item) bool { return s.below(tr, it) }, func(*item) bool { n++; return n < 2 }))
			require.Equal(t, 2, n)
		}
	}
}

func TestBTreeKeysThatOnlyGrowOrShrink(t *testing.T) {
	for _, desc := range []bool{false, true} {
		t.Run(fmt.Sprint("descending ", desc), func(t *testing.T) {
			tr := &btree{owner: &owner{}} // an ID index
			var model []item
			for i := range 3000 {
				it := testItem(0, i)
				if desc {
					it = testItem(0, 3000-i)
				}
				require.False(t, tr.put(it))
				model = append(model, it)
			}
			if desc {
				slices.Reverse(model)
			}
			checkTree(t, tr, model)
			leaves, n := 0, 0
			tr.ascend(nil, func(*item) bool { n++; return true })
			var count func(nd *node)
			count = func(nd *node) {
				if nd.children == nil {
					leaves++
				}
				for _, c := range nd.children {
					count(c)
				}
			}
			count(tr.root)
			require.Greater(t, float64(n)/float64(leaves*maxItems), 0.7, "leaves are filled three quarters")
			r := rand.New(rand.NewPCG(2, 2))
			for range 2500 {
				i := r.IntN(len(model))
				require.True(t, tr.del(model[i]))
				model = slices.Delete(model, i, i+1)
			}
			checkTree(t, tr, model)
		})
	}
}
