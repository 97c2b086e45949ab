package sales_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/memory"
)

// openLeads returns the lead and account services over a new in-memory
// store whose clock stands still.
func openLeads() (*storage.Store, *sales.Leads, *sales.Accounts) {
	reg := crm.NewRegistry()
	if err := sales.Register(reg); err != nil {
		panic(err)
	}
	clock := crm.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	st := memory.Open(reg, storage.WithClock(clock))
	return st, sales.NewLeads(st), sales.NewAccounts(st)
}

// Qualify a lead into an account, a contact and an opportunity. The
// company exists already: the first attempt reports it as a duplicate,
// and the second links the lead to it.
func ExampleLeads_Qualify() {
	ctx := crm.AsSystem(context.Background())
	st, leads, accounts := openLeads()
	if _, err := accounts.Create(ctx, sales.Account{Name: "Fourth Coffee"}); err != nil {
		fmt.Println(err)
		return
	}
	lead, err := leads.Create(ctx, sales.Lead{
		Subject:         "50 espresso machines",
		FirstName:       "Yvonne",
		LastName:        "McKay",
		CompanyName:     "fourth coffee",
		Email:           "yvonne@fourthcoffee.example",
		EstimatedAmount: sales.Ptr(crm.MustMoney("125000.00 USD")),
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	opts := sales.QualifyOptions{CreateAccount: true, CreateContact: true, CreateOpportunity: true}
	_, err = leads.Qualify(ctx, lead.ID, lead.Version, opts)
	var dup *sales.DuplicateError
	if !errors.As(err, &dup) {
		fmt.Println("expected a duplicate:", err)
		return
	}
	fmt.Println("duplicate:", errors.Is(err, crm.ErrDuplicate), len(dup.Accounts), "account")

	opts.ExistingAccount = dup.Accounts[0] // link to the match
	res, err := leads.Qualify(ctx, lead.ID, lead.Version, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	names, err := st.Names(ctx, res.Account, res.Contact, res.Opportunity)
	if err != nil {
		fmt.Println(err)
		return
	}
	opp, err := st.Get(ctx, sales.OpportunityEntity, res.Opportunity.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("account:", names[res.Account])
	fmt.Println("contact:", names[res.Contact])
	fmt.Println("opportunity:", names[res.Opportunity], opp.Fields[sales.OpportunityEstimatedValue])
	fmt.Println("created:", len(res.Created))
	fmt.Println("lead:", res.Lead.LeadState(), res.Lead.QualifyingOpportunity == res.Opportunity)
	// Output:
	// duplicate: true 1 account
	// account: Fourth Coffee
	// contact: Yvonne McKay
	// opportunity: 50 espresso machines 125000.00 USD
	// created: 2
	// lead: Qualified true
}

// Disqualify a lead that went cold, and reactivate it when it comes back.
// A qualified or disqualified lead is read-only until reactivated.
func ExampleLeads_Disqualify() {
	ctx := crm.AsSystem(context.Background())
	_, leads, _ := openLeads()
	lead, err := leads.Create(ctx, sales.Lead{Subject: "Office chairs", LastName: "Diaz"})
	if err != nil {
		fmt.Println(err)
		return
	}
	lead, err = leads.Disqualify(ctx, lead.ID, lead.Version, sales.LeadStatusNoLongerInterested)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(lead.LeadState(), "/", lead.LeadStatus())

	lead.JobTitle = "Office manager"
	_, err = leads.Update(ctx, lead)
	fmt.Println("update refused:", errors.Is(err, crm.ErrInvalidTransition))

	lead, err = leads.Reactivate(ctx, lead.ID, lead.Version)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(lead.LeadState(), "/", lead.LeadStatus())
	// Output:
	// Disqualified / No Longer Interested
	// update refused: true
	// Open / New
}
