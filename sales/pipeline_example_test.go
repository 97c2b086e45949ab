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

// openProcess returns a new in-memory store of the sales entities whose
// clock starts at now and moves only when the example moves it, and the
// default sales process over it.
func openProcess(now time.Time) (*storage.Store, *crm.ManualClock, *sales.Processes) {
	reg := crm.NewRegistry()
	if err := sales.Register(reg); err != nil {
		panic(err)
	}
	clock := crm.NewManualClock(now)
	st := memory.Open(reg, storage.WithClock(clock))
	procs, err := sales.NewProcesses(st, sales.DefaultProcess())
	if err != nil {
		panic(err)
	}
	return st, clock, procs
}

// The pipeline report, built as a sales team works: deals are created
// and moved through the default sales process (each stage sets its
// probability, so the weighted pipeline follows); in February one was won
// and one lost. The store adds up the open and weighted pipeline by stage,
// the time spent in each stage (closing a deal ends its stage visit too)
// and this quarter's forecast.
func ExamplePipeline() {
	ctx := crm.AsSystem(context.Background())
	st, clock, procs := openProcess(time.Date(2026, 2, 2, 9, 0, 0, 0, time.UTC))
	opps := sales.NewOpportunities(st)
	must := func(o sales.Opportunity, err error) sales.Opportunity {
		if err != nil {
			panic(err)
		}
		return o
	}
	move := func(o sales.Opportunity, to sales.SalesStage) sales.Opportunity {
		return must(procs.MoveStage(ctx, sales.StageMove{Opportunity: o.ID, Version: o.Version, Stage: to}))
	}
	// A new deal enters the process's first stage, Qualify.
	deal := func(name, value string) sales.Opportunity {
		o := must(opps.Create(ctx, sales.Opportunity{Name: name, EstimatedValue: sales.Ptr(crm.MustMoney(value)),
			EstimatedCloseDate: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)}))
		return move(o, sales.SalesStageQualify)
	}

	adventure, northwind := deal("Adventure Works", "12000.00 USD"), deal("Northwind", "8000.00 USD")
	clock.Advance(4 * 24 * time.Hour)
	adventure = move(adventure, sales.SalesStageDevelop)
	clock.Advance(24 * time.Hour)
	if _, _, err := opps.Lose(ctx, northwind.ID, northwind.Version, sales.LoseOptions{}); err != nil {
		fmt.Println(err)
		return
	}
	clock.Advance(11 * 24 * time.Hour)
	won, _, err := opps.Win(ctx, adventure.ID, adventure.Version, sales.WinOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s won on %s for %s\n", won.Name, won.ActualCloseDate.Format("2 Jan"), won.ActualValue)

	clock.Set(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	fabrikam, contoso := deal("Fabrikam rollout", "50000.00 USD"), deal("Contoso renewal", "20000.00 USD")
	clock.Advance(2 * 24 * time.Hour)
	move(fabrikam, sales.SalesStageDevelop)
	clock.Advance(3 * 24 * time.Hour)
	contoso = move(contoso, sales.SalesStageDevelop)
	clock.Advance(24 * time.Hour)
	move(contoso, sales.SalesStagePropose)

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
		fmt.Printf("  %-8s %d visit(s), %s days on average, %s%% moved on or won\n", s.Stage, s.Visits, s.AverageDays, s.ConversionRate())
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
	// Adventure Works won on 18 Feb for 12000.00 USD
	// open pipeline by stage:
	//   Develop  1 deal(s) 50000.00 USD, weighted 20000.00 USD
	//   Propose  1 deal(s) 20000.00 USD, weighted 12000.00 USD
	// time in stage:
	//   Qualify  4 visit(s), 4 days on average, 75% moved on or won
	//   Develop  2 visit(s), 6.5 days on average, 100% moved on or won
	// forecast 2026-01: won 12000.00 USD + weighted open 32000.00 USD = 44000.00 USD
}
