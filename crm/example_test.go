package crm_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
)

// Declare an entity once, register it, and let its metadata validate input:
// every bad field is reported in one error.
func ExampleEntity_CheckCreate() {
	reg := crm.NewRegistry()
	err := reg.Register(&crm.Entity{
		Name:        "contact",
		PrimaryName: "lastname",
		Fields: []crm.Field{
			{Name: "firstname", Type: crm.TypeText, MaxLength: 50},
			{Name: "lastname", Type: crm.TypeText, MaxLength: 50, Required: true},
			{Name: "birthdate", Type: crm.TypeTime, DateOnly: true},
			{Name: "creditlimit", Type: crm.TypeMoney},
			{Name: "preferredcontactmethod", Type: crm.TypeChoice, Options: []crm.Option{
				{Value: 1, Label: "Any"}, {Value: 2, Label: "Email"}, {Value: 3, Label: "Phone"},
			}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	contact, _ := reg.Entity("contact")

	_, err = contact.CheckCreate(crm.Fields{
		"firstname":              "Nancy",
		"creditlimit":            crm.MustMoney("1000.005 USD"),
		"preferredcontactmethod": 7,
	})
	var verr *crm.ValidationError
	if errors.As(err, &verr) {
		for _, f := range verr.Fields {
			fmt.Println(f)
		}
	}

	fields, err := contact.CheckCreate(crm.Fields{
		"firstname":   "Nancy",
		"lastname":    "Davolio",
		"birthdate":   time.Date(1968, 12, 8, 15, 30, 0, 0, time.UTC),
		"creditlimit": crm.MustMoney("1000 USD"),
	})
	fmt.Println(err, fields["birthdate"], fields["creditlimit"])
	// Output:
	// creditlimit has 3 decimal places, more than USD's 2
	// preferredcontactmethod value 7 is not one of its options
	// lastname is required
	// <nil> 1968-12-08 00:00:00 +0000 UTC 1000.00 USD
}

// Money is exact and keeps its currency; it is rounded only when asked,
// half away from zero, to the currency's precision.
func ExampleMoney() {
	price := crm.MustMoney("19.99 USD")
	subtotal := price.Mul(decimal.NewFromInt(3)) // 59.97
	discount := subtotal.Mul(decimal.RequireFromString("0.075"))
	fmt.Println("discount:", discount.Amount, "->", discount.Round())

	total, _ := subtotal.Sub(discount.Round())
	fmt.Println("total:", total)

	_, err := total.Add(crm.MustMoney("5 EUR"))
	fmt.Println(errors.Is(err, crm.ErrCurrencyMismatch), err)

	fmt.Println(crm.MustMoney("2.345 USD").Round(), crm.MustMoney("-2.345 USD").Round(), crm.MustMoney("2.5 JPY").Round())
	// Output:
	// discount: 4.49775 -> 4.50 USD
	// total: 55.47 USD
	// true add USD and EUR: currency mismatch
	// 2.35 USD -2.35 USD 3 JPY
}

// A lifecycle refuses events its table does not allow from the record's
// state, with an error that says what was refused.
func ExampleLifecycle_Fire() {
	const (
		open, won, lost = crm.StateCode(0), crm.StateCode(1), crm.StateCode(2)
	)
	opportunity := &crm.Lifecycle{
		Initial: open,
		States: []crm.State{
			{Code: open, Name: "Open", DefaultStatus: 1},
			{Code: won, Name: "Won", DefaultStatus: 3, ReadOnly: true},
			{Code: lost, Name: "Lost", DefaultStatus: 4, ReadOnly: true},
		},
		Statuses: []crm.Status{
			{Code: 1, Name: "In Progress", State: open},
			{Code: 3, Name: "Won", State: won},
			{Code: 4, Name: "Canceled", State: lost},
		},
		Transitions: []crm.Transition{
			{Event: "win", From: []crm.StateCode{open}, To: won},
			{Event: "lose", From: []crm.StateCode{open}, To: lost},
			{Event: "reopen", From: []crm.StateCode{won, lost}, To: open},
		},
	}
	reg := crm.NewRegistry()
	if err := reg.Register(&crm.Entity{Name: "opportunity", Lifecycle: opportunity}); err != nil {
		fmt.Println(err)
		return
	}
	e, _ := reg.Entity("opportunity")
	lc := e.Lifecycle

	state, _ := lc.Fire("opportunity", open, "win")
	fmt.Println("won:", lc.StateName(state), "events now:", lc.Events(state))

	_, err := lc.Fire("opportunity", state, "lose")
	fmt.Println(errors.Is(err, crm.ErrInvalidTransition))
	fmt.Println(err)
	// Output:
	// won: Won events now: [reopen]
	// true
	// invalid transition: opportunity in state "Won" cannot "lose"
}
