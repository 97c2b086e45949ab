package sqlstore

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/crmkit/crmkit/storage/sqlstore/internal/dialect"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/pgdialect"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// pgDriver is a Driver of the PostgreSQL dialect, for its error mapping.
func pgDriver() *Driver {
	return &Driver{dialect: Dialect{pgdialect.Spec()}, flavor: dialect.Postgres}
}

func TestMapErr(t *testing.T) {
	d := pgDriver()
	for code, want := range map[string]error{
		"23505": crm.ErrDuplicate,
		"40001": storage.ErrRetry,
		"40P01": storage.ErrRetry,
	} {
		t.Run("postgres "+code, func(t *testing.T) {
			err := d.mapErr("op", &pgconn.PgError{Code: code})
			require.ErrorIs(t, err, want)
			var pgErr *pgconn.PgError
			require.ErrorAs(t, err, &pgErr, "the database's error stays reachable")
		})
	}
	t.Run("other errors keep their identity", func(t *testing.T) {
		base := errors.New("boom")
		err := d.mapErr("op", base)
		require.ErrorIs(t, err, base)
		require.NotErrorIs(t, err, storage.ErrRetry)
		require.NotErrorIs(t, err, crm.ErrDuplicate)
	})
	require.NoError(t, d.mapErr("op", nil))
}

func TestMapErrConnectionLost(t *testing.T) {
	d := pgDriver()
	lost := map[string]error{
		"admin shutdown (57P01)":     &pgconn.PgError{Code: "57P01"},
		"crash shutdown (57P02)":     &pgconn.PgError{Code: "57P02"},
		"cannot connect now":         &pgconn.PgError{Code: "57P03"},
		"connection failure (08006)": &pgconn.PgError{Code: "08006"},
		"bad connection":             sqldriver.ErrBadConn,
		"closed connection":          fmt.Errorf("query: %w", pgconn.ErrConnClosed),
		"unexpected EOF":             fmt.Errorf("read: %w", io.ErrUnexpectedEOF),
		"connection reset":           &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET},
		"connection refused":         fmt.Errorf("dial: %w", syscall.ECONNREFUSED),
	}
	for name, cause := range lost {
		t.Run(name+" before commit is unavailable and retried", func(t *testing.T) {
			err := d.mapErr("update account", cause)
			require.ErrorIs(t, err, storage.ErrUnavailable)
			require.ErrorIs(t, err, storage.ErrRetry)
			require.NotErrorIs(t, err, storage.ErrCommitUnknown)
			require.ErrorIs(t, err, cause, "the driver's error stays reachable")
		})
		t.Run(name+" of a write on its own has an unknown outcome", func(t *testing.T) {
			// A statement outside a transaction commits as it runs.
			err := d.mapAloneErr("insert account", cause)
			require.ErrorIs(t, err, storage.ErrUnavailable)
			require.ErrorIs(t, err, cause)
			var pgErr *pgconn.PgError
			if errors.Is(cause, sqldriver.ErrBadConn) || errors.As(cause, &pgErr) {
				require.ErrorIs(t, err, storage.ErrRetry, "sent nothing, or the server said it did not run it")
				return
			}
			require.ErrorIs(t, err, storage.ErrCommitUnknown)
			require.NotErrorIs(t, err, storage.ErrRetry, "a write that may have happened is never rerun")
		})
		t.Run(name+" during commit has an unknown outcome", func(t *testing.T) {
			err := d.mapCommitErr(cause)
			require.ErrorIs(t, err, storage.ErrUnavailable)
			if errors.Is(cause, sqldriver.ErrBadConn) {
				// database/sql sent nothing: the transaction died unsent.
				require.ErrorIs(t, err, storage.ErrRetry)
				return
			}
			require.ErrorIs(t, err, storage.ErrCommitUnknown)
			require.NotErrorIs(t, err, storage.ErrRetry, "a commit that may have happened is never rerun")
		})
	}
	t.Run("a connection pgx closed before commit was sent is retried", func(t *testing.T) {
		err := d.mapCommitErr(fmt.Errorf("commit: %w", pgconn.ErrConnClosed))
		require.ErrorIs(t, err, storage.ErrUnavailable)
		require.NotErrorIs(t, err, storage.ErrRetry, "ErrConnClosed alone does not say nothing was sent")
	})
	t.Run("inside the caller's transaction it is not retried", func(t *testing.T) {
		c := &Driver{dialect: Dialect{pgdialect.Spec()}, flavor: dialect.Postgres, callerTx: new(sql.Tx)}
		err := c.mapErr("update account", &pgconn.PgError{Code: "57P01"})
		require.ErrorIs(t, err, storage.ErrUnavailable)
		require.NotErrorIs(t, err, storage.ErrRetry)
	})
	for name, cause := range map[string]error{
		"cancelled context":  context.Canceled,
		"expired deadline":   fmt.Errorf("read: %w", context.DeadlineExceeded),
		"query canceled":     &pgconn.PgError{Code: "57014"},
		"a constraint error": &pgconn.PgError{Code: "23503"},
		"protocol violation": &pgconn.PgError{Code: "08P01"},
	} {
		t.Run(name+" is not a lost connection", func(t *testing.T) {
			err := d.mapErr("op", cause)
			require.NotErrorIs(t, err, storage.ErrUnavailable)
			require.NotErrorIs(t, err, storage.ErrRetry)
			require.NotErrorIs(t, d.mapCommitErr(cause), storage.ErrCommitUnknown)
		})
	}
}

func TestLikePattern(t *testing.T) {
	for in, want := range map[string]string{
		`abc`:    `abc`,
		`A%b_C`:  `a%b_c`,
		`\%`:     `\%`,
		`\_`:     `\_`,
		`\\`:     `\\`,
		`a\`:     `a\\`,
		`\a`:     `a`,
		`\É`:     `É`,
		`100\%%`: `100\%%`,
	} {
		require.Equal(t, want, likePattern(in), "pattern %q", in)
	}
}

func TestParseLike(t *testing.T) {
	for in, want := range map[string]likeShape{
		`abc`:      {pattern: `abc`, chars: 3, literal: `abc`, simple: true},
		`%%abc%%%`: {pattern: `%abc%`, chars: 3, literal: `abc`, simple: true, lead: true, trail: true},
		`ab%`:      {pattern: `ab%`, chars: 2, literal: `ab`, simple: true, trail: true},
		`%é`:       {pattern: `%é`, chars: 1, literal: `é`, simple: true, lead: true},
		`a%%b`:     {pattern: `a%b`, chars: 2, literal: `ab`},
		`a_b`:      {pattern: `a_b`, chars: 3, literal: `ab`},
		`\%\_\\%`:  {pattern: `\%\_\\%`, chars: 3, literal: `%_\`, simple: true, trail: true},
		`%%%`:      {pattern: `%`, simple: true, lead: true},
		`x\%%%\%`:  {pattern: `x\%%\%`, chars: 3, literal: `x%%`},
	} {
		require.Equal(t, want, parseLike(in), "pattern %q", in)
	}
}
