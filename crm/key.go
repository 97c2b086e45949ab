package crm

import (
	"fmt"
	"slices"
	"strings"
)

// Key is an alternate key of an entity (Dynamics' EntityKeyMetadata): a
// set of fields whose values identify one record, as the ID does, such as
// an account number kept by the system records are imported from. No two
// records of the entity hold the same values in a key's fields; a record
// with any of them null is outside the key (it is neither checked nor
// found by it), as in a SQL unique index. Text compares case-insensitively
// (folded as every text comparison is): "ACME" and "acme" are one key
// value, as under Dynamics' collation.
//
// Stores enforce keys: a create or update that would store a key value a
// second time fails with a *DuplicateKeyError. Storage finds a record by
// its key (storage.Store.GetByKey) and creates or updates by it
// (storage.Store.Upsert).
type Key struct {
	// Name is the key's logical name, unique among the entity's keys.
	Name string `json:"name"`
	// Fields are the key's fields, 1 to MaxKeyFields of them: declared,
	// not computed, of a type Dynamics allows in a key (text, integer,
	// decimal, time, choice, lookup).
	Fields []string `json:"fields"`
}

// Limits of alternate keys, Dynamics' (platform reference §1.6).
const (
	// MaxKeys is the most keys an entity has.
	MaxKeys = 10
	// MaxKeyFields is the most fields one key has.
	MaxKeyFields = 16
	// MaxKeyBytes bounds the width of a key as SQL Server's index does
	// under Dynamics: text counts two bytes per character of its
	// MaxLength, a lookup 16, any other field 8. Every store's index
	// holds a key this wide.
	MaxKeyBytes = 900
)

// Key returns the entity's key called name.
func (e *Entity) Key(name string) (*Key, bool) {
	for i := range e.Keys {
		if e.Keys[i].Name == name {
			return &e.Keys[i], true
		}
	}
	return nil, false
}

// checkKeys checks the entity's keys against its fields (see Key).
func (e *Entity) checkKeys() error {
	if len(e.Keys) > MaxKeys {
		return fmt.Errorf("%d keys, more than the %d an entity has", len(e.Keys), MaxKeys)
	}
	names := map[string]bool{}
	sets := map[string]string{}
	for _, k := range e.Keys {
		if !ValidName(k.Name) {
			return fmt.Errorf("key %q: not a valid logical name", k.Name)
		}
		if names[k.Name] {
			return fmt.Errorf("key %q is declared twice", k.Name)
		}
		names[k.Name] = true
		if len(k.Fields) == 0 || len(k.Fields) > MaxKeyFields {
			return fmt.Errorf("key %q: %d fields, want 1..%d", k.Name, len(k.Fields), MaxKeyFields)
		}
		width := 0
		for i, name := range k.Fields {
			f, ok := e.index[name]
			switch {
			case !ok || f.System:
				return fmt.Errorf("key %q: %q is not a declared field", k.Name, name)
			case slices.Contains(k.Fields[:i], name):
				return fmt.Errorf("key %q: field %q appears twice", k.Name, name)
			case f.Compute != nil || f.Calculator != "":
				return fmt.Errorf("key %q: field %q is computed", k.Name, name)
			}
			switch f.Type {
			case TypeText:
				width += 2 * f.MaxLen()
			case TypeLookup:
				width += 16
			case TypeInteger, TypeDecimal, TypeTime, TypeChoice:
				width += 8
			default:
				return fmt.Errorf("key %q: field %q is a %s field; keys take text, integer, decimal, time, choice and lookup fields", k.Name, name, f.Type)
			}
		}
		if width > MaxKeyBytes {
			return fmt.Errorf("key %q is %d bytes wide, more than %d (text counts 2 bytes a character)", k.Name, width, MaxKeyBytes)
		}
		set := strings.Join(slices.Sorted(slices.Values(k.Fields)), ",")
		if other, dup := sets[set]; dup {
			return fmt.Errorf("keys %q and %q have the same fields", other, k.Name)
		}
		sets[set] = k.Name
	}
	return nil
}

// KeyValues returns the canonical values of key k's fields for a lookup
// by key, in k's order, from vals (one per field, in that order, in any
// form a write accepts). Every part must have a value: a null part fails
// with a *ValidationError naming the field, as a wrong type does, since a
// record with a null key part is outside the key.
func (e *Entity) KeyValues(k *Key, vals []any) ([]any, error) {
	verr := &ValidationError{Entity: e.Name}
	if len(vals) != len(k.Fields) {
		verr.Add(k.Name, "is a key of %d fields %v, %d values were given", len(k.Fields), k.Fields, len(vals))
		return nil, verr
	}
	out := make([]any, len(vals))
	for i, name := range k.Fields {
		f := e.index[name]
		v := vals[i]
		if s, ok := v.(string); v == nil || ok && s == "" {
			verr.Add(name, "is part of key %q and needs a value", k.Name)
			continue
		}
		cv, reason := f.Coerce(v)
		if reason != "" {
			verr.Add(name, "%s", reason)
			continue
		}
		out[i] = cv
	}
	if err := verr.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// DuplicateKeyError is the error of a write that would store an alternate
// key's value a second time. It matches ErrDuplicate with errors.Is.
type DuplicateKeyError struct {
	Entity string // logical entity name
	Key    string // the key's name
}

func (e *DuplicateKeyError) Error() string {
	return fmt.Sprintf("%s: another %s has the same value of key %q", ErrDuplicate, e.Entity, e.Key)
}

// Is reports whether target is ErrDuplicate.
func (e *DuplicateKeyError) Is(target error) bool { return target == ErrDuplicate }
