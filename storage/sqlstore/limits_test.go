package sqlstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// TestWidestBoundsRoundTrip: the widest bounds the registry takes hold
// values every dialect keeps exactly and compares alike: 38 digits at 10
// places (SQLite's offset-digit text), the edges of money (SQLite's int64
// at 4 places).
func TestWidestBoundsRoundTrip(t *testing.T) {
	widest := "9999999999999999999999999999.9999999999" // 38 digits
	reg := crm.NewRegistry()
	require.NoError(t, reg.Register(&crm.Entity{Name: "gauge", Fields: []crm.Field{
		{Name: "level", Type: crm.TypeDecimal, Precision: 10, Min: decPtr("-" + widest), Max: decPtr(widest)},
		{Name: "amount", Type: crm.TypeMoney},
	}}))
	values := []crm.Fields{
		{"level": dec(widest), "amount": crm.MustMoney("922337203685477 USD")},
		{"level": dec("-" + widest), "amount": crm.MustMoney("-922337203685477 USD")},
		{"level": dec("0.0000000001"), "amount": crm.MustMoney("0.001 KWD")},
	}
	for _, o := range dialects(t) {
		t.Run(o.name, func(t *testing.T) {
			o.raw(t) // skips PostgreSQL without a DSN
			ctx := crm.AsSystem(context.Background())
			s := storage.New(o.open(t, reg), reg)
			for _, f := range values {
				rec, err := s.Create(ctx, crm.Record{Entity: "gauge", Fields: f})
				require.NoError(t, err, "%v", f)
				got, err := s.Get(ctx, "gauge", rec.ID)
				require.NoError(t, err)
				for name, want := range f {
					require.True(t, crm.SameValue(want, got.Fields[name]), "%s: got %v, want %v", name, got.Fields[name], want)
				}
			}
			n, err := s.Count(ctx, crm.Query{Entity: "gauge", Where: crm.Ge("level", dec(widest))})
			require.NoError(t, err)
			require.EqualValues(t, 1, n)
			n, err = s.Count(ctx, crm.Query{Entity: "gauge", Where: crm.Lt("level", dec("1e3000000"))})
			require.NoError(t, err)
			require.EqualValues(t, 3, n)
		})
	}
}
