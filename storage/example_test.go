package storage_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/memory"
)

// A PreOperation hook runs inside the transaction before the write and may
// change the record's fields: here it numbers every new account and tidies
// its name. Whatever it sets is validated again, so a hook cannot store a
// value the metadata would refuse.
func ExampleStore_Hook() {
	reg := crm.NewRegistry()
	err := reg.Register(&crm.Entity{Name: "account", Fields: []crm.Field{
		{Name: "name", Type: crm.TypeText, Required: true, MaxLength: 160},
		{Name: "accountnumber", Type: crm.TypeText, MaxLength: 20, Immutable: true},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	store := memory.Open(reg)

	err = store.Hook("account", storage.OpCreate, storage.PreOperation, func(ctx context.Context, ev *storage.Event) error {
		// Count the accounts in the same transaction, so the number is
		// taken under the write.
		n, err := store.Count(ctx, crm.Query{Entity: "account"})
		if err != nil {
			return err
		}
		ev.Target.Fields["accountnumber"] = fmt.Sprintf("ACC-%04d", n+1)
		ev.Target.Fields["name"] = strings.TrimSpace(ev.Target.Fields.String("name"))
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	ctx := crm.AsSystem(context.Background())
	for _, name := range []string{"  Contoso ", "Fabrikam"} {
		rec, err := store.Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": name}})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s %q\n", rec.Fields["accountnumber"], rec.Fields["name"])
	}

	// A hook that sets a value the metadata refuses fails the create.
	err = store.Hook("account", storage.OpCreate, storage.PreOperation, func(ctx context.Context, ev *storage.Event) error {
		ev.Target.Fields["accountnumber"] = "a number much too long for the field"
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = store.Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": "Northwind"}})
	fmt.Println(errors.Is(err, crm.ErrValidation))
	fmt.Println(err)
	// Output:
	// ACC-0001 "Contoso"
	// ACC-0002 "Fabrikam"
	// true
	// create account: after pre-operation hooks: validation failed: invalid account: accountnumber is 36 characters, longer than the maximum 20
}
