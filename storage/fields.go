package storage

import (
	"context"
	"fmt"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// AddFields adds fields to a registered entity of a running store, such as
// a host's custom fields on contact. The fields are checked as
// crm.Registry.AddFields checks them (a lookup's targets must be
// registered). When the driver has a schema (it implements FieldAdder, as
// sqlstore's Driver does), it migrates first: its table gains the
// columns, in a transaction of its own, while other goroutines keep
// writing. Then the registry publishes the extended entity: the writes
// that start after AddFields returns can set the new fields; those that
// started before keep the entity as they found it. Nothing changes if any
// step fails.
//
// Like every write, it needs a context that names who acts: without one
// it fails with crm.ErrNoCaller having changed nothing.
func (s *Store) AddFields(ctx context.Context, entity string, fields ...crm.Field) error {
	if _, ok := crm.CallerFrom(ctx); !ok {
		return fmt.Errorf("add fields to %q: %w", entity, crm.ErrNoCaller)
	}
	// An added lookup may restrict deletes of its targets: the registry's
	// generation moves, and with it what the store derived (mayRestrict).
	return s.reg.ExtendEntity(entity, fields, func(e *crm.Entity) error {
		if fa, ok := s.driver.(driver.FieldAdder); ok {
			return fa.AddFields(ctx, e)
		}
		return nil
	})
}
