package sqlstore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/sqlstore/sqlite"
)

// Example_addFields adds a field to the contacts of a running store: the
// table gains its column online and the field is writable at once. A
// process that opens the database later, with a registry that lacks the
// field, learns it from the metadata the database keeps.
func Example_addFields() {
	dir, err := os.MkdirTemp("", "crmkit-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "crm.db")
	declare := func() *crm.Registry {
		reg := crm.NewRegistry()
		if err := reg.Register(&crm.Entity{Name: "contact", PrimaryName: "lastname", Fields: []crm.Field{
			{Name: "lastname", Type: crm.TypeText, Required: true},
		}}); err != nil {
			log.Fatal(err)
		}
		return reg
	}

	ctx := crm.AsSystem(context.Background())
	reg := declare()
	driver, err := sqlite.Open(ctx, path, reg)
	if err != nil {
		log.Fatal(err)
	}
	store := storage.New(driver, reg)
	if _, err := store.Create(ctx, crm.Record{Entity: "contact", Fields: crm.Fields{"lastname": "Lovelace"}}); err != nil {
		log.Fatal(err)
	}
	// Writers may keep writing meanwhile: none of their writes is lost.
	err = store.AddFields(ctx, "contact", crm.Field{Name: "new_loyaltypoints", Label: "Loyalty Points", Type: crm.TypeInteger})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := store.Create(ctx, crm.Record{Entity: "contact", Fields: crm.Fields{"lastname": "Hopper", "new_loyaltypoints": int64(800)}}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("schema version", driver.SchemaVersion())
	driver.Close()

	plain := declare() // without the custom field
	driver, err = sqlite.Open(ctx, path, plain)
	if err != nil {
		log.Fatal(err)
	}
	defer driver.Close()
	page, err := storage.New(driver, plain).Query(ctx, crm.Query{Entity: "contact", OrderBy: []crm.Order{crm.Asc("new_loyaltypoints")}})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range page.Records {
		fmt.Println(c.Fields["lastname"], c.Fields["new_loyaltypoints"])
	}
	// Output:
	// schema version 2
	// Lovelace <nil>
	// Hopper 800
}
