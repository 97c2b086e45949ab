package storage_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// trace records what hooks saw, in order.
type trace struct {
	mu    sync.Mutex
	lines []string
}

func (tr *trace) add(format string, args ...any) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.lines = append(tr.lines, fmt.Sprintf(format, args...))
}

func (tr *trace) get() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.lines...)
}

func TestHookStages(t *testing.T) {
	t.Run("pre runs before the write, post after it, after-commit once committed", func(t *testing.T) {
		f := newFixture(t)
		tr := &trace{}
		visible := func(ctx context.Context, stage string, id crm.ID) {
			_, inTx := f.store.Get(ctx, "account", id)
			_, outside := f.store.Get(crm.AsSystem(context.Background()), "account", id)
			tr.add("%s: in tx %v, committed %v", stage, inTx == nil, outside == nil)
		}
		for _, stage := range []storage.Stage{storage.AfterCommit, storage.PostOperation, storage.PreOperation} {
			require.NoError(t, f.store.Hook("account", storage.OpCreate, stage, func(ctx context.Context, ev *storage.Event) error {
				visible(ctx, stage.String(), ev.Target.ID)
				return nil
			}))
		}
		f.createAccount(t, crm.AsSystem(t.Context()), crm.Fields{"name": "Contoso"})
		require.Equal(t, []string{
			"pre-operation: in tx false, committed false",
			"post-operation: in tx true, committed false",
			"after-commit: in tx true, committed true",
		}, tr.get())
	})
	t.Run("hooks of one stage run in the order they were registered", func(t *testing.T) {
		f := newFixture(t)
		tr := &trace{}
		for i := range 3 {
			require.NoError(t, f.store.Hook("account", storage.OpUpdate, storage.PostOperation, func(context.Context, *storage.Event) error {
				tr.add("hook %d", i)
				return nil
			}))
		}
		rec := f.createAccount(t, crm.AsSystem(t.Context()), crm.Fields{"name": "Contoso"})
		_, err := f.store.Update(crm.AsSystem(t.Context()), crm.Record{Entity: "account", Header: crm.Header{ID: rec.ID}, Fields: crm.Fields{"employees": 3}})
		require.NoError(t, err)
		require.Equal(t, []string{"hook 0", "hook 1", "hook 2"}, tr.get())
	})
	t.Run("hooks are registered per entity, operation and stage", func(t *testing.T) {
		f := newFixture(t)
		tr := &trace{}
		require.NoError(t, f.store.Hook("contact", storage.OpCreate, storage.PostOperation, func(context.Context, *storage.Event) error {
			tr.add("contact created")
			return nil
		}))
		require.NoError(t, f.store.Hook("account", storage.OpUpdate, storage.PostOperation, func(context.Context, *storage.Event) error {
			tr.add("account updated")
			return nil
		}))
		f.createAccount(t, crm.AsSystem(t.Context()), crm.Fields{"name": "Contoso"})
		require.Empty(t, tr.get())
	})
	t.Run("after-commit hooks wait for the outermost commit", func(t *testing.T) {
		f := newFixture(t)
		tr := &trace{}
		require.NoError(t, f.store.Hook("account", storage.OpCreate, storage.AfterCommit, func(_ context.Context, ev *storage.Event) error {
			tr.add("after commit %s", ev.Target.Fields.String("name"))
			return nil
		}))
		err := f.store.InTx(crm.AsSystem(t.Context()), func(ctx context.Context) error {
			err := f.store.InTx(ctx, func(ctx context.Context) error {
				f.createAccount(t, ctx, crm.Fields{"name": "Inner"})
				return nil
			})
			require.NoError(t, err)
			require.Empty(t, tr.get(), "not after the inner InTx returns")
			f.createAccount(t, ctx, crm.Fields{"name": "Outer"})
			require.Empty(t, tr.get(), "not before the commit")
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, []string{"after commit Inner", "after commit Outer"}, tr.get())
	})
	t.Run("after-commit hooks never run after a rollback", func(t *testing.T) {
		f := newFixture(t)
		tr := &trace{}
		require.NoError(t, f.store.Hook("account", storage.OpCreate, storage.AfterCommit, func(context.Context, *storage.Event) error {
			tr.add("after commit")
			return nil
		}))
		errBoom := errors.New("boom")
		err := f.store.InTx(crm.AsSystem(t.Context()), func(ctx context.Context) error {
			f.createAccount(t, ctx, crm.Fields{"name": "Contoso"})
			return errBoom
		})
		require.ErrorIs(t, err, errBoom)
		require.Empty(t, tr.get())
		require.Zero(t, f.count(t, "account"))
	})
	t.Run("after-commit hooks run once when the transaction is retried", func(t *testing.T) {
		d := &retryDriver{Driver: newMemory(), failures: 2}
		f := newFixtureOn(t, d)
		tr := &trace{}
		require.NoError(t, f.store.Hook("account", storage.OpCreate, storage.AfterCommit, func(context.Context, *storage.Event) error {
			tr.add("after commit")
			return nil
		}))
		f.createAccount(t, crm.AsSystem(t.Context()), crm.Fields{"name": "Contoso"})
		require.Equal(t, []string{"after commit"}, tr.get())
		require.Equal(t, 3, d.begins)
	})
	t.Run("after-commit errors go to the logger and the write stands", func(t *testing.T) {
		f := newFixture(t)
		require.NoError(t, f.store.Hook("account", storage.OpCreate, storage.AfterCommit, func(context.Context, *storage.Event) error {
			return errors.New("mail server down")
		}))
		rec := f.createAccount(t, crm.AsSystem(t.Context()), crm.Fields{"name": "Contoso"})
		require.Equal(t, []string{
			"ERROR crmkit: after-commit hook failed entity=account op=create id=" + rec.ID.String() + " error=mail server down",
		}, f.logs.lines())
		f.get(t, rec.Ref())
	})
	t.Run("after-commit hooks write in their own transaction", func(t *testing.T) {
		f := newFixture(t)
		require.NoError(t, f.store.Hook("account", storage.OpCreate, storage.AfterCommit, func(ctx context.Context, ev *storage.Event) error {
			_, err := f.store.Create(ctx, crm.Record{Entity: "contact", Fields: crm.Fields{"lastname": "Owner", "parentcustomerid": ev.Target.ID}})
			return err
		}))
		f.createAccount(t, crm.AsSystem(t.Context()), crm.Fields{"name": "Contoso"})
		require.Empty(t, f.logs.lines())
		require.Equal(t, int64(1), f.count(t, "contact"))
	})
	t.Run("a pre-operation error fails the operation before it writes", func(t *testing.T) {
		f := newFixture(t)
		errNo := errors.New("no new accounts today")
		require.NoError(t, f.store.Hook("account", storage.OpCreate, storage.PreOperation, func(context.Context, *storage.Event) error { return errNo }))
		_, err := f.store.Create(crm.AsSystem(t.Context()), crm.Record{Entity: "account", Fields: crm.Fields{"name": "Contoso"}})
		require.ErrorIs(t, err, errNo)
		require.Contains(t, err.Error(), "create account: pre-operation hook on create account: no new accounts today")
		require.Zero(t, f.count(t, "account"))
	})
	t.Run("a post-operation error rolls the write back", func(t *testing.T) {
		f := newFixture(t)
		errNo := errors.New("audit unavailable")
		require.NoError(t, f.store.Hook("account", storage.OpCreate, storage.PostOperation, func(context.Context, *storage.Event) error { return errNo }))
		_, err := f.store.Create(crm.AsSystem(t.Context()), crm.Record{Entity: "account", Fields: crm.Fields{"name": "Contoso"}})
		require.ErrorIs(t, err, errNo)
		require.Zero(t, f.count(t, "account"))
	})
	t.Run("hooks of unknown entities, operations and stages are refused", func(t *testing.T) {
		f := newFixture(t)
		noop := func(context.Context, *storage.Event) error { return nil }
		require.ErrorIs(t, f.store.Hook("nowhere", storage.OpCreate, storage.PreOperation, noop), crm.ErrNotFound)
		require.Error(t, f.store.Hook("account", storage.Op(0), storage.PreOperation, noop))
		require.Error(t, f.store.Hook("account", storage.OpCreate, storage.Stage(9), noop))
	})
	t.Run("names", func(t *testing.T) {
		require.Equal(t, "set state", storage.OpSetState.String())
		require.Equal(t, "Op(9)", storage.Op(9).String())
		require.Equal(t, "after-commit", storage.AfterCommit.String())
		require.Equal(t, "Stage(0)", storage.Stage(0).String())
	})
}

func TestPreOperationChanges(t *testing.T) {
	setOnCreate := func(t *testing.T, f fixture, set func(ev *storage.Event)) {
		t.Helper()
		require.NoError(t, f.store.Hook("account", storage.OpCreate, storage.PreOperation, func(_ context.Context, ev *storage.Event) error {
			set(ev)
			return nil
		}))
	}
	t.Run("a valid change is stored in canonical form", func(t *testing.T) {
		f := newFixture(t)
		setOnCreate(t, f, func(ev *storage.Event) { ev.Target.Fields["employees"] = 7 })
		rec := f.createAccount(t, crm.AsSystem(t.Context()), crm.Fields{"name": "Contoso"})
		require.Equal(t, int64(7), rec.Fields["employees"])
		require.Equal(t, int64(7), f.get(t, rec.Ref()).Fields["employees"])
	})
	t.Run("an invalid change fails the operation", func(t *testing.T) {
		f := newFixture(t)
		setOnCreate(t, f, func(ev *storage.Event) { ev.Target.Fields["name"] = "a name far longer than twenty characters" })
		_, err := f.store.Create(crm.AsSystem(t.Context()), crm.Record{Entity: "account", Fields: crm.Fields{"name": "Contoso"}})
		require.ErrorIs(t, err, crm.ErrValidation)
		require.Contains(t, err.Error(), "after pre-operation hooks")
		require.Zero(t, f.count(t, "account"))
	})
	t.Run("clearing a required field fails the operation", func(t *testing.T) {
		f := newFixture(t)
		setOnCreate(t, f, func(ev *storage.Event) { delete(ev.Target.Fields, "name") })
		_, err := f.store.Create(crm.AsSystem(t.Context()), crm.Record{Entity: "account", Fields: crm.Fields{"name": "Contoso"}})
		var verr *crm.ValidationError
		require.ErrorAs(t, err, &verr)
		require.True(t, verr.Has("name"))
	})
	t.Run("a lookup set to a missing record fails the operation", func(t *testing.T) {
		f := newFixture(t)
		setOnCreate(t, f, func(ev *storage.Event) { ev.Target.Fields["primarycontactid"] = crm.NewID() })
		_, err := f.store.Create(crm.AsSystem(t.Context()), crm.Record{Entity: "account", Fields: crm.Fields{"name": "Contoso"}})
		var verr *crm.ValidationError
		require.ErrorAs(t, err, &verr)
		require.True(t, verr.Has("primarycontactid"))
		require.Contains(t, err.Error(), "which does not exist")
	})
	t.Run("an immutable field changed on update is refused", func(t *testing.T) {
		f := newFixture(t)
		rec := f.createAccount(t, crm.AsSystem(t.Context()), crm.Fields{"name": "Contoso", "accountnumber": "A-1"})
		require.NoError(t, f.store.Hook("account", storage.OpUpdate, storage.PreOperation, func(_ context.Context, ev *storage.Event) error {
			ev.Target.Fields["accountnumber"] = "A-2"
			return nil
		}))
		_, err := f.store.Update(crm.AsSystem(t.Context()), crm.Record{Entity: "account", Header: crm.Header{ID: rec.ID}, Fields: crm.Fields{"employees": 1}})
		require.ErrorIs(t, err, crm.ErrValidation)
		require.Contains(t, err.Error(), "accountnumber cannot be changed")
		require.Equal(t, "A-1", f.get(t, rec.Ref()).Fields.String("accountnumber"))
	})
	t.Run("computed fields follow the hook's change, not the hook's value", func(t *testing.T) {
		f := newFixture(t)
		require.NoError(t, f.store.Hook("contact", storage.OpCreate, storage.PreOperation, func(_ context.Context, ev *storage.Event) error {
			ev.Target.Fields["firstname"] = "Nancy"
			ev.Target.Fields["fullname"] = "forged"
			return nil
		}))
		rec, err := f.store.Create(crm.AsSystem(t.Context()), crm.Record{Entity: "contact", Fields: crm.Fields{"lastname": "Davolio"}})
		require.NoError(t, err)
		require.Equal(t, "Nancy Davolio", rec.Fields.String("fullname"))
	})
	t.Run("hooks cannot change the header", func(t *testing.T) {
		f := newFixture(t)
		id := crm.NewID()
		setOnCreate(t, f, func(ev *storage.Event) {
			ev.Target.ID = crm.NewID()
			ev.Target.Version = 42
			ev.Target.Owner = crm.Ref{Entity: crm.TeamEntity, ID: crm.NewID()}
			ev.Target.CreatedOn = start.AddDate(-1, 0, 0)
			ev.Target.State = stateInactive
			ev.Target.Status = 2
			ev.Target.Entity = "contact"
		})
		rec, err := f.store.Create(crm.AsSystem(t.Context()), crm.Record{Entity: "account", Header: crm.Header{ID: id}, Fields: crm.Fields{"name": "Contoso"}})
		require.NoError(t, err)
		require.Equal(t, "account", rec.Entity)
		require.Equal(t, id, rec.ID)
		require.Equal(t, int64(1), rec.Version)
		require.Equal(t, crm.Ref{Entity: crm.UserEntity, ID: crm.SystemUser.ID}, rec.Owner)
		require.Equal(t, start, rec.CreatedOn)
		require.Equal(t, stateActive, rec.State)
		require.Equal(t, crm.StatusCode(1), rec.Status)
		require.Equal(t, rec, f.get(t, rec.Ref()))
	})
}

func TestEventContents(t *testing.T) {
	f := newFixture(t)
	type seen struct {
		op         storage.Op
		stage      storage.Stage
		target     crm.Record
		before     *crm.Record
		transition string
		depth      int
	}
	var mu sync.Mutex
	var events []seen
	for _, op := range []storage.Op{storage.OpCreate, storage.OpUpdate, storage.OpDelete, storage.OpSetState, storage.OpAssign} {
		for _, stage := range []storage.Stage{storage.PreOperation, storage.PostOperation, storage.AfterCommit} {
			require.NoError(t, f.store.Hook("account", op, stage, func(_ context.Context, ev *storage.Event) error {
				s := seen{op: ev.Op, stage: stage, target: ev.Target.Clone(), transition: ev.Transition, depth: ev.Depth}
				if ev.Before != nil {
					b := ev.Before.Clone()
					s.before = &b
				}
				require.Equal(t, "account", ev.Entity.Name)
				mu.Lock()
				events = append(events, s)
				mu.Unlock()
				return nil
			}))
		}
	}
	take := func() []seen {
		mu.Lock()
		defer mu.Unlock()
		out := events
		events = nil
		return out
	}
	ctx := crm.AsSystem(t.Context())

	rec := f.createAccount(t, ctx, crm.Fields{"name": "Contoso"})
	t.Run("create: the new record, nothing before", func(t *testing.T) {
		evs := take()
		require.Len(t, evs, 3)
		for _, ev := range evs {
			require.Equal(t, storage.OpCreate, ev.op)
			require.Nil(t, ev.before)
			require.Equal(t, rec.ID, ev.target.ID)
			require.Equal(t, "Contoso", ev.target.Fields.String("name"))
			require.Equal(t, int64(1), ev.target.Version)
			require.Equal(t, 1, ev.depth)
		}
	})

	f.clock.Advance(1)
	upd, err := f.store.Update(ctx, crm.Record{Entity: "account", Header: crm.Header{ID: rec.ID}, Fields: crm.Fields{"employees": 5}})
	require.NoError(t, err)
	t.Run("update: the stored record before and the changed one", func(t *testing.T) {
		for _, ev := range take() {
			require.Equal(t, storage.OpUpdate, ev.op)
			require.NotNil(t, ev.before)
			require.Equal(t, rec, *ev.before)
			require.Equal(t, upd, ev.target)
			require.Equal(t, int64(2), ev.target.Version)
		}
	})

	set, err := f.store.SetState(ctx, rec.Ref(), storage.AnyVersion, "deactivate", 0)
	require.NoError(t, err)
	t.Run("set state: the event's name and the new state", func(t *testing.T) {
		for _, ev := range take() {
			require.Equal(t, storage.OpSetState, ev.op)
			require.Equal(t, "deactivate", ev.transition)
			require.Equal(t, stateActive, ev.before.State)
			require.Equal(t, stateInactive, ev.target.State)
			require.Equal(t, set, ev.target)
		}
	})

	team := crm.Ref{Entity: crm.TeamEntity, ID: crm.NewID()}
	assigned, err := f.store.Assign(ctx, rec.Ref(), storage.AnyVersion, team)
	require.NoError(t, err)
	t.Run("assign: the new owner", func(t *testing.T) {
		for _, ev := range take() {
			require.Equal(t, storage.OpAssign, ev.op)
			require.Equal(t, set.Owner, ev.before.Owner)
			require.Equal(t, team, ev.target.Owner)
			require.Equal(t, assigned, ev.target)
		}
	})

	require.NoError(t, f.store.Delete(ctx, rec.Ref(), storage.AnyVersion))
	t.Run("delete: the record being deleted, before and target alike", func(t *testing.T) {
		evs := take()
		require.Len(t, evs, 3)
		for _, ev := range evs {
			require.Equal(t, storage.OpDelete, ev.op)
			require.Equal(t, assigned, ev.target)
			require.NotNil(t, ev.before, "%s: Before is nil only on create", ev.stage)
			require.Equal(t, assigned, *ev.before)
		}
	})
}

func TestHookDepth(t *testing.T) {
	t.Run("a hook that triggers itself stops with ErrTooDeep and nothing is kept", func(t *testing.T) {
		f := newFixture(t)
		rec := f.createAccount(t, crm.AsSystem(t.Context()), crm.Fields{"name": "Contoso", "touches": 0})
		var depths []int
		require.NoError(t, f.store.Hook("account", storage.OpUpdate, storage.PostOperation, func(ctx context.Context, ev *storage.Event) error {
			depths = append(depths, ev.Depth)
			_, err := f.store.Update(ctx, crm.Record{Entity: "account", Header: crm.Header{ID: ev.Target.ID},
				Fields: crm.Fields{"touches": ev.Target.Fields.Int("touches") + 1}})
			return err
		}))
		_, err := f.store.Update(crm.AsSystem(t.Context()), crm.Record{Entity: "account", Header: crm.Header{ID: rec.ID}, Fields: crm.Fields{"touches": 1}})
		require.ErrorIs(t, err, storage.ErrTooDeep)
		require.Equal(t, []int{1, 2, 3, 4, 5, 6, 7, 8}, depths, "the operation at depth 9 is refused")
		require.Equal(t, rec, f.get(t, rec.Ref()), "every level is rolled back")
	})
	t.Run("hooks that stop on their own are not limited", func(t *testing.T) {
		f := newFixture(t)
		rec := f.createAccount(t, crm.AsSystem(t.Context()), crm.Fields{"name": "Contoso", "touches": 0})
		require.NoError(t, f.store.Hook("account", storage.OpUpdate, storage.PostOperation, func(ctx context.Context, ev *storage.Event) error {
			n := ev.Target.Fields.Int("touches")
			if n >= storage.MaxDepth {
				return nil
			}
			_, err := f.store.Update(ctx, crm.Record{Entity: "account", Header: crm.Header{ID: ev.Target.ID}, Fields: crm.Fields{"touches": n + 1}})
			return err
		}))
		_, err := f.store.Update(crm.AsSystem(t.Context()), crm.Record{Entity: "account", Header: crm.Header{ID: rec.ID}, Fields: crm.Fields{"touches": 1}})
		require.NoError(t, err)
		got := f.get(t, rec.Ref())
		require.Equal(t, int64(storage.MaxDepth), got.Fields.Int("touches"))
		require.Equal(t, int64(1+storage.MaxDepth), got.Version)
	})
}
