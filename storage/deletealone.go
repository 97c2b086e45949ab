package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// deleteAlone is Delete in one statement on its own (no BEGIN and COMMIT
// either), for a delete that joins no transaction, on a Driver that can
// (driver.AloneDeleter), when it needs nothing else: no relationship
// points at the entity (so nothing can point at the record), it extends
// no base (whose record goes with it), nobody watches it go (no delete
// hook or rule, no named operation: cascade.quiet) and the version is
// given. It reports false, having deleted nothing, when the delete needs
// the general path: that path then says what is wrong (not found, a
// stale version) with the same errors as ever, as patchAlone leaves it
// to for an update. A transaction the database aborts for retry takes
// the general path too, which retries.
func (s *Store) deleteAlone(ctx context.Context, ref crm.Ref, version int64) (bool, error) {
	d, ok := s.driver.(driver.AloneDeleter)
	if !ok || version == AnyVersion || s.txFrom(ctx) != nil || ctx.Err() != nil {
		return false, nil
	}
	if _, ok := crm.CallerFrom(ctx); !ok {
		return false, nil // the general path refuses it
	}
	cl := callOf(ctx)
	if cl.depth+1 > MaxDepth {
		return false, nil
	}
	e, err := s.entity(ref.Entity)
	if err != nil || writable(e) != nil || e.Base != "" || len(s.deletion(e.Name).rels) > 0 {
		return false, nil
	}
	if !(&cascade{store: s, call: cl}).quiet(e) {
		return false, nil
	}
	done, err := d.DeleteAlone(ctx, e, ref.ID, version)
	if errors.Is(err, ErrRetry) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("delete %s %s: %w", ref.Entity, ref.ID, err)
	}
	return done, nil
}
