// Package sqlite is crmkit's SQL store on SQLite, the embedded default,
// through modernc.org/sqlite (pure Go, no cgo). Open a database with
// Open and hand the Driver to storage.New; see package sqlstore for what
// the store does and how it lays out its tables.
//
// Importing this package links modernc.org/sqlite and not PostgreSQL's
// driver. It opens databases through the driver's connector
// (sql.OpenDB), never by a database/sql driver name. modernc.org/sqlite
// itself registers the name "sqlite" when it is initialized, so a host
// must leave that name to it.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	msqlite "modernc.org/sqlite"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/sqlstore"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/sqlitedialect"
)

// Dialect is SQLite, for sqlstore.New over a *sql.DB the host opened
// itself (with DSN's settings).
func Dialect() sqlstore.Dialect { return sqlstore.Dialect{Spec: sqlitedialect.Spec()} }

// DSN returns the data source name Open uses for path: write
// transactions that begin IMMEDIATE (so two writers queue on the busy
// timeout instead of failing when one upgrades its read lock), WAL,
// foreign keys on, a 10 s busy timeout and synchronous=NORMAL. A host
// that opens its own *sql.DB for sqlstore.New should use it.
func DSN(path string) string {
	sep := "?"
	if strings.Contains(path, "?") { // a file: URI with parameters of its own
		sep = "&"
	}
	return path + sep + "_txlock=immediate" +
		"&_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)" +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)"
}

// Open opens (creating it if needed) the SQLite database at path and
// migrates it to reg; the Driver's Close closes the database. The path
// ":memory:" opens a private in-memory database; because each SQLite
// connection to ":memory:" is a database of its own, that Driver uses a
// single connection, so a Select must be read to its end (or stopped)
// before the next transaction begins.
func Open(ctx context.Context, path string, reg *crm.Registry, opts ...sqlstore.Option) (*sqlstore.Driver, error) {
	conn, err := msqlite.NewConnector(DSN(path))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db := sql.OpenDB(conn)
	if path == ":memory:" || strings.Contains(path, "mode=memory") {
		db.SetMaxOpenConns(1)
	}
	d, err := sqlstore.New(ctx, db, Dialect(), reg, append(opts[:len(opts):len(opts)], sqlstore.WithCloseDB())...)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return d, nil
}
