package crm

import (
	"maps"
	"time"

	"github.com/shopspring/decimal"
)

// Fields holds a record's declared field values by logical name. A value's
// Go type follows its field's type: string (text), int64 (integer),
// decimal.Decimal (decimal), Money (money), bool, time.Time, int32 (choice),
// Ref (lookup). A nil value, or a missing key, is null.
//
// On input the write path also accepts any signed integer type (named
// ones such as a typed option set included) for integer and choice fields, and an ID for a lookup with a single target; what is stored
// and read back is always the canonical type. An empty string is null.
type Fields map[string]any

// Clone returns a copy of f. The values themselves are immutable.
func (f Fields) Clone() Fields {
	if f == nil {
		return nil
	}
	return maps.Clone(f)
}

// String returns a text field, or "" when it is null.
func (f Fields) String(name string) string { s, _ := f[name].(string); return s }

// Int returns an integer field, or 0 when it is null.
func (f Fields) Int(name string) int64 { n, _ := f[name].(int64); return n }

// Decimal returns a decimal field, or zero when it is null.
func (f Fields) Decimal(name string) decimal.Decimal {
	d, _ := f[name].(decimal.Decimal)
	return d
}

// Money returns a money field, and false when it is null.
func (f Fields) Money(name string) (Money, bool) { m, ok := f[name].(Money); return m, ok }

// Bool returns a bool field, or false when it is null.
func (f Fields) Bool(name string) bool { b, _ := f[name].(bool); return b }

// Time returns a time field, or the zero time when it is null.
func (f Fields) Time(name string) time.Time { t, _ := f[name].(time.Time); return t }

// Choice returns a choice field, and false when it is null.
func (f Fields) Choice(name string) (int32, bool) { c, ok := f[name].(int32); return c, ok }

// Ref returns a lookup field, or the zero Ref when it is null.
func (f Fields) Ref(name string) Ref { r, _ := f[name].(Ref); return r }

// Header is what every record has, whatever its entity. Typed domain
// records (sales.Account, ...) embed it.
type Header struct {
	ID         ID
	Version    int64 // starts at 1, grows by one with every write
	Owner      Ref   // a user or a team
	CreatedOn  time.Time
	CreatedBy  ID
	ModifiedOn time.Time
	ModifiedBy ID
	State      StateCode
	Status     StatusCode
	// BusinessUnit is the owning business unit (Dynamics'
	// owningbusinessunit): the business unit of the Scope that created
	// the record, NilID when that scope named none. Assign keeps it.
	BusinessUnit ID
	// OverriddenCreatedOn is when an imported record was written
	// (Dynamics' overriddencreatedon), its CreatedOn being the original
	// creation time the import kept; the zero time (null) for a record
	// created live.
	OverriddenCreatedOn time.Time
}

// Record is one stored row of any entity: its header and its declared
// fields. Records are values: the stores copy them in and out, so changing
// one never changes what is stored.
type Record struct {
	Entity string // logical entity name
	Header
	Fields Fields
}

// Ref returns a reference to r.
func (r Record) Ref() Ref { return Ref{Entity: r.Entity, ID: r.ID} }

// Clone returns a copy of r that shares nothing mutable with it.
func (r Record) Clone() Record {
	r.Fields = r.Fields.Clone()
	return r
}

// Value returns the value of any field, system fields included, in the
// canonical Go type of its field type (nil for null).
func (r Record) Value(name string) any {
	switch name {
	case FieldID:
		return r.ID
	case FieldVersion:
		return r.Version
	case FieldOwner:
		return r.Owner
	case FieldCreatedOn:
		return r.CreatedOn
	case FieldCreatedBy:
		return Ref{Entity: UserEntity, ID: r.CreatedBy}
	case FieldModifiedOn:
		return r.ModifiedOn
	case FieldModifiedBy:
		return Ref{Entity: UserEntity, ID: r.ModifiedBy}
	case FieldState:
		return int32(r.State)
	case FieldStatus:
		return int32(r.Status)
	case FieldBusinessUnit:
		if r.BusinessUnit == NilID {
			return nil
		}
		return Ref{Entity: BusinessUnitEntity, ID: r.BusinessUnit}
	case FieldOverriddenCreatedOn:
		if r.OverriddenCreatedOn.IsZero() {
			return nil
		}
		return r.OverriddenCreatedOn
	}
	return r.Fields[name]
}

// SetSystem sets a system field from its canonical value. Storage adapters
// use it to fill a record's header from a row; it reports false for a name
// that is not a system field or a value of the wrong type.
func (r *Record) SetSystem(name string, v any) bool {
	var ok bool
	switch name {
	case FieldID:
		r.ID, ok = v.(ID)
	case FieldVersion:
		r.Version, ok = v.(int64)
	case FieldOwner:
		r.Owner, ok = v.(Ref)
	case FieldCreatedOn:
		r.CreatedOn, ok = v.(time.Time)
	case FieldCreatedBy:
		var ref Ref
		ref, ok = v.(Ref)
		r.CreatedBy = ref.ID
	case FieldModifiedOn:
		r.ModifiedOn, ok = v.(time.Time)
	case FieldModifiedBy:
		var ref Ref
		ref, ok = v.(Ref)
		r.ModifiedBy = ref.ID
	case FieldState:
		var c int32
		c, ok = v.(int32)
		r.State = StateCode(c)
	case FieldStatus:
		var c int32
		c, ok = v.(int32)
		r.Status = StatusCode(c)
	case FieldBusinessUnit:
		var ref Ref
		ref, ok = v.(Ref)
		ok = ok && ref.Entity == BusinessUnitEntity
		r.BusinessUnit = ref.ID
	case FieldOverriddenCreatedOn:
		r.OverriddenCreatedOn, ok = v.(time.Time)
	}
	return ok
}

// SameValue reports whether two canonical field values are equal: decimals,
// money and times by value, everything else with ==.
func SameValue(a, b any) bool {
	switch x := a.(type) {
	case decimal.Decimal:
		y, ok := b.(decimal.Decimal)
		return ok && x.Equal(y)
	case Money:
		y, ok := b.(Money)
		return ok && x.Equal(y)
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	}
	return a == b
}
