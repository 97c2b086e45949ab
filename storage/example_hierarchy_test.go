package storage_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/memory"
)

// An account and all its sub-accounts, at any depth: eq-or-under on the
// account's ID, along the hierarchical parent account lookup. The same
// query pages, counts and aggregates alike on every store; on SQL it is
// one statement with a recursive common table expression. Caller
// conditions read the scope: "my accounts" is eq-userid on the owner.
func ExampleStore_Iterate_hierarchy() {
	reg := crm.NewRegistry()
	err := reg.Register(&crm.Entity{Name: "account", PrimaryName: "name", Fields: []crm.Field{
		{Name: "name", Type: crm.TypeText, Required: true},
		{Name: "parentaccountid", Type: crm.TypeLookup, Targets: []string{"account"}, Hierarchical: true},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	store := memory.Open(reg)
	ctx := crm.AsSystem(context.Background())
	ids := map[string]crm.ID{}
	for _, a := range [][2]string{
		{"Contoso", ""}, {"Contoso Europe", "Contoso"}, {"Contoso France", "Contoso Europe"},
		{"Contoso Asia", "Contoso"}, {"Fabrikam", ""}, {"Fabrikam Lab", "Fabrikam"},
	} {
		fields := crm.Fields{"name": a[0]}
		if a[1] != "" {
			fields["parentaccountid"] = ids[a[1]]
		}
		rec, err := store.Create(ctx, crm.Record{Entity: "account", Fields: fields})
		if err != nil {
			fmt.Println(err)
			return
		}
		ids[a[0]] = rec.ID
	}

	show := func(title string, ctx context.Context, where crm.Filter) {
		fmt.Print(title, ":")
		for rec, err := range store.Iterate(ctx, crm.Query{Entity: "account", Where: where, OrderBy: []crm.Order{crm.Asc("name")}}) {
			if err != nil {
				fmt.Println(" refused:", errors.Is(err, crm.ErrValidation), err)
				return
			}
			fmt.Print(" ", rec.Fields.String("name"), ";")
		}
		fmt.Println()
	}
	show("Contoso and its sub-accounts", ctx, crm.EqOrUnder(ids["Contoso"]))
	show("above Contoso France", ctx, crm.Above(ids["Contoso France"]))
	show("not under Contoso", ctx, crm.NotUnder(ids["Contoso"]))

	// Moving Fabrikam under Contoso Asia brings its lab along.
	if _, err := store.Update(ctx, crm.Record{Entity: "account", Header: crm.Header{ID: ids["Fabrikam"]},
		Fields: crm.Fields{"parentaccountid": ids["Contoso Asia"]}}); err != nil {
		fmt.Println(err)
		return
	}
	show("under Contoso Asia", ctx, crm.Under(ids["Contoso Asia"]))

	// Everything here was created as the system user.
	show("mine, as the system user", ctx, crm.And(crm.Where(crm.FieldOwner, crm.OpEqUserID), crm.Under(ids["Contoso Europe"])))
	show("mine, read with no caller", context.Background(), crm.Where(crm.FieldOwner, crm.OpEqUserID))
	// Output:
	// Contoso and its sub-accounts: Contoso; Contoso Asia; Contoso Europe; Contoso France;
	// above Contoso France: Contoso; Contoso Europe;
	// not under Contoso: Contoso; Fabrikam; Fabrikam Lab;
	// under Contoso Asia: Fabrikam; Fabrikam Lab;
	// mine, as the system user: Contoso France;
	// mine, read with no caller: refused: true iterate account: query: validation failed: invalid account: ownerid eq-userid: needs a caller: the query is read in a scope naming none (crm.WithScope, crm.WithCaller)
}
