package sqlite_test

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

// Example opens a SQLite database file, stores accounts in it and reads
// them back sorted, then sums their revenue in the database.
func Example() {
	dir, err := os.MkdirTemp("", "crmkit-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	reg := crm.NewRegistry()
	err = reg.Register(&crm.Entity{Name: "account", PrimaryName: "name", Fields: []crm.Field{
		{Name: "name", Type: crm.TypeText, Required: true},
		{Name: "revenue", Type: crm.TypeMoney},
	}})
	if err != nil {
		log.Fatal(err)
	}

	ctx := crm.AsSystem(context.Background())
	driver, err := sqlite.Open(ctx, filepath.Join(dir, "crm.db"), reg)
	if err != nil {
		log.Fatal(err)
	}
	defer driver.Close()
	store := storage.New(driver, reg)

	for _, a := range []crm.Fields{
		{"name": "Contoso", "revenue": crm.MustMoney("1200.50 EUR")},
		{"name": "adventure works", "revenue": crm.MustMoney("99.99 EUR")},
		{"name": "Fabrikam"},
	} {
		if _, err := store.Create(ctx, crm.Record{Entity: "account", Fields: a}); err != nil {
			log.Fatal(err)
		}
	}

	page, err := store.Query(ctx, crm.Query{Entity: "account", OrderBy: []crm.Order{crm.Asc("name")}})
	if err != nil {
		log.Fatal(err)
	}
	for _, rec := range page.Records {
		fmt.Println(rec.Fields["name"])
	}

	rows, err := store.Aggregate(ctx, crm.Aggregation{Entity: "account",
		Measures: []crm.Measure{{Alias: "total", Func: crm.AggSum, Field: "revenue"}}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("total revenue:", rows[0]["total"])
	fmt.Println("schema version:", driver.SchemaVersion())
	// Output:
	// adventure works
	// Contoso
	// Fabrikam
	// total revenue: 1300.49 EUR
	// schema version: 1
}
