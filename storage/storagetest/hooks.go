package storagetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

func testHooks(t *testing.T, open Opener) {
	t.Run("a post-operation failure after a nested create leaves nothing", func(t *testing.T) {
		e := newEnv(t, open)
		e.create(account, crm.Fields{"name": "Existing"})
		before := e.dump()
		var taskID crm.ID
		require.NoError(t, e.store.Hook(contact, storage.OpCreate, storage.PostOperation, func(ctx context.Context, ev *storage.Event) error {
			tk, err := e.store.Create(ctx, crm.Record{Entity: task, Fields: crm.Fields{"subject": "Welcome call", "regardingobjectid": ev.Target.Ref()}})
			if err != nil {
				return err
			}
			taskID = tk.ID
			return errBoom
		}))
		_, err := e.store.Create(e.ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "Lee"}})
		require.ErrorIs(t, err, errBoom)
		require.NotEqual(t, crm.NilID, taskID, "the hook ran and created its task")
		require.False(t, e.exists(task, taskID))
		require.Zero(t, e.count(contact))
		require.Zero(t, e.count(task))
		require.Equal(t, before, e.dump())
	})

	t.Run("a CreateMany whose last pre-operation hook fails creates nothing", func(t *testing.T) {
		e := newEnv(t, open)
		require.NoError(t, e.store.Hook(contact, storage.OpCreate, storage.PreOperation, func(ctx context.Context, ev *storage.Event) error {
			if ev.Target.Fields.String("lastname") == "Last" {
				return errBoom
			}
			return nil
		}))
		const n = 20
		recs := make([]crm.Record, n)
		for i := range recs {
			recs[i] = crm.Record{Entity: contact, Fields: crm.Fields{"lastname": fmt.Sprintf("Contact %02d", i)}}
		}
		recs[n-1].Fields["lastname"] = "Last"
		_, err := e.store.CreateMany(e.ctx, recs)
		require.ErrorIs(t, err, errBoom)
		require.Zero(t, e.count(contact))
	})

	t.Run("a CreateMany whose last post-operation hook fails creates nothing", func(t *testing.T) {
		e := newEnv(t, open)
		require.NoError(t, e.store.Hook(contact, storage.OpCreate, storage.PostOperation, func(ctx context.Context, ev *storage.Event) error {
			if ev.Target.Fields.String("lastname") == "Last" {
				return errBoom
			}
			return nil
		}))
		recs := []crm.Record{
			{Entity: account, Fields: crm.Fields{"name": "A"}},
			{Entity: contact, Fields: crm.Fields{"lastname": "First"}},
			{Entity: contact, Fields: crm.Fields{"lastname": "Last"}},
		}
		_, err := e.store.CreateMany(e.ctx, recs)
		require.ErrorIs(t, err, errBoom)
		require.Zero(t, e.count(contact))
		require.Zero(t, e.count(account))
	})

	t.Run("a pre-operation hook's change to a field is stored", func(t *testing.T) {
		e := newEnv(t, open)
		require.NoError(t, e.store.Hook(account, storage.OpCreate, storage.PreOperation, func(ctx context.Context, ev *storage.Event) error {
			ev.Target.Fields["accountnumber"] = "AUTO-1"
			return nil
		}))
		require.NoError(t, e.store.Hook(contact, storage.OpUpdate, storage.PreOperation, func(ctx context.Context, ev *storage.Event) error {
			ev.Target.Fields["emailaddress1"] = ev.Target.Fields.String("lastname") + "@example.com"
			return nil
		}))
		a := e.create(account, crm.Fields{"name": "Numbered"})
		require.Equal(t, "AUTO-1", a.Fields.String("accountnumber"))
		require.Equal(t, "AUTO-1", e.get(account, a.ID).Fields.String("accountnumber"))
		c := e.create(contact, crm.Fields{"firstname": "Ann", "lastname": "lee"})
		require.NoError(t, update(e, c, crm.Fields{"lastname": "Lee"}))
		got := e.get(contact, c.ID)
		require.Equal(t, "Lee@example.com", got.Fields.String("emailaddress1"))
		require.Equal(t, "Ann Lee", got.Fields.String("fullname"))
		require.EqualValues(t, 2, got.Version, "the hook's change is part of the one write")
	})

	t.Run("a pre-operation hook's invalid change is refused", func(t *testing.T) {
		e := newEnv(t, open)
		require.NoError(t, e.store.Hook(account, storage.OpCreate, storage.PreOperation, func(ctx context.Context, ev *storage.Event) error {
			ev.Target.Fields["category"] = int32(99)
			return nil
		}))
		_, err := e.store.Create(e.ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "X"}})
		requireInvalid(t, err, "category")
		require.Zero(t, e.count(account))
	})

	t.Run("after-commit hooks run only after the commit, and never on rollback", func(t *testing.T) {
		e := newEnv(t, open)
		var mu sync.Mutex
		var ran []string
		require.NoError(t, e.store.Hook(contact, storage.OpCreate, storage.AfterCommit, func(ctx context.Context, ev *storage.Event) error {
			// The hook runs outside the transaction: the record is committed.
			_, err := e.store.Get(ctx, contact, ev.Target.ID)
			mu.Lock()
			defer mu.Unlock()
			ran = append(ran, fmt.Sprintf("%s committed=%v", ev.Target.Fields.String("lastname"), err == nil))
			return nil
		}))
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			if _, err := e.store.Create(ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "Kept"}}); err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			require.Empty(t, ran, "not before the commit")
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, []string{"Kept committed=true"}, ran)

		err = e.store.InTx(e.ctx, func(ctx context.Context) error {
			if _, err := e.store.Create(ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "Lost"}}); err != nil {
				return err
			}
			return errBoom
		})
		require.ErrorIs(t, err, errBoom)
		require.Equal(t, []string{"Kept committed=true"}, ran, "not after a rollback")
	})

	t.Run("an after-commit hook's error does not undo the commit", func(t *testing.T) {
		e := newEnv(t, open)
		require.NoError(t, e.store.Hook(contact, storage.OpCreate, storage.AfterCommit, func(ctx context.Context, ev *storage.Event) error {
			return errBoom
		}))
		c, err := e.store.Create(e.ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "Kept"}})
		require.NoError(t, err)
		require.True(t, e.exists(contact, c.ID))
		require.Contains(t, e.log.String(), "boom", "the hook's error goes to the store's logger")
	})

	t.Run("hooks that trigger themselves stop with ErrTooDeep and roll back", func(t *testing.T) {
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "Loop", "numberofemployees": 0})
		before := e.dump()
		var depths []int
		require.NoError(t, e.store.Hook(account, storage.OpUpdate, storage.PostOperation, func(ctx context.Context, ev *storage.Event) error {
			depths = append(depths, ev.Depth)
			_, err := e.store.Update(ctx, crm.Record{Entity: account, Header: crm.Header{ID: ev.Target.ID},
				Fields: crm.Fields{"numberofemployees": ev.Target.Fields.Int("numberofemployees") + 1}})
			return err
		}))
		err := update(e, acc, crm.Fields{"numberofemployees": 1})
		require.ErrorIs(t, err, storage.ErrTooDeep)
		require.Equal(t, []int{1, 2, 3, 4, 5, 6, 7, 8}, depths, "depths 1 to MaxDepth ran; depth 9 was refused")
		require.Equal(t, before, e.dump())
	})

	t.Run("delete hooks see the record and can refuse the delete", func(t *testing.T) {
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "Protected"})
		var seen []string
		require.NoError(t, e.store.Hook(account, storage.OpDelete, storage.PreOperation, func(ctx context.Context, ev *storage.Event) error {
			seen = append(seen, ev.Target.Fields.String("name"))
			return errBoom
		}))
		require.ErrorIs(t, e.store.Delete(e.ctx, acc.Ref(), storage.AnyVersion), errBoom)
		require.Equal(t, []string{"Protected"}, seen)
		require.True(t, e.exists(account, acc.ID))
	})

	t.Run("cascaded deletes raise their own delete events", func(t *testing.T) {
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "Parent"})
		c := e.create(contact, crm.Fields{"lastname": "Child", "parentcustomerid": acc.Ref()})
		var deleted []string
		require.NoError(t, e.store.Hook(contact, storage.OpDelete, storage.PostOperation, func(ctx context.Context, ev *storage.Event) error {
			deleted = append(deleted, ev.Target.ID.String())
			return nil
		}))
		require.NoError(t, e.store.Delete(e.ctx, acc.Ref(), storage.AnyVersion))
		require.Equal(t, []string{c.ID.String()}, deleted)
	})

	t.Run("hooks of unknown entities, ops or stages are refused", func(t *testing.T) {
		e := newEnv(t, open)
		noop := func(context.Context, *storage.Event) error { return nil }
		require.ErrorIs(t, e.store.Hook("nosuchentity", storage.OpCreate, storage.PreOperation, noop), crm.ErrNotFound)
		require.Error(t, e.store.Hook(account, storage.Op(99), storage.PreOperation, noop))
		require.Error(t, e.store.Hook(account, storage.OpCreate, storage.Stage(99), noop))
	})
}
