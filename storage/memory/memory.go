// Package memory is an in-memory storage adapter: the default for tests,
// examples and quick starts. It is generic over metadata, safe for
// concurrent use and transactional, and it copies records in and out so
// that no caller can change stored state behind its back.
//
// Write transactions run one at a time; reads outside a transaction see the
// last committed state and never wait for a writer to finish. Records are
// found by ID in a hash map, each kept as a row packed by its entity's
// fields (no map per record, text held as strings, no room for nulls: see
// row.go), which plans read in place through driver.Row; a crm.Record is
// built only for a record handed out. A query reads one consistent version
// of an entity's records for as long as they stream, from ordered indexes:
// one by ID, and one on each field that a query has sorted by or compared
// with a condition every matching record must meet (Eq, Lt, Le, Gt, Ge, In,
// Null, alone or in a top-level And). The first query that can use an index
// builds it and every commit keeps it current, so that a page read by
// cursor costs about the page, not the table, and an entity that is only
// written and read by ID pays nothing for order. Conditions no ordered
// index answers (Exists, hierarchy, field-to-field and date-difference
// conditions, Or groups, related records) are checked by the plan's matcher
// on the records an index gives. Exists conditions find the records that
// point at a record through an index of the lookup field, built by the
// first query that needs it and kept current by every commit; inside a
// transaction, its pending writes are laid over the committed records and
// indexes. The same lookup index answers an equality on a lookup (the
// children of a record, a delete's relationship probes, Tx.Referrers) by
// reading only the records it lists, so that such a probe costs what it
// finds whatever the size of the table. A count reads no record when an
// index decides it: the whole entity (a size each commit publishes, read
// without a lock), or conditions on one field that its ordered index (or
// the lookup index) answers exactly (see count.go). Tx.Referrers reads
// every relationship's lookup index under one read lock and copies out IDs
// alone.
package memory

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
)

// Driver keeps records in memory. Use it through storage.New.
type Driver struct {
	writer chan struct{} // holds a token while a write transaction runs

	// pub is held while the tables change: by a commit, and by a query
	// building an index, which must not miss a commit.
	pub sync.Mutex
	mu  sync.RWMutex
	// records holds the committed records by entity and ID, each packed
	// as a row (row.go). A stored row is never changed in place, only
	// replaced, so readers may hold on to it after the lock is released;
	// they build a crm.Record from it before handing it out.
	records map[string]map[crm.ID]*row
	// tables holds the same records in order (see table), for the
	// entities a query has read: the first query of an entity makes its
	// table, and every commit keeps it current from then on, so that
	// entities that are only written and read by ID pay nothing for
	// order. A query takes a table under the read lock and marks it
	// shared; a commit changes in place only a table no query has taken.
	tables map[string]*table
	// txTables holds the running write transaction's own tables (see
	// tx.table). Write transactions run one at a time, so they live with
	// the writer's token, and only its holder touches them.
	txTables map[string]*table
	// txKeys maps the key values the running write transaction's records
	// took to the last record that took each, by entity and key name
	// (see keys.go). Like txTables, it lives with the writer's token.
	txKeys map[string]map[string]map[string]crm.ID
	// keys index the committed records by the values of their entity's
	// alternate keys, by entity and key name (see keys.go). The first
	// write that needs one builds it; Commit keeps it current.
	keys map[string]map[string]*keyIndex
	// refs index the committed records by the record a lookup points
	// at, by entity and field, for Exists conditions (see exists.go).
	// The first query that needs one builds it; Commit keeps it current.
	refs map[string][]*refIndex
	// layouts holds the layout of each entity metadata version written
	// (row.go). Like txTables, it lives with the writer's token.
	layouts map[*crm.Entity]*layout
	// spare is the overlay of the last write transaction, emptied, for
	// the next to reuse (see keep). Like txTables, it lives with the
	// writer's token.
	spare map[string]map[crm.ID]*row
	// written names the entities the running write transaction has
	// written, in the order of their first write: Commit and keep walk
	// it instead of ranging over the overlay, whose spare maps of
	// entities written before may be empty. Like txTables, it lives with
	// the writer's token, and its array is reused.
	written []string
	// sizes holds how many committed records each entity has, for
	// counts of everything that take no lock (count.go). The map is
	// replaced, never changed, when an entity is first written.
	sizes    atomic.Pointer[map[string]*atomic.Int64]
	lastSize atomic.Pointer[sizeOf] // the counter the last count read
}

var (
	_ driver.Driver = (*Driver)(nil)
	_ driver.Tx     = (*tx)(nil)
)

// New returns an empty in-memory driver.
func New() *Driver {
	return &Driver{writer: make(chan struct{}, 1), records: map[string]map[crm.ID]*row{},
		tables: map[string]*table{}, keys: map[string]map[string]*keyIndex{},
		refs: map[string][]*refIndex{}}
}

// Open returns a Store over a new in-memory driver: the shortest way to a
// working crmkit.
func Open(reg *crm.Registry, opts ...storage.Option) *storage.Store {
	return storage.New(New(), reg, opts...)
}

// Begin starts a write transaction, waiting for the one running to end.
func (d *Driver) Begin(ctx context.Context) (driver.Tx, error) {
	t, err := d.begin(ctx)
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (d *Driver) begin(ctx context.Context) (*tx, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case d.writer <- struct{}{}: // no writer: no wait on the context either
		return &tx{d: d}, nil
	default:
	}
	select {
	case d.writer <- struct{}{}:
		return &tx{d: d}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

var _ driver.AloneInserter = (*Driver)(nil)

// InsertAlone is Insert in a transaction of its own, begun and committed
// here: what a create that needs nothing else costs the store.
func (d *Driver) InsertAlone(ctx context.Context, e *crm.Entity, rec crm.Record) (bool, error) {
	t, err := d.begin(ctx)
	if err != nil {
		return false, err
	}
	recs := [1]crm.Record{rec}
	if err := t.Insert(ctx, e, recs[:]); err != nil {
		_ = t.Rollback()
		return false, err
	}
	return true, t.Commit()
}

// committed returns a committed record; the caller must not change it.
func (d *Driver) committed(entity string, id crm.ID) (*row, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	r, ok := d.records[entity][id]
	return r, ok
}

// table returns the committed table of entity, shared, making it if no
// query has read the entity before.
func (d *Driver) table(entity string) *table {
	d.mu.RLock()
	tb := d.tables[entity]
	if tb != nil {
		tb.share()
	}
	d.mu.RUnlock()
	if tb != nil {
		return tb
	}
	d.pub.Lock() // no commit until the table is in place
	defer d.pub.Unlock()
	if tb = d.tables[entity]; tb == nil { // only holders of pub change it
		tb = newTable()
		// In ID order, so that the records are appended.
		records := d.records[entity]
		for _, id := range slices.SortedFunc(maps.Keys(records), func(a, b crm.ID) int { return compareIDs(&a, &b) }) {
			tb.ids.put(item{id: id, rec: records[id]})
		}
		d.mu.Lock()
		d.tables[entity] = tb
		d.mu.Unlock()
	}
	return tb.share()
}

// index returns the committed index on f, shared, building it if no
// query has needed it before.
func (d *Driver) index(e *crm.Entity, f *crm.Field) *btree {
	if ix, ok := d.table(e.Name).indexes[f.Name]; ok {
		return ix
	}
	d.pub.Lock() // no commit until the index is in place
	defer d.pub.Unlock()
	tb := d.tables[e.Name] // made above; only holders of pub change it
	if ix, ok := tb.indexes[f.Name]; ok {
		tb.share()
		return ix
	}
	// The new table shares the old one's nodes, which readers may hold,
	// and changes none of them.
	o := &owner{}
	next := &table{ids: tb.ids.with(o), indexes: make(map[string]*btree, len(tb.indexes)+1), owner: o}
	for name, ix := range tb.indexes {
		next.indexes[name] = ix.with(o)
	}
	ix := buildIndex(tb.ids, f, o)
	next.indexes[f.Name] = ix
	next.share()
	d.mu.Lock()
	d.tables[e.Name] = next
	d.mu.Unlock()
	return ix
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
	lookup(entity string, id crm.ID) (*row, bool)
	// table returns the entity's records in order as they stand: neither
	// the table nor its indexes change afterwards.
	table(entity string) *table
	// index returns the ordered index on field f of entity e as it
	// stands, building it if need be; nil if f's values cannot be
	// ordered.
	index(e *crm.Entity, f *crm.Field) *btree
	// referring returns the records of entity whose lookup field points
	// at target, and no others.
	referring(entity, field string, target crm.Ref) []*row
	// size returns how many records entity has (count.go).
	size(entity string) int
}

type committedView struct{ d *Driver }

func (d *Driver) view() view { return committedView{d} }

func (v committedView) lookup(entity string, id crm.ID) (*row, bool) {
	return v.d.committed(entity, id)
}

func (v committedView) table(entity string) *table { return v.d.table(entity) }

func (v committedView) index(e *crm.Entity, f *crm.Field) *btree { return v.d.index(e, f) }

// tx is a write transaction: its writes sit in an overlay until commit.
type tx struct {
	d       *Driver
	overlay map[string]map[crm.ID]*row // nil record: deleted; nil until the first write
	done    bool
	// The transaction's own tables are d.txTables, and the key values
	// its records took d.txKeys. A tx is made for every write, so it
	// stays small: at 32 bytes instead of 24, the garbage collector
	// scanned Create's memory 20% slower in BenchmarkCreate (see
	// BENCHMARKS.md).
}

func (t *tx) lookup(entity string, id crm.ID) (*row, bool) {
	if r, ok := t.overlay[entity][id]; ok {
		return r, r != nil
	}
	return t.d.committed(entity, id)
}

// table returns the entity's table as the transaction sees it: the
// committed one if the transaction has not written the entity, else its
// own, made the first time it is needed.
func (t *tx) table(entity string) *table {
	changed := t.overlay[entity]
	if len(changed) == 0 {
		return t.d.table(entity)
	}
	tb := t.d.txTables[entity]
	if tb == nil {
		tb = t.d.table(entity).writable()
		for id, r := range changed {
			old, _ := t.d.committed(entity, id)
			tb.apply(old, r)
		}
		if t.d.txTables == nil {
			t.d.txTables = map[string]*table{}
		}
		t.d.txTables[entity] = tb
	}
	return tb.share()
}

func (t *tx) index(e *crm.Entity, f *crm.Field) *btree {
	changed := t.overlay[e.Name]
	if len(changed) == 0 {
		return t.d.index(e, f)
	}
	if ix, ok := t.table(e.Name).indexes[f.Name]; ok {
		return ix
	}
	// The committed index, with the transaction's writes.
	tb := t.d.txTables[e.Name].writable()
	t.d.txTables[e.Name] = tb
	ix := t.d.index(e, f).with(tb.owner)
	for id, r := range changed {
		if ix == nil {
			break
		}
		if old, _ := t.d.committed(e.Name, id); !ix.apply(old, r) {
			ix = nil
		}
	}
	tb.indexes[f.Name] = ix
	tb.share()
	return ix
}

// put records a write of the transaction; r is nil for a delete.
func (t *tx) put(entity string, id crm.ID, r *row) {
	if t.overlay == nil {
		// The last transaction's overlay, emptied, with the maps of the
		// entities it wrote: a transaction that writes the same entity
		// again (most do) allocates nothing here.
		t.overlay = t.d.spare
		t.d.spare = nil
		if t.overlay == nil {
			t.overlay = map[string]map[crm.ID]*row{}
		}
	}
	m := t.overlay[entity]
	if m == nil {
		m = map[crm.ID]*row{}
		t.overlay[entity] = m
	}
	if len(m) == 0 { // the transaction's first write of entity
		t.d.written = append(t.d.written, entity)
	}
	if tb := t.d.txTables[entity]; tb != nil {
		old, _ := t.lookup(entity, id)
		tb = tb.writable()
		tb.apply(old, r)
		t.d.txTables[entity] = tb
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
	var seen map[crm.ID]bool // IDs twice in recs; one record needs no map
	if len(recs) > 1 {
		seen = make(map[crm.ID]bool, len(recs))
	}
	for _, r := range recs {
		if _, exists := t.lookup(e.Name, r.ID); exists || seen[r.ID] {
			return fmt.Errorf("insert %s %s: %w", e.Name, r.ID, crm.ErrDuplicate)
		}
		if seen != nil {
			seen[r.ID] = true
		}
	}
	l := t.d.layoutOf(e)
	for i := range recs {
		r, err := l.pack(&recs[i])
		if err != nil {
			return fmt.Errorf("insert %s %s: %w", e.Name, recs[i].ID, err)
		}
		if err := t.checkKeys(e, r); err != nil {
			return fmt.Errorf("insert %w", err)
		}
		t.put(e.Name, r.ID, r)
	}
	return nil
}

func (t *tx) Update(ctx context.Context, e *crm.Entity, rec crm.Record, prev int64) error {
	if err := t.check(ctx, e, rec.ID, prev); err != nil {
		return err
	}
	r, err := t.d.layoutOf(e).pack(&rec)
	if err != nil {
		return fmt.Errorf("update %s %s: %w", e.Name, rec.ID, err)
	}
	if err := t.checkKeys(e, r); err != nil {
		return fmt.Errorf("update %w", err)
	}
	t.put(e.Name, rec.ID, r)
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

// inPlaceMax is the most changes a commit makes to a table in place,
// under the write lock; a larger commit works on a copy, which readers do
// not wait for, and publishes it.
const inPlaceMax = 64

func (t *tx) Commit() error {
	if t.done {
		return fmt.Errorf("memory: transaction already ended")
	}
	d := t.d
	d.pub.Lock() // d.tables and d.records change only under pub
	defer d.pub.Unlock()
	type update struct {
		entity  string
		changes map[crm.ID]*row
		tb      *table
		inPlace bool // tb is the committed table: change it under the lock
	}
	var buf [4]update // most transactions write one entity or two
	updates := buf[:0]
	for _, entity := range d.written {
		changes := t.overlay[entity]
		records := d.records[entity]
		u := update{entity: entity, changes: changes, tb: d.txTables[entity]}
		cur := d.tables[entity]
		switch {
		case cur == nil:
			// No query has read the entity: the records are all there is.
		case u.tb == nil && len(changes) <= inPlaceMax:
			u.tb, u.inPlace = cur, true
		case u.tb == nil:
			// In ID order: new IDs mostly come after every stored one,
			// and appended in order they fill the index's nodes.
			u.tb = cur.copy()
			for _, id := range slices.SortedFunc(maps.Keys(changes), func(a, b crm.ID) int { return compareIDs(&a, &b) }) {
				u.tb.apply(records[id], changes[id])
			}
		default:
			// Queries may have built indexes since the transaction made
			// its own table (from cur): they need its writes too.
			for name, ix := range cur.indexes {
				if _, ok := u.tb.indexes[name]; ok {
					continue
				}
				u.tb = u.tb.writable()
				ix = ix.with(u.tb.owner)
				for id, r := range changes {
					if ix == nil {
						break
					}
					if !ix.apply(records[id], r) {
						ix = nil
					}
				}
				u.tb.indexes[name] = ix
			}
		}
		updates = append(updates, u)
	}
	d.mu.Lock()
	for _, u := range updates {
		records := d.records[u.entity]
		if records == nil {
			records = map[crm.ID]*row{}
			d.records[u.entity] = records
		}
		if u.inPlace {
			// Whether a query holds the table is known for sure only
			// under the lock.
			u.tb = u.tb.writable()
			for id, r := range u.changes {
				u.tb.apply(records[id], r)
			}
		}
		if u.tb != nil {
			d.tables[u.entity] = u.tb
		}
		refs := d.refs[u.entity]
		for id, r := range u.changes {
			// The alternate-key and lookup indexes change with the
			// ordered ones, under the same lock, from the same records.
			old := records[id]
			d.rekey(u.entity, id, old, r)
			for _, ix := range refs {
				ix.remove(old)
				ix.add(r)
			}
			if r == nil {
				delete(records, id)
			} else {
				records[id] = r // the transaction's own copy, changed no more
			}
		}
		d.setSize(u.entity, len(records))
	}
	d.mu.Unlock()
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
	t.d.keep(t.overlay)
	t.overlay, t.d.txTables, t.d.txKeys = nil, nil, nil
	t.d.written = t.d.written[:0]
	<-t.d.writer
}

// keepMax is the most records of one entity, and the most entities, a
// transaction may have written for its overlay to be kept for the next
// one: clearing a small map costs less than making it, and a large one
// is not worth its memory.
const keepMax = 64

// keep makes the overlay of a transaction that has ended the next one's,
// emptied, if it is small. The caller holds the writer's token.
func (d *Driver) keep(overlay map[string]map[crm.ID]*row) {
	if overlay == nil || len(overlay) > keepMax {
		return
	}
	// Only the maps of the entities written are not empty already.
	for _, entity := range d.written {
		if len(overlay[entity]) > keepMax {
			return
		}
	}
	for _, entity := range d.written {
		clear(overlay[entity]) // the records are the committed tables' now, or gone
	}
	d.spare = overlay
}

func get(ctx context.Context, v view, e *crm.Entity, id crm.ID) (crm.Record, error) {
	if err := ctx.Err(); err != nil {
		return crm.Record{}, err
	}
	r, ok := v.lookup(e.Name, id)
	if !ok {
		return crm.Record{}, fmt.Errorf("%s %s: %w", e.Name, id, crm.ErrNotFound)
	}
	return r.record(), nil
}

// resolver looks up the records that related-record conditions refer to.
func resolver(v view) driver.Resolver {
	return func(entity string, id crm.ID) (driver.Row, bool, error) {
		r, ok := v.lookup(entity, id)
		if !ok {
			return nil, false, nil
		}
		return r, true, nil
	}
}

var _ driver.VersionLocker = (*tx)(nil)

// LockVersion is Lock without the copy of the record.
func (t *tx) LockVersion(ctx context.Context, e *crm.Entity, id crm.ID) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	r, ok := t.lookup(e.Name, id)
	if !ok {
		return 0, fmt.Errorf("%s %s: %w", e.Name, id, crm.ErrNotFound)
	}
	return r.Version, nil
}
