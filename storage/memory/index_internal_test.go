package memory

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/storagetest"
	"github.com/stretchr/testify/require"
)

// TestIndexFollowsWrites checks the index on a text field, answering an
// equality in any case, against a full scan after random creates, updates
// and deletes, committed and rolled back, and inside a transaction that
// has not committed yet.
func TestIndexFollowsWrites(t *testing.T) {
	ctx := crm.AsSystem(context.Background())
	store := storage.New(New(), storagetest.Schema())
	r := rand.New(rand.NewPCG(3, 5))
	cities := []any{"Paris", "paris", "PARIS", "Lyon", "lyon", nil}
	var ids []crm.ID
	check := func(ctx context.Context, step int) {
		t.Helper()
		want := map[string]int64{}
		for rec, err := range store.Iterate(ctx, crm.Query{Entity: "contact"}) {
			require.NoError(t, err)
			if c, ok := rec.Fields["city"].(string); ok {
				want[driver.FoldText(c)]++
			}
		}
		for _, city := range []string{"PARIS", "lyon", "nowhere"} {
			n, err := store.Count(ctx, crm.Query{Entity: "contact", Where: crm.And(crm.Eq("city", city), crm.NotNull("lastname"))})
			require.NoError(t, err)
			require.Equal(t, want[driver.FoldText(city)], n, "step %d: city %s", step, city)
		}
	}
	write := func(ctx context.Context) error {
		switch op := r.IntN(3); {
		case op == 0 || len(ids) == 0:
			rec, err := store.Create(ctx, crm.Record{Entity: "contact", Fields: crm.Fields{"lastname": "x", "city": cities[r.IntN(len(cities))]}})
			if err == nil {
				ids = append(ids, rec.ID)
			}
			return err
		case op == 1:
			_, err := store.Update(ctx, crm.Record{Entity: "contact", Header: crm.Header{ID: ids[r.IntN(len(ids))]},
				Fields: crm.Fields{"city": cities[r.IntN(len(cities))]}})
			if errors.Is(err, crm.ErrNotFound) {
				return nil // deleted in a step that committed
			}
			return err
		default:
			err := store.Delete(ctx, crm.Ref{Entity: "contact", ID: ids[r.IntN(len(ids))]}, storage.AnyVersion)
			if errors.Is(err, crm.ErrNotFound) {
				return nil
			}
			return err
		}
	}
	check(ctx, -1) // builds the index while the table is empty
	for step := range 300 {
		rollback := r.IntN(4) == 0
		err := store.InTx(ctx, func(ctx context.Context) error {
			for range 1 + r.IntN(3) {
				if err := write(ctx); err != nil {
					return err
				}
			}
			check(ctx, step) // the transaction's own view
			if rollback {
				return errRollback
			}
			return nil
		})
		if rollback {
			require.ErrorIs(t, err, errRollback)
		} else {
			require.NoError(t, err)
		}
		check(ctx, step)
	}
}

var errRollback = errors.New("roll back")
