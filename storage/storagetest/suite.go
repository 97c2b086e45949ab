// Package storagetest is the conformance suite of the storage contract.
// Every adapter runs it with one call from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T, reg *crm.Registry) driver.Driver {
//			return mydriver.New(...) // empty, serving reg's entities
//		})
//	}
//
// Each subtest opens a fresh driver, wraps it in a storage.Store with a
// manual clock and checks, through the Store's public API, what every
// adapter must do alike: exact round trips of every field type, validation,
// optimistic concurrency, lifecycles, transactions, hooks, atomicity,
// relationships, every query operator (hierarchy and caller operators
// included), sorting, keyset paging, aggregates and reports (groups
// through lookups, labels, distinct counts, having, top N), fields added
// to a running store (Store.AddFields), imports, alternate keys, upserts
// and recomputed fields; and, calling the driver directly, the parts of the Driver
// contract that the Store's own checks hide (version checks, copies,
// rollback). The data is deterministic and small, so the suite is quick on
// any adapter.
//
// CheckCodec is for domain packages: it checks that a typed record's
// storage.Codec carries every field its entity declares, so typed records
// cannot drift from their metadata.
package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// Opener returns a new, empty driver whose schema serves reg (a SQL adapter
// migrates reg's tables).
type Opener func(t *testing.T, reg *crm.Registry) driver.Driver

// Run runs the whole conformance suite against the drivers open returns.
func Run(t *testing.T, open Opener) {
	t.Run("CRUD", func(t *testing.T) { testCRUD(t, open) })
	t.Run("Validation", func(t *testing.T) { testValidation(t, open) })
	t.Run("Limits", func(t *testing.T) { testLimits(t, open) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, open) })
	t.Run("FastUpdate", func(t *testing.T) { testFastUpdate(t, open) })
	t.Run("Lifecycle", func(t *testing.T) { testLifecycle(t, open) })
	t.Run("StateChanges", func(t *testing.T) { testStateChanges(t, open) })
	t.Run("Transactions", func(t *testing.T) { testTransactions(t, open) })
	t.Run("Hooks", func(t *testing.T) { testHooks(t, open) })
	t.Run("Rules", func(t *testing.T) { testRules(t, open) })
	t.Run("Stages", func(t *testing.T) { testStages(t, open) })
	t.Run("Operations", func(t *testing.T) { testOperations(t, open) })
	t.Run("Atomicity", func(t *testing.T) { testAtomicity(t, open) })
	t.Run("Relationships", func(t *testing.T) { testRelationships(t, open) })
	t.Run("Deletes", func(t *testing.T) { testDeletes(t, open) })
	t.Run("Queries", func(t *testing.T) { testQueries(t, open) })
	t.Run("Hierarchy", func(t *testing.T) { testHierarchy(t, open) })
	t.Run("Exists", func(t *testing.T) { testExists(t, open) })
	t.Run("Sorting", func(t *testing.T) { testSorting(t, open) })
	t.Run("Paging", func(t *testing.T) { testPaging(t, open) })
	t.Run("Aggregates", func(t *testing.T) { testAggregates(t, open) })
	t.Run("Reports", func(t *testing.T) { testReports(t, open) })
	t.Run("Integrity", func(t *testing.T) { testIntegrity(t, open) })
	t.Run("Cancelled", func(t *testing.T) { testCancelled(t, open) })
	t.Run("Driver", func(t *testing.T) { testDriver(t, open) })
	t.Run("Pins", func(t *testing.T) { testPins(t, open) })
	t.Run("BadInput", func(t *testing.T) { testBadInput(t, open) })
	t.Run("Parity", func(t *testing.T) { testParity(t, open) })
	t.Run("Currency", func(t *testing.T) { testCurrency(t, open) })
	t.Run("Scope", func(t *testing.T) { testScope(t, open) })
	t.Run("Grow", func(t *testing.T) { testGrow(t, open) })
	t.Run("Import", func(t *testing.T) { testImport(t, open) })
	t.Run("CreateSeq", func(t *testing.T) { testCreateSeq(t, open) })
	t.Run("Bulk", func(t *testing.T) { testBulk(t, open) })
	t.Run("Keys", func(t *testing.T) { testKeys(t, open) })
	t.Run("Recompute", func(t *testing.T) { testRecompute(t, open) })
	t.Run("Comparisons", func(t *testing.T) { testComparisons(t, open) })
	t.Run("BaseComparisons", func(t *testing.T) { testBaseComparisons(t, open) })
	t.Run("Base", func(t *testing.T) { testBase(t, open) })
	t.Run("Stamps", func(t *testing.T) { testStamps(t, open) })
	t.Run("OperationTransitions", func(t *testing.T) { testOperationTransitions(t, open) })
	t.Run("DeleteRules", func(t *testing.T) { testDeleteRules(t, open) })
	t.Run("ModifiedOn", func(t *testing.T) { testModifiedOn(t, open) })
	t.Run("PrincipalLookups", func(t *testing.T) { testPrincipalLookups(t, open) })
	t.Run("Counts", func(t *testing.T) { testCounts(t, open) })
}

// now is the injected clock's starting time: Sunday 15 March 2026, noon UTC.
var now = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

// Users who act in the tests.
var (
	alice = testID(900_001)
	bob   = testID(900_002)
	sales = crm.Ref{Entity: crm.TeamEntity, ID: testID(900_003)}
)

// testID returns a fixed UUIDv7-shaped ID whose byte order follows n, so
// that the ID tiebreak of a sort is known in advance.
func testID(n int) crm.ID {
	return uuid.MustParse(fmt.Sprintf("00000000-0000-7000-8000-%012d", n))
}

// env is one subtest's world: a fresh driver behind a Store, a manual clock
// and a context in which the system user acts (crm.AsSystem).
type env struct {
	t      *testing.T
	ctx    context.Context
	store  *storage.Store
	driver driver.Driver // what store sits on
	clock  *crm.ManualClock
	reg    *crm.Registry
	log    *logBuffer // what the store logged
}

// logBuffer collects a store's log lines, safely across goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newEnv opens a fresh driver; wrap, if given, wraps it before the store
// does (the atomicity tests fail writes on purpose).
func newEnv(t *testing.T, open Opener, wrap ...func(driver.Driver) driver.Driver) *env {
	t.Helper()
	return newEnvChanged(t, open, func(*crm.Registry) {}, wrap...)
}

// newEnvChanged is newEnv on the test schema as change leaves it (rules
// added, say).
func newEnvChanged(t *testing.T, open Opener, change func(reg *crm.Registry), wrap ...func(driver.Driver) driver.Driver) *env {
	t.Helper()
	reg := Schema()
	change(reg)
	d := open(t, reg)
	require.NotNil(t, d, "opener returned no driver")
	for _, w := range wrap {
		d = w(d)
	}
	return newEnvFor(t, d, reg)
}

// newEnvFor puts a Store with a manual clock over d, which serves reg.
func newEnvFor(t *testing.T, d driver.Driver, reg *crm.Registry) *env {
	t.Helper()
	clock := crm.NewManualClock(now)
	logs := &logBuffer{}
	store := storage.New(d, reg, storage.WithClock(clock), storage.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	return &env{t: t, ctx: crm.AsSystem(context.Background()), store: store, driver: d, clock: clock, reg: reg, log: logs}
}

// create stores rec and fails the test on error.
func (e *env) create(entity string, fields crm.Fields) crm.Record {
	e.t.Helper()
	return e.createRec(crm.Record{Entity: entity, Fields: fields})
}

func (e *env) createRec(rec crm.Record) crm.Record {
	e.t.Helper()
	out, err := e.store.Create(e.ctx, rec)
	require.NoError(e.t, err, "create %s %v", rec.Entity, rec.Fields)
	return out
}

// createWithID stores a record with a fixed ID.
func (e *env) createWithID(entity string, id crm.ID, fields crm.Fields) crm.Record {
	e.t.Helper()
	return e.createRec(crm.Record{Entity: entity, Header: crm.Header{ID: id}, Fields: fields})
}

func (e *env) get(entity string, id crm.ID) crm.Record {
	e.t.Helper()
	rec, err := e.store.Get(e.ctx, entity, id)
	require.NoError(e.t, err, "get %s %s", entity, id)
	return rec
}

func (e *env) exists(entity string, id crm.ID) bool {
	e.t.Helper()
	_, err := e.store.Get(e.ctx, entity, id)
	if errors.Is(err, crm.ErrNotFound) {
		return false
	}
	require.NoError(e.t, err, "get %s %s", entity, id)
	return true
}

func (e *env) count(entity string) int64 {
	e.t.Helper()
	n, err := e.store.Count(e.ctx, crm.Query{Entity: entity})
	require.NoError(e.t, err, "count %s", entity)
	return n
}

// all returns every record matching q, through Iterate.
func (e *env) all(q crm.Query) []crm.Record {
	e.t.Helper()
	var out []crm.Record
	for rec, err := range e.store.Iterate(e.ctx, q) {
		require.NoError(e.t, err, "iterate %s", q.Entity)
		out = append(out, rec)
	}
	return out
}

// dump renders every stored record of every entity, one line each, in a
// canonical form: two dumps are equal exactly when the stores hold the
// same data.
func (e *env) dump() string {
	e.t.Helper()
	var b strings.Builder
	for _, ent := range e.reg.Entities() {
		recs := e.all(crm.Query{Entity: ent.Name})
		slices.SortFunc(recs, func(a, b crm.Record) int { return strings.Compare(a.ID.String(), b.ID.String()) })
		for _, r := range recs {
			b.WriteString(formatRecord(ent, r))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func formatRecord(ent *crm.Entity, r crm.Record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s v%d owner=%s created=%s/%s modified=%s/%s state=%d/%d",
		ent.Name, r.ID, r.Version, r.Owner, formatValue(r.CreatedOn), r.CreatedBy,
		formatValue(r.ModifiedOn), r.ModifiedBy, r.State, r.Status)
	if r.BusinessUnit != crm.NilID {
		fmt.Fprintf(&b, " businessunit=%s", r.BusinessUnit)
	}
	for _, f := range ent.Fields {
		if v := r.Fields[f.Name]; v != nil {
			fmt.Fprintf(&b, " %s=%s", f.Name, formatValue(v))
		}
	}
	return b.String()
}

// formatValue prints a canonical value so that equal values print alike
// (1.5 and 1.50, one instant in two locations).
func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "<null>"
	case string:
		return fmt.Sprintf("%q", x)
	case decimal.Decimal:
		return x.String()
	case crm.Money:
		return x.Amount.String() + " " + string(x.Currency)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case crm.Ref:
		return x.String()
	}
	return fmt.Sprintf("%T(%v)", v, v)
}

// requireFields checks that got holds exactly the values of want: decimals
// and money by value, times as the same instant in UTC, other values with
// their exact canonical Go type. A nil in want means "null".
func requireFields(t *testing.T, want, got crm.Fields, msgAndArgs ...any) {
	t.Helper()
	msg := fmt.Sprint(msgAndArgs...)
	for name, w := range want {
		g := got[name]
		if w == nil {
			require.Nil(t, g, "%s: field %q should be null", msg, name)
			continue
		}
		require.NotNil(t, g, "%s: field %q should be %s", msg, name, formatValue(w))
		require.IsType(t, w, g, "%s: field %q", msg, name)
		switch x := w.(type) {
		case decimal.Decimal:
			require.True(t, x.Equal(g.(decimal.Decimal)), "%s: field %q is %s, want %s", msg, name, g, x)
		case crm.Money:
			require.True(t, x.Equal(g.(crm.Money)), "%s: field %q is %s, want %s", msg, name, g, x)
		case time.Time:
			gt := g.(time.Time)
			require.True(t, x.Equal(gt), "%s: field %q is %s, want %s", msg, name, formatValue(gt), formatValue(x))
			_, offset := gt.Zone()
			require.Zero(t, offset, "%s: field %q should be in UTC, is %s", msg, name, gt)
		default:
			require.Equal(t, w, g, "%s: field %q", msg, name)
		}
	}
	for name, g := range got {
		if _, ok := want[name]; !ok && g != nil {
			require.Failf(t, "unexpected field", "%s: field %q holds %s, want null", msg, name, formatValue(g))
		}
	}
}

// requireInvalid checks that err is a *crm.ValidationError naming field.
func requireInvalid(t *testing.T, err error, field string) {
	t.Helper()
	require.Error(t, err, "want a validation error naming %q", field)
	require.ErrorIs(t, err, crm.ErrValidation)
	var verr *crm.ValidationError
	require.ErrorAs(t, err, &verr)
	require.True(t, verr.Has(field), "validation error should name %q: %v", field, err)
}

// names returns the value of field for each record, in order.
func names(recs []crm.Record, field string) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Fields.String(field)
	}
	return out
}

// sorted returns a sorted copy of s.
func sorted(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func money(s string) crm.Money { return crm.MustMoney(s) }

// errBoom is the error hooks and closures return to make an operation fail.
var errBoom = errors.New("boom")
