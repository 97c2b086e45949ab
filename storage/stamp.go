package storage

import (
	"time"

	"github.com/crmkit/crmkit/crm"
)

// stamp sets the time fields the transition of event stamps
// (crm.Transition.Stamps) on target to now, the transaction's time, but
// not those the state change gives a value itself (given, a nil value
// included: clearing one is a value too) nor, for an IfEmpty stamp, those
// the record holds already. A state change through any door (a typed
// service, Table.SetState, Store.SetState or ChangeState) stamps alike.
func stamp(e *crm.Entity, event string, given crm.Fields, target *crm.Record, now time.Time) {
	t, ok := e.Lifecycle.Transition(event)
	if !ok {
		return
	}
	for _, s := range t.Stamps {
		if _, set := given[s.Field]; set {
			continue
		}
		if s.IfEmpty && target.Fields[s.Field] != nil {
			continue
		}
		f, ok := e.Field(s.Field)
		if !ok {
			continue // Register checked the stamps: not reached
		}
		if v, reason := f.Coerce(now); reason == "" {
			target.Fields[s.Field] = v
		}
	}
}
