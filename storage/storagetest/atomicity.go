package storagetest

import (
	"context"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/internal/crmtest"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/stretchr/testify/require"
)

func testAtomicity(t *testing.T, open Opener) {
	// everyN runs op with the Nth write failing, for N = 1, 2, ... until op
	// succeeds, and checks after every failure that the store holds
	// exactly what it held before. It returns the number of writes op made.
	everyN := func(t *testing.T, setup func(e *env), op func(e *env) error) int {
		t.Helper()
		for n := 1; ; n++ {
			fd := &crmtest.FailingDriver{}
			e := newEnv(t, open, func(d driver.Driver) driver.Driver { fd.Driver = d; return fd })
			setup(e)
			before := e.dump()
			fd.FailAt(n)
			err := op(e)
			writes := fd.Writes()
			fd.FailAt(0)
			if err == nil {
				require.Equal(t, n-1, writes, "a successful run makes every write before the one that would fail")
				return writes
			}
			require.ErrorIs(t, err, crmtest.ErrInjected, "failing write %d", n)
			require.Equal(t, before, e.dump(), "after failing write %d the store must be exactly as before", n)
			require.Less(t, n, 1000, "the operation never succeeded")
		}
	}

	t.Run("a delete that cascades and removes links is all or nothing at every write", func(t *testing.T) {
		setup := func(e *env) {
			acc := e.createWithID(account, testID(1), crm.Fields{"name": "Doomed"})
			c1 := e.create(contact, crm.Fields{"lastname": "One", "parentcustomerid": acc.Ref()})
			c2 := e.create(contact, crm.Fields{"lastname": "Two", "parentcustomerid": acc.Ref()})
			e.create(contact, crm.Fields{"lastname": "Grandchild", "parentcustomerid": c2.Ref()})
			e.create(task, crm.Fields{"subject": "On account", "regardingobjectid": acc.Ref()})
			e.create(task, crm.Fields{"subject": "On contact", "regardingobjectid": c1.Ref()})
			e.create(account, crm.Fields{"name": "Child account", "parentaccountid": acc.Ref()})
			e.create(account, crm.Fields{"name": "Primary elsewhere", "primarycontactid": c1.ID})
			e.create(account, crm.Fields{"name": "Bystander"})
		}
		writes := everyN(t, setup, func(e *env) error {
			return e.store.Delete(e.ctx, crm.Ref{Entity: account, ID: testID(1)}, storage.AnyVersion)
		})
		// 1 account + 3 contacts + 2 tasks deleted, 2 links removed.
		require.Equal(t, 8, writes)
	})

	t.Run("a CreateMany is all or nothing at every write", func(t *testing.T) {
		setup := func(e *env) { e.create(account, crm.Fields{"name": "Existing"}) }
		writes := everyN(t, setup, func(e *env) error {
			_, err := e.store.CreateMany(e.ctx, []crm.Record{
				{Entity: account, Header: crm.Header{ID: testID(10)}, Fields: crm.Fields{"name": "A"}},
				{Entity: account, Fields: crm.Fields{"name": "B"}},
				{Entity: contact, Header: crm.Header{ID: testID(11)}, Fields: crm.Fields{"lastname": "C", "parentcustomerid": crm.Ref{Entity: account, ID: testID(10)}}},
				{Entity: task, Fields: crm.Fields{"subject": "T", "regardingobjectid": crm.Ref{Entity: contact, ID: testID(11)}}},
				{Entity: account, Fields: crm.Fields{"name": "D"}},
			})
			return err
		})
		require.Equal(t, 4, writes, "one insert per run of records of one entity")
	})

	t.Run("a CreateMany of one entity, hooked after, is all or nothing at every write", func(t *testing.T) {
		// The contacts go in as one write (streamed by an adapter that
		// can: TestConformancePostgresCopy), each followed by its hook's.
		setup := func(e *env) {
			e.createWithID(account, testID(1), crm.Fields{"name": "Existing"})
			require.NoError(t, e.store.Hook(contact, storage.OpCreate, storage.PostOperation, func(ctx context.Context, ev *storage.Event) error {
				_, err := e.store.Create(ctx, crm.Record{Entity: task, Fields: crm.Fields{"subject": "Call", "regardingobjectid": ev.Target.Ref()}})
				return err
			}))
		}
		writes := everyN(t, setup, func(e *env) error {
			recs := make([]crm.Record, 6)
			for i := range recs {
				recs[i] = crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "C", "parentcustomerid": crm.Ref{Entity: account, ID: testID(1)}}}
			}
			_, err := e.store.CreateMany(e.ctx, recs)
			return err
		})
		require.Equal(t, 7, writes, "the contacts' insert, then a task per contact")
	})

	t.Run("a transaction of several operations is all or nothing at every write", func(t *testing.T) {
		setup := func(e *env) {
			e.createWithID(account, testID(1), crm.Fields{"name": "Existing"})
			e.createWithID(task, testID(2), crm.Fields{"subject": "Open"})
		}
		writes := everyN(t, setup, func(e *env) error {
			return e.store.InTx(e.ctx, func(ctx context.Context) error {
				c, err := e.store.Create(ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "New", "parentcustomerid": crm.Ref{Entity: account, ID: testID(1)}}})
				if err != nil {
					return err
				}
				if _, err := e.store.Update(ctx, crm.Record{Entity: account, Header: crm.Header{ID: testID(1)}, Fields: crm.Fields{"primarycontactid": c.ID}}); err != nil {
					return err
				}
				if _, err := e.store.SetState(ctx, crm.Ref{Entity: task, ID: testID(2)}, storage.AnyVersion, "complete", 0); err != nil {
					return err
				}
				_, err = e.store.Assign(ctx, crm.Ref{Entity: task, ID: testID(2)}, storage.AnyVersion, sales)
				return err
			})
		})
		require.Equal(t, 4, writes)
	})
}
