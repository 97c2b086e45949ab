// Package memory is an in-memory storage adapter: the default for tests,
// examples and quick starts. It is generic over metadata, safe for
// concurrent use and transactional, and it copies records in and out so
// that no caller can change stored state behind its back.
//
// Write transactions run one at a time; reads outside a transaction see the
// last committed state and never wait for a writer to finish. Queries scan
// an entity's records, except that an equality condition on a text field
// (alone or in a top-level And) reads only the records an index gives for
// the value; the index is built by the first query that can use it and
// kept current by every commit. Exists conditions find the records that
// point at a record through an index of the lookup field kept the same
// way; inside a transaction, its pending writes are laid over both.
package memory

import (
	"container/heap"
	"context"
	"fmt"
	"iter"
	"slices"
	"sync"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
)

// Driver keeps records in memory. Use it through storage.New.
type Driver struct {
	writer chan struct{} // holds a token while a write transaction runs

	mu sync.RWMutex
	// tables holds the committed records by entity. A stored record is
	// never changed in place, only replaced, so readers may hold on to it
	// after the lock is released; they copy it before handing it out.
	tables map[string]map[crm.ID]*crm.Record
	// indexes map the folded values of a text field to the committed
	// records holding them, by entity and field. The first query with an
	// equality condition on a field builds its index; Commit keeps it
	// current.
	indexes map[string]map[string]textIndex
	// keys index the committed records by the values of their entity's
	// alternate keys, by entity and key name (see keys.go). The first
	// write that needs one builds it; Commit keeps it current.
	keys map[string]map[string]*keyIndex
	// refs index the committed records by the record a lookup points
	// at, by entity and field, for Exists conditions; built and kept
	// like indexes.
	refs map[string]map[string]refIndex
}

// textIndex holds, for each folded value, the IDs of the records whose
// field has that value.
type textIndex map[string]map[crm.ID]struct{}

func (ix textIndex) add(r *crm.Record, field string) {
	if r == nil {
		return
	}
	if s, ok := r.Fields[field].(string); ok {
		key := driver.FoldText(s)
		ids := ix[key]
		if ids == nil {
			ids = map[crm.ID]struct{}{}
			ix[key] = ids
		}
		ids[r.ID] = struct{}{}
	}
}

func (ix textIndex) remove(r *crm.Record, field string) {
	if r == nil {
		return
	}
	if s, ok := r.Fields[field].(string); ok {
		key := driver.FoldText(s)
		delete(ix[key], r.ID)
		if len(ix[key]) == 0 {
			delete(ix, key)
		}
	}
}

var (
	_ driver.Driver = (*Driver)(nil)
	_ driver.Tx     = (*tx)(nil)
)

// New returns an empty in-memory driver.
func New() *Driver {
	return &Driver{writer: make(chan struct{}, 1), tables: map[string]map[crm.ID]*crm.Record{},
		indexes: map[string]map[string]textIndex{}, keys: map[string]map[string]*keyIndex{},
		refs: map[string]map[string]refIndex{}}
}

// Open returns a Store over a new in-memory driver: the shortest way to a
// working crmkit.
func Open(reg *crm.Registry, opts ...storage.Option) *storage.Store {
	return storage.New(New(), reg, opts...)
}

// Begin starts a write transaction, waiting for the one running to end.
func (d *Driver) Begin(ctx context.Context) (driver.Tx, error) {
	select {
	case d.writer <- struct{}{}:
		return &tx{d: d, overlay: map[string]map[crm.ID]*crm.Record{}}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// committed returns a committed record; the caller must not change it.
func (d *Driver) committed(entity string, id crm.ID) (*crm.Record, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	r, ok := d.tables[entity][id]
	return r, ok
}

// Get returns a committed record.
func (d *Driver) Get(ctx context.Context, e *crm.Entity, id crm.ID) (crm.Record, error) {
	return get(ctx, d.view(), e, id)
}

// Select yields committed records matching the plan.
func (d *Driver) Select(ctx context.Context, p *driver.Plan) iter.Seq2[crm.Record, error] {
	return selectRecords(ctx, d.view(), p)
}

// Count counts committed records matching the plan.
func (d *Driver) Count(ctx context.Context, p *driver.Plan) (int64, error) {
	return count(ctx, d.view(), p)
}

// Aggregate aggregates committed records.
func (d *Driver) Aggregate(ctx context.Context, p *driver.AggregatePlan) ([]crm.AggregateRow, error) {
	return aggregate(ctx, d.view(), p)
}

// view is a read-only look at records: committed ones, or a transaction's.
// The records it returns are shared: callers copy them before handing them
// out and never change them.
type view interface {
	lookup(entity string, id crm.ID) (*crm.Record, bool)
	// records returns every record of entity.
	records(entity string) []*crm.Record
	// withText returns the records of entity whose text field equals
	// folded once folded, and possibly others.
	withText(entity, field, folded string) []*crm.Record
	// referring returns the records of entity whose lookup field points
	// at target, and no others.
	referring(entity, field string, target crm.Ref) []*crm.Record
}

type committedView struct{ d *Driver }

func (d *Driver) view() view { return committedView{d} }

func (v committedView) lookup(entity string, id crm.ID) (*crm.Record, bool) {
	return v.d.committed(entity, id)
}

func (v committedView) withText(entity, field, folded string) []*crm.Record {
	return v.d.withText(entity, field, folded, nil)
}

// withText returns the committed records of entity whose field folds to
// folded, leaving out those whose IDs are in skip. It builds the field's
// index if no query has needed it before.
func (d *Driver) withText(entity, field, folded string, skip map[crm.ID]*crm.Record) []*crm.Record {
	d.mu.RLock()
	ix, ok := d.indexes[entity][field]
	if !ok {
		d.mu.RUnlock()
		d.mu.Lock()
		if ix, ok = d.indexes[entity][field]; !ok {
			ix = textIndex{}
			for _, r := range d.tables[entity] {
				ix.add(r, field)
			}
			if d.indexes[entity] == nil {
				d.indexes[entity] = map[string]textIndex{}
			}
			d.indexes[entity][field] = ix
		}
		d.mu.Unlock()
		d.mu.RLock()
	}
	defer d.mu.RUnlock()
	ids := ix[folded]
	table := d.tables[entity]
	out := make([]*crm.Record, 0, len(ids))
	for id := range ids {
		if _, changed := skip[id]; !changed {
			out = append(out, table[id])
		}
	}
	return out
}

func (v committedView) records(entity string) []*crm.Record {
	v.d.mu.RLock()
	defer v.d.mu.RUnlock()
	table := v.d.tables[entity]
	out := make([]*crm.Record, 0, len(table))
	for _, r := range table {
		out = append(out, r)
	}
	return out
}

// tx is a write transaction: its writes sit in an overlay until commit.
type tx struct {
	d       *Driver
	overlay map[string]map[crm.ID]*crm.Record // nil record: deleted
	// keys maps the key values the transaction's records took to the
	// last record that took each, by entity and key name.
	keys map[string]map[string]map[string]crm.ID
	done bool
}

func (t *tx) lookup(entity string, id crm.ID) (*crm.Record, bool) {
	if r, ok := t.overlay[entity][id]; ok {
		return r, r != nil
	}
	return t.d.committed(entity, id)
}

func (t *tx) records(entity string) []*crm.Record {
	changed := t.overlay[entity]
	t.d.mu.RLock()
	table := t.d.tables[entity]
	out := make([]*crm.Record, 0, len(table)+len(changed))
	for id, r := range table {
		if _, ok := changed[id]; !ok {
			out = append(out, r)
		}
	}
	t.d.mu.RUnlock()
	for _, r := range changed {
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}

func (t *tx) withText(entity, field, folded string) []*crm.Record {
	changed := t.overlay[entity]
	out := t.d.withText(entity, field, folded, changed)
	for _, r := range changed {
		if r != nil {
			out = append(out, r) // the filter checks them like any other
		}
	}
	return out
}

func (t *tx) put(entity string, id crm.ID, r *crm.Record) {
	m := t.overlay[entity]
	if m == nil {
		m = map[crm.ID]*crm.Record{}
		t.overlay[entity] = m
	}
	m[id] = r
}

func (t *tx) Get(ctx context.Context, e *crm.Entity, id crm.ID) (crm.Record, error) {
	return get(ctx, t, e, id)
}

// Lock is Get: write transactions run one at a time, so nothing else can
// change the record before this one ends.
func (t *tx) Lock(ctx context.Context, e *crm.Entity, id crm.ID) (crm.Record, error) {
	return get(ctx, t, e, id)
}

// Share reports whether the record exists; a write transaction excludes
// every other, so nothing can delete it before this one ends.
func (t *tx) Share(ctx context.Context, e *crm.Entity, id crm.ID) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	_, ok := t.lookup(e.Name, id)
	return ok, nil
}

func (t *tx) Select(ctx context.Context, p *driver.Plan) iter.Seq2[crm.Record, error] {
	return selectRecords(ctx, t, p)
}

func (t *tx) Count(ctx context.Context, p *driver.Plan) (int64, error) { return count(ctx, t, p) }

func (t *tx) Aggregate(ctx context.Context, p *driver.AggregatePlan) ([]crm.AggregateRow, error) {
	return aggregate(ctx, t, p)
}

func (t *tx) Insert(ctx context.Context, e *crm.Entity, recs []crm.Record) error {
	if err := t.usable(ctx); err != nil {
		return err
	}
	seen := map[crm.ID]bool{}
	for _, r := range recs {
		if _, exists := t.lookup(e.Name, r.ID); exists || seen[r.ID] {
			return fmt.Errorf("insert %s %s: %w", e.Name, r.ID, crm.ErrDuplicate)
		}
		seen[r.ID] = true
	}
	for _, r := range recs {
		if err := t.checkKeys(e, &r); err != nil {
			return fmt.Errorf("insert %w", err)
		}
		c := r.Clone()
		t.put(e.Name, r.ID, &c)
	}
	return nil
}

func (t *tx) Update(ctx context.Context, e *crm.Entity, rec crm.Record, prev int64) error {
	if err := t.check(ctx, e, rec.ID, prev); err != nil {
		return err
	}
	if err := t.checkKeys(e, &rec); err != nil {
		return fmt.Errorf("update %w", err)
	}
	c := rec.Clone()
	t.put(e.Name, rec.ID, &c)
	return nil
}

func (t *tx) Delete(ctx context.Context, e *crm.Entity, id crm.ID, version int64) error {
	if err := t.check(ctx, e, id, version); err != nil {
		return err
	}
	t.put(e.Name, id, nil)
	return nil
}

func (t *tx) check(ctx context.Context, e *crm.Entity, id crm.ID, version int64) error {
	if err := t.usable(ctx); err != nil {
		return err
	}
	cur, ok := t.lookup(e.Name, id)
	if !ok {
		return fmt.Errorf("%s %s: %w", e.Name, id, crm.ErrNotFound)
	}
	if cur.Version != version {
		return fmt.Errorf("%s %s: stored version %d, expected %d: %w", e.Name, id, cur.Version, version, crm.ErrConflict)
	}
	return nil
}

func (t *tx) usable(ctx context.Context) error {
	if t.done {
		return fmt.Errorf("memory: transaction already ended")
	}
	return ctx.Err()
}

func (t *tx) Commit() error {
	if t.done {
		return fmt.Errorf("memory: transaction already ended")
	}
	t.d.mu.Lock()
	for entity, changes := range t.overlay {
		table := t.d.tables[entity]
		if table == nil {
			table = map[crm.ID]*crm.Record{}
			t.d.tables[entity] = table
		}
		for id, r := range changes {
			for field, ix := range t.d.indexes[entity] {
				ix.remove(table[id], field)
				ix.add(r, field)
			}
			t.d.rekey(entity, id, table[id], r)
			for field, ix := range t.d.refs[entity] {
				ix.remove(table[id], field)
				ix.add(r, field)
			}
			if r == nil {
				delete(table, id)
			} else {
				table[id] = r // the transaction's own copy, changed no more
			}
		}
	}
	t.d.mu.Unlock()
	t.end()
	return nil
}

func (t *tx) Rollback() error {
	if !t.done {
		t.end()
	}
	return nil
}

func (t *tx) end() {
	t.done = true
	t.overlay = nil
	<-t.d.writer
}

func get(ctx context.Context, v view, e *crm.Entity, id crm.ID) (crm.Record, error) {
	if err := ctx.Err(); err != nil {
		return crm.Record{}, err
	}
	r, ok := v.lookup(e.Name, id)
	if !ok {
		return crm.Record{}, fmt.Errorf("%s %s: %w", e.Name, id, crm.ErrNotFound)
	}
	return r.Clone(), nil
}

// matching returns the records of entity that match where, tested with m,
// the plan's compiled filter. The records are gathered under the table
// lock and tested after it is released, so that conditions on related
// records can look them up.
func matching(ctx context.Context, v view, e *crm.Entity, where crm.Filter, m driver.Matcher) ([]*crm.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if field, folded, ok := indexable(e, where); ok {
		return filter(ctx, v.withText(e.Name, field, folded), m)
	}
	return filter(ctx, v.records(e.Name), m)
}

// resolver looks up the records that related-record conditions refer to.
func resolver(v view) driver.Resolver {
	return func(entity string, id crm.ID) (crm.Record, bool, error) {
		r, ok := v.lookup(entity, id)
		if !ok {
			return crm.Record{}, false, nil
		}
		return *r, true, nil
	}
}

// indexable finds an equality condition on a declared text field that
// every matching record must meet: the filter itself, or one of the
// filters of a top-level And. Such a query reads only the records an index
// gives for the value; the whole filter still checks each of them.
func indexable(e *crm.Entity, where crm.Filter) (field, folded string, ok bool) {
	conds := []crm.Filter{where}
	if g, isGroup := where.(crm.Group); isGroup && !g.Or {
		conds = g.Filters
	}
	for _, f := range conds {
		c, isCond := f.(crm.Condition)
		if !isCond || c.Op != crm.OpEq || len(c.Values) != 1 {
			continue
		}
		fd, known := e.Field(c.Field)
		s, isText := c.Values[0].(string)
		if known && !fd.System && fd.Type == crm.TypeText && isText {
			return c.Field, driver.FoldText(s), true
		}
	}
	return "", "", false
}

// filter keeps the records m matches, in place.
func filter(ctx context.Context, all []*crm.Record, m driver.Matcher) ([]*crm.Record, error) {
	out := all[:0]
	for i, r := range all {
		if i%4096 == 4095 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		ok, err := m(r)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}

func selectRecords(ctx context.Context, v view, p *driver.Plan) iter.Seq2[crm.Record, error] {
	return func(yield func(crm.Record, error) bool) {
		rows, err := matching(ctx, v, p.Entity, p.Where, p.MatcherWith(resolver(v), referrers(v)))
		if err != nil {
			yield(crm.Record{}, err)
			return
		}
		if p.After != nil {
			// The cursor is checked after the filter: it costs more than
			// most conditions and only matching rows need it.
			after := rows[:0]
			for _, r := range rows {
				if p.IsAfter(*r) {
					after = append(after, r)
				}
			}
			rows = after
		}
		rows = firstN(rows, p.Limit, p.CompareRefs)
		for _, r := range rows {
			if !yield(r.Clone(), nil) {
				return
			}
		}
	}
}

// firstN returns the n smallest rows in order (all of them if n is 0),
// keeping only n candidates at a time when n is small.
func firstN(rows []*crm.Record, n int, cmp func(a, b *crm.Record) int) []*crm.Record {
	if n <= 0 || n*4 >= len(rows) {
		slices.SortFunc(rows, cmp)
		if n > 0 && n < len(rows) {
			rows = rows[:n]
		}
		return rows
	}
	h := &maxHeap{cmp: cmp}
	for _, r := range rows {
		if h.Len() < n {
			heap.Push(h, r)
		} else if cmp(r, h.rows[0]) < 0 {
			h.rows[0] = r
			heap.Fix(h, 0)
		}
	}
	slices.SortFunc(h.rows, cmp)
	return h.rows
}

type maxHeap struct {
	rows []*crm.Record
	cmp  func(a, b *crm.Record) int
}

func (h *maxHeap) Len() int           { return len(h.rows) }
func (h *maxHeap) Less(i, j int) bool { return h.cmp(h.rows[i], h.rows[j]) > 0 }
func (h *maxHeap) Swap(i, j int)      { h.rows[i], h.rows[j] = h.rows[j], h.rows[i] }
func (h *maxHeap) Push(x any)         { h.rows = append(h.rows, x.(*crm.Record)) }
func (h *maxHeap) Pop() any {
	last := h.rows[len(h.rows)-1]
	h.rows = h.rows[:len(h.rows)-1]
	return last
}

func count(ctx context.Context, v view, p *driver.Plan) (int64, error) {
	rows, err := matching(ctx, v, p.Entity, p.Where, p.MatcherWith(resolver(v), referrers(v)))
	return int64(len(rows)), err
}

func aggregate(ctx context.Context, v view, p *driver.AggregatePlan) ([]crm.AggregateRow, error) {
	rows, err := matching(ctx, v, p.Entity, p.Where, p.MatcherWith(resolver(v), referrers(v)))
	if err != nil {
		return nil, err
	}
	acc := p.NewAccumulator().WithResolver(resolver(v))
	for _, r := range rows {
		acc.Add(*r)
	}
	return acc.Rows()
}
