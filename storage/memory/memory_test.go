package memory_test

import (
	"context"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/memory"
	"github.com/crmkit/crmkit/storage/storagetest"
	"github.com/stretchr/testify/require"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, reg *crm.Registry) storage.Driver {
		return memory.New()
	})
}

func TestWriteTransactionsTakeTurns(t *testing.T) {
	ctx := context.Background()
	d := memory.New()
	first, err := d.Begin(ctx)
	require.NoError(t, err)

	t.Run("a second writer waits and gives up when its context ends", func(t *testing.T) {
		canceled, cancel := context.WithCancel(ctx)
		cancel()
		_, err := d.Begin(canceled)
		require.ErrorIs(t, err, context.Canceled)
	})

	t.Run("reads do not wait for the writer", func(t *testing.T) {
		reg := storagetest.Schema()
		e, err := reg.Entity("account")
		require.NoError(t, err)
		_, err = d.Get(ctx, e, crm.NewID())
		require.ErrorIs(t, err, crm.ErrNotFound)
	})

	t.Run("the next writer starts once the first ends", func(t *testing.T) {
		require.NoError(t, first.Rollback())
		second, err := d.Begin(ctx)
		require.NoError(t, err)
		require.NoError(t, second.Commit())
		require.Error(t, second.Commit(), "a transaction commits once")
		require.NoError(t, second.Rollback(), "rollback after commit is harmless")
	})
}

func TestOpenServesTheRegistry(t *testing.T) {
	reg := storagetest.Schema()
	store := memory.Open(reg)
	require.Same(t, reg, store.Registry())
	rec, err := store.Create(context.Background(), crm.Record{Entity: "account", Fields: crm.Fields{"name": "Contoso"}})
	require.NoError(t, err)
	got, err := store.Get(context.Background(), "account", rec.ID)
	require.NoError(t, err)
	require.Equal(t, rec, got)
}
