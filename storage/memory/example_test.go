package memory_test

import (
	"context"
	"fmt"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/memory"
)

// The shortest path to a working store: describe an entity, open an
// in-memory store, create records and query them.
func Example() {
	reg := crm.NewRegistry()
	err := reg.Register(&crm.Entity{
		Name:        "contact",
		PrimaryName: "lastname",
		Fields: []crm.Field{
			{Name: "lastname", Type: crm.TypeText, Required: true},
			{Name: "city", Type: crm.TypeText},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	store := memory.Open(reg)
	ctx := crm.AsSystem(context.Background())

	for _, c := range [][2]string{{"Lovelace", "London"}, {"Curie", "Paris"}, {"Babbage", "London"}} {
		_, err := store.Create(ctx, crm.Record{Entity: "contact", Fields: crm.Fields{"lastname": c[0], "city": c[1]}})
		if err != nil {
			fmt.Println(err)
			return
		}
	}

	page, err := store.Query(ctx, crm.Query{
		Entity:  "contact",
		Where:   crm.Eq("city", "london"), // text compares ignoring case
		OrderBy: []crm.Order{crm.Asc("lastname")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, rec := range page.Records {
		fmt.Println(rec.Fields.String("lastname"), rec.Version)
	}
	// Output:
	// Babbage 1
	// Lovelace 1
}
