package sales_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/memory"
)

// open returns the sales services over a new in-memory store whose clock
// stands still, so the examples print the same every time.
func open() (*sales.Accounts, *sales.Contacts) {
	reg := crm.NewRegistry()
	if err := sales.Register(reg); err != nil {
		panic(err)
	}
	clock := crm.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	st := memory.Open(reg, storage.WithClock(clock))
	return sales.NewAccounts(st), sales.NewContacts(st)
}

// Create an account, two contacts who work there, and make one of them the
// primary contact.
func ExampleAccounts_Create() {
	ctx := crm.AsSystem(context.Background())
	accounts, contacts := open()

	acme, err := accounts.Create(ctx, sales.Account{
		Name:         "Acme Corporation",
		Industry:     sales.IndustryDurableManufacturing,
		CustomerType: sales.CustomerTypeCustomer,
		Revenue:      sales.Ptr(crm.MustMoney("1100040.00 USD")),
		Address:      sales.Address{City: "Seattle", Country: "United States"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range []sales.Contact{
		{FirstName: "Wile E.", LastName: "Coyote", JobTitle: "Buyer"},
		{FirstName: "Road", LastName: "Runner", JobTitle: "CEO"},
	} {
		c.ParentCustomer = acme.Ref()
		if _, err := contacts.Create(ctx, c); err != nil {
			fmt.Println(err)
			return
		}
	}
	people, err := accounts.Contacts(ctx, acme.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	acme, err = accounts.SetPrimaryContact(ctx, acme.ID, acme.Version, people[0].ID)
	if err != nil {
		fmt.Println(err)
		return
	}

	fmt.Printf("%s (%s, %s), revenue %s, version %d\n", acme.Name, acme.Industry, acme.CustomerType, acme.Revenue, acme.Version)
	for _, p := range people {
		primary := ""
		if p.Ref() == acme.PrimaryContact {
			primary = " (primary contact)"
		}
		fmt.Printf("  %s, %s%s\n", p.FullName, p.JobTitle, primary)
	}
	// Output:
	// Acme Corporation (Durable Manufacturing, Customer), revenue 1100040.00 USD, version 2
	//   Road Runner, CEO (primary contact)
	//   Wile E. Coyote, Buyer
}

// Search contacts of accounts in one city, sorted by last name, a page at
// a time.
func ExampleContacts_Search() {
	ctx := crm.AsSystem(context.Background())
	accounts, contacts := open()
	for _, a := range []struct{ name, city string }{{"Contoso", "Oslo"}, {"Fabrikam", "Paris"}, {"Northwind", "Oslo"}} {
		acct, err := accounts.Create(ctx, sales.Account{Name: a.name, Address: sales.Address{City: a.city}})
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, last := range []string{"Berg", "Aas", "Dahl"} {
			if _, err := contacts.Create(ctx, sales.Contact{FirstName: a.name[:1] + ".", LastName: last, ParentCustomer: acct.Ref()}); err != nil {
				fmt.Println(err)
				return
			}
		}
	}

	q := crm.Query{
		Where:   crm.Through(sales.ContactParentCustomer, sales.AccountEntity, crm.Eq(sales.AccountCity, "oslo")),
		OrderBy: []crm.Order{crm.Asc(sales.ContactLastName), crm.Asc(sales.ContactFirstName)},
		Limit:   4,
	}
	for n := 1; ; n++ {
		page, err := contacts.Search(ctx, q)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("page %d:", n)
		for _, c := range page.Records {
			fmt.Printf(" %s;", c.FullName)
		}
		fmt.Println()
		if !page.More {
			break
		}
		q.After = page.Next
	}
	// Output:
	// page 1: C. Aas; N. Aas; C. Berg; N. Berg;
	// page 2: C. Dahl; N. Dahl;
}

// Deactivate an account, see that it refuses a second deactivation and
// edits, and activate it again.
func ExampleAccounts_Deactivate() {
	ctx := crm.AsSystem(context.Background())
	accounts, _ := open()
	acct, err := accounts.Create(ctx, sales.Account{Name: "Tailspin Toys"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(acct.Name, "is", acct.AccountState())

	acct, err = accounts.Deactivate(ctx, acct.ID, acct.Version)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(acct.Name, "is", acct.AccountState(), "with status reason", acct.AccountStatus())

	_, err = accounts.Deactivate(ctx, acct.ID, acct.Version)
	var refused *crm.TransitionError
	if errors.As(err, &refused) {
		fmt.Printf("deactivate again: refused in state %s\n", refused.State)
	}
	acct.Description = "edited while inactive"
	_, err = accounts.Update(ctx, acct)
	fmt.Println("update while inactive refused:", errors.Is(err, crm.ErrInvalidTransition))

	acct, err = accounts.Activate(ctx, acct.ID, acct.Version)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(acct.Name, "is", acct.AccountState(), "again, version", acct.Version)
	// Output:
	// Tailspin Toys is Active
	// Tailspin Toys is Inactive with status reason Inactive
	// deactivate again: refused in state Inactive
	// update while inactive refused: true
	// Tailspin Toys is Active again, version 3
}

// Two users edit the same contact from the same version: the second one's
// update is refused with crm.ErrConflict instead of silently undoing the
// first one's. It reads the contact again and redoes its change.
func ExampleContacts_Update() {
	ctx := crm.AsSystem(context.Background())
	_, contacts := open()
	c, err := contacts.Create(ctx, sales.Contact{FirstName: "Kim", LastName: "Abercrombie"})
	if err != nil {
		fmt.Println(err)
		return
	}
	first, second := c, c
	first.JobTitle = "Purchasing Manager"
	if _, err := contacts.Update(ctx, first); err != nil {
		fmt.Println(err)
		return
	}
	second.MobilePhone = "+1 555 0142"
	_, err = contacts.Update(ctx, second)
	fmt.Println("second update conflicts:", errors.Is(err, crm.ErrConflict))

	fresh, err := contacts.Get(ctx, c.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fresh.MobilePhone = "+1 555 0142"
	fresh, err = contacts.Update(ctx, fresh)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s, %s, %s, version %d\n", fresh.FullName, fresh.JobTitle, fresh.MobilePhone, fresh.Version)
	// Output:
	// second update conflicts: true
	// Kim Abercrombie, Purchasing Manager, +1 555 0142, version 3
}

// The module's rules live with its entities, so they hold whichever door a
// write comes through: the service, the typed table, or the store's
// generic Update, which knows nothing of sales.
func Example_rules() {
	ctx := crm.AsSystem(context.Background())
	accounts, contacts := open()
	acme, _ := accounts.Create(ctx, sales.Account{Name: "Acme"})
	globex, _ := accounts.Create(ctx, sales.Account{Name: "Globex"})
	hank, _ := contacts.Create(ctx, sales.Contact{FirstName: "Hank", LastName: "Scorpio", ParentCustomer: globex.Ref()})
	refused := func(door string, err error) {
		var verr *crm.ValidationError
		if errors.As(err, &verr) {
			fmt.Printf("%s: refused: %v\n", door, verr.Fields)
		} else {
			fmt.Printf("%s: %v\n", door, err)
		}
	}

	_, err := accounts.SetPrimaryContact(ctx, acme.ID, acme.Version, hank.ID)
	refused("service", err)

	a := acme
	a.PrimaryContact = hank.Ref()
	_, err = accounts.Table().Update(ctx, a)
	refused("table", err)

	store := accounts.Table().Store()
	_, err = store.Update(ctx, crm.Record{Entity: sales.AccountEntity, Header: crm.Header{ID: acme.ID},
		Fields: crm.Fields{sales.AccountPrimaryContact: hank.Ref()}})
	refused("store", err)

	_, err = store.Update(ctx, crm.Record{Entity: sales.ContactEntity, Header: crm.Header{ID: hank.ID},
		Fields: crm.Fields{sales.ContactParentCustomer: hank.Ref()}})
	refused("store", err)
	// Output:
	// service: refused: [primarycontactid is Hank Scorpio, who is not a contact of this account]
	// table: refused: [primarycontactid is Hank Scorpio, who is not a contact of this account]
	// store: refused: [primarycontactid is Hank Scorpio, who is not a contact of this account]
	// store: refused: [parentcustomerid cannot be the contact itself]
}

// Import accounts in one call, then total revenue by industry in the
// store: the row accessors read each value in its Go type, and the
// industry's label comes from the metadata.
func ExampleAccounts_CreateMany_revenueByIndustry() {
	ctx := crm.AsSystem(context.Background())
	accounts, _ := open()
	_, err := accounts.CreateMany(ctx, []sales.Account{
		{Name: "Fourth Coffee", Industry: sales.IndustryEatingAndDrinking, Revenue: sales.Ptr(crm.MustMoney("120000.00 USD"))},
		{Name: "Wingtip Toys", Industry: sales.IndustryDurableManufacturing, Revenue: sales.Ptr(crm.MustMoney("800000.00 USD"))},
		{Name: "Coho Winery", Industry: sales.IndustryEatingAndDrinking, Revenue: sales.Ptr(crm.MustMoney("30000.50 USD"))},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	store := accounts.Table().Store()
	rows, err := store.Aggregate(ctx, crm.Aggregation{
		Entity:  sales.AccountEntity,
		GroupBy: []crm.GroupBy{{Field: sales.AccountIndustry}},
		Measures: []crm.Measure{
			{Alias: "accounts", Func: crm.AggCount},
			{Alias: "revenue", Func: crm.AggSum, Field: sales.AccountRevenue},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	account, _ := store.Registry().Entity(sales.AccountEntity)
	industry, _ := account.Field(sales.AccountIndustry)
	for _, row := range rows {
		revenue, _ := row.Money("revenue")
		fmt.Printf("%s: %d, %s\n", row.ChoiceLabel(sales.AccountIndustry, industry), row.Int("accounts"), revenue)
	}
	// Output:
	// Durable Manufacturing: 1, 800000.00 USD
	// Eating and Drinking Places: 2, 150000.50 USD
}
