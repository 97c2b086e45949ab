package postgres_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/sqlstore"
	"github.com/crmkit/crmkit/storage/sqlstore/postgres"
)

// Example opens crmkit's tables in a schema of their own on a PostgreSQL
// server (the DSN comes from the environment here) and stores an account.
// It has no Output: it needs a server, which examples/quickstart starts
// against when given a DSN.
func Example() {
	reg := crm.NewRegistry()
	if err := reg.Register(&crm.Entity{Name: "account", PrimaryName: "name", Fields: []crm.Field{
		{Name: "name", Type: crm.TypeText, Required: true},
	}}); err != nil {
		log.Fatal(err)
	}
	ctx := crm.AsSystem(context.Background())
	driver, err := postgres.Open(ctx, os.Getenv("CRMKIT_POSTGRES_DSN"), reg, sqlstore.WithSchema("crm"))
	if err != nil {
		log.Fatal(err)
	}
	defer driver.Close()
	store := storage.New(driver, reg)
	acc, err := store.Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": "Contoso"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(acc.Fields["name"], "is stored in", driver.Dialect())
}
