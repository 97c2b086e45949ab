package sqlstore_test

// Benchmarks of getting data in: N contacts created with CreateMany beside
// the same contacts brought in with Store.Import (original creation
// times, half of them in a non-initial state), and with Import by key
// (one look-up by key per record, then an insert), first into an empty
// table and then again over the same data, where nothing changes.
//
//	go test -run '^$' -bench 'Import' -benchmem -count 6 ./storage/sqlstore/ > bench-import.txt
//	benchstat -col /impl bench-import.txt
//
// The PostgreSQL half runs when CRMKIT_POSTGRES_DSN is set.

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/sqlstore"
)

const importEntity = "bi_contact"

// importN is how many records one op brings in: 5,000 by default, so the
// benchmark runs in seconds; CRMKIT_BENCH_IMPORT_N=100000 measures the
// issue's 100,000.
var importN = func() int {
	if n, err := strconv.Atoi(os.Getenv("CRMKIT_BENCH_IMPORT_N")); err == nil && n > 0 {
		return n
	}
	return 5_000
}()

func importRegistry(tb testing.TB) *crm.Registry {
	tb.Helper()
	reg := crm.NewRegistry()
	require.NoError(tb, reg.Register(&crm.Entity{Name: importEntity, PrimaryName: "lastname",
		Keys: []crm.Key{{Name: "email", Fields: []string{"emailaddress1"}}},
		Fields: []crm.Field{
			{Name: "firstname", Type: crm.TypeText, MaxLength: 50},
			{Name: "lastname", Type: crm.TypeText, MaxLength: 50, Required: true},
			{Name: "emailaddress1", Type: crm.TypeText, MaxLength: 100},
			{Name: "telephone1", Type: crm.TypeText, MaxLength: 50},
			{Name: "numberofchildren", Type: crm.TypeInteger},
		},
		Lifecycle: &crm.Lifecycle{
			Initial:     0,
			States:      []crm.State{{Code: 0, Name: "Active", DefaultStatus: 1}, {Code: 1, Name: "Inactive", DefaultStatus: 2}},
			Statuses:    []crm.Status{{Code: 1, Name: "Active", State: 0}, {Code: 2, Name: "Inactive", State: 1}},
			Transitions: []crm.Transition{{Event: "deactivate", From: []crm.StateCode{0}, To: 1}},
		},
	}))
	return reg
}

// importRecords returns n contacts, the i-th e-mail address unique to
// batch; imported ones carry a creation time and every other one is
// inactive.
func importRecords(batch, n int, imported bool) []crm.Record {
	recs := make([]crm.Record, n)
	created := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range recs {
		recs[i] = crm.Record{Entity: importEntity, Fields: crm.Fields{
			"firstname": "Ann", "lastname": fmt.Sprintf("Lee %d", i),
			"emailaddress1": fmt.Sprintf("c%d.%d@example.com", batch, i), "telephone1": "+33 1 23 45 67 89",
			"numberofchildren": int64(i % 4),
		}}
		if imported {
			recs[i].CreatedOn = created.Add(time.Duration(i) * time.Minute)
			if i%2 == 1 {
				recs[i].State = 1
			}
		}
	}
	return recs
}

func BenchmarkImportSQLite(b *testing.B) {
	benchImport(b, func(b *testing.B, reg *crm.Registry) *sqlstore.Driver { return verifySQLite(b, reg) })
}

func BenchmarkImportPostgres(b *testing.B) {
	if os.Getenv(envPostgresDSN) == "" {
		b.Skipf("%s is not set (run .ci/start-postgres)", envPostgresDSN)
	}
	benchImport(b, func(b *testing.B, reg *crm.Registry) *sqlstore.Driver {
		d, _ := verifyPostgresSchema(b, reg)
		return d
	})
}

func benchImport(b *testing.B, open func(b *testing.B, reg *crm.Registry) *sqlstore.Driver) {
	ctx := crm.AsSystem(context.Background())
	store := func(b *testing.B) *storage.Store {
		reg := importRegistry(b)
		return storage.New(open(b, reg), reg)
	}
	b.Run(fmt.Sprintf("n=%d/impl=createmany", importN), func(b *testing.B) {
		s := store(b)
		batch := 0
		for b.Loop() {
			b.StopTimer()
			recs := importRecords(batch, importN, false)
			batch++
			b.StartTimer()
			_, err := s.CreateMany(ctx, recs)
			require.NoError(b, err)
		}
	})
	b.Run(fmt.Sprintf("n=%d/impl=import", importN), func(b *testing.B) {
		s := store(b)
		batch := 0
		for b.Loop() {
			b.StopTimer()
			recs := importRecords(batch, importN, true)
			batch++
			b.StartTimer()
			_, err := s.Import(ctx, recs, storage.ImportOptions{})
			require.NoError(b, err)
		}
	})
	b.Run(fmt.Sprintf("n=%d/impl=import-bykey", importN), func(b *testing.B) {
		s := store(b)
		batch := 0
		for b.Loop() {
			b.StopTimer()
			recs := importRecords(batch, importN, true)
			batch++
			b.StartTimer()
			out, err := s.Import(ctx, recs, storage.ImportOptions{Key: "email"})
			require.NoError(b, err)
			require.True(b, out[0].Created)
		}
	})
	b.Run(fmt.Sprintf("n=%d/impl=reimport-bykey", importN), func(b *testing.B) {
		s := store(b)
		recs := importRecords(0, importN, true)
		_, err := s.Import(ctx, recs, storage.ImportOptions{Key: "email"})
		require.NoError(b, err)
		for b.Loop() {
			out, err := s.Import(ctx, recs, storage.ImportOptions{Key: "email"})
			require.NoError(b, err)
			require.False(b, out[0].Created)
		}
	})
}
