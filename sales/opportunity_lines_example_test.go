package sales_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/sales/pricing"
	"github.com/crmkit/crmkit/storage/memory"
)

// An opportunity with a price list gets product lines; each AddLine
// prices the whole opportunity in one transaction, and a system-calculated
// revenue follows the total.
func ExampleOpportunityLines_AddLine() {
	ctx := crm.AsSystem(context.Background())
	reg := crm.NewRegistry()
	if err := sales.Register(reg); err != nil {
		panic(err)
	}
	st := memory.Open(reg)
	cat := sales.NewCatalog(st, sales.CatalogOptions{})
	lines := sales.NewOpportunityLines(st, sales.PricingOptions{})
	check := func(err error) {
		if err != nil {
			panic(err)
		}
	}

	// The catalog: a product sold by the piece at 100.00 USD.
	group, piece, err := cat.CreateUnitGroup(ctx, sales.UnitGroup{Name: "Hardware", BaseUnitName: "Piece"})
	check(err)
	router, err := cat.CreateProduct(ctx, sales.Product{Name: "Router", Number: "RT-1", Structure: sales.StructureProduct,
		UnitGroup: group.Ref(), DefaultUnit: piece.Ref()})
	check(err)
	router, err = cat.Publish(ctx, router.ID, router.Version)
	check(err)
	list, err := cat.PriceLists().Create(ctx, sales.PriceList{Name: "Retail", Currency: "USD"})
	check(err)
	price := crm.MustMoney("100.00 USD")
	_, err = cat.PriceListItems().Create(ctx, sales.PriceListItem{PriceList: list.Ref(), Product: router.Ref(), Unit: piece.Ref(),
		PricingMethod: sales.PricingCurrencyAmount, Amount: &price})
	check(err)

	acme, err := sales.NewAccounts(st).Create(ctx, sales.Account{Name: "Acme"})
	check(err)
	opp, err := sales.NewOpportunities(st).Create(ctx, sales.Opportunity{Name: "Routers for Acme", Customer: sales.AccountRef(acme.ID),
		PriceList: list.Ref(), RevenueSystemCalculated: true})
	check(err)

	tax := crm.MustMoney("28.00 USD")
	discount := crm.MustMoney("20.00 USD")
	line, opp, err := lines.AddLine(ctx, sales.OpportunityLine{Document: opp.Ref(), Product: router.Ref(),
		Quantity: decimal.NewFromInt(3), ManualDiscount: &discount, Tax: &tax})
	check(err)
	fmt.Println("line:", line.Quantity, "×", line.PricePerUnit, "=", line.Amount, "extended", line.ExtendedAmount)

	freight := crm.MustMoney("15.00 USD")
	opp, err = lines.SetPricing(ctx, opp.ID, opp.Version, sales.PricingHeader{PriceList: list.Ref(), FreightAmount: &freight})
	check(err)
	fmt.Println("total:", opp.TotalAmount, "estimated revenue:", opp.EstimatedValue)

	// A unit the price list has no price for is refused, and changes
	// nothing.
	box, err := cat.Units().Create(ctx, sales.Unit{Name: "Box", Group: group.Ref(), Quantity: decimal.NewFromInt(10), BaseUnit: piece.Ref()})
	check(err)
	_, _, err = lines.AddLine(ctx, sales.OpportunityLine{Document: opp.Ref(), Product: router.Ref(), Unit: box.Ref(),
		Quantity: decimal.NewFromInt(1)})
	fmt.Println("a box:", errors.Is(err, pricing.ErrNoPriceListItem))
	// Output:
	// line: 3 × 100.00 USD = 300.00 USD extended 308.00 USD
	// total: 323.00 USD estimated revenue: 323.00 USD
	// a box: true
}
