package storagetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

func testConcurrency(t *testing.T, open Opener) {
	t.Run("a stale version is ErrConflict and changes nothing", func(t *testing.T) {
		e := newEnv(t, open)
		rec := e.create(task, crm.Fields{"subject": "Versioned"})
		rec, err := e.store.Update(e.ctx, crm.Record{Entity: task, Header: crm.Header{ID: rec.ID, Version: 1}, Fields: crm.Fields{"priority": 1}})
		require.NoError(t, err)
		require.EqualValues(t, 2, rec.Version)
		before := e.dump()

		_, err = e.store.Update(e.ctx, crm.Record{Entity: task, Header: crm.Header{ID: rec.ID, Version: 1}, Fields: crm.Fields{"priority": 2}})
		require.ErrorIs(t, err, crm.ErrConflict, "update")
		require.ErrorIs(t, e.store.Delete(e.ctx, rec.Ref(), 1), crm.ErrConflict, "delete")
		_, err = e.store.SetState(e.ctx, rec.Ref(), 1, "complete", 0)
		require.ErrorIs(t, err, crm.ErrConflict, "set state")
		_, err = e.store.Assign(e.ctx, rec.Ref(), 3, sales)
		require.ErrorIs(t, err, crm.ErrConflict, "assign (a version from the future)")
		require.Equal(t, before, e.dump())
	})

	t.Run("of 50 concurrent updates from one version exactly one wins", func(t *testing.T) {
		e := newEnv(t, open)
		rec := e.create(account, crm.Fields{"name": "Contended"})
		const writers = 50
		errs := make([]error, writers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = e.store.Update(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: rec.ID, Version: 1},
					Fields: crm.Fields{"name": fmt.Sprintf("writer %d", i)}})
			}()
		}
		close(start)
		wg.Wait()
		winner := -1
		conflicts := 0
		for i, err := range errs {
			switch {
			case err == nil:
				require.Equal(t, -1, winner, "writers %d and %d both succeeded", winner, i)
				winner = i
			default:
				require.ErrorIs(t, err, crm.ErrConflict, "writer %d", i)
				conflicts++
			}
		}
		require.NotEqual(t, -1, winner, "no writer succeeded")
		require.Equal(t, writers-1, conflicts)
		got := e.get(account, rec.ID)
		require.EqualValues(t, 2, got.Version)
		require.Equal(t, fmt.Sprintf("writer %d", winner), got.Fields.String("name"))
	})

	t.Run("concurrent creates and reads all land", func(t *testing.T) {
		e := newEnv(t, open)
		const workers = 8
		var wg sync.WaitGroup
		errs := make(chan error, workers*10)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 5 {
					rec, err := e.store.Create(e.ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": fmt.Sprintf("w%d-%d", w, i)}})
					if err != nil {
						errs <- err
						return
					}
					if _, err := e.store.Get(e.ctx, contact, rec.ID); err != nil {
						errs <- err
						return
					}
					if _, err := e.store.Count(e.ctx, crm.Query{Entity: contact}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.EqualValues(t, workers*5, e.count(contact))
	})
}

func testLifecycle(t *testing.T, open Opener) {
	t.Run("a new record starts in the initial state with its default status", func(t *testing.T) {
		e := newEnv(t, open)
		rec := e.create(task, crm.Fields{"subject": "New"})
		got := e.get(task, rec.ID)
		require.Equal(t, taskOpen, got.State)
		require.Equal(t, statusNotStarted, got.Status)
		rec = e.createRec(crm.Record{Entity: task, Header: crm.Header{Status: statusInProgress}, Fields: crm.Fields{"subject": "Started"}})
		require.Equal(t, statusInProgress, e.get(task, rec.ID).Status, "an explicit status of the initial state")
	})

	t.Run("a record cannot be created in another state", func(t *testing.T) {
		e := newEnv(t, open)
		_, err := e.store.Create(e.ctx, crm.Record{Entity: task, Header: crm.Header{State: taskCompleted, Status: statusCompleted}, Fields: crm.Fields{"subject": "X"}})
		requireInvalid(t, err, crm.FieldState)
		require.Zero(t, e.count(task))
	})

	t.Run("SetState moves the state and takes the default status", func(t *testing.T) {
		e := newEnv(t, open)
		rec := e.create(task, crm.Fields{"subject": "Do it"})
		e.clock.Advance(1e9)
		done, err := e.store.SetState(crm.WithCaller(e.ctx, bob), rec.Ref(), 1, "complete", 0)
		require.NoError(t, err)
		got := e.get(task, rec.ID)
		require.Equal(t, done, got)
		require.Equal(t, taskCompleted, got.State)
		require.Equal(t, statusCompleted, got.Status)
		require.Equal(t, bob, got.ModifiedBy)
		require.True(t, now.Add(1e9).Equal(got.ModifiedOn))
		require.Equal(t, "Do it", got.Fields.String("subject"), "fields are kept")
	})

	t.Run("SetState takes an explicit status of the target state", func(t *testing.T) {
		e := newEnv(t, open)
		rec := e.create(task, crm.Fields{"subject": "Do it"})
		rec, err := e.store.SetState(e.ctx, rec.Ref(), storage.AnyVersion, "cancel", 0)
		require.NoError(t, err)
		require.Equal(t, statusCanceled, rec.Status)
		_, err = e.store.SetState(e.ctx, rec.Ref(), rec.Version, "reopen", statusDeferred)
		require.NoError(t, err)
		got := e.get(task, rec.ID)
		require.Equal(t, taskOpen, got.State)
		require.Equal(t, statusDeferred, got.Status)
	})

	t.Run("a status of another state is refused", func(t *testing.T) {
		e := newEnv(t, open)
		rec := e.create(task, crm.Fields{"subject": "Do it"})
		before := e.dump()
		_, err := e.store.SetState(e.ctx, rec.Ref(), 1, "complete", statusInProgress)
		requireInvalid(t, err, crm.FieldStatus)
		_, err = e.store.SetState(e.ctx, rec.Ref(), 1, "complete", 99)
		requireInvalid(t, err, crm.FieldStatus)
		require.Equal(t, before, e.dump())
	})

	t.Run("an event not allowed from the state is ErrInvalidTransition naming entity, state and event", func(t *testing.T) {
		e := newEnv(t, open)
		rec := e.create(task, crm.Fields{"subject": "Do it"})
		rec, err := e.store.SetState(e.ctx, rec.Ref(), 1, "complete", 0)
		require.NoError(t, err)
		before := e.dump()
		_, err = e.store.SetState(e.ctx, rec.Ref(), rec.Version, "complete", 0)
		require.ErrorIs(t, err, crm.ErrInvalidTransition)
		var terr *crm.TransitionError
		require.ErrorAs(t, err, &terr)
		require.Equal(t, crm.TransitionError{Entity: task, State: "Completed", Event: "complete"}, *terr)
		_, err = e.store.SetState(e.ctx, rec.Ref(), rec.Version, "explode", 0)
		require.ErrorAs(t, err, &terr, "an unknown event")
		require.Equal(t, crm.TransitionError{Entity: task, State: "Completed", Event: "explode"}, *terr)
		require.Equal(t, before, e.dump())
	})

	t.Run("SetState on an entity without a lifecycle is refused", func(t *testing.T) {
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "Stateless"})
		o := e.create(salesorder, crm.Fields{"name": "O", "customerid": acc.ID})
		_, err := e.store.SetState(e.ctx, o.Ref(), storage.AnyVersion, "complete", 0)
		requireInvalid(t, err, crm.FieldState)
		require.EqualValues(t, 1, e.get(salesorder, o.ID).Version)
	})

	t.Run("a plain update cannot change state, status or owner", func(t *testing.T) {
		e := newEnv(t, open)
		rec := e.create(task, crm.Fields{"subject": "Do it"})
		before := e.dump()
		_, err := e.store.Update(e.ctx, crm.Record{Entity: task, Header: crm.Header{ID: rec.ID, State: taskCompleted, Status: statusCompleted}, Fields: crm.Fields{"priority": 1}})
		requireInvalid(t, err, crm.FieldStatus)
		_, err = e.store.Update(e.ctx, crm.Record{Entity: task, Header: crm.Header{ID: rec.ID, Status: statusInProgress}, Fields: crm.Fields{"priority": 1}})
		requireInvalid(t, err, crm.FieldStatus)
		_, err = e.store.Update(e.ctx, crm.Record{Entity: task, Header: crm.Header{ID: rec.ID, Owner: sales}, Fields: crm.Fields{"priority": 1}})
		requireInvalid(t, err, crm.FieldOwner)
		require.Equal(t, before, e.dump())

		// The header read back may be sent back unchanged.
		rec.Fields = crm.Fields{"priority": 2}
		_, err = e.store.Update(e.ctx, rec)
		require.NoError(t, err)
		got := e.get(task, rec.ID)
		require.Equal(t, taskOpen, got.State)
		require.Equal(t, statusNotStarted, got.Status)
	})

	t.Run("a read-only state refuses updates until the record is reopened", func(t *testing.T) {
		e := newEnv(t, open)
		rec := e.create(task, crm.Fields{"subject": "Do it"})
		rec, err := e.store.SetState(e.ctx, rec.Ref(), 1, "complete", 0)
		require.NoError(t, err)
		before := e.dump()
		err = update(e, rec, crm.Fields{"subject": "Changed"})
		require.ErrorIs(t, err, crm.ErrInvalidTransition)
		require.Equal(t, before, e.dump())
		rec, err = e.store.SetState(e.ctx, rec.Ref(), rec.Version, "reopen", 0)
		require.NoError(t, err)
		require.Equal(t, statusNotStarted, rec.Status)
		require.NoError(t, update(e, rec, crm.Fields{"subject": "Changed"}))
		require.Equal(t, "Changed", e.get(task, rec.ID).Fields.String("subject"))
	})

	t.Run("Assign changes the owner and nothing else", func(t *testing.T) {
		e := newEnv(t, open)
		rec, err := e.store.Create(crm.WithCaller(e.ctx, alice), crm.Record{Entity: task, Fields: crm.Fields{"subject": "Mine"}})
		require.NoError(t, err)
		out, err := e.store.Assign(crm.WithCaller(e.ctx, bob), rec.Ref(), 1, sales)
		require.NoError(t, err)
		got := e.get(task, rec.ID)
		require.Equal(t, out, got)
		require.Equal(t, sales, got.Owner)
		require.Equal(t, bob, got.ModifiedBy)
		require.Equal(t, alice, got.CreatedBy)
		require.Equal(t, rec.Fields, got.Fields)
		require.Equal(t, rec.State, got.State)
		_, err = e.store.Assign(e.ctx, rec.Ref(), storage.AnyVersion, crm.Ref{Entity: account, ID: testID(1)})
		requireInvalid(t, err, crm.FieldOwner)
		require.Equal(t, sales, e.get(task, rec.ID).Owner)
	})
}
