package storage_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmkit/crmkit/storage/driver"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/memory"
)

const (
	stateActive   crm.StateCode = 0
	stateInactive crm.StateCode = 1
)

// testRegistry declares accounts in a hierarchy, with a lifecycle, and
// contacts with a computed full name.
func testRegistry(t *testing.T) *crm.Registry {
	t.Helper()
	reg := crm.NewRegistry()
	err := reg.Register(
		&crm.Entity{
			Name: "account",
			Lifecycle: &crm.Lifecycle{
				Initial: stateActive,
				States: []crm.State{
					{Code: stateActive, Name: "Active", DefaultStatus: 1},
					{Code: stateInactive, Name: "Inactive", DefaultStatus: 2, ReadOnly: true},
				},
				Statuses: []crm.Status{{Code: 1, Name: "Active", State: stateActive}, {Code: 2, Name: "Inactive", State: stateInactive}},
				Transitions: []crm.Transition{
					{Event: "deactivate", From: []crm.StateCode{stateActive}, To: stateInactive},
					{Event: "activate", From: []crm.StateCode{stateInactive}, To: stateActive},
				},
			},
			Fields: []crm.Field{
				{Name: "name", Type: crm.TypeText, Required: true, MaxLength: 20},
				{Name: "accountnumber", Type: crm.TypeText, Immutable: true},
				{Name: "employees", Type: crm.TypeInteger},
				{Name: "touches", Type: crm.TypeInteger},
				{Name: "parentaccountid", Type: crm.TypeLookup, Targets: []string{"account"}, Hierarchical: true},
				{Name: "primarycontactid", Type: crm.TypeLookup, Targets: []string{"contact"}},
			},
		},
		&crm.Entity{
			Name: "contact",
			Fields: []crm.Field{
				{Name: "firstname", Type: crm.TypeText},
				{Name: "lastname", Type: crm.TypeText, Required: true},
				{Name: "fullname", Type: crm.TypeText, Compute: func(f crm.Fields) any {
					name := strings.TrimSpace(f.String("firstname") + " " + f.String("lastname"))
					if name == "" {
						return nil
					}
					return name
				}},
				{Name: "parentcustomerid", Type: crm.TypeLookup, Targets: []string{"account"}, OnDelete: crm.DeleteCascade},
			},
		},
	)
	require.NoError(t, err)
	return reg
}

// start is the time the test clock starts at.
var start = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

// fixture is a store on the memory driver with a manual clock and a
// logger that records what it is told.
type fixture struct {
	store *storage.Store
	clock *crm.ManualClock
	logs  *logRecorder
}

func newFixture(t *testing.T, opts ...storage.Option) fixture {
	t.Helper()
	return newFixtureOn(t, memory.New(), opts...)
}

func newFixtureOn(t *testing.T, d driver.Driver, opts ...storage.Option) fixture {
	t.Helper()
	f := fixture{clock: crm.NewManualClock(start), logs: &logRecorder{}}
	opts = append([]storage.Option{storage.WithClock(f.clock), storage.WithLogger(slog.New(f.logs))}, opts...)
	f.store = storage.New(d, testRegistry(t), opts...)
	return f
}

func (f fixture) createAccount(t *testing.T, ctx context.Context, fields crm.Fields) crm.Record {
	t.Helper()
	rec, err := f.store.Create(ctx, crm.Record{Entity: "account", Fields: fields})
	require.NoError(t, err)
	return rec
}

func (f fixture) get(t *testing.T, ref crm.Ref) crm.Record {
	t.Helper()
	rec, err := f.store.Get(crm.AsSystem(t.Context()), ref.Entity, ref.ID)
	require.NoError(t, err)
	return rec
}

func (f fixture) count(t *testing.T, entity string) int64 {
	t.Helper()
	n, err := f.store.Count(crm.AsSystem(t.Context()), crm.Query{Entity: entity})
	require.NoError(t, err)
	return n
}

// logRecorder is a slog.Handler that keeps every record.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	return nil
}

// lines returns every record as "LEVEL message key=value ...".
func (l *logRecorder) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.records {
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
		r.Attrs(func(a slog.Attr) bool {
			fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
			return true
		})
		out = append(out, b.String())
	}
	return out
}

// retryDriver is a memory driver whose commits fail with storage.ErrRetry
// the first failures times, as a database aborts a transaction on a
// serialization failure, or with failWith when it is set.
type retryDriver struct {
	driver.Driver // the interface: the wrapper hides the optional capabilities, so every write begins here
	mu            sync.Mutex
	failures      int
	failWith      error
	begins        int
}

func (d *retryDriver) Begin(ctx context.Context) (driver.Tx, error) {
	tx, err := d.Driver.Begin(ctx)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.begins++
	d.mu.Unlock()
	return &retryTx{Tx: tx, d: d}, nil
}

type retryTx struct {
	driver.Tx
	d *retryDriver
}

func (tx *retryTx) Commit() error {
	tx.d.mu.Lock()
	var err error
	switch {
	case tx.d.failWith != nil:
		err = tx.d.failWith
	case tx.d.failures > 0:
		tx.d.failures--
		err = fmt.Errorf("could not serialize access: %w", storage.ErrRetry)
	}
	tx.d.mu.Unlock()
	if err != nil {
		// The database has aborted the transaction: nothing is kept.
		_ = tx.Tx.Rollback()
		return err
	}
	return tx.Tx.Commit()
}

func newMemory() *memory.Driver { return memory.New() }
