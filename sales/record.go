package sales

import (
	"time"

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

func (a Address) encode(f crm.Fields) {
	f["address1_line1"] = text(a.Line1)
	f["address1_city"] = text(a.City)
	f["address1_stateorprovince"] = text(a.StateOrProvince)
	f["address1_postalcode"] = text(a.PostalCode)
	f["address1_country"] = text(a.Country)
}

func decodeAddress(f crm.Fields) Address {
	return Address{
		Line1:           f.String("address1_line1"),
		City:            f.String("address1_city"),
		StateOrProvince: f.String("address1_stateorprovince"),
		PostalCode:      f.String("address1_postalcode"),
		Country:         f.String("address1_country"),
	}
}

// text encodes a string field: "" is null.
func text(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func ref(r crm.Ref) any {
	if r.IsZero() {
		return nil
	}
	return r
}

func money(m *crm.Money) any {
	if m == nil {
		return nil
	}
	return *m
}

func moneyPtr(f crm.Fields, name string) *crm.Money {
	m, ok := f.Money(name)
	if !ok {
		return nil
	}
	return &m
}

func integer(n *int64) any {
	if n == nil {
		return nil
	}
	return *n
}

func intPtr(f crm.Fields, name string) *int64 {
	n, ok := f[name].(int64)
	if !ok {
		return nil
	}
	return &n
}

// choice encodes an option set: no value (0) is null.
func choice[T ~int32](v T) any {
	if v == 0 {
		return nil
	}
	return int32(v)
}

func date(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// Ptr returns a pointer to v: for the optional *int64 and *crm.Money fields
// of typed records.
func Ptr[T any](v T) *T { return &v }
