package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"sync"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/dialect"
)

// stmtKind names the statements the write path and Get run over and over,
// whose SQL depends on the table only (and, for inserts, on the rows).
type stmtKind int

const (
	stmtGet stmtKind = iota
	stmtLock
	stmtShare
	stmtInsert
	stmtUpdate
	stmtDelete
	stmtVersion
	stmtLockVersion
	stmtReferrers
	stmtDeleteUnreferenced
	stmtPatch  // one per set of changed columns and checks: see patchShape
	stmtSelect // one per query text: see selectRunner
)

// stmtKey identifies one statement shape: SQLite parses a statement's text
// each time it runs one unprepared, which was a quarter of the CPU of a
// transaction of single-record creates.
type stmtKey struct {
	tb   *table
	kind stmtKind
	rows int // stmtInsert: rows in the statement
	// rels names the relationships of a stmtReferrers or
	// stmtDeleteUnreferenced statement (see
	// referrersKey): the registry may gain relationships to an entity
	// while the Driver runs.
	rels string
	// shape: stmtPatch's columns and checks (patchShape)
	shape string
}

// stmtCache holds the Driver's prepared statements, shared by the Drivers
// WithTx derives from it. database/sql prepares each on a connection the
// first time it runs there and keeps it.
//
// A statement is prepared on the database only when the Driver holds no
// connection: preparing needs one, and a transaction that waited for a
// second connection would deadlock a pool of one (SQLite ":memory:") or a
// full one. A transaction that meets a new shape prepares it on its own
// connection and leaves its text in pending, for the database once the
// transaction has ended.
type stmtCache struct {
	mu      sync.RWMutex
	m       map[stmtKey]*sql.Stmt
	pending map[stmtKey]string
	closed  bool
	// shapes counts, for the kinds of statement whose text varies with
	// the request (patches, SELECTs), the texts of each table given a
	// prepared statement (admit).
	shapes map[shapeCount]int
}

// runner is what *sql.Stmt has: a statement bound to its SQL text.
type runner interface {
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, args ...any) *sql.Row
}

// textRunner runs SQL text unprepared, once the cache is closed.
type textRunner struct {
	q    querier
	text string
}

func (r textRunner) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return r.q.ExecContext(ctx, r.text, args...)
}

func (r textRunner) QueryContext(ctx context.Context, args ...any) (*sql.Rows, error) {
	return r.q.QueryContext(ctx, r.text, args...)
}

func (r textRunner) QueryRowContext(ctx context.Context, args ...any) *sql.Row {
	return r.q.QueryRowContext(ctx, r.text, args...)
}

// lookup returns the prepared statement of key, if there is one.
func (c *stmtCache) lookup(key stmtKey) *sql.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[key]
}

// prepare returns the prepared statement of key on db, preparing text
// there if needed; nil once the cache is closed.
func (c *stmtCache) prepare(ctx context.Context, db *sql.DB, key stmtKey, text string) (*sql.Stmt, error) {
	c.mu.RLock()
	s, ok := c.m[key]
	closed := c.closed
	c.mu.RUnlock()
	if ok || closed {
		return s, nil
	}
	// Prepare without holding the lock: preparing may wait for a free
	// connection, and a transaction holding one must still be able to
	// look its statements up meanwhile. Two goroutines may race to
	// prepare one shape; the loser closes its copy.
	s, err := db.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if kept, ok := c.m[key]; ok || c.closed {
		_ = s.Close()
		return kept, nil
	}
	c.m[key] = s
	delete(c.pending, key)
	return s, nil
}

// want notes a statement a transaction prepared for itself.
func (c *stmtCache) want(key stmtKey, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.pending[key] = text
	}
}

// preparePending prepares on db the statements transactions wanted. The
// caller holds no connection. A statement that fails to prepare is
// dropped: the next transaction that needs it wants it again.
func (c *stmtCache) preparePending(db *sql.DB) {
	c.mu.RLock()
	n := len(c.pending)
	c.mu.RUnlock()
	if n == 0 {
		return
	}
	c.mu.Lock()
	todo := c.pending
	c.pending = map[stmtKey]string{}
	c.mu.Unlock()
	for key, text := range todo {
		_, _ = c.prepare(context.Background(), db, key, text)
	}
}

// run returns a runner of key's statement, built by build, for q. On the
// database it is the Driver's prepared statement. In a transaction (own
// or the caller's) it is that statement bound to the transaction, or one
// the transaction prepares for itself; bound keeps them, so that each is
// bound once per transaction.
func (d *Driver) run(ctx context.Context, q querier, bound map[stmtKey]*sql.Stmt, key stmtKey, build func() string) (runner, error) {
	if s, ok := bound[key]; ok {
		return s, nil
	}
	tx, inTx := q.(*sql.Tx)
	if !inTx {
		text := ""
		s := d.stmts.lookup(key)
		if s == nil {
			text = build()
			var err error
			if s, err = d.stmts.prepare(ctx, d.db, key, text); err != nil {
				return nil, d.mapErr("prepare", err)
			}
		}
		if s == nil { // closed
			return textRunner{q: q, text: text}, nil
		}
		return s, nil
	}
	var ts *sql.Stmt
	if s := d.stmts.lookup(key); s != nil {
		ts = tx.StmtContext(ctx, s)
	} else {
		text := build()
		var err error
		if ts, err = tx.PrepareContext(ctx, text); err != nil {
			return nil, d.mapErr("prepare", err)
		}
		if tx != d.callerTx { // the caller's may outlive any hope of a free connection
			d.stmts.want(key, text)
		}
	}
	if bound != nil {
		bound[key] = ts
	}
	return ts, nil
}

// close closes every prepared statement; later statements run unprepared.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.pending = nil
	var first error
	for k, s := range c.m {
		if err := s.Close(); err != nil && first == nil {
			first = err
		}
		delete(c.m, k)
	}
	return first
}

// Statement texts, built once per shape.

func (d *Driver) getSQL(tb *table, lock bool) string {
	q := "SELECT " + tb.selectList + " FROM " + tb.ref + " t0 WHERE t0.id = " + d.ph(1)
	if lock {
		q += " FOR UPDATE"
	}
	return q
}

func (d *Driver) shareSQL(tb *table) string {
	q := "SELECT 1 FROM " + tb.ref + " WHERE id = " + d.ph(1)
	if d.flavor == dialect.Postgres {
		q += " FOR KEY SHARE"
	}
	return q
}

func (d *Driver) insertSQL(tb *table, rows int) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + tb.ref + " (" + strings.Join(tb.colNames, ", ") + ") VALUES ")
	n := 0
	for i := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for j := range tb.colNames {
			if j > 0 {
				sb.WriteString(", ")
			}
			n++
			sb.WriteString(d.ph(n))
		}
		sb.WriteByte(')')
	}
	return sb.String()
}

// updateSQL sets every column but the ID's, in the order of tb.cols.
func (d *Driver) updateSQL(tb *table) string {
	var sets []string
	n := 0
	for _, c := range tb.cols {
		if c.f.Name == crm.FieldID {
			continue
		}
		for _, name := range []string{c.name, c.extra} {
			if name != "" {
				n++
				sets = append(sets, quote(name)+" = "+d.ph(n))
			}
		}
	}
	return "UPDATE " + tb.ref + " SET " + strings.Join(sets, ", ") +
		" WHERE id = " + d.ph(n+1) + " AND version = " + d.ph(n+2)
}

func (d *Driver) deleteSQL(tb *table) string {
	return "DELETE FROM " + tb.ref + " WHERE id = " + d.ph(1) + " AND version = " + d.ph(2)
}

func (d *Driver) versionSQL(tb *table) string {
	return "SELECT version FROM " + tb.ref + " WHERE id = " + d.ph(1)
}

// lockVersionSQL reads a record's version and locks it as Lock does (FOR
// UPDATE on PostgreSQL; SQLite's write transaction holds the database).
func (d *Driver) lockVersionSQL(tb *table) string {
	q := d.versionSQL(tb)
	if d.flavor == dialect.Postgres {
		q += " FOR UPDATE"
	}
	return q
}

// shapeCount names what stmtCache.shapes counts: a table's statements of
// one kind.
type shapeCount struct {
	tb   *table
	kind stmtKind
}

// admit reports whether tb may have one more prepared statement of kind,
// whose texts vary with the request, counting it if so: past max, a
// host building many shapes would fill the cache with statements run
// once, so the rest run unprepared (PostgreSQL's driver still caches
// them per connection; SQLite parses each).
func (c *stmtCache) admit(tb *table, kind stmtKind, max int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shapes == nil {
		c.shapes = map[shapeCount]int{}
	}
	k := shapeCount{tb, kind}
	if c.shapes[k] >= max {
		return false
	}
	c.shapes[k]++
	return true
}
