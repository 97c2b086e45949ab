package storagetest

import (
	"context"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

func testStateChanges(t *testing.T, open Opener) {
	t.Run("a state change with field changes is one write and one version", func(t *testing.T) {
		e := newEnv(t, open)
		tk := e.create(task, crm.Fields{"subject": "Call back"})
		var setState, updates []storage.Event
		require.NoError(t, e.store.Hook(task, storage.OpSetState, storage.PostOperation, func(_ context.Context, ev *storage.Event) error {
			setState = append(setState, *ev)
			return nil
		}))
		require.NoError(t, e.store.Hook(task, storage.OpUpdate, storage.PostOperation, func(_ context.Context, ev *storage.Event) error {
			updates = append(updates, *ev)
			return nil
		}))
		got, err := e.store.ChangeState(e.ctx, tk.Ref(), storage.StateChange{Event: "complete", Version: tk.Version,
			Fields: crm.Fields{"durationminutes": 30, "priority": nil}})
		require.NoError(t, err)
		require.Equal(t, tk.Version+1, got.Version)
		require.Equal(t, taskCompleted, got.State)
		require.Equal(t, statusCompleted, got.Status)
		require.Equal(t, int64(30), got.Fields.Int("durationminutes"))
		stored := e.get(task, tk.ID)
		require.Equal(t, got.Version, stored.Version)
		require.Equal(t, int64(30), stored.Fields.Int("durationminutes"))
		require.Len(t, setState, 1, "one write, one event")
		require.Empty(t, updates, "a state change is not an update")
		require.Equal(t, "complete", setState[0].Transition)
		require.Equal(t, int64(30), setState[0].Target.Fields.Int("durationminutes"))
		require.Equal(t, taskOpen, setState[0].Before.State)

		t.Run("the read-only state still refuses plain updates", func(t *testing.T) {
			_, err := e.store.Update(e.ctx, crm.Record{Entity: task, Header: crm.Header{ID: tk.ID}, Fields: crm.Fields{"durationminutes": 45}})
			require.ErrorIs(t, err, crm.ErrInvalidTransition)
		})
		t.Run("leaving it may change fields too", func(t *testing.T) {
			got, err := e.store.ChangeState(e.ctx, tk.Ref(), storage.StateChange{Event: "reopen", Fields: crm.Fields{"durationminutes": 0}})
			require.NoError(t, err)
			require.Equal(t, taskOpen, got.State)
			require.Equal(t, stored.Version+1, got.Version)
			require.Equal(t, int64(0), got.Fields.Int("durationminutes"))
		})
	})

	t.Run("a refused state change writes neither state nor fields", func(t *testing.T) {
		e := newEnv(t, open)
		tk := e.create(task, crm.Fields{"subject": "Call back"})
		before := e.dump()
		_, err := e.store.ChangeState(e.ctx, tk.Ref(), storage.StateChange{Event: "complete", Fields: crm.Fields{"durationminutes": "soon"}})
		requireInvalid(t, err, "durationminutes")
		_, err = e.store.ChangeState(e.ctx, tk.Ref(), storage.StateChange{Event: "complete", Fields: crm.Fields{"nosuchfield": 1}})
		requireInvalid(t, err, "nosuchfield")
		_, err = e.store.ChangeState(e.ctx, tk.Ref(), storage.StateChange{Event: "reopen", Fields: crm.Fields{"durationminutes": 5}})
		require.ErrorIs(t, err, crm.ErrInvalidTransition)
		_, err = e.store.ChangeState(e.ctx, tk.Ref(), storage.StateChange{Event: "complete", Version: tk.Version + 1, Fields: crm.Fields{"durationminutes": 5}})
		require.ErrorIs(t, err, crm.ErrConflict)
		_, err = e.store.ChangeState(e.ctx, tk.Ref(), storage.StateChange{Event: "complete", Status: statusCanceled, Fields: crm.Fields{"durationminutes": 5}})
		requireInvalid(t, err, crm.FieldStatus)
		require.Equal(t, before, e.dump())
	})
}
