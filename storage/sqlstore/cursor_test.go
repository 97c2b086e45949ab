package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// TestIterateAndWriteInCallerTransaction: inside a transaction the host
// holds (WithTx), Select streams and the transaction writes between the
// records it yields, as in crmkit's own transactions.
func TestIterateAndWriteInCallerTransaction(t *testing.T) {
	for _, o := range dialects(t) {
		t.Run(o.name, func(t *testing.T) {
			o.raw(t) // skips PostgreSQL without a DSN
			reg := testRegistry(t)
			d := o.open(t, reg)
			ctx := crm.AsSystem(context.Background())
			const n = 700
			recs := make([]crm.Record, n)
			for i := range recs {
				recs[i] = crm.Record{Entity: "account", Fields: crm.Fields{"name": fmt.Sprintf("a%04d", i)}}
			}
			_, err := storage.New(d, reg).CreateMany(ctx, recs)
			require.NoError(t, err)

			tx, err := d.DB().BeginTx(ctx, nil)
			require.NoError(t, err)
			defer func() { _ = tx.Rollback() }()
			s := storage.New(d.WithTx(tx), reg)
			seen := 0
			for rec, err := range s.Iterate(ctx, crm.Query{Entity: "account", OrderBy: []crm.Order{crm.Asc("name")}}) {
				require.NoError(t, err)
				require.Equal(t, fmt.Sprintf("a%04d", seen), rec.Fields.String("name"))
				seen++
				_, err := s.Update(ctx, crm.Record{Entity: "account", Header: crm.Header{ID: rec.ID, Version: rec.Version},
					Fields: crm.Fields{"employees": int64(seen)}})
				require.NoError(t, err)
			}
			require.Equal(t, n, seen)
			require.NoError(t, tx.Commit())
			updated, err := storage.New(d, reg).Count(ctx, crm.Query{Entity: "account", Where: crm.Where("employees", crm.OpNotNull)})
			require.NoError(t, err)
			require.EqualValues(t, n, updated)
		})
	}
}
