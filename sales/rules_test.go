package sales_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

// eachStore runs test on a fresh store of every kind (backends). The
// rules belong to the registry, so they must hold on every one.
func eachStore(t *testing.T, test func(t *testing.T, e *env)) {
	t.Helper()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			clock := crm.NewManualClock(start)
			st := b.store(t, nil, storage.WithClock(clock))
			test(t, &env{ctx: crm.AsSystem(context.Background()), store: st, clock: clock,
				accounts: sales.NewAccounts(st), contacts: sales.NewContacts(st)})
		})
	}
}

// door is one way a write reaches the store.
type door struct {
	name   string
	create func(e *env, rec crm.Record) error
	update func(e *env, rec crm.Record) error
}

// doors returns every way a caller can write an account or a contact: the
// typed services, the typed tables, and the store's generic Create,
// CreateMany (with another record beside) and Update.
func doors() []door {
	return []door{
		{
			name: "service",
			create: func(e *env, rec crm.Record) error {
				if rec.Entity == sales.AccountEntity {
					a, err := decode(sales.AccountCodec(), rec)
					if err == nil {
						_, err = e.accounts.Create(e.ctx, a)
					}
					return err
				}
				c, err := decode(sales.ContactCodec(), rec)
				if err == nil {
					_, err = e.contacts.Create(e.ctx, c)
				}
				return err
			},
			update: func(e *env, rec crm.Record) error {
				if rec.Entity == sales.AccountEntity {
					a, err := e.accounts.Get(e.ctx, rec.ID)
					if err == nil {
						a, err = merge(sales.AccountCodec(), a, rec)
					}
					if err == nil {
						_, err = e.accounts.Update(e.ctx, a)
					}
					return err
				}
				c, err := e.contacts.Get(e.ctx, rec.ID)
				if err == nil {
					c, err = merge(sales.ContactCodec(), c, rec)
				}
				if err == nil {
					_, err = e.contacts.Update(e.ctx, c)
				}
				return err
			},
		},
		{
			name: "table",
			create: func(e *env, rec crm.Record) error {
				if rec.Entity == sales.AccountEntity {
					a, err := decode(sales.AccountCodec(), rec)
					if err == nil {
						_, err = e.accounts.Table().Create(e.ctx, a)
					}
					return err
				}
				c, err := decode(sales.ContactCodec(), rec)
				if err == nil {
					_, err = e.contacts.Table().Create(e.ctx, c)
				}
				return err
			},
			update: func(e *env, rec crm.Record) error {
				if rec.Entity == sales.AccountEntity {
					a, err := e.accounts.Table().Get(e.ctx, rec.ID)
					if err == nil {
						a, err = merge(sales.AccountCodec(), a, rec)
					}
					if err == nil {
						_, err = e.accounts.Table().Update(e.ctx, a)
					}
					return err
				}
				c, err := e.contacts.Table().Get(e.ctx, rec.ID)
				if err == nil {
					c, err = merge(sales.ContactCodec(), c, rec)
				}
				if err == nil {
					_, err = e.contacts.Table().Update(e.ctx, c)
				}
				return err
			},
		},
		{
			name:   "store",
			create: func(e *env, rec crm.Record) error { _, err := e.store.Create(e.ctx, rec); return err },
			update: func(e *env, rec crm.Record) error { _, err := e.store.Update(e.ctx, rec); return err },
		},
		{
			name: "store bulk",
			create: func(e *env, rec crm.Record) error {
				_, err := e.store.CreateMany(e.ctx, []crm.Record{
					{Entity: sales.AccountEntity, Fields: crm.Fields{sales.AccountName: "Bystander"}}, rec})
				return err
			},
			update: func(e *env, rec crm.Record) error {
				return e.store.InTx(e.ctx, func(ctx context.Context) error {
					_, err := e.store.Update(ctx, rec)
					return err
				})
			},
		},
	}
}

func decode[T any](codec storage.Codec[T], rec crm.Record) (T, error) {
	rec.Entity = codec.Entity
	return codec.Decode(rec)
}

// merge sets the fields of rec on v, as a user editing a form would.
func merge[T any](codec storage.Codec[T], v T, rec crm.Record) (T, error) {
	stored := codec.Encode(v)
	stored.Entity = codec.Entity
	for k, val := range rec.Fields {
		stored.Fields[k] = val
	}
	return codec.Decode(stored)
}

func TestRulesHoldThroughEveryDoor(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		acme := e.account(t, sales.Account{Name: "Acme"})
		globex := e.account(t, sales.Account{Name: "Globex"})
		ann := e.contact(t, sales.Contact{FirstName: "Ann", LastName: "Acme", ParentCustomer: acme.Ref()})
		gus := e.contact(t, sales.Contact{FirstName: "Gus", LastName: "Globex", ParentCustomer: globex.Ref()})
		kid := e.contact(t, sales.Contact{FirstName: "Kid", LastName: "Acme", ParentCustomer: ann.Ref()})
		count := func(entity string) int64 {
			t.Helper()
			n, err := e.store.Count(e.ctx, crm.Query{Entity: entity})
			require.NoError(t, err)
			return n
		}
		accounts, contacts := count(sales.AccountEntity), count(sales.ContactEntity)

		for _, d := range doors() {
			t.Run(d.name, func(t *testing.T) {
				t.Run("a new account's primary contact must be its contact", func(t *testing.T) {
					err := d.create(e, crm.Record{Entity: sales.AccountEntity,
						Fields: crm.Fields{sales.AccountName: "New", sales.AccountPrimaryContact: gus.Ref()}})
					requireInvalid(t, err, sales.AccountPrimaryContact)
				})
				t.Run("another company's contact cannot become primary", func(t *testing.T) {
					err := d.update(e, crm.Record{Entity: sales.AccountEntity, Header: crm.Header{ID: acme.ID},
						Fields: crm.Fields{sales.AccountPrimaryContact: gus.Ref()}})
					requireInvalid(t, err, sales.AccountPrimaryContact)
				})
				t.Run("an account cannot be its own parent", func(t *testing.T) {
					err := d.update(e, crm.Record{Entity: sales.AccountEntity, Header: crm.Header{ID: acme.ID},
						Fields: crm.Fields{sales.AccountParent: acme.Ref()}})
					requireInvalid(t, err, sales.AccountParent)
				})
				t.Run("a contact cannot be its own parent customer", func(t *testing.T) {
					err := d.update(e, crm.Record{Entity: sales.ContactEntity, Header: crm.Header{ID: ann.ID},
						Fields: crm.Fields{sales.ContactParentCustomer: ann.Ref()}})
					requireInvalid(t, err, sales.ContactParentCustomer)
					id := crm.NewID()
					err = d.create(e, crm.Record{Entity: sales.ContactEntity, Header: crm.Header{ID: id},
						Fields: crm.Fields{sales.ContactLastName: "Self", sales.ContactParentCustomer: sales.ContactRef(id)}})
					requireInvalid(t, err, sales.ContactParentCustomer)
				})
				t.Run("a contact cannot be its own ancestor", func(t *testing.T) {
					err := d.update(e, crm.Record{Entity: sales.ContactEntity, Header: crm.Header{ID: ann.ID},
						Fields: crm.Fields{sales.ContactParentCustomer: kid.Ref()}})
					requireInvalid(t, err, sales.ContactParentCustomer)
				})
				require.Equal(t, accounts, count(sales.AccountEntity), "nothing was stored")
				require.Equal(t, contacts, count(sales.ContactEntity), "nothing was stored")
				got, err := e.accounts.Get(e.ctx, acme.ID)
				require.NoError(t, err)
				require.Equal(t, acme.Version, got.Version, "nothing was changed")
			})
		}

		t.Run("a state change carrying the field is checked too", func(t *testing.T) {
			_, err := e.store.ChangeState(e.ctx, acme.Ref(), storage.StateChange{Event: sales.EventDeactivate,
				Fields: crm.Fields{sales.AccountPrimaryContact: gus.Ref()}})
			requireInvalid(t, err, sales.AccountPrimaryContact)
			got, err := e.accounts.Get(e.ctx, acme.ID)
			require.NoError(t, err)
			require.True(t, got.IsActive())
		})

		t.Run("the rules let the right writes through", func(t *testing.T) {
			got, err := e.accounts.SetPrimaryContact(e.ctx, acme.ID, storage.AnyVersion, ann.ID)
			require.NoError(t, err)
			require.Equal(t, ann.Ref(), got.PrimaryContact)
			// A bulk create may build a contact hierarchy, and a rule
			// reads the records created before in the same call.
			c1, c2 := crm.NewID(), crm.NewID()
			_, err = e.store.CreateMany(e.ctx, []crm.Record{
				{Entity: sales.ContactEntity, Header: crm.Header{ID: c1},
					Fields: crm.Fields{sales.ContactLastName: "Lumbergh", sales.ContactParentCustomer: acme.Ref()}},
				{Entity: sales.ContactEntity, Header: crm.Header{ID: c2},
					Fields: crm.Fields{sales.ContactLastName: "Gibbons", sales.ContactParentCustomer: sales.ContactRef(c1)}},
			})
			require.NoError(t, err)
			// A contact moving up its own hierarchy is no cycle.
			_, err = e.store.Update(e.ctx, crm.Record{Entity: sales.ContactEntity, Header: crm.Header{ID: kid.ID},
				Fields: crm.Fields{sales.ContactParentCustomer: gus.Ref()}})
			require.NoError(t, err)
		})

		t.Run("a bulk create cannot close a contact loop", func(t *testing.T) {
			c1, c2 := crm.NewID(), crm.NewID()
			_, err := e.store.CreateMany(e.ctx, []crm.Record{
				{Entity: sales.ContactEntity, Header: crm.Header{ID: c1},
					Fields: crm.Fields{sales.ContactLastName: "One", sales.ContactParentCustomer: sales.ContactRef(c2)}},
				{Entity: sales.ContactEntity, Header: crm.Header{ID: c2},
					Fields: crm.Fields{sales.ContactLastName: "Two", sales.ContactParentCustomer: sales.ContactRef(c1)}},
			})
			requireInvalid(t, err, sales.ContactParentCustomer)
		})
	})
}

func TestRulesHoldUnderConcurrentWriters(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		t.Run("a contact cannot move away while it is being made primary", func(t *testing.T) {
			acme := e.account(t, sales.Account{Name: "Acme"})
			globex := e.account(t, sales.Account{Name: "Globex"})
			ann := e.contact(t, sales.Contact{FirstName: "Ann", LastName: "Acme", ParentCustomer: acme.Ref()})
			checked := make(chan struct{})
			var mu sync.Mutex
			var order []string
			note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
			moved := make(chan error, 1)
			go func() {
				<-checked
				_, err := e.store.Update(e.ctx, crm.Record{Entity: sales.ContactEntity, Header: crm.Header{ID: ann.ID},
					Fields: crm.Fields{sales.ContactParentCustomer: globex.Ref()}})
				note("move")
				moved <- err
			}()
			err := e.store.InTx(e.ctx, func(ctx context.Context) error {
				if _, err := e.accounts.SetPrimaryContact(ctx, acme.ID, storage.AnyVersion, ann.ID); err != nil {
					return err
				}
				close(checked)
				time.Sleep(50 * time.Millisecond) // the move must wait for the commit
				note("primary")
				return nil
			})
			require.NoError(t, err)
			require.NoError(t, <-moved)
			require.Equal(t, []string{"primary", "move"}, order)
		})

		t.Run("writers pointing at the same parents do not hold one another up", func(t *testing.T) {
			// The rules' reads share what they read: many writers may
			// check the same parent at once, with no deadlock to retry.
			root := e.account(t, sales.Account{Name: "Root"})
			mid := e.account(t, sales.Account{Name: "Mid", ParentAccount: root.Ref()})
			boss := e.contact(t, sales.Contact{LastName: "Boss", ParentCustomer: root.Ref()})
			var wg sync.WaitGroup
			errs := make(chan error, 80)
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 5 {
						_, err := e.accounts.Create(e.ctx, sales.Account{Name: "Sub", ParentAccount: mid.Ref()})
						errs <- err
						_, err = e.contacts.Create(e.ctx, sales.Contact{LastName: "Report", ParentCustomer: boss.Ref()})
						errs <- err
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
		})

		// A loop two writers close between them: a points at p, whose
		// root x another writer points at y, which points at a. Each write
		// alone is no loop; the rule's walk up the hierarchy locks every
		// ancestor, so the second writer waits for the first and sees it.
		loop := func(t *testing.T, entity, field string, create func(name string, parent crm.Ref) crm.Ref) {
			a := create("A", crm.Ref{})
			x := create("X", crm.Ref{})
			p := create("P", x)
			y := create("Y", a)
			walked := make(chan struct{})
			second := make(chan error, 1)
			go func() {
				<-walked
				_, err := e.store.Update(e.ctx, crm.Record{Entity: entity, Header: crm.Header{ID: x.ID}, Fields: crm.Fields{field: y}})
				second <- err
			}()
			err := e.store.InTx(e.ctx, func(ctx context.Context) error {
				if _, err := e.store.Update(ctx, crm.Record{Entity: entity, Header: crm.Header{ID: a.ID}, Fields: crm.Fields{field: p}}); err != nil {
					return err
				}
				close(walked)
				time.Sleep(50 * time.Millisecond) // the second writer must wait for this one
				return nil
			})
			require.NoError(t, err)
			requireInvalid(t, <-second, field)
		}
		t.Run("two writers cannot close an account loop between them", func(t *testing.T) {
			loop(t, sales.AccountEntity, sales.AccountParent, func(name string, parent crm.Ref) crm.Ref {
				return e.account(t, sales.Account{Name: name, ParentAccount: parent}).Ref()
			})
		})
		t.Run("two writers cannot close a contact loop between them", func(t *testing.T) {
			loop(t, sales.ContactEntity, sales.ContactParentCustomer, func(name string, parent crm.Ref) crm.Ref {
				return e.contact(t, sales.Contact{LastName: name, ParentCustomer: parent}).Ref()
			})
		})
	})
}
