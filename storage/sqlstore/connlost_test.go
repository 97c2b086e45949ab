package sqlstore_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/sqlstore/postgres"
)

// TestConnectionLost terminates the backend of a PostgreSQL transaction the
// way an administrator, a failover or a crash does, and checks that the
// failure is typed: retried by InTx while COMMIT was not yet sent, and an
// unknown outcome, never retried, once it was.
func TestConnectionLost(t *testing.T) {
	o := postgresOpener(t)
	admin := o.raw(t) // skips without a DSN
	ctx := crm.AsSystem(context.Background())
	reg := testRegistry(t)
	d := o.open(t, reg)
	// One connection: the transaction's backend is the pool's only one,
	// so its pid can be read before the transaction begins.
	d.DB().SetMaxOpenConns(1)
	s := storage.New(d, reg)
	backend := func(t *testing.T) int {
		t.Helper()
		var pid int
		require.NoError(t, d.DB().QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid))
		return pid
	}
	terminate := func(t *testing.T, pid int) {
		t.Helper()
		var ok bool
		require.NoError(t, admin.QueryRowContext(ctx, "SELECT pg_terminate_backend($1)", pid).Scan(&ok))
		require.True(t, ok, "terminate backend %d", pid)
		require.Eventually(t, func() bool {
			var n int
			err := admin.QueryRowContext(ctx, "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = $1", pid).Scan(&n)
			return err == nil && n == 0
		}, 10*time.Second, 10*time.Millisecond, "backend %d still running", pid)
	}
	count := func(t *testing.T, name string) int64 {
		t.Helper()
		n, err := s.Count(ctx, crm.Query{Entity: "account", Where: crm.Eq("name", name)})
		require.NoError(t, err)
		return n
	}
	create := func(ctx context.Context, name string) error {
		_, err := s.Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": name}})
		return err
	}

	t.Run("a backend lost mid-transaction is unavailable, and InTx runs the transaction again", func(t *testing.T) {
		pid := backend(t)
		var attempts int
		var lost error
		err := s.InTx(ctx, func(ctx context.Context) error {
			attempts++
			if err := create(ctx, "mid 1"); err != nil {
				return err
			}
			if attempts == 1 {
				terminate(t, pid)
			}
			err := create(ctx, "mid 2")
			if attempts == 1 {
				lost = err
			}
			return err
		})
		require.NoError(t, err)
		require.Equal(t, 2, attempts)
		require.ErrorIs(t, lost, storage.ErrUnavailable)
		require.ErrorIs(t, lost, storage.ErrRetry)
		require.NotErrorIs(t, lost, storage.ErrCommitUnknown)
		require.EqualValues(t, 1, count(t, "mid 1"), "the lost attempt left nothing")
		require.EqualValues(t, 1, count(t, "mid 2"))
	})

	t.Run("a backend lost while idle fails no transaction", func(t *testing.T) {
		terminate(t, backend(t))
		require.NoError(t, s.InTx(ctx, func(ctx context.Context) error { return create(ctx, "idle") }))
		require.EqualValues(t, 1, count(t, "idle"))
	})

	t.Run("a backend lost during COMMIT is an unknown outcome, not retried", func(t *testing.T) {
		pid := backend(t)
		var attempts int
		err := s.InTx(ctx, func(ctx context.Context) error {
			attempts++
			if err := create(ctx, "commit"); err != nil {
				return err
			}
			terminate(t, pid)
			return nil
		})
		require.Equal(t, 1, attempts)
		require.ErrorIs(t, err, storage.ErrCommitUnknown)
		require.ErrorIs(t, err, storage.ErrUnavailable)
		require.NotErrorIs(t, err, storage.ErrRetry)
		require.False(t, errors.Is(err, crm.ErrValidation))
		// Here the backend died before COMMIT reached it: re-reading
		// shows the transaction did not commit.
		require.EqualValues(t, 0, count(t, "commit"))
	})
}

// TestOpenPostgresUnavailable: a server that cannot be reached is
// ErrUnavailable; a database that does not exist is not.
func TestOpenPostgresUnavailable(t *testing.T) {
	ctx := crm.AsSystem(context.Background())
	_, err := postgres.Open(ctx, "postgres://postgres@127.0.0.1:1/crmkit?sslmode=disable&connect_timeout=5", testRegistry(t))
	require.ErrorIs(t, err, storage.ErrUnavailable)

	dsn := postgresDSN()
	requirePostgres(t, dsn)
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.Path = "/crmkit_no_such_database"
	_, err = postgres.Open(ctx, u.String(), testRegistry(t))
	require.Error(t, err)
	require.NotErrorIs(t, err, storage.ErrUnavailable)
}
