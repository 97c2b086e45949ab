package storage_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/memory"
)

// A saved view is a query kept as JSON: marshal it where it is saved,
// unmarshal and check it where it is loaded, then run it. The JSON names
// operators and keeps each value's type (money stays money); CheckQuery
// holds it to the metadata of the store that will run it, so a view that
// names a field the entity no longer has is refused with the field's name
// before anything is read.
func ExampleStore_CheckQuery() {
	reg := crm.NewRegistry()
	err := reg.Register(
		&crm.Entity{Name: "account", Fields: []crm.Field{
			{Name: "name", Type: crm.TypeText, Required: true},
			{Name: "revenue", Type: crm.TypeMoney},
		}},
		&crm.Entity{Name: "contact", Fields: []crm.Field{
			{Name: "lastname", Type: crm.TypeText, Required: true},
			{Name: "parentcustomerid", Type: crm.TypeLookup, Targets: []string{"account"}},
		}},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	store := memory.Open(reg)
	ctx := crm.AsSystem(context.Background())
	for name, revenue := range map[string]string{"Contoso": "2500000 USD", "Fabrikam": "90000 USD"} {
		acc, err := store.Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": name, "revenue": crm.MustMoney(revenue)}})
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, last := range []string{"Davolio", "Fuller"} {
			_, err := store.Create(ctx, crm.Record{Entity: "contact", Fields: crm.Fields{
				"lastname": last + " (" + name + ")", "parentcustomerid": crm.Ref{Entity: "account", ID: acc.ID}}})
			if err != nil {
				fmt.Println(err)
				return
			}
		}
	}

	// Save: "my D contacts at large accounts".
	view := crm.Query{
		Entity: "contact",
		Where: crm.And(
			crm.Like("lastname", "D%"),
			crm.Through("parentcustomerid", "account", crm.Ge("revenue", crm.MustMoney("1000000.00 USD"))),
		),
		OrderBy: []crm.Order{crm.Asc("lastname")},
		Limit:   50,
	}
	saved, err := json.Marshal(view)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(saved))

	// Load, check, run.
	var loaded crm.Query
	if err := json.Unmarshal(saved, &loaded); err != nil {
		fmt.Println(err)
		return
	}
	if err := store.CheckQuery(ctx, loaded); err != nil {
		fmt.Println(err)
		return
	}
	page, err := store.Query(ctx, loaded)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, rec := range page.Records {
		fmt.Println(rec.Fields["lastname"])
	}

	// A view that names a field the entity does not have.
	if err := json.Unmarshal([]byte(`{"entity":"contact","where":{"field":"lastnme","op":"eq","values":["Davolio"]}}`), &loaded); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(store.CheckQuery(ctx, loaded))
	// Output:
	// {"entity":"contact","where":{"and":[{"field":"lastname","op":"like","values":["D%"]},{"through":"parentcustomerid","entity":"account","where":{"field":"revenue","op":"ge","values":[{"money":"1000000.00 USD"}]}}]},"orderBy":[{"field":"lastname"}],"limit":50}
	// Davolio (Contoso)
	// check query contact: query: validation failed: invalid contact: lastnme is not a field of contact
}
