package memory

import (
	"context"
	"iter"
	"slices"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// How a query reads: every plan is answered from one ordered index,
// which is a consistent version of the table however long the answer
// streams.
//
//   - A walk reads the index on the first order field (the ID index for
//     the ID order) in the plan's order, from the cursor on, and stops at
//     the limit: a page costs O(log n + what it reads), wherever it is in
//     the table. Where the rest of the order is not the ID, each run of
//     equal keys is sorted as it is read (the first of the limit smallest,
//     when a run is larger than what is left to read).
//   - A collection reads the records in the spans of one field (or the
//     whole table), filters them and keeps the limit smallest after the
//     cursor with a bounded heap.
//
// The planner counts the records in the spans of every field that has
// conditions an index answers (indexes count a span in O(log n)) and
// takes the walk unless collecting the narrowest spans reads less than
// the walk can expect to: the walk stops after about limit*n/c records
// when the narrowest other condition lets c of n through.

// query is one plan's filter run over a view.
type query struct {
	ctx   context.Context
	v     view
	e     *crm.Entity
	match driver.Matcher
	seen  int
	err   error   // ends the query
	em    emitter // for a Select
}

func newQuery(ctx context.Context, v view, e *crm.Entity, m driver.Matcher) *query {
	return &query{ctx: ctx, v: v, e: e, match: m}
}

// test reports whether rec matches. A failed match or an ended context
// sets q.err and reports false.
func (q *query) test(rec *row) bool {
	q.seen++
	if q.seen%4096 == 0 {
		if err := q.ctx.Err(); err != nil {
			q.err = err
			return false
		}
	}
	ok, err := q.match(rec)
	if err != nil {
		q.err = err
		return false
	}
	return ok
}

// access is a way to the records a query reads: the items of one ordered
// index within spans, or the records a lookup index listed.
type access struct {
	tree  *btree
	spans []span // nil: every item
	n     int    // how many items that is
	// listed is set when recs, the records of an equality on a lookup
	// read from the lookup index (in no order), are the access.
	listed bool
	recs   []*row
}

// tree returns the ordered index on f: the ID index, an index tb has, or
// one built now if build is set. Nil when there is none.
func (q *query) tree(tb *table, f *crm.Field, build bool) *btree {
	if f.Type == crm.TypeID {
		return tb.ids
	}
	if ix, ok := tb.indexes[f.Name]; ok {
		return ix
	}
	if !build {
		return nil
	}
	return q.v.index(q.e, f)
}

// narrowest returns the access that reads the fewest records, and
// counts the records in the spans of each range whose field has an
// index.
func (q *query) narrowest(tb *table, ranges []keyRange) access {
	best := access{tree: tb.ids, n: tb.ids.len()}
	for i := range ranges {
		r := &ranges[i]
		if _, ordered := tb.indexes[r.f.Name]; r.ref != nil && !ordered {
			// An equality on a lookup (a delete's relationship probe,
			// the children of a record) reads the lookup index rather
			// than build an ordered one: its records are all it reads.
			recs := q.v.referring(q.e.Name, r.f.Name, *r.ref)
			r.n, r.counted, r.listed = len(recs), true, true
			if r.n < best.n {
				best = access{n: r.n, listed: true, recs: recs}
			}
			continue
		}
		t := q.tree(tb, r.f, r.selective)
		if t == nil {
			continue
		}
		r.n, r.counted = t.count(r.spans), true
		if r.n < best.n {
			best = access{tree: t, spans: r.spans, n: r.n}
		}
	}
	return best
}

// each calls visit with the records of a that match, in a's index order.
func (q *query) each(a access, visit func(*row)) {
	if a.listed {
		for _, r := range a.recs {
			if q.test(r) {
				visit(r)
			}
			if q.err != nil {
				return
			}
		}
		return
	}
	t := a.tree
	test := func(it *item) bool {
		if q.test(it.rec) {
			visit(it.rec)
		}
		return q.err == nil
	}
	if a.spans == nil {
		t.ascend(nil, test)
		return
	}
	for _, s := range a.spans {
		t.ascend(func(it *item) bool { return s.below(t, it) }, func(it *item) bool {
			return !s.above(t, it) && test(it)
		})
		if q.err != nil {
			return
		}
	}
}

// collect returns the records of a that match.
func (q *query) collect(a access) []*row {
	rows := make([]*row, 0, min(a.n, 1024))
	q.each(a, func(r *row) { rows = append(rows, r) })
	return rows
}

// emitter hands out the records of a Select, copied, up to the limit.
type emitter struct {
	yield   func(crm.Record, error) bool
	limit   int
	n       int
	last    *row // the last record emitted
	stopped bool // the caller stopped reading
}

// emit yields r and reports whether more are wanted.
func (e *emitter) emit(r *row) bool {
	if !e.yield(r.record(), nil) {
		e.stopped = true
		return false
	}
	e.n, e.last = e.n+1, r
	return e.limit <= 0 || e.n < e.limit
}

// left is how many records are still wanted; 0 when there is no limit.
func (e *emitter) left() int {
	if e.limit <= 0 {
		return 0
	}
	return e.limit - e.n
}

func selectRecords(ctx context.Context, v view, p *driver.Plan) iter.Seq2[crm.Record, error] {
	return func(yield func(crm.Record, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(crm.Record{}, err)
			return
		}
		q := newQuery(ctx, v, p.Entity, p.MatcherWith(resolver(v), referrers(v)))
		q.em = emitter{yield: yield, limit: p.Limit}
		q.run(p, &q.em)
		if q.err != nil && !q.em.stopped {
			yield(crm.Record{}, q.err)
		}
	}
}

// run emits the records of p.
func (q *query) run(p *driver.Plan, em *emitter) {
	tb := q.v.table(p.Entity.Name)
	ranges := keyRanges(p.Entity, p.Where)
	best := q.narrowest(tb, ranges)
	// Records a lookup index listed are read together, under one lock,
	// and not mixed with a walk of an ordered table, which may stand at
	// an earlier commit.
	if t, spans, budget, ok := q.walkable(tb, p, ranges, best); ok && !best.listed {
		if q.walk(t, spans, p, em, budget) || q.err != nil {
			return
		}
	}
	rows := q.collect(best)
	if q.err != nil {
		return
	}
	// The cursor is checked after the filter: it costs more than most
	// conditions and only matching rows need it.
	rows = slices.DeleteFunc(rows, func(r *row) bool {
		if em.last != nil { // a walk gave up after it
			return p.CompareRows(r, em.last) <= 0
		}
		return p.After != nil && !p.IsAfter(r)
	})
	for _, r := range sortRows(p, rows, em.left()) {
		if !em.emit(r) {
			return
		}
	}
}

// walkable decides whether to walk the index on the plan's first order
// field rather than collect best. It returns that index, the spans of it
// to walk (nil: all) and how many records the walk may read before it
// gives way to collecting (0: all it needs).
//
// With no narrower field to collect than the walk's, the walk reads at
// most what collecting would and sorts nothing. With one, the walk is a
// bet that matching records come early in the order; it is taken when it
// is expected to read a quarter of what collecting reads or less (the
// narrowest other field letting c of n records through, about limit*n/c
// records), and it stops when it has read as many as collecting reads,
// so that a lost bet costs twice the collection at most (the conditions
// no index answers can make matching records rare or late in the order).
func (q *query) walkable(tb *table, p *driver.Plan, ranges []keyRange, best access) (t *btree, spans []span, budget int, ok bool) {
	first := p.OrderBy[0].Field
	n := tb.ids.len()
	walkN := n
	if r := rangeOf(ranges, first); r != nil {
		spans = r.spans
		if r.counted {
			walkN = r.n
		}
	}
	if best.n < walkN {
		other := n
		for _, r := range ranges {
			if r.f.Name != first && r.counted && r.n < other {
				other = r.n
			}
		}
		guess := walkN
		if p.Limit > 0 && other > 0 {
			guess = min(guess, int(int64(p.Limit)*int64(n)/int64(other)))
		}
		if guess*4 > best.n {
			return nil, nil, 0, false
		}
		budget = best.n
	}
	f, _ := p.Entity.Field(first)
	t = q.tree(tb, f, true)
	return t, spans, budget, t != nil
}

// walk emits the matching records of t's spans (all if nil) in the
// plan's order, whose first field is t's, from the plan's cursor on. It
// reports false when it gave up after reading budget records (0: no
// limit) or failed.
func (q *query) walk(t *btree, spans []span, p *driver.Plan, em *emitter, budget int) bool {
	if spans == nil {
		spans = []span{everything}
	}
	desc := p.OrderBy[0].Desc
	if desc {
		spans = slices.Clone(spans)
		slices.Reverse(spans)
	}
	w := walker{q: q, t: t, p: p, em: em, desc: desc, budget: budget}
	if p.After != nil {
		w.cursor = true
		w.k0 = p.After[0]
		w.id0, _ = p.After[len(p.After)-1].(crm.ID)
	}
	rest := p.OrderBy[1:]
	for _, s := range spans {
		var more bool
		switch {
		case len(rest) == 0 || len(rest) == 1 && rest[0].Field == crm.FieldID && rest[0].Desc == desc:
			more = w.straight(s)
		case len(rest) == 1 && rest[0].Field == crm.FieldID:
			more = w.groups(s)
		default:
			more = w.sorted(s)
		}
		if !more {
			return !w.over && q.err == nil
		}
	}
	w.flush()
	return q.err == nil
}

// walker walks one index for one plan.
type walker struct {
	q    *query
	t    *btree
	p    *driver.Plan
	em   *emitter
	desc bool // the first order is descending

	cursor bool   // the plan has a cursor:
	k0     any    // its key for t's field
	id0    crm.ID // and its ID

	buf      []*row // the current run of equal keys (sorted)
	bufKey   any
	buffered bool

	budget int  // the most records to read; 0: no limit
	over   bool // the walk read its budget and gave up
}

// spent reports whether the walk has read its budget, and then gives up.
func (w *walker) spent() bool {
	if w.budget > 0 && w.q.seen >= w.budget {
		w.over = true
	}
	return w.over
}

// offer tests it and emits its record if it matches; it reports whether
// to go on.
func (w *walker) offer(it *item) bool {
	if w.spent() {
		return false
	}
	if w.q.test(it.rec) {
		return w.em.emit(it.rec)
	}
	return w.q.err == nil
}

// straight walks span s when the plan's order is t's order (or its
// reverse): the first field, then the ID the same way.
func (w *walker) straight(s span) bool {
	t := w.t
	var cur *item // the cursor's place in t
	if w.cursor {
		cur = &item{key: w.k0, id: w.id0}
		if t.field == nil {
			cur.id, _ = w.k0.(crm.ID)
		}
	}
	more := true
	if !w.desc {
		t.ascend(func(it *item) bool { return s.below(t, it) || cur != nil && t.cmp(it, cur) <= 0 }, func(it *item) bool {
			if s.above(t, it) {
				return false
			}
			more = w.offer(it)
			return more
		})
	} else {
		t.descend(func(it *item) bool { return s.above(t, it) || cur != nil && t.cmp(it, cur) >= 0 }, func(it *item) bool {
			if s.below(t, it) {
				return false
			}
			more = w.offer(it)
			return more
		})
	}
	return more
}

// groups walks span s when the plan orders by t's field one way and by
// the ID the other: it finds each key in the field's order, then reads
// the records with that key in ID order. A page costs a search per key.
func (w *walker) groups(s span) bool {
	t := w.t
	var last any
	haveLast := false
	for {
		var g *item
		found := func(it *item) bool { g = it; return false }
		if !w.desc {
			t.ascend(func(it *item) bool {
				return s.below(t, it) || haveLast && t.cmpKey(it, last) <= 0 || w.cursor && t.cmpKey(it, w.k0) < 0
			}, found)
			if g == nil || s.above(t, g) {
				return true
			}
		} else {
			t.descend(func(it *item) bool {
				return s.above(t, it) || haveLast && t.cmpKey(it, last) >= 0 || w.cursor && t.cmpKey(it, w.k0) > 0
			}, found)
			if g == nil || s.below(t, g) {
				return true
			}
		}
		key := g.key
		atCursor := w.cursor && driver.CompareKeys(key, w.k0) == 0
		more := true
		if !w.desc { // the key ascending, IDs descending
			t.descend(func(it *item) bool {
				c := t.cmpKey(it, key)
				return c > 0 || c == 0 && atCursor && compareIDs(&it.id, &w.id0) >= 0
			}, func(it *item) bool {
				if t.cmpKey(it, key) < 0 {
					return false
				}
				more = w.offer(it)
				return more
			})
		} else { // the key descending, IDs ascending
			t.ascend(func(it *item) bool {
				c := t.cmpKey(it, key)
				return c < 0 || c == 0 && atCursor && compareIDs(&it.id, &w.id0) <= 0
			}, func(it *item) bool {
				if t.cmpKey(it, key) > 0 {
					return false
				}
				more = w.offer(it)
				return more
			})
		}
		if !more {
			return false
		}
		last, haveLast = key, true
	}
}

// sorted walks span s when more fields follow the first in the plan's
// order: it gathers each run of equal keys and sorts it by the plan.
func (w *walker) sorted(s span) bool {
	t := w.t
	more := true
	visit := func(it *item) bool {
		if w.spent() {
			more = false
			return false
		}
		if w.buffered && t.cmpKey(it, w.bufKey) != 0 {
			if more = w.flush(); !more {
				return false
			}
		}
		if !w.buffered {
			w.bufKey, w.buffered = it.key, true
		}
		if w.q.test(it.rec) {
			w.buf = append(w.buf, it.rec)
		}
		more = w.q.err == nil
		return more
	}
	if !w.desc {
		t.ascend(func(it *item) bool { return s.below(t, it) || w.cursor && t.cmpKey(it, w.k0) < 0 }, func(it *item) bool {
			return !s.above(t, it) && visit(it)
		})
	} else {
		t.descend(func(it *item) bool { return s.above(t, it) || w.cursor && t.cmpKey(it, w.k0) > 0 }, func(it *item) bool {
			return !s.below(t, it) && visit(it)
		})
	}
	return more
}

// flush emits the run of equal keys gathered so far, in the plan's
// order, and reports whether more records are wanted.
func (w *walker) flush() bool {
	if !w.buffered {
		return true
	}
	rows := w.buf
	if w.cursor && driver.CompareKeys(w.bufKey, w.k0) == 0 {
		rows = slices.DeleteFunc(rows, func(r *row) bool { return !w.p.IsAfter(r) })
	}
	more := true
	for _, r := range sortRows(w.p, rows, w.em.left()) {
		if more = w.em.emit(r); !more {
			break
		}
	}
	clear(w.buf)
	w.buf, w.buffered = w.buf[:0], false
	return more
}

// sortRows returns the first n of rows in the plan's order (all of them
// if n is 0), reading each record's sort keys once.
func sortRows(p *driver.Plan, rows []*row, n int) []*row {
	if len(rows) < 2 {
		return rows
	}
	type keyed struct {
		rec  *row
		keys []any
	}
	m := len(p.OrderBy)
	keys := make([]any, 0, len(rows)*m)
	all := make([]keyed, len(rows))
	for i, r := range rows {
		at := len(keys)
		keys = p.SortKeys(keys, r)
		all[i] = keyed{rec: r, keys: keys[at:len(keys):len(keys)]}
	}
	all = firstN(all, n, func(a, b keyed) int { return p.CompareSortKeys(a.keys, b.keys) })
	out := rows[:len(all)]
	for i, k := range all {
		out[i] = k.rec
	}
	return out
}

// firstN returns the n smallest rows in order (all of them if n is 0),
// keeping only n candidates at a time, in a max-heap, when n is small.
func firstN[T any](rows []T, n int, cmp func(a, b T) int) []T {
	if n <= 0 || n*4 >= len(rows) {
		slices.SortFunc(rows, cmp)
		if n > 0 && n < len(rows) {
			rows = rows[:n]
		}
		return rows
	}
	h := make([]T, 0, n)
	for _, r := range rows {
		if len(h) < n {
			h = append(h, r)
			for i := len(h) - 1; i > 0; { // up
				parent := (i - 1) / 2
				if cmp(h[i], h[parent]) <= 0 {
					break
				}
				h[i], h[parent] = h[parent], h[i]
				i = parent
			}
			continue
		}
		if cmp(r, h[0]) >= 0 {
			continue
		}
		h[0] = r
		for i := 0; ; { // down
			big := i
			if l := 2*i + 1; l < n && cmp(h[l], h[big]) > 0 {
				big = l
			}
			if r := 2*i + 2; r < n && cmp(h[r], h[big]) > 0 {
				big = r
			}
			if big == i {
				break
			}
			h[i], h[big] = h[big], h[i]
			i = big
		}
	}
	slices.SortFunc(h, cmp)
	return h
}

func count(ctx context.Context, v view, p *driver.Plan) (int64, error) {
	n, _, err := countRead(ctx, v, p)
	return n, err
}

// countRead is count, which also reports how many records it read (its
// matcher tested).
func countRead(ctx context.Context, v view, p *driver.Plan) (n int64, read int, err error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	if p.Where == nil {
		return int64(v.size(p.Entity.Name)), 0, nil
	}
	tb := v.table(p.Entity.Name)
	q := newQuery(ctx, v, p.Entity, p.MatcherWith(resolver(v), referrers(v)))
	ranges := keyRanges(p.Entity, p.Where)
	best := q.narrowest(tb, ranges)
	if r, ok := exactRange(p.Entity, p.Where, ranges); ok {
		return int64(r.n), 0, nil // counted by an index
	}
	q.each(best, func(*row) { n++ })
	return n, q.seen, q.err
}

func aggregate(ctx context.Context, v view, p *driver.AggregatePlan) ([]crm.AggregateRow, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	q := newQuery(ctx, v, p.Entity, p.MatcherWith(resolver(v), referrers(v)))
	tb := v.table(p.Entity.Name)
	best := q.narrowest(tb, keyRanges(p.Entity, p.Where))
	acc := p.NewAccumulator().WithResolver(resolver(v))
	q.each(best, func(r *row) { acc.Add(r) })
	if q.err != nil {
		return nil, q.err
	}
	return acc.Rows()
}
