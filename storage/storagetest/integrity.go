package storagetest

import (
	"context"
	"errors"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

// testIntegrity pins what keeps a unit of work whole when callers do
// unusual things: recover panics, reuse an ID across entities, handle a
// restricted delete inside a transaction, or give up on the context.
func testIntegrity(t *testing.T, open Opener) {
	t.Run("a recovered panic in a nested post-operation hook rolls the transaction back", func(t *testing.T) {
		e := newEnv(t, open)
		before := e.dump()
		require.NoError(t, e.store.Hook(contact, storage.OpCreate, storage.PostOperation, func(ctx context.Context, ev *storage.Event) error {
			panic("hook gave up half way")
		}))
		var recovered any
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			func() {
				defer func() { recovered = recover() }()
				_, _ = e.store.Create(ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "Half"}})
			}()
			return nil // the caller pretends nothing happened
		})
		require.Equal(t, "hook gave up half way", recovered)
		require.ErrorIs(t, err, storage.ErrRolledBack)
		require.Equal(t, before, e.dump(), "the record whose hook panicked was committed")
	})

	t.Run("a recovered panic in a pre-operation hook before anything is written leaves the rest of the transaction", func(t *testing.T) {
		e := newEnv(t, open)
		require.NoError(t, e.store.Hook(contact, storage.OpCreate, storage.PreOperation, func(ctx context.Context, ev *storage.Event) error {
			if ev.Target.Fields.String("lastname") == "Panics" {
				panic("no")
			}
			return nil
		}))
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			if _, err := e.store.Create(ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "Kept"}}); err != nil {
				return err
			}
			func() {
				defer func() { _ = recover() }()
				_, _ = e.store.Create(ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "Panics"}})
			}()
			return nil
		})
		require.NoError(t, err, "nothing of the panicking create was written, as with an error")
		require.Equal(t, []string{"Kept"}, names(e.all(crm.Query{Entity: contact}), "lastname"))
	})

	t.Run("a panic that reaches InTx rolls back and goes on up", func(t *testing.T) {
		e := newEnv(t, open)
		e.create(account, crm.Fields{"name": "Kept"})
		require.PanicsWithValue(t, "boom", func() {
			_ = e.store.InTx(e.ctx, func(ctx context.Context) error {
				if _, err := e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "Inside"}}); err != nil {
					return err
				}
				panic("boom")
			})
		})
		require.Equal(t, []string{"Kept"}, names(e.all(crm.Query{Entity: account}), "name"))
	})

	t.Run("an after-commit hook that panics neither reaches the caller nor stops the others", func(t *testing.T) {
		e := newEnv(t, open)
		ran := 0
		require.NoError(t, e.store.Hook(account, storage.OpCreate, storage.AfterCommit, func(ctx context.Context, ev *storage.Event) error {
			panic("after-commit hook crashed")
		}))
		require.NoError(t, e.store.Hook(account, storage.OpCreate, storage.AfterCommit, func(ctx context.Context, ev *storage.Event) error {
			ran++
			return nil
		}))
		var rec crm.Record
		require.NotPanics(t, func() { rec = e.create(account, crm.Fields{"name": "Committed"}) })
		require.Equal(t, 1, ran, "the second after-commit hook ran")
		require.True(t, e.exists(account, rec.ID))
		require.Contains(t, e.log.String(), "after-commit hook crashed")
	})

	t.Run("IDs are unique per entity: Create and CreateMany agree", func(t *testing.T) {
		e := newEnv(t, open)
		k := testID(7)
		e.createWithID(account, k, crm.Fields{"name": "Account K"})
		e.createWithID(contact, k, crm.Fields{"lastname": "Contact K"})
		_, err := e.store.Create(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: k}, Fields: crm.Fields{"name": "Again"}})
		require.ErrorIs(t, err, crm.ErrDuplicate)

		j := testID(8)
		out, err := e.store.CreateMany(e.ctx, []crm.Record{
			{Entity: account, Header: crm.Header{ID: j}, Fields: crm.Fields{"name": "Account J"}},
			{Entity: contact, Header: crm.Header{ID: j}, Fields: crm.Fields{"lastname": "Contact J"}},
		})
		require.NoError(t, err)
		require.Len(t, out, 2)
		_, err = e.store.CreateMany(e.ctx, []crm.Record{
			{Entity: task, Header: crm.Header{ID: testID(9)}, Fields: crm.Fields{"subject": "one"}},
			{Entity: task, Header: crm.Header{ID: testID(9)}, Fields: crm.Fields{"subject": "two"}},
		})
		require.ErrorIs(t, err, crm.ErrDuplicate)
		require.False(t, e.exists(task, testID(9)))
	})

	t.Run("deleting a record touches only the records that point at it, not at another entity's record with its ID", func(t *testing.T) {
		e := newEnv(t, open)
		k := testID(7)
		acc := e.createWithID(account, k, crm.Fields{"name": "Account K"})
		con := e.createWithID(contact, k, crm.Fields{"lastname": "Contact K"})
		ofAccount := e.create(contact, crm.Fields{"lastname": "Child of account K", "parentcustomerid": acc.Ref()})
		ofContact := e.create(contact, crm.Fields{"lastname": "Child of contact K", "parentcustomerid": con.Ref()})
		taskOfContact := e.create(task, crm.Fields{"subject": "About contact K", "regardingobjectid": con.Ref()})

		require.Equal(t, []string{"Child of account K"},
			names(e.all(crm.Query{Entity: contact, Where: crm.Eq("parentcustomerid", acc.Ref())}), "lastname"))
		require.Equal(t, []string{"Child of contact K"},
			names(e.all(crm.Query{Entity: contact, Where: crm.Ne("parentcustomerid", acc.Ref())}), "lastname"))
		require.Equal(t, []string{"Child of account K", "Child of contact K"},
			sorted(names(e.all(crm.Query{Entity: contact, Where: crm.In("parentcustomerid", acc.Ref(), con.Ref())}), "lastname")))

		require.NoError(t, e.store.Delete(e.ctx, acc.Ref(), storage.AnyVersion))
		require.False(t, e.exists(contact, ofAccount.ID), "the account's child was left pointing at nothing")
		require.True(t, e.exists(contact, ofContact.ID), "the contact's child went with the account")
		require.True(t, e.exists(contact, con.ID))
		require.True(t, e.exists(task, taskOfContact.ID))
	})

	t.Run("a lookup condition names an entity the lookup can point at", func(t *testing.T) {
		e := newEnv(t, open)
		_, err := e.store.Query(e.ctx, crm.Query{Entity: contact, Where: crm.Eq("parentcustomerid", crm.Ref{Entity: task, ID: testID(1)})})
		requireInvalid(t, err, "parentcustomerid")
		_, err = e.store.Query(e.ctx, crm.Query{Entity: account, Where: crm.Eq("primarycontactid", crm.Ref{Entity: account, ID: testID(1)})})
		requireInvalid(t, err, "primarycontactid")
	})

	t.Run("a restricted delete writes nothing, so the transaction can go on", func(t *testing.T) {
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "Has orders"})
		// The cascade to the contact would be written before the order's
		// restriction on that contact is met.
		child := e.create(contact, crm.Fields{"lastname": "Child", "parentcustomerid": acc.Ref()})
		e.create(contact, crm.Fields{"lastname": "Grandchild", "parentcustomerid": child.Ref()})
		e.create(task, crm.Fields{"subject": "Call", "regardingobjectid": acc.Ref()})
		e.create(salesorder, crm.Fields{"name": "Order", "customerid": e.create(account, crm.Fields{"name": "Buyer"}).Ref(), "contactid": child.Ref()})

		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			err := e.store.Delete(ctx, acc.Ref(), storage.AnyVersion)
			if !errors.Is(err, crm.ErrRestricted) {
				return err
			}
			_, err = e.store.Update(ctx, crm.Record{Entity: account, Header: crm.Header{ID: acc.ID}, Fields: crm.Fields{"city": "Archived"}})
			return err
		})
		require.NoError(t, err, "handling ErrRestricted inside the transaction")
		require.Equal(t, "Archived", e.get(account, acc.ID).Fields.String("city"))
		require.Equal(t, int64(3), e.count(contact)+e.count(task))
	})

	t.Run("a delete whose cascades reach one record twice deletes it once", func(t *testing.T) {
		// A note belongs to an account and may hang under another note,
		// both cascading: deleting the account lists both notes as its
		// children, and deleting the first removes the second on the way.
		e := newEnvChanged(t, open, func(reg *crm.Registry) {
			require.NoError(t, reg.Register(&crm.Entity{Name: "note", PrimaryName: "title", Fields: []crm.Field{
				{Name: "title", Type: crm.TypeText, MaxLength: 100},
				{Name: "accountid", Type: crm.TypeLookup, Targets: []string{account}, OnDelete: crm.DeleteCascade},
				{Name: "parentnoteid", Type: crm.TypeLookup, Targets: []string{"note"}, OnDelete: crm.DeleteCascade},
			}}))
		})
		acc := e.create(account, crm.Fields{"name": "Root"})
		first := e.create("note", crm.Fields{"title": "First", "accountid": acc.Ref()})
		e.create("note", crm.Fields{"title": "Second", "accountid": acc.Ref(), "parentnoteid": first.Ref()})
		other := e.create("note", crm.Fields{"title": "Elsewhere"})
		require.NoError(t, e.store.Delete(e.ctx, acc.Ref(), storage.AnyVersion))
		require.Equal(t, []string{"Elsewhere"}, names(e.all(crm.Query{Entity: "note"}), "title"))
		require.True(t, e.exists("note", other.ID))
	})

	t.Run("a transaction whose context is cancelled before it returns is not committed", func(t *testing.T) {
		e := newEnv(t, open)
		ctx, cancel := context.WithCancel(e.ctx)
		err := e.store.InTx(ctx, func(ctx context.Context) error {
			if _, err := e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "Abandoned"}}); err != nil {
				return err
			}
			cancel()
			return nil
		})
		require.ErrorIs(t, err, context.Canceled)
		require.Zero(t, e.count(account))
	})
}

// testCancelled pins that a done context fails every call alike, whether
// the store would notice it (SQL) or not (memory).
func testCancelled(t *testing.T, open Opener) {
	e := newEnv(t, open)
	acc := e.create(account, crm.Fields{"name": "Existing"})
	e.create(account, crm.Fields{"name": "Other"})
	before := e.dump()
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	calls := map[string]func() error{
		"get":   func() error { _, err := e.store.Get(ctx, account, acc.ID); return err },
		"lock":  func() error { _, err := e.store.Lock(ctx, account, acc.ID); return err },
		"query": func() error { _, err := e.store.Query(ctx, crm.Query{Entity: account}); return err },
		"count": func() error { _, err := e.store.Count(ctx, crm.Query{Entity: account}); return err },
		"aggregate": func() error {
			_, err := e.store.Aggregate(ctx, crm.Aggregation{Entity: account, Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}})
			return err
		},
		"iterate": func() error {
			for _, err := range e.store.Iterate(ctx, crm.Query{Entity: account}) {
				if err != nil {
					return err
				}
			}
			return nil
		},
		"create": func() error {
			_, err := e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "New"}})
			return err
		},
		"update": func() error {
			_, err := e.store.Update(ctx, crm.Record{Entity: account, Header: crm.Header{ID: acc.ID}, Fields: crm.Fields{"city": "X"}})
			return err
		},
		"delete": func() error { return e.store.Delete(ctx, acc.Ref(), storage.AnyVersion) },
		"assign": func() error { _, err := e.store.Assign(ctx, acc.Ref(), storage.AnyVersion, sales); return err },
	}
	for name, call := range calls {
		require.ErrorIs(t, call(), context.Canceled, name)
	}
	require.Equal(t, before, e.dump())

	t.Run("an iteration stops when its context ends", func(t *testing.T) {
		ctx, cancel := context.WithCancel(e.ctx)
		defer cancel()
		n := 0
		var last error
		for _, err := range e.store.Iterate(ctx, crm.Query{Entity: account}) {
			if err != nil {
				last = err
				break
			}
			n++
			cancel()
		}
		require.Equal(t, 1, n)
		require.ErrorIs(t, last, context.Canceled)
	})
}
