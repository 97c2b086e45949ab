package storagetest

import (
	"context"
	"sync"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

// testDeletes pins what a delete finds when it asks who points at a record
// (driver.Tx.Referrers), at the edges the relationship tests leave open.
func testDeletes(t *testing.T, open Opener) {
	// memo is an entity whose records may point at themselves and at
	// each other (remove link), and hang under an account (cascade).
	withMemo := func(reg *crm.Registry) {
		require.NoError(t, reg.Register(&crm.Entity{Name: "memo", PrimaryName: "title", Fields: []crm.Field{
			{Name: "title", Type: crm.TypeText, MaxLength: 100},
			{Name: "seeid", Type: crm.TypeLookup, Targets: []string{"memo"}},
			{Name: "accountid", Type: crm.TypeLookup, Targets: []string{account}, OnDelete: crm.DeleteCascade},
		}}))
	}

	t.Run("referrers created earlier in the same transaction are found", func(t *testing.T) {
		e := newEnv(t, open)
		var acc, linked crm.Record
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			var err error
			if acc, err = e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "Brief"}}); err != nil {
				return err
			}
			c, err := e.store.Create(ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "Under", "parentcustomerid": acc.Ref()}})
			if err != nil {
				return err
			}
			if _, err = e.store.Create(ctx, crm.Record{Entity: task, Fields: crm.Fields{"subject": "On it", "regardingobjectid": c.Ref()}}); err != nil {
				return err
			}
			if linked, err = e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "Linked", "parentaccountid": acc.Ref()}}); err != nil {
				return err
			}
			return e.store.Delete(ctx, acc.Ref(), 1)
		})
		require.NoError(t, err)
		require.False(t, e.exists(account, acc.ID))
		require.Zero(t, e.count(contact), "the contact created in the transaction was cascaded to")
		require.Zero(t, e.count(task), "and its task")
		got := e.get(account, linked.ID)
		require.Nil(t, got.Fields["parentaccountid"], "the link made in the transaction is removed")
		require.EqualValues(t, 2, got.Version)
	})

	t.Run("a record that points at itself is deleted with its own link in place", func(t *testing.T) {
		e := newEnvChanged(t, open, withMemo)
		self := e.create("memo", crm.Fields{"title": "Self"})
		require.NoError(t, update(e, self, crm.Fields{"seeid": self.Ref()}))
		other := e.create("memo", crm.Fields{"title": "Other", "seeid": self.Ref()})
		require.NoError(t, e.store.Delete(e.ctx, self.Ref(), 2))
		require.False(t, e.exists("memo", self.ID))
		got := e.get("memo", other.ID)
		require.Nil(t, got.Fields["seeid"])
		require.EqualValues(t, 2, got.Version)

		// Reached by a cascade, at whatever version it is.
		acc := e.create(account, crm.Fields{"name": "Holder"})
		loop := e.create("memo", crm.Fields{"title": "Loop", "accountid": acc.Ref()})
		require.NoError(t, update(e, loop, crm.Fields{"seeid": loop.Ref()}))
		require.NoError(t, e.store.Delete(e.ctx, acc.Ref(), 1))
		require.False(t, e.exists("memo", loop.ID))
	})

	t.Run("a record its cascade updates is deleted at the version it reached", func(t *testing.T) {
		// A hook on the contact's delete updates the account being
		// deleted: the account's delete must see the new version.
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "Parent"})
		e.create(contact, crm.Fields{"lastname": "Child", "parentcustomerid": acc.Ref()})
		require.NoError(t, e.store.Hook(contact, storage.OpDelete, storage.PostOperation, func(ctx context.Context, ev *storage.Event) error {
			parent := ev.Before.Fields.Ref("parentcustomerid")
			if parent.Entity != account {
				return nil
			}
			cur, err := e.store.Get(ctx, account, parent.ID)
			if err != nil {
				return err
			}
			_, err = e.store.Update(ctx, crm.Record{Entity: account, Header: crm.Header{ID: cur.ID, Version: cur.Version},
				Fields: crm.Fields{"name": "Touched"}})
			return err
		}))
		var seen crm.Record
		require.NoError(t, e.store.Hook(account, storage.OpDelete, storage.PostOperation, func(_ context.Context, ev *storage.Event) error {
			seen = ev.Target.Clone()
			return nil
		}))
		require.NoError(t, e.store.Delete(e.ctx, acc.Ref(), 1), "version 1 was current when the delete began")
		require.False(t, e.exists(account, acc.ID))
		require.Zero(t, e.count(contact))
		require.EqualValues(t, 2, seen.Version, "the event's target is the record as deleted")
		require.Equal(t, "Touched", seen.Fields.String("name"))
	})

	t.Run("a delete on its own of a record nothing can point at", func(t *testing.T) {
		// Tasks are no lookup's target and nobody watches them go: an
		// adapter may delete one in a statement of its own
		// (driver.AloneDeleter), which must fail as a transaction does.
		e := newEnv(t, open)
		tk := e.create(task, crm.Fields{"subject": "Once"})
		require.ErrorIs(t, e.store.Delete(e.ctx, tk.Ref(), 5), crm.ErrConflict)
		require.ErrorIs(t, e.store.Delete(e.ctx, crm.Ref{Entity: task, ID: testID(99)}, 1), crm.ErrNotFound)
		require.True(t, e.exists(task, tk.ID))

		const deleters = 20
		errs := make([]error, deleters)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range deleters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = e.store.Delete(e.ctx, tk.Ref(), tk.Version)
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for i, err := range errs {
			if err == nil {
				won++
				continue
			}
			require.ErrorIs(t, err, crm.ErrNotFound, "deleter %d", i)
		}
		require.Equal(t, 1, won, "exactly one delete removes the record")
		require.False(t, e.exists(task, tk.ID))

		// A hook on the delete sees the next one: the record goes
		// through the write path.
		var seen []crm.ID
		require.NoError(t, e.store.Hook(task, storage.OpDelete, storage.PostOperation, func(_ context.Context, ev *storage.Event) error {
			seen = append(seen, ev.Target.ID)
			return nil
		}))
		watched := e.create(task, crm.Fields{"subject": "Watched"})
		require.NoError(t, e.store.Delete(e.ctx, watched.Ref(), watched.Version))
		require.Equal(t, []crm.ID{watched.ID}, seen)
	})

	t.Run("a stale or missing delete writes nothing, so the transaction can go on", func(t *testing.T) {
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "Kept"})
		tk := e.create(task, crm.Fields{"subject": "Kept"})
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			for _, ref := range []crm.Ref{acc.Ref(), tk.Ref()} {
				require.ErrorIs(t, e.store.Delete(ctx, ref, 5), crm.ErrConflict, "%s", ref.Entity)
				require.ErrorIs(t, e.store.Delete(ctx, crm.Ref{Entity: ref.Entity, ID: testID(99)}, 1), crm.ErrNotFound, "%s", ref.Entity)
			}
			_, err := e.store.Create(ctx, crm.Record{Entity: task, Fields: crm.Fields{"subject": "After"}})
			return err
		})
		require.NoError(t, err)
		require.True(t, e.exists(account, acc.ID))
		require.True(t, e.exists(task, tk.ID))
		require.EqualValues(t, 2, e.count(task))
	})

	t.Run("a restriction added at run time holds for the next delete", func(t *testing.T) {
		// Nothing points at tasks until a lookup that restricts is added:
		// what a store derived from the registry about deleting tasks
		// must follow it.
		e := newEnv(t, open)
		pointed := e.create(task, crm.Fields{"subject": "Pointed at"})
		free := e.create(task, crm.Fields{"subject": "Free"})
		require.NoError(t, e.store.Delete(e.ctx, e.create(task, crm.Fields{"subject": "Before"}).Ref(), 1))
		require.NoError(t, e.store.AddFields(e.ctx, contact,
			crm.Field{Name: "followuptaskid", Type: crm.TypeLookup, Targets: []string{task}, OnDelete: crm.DeleteRestrict}))
		e.create(contact, crm.Fields{"lastname": "Follows up", "followuptaskid": pointed.Ref()})
		before := e.dump()
		require.ErrorIs(t, e.store.Delete(e.ctx, pointed.Ref(), pointed.Version), crm.ErrRestricted)
		require.Equal(t, before, e.dump())
		require.NoError(t, e.store.Delete(e.ctx, free.Ref(), free.Version))
		require.False(t, e.exists(task, free.ID))
	})
}
