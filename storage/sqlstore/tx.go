package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/crmkit/crmkit/crm"
)

// tx is a storage.Tx: a database transaction, or a savepoint in the
// caller's.
type tx struct {
	d         *Driver
	q         querier
	sqlTx     *sql.Tx // our own transaction; nil inside the caller's
	savepoint string  // the savepoint inside the caller's transaction
	done      bool
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
		return t.d.mapErr("commit", t.sqlTx.Commit())
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
		if err := t.sqlTx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
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
	return t.d.get(ctx, t.q, e, id, false)
}

// Lock reads the record with SELECT ... FOR UPDATE on PostgreSQL. A SQLite
// write transaction holds the database's write lock from BEGIN IMMEDIATE
// on, so no other writer can change the record anyway.
func (t *tx) Lock(ctx context.Context, e *crm.Entity, id crm.ID) (crm.Record, error) {
	if err := t.usable(ctx); err != nil {
		return crm.Record{}, err
	}
	return t.d.get(ctx, t.q, e, id, t.d.dialect == Postgres)
}

func (t *tx) Select(ctx context.Context, p *crm.Plan) iter.Seq2[crm.Record, error] {
	if err := t.usable(ctx); err != nil {
		return func(yield func(crm.Record, error) bool) { yield(crm.Record{}, err) }
	}
	return t.d.selectRecords(ctx, t.q, p)
}

func (t *tx) Count(ctx context.Context, p *crm.Plan) (int64, error) {
	if err := t.usable(ctx); err != nil {
		return 0, err
	}
	return t.d.count(ctx, t.q, p)
}

func (t *tx) Aggregate(ctx context.Context, p *crm.AggregatePlan) ([]crm.AggregateRow, error) {
	if err := t.usable(ctx); err != nil {
		return nil, err
	}
	return t.d.aggregate(ctx, t.q, p)
}

// Insert writes recs with multi-row INSERTs, as many rows per statement as
// the batch size and the dialect's parameter limit allow: one round trip
// per batch. A failed Insert leaves nothing behind and the transaction
// usable, as the contract's other writes do: on SQLite a failed statement
// undoes itself and a savepoint covers the earlier batches of a bulk
// insert; on PostgreSQL, where any error would abort the whole
// transaction, an existing ID is skipped (ON CONFLICT DO NOTHING), noticed
// from the IDs the statement returns, and the rows already written by the
// call are deleted again.
func (t *tx) Insert(ctx context.Context, e *crm.Entity, recs []crm.Record) error {
	if err := t.usable(ctx); err != nil {
		return err
	}
	tb, err := t.d.table(e)
	if err != nil {
		return err
	}
	var names []string
	for _, c := range tb.cols {
		names = append(names, quote(c.name))
		if c.extra != "" {
			names = append(names, quote(c.extra))
		}
	}
	pg := t.d.dialect == Postgres
	per := min(t.d.cfg.batchRows, t.d.maxParams()/len(names))
	head := "INSERT INTO " + tb.ref + " (" + strings.Join(names, ", ") + ") VALUES "
	savepoint := !pg && len(recs) > per
	if savepoint {
		if _, err := t.q.ExecContext(ctx, "SAVEPOINT crmkit_insert"); err != nil {
			return t.d.mapErr("insert "+e.Name, err)
		}
	}
	var inserted []string // PostgreSQL: IDs this call wrote
	fail := func(err error) error {
		bg := context.WithoutCancel(ctx)
		switch {
		case savepoint:
			_, _ = t.q.ExecContext(bg, "ROLLBACK TO SAVEPOINT crmkit_insert")
			_, _ = t.q.ExecContext(bg, "RELEASE SAVEPOINT crmkit_insert")
		case pg && len(inserted) > 0:
			if _, derr := t.q.ExecContext(bg, "DELETE FROM "+tb.ref+" WHERE id = ANY($1::uuid[])", inserted); derr != nil {
				err = errors.Join(err, t.d.mapErr("undo insert", derr))
			}
		}
		return err
	}
	for start := 0; start < len(recs); start += per {
		batch := recs[start:min(start+per, len(recs))]
		var sb strings.Builder
		sb.WriteString(head)
		args := make([]any, 0, len(batch)*len(names))
		for i, rec := range batch {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteByte('(')
			for j, c := range tb.cols {
				vals, err := t.d.encode(c, rec.Value(c.f.Name))
				if err != nil {
					return fail(fmt.Errorf("insert %s %s: %w", e.Name, rec.ID, err))
				}
				for k, v := range vals {
					if j > 0 || k > 0 {
						sb.WriteString(", ")
					}
					args = append(args, v)
					sb.WriteString(t.d.ph(len(args)))
				}
			}
			sb.WriteByte(')')
		}
		if !pg {
			if _, err := t.q.ExecContext(ctx, sb.String(), args...); err != nil {
				return fail(t.d.mapErr("insert "+e.Name, err))
			}
			continue
		}
		sb.WriteString(" ON CONFLICT (id) DO NOTHING RETURNING id")
		n, err := t.insertReturning(ctx, sb.String(), args, &inserted)
		if err != nil {
			return fail(t.d.mapErr("insert "+e.Name, err))
		}
		if n < len(batch) {
			return fail(fmt.Errorf("insert %s: %d of %d IDs exist already: %w", e.Name, len(batch)-n, len(batch), crm.ErrDuplicate))
		}
	}
	if savepoint {
		if _, err := t.q.ExecContext(ctx, "RELEASE SAVEPOINT crmkit_insert"); err != nil {
			return t.d.mapErr("insert "+e.Name, err)
		}
	}
	return nil
}

// insertReturning runs an INSERT ... RETURNING id and adds the IDs it
// wrote to ids.
func (t *tx) insertReturning(ctx context.Context, query string, args []any, ids *[]string) (int, error) {
	rows, err := t.q.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return n, err
		}
		*ids = append(*ids, id)
		n++
	}
	return n, rows.Err()
}

func (t *tx) Update(ctx context.Context, e *crm.Entity, rec crm.Record, prev int64) error {
	if err := t.usable(ctx); err != nil {
		return err
	}
	tb, err := t.d.table(e)
	if err != nil {
		return err
	}
	var sets []string
	var args []any
	for _, c := range tb.cols {
		if c.f.Name == crm.FieldID {
			continue
		}
		vals, err := t.d.encode(c, rec.Value(c.f.Name))
		if err != nil {
			return fmt.Errorf("update %s %s: %w", e.Name, rec.ID, err)
		}
		for k, v := range vals {
			name := c.name
			if k == 1 {
				name = c.extra
			}
			args = append(args, v)
			sets = append(sets, quote(name)+" = "+t.d.ph(len(args)))
		}
	}
	args = append(args, t.d.encodeID(rec.ID), prev)
	q := "UPDATE " + tb.ref + " SET " + strings.Join(sets, ", ") +
		" WHERE id = " + t.d.ph(len(args)-1) + " AND version = " + t.d.ph(len(args))
	res, err := t.q.ExecContext(ctx, q, args...)
	if err != nil {
		return t.d.mapErr("update "+e.Name, err)
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
	res, err := t.q.ExecContext(ctx, "DELETE FROM "+tb.ref+" WHERE id = "+t.d.ph(1)+" AND version = "+t.d.ph(2),
		t.d.encodeID(id), version)
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
	var stored int64
	err = t.q.QueryRowContext(ctx, "SELECT version FROM "+tb.ref+" WHERE id = "+t.d.ph(1), t.d.encodeID(id)).Scan(&stored)
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
	return d.get(ctx, d.q, e, id, false)
}

// Select streams the committed records matching p from the database's
// rows: nothing is loaded beyond the row being yielded.
func (d *Driver) Select(ctx context.Context, p *crm.Plan) iter.Seq2[crm.Record, error] {
	return d.selectRecords(ctx, d.q, p)
}

// Count counts the committed records matching p.
func (d *Driver) Count(ctx context.Context, p *crm.Plan) (int64, error) {
	return d.count(ctx, d.q, p)
}

// Aggregate computes p over the committed records in the database.
func (d *Driver) Aggregate(ctx context.Context, p *crm.AggregatePlan) ([]crm.AggregateRow, error) {
	return d.aggregate(ctx, d.q, p)
}

// selectList returns the columns of tb as a SELECT list for alias a.
func (d *Driver) selectList(tb *table, a string) string {
	var parts []string
	for _, c := range tb.cols {
		parts = append(parts, a+"."+quote(c.name))
		if c.extra != "" {
			parts = append(parts, a+"."+quote(c.extra))
		}
	}
	return strings.Join(parts, ", ")
}

// scanRecord reads one row of selectList's columns.
func (d *Driver) scanRecord(tb *table, rows interface{ Scan(...any) error }) (crm.Record, error) {
	n := len(tb.cols)
	for _, c := range tb.cols {
		if c.extra != "" {
			n++
		}
	}
	raw := make([]any, n)
	ptrs := make([]any, n)
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return crm.Record{}, err
	}
	rec := crm.Record{Entity: tb.entity.Name, Fields: crm.Fields{}}
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
	query := "SELECT 1 FROM " + tb.ref + " WHERE id = " + t.d.ph(1)
	if t.d.dialect == Postgres {
		query += " FOR KEY SHARE"
	}
	var one int
	err = t.q.QueryRowContext(ctx, query, t.d.encodeID(id)).Scan(&one)
	if isNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, t.d.mapErr("share "+e.Name, err)
	}
	return true, nil
}

func (d *Driver) get(ctx context.Context, q querier, e *crm.Entity, id crm.ID, lock bool) (crm.Record, error) {
	tb, err := d.table(e)
	if err != nil {
		return crm.Record{}, err
	}
	query := "SELECT " + d.selectList(tb, "t0") + " FROM " + tb.ref + " t0 WHERE t0.id = " + d.ph(1)
	if lock {
		query += " FOR UPDATE"
	}
	rec, err := d.scanRecord(tb, q.QueryRowContext(ctx, query, d.encodeID(id)))
	if isNoRows(err) {
		return crm.Record{}, fmt.Errorf("%s %s: %w", e.Name, id, crm.ErrNotFound)
	}
	if err != nil {
		return crm.Record{}, d.mapErr("get "+e.Name, err)
	}
	return rec, nil
}

func (d *Driver) selectRecords(ctx context.Context, q querier, p *crm.Plan) iter.Seq2[crm.Record, error] {
	return func(yield func(crm.Record, error) bool) {
		tb, err := d.table(p.Entity)
		if err != nil {
			yield(crm.Record{}, err)
			return
		}
		b := d.newBuilder()
		where := b.filter(tb, "t0", p.Where)
		if p.After != nil {
			where = "(" + where + ") AND (" + b.after(tb, "t0", p) + ")"
		}
		query := "SELECT " + d.selectList(tb, "t0") + " FROM " + tb.ref + " t0 WHERE " + where +
			" ORDER BY " + b.orderBy(tb, "t0", p.OrderBy)
		if p.Limit > 0 {
			query += fmt.Sprintf(" LIMIT %d", p.Limit)
		}
		if b.err != nil {
			yield(crm.Record{}, b.err)
			return
		}
		rows, err := q.QueryContext(ctx, query, b.args...)
		if err != nil {
			yield(crm.Record{}, d.mapErr("select "+p.Entity.Name, err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			rec, err := d.scanRecord(tb, rows)
			if err != nil {
				yield(crm.Record{}, d.mapErr("select "+p.Entity.Name, err))
				return
			}
			if !yield(rec, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(crm.Record{}, d.mapErr("select "+p.Entity.Name, err))
		}
	}
}

func (d *Driver) count(ctx context.Context, q querier, p *crm.Plan) (int64, error) {
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
