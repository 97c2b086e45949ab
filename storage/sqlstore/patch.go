package sqlstore

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

var (
	_ driver.Patcher = (*tx)(nil)
	_ driver.Patcher = (*Driver)(nil)
)

// maxPatchShapes is how many shapes of patch (sets of changed columns and
// checks) a table gets prepared statements for. Whole-record updates have
// one shape and most programs a few; a program that changes arbitrary
// sets of fields would otherwise fill the cache with statements run once.
// Past it, PostgreSQL still caches statements per connection (pgx) and
// SQLite parses each one.
const maxPatchShapes = 32

// Patch is one statement: an UPDATE of the changed columns and the
// header whose WHERE holds the version and state checks, RETURNING the
// row. The row it updates stays locked until the transaction ends, as
// after Lock (PostgreSQL locks what it updates; SQLite's writer holds
// the database).
func (t *tx) Patch(ctx context.Context, e *crm.Entity, p *driver.Patch) (crm.Record, bool, error) {
	if err := t.usable(ctx); err != nil {
		return crm.Record{}, false, err
	}
	return t.d.patch(ctx, t.q, t.bound, e, p)
}

// Patch on the Driver is the statement on its own, which the database
// commits as it runs it: one round trip for an update that joins no
// transaction. Inside a caller's transaction (WithTx) it writes nothing
// and reports false, so that the Store takes a savepoint first: a failed
// statement there would spoil the caller's transaction.
func (d *Driver) Patch(ctx context.Context, e *crm.Entity, p *driver.Patch) (crm.Record, bool, error) {
	if ok, err := d.alone(ctx); !ok {
		return crm.Record{}, false, err
	}
	return d.patch(ctx, d.q, nil, e, p)
}

// alone reports whether a write may run as a statement on its own: not
// inside a caller's transaction (WithTx), where a failed statement would
// spoil it, and with ctx live (its error, if not).
func (d *Driver) alone(ctx context.Context) (bool, error) {
	if d.callerTx != nil {
		return false, nil
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return true, nil
}

var _ driver.AloneInserter = (*Driver)(nil)

// InsertAlone is Tx.Insert of one record as a statement on its own, which
// the database commits as it runs it: one round trip for a create that
// joins no transaction. Like Patch, it runs nothing inside a caller's
// transaction (WithTx).
func (d *Driver) InsertAlone(ctx context.Context, e *crm.Entity, rec crm.Record) (bool, error) {
	if ok, err := d.alone(ctx); !ok {
		return false, err
	}
	tb, err := d.table(e)
	if err != nil {
		return false, err
	}
	var b argBuf
	if err := tb.encodeRow(&b, &rec); err != nil {
		return false, err
	}
	r, err := d.run(ctx, d.q, nil, stmtKey{tb: tb, kind: stmtInsert, rows: 1}, func() string { return d.insertSQL(tb, 1) })
	if err != nil {
		return false, err
	}
	if _, err := r.ExecContext(ctx, b.args...); err != nil {
		return false, d.keyErr(tb, d.mapAloneErr("insert "+e.Name, err))
	}
	return true, nil
}

var _ driver.AloneDeleter = (*Driver)(nil)

// DeleteAlone is Tx.Delete as a statement on its own, which the database
// commits as it runs it: one round trip for a delete that joins no
// transaction. Like Patch, it runs nothing inside a caller's transaction
// (WithTx), and it leaves telling a missing record from a stale version
// to the general path.
func (d *Driver) DeleteAlone(ctx context.Context, e *crm.Entity, id crm.ID, version int64) (bool, error) {
	if ok, err := d.alone(ctx); !ok {
		return false, err
	}
	tb, err := d.table(e)
	if err != nil {
		return false, err
	}
	r, err := d.run(ctx, d.q, nil, stmtKey{tb: tb, kind: stmtDelete}, func() string { return d.deleteSQL(tb) })
	if err != nil {
		return false, err
	}
	res, err := r.ExecContext(ctx, d.encodeID(id), version)
	if err != nil {
		return false, d.mapAloneErr("delete "+e.Name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, d.mapAloneErr("rows affected", err)
	}
	return n == 1, nil
}

// patch runs p's statement through q, with its statement bound once in
// bound (nil outside a transaction).
func (d *Driver) patch(ctx context.Context, q querier, bound map[stmtKey]*sql.Stmt, e *crm.Entity, p *driver.Patch) (crm.Record, bool, error) {
	tb, err := d.table(e)
	if err != nil {
		return crm.Record{}, false, err
	}
	set, expect, err := patchColumns(tb, p)
	if err != nil {
		return crm.Record{}, false, err
	}
	args := make([]any, 0, 2*len(set)+8)
	for _, c := range set {
		if args, err = d.encodeAppend(args, c, p.Fields[c.f.Name]); err != nil {
			return crm.Record{}, false, fmt.Errorf("update %s %s: %w", e.Name, p.ID, err)
		}
	}
	header := crm.Record{Header: crm.Header{Version: p.Version + 1, ModifiedOn: p.ModifiedOn, ModifiedBy: p.ModifiedBy}}
	for _, name := range patchHeader {
		if args, err = d.appendColumn(args, tb.byName[name], &header); err != nil {
			return crm.Record{}, false, fmt.Errorf("update %s %s: %w", e.Name, p.ID, err)
		}
	}
	args = append(args, d.encodeID(p.ID), p.Version)
	for _, c := range expect {
		if args, err = d.encodeAppend(args, c, p.Expect[c.f.Name]); err != nil {
			return crm.Record{}, false, fmt.Errorf("update %s %s: %w", e.Name, p.ID, err)
		}
	}
	r, err := d.patchRunner(ctx, q, bound, tb, set, expect, p.NotIn)
	if err != nil {
		return crm.Record{}, false, err
	}
	rec, err := d.scanRecord(tb, newScanBuf(tb), r.QueryRowContext(ctx, args...))
	if isNoRows(err) {
		return crm.Record{}, false, nil
	}
	if err != nil {
		mapErr := d.mapErr
		if bound == nil { // on its own: it commits as it runs
			mapErr = d.mapAloneErr
		}
		return crm.Record{}, false, d.keyErr(tb, mapErr("update "+e.Name, err))
	}
	return rec, true, nil
}

// patchHeader are the header columns every patch sets, in order.
var patchHeader = []string{crm.FieldVersion, crm.FieldModifiedOn, crm.FieldModifiedBy}

// patchColumns returns the columns p sets and those it checks, in the
// order of tb.cols: the order of the statement's parameters.
func patchColumns(tb *table, p *driver.Patch) (set, expect []*column, err error) {
	for _, c := range tb.cols {
		if _, ok := p.Fields[c.f.Name]; ok {
			if c.f.System {
				return nil, nil, fmt.Errorf("update %s: system field %s cannot be patched", tb.entity.Name, c.f.Name)
			}
			set = append(set, c)
		}
		if _, ok := p.Expect[c.f.Name]; ok {
			expect = append(expect, c)
		}
	}
	if len(set) != len(p.Fields) || len(expect) != len(p.Expect) {
		return nil, nil, fmt.Errorf("update %s: a patch names a field the table does not hold", tb.entity.Name)
	}
	return set, expect, nil
}

// patchShape is the cache key of a patch's statement: the positions of
// the columns it sets and checks, and the states it rules out.
func patchShape(tb *table, set, expect []*column, notIn []crm.StateCode) string {
	b := make([]byte, 0, len(set)+len(expect)+len(notIn)+2)
	index := func(c *column) uint64 {
		for i, x := range tb.cols {
			if x == c {
				return uint64(i)
			}
		}
		return 0
	}
	for _, c := range set {
		b = binary.AppendUvarint(b, index(c))
	}
	b = append(b, 0xff)
	for _, c := range expect {
		b = binary.AppendUvarint(b, index(c))
	}
	b = append(b, 0xff)
	for _, s := range notIn {
		b = binary.AppendVarint(b, int64(s))
	}
	return string(b)
}

// patchRunner returns the prepared statement of a patch's shape, or its
// text once the table has maxPatchShapes of them.
func (d *Driver) patchRunner(ctx context.Context, q querier, bound map[stmtKey]*sql.Stmt, tb *table, set, expect []*column, notIn []crm.StateCode) (runner, error) {
	key := stmtKey{tb: tb, kind: stmtPatch, shape: patchShape(tb, set, expect, notIn)}
	build := func() string { return d.patchSQL(tb, set, expect, notIn) }
	if _, ok := bound[key]; !ok && d.stmts.lookup(key) == nil && !d.stmts.admit(tb, stmtPatch, maxPatchShapes) {
		return textRunner{q: q, text: build()}, nil
	}
	return d.run(ctx, q, bound, key, build)
}

// patchSQL is UPDATE ... SET the columns of set and the header WHERE id,
// version, the columns of expect and the state check hold, RETURNING
// every column. Parameters bind in the order they appear (see ph). The
// states are the lifecycle's, numbers from metadata, written as literals.
func (d *Driver) patchSQL(tb *table, set, expect []*column, notIn []crm.StateCode) string {
	var sb strings.Builder
	n := 0
	param := func() string { n++; return d.ph(n) }
	sb.WriteString("UPDATE " + tb.ref + " SET ")
	first := true
	assign := func(c *column) {
		for _, name := range []string{c.name, c.extra} {
			if name == "" {
				continue
			}
			if !first {
				sb.WriteString(", ")
			}
			first = false
			sb.WriteString(quote(name) + " = " + param())
		}
	}
	for _, c := range set {
		assign(c)
	}
	for _, name := range patchHeader {
		if name != crm.FieldModifiedOn {
			assign(tb.byName[name])
			continue
		}
		// modifiedon never goes back (driver.Patch): the parameter, or
		// the stored time when it is later. The parameter is bound once
		// and named twice.
		n++
		p, col := d.phNumbered(n), quote(tb.byName[name].name)
		sb.WriteString(", " + col + " = CASE WHEN " + col + " > " + p + " THEN " + col + " ELSE " + p + " END")
	}
	sb.WriteString(" WHERE id = " + param() + " AND version = " + param())
	for _, c := range expect {
		for _, name := range []string{c.name, c.extra} {
			if name != "" {
				sb.WriteString(" AND " + quote(name) + " = " + param())
			}
		}
	}
	if len(notIn) > 0 {
		sb.WriteString(" AND " + quote(tb.byName[crm.FieldState].name) + " NOT IN (")
		for i, s := range notIn {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(strconv.Itoa(int(s)))
		}
		sb.WriteByte(')')
	}
	sb.WriteString(" RETURNING " + strings.Join(tb.colNames, ", "))
	return sb.String()
}
