package storagetest

import (
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

func testRelationships(t *testing.T, open Opener) {
	t.Run("a delete cascades two levels down and spares the rest", func(t *testing.T) {
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "Parent"})
		other := e.create(account, crm.Fields{"name": "Other"})
		c1 := e.create(contact, crm.Fields{"lastname": "C1", "parentcustomerid": acc.Ref()})
		c2 := e.create(contact, crm.Fields{"lastname": "C2", "parentcustomerid": acc.Ref()})
		keep := e.create(contact, crm.Fields{"lastname": "Keep", "parentcustomerid": other.Ref()})
		t1 := e.create(task, crm.Fields{"subject": "T1", "regardingobjectid": c1.Ref()})
		t2 := e.create(task, crm.Fields{"subject": "T2", "regardingobjectid": acc.Ref()})
		tKeep := e.create(task, crm.Fields{"subject": "Keep", "regardingobjectid": keep.Ref()})
		require.NoError(t, e.store.Delete(e.ctx, acc.Ref(), 1))
		for _, gone := range []crm.Record{acc, c1, c2, t1, t2} {
			require.False(t, e.exists(gone.Entity, gone.ID), "%s %s should be deleted", gone.Entity, gone.Fields)
		}
		for _, kept := range []crm.Record{other, keep, tKeep} {
			require.True(t, e.exists(kept.Entity, kept.ID), "%s %s should be kept", kept.Entity, kept.Fields)
		}
	})

	t.Run("restrict refuses the delete and nothing is deleted", func(t *testing.T) {
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "Customer"})
		e.create(contact, crm.Fields{"lastname": "C", "parentcustomerid": acc.Ref()})
		e.create(salesorder, crm.Fields{"name": "SO-1", "customerid": acc.ID})
		before := e.dump()
		err := e.store.Delete(e.ctx, acc.Ref(), storage.AnyVersion)
		require.ErrorIs(t, err, crm.ErrRestricted)
		require.Equal(t, before, e.dump())
	})

	t.Run("restrict deep in the cascade tree refuses the whole delete", func(t *testing.T) {
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "Top"})
		buyer := e.create(account, crm.Fields{"name": "Buyer"})
		c1 := e.create(contact, crm.Fields{"lastname": "C1", "parentcustomerid": acc.Ref()})
		c2 := e.create(contact, crm.Fields{"lastname": "C2", "parentcustomerid": c1.Ref()})
		e.create(task, crm.Fields{"subject": "T", "regardingobjectid": c1.Ref()})
		e.create(account, crm.Fields{"name": "Child", "parentaccountid": acc.Ref()})
		// Two levels below the account, an order refers to c2.
		e.create(salesorder, crm.Fields{"name": "SO-1", "customerid": buyer.ID, "contactid": c2.ID})
		before := e.dump()
		err := e.store.Delete(e.ctx, acc.Ref(), storage.AnyVersion)
		require.ErrorIs(t, err, crm.ErrRestricted)
		require.Equal(t, before, e.dump(), "nothing deleted, no link removed")
	})

	t.Run("remove link clears the lookup and bumps the version", func(t *testing.T) {
		e := newEnv(t, open)
		parent := e.create(account, crm.Fields{"name": "Parent"})
		c := e.create(contact, crm.Fields{"lastname": "Primary"})
		child := e.create(account, crm.Fields{"name": "Child", "parentaccountid": parent.Ref(), "primarycontactid": c.ID})
		e.clock.Advance(time.Hour)
		require.NoError(t, e.store.Delete(crm.WithCaller(e.ctx, bob), parent.Ref(), storage.AnyVersion))
		got := e.get(account, child.ID)
		require.Nil(t, got.Fields["parentaccountid"])
		require.Equal(t, c.Ref(), got.Fields.Ref("primarycontactid"), "other lookups are kept")
		require.EqualValues(t, 2, got.Version)
		require.True(t, now.Add(time.Hour).Equal(got.ModifiedOn))
		require.Equal(t, bob, got.ModifiedBy)

		require.NoError(t, e.store.Delete(e.ctx, c.Ref(), storage.AnyVersion))
		got = e.get(account, child.ID)
		require.Nil(t, got.Fields["primarycontactid"])
		require.EqualValues(t, 3, got.Version)
		requireFields(t, crm.Fields{"name": "Child"}, got.Fields)
	})

	t.Run("a polymorphic lookup cascades from each of its targets", func(t *testing.T) {
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "A"})
		c1 := e.create(contact, crm.Fields{"lastname": "Parent contact"})
		c2 := e.create(contact, crm.Fields{"lastname": "Child of contact", "parentcustomerid": c1.Ref()})
		c3 := e.create(contact, crm.Fields{"lastname": "Child of account", "parentcustomerid": acc.Ref()})
		tAcc := e.create(task, crm.Fields{"subject": "On account", "regardingobjectid": acc.Ref()})
		tCon := e.create(task, crm.Fields{"subject": "On c3", "regardingobjectid": c3.Ref()})
		require.NoError(t, e.store.Delete(e.ctx, c1.Ref(), storage.AnyVersion))
		require.False(t, e.exists(contact, c2.ID))
		require.True(t, e.exists(contact, c3.ID), "a contact under an account is not under a contact")
		require.True(t, e.exists(task, tAcc.ID))
		require.NoError(t, e.store.Delete(e.ctx, acc.Ref(), storage.AnyVersion))
		require.False(t, e.exists(contact, c3.ID))
		require.False(t, e.exists(task, tAcc.ID))
		require.False(t, e.exists(task, tCon.ID))
	})

	t.Run("a hierarchy refuses cycles", func(t *testing.T) {
		e := newEnv(t, open)
		a := e.create(account, crm.Fields{"name": "A"})
		b := e.create(account, crm.Fields{"name": "B", "parentaccountid": a.Ref()})
		c := e.create(account, crm.Fields{"name": "C", "parentaccountid": b.Ref()})
		before := e.dump()
		requireInvalid(t, update(e, a, crm.Fields{"parentaccountid": b.Ref()}), "parentaccountid")
		requireInvalid(t, update(e, a, crm.Fields{"parentaccountid": c.Ref()}), "parentaccountid")
		requireInvalid(t, update(e, a, crm.Fields{"parentaccountid": a.Ref()}), "parentaccountid")
		_, err := e.store.Create(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: testID(5)},
			Fields: crm.Fields{"name": "Self", "parentaccountid": crm.Ref{Entity: account, ID: testID(5)}}})
		requireInvalid(t, err, "parentaccountid")
		require.Equal(t, before, e.dump())
		// Moving a branch elsewhere in the tree is fine.
		d := e.create(account, crm.Fields{"name": "D"})
		require.NoError(t, update(e, e.get(account, c.ID), crm.Fields{"parentaccountid": d.Ref()}))
		require.NoError(t, update(e, a, crm.Fields{"parentaccountid": c.Ref()}))
	})

	t.Run("a lookup cannot point at a record deleted in the same transaction", func(t *testing.T) {
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "Gone"})
		err := e.store.Delete(e.ctx, acc.Ref(), storage.AnyVersion)
		require.NoError(t, err)
		_, err = e.store.Create(e.ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "Orphan", "parentcustomerid": acc.Ref()}})
		requireInvalid(t, err, "parentcustomerid")
	})
}
