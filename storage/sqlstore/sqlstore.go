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
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver for OpenPostgres
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
)

// Dialect is the SQL database a Driver talks to.
type Dialect int

// Dialects.
const (
	SQLite   Dialect = iota + 1 // modernc.org/sqlite, driver name "sqlite"
	Postgres                    // PostgreSQL through pgx, driver name "pgx"
)

// String returns the dialect's name.
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

// Parameter limits per statement: SQLite's SQLITE_MAX_VARIABLE_NUMBER and
// PostgreSQL's wire protocol limit.
const (
	maxParamsSQLite   = 32766
	maxParamsPostgres = 65535
	// defaultBatchRows caps the rows of one multi-row INSERT: past a few
	// hundred rows a bigger statement saves nothing.
	defaultBatchRows = 500
)

// Option configures a Driver.
type Option func(*config)

type config struct {
	prefix    string
	schema    string
	batchRows int
}

// WithTablePrefix prefixes every table crmkit creates, for a database that
// holds the host's tables too: WithTablePrefix("crm_") keeps accounts in
// crm_account. It works on both dialects.
func WithTablePrefix(prefix string) Option { return func(c *config) { c.prefix = prefix } }

// WithSchema puts crmkit's tables in a PostgreSQL schema of their own,
// created if missing. SQLite has no schemas: use WithTablePrefix there.
func WithSchema(schema string) Option { return func(c *config) { c.schema = schema } }

// WithBatchRows caps the rows of one multi-row INSERT (default 500). The
// statement's parameter limit caps it further.
func WithBatchRows(n int) Option { return func(c *config) { c.batchRows = n } }

var identPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,29}$`)

// Driver stores crmkit records in a SQL database. It implements
// driver.Driver and is safe for concurrent use. Create one with
// OpenSQLite, OpenPostgres or New; Close it when done.
type Driver struct {
	db      *sql.DB
	q       querier // db, or the caller's transaction (WithTx)
	dialect Dialect
	reg     *crm.Registry
	cfg     config
	// sch holds the tables and the schema version, shared with the
	// Drivers WithTx derives, and replaced whole when fields are added.
	sch    *schemaState
	ownsDB bool

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

// SQLiteDSN returns the data source name OpenSQLite uses for path: write
// transactions that begin IMMEDIATE (so two writers queue on the busy
// timeout instead of failing when one upgrades its read lock), WAL,
// foreign keys on, a 10 s busy timeout and synchronous=NORMAL. A host
// that opens its own *sql.DB for New should use it.
func SQLiteDSN(path string) string {
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

// OpenSQLite opens (creating it if needed) the SQLite database at path and
// migrates it to reg. The path ":memory:" opens a private in-memory
// database; because each SQLite connection to ":memory:" is a database of
// its own, that Driver uses a single connection, so a Select must be read
// to its end (or stopped) before the next transaction begins.
func OpenSQLite(ctx context.Context, path string, reg *crm.Registry, opts ...Option) (*Driver, error) {
	db, err := sql.Open("sqlite", SQLiteDSN(path))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if path == ":memory:" || strings.Contains(path, "mode=memory") {
		db.SetMaxOpenConns(1)
	}
	d, err := New(ctx, db, SQLite, reg, opts...)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	d.ownsDB = true
	return d, nil
}

// OpenPostgres connects to the PostgreSQL database at dsn (a pgx
// connection string or URL) and migrates it to reg. A database it cannot
// reach fails with storage.ErrUnavailable.
func OpenPostgres(ctx context.Context, dsn string, reg *crm.Registry, opts ...Option) (*Driver, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		if connLost(err) {
			return nil, fmt.Errorf("open postgres: %w: %w", storage.ErrUnavailable, err)
		}
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	d, err := New(ctx, db, Postgres, reg, opts...)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	d.ownsDB = true
	return d, nil
}

// New returns a Driver over the caller's db and migrates the database to
// reg. Close does not close db. A SQLite db should be opened with
// SQLiteDSN's settings: without _txlock=immediate, concurrent writers fail
// with storage.ErrRetry more often.
func New(ctx context.Context, db *sql.DB, dialect Dialect, reg *crm.Registry, opts ...Option) (*Driver, error) {
	cfg := config{batchRows: defaultBatchRows}
	for _, o := range opts {
		o(&cfg)
	}
	switch {
	case dialect != SQLite && dialect != Postgres:
		return nil, fmt.Errorf("sqlstore: unknown dialect %v", dialect)
	case cfg.prefix != "" && !identPattern.MatchString(cfg.prefix):
		return nil, fmt.Errorf("sqlstore: table prefix %q: want lower-case letters, digits and '_'", cfg.prefix)
	case cfg.schema != "" && dialect != Postgres:
		return nil, fmt.Errorf("sqlstore: schemas are for PostgreSQL; use WithTablePrefix with SQLite")
	case cfg.schema != "" && !identPattern.MatchString(cfg.schema):
		return nil, fmt.Errorf("sqlstore: schema %q: want lower-case letters, digits and '_'", cfg.schema)
	case cfg.batchRows < 1:
		cfg.batchRows = 1
	}
	d := &Driver{db: db, q: db, dialect: dialect, reg: reg, cfg: cfg, seq: new(atomic.Int64), sch: &schemaState{},
		stmts: &stmtCache{m: map[stmtKey]*sql.Stmt{}, pending: map[stmtKey]string{}}}
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
// Driver opened it. A Driver WithTx returned closes nothing: its parent
// owns the statements.
func (d *Driver) Close() error {
	if d.callerTx != nil {
		return nil
	}
	err := d.stmts.close()
	if d.ownsDB {
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
	if connLost(err) {
		if d.callerTx != nil {
			return fmt.Errorf("%s: %w: %w", op, storage.ErrUnavailable, err)
		}
		return fmt.Errorf("%s: %w: %w: %w", op, storage.ErrUnavailable, storage.ErrRetry, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return fmt.Errorf("%s: %w: %w", op, crm.ErrDuplicate, err)
		case "40001", "40P01":
			return fmt.Errorf("%s: %w: %w", op, storage.ErrRetry, err)
		}
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch code := sqErr.Code(); {
		case code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || code == sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return fmt.Errorf("%s: %w: %w", op, crm.ErrDuplicate, err)
		case code&0xff == sqlite3.SQLITE_BUSY || code&0xff == sqlite3.SQLITE_LOCKED:
			return fmt.Errorf("%s: %w: %w", op, storage.ErrRetry, err)
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// mapCommitErr maps the error of a COMMIT. A connection lost before the
// COMMIT went out leaves a transaction the database rolled back
// (storage.ErrRetry); lost after, the outcome is unknown
// (storage.ErrCommitUnknown, never ErrRetry).
func (d *Driver) mapCommitErr(err error) error {
	if err == nil || !connLost(err) {
		return d.mapErr("commit", err)
	}
	if errors.Is(err, sqldriver.ErrBadConn) || pgconn.SafeToRetry(err) {
		return fmt.Errorf("commit: %w: %w: %w", storage.ErrUnavailable, storage.ErrRetry, err)
	}
	return fmt.Errorf("commit: %w: %w: %w", storage.ErrUnavailable, storage.ErrCommitUnknown, err)
}

// connLost reports whether err says the database could not be reached or
// dropped the connection: a failed connection attempt (unless the server
// refused the credentials or the database name, which no wait cures),
// PostgreSQL's connection exceptions (class 08) but a protocol violation,
// and shutdowns (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot
// connect now), a connection database/sql or pgx found broken or closed,
// and network errors. A cancelled or expired context is not one.
func connLost(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	isPg := errors.As(err, &pgErr)
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return !isPg || !(strings.HasPrefix(pgErr.Code, "28") || pgErr.Code == "3D000")
	}
	if isPg {
		switch code := pgErr.Code; {
		case strings.HasPrefix(code, "08") && code != "08P01",
			code == "57P01", code == "57P02", code == "57P03":
			return true
		}
		return false
	}
	var netErr net.Error
	return errors.Is(err, sqldriver.ErrBadConn) || errors.Is(err, pgconn.ErrConnClosed) ||
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
	if d.dialect == Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

func (d *Driver) maxParams() int {
	if d.dialect == Postgres {
		return maxParamsPostgres
	}
	return maxParamsSQLite
}

// quote quotes an identifier. Identifiers come from validated metadata and
// options, so they hold no quote; quoting keeps reserved words usable.
func quote(name string) string { return `"` + name + `"` }
