package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/dialect"
)

// repr is how a field's main column holds its values.
type repr int

const (
	reprPlain  repr = iota // the value as the database types it
	reprScaled             // SQLite: an exact decimal as an int64 times 10^scale
	reprWide               // SQLite: an exact decimal as fixed-width offset digits
)

// wideDigits is the width of reprWide text: value*10^scale + 10^(wideDigits-1)
// written with wideDigits digits, so that byte order is numeric order.
const wideDigits = 40

var wideOffset = new(big.Int).Exp(big.NewInt(10), big.NewInt(wideDigits-1), nil)

// maxPostgresIdent is the longest identifier PostgreSQL keeps whole.
const maxPostgresIdent = 63

// column is one field's storage: its main column and, for money and
// polymorphic lookups, a second one.
type column struct {
	f     *crm.Field
	name  string // main column
	extra string // <field>_currency or <field>_type; "" if none
	repr  repr
	scale int32 // reprScaled, reprWide
	// target is the entity a single-target lookup points at.
	target string
}

// table is one entity's table.
type table struct {
	entity *crm.Entity
	ref    string // quoted, qualified table name
	raw    string // unquoted table name, prefix included
	cols   []*column
	byName map[string]*column
	// Built once: the quoted column names (main and extra, in the order
	// of cols) and the SELECT list of them for alias t0.
	colNames   []string
	selectList string
	// fields counts the declared (not system) fields: the size of a
	// record's Fields read back.
	fields int
	// layout encodes a record's values for an INSERT, one encoder per
	// column of cols (buildLayout).
	layout []colEncoder
}

// finish builds what tb's statements share once its columns are known.
func (tb *table) finish() {
	tb.fields = 0
	for _, c := range tb.cols {
		if !c.f.System {
			tb.fields++
		}
	}
	var sel []string
	for _, c := range tb.cols {
		for _, n := range []string{c.name, c.extra} {
			if n != "" {
				tb.colNames = append(tb.colNames, quote(n))
				sel = append(sel, "t0."+quote(n))
			}
		}
	}
	tb.selectList = strings.Join(sel, ", ")
}

// sqlTypes returns the main and extra column types as the schema model
// records them.
func (d *Driver) sqlTypes(c *column) (main, extra string) {
	pg := d.flavor == dialect.Postgres
	pick := func(p, s string) string {
		if pg {
			return p
		}
		return s
	}
	switch c.f.Type {
	case crm.TypeID:
		return pick("uuid", "BLOB"), ""
	case crm.TypeText:
		return pick(`text COLLATE "C"`, "TEXT"), ""
	case crm.TypeInteger:
		return pick("bigint", "INTEGER"), ""
	case crm.TypeChoice:
		return pick("integer", "INTEGER"), ""
	case crm.TypeBool:
		return pick("boolean", "INTEGER"), ""
	case crm.TypeTime:
		return pick("timestamp(6) without time zone", "INTEGER"), ""
	case crm.TypeDecimal, crm.TypeMoney:
		main = "numeric"
		if !pg {
			main = fmt.Sprintf("INTEGER /* x10^%d */", c.scale)
			if c.repr == reprWide {
				main = fmt.Sprintf("TEXT /* offset digits x10^%d */", c.scale)
			}
		}
		if c.f.Type == crm.TypeMoney {
			extra = pick("text", "TEXT")
		}
		return main, extra
	case crm.TypeLookup:
		main = pick("uuid", "BLOB")
		if c.extra != "" {
			extra = pick("text", "TEXT")
		}
		return main, extra
	}
	return "", ""
}

// schemaState is what a Driver knows of its database's schema. Its tables
// are read on every statement without a lock and replaced whole, copy on
// write, when fields are added (see AddFields).
type schemaState struct {
	mu      sync.Mutex // serializes AddFields
	tables  atomic.Pointer[map[string]*table]
	version atomic.Int64 // schema version after the last migration
}

// tables returns the current tables by entity name. Read it, never change
// it.
func (d *Driver) tables() map[string]*table { return *d.sch.tables.Load() }

// buildTables derives the tables of entities.
func (d *Driver) buildTables(entities []*crm.Entity) (map[string]*table, error) {
	out := map[string]*table{}
	for _, e := range entities {
		t, err := d.buildTable(e)
		if err != nil {
			return nil, err
		}
		out[e.Name] = t
	}
	return out, nil
}

// buildTable derives entity e's table from its metadata.
func (d *Driver) buildTable(e *crm.Entity) (*table, error) {
	raw := d.cfg.prefix + e.Name
	if d.flavor == dialect.Postgres && len(raw) > maxPostgresIdent {
		// PostgreSQL would silently cut the name, and two entities
		// could end up in one table.
		return nil, fmt.Errorf("sqlstore: table %q is longer than PostgreSQL's %d bytes: use a shorter prefix", raw, maxPostgresIdent)
	}
	t := &table{entity: e, raw: raw, ref: d.qualify(raw), byName: map[string]*column{}}
	used := map[string]string{}
	for _, f := range e.AllFields() {
		f := f
		fp, _ := e.Field(f.Name)
		c := &column{f: fp, name: f.Name}
		switch f.Type {
		case crm.TypeMoney:
			c.extra = f.Name + "_currency"
			c.scale = 4
			if d.flavor == dialect.SQLite {
				c.repr = reprScaled
			}
		case crm.TypeDecimal:
			c.scale = f.Precision
			if d.flavor == dialect.SQLite {
				c.repr = decimalRepr(fp)
			}
		case crm.TypeLookup:
			if !f.IsPolymorphic() {
				c.target = f.Targets[0]
			} else {
				c.extra = f.Name + "_type"
			}
		}
		for _, n := range []string{c.name, c.extra} {
			if n == "" {
				continue
			}
			if other, dup := used[n]; dup {
				return nil, fmt.Errorf("sqlstore: entity %s: column %q of field %q clashes with field %q", e.Name, n, f.Name, other)
			}
			used[n] = f.Name
		}
		t.cols = append(t.cols, c)
		t.byName[f.Name] = c
	}
	t.finish()
	t.layout = d.buildLayout(t)
	return t, nil
}

// decimalRepr picks the SQLite storage of a decimal field: an int64 when
// every value the field's bounds allow, times 10^precision, fits one.
func decimalRepr(f *crm.Field) repr {
	bound := decimal.NewFromInt(100_000_000_000) // Dynamics' default range
	for _, b := range []*decimal.Decimal{f.Min, f.Max} {
		if b != nil && b.Abs().GreaterThan(bound) {
			bound = b.Abs()
		}
	}
	scaled := bound.Shift(f.Precision).Ceil().BigInt()
	if scaled.IsInt64() {
		return reprScaled
	}
	return reprWide
}

func (d *Driver) qualify(name string) string {
	if d.cfg.schema != "" {
		return quote(d.cfg.schema) + "." + quote(name)
	}
	return quote(name)
}

// objectName names an index or constraint, within PostgreSQL's 63 bytes.
func (d *Driver) objectName(parts ...string) string {
	n := d.cfg.prefix + strings.Join(parts, "_")
	if len(n) <= 60 {
		return n
	}
	sum := sha256.Sum256([]byte(n))
	return n[:40] + "_" + hex.EncodeToString(sum[:8])
}

// model is the schema the database holds: table → column → type.
type model map[string]map[string]string

func (d *Driver) desiredModel(tables map[string]*table) model {
	m := model{}
	for _, t := range tables {
		cols := map[string]string{}
		for _, c := range t.cols {
			main, extra := d.sqlTypes(c)
			cols[c.name] = main
			if c.extra != "" {
				cols[c.extra] = extra
			}
		}
		keyModel(t, cols)
		d.indexModel(t, cols)
		m[t.raw] = cols
	}
	return m
}

//go:embed schema_version.sql
var schemaVersionDDL string

func (d *Driver) versionTable() string { return d.qualify(d.cfg.prefix + "crmkit_schema_version") }

// migrate brings the database to the registry's schema, once: under a lock
// (PostgreSQL's advisory transaction lock, SQLite's write lock), it reads
// the model the last version recorded, creates what is missing and records
// a new version. Two Drivers opening one database at once serialise here;
// the second finds nothing to do.
func (d *Driver) migrate(ctx context.Context, tables map[string]*table) error {
	for attempt := 0; ; attempt++ {
		err := d.migrateOnce(ctx, tables)
		if err == nil || !errors.Is(err, storage.ErrRetry) || attempt >= 20 {
			if err != nil {
				return fmt.Errorf("migrate: %w", err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 10 * time.Millisecond):
		}
	}
}

func (d *Driver) migrateOnce(ctx context.Context, tables map[string]*table) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return d.mapErr("begin", err)
	}
	defer func() { _ = tx.Rollback() }()
	exec := func(q string, args ...any) error {
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return d.mapErr(firstLine(q), err)
		}
		return nil
	}
	if d.flavor == dialect.Postgres {
		// One lock per schema, whatever the prefix: two prefixes migrating
		// into one new schema must not race to create it.
		sum := sha256.Sum256([]byte("crmkit migrate " + d.cfg.schema))
		if err := exec("SELECT pg_advisory_xact_lock($1)", int64(binary.BigEndian.Uint64(sum[:8]))); err != nil {
			return err
		}
		if d.cfg.schema != "" {
			if err := exec("CREATE SCHEMA IF NOT EXISTS " + quote(d.cfg.schema)); err != nil {
				return err
			}
		}
	}
	ddl := strings.ReplaceAll(schemaVersionDDL, "{{table}}", d.versionTable())
	ddl = strings.ReplaceAll(ddl, "{{time}}", map[dialect.Flavor]string{dialect.SQLite: "TEXT", dialect.Postgres: "text"}[d.flavor])
	if err := exec(ddl); err != nil {
		return err
	}
	var (
		version int
		raw     sql.NullString
	)
	row := tx.QueryRowContext(ctx, "SELECT version, model FROM "+d.versionTable()+" ORDER BY version DESC LIMIT 1")
	if err := row.Scan(&version, &raw); err != nil && !isNoRows(err) {
		return d.mapErr("read schema version", err)
	}
	have := model{}
	if raw.Valid {
		if err := json.Unmarshal([]byte(raw.String), &have); err != nil {
			return fmt.Errorf("schema version %d: bad model: %w", version, err)
		}
	}
	stmts, summary, err := d.plan(have, tables)
	if err != nil {
		return err
	}
	for _, s := range stmts {
		if err := exec(s); err != nil {
			return err
		}
	}
	if err := d.writeMetadata(ctx, tx, tables); err != nil {
		return err
	}
	if len(stmts) == 0 {
		d.sch.version.Store(int64(version))
		return d.mapCommitErr(tx.Commit())
	}
	next := have
	for tname, cols := range d.desiredModel(tables) {
		if next[tname] == nil {
			next[tname] = map[string]string{}
		}
		for c, typ := range cols {
			next[tname][c] = typ
		}
	}
	js, err := json.Marshal(next)
	if err != nil {
		return err
	}
	ph := func(n int) string { return d.ph(n) }
	if err := exec("INSERT INTO "+d.versionTable()+" (version, applied_at, description, model) VALUES ("+
		ph(1)+", "+ph(2)+", "+ph(3)+", "+ph(4)+")",
		version+1, time.Now().UTC().Format(time.RFC3339Nano), summary, string(js)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return d.mapErr("commit migration", err)
	}
	d.sch.version.Store(int64(version + 1))
	return nil
}

// plan returns the statements that take the database from have to the
// registry's schema, and a one-line summary of them.
func (d *Driver) plan(have model, tables map[string]*table) ([]string, string, error) {
	var creates, alters, fks, indexes, keys, summary []string
	for _, e := range d.reg.Entities() {
		t, ok := tables[e.Name]
		if !ok {
			continue // registered after the Driver opened: it has no table
		}
		e := t.entity
		cur, exists := have[t.raw]
		var defs []string
		var added []*column
		for _, c := range t.cols {
			main, extra := d.sqlTypes(c)
			if exists {
				if typ, ok := cur[c.name]; ok {
					if typ != main {
						return nil, "", fmt.Errorf("entity %s field %s: stored as %s, the registry wants %s: changing a field's type is not supported",
							e.Name, c.f.Name, typ, main)
					}
					continue
				}
			}
			added = append(added, c)
			colDefs := []string{d.columnDef(c, c.name, main, exists, tables)}
			if c.extra != "" {
				colDefs = append(colDefs, d.columnDef(c, c.extra, extra, exists, tables))
			}
			if exists {
				for _, def := range colDefs {
					alters = append(alters, "ALTER TABLE "+t.ref+" ADD COLUMN "+def)
				}
				summary = append(summary, "add "+t.raw+"."+c.name)
			} else {
				defs = append(defs, colDefs...)
			}
		}
		if !exists {
			creates = append(creates, "CREATE TABLE "+t.ref+" (\n  "+strings.Join(defs, ",\n  ")+"\n)")
			summary = append(summary, "create "+t.raw)
		}
		for _, c := range added {
			if d.flavor == dialect.Postgres && d.fkTarget(c, tables) != nil {
				fks = append(fks, "ALTER TABLE "+t.ref+" ADD CONSTRAINT "+quote(d.objectName(e.Name, c.name, "fk"))+
					" FOREIGN KEY ("+quote(c.name)+") REFERENCES "+d.fkTarget(c, tables).ref+" (id) DEFERRABLE INITIALLY DEFERRED")
			}
			if c.f.Type == crm.TypeLookup && c.name != crm.FieldCreatedBy && c.name != crm.FieldModifiedBy || c.name == crm.FieldState {
				// PostgreSQL puts an index in its table's schema.
				indexes = append(indexes, "CREATE INDEX IF NOT EXISTS "+quote(d.objectName(e.Name, c.name, "idx"))+
					" ON "+t.ref+" ("+quote(c.name)+")")
			}
		}
		keyStmts, keySummary, err := d.planKeys(t, cur)
		if err != nil {
			return nil, "", err
		}
		keys = append(keys, keyStmts...)
		summary = append(summary, keySummary...)
		ixStmts, ixSummary, err := d.planIndexes(t, cur)
		if err != nil {
			return nil, "", err
		}
		indexes = append(indexes, ixStmts...)
		summary = append(summary, ixSummary...)
	}
	stmts := slices.Concat(creates, alters, fks, indexes, keys)
	return stmts, strings.Join(summary, "; "), nil
}

// fkTarget returns the table a lookup column gets a foreign key to: a
// declared single-target lookup to a registered entity. System lookups
// (owner, created by) point at users and teams crmkit may not store.
func (d *Driver) fkTarget(c *column, tables map[string]*table) *table {
	if c.f.Type != crm.TypeLookup || c.f.System || c.target == "" {
		return nil
	}
	return tables[c.target]
}

func (d *Driver) columnDef(c *column, name, typ string, added bool, tables map[string]*table) string {
	def := quote(name) + " " + typ
	if c.f.System {
		switch {
		case name == crm.FieldID:
			def += " NOT NULL PRIMARY KEY"
		case c.f.Required:
			def += " NOT NULL"
		}
		// A system field that may be null (the owning business unit)
		// was added after the first release: an existing table grows
		// it as a nullable column, its old rows holding null.
	}
	// SQLite cannot add a constraint to an existing table, but takes one
	// on a new column; PostgreSQL gets its foreign keys once every table
	// exists, as lookups may point both ways.
	if d.flavor == dialect.SQLite && name == c.name {
		if t := d.fkTarget(c, tables); t != nil {
			def += " REFERENCES " + t.ref + " (id) DEFERRABLE INITIALLY DEFERRED"
		}
	}
	return def
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 60 {
		s = s[:60]
	}
	return s
}

// AddFields gives the table of entity e the columns of the fields it lacks,
// online: e is the entity with its new fields, checked but not yet
// published (storage.Store.AddFields calls it through driver.FieldAdder
// from crm.Registry.ExtendEntity). In one transaction, under the migration
// lock, it adds each new column (nullable; with an index, and on
// PostgreSQL a foreign key, for a lookup) and records the new schema
// version; then the Driver switches to the new table at once. Writes that
// run meanwhile wait for the table's lock and commit before or after the
// change, none is lost; statements name their columns, so those written
// against the old table stay valid. Adding fields inside a caller's
// transaction (WithTx) is refused: DDL there would take the caller's
// transaction with it.
func (d *Driver) AddFields(ctx context.Context, e *crm.Entity) error {
	if d.callerTx != nil {
		return fmt.Errorf("sqlstore: add fields to %s: not inside a caller's transaction", e.Name)
	}
	d.sch.mu.Lock()
	defer d.sch.mu.Unlock()
	cur := d.tables()
	if _, ok := cur[e.Name]; !ok {
		return fmt.Errorf("sqlstore: add fields to %s: %w", e.Name, crm.ErrNotFound)
	}
	t, err := d.buildTable(e)
	if err != nil {
		return err
	}
	next := maps.Clone(cur)
	next[e.Name] = t
	if err := d.migrate(ctx, next); err != nil {
		return fmt.Errorf("sqlstore: add fields to %s: %w", e.Name, err)
	}
	d.sch.tables.Store(&next)
	return nil
}
