package sales_test

import (
	"strings"
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

func TestAccountCreateGetUpdate(t *testing.T) {
	e := newEnv(t)
	revenue := crm.MustMoney("1250000.50 USD")
	created := e.account(t, sales.Account{
		Name:              "Contoso Ltd",
		AccountNumber:     "C-001",
		Email:             "info@contoso.example",
		Telephone:         "+1 555 0100",
		Website:           "https://contoso.example",
		Address:           sales.Address{Line1: "1 Main St", City: "Seattle", StateOrProvince: "WA", PostalCode: "98101", Country: "USA"},
		CustomerType:      sales.CustomerTypeCustomer,
		Industry:          sales.IndustryConsulting,
		Ownership:         sales.OwnershipPrivate,
		Revenue:           &revenue,
		NumberOfEmployees: sales.Ptr[int64](250),
		CreditLimit:       sales.Ptr(crm.MustMoney("50000 USD")),
		CreditOnHold:      true,
		Description:       "Key account",
	})

	t.Run("create fills the header and starts Active", func(t *testing.T) {
		require.NotEqual(t, crm.NilID, created.ID)
		require.Equal(t, int64(1), created.Version)
		require.Equal(t, start, created.CreatedOn)
		require.Equal(t, sales.AccountStateActive, created.AccountState())
		require.Equal(t, sales.AccountStatusActive, created.AccountStatus())
		require.True(t, created.IsActive())
	})

	t.Run("get returns every field as created", func(t *testing.T) {
		got, err := e.accounts.Get(e.ctx, created.ID)
		require.NoError(t, err)
		require.Equal(t, created, got)
		require.Equal(t, "Seattle", got.Address.City)
		require.Equal(t, sales.IndustryConsulting, got.Industry)
		require.True(t, got.Revenue.Equal(revenue))
		require.Equal(t, int64(250), *got.NumberOfEmployees)
		require.True(t, got.CreditOnHold)
	})

	t.Run("update writes changed and cleared fields", func(t *testing.T) {
		e.clock.Advance(time.Hour)
		a := created
		a.Telephone = "+1 555 0199"
		a.Revenue = nil // cleared
		a.Industry = 0  // cleared
		updated, err := e.accounts.Update(e.ctx, a)
		require.NoError(t, err)
		require.Equal(t, int64(2), updated.Version)
		require.Equal(t, start.Add(time.Hour), updated.ModifiedOn)
		got, err := e.accounts.Get(e.ctx, created.ID)
		require.NoError(t, err)
		require.Equal(t, "+1 555 0199", got.Telephone)
		require.Nil(t, got.Revenue)
		require.Zero(t, got.Industry)
		require.Equal(t, "Contoso Ltd", got.Name)
	})

	t.Run("update from a stale version is a conflict and changes nothing", func(t *testing.T) {
		stale := created
		stale.Name = "Stale"
		_, err := e.accounts.Update(e.ctx, stale)
		require.ErrorIs(t, err, crm.ErrConflict)
		got, err := e.accounts.Get(e.ctx, created.ID)
		require.NoError(t, err)
		require.Equal(t, "Contoso Ltd", got.Name)
		require.Equal(t, int64(2), got.Version)
	})

	t.Run("update without a version is refused", func(t *testing.T) {
		blind := created
		blind.Version = 0
		_, err := e.accounts.Update(e.ctx, blind)
		requireInvalid(t, err, crm.FieldVersion)
	})

	t.Run("get of an unknown ID is not found", func(t *testing.T) {
		_, err := e.accounts.Get(e.ctx, crm.NewID())
		require.ErrorIs(t, err, crm.ErrNotFound)
	})
}

func TestAccountValidation(t *testing.T) {
	e := newEnv(t)
	count := func() int64 {
		t.Helper()
		n, err := e.accounts.Count(e.ctx, crm.Query{})
		require.NoError(t, err)
		return n
	}

	t.Run("name is required", func(t *testing.T) {
		_, err := e.accounts.Create(e.ctx, sales.Account{AccountNumber: "X"})
		requireInvalid(t, err, sales.AccountName)
		require.Zero(t, count())
	})

	t.Run("name over 160 characters is refused and nothing is stored", func(t *testing.T) {
		_, err := e.accounts.Create(e.ctx, sales.Account{Name: strings.Repeat("n", 161)})
		requireInvalid(t, err, sales.AccountName)
		require.Zero(t, count())
		_, err = e.accounts.Create(e.ctx, sales.Account{Name: strings.Repeat("n", 160)})
		require.NoError(t, err)
	})

	t.Run("every bad field is named at once", func(t *testing.T) {
		_, err := e.accounts.Create(e.ctx, sales.Account{
			NumberOfEmployees: sales.Ptr[int64](-1),
			Revenue:           sales.Ptr(crm.MustMoney("1.001 USD")),
		})
		requireInvalid(t, err, sales.AccountName)
		requireInvalid(t, err, sales.AccountNumberOfEmployees)
		requireInvalid(t, err, sales.AccountRevenue)
	})

	t.Run("an invalid update changes nothing", func(t *testing.T) {
		a := e.account(t, sales.Account{Name: "Fabrikam"})
		bad := a
		bad.Name = strings.Repeat("x", 161)
		_, err := e.accounts.Update(e.ctx, bad)
		requireInvalid(t, err, sales.AccountName)
		cleared := a
		cleared.Name = ""
		_, err = e.accounts.Update(e.ctx, cleared)
		requireInvalid(t, err, sales.AccountName)
		got, err := e.accounts.Get(e.ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, a, got)
	})

	t.Run("a parent that does not exist is refused", func(t *testing.T) {
		_, err := e.accounts.Create(e.ctx, sales.Account{Name: "Orphan", ParentAccount: sales.AccountRef(crm.NewID())})
		requireInvalid(t, err, sales.AccountParent)
	})
}

func TestAccountHierarchy(t *testing.T) {
	e := newEnv(t)
	root := e.account(t, sales.Account{Name: "Root"})
	mid := e.account(t, sales.Account{Name: "Mid", ParentAccount: root.Ref()})
	leafB := e.account(t, sales.Account{Name: "Leaf B", ParentAccount: mid.Ref()})
	leafA := e.account(t, sales.Account{Name: "Leaf A", ParentAccount: crm.Ref{ID: mid.ID}}) // entity filled in

	t.Run("children are the direct sub-accounts by name", func(t *testing.T) {
		kids, err := e.accounts.Children(e.ctx, mid.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"Leaf A", "Leaf B"}, accountNames(kids))
		kids, err = e.accounts.Children(e.ctx, root.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"Mid"}, accountNames(kids))
		require.Equal(t, sales.AccountRef(mid.ID), leafA.ParentAccount)
	})

	t.Run("a cycle is refused", func(t *testing.T) {
		r := root
		r.ParentAccount = leafB.Ref()
		_, err := e.accounts.Update(e.ctx, r)
		requireInvalid(t, err, sales.AccountParent)
		got, err := e.accounts.Get(e.ctx, root.ID)
		require.NoError(t, err)
		require.True(t, got.ParentAccount.IsZero())
	})

	t.Run("an account cannot be its own parent", func(t *testing.T) {
		m := mid
		m.ParentAccount = mid.Ref()
		_, err := e.accounts.Update(e.ctx, m)
		requireInvalid(t, err, sales.AccountParent)
	})
}

func accountNames(as []sales.Account) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Name
	}
	return out
}

func contactNames(cs []sales.Contact) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.FullName
	}
	return out
}

func TestAccountLifecycle(t *testing.T) {
	e := newEnv(t)
	a := e.account(t, sales.Account{Name: "Northwind"})

	deactivated, err := e.accounts.Deactivate(e.ctx, a.ID, a.Version)
	require.NoError(t, err)

	t.Run("deactivate moves to Inactive", func(t *testing.T) {
		require.Equal(t, sales.AccountStateInactive, deactivated.AccountState())
		require.Equal(t, sales.AccountStatusInactive, deactivated.AccountStatus())
		require.False(t, deactivated.IsActive())
		require.Equal(t, a.Version+1, deactivated.Version)
	})

	t.Run("deactivate twice is an invalid transition", func(t *testing.T) {
		_, err := e.accounts.Deactivate(e.ctx, a.ID, storage.AnyVersion)
		require.ErrorIs(t, err, crm.ErrInvalidTransition)
		var terr *crm.TransitionError
		require.ErrorAs(t, err, &terr)
		require.Equal(t, "Inactive", terr.State)
		require.Equal(t, sales.EventDeactivate, terr.Event)
	})

	t.Run("an inactive account is read-only", func(t *testing.T) {
		d := deactivated
		d.Name = "Renamed"
		_, err := e.accounts.Update(e.ctx, d)
		require.ErrorIs(t, err, crm.ErrInvalidTransition)
	})

	t.Run("activate moves back to Active", func(t *testing.T) {
		active, err := e.accounts.Activate(e.ctx, a.ID, deactivated.Version)
		require.NoError(t, err)
		require.Equal(t, sales.AccountStateActive, active.AccountState())
		require.Equal(t, sales.AccountStatusActive, active.AccountStatus())
		_, err = e.accounts.Activate(e.ctx, a.ID, storage.AnyVersion)
		require.ErrorIs(t, err, crm.ErrInvalidTransition)
	})

	t.Run("a stale version is a conflict", func(t *testing.T) {
		_, err := e.accounts.Deactivate(e.ctx, a.ID, a.Version)
		require.ErrorIs(t, err, crm.ErrConflict)
	})

	t.Run("an update cannot change the state", func(t *testing.T) {
		cur, err := e.accounts.Get(e.ctx, a.ID)
		require.NoError(t, err)
		cur.State, cur.Status = 1, 2
		_, err = e.accounts.Update(e.ctx, cur)
		requireInvalid(t, err, crm.FieldStatus)
	})
}

func TestAccountSearch(t *testing.T) {
	e := newEnv(t)
	for _, a := range []sales.Account{
		{Name: "Alpine Ski House", Address: sales.Address{City: "Oslo"}, Industry: sales.IndustryEntertainmentRetail},
		{Name: "Blue Yonder Airlines", Address: sales.Address{City: "Paris"}, Industry: sales.IndustryTransportation},
		{Name: "Coho Winery", Address: sales.Address{City: "oslo"}, Industry: sales.IndustryWholesale},
		{Name: "Datum Corporation", Address: sales.Address{City: "Oslo"}, Industry: sales.IndustryConsulting},
		{Name: "Fourth Coffee", Address: sales.Address{City: "Rome"}, Industry: sales.IndustryEatingAndDrinking},
	} {
		e.account(t, a)
	}

	t.Run("filter, sort and page", func(t *testing.T) {
		q := crm.Query{Where: crm.Eq(sales.AccountCity, "OSLO"), OrderBy: []crm.Order{crm.Desc(sales.AccountName)}, Limit: 2}
		page, err := e.accounts.Search(e.ctx, q)
		require.NoError(t, err)
		require.Equal(t, []string{"Datum Corporation", "Coho Winery"}, accountNames(page.Records))
		require.True(t, page.More)
		q.After = page.Next
		page, err = e.accounts.Search(e.ctx, q)
		require.NoError(t, err)
		require.Equal(t, []string{"Alpine Ski House"}, accountNames(page.Records))
		require.False(t, page.More)
	})

	t.Run("filter on an option set", func(t *testing.T) {
		page, err := e.accounts.Search(e.ctx, crm.Query{
			Where:   crm.In(sales.AccountIndustry, sales.IndustryTransportation, sales.IndustryWholesale),
			OrderBy: []crm.Order{crm.Asc(sales.AccountName)}})
		require.NoError(t, err)
		require.Equal(t, []string{"Blue Yonder Airlines", "Coho Winery"}, accountNames(page.Records))
	})

	t.Run("inactive accounts by state", func(t *testing.T) {
		page, err := e.accounts.Search(e.ctx, crm.Query{Where: crm.BeginsWith(sales.AccountName, "fourth")})
		require.NoError(t, err)
		require.Len(t, page.Records, 1)
		_, err = e.accounts.Deactivate(e.ctx, page.Records[0].ID, storage.AnyVersion)
		require.NoError(t, err)
		page, err = e.accounts.Search(e.ctx, crm.Query{Where: crm.Eq(crm.FieldState, sales.AccountStateInactive)})
		require.NoError(t, err)
		require.Equal(t, []string{"Fourth Coffee"}, accountNames(page.Records))
	})

	t.Run("an unknown field is a validation error", func(t *testing.T) {
		_, err := e.accounts.Search(e.ctx, crm.Query{Where: crm.Eq("nosuchfield", "x")})
		requireInvalid(t, err, "nosuchfield")
	})

	t.Run("a query of another entity is refused", func(t *testing.T) {
		_, err := e.accounts.Search(e.ctx, crm.Query{Entity: sales.ContactEntity})
		require.ErrorIs(t, err, crm.ErrValidation)
	})
}

func TestAccountDelete(t *testing.T) {
	e := newEnv(t)
	parent := e.account(t, sales.Account{Name: "Parent"})
	doomed := e.account(t, sales.Account{Name: "Doomed", ParentAccount: parent.Ref()})
	sub := e.account(t, sales.Account{Name: "Sub", ParentAccount: doomed.Ref()})
	alice := e.contact(t, sales.Contact{FirstName: "Alice", LastName: "Ames", ParentCustomer: doomed.Ref()})
	bob := e.contact(t, sales.Contact{FirstName: "Bob", LastName: "Best", ParentCustomer: doomed.Ref()})
	// A contact of a contact goes down with the cascade too.
	assistant := e.contact(t, sales.Contact{LastName: "Assistant", ParentCustomer: bob.Ref()})
	other := e.contact(t, sales.Contact{FirstName: "Olga", LastName: "Other", ParentCustomer: parent.Ref()})
	doomed, err := e.accounts.SetPrimaryContact(e.ctx, doomed.ID, doomed.Version, alice.ID)
	require.NoError(t, err)
	// The parent's primary contact is its own; deleting doomed leaves it.
	parent, err = e.accounts.SetPrimaryContact(e.ctx, parent.ID, parent.Version, other.ID)
	require.NoError(t, err)

	require.NoError(t, e.accounts.Delete(e.ctx, doomed.ID, doomed.Version))

	t.Run("the account is gone", func(t *testing.T) {
		_, err := e.accounts.Get(e.ctx, doomed.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
	})

	t.Run("its contacts are deleted", func(t *testing.T) {
		for _, c := range []sales.Contact{alice, bob, assistant} {
			_, err := e.contacts.Get(e.ctx, c.ID)
			require.ErrorIs(t, err, crm.ErrNotFound, c.FullName)
		}
		got, err := e.contacts.Get(e.ctx, other.ID)
		require.NoError(t, err)
		require.Equal(t, parent.Ref(), got.ParentCustomer)
	})

	t.Run("its sub-accounts lose their parent", func(t *testing.T) {
		got, err := e.accounts.Get(e.ctx, sub.ID)
		require.NoError(t, err)
		require.True(t, got.ParentAccount.IsZero())
		require.Equal(t, sub.Version+1, got.Version)
	})

	t.Run("other accounts keep their links", func(t *testing.T) {
		got, err := e.accounts.Get(e.ctx, parent.ID)
		require.NoError(t, err)
		require.Equal(t, other.Ref(), got.PrimaryContact)
	})

	t.Run("deleting a primary contact removes the link", func(t *testing.T) {
		require.NoError(t, e.contacts.Delete(e.ctx, other.ID, storage.AnyVersion))
		got, err := e.accounts.Get(e.ctx, parent.ID)
		require.NoError(t, err)
		require.True(t, got.PrimaryContact.IsZero())
	})

	t.Run("a stale version refuses the delete", func(t *testing.T) {
		err := e.accounts.Delete(e.ctx, sub.ID, sub.Version)
		require.ErrorIs(t, err, crm.ErrConflict)
	})
}

func TestPrimaryContact(t *testing.T) {
	e := newEnv(t)
	acme := e.account(t, sales.Account{Name: "Acme"})
	globex := e.account(t, sales.Account{Name: "Globex"})
	ann := e.contact(t, sales.Contact{FirstName: "Ann", LastName: "Acme", ParentCustomer: acme.Ref()})
	gus := e.contact(t, sales.Contact{FirstName: "Gus", LastName: "Globex", ParentCustomer: globex.Ref()})
	loner := e.contact(t, sales.Contact{LastName: "Loner"})

	t.Run("a contact of the account can be primary", func(t *testing.T) {
		got, err := e.accounts.SetPrimaryContact(e.ctx, acme.ID, acme.Version, ann.ID)
		require.NoError(t, err)
		require.Equal(t, ann.Ref(), got.PrimaryContact)
		acme = got
	})

	t.Run("a contact of another account is refused", func(t *testing.T) {
		_, err := e.accounts.SetPrimaryContact(e.ctx, acme.ID, acme.Version, gus.ID)
		requireInvalid(t, err, sales.AccountPrimaryContact)
		_, err = e.accounts.SetPrimaryContact(e.ctx, acme.ID, acme.Version, loner.ID)
		requireInvalid(t, err, sales.AccountPrimaryContact)
		a := acme
		a.PrimaryContact = gus.Ref()
		_, err = e.accounts.Update(e.ctx, a)
		requireInvalid(t, err, sales.AccountPrimaryContact)
		_, err = e.accounts.Create(e.ctx, sales.Account{Name: "New", PrimaryContact: gus.Ref()})
		requireInvalid(t, err, sales.AccountPrimaryContact)
	})

	t.Run("a contact that does not exist is refused", func(t *testing.T) {
		_, err := e.accounts.SetPrimaryContact(e.ctx, acme.ID, acme.Version, crm.NewID())
		requireInvalid(t, err, sales.AccountPrimaryContact)
	})

	t.Run("an update that keeps the primary contact passes", func(t *testing.T) {
		a := acme
		a.Description = "kept"
		got, err := e.accounts.Update(e.ctx, a)
		require.NoError(t, err)
		require.Equal(t, ann.Ref(), got.PrimaryContact)
		acme = got
	})

	t.Run("nil clears it", func(t *testing.T) {
		got, err := e.accounts.SetPrimaryContact(e.ctx, acme.ID, acme.Version, crm.NilID)
		require.NoError(t, err)
		require.True(t, got.PrimaryContact.IsZero())
	})

	t.Run("contacts of an account by full name", func(t *testing.T) {
		e.contact(t, sales.Contact{FirstName: "Aaron", LastName: "Acme", ParentCustomer: acme.Ref()})
		cs, err := e.accounts.Contacts(e.ctx, acme.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"Aaron Acme", "Ann Acme"}, contactNames(cs))
	})
}

func TestDeleteReachesInactiveRecords(t *testing.T) {
	e := newEnv(t)
	parent := e.account(t, sales.Account{Name: "Parent"})
	sub := e.account(t, sales.Account{Name: "Sub", ParentAccount: parent.Ref()})
	c := e.contact(t, sales.Contact{LastName: "Primary", ParentCustomer: sub.Ref()})
	sub, err := e.accounts.SetPrimaryContact(e.ctx, sub.ID, sub.Version, c.ID)
	require.NoError(t, err)
	_, err = e.accounts.Deactivate(e.ctx, sub.ID, sub.Version)
	require.NoError(t, err)

	t.Run("an inactive sub-account loses its parent", func(t *testing.T) {
		require.NoError(t, e.accounts.Delete(e.ctx, parent.ID, storage.AnyVersion))
		got, err := e.accounts.Get(e.ctx, sub.ID)
		require.NoError(t, err)
		require.True(t, got.ParentAccount.IsZero())
		require.False(t, got.IsActive())
	})

	t.Run("an inactive account loses its deleted primary contact", func(t *testing.T) {
		require.NoError(t, e.contacts.Delete(e.ctx, c.ID, storage.AnyVersion))
		got, err := e.accounts.Get(e.ctx, sub.ID)
		require.NoError(t, err)
		require.True(t, got.PrimaryContact.IsZero())
	})
}

func TestServiceSurface(t *testing.T) {
	e := newEnv(t)

	t.Run("create many accounts in one call, a child after its parent", func(t *testing.T) {
		parentID := crm.NewID()
		got, err := e.accounts.CreateMany(e.ctx, []sales.Account{
			{Header: crm.Header{ID: parentID}, Name: "Fabrikam"},
			{Name: "Fabrikam East", ParentAccount: sales.AccountRef(parentID)},
		})
		require.NoError(t, err)
		require.Len(t, got, 2)
		require.Equal(t, parentID, got[1].ParentAccount.ID)
	})
	t.Run("count takes a query, as the store's does", func(t *testing.T) {
		n, err := e.accounts.Count(e.ctx, crm.Query{Where: crm.BeginsWith(sales.AccountName, "Fabrikam")})
		require.NoError(t, err)
		require.Equal(t, int64(2), n)
		_, err = e.accounts.Count(e.ctx, crm.Query{Entity: sales.ContactEntity})
		require.ErrorIs(t, err, crm.ErrValidation)
	})
	t.Run("lookup group keys read as names", func(t *testing.T) {
		fabrikam, err := e.accounts.Search(e.ctx, crm.Query{Where: crm.Eq(sales.AccountName, "Fabrikam")})
		require.NoError(t, err)
		acct := fabrikam.Records[0]
		e.contact(t, sales.Contact{LastName: "Diaz", ParentCustomer: acct.Ref()})
		e.contact(t, sales.Contact{LastName: "Ito", ParentCustomer: acct.Ref()})
		rows, err := e.store.Aggregate(e.ctx, crm.Aggregation{Entity: sales.ContactEntity,
			Where:    crm.NotNull(sales.ContactParentCustomer),
			GroupBy:  []crm.GroupBy{{Alias: "customer", Field: sales.ContactParentCustomer}},
			Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}})
		require.NoError(t, err)
		require.Len(t, rows, 1)
		ref := rows[0].Ref("customer")
		require.Equal(t, acct.Ref(), ref)
		names, err := e.store.Names(e.ctx, ref, ref, crm.Ref{}, sales.ContactRef(crm.NewID()))
		require.NoError(t, err)
		require.Equal(t, map[crm.Ref]string{acct.Ref(): "Fabrikam"}, names, "a missing record and the zero Ref are left out")
		require.Equal(t, int64(2), rows[0].Int("n"))
	})
	t.Run("assign gives a record a new owner", func(t *testing.T) {
		c := e.contact(t, sales.Contact{LastName: "Okafor"})
		team := crm.Ref{Entity: crm.TeamEntity, ID: crm.NewID()}
		got, err := e.contacts.Assign(e.ctx, c.ID, c.Version, team)
		require.NoError(t, err)
		require.Equal(t, team, got.Owner)
		_, err = e.contacts.Assign(e.ctx, c.ID, c.Version, team) // stale
		require.ErrorIs(t, err, crm.ErrConflict)
	})
}
