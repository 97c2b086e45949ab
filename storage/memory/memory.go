// Package memory is an in-memory storage adapter: the default for tests,
// examples and quick starts. It is generic over metadata, safe for
// concurrent use and transactional, and it copies records in and out so
// that no caller can change stored state behind its back.
//
// Write transactions run one at a time; reads outside a transaction see the
// last committed state and never wait for a writer to finish.
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
)

// Driver keeps records in memory. Use it through storage.New.
type Driver struct {
	writer chan struct{} // holds a token while a write transaction runs

	mu     sync.RWMutex
	tables map[string]map[crm.ID]crm.Record // committed records by entity
}

var (
	_ storage.Driver = (*Driver)(nil)
	_ storage.Tx     = (*tx)(nil)
)

// New returns an empty in-memory driver.
func New() *Driver {
	return &Driver{writer: make(chan struct{}, 1), tables: map[string]map[crm.ID]crm.Record{}}
}

// Open returns a Store over a new in-memory driver: the shortest way to a
// working crmkit.
func Open(reg *crm.Registry, opts ...storage.Option) *storage.Store {
	return storage.New(New(), reg, opts...)
}

// Begin starts a write transaction, waiting for the one running to end.
func (d *Driver) Begin(ctx context.Context) (storage.Tx, error) {
	select {
	case d.writer <- struct{}{}:
		return &tx{d: d, overlay: map[string]map[crm.ID]*crm.Record{}}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// committed returns a committed record.
func (d *Driver) committed(entity string, id crm.ID) (crm.Record, bool) {
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
func (d *Driver) Select(ctx context.Context, p *crm.Plan) iter.Seq2[crm.Record, error] {
	return selectRecords(ctx, d.view(), p)
}

// Count counts committed records matching the plan.
func (d *Driver) Count(ctx context.Context, p *crm.Plan) (int64, error) {
	return count(ctx, d.view(), p)
}

// Aggregate aggregates committed records.
func (d *Driver) Aggregate(ctx context.Context, p *crm.AggregatePlan) ([]crm.AggregateRow, error) {
	return aggregate(ctx, d.view(), p)
}

// view is a read-only look at records: committed ones, or a transaction's.
type view interface {
	lookup(entity string, id crm.ID) (crm.Record, bool)
	// scan calls fn for each record of entity; it must not call back into
	// the driver.
	scan(entity string, fn func(crm.Record))
}

type committedView struct{ d *Driver }

func (d *Driver) view() view { return committedView{d} }

func (v committedView) lookup(entity string, id crm.ID) (crm.Record, bool) {
	return v.d.committed(entity, id)
}

func (v committedView) scan(entity string, fn func(crm.Record)) {
	v.d.mu.RLock()
	defer v.d.mu.RUnlock()
	for _, r := range v.d.tables[entity] {
		fn(r)
	}
}

// tx is a write transaction: its writes sit in an overlay until commit.
type tx struct {
	d       *Driver
	overlay map[string]map[crm.ID]*crm.Record // nil record: deleted
	done    bool
}

func (t *tx) lookup(entity string, id crm.ID) (crm.Record, bool) {
	if r, ok := t.overlay[entity][id]; ok {
		if r == nil {
			return crm.Record{}, false
		}
		return *r, true
	}
	return t.d.committed(entity, id)
}

func (t *tx) scan(entity string, fn func(crm.Record)) {
	changed := t.overlay[entity]
	t.d.mu.RLock()
	for id, r := range t.d.tables[entity] {
		if _, ok := changed[id]; !ok {
			fn(r)
		}
	}
	t.d.mu.RUnlock()
	for _, r := range changed {
		if r != nil {
			fn(*r)
		}
	}
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

func (t *tx) Select(ctx context.Context, p *crm.Plan) iter.Seq2[crm.Record, error] {
	return selectRecords(ctx, t, p)
}

func (t *tx) Count(ctx context.Context, p *crm.Plan) (int64, error) { return count(ctx, t, p) }

func (t *tx) Aggregate(ctx context.Context, p *crm.AggregatePlan) ([]crm.AggregateRow, error) {
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
		c := r.Clone()
		t.put(e.Name, r.ID, &c)
	}
	return nil
}

func (t *tx) Update(ctx context.Context, e *crm.Entity, rec crm.Record, prev int64) error {
	if err := t.check(ctx, e, rec.ID, prev); err != nil {
		return err
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
			table = map[crm.ID]crm.Record{}
			t.d.tables[entity] = table
		}
		for id, r := range changes {
			if r == nil {
				delete(table, id)
			} else {
				table[id] = *r
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

func resolver(v view) crm.Resolver {
	return func(entity string, id crm.ID) (crm.Record, bool, error) {
		r, ok := v.lookup(entity, id)
		return r, ok, nil
	}
}

// matching returns the records of the plan's entity that match its filter
// and lie after its cursor. Related conditions are resolved after the scan,
// outside the table lock.
func matching(ctx context.Context, v view, entity string, match func(crm.Record, crm.Resolver) (bool, error), after func(crm.Record) bool) ([]crm.Record, error) {
	var all []crm.Record
	v.scan(entity, func(r crm.Record) {
		if after(r) {
			all = append(all, r)
		}
	})
	resolve := resolver(v)
	out := all[:0]
	for i, r := range all {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		ok, err := match(r, resolve)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}

func selectRecords(ctx context.Context, v view, p *crm.Plan) iter.Seq2[crm.Record, error] {
	return func(yield func(crm.Record, error) bool) {
		rows, err := matching(ctx, v, p.Entity.Name, p.Match, p.IsAfter)
		if err != nil {
			yield(crm.Record{}, err)
			return
		}
		rows = firstN(rows, p.Limit, p.Compare)
		for _, r := range rows {
			if !yield(r.Clone(), nil) {
				return
			}
		}
	}
}

// firstN returns the n smallest rows in order (all of them if n is 0),
// keeping only n candidates at a time when n is small.
func firstN(rows []crm.Record, n int, cmp func(a, b crm.Record) int) []crm.Record {
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
	rows []crm.Record
	cmp  func(a, b crm.Record) int
}

func (h *maxHeap) Len() int           { return len(h.rows) }
func (h *maxHeap) Less(i, j int) bool { return h.cmp(h.rows[i], h.rows[j]) > 0 }
func (h *maxHeap) Swap(i, j int)      { h.rows[i], h.rows[j] = h.rows[j], h.rows[i] }
func (h *maxHeap) Push(x any)         { h.rows = append(h.rows, x.(crm.Record)) }
func (h *maxHeap) Pop() any {
	last := h.rows[len(h.rows)-1]
	h.rows = h.rows[:len(h.rows)-1]
	return last
}

func count(ctx context.Context, v view, p *crm.Plan) (int64, error) {
	rows, err := matching(ctx, v, p.Entity.Name, p.Match, func(crm.Record) bool { return true })
	return int64(len(rows)), err
}

func aggregate(ctx context.Context, v view, p *crm.AggregatePlan) ([]crm.AggregateRow, error) {
	rows, err := matching(ctx, v, p.Entity.Name, p.Match, func(crm.Record) bool { return true })
	if err != nil {
		return nil, err
	}
	acc := p.NewAccumulator()
	for _, r := range rows {
		acc.Add(r)
	}
	return acc.Rows()
}
