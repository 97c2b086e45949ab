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
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/stretchr/testify/require"
)

// testFastUpdate pins what an update at a known version does when the
// adapter can write it in one step (driver.Patcher): exactly what the
// general path does, errors and their messages included. On an adapter
// without the capability the same cases hold through the general path.
func testFastUpdate(t *testing.T, open Opener) {
	upd := func(e *env, id crm.ID, version int64, fields crm.Fields) (crm.Record, error) {
		return e.store.Update(e.ctx, crm.Record{Entity: task, Header: crm.Header{ID: id, Version: version}, Fields: fields})
	}

	t.Run("writes the given fields, keeps the others and returns the record as stored", func(t *testing.T) {
		e := newEnv(t, open)
		rec := e.create(task, crm.Fields{"subject": "Call back", "priority": 1, "durationminutes": 30})
		e.clock.Advance(90 * time.Second)
		got, err := upd(e, rec.ID, 1, crm.Fields{"priority": 2, "durationminutes": nil})
		require.NoError(t, err)
		require.EqualValues(t, 2, got.Version)
		require.Equal(t, "Call back", got.Fields.String("subject"))
		require.EqualValues(t, 2, got.Fields["priority"])
		require.NotContains(t, got.Fields, "durationminutes")
		require.True(t, got.ModifiedOn.Equal(now.Add(90*time.Second)), "modified on %s", got.ModifiedOn)
		require.True(t, got.CreatedOn.Equal(rec.CreatedOn))
		require.Equal(t, rec.Owner, got.Owner)
		require.Equal(t, e.get(task, rec.ID), got)
	})

	t.Run("a stale version is ErrConflict as before and changes nothing", func(t *testing.T) {
		e := newEnv(t, open)
		rec := e.create(task, crm.Fields{"subject": "Versioned"})
		_, err := upd(e, rec.ID, 1, crm.Fields{"priority": 1})
		require.NoError(t, err)
		before := e.dump()
		_, err = upd(e, rec.ID, 1, crm.Fields{"priority": 2})
		require.ErrorIs(t, err, crm.ErrConflict)
		require.EqualError(t, err, "update task "+rec.ID.String()+": version conflict: version 1 was asked for, the stored version is 2")
		require.Equal(t, before, e.dump())
	})

	t.Run("a deleted record is ErrNotFound, bad fields or not", func(t *testing.T) {
		e := newEnv(t, open)
		rec := e.create(task, crm.Fields{"subject": "Gone"})
		require.NoError(t, e.store.Delete(e.ctx, rec.Ref(), 1))
		_, err := upd(e, rec.ID, 1, crm.Fields{"priority": 1})
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = upd(e, rec.ID, 1, crm.Fields{"priority": "high"})
		require.ErrorIs(t, err, crm.ErrNotFound, "the record is looked for before the fields are judged")
	})

	t.Run("a read-only state refuses the update with the general path's error", func(t *testing.T) {
		e := newEnv(t, open)
		rec := e.create(task, crm.Fields{"subject": "Done"})
		rec, err := e.store.SetState(e.ctx, rec.Ref(), 1, "complete", 0)
		require.NoError(t, err)
		before := e.dump()
		_, known := upd(e, rec.ID, rec.Version, crm.Fields{"priority": 1})
		_, any := upd(e, rec.ID, storage.AnyVersion, crm.Fields{"priority": 1})
		require.ErrorIs(t, known, crm.ErrInvalidTransition)
		var te *crm.TransitionError
		require.ErrorAs(t, known, &te)
		require.EqualError(t, known, any.Error())
		require.Equal(t, before, e.dump())
		// Reopened, it takes updates again.
		rec, err = e.store.SetState(e.ctx, rec.Ref(), rec.Version, "reopen", 0)
		require.NoError(t, err)
		_, err = upd(e, rec.ID, rec.Version, crm.Fields{"priority": 1})
		require.NoError(t, err)
	})

	t.Run("state, status reason and owner given must be the stored ones", func(t *testing.T) {
		e := newEnv(t, open)
		rec := e.create(task, crm.Fields{"subject": "Header"})
		same := rec
		same.Fields = crm.Fields{"priority": 2}
		got, err := e.store.Update(e.ctx, same)
		require.NoError(t, err, "the header as read, as a Table sends it")
		require.EqualValues(t, 2, got.Fields["priority"])
		before := e.dump()
		for name, change := range map[string]func(r *crm.Record){
			"status": func(r *crm.Record) { r.Status = statusInProgress },
			"state":  func(r *crm.Record) { r.Status, r.State = 0, taskCompleted },
			"owner":  func(r *crm.Record) { r.Owner = sales },
		} {
			r := got
			r.Fields = crm.Fields{"priority": 1}
			change(&r)
			_, err := e.store.Update(e.ctx, r)
			var verr *crm.ValidationError
			require.ErrorAs(t, err, &verr, name)
			r.Version = storage.AnyVersion
			_, general := e.store.Update(e.ctx, r)
			require.EqualError(t, err, general.Error(), name)
		}
		require.Equal(t, before, e.dump())
	})

	t.Run("a failed update inside a transaction leaves it usable", func(t *testing.T) {
		e := newEnv(t, open)
		rec := e.create(task, crm.Fields{"subject": "Stale"})
		var created crm.Record
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			_, err := e.store.Update(ctx, crm.Record{Entity: task, Header: crm.Header{ID: rec.ID, Version: 7}, Fields: crm.Fields{"priority": 1}})
			if !errors.Is(err, crm.ErrConflict) {
				return errors.Join(errors.New("want a conflict"), err)
			}
			created, err = e.store.Create(ctx, crm.Record{Entity: task, Fields: crm.Fields{"subject": "Instead"}})
			return err
		})
		require.NoError(t, err)
		require.True(t, e.exists(task, created.ID))
	})

	t.Run("concurrent updaters that retry on conflict lose no update", func(t *testing.T) {
		e := newEnv(t, open)
		rec := e.create(task, crm.Fields{"subject": "Counter", "durationminutes": 0})
		const workers, each = 8, 10
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; n < each; {
					cur, err := e.store.Get(e.ctx, task, rec.ID)
					if err != nil {
						errs <- err
						return
					}
					next := cur.Fields["durationminutes"].(int64) + 1
					_, err = upd(e, rec.ID, cur.Version, crm.Fields{"durationminutes": next})
					if errors.Is(err, crm.ErrConflict) || errors.Is(err, storage.ErrRetry) {
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					n++
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		got := e.get(task, rec.ID)
		require.EqualValues(t, workers*each, got.Fields["durationminutes"])
		require.EqualValues(t, 1+workers*each, got.Version)
	})

	t.Run("a hook-free update reads nothing first; a hook gets the record as it was", func(t *testing.T) {
		cd := &countingDriver{}
		e := newEnv(t, open, func(d driver.Driver) driver.Driver { cd.Driver = d; return cd })
		rec := e.create(task, crm.Fields{"subject": "Counted"})
		cd.locks.Store(0)
		rec, err := upd(e, rec.ID, rec.Version, crm.Fields{"priority": 1})
		require.NoError(t, err)
		if cd.patcher.Load() {
			require.Zero(t, cd.locks.Load(), "the update locked the record before writing it")
		}
		var before *crm.Record
		require.NoError(t, e.store.Hook(task, storage.OpUpdate, storage.PostOperation, func(_ context.Context, ev *storage.Event) error {
			b := ev.Before.Clone()
			before = &b
			return nil
		}))
		_, err = upd(e, rec.ID, rec.Version, crm.Fields{"priority": 2})
		require.NoError(t, err)
		require.NotNil(t, before)
		require.EqualValues(t, 1, before.Fields["priority"])
		require.Equal(t, rec.Version, before.Version)
	})
}

// countingDriver counts the Locks of its transactions, and notes whether
// they can patch.
type countingDriver struct {
	driver.Driver
	locks   atomic.Int64
	patcher atomic.Bool
}

func (d *countingDriver) Begin(ctx context.Context) (driver.Tx, error) {
	tx, err := d.Driver.Begin(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := tx.(driver.Patcher); ok {
		d.patcher.Store(true)
		return &countingPatchTx{countingTx{Tx: tx, d: d}}, nil
	}
	return &countingTx{Tx: tx, d: d}, nil
}

type countingTx struct {
	driver.Tx
	d *countingDriver
}

func (t *countingTx) Lock(ctx context.Context, e *crm.Entity, id crm.ID) (crm.Record, error) {
	t.d.locks.Add(1)
	return t.Tx.Lock(ctx, e, id)
}

type countingPatchTx struct{ countingTx }

func (t *countingPatchTx) Patch(ctx context.Context, e *crm.Entity, p *driver.Patch) (crm.Record, bool, error) {
	return t.Tx.(driver.Patcher).Patch(ctx, e, p)
}
