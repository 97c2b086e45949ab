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

// salesDesk is the opportunity and competitor services over a new
// in-memory store whose clock stands still, with an account to sell to.
type salesDesk struct {
	store       *storage.Store
	opps        *sales.Opportunities
	competitors *sales.Competitors
	customer    crm.Ref
}

func openSalesDesk(ctx context.Context) salesDesk {
	reg := crm.NewRegistry()
	if err := sales.Register(reg); err != nil {
		panic(err)
	}
	clock := crm.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	st := memory.Open(reg, storage.WithClock(clock))
	acme, err := sales.NewAccounts(st).Create(ctx, sales.Account{Name: "Acme"})
	if err != nil {
		panic(err)
	}
	return salesDesk{store: st, opps: sales.NewOpportunities(st), competitors: sales.NewCompetitors(st), customer: acme.Ref()}
}

// Win an opportunity: it closes as Won with the estimated revenue as its
// actual revenue unless told otherwise, records an opportunity-close
// activity, and is read-only from then on.
func ExampleOpportunities_Win() {
	ctx := crm.AsSystem(context.Background())
	desk := openSalesDesk(ctx)

	deal, err := desk.opps.Create(ctx, sales.Opportunity{
		Name: "500 corporate cards", Customer: desk.customer,
		EstimatedValue: sales.Ptr(crm.MustMoney("50000.00 USD")), Probability: sales.Ptr[int64](60),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("weighted:", deal.WeightedValue)

	deal, closeRef, err := desk.opps.Win(ctx, deal.ID, deal.Version, sales.WinOptions{
		ActualRevenue: sales.Ptr(crm.MustMoney("48500.00 USD")),
		Description:   "Signed after a 3% discount",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(deal.OpportunityState(), deal.OpportunityStatus(), deal.ActualValue, deal.ActualCloseDate.Format(time.DateOnly), deal.ForecastCategory)

	closes, err := desk.opps.Closes(ctx, deal.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(closes[0].Ref() == closeRef, closes[0].Subject, "-", closes[0].ActivityState())

	deal.Description = "too late"
	_, err = desk.opps.Update(ctx, deal)
	fmt.Println("update a won deal:", errors.Is(err, crm.ErrInvalidTransition))

	// Winning through a plain state change, skipping the operation, is
	// refused by the store whichever door it comes through.
	_, err = desk.store.SetState(ctx, deal.Ref(), storage.AnyVersion, sales.EventWin, 0)
	fmt.Println("bare state change:", errors.Is(err, crm.ErrInvalidTransition))
	// Output:
	// weighted: 30000.00 USD
	// Won Won 48500.00 USD 2026-03-02 Won
	// true Won: 500 corporate cards - Completed
	// update a won deal: true
	// bare state change: true
}

// Lose an opportunity to a competitor: it closes as Lost, Out-Sold, the
// close activity names the winner, and the competitor's win/loss figures
// count the deal.
func ExampleOpportunities_Lose() {
	ctx := crm.AsSystem(context.Background())
	desk := openSalesDesk(ctx)

	rival, err := desk.competitors.Create(ctx, sales.Competitor{Name: "Fabrikam", Strengths: "Price"})
	if err != nil {
		fmt.Println(err)
		return
	}
	deal, err := desk.opps.Create(ctx, sales.Opportunity{Name: "Fleet cards", Customer: desk.customer,
		EstimatedValue: sales.Ptr(crm.MustMoney("12000.00 EUR"))})
	if err != nil {
		fmt.Println(err)
		return
	}
	deal, _, err = desk.opps.Lose(ctx, deal.ID, deal.Version, sales.LoseOptions{
		Status: sales.OpportunityStatusOutSold, Competitor: rival.ID, Description: "Cheaper annual fee",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(deal.OpportunityState(), deal.OpportunityStatus(), deal.ActualValue, deal.ForecastCategory)

	competitors, err := desk.opps.Competitors(ctx, deal.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("competitors:", competitors[0].Name)

	wl, err := desk.competitors.WinLoss(ctx, rival.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	pct, _ := wl.WinPercentage()
	fmt.Printf("%s: won against %d, lost %d, open %d, our win rate %s%%\n", wl.Name, wl.Won, wl.Lost, wl.Open, pct)
	// Output:
	// Lost Out-Sold 0.00 EUR Lost
	// competitors: Fabrikam
	// Fabrikam: won against 0, lost 1, open 0, our win rate 0%
}

// Reopen a lost opportunity: it is open again, what closing recorded is
// cleared, and the close activity stays as history.
func ExampleOpportunities_Reopen() {
	ctx := crm.AsSystem(context.Background())
	desk := openSalesDesk(ctx)

	deal, err := desk.opps.Create(ctx, sales.Opportunity{Name: "Travel cards", Customer: desk.customer,
		EstimatedValue: sales.Ptr(crm.MustMoney("9000.00 USD"))})
	if err != nil {
		fmt.Println(err)
		return
	}
	deal, _, err = desk.opps.Lose(ctx, deal.ID, deal.Version, sales.LoseOptions{Description: "Budget frozen"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(deal.OpportunityState(), deal.OpportunityStatus(), deal.ActualCloseDate.Format(time.DateOnly))

	deal, err = desk.opps.Reopen(ctx, deal.ID, deal.Version)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(deal.OpportunityState(), deal.OpportunityStatus(), deal.ActualValue == nil, deal.ActualCloseDate.IsZero(), deal.ForecastCategory)

	closes, err := desk.opps.Closes(ctx, deal.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(closes), closes[0].Subject, "-", closes[0].Description)

	// Open again, it can change.
	deal.Description = "Budget back in Q3"
	deal, err = desk.opps.Update(ctx, deal)
	fmt.Println(deal.Description, err)
	// Output:
	// Lost Canceled 2026-03-02
	// Open In Progress true true Pipeline
	// 1 Lost: Travel cards - Budget frozen
	// Budget back in Q3 <nil>
}
