package storage

import "github.com/crmkit/crmkit/crm"

// pendingRecords holds the records a CreateMany call has prepared so far,
// by entity and ID. Most calls create one record: it is kept inline, and
// maps are made only for a second. Most of the rest create records of one
// entity, the entity of the second: those are kept by ID alone, which is
// quicker to hash than a Ref; records of any other entity by Ref.
type pendingRecords struct {
	ref  crm.Ref
	rec  *crm.Record // nil: none yet
	ids  map[crm.ID]*crm.Record
	of   string // the entity of ids
	more map[crm.Ref]*crm.Record
	size int // the records expected, for sizing ids
}

// expect sizes the maps for a call of n records.
func (p *pendingRecords) expect(n int) { p.size = n }

func (p *pendingRecords) get(ref crm.Ref) *crm.Record {
	switch {
	case p.rec != nil && p.ref == ref:
		return p.rec
	case p.ids != nil && ref.Entity == p.of:
		return p.ids[ref.ID]
	}
	return p.more[ref]
}

func (p *pendingRecords) put(ref crm.Ref, rec *crm.Record) {
	switch {
	case p.rec == nil || p.ref == ref:
		p.ref, p.rec = ref, rec
	case p.ids == nil:
		p.ids, p.of = make(map[crm.ID]*crm.Record, max(p.size-1, 1)), ref.Entity
		fallthrough
	case ref.Entity == p.of:
		p.ids[ref.ID] = rec
	default:
		if p.more == nil {
			p.more = map[crm.Ref]*crm.Record{}
		}
		p.more[ref] = rec
	}
}
