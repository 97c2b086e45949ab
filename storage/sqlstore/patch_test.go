package sqlstore_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/sqlstore"
)

// beginCounter is the Driver, counting the transactions it begins.
type beginCounter struct {
	*sqlstore.Driver
	begins atomic.Int64
}

func (b *beginCounter) Begin(ctx context.Context) (driver.Tx, error) {
	b.begins.Add(1)
	return b.Driver.Begin(ctx)
}

// TestUpdateAlone: an update at a known version that joins no transaction
// and needs no before-image is one statement on its own, no BEGIN or
// COMMIT; when it finds nothing to write, the update begins a
// transaction and fails as ever.
func TestUpdateAlone(t *testing.T) {
	for _, o := range dialects(t) {
		t.Run(o.name, func(t *testing.T) {
			o.raw(t) // skips PostgreSQL without a DSN
			ctx := crm.AsSystem(context.Background())
			reg := testRegistry(t)
			bc := &beginCounter{Driver: o.open(t, reg)}
			s := storage.New(bc, reg)
			rec, err := s.Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": "alone", "employees": 3}})
			require.NoError(t, err)
			bc.begins.Store(0)
			got, err := s.Update(ctx, crm.Record{Entity: "account", Header: crm.Header{ID: rec.ID, Version: 1}, Fields: crm.Fields{"employees": 4}})
			require.NoError(t, err)
			require.Zero(t, bc.begins.Load(), "the update began a transaction")
			require.EqualValues(t, 2, got.Version)
			require.EqualValues(t, 4, got.Fields["employees"])
			require.Equal(t, "alone", got.Fields["name"])
			stored, err := s.Get(ctx, "account", rec.ID)
			require.NoError(t, err)
			require.Equal(t, stored, got)

			_, err = s.Update(ctx, crm.Record{Entity: "account", Header: crm.Header{ID: rec.ID, Version: 1}, Fields: crm.Fields{"employees": 5}})
			require.ErrorIs(t, err, crm.ErrConflict)
			require.EqualValues(t, 1, bc.begins.Load(), "a stale version is told by the general path")
		})
	}
}
