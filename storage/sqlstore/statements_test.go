package sqlstore_test

// The statements each operation sends, counted below database/sql by a
// driver wrapped around the real one, so that they cannot creep back up
// unnoticed. BEGIN, COMMIT and ROLLBACK count as statements: each is a
// round trip. Statements are counted once prepared: a connection prepares
// each shape once, and the counts are of the steady state.

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"
	msqlite "modernc.org/sqlite"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/sqlstore"
	"github.com/crmkit/crmkit/storage/sqlstore/postgres"
	"github.com/crmkit/crmkit/storage/sqlstore/sqlite"
)

// statementLog records the statements sent through counted connections.
type statementLog struct {
	mu   sync.Mutex
	sent []string
}

func (l *statementLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent = append(l.sent, s)
}

// take returns the statements sent since the last take.
func (l *statementLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.sent
	l.sent = nil
	return out
}

type countingConnector struct {
	inner sqldriver.Connector
	log   *statementLog
}

func (c countingConnector) Connect(ctx context.Context) (sqldriver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &countingConn{inner: conn, log: c.log}, nil
}

func (c countingConnector) Driver() sqldriver.Driver { return c.inner.Driver() }

// countingConn passes every call through to the real connection, noting
// each statement it sends. It offers what the real one offers, so that
// database/sql takes the same paths with it as without.
type countingConn struct {
	inner sqldriver.Conn
	log   *statementLog
}

var (
	_ sqldriver.ConnBeginTx        = (*countingConn)(nil)
	_ sqldriver.ConnPrepareContext = (*countingConn)(nil)
	_ sqldriver.ExecerContext      = (*countingConn)(nil)
	_ sqldriver.QueryerContext     = (*countingConn)(nil)
	_ sqldriver.NamedValueChecker  = (*countingConn)(nil)
	_ sqldriver.SessionResetter    = (*countingConn)(nil)
	_ sqldriver.Validator          = (*countingConn)(nil)
	_ sqldriver.Pinger             = (*countingConn)(nil)
)

func (c *countingConn) Prepare(query string) (sqldriver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *countingConn) PrepareContext(ctx context.Context, query string) (sqldriver.Stmt, error) {
	var (
		s   sqldriver.Stmt
		err error
	)
	if p, ok := c.inner.(sqldriver.ConnPrepareContext); ok {
		s, err = p.PrepareContext(ctx, query)
	} else {
		s, err = c.inner.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	return &countingStmt{inner: s, query: query, log: c.log}, nil
}

func (c *countingConn) Close() error { return c.inner.Close() }

func (c *countingConn) Begin() (sqldriver.Tx, error) {
	return c.BeginTx(context.Background(), sqldriver.TxOptions{})
}

func (c *countingConn) BeginTx(ctx context.Context, opts sqldriver.TxOptions) (sqldriver.Tx, error) {
	var (
		tx  sqldriver.Tx
		err error
	)
	if b, ok := c.inner.(sqldriver.ConnBeginTx); ok {
		tx, err = b.BeginTx(ctx, opts)
	} else {
		tx, err = c.inner.Begin() //nolint:staticcheck // the driver offers nothing else
	}
	if err != nil {
		return nil, err
	}
	c.log.add("BEGIN")
	return countingTx{inner: tx, log: c.log}, nil
}

func (c *countingConn) ExecContext(ctx context.Context, query string, args []sqldriver.NamedValue) (sqldriver.Result, error) {
	e, ok := c.inner.(sqldriver.ExecerContext)
	if !ok {
		return nil, sqldriver.ErrSkip
	}
	r, err := e.ExecContext(ctx, query, args)
	if err != sqldriver.ErrSkip {
		c.log.add(query)
	}
	return r, err
}

func (c *countingConn) QueryContext(ctx context.Context, query string, args []sqldriver.NamedValue) (sqldriver.Rows, error) {
	q, ok := c.inner.(sqldriver.QueryerContext)
	if !ok {
		return nil, sqldriver.ErrSkip
	}
	r, err := q.QueryContext(ctx, query, args)
	if err != sqldriver.ErrSkip {
		c.log.add(query)
	}
	return r, err
}

func (c *countingConn) CheckNamedValue(nv *sqldriver.NamedValue) error {
	if ch, ok := c.inner.(sqldriver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return sqldriver.ErrSkip
}

func (c *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.inner.(sqldriver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *countingConn) IsValid() bool {
	if v, ok := c.inner.(sqldriver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *countingConn) Ping(ctx context.Context) error {
	if p, ok := c.inner.(sqldriver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

type countingTx struct {
	inner sqldriver.Tx
	log   *statementLog
}

func (t countingTx) Commit() error {
	t.log.add("COMMIT")
	return t.inner.Commit()
}

func (t countingTx) Rollback() error {
	t.log.add("ROLLBACK")
	return t.inner.Rollback()
}

type countingStmt struct {
	inner sqldriver.Stmt
	query string
	log   *statementLog
}

var (
	_ sqldriver.StmtExecContext   = (*countingStmt)(nil)
	_ sqldriver.StmtQueryContext  = (*countingStmt)(nil)
	_ sqldriver.NamedValueChecker = (*countingStmt)(nil)
)

func (s *countingStmt) Close() error  { return s.inner.Close() }
func (s *countingStmt) NumInput() int { return s.inner.NumInput() }

func (s *countingStmt) Exec(args []sqldriver.Value) (sqldriver.Result, error) {
	s.log.add(s.query)
	return s.inner.Exec(args) //nolint:staticcheck // only when the driver lacks the context form
}

func (s *countingStmt) Query(args []sqldriver.Value) (sqldriver.Rows, error) {
	s.log.add(s.query)
	return s.inner.Query(args) //nolint:staticcheck // only when the driver lacks the context form
}

func (s *countingStmt) ExecContext(ctx context.Context, args []sqldriver.NamedValue) (sqldriver.Result, error) {
	e, ok := s.inner.(sqldriver.StmtExecContext)
	if !ok {
		vals := make([]sqldriver.Value, len(args))
		for i, a := range args {
			vals[i] = a.Value
		}
		return s.Exec(vals)
	}
	s.log.add(s.query)
	return e.ExecContext(ctx, args)
}

func (s *countingStmt) QueryContext(ctx context.Context, args []sqldriver.NamedValue) (sqldriver.Rows, error) {
	q, ok := s.inner.(sqldriver.StmtQueryContext)
	if !ok {
		vals := make([]sqldriver.Value, len(args))
		for i, a := range args {
			vals[i] = a.Value
		}
		return s.Query(vals)
	}
	s.log.add(s.query)
	return q.QueryContext(ctx, args)
}

func (s *countingStmt) CheckNamedValue(nv *sqldriver.NamedValue) error {
	if ch, ok := s.inner.(sqldriver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return sqldriver.ErrSkip
}

// countedDB opens a database of the dialect through a counting driver.
type countedDB func(t *testing.T, reg *crm.Registry) (*sqlstore.Driver, *statementLog)

func countedSQLite(t *testing.T, reg *crm.Registry) (*sqlstore.Driver, *statementLog) {
	inner, err := msqlite.NewConnector(sqlite.DSN(filepath.Join(t.TempDir(), "crm.db")))
	require.NoError(t, err)
	log := &statementLog{}
	db := sql.OpenDB(countingConnector{inner: inner, log: log})
	d, err := sqlstore.New(context.Background(), db, sqlite.Dialect(), reg, sqlstore.WithCloseDB())
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	return d, log
}

func countedPostgres(t *testing.T, reg *crm.Registry) (*sqlstore.Driver, *statementLog) {
	dsn := postgresDSN()
	requirePostgres(t, dsn)
	inner, err := stdlib.GetDefaultDriver().(sqldriver.DriverContext).OpenConnector(dsn)
	require.NoError(t, err)
	log := &statementLog{}
	db := sql.OpenDB(countingConnector{inner: inner, log: log})
	schema := "crmkit_count_" + randomHex(6)
	d, err := sqlstore.New(context.Background(), db, postgres.Dialect(), reg, sqlstore.WithSchema(schema), sqlstore.WithCloseDB())
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = db.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE")
		_ = d.Close()
	})
	return d, log
}

// TestStatementsPerOperation pins how many statements each single-record
// operation sends, BEGIN and COMMIT included, once its statements are
// prepared. Change a number here only with a reason (and BENCHMARKS.md).
func TestStatementsPerOperation(t *testing.T) {
	for _, tc := range []struct {
		name string
		open countedDB
	}{{"sqlite", countedSQLite}, {"postgres", countedPostgres}} {
		t.Run(tc.name, func(t *testing.T) {
			reg := benchRegistry(t)
			d, log := tc.open(t, reg)
			s := storage.New(d, reg)
			ctx := crm.AsSystem(context.Background())
			acc, err := s.Create(ctx, crm.Record{Entity: benchAccount, Fields: crm.Fields{"name": "Holder"}})
			require.NoError(t, err)

			// sent runs op twice, the first time to prepare its
			// statements, and returns what the second sent.
			sent := func(op func() error) []string {
				t.Helper()
				require.NoError(t, op())
				log.take()
				require.NoError(t, op())
				return log.take()
			}
			newContact := func(parent crm.ID) crm.Record {
				c := crm.Record{Entity: benchContact, Fields: crm.Fields{"lastname": "Counted"}}
				if parent != crm.NilID {
					c.Fields["parentcustomerid"] = crm.Ref{Entity: benchAccount, ID: parent}
				}
				out, err := s.Create(ctx, c)
				require.NoError(t, err)
				return out
			}
			// Deleting a record one link points at asks who points at
			// it in the statement that would have deleted it on
			// PostgreSQL, and after it on SQLite.
			removeLink := map[string]int{"sqlite": 9, "postgres": 8}[tc.name]
			newAccount := func() crm.Record {
				out, err := s.Create(ctx, crm.Record{Entity: benchAccount, Fields: crm.Fields{"name": "Counted"}})
				require.NoError(t, err)
				return out
			}

			for _, op := range []struct {
				name string
				want int
				run  func() error
			}{
				{"get: one SELECT, no transaction", 1, func() error {
					_, err := s.Get(ctx, benchAccount, acc.ID)
					return err
				}},
				{"create with no lookup: one INSERT, committed as it runs", 1, func() error {
					_, err := s.Create(ctx, crm.Record{Entity: benchContact, Fields: crm.Fields{"lastname": "New"}})
					return err
				}},
				{"create with no lookup inside a transaction: BEGIN, INSERT, COMMIT", 3, func() error {
					return s.InTx(ctx, func(ctx context.Context) error {
						_, err := s.Create(ctx, crm.Record{Entity: benchContact, Fields: crm.Fields{"lastname": "New"}})
						return err
					})
				}},
				{"create with a lookup: BEGIN, share the parent, INSERT, COMMIT", 4, func() error {
					_, err := s.Create(ctx, crm.Record{Entity: benchContact, Fields: crm.Fields{"lastname": "New",
						"parentcustomerid": acc.Ref()}})
					return err
				}},
				{"update, version checked: one UPDATE ... RETURNING, committed as it runs", 1, func() error {
					c := newContact(crm.NilID)
					log.take()
					_, err := s.Update(ctx, crm.Record{Entity: benchContact, Header: crm.Header{ID: c.ID, Version: c.Version},
						Fields: crm.Fields{"firstname": "Changed"}})
					return err
				}},
				{"update of a lookup, version checked: BEGIN, lock, share the target, UPDATE, COMMIT", 5, func() error {
					c := newContact(crm.NilID)
					log.take()
					_, err := s.Update(ctx, crm.Record{Entity: benchContact, Header: crm.Header{ID: c.ID, Version: c.Version},
						Fields: crm.Fields{"parentcustomerid": acc.Ref()}})
					return err
				}},
				{"update inside a transaction: BEGIN, UPDATE, COMMIT", 3, func() error {
					c := newContact(crm.NilID)
					log.take()
					return s.InTx(ctx, func(ctx context.Context) error {
						_, err := s.Update(ctx, crm.Record{Entity: benchContact, Header: crm.Header{ID: c.ID, Version: c.Version},
							Fields: crm.Fields{"firstname": "Changed"}})
						return err
					})
				}},
				{"delete of a record nothing can point at, version checked: one DELETE, committed as it runs", 1, func() error {
					c := newContact(acc.ID)
					log.take()
					return s.Delete(ctx, c.Ref(), c.Version)
				}},
				{"delete inside a transaction of a record nothing can point at: BEGIN, DELETE, COMMIT", 3, func() error {
					c := newContact(acc.ID)
					log.take()
					return s.InTx(ctx, func(ctx context.Context) error { return s.Delete(ctx, c.Ref(), c.Version) })
				}},
				{"delete at a stale version: the DELETE alone, then BEGIN, DELETE, read the version, ROLLBACK", 5, func() error {
					c := newContact(acc.ID)
					log.take()
					if err := s.Delete(ctx, c.Ref(), c.Version+1); !errors.Is(err, crm.ErrConflict) {
						return fmt.Errorf("want a conflict, got %v", err)
					}
					return nil
				}},
				{"delete of a record nothing points at: BEGIN, lock, DELETE unless referred to, COMMIT", 4, func() error {
					a := newAccount()
					log.take()
					return s.Delete(ctx, a.Ref(), a.Version)
				}},
				{"delete removing one link: BEGIN, lock, DELETE unless referred to (and referrers), lock and UPDATE the child, lock again, DELETE, COMMIT", removeLink, func() error {
					a := newAccount()
					newContact(a.ID)
					log.take()
					return s.Delete(ctx, a.Ref(), a.Version)
				}},
			} {
				t.Run(op.name, func(t *testing.T) {
					got := sent(op.run)
					require.Len(t, got, op.want, "statements sent:\n%s", strings.Join(got, "\n"))
				})
			}
		})
	}
}
