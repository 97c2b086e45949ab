package sqlstore

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"sync/atomic"
	"syscall"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/dialect"
)

// Dialect is a SQL database and the Go driver crmkit reaches it through:
// sqlite.Dialect() (package storage/sqlstore/sqlite, modernc.org/sqlite)
// or postgres.Dialect() (storage/sqlstore/postgres, pgx). Package sqlstore
// links no database driver itself, so a program that uses one database
// does not link the other's. The zero Dialect is none: New refuses it.
type Dialect struct{ *dialect.Spec }

// String returns the dialect's name: "sqlite" or "postgres".
func (d Dialect) String() string {
	if d.Spec == nil {
		return "none"
	}
	return d.Flavor.String()
}

// defaultBatchRows caps the rows of one multi-row INSERT: past a few
// hundred rows a bigger statement saves nothing.
const defaultBatchRows = 500

// Option configures a Driver.
type Option func(*config)

type config struct {
	prefix    string
	schema    string
	batchRows int
	closeDB   bool
}

// WithTablePrefix prefixes every table crmkit creates, for a database that
// holds the host's tables too: WithTablePrefix("crm_") keeps accounts in
// crm_account. It works on both dialects.
func WithTablePrefix(prefix string) Option { return func(c *config) { c.prefix = prefix } }

// WithSchema puts crmkit's tables in a PostgreSQL schema of their own,
// created if missing. SQLite has no schemas: use WithTablePrefix there.
func WithSchema(schema string) Option { return func(c *config) { c.schema = schema } }

// WithCloseDB makes the Driver own its database: Close closes it. The
// sqlite and postgres packages' Open use it for the database they open.
func WithCloseDB() Option { return func(c *config) { c.closeDB = true } }

// WithBatchRows caps the rows of one multi-row INSERT (default 500). The
// statement's parameter limit caps it further.
func WithBatchRows(n int) Option { return func(c *config) { c.batchRows = n } }

var identPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,29}$`)

// Driver stores crmkit records in a SQL database. It implements
// driver.Driver and is safe for concurrent use. Create one with
// sqlite.Open, postgres.Open or New; Close it when done.
type Driver struct {
	db      *sql.DB
	q       querier // db, or the caller's transaction (WithTx)
	dialect Dialect
	flavor  dialect.Flavor // dialect.Flavor, the SQL statements are written in
	reg     *crm.Registry
	cfg     config
	// sch holds the tables and the schema version, shared with the
	// Drivers WithTx derives, and replaced whole when fields are added.
	sch *schemaState

	callerTx *sql.Tx       // set by WithTx
	seq      *atomic.Int64 // savepoint names within callerTx
	stmts    *stmtCache    // shared with the Drivers WithTx returns
	// txBound holds the prepared statements bound to callerTx: a Driver
	// WithTx returns is used by one goroutine only.
	txBound map[stmtKey]*sql.Stmt
	// cursors names the PostgreSQL cursors open in callerTx.
	cursors *cursorNames
}

var (
	_ driver.Driver     = (*Driver)(nil)
	_ driver.Tx         = (*tx)(nil)
	_ driver.FieldAdder = (*Driver)(nil)
)

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// New returns a Driver over db, a database of the given dialect, and
// migrates the database to reg. Close does not close db (see WithCloseDB). Most programs
// call sqlite.Open or postgres.Open instead, which open the database
// too; New is for a host that holds its own *sql.DB (a SQLite one should
// be opened with sqlite.DSN's settings: without _txlock=immediate,
// concurrent writers fail with storage.ErrRetry more often).
func New(ctx context.Context, db *sql.DB, dl Dialect, reg *crm.Registry, opts ...Option) (*Driver, error) {
	cfg := config{batchRows: defaultBatchRows}
	for _, o := range opts {
		o(&cfg)
	}
	switch {
	case dl.Spec == nil:
		return nil, errors.New("sqlstore: no dialect: use sqlite.Dialect() or postgres.Dialect()")
	case cfg.prefix != "" && !identPattern.MatchString(cfg.prefix):
		return nil, fmt.Errorf("sqlstore: table prefix %q: want lower-case letters, digits and '_'", cfg.prefix)
	case cfg.schema != "" && dl.Flavor != dialect.Postgres:
		return nil, fmt.Errorf("sqlstore: schemas are for PostgreSQL; use WithTablePrefix with SQLite")
	case cfg.schema != "" && !identPattern.MatchString(cfg.schema):
		return nil, fmt.Errorf("sqlstore: schema %q: want lower-case letters, digits and '_'", cfg.schema)
	case cfg.batchRows < 1:
		cfg.batchRows = 1
	}
	d := &Driver{db: db, q: db, dialect: dl, flavor: dl.Flavor, reg: reg, cfg: cfg, seq: new(atomic.Int64), sch: &schemaState{},
		stmts: &stmtCache{m: map[stmtKey]*sql.Stmt{}, pending: map[stmtKey]string{}}}
	if err := db.PingContext(ctx); err != nil {
		if d.connLost(err) {
			return nil, fmt.Errorf("sqlstore: %w: %w", storage.ErrUnavailable, err)
		}
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	if err := d.learn(ctx); err != nil {
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	if err := reg.Complete(); err != nil {
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	tables, err := d.buildTables(reg.Entities())
	if err != nil {
		return nil, err
	}
	if err := d.migrate(ctx, tables); err != nil {
		return nil, err
	}
	d.sch.tables.Store(&tables)
	return d, nil
}

// Close closes the Driver's prepared statements, and the database if the
// Driver owns it (WithCloseDB, as sqlite.Open and postgres.Open do). A Driver WithTx returned closes nothing: its parent
// owns the statements.
func (d *Driver) Close() error {
	if d.callerTx != nil {
		return nil
	}
	err := d.stmts.close()
	if d.cfg.closeDB {
		err = errors.Join(err, d.db.Close())
	}
	return err
}

// DB returns the database the Driver uses.
func (d *Driver) DB() *sql.DB { return d.db }

// Dialect returns the Driver's SQL dialect.
func (d *Driver) Dialect() Dialect { return d.dialect }

// SchemaVersion returns the schema version the database is at, as
// recorded in the schema-version table.
func (d *Driver) SchemaVersion() int { return int(d.sch.version.Load()) }

// WithTx returns a Driver that works inside tx, a transaction the caller
// holds on the same database: its reads go through tx, its Begin sets a
// SAVEPOINT and its Commit releases it, never committing tx. The caller
// commits or rolls back tx, and with it crmkit's writes. Use the returned
// Driver from the goroutine that owns tx only, and for tx's lifetime.
func (d *Driver) WithTx(tx *sql.Tx) driver.Driver {
	c := *d
	c.q = tx
	c.callerTx = tx
	c.seq = new(atomic.Int64)
	c.txBound = map[stmtKey]*sql.Stmt{}
	c.cursors = &cursorNames{}
	return &c
}

// Begin starts a transaction: a database transaction (BEGIN IMMEDIATE on
// SQLite), or a savepoint inside the caller's transaction (WithTx).
func (d *Driver) Begin(ctx context.Context) (driver.Tx, error) {
	if d.callerTx != nil {
		name := fmt.Sprintf("crmkit_sp_%d", d.seq.Add(1))
		if _, err := d.callerTx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
			return nil, d.mapErr("begin", err)
		}
		return &tx{d: d, q: d.callerTx, savepoint: name, bound: d.txBound, cursors: d.cursors}, nil
	}
	if d.dialect.CopyFrom != nil {
		return d.beginOnConn(ctx)
	}
	t, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, d.mapErr("begin", err)
	}
	return &tx{d: d, q: t, sqlTx: t, bound: map[stmtKey]*sql.Stmt{}, cursors: &cursorNames{}}, nil
}

// mapErr translates database errors into crmkit's kinds: a unique
// violation is crm.ErrDuplicate; a serialization failure, a deadlock or a
// busy SQLite database is storage.ErrRetry; a lost connection is
// storage.ErrUnavailable, and storage.ErrRetry too, because the database
// rolls back the transaction of a connection it loses (see mapCommitErr
// for COMMIT itself). Inside a caller's transaction (WithTx) a lost
// connection has taken the caller's transaction with it, which crmkit
// cannot run again: there it is ErrUnavailable only.
func (d *Driver) mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if d.connLost(err) {
		if d.callerTx != nil {
			return fmt.Errorf("%s: %w: %w", op, storage.ErrUnavailable, err)
		}
		return fmt.Errorf("%s: %w: %w: %w", op, storage.ErrUnavailable, storage.ErrRetry, err)
	}
	switch d.dialect.Classify(err) {
	case dialect.ErrDuplicate:
		return fmt.Errorf("%s: %w: %w", op, crm.ErrDuplicate, err)
	case dialect.ErrRetry:
		return fmt.Errorf("%s: %w: %w", op, storage.ErrRetry, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// mapCommitErr maps the error of a COMMIT. A connection lost before the
// COMMIT went out leaves a transaction the database rolled back
// (storage.ErrRetry); lost after, the outcome is unknown
// (storage.ErrCommitUnknown, never ErrRetry).
func (d *Driver) mapCommitErr(err error) error {
	if err == nil || !d.connLost(err) {
		return d.mapErr("commit", err)
	}
	if errors.Is(err, sqldriver.ErrBadConn) || d.dialect.Unsent(err) {
		return fmt.Errorf("commit: %w: %w: %w", storage.ErrUnavailable, storage.ErrRetry, err)
	}
	return fmt.Errorf("commit: %w: %w: %w", storage.ErrUnavailable, storage.ErrCommitUnknown, err)
}

// mapAloneErr maps the error of a write run on its own, outside any
// transaction (Patch, InsertAlone, DeleteAlone on the Driver): the
// statement commits as it runs, so, as for a COMMIT, a connection lost
// after it went out with no answer leaves its outcome unknown
// (storage.ErrCommitUnknown); one lost before it went out, or with the
// database's answer (a shutdown says so), is storage.ErrRetry. The Store runs its
// general path after ErrRetry, which must not write a second time what
// the statement may have written.
func (d *Driver) mapAloneErr(op string, err error) error {
	if err == nil || !d.connLost(err) || errors.Is(err, sqldriver.ErrBadConn) || d.dialect.Unsent(err) ||
		d.dialect.Answered != nil && d.dialect.Answered(err) {
		return d.mapErr(op, err)
	}
	return fmt.Errorf("%s: %w: %w: %w", op, storage.ErrUnavailable, storage.ErrCommitUnknown, err)
}

// connLost reports whether err says the database could not be reached or
// dropped the connection: what the Go driver says of its own errors (see
// dialect.Spec.ConnLost), else a connection database/sql found broken,
// and network errors. A cancelled or expired context is not one.
func (d *Driver) connLost(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if lost, known := d.dialect.ConnLost(err); known {
		return lost
	}
	var netErr net.Error
	return errors.Is(err, sqldriver.ErrBadConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.As(err, &netErr)
}

// table returns the table of entity e.
func (d *Driver) table(e *crm.Entity) (*table, error) {
	t, ok := d.tables()[e.Name]
	if !ok {
		return nil, fmt.Errorf("sqlstore: entity %q: %w", e.Name, crm.ErrNotFound)
	}
	return t, nil
}

// ph returns the placeholder of the n-th (1-based) parameter. SQLite's
// are anonymous, bound in the order they appear: SQLite looks numbered
// ones up by a linear scan, which makes binding a 7,000-value INSERT
// quadratic. Statements therefore bind each value where it appears, in
// order, and bind it again where it appears again.
func (d *Driver) ph(n int) string {
	if d.flavor == dialect.Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// phNumbered is the placeholder of the nth parameter by its number, so a
// statement can name it twice: $n, or ?n on SQLite, where a plain ?
// after it takes the next number.
func (d *Driver) phNumbered(n int) string {
	if d.flavor == dialect.Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?" + strconv.Itoa(n)
}

func (d *Driver) maxParams() int { return d.dialect.MaxParams }

// quote quotes an identifier. Identifiers come from validated metadata and
// options, so they hold no quote; quoting keeps reserved words usable.
func quote(name string) string { return `"` + name + `"` }
