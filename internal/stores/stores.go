// Package stores opens the three stores the domain packages' tests run
// on, alike for every module: the memory store, SQLite in the test's
// temporary directory, and PostgreSQL in a schema of the test's own when
// CRMKIT_POSTGRES_DSN names a server (required when
// CRMKIT_REQUIRE_POSTGRES=1, as in CI).
package stores

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/memory"
	"github.com/crmkit/crmkit/storage/sqlstore"
	"github.com/crmkit/crmkit/storage/sqlstore/postgres"
	"github.com/crmkit/crmkit/storage/sqlstore/sqlite"
)

// Backend opens a new, empty driver serving a registry.
type Backend struct {
	Name string
	Open func(t *testing.T, reg *crm.Registry) driver.Driver
}

// All returns the memory, SQLite and PostgreSQL backends; prefix starts
// the names of the PostgreSQL schemas (and SQLite files) they make.
func All(prefix string) []Backend {
	return []Backend{
		{"memory", func(t *testing.T, r *crm.Registry) driver.Driver { return memory.New() }},
		{"sqlite", func(t *testing.T, r *crm.Registry) driver.Driver {
			d, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), prefix+".db"), r)
			require.NoError(t, err)
			t.Cleanup(func() { _ = d.Close() })
			return d
		}},
		{"postgres", func(t *testing.T, r *crm.Registry) driver.Driver {
			dsn, schema := PostgresSchema(t, prefix)
			d, err := postgres.Open(context.Background(), dsn, r, sqlstore.WithSchema(schema))
			require.NoError(t, err)
			t.Cleanup(func() { _ = d.Close() })
			return d
		}},
	}
}

// PostgresSchema returns the test server's DSN and a schema name of the
// test's own, dropped when the test ends. Without CRMKIT_POSTGRES_DSN it
// skips the test, or fails it when CRMKIT_REQUIRE_POSTGRES=1 (as in CI).
func PostgresSchema(t testing.TB, prefix string) (dsn, schema string) {
	t.Helper()
	dsn = os.Getenv("CRMKIT_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("CRMKIT_REQUIRE_POSTGRES") == "1" {
			t.Fatal("CRMKIT_REQUIRE_POSTGRES=1 but CRMKIT_POSTGRES_DSN is not set")
		}
		t.Skip("CRMKIT_POSTGRES_DSN is not set")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema = prefix + hex.EncodeToString(b)
	t.Cleanup(func() { // after the stores' own cleanups close them
		if db, err := sql.Open("pgx", dsn); err == nil {
			_, _ = db.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE")
			_ = db.Close()
		}
	})
	return dsn, schema
}
