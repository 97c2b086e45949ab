package storage_test

import (
	"context"
	"fmt"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/memory"
)

// Conditions can look down a relationship as well as up it: crm.Any and
// crm.None hold when some, or no, record pointing at the queried one
// matches. Here: accounts with a won opportunity, accounts without one,
// and, through an N:N relationship of opportunities and competitors, the
// accounts that met a given competitor, and that competitor's
// opportunities.
func ExampleStore_Associate() {
	reg := crm.NewRegistry()
	err := reg.Register(
		&crm.Entity{Name: "account", PrimaryName: "name", Fields: []crm.Field{
			{Name: "name", Type: crm.TypeText, Required: true},
		}},
		&crm.Entity{Name: "opportunity", PrimaryName: "name", Fields: []crm.Field{
			{Name: "name", Type: crm.TypeText, Required: true},
			{Name: "won", Type: crm.TypeBool},
			{Name: "customerid", Type: crm.TypeLookup, Targets: []string{"account"}, Required: true, OnDelete: crm.DeleteCascade},
		}},
		&crm.Entity{Name: "competitor", PrimaryName: "name", Fields: []crm.Field{
			{Name: "name", Type: crm.TypeText, Required: true},
		}},
	)
	if err == nil {
		// The intersect entity "opportunitycompetitors" holds one record
		// per associated pair: lookups opportunityid and competitorid.
		err = reg.RegisterManyToMany(crm.ManyToMany{Name: "opportunitycompetitors", Entity1: "opportunity", Entity2: "competitor"})
	}
	if err == nil {
		err = reg.Complete()
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	store := memory.Open(reg)
	ctx := crm.AsSystem(context.Background())
	create := func(entity string, fields crm.Fields) crm.Ref {
		rec, err := store.Create(ctx, crm.Record{Entity: entity, Fields: fields})
		if err != nil {
			panic(err)
		}
		return rec.Ref()
	}
	contoso := create("account", crm.Fields{"name": "Contoso"})
	fabrikam := create("account", crm.Fields{"name": "Fabrikam"})
	create("account", crm.Fields{"name": "Northwind"})
	deal := create("opportunity", crm.Fields{"name": "Contoso renewal", "won": true, "customerid": contoso})
	pitch := create("opportunity", crm.Fields{"name": "Fabrikam pilot", "won": false, "customerid": fabrikam})
	rival := create("competitor", crm.Fields{"name": "Rival Inc"})

	for _, opp := range []crm.Ref{deal, pitch} {
		if err := store.Associate(ctx, "opportunitycompetitors", opp, rival); err != nil {
			fmt.Println(err)
			return
		}
	}
	// A pair is associated once.
	fmt.Println(store.Associate(ctx, "opportunitycompetitors", rival, deal) != nil)

	show := func(title string, where crm.Filter) {
		page, err := store.Query(ctx, crm.Query{Entity: "account", Where: where, OrderBy: []crm.Order{crm.Asc("name")}})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Print(title, ":")
		for _, r := range page.Records {
			fmt.Print(" ", r.Fields["name"])
		}
		fmt.Println()
	}
	show("with a won opportunity", crm.Any("opportunity", "customerid", crm.Eq("won", true)))
	show("without a won opportunity", crm.None("opportunity", "customerid", crm.Eq("won", true)))

	m, err := reg.ManyToMany("opportunitycompetitors")
	if err != nil {
		fmt.Println(err)
		return
	}
	show("met Rival Inc", crm.Any("opportunity", "customerid", m.Any("opportunity", crm.Eq("name", "rival inc"))))

	page, err := store.Associated(ctx, "opportunitycompetitors", rival, crm.Query{OrderBy: []crm.Order{crm.Asc("name")}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range page.Records {
		fmt.Println("Rival Inc competes for", r.Fields["name"])
	}
	// Output:
	// true
	// with a won opportunity: Contoso
	// without a won opportunity: Fabrikam Northwind
	// met Rival Inc: Contoso Fabrikam
	// Rival Inc competes for Contoso renewal
	// Rival Inc competes for Fabrikam pilot
}
