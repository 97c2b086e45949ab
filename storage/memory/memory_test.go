package memory_test

import (
	"context"
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/memory"
	"github.com/crmkit/crmkit/storage/storagetest"
	"github.com/stretchr/testify/require"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, reg *crm.Registry) driver.Driver {
		return memory.New()
	})
}

func TestWriteTransactionsTakeTurns(t *testing.T) {
	ctx := crm.AsSystem(context.Background())
	d := memory.New()
	first, err := d.Begin(ctx)
	require.NoError(t, err)

	t.Run("a second writer waits and gives up when its context ends", func(t *testing.T) {
		canceled, cancel := context.WithCancel(ctx)
		cancel()
		_, err := d.Begin(canceled)
		require.ErrorIs(t, err, context.Canceled)

		start := time.Now()
		short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		defer cancel()
		_, err = d.Begin(short)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond, "it waited for the first writer until its deadline")
	})

	t.Run("reads do not wait for the writer", func(t *testing.T) {
		reg := storagetest.Schema()
		e, err := reg.Entity("account")
		require.NoError(t, err)
		_, err = d.Get(ctx, e, crm.NewID())
		require.ErrorIs(t, err, crm.ErrNotFound)
	})

	t.Run("the second writer proceeds only once the first ends", func(t *testing.T) {
		began := make(chan driver.Tx, 1)
		go func() {
			tx, err := d.Begin(ctx)
			if err != nil {
				close(began)
				return
			}
			began <- tx
		}()
		select {
		case <-began:
			require.Fail(t, "the second Begin returned while the first transaction held the writer's lock")
		case <-time.After(100 * time.Millisecond):
		}
		require.NoError(t, first.Rollback())
		var second driver.Tx
		select {
		case tx, ok := <-began:
			require.True(t, ok, "the second Begin failed")
			second = tx
		case <-time.After(10 * time.Second):
			require.Fail(t, "the second Begin still waits after the first transaction ended")
		}
		require.NoError(t, second.Commit())
		require.Error(t, second.Commit(), "a transaction commits once")
		require.NoError(t, second.Rollback(), "rollback after commit is harmless")

		third, err := d.Begin(ctx)
		require.NoError(t, err, "a commit releases the lock too")
		require.NoError(t, third.Rollback())
	})
}

func TestOpenServesTheRegistry(t *testing.T) {
	reg := storagetest.Schema()
	store := memory.Open(reg)
	require.Same(t, reg, store.Registry())
	rec, err := store.Create(crm.AsSystem(context.Background()), crm.Record{Entity: "account", Fields: crm.Fields{"name": "Contoso"}})
	require.NoError(t, err)
	got, err := store.Get(context.Background(), "account", rec.ID)
	require.NoError(t, err)
	require.Equal(t, rec, got)
}
