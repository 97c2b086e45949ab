package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/dialect"
)

// The metadata table keeps, beside the schema, the declaration of every
// entity the database holds, as crm's JSON (see crm.Entity.MarshalJSON):
// one row per entity. Migrations write it; New reads it first, so that a
// process that opens the database without the host's registration code
// still knows the host's custom fields and entities.
const metadataDDL = `CREATE TABLE IF NOT EXISTS {{table}} (
  entity     text NOT NULL PRIMARY KEY,
  definition text NOT NULL
)`

func (d *Driver) metadataRaw() string   { return d.cfg.prefix + "crmkit_metadata" }
func (d *Driver) metadataTable() string { return d.qualify(d.metadataRaw()) }

// storedMetadata returns the definitions the metadata table holds, by
// entity; none if the table does not exist yet.
func (d *Driver) storedMetadata(ctx context.Context, q querier) (map[string]string, error) {
	var exists bool
	if d.flavor == dialect.Postgres {
		var reg sql.NullString
		if err := q.QueryRowContext(ctx, "SELECT to_regclass($1)::text", d.metadataTable()).Scan(&reg); err != nil {
			return nil, d.mapErr("find metadata table", err)
		}
		exists = reg.Valid
	} else {
		var n int
		if err := q.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", d.metadataRaw()).Scan(&n); err != nil {
			return nil, d.mapErr("find metadata table", err)
		}
		exists = n > 0
	}
	out := map[string]string{}
	if !exists {
		return out, nil
	}
	rows, err := q.QueryContext(ctx, "SELECT entity, definition FROM "+d.metadataTable())
	if err != nil {
		return nil, d.mapErr("read metadata", err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return nil, d.mapErr("read metadata", err)
		}
		out[name] = def
	}
	return out, d.mapErr("read metadata", rows.Err())
}

// learn adds to the registry what the metadata table records and the
// registry lacks: whole entities, registered in one batch, and fields of
// entities it has, added at their end. For the fields and entities the
// registry has, its own declaration wins.
func (d *Driver) learn(ctx context.Context) error {
	stored, err := d.storedMetadata(ctx, d.db)
	if err != nil {
		return err
	}
	var missing []*crm.Entity
	type extension struct {
		entity string
		fields []crm.Field
	}
	var grow []extension
	for _, name := range slices.Sorted(maps.Keys(stored)) {
		var e crm.Entity
		if err := json.Unmarshal([]byte(stored[name]), &e); err != nil {
			return fmt.Errorf("metadata of %s: %w", name, err)
		}
		cur, err := d.reg.Entity(name)
		if err != nil {
			missing = append(missing, &e)
			continue
		}
		var add []crm.Field
		for _, f := range e.Fields {
			if _, ok := cur.Field(f.Name); !ok {
				add = append(add, f)
			}
		}
		if len(add) > 0 {
			grow = append(grow, extension{name, add})
		}
	}
	if len(missing) > 0 {
		if err := d.reg.Register(missing...); err != nil {
			return fmt.Errorf("learn the entities the database records: %w", err)
		}
	}
	for _, g := range grow {
		if err := d.reg.AddFields(g.entity, g.fields...); err != nil {
			return fmt.Errorf("learn the fields the database records: %w", err)
		}
	}
	return nil
}

// writeMetadata records the declaration of every entity of tables that
// the metadata table does not hold as it is, inside the migration's
// transaction.
func (d *Driver) writeMetadata(ctx context.Context, tx *sql.Tx, tables map[string]*table) error {
	ddl := strings.ReplaceAll(metadataDDL, "{{table}}", d.metadataTable())
	if _, err := tx.ExecContext(ctx, ddl); err != nil {
		return d.mapErr("create metadata table", err)
	}
	stored, err := d.storedMetadata(ctx, tx)
	if err != nil {
		return err
	}
	upsert := "INSERT INTO " + d.metadataTable() + " (entity, definition) VALUES (" + d.ph(1) + ", " + d.ph(2) +
		") ON CONFLICT (entity) DO UPDATE SET definition = excluded.definition"
	for _, name := range slices.Sorted(maps.Keys(tables)) {
		def, err := json.Marshal(tables[name].entity)
		if err != nil {
			return fmt.Errorf("metadata of %s: %w", name, err)
		}
		if stored[name] == string(def) {
			continue
		}
		if _, err := tx.ExecContext(ctx, upsert, name, string(def)); err != nil {
			return d.mapErr("write metadata", err)
		}
	}
	return nil
}
