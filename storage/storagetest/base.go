package storagetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

// The base-entity schema: act is a base entity (Dynamics' activitypointer)
// that call and memo extend; actparty refers to act records, as an
// activity party does. regardingobjectid starts with account as its only
// target; the tests add contact.
const (
	act      = "act"
	call     = "call"
	memo     = "memo"
	actparty = "actparty"
)

func baseSchema(reg *crm.Registry) {
	regarding := func() crm.Field {
		return crm.Field{Name: "regardingobjectid", Type: crm.TypeLookup, Targets: []string{account},
			Polymorphic: true, OnDelete: crm.DeleteCascade}
	}
	subject := func(n int) crm.Field {
		return crm.Field{Name: "subject", Type: crm.TypeText, MaxLength: n, Required: true}
	}
	lc := taskEntity().Lifecycle
	err := reg.Register(
		&crm.Entity{Name: act, PrimaryName: "subject", TypeField: "acttype", Fields: []crm.Field{
			subject(200), regarding(),
			{Name: "acttype", Type: crm.TypeText, MaxLength: 50},
			{Name: "scheduledend", Type: crm.TypeTime},
		}},
		&crm.Entity{Name: call, PrimaryName: "subject", Base: act, Lifecycle: lc, Fields: []crm.Field{
			subject(200), regarding(),
			{Name: "scheduledend", Type: crm.TypeTime},
			{Name: "phonenumber", Type: crm.TypeText, MaxLength: 50},
		}},
		&crm.Entity{Name: memo, PrimaryName: "subject", Base: act, Fields: []crm.Field{
			subject(100), regarding(),
			{Name: "scheduledend", Type: crm.TypeTime},
			{Name: "body", Type: crm.TypeText, MaxLength: 2000},
		}},
		&crm.Entity{Name: actparty, Fields: []crm.Field{
			{Name: "activityid", Type: crm.TypeLookup, Targets: []string{act}, Required: true, OnDelete: crm.DeleteCascade},
			{Name: "partyid", Type: crm.TypeLookup, Targets: []string{contact}, OnDelete: crm.DeleteCascade},
		}},
	)
	if err != nil {
		panic("storagetest: base schema: " + err.Error())
	}
}

func testBase(t *testing.T, open Opener) {
	t.Run("WritesMirrorIntoTheBase", func(t *testing.T) {
		e := newEnvChanged(t, open, baseSchema)
		acme := e.create(account, crm.Fields{"name": "Acme"})
		regarding := crm.Ref{Entity: account, ID: acme.ID}
		c := e.create(call, crm.Fields{"subject": "Call Acme", "regardingobjectid": regarding,
			"phonenumber": "555", "scheduledend": utc(2026, 3, 20, 9, 0)})
		m := e.create(memo, crm.Fields{"subject": "Note on Acme", "regardingobjectid": regarding})

		b := e.get(act, c.ID)
		require.Equal(t, c.Header, b.Header, "the base record has the header of the record it mirrors")
		require.Equal(t, crm.Fields{"subject": "Call Acme", "regardingobjectid": regarding, "acttype": call,
			"scheduledend": utc(2026, 3, 20, 9, 0)}, b.Fields)
		require.Equal(t, memo, e.get(act, m.ID).Fields["acttype"])

		// One query of the base reads both types.
		page, err := e.store.Query(e.ctx, crm.Query{Entity: act, Where: crm.Eq("regardingobjectid", regarding),
			OrderBy: []crm.Order{{Field: "subject"}}})
		require.NoError(t, err)
		require.Equal(t, []string{"Call Acme", "Note on Acme"}, names(page.Records, "subject"))

		// Update, state change and assignment follow.
		c.Fields["subject"] = "Call Acme back"
		c, err = e.store.Update(e.ctx, c)
		require.NoError(t, err)
		require.Equal(t, "Call Acme back", e.get(act, c.ID).Fields["subject"])
		c, err = e.store.SetState(e.ctx, crm.Ref{Entity: call, ID: c.ID}, c.Version, "complete", 0)
		require.NoError(t, err)
		c, err = e.store.Assign(e.ctx, crm.Ref{Entity: call, ID: c.ID}, c.Version, crm.Ref{Entity: crm.UserEntity, ID: bob})
		require.NoError(t, err)
		b = e.get(act, c.ID)
		require.Equal(t, c.Header, b.Header)
		require.Equal(t, taskCompleted, b.State)
		n, err := e.store.Count(e.ctx, crm.Query{Entity: act, Where: crm.Eq(crm.FieldState, int(taskCompleted))})
		require.NoError(t, err)
		require.EqualValues(t, 1, n, "the base is queried by the state of the records it mirrors")

		// A cleared field is cleared in the base too.
		m.Fields["regardingobjectid"] = nil
		m, err = e.store.Update(e.ctx, m)
		require.NoError(t, err)
		require.NotContains(t, e.get(act, m.ID).Fields, "regardingobjectid")
	})

	t.Run("DeletesFollowAndCascade", func(t *testing.T) {
		e := newEnvChanged(t, open, baseSchema)
		acme := e.create(account, crm.Fields{"name": "Acme"})
		ada := e.create(contact, crm.Fields{"lastname": "Lovelace"})
		regarding := crm.Ref{Entity: account, ID: acme.ID}
		c := e.create(call, crm.Fields{"subject": "Call", "regardingobjectid": regarding})
		m := e.create(memo, crm.Fields{"subject": "Memo", "regardingobjectid": regarding})
		p := e.create(actparty, crm.Fields{"activityid": crm.Ref{Entity: act, ID: c.ID}, "partyid": crm.Ref{Entity: contact, ID: ada.ID}})
		p2 := e.create(actparty, crm.Fields{"activityid": crm.Ref{Entity: act, ID: m.ID}, "partyid": crm.Ref{Entity: contact, ID: ada.ID}})

		require.NoError(t, e.store.Delete(e.ctx, crm.Ref{Entity: call, ID: c.ID}, c.Version))
		require.False(t, e.exists(act, c.ID), "the base record goes with the record it mirrors")
		require.False(t, e.exists(actparty, p.ID), "what refers to the base record goes by its delete behaviour")
		require.True(t, e.exists(memo, m.ID))

		// Deleting the regarding record cascades through the extensions'
		// lookups, and from them to their base records and parties.
		require.NoError(t, e.store.Delete(e.ctx, crm.Ref{Entity: account, ID: acme.ID}, storage.AnyVersion))
		for _, r := range []crm.Ref{{Entity: memo, ID: m.ID}, {Entity: act, ID: m.ID}, {Entity: actparty, ID: p2.ID}} {
			require.False(t, e.exists(r.Entity, r.ID), "%s survived its regarding record", r.Entity)
		}
		require.True(t, e.exists(contact, ada.ID))
	})

	t.Run("BaseIsWrittenOnlyThroughItsExtensions", func(t *testing.T) {
		e := newEnvChanged(t, open, baseSchema)
		c := e.create(call, crm.Fields{"subject": "Call"})
		b := e.get(act, c.ID)

		_, err := e.store.Create(e.ctx, crm.Record{Entity: act, Fields: crm.Fields{"subject": "x", "acttype": call}})
		requireInvalid(t, err, "entity")
		b.Fields["subject"] = "changed behind the call's back"
		_, err = e.store.Update(e.ctx, b)
		requireInvalid(t, err, "entity")
		_, err = e.store.Assign(e.ctx, crm.Ref{Entity: act, ID: c.ID}, storage.AnyVersion, crm.Ref{Entity: crm.UserEntity, ID: bob})
		requireInvalid(t, err, "entity")
		requireInvalid(t, e.store.Delete(e.ctx, crm.Ref{Entity: act, ID: c.ID}, storage.AnyVersion), "entity")
		_, err = e.store.Import(e.ctx, []crm.Record{{Entity: act, Fields: crm.Fields{"subject": "x"}}}, storage.ImportOptions{})
		require.ErrorIs(t, err, crm.ErrValidation)
		require.Error(t, e.store.Hook(act, storage.OpCreate, storage.PreOperation, func(context.Context, *storage.Event) error { return nil }))

		require.Equal(t, "Call", e.get(act, c.ID).Fields["subject"], "nothing changed")
		require.True(t, e.exists(call, c.ID))
	})

	t.Run("AddTargets", func(t *testing.T) {
		e := newEnvChanged(t, open, baseSchema)
		ada := e.create(contact, crm.Fields{"lastname": "Lovelace"})
		toAda := crm.Ref{Entity: contact, ID: ada.ID}
		_, err := e.store.Create(e.ctx, crm.Record{Entity: memo, Fields: crm.Fields{"subject": "x", "regardingobjectid": toAda}})
		requireInvalid(t, err, "regardingobjectid")

		require.Error(t, e.reg.AddTargets(memo, "regardingobjectid", contact), "the field is the base's")
		require.NoError(t, e.reg.AddTargets(act, "regardingobjectid", contact))
		for _, name := range []string{act, call, memo} {
			ent, err := e.reg.Entity(name)
			require.NoError(t, err)
			f, _ := ent.Field("regardingobjectid")
			require.Equal(t, []string{account, contact}, f.Targets, name)
		}
		m := e.create(memo, crm.Fields{"subject": "About Ada", "regardingobjectid": toAda})
		c := e.create(call, crm.Fields{"subject": "Call Ada", "regardingobjectid": toAda})
		n, err := e.store.Count(e.ctx, crm.Query{Entity: act, Where: crm.Eq("regardingobjectid", toAda)})
		require.NoError(t, err)
		require.EqualValues(t, 2, n)

		// The new relationship cascades like the declared one.
		require.NoError(t, e.store.Delete(e.ctx, toAda, storage.AnyVersion))
		for _, id := range []crm.ID{m.ID, c.ID} {
			require.False(t, e.exists(act, id))
		}
	})

	t.Run("ImportMirrors", func(t *testing.T) {
		e := newEnvChanged(t, open, baseSchema)
		created := time.Date(2019, 5, 1, 8, 0, 0, 0, time.UTC)
		out, err := e.store.Import(e.ctx, []crm.Record{{Entity: call, Header: crm.Header{CreatedOn: created, State: taskCompleted},
			Fields: crm.Fields{"subject": "Old call"}}}, storage.ImportOptions{})
		require.NoError(t, err)
		b := e.get(act, out[0].Record.ID)
		require.Equal(t, out[0].Record.Header, b.Header)
		require.Equal(t, created, b.CreatedOn)
	})

	t.Run("FailedWriteLeavesNoBaseRecord", func(t *testing.T) {
		e := newEnvChanged(t, open, baseSchema)
		boom := errors.New("boom")
		require.NoError(t, e.store.Hook(call, storage.OpCreate, storage.PostOperation, func(context.Context, *storage.Event) error { return boom }))
		_, err := e.store.Create(e.ctx, crm.Record{Entity: call, Fields: crm.Fields{"subject": "Call"}})
		require.ErrorIs(t, err, boom)
		n, err := e.store.Count(e.ctx, crm.Query{Entity: act})
		require.NoError(t, err)
		require.Zero(t, n)
	})
}
