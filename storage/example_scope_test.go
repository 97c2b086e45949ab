package storage_test

import (
	"context"
	"errors"
	"fmt"
	"time"
	_ "time/tzdata" // zone rules that do not depend on the host

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/memory"
)

// A Scope says who acts and where. The same "this month" query selects
// different records for a caller in Auckland and one in Los Angeles on the
// last evening of March (UTC): it is already April in Auckland. A write
// must name its caller; the creating scope's business unit becomes the
// record's owning business unit.
func ExampleWithScope() {
	reg := crm.NewRegistry()
	err := reg.Register(&crm.Entity{Name: "phonecall", Fields: []crm.Field{
		{Name: "subject", Type: crm.TypeText, Required: true, MaxLength: 200},
		{Name: "actualend", Type: crm.TypeTime},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	clock := crm.NewManualClock(time.Date(2026, 3, 31, 20, 0, 0, 0, time.UTC))
	store := memory.Open(reg, storage.WithClock(clock))

	auckland, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		fmt.Println(err)
		return
	}
	losAngeles, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		fmt.Println(err)
		return
	}
	sydneyOffice := crm.NewID() // a business unit
	maria := crm.Scope{Caller: crm.NewID(), BusinessUnit: sydneyOffice, Location: auckland}
	james := crm.Scope{Caller: crm.NewID(), Location: losAngeles}

	// A write that names no one is refused.
	_, err = store.Create(context.Background(), crm.Record{Entity: "phonecall", Fields: crm.Fields{"subject": "Who am I?"}})
	fmt.Println("no caller:", errors.Is(err, crm.ErrNoCaller))

	ctx := crm.WithScope(context.Background(), maria)
	for _, call := range []struct {
		subject string
		end     time.Time
	}{
		{"Renewal", time.Date(2026, 3, 31, 2, 0, 0, 0, time.UTC)},    // 31 March in both zones
		{"Follow-up", time.Date(2026, 3, 31, 18, 0, 0, 0, time.UTC)}, // 1 April in Auckland
	} {
		rec, err := store.Create(ctx, crm.Record{Entity: "phonecall", Fields: crm.Fields{"subject": call.subject, "actualend": call.end}})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(rec.Fields["subject"], "owned by the caller's unit:", rec.BusinessUnit == sydneyOffice)
	}

	thisMonth := crm.Query{Entity: "phonecall", Where: crm.Where("actualend", crm.OpThisMonth), OrderBy: []crm.Order{crm.Asc("actualend")}}
	for _, who := range []struct {
		name  string
		scope crm.Scope
	}{{"Maria (Auckland)", maria}, {"James (Los Angeles)", james}} {
		page, err := store.Query(crm.WithScope(context.Background(), who.scope), thisMonth)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Print(who.name, ", this month:")
		for _, rec := range page.Records {
			fmt.Print(" ", rec.Fields["subject"])
		}
		fmt.Println()
	}
	// Output:
	// no caller: true
	// Renewal owned by the caller's unit: true
	// Follow-up owned by the caller's unit: true
	// Maria (Auckland), this month: Follow-up
	// James (Los Angeles), this month: Renewal Follow-up
}
