package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/sqlstore"
	"github.com/crmkit/crmkit/storage/sqlstore/postgres"
	"github.com/crmkit/crmkit/storage/sqlstore/sqlite"
)

// opener opens a fresh, empty database for one test.
type opener struct {
	name string
	// open returns a Driver over a new database (or schema) for t; with the
	// same key it opens the same database again.
	open func(t *testing.T, reg *crm.Registry, opts ...sqlstore.Option) *sqlstore.Driver
	// raw returns the database the opened drivers share, for tests that
	// write their own tables.
	raw func(t *testing.T) *sql.DB
	// table names a host table, qualified as the dialect needs.
	table string
}

// dialects returns the databases to test against: SQLite always, and
// PostgreSQL when CRMKIT_POSTGRES_DSN is set.
func dialects(t *testing.T) []opener {
	t.Helper()
	return []opener{sqliteOpener(t), postgresOpener(t)}
}

func sqliteOpener(t *testing.T) opener {
	t.Helper()
	path := filepath.Join(t.TempDir(), "crm.db")
	var db *sql.DB
	return opener{
		name:  "sqlite",
		table: "host_orders",
		open: func(t *testing.T, reg *crm.Registry, opts ...sqlstore.Option) *sqlstore.Driver {
			t.Helper()
			d, err := sqlite.Open(context.Background(), path, reg, opts...)
			require.NoError(t, err)
			t.Cleanup(func() { _ = d.Close() })
			return d
		},
		raw: func(t *testing.T) *sql.DB {
			t.Helper()
			if db == nil {
				var err error
				db, err = sql.Open("sqlite", sqlite.DSN(path))
				require.NoError(t, err)
				t.Cleanup(func() { _ = db.Close() })
			}
			return db
		},
	}
}

// postgresOpener gives each test a schema of its own, dropped at cleanup.
// Without CRMKIT_POSTGRES_DSN the PostgreSQL subtests skip, or fail when
// CRMKIT_REQUIRE_POSTGRES=1.
func postgresOpener(t *testing.T) opener {
	t.Helper()
	dsn := postgresDSN()
	schema := "crmkit_test_" + randomHex(6)
	var db *sql.DB
	raw := func(t *testing.T) *sql.DB {
		t.Helper()
		requirePostgres(t, dsn)
		if db == nil {
			var err error
			db, err = sql.Open("pgx", dsn)
			require.NoError(t, err)
			t.Cleanup(func() {
				_, _ = db.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE")
				_ = db.Close()
			})
		}
		return db
	}
	return opener{
		name:  "postgres",
		table: schema + ".host_orders",
		raw:   raw,
		open: func(t *testing.T, reg *crm.Registry, opts ...sqlstore.Option) *sqlstore.Driver {
			t.Helper()
			raw(t) // registers the schema's cleanup first, so it runs last
			opts = append([]sqlstore.Option{sqlstore.WithSchema(schema)}, opts...)
			d, err := postgres.Open(context.Background(), dsn, reg, opts...)
			require.NoError(t, err)
			t.Cleanup(func() { _ = d.Close() })
			return d
		},
	}
}

func postgresDSN() string { return os.Getenv("CRMKIT_POSTGRES_DSN") }

func requirePostgres(t *testing.T, dsn string) {
	t.Helper()
	if dsn != "" {
		return
	}
	msg := "PostgreSQL tests need a database: CRMKIT_POSTGRES_DSN=postgres://user@host:port/db?sslmode=disable go test ./storage/sqlstore/"
	if os.Getenv("CRMKIT_REQUIRE_POSTGRES") == "1" {
		t.Fatal("CRMKIT_REQUIRE_POSTGRES=1 but CRMKIT_POSTGRES_DSN is not set. " + msg)
	}
	t.Skip(msg)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func decPtr(s string) *decimal.Decimal { d := dec(s); return &d }

// testRegistry is a small CRM: accounts in a hierarchy, contacts whose
// parent customer is an account or a contact, and a value of every type.
func testRegistry(t *testing.T) *crm.Registry {
	t.Helper()
	reg := crm.NewRegistry()
	require.NoError(t, reg.Register(
		&crm.Entity{Name: "account", PrimaryName: "name", Fields: []crm.Field{
			{Name: "name", Type: crm.TypeText, Required: true, MaxLength: 200},
			{Name: "employees", Type: crm.TypeInteger},
			{Name: "revenue", Type: crm.TypeMoney},
			{Name: "rating", Type: crm.TypeDecimal, Precision: 2},
			{Name: "ratio", Type: crm.TypeDecimal, Precision: 10},
			{Name: "active", Type: crm.TypeBool},
			{Name: "founded", Type: crm.TypeTime},
			{Name: "industry", Type: crm.TypeChoice, Options: []crm.Option{{Value: 1, Label: "a"}, {Value: 2, Label: "b"}, {Value: 3, Label: "c"}}},
			{Name: "parentaccountid", Type: crm.TypeLookup, Targets: []string{"account"}, Hierarchical: true},
		}},
		&crm.Entity{Name: "contact", PrimaryName: "lastname", Fields: []crm.Field{
			{Name: "lastname", Type: crm.TypeText, Required: true},
			{Name: "accountid", Type: crm.TypeLookup, Targets: []string{"account"}, OnDelete: crm.DeleteCascade},
			{Name: "parentcustomerid", Type: crm.TypeLookup, Targets: []string{"account", "contact"}},
			{Name: "score", Type: crm.TypeDecimal, Precision: 4, Min: decPtr("-1000"), Max: decPtr("1000")},
		}},
	))
	return reg
}
