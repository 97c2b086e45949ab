package storagetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

func testTransactions(t *testing.T, open Opener) {
	t.Run("a commit keeps every write", func(t *testing.T) {
		e := newEnv(t, open)
		var a, c crm.Record
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			var err error
			if a, err = e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "In tx"}}); err != nil {
				return err
			}
			if c, err = e.store.Create(ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "Lee", "parentcustomerid": a.Ref()}}); err != nil {
				return err
			}
			_, err = e.store.Update(ctx, crm.Record{Entity: account, Header: crm.Header{ID: a.ID, Version: 1}, Fields: crm.Fields{"primarycontactid": c.ID}})
			return err
		})
		require.NoError(t, err)
		got := e.get(account, a.ID)
		require.EqualValues(t, 2, got.Version)
		require.Equal(t, c.Ref(), got.Fields.Ref("primarycontactid"))
		require.True(t, e.exists(contact, c.ID))
	})

	t.Run("a record locked in a transaction waits for it to end before another writer changes it", func(t *testing.T) {
		e := newEnv(t, open)
		a := e.create(account, crm.Fields{"name": "Held"})
		locked := make(chan struct{})
		var order []string
		var mu sync.Mutex
		note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
		done := make(chan error, 1)
		go func() {
			<-locked
			_, err := e.store.Update(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: a.ID}, Fields: crm.Fields{"city": "Second"}})
			note("other writer")
			done <- err
		}()
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			got, err := e.store.Lock(ctx, account, a.ID)
			if err != nil {
				return err
			}
			require.Equal(t, "Held", got.Fields.String("name"))
			close(locked)
			// Give the other writer every chance to slip in: it must not.
			time.Sleep(50 * time.Millisecond)
			_, err = e.store.Update(ctx, crm.Record{Entity: account, Header: crm.Header{ID: a.ID, Version: got.Version}, Fields: crm.Fields{"city": "First"}})
			note("lock holder")
			return err
		})
		require.NoError(t, err)
		require.NoError(t, <-done)
		require.Equal(t, []string{"lock holder", "other writer"}, order)
		got := e.get(account, a.ID)
		require.Equal(t, "Second", got.Fields.String("city"))
		require.EqualValues(t, 3, got.Version)
	})

	t.Run("Lock outside a transaction reads like Get", func(t *testing.T) {
		e := newEnv(t, open)
		a := e.create(account, crm.Fields{"name": "Plain"})
		got, err := e.store.Lock(e.ctx, account, a.ID)
		require.NoError(t, err)
		require.Equal(t, a.ID, got.ID)
		_, err = e.store.Lock(e.ctx, account, testID(1))
		require.ErrorIs(t, err, crm.ErrNotFound)
	})

	t.Run("an error rolls every write back", func(t *testing.T) {
		e := newEnv(t, open)
		kept := e.create(account, crm.Fields{"name": "Kept"})
		before := e.dump()
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			if _, err := e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "Lost"}}); err != nil {
				return err
			}
			if _, err := e.store.Update(ctx, crm.Record{Entity: account, Header: crm.Header{ID: kept.ID}, Fields: crm.Fields{"city": "Lost"}}); err != nil {
				return err
			}
			return errBoom
		})
		require.ErrorIs(t, err, errBoom)
		require.Equal(t, before, e.dump())
	})

	t.Run("a panic rolls back and panics again", func(t *testing.T) {
		e := newEnv(t, open)
		require.PanicsWithValue(t, "kaboom", func() {
			_ = e.store.InTx(e.ctx, func(ctx context.Context) error {
				if _, err := e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "Lost"}}); err != nil {
					return err
				}
				panic("kaboom")
			})
		})
		require.Zero(t, e.count(account))
		e.create(account, crm.Fields{"name": "The store still works"})
		require.EqualValues(t, 1, e.count(account))
	})

	t.Run("a nested InTx joins the outer transaction, which alone commits", func(t *testing.T) {
		e := newEnv(t, open)
		var inner crm.Record
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			if _, err := e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "Outer"}}); err != nil {
				return err
			}
			err := e.store.InTx(ctx, func(ctx context.Context) error {
				var err error
				inner, err = e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "Inner"}})
				return err
			})
			if err != nil {
				return err
			}
			require.False(t, e.exists(account, inner.ID), "the inner transaction has not committed on its own")
			n, err := e.store.Count(ctx, crm.Query{Entity: account})
			require.NoError(t, err)
			require.EqualValues(t, 2, n, "the outer transaction sees the inner's writes")
			return nil
		})
		require.NoError(t, err)
		require.EqualValues(t, 2, e.count(account))
	})

	t.Run("an inner error returned by the outer closure rolls back both", func(t *testing.T) {
		e := newEnv(t, open)
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			if _, err := e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "Outer"}}); err != nil {
				return err
			}
			return e.store.InTx(ctx, func(ctx context.Context) error {
				if _, err := e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "Inner"}}); err != nil {
					return err
				}
				return errBoom
			})
		})
		require.ErrorIs(t, err, errBoom)
		require.Zero(t, e.count(account))
	})

	t.Run("an operation that failed after writing poisons the transaction even if its error is swallowed", func(t *testing.T) {
		e := newEnv(t, open)
		require.NoError(t, e.store.Hook(contact, storage.OpCreate, storage.PostOperation, func(ctx context.Context, ev *storage.Event) error {
			return errBoom
		}))
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			if _, err := e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "Outer"}}); err != nil {
				return err
			}
			innerErr := e.store.InTx(ctx, func(ctx context.Context) error {
				_, err := e.store.Create(ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "Half written"}})
				return err
			})
			require.ErrorIs(t, innerErr, errBoom)
			return nil // the outer closure ignores the inner failure
		})
		require.ErrorIs(t, err, storage.ErrRolledBack)
		require.ErrorIs(t, err, errBoom, "the rollback says what failed")
		require.Zero(t, e.count(account))
		require.Zero(t, e.count(contact))
	})

	t.Run("an operation refused before writing does not poison the transaction", func(t *testing.T) {
		e := newEnv(t, open)
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			if _, err := e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "Kept"}}); err != nil {
				return err
			}
			_, err := e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"city": "no name"}})
			require.ErrorIs(t, err, crm.ErrValidation)
			return nil
		})
		require.NoError(t, err)
		require.EqualValues(t, 1, e.count(account))
	})

	t.Run("reads inside a transaction see its own writes", func(t *testing.T) {
		e := newEnv(t, open)
		existing := e.create(account, crm.Fields{"name": "Existing", "numberofemployees": 5})
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			a, err := e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "New", "numberofemployees": 7}})
			require.NoError(t, err)
			_, err = e.store.Update(ctx, crm.Record{Entity: account, Header: crm.Header{ID: existing.ID}, Fields: crm.Fields{"city": "Paris"}})
			require.NoError(t, err)
			got, err := e.store.Get(ctx, account, a.ID)
			require.NoError(t, err)
			require.Equal(t, "New", got.Fields.String("name"))
			page, err := e.store.Query(ctx, crm.Query{Entity: account, Where: crm.Eq("city", "paris")})
			require.NoError(t, err)
			require.Equal(t, []string{"Existing"}, names(page.Records, "name"))
			n, err := e.store.Count(ctx, crm.Query{Entity: account})
			require.NoError(t, err)
			require.EqualValues(t, 2, n)
			rows, err := e.store.Aggregate(ctx, crm.Aggregation{Entity: account, Measures: []crm.Measure{{Alias: "total", Func: crm.AggSum, Field: "numberofemployees"}}})
			require.NoError(t, err)
			require.Equal(t, []crm.AggregateRow{{"total": int64(12)}}, rows)
			require.NoError(t, e.store.Delete(ctx, existing.Ref(), storage.AnyVersion))
			_, err = e.store.Get(ctx, account, existing.ID)
			require.ErrorIs(t, err, crm.ErrNotFound, "a deleted record is gone inside the transaction")
			var seen []string
			for rec, err := range e.store.Iterate(ctx, crm.Query{Entity: account}) {
				require.NoError(t, err)
				seen = append(seen, rec.Fields.String("name"))
			}
			require.Equal(t, []string{"New"}, seen)
			return nil
		})
		require.NoError(t, err)
	})

	t.Run("reads outside a transaction do not see its uncommitted writes", func(t *testing.T) {
		e := newEnv(t, open)
		existing := e.create(account, crm.Fields{"name": "Existing"})
		outside := e.ctx
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			a, err := e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "Uncommitted"}})
			require.NoError(t, err)
			_, err = e.store.Update(ctx, crm.Record{Entity: account, Header: crm.Header{ID: existing.ID}, Fields: crm.Fields{"city": "Uncommitted"}})
			require.NoError(t, err)
			_, err = e.store.Get(outside, account, a.ID)
			require.ErrorIs(t, err, crm.ErrNotFound)
			got, err := e.store.Get(outside, account, existing.ID)
			require.NoError(t, err)
			require.Nil(t, got.Fields["city"])
			require.EqualValues(t, 1, got.Version)
			n, err := e.store.Count(outside, crm.Query{Entity: account})
			require.NoError(t, err)
			require.EqualValues(t, 1, n)
			page, err := e.store.Query(outside, crm.Query{Entity: account, Where: crm.Eq("city", "Uncommitted")})
			require.NoError(t, err)
			require.Empty(t, page.Records)
			return nil
		})
		require.NoError(t, err)
		require.EqualValues(t, 2, e.count(account))
	})

	t.Run("a canceled context is honoured", func(t *testing.T) {
		e := newEnv(t, open)
		ctx, cancel := context.WithCancel(e.ctx)
		cancel()
		ran := false
		err := e.store.InTx(ctx, func(ctx context.Context) error { ran = true; return nil })
		require.ErrorIs(t, err, context.Canceled)
		require.False(t, ran, "a transaction does not start on a canceled context")

		ctx, cancel = context.WithCancel(e.ctx)
		defer cancel()
		err = e.store.InTx(ctx, func(ctx context.Context) error {
			if _, err := e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "Before cancel"}}); err != nil {
				return err
			}
			cancel()
			_, err := e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "After cancel"}})
			return err
		})
		require.ErrorIs(t, err, context.Canceled)
		require.Zero(t, e.count(account), "nothing of a canceled transaction is kept")
		e.create(account, crm.Fields{"name": "The store still works"})
	})

	t.Run("transactions on many goroutines serialize without losing writes", func(t *testing.T) {
		e := newEnv(t, open)
		const workers = 10
		var wg sync.WaitGroup
		errs := make([]error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[w] = e.store.InTx(e.ctx, func(ctx context.Context) error {
					a, err := e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": fmt.Sprintf("acc %d", w)}})
					if err != nil {
						return err
					}
					_, err = e.store.Create(ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "c", "parentcustomerid": a.Ref()}})
					if err != nil {
						return err
					}
					if w%2 == 1 {
						return errBoom
					}
					return nil
				})
			}()
		}
		wg.Wait()
		for w, err := range errs {
			if w%2 == 1 {
				require.True(t, errors.Is(err, errBoom), "worker %d: %v", w, err)
			} else {
				require.NoError(t, err, "worker %d", w)
			}
		}
		require.EqualValues(t, workers/2, e.count(account))
		require.EqualValues(t, workers/2, e.count(contact))
	})
}
