// Package crmtest holds the fixtures the tests of crm and of the query
// planner (storage/driver) share: a small sales model and helpers.
package crmtest

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
)

// Account lifecycle codes used across the tests.
const (
	StateActive   crm.StateCode  = 0
	StateInactive crm.StateCode  = 1
	StatusActive  crm.StatusCode = 1
	StatusOnHold  crm.StatusCode = 3
	StatusClosed  crm.StatusCode = 2
)

func AccountLifecycle() *crm.Lifecycle {
	return &crm.Lifecycle{
		Initial: StateActive,
		States: []crm.State{
			{Code: StateActive, Name: "Active", DefaultStatus: StatusActive},
			{Code: StateInactive, Name: "Inactive", DefaultStatus: StatusClosed, ReadOnly: true},
		},
		Statuses: []crm.Status{
			{Code: StatusActive, Name: "Active", State: StateActive},
			{Code: StatusClosed, Name: "Inactive", State: StateInactive},
			{Code: StatusOnHold, Name: "On hold", State: StateActive},
		},
		Transitions: []crm.Transition{
			{Event: "deactivate", From: []crm.StateCode{StateActive}, To: StateInactive},
			{Event: "activate", From: []crm.StateCode{StateInactive}, To: StateActive},
			{Event: "touch", From: []crm.StateCode{StateActive}, To: StateActive},
		},
	}
}

func Dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func DecPtr(s string) *decimal.Decimal { d := Dec(s); return &d }

// Registry declares a small sales model: accounts in a hierarchy,
// contacts with a polymorphic parent customer and a computed full name.
func Registry(t *testing.T) *crm.Registry {
	t.Helper()
	reg := crm.NewRegistry()
	account := &crm.Entity{
		Name:        "account",
		PrimaryName: "name",
		Lifecycle:   AccountLifecycle(),
		Fields: []crm.Field{
			{Name: "name", Type: crm.TypeText, Required: true, MaxLength: 10},
			{Name: "accountnumber", Type: crm.TypeText, Immutable: true},
			{Name: "revenue", Type: crm.TypeMoney},
			{Name: "employees", Type: crm.TypeInteger, Min: DecPtr("0"), Max: DecPtr("1000")},
			{Name: "population", Type: crm.TypeInteger},
			{Name: "score", Type: crm.TypeDecimal, Precision: 2, Min: DecPtr("-10"), Max: DecPtr("10")},
			{Name: "ratio", Type: crm.TypeDecimal, Precision: 4},
			{Name: "creditonhold", Type: crm.TypeBool},
			{Name: "industry", Type: crm.TypeChoice, Options: []crm.Option{{Value: 1, Label: "Banking"}, {Value: 2, Label: "Retail"}}},
			{Name: "openedon", Type: crm.TypeTime, DateOnly: true},
			{Name: "lastcontacted", Type: crm.TypeTime},
			{Name: "parentaccountid", Type: crm.TypeLookup, Targets: []string{"account"}, Hierarchical: true},
			{Name: "primarycontactid", Type: crm.TypeLookup, Targets: []string{"contact"}},
		},
	}
	contact := &crm.Entity{
		Name:        "contact",
		PrimaryName: "fullname",
		Fields: []crm.Field{
			{Name: "firstname", Type: crm.TypeText},
			{Name: "lastname", Type: crm.TypeText, Required: true},
			{Name: "fullname", Type: crm.TypeText, MaxLength: 30, Compute: FullName},
			{Name: "parentcustomerid", Type: crm.TypeLookup, Targets: []string{"account", "contact"}, OnDelete: crm.DeleteCascade},
			{Name: "accountid", Type: crm.TypeLookup, Targets: []string{"account"}},
		},
	}
	require.NoError(t, reg.Register(account, contact))
	return reg
}

func FullName(f crm.Fields) any {
	name := strings.TrimSpace(f.String("firstname") + " " + f.String("lastname"))
	if name == "" {
		return nil
	}
	return name
}

func Entity(t *testing.T, reg *crm.Registry, name string) *crm.Entity {
	t.Helper()
	e, err := reg.Entity(name)
	require.NoError(t, err)
	return e
}

// ValidationFields returns the bad fields of err, which must be a
// *crm.ValidationError.
func ValidationFields(t *testing.T, err error) map[string]string {
	t.Helper()
	require.ErrorIs(t, err, crm.ErrValidation)
	var verr *crm.ValidationError
	require.ErrorAs(t, err, &verr)
	out := map[string]string{}
	for _, f := range verr.Fields {
		out[f.Field] = f.Reason
	}
	return out
}

func Date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// LimitsRegistry declares fields at the edges of what values may be: one
// bound of a range set, the other left to Dynamics' default.
func LimitsRegistry(t *testing.T) *crm.Registry {
	t.Helper()
	reg := crm.NewRegistry()
	require.NoError(t, reg.Register(&crm.Entity{
		Name:        "gauge",
		PrimaryName: "name",
		Fields: []crm.Field{
			{Name: "name", Type: crm.TypeText, MaxLength: 160},
			{Name: "atleastten", Type: crm.TypeInteger, Min: DecPtr("10")},
			{Name: "atmostten", Type: crm.TypeInteger, Max: DecPtr("10")},
			{Name: "level", Type: crm.TypeDecimal, Precision: 2, Max: DecPtr("5")},
			{Name: "amount", Type: crm.TypeMoney},
			{Name: "seenon", Type: crm.TypeTime},
			{Name: "bornon", Type: crm.TypeTime, DateOnly: true},
			{Name: "kind", Type: crm.TypeChoice, Options: []crm.Option{{Value: 0, Label: "Zero"}, {Value: 1, Label: "One"}}},
		},
	}))
	return reg
}
