package memory

import (
	"fmt"
	"slices"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// Alternate keys (crm.Key) are kept unique as a SQL unique index keeps
// them: a record whose key has a null part is outside the key, and text is
// compared folded (driver.FoldText), as the SQL stores' index on lower()
// compares it. Write transactions run one at a time, so checking a write
// against the committed records and the transaction's own is enough.

// keyIndex maps the encoded values of one key (keyValue) to the committed
// record holding each.
type keyIndex struct {
	fields []string
	ids    map[string]crm.ID
}

// keyValue encodes rec's value of a key made of fields, as the stores
// compare it (driver.KeyString); ok is false when a part is null.
func keyValue(rec *row, fields []string) (string, bool) {
	vals := make([]any, len(fields))
	for i, f := range fields {
		vals[i] = rec.Value(f)
	}
	return driver.KeyString(vals)
}

// committedKey returns the committed index of key k of entity, building
// it from the committed records the first time a write needs it. The
// caller holds the writer token, so no commit runs meanwhile.
func (d *Driver) committedKey(entity string, k *crm.Key) *keyIndex {
	d.mu.RLock()
	ix := d.keys[entity][k.Name]
	d.mu.RUnlock()
	if ix != nil && slices.Equal(ix.fields, k.Fields) {
		return ix
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	ix = &keyIndex{fields: slices.Clone(k.Fields), ids: map[string]crm.ID{}}
	for id, r := range d.records[entity] {
		if v, ok := keyValue(r, k.Fields); ok {
			ix.ids[v] = id
		}
	}
	if d.keys[entity] == nil {
		d.keys[entity] = map[string]*keyIndex{}
	}
	d.keys[entity][k.Name] = ix
	return ix
}

// rekey keeps the committed key indexes of entity current as the record
// id goes from old to r (either may be nil). The caller holds d.mu.
func (d *Driver) rekey(entity string, id crm.ID, old, r *row) {
	for _, ix := range d.keys[entity] {
		if old != nil {
			if v, ok := keyValue(old, ix.fields); ok && ix.ids[v] == id {
				delete(ix.ids, v)
			}
		}
		if r != nil {
			if v, ok := keyValue(r, ix.fields); ok {
				ix.ids[v] = id
			}
		}
	}
}

// checkKeys fails with a *crm.DuplicateKeyError if r, about to be written
// in t, holds the value of a key of e that another record holds, and
// otherwise notes r's key values as the transaction's.
func (t *tx) checkKeys(e *crm.Entity, r *row) error {
	if len(e.Keys) == 0 {
		return nil
	}
	changed := t.overlay[e.Name]
	values := make([]string, len(e.Keys))
	for i := range e.Keys {
		k := &e.Keys[i]
		v, ok := keyValue(r, k.Fields)
		if !ok {
			continue
		}
		values[i] = v
		// The record of the transaction that last took v holds it now,
		// if any does: a second one taking it would have failed here.
		if id, taken := t.d.txKeys[e.Name][k.Name][v]; taken && id != r.ID {
			if cur := changed[id]; cur != nil {
				if cv, ok := keyValue(cur, k.Fields); ok && cv == v {
					return fmt.Errorf("%s %s: %w", e.Name, r.ID, &crm.DuplicateKeyError{Entity: e.Name, Key: k.Name})
				}
			}
		}
		ix := t.d.committedKey(e.Name, k)
		t.d.mu.RLock()
		id, taken := ix.ids[v]
		t.d.mu.RUnlock()
		if _, rewritten := changed[id]; taken && id != r.ID && !rewritten {
			return fmt.Errorf("%s %s: %w", e.Name, r.ID, &crm.DuplicateKeyError{Entity: e.Name, Key: k.Name})
		}
	}
	for i, v := range values {
		if v == "" {
			continue
		}
		if t.d.txKeys == nil {
			t.d.txKeys = map[string]map[string]map[string]crm.ID{}
		}
		byKey := t.d.txKeys[e.Name]
		if byKey == nil {
			byKey = map[string]map[string]crm.ID{}
			t.d.txKeys[e.Name] = byKey
		}
		name := e.Keys[i].Name
		if byKey[name] == nil {
			byKey[name] = map[string]crm.ID{}
		}
		byKey[name][v] = r.ID
	}
	return nil
}
