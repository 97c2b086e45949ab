package sales_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/internal/stores"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/memory"
)

// env is one in-memory store with the sales services over it.
type env struct {
	ctx      context.Context
	store    *storage.Store
	clock    *crm.ManualClock
	accounts *sales.Accounts
	contacts *sales.Contacts
}

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newEnv(t *testing.T) *env {
	t.Helper()
	reg := crm.NewRegistry()
	require.NoError(t, sales.Register(reg))
	clock := crm.NewManualClock(start)
	st := memory.Open(reg, storage.WithClock(clock))
	return &env{ctx: crm.AsSystem(context.Background()), store: st, clock: clock,
		accounts: sales.NewAccounts(st), contacts: sales.NewContacts(st)}
}

func (e *env) account(t *testing.T, a sales.Account) sales.Account {
	t.Helper()
	out, err := e.accounts.Create(e.ctx, a)
	require.NoError(t, err)
	return out
}

func (e *env) contact(t *testing.T, c sales.Contact) sales.Contact {
	t.Helper()
	out, err := e.contacts.Create(e.ctx, c)
	require.NoError(t, err)
	return out
}

// requireInvalid checks that err is a validation error naming field.
func requireInvalid(t *testing.T, err error, field string) {
	t.Helper()
	require.ErrorIs(t, err, crm.ErrValidation)
	var verr *crm.ValidationError
	require.ErrorAs(t, err, &verr)
	require.True(t, verr.Has(field), "validation error %v does not name %s", err, field)
}

// backend opens a new, empty driver serving the sales entities.
type backend struct {
	name string
	open func(t *testing.T, reg *crm.Registry) driver.Driver
}

// store returns a store of the sales entities over a new driver of b's,
// wrapped by wrap if it is not nil.
func (b backend) store(t *testing.T, wrap func(driver.Driver) driver.Driver, opts ...storage.Option) *storage.Store {
	t.Helper()
	reg := crm.NewRegistry()
	require.NoError(t, sales.Register(reg))
	d := b.open(t, reg)
	if wrap != nil {
		d = wrap(d)
	}
	return storage.New(d, reg, opts...)
}

// backends are memory, SQLite and, when CRMKIT_POSTGRES_DSN is set,
// PostgreSQL (required when CRMKIT_REQUIRE_POSTGRES=1).
func backends() []backend {
	var out []backend
	for _, s := range stores.All("crmkit_sales_") {
		out = append(out, backend{name: s.Name, open: s.Open})
	}
	return out
}

// requireOneWins runs op from two goroutines at once and checks that
// exactly one succeeds and the other fails with crm.ErrConflict or
// crm.ErrInvalidTransition, as a lost race must; what names the attempt
// in a failure.
func requireOneWins(t *testing.T, what string, op func() error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = op()
		}()
	}
	wg.Wait()
	var ok int
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, crm.ErrConflict), errors.Is(err, crm.ErrInvalidTransition):
		default:
			t.Fatalf("%s: unexpected error %v", what, err)
		}
	}
	require.Equal(t, 1, ok, "%s: exactly one succeeds: %v", what, errs)
}
