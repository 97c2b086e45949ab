package storagetest

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
)

// testCounts pins counts with no condition, which stores may answer
// without planning or reading a record (a cached plan, a size kept per
// entity): they follow every commit, never a rollback, see a
// transaction's own writes and follow the registry as it grows.
func testCounts(t *testing.T, open Opener) {
	t.Run("a count of everything follows commits, rollbacks and the transaction's own writes", func(t *testing.T) {
		e := newEnv(t, open)
		require.Zero(t, e.count(task), "an entity never written")
		a := e.create(task, crm.Fields{"subject": "A"})
		e.create(task, crm.Fields{"subject": "B"})
		require.EqualValues(t, 2, e.count(task))

		rollback := errors.New("roll back")
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			_, err := e.store.Create(ctx, crm.Record{Entity: task, Fields: crm.Fields{"subject": "C"}})
			require.NoError(t, err)
			require.NoError(t, e.store.Delete(ctx, a.Ref(), a.Version))
			_, err = e.store.Create(ctx, crm.Record{Entity: task, Fields: crm.Fields{"subject": "D"}})
			require.NoError(t, err)
			n, err := e.store.Count(ctx, crm.Query{Entity: task})
			require.NoError(t, err)
			require.EqualValues(t, 3, n, "the transaction counts its own writes")
			return rollback
		})
		require.ErrorIs(t, err, rollback)
		require.EqualValues(t, 2, e.count(task), "a rollback changes no count")

		require.NoError(t, e.store.Delete(e.ctx, a.Ref(), a.Version))
		require.EqualValues(t, 1, e.count(task))
	})

	t.Run("a count of everything follows the registry as it grows", func(t *testing.T) {
		e := newEnv(t, open)
		e.create(contact, crm.Fields{"lastname": "Before"})
		require.EqualValues(t, 1, e.count(contact))
		require.NoError(t, e.store.AddFields(e.ctx, contact, crm.Field{Name: "nickname", Type: crm.TypeText, MaxLength: 50}))
		e.create(contact, crm.Fields{"lastname": "After", "nickname": "Al"})
		require.EqualValues(t, 2, e.count(contact))
		n, err := e.store.Count(e.ctx, crm.Query{Entity: contact, Where: crm.Eq("nickname", "Al")})
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
	})

	t.Run("a count of an unknown entity fails as a query does", func(t *testing.T) {
		e := newEnv(t, open)
		for range 2 { // the second from whatever the first left behind
			_, err := e.store.Count(e.ctx, crm.Query{Entity: "nosuchentity"})
			require.ErrorIs(t, err, crm.ErrNotFound)
		}
	})
}
