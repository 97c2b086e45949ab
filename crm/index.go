package crm

import (
	"fmt"
	"slices"
)

// Index is an ordered index a SQL store keeps on an entity's fields, so
// that a query filtering on the leading fields by equality and sorting by
// the others reads one page from the index instead of sorting every
// matching row: a timeline (an activity's regarding record, then its
// sort date and ID) is the case it was made for. It changes no behaviour:
// queries mean the same with or without it, and the memory store, whose
// ordered indexes are its own, ignores it.
//
// A SQL store orders the index as its queries sort: a text field by its
// folded value (lower(column)), a polymorphic lookup by its ID then its
// entity, nulls first ascending, so it serves a query that sorts every
// field ascending or every field descending. An index added to the
// registry is created by the next migration (on open); changing an
// index's fields is refused, as changing a key's is.
type Index struct {
	// Name is the index's logical name, unique among the entity's indexes
	// and keys.
	Name string `json:"name"`
	// Fields are the indexed fields, in order, 1 to MaxIndexFields of
	// them: declared or header fields (ID, CreatedOn, State, ...) of any
	// type but money.
	Fields []string `json:"fields"`
}

// Limits of indexes.
const (
	// MaxIndexes is the most indexes an entity declares.
	MaxIndexes = 10
	// MaxIndexFields is the most fields one index has.
	MaxIndexFields = 16
)

// checkIndexes checks the entity's indexes against its fields and keys
// (see Index).
func (e *Entity) checkIndexes() error {
	if len(e.Indexes) > MaxIndexes {
		return fmt.Errorf("%d indexes, more than the %d an entity has", len(e.Indexes), MaxIndexes)
	}
	names := map[string]bool{}
	for _, k := range e.Keys {
		names[k.Name] = true
	}
	for _, x := range e.Indexes {
		if !ValidName(x.Name) {
			return fmt.Errorf("index %q: not a valid logical name", x.Name)
		}
		if names[x.Name] {
			return fmt.Errorf("index %q: the name is another index's or key's", x.Name)
		}
		names[x.Name] = true
		if len(x.Fields) == 0 || len(x.Fields) > MaxIndexFields {
			return fmt.Errorf("index %q: %d fields, want 1..%d", x.Name, len(x.Fields), MaxIndexFields)
		}
		for i, name := range x.Fields {
			f, ok := e.index[name]
			switch {
			case !ok:
				return fmt.Errorf("index %q: %q is not a field: %w", x.Name, name, ErrNotFound)
			case slices.Contains(x.Fields[:i], name):
				return fmt.Errorf("index %q: field %q appears twice", x.Name, name)
			case f.Type == TypeMoney:
				return fmt.Errorf("index %q: field %q is a money field, which sorts within its currency only", x.Name, name)
			}
		}
	}
	return nil
}
