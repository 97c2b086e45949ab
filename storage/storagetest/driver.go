package storagetest

import (
	"context"
	"slices"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/stretchr/testify/require"
)

// testDriver checks the parts of the Driver contract that the Store's own
// checks hide: the Store locks and compares versions before it writes, so
// only a direct call shows that the adapter refuses a stale write itself,
// as it must when two processes share one database.
func testDriver(t *testing.T, open Opener) {
	ctx := context.Background()
	// setup stores one account, version 1, and returns the driver.
	setup := func(t *testing.T) (driver.Driver, *crm.Entity, crm.Record) {
		t.Helper()
		reg := Schema()
		d := open(t, reg)
		ent, err := reg.Entity(account)
		require.NoError(t, err)
		rec := crm.Record{Entity: account, Header: crm.Header{ID: testID(1), Version: 1, Owner: crm.SystemUser,
			CreatedOn: now, ModifiedOn: now}, Fields: crm.Fields{"name": "Direct"}}
		tx := begin(t, d)
		require.NoError(t, tx.Insert(ctx, ent, []crm.Record{rec}))
		require.NoError(t, tx.Commit())
		require.NoError(t, tx.Rollback(), "rollback after commit is safe")
		return d, ent, rec
	}

	t.Run("insert of an existing ID is ErrDuplicate", func(t *testing.T) {
		d, ent, rec := setup(t)
		tx := begin(t, d)
		require.ErrorIs(t, tx.Insert(ctx, ent, []crm.Record{rec}), crm.ErrDuplicate)
	})

	t.Run("update and delete with a stale version are ErrConflict", func(t *testing.T) {
		d, ent, rec := setup(t)
		tx := begin(t, d)
		next := rec.Clone()
		next.Version = 3
		require.ErrorIs(t, tx.Update(ctx, ent, next, 2), crm.ErrConflict)
		require.ErrorIs(t, tx.Delete(ctx, ent, rec.ID, 2), crm.ErrConflict)
		next.Version = 2
		require.NoError(t, tx.Update(ctx, ent, next, 1))
		require.ErrorIs(t, tx.Delete(ctx, ent, rec.ID, 1), crm.ErrConflict, "the version moved on inside the transaction")
		require.NoError(t, tx.Delete(ctx, ent, rec.ID, 2))
	})

	t.Run("update, delete and lock of a missing record are ErrNotFound", func(t *testing.T) {
		d, ent, rec := setup(t)
		tx := begin(t, d)
		missing := rec.Clone()
		missing.ID, missing.Version = testID(2), 2
		require.ErrorIs(t, tx.Update(ctx, ent, missing, 1), crm.ErrNotFound)
		require.ErrorIs(t, tx.Delete(ctx, ent, testID(2), 1), crm.ErrNotFound)
		_, err := tx.Lock(ctx, ent, testID(2))
		require.ErrorIs(t, err, crm.ErrNotFound)
		got, err := tx.Lock(ctx, ent, rec.ID)
		require.NoError(t, err)
		require.Equal(t, "Direct", got.Fields.String("name"))
	})

	t.Run("the driver copies records in and out", func(t *testing.T) {
		d, ent, rec := setup(t)
		tx := begin(t, d)
		other := rec.Clone()
		other.ID = testID(2)
		require.NoError(t, tx.Insert(ctx, ent, []crm.Record{other}))
		other.Fields["name"] = "changed after insert"
		next := rec.Clone()
		next.Version, next.Fields = 2, crm.Fields{"name": "Updated"}
		require.NoError(t, tx.Update(ctx, ent, next, 1))
		next.Fields["name"] = "changed after update"
		got, err := tx.Get(ctx, ent, testID(2))
		require.NoError(t, err)
		got.Fields["name"] = "changed after get"
		require.NoError(t, tx.Commit())
		for id, want := range map[crm.ID]string{testID(1): "Updated", testID(2): "Direct"} {
			got, err := d.Get(ctx, ent, id)
			require.NoError(t, err)
			require.Equal(t, want, got.Fields.String("name"))
			got.Fields["name"] = "changed after commit"
			got, err = d.Get(ctx, ent, id)
			require.NoError(t, err)
			require.Equal(t, want, got.Fields.String("name"))
		}
	})

	t.Run("a rolled back transaction leaves no trace", func(t *testing.T) {
		d, ent, rec := setup(t)
		tx := begin(t, d)
		next := rec.Clone()
		next.Version, next.Fields = 2, crm.Fields{"name": "Changed"}
		require.NoError(t, tx.Update(ctx, ent, next, 1))
		other := rec.Clone()
		other.ID = testID(2)
		require.NoError(t, tx.Insert(ctx, ent, []crm.Record{other}))
		require.NoError(t, tx.Rollback())
		require.NoError(t, tx.Rollback(), "a second rollback is harmless")
		got, err := d.Get(ctx, ent, rec.ID)
		require.NoError(t, err)
		require.EqualValues(t, 1, got.Version)
		require.Equal(t, "Direct", got.Fields.String("name"))
		_, err = d.Get(ctx, ent, testID(2))
		require.ErrorIs(t, err, crm.ErrNotFound)
	})

	t.Run("a delete unless referred to deletes only what nothing points at, and says who does", func(t *testing.T) {
		d, ent, rec := setup(t)
		tx := begin(t, d)
		_, ok := tx.(driver.UnreferencedDeleter)
		require.NoError(t, tx.Rollback()) // SQLite has one writer
		if !ok {
			t.Skip("the adapter has no driver.UnreferencedDeleter")
		}
		reg := Schema()
		rels := reg.ReferencedBy(account)
		tasks, err := reg.Entity(task)
		require.NoError(t, err)
		// A task regarding the account: a polymorphic lookup, matched by
		// entity and ID.
		tx = begin(t, d)
		child := crm.Record{Entity: task, Header: crm.Header{ID: testID(3), Version: 1, Owner: crm.SystemUser,
			CreatedOn: now, ModifiedOn: now}, Fields: crm.Fields{"subject": "Call", "regardingobjectid": rec.Ref()}}
		require.NoError(t, tx.Insert(ctx, tasks, []crm.Record{child}))
		require.NoError(t, tx.Commit())

		tx = begin(t, d)
		ud := tx.(driver.UnreferencedDeleter)
		deleted, found, err := ud.DeleteUnreferenced(ctx, ent, rec.ID, rec.Version, rels)
		require.NoError(t, err)
		require.False(t, deleted, "a task points at it")
		want, err := tx.Referrers(ctx, rec.Ref(), rels)
		require.NoError(t, err)
		require.Equal(t, want, found, "what Referrers says")
		require.Contains(t, slices.Concat(found...), child.ID)
		require.NoError(t, tx.Delete(ctx, tasks, child.ID, 1))
		deleted, _, err = ud.DeleteUnreferenced(ctx, ent, rec.ID, rec.Version, rels)
		require.NoError(t, err)
		require.True(t, deleted, "nothing points at it any more")
		other := rec.Clone()
		other.ID = testID(4)
		require.NoError(t, tx.Insert(ctx, ent, []crm.Record{other}))
		deleted, found, err = ud.DeleteUnreferenced(ctx, ent, other.ID, other.Version, nil)
		require.NoError(t, err)
		require.True(t, deleted, "no relationship: nothing can point at it")
		require.Empty(t, found)
		require.NoError(t, tx.Commit())
		_, err = d.Get(ctx, ent, other.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = d.Get(ctx, ent, rec.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
	})
}

// begin starts a transaction that the test rolls back when it ends.
func begin(t *testing.T, d driver.Driver) driver.Tx {
	t.Helper()
	tx, err := d.Begin(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { _ = tx.Rollback() })
	return tx
}
