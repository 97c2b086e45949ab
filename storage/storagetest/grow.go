package storagetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/stretchr/testify/require"
)

// testGrow checks metadata that grows on a running store: fields added with
// Store.AddFields are written, read, queried, sorted and aggregated on like
// declared ones, and records written before have none of them.
func testGrow(t *testing.T, open Opener) {
	e := newEnv(t, open)
	old := e.create(contact, crm.Fields{"lastname": "Before"})
	require.NoError(t, e.store.AddFields(e.ctx, contact,
		crm.Field{Name: "loyaltypoints", Type: crm.TypeInteger},
		crm.Field{Name: "tier", Type: crm.TypeChoice, Options: []crm.Option{
			{Value: 100_000_000, Label: "Bronze"}, {Value: 100_000_001, Label: "Gold"}}},
	))
	for i, fs := range []crm.Fields{
		{"loyaltypoints": int64(30), "tier": int32(100_000_001)},
		{"loyaltypoints": int64(10), "tier": int32(100_000_000)},
		{"loyaltypoints": int64(20), "tier": int32(100_000_001)},
	} {
		fs["lastname"] = string(rune('A' + i))
		e.create(contact, fs)
	}

	t.Run("a record written before has no value for an added field", func(t *testing.T) {
		got := e.get(contact, old.ID)
		require.NotContains(t, got.Fields, "loyaltypoints")
		updated, err := e.store.Update(e.ctx, crm.Record{Entity: contact, Header: crm.Header{ID: old.ID}, Fields: crm.Fields{"loyaltypoints": int64(5)}})
		require.NoError(t, err)
		require.Equal(t, int64(5), updated.Fields["loyaltypoints"])
	})
	t.Run("added fields are queried and sorted on", func(t *testing.T) {
		var names []string
		for _, r := range e.all(crm.Query{Entity: contact, Where: crm.Eq("tier", int32(100_000_001)), OrderBy: []crm.Order{crm.Desc("loyaltypoints")}}) {
			names = append(names, r.Fields["lastname"].(string))
		}
		require.Equal(t, []string{"A", "C"}, names)
	})
	t.Run("added fields are aggregated on", func(t *testing.T) {
		rows, err := e.store.Aggregate(e.ctx, crm.Aggregation{Entity: contact, Where: crm.NotNull("tier"),
			GroupBy:  []crm.GroupBy{{Field: "tier"}},
			Measures: []crm.Measure{{Alias: "points", Func: crm.AggSum, Field: "loyaltypoints"}}})
		require.NoError(t, err)
		requireRows(t, []crm.AggregateRow{
			{"tier": int32(100_000_000), "points": int64(10)},
			{"tier": int32(100_000_001), "points": int64(50)},
		}, rows)
	})
	t.Run("fields added while writers write lose no write", func(t *testing.T) {
		before := e.count(contact)
		var (
			written atomic.Int64
			wg      sync.WaitGroup
			errs    = make(chan error, 4)
		)
		for g := range 4 {
			wg.Go(func() {
				for i := range 25 {
					_, err := e.store.Create(e.ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": fmt.Sprintf("w%d-%d", g, i)}})
					if err != nil {
						errs <- err
						return
					}
					written.Add(1)
				}
			})
		}
		require.NoError(t, e.store.AddFields(e.ctx, contact, crm.Field{Name: "concurrent", Type: crm.TypeBool}))
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.Equal(t, before+written.Load(), e.count(contact))
		e.create(contact, crm.Fields{"lastname": "after", "concurrent": true})
	})
	t.Run("adding fields needs a caller, as every write does", func(t *testing.T) {
		err := e.store.AddFields(context.Background(), contact, crm.Field{Name: "nocaller", Type: crm.TypeBool})
		require.ErrorIs(t, err, crm.ErrNoCaller)
		_, ok := mustEntity(t, e.reg, contact).Field("nocaller")
		require.False(t, ok, "nothing was added")
	})
	t.Run("an invalid value of an added field is refused", func(t *testing.T) {
		_, err := e.store.Create(e.ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "X", "tier": int32(7)}})
		require.ErrorIs(t, err, crm.ErrValidation)
	})
}

func mustEntity(t *testing.T, reg *crm.Registry, name string) *crm.Entity {
	t.Helper()
	e, err := reg.Entity(name)
	require.NoError(t, err)
	return e
}
