package sales_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage/memory"
)

// A quote is priced line by line, activated, won and converted into an
// order, then an invoice: each conversion copies the lines and keeps the
// totals, and a won quote becomes one order.
func ExampleOrders_FromQuote() {
	ctx := crm.AsSystem(context.Background())
	reg := crm.NewRegistry()
	if err := sales.Register(reg); err != nil {
		panic(err)
	}
	st := memory.Open(reg)
	check := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	numbers, err := sales.NewNumbering(st, nil)
	check(err)
	opts := sales.DocumentOptions{Numbering: numbers}
	quotes, err := sales.NewQuotes(st, opts)
	check(err)
	orders, err := sales.NewOrders(st, opts)
	check(err)
	invoices, err := sales.NewInvoices(st, opts)
	check(err)

	// The catalog: a router at 100.00 USD a piece.
	cat := sales.NewCatalog(st, sales.CatalogOptions{})
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

	q, err := quotes.Create(ctx, sales.Quote{Document: sales.Document{Name: "Routers", Customer: sales.AccountRef(acme.ID),
		PriceList: list.Ref()}})
	check(err)
	tax := crm.MustMoney("28.00 USD")
	_, q, err = quotes.AddLine(ctx, sales.Line{Document: q.Ref(), Product: router.Ref(), Quantity: decimal.NewFromInt(3), Tax: &tax})
	check(err)
	q, err = quotes.Activate(ctx, q.ID, q.Version)
	check(err)
	q, _, err = quotes.Win(ctx, q.ID, q.Version, sales.CloseOptions{})
	check(err)
	fmt.Println(q.Number, q.QuoteState(), q.TotalAmount)

	order, err := orders.FromQuote(ctx, q.ID)
	check(err)
	fmt.Println(order.Number, order.OrderState(), order.TotalAmount, "prices locked:", order.PriceLocked)
	_, err = orders.FromQuote(ctx, q.ID)
	fmt.Println("again:", errors.Is(err, sales.ErrAlreadyConverted))

	invoice, err := invoices.FromOrder(ctx, order.ID)
	check(err)
	invoice, err = invoices.Pay(ctx, invoice.ID, invoice.Version, sales.InvoiceStatusComplete)
	check(err)
	fmt.Println(invoice.Number, invoice.InvoiceState(), invoice.TotalAmount)

	lineage, err := sales.LineageOf(ctx, st, invoice.Ref())
	check(err)
	fmt.Println("lineage:", len(lineage.Quotes), "quote,", len(lineage.Orders), "order,", len(lineage.Invoices), "invoice")
	// Output:
	// QUO-01000 Won 328.00 USD
	// ORD-01000 Active 328.00 USD prices locked: true
	// again: true
	// INV-01000 Paid 328.00 USD
	// lineage: 1 quote, 1 order, 1 invoice
}
