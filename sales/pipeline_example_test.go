package sales_test

import (
	"context"
	"fmt"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/memory"
)

// The pipeline report: two deals move through the default sales process
// (each stage sets its probability, so the weighted pipeline follows),
// one more was won last month; the store adds up the open and weighted
// pipeline by stage, the time spent in each stage, and this quarter's
// forecast.
func ExamplePipeline() {
	ctx := crm.AsSystem(context.Background())
	reg := crm.NewRegistry()
	if err := sales.Register(reg); err != nil {
		fmt.Println(err)
		return
	}
	clock := crm.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	st := memory.Open(reg, storage.WithClock(clock))
	procs, err := sales.NewProcesses(st, sales.DefaultProcess())
	if err != nil {
		fmt.Println(err)
		return
	}
	deal := func(name, value string) crm.Record {
		rec, err := st.Create(ctx, crm.Record{Entity: sales.OpportunityEntity, Fields: crm.Fields{
			sales.OpportunityName: name, sales.OpportunityEstimatedValue: crm.MustMoney(value),
			sales.OpportunitySalesStage:         int32(sales.SalesStageQualify),
			sales.OpportunityEstimatedCloseDate: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)}})
		if err != nil {
			panic(err)
		}
		return rec
	}
	move := func(opp crm.Record, to sales.SalesStage) crm.Record {
		out, err := procs.MoveStage(ctx, sales.StageMove{Opportunity: opp.ID, Version: opp.Version, Stage: to})
		if err != nil {
			panic(err)
		}
		return out
	}
	fabrikam, contoso := deal("Fabrikam rollout", "50000.00 USD"), deal("Contoso renewal", "20000.00 USD")
	clock.Advance(2 * 24 * time.Hour)
	fabrikam = move(fabrikam, sales.SalesStageDevelop)
	clock.Advance(3 * 24 * time.Hour)
	contoso = move(contoso, sales.SalesStageDevelop)
	clock.Advance(24 * time.Hour)
	move(contoso, sales.SalesStagePropose)
	_, err = st.Import(ctx, []crm.Record{{Entity: sales.OpportunityEntity, Header: crm.Header{State: crm.StateCode(sales.OpportunityStateWon)},
		Fields: crm.Fields{sales.OpportunityName: "Adventure Works", sales.OpportunityActualValue: crm.MustMoney("12000.00 USD"),
			sales.OpportunityActualCloseDate: time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC)}}}, storage.ImportOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}

	pipe := sales.NewPipeline(st)
	byStage, err := pipe.Open(ctx, sales.ByStage)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("open pipeline by stage:")
	for _, r := range byStage {
		fmt.Printf("  %-8s %d deal(s) %s, weighted %s\n", *r.Stage, r.Opportunities, r.Value, r.Weighted)
	}
	stages, err := pipe.Stages(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("time in stage:")
	for _, s := range stages {
		fmt.Printf("  %-8s %d visit(s), %s days on average, %s%% moved on\n", s.Stage, s.Visits, s.AverageDays, s.ConversionRate())
	}
	forecast, err := pipe.Forecast(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range forecast {
		fmt.Printf("forecast %s: won %s + weighted open %s = %s\n", f.Quarter.Format("2006-01"), f.Won, f.WeightedOpen, f.Forecast)
	}
	// Output:
	// open pipeline by stage:
	//   Develop  1 deal(s) 50000.00 USD, weighted 20000.00 USD
	//   Propose  1 deal(s) 20000.00 USD, weighted 12000.00 USD
	// time in stage:
	//   Qualify  2 visit(s), 3.5 days on average, 100% moved on
	//   Develop  1 visit(s), 1 days on average, 100% moved on
	// forecast 2026-01: won 12000.00 USD + weighted open 32000.00 USD = 44000.00 USD
}
