package memory

import (
	"context"
	"fmt"
	"slices"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

var _ driver.Patcher = (*tx)(nil)

// Patch is Update of the fields p changes, when the record passes p's
// checks. Write transactions run one at a time, so checking and writing
// in two steps is as good as one.
func (t *tx) Patch(ctx context.Context, e *crm.Entity, p *driver.Patch) (crm.Record, bool, error) {
	if err := t.usable(ctx); err != nil {
		return crm.Record{}, false, err
	}
	cur, ok := t.lookup(e.Name, p.ID)
	if !ok || cur.Version != p.Version || slices.Contains(p.NotIn, cur.State) {
		return crm.Record{}, false, nil
	}
	for name, v := range p.Expect {
		if !crm.SameValue(cur.Value(name), v) {
			return crm.Record{}, false, nil
		}
	}
	rec := cur.record()
	for k, v := range p.Fields {
		if v == nil {
			delete(rec.Fields, k)
		} else {
			rec.Fields[k] = v
		}
	}
	rec.Version = p.Version + 1
	rec.ModifiedOn, rec.ModifiedBy = p.ModifiedOn, p.ModifiedBy
	if cur.ModifiedOn.After(p.ModifiedOn) {
		rec.ModifiedOn = cur.ModifiedOn // modifiedon never goes back (driver.Patch)
	}
	stored, err := t.d.layoutOf(e).pack(&rec)
	if err != nil {
		return crm.Record{}, false, fmt.Errorf("update %s %s: %w", e.Name, rec.ID, err)
	}
	if err := t.checkKeys(e, stored); err != nil {
		return crm.Record{}, false, fmt.Errorf("update %w", err)
	}
	t.put(e.Name, rec.ID, stored)
	return rec, true, nil
}
