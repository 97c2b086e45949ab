package storage_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/memory"
)

// Migrating from another CRM: accounts are imported with the number the
// old system knew them by as an alternate key, in the state and with the
// creation date they had there. Running the import again, as a migration
// run twice does, creates nothing twice; the key also finds an account
// later, and refuses a second account with the same number in any case.
func ExampleStore_Import() {
	reg := crm.NewRegistry()
	err := reg.Register(&crm.Entity{Name: "account", PrimaryName: "name",
		Fields: []crm.Field{
			{Name: "name", Type: crm.TypeText, Required: true, MaxLength: 160},
			{Name: "accountnumber", Type: crm.TypeText, MaxLength: 20},
		},
		Keys: []crm.Key{{Name: "accountnumber", Fields: []string{"accountnumber"}}},
		Lifecycle: &crm.Lifecycle{
			Initial:     0,
			States:      []crm.State{{Code: 0, Name: "Active", DefaultStatus: 1}, {Code: 1, Name: "Inactive", DefaultStatus: 2}},
			Statuses:    []crm.Status{{Code: 1, Name: "Active", State: 0}, {Code: 2, Name: "Inactive", State: 1}},
			Transitions: []crm.Transition{{Event: "deactivate", From: []crm.StateCode{0}, To: 1}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	clock := crm.NewManualClock(time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC))
	store := memory.Open(reg, storage.WithClock(clock))
	ctx := crm.AsSystem(context.Background())

	legacy := []crm.Record{
		{Entity: "account", Header: crm.Header{CreatedOn: time.Date(2011, 4, 1, 9, 0, 0, 0, time.UTC)},
			Fields: crm.Fields{"name": "Contoso", "accountnumber": "C-1001"}},
		{Entity: "account", Header: crm.Header{State: 1, CreatedOn: time.Date(2013, 9, 30, 17, 0, 0, 0, time.UTC)},
			Fields: crm.Fields{"name": "Fabrikam", "accountnumber": "F-2002"}},
	}
	for run := 1; run <= 2; run++ {
		out, err := store.Import(ctx, legacy, storage.ImportOptions{Key: "accountnumber"})
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, o := range out {
			r := o.Record
			fmt.Printf("run %d: %s created=%t state=%d createdon=%s imported=%s version=%d\n", run, r.Fields["name"], o.Created,
				r.State, r.CreatedOn.Format(time.DateOnly), r.OverriddenCreatedOn.Format(time.DateOnly), r.Version)
		}
		clock.Advance(24 * time.Hour)
	}

	acc, err := store.GetByKey(ctx, "account", "accountnumber", "f-2002")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("found by key:", acc.Fields["name"])

	_, err = store.Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": "Contoso again", "accountnumber": "c-1001"}})
	var dup *crm.DuplicateKeyError
	fmt.Println(errors.Is(err, crm.ErrDuplicate), errors.As(err, &dup) && dup.Key == "accountnumber")
	// Output:
	// run 1: Contoso created=true state=0 createdon=2011-04-01 imported=2026-03-15 version=1
	// run 1: Fabrikam created=true state=1 createdon=2013-09-30 imported=2026-03-15 version=1
	// run 2: Contoso created=false state=0 createdon=2011-04-01 imported=2026-03-15 version=1
	// run 2: Fabrikam created=false state=1 createdon=2013-09-30 imported=2026-03-15 version=1
	// found by key: Fabrikam
	// true true
}

// A computed field added to a store that holds records already is empty
// on them until Recompute brings them up to date: in batches, each one
// transaction, resumable from the ID it reports.
func ExampleStore_Recompute() {
	reg := crm.NewRegistry()
	err := reg.Register(&crm.Entity{Name: "contact", Fields: []crm.Field{
		{Name: "firstname", Type: crm.TypeText, MaxLength: 50},
		{Name: "lastname", Type: crm.TypeText, MaxLength: 50, Required: true},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	store := memory.Open(reg)
	ctx := crm.AsSystem(context.Background())
	for _, name := range [][2]string{{"Ann", "Lee"}, {"Bob", "Ray"}, {"Cy", "Kim"}} {
		if _, err := store.Create(ctx, crm.Record{Entity: "contact", Fields: crm.Fields{"firstname": name[0], "lastname": name[1]}}); err != nil {
			fmt.Println(err)
			return
		}
	}
	initials := func(f crm.Fields) any {
		first, last := f.String("firstname"), f.String("lastname")
		if first == "" || last == "" {
			return nil
		}
		return first[:1] + last[:1]
	}
	if err := store.AddFields(ctx, "contact", crm.Field{Name: "initials", Type: crm.TypeText, MaxLength: 2, Compute: initials}); err != nil {
		fmt.Println(err)
		return
	}

	res, err := store.Recompute(ctx, "contact", storage.RecomputeOptions{BatchSize: 2})
	if err != nil {
		// res.Last is where a second call, with After: res.Last, goes on.
		fmt.Println(err)
		return
	}
	fmt.Printf("scanned %d, changed %d\n", res.Scanned, res.Changed)
	for rec, err := range store.Iterate(ctx, crm.Query{Entity: "contact", OrderBy: []crm.Order{crm.Asc("lastname")}}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(rec.Fields["lastname"], rec.Fields["initials"], "version", rec.Version)
	}
	// Output:
	// scanned 3, changed 3
	// Kim CK version 2
	// Lee AL version 2
	// Ray BR version 2
}
