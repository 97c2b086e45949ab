package storagetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// CheckCodec checks that codec carries every field of its entity, as reg
// declares it, through Decode and Encode unchanged, so that a typed record
// cannot drift from its metadata: a field added to the entity and not to
// the Go type, or a member read from the wrong field, fails the test.
//
// It builds a record with the header filled in and a value in every
// declared field that callers set (not the system fields, not the computed
// ones): a value valid for the field (an option of a choice field, a
// number within its bounds, a lookup to a made-up record of one of its
// targets), and a different one in every field, so two members swapped
// show. It decodes the record and encodes the result, and fails naming
// each field the codec drops or changes, each field it encodes that the
// entity does not declare, and a header that does not come back whole. It
// also checks that Encode of the zero T names every field (nil where T
// has no value), which Table.Update relies on to clear fields: pass reg as
// the codec's package registers the entity, without a host's custom
// fields.
//
// Custom fields are checked by convention instead: a typed record carries
// the fields its Go type does not declare in an Extra crm.Fields member,
// Decode putting there every field it does not know and Encode writing
// them back. CheckCodec adds a field no entity declares (ExtraProbe) to the
// sample record and fails if Encode does not give it back unchanged.
func CheckCodec[T any](t testing.TB, reg *crm.Registry, codec storage.Codec[T]) {
	t.Helper()
	e, err := reg.Entity(codec.Entity)
	if err != nil {
		t.Fatalf("codec of %q: %v", codec.Entity, err)
	}
	fields := crm.Fields{}
	for i, f := range codecFields(e) {
		v, err := sampleValue(e, f, i)
		if err != nil {
			t.Fatalf("codec of %s: no sample for field %s: %v", e.Name, f.Name, err)
		}
		fields[f.Name] = v
	}
	fields, err = e.CheckCreate(fields)
	if err != nil {
		t.Fatalf("codec of %s: the sample record is not valid: %v", e.Name, err)
	}
	when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	in := crm.Record{Entity: e.Name, Fields: fields, Header: crm.Header{
		ID: crm.NewID(), Version: 7, Owner: crm.Ref{Entity: crm.UserEntity, ID: crm.NewID()},
		CreatedOn: when, CreatedBy: crm.NewID(),
		ModifiedOn: when.Add(time.Hour), ModifiedBy: crm.NewID(),
		State: 1, Status: 2,
	}}
	probe := in.Clone()
	probe.Fields[ExtraProbe] = int64(42)
	v, err := codec.Decode(probe)
	if err != nil {
		t.Fatalf("codec of %s: decode the sample record: %v", e.Name, err)
	}
	out := codec.Encode(v)
	if out.Header != in.Header {
		t.Errorf("codec of %s: the header comes back as %+v, want %+v", e.Name, out.Header, in.Header)
	}
	for _, f := range codecFields(e) {
		got, ok := out.Fields[f.Name]
		switch {
		case !ok:
			t.Errorf("codec of %s: field %s is dropped (set to %v)", e.Name, f.Name, in.Fields[f.Name])
		case !crm.SameValue(got, in.Fields[f.Name]):
			t.Errorf("codec of %s: field %s changes from %v (%T) to %v (%T)", e.Name, f.Name, in.Fields[f.Name], in.Fields[f.Name], got, got)
		}
	}
	if got, ok := out.Fields[ExtraProbe]; !ok || got != int64(42) {
		t.Errorf("codec of %s: a field the Go type does not declare (%s) does not come back through Extra: got %v", e.Name, ExtraProbe, got)
	}
	for name := range out.Fields {
		if f, ok := e.Field(name); (!ok || f.System) && name != ExtraProbe {
			t.Errorf("codec of %s: Encode writes %s, which is not a declared field", e.Name, name)
		}
	}
	var zero T
	empty := codec.Encode(zero)
	for _, f := range codecFields(e) {
		if _, ok := empty.Fields[f.Name]; !ok {
			t.Errorf("codec of %s: Encode of the zero value leaves out field %s: an update could not clear it", e.Name, f.Name)
		}
	}
}

// ExtraProbe is the field CheckCodec adds to a record to check that a codec
// carries the fields its Go type does not declare.
const ExtraProbe = "crmkit_extra_probe"

// codecFields returns the declared fields callers set: what a codec must
// carry.
func codecFields(e *crm.Entity) []*crm.Field {
	var out []*crm.Field
	for i := range e.Fields {
		if f := &e.Fields[i]; !f.System && f.Compute == nil {
			out = append(out, f)
		}
	}
	return out
}

// sampleValue returns a value for f, valid for it and different for each
// i.
func sampleValue(e *crm.Entity, f *crm.Field, i int) (any, error) {
	n := int64(i + 2)
	var candidates []any
	switch f.Type {
	case crm.TypeText:
		s := fmt.Sprintf("%s %d", f.Name, i)
		if len(s) > f.MaxLen() {
			s = s[len(s)-f.MaxLen():]
		}
		candidates = []any{s}
	case crm.TypeInteger:
		candidates = []any{n}
		for _, b := range []*decimal.Decimal{f.Min, f.Max} {
			if b != nil {
				candidates = append(candidates, b.IntPart())
			}
		}
	case crm.TypeDecimal:
		candidates = []any{decimal.New(n*10+5, -1).Round(f.Precision)}
		for _, b := range []*decimal.Decimal{f.Min, f.Max} {
			if b != nil {
				candidates = append(candidates, *b)
			}
		}
	case crm.TypeMoney:
		candidates = []any{crm.MustMoney(fmt.Sprintf("%d.25 USD", n))}
		for _, b := range []*decimal.Decimal{f.Min, f.Max} {
			if b != nil {
				candidates = append(candidates, crm.MustMoney(b.StringFixed(2)+" USD"))
			}
		}
	case crm.TypeBool:
		candidates = []any{true} // false is the default: it would not show a dropped field
	case crm.TypeTime:
		t := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i)
		if !f.DateOnly {
			t = t.Add(time.Duration(i+1)*time.Hour + 123*time.Microsecond)
		}
		candidates = []any{t}
	case crm.TypeChoice:
		if len(f.Options) == 0 {
			return nil, fmt.Errorf("a choice field without options")
		}
		candidates = []any{f.Options[len(f.Options)-1].Value}
	case crm.TypeLookup:
		if len(f.Targets) == 0 {
			return nil, fmt.Errorf("a lookup without targets")
		}
		candidates = []any{crm.Ref{Entity: f.Targets[len(f.Targets)-1], ID: crm.NewID()}}
	default:
		return nil, fmt.Errorf("a %s field", f.Type)
	}
	var problems []string
	for _, c := range candidates {
		if problem := checkValue(e, f, c); problem != "" {
			problems = append(problems, problem)
			continue
		}
		return c, nil
	}
	return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
}

// checkValue returns why v is not a value of f in e, or "": the other
// fields' problems (required ones missing) are not f's.
func checkValue(e *crm.Entity, f *crm.Field, v any) string {
	_, err := e.CheckCreate(crm.Fields{f.Name: v})
	var verr *crm.ValidationError
	if !errors.As(err, &verr) {
		if err != nil {
			return err.Error()
		}
		return ""
	}
	for _, fe := range verr.Fields {
		if fe.Field == f.Name {
			return fe.String()
		}
	}
	return ""
}
