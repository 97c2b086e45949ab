package sales

import (
	"slices"

	"github.com/crmkit/crmkit/crm"
)

// Address is a postal address: Dynamics' address1_* fields.
type Address struct {
	Line1           string
	City            string
	StateOrProvince string
	PostalCode      string
	Country         string
}

// addressPrefix starts the names of the address fields Dynamics puts on
// accounts and contacts (address1_line1, ...).
const addressPrefix = "address1_"

// fields maps the address fields whose names start with prefix to the
// members of a that hold them, so that encoding and decoding name each
// field once (addressFields declares them).
func (a *Address) fields(prefix string) map[string]*string {
	return map[string]*string{
		prefix + "line1":           &a.Line1,
		prefix + "city":            &a.City,
		prefix + "stateorprovince": &a.StateOrProvince,
		prefix + "postalcode":      &a.PostalCode,
		prefix + "country":         &a.Country,
	}
}

func (a Address) encode(f crm.Fields, prefix string) {
	for name, member := range a.fields(prefix) {
		f[name] = text(*member)
	}
}

func decodeAddress(f crm.Fields, prefix string) Address {
	var a Address
	for name, member := range a.fields(prefix) {
		*member = f.String(name)
	}
	return a
}

// text encodes a string field: "" is null.
func text(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// unlessZero encodes a lookup or a date: the zero Ref (no ID) and the zero
// time are null.
func unlessZero[T interface{ IsZero() bool }](v T) any {
	if v.IsZero() {
		return nil
	}
	return v
}

// choice encodes an option set: no value (0) is null. The store takes the
// plain int32, not the named type.
func choice[T ~int32](v T) any {
	if v == 0 {
		return nil
	}
	return int32(v)
}

// optionalChoice encodes an option set whose options include 0 (a sales
// stage): nil is null.
func optionalChoice[T ~int32](p *T) any {
	if p == nil {
		return nil
	}
	return int32(*p)
}

// optional encodes a money or whole-number field: nil is null.
func optional[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// optionalField decodes a money or whole-number field: null is nil.
func optionalField[T any](f crm.Fields, name string) *T {
	v, ok := f[name].(T)
	if !ok {
		return nil
	}
	return &v
}

// Ptr returns a pointer to v: for the optional *int64 and *crm.Money fields
// of typed records.
func Ptr[T any](v T) *T { return &v }

// extraFields returns the fields of f that a typed record's Go type does
// not declare, named neither in known (the fields its codec encodes) nor in
// readOnly (those it decodes only): a host's custom fields. Nil if none.
func extraFields(f crm.Fields, known map[string]bool, readOnly ...string) crm.Fields {
	var out crm.Fields
	for name, v := range f {
		if known[name] || slices.Contains(readOnly, name) {
			continue
		}
		if out == nil {
			out = crm.Fields{}
		}
		out[name] = v
	}
	return out
}

// encodeTyped returns the record of a typed record: its header, the
// fields its members hold (f) and its Extra fields, those the type neither
// encodes (known) nor only reads (readOnly).
func encodeTyped(entity string, h crm.Header, f, extra crm.Fields, known map[string]bool, readOnly []string) crm.Record {
	if extra != nil {
		putExtra(f, extra, known, readOnly...)
	}
	return crm.Record{Entity: entity, Header: h, Fields: f}
}

// putExtra writes a typed record's Extra fields into f, the record its
// codec encoded: a member of the Go type wins over an Extra field of the
// same name, and fields the type reads only (known) are never written.
func putExtra(f crm.Fields, extra crm.Fields, known map[string]bool, readOnly ...string) {
	for name, v := range extra {
		if _, set := f[name]; set || known[name] || slices.Contains(readOnly, name) {
			continue
		}
		f[name] = v
	}
}

// fieldSet returns the names f has.
func fieldSet(f crm.Fields) map[string]bool {
	out := make(map[string]bool, len(f))
	for name := range f {
		out[name] = true
	}
	return out
}
