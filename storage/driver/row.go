package driver

import "github.com/crmkit/crmkit/crm"

// Row is a stored record as a plan reads it: what a Matcher tests, what
// SortKeys and an Accumulator read, what a Resolver and Referrers hand
// back. A store reads its records through it in the form it keeps them
// (the memory store's packed rows) without building a crm.Record for
// every record a query visits; RecordRow reads a crm.Record as one.
type Row interface {
	// Ref returns the record's entity and ID.
	Ref() crm.Ref
	// Value returns the value of any field, system fields included, in
	// the canonical Go type of its field type; nil for null.
	Value(name string) any
	// Text returns the value of a declared text field, false for null:
	// Value's, without putting it in an interface.
	Text(name string) (string, bool)
}

// RecordRow returns rec read as a Row. The Row reads rec, not a copy.
func RecordRow(rec *crm.Record) Row { return recordRow{rec} }

type recordRow struct{ rec *crm.Record }

func (r recordRow) Ref() crm.Ref { return crm.Ref{Entity: r.rec.Entity, ID: r.rec.ID} }

func (r recordRow) Value(name string) any {
	if v, ok := r.rec.Fields[name]; ok {
		return v // a declared field's: no system field is in Fields
	}
	return r.rec.Value(name)
}

func (r recordRow) Text(name string) (string, bool) {
	s, ok := r.rec.Fields[name].(string)
	return s, ok
}
