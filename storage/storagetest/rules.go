package storagetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

// creditHoldRule refuses a contact whose parent customer is an account on
// credit hold: a rule that reads another record, as domain rules do.
func creditHoldRule(runs *atomic.Int64) crm.Rule {
	return crm.Rule{
		Name:   "no new contacts for an account on credit hold",
		Fields: []string{"parentcustomerid"},
		Check: func(ctx context.Context, w crm.Write) error {
			runs.Add(1)
			parent := w.Target.Fields.Ref("parentcustomerid")
			if parent.Entity != account {
				return nil
			}
			acc, err := w.Records.Lock(ctx, account, parent.ID)
			if errors.Is(err, crm.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			if acc.Fields.Bool("creditonhold") {
				return crm.Invalid(contact, "parentcustomerid", "is an account on credit hold")
			}
			return nil
		},
	}
}

func testRules(t *testing.T, open Opener) {
	var runs atomic.Int64
	withRule := func(reg *crm.Registry) {
		require.NoError(t, reg.AddRules(contact, creditHoldRule(&runs)))
	}

	t.Run("a rule refuses a create, a bulk create and an update, naming the field", func(t *testing.T) {
		e := newEnvChanged(t, open, withRule)
		held := e.create(account, crm.Fields{"name": "Held", "creditonhold": true})
		free := e.create(account, crm.Fields{"name": "Free"})
		c := e.create(contact, crm.Fields{"lastname": "Free", "parentcustomerid": free.Ref()})
		before := e.dump()

		_, err := e.store.Create(e.ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "X", "parentcustomerid": held.Ref()}})
		requireInvalid(t, err, "parentcustomerid")
		_, err = e.store.CreateMany(e.ctx, []crm.Record{
			{Entity: contact, Fields: crm.Fields{"lastname": "Fine", "parentcustomerid": free.Ref()}},
			{Entity: contact, Fields: crm.Fields{"lastname": "X", "parentcustomerid": held.Ref()}},
		})
		requireInvalid(t, err, "parentcustomerid")
		_, err = e.store.Update(e.ctx, crm.Record{Entity: contact, Header: crm.Header{ID: c.ID}, Fields: crm.Fields{"parentcustomerid": held.Ref()}})
		requireInvalid(t, err, "parentcustomerid")
		require.Equal(t, before, e.dump(), "a refused write changes nothing")
	})

	t.Run("a rule inside a transaction refuses before writing, so the transaction may go on", func(t *testing.T) {
		e := newEnvChanged(t, open, withRule)
		held := e.create(account, crm.Fields{"name": "Held", "creditonhold": true})
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			_, err := e.store.Create(ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "X", "parentcustomerid": held.Ref()}})
			requireInvalid(t, err, "parentcustomerid")
			_, err = e.store.Create(ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "Y"}})
			return err
		})
		require.NoError(t, err)
		require.EqualValues(t, 1, e.count(contact))
	})

	t.Run("a rule checks what the pre-operation hooks leave", func(t *testing.T) {
		e := newEnvChanged(t, open, withRule)
		held := e.create(account, crm.Fields{"name": "Held", "creditonhold": true})
		require.NoError(t, e.store.Hook(contact, storage.OpCreate, storage.PreOperation, func(_ context.Context, ev *storage.Event) error {
			ev.Target.Fields["parentcustomerid"] = held.Ref()
			return nil
		}))
		_, err := e.store.Create(e.ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "X"}})
		requireInvalid(t, err, "parentcustomerid")
		require.Zero(t, e.count(contact))
	})

	t.Run("a rule with fields runs only when one of them is set or changes", func(t *testing.T) {
		e := newEnvChanged(t, open, withRule)
		acc := e.create(account, crm.Fields{"name": "Later held"})
		c := e.create(contact, crm.Fields{"lastname": "Kept", "parentcustomerid": acc.Ref()})
		_, err := e.store.Update(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: acc.ID}, Fields: crm.Fields{"creditonhold": true}})
		require.NoError(t, err)
		n := runs.Load()
		_, err = e.store.Update(e.ctx, crm.Record{Entity: contact, Header: crm.Header{ID: c.ID}, Fields: crm.Fields{"city": "Oslo"}})
		require.NoError(t, err, "the parent customer did not change: the rule does not run")
		_, err = e.store.Create(e.ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "Orphan"}})
		require.NoError(t, err)
		require.Equal(t, n, runs.Load())
	})

	t.Run("what a rule read stays true until the write commits", func(t *testing.T) {
		e := newEnvChanged(t, open, withRule)
		acc := e.create(account, crm.Fields{"name": "Open"})
		read := make(chan struct{})
		var order []string
		var mu sync.Mutex
		note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
		done := make(chan error, 1)
		go func() {
			<-read
			_, err := e.store.Update(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: acc.ID}, Fields: crm.Fields{"creditonhold": true}})
			note("hold")
			done <- err
		}()
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			if _, err := e.store.Create(ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "First", "parentcustomerid": acc.Ref()}}); err != nil {
				return err
			}
			close(read)
			time.Sleep(50 * time.Millisecond) // the hold must wait for this transaction
			note("contact")
			return nil
		})
		require.NoError(t, err)
		require.NoError(t, <-done)
		require.Equal(t, []string{"contact", "hold"}, order)
	})

	t.Run("two writers cannot close a hierarchy loop between them", func(t *testing.T) {
		// a points at p, whose root x another writer points at y, which
		// points at a: each write alone is no loop. The walk up the
		// hierarchy locks every ancestor, so the second writer waits for
		// the first and sees its write.
		e := newEnv(t, open)
		a := e.create(account, crm.Fields{"name": "A"})
		x := e.create(account, crm.Fields{"name": "X"})
		p := e.create(account, crm.Fields{"name": "P", "parentaccountid": x.Ref()})
		y := e.create(account, crm.Fields{"name": "Y", "parentaccountid": a.Ref()})
		walked := make(chan struct{})
		second := make(chan error, 1)
		go func() {
			<-walked
			_, err := e.store.Update(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: x.ID}, Fields: crm.Fields{"parentaccountid": y.Ref()}})
			second <- err
		}()
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			if _, err := e.store.Update(ctx, crm.Record{Entity: account, Header: crm.Header{ID: a.ID}, Fields: crm.Fields{"parentaccountid": p.Ref()}}); err != nil {
				return err
			}
			close(walked)
			time.Sleep(50 * time.Millisecond) // the second writer must wait for this one
			return nil
		})
		require.NoError(t, err)
		requireInvalid(t, <-second, "parentaccountid")
	})

	t.Run("a rule must name a declared field and have a check", func(t *testing.T) {
		reg := Schema()
		require.Error(t, reg.AddRules(contact, crm.Rule{Name: "bad", Fields: []string{"nosuchfield"}, Check: func(context.Context, crm.Write) error { return nil }}))
		require.Error(t, reg.AddRules(contact, crm.Rule{Name: "no check"}))
		require.ErrorIs(t, reg.AddRules("nosuchentity", crm.Rule{Name: "x", Check: func(context.Context, crm.Write) error { return nil }}), crm.ErrNotFound)
	})
}
