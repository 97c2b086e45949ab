package sqlstore

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

func TestMapErr(t *testing.T) {
	d := &Driver{dialect: Postgres}
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
