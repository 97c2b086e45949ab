package memory

import (
	"context"
	"reflect"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/storagetest"
	"github.com/stretchr/testify/require"
)

// A write transaction takes the last one's overlay, emptied, with the
// map of each entity it wrote: one that writes the same entity again
// makes no map (BenchmarkCreate, BenchmarkDelete). A transaction that
// writes another entity commits only what it wrote, and the kept map of
// the first entity stays empty.
func TestWritesReuseTheLastTransactionsOverlayMap(t *testing.T) {
	ctx := context.Background()
	reg := storagetest.Schema()
	account, err := reg.Entity("account")
	require.NoError(t, err)
	contact, err := reg.Entity("contact")
	require.NoError(t, err)
	d := New()
	rec := func(entity string) crm.Record {
		name := map[string]string{"account": "name", "contact": "lastname"}[entity]
		return crm.Record{Entity: entity, Header: crm.Header{ID: crm.NewID(), Version: 1},
			Fields: crm.Fields{name: "x"}}
	}
	mapOf := func(m map[crm.ID]*row) uintptr { return reflect.ValueOf(m).Pointer() }

	first := rec("account")
	tx1, err := d.Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, tx1.Insert(ctx, account, []crm.Record{first}))
	accounts := mapOf(tx1.(*tx).overlay["account"])
	require.NoError(t, tx1.Commit())
	require.NotNil(t, d.spare)
	require.Equal(t, accounts, mapOf(d.spare["account"]))
	require.Empty(t, d.spare["account"])

	second := rec("account")
	tx2, err := d.Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, tx2.Insert(ctx, account, []crm.Record{second}))
	require.Equal(t, accounts, mapOf(tx2.(*tx).overlay["account"]), "the kept map, not a new one")
	require.NoError(t, tx2.Commit())

	third := rec("contact")
	tx3, err := d.Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, tx3.Insert(ctx, contact, []crm.Record{third}))
	require.Equal(t, []string{"contact"}, d.written)
	require.NoError(t, tx3.Delete(ctx, account, first.ID, 1))
	require.Equal(t, []string{"contact", "account"}, d.written)
	require.NoError(t, tx3.Commit())
	require.Empty(t, d.written)

	_, err = d.Get(ctx, account, first.ID)
	require.ErrorIs(t, err, crm.ErrNotFound)
	for _, r := range []crm.Record{second, third} {
		e, err := reg.Entity(r.Entity)
		require.NoError(t, err)
		_, err = d.Get(ctx, e, r.ID)
		require.NoError(t, err)
	}
	require.Empty(t, d.spare["account"])
	require.Empty(t, d.spare["contact"])
}
