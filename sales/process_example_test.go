package sales_test

import (
	"context"
	"fmt"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
)

// A lead goes through the Lead to Opportunity Sales Process: its
// qualification ends the Qualify stage, which the lead made, and starts
// the opportunity in Develop; MoveStage moves it on. Each stage left is a
// visit in the stage history.
func ExampleProcesses_MoveStage() {
	ctx := crm.AsSystem(context.Background())
	st, clock, procs := openProcess(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	leads, opps := sales.NewLeads(st), sales.NewOpportunities(st)
	show := func(o sales.Opportunity) {
		fmt.Printf("%s: %s, %d%%, weighted %s\n", o.Name, o.StepName, *o.Probability, o.WeightedValue)
	}

	lead, err := leads.Create(ctx, sales.Lead{Subject: "50 espresso machines", LastName: "McKay",
		CompanyName: "Fourth Coffee", EstimatedAmount: sales.Ptr(crm.MustMoney("125000.00 USD"))})
	if err != nil {
		fmt.Println(err)
		return
	}
	clock.Advance(3 * 24 * time.Hour) // the seller qualifies the lead three days later
	res, err := leads.Qualify(ctx, lead.ID, lead.Version, sales.QualifyOptions{CreateAccount: true, CreateOpportunity: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	opp, err := opps.Get(ctx, res.Opportunity.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	show(opp)

	clock.Advance(36 * time.Hour)
	opp, err = procs.MoveStage(ctx, sales.StageMove{Opportunity: opp.ID, Version: opp.Version, Stage: sales.SalesStagePropose})
	if err != nil {
		fmt.Println(err)
		return
	}
	show(opp)

	history, err := st.Query(ctx, crm.Query{Entity: sales.StageHistoryEntity,
		Where:   crm.Eq(sales.StageHistoryOpportunity, opp.Ref()),
		OrderBy: []crm.Order{crm.Asc(sales.StageHistoryLeftOn)}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, v := range history.Records {
		dir, _ := v.Fields.Choice(sales.StageHistoryDirection)
		fmt.Printf("visit %s: %s days, %s\n", v.Fields.String(sales.StageHistoryStepName),
			v.Fields.Decimal(sales.StageHistoryDays), sales.StageDirection(dir))
	}
	// Output:
	// 50 espresso machines: 2-Develop, 40%, weighted 50000.00 USD
	// 50 espresso machines: 3-Propose, 60%, weighted 75000.00 USD
	// visit 1-Qualify: 3 days, Forward
	// visit 2-Develop: 1.5 days, Forward
}
