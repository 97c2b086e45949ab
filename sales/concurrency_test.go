package sales_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/crmkit/crmkit/storage/driver"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

// holdOpen is how long a transaction that reached its critical point
// waits for a concurrent one before it goes on: long enough for the other
// to finish if nothing holds it back.
const holdOpen = 300 * time.Millisecond

func TestPrimaryContactUnderConcurrentMove(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := crm.AsSystem(context.Background())
			// The setter reads Ann in its transaction, then holds the
			// transaction open until the mover has finished or holdOpen
			// has passed.
			var annID crm.ID
			checked := make(chan struct{})
			var once sync.Once
			moved := make(chan error, 1)
			pause := func(ctx context.Context, id crm.ID) {
				if ctx.Value(setterKey{}) == nil || id != annID {
					return
				}
				once.Do(func() { close(checked) })
				select {
				case err := <-moved:
					moved <- err
				case <-time.After(holdOpen):
				}
			}
			store := b.store(t, func(d driver.Driver) driver.Driver { return pausingDriver{d, pause} })
			accounts, contacts := sales.NewAccounts(store), sales.NewContacts(store)
			acme, err := accounts.Create(ctx, sales.Account{Name: "Acme"})
			require.NoError(t, err)
			globex, err := accounts.Create(ctx, sales.Account{Name: "Globex"})
			require.NoError(t, err)
			ann, err := contacts.Create(ctx, sales.Contact{FirstName: "Ann", LastName: "Acme", ParentCustomer: acme.Ref()})
			require.NoError(t, err)
			annID = ann.ID

			// The mover moves Ann to Globex unless she is the primary
			// contact of an account, which it checks with Ann locked.
			move := func() error {
				return store.InTx(ctx, func(ctx context.Context) error {
					if _, err := store.Lock(ctx, sales.ContactEntity, ann.ID); err != nil {
						return err
					}
					n, err := store.Count(ctx, crm.Query{Entity: sales.AccountEntity, Where: crm.Eq(sales.AccountPrimaryContact, ann.ID)})
					if err != nil {
						return err
					}
					if n > 0 {
						return errPrimary
					}
					_, err = store.Update(ctx, crm.Record{Entity: sales.ContactEntity, Header: crm.Header{ID: ann.ID},
						Fields: crm.Fields{sales.ContactParentCustomer: globex.Ref()}})
					return err
				})
			}
			go func() {
				<-checked
				moved <- move()
			}()
			_, setErr := accounts.SetPrimaryContact(context.WithValue(ctx, setterKey{}, true), acme.ID, storage.AnyVersion, ann.ID)
			var moveErr error
			select {
			case moveErr = <-moved:
			case <-time.After(30 * time.Second):
				require.Fail(t, "the mover never finished")
			}

			a, err := accounts.Get(ctx, acme.ID)
			require.NoError(t, err)
			c, err := contacts.Get(ctx, ann.ID)
			require.NoError(t, err)
			t.Logf("set primary: %v; move: %v", setErr, moveErr)
			require.False(t, setErr == nil && moveErr == nil, "both the setter and the mover succeeded")
			if a.PrimaryContact.ID == ann.ID {
				require.Equal(t, acme.Ref(), c.ParentCustomer, "the primary contact of Acme works for %s", c.ParentCustomer)
			}
			if setErr == nil {
				require.ErrorIs(t, moveErr, errPrimary)
			} else {
				require.ErrorIs(t, setErr, crm.ErrValidation)
			}
		})
	}
}

var errPrimary = errors.New("the contact is a primary contact")

// setterKey marks the context of the transaction pausingDriver pauses.
type setterKey struct{}

// pausingDriver calls pause after every read of a record inside a
// transaction, so that a test can hold a transaction open right after it
// read what its rule checks.
type pausingDriver struct {
	driver.Driver
	pause func(ctx context.Context, id crm.ID)
}

func (d pausingDriver) Begin(ctx context.Context) (driver.Tx, error) {
	tx, err := d.Driver.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return pausingTx{tx, d.pause}, nil
}

type pausingTx struct {
	driver.Tx
	pause func(ctx context.Context, id crm.ID)
}

func (t pausingTx) Get(ctx context.Context, e *crm.Entity, id crm.ID) (crm.Record, error) {
	rec, err := t.Tx.Get(ctx, e, id)
	t.pause(ctx, id)
	return rec, err
}

func (t pausingTx) Lock(ctx context.Context, e *crm.Entity, id crm.ID) (crm.Record, error) {
	rec, err := t.Tx.Lock(ctx, e, id)
	t.pause(ctx, id)
	return rec, err
}

func TestLookupTargetDeletedConcurrently(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := crm.AsSystem(context.Background())
			store := b.store(t, nil)
			accounts, contacts := sales.NewAccounts(store), sales.NewContacts(store)
			doomed, err := accounts.Create(ctx, sales.Account{Name: "Doomed"})
			require.NoError(t, err)
			ann, err := contacts.Create(ctx, sales.Contact{LastName: "Ann"})
			require.NoError(t, err)

			// The linker points Ann at the account and holds its
			// transaction open until the deleter has finished or holdOpen
			// has passed.
			linked := make(chan struct{})
			var once sync.Once // fn may run again on ErrRetry
			deleted := make(chan error, 1)
			go func() {
				<-linked
				deleted <- store.Delete(ctx, doomed.Ref(), storage.AnyVersion)
			}()
			linkErr := store.InTx(ctx, func(ctx context.Context) error {
				_, err := store.Update(ctx, crm.Record{Entity: sales.ContactEntity, Header: crm.Header{ID: ann.ID},
					Fields: crm.Fields{sales.ContactParentCustomer: doomed.Ref()}})
				once.Do(func() { close(linked) })
				if err != nil {
					return err
				}
				select {
				case err := <-deleted:
					deleted <- err
				case <-time.After(holdOpen):
				}
				return nil
			})
			var deleteErr error
			select {
			case deleteErr = <-deleted:
			case <-time.After(30 * time.Second):
				require.Fail(t, "the delete never finished")
			}
			t.Logf("link: %v; delete: %v", linkErr, deleteErr)

			// The account cascades to its contacts: either the link came
			// first and the delete took Ann with it, or the delete came
			// first and the link was refused. Never a dangling lookup.
			accountGone := !exists(t, store, sales.AccountEntity, doomed.ID)
			if exists(t, store, sales.ContactEntity, ann.ID) {
				c, err := contacts.Get(ctx, ann.ID)
				require.NoError(t, err)
				if c.ParentCustomer.ID == doomed.ID {
					require.False(t, accountGone, "Ann points at a deleted account")
				}
			}
			switch {
			case linkErr != nil:
				require.ErrorIs(t, linkErr, crm.ErrValidation)
				require.NoError(t, deleteErr)
			case deleteErr != nil:
				require.NoError(t, linkErr)
			default:
				require.True(t, accountGone)
				require.False(t, exists(t, store, sales.ContactEntity, ann.ID), "the delete cascaded to the linked contact")
			}
		})
	}
}

func exists(t *testing.T, s *storage.Store, entity string, id crm.ID) bool {
	t.Helper()
	_, err := s.Get(crm.AsSystem(context.Background()), entity, id)
	if errors.Is(err, crm.ErrNotFound) {
		return false
	}
	require.NoError(t, err)
	return true
}

func TestLookupRefusedWhileItsTargetIsBeingDeleted(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := crm.AsSystem(context.Background())
			store := b.store(t, nil)
			accounts, contacts := sales.NewAccounts(store), sales.NewContacts(store)
			doomed, err := accounts.Create(ctx, sales.Account{Name: "Doomed"})
			require.NoError(t, err)
			ann, err := contacts.Create(ctx, sales.Contact{LastName: "Ann"})
			require.NoError(t, err)

			// The deleter deletes the account and holds its transaction
			// open until the linker has finished or holdOpen has passed.
			deleting := make(chan struct{})
			var once sync.Once
			linked := make(chan error, 1)
			require.NoError(t, store.Hook(sales.AccountEntity, storage.OpDelete, storage.PostOperation, func(ctx context.Context, ev *storage.Event) error {
				once.Do(func() { close(deleting) })
				select {
				case err := <-linked:
					linked <- err
				case <-time.After(holdOpen):
				}
				return nil
			}))
			go func() {
				<-deleting
				_, err := store.Update(ctx, crm.Record{Entity: sales.ContactEntity, Header: crm.Header{ID: ann.ID},
					Fields: crm.Fields{sales.ContactParentCustomer: doomed.Ref()}})
				linked <- err
			}()
			deleteErr := store.Delete(ctx, doomed.Ref(), storage.AnyVersion)
			var linkErr error
			select {
			case linkErr = <-linked:
			case <-time.After(30 * time.Second):
				require.Fail(t, "the link never finished")
			}
			t.Logf("delete: %v; link: %v", deleteErr, linkErr)
			require.NoError(t, deleteErr)
			require.ErrorIs(t, linkErr, crm.ErrValidation, "the link to an account being deleted is refused")
			require.False(t, exists(t, store, sales.AccountEntity, doomed.ID))
			c, err := contacts.Get(ctx, ann.ID)
			require.NoError(t, err)
			require.True(t, c.ParentCustomer.IsZero(), "Ann points at %s", c.ParentCustomer)
		})
	}
}
