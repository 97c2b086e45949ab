package postgres_test

import (
	"context"
	"database/sql"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/sqlstore"
	"github.com/crmkit/crmkit/storage/sqlstore/postgres"
	"github.com/crmkit/crmkit/storage/sqlstore/postgres/internal/hostdriver"
)

// TestOpenIgnoresTheHostsDriverNames: a host registered its own driver as
// "pgx" before pgx was initialized. Nothing panicked (this test runs), the
// name stays the host's, and Open still reaches PostgreSQL through pgx.
func TestOpenIgnoresTheHostsDriverNames(t *testing.T) {
	dsn := os.Getenv("CRMKIT_POSTGRES_DSN")
	db, err := sql.Open("pgx", "anything")
	require.NoError(t, err)
	require.ErrorIs(t, db.Ping(), hostdriver.ErrHostDriver, "the name is the host's")
	_ = db.Close()

	if dsn == "" {
		if os.Getenv("CRMKIT_REQUIRE_POSTGRES") == "1" {
			t.Fatal("CRMKIT_POSTGRES_DSN is not set")
		}
		t.Skip("CRMKIT_POSTGRES_DSN is not set")
	}
	reg := crm.NewRegistry()
	require.NoError(t, reg.Register(&crm.Entity{Name: "probe", PrimaryName: "name", Fields: []crm.Field{
		{Name: "name", Type: crm.TypeText, Required: true},
	}}))
	ctx := crm.AsSystem(context.Background())
	d, err := postgres.Open(ctx, dsn, reg, sqlstore.WithSchema("crmkit_test_hostdriver"))
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = d.DB().Exec(`DROP SCHEMA crmkit_test_hostdriver CASCADE`)
		_ = d.Close()
	})
	s := storage.New(d, reg)
	rec, err := s.Create(ctx, crm.Record{Entity: "probe", Fields: crm.Fields{"name": "reached"}})
	require.NoError(t, err)
	got, err := s.Get(ctx, "probe", rec.ID)
	require.NoError(t, err)
	require.Equal(t, "reached", got.Fields["name"])
}

// TestOpenUnreachable: a database that cannot be reached is
// storage.ErrUnavailable.
func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := postgres.Open(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", crm.NewRegistry())
	require.ErrorIs(t, err, storage.ErrUnavailable)
}
