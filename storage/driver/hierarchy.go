package driver

import (
	"fmt"

	"github.com/crmkit/crmkit/crm"
)

// HierarchyLookup returns the hierarchical lookup of e (an account's
// parent account), or nil when e has none or several: the hierarchy
// operators follow an entity's one hierarchical relationship, as Dynamics
// allows one per table.
func HierarchyLookup(e *crm.Entity) *crm.Field {
	var found *crm.Field
	for _, f := range e.Lookups() {
		if f.Hierarchical {
			if found != nil {
				return nil
			}
			found = f
		}
	}
	return found
}

// isHierarchyOp reports whether op is one of the hierarchy operators a
// plan holds: Under, NotUnder and Above (eq-or-under and eq-or-above are
// lowered to an Or with an Eq).
func isHierarchyOp(op crm.Operator) bool {
	return op == crm.OpUnder || op == crm.OpNotUnder || op == crm.OpAbove
}

// hierarchy checks and lowers a hierarchy operator. It goes on the
// entity's ID, as FetchXML puts it on the primary key, with one ID value:
//
//   - under X: Under X, records 1..MaxHierarchyDepth levels below X;
//   - eq-or-under X: Eq X or Under X;
//   - above X: Above X, the first MaxHierarchyDepth ancestors of X;
//   - eq-or-above X: Eq X or Above X;
//   - not-under X: NotUnder X, every record Under X does not match (X
//     itself, records with no parent, other trees).
func (c *planner) hierarchy(e *crm.Entity, f *crm.Field, cond crm.Condition, bad func(string, ...any) crm.Filter) crm.Filter {
	if f.Type != crm.TypeID {
		if f.Hierarchical {
			return bad("goes on %s, the record's own ID, as FetchXML puts it on the primary key", crm.FieldID)
		}
		return bad("only for %s, the record's own ID, on an entity with a hierarchical lookup", crm.FieldID)
	}
	if HierarchyLookup(e) == nil {
		n := 0
		for _, l := range e.Lookups() {
			if l.Hierarchical {
				n++
			}
		}
		if n == 0 {
			return bad("%s has no hierarchical lookup", e.Name)
		}
		return bad("%s has %d hierarchical lookups; the hierarchy operators need exactly one", e.Name, n)
	}
	if len(cond.Values) != 1 {
		return bad("wants one record ID, got %d value(s)", len(cond.Values))
	}
	if r, ok := cond.Values[0].(crm.Ref); ok && r.Entity != "" && r.Entity != e.Name {
		return bad("names a %q record, not a %s", r.Entity, e.Name)
	}
	k, reason := c.key(f, cond.Values[0])
	if reason != "" {
		return bad("value 1 %s", reason)
	}
	id := k.(crm.ID)
	at := func(op crm.Operator) crm.Condition {
		return crm.Condition{Field: crm.FieldID, Op: op, Values: []any{id}}
	}
	switch cond.Op {
	case crm.OpEqOrUnder:
		return crm.Or(at(crm.OpEq), at(crm.OpUnder))
	case crm.OpEqOrAbove:
		return crm.Or(at(crm.OpEq), at(crm.OpAbove))
	}
	return at(cond.Op)
}

// compileHierarchy compiles a planned Under, NotUnder or Above on e. It
// walks up the hierarchical lookup through resolve, as far as
// MaxHierarchyDepth levels: Above once, from the value; Under and
// NotUnder from each record tested, remembering how far every record it
// passed lies below the value, so that testing all of an entity's records
// resolves each at most once (when the hierarchy is no deeper than
// MaxHierarchyDepth).
func compileHierarchy(e *crm.Entity, c crm.Condition, resolve Resolver) Matcher {
	lookup := HierarchyLookup(e)
	var root crm.ID
	ok := len(c.Values) == 1
	if ok {
		root, ok = c.Values[0].(crm.ID)
	}
	switch {
	case lookup == nil || !ok:
		return failing(fmt.Errorf("match: %s %s is not a planned hierarchy condition", e.Name, c.Op))
	case resolve == nil:
		return failing(fmt.Errorf("match: %s %s needs a Resolver", e.Name, c.Op))
	}
	w := &hierarchyWalk{entity: e.Name, lookup: lookup.Name, root: root, resolve: resolve}
	if c.Op == crm.OpAbove {
		var above map[crm.ID]bool
		return func(rec Row) (bool, error) {
			if above == nil {
				var err error
				if above, err = w.ancestors(); err != nil {
					above = nil
					return false, err
				}
			}
			return above[rec.Ref().ID], nil
		}
	}
	under := c.Op == crm.OpUnder
	return func(rec Row) (bool, error) {
		d, err := w.depth(rec)
		if err != nil {
			return false, err
		}
		return (d >= 1 && d <= crm.MaxHierarchyDepth) == under, nil
	}
}

// Depths a hierarchyWalk remembers besides exact ones.
const (
	depthNever  = -1                        // the value is not above the record at all
	depthBeyond = crm.MaxHierarchyDepth + 1 // more than MaxHierarchyDepth levels up, if at all
)

// hierarchyWalk answers hierarchy conditions on one entity for one value
// (root) along the hierarchical lookup.
type hierarchyWalk struct {
	entity, lookup string
	root           crm.ID
	resolve        Resolver
	depths         map[crm.ID]int // how many levels below root a record lies
	path           []crm.ID
}

func (w *hierarchyWalk) parent(rec Row) (crm.ID, bool) {
	ref, _ := rec.Value(w.lookup).(crm.Ref)
	return ref.ID, !ref.IsZero()
}

// ancestors returns the first MaxHierarchyDepth ancestors of root.
func (w *hierarchyWalk) ancestors() (map[crm.ID]bool, error) {
	out := map[crm.ID]bool{}
	cur := w.root
	for range crm.MaxHierarchyDepth {
		rec, found, err := w.resolve(w.entity, cur)
		if err != nil {
			return nil, err
		}
		if !found {
			break
		}
		p, ok := w.parent(rec)
		if !ok {
			break
		}
		out[p] = true
		cur = p
	}
	return out, nil
}

// depth returns how many levels below root rec lies: 1 for a child,
// depthNever when root is not among its ancestors, depthBeyond when it is
// not among the first MaxHierarchyDepth of them.
func (w *hierarchyWalk) depth(rec Row) (int, error) {
	id := rec.Ref().ID
	if d, ok := w.depths[id]; ok {
		return d, nil
	}
	if w.depths == nil {
		w.depths = map[crm.ID]int{}
	}
	// path[i] lies i levels above rec; up is the parent of the last.
	w.path = append(w.path[:0], id)
	up, ok := w.parent(rec)
	for step := 1; ; step++ {
		known, seen := w.depths[up]
		switch {
		case !ok:
			return w.settle(depthNever, step), nil
		case up == w.root:
			return w.settle(0, step), nil
		case seen:
			return w.settle(known, step), nil
		case step == crm.MaxHierarchyDepth:
			// Only rec is known to be out of reach: the records above it
			// are nearer to whatever lies further up.
			w.depths[id] = depthBeyond
			return depthBeyond, nil
		}
		w.path = append(w.path, up)
		next, found, err := w.resolve(w.entity, up)
		if err != nil {
			return 0, err
		}
		if !found {
			return w.settle(depthNever, step+1), nil
		}
		up, ok = w.parent(next)
	}
}

// settle records the depth of every record on the path, the record
// step levels above path[0] lying base levels below root, and returns
// rec's (path[0]).
func (w *hierarchyWalk) settle(base, step int) int {
	for i, id := range w.path {
		if base == depthNever {
			w.depths[id] = depthNever
		} else {
			w.depths[id] = min(step-i+base, depthBeyond)
		}
	}
	return w.depths[w.path[0]]
}
