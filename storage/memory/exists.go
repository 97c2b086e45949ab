package memory

import (
	"bytes"
	"context"
	"slices"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// refIndex holds, for each record a lookup points at, the IDs of the
// records whose lookup points at it: the children an Exists condition
// reads, found without a scan of the child entity.
type refIndex map[crm.Ref]map[crm.ID]struct{}

func (ix refIndex) add(r *crm.Record, field string) {
	if r == nil {
		return
	}
	if ref, ok := r.Fields[field].(crm.Ref); ok {
		ids := ix[ref]
		if ids == nil {
			ids = map[crm.ID]struct{}{}
			ix[ref] = ids
		}
		ids[r.ID] = struct{}{}
	}
}

func (ix refIndex) remove(r *crm.Record, field string) {
	if r == nil {
		return
	}
	if ref, ok := r.Fields[field].(crm.Ref); ok {
		delete(ix[ref], r.ID)
		if len(ix[ref]) == 0 {
			delete(ix, ref)
		}
	}
}

// referrers answers the Exists conditions of a plan from v.
func referrers(v view) driver.Referrers {
	return func(entity, lookup string, target crm.Ref) ([]*crm.Record, error) {
		return v.referring(entity, lookup, target), nil
	}
}

func (v committedView) referring(entity, field string, target crm.Ref) []*crm.Record {
	return v.d.referring(entity, field, target, nil)
}

// referring returns the committed records of entity whose lookup field
// points at target, leaving out those whose IDs are in skip. It builds
// the field's index if no query has needed it before.
func (d *Driver) referring(entity, field string, target crm.Ref, skip map[crm.ID]*crm.Record) []*crm.Record {
	d.mu.RLock()
	ix, ok := d.refs[entity][field]
	if !ok {
		d.mu.RUnlock()
		d.mu.Lock()
		if ix, ok = d.refs[entity][field]; !ok {
			ix = refIndex{}
			for _, r := range d.records[entity] {
				ix.add(r, field)
			}
			if d.refs[entity] == nil {
				d.refs[entity] = map[string]refIndex{}
			}
			d.refs[entity][field] = ix
		}
		d.mu.Unlock()
		d.mu.RLock()
	}
	defer d.mu.RUnlock()
	ids := ix[target]
	if len(ids) == 0 {
		return nil
	}
	records := d.records[entity]
	out := make([]*crm.Record, 0, len(ids))
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
func (t *tx) referring(entity, field string, target crm.Ref) []*crm.Record {
	changed := t.overlay[entity]
	out := t.d.referring(entity, field, target, changed)
	for _, r := range changed {
		if r == nil {
			continue
		}
		if ref, ok := r.Fields[field].(crm.Ref); ok && ref == target {
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
		ix, ok := d.refs[rel.From][rel.Field]
		if !ok {
			// Built under the write lock, the first time a probe
			// needs it.
			d.mu.RUnlock()
			d.referring(rel.From, rel.Field, ref, nil)
			d.mu.RLock()
			ix = d.refs[rel.From][rel.Field]
		}
		changed := t.overlay[rel.From]
		var ids []crm.ID
		if committed := ix[ref]; len(committed) > 0 {
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
			if target, ok := r.Fields[rel.Field].(crm.Ref); ok && target == ref {
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
