package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crmkit/crmkit/crm"
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
	driver  Driver
	reg     *crm.Registry
	clock   crm.Clock
	logger  *slog.Logger
	retries int

	mu    sync.Mutex                         // serializes hook registration
	hooks atomic.Pointer[map[hookKey][]Hook] // read on every write, without a lock
}

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock timestamps come from (default: the system clock).
func WithClock(c crm.Clock) Option { return func(s *Store) { s.clock = c } }

// WithLogger sets where the store reports what it cannot return, such as
// errors of after-commit hooks (default: slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.logger = l } }

// WithRetries sets how many times a transaction aborted with ErrRetry is run
// again (default DefaultRetries; 0 disables retries).
func WithRetries(n int) Option { return func(s *Store) { s.retries = n } }

// New returns a Store over driver for the entities in reg.
func New(driver Driver, reg *crm.Registry, opts ...Option) *Store {
	s := &Store{
		driver:  driver,
		reg:     reg,
		clock:   crm.SystemClock{},
		logger:  slog.Default(),
		retries: DefaultRetries,
	}
	s.hooks.Store(&map[hookKey][]Hook{})
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
	tx          Tx
	now         time.Time
	writes      int      // driver writes tried so far
	failed      error    // an operation that failed after writing
	afterCommit []func() // after-commit hooks, in order
	deleting    map[crm.ID]bool
	// shared holds the records this transaction has shared (by entity),
	// which stay shared until it ends: a lookup to one of them needs no
	// second round trip.
	shared map[crm.ID]string
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
// is never committed.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if st := s.txFrom(ctx); st != nil {
		writes := st.writes
		err := fn(ctx)
		if err != nil && st.writes != writes && st.failed == nil {
			st.failed = err
		}
		return err
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
	}
}

func (s *Store) runTx(ctx context.Context, fn func(ctx context.Context) error) (st *txState, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	tx, err := s.driver.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin transaction: %w", err)
	}
	st = &txState{store: s, tx: tx, now: crm.NormalizeTime(s.clock.Now())}
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
	if err != nil {
		if rbErr := tx.Rollback(); rbErr != nil {
			err = errors.Join(err, fmt.Errorf("rollback: %w", rbErr))
		}
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		// Some databases leave a transaction open when its commit fails.
		_ = tx.Rollback()
		return nil, fmt.Errorf("commit: %w", err)
	}
	return st, nil
}

func (s *Store) runAfterCommit(ctx context.Context, st *txState) {
	for _, fn := range st.afterCommit {
		fn()
	}
}

// reader returns the transaction running in ctx, or the driver.
func (s *Store) reader(ctx context.Context) Reader {
	if st := s.txFrom(ctx); st != nil {
		return st.tx
	}
	return s.driver
}

// entity returns the named entity's metadata.
func (s *Store) entity(name string) (*crm.Entity, error) { return s.reg.Entity(name) }
