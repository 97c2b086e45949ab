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

// opportunityRegistry declares a small opportunity: open, won (read-only)
// or lost, with the fields winning sets.
func opportunityRegistry() *crm.Registry {
	reg := crm.NewRegistry()
	err := reg.Register(&crm.Entity{
		Name: "opportunity",
		Fields: []crm.Field{
			{Name: "name", Type: crm.TypeText, Required: true},
			{Name: "actualvalue", Type: crm.TypeMoney},
			{Name: "actualclosedate", Type: crm.TypeTime, DateOnly: true},
		},
		Lifecycle: &crm.Lifecycle{
			Initial: 0,
			States: []crm.State{
				{Code: 0, Name: "Open", DefaultStatus: 1},
				{Code: 1, Name: "Won", DefaultStatus: 3, ReadOnly: true},
				{Code: 2, Name: "Lost", DefaultStatus: 4, ReadOnly: true},
			},
			Statuses: []crm.Status{
				{Code: 1, Name: "In Progress", State: 0},
				{Code: 3, Name: "Won", State: 1},
				{Code: 4, Name: "Canceled", State: 2},
			},
			Transitions: []crm.Transition{
				{Event: "win", From: []crm.StateCode{0}, To: 1},
				{Event: "lose", From: []crm.StateCode{0}, To: 2},
			},
		},
	})
	if err != nil {
		panic(err)
	}
	return reg
}

// A domain operation is a named message run by Execute: one transaction,
// hooks registered for it by name, and every write inside it tagged with
// its name. Winning an opportunity closes it and sets its actual value and
// close date in the same write (ChangeState): one version.
func ExampleStore_Execute() {
	clock := crm.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	store := memory.Open(opportunityRegistry(), storage.WithClock(clock))
	ctx := crm.AsSystem(context.Background())

	// A host's plug-in on the message: deals over a million need a
	// second signature, and it says so before anything is written.
	_ = store.HookMessage("WinOpportunity", storage.PreValidation, func(_ context.Context, x *storage.Execution) error {
		if v := x.Inputs["actualvalue"].(crm.Money); v.Amount.IntPart() > 1_000_000 && x.Inputs["approvedby"] == nil {
			return errors.New("a deal over a million needs approval")
		}
		return nil
	})
	// Another watches what the operation wrote, by name.
	_ = store.HookMessage("WinOpportunity", storage.PostOperation, func(_ context.Context, x *storage.Execution) error {
		for _, w := range x.Writes() {
			fmt.Printf("won: %s %s -> state %d, version %d\n", w.Entity.Name, w.Target.Fields.String("name"), w.Target.State, w.Target.Version)
		}
		return nil
	})
	// An entity hook tells a win from a plain update by the message.
	_ = store.Hook("opportunity", storage.OpSetState, storage.PostOperation, func(_ context.Context, ev *storage.Event) error {
		fmt.Printf("opportunity %s by message %q\n", ev.Transition, ev.Message)
		return nil
	})

	win := func(id crm.ID, inputs map[string]any) error {
		return store.Execute(ctx, "WinOpportunity", inputs, func(ctx context.Context, x *storage.Execution) error {
			rec, err := store.ChangeState(ctx, crm.Ref{Entity: "opportunity", ID: id}, storage.StateChange{
				Event:  "win",
				Fields: crm.Fields{"actualvalue": x.Inputs["actualvalue"], "actualclosedate": store.Now(ctx)},
			})
			x.Outputs["version"] = rec.Version
			return err
		})
	}

	deal, err := store.Create(ctx, crm.Record{Entity: "opportunity", Fields: crm.Fields{"name": "500 laptops"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(win(deal.ID, map[string]any{"actualvalue": crm.MustMoney("2500000.00 USD")}))
	fmt.Println(win(deal.ID, map[string]any{"actualvalue": crm.MustMoney("2500000.00 USD"), "approvedby": "CFO"}))

	// Won is read-only: a plain update is refused.
	_, err = store.Update(ctx, crm.Record{Entity: "opportunity", Header: crm.Header{ID: deal.ID}, Fields: crm.Fields{"name": "600 laptops"}})
	fmt.Println(errors.Is(err, crm.ErrInvalidTransition))
	// Output:
	// WinOpportunity: pre-validation hook on WinOpportunity: a deal over a million needs approval
	// opportunity win by message "WinOpportunity"
	// won: opportunity 500 laptops -> state 1, version 2
	// <nil>
	// true
}

// A module declares its rules with its entities: here a contact may not
// join an account on credit hold. The rule reads the account through
// w.Records, which locks it until the write commits, and every store on
// the registry enforces it, whichever door the write comes through.
func Example_rules() {
	reg := crm.NewRegistry()
	err := reg.Register(
		&crm.Entity{Name: "account", Fields: []crm.Field{
			{Name: "name", Type: crm.TypeText, Required: true},
			{Name: "creditonhold", Type: crm.TypeBool},
		}},
		&crm.Entity{Name: "contact", Fields: []crm.Field{
			{Name: "lastname", Type: crm.TypeText, Required: true},
			{Name: "parentcustomerid", Type: crm.TypeLookup, Targets: []string{"account"}},
		}, Rules: []crm.Rule{{
			Name:   "no contacts join an account on credit hold",
			Fields: []string{"parentcustomerid"},
			Check: func(ctx context.Context, w crm.Write) error {
				parent := w.Target.Fields.Ref("parentcustomerid")
				if parent.IsZero() {
					return nil
				}
				acc, err := w.Records.Lock(ctx, "account", parent.ID)
				if err != nil {
					return err
				}
				if acc.Fields.Bool("creditonhold") {
					return crm.Invalid("contact", "parentcustomerid", "is on credit hold")
				}
				return nil
			},
		}}},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	store := memory.Open(reg)
	ctx := crm.AsSystem(context.Background())

	held, _ := store.Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": "Globex", "creditonhold": true}})
	_, err = store.Create(ctx, crm.Record{Entity: "contact", Fields: crm.Fields{"lastname": "Scorpio", "parentcustomerid": held.Ref()}})
	fmt.Println(err)
	_, err = store.CreateMany(ctx, []crm.Record{{Entity: "contact", Fields: crm.Fields{"lastname": "Scorpio", "parentcustomerid": held.Ref()}}})
	var verr *crm.ValidationError
	fmt.Println(errors.As(err, &verr), verr.Has("parentcustomerid"))
	// Output:
	// create contact: validation failed: invalid contact: parentcustomerid is on credit hold
	// true true
}
