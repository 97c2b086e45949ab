package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/dialect"
)

// beginOnConn begins a transaction on a connection of its own, kept until
// the transaction ends, so that Insert can reach the Go driver's bulk path
// (dialect.Spec.CopyFrom) inside the transaction: database/sql exposes a
// driver connection through a Conn only.
func (d *Driver) beginOnConn(ctx context.Context) (*tx, error) {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return nil, d.mapErr("begin", err)
	}
	t, err := conn.BeginTx(ctx, nil)
	if err != nil {
		_ = conn.Close()
		return nil, d.mapErr("begin", err)
	}
	return &tx{d: d, q: t, sqlTx: t, conn: conn, bound: map[stmtKey]*sql.Stmt{}, cursors: &cursorNames{}}, nil
}

// releaseConn hands the transaction's connection back to the pool, once
// the transaction has ended.
func (t *tx) releaseConn() {
	if t.conn != nil {
		_ = t.conn.Close()
		t.conn = nil
	}
}

// copyInsert writes recs with one COPY: the records Insert would write in
// more than one multi-row INSERT. The outcome is the INSERTs': a record
// whose ID or alternate key is taken fails the whole COPY with the same
// unique violation, which is crm.ErrDuplicate (a *crm.DuplicateKeyError
// for a key), and the Store commits nothing after a failed write.
//
// It reports false, having written nothing, when the connection offers
// no bulk path; Insert then writes INSERTs.
func (t *tx) copyInsert(ctx context.Context, tb *table, recs []crm.Record) (bool, error) {
	return t.copyRows(ctx, tb, len(recs), func(i int) (*crm.Record, error) { return &recs[i], nil })
}

// copyRows writes n records, record(i) for each, with one COPY. The rows
// are encoded as pgx asks for them, one at a time (on a goroutine of
// pgx's), so memory stays at one row beyond the records. An error from
// record is returned as it is.
func (t *tx) copyRows(ctx context.Context, tb *table, n int, record func(i int) (*crm.Record, error)) (bool, error) {
	e := tb.entity
	table := []string{tb.raw}
	if t.d.cfg.schema != "" {
		table = []string{t.d.cfg.schema, tb.raw}
	}
	cols := make([]string, 0, len(tb.colNames))
	for _, c := range tb.cols {
		cols = append(cols, c.name)
		if c.extra != "" {
			cols = append(cols, c.extra)
		}
	}
	b := argBuf{copy: true} // its boxes of repeated values shared by every row
	var recErr error        // record's, read once pgx has waited for its goroutine
	row := func(i int, buf []any) ([]any, error) {
		rec, err := record(i)
		if err != nil {
			recErr = err
			return nil, err
		}
		b.args = buf
		if err := tb.encodeRow(&b, rec); err != nil {
			return nil, err
		}
		return b.args, nil
	}
	err := t.conn.Raw(func(dc any) error {
		return t.d.dialect.CopyFrom(ctx, dc, table, cols, n, row)
	})
	switch {
	case errors.Is(err, dialect.ErrNoCopy):
		return false, nil
	case recErr != nil:
		return true, recErr
	case err != nil:
		return true, t.d.keyErr(tb, t.d.mapErr("insert "+e.Name, err))
	}
	return true, nil
}
