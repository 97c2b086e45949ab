package stores

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/sqlstore"
	"github.com/crmkit/crmkit/storage/sqlstore/postgres"
	"github.com/crmkit/crmkit/storage/sqlstore/sqlite"
)

// BenchDB is a SQL database a benchmark compares crmkit with hand-written
// SQL on: SQLite in a temporary directory, or PostgreSQL in a schema of
// its own on CRMKIT_POSTGRES_DSN's server. It outlives the benchmark that
// opened it (see Fixtures): Close removes it.
type BenchDB struct {
	Driver   *sqlstore.Driver
	Postgres bool
	schema   string
	close    func()
}

// OpenBenchDB opens a fresh database of kind "sqlite" or "postgres" for
// reg; prefix starts the names of its file or schema.
func OpenBenchDB(tb testing.TB, kind, prefix string, reg *crm.Registry) *BenchDB {
	tb.Helper()
	ctx := context.Background()
	switch kind {
	case "sqlite":
		dir, err := os.MkdirTemp("", prefix)
		require.NoError(tb, err)
		d, err := sqlite.Open(ctx, filepath.Join(dir, "bench.db"), reg)
		require.NoError(tb, err)
		return &BenchDB{Driver: d, close: func() { _ = d.Close(); _ = os.RemoveAll(dir) }}
	case "postgres":
		raw := make([]byte, 6)
		_, _ = rand.Read(raw)
		schema := prefix + hex.EncodeToString(raw)
		d, err := postgres.Open(ctx, os.Getenv("CRMKIT_POSTGRES_DSN"), reg, sqlstore.WithSchema(schema))
		require.NoError(tb, err)
		return &BenchDB{Driver: d, Postgres: true, schema: schema, close: func() {
			_, _ = d.DB().Exec("DROP SCHEMA " + schema + " CASCADE")
			_ = d.Close()
		}}
	}
	tb.Fatalf("no benchmark database of kind %q", kind)
	return nil
}

// Table returns the table of entity, quoted (and in its schema on
// PostgreSQL), for hand-written SQL.
func (d *BenchDB) Table(entity string) string {
	if d.Postgres {
		return `"` + d.schema + `"."` + entity + `"`
	}
	return `"` + entity + `"`
}

// Analyze refreshes the planner's statistics of entity's table after a
// load, as a production database's maintenance would have.
func (d *BenchDB) Analyze(tb testing.TB, entity string) {
	tb.Helper()
	stmt := "ANALYZE" // SQLite's statistics are of the whole file
	if d.Postgres {
		stmt += " " + d.Table(entity)
	}
	_, err := d.Driver.DB().Exec(stmt)
	require.NoError(tb, err)
}

// Close removes the database.
func (d *BenchDB) Close() { d.close() }

// Fixtures holds what benchmarks load once per process and per key (a
// database kind), so that the runs of -count 6 read one database: the
// first Get loads it with the timer stopped, Close releases them all
// (from TestMain, after m.Run).
type Fixtures[T any] struct {
	mu      sync.Mutex
	loaded  map[string]T
	closers []func()
}

// Get returns the fixture of key, loading it with load the first time;
// load returns it and what releases it.
func (f *Fixtures[T]) Get(b *testing.B, key string, load func() (T, func())) T {
	b.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if v, ok := f.loaded[key]; ok {
		return v
	}
	b.StopTimer()
	defer b.StartTimer()
	v, release := load()
	if f.loaded == nil {
		f.loaded = map[string]T{}
	}
	f.loaded[key] = v
	f.closers = append(f.closers, release)
	return v
}

// Close releases every fixture loaded.
func (f *Fixtures[T]) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, release := range f.closers {
		release()
	}
	f.loaded, f.closers = nil, nil
}

// EnvSize reads a benchmark's size from the environment variable name:
// def when it is unset, and a failure for anything but a number of at
// least least.
func EnvSize(tb testing.TB, name string, def, least int) int {
	tb.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < least {
		tb.Fatalf("%s=%q: want a number of at least %d", name, s, least)
	}
	return n
}
