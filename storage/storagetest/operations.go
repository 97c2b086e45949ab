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

// closeDeal is the named operation of the tests: it touches three records
// (creates an account and a contact, then completes a task with field
// changes) from its inputs.
func closeDeal(e *env, taskID crm.ID) func(ctx context.Context, x *storage.Execution) error {
	return func(ctx context.Context, x *storage.Execution) error {
		acc, err := e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": x.Inputs["customer"]}})
		if err != nil {
			return err
		}
		if _, err := e.store.Create(ctx, crm.Record{Entity: contact,
			Fields: crm.Fields{"lastname": x.Inputs["buyer"], "parentcustomerid": acc.Ref()}}); err != nil {
			return err
		}
		done, err := e.store.ChangeState(ctx, crm.Ref{Entity: task, ID: taskID}, storage.StateChange{Event: "complete",
			Fields: crm.Fields{"durationminutes": x.Inputs["minutes"], "regardingobjectid": acc.Ref()}})
		if err != nil {
			return err
		}
		x.Outputs["account"] = acc.ID
		x.Outputs["taskversion"] = done.Version
		return nil
	}
}

var dealInputs = map[string]any{"customer": "Initech", "buyer": "Lumbergh", "minutes": 30}

func testOperations(t *testing.T, open Opener) {
	t.Run("a named operation is all or nothing at every write", func(t *testing.T) {
		for n := 1; ; n++ {
			fd := &crmtest.FailingDriver{}
			e := newEnv(t, open, func(d driver.Driver) driver.Driver { fd.Driver = d; return fd })
			tk := e.create(task, crm.Fields{"subject": "Close the deal"})
			before := e.dump()
			fd.FailAt(n)
			err := e.store.Execute(e.ctx, "CloseDeal", dealInputs, closeDeal(e, tk.ID))
			fd.FailAt(0)
			if err == nil {
				require.Equal(t, 4, n, "three writes, then success")
				require.EqualValues(t, 1, e.count(account))
				require.EqualValues(t, 1, e.count(contact))
				require.Equal(t, taskCompleted, e.get(task, tk.ID).State)
				return
			}
			require.ErrorIs(t, err, crmtest.ErrInjected, "failing write %d", n)
			require.Contains(t, err.Error(), "CloseDeal")
			require.Equal(t, before, e.dump(), "after failing write %d the store must be exactly as before", n)
			require.Less(t, n, 10, "the operation never succeeded")
		}
	})

	t.Run("a hook registered for the message sees its inputs and every record it touched, and can abort it", func(t *testing.T) {
		e := newEnv(t, open)
		tk := e.create(task, crm.Fields{"subject": "Close the deal"})
		var seen *storage.Execution
		var writes []storage.Event
		require.NoError(t, e.store.HookMessage("CloseDeal", storage.PostOperation, func(_ context.Context, x *storage.Execution) error {
			seen, writes = x, x.Writes()
			return errBoom
		}))
		require.NoError(t, e.store.HookMessage("SomethingElse", storage.PostOperation, func(context.Context, *storage.Execution) error {
			t.Error("a hook for another message ran")
			return nil
		}))
		before := e.dump()
		err := e.store.Execute(e.ctx, "CloseDeal", dealInputs, closeDeal(e, tk.ID))
		require.ErrorIs(t, err, errBoom)
		require.Equal(t, before, e.dump(), "the hook's error rolled the operation back")

		require.NotNil(t, seen)
		require.Equal(t, "CloseDeal", seen.Message)
		require.Equal(t, dealInputs, seen.Inputs)
		require.Equal(t, 1, seen.Depth)
		require.True(t, seen.InTransaction)
		require.Len(t, writes, 3)
		require.Equal(t, []storage.Op{storage.OpCreate, storage.OpCreate, storage.OpSetState}, []storage.Op{writes[0].Op, writes[1].Op, writes[2].Op})
		require.Equal(t, []string{account, contact, task}, []string{writes[0].Entity.Name, writes[1].Entity.Name, writes[2].Entity.Name})
		require.Equal(t, "Initech", writes[0].Target.Fields.String("name"))
		require.Equal(t, int64(30), writes[2].Target.Fields.Int("durationminutes"))
		require.Equal(t, taskOpen, writes[2].Before.State)
		require.Equal(t, seen.Outputs["account"], writes[0].Target.ID)
		for _, w := range writes {
			require.Equal(t, "CloseDeal", w.Message)
		}
	})

	t.Run("pre-validation message hooks run outside the transaction; their error changes nothing", func(t *testing.T) {
		e := newEnv(t, open)
		tk := e.create(task, crm.Fields{"subject": "Close the deal"})
		var inTx []bool
		require.NoError(t, e.store.HookMessage("CloseDeal", storage.PreValidation, func(_ context.Context, x *storage.Execution) error {
			inTx = append(inTx, x.InTransaction)
			if x.Inputs["customer"] == "" {
				return errBoom
			}
			x.Inputs["customer"] = x.Inputs["customer"].(string) + " Inc"
			return nil
		}))
		require.NoError(t, e.store.HookMessage("CloseDeal", storage.PreOperation, func(_ context.Context, x *storage.Execution) error {
			x.Inputs["buyer"] = "Bolton"
			return nil
		}))
		before := e.dump()
		called := false
		err := e.store.Execute(e.ctx, "CloseDeal", map[string]any{"customer": ""}, func(context.Context, *storage.Execution) error {
			called = true
			return nil
		})
		require.ErrorIs(t, err, errBoom)
		require.False(t, called, "a refused operation does not run")
		require.Equal(t, before, e.dump())

		inputs := map[string]any{"customer": "Initech", "buyer": "Lumbergh", "minutes": 30}
		require.NoError(t, e.store.Execute(e.ctx, "CloseDeal", inputs, closeDeal(e, tk.ID)))
		require.Equal(t, "Initech", inputs["customer"], "the caller's inputs are the caller's")
		require.Equal(t, []string{"Initech Inc"}, names(e.all(crm.Query{Entity: account}), "name"))
		require.Equal(t, []string{"Bolton"}, names(e.all(crm.Query{Entity: contact}), "lastname"))
		require.Equal(t, []bool{false, false}, inTx)
	})

	t.Run("entity hooks tell the operation's writes from plain ones by the message name", func(t *testing.T) {
		e := newEnv(t, open)
		tk := e.create(task, crm.Fields{"subject": "Close the deal"})
		var messages []string
		require.NoError(t, e.store.Hook(account, storage.OpCreate, storage.PreOperation, func(_ context.Context, ev *storage.Event) error {
			messages = append(messages, "account:"+ev.Message)
			return nil
		}))
		// A hook's own write belongs to the operation too.
		require.NoError(t, e.store.Hook(contact, storage.OpCreate, storage.PostOperation, func(ctx context.Context, ev *storage.Event) error {
			messages = append(messages, "contact:"+ev.Message)
			_, err := e.store.Create(ctx, crm.Record{Entity: task, Fields: crm.Fields{"subject": "Welcome call", "regardingobjectid": ev.Target.Ref()}})
			return err
		}))
		require.NoError(t, e.store.Hook(task, storage.OpCreate, storage.PostOperation, func(_ context.Context, ev *storage.Event) error {
			messages = append(messages, "task:"+ev.Message)
			return nil
		}))
		var writes []storage.Event
		require.NoError(t, e.store.HookMessage("CloseDeal", storage.PostOperation, func(_ context.Context, x *storage.Execution) error {
			writes = x.Writes()
			return nil
		}))
		e.create(account, crm.Fields{"name": "Plain"})
		require.NoError(t, e.store.Execute(e.ctx, "CloseDeal", dealInputs, closeDeal(e, tk.ID)))
		require.Equal(t, []string{"account:", "account:CloseDeal", "contact:CloseDeal", "task:CloseDeal"}, messages)
		require.Len(t, writes, 4, "account, contact, the hook's task, the completed task")
		require.Equal(t, 2, writes[2].Depth)
	})

	t.Run("after-commit message hooks see the committed operation", func(t *testing.T) {
		e := newEnv(t, open)
		tk := e.create(task, crm.Fields{"subject": "Close the deal"})
		var got *storage.Execution
		require.NoError(t, e.store.HookMessage("CloseDeal", storage.AfterCommit, func(_ context.Context, x *storage.Execution) error {
			got = x
			return nil
		}))
		require.NoError(t, e.store.Execute(e.ctx, "CloseDeal", dealInputs, closeDeal(e, tk.ID)))
		require.NotNil(t, got)
		require.False(t, got.InTransaction)
		require.Len(t, got.Writes(), 3)
		require.Equal(t, tk.Version+1, got.Outputs["taskversion"], "one version for the state and its fields")
	})

	t.Run("a named operation inside another is part of it", func(t *testing.T) {
		e := newEnv(t, open)
		tk := e.create(task, crm.Fields{"subject": "Close the deal"})
		var outer []storage.Event
		require.NoError(t, e.store.HookMessage("Quarter", storage.PostOperation, func(_ context.Context, x *storage.Execution) error {
			outer = x.Writes()
			return nil
		}))
		err := e.store.Execute(e.ctx, "Quarter", nil, func(ctx context.Context, x *storage.Execution) error {
			if _, err := e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "Before"}}); err != nil {
				return err
			}
			return e.store.Execute(ctx, "CloseDeal", dealInputs, closeDeal(e, tk.ID))
		})
		require.NoError(t, err)
		require.Len(t, outer, 4)
		require.Equal(t, "Quarter", outer[0].Message)
		require.Equal(t, "CloseDeal", outer[3].Message)
	})

	t.Run("a message needs a name", func(t *testing.T) {
		e := newEnv(t, open)
		require.Error(t, e.store.Execute(e.ctx, "", nil, func(context.Context, *storage.Execution) error { return nil }))
		require.Error(t, e.store.HookMessage("", storage.PreOperation, func(context.Context, *storage.Execution) error { return nil }))
		require.Error(t, e.store.HookMessage("X", storage.Stage(99), func(context.Context, *storage.Execution) error { return nil }))
	})
}
