package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"iter"
	"math/bits"
	"strconv"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/dialect"
)

// tx is a driver.Tx: a database transaction, or a savepoint in the
// caller's.
type tx struct {
	d         *Driver
	q         querier
	sqlTx     *sql.Tx // our own transaction; nil inside the caller's
	savepoint string  // the savepoint inside the caller's transaction
	done      bool
	// bound holds the Driver's prepared statements bound to this
	// transaction (or the caller's), each bound once.
	bound map[stmtKey]*sql.Stmt
	// cursors names the PostgreSQL cursors Select has open in the
	// transaction's session.
	cursors *cursorNames
	// conn is the connection sqlTx runs on, held until it ends, when the
	// dialect has a bulk path (COPY) that needs it (see copyInsert).
	conn *sql.Conn
	// args is the parameter buffer inserts reuse (see argBuf).
	args argBuf
}

func (t *tx) usable(ctx context.Context) error {
	if t.done {
		return errors.New("sqlstore: transaction already ended")
	}
	return ctx.Err()
}

func (t *tx) Commit() error {
	if t.done {
		return errors.New("sqlstore: transaction already ended")
	}
	t.done = true
	if t.sqlTx != nil {
		err := t.sqlTx.Commit()
		t.releaseConn()
		t.d.stmts.preparePending(t.d.db)
		return t.d.mapCommitErr(err)
	}
	// Releasing the savepoint keeps its writes in the caller's
	// transaction, which commits them or not.
	_, err := t.q.ExecContext(context.Background(), "RELEASE SAVEPOINT "+t.savepoint)
	return t.d.mapErr("release savepoint", err)
}

func (t *tx) Rollback() error {
	if t.done {
		return nil
	}
	t.done = true
	if t.sqlTx != nil {
		err := t.sqlTx.Rollback()
		t.releaseConn()
		t.d.stmts.preparePending(t.d.db)
		if err != nil && !errors.Is(err, sql.ErrTxDone) {
			return t.d.mapErr("rollback", err)
		}
		return nil
	}
	ctx := context.Background()
	if _, err := t.q.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+t.savepoint); err != nil {
		return t.d.mapErr("rollback to savepoint", err)
	}
	_, err := t.q.ExecContext(ctx, "RELEASE SAVEPOINT "+t.savepoint)
	return t.d.mapErr("release savepoint", err)
}

func (t *tx) Get(ctx context.Context, e *crm.Entity, id crm.ID) (crm.Record, error) {
	if err := t.usable(ctx); err != nil {
		return crm.Record{}, err
	}
	return t.d.get(ctx, t.q, t.bound, e, id, false)
}

// Lock reads the record with SELECT ... FOR UPDATE on PostgreSQL. A SQLite
// write transaction holds the database's write lock from BEGIN IMMEDIATE
// on, so no other writer can change the record anyway.
func (t *tx) Lock(ctx context.Context, e *crm.Entity, id crm.ID) (crm.Record, error) {
	if err := t.usable(ctx); err != nil {
		return crm.Record{}, err
	}
	return t.d.get(ctx, t.q, t.bound, e, id, t.d.flavor == dialect.Postgres)
}

var _ driver.VersionLocker = (*tx)(nil)

// LockVersion locks a record as Lock does and reads its version alone
// (driver.VersionLocker): a delete that no hook watches reads nothing
// else of the record, so it need not be read and decoded whole.
func (t *tx) LockVersion(ctx context.Context, e *crm.Entity, id crm.ID) (int64, error) {
	if err := t.usable(ctx); err != nil {
		return 0, err
	}
	tb, err := t.d.table(e)
	if err != nil {
		return 0, err
	}
	r, err := t.d.run(ctx, t.q, t.bound, stmtKey{tb: tb, kind: stmtLockVersion}, func() string { return t.d.lockVersionSQL(tb) })
	if err != nil {
		return 0, err
	}
	var v int64
	err = r.QueryRowContext(ctx, t.d.encodeID(id)).Scan(&v)
	if isNoRows(err) {
		return 0, fmt.Errorf("%s %s: %w", e.Name, id, crm.ErrNotFound)
	}
	if err != nil {
		return 0, t.d.mapErr("lock "+e.Name, err)
	}
	return v, nil
}

func (t *tx) Select(ctx context.Context, p *driver.Plan) iter.Seq2[crm.Record, error] {
	if err := t.usable(ctx); err != nil {
		return func(yield func(crm.Record, error) bool) { yield(crm.Record{}, err) }
	}
	return t.d.selectRecords(ctx, t.q, t.cursors, p)
}

func (t *tx) Count(ctx context.Context, p *driver.Plan) (int64, error) {
	if err := t.usable(ctx); err != nil {
		return 0, err
	}
	return t.d.count(ctx, t.q, p)
}

func (t *tx) Aggregate(ctx context.Context, p *driver.AggregatePlan) ([]crm.AggregateRow, error) {
	if err := t.usable(ctx); err != nil {
		return nil, err
	}
	return t.d.aggregate(ctx, t.q, p)
}

// Insert writes recs with multi-row INSERTs, as many rows per statement as
// the batch size and the dialect's parameter limit allow: one round trip
// per batch. A failed Insert may leave earlier batches behind; the Store
// never commits a transaction in which a write failed.
func (t *tx) Insert(ctx context.Context, e *crm.Entity, recs []crm.Record) error {
	if err := t.usable(ctx); err != nil {
		return err
	}
	tb, err := t.d.table(e)
	if err != nil {
		return err
	}
	per := t.d.insertBatch(tb)
	if len(recs) > per && t.conn != nil {
		if copied, err := t.copyInsert(ctx, tb, recs); copied || err != nil {
			return err
		}
	}
	b := &t.args
	defer b.resetStatement()
	for start := 0; start < len(recs); {
		rows := t.d.insertRows(len(recs)-start, per)
		batch := recs[start : start+rows]
		start += rows
		b.resetStatement()
		for i := range batch {
			if err := tb.encodeRow(b, &batch[i]); err != nil {
				return err
			}
		}
		r, err := t.insertRunner(ctx, tb, rows, per)
		if err != nil {
			return err
		}
		if _, err := r.ExecContext(ctx, b.args...); err != nil {
			return t.d.keyErr(tb, t.d.mapErr("insert "+e.Name, err))
		}
	}
	return nil
}

// insertBatch is how many records of tb one INSERT writes at most.
func (d *Driver) insertBatch(tb *table) int {
	return min(d.cfg.batchRows, d.maxParams()/len(tb.colNames))
}

// insertRows returns how many of the n rows left to insert the next
// statement writes. Full batches first; SQLite then writes the rest in
// powers of two, so that the statements it prepares have a few shapes
// only (each prepared statement of a table keeps its parsed form).
func (d *Driver) insertRows(n, per int) int {
	if n >= per || d.flavor == dialect.Postgres {
		return min(n, per)
	}
	return 1 << (bits.Len(uint(n)) - 1)
}

// insertRunner returns the INSERT of rows rows into tb: prepared for the
// shapes insertRows makes repeatedly, unprepared for a PostgreSQL
// remainder (pgx caches the statements it runs on each connection).
func (t *tx) insertRunner(ctx context.Context, tb *table, rows, per int) (runner, error) {
	build := func() string { return t.d.insertSQL(tb, rows) }
	if t.d.flavor == dialect.Postgres && rows != per && rows != 1 {
		return textRunner{q: t.q, text: build()}, nil
	}
	return t.d.run(ctx, t.q, t.bound, stmtKey{tb: tb, kind: stmtInsert, rows: rows}, build)
}

func (t *tx) Update(ctx context.Context, e *crm.Entity, rec crm.Record, prev int64) error {
	if err := t.usable(ctx); err != nil {
		return err
	}
	tb, err := t.d.table(e)
	if err != nil {
		return err
	}
	args := make([]any, 0, len(tb.colNames)+1)
	for _, c := range tb.cols {
		if c.f.Name == crm.FieldID {
			continue
		}
		if args, err = t.d.appendColumn(args, c, &rec); err != nil {
			return fmt.Errorf("update %s %s: %w", e.Name, rec.ID, err)
		}
	}
	args = append(args, t.d.encodeID(rec.ID), prev)
	r, err := t.d.run(ctx, t.q, t.bound, stmtKey{tb: tb, kind: stmtUpdate}, func() string { return t.d.updateSQL(tb) })
	if err != nil {
		return err
	}
	res, err := r.ExecContext(ctx, args...)
	if err != nil {
		return t.d.keyErr(tb, t.d.mapErr("update "+e.Name, err))
	}
	return t.checkAffected(ctx, tb, res, rec.ID, prev)
}

func (t *tx) Delete(ctx context.Context, e *crm.Entity, id crm.ID, version int64) error {
	if err := t.usable(ctx); err != nil {
		return err
	}
	tb, err := t.d.table(e)
	if err != nil {
		return err
	}
	r, err := t.d.run(ctx, t.q, t.bound, stmtKey{tb: tb, kind: stmtDelete}, func() string { return t.d.deleteSQL(tb) })
	if err != nil {
		return err
	}
	res, err := r.ExecContext(ctx, t.d.encodeID(id), version)
	if err != nil {
		return t.d.mapErr("delete "+e.Name, err)
	}
	return t.checkAffected(ctx, tb, res, id, version)
}

// checkAffected tells a stale version from a missing record when a
// version-checked write changed no row.
func (t *tx) checkAffected(ctx context.Context, tb *table, res sql.Result, id crm.ID, version int64) error {
	n, err := res.RowsAffected()
	if err != nil {
		return t.d.mapErr("rows affected", err)
	}
	if n == 1 {
		return nil
	}
	r, err := t.d.run(ctx, t.q, t.bound, stmtKey{tb: tb, kind: stmtVersion}, func() string { return t.d.versionSQL(tb) })
	if err != nil {
		return err
	}
	var stored int64
	err = r.QueryRowContext(ctx, t.d.encodeID(id)).Scan(&stored)
	if isNoRows(err) {
		return fmt.Errorf("%s %s: %w", tb.entity.Name, id, crm.ErrNotFound)
	}
	if err != nil {
		return t.d.mapErr("read version", err)
	}
	return fmt.Errorf("%s %s: stored version %d, expected %d: %w", tb.entity.Name, id, stored, version, crm.ErrConflict)
}

// Get returns a committed record.
func (d *Driver) Get(ctx context.Context, e *crm.Entity, id crm.ID) (crm.Record, error) {
	return d.get(ctx, d.q, d.txBound, e, id, false)
}

// Select streams the committed records matching p from the database's
// rows: nothing is loaded beyond the row being yielded (or, inside a
// caller's PostgreSQL transaction, the batch of rows being yielded).
func (d *Driver) Select(ctx context.Context, p *driver.Plan) iter.Seq2[crm.Record, error] {
	return d.selectRecords(ctx, d.q, d.cursors, p)
}

// Count counts the committed records matching p.
func (d *Driver) Count(ctx context.Context, p *driver.Plan) (int64, error) {
	return d.count(ctx, d.q, p)
}

// Aggregate computes p over the committed records in the database.
func (d *Driver) Aggregate(ctx context.Context, p *driver.AggregatePlan) ([]crm.AggregateRow, error) {
	return d.aggregate(ctx, d.q, p)
}

// scanBuf holds the destinations of one row's columns, reused for every
// row of a Select.
type scanBuf struct {
	raw  []any
	ptrs []any
}

func newScanBuf(tb *table) *scanBuf {
	n := len(tb.colNames)
	b := &scanBuf{raw: make([]any, n), ptrs: make([]any, n)}
	for i := range b.raw {
		b.ptrs[i] = &b.raw[i]
	}
	return b
}

// scanRecord reads one row of tb.selectList's columns.
func (d *Driver) scanRecord(tb *table, buf *scanBuf, rows interface{ Scan(...any) error }) (crm.Record, error) {
	raw := buf.raw
	clear(raw)
	if err := rows.Scan(buf.ptrs...); err != nil {
		return crm.Record{}, err
	}
	rec := crm.Record{Entity: tb.entity.Name, Fields: make(crm.Fields, tb.fields)}
	i := 0
	for _, c := range tb.cols {
		main := raw[i]
		i++
		var extra any
		if c.extra != "" {
			extra = raw[i]
			i++
		}
		v, err := d.decode(c, main, extra)
		if err != nil {
			return crm.Record{}, fmt.Errorf("read %s: %w", tb.entity.Name, err)
		}
		if c.f.System {
			if v != nil && !rec.SetSystem(c.f.Name, v) {
				return crm.Record{}, fmt.Errorf("read %s: system field %s holds %T", tb.entity.Name, c.f.Name, v)
			}
		} else if v != nil {
			rec.Fields[c.f.Name] = v
		}
	}
	return rec, nil
}

// Share checks that the record exists with SELECT ... FOR KEY SHARE on
// PostgreSQL, which keeps it from being deleted (or its ID changed) while
// letting other transactions share it and change its other columns.
func (t *tx) Share(ctx context.Context, e *crm.Entity, id crm.ID) (bool, error) {
	if err := t.usable(ctx); err != nil {
		return false, err
	}
	tb, err := t.d.table(e)
	if err != nil {
		return false, err
	}
	r, err := t.d.run(ctx, t.q, t.bound, stmtKey{tb: tb, kind: stmtShare}, func() string { return t.d.shareSQL(tb) })
	if err != nil {
		return false, err
	}
	var one int
	err = r.QueryRowContext(ctx, t.d.encodeID(id)).Scan(&one)
	if isNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, t.d.mapErr("share "+e.Name, err)
	}
	return true, nil
}

// get reads one record through q, with its statements bound once in bound
// (nil outside a transaction).
func (d *Driver) get(ctx context.Context, q querier, bound map[stmtKey]*sql.Stmt, e *crm.Entity, id crm.ID, lock bool) (crm.Record, error) {
	tb, err := d.table(e)
	if err != nil {
		return crm.Record{}, err
	}
	kind := stmtGet
	if lock {
		kind = stmtLock
	}
	r, err := d.run(ctx, q, bound, stmtKey{tb: tb, kind: kind}, func() string { return d.getSQL(tb, lock) })
	if err != nil {
		return crm.Record{}, err
	}
	rec, err := d.scanRecord(tb, newScanBuf(tb), r.QueryRowContext(ctx, d.encodeID(id)))
	if isNoRows(err) {
		return crm.Record{}, fmt.Errorf("%s %s: %w", e.Name, id, crm.ErrNotFound)
	}
	if err != nil {
		return crm.Record{}, d.mapErr("get "+e.Name, err)
	}
	return rec, nil
}

// selectRecords streams p's records through q. Inside a PostgreSQL
// transaction (cursors is not nil) it reads them through a cursor, a
// batch at a time: a transaction has one connection, and rows left
// streaming on it would keep every other statement of the transaction
// (the update of the record just yielded) from running.
func (d *Driver) selectRecords(ctx context.Context, q querier, cursors *cursorNames, p *driver.Plan) iter.Seq2[crm.Record, error] {
	return func(yield func(crm.Record, error) bool) {
		tb, err := d.table(p.Entity)
		if err != nil {
			yield(crm.Record{}, err)
			return
		}
		parts, err := d.selectParts(tb, p)
		if err != nil {
			yield(crm.Record{}, err)
			return
		}
		// The parts read consecutive runs of the plan's order (see
		// selectParts): a later one runs only when the page is not full.
		n := 0
		counted := func(rec crm.Record, err error) bool {
			n++
			return yield(rec, err)
		}
		for _, part := range parts {
			more := true
			if cursors != nil && d.flavor == dialect.Postgres {
				more = d.selectCursor(ctx, q, cursors, tb, p, part.query, part.args, counted)
			} else {
				more = d.selectPart(ctx, q, tb, p, part, counted)
			}
			if !more || p.Limit > 0 && n >= p.Limit {
				return
			}
		}
	}
}

// selectPart streams the rows of one part of a plan's SELECT, and reports
// whether the caller wants more.
func (d *Driver) selectPart(ctx context.Context, q querier, tb *table, p *driver.Plan, part selectPart, yield func(crm.Record, error) bool) bool {
	rows, err := d.selectRunner(ctx, q, tb, part.query).QueryContext(ctx, part.args...)
	if err != nil {
		yield(crm.Record{}, d.mapErr("select "+p.Entity.Name, err))
		return false
	}
	defer rows.Close()
	buf := newScanBuf(tb)
	for rows.Next() {
		rec, err := d.scanRecord(tb, buf, rows)
		if err != nil {
			yield(crm.Record{}, d.mapErr("select "+p.Entity.Name, err))
			return false
		}
		if !yield(rec, nil) {
			return false
		}
	}
	if err := rows.Err(); err != nil {
		yield(crm.Record{}, d.mapErr("select "+p.Entity.Name, err))
		return false
	}
	return true
}

// cursorBatch is how many rows one FETCH reads: the most a Select inside
// a PostgreSQL transaction holds in memory at once.
const cursorBatch = 256

// cursorNames hands out the names of the cursors open in one database
// session, reusing the names of closed ones, so that the few FETCH texts
// stay in pgx's statement cache. pgx caches a statement's result columns
// by its text, so a name also carries the shape of the rows its FETCH
// returns: the table's.
type cursorNames struct{ open []bool }

func (c *cursorNames) acquire(tb *table) (string, int) {
	i := 0
	for i < len(c.open) && c.open[i] {
		i++
	}
	if i == len(c.open) {
		c.open = append(c.open, false)
	}
	c.open[i] = true
	h := fnv.New32a()
	_, _ = h.Write([]byte(tb.ref + " " + tb.selectList))
	return fmt.Sprintf("crmkit_cursor_%08x_%d", h.Sum32(), i), i
}

func (c *cursorNames) release(i int) { c.open[i] = false }

// selectCursor runs query through a cursor of the transaction q, yielding
// each batch only once it has been read to its end, so that the
// connection is free for other statements between batches.
func (d *Driver) selectCursor(ctx context.Context, q querier, cursors *cursorNames, tb *table, p *driver.Plan,
	query string, args []any, yield func(crm.Record, error) bool) bool {
	name, slot := cursors.acquire(tb)
	defer cursors.release(slot)
	if _, err := q.ExecContext(ctx, "DECLARE "+name+" NO SCROLL CURSOR FOR "+query, args...); err != nil {
		yield(crm.Record{}, d.mapErr("select "+p.Entity.Name, err))
		return false
	}
	// CLOSE fails only when the transaction has failed or ended, and
	// then the cursor is gone anyway.
	defer func() { _, _ = q.ExecContext(context.WithoutCancel(ctx), "CLOSE "+name) }()
	fetch := "FETCH FORWARD " + strconv.Itoa(cursorBatch) + " FROM " + name
	buf := newScanBuf(tb)
	batch := make([]crm.Record, 0, cursorBatch)
	for {
		batch = batch[:0]
		rows, err := q.QueryContext(ctx, fetch)
		if err != nil {
			yield(crm.Record{}, d.mapErr("select "+p.Entity.Name, err))
			return false
		}
		for rows.Next() {
			rec, err := d.scanRecord(tb, buf, rows)
			if err != nil {
				_ = rows.Close()
				yield(crm.Record{}, d.mapErr("select "+p.Entity.Name, err))
				return false
			}
			batch = append(batch, rec)
		}
		err = rows.Err()
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			yield(crm.Record{}, d.mapErr("select "+p.Entity.Name, err))
			return false
		}
		for _, rec := range batch {
			if !yield(rec, nil) {
				return false
			}
		}
		if len(batch) < cursorBatch {
			return true
		}
	}
}

func (d *Driver) count(ctx context.Context, q querier, p *driver.Plan) (int64, error) {
	tb, err := d.table(p.Entity)
	if err != nil {
		return 0, err
	}
	b := d.newBuilder()
	where := b.filter(tb, "t0", p.Where)
	if b.err != nil {
		return 0, b.err
	}
	var n int64
	err = q.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+tb.ref+" t0 WHERE "+where, b.args...).Scan(&n)
	if err != nil {
		return 0, d.mapErr("count "+p.Entity.Name, err)
	}
	return n, nil
}
