package sqlstore

import (
	"context"
	"database/sql"
	"testing"

	"github.com/crmkit/crmkit/storage/sqlstore/internal/sqlitedialect"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// TestParameterGuard: a statement that would bind more values than the
// database takes fails with a validation error before it is sent. The
// planner's limits keep planned queries below it; this plan skips them.
func TestParameterGuard(t *testing.T) {
	reg := crm.NewRegistry()
	require.NoError(t, reg.Register(&crm.Entity{Name: "account", PrimaryName: "name", Fields: []crm.Field{
		{Name: "name", Type: crm.TypeText, Required: true},
		{Name: "employees", Type: crm.TypeInteger},
	}}))
	ctx := context.Background()
	db, err := sql.Open("sqlite", ":memory:")
	require.NoError(t, err)
	defer db.Close()
	db.SetMaxOpenConns(1) // every connection to :memory: is a database of its own
	d, err := New(ctx, db, Dialect{sqlitedialect.Spec()}, reg)
	require.NoError(t, err)
	defer d.Close()
	e, err := reg.Entity("account")
	require.NoError(t, err)
	or := crm.Group{Or: true}
	for i := range d.maxParams() + 1 {
		// Comparisons, which no list stands for.
		or.Filters = append(or.Filters, crm.Condition{Field: "employees", Op: crm.OpGt, Values: []any{int64(i)}})
	}
	_, err = d.Count(ctx, &driver.Plan{Entity: e, Where: or})
	require.ErrorIs(t, err, crm.ErrValidation)
	var verr *crm.ValidationError
	require.ErrorAs(t, err, &verr)
	require.True(t, verr.Has("where"), "%v", err)

	or.Filters = or.Filters[:1000]
	n, err := d.Count(ctx, &driver.Plan{Entity: e, Where: or})
	require.NoError(t, err)
	require.Zero(t, n)
}
