package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

func TestInTxRetry(t *testing.T) {
	t.Run("a transaction aborted with ErrRetry runs again", func(t *testing.T) {
		d := &retryDriver{Driver: newMemory(), failures: 3}
		f := newFixtureOn(t, d)
		runs := 0
		err := f.store.InTx(crm.AsSystem(t.Context()), func(ctx context.Context) error {
			runs++
			f.createAccount(t, ctx, crm.Fields{"name": "Contoso"})
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, 4, runs)
		require.Equal(t, int64(1), f.count(t, "account"), "only the run that committed is kept")
	})
	t.Run("retries are bounded", func(t *testing.T) {
		d := &retryDriver{Driver: newMemory(), failures: 100}
		f := newFixtureOn(t, d, storage.WithRetries(2))
		runs := 0
		err := f.store.InTx(crm.AsSystem(t.Context()), func(ctx context.Context) error {
			runs++
			f.createAccount(t, ctx, crm.Fields{"name": "Contoso"})
			return nil
		})
		require.ErrorIs(t, err, storage.ErrRetry)
		require.Equal(t, 3, runs, "the first run and two retries")
		require.Zero(t, f.count(t, "account"))
	})
	t.Run("the default is DefaultRetries", func(t *testing.T) {
		d := &retryDriver{Driver: newMemory(), failures: 100}
		f := newFixtureOn(t, d)
		runs := 0
		err := f.store.InTx(crm.AsSystem(t.Context()), func(context.Context) error { runs++; return nil })
		require.ErrorIs(t, err, storage.ErrRetry)
		require.Equal(t, 1+storage.DefaultRetries, runs)
	})
	t.Run("no retries when they are disabled", func(t *testing.T) {
		d := &retryDriver{Driver: newMemory(), failures: 1}
		f := newFixtureOn(t, d, storage.WithRetries(0))
		_, err := f.store.Create(crm.AsSystem(t.Context()), crm.Record{Entity: "account", Fields: crm.Fields{"name": "Contoso"}})
		require.ErrorIs(t, err, storage.ErrRetry)
		require.Equal(t, 1, d.begins)
	})
	t.Run("other commit errors are not retried", func(t *testing.T) {
		errDisk := errors.New("disk full")
		d := &retryDriver{Driver: newMemory(), failWith: errDisk}
		f := newFixtureOn(t, d)
		runs := 0
		err := f.store.InTx(crm.AsSystem(t.Context()), func(context.Context) error { runs++; return nil })
		require.ErrorIs(t, err, errDisk)
		require.Equal(t, 1, runs)
	})
	t.Run("errors of the closure are not retried", func(t *testing.T) {
		f := newFixture(t)
		runs := 0
		errNo := errors.New("no")
		err := f.store.InTx(crm.AsSystem(t.Context()), func(context.Context) error { runs++; return errNo })
		require.ErrorIs(t, err, errNo)
		require.Equal(t, 1, runs)
	})
	t.Run("a closure's ErrRetry is retried too", func(t *testing.T) {
		f := newFixture(t)
		runs := 0
		err := f.store.InTx(crm.AsSystem(t.Context()), func(context.Context) error {
			runs++
			if runs < 3 {
				return storage.ErrRetry
			}
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, 3, runs)
	})
	t.Run("a canceled context stops the retries", func(t *testing.T) {
		d := &retryDriver{Driver: newMemory(), failures: 100}
		f := newFixtureOn(t, d)
		ctx, cancel := context.WithCancel(crm.AsSystem(t.Context()))
		runs := 0
		err := f.store.InTx(ctx, func(context.Context) error {
			runs++
			cancel()
			return nil
		})
		require.ErrorIs(t, err, context.Canceled, "a unit of work whose context ended is not committed")
		require.Equal(t, 1, runs)
	})
}

func TestInTx(t *testing.T) {
	t.Run("a joined operation that failed after writing rolls everything back", func(t *testing.T) {
		f := newFixture(t)
		errAudit := errors.New("audit unavailable")
		require.NoError(t, f.store.Hook("contact", storage.OpCreate, storage.PostOperation, func(context.Context, *storage.Event) error { return errAudit }))
		err := f.store.InTx(crm.AsSystem(t.Context()), func(ctx context.Context) error {
			f.createAccount(t, ctx, crm.Fields{"name": "Contoso"})
			_, err := f.store.Create(ctx, crm.Record{Entity: "contact", Fields: crm.Fields{"lastname": "Davolio"}})
			require.ErrorIs(t, err, errAudit)
			return nil // the closure carries on as if nothing happened
		})
		require.ErrorIs(t, err, storage.ErrRolledBack)
		require.ErrorIs(t, err, errAudit, "the error says which operation failed")
		require.Zero(t, f.count(t, "account"))
		require.Zero(t, f.count(t, "contact"))
	})
	t.Run("a nested unit of work that failed after writing rolls everything back", func(t *testing.T) {
		f := newFixture(t)
		errLater := errors.New("second step failed")
		err := f.store.InTx(crm.AsSystem(t.Context()), func(ctx context.Context) error {
			inner := f.store.InTx(ctx, func(ctx context.Context) error {
				f.createAccount(t, ctx, crm.Fields{"name": "Half done"})
				return errLater
			})
			require.ErrorIs(t, inner, errLater)
			f.createAccount(t, ctx, crm.Fields{"name": "Contoso"})
			return nil // the outer closure ignores the inner failure
		})
		require.ErrorIs(t, err, storage.ErrRolledBack)
		require.ErrorIs(t, err, errLater)
		require.Zero(t, f.count(t, "account"))
	})
	t.Run("a joined operation refused before writing does not spoil the transaction", func(t *testing.T) {
		f := newFixture(t)
		err := f.store.InTx(crm.AsSystem(t.Context()), func(ctx context.Context) error {
			f.createAccount(t, ctx, crm.Fields{"name": "Contoso"})
			_, err := f.store.Create(ctx, crm.Record{Entity: "contact", Fields: crm.Fields{}})
			require.ErrorIs(t, err, crm.ErrValidation)
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, int64(1), f.count(t, "account"))
	})
	t.Run("a panic rolls back and goes on panicking", func(t *testing.T) {
		f := newFixture(t)
		require.PanicsWithValue(t, "bug", func() {
			_ = f.store.InTx(crm.AsSystem(t.Context()), func(ctx context.Context) error {
				f.createAccount(t, ctx, crm.Fields{"name": "Contoso"})
				panic("bug")
			})
		})
		require.Zero(t, f.count(t, "account"))
		f.createAccount(t, crm.AsSystem(t.Context()), crm.Fields{"name": "Next"}) // the store is usable
	})
	t.Run("reads in the transaction see its writes, reads outside do not", func(t *testing.T) {
		f := newFixture(t)
		err := f.store.InTx(crm.AsSystem(t.Context()), func(ctx context.Context) error {
			rec := f.createAccount(t, ctx, crm.Fields{"name": "Contoso"})
			_, err := f.store.Get(ctx, "account", rec.ID)
			require.NoError(t, err)
			_, err = f.store.Get(crm.AsSystem(context.Background()), "account", rec.ID)
			require.ErrorIs(t, err, crm.ErrNotFound)
			n, err := f.store.Count(ctx, crm.Query{Entity: "account"})
			require.NoError(t, err)
			require.Equal(t, int64(1), n)
			return nil
		})
		require.NoError(t, err)
	})
	t.Run("one now per transaction", func(t *testing.T) {
		f := newFixture(t)
		var a, b crm.Record
		err := f.store.InTx(crm.AsSystem(t.Context()), func(ctx context.Context) error {
			a = f.createAccount(t, ctx, crm.Fields{"name": "First"})
			f.clock.Advance(time.Hour)
			b = f.createAccount(t, ctx, crm.Fields{"name": "Second"})
			require.Equal(t, start, f.store.Now(ctx))
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, start, a.CreatedOn)
		require.Equal(t, start, b.CreatedOn, "the clock moved but the transaction's now did not")
		require.Equal(t, start, b.ModifiedOn)
		require.Equal(t, start.Add(time.Hour), f.store.Now(crm.AsSystem(t.Context())), "outside a transaction now is the clock's")
		c := f.createAccount(t, crm.AsSystem(t.Context()), crm.Fields{"name": "Third"})
		require.Equal(t, start.Add(time.Hour), c.CreatedOn)
	})
	t.Run("now is kept to the microsecond in UTC", func(t *testing.T) {
		f := newFixture(t)
		f.clock.Set(time.Date(2024, 3, 1, 10, 0, 0, 123456789, time.FixedZone("X", 3600)))
		rec := f.createAccount(t, crm.AsSystem(t.Context()), crm.Fields{"name": "Contoso"})
		require.Equal(t, time.Date(2024, 3, 1, 9, 0, 0, 123456000, time.UTC), rec.CreatedOn)
	})
	t.Run("the caller comes from the context", func(t *testing.T) {
		f := newFixture(t)
		alice, bob := crm.NewID(), crm.NewID()
		rec := f.createAccount(t, crm.WithCaller(crm.AsSystem(t.Context()), alice), crm.Fields{"name": "Contoso"})
		require.Equal(t, alice, rec.CreatedBy)
		require.Equal(t, alice, rec.ModifiedBy)
		require.Equal(t, crm.Ref{Entity: crm.UserEntity, ID: alice}, rec.Owner, "the caller owns what it creates")
		upd, err := f.store.Update(crm.WithCaller(crm.AsSystem(t.Context()), bob), crm.Record{Entity: "account", Header: crm.Header{ID: rec.ID}, Fields: crm.Fields{"employees": 3}})
		require.NoError(t, err)
		require.Equal(t, alice, upd.CreatedBy)
		require.Equal(t, bob, upd.ModifiedBy)
		require.Equal(t, rec.Owner, upd.Owner, "an update does not take ownership")
	})
	t.Run("without a caller the system user acts", func(t *testing.T) {
		f := newFixture(t)
		rec := f.createAccount(t, crm.AsSystem(t.Context()), crm.Fields{"name": "Contoso"})
		require.Equal(t, crm.SystemUser.ID, rec.CreatedBy)
		require.Equal(t, crm.SystemUser, rec.Owner)
	})
	t.Run("a transaction of another store is not joined", func(t *testing.T) {
		f, g := newFixture(t), newFixture(t)
		err := f.store.InTx(crm.AsSystem(t.Context()), func(ctx context.Context) error {
			g.createAccount(t, ctx, crm.Fields{"name": "Elsewhere"})
			return errors.New("roll back f")
		})
		require.Error(t, err)
		require.Equal(t, int64(1), g.count(t, "account"), "g committed its own transaction")
	})
}

func TestClockOutsideTheTimesARecordHolds(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1752, 12, 31, 23, 59, 59, 0, time.UTC),
	} {
		f := newFixture(t)
		f.clock.Set(at)
		_, err := f.store.Create(crm.AsSystem(t.Context()), crm.Record{Entity: "account", Fields: crm.Fields{"name": "Stamped"}})
		require.ErrorContains(t, err, "the clock reads", "at %s", at)
		f.clock.Set(start)
		require.Zero(t, f.count(t, "account"))
	}
}
