package storagetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/stretchr/testify/require"
)

// testParity holds every store to what the memory store, the reference,
// answers: shapes of work that a SQL database could refuse for reasons of
// its own (one connection per transaction, parameter and depth limits)
// must work alike everywhere, or fail alike with a typed error.
func testParity(t *testing.T, open Opener) {
	t.Run("iterate and write in one transaction", func(t *testing.T) { testIterateAndWrite(t, open) })
}

// testIterateAndWrite updates each contact as Iterate yields it, inside
// one transaction, with every other read of the transaction in between.
// More rows than a store would fetch in one batch cross batch boundaries.
func testIterateAndWrite(t *testing.T, open Opener) {
	e := newEnv(t, open)
	acc := e.create(account, crm.Fields{"name": "Holder"})
	const n = 600
	recs := make([]crm.Record, n)
	for i := range recs {
		recs[i] = crm.Record{Entity: contact, Fields: crm.Fields{
			"lastname":         fmt.Sprintf("Contact %04d", i),
			"parentcustomerid": crm.Ref{Entity: account, ID: acc.ID},
		}}
	}
	_, err := e.store.CreateMany(e.ctx, recs)
	require.NoError(t, err)
	q := crm.Query{Entity: contact, OrderBy: []crm.Order{crm.Asc("lastname")}}

	t.Run("update each record as it is yielded", func(t *testing.T) {
		seen := 0
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			for rec, err := range e.store.Iterate(ctx, q) {
				if err != nil {
					return err
				}
				require.Equal(t, fmt.Sprintf("Contact %04d", seen), rec.Fields.String("lastname"), "order holds while writing")
				seen++
				change := crm.Record{Entity: contact, Header: crm.Header{ID: rec.ID, Version: rec.Version},
					Fields: crm.Fields{"city": "Visited"}}
				if _, err := e.store.Update(ctx, change); err != nil {
					return err
				}
			}
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, n, seen)
		visited, err := e.store.Count(e.ctx, crm.Query{Entity: contact, Where: crm.Eq("city", "Visited")})
		require.NoError(t, err)
		require.EqualValues(t, n, visited)
	})

	t.Run("every read and write of the transaction runs during an iteration", func(t *testing.T) {
		seen := 0
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			for rec, err := range e.store.Iterate(ctx, q) {
				if err != nil {
					return err
				}
				seen++
				if seen%100 != 1 {
					continue
				}
				if _, err := e.store.Count(ctx, crm.Query{Entity: contact}); err != nil {
					return fmt.Errorf("count: %w", err)
				}
				if _, err := e.store.Aggregate(ctx, crm.Aggregation{Entity: contact,
					Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}}); err != nil {
					return fmt.Errorf("aggregate: %w", err)
				}
				if _, err := e.store.Get(ctx, contact, rec.ID); err != nil {
					return fmt.Errorf("get: %w", err)
				}
				if _, err := e.store.Lock(ctx, contact, rec.ID); err != nil {
					return fmt.Errorf("lock: %w", err)
				}
				if _, err := e.store.Query(ctx, crm.Query{Entity: contact, Limit: 3}); err != nil {
					return fmt.Errorf("query: %w", err)
				}
				// A nested iteration, stopped early.
				for _, err := range e.store.Iterate(ctx, q) {
					if err != nil {
						return fmt.Errorf("nested iterate: %w", err)
					}
					break
				}
				// The write path shares the record a lookup points at.
				if _, err := e.store.Create(ctx, crm.Record{Entity: task, Fields: crm.Fields{
					"subject": "call", "regardingobjectid": crm.Ref{Entity: contact, ID: rec.ID}}}); err != nil {
					return fmt.Errorf("create: %w", err)
				}
			}
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, n, seen)
		require.EqualValues(t, n/100, e.count(task))
	})
}
