// Package postgres is crmkit's SQL store on PostgreSQL, for scale,
// through pgx. Open a database with Open and hand the Driver to
// storage.New; see package sqlstore for what the store does and how it
// lays out its tables (WithSchema keeps them in a schema of their own).
//
// Importing this package links pgx and not SQLite's driver. It opens
// databases through pgx's connector (sql.OpenDB), not by driver name, so
// it works whatever a host has registered with database/sql under "pgx".
package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/sqlstore"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/pgdialect"
)

// Dialect is PostgreSQL, for sqlstore.New over a *sql.DB the host opened
// itself (with pgx's database/sql driver).
func Dialect() sqlstore.Dialect { return sqlstore.Dialect{Spec: pgdialect.Spec()} }

// Open connects to the PostgreSQL database at dsn (a pgx connection
// string or URL) and migrates it to reg; the Driver's Close closes the
// connection pool. A database it cannot reach fails with
// storage.ErrUnavailable.
func Open(ctx context.Context, dsn string, reg *crm.Registry, opts ...sqlstore.Option) (*sqlstore.Driver, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	d, err := sqlstore.New(ctx, db, Dialect(), reg, append(opts[:len(opts):len(opts)], sqlstore.WithCloseDB())...)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return d, nil
}
