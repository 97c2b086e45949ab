package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// MaxDepth is how deeply write operations started by hooks may nest, as in
// Dynamics: the operation that would run at depth 9 fails with ErrTooDeep.
const MaxDepth = 8

// DefaultRetries is how many times InTx runs a transaction again after an
// error matching ErrRetry.
const DefaultRetries = 5

// Store is the one way to read and write CRM records. It sits on a Driver
// and owns the write path: every create, update, delete, assignment and
// state change is validated against metadata, passes the hooks registered
// for it, keeps relationships whole and runs in a transaction. Domain
// packages (sales, service, ...) build on it; nothing writes around it.
//
// A Store is safe for concurrent use. Register hooks before sharing it.
type Store struct {
	driver  driver.Driver
	reg     *crm.Registry
	clock   crm.Clock
	logger  *slog.Logger
	retries int
	// aggLimit is the most records one Aggregate may count; 0 is none
	// (WithAggregateLimit).
	aggLimit int64

	mu    sync.Mutex                // serializes hook registration
	hooks atomic.Pointer[hookTable] // read on every write, without a lock

	restricts sync.Map                   // entity name -> restrictEntry: whether a delete can meet a Restrict
	counts    atomic.Pointer[wholePlans] // the plans of counts with no condition (countplan.go)
	lastCount atomic.Pointer[lastCount]  // the one of them used last
}

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock timestamps come from (default: the system clock).
func WithClock(c crm.Clock) Option { return func(s *Store) { s.clock = c } }

// WithLogger sets where the store reports what it cannot return, such as
// errors of after-commit hooks (default: slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.logger = l } }

// WithRetries sets how many times a transaction aborted with ErrRetry is run
// again (default DefaultRetries; 0 disables retries). Each retry waits
// twice as long as the one before, with jitter: from a few milliseconds
// after a conflict, from 100 ms when the database was unavailable.
func WithRetries(n int) Option { return func(s *Store) { s.retries = n } }

// New returns a Store over the adapter d (storage/memory, or
// storage/sqlstore's SQLite and PostgreSQL) for the entities in reg.
func New(d driver.Driver, reg *crm.Registry, opts ...Option) *Store {
	s := &Store{
		driver:  d,
		reg:     reg,
		clock:   crm.SystemClock{},
		logger:  slog.Default(),
		retries: DefaultRetries,
	}
	s.hooks.Store(newHookTable())
	for _, o := range opts {
		o(s)
	}
	return s
}

// Registry returns the metadata the store serves.
func (s *Store) Registry() *crm.Registry { return s.reg }

// Now returns the time of the unit of work running in ctx: one fixed
// instant for the whole of a transaction, so that every timestamp it writes
// agrees; outside a transaction, the clock's time.
func (s *Store) Now(ctx context.Context) time.Time {
	if st := s.txFrom(ctx); st != nil {
		return st.now
	}
	return crm.NormalizeTime(s.clock.Now())
}

// txState is one transaction as the store sees it.
type txState struct {
	store       *Store
	tx          driver.Tx
	now         time.Time
	writes      int      // driver writes tried so far
	failed      error    // an operation that failed after writing
	afterCommit []func() // after-commit hooks, in order
	// deleting holds the records whose delete is under way: the
	// ancestors of a cascade, which no lookup may come to point at.
	deleting map[crm.Ref]bool
	// shared holds the records this transaction has shared, which stay
	// shared until it ends: a lookup to one of them needs no second
	// round trip. IDs are unique per entity, so every record the write
	// path keeps track of is keyed by entity and ID.
	shared map[crm.Ref]bool
}

type txKey struct{}

func (s *Store) txFrom(ctx context.Context) *txState {
	st, _ := ctx.Value(txKey{}).(*txState)
	if st == nil || st.store != s {
		return nil
	}
	return st
}

// InTx runs fn in a transaction and commits it if fn returns nil; an error
// or a panic rolls it back. Store calls made with the context fn receives
// join the transaction, and so does a nested InTx: only the outermost one
// commits. fn may run more than once when the database aborts the
// transaction for a reason that retrying cures (ErrRetry), so it should
// have no effects outside the store.
//
// A nested InTx that fails after it has written poisons the transaction it
// joined: the outermost InTx then rolls back and returns ErrRolledBack even
// if the closures in between ignored the error, so half of a unit of work
// is never committed. A panic is a failure like an error: one that passes
// through a nested InTx (or a write) after it has written poisons the
// transaction even if a caller recovers it.
//
// A transaction whose context is done when fn returns is rolled back, and
// InTx returns an error matching the context's error, on every store.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if st := s.txFrom(ctx); st != nil {
		return st.nested(ctx, fn)
	}
	for attempt := 0; ; attempt++ {
		st, err := s.runTx(ctx, fn)
		if err == nil {
			s.runAfterCommit(ctx, st)
			return nil
		}
		if !errors.Is(err, ErrRetry) || attempt >= s.retries || ctx.Err() != nil {
			return err
		}
		if cerr := sleepCtx(ctx, retryDelay(attempt, errors.Is(err, ErrUnavailable))); cerr != nil {
			return fmt.Errorf("%w (stopped before retrying: %w)", err, cerr)
		}
	}
}

// retryDelay is the pause before retry attempt+1, doubling each time,
// with jitter so that transactions that collided do not collide again in
// step: from a few milliseconds after a conflict, from 100 ms when the
// database was out of reach (a restart or failover takes seconds; the
// default five retries wait about three in all).
func retryDelay(attempt int, unavailable bool) time.Duration {
	base := 4 * time.Millisecond
	if unavailable {
		base = 100 * time.Millisecond
	}
	d := min(base<<min(attempt, 8), 2*time.Second)
	return d/2 + rand.N(d/2+1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// nested runs fn as a unit of work inside st. If fn fails or panics after
// it has written, st is poisoned: it will roll back whatever the callers
// in between make of the failure.
func (st *txState) nested(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	writes := st.writes
	defer func() {
		if p := recover(); p != nil {
			st.fail(writes, fmt.Errorf("panic: %v", p))
			panic(p)
		}
	}()
	err = fn(ctx)
	if err != nil {
		st.fail(writes, err)
	}
	return err
}

// fail makes err what poisons st if st has written since it had made
// writes writes.
func (st *txState) fail(writes int, err error) {
	if st.writes != writes && st.failed == nil {
		st.failed = err
	}
}

func (s *Store) runTx(ctx context.Context, fn func(ctx context.Context) error) (st *txState, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := crm.NormalizeTime(s.clock.Now())
	if now.Before(crm.EarliestTime) || now.After(crm.LatestTime) {
		// Every write stamps the time: no store could keep this one.
		return nil, fmt.Errorf("begin transaction: the clock reads %s, outside %s..%s", now.Format(time.RFC3339), crm.EarliestTime.Format(time.DateOnly), crm.LatestTime.Format(time.DateOnly))
	}
	tx, err := s.driver.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin transaction: %w", err)
	}
	st = &txState{store: s, tx: tx, now: now}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	err = fn(context.WithValue(ctx, txKey{}, st))
	if err == nil && st.failed != nil {
		err = fmt.Errorf("%w: an operation failed after writing: %w", ErrRolledBack, st.failed)
	}
	if err == nil && ctx.Err() != nil {
		// One outcome on every store: a unit of work whose caller has
		// given up is not committed.
		err = fmt.Errorf("transaction not committed: %w", context.Cause(ctx))
	}
	if err != nil {
		if rbErr := tx.Rollback(); rbErr != nil {
			err = errors.Join(err, fmt.Errorf("rollback: %w", rbErr))
		}
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		// Some databases leave a transaction open when its commit fails.
		_ = tx.Rollback()
		if cause := context.Cause(ctx); cause != nil && !errors.Is(err, cause) {
			// The context ended during the commit, and the adapter may
			// say only that the transaction is gone.
			err = fmt.Errorf("%w (%w)", cause, err)
		}
		return nil, fmt.Errorf("commit: %w", err)
	}
	return st, nil
}

// runAfterCommit runs the after-commit hooks of a committed transaction.
// The commit stands whatever they do: a hook that fails or panics is
// logged and the others still run.
func (s *Store) runAfterCommit(ctx context.Context, st *txState) {
	for _, fn := range st.afterCommit {
		s.runAfterCommitHook(fn)
	}
}

func (s *Store) runAfterCommitHook(fn func()) {
	defer func() {
		if p := recover(); p != nil {
			s.logger.Error("crmkit: after-commit hook panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	fn()
}

// reader returns the transaction running in ctx, or the driver. A done
// context fails every read alike, whether the store would notice or not.
func (s *Store) reader(ctx context.Context) (driver.Reader, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if st := s.txFrom(ctx); st != nil {
		return st.tx, nil
	}
	return s.driver, nil
}

// readScope is what one read runs with: the reader (the transaction of
// the context, or the driver) and the context, whose crm.Scope ("now"
// and time zone) plans its relative date conditions. The scope is read
// from the context by the reads that plan conditions (sc), not by a Get
// or a count of everything, which would only copy it.
type readScope struct {
	r   driver.Reader
	ctx context.Context
}

// sc returns the crm.Scope the read runs in.
func (rs readScope) sc() crm.Scope {
	sc, _ := crm.ScopeFrom(rs.ctx)
	return sc
}

// scope resolves the reader of ctx once for a read. Every read (Get,
// Lock, Query, Iterate, Count, Aggregate) goes through it: it is the one
// seam where the access checks of the security model will go, turning
// the caller, teams and business unit into a filter the store adds to its
// own query, so that no read can forget it. A context with no scope reads
// as it always has (UTC, no access filter) until then; writes refuse it
// (crm.ErrNoCaller).
func (s *Store) scope(ctx context.Context) (readScope, error) {
	r, err := s.reader(ctx)
	if err != nil {
		return readScope{}, err
	}
	return readScope{r: r, ctx: ctx}, nil
}

// now is the instant relative dates count from: the scope's, else the
// transaction's or the clock's. It is read only by the reads that plan
// conditions: a Get does not ask the clock.
func (s *Store) now(ctx context.Context, sc crm.Scope) time.Time {
	if !sc.Now.IsZero() {
		return crm.NormalizeTime(sc.Now)
	}
	return s.Now(ctx)
}

// planQuery plans q for the read scope rs.
func (s *Store) planQuery(ctx context.Context, rs readScope, q crm.Query) (*driver.Plan, error) {
	sc := rs.sc()
	return driver.PlanQuery(s.reg, q, s.now(ctx, sc), sc.Loc(), driver.PrincipalOf(sc))
}

// planAggregate plans a as planQuery plans a query.
func (s *Store) planAggregate(ctx context.Context, rs readScope, a crm.Aggregation) (*driver.AggregatePlan, error) {
	sc := rs.sc()
	return driver.PlanAggregate(s.reg, a, s.now(ctx, sc), sc.Loc(), driver.PrincipalOf(sc))
}

// entity returns the named entity's metadata.
func (s *Store) entity(name string) (*crm.Entity, error) { return s.reg.Entity(name) }
