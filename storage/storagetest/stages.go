package storagetest

import (
	"context"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

func testStages(t *testing.T, open Opener) {
	t.Run("pre-validation hooks run outside the transaction and their error changes nothing", func(t *testing.T) {
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "Acme"})
		tk := e.create(task, crm.Fields{"subject": "Call"})
		var inTx []bool
		var later int
		refuse := func(_ context.Context, ev *storage.Event) error {
			inTx = append(inTx, ev.InTransaction)
			require.Nil(t, ev.Before, "nothing is read before pre-validation")
			return errBoom
		}
		count := func(context.Context, *storage.Event) error { later++; return nil }
		for _, ent := range []string{account, task} {
			for _, op := range []storage.Op{storage.OpCreate, storage.OpUpdate, storage.OpSetState, storage.OpAssign, storage.OpDelete} {
				require.NoError(t, e.store.Hook(ent, op, storage.PreValidation, refuse))
				require.NoError(t, e.store.Hook(ent, op, storage.PreOperation, count))
				require.NoError(t, e.store.Hook(ent, op, storage.PostOperation, count))
			}
		}
		before := e.dump()
		_, err := e.store.Create(e.ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "New"}})
		require.ErrorIs(t, err, errBoom)
		_, err = e.store.CreateMany(e.ctx, []crm.Record{{Entity: account, Fields: crm.Fields{"name": "New"}}})
		require.ErrorIs(t, err, errBoom)
		_, err = e.store.Update(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: acc.ID}, Fields: crm.Fields{"city": "Oslo"}})
		require.ErrorIs(t, err, errBoom)
		_, err = e.store.ChangeState(e.ctx, tk.Ref(), storage.StateChange{Event: "complete", Fields: crm.Fields{"durationminutes": 5}})
		require.ErrorIs(t, err, errBoom)
		_, err = e.store.Assign(e.ctx, acc.Ref(), storage.AnyVersion, sales)
		require.ErrorIs(t, err, errBoom)
		require.ErrorIs(t, e.store.Delete(e.ctx, acc.Ref(), storage.AnyVersion), errBoom)
		require.Equal(t, []bool{false, false, false, false, false, false}, inTx)
		require.Zero(t, later, "no later stage ran")
		require.Equal(t, before, e.dump())

		t.Run("inside a transaction they run in it", func(t *testing.T) {
			inTx = nil
			err := e.store.InTx(e.ctx, func(ctx context.Context) error {
				_, err := e.store.Update(ctx, crm.Record{Entity: account, Header: crm.Header{ID: acc.ID}, Fields: crm.Fields{"city": "Oslo"}})
				return err
			})
			require.ErrorIs(t, err, errBoom)
			require.Equal(t, []bool{true}, inTx)
		})
	})

	t.Run("pre-validation hooks may change the request before it is validated", func(t *testing.T) {
		e := newEnv(t, open)
		require.NoError(t, e.store.Hook(account, storage.OpCreate, storage.PreValidation, func(_ context.Context, ev *storage.Event) error {
			if ev.Target.Fields["name"] == nil {
				ev.Target.Fields["name"] = "Named by a hook"
			}
			return nil
		}))
		require.NoError(t, e.store.Hook(account, storage.OpUpdate, storage.PreValidation, func(_ context.Context, ev *storage.Event) error {
			if city, ok := ev.Target.Fields["city"].(string); ok {
				ev.Target.Fields["city"] = city + " (checked)"
			}
			return nil
		}))
		fields := crm.Fields{"city": "Oslo"}
		got, err := e.store.Create(e.ctx, crm.Record{Entity: account, Fields: fields})
		require.NoError(t, err, "the hook supplied the required name")
		require.Equal(t, "Named by a hook", got.Fields.String("name"))
		require.Equal(t, crm.Fields{"city": "Oslo"}, fields, "the caller's fields are the caller's")
		got, err = e.store.Update(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: got.ID}, Fields: crm.Fields{"city": "Bergen"}})
		require.NoError(t, err)
		require.Equal(t, "Bergen (checked)", e.get(account, got.ID).Fields.String("city"))
		_, err = e.store.Update(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: got.ID},
			Fields: crm.Fields{"city": "A city whose name is long enough to be too long"}})
		requireInvalid(t, err, "city")
	})

	t.Run("filtering attributes skip update hooks whose fields did not change", func(t *testing.T) {
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "Acme", "city": "Oslo"})
		runs := map[storage.Stage]int{}
		for _, stage := range []storage.Stage{storage.PreValidation, storage.PreOperation, storage.PostOperation, storage.AfterCommit} {
			require.NoError(t, e.store.HookFields(account, storage.OpUpdate, stage, []string{"city", "creditlimit"}, func(context.Context, *storage.Event) error {
				runs[stage]++
				return nil
			}))
		}
		update := func(fields crm.Fields) {
			t.Helper()
			_, err := e.store.Update(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: acc.ID}, Fields: fields})
			require.NoError(t, err)
		}
		update(crm.Fields{"name": "Acme Ltd"})
		require.Empty(t, runs, "only the name changed")
		update(crm.Fields{"city": "Bergen"})
		require.Equal(t, map[storage.Stage]int{storage.PreValidation: 1, storage.PreOperation: 1, storage.PostOperation: 1, storage.AfterCommit: 1}, runs)
		update(crm.Fields{"city": "Bergen", "name": "Acme"})
		require.Equal(t, 2, runs[storage.PreValidation], "the request carries city")
		require.Equal(t, 1, runs[storage.PostOperation], "but it did not change")
		update(crm.Fields{"creditlimit": money("10.00 EUR")})
		require.Equal(t, 2, runs[storage.PostOperation])
	})

	t.Run("filtering attributes apply to state changes with field changes", func(t *testing.T) {
		e := newEnv(t, open)
		runs := 0
		require.NoError(t, e.store.HookFields(task, storage.OpSetState, storage.PostOperation, []string{"durationminutes"}, func(context.Context, *storage.Event) error {
			runs++
			return nil
		}))
		t1 := e.create(task, crm.Fields{"subject": "One"})
		t2 := e.create(task, crm.Fields{"subject": "Two"})
		_, err := e.store.SetState(e.ctx, t1.Ref(), storage.AnyVersion, "complete", 0)
		require.NoError(t, err)
		require.Zero(t, runs)
		_, err = e.store.ChangeState(e.ctx, t2.Ref(), storage.StateChange{Event: "complete", Fields: crm.Fields{"durationminutes": 15}})
		require.NoError(t, err)
		require.Equal(t, 1, runs)
	})

	t.Run("filtering attributes must be declared fields of an update or a state change", func(t *testing.T) {
		e := newEnv(t, open)
		nop := func(context.Context, *storage.Event) error { return nil }
		require.Error(t, e.store.HookFields(account, storage.OpUpdate, storage.PostOperation, []string{"nosuchfield"}, nop))
		require.Error(t, e.store.HookFields(account, storage.OpUpdate, storage.PostOperation, []string{crm.FieldOwner}, nop))
		require.Error(t, e.store.HookFields(account, storage.OpCreate, storage.PostOperation, []string{"city"}, nop))
		require.Error(t, e.store.HookFields(account, storage.OpUpdate, storage.PostOperation, []string{"city"}, nil))
	})
}
