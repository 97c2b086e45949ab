package storage

import "github.com/crmkit/crmkit/crm"

// pendingRecords holds the records a CreateMany call has prepared so far,
// by entity and ID. Most calls create one record: it is kept inline, and
// a map is made only for a second.
type pendingRecords struct {
	ref  crm.Ref
	rec  *crm.Record // nil: none yet
	more map[crm.Ref]*crm.Record
}

func (p *pendingRecords) get(ref crm.Ref) *crm.Record {
	if p.rec != nil && p.ref == ref {
		return p.rec
	}
	return p.more[ref]
}

func (p *pendingRecords) put(ref crm.Ref, rec *crm.Record) {
	switch {
	case p.rec == nil || p.ref == ref:
		p.ref, p.rec = ref, rec
	default:
		if p.more == nil {
			p.more = map[crm.Ref]*crm.Record{}
		}
		p.more[ref] = rec
	}
}
