package crm_test

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
	stateActive   crm.StateCode  = 0
	stateInactive crm.StateCode  = 1
	statusActive  crm.StatusCode = 1
	statusOnHold  crm.StatusCode = 3
	statusClosed  crm.StatusCode = 2
)

func accountLifecycle() *crm.Lifecycle {
	return &crm.Lifecycle{
		Initial: stateActive,
		States: []crm.State{
			{Code: stateActive, Name: "Active", DefaultStatus: statusActive},
			{Code: stateInactive, Name: "Inactive", DefaultStatus: statusClosed, ReadOnly: true},
		},
		Statuses: []crm.Status{
			{Code: statusActive, Name: "Active", State: stateActive},
			{Code: statusClosed, Name: "Inactive", State: stateInactive},
			{Code: statusOnHold, Name: "On hold", State: stateActive},
		},
		Transitions: []crm.Transition{
			{Event: "deactivate", From: []crm.StateCode{stateActive}, To: stateInactive},
			{Event: "activate", From: []crm.StateCode{stateInactive}, To: stateActive},
			{Event: "touch", From: []crm.StateCode{stateActive}, To: stateActive},
		},
	}
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func decPtr(s string) *decimal.Decimal { d := dec(s); return &d }

// testRegistry declares a small sales model: accounts in a hierarchy,
// contacts with a polymorphic parent customer and a computed full name.
func testRegistry(t *testing.T) *crm.Registry {
	t.Helper()
	reg := crm.NewRegistry()
	account := &crm.Entity{
		Name:        "account",
		PrimaryName: "name",
		Lifecycle:   accountLifecycle(),
		Fields: []crm.Field{
			{Name: "name", Type: crm.TypeText, Required: true, MaxLength: 10},
			{Name: "accountnumber", Type: crm.TypeText, Immutable: true},
			{Name: "revenue", Type: crm.TypeMoney},
			{Name: "employees", Type: crm.TypeInteger, Min: decPtr("0"), Max: decPtr("1000")},
			{Name: "population", Type: crm.TypeInteger},
			{Name: "score", Type: crm.TypeDecimal, Precision: 2, Min: decPtr("-10"), Max: decPtr("10")},
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
			{Name: "fullname", Type: crm.TypeText, MaxLength: 30, Compute: fullName},
			{Name: "parentcustomerid", Type: crm.TypeLookup, Targets: []string{"account", "contact"}, OnDelete: crm.DeleteCascade},
			{Name: "accountid", Type: crm.TypeLookup, Targets: []string{"account"}},
		},
	}
	require.NoError(t, reg.Register(account, contact))
	return reg
}

func fullName(f crm.Fields) any {
	name := strings.TrimSpace(f.String("firstname") + " " + f.String("lastname"))
	if name == "" {
		return nil
	}
	return name
}

func entity(t *testing.T, reg *crm.Registry, name string) *crm.Entity {
	t.Helper()
	e, err := reg.Entity(name)
	require.NoError(t, err)
	return e
}

// validationFields returns the bad fields of err, which must be a
// *crm.ValidationError.
func validationFields(t *testing.T, err error) map[string]string {
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

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
