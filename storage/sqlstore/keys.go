package sqlstore

import (
	"errors"
	"fmt"
	"strings"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/dialect"
)

// Alternate keys (crm.Key) are UNIQUE indexes. A text part is indexed as
// lower(column), the folded form every text comparison uses (lower() of
// PostgreSQL's "C" collation and of SQLite both lower ASCII letters only,
// as driver.FoldText does), so "ACME" and "acme" collide and a look-up by
// key, which compares lower(column), is answered from the index. A
// lookup part is its ID column and, for a polymorphic lookup, its type
// column. A record with a null part is outside the key, as SQL's unique
// indexes treat nulls as distinct; the memory store agrees.
//
// The schema model records each key as an entry "key:<name>" of its
// table, holding the indexed expressions: a key added to the registry is
// indexed by the next migration (on open), and a key whose fields
// changed is refused, as a changed field type is.

// keyEntry is the schema model's name for key k: not a column name, which
// has no ':'.
func keyEntry(k *crm.Key) string { return "key:" + k.Name }

// keyIndexName names the unique index of key k on t.
func (d *Driver) keyIndexName(t *table, k *crm.Key) string {
	return d.objectName(t.entity.Name, "key", k.Name)
}

// keyExprs returns what the unique index of key k on t indexes.
func keyExprs(t *table, k *crm.Key) string {
	var parts []string
	for _, name := range k.Fields {
		c := t.byName[name]
		if c.f.Type == crm.TypeText {
			parts = append(parts, "lower("+quote(c.name)+")")
			continue
		}
		parts = append(parts, quote(c.name))
		if c.extra != "" {
			parts = append(parts, quote(c.extra))
		}
	}
	return strings.Join(parts, ", ")
}

// keyModel adds the keys of t to cols, t's entry of the schema model.
func keyModel(t *table, cols map[string]string) {
	for i := range t.entity.Keys {
		k := &t.entity.Keys[i]
		cols[keyEntry(k)] = keyExprs(t, k)
	}
}

// planKeys returns the statements that index the keys of t that cur, its
// entry of the stored model, lacks.
func (d *Driver) planKeys(t *table, cur map[string]string) ([]string, []string, error) {
	var stmts, summary []string
	for i := range t.entity.Keys {
		k := &t.entity.Keys[i]
		exprs := keyExprs(t, k)
		if have, ok := cur[keyEntry(k)]; ok {
			if have != exprs {
				return nil, nil, fmt.Errorf("entity %s key %s: indexed as (%s), the registry wants (%s): changing a key is not supported",
					t.entity.Name, k.Name, have, exprs)
			}
			continue
		}
		stmts = append(stmts, "CREATE UNIQUE INDEX IF NOT EXISTS "+quote(d.keyIndexName(t, k))+" ON "+t.ref+" ("+exprs+")")
		summary = append(summary, "key "+t.raw+"."+k.Name)
	}
	return stmts, summary, nil
}

// keyErr turns err, the error of a write to t, into a
// *crm.DuplicateKeyError naming the key when it is the violation of a
// key's unique index. PostgreSQL names the index; SQLite names an index
// on expressions, and lists the columns of one on columns alone.
func (d *Driver) keyErr(t *table, err error) error {
	if err == nil || len(t.entity.Keys) == 0 || !errors.Is(err, crm.ErrDuplicate) {
		return err
	}
	msg := err.Error()
	for i := range t.entity.Keys {
		k := &t.entity.Keys[i]
		name := d.keyIndexName(t, k)
		hit := strings.Contains(msg, `"`+name+`"`) || strings.Contains(msg, `'`+name+`'`)
		if !hit && d.flavor == dialect.SQLite {
			var cols []string
			for _, f := range k.Fields {
				c := t.byName[f]
				cols = append(cols, t.raw+"."+c.name)
				if c.extra != "" {
					cols = append(cols, t.raw+"."+c.extra)
				}
			}
			list := "failed: " + strings.Join(cols, ", ")
			hit = strings.HasSuffix(msg, list) || strings.Contains(msg, list+" (")
		}
		if hit {
			return fmt.Errorf("%w (%w)", &crm.DuplicateKeyError{Entity: t.entity.Name, Key: k.Name}, err)
		}
	}
	return err
}
