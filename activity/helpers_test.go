package activity_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/activity"
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/internal/stores"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
)

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Users who take part in activities: principals, kept by the host.
var (
	alice = crm.Ref{Entity: crm.UserEntity, ID: uuid.MustParse("00000000-0000-7000-8000-00000000a11c")}
	bob   = crm.Ref{Entity: crm.UserEntity, ID: uuid.MustParse("00000000-0000-7000-8000-000000000b0b")}
)

// env is one store with the sales and activity services over it.
type env struct {
	ctx      context.Context
	store    *storage.Store
	clock    *crm.ManualClock
	acts     *activity.Service
	accounts *sales.Accounts
	contacts *sales.Contacts
}

// schema registers the activity entities, a custom type "visit" and the
// sales entities on reg.
func schema(t *testing.T, reg *crm.Registry) {
	t.Helper()
	require.NoError(t, activity.Register(reg))
	require.NoError(t, activity.RegisterType(reg, activity.CustomType{Name: "visit", Label: "Site Visit",
		Fields: []crm.Field{{Name: "mileage", Type: crm.TypeInteger}}}))
	require.NoError(t, sales.Register(reg))
}

// backend opens a new, empty driver serving a registry.
type backend struct {
	name string
	open func(t *testing.T, reg *crm.Registry) driver.Driver
}

func (b backend) env(t *testing.T, wrap func(driver.Driver) driver.Driver, opts ...activity.Option) *env {
	t.Helper()
	reg := crm.NewRegistry()
	schema(t, reg)
	require.NoError(t, reg.Complete())
	d := b.open(t, reg)
	if wrap != nil {
		d = wrap(d)
	}
	clock := crm.NewManualClock(start)
	st := storage.New(d, reg, storage.WithClock(clock))
	return &env{ctx: crm.AsSystem(context.Background()), store: st, clock: clock,
		acts: activity.New(st, opts...), accounts: sales.NewAccounts(st), contacts: sales.NewContacts(st)}
}

// backends are memory, SQLite and, when CRMKIT_POSTGRES_DSN is set,
// PostgreSQL (required when CRMKIT_REQUIRE_POSTGRES=1).
func backends() []backend {
	var out []backend
	for _, s := range stores.All("crmkit_act_") {
		out = append(out, backend{name: s.Name, open: s.Open})
	}
	return out
}

// onEveryStore runs fn as a subtest per backend.
func onEveryStore(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}

func (e *env) account(t *testing.T, name string) sales.Account {
	t.Helper()
	a, err := e.accounts.Create(e.ctx, sales.Account{Name: name})
	require.NoError(t, err)
	return a
}

func (e *env) contact(t *testing.T, last string, company crm.Ref) sales.Contact {
	t.Helper()
	c, err := e.contacts.Create(e.ctx, sales.Contact{LastName: last, ParentCustomer: company})
	require.NoError(t, err)
	return c
}

func (e *env) create(t *testing.T, a activity.Activity) activity.Activity {
	t.Helper()
	out, err := e.acts.Create(e.ctx, a)
	require.NoError(t, err)
	return out
}

func (e *env) count(t *testing.T, entity string) int64 {
	t.Helper()
	n, err := e.store.Count(e.ctx, crm.Query{Entity: entity})
	require.NoError(t, err)
	return n
}

func subjects(t *testing.T, as []activity.Activity) []string {
	t.Helper()
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Subject
	}
	return out
}
