package sales_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

func TestContactCreateGetUpdate(t *testing.T) {
	e := newEnv(t)
	acme := e.account(t, sales.Account{Name: "Acme"})
	birth := time.Date(1815, 12, 10, 17, 30, 0, 0, time.FixedZone("GMT+2", 2*3600))
	c := e.contact(t, sales.Contact{
		FirstName:      " Ada ",
		LastName:       "Lovelace",
		FullName:       "ignored",
		JobTitle:       "Analyst",
		Email:          "ada@example.com",
		MobilePhone:    "+44 20 0000",
		ParentCustomer: acme.Ref(),
		BirthDate:      birth,
		Address:        sales.Address{City: "London", Country: "UK"},
	})

	t.Run("full name is computed from first and last name", func(t *testing.T) {
		require.Equal(t, "Ada Lovelace", c.FullName)
		only := e.contact(t, sales.Contact{LastName: "Plato"})
		require.Equal(t, "Plato", only.FullName)
	})

	t.Run("birth date keeps the calendar date alone", func(t *testing.T) {
		require.Equal(t, time.Date(1815, 12, 10, 0, 0, 0, 0, time.UTC), c.BirthDate)
	})

	t.Run("get returns it as created", func(t *testing.T) {
		got, err := e.contacts.Get(e.ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, c, got)
		require.Equal(t, sales.ContactStateActive, got.ContactState())
		require.Equal(t, sales.ContactStatusActive, got.ContactStatus())
	})

	t.Run("update recomputes the full name", func(t *testing.T) {
		u := c
		u.FirstName = "Augusta Ada"
		got, err := e.contacts.Update(e.ctx, u)
		require.NoError(t, err)
		require.Equal(t, "Augusta Ada Lovelace", got.FullName)
		require.Equal(t, int64(2), got.Version)
		c = got
	})

	t.Run("a parent customer must name its entity", func(t *testing.T) {
		_, err := e.contacts.Create(e.ctx, sales.Contact{LastName: "X", ParentCustomer: crm.Ref{ID: acme.ID}})
		requireInvalid(t, err, sales.ContactParentCustomer)
	})

	t.Run("a contact cannot be its own parent customer", func(t *testing.T) {
		u := c
		u.ParentCustomer = c.Ref()
		_, err := e.contacts.Update(e.ctx, u)
		requireInvalid(t, err, sales.ContactParentCustomer)
	})

	t.Run("search through the parent account", func(t *testing.T) {
		page, err := e.contacts.Search(e.ctx, crm.Query{
			Where: crm.Through(sales.ContactParentCustomer, sales.AccountEntity, crm.Eq(sales.AccountName, "acme"))})
		require.NoError(t, err)
		require.Equal(t, []string{"Augusta Ada Lovelace"}, contactNames(page.Records))
	})
}

func TestContactValidation(t *testing.T) {
	e := newEnv(t)
	count := func() int64 {
		t.Helper()
		n, err := e.contacts.Count(e.ctx, crm.Query{})
		require.NoError(t, err)
		return n
	}

	t.Run("last name is required and nothing is stored", func(t *testing.T) {
		_, err := e.contacts.Create(e.ctx, sales.Contact{FirstName: "Nobody"})
		requireInvalid(t, err, sales.ContactLastName)
		require.Zero(t, count())
	})

	t.Run("last name cannot be cleared", func(t *testing.T) {
		c := e.contact(t, sales.Contact{LastName: "Kept"})
		u := c
		u.LastName = ""
		_, err := e.contacts.Update(e.ctx, u)
		requireInvalid(t, err, sales.ContactLastName)
		got, err := e.contacts.Get(e.ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, c, got)
	})

	t.Run("a first name over 50 characters is refused", func(t *testing.T) {
		_, err := e.contacts.Create(e.ctx, sales.Contact{FirstName: strings.Repeat("f", 51), LastName: "L"})
		requireInvalid(t, err, sales.ContactFirstName)
	})

	t.Run("a birth date before 1753 is refused", func(t *testing.T) {
		_, err := e.contacts.Create(e.ctx, sales.Contact{LastName: "Old", BirthDate: time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC)})
		requireInvalid(t, err, sales.ContactBirthDate)
	})
}

func TestContactLifecycle(t *testing.T) {
	e := newEnv(t)
	c := e.contact(t, sales.Contact{LastName: "Smith"})
	off, err := e.contacts.Deactivate(e.ctx, c.ID, c.Version)
	require.NoError(t, err)
	require.Equal(t, sales.ContactStateInactive, off.ContactState())
	require.Equal(t, sales.ContactStatusInactive, off.ContactStatus())

	_, err = e.contacts.Deactivate(e.ctx, c.ID, storage.AnyVersion)
	require.ErrorIs(t, err, crm.ErrInvalidTransition, "deactivate twice")

	u := off
	u.JobTitle = "CEO"
	_, err = e.contacts.Update(e.ctx, u)
	require.ErrorIs(t, err, crm.ErrInvalidTransition, "inactive is read-only")

	on, err := e.contacts.Activate(e.ctx, c.ID, off.Version)
	require.NoError(t, err)
	require.True(t, on.IsActive())
	u = on
	u.JobTitle = "CEO"
	_, err = e.contacts.Update(e.ctx, u)
	require.NoError(t, err)
}

// TestContactConcurrentUpdates pins optimistic concurrency: writers that
// all read the same version race; exactly one wins, every other one gets
// crm.ErrConflict, and writers that re-read and retry lose nothing.
func TestContactConcurrentUpdates(t *testing.T) {
	const writers = 50
	e := newEnv(t)
	c := e.contact(t, sales.Contact{LastName: "Shared"})

	t.Run("same version: exactly one succeeds, the rest conflict", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make([]error, writers)
		for i := range writers {
			wg.Go(func() {
				u := c
				u.JobTitle = fmt.Sprintf("writer %d", i)
				_, errs[i] = e.contacts.Update(e.ctx, u)
			})
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			if err == nil {
				require.Equal(t, -1, winner, "two writers succeeded")
				winner = i
				continue
			}
			require.ErrorIs(t, err, crm.ErrConflict)
		}
		require.NotEqual(t, -1, winner, "no writer succeeded")
		got, err := e.contacts.Get(e.ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, c.Version+1, got.Version)
		require.Equal(t, fmt.Sprintf("writer %d", winner), got.JobTitle, "the winner's update is the stored one")
	})

	t.Run("re-read and retry: no update is lost", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make([]error, writers)
		for i := range writers {
			wg.Go(func() {
				for {
					cur, err := e.contacts.Get(e.ctx, c.ID)
					if err != nil {
						errs[i] = err
						return
					}
					cur.Description += fmt.Sprintf("[%d]", i)
					_, err = e.contacts.Update(e.ctx, cur)
					if err == nil || !errors.Is(err, crm.ErrConflict) {
						errs[i] = err
						return
					}
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		got, err := e.contacts.Get(e.ctx, c.ID)
		require.NoError(t, err)
		for i := range writers {
			require.Contains(t, got.Description, fmt.Sprintf("[%d]", i))
		}
		require.Equal(t, c.Version+1+writers, got.Version)
	})
}
