package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/sqlstore"
	"github.com/crmkit/crmkit/storage/storagetest"
)

// TestConformanceSQLiteStream runs the conformance suite on SQLite with
// INSERTs of two rows, so that every write of three records or more is
// streamed (driver.StreamInserter: the records of the next INSERT made
// while one runs) and keeps every guarantee of Insert.
func TestConformanceSQLiteStream(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, reg *crm.Registry) driver.Driver {
		return sqliteOpener(t).open(t, reg, sqlstore.WithBatchRows(2))
	})
}

// TestStreamInCallerTransaction: inside a host's transaction (WithTx),
// where PostgreSQL has no COPY, a bulk create streams through INSERTs on
// both dialects: it stores what it returns, and a bad record fails it,
// named, and leaves nothing of it.
func TestStreamInCallerTransaction(t *testing.T) {
	for _, o := range dialects(t) {
		t.Run(o.name, func(t *testing.T) {
			o.raw(t) // skips PostgreSQL without a DSN
			ctx := crm.AsSystem(context.Background())
			reg := testRegistry(t)
			d := o.open(t, reg, sqlstore.WithBatchRows(3))
			acc, err := storage.New(d, reg).Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": "Parent"}})
			require.NoError(t, err)
			contacts := func(bad int) []crm.Record {
				recs := make([]crm.Record, 10)
				for i := range recs {
					recs[i] = crm.Record{Entity: "contact", Header: crm.Header{ID: crm.NewID()},
						Fields: crm.Fields{"lastname": fmt.Sprintf("C%d", i), "accountid": acc.Ref()}}
					if i > 0 {
						recs[i].Fields["parentcustomerid"] = crm.Ref{Entity: "contact", ID: recs[i-1].ID}
					}
				}
				if bad >= 0 {
					recs[bad].Fields["score"] = "high" // not a decimal
				}
				return recs
			}
			tx, err := d.DB().BeginTx(ctx, nil)
			require.NoError(t, err)
			defer func() { _ = tx.Rollback() }()
			s := storage.New(d.WithTx(tx), reg)

			_, err = s.CreateMany(ctx, contacts(7))
			require.ErrorIs(t, err, crm.ErrValidation)
			require.ErrorContains(t, err, "record 7:")
			n, err := s.Count(ctx, crm.Query{Entity: "contact"})
			require.NoError(t, err)
			require.Zero(t, n, "the failed call rolled back its savepoint")

			out, err := s.CreateMany(ctx, contacts(-1))
			require.NoError(t, err)
			for _, rec := range out {
				got, err := s.Get(ctx, "contact", rec.ID)
				require.NoError(t, err)
				require.Equal(t, rec, got)
			}
			require.NoError(t, tx.Commit())
			n, err = storage.New(d, reg).Count(ctx, crm.Query{Entity: "contact"})
			require.NoError(t, err)
			require.EqualValues(t, 10, n)
		})
	}
}

// TestStreamDuplicates: a streamed bulk create (a COPY on PostgreSQL,
// INSERTs of two rows on SQLite) that meets a taken ID or alternate key
// fails as one INSERT fails, and leaves nothing.
func TestStreamDuplicates(t *testing.T) {
	for _, o := range dialects(t) {
		t.Run(o.name, func(t *testing.T) { testStreamDuplicates(t, o) })
	}
}

func testStreamDuplicates(t *testing.T, o opener) {
	o.raw(t) // skips PostgreSQL without a DSN
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
