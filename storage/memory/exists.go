package memory

import (
	"bytes"
	"context"
	"slices"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// refIndex holds, for each record a lookup field points at, the IDs of
// the records whose field points at it: the children an Exists condition
// reads, found without a scan of the child entity.
type refIndex struct {
	field string
	ids   map[crm.Ref]map[crm.ID]struct{}
}

func (ix *refIndex) add(r *row) {
	if r == nil {
		return
	}
	if ref, ok := r.lookup(ix.field); ok {
		ids := ix.ids[ref]
		if ids == nil {
			ids = map[crm.ID]struct{}{}
			ix.ids[ref] = ids
		}
		ids[r.ID] = struct{}{}
	}
}

func (ix *refIndex) remove(r *row) {
	if r == nil {
		return
	}
	if ref, ok := r.lookup(ix.field); ok {
		if ids := ix.ids[ref]; ids != nil {
			delete(ids, r.ID)
			if len(ids) == 0 {
				delete(ix.ids, ref)
			}
		}
	}
}

// refIndexOf returns the index of entity's lookup field, if it is built.
// An entity's indexes are a slice rather than a map by field: a commit
// walks them for every record it writes, and an entity has a few.
// The caller holds d.mu.
func (d *Driver) refIndexOf(entity, field string) (*refIndex, bool) {
	for _, ix := range d.refs[entity] {
		if ix.field == field {
			return ix, true
		}
	}
	return nil, false
}

// referrers answers the Exists conditions of a plan from v.
func referrers(v view) driver.Referrers {
	return func(entity, lookup string, target crm.Ref) ([]driver.Row, error) {
		rows := v.referring(entity, lookup, target)
		out := make([]driver.Row, len(rows))
		for i, r := range rows {
			out[i] = r
		}
		return out, nil
	}
}

func (v committedView) referring(entity, field string, target crm.Ref) []*row {
	return v.d.referring(entity, field, target, nil)
}

// referring returns the committed records of entity whose lookup field
// points at target, leaving out those whose IDs are in skip. It builds
// the field's index if no query has needed it before.
func (d *Driver) referring(entity, field string, target crm.Ref, skip map[crm.ID]*row) []*row {
	d.mu.RLock()
	ix, ok := d.refIndexOf(entity, field)
	if !ok {
		d.mu.RUnlock()
		d.mu.Lock()
		if ix, ok = d.refIndexOf(entity, field); !ok {
			ix = &refIndex{field: field, ids: map[crm.Ref]map[crm.ID]struct{}{}}
			for _, r := range d.records[entity] {
				ix.add(r)
			}
			d.refs[entity] = append(d.refs[entity], ix) // readers walk it under d.mu
		}
		d.mu.Unlock()
		d.mu.RLock()
	}
	defer d.mu.RUnlock()
	ids := ix.ids[target]
	if len(ids) == 0 {
		return nil
	}
	records := d.records[entity]
	out := make([]*row, 0, len(ids))
	for id := range ids {
		if _, changed := skip[id]; !changed {
			out = append(out, records[id])
		}
	}
	return out
}

// referring is the committed children of target that the transaction
// has not changed, and the ones it has written (created, or changed to
// point at target) and not deleted.
func (t *tx) referring(entity, field string, target crm.Ref) []*row {
	changed := t.overlay[entity]
	out := t.d.referring(entity, field, target, changed)
	for _, r := range changed {
		if r == nil {
			continue
		}
		if ref, ok := r.lookup(field); ok && ref == target {
			out = append(out, r)
		}
	}
	return out
}

// Referrers answers from the refs index, with the transaction's pending
// writes laid over it: no scan of the referring entities. It reads every
// relationship's index under one read lock, and copies out only IDs.
func (t *tx) Referrers(ctx context.Context, ref crm.Ref, rels []crm.Relationship) ([][]crm.ID, error) {
	if err := t.usable(ctx); err != nil {
		return nil, err
	}
	d := t.d
	out := make([][]crm.ID, len(rels))
	d.mu.RLock()
	for i, rel := range rels {
		ix, ok := d.refIndexOf(rel.From, rel.Field)
		if !ok {
			// Built under the write lock, the first time a probe
			// needs it.
			d.mu.RUnlock()
			d.referring(rel.From, rel.Field, ref, nil)
			d.mu.RLock()
			ix, _ = d.refIndexOf(rel.From, rel.Field)
		}
		changed := t.overlay[rel.From]
		var ids []crm.ID
		if committed := ix.ids[ref]; len(committed) > 0 {
			ids = make([]crm.ID, 0, len(committed))
			for id := range committed {
				if _, ok := changed[id]; !ok {
					ids = append(ids, id)
				}
			}
		}
		for id, r := range changed {
			if r == nil {
				continue
			}
			if target, ok := r.lookup(rel.Field); ok && target == ref {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			continue
		}
		// In ID order, as the SQL stores return them: a cascade then
		// walks the same records in the same order on every store.
		slices.SortFunc(ids, func(a, b crm.ID) int { return bytes.Compare(a[:], b[:]) })
		out[i] = ids
	}
	d.mu.RUnlock()
	return out, nil
}
