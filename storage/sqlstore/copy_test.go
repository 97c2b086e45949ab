package sqlstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/sqlstore"
	"github.com/crmkit/crmkit/storage/storagetest"
)

// TestConformancePostgresCopy runs the conformance suite on PostgreSQL
// with INSERTs of two rows, so that every write of three records or more
// goes through COPY: the bulk path keeps every guarantee the INSERTs do.
func TestConformancePostgresCopy(t *testing.T) {
	requirePostgres(t, postgresDSN())
	storagetest.Run(t, func(t *testing.T, reg *crm.Registry) driver.Driver {
		return postgresOpener(t).open(t, reg, sqlstore.WithBatchRows(2))
	})
}

// TestCopyDuplicates: a COPY that meets a taken ID or alternate key fails
// as the INSERTs fail, and leaves nothing.
func TestCopyDuplicates(t *testing.T) {
	o := postgresOpener(t)
	o.raw(t) // skips without a DSN
	ctx := crm.AsSystem(context.Background())
	reg := crm.NewRegistry()
	require.NoError(t, reg.Register(&crm.Entity{Name: "item", PrimaryName: "code",
		Fields: []crm.Field{{Name: "code", Type: crm.TypeText, MaxLength: 20}},
		Keys:   []crm.Key{{Name: "bycode", Fields: []string{"code"}}}}))
	s := storage.New(o.open(t, reg, sqlstore.WithBatchRows(2)), reg)
	held, err := s.Create(ctx, crm.Record{Entity: "item", Fields: crm.Fields{"code": "HELD"}})
	require.NoError(t, err)
	batch := func(mod func(recs []crm.Record)) []crm.Record {
		recs := make([]crm.Record, 10)
		for i := range recs {
			recs[i] = crm.Record{Entity: "item", Fields: crm.Fields{"code": string(rune('a' + i))}}
		}
		mod(recs)
		return recs
	}
	_, err = s.CreateMany(ctx, batch(func(recs []crm.Record) { recs[7].ID = held.ID }))
	require.ErrorIs(t, err, crm.ErrDuplicate)
	_, err = s.CreateMany(ctx, batch(func(recs []crm.Record) { recs[7].Fields["code"] = "held" }))
	var dup *crm.DuplicateKeyError
	require.ErrorAs(t, err, &dup)
	require.Equal(t, "bycode", dup.Key)
	n, err := s.Count(ctx, crm.Query{Entity: "item"})
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	out, err := s.CreateMany(ctx, batch(func([]crm.Record) {}))
	require.NoError(t, err)
	got, err := s.Get(ctx, "item", out[9].ID)
	require.NoError(t, err)
	require.Equal(t, out[9], got)
}
