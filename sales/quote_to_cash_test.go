package sales_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/sales/pricing"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
)

// docEnv is lineEnv with the quote, order and invoice services.
type docEnv struct {
	*lineEnv
	quotes   *sales.Quotes
	orders   *sales.Orders
	invoices *sales.Invoices
}

func newDocEnv(t *testing.T, b backend, wrap func(driver.Driver) driver.Driver) *docEnv {
	t.Helper()
	le := newLineEnv(t, b, wrap)
	numbers, err := sales.NewNumbering(le.store, nil)
	require.NoError(t, err)
	opts := sales.DocumentOptions{Numbering: numbers}
	e := &docEnv{lineEnv: le}
	e.quotes, err = sales.NewQuotes(le.store, opts)
	require.NoError(t, err)
	e.orders, err = sales.NewOrders(le.store, opts)
	require.NoError(t, err)
	e.invoices, err = sales.NewInvoices(le.store, opts)
	require.NoError(t, err)
	return e
}

// workedOpportunity is the §6.3 worked example (test vector 21) as an
// opportunity: A 3 × 100.00 less 20.00 plus 28.00 tax, B 2 × 60.00 plus
// 8.00 tax, 5 % and 10.00 off, 15.00 freight: total 421.00.
func (e *docEnv) workedOpportunity(t *testing.T) sales.Opportunity {
	t.Helper()
	o := e.opportunity(t, sales.Opportunity{PriceList: e.list.Ref(), RevenueSystemCalculated: true})
	o, err := e.lines.SetPricing(e.ctx, o.ID, o.Version, sales.PricingHeader{PriceList: e.list.Ref(),
		DiscountPercentage: decp("5"), DiscountAmount: usdp("10.00"), FreightAmount: usdp("15.00")})
	require.NoError(t, err)
	e.add(t, sales.OpportunityLine{Document: o.Ref(), Product: e.a.Ref(), Quantity: dec("3"),
		ManualDiscount: usdp("20.00"), Tax: usdp("28.00")})
	_, o = e.add(t, sales.OpportunityLine{Document: o.Ref(), Product: e.b.Ref(), Quantity: dec("2"), Tax: usdp("8.00")})
	requireUSD(t, "421.00", o.TotalAmount, "opportunity total")
	return o
}

// totals are a document's totals, for comparing one with its source.
func totals(d sales.Document) []string {
	var out []string
	for _, m := range []*crm.Money{d.TotalLineItemAmount, d.TotalLineItemDiscount, d.TotalDiscountAmount,
		d.TotalAmountLessFreight, d.TotalTax, d.TotalAmount} {
		if m == nil {
			out = append(out, "nil")
			continue
		}
		out = append(out, m.String())
	}
	return out
}

func TestQuoteToCash(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newDocEnv(t, b, nil)
			opp := e.workedOpportunity(t)
			ctx := e.ctx

			q, err := e.quotes.FromOpportunity(ctx, opp.ID, sales.Quote{})
			require.NoError(t, err)
			require.Equal(t, "Hardware deal", q.Name)
			require.Equal(t, e.customer, q.Customer)
			require.Equal(t, opp.Ref(), q.Opportunity)
			require.Equal(t, sales.QuoteStateDraft, q.QuoteState())
			require.NotEmpty(t, q.Number)
			require.Equal(t, []string{"400.00 USD", "20.00 USD", "50.00 USD", "370.00 USD", "36.00 USD", "421.00 USD"}, totals(q.Document))
			ql, err := e.quotes.Lines(ctx, q.ID)
			require.NoError(t, err)
			require.Len(t, ql, 2)
			requireUSD(t, "308.00", ql[0].ExtendedAmount, "quote line A")

			q, err = e.quotes.Activate(ctx, q.ID, q.Version)
			require.NoError(t, err)
			_, _, err = e.quotes.AddLine(ctx, sales.Line{Document: q.Ref(), Product: e.a.Ref(), Quantity: dec("1")})
			require.ErrorIs(t, err, crm.ErrInvalidTransition, "an Active quote is read-only")

			rev, err := e.quotes.Revise(ctx, q.ID, q.Version)
			require.NoError(t, err)
			require.Equal(t, q.Number, rev.Number)
			require.Equal(t, int64(1), rev.Revision)
			require.Equal(t, sales.QuoteStateDraft, rev.QuoteState())
			old, err := e.quotes.Get(ctx, q.ID)
			require.NoError(t, err)
			require.Equal(t, sales.QuoteStatusRevised, old.QuoteStatus())
			require.Equal(t, totals(q.Document), totals(rev.Document), "a revision starts where the quote was")

			_, rev, err = e.quotes.AddLine(ctx, sales.Line{Document: rev.Ref(), WriteIn: true, Description: "Installation",
				Quantity: dec("1"), PricePerUnit: usdp("79.00")})
			require.NoError(t, err)
			requireUSD(t, "479.00", rev.TotalLineItemAmount, "with the write-in")
			rev, err = e.quotes.Activate(ctx, rev.ID, rev.Version)
			require.NoError(t, err)

			_, err = e.orders.FromQuote(ctx, rev.ID)
			require.ErrorIs(t, err, crm.ErrInvalidTransition, "only a won quote converts")

			rev, closeRef, err := e.quotes.Win(ctx, rev.ID, rev.Version, sales.CloseOptions{})
			require.NoError(t, err)
			require.Equal(t, sales.QuoteStateWon, rev.QuoteState())
			require.False(t, rev.ClosedOn.IsZero())
			closes, err := e.quotes.Closes(ctx, rev.ID)
			require.NoError(t, err)
			require.Len(t, closes, 1)
			require.Equal(t, closeRef.ID, closes[0].ID)

			order, err := e.orders.FromQuote(ctx, rev.ID)
			require.NoError(t, err)
			require.True(t, order.PriceLocked)
			require.Equal(t, rev.Ref(), order.Quote)
			require.Equal(t, opp.Ref(), order.Opportunity)
			require.Equal(t, totals(rev.Document), totals(order.Document), "conversion keeps the totals")
			ol, err := e.orders.Lines(ctx, order.ID)
			require.NoError(t, err)
			require.Len(t, ol, 3)
			require.Equal(t, sales.QuoteLineEntity, ol[0].Source.Entity)

			_, err = e.orders.FromQuote(ctx, rev.ID)
			require.ErrorIs(t, err, sales.ErrAlreadyConverted)

			inv, err := e.invoices.FromOrder(ctx, order.ID)
			require.NoError(t, err)
			require.Equal(t, totals(order.Document), totals(inv.Document))
			order, err = e.orders.Get(ctx, order.ID)
			require.NoError(t, err)
			require.Equal(t, sales.OrderStateInvoiced, order.OrderState())
			_, err = e.invoices.FromOrder(ctx, order.ID)
			require.ErrorIs(t, err, crm.ErrInvalidTransition, "an order is invoiced once")

			_, err = e.store.SetState(ctx, inv.Ref(), inv.Version, sales.EventPayInvoice, 0)
			require.ErrorIs(t, err, crm.ErrInvalidTransition, "a plain state change cannot mark an invoice paid")
			inv, err = e.invoices.Pay(ctx, inv.ID, inv.Version, 0)
			require.NoError(t, err)
			require.Equal(t, sales.InvoiceStatusComplete, inv.InvoiceStatus())

			for _, from := range []crm.Ref{opp.Ref(), q.Ref(), order.Ref(), inv.Ref()} {
				l, err := sales.LineageOf(ctx, e.store, from)
				require.NoError(t, err, "from %s", from.Entity)
				require.NotNil(t, l.Opportunity)
				require.Len(t, l.Quotes, 2, "both revisions")
				require.Len(t, l.Orders, 1)
				require.Len(t, l.Invoices, 1)
			}
		})
	}
}

// A bundle on a quote: the bundle line at its list price, a required item
// at nothing, an optional one at its price; the items follow the bundle
// line's quantity and go with it.
func TestQuoteBundleLines(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newDocEnv(t, b, nil)
			ctx := e.ctx
			bundle, err := e.cat.CreateProduct(ctx, sales.Product{Name: "Office kit", Number: "KIT", Structure: sales.StructureBundle,
				UnitGroup: e.a.UnitGroup, DefaultUnit: e.piece.Ref()})
			require.NoError(t, err)
			for _, it := range []sales.BundleItem{
				{Bundle: bundle.Ref(), Product: e.a.Ref(), Quantity: dec("1"), Unit: e.piece.Ref(), Required: true},
				{Bundle: bundle.Ref(), Product: e.b.Ref(), Quantity: dec("2"), Unit: e.piece.Ref()},
			} {
				_, err := e.cat.AddBundleItem(ctx, it)
				require.NoError(t, err)
			}
			bundle, err = e.cat.Publish(ctx, bundle.ID, bundle.Version)
			require.NoError(t, err)
			_, err = e.cat.PriceListItems().Create(ctx, sales.PriceListItem{PriceList: e.list.Ref(), Product: bundle.Ref(),
				Unit: e.piece.Ref(), PricingMethod: sales.PricingCurrencyAmount, Amount: usdp("500.00")})
			require.NoError(t, err)

			q, err := e.quotes.Create(ctx, sales.Quote{Document: sales.Document{Name: "Kits", Customer: e.customer, PriceList: e.list.Ref()}})
			require.NoError(t, err)
			kit, q, err := e.quotes.AddLine(ctx, sales.Line{Document: q.Ref(), Product: bundle.Ref(), Quantity: dec("2")})
			require.NoError(t, err)
			require.Equal(t, pricing.BundleLine, kit.Kind)
			requireUSD(t, "1240.00", q.TotalLineItemAmount, "2 kits at 500 + 4 B at 60; A inside the price")
			lines, err := e.quotes.Lines(ctx, q.ID)
			require.NoError(t, err)
			require.Len(t, lines, 3)
			required, optional := lines[1], lines[2]
			require.Equal(t, pricing.RequiredBundleItem, required.Kind)
			require.Equal(t, kit.Ref(), required.ParentBundle)
			require.Equal(t, "2", required.Quantity.String())
			requireUSD(t, "0.00", required.ExtendedAmount, "required item")

			required.Quantity = dec("5")
			_, _, err = e.quotes.UpdateLine(ctx, required)
			requireInvalid(t, err, sales.LineQuantity)
			_, err = e.quotes.RemoveLine(ctx, required.ID, required.Version)
			requireInvalid(t, err, sales.LineParentBundle)

			kit.Quantity = dec("1")
			_, q, err = e.quotes.UpdateLine(ctx, kit)
			require.NoError(t, err)
			requireUSD(t, "620.00", q.TotalLineItemAmount, "1 kit: 500 + 2 B at 60")
			optional, err = e.quotes.LineTable().Get(ctx, optional.ID)
			require.NoError(t, err)
			require.Equal(t, "2", optional.Quantity.String())
			// An optional item's own inputs change: the typed line states
			// isproductoverridden, which the item was created with.
			optional.ManualDiscount = usdp("10.00")
			_, q, err = e.quotes.UpdateLine(ctx, optional)
			require.NoError(t, err)
			requireUSD(t, "610.00", q.TotalLineItemAmount, "1 kit: 500 + 2 B at 60, less 10 off B")

			q, err = e.quotes.RemoveLine(ctx, kit.ID, storage.AnyVersion)
			require.NoError(t, err)
			requireUSD(t, "0.00", q.TotalLineItemAmount, "the bundle and its items are gone")
			lines, err = e.quotes.Lines(ctx, q.ID)
			require.NoError(t, err)
			require.Empty(t, lines)
		})
	}
}

// An order entered on its own, without a quote: created with its number,
// priced, locked and unlocked, invoiced; its lineage starts with it.
func TestManualOrder(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newDocEnv(t, b, nil)
			ctx := e.ctx
			o, err := e.orders.Create(ctx, sales.Order{Document: sales.Document{Name: "Phone order", Customer: e.customer,
				PriceList: e.list.Ref(), FreightAmount: usdp("15.00")}})
			require.NoError(t, err)
			require.NotEmpty(t, o.Number)
			require.False(t, o.PriceLocked)
			_, o, err = e.orders.AddLine(ctx, sales.Line{Document: o.Ref(), Product: e.a.Ref(), Quantity: dec("2")})
			require.NoError(t, err)
			requireUSD(t, "215.00", o.TotalAmount, "2 × 100 + 15 freight")

			o, err = e.orders.LockPricing(ctx, o.ID, o.Version)
			require.NoError(t, err)
			require.True(t, o.PriceLocked)
			_, _, err = e.orders.AddLine(ctx, sales.Line{Document: o.Ref(), WriteIn: true, Description: "Gift wrap",
				Quantity: dec("1"), PricePerUnit: usdp("5.00")})
			requireInvalid(t, err, sales.LineWriteIn)

			// A new price on the list: the locked order keeps its own.
			item, err := e.cat.PriceListItem(ctx, e.list.ID, e.a.ID, e.piece.ID)
			require.NoError(t, err)
			item.Amount = usdp("120.00")
			_, err = e.cat.PriceListItems().Update(ctx, item)
			require.NoError(t, err)
			o, err = e.orders.Recalculate(ctx, o.ID)
			require.NoError(t, err)
			requireUSD(t, "215.00", o.TotalAmount, "locked")
			o, err = e.orders.UnlockPricing(ctx, o.ID, o.Version)
			require.NoError(t, err)
			requireUSD(t, "255.00", o.TotalAmount, "current pricing: 2 × 120 + 15")

			_, err = e.store.Update(ctx, crm.Record{Entity: sales.OrderEntity, Header: crm.Header{ID: o.ID, Version: o.Version},
				Fields: crm.Fields{sales.DocumentPriceLocked: true}})
			requireInvalid(t, err, sales.DocumentPriceLocked)
			_, err = e.store.Update(ctx, crm.Record{Entity: sales.OrderEntity, Header: crm.Header{ID: o.ID, Version: o.Version},
				Fields: crm.Fields{sales.OrderDateFulfilled: e.store.Now(ctx)}})
			requireInvalid(t, err, sales.OrderDateFulfilled)

			inv, err := e.invoices.FromOrder(ctx, o.ID)
			require.NoError(t, err)
			requireUSD(t, "255.00", inv.TotalAmount, "the invoice")
			l, err := sales.LineageOf(ctx, e.store, inv.Ref())
			require.NoError(t, err)
			require.Nil(t, l.Opportunity)
			require.Empty(t, l.Quotes)
			require.Len(t, l.Orders, 1)
			require.Len(t, l.Invoices, 1)
		})
	}
}

// No door but the conversion links an order to its quote or an invoice
// to its order: a won quote stays one order.
func TestSourceLinksAreTheConversions(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newDocEnv(t, b, nil)
			q := e.wonQuote(t)
			order, err := e.orders.FromQuote(e.ctx, q.ID)
			require.NoError(t, err)
			_, err = e.orders.Create(e.ctx, sales.Order{Document: sales.Document{Name: "Second", Customer: e.customer}, Quote: q.Ref()})
			requireInvalid(t, err, sales.OrderQuote)
			_, err = e.invoices.Create(e.ctx, sales.Invoice{Document: sales.Document{Name: "Bill", Customer: e.customer}, Order: order.Ref()})
			requireInvalid(t, err, sales.InvoiceOrder)
			n, err := e.orders.Count(e.ctx, crm.Query{Where: crm.Eq(sales.OrderQuote, q.Ref())})
			require.NoError(t, err)
			require.Equal(t, int64(1), n)
		})
	}
}

// A line goes through RemoveLine, which prices the document again, or
// with its document: the generic store's Delete is refused, so the totals
// never count a line that is gone.
func TestLinesAreDeletedWithTheirTotals(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newDocEnv(t, b, nil)
			ctx := e.ctx
			opp := e.workedOpportunity(t)
			oppLines, err := e.lines.Lines(ctx, opp.ID)
			require.NoError(t, err)
			err = e.store.Delete(ctx, oppLines[0].Ref(), oppLines[0].Version)
			requireInvalid(t, err, sales.OpportunityLineOpportunity)

			q, err := e.quotes.FromOpportunity(ctx, opp.ID, sales.Quote{})
			require.NoError(t, err)
			lines, err := e.quotes.Lines(ctx, q.ID)
			require.NoError(t, err)
			err = e.store.Delete(ctx, lines[0].Ref(), storage.AnyVersion)
			requireInvalid(t, err, "quoteid")
			got, err := e.quotes.Lines(ctx, q.ID)
			require.NoError(t, err)
			require.Len(t, got, 2, "nothing deleted")

			q, err = e.quotes.RemoveLine(ctx, lines[0].ID, lines[0].Version)
			require.NoError(t, err)
			requireUSD(t, "120.00", q.TotalLineItemAmount, "B alone")

			// A document goes with its lines.
			require.NoError(t, e.quotes.Delete(ctx, q.ID, q.Version))
			n, err := e.store.Count(ctx, crm.Query{Entity: sales.QuoteLineEntity})
			require.NoError(t, err)
			require.Zero(t, n)
			require.NoError(t, e.opps.Delete(ctx, opp.ID, storage.AnyVersion))
		})
	}
}

// Deleting the opportunity, then the won quote of an invoiced order,
// keeps the order and the invoice, unlinked from what is gone, with
// their lines and totals.
func TestDeletingASourceKeepsTheDocuments(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newDocEnv(t, b, nil)
			ctx := e.ctx
			opp := e.workedOpportunity(t)
			q, err := e.quotes.FromOpportunity(ctx, opp.ID, sales.Quote{})
			require.NoError(t, err)
			q, order, inv := e.invoiced(t, q)

			require.NoError(t, e.opps.Delete(ctx, opp.ID, storage.AnyVersion))
			require.NoError(t, e.quotes.Delete(ctx, q.ID, storage.AnyVersion))
			order, err = e.orders.Get(ctx, order.ID)
			require.NoError(t, err)
			require.True(t, order.Quote.IsZero())
			require.True(t, order.Opportunity.IsZero())
			require.Equal(t, sales.OrderStateInvoiced, order.OrderState())
			requireUSD(t, "421.00", order.TotalAmount, "the order's total")
			lines, err := e.orders.Lines(ctx, order.ID)
			require.NoError(t, err)
			require.Len(t, lines, 2)
			require.True(t, lines[0].Source.IsZero(), "unlinked from the quote line")

			require.NoError(t, e.orders.Delete(ctx, order.ID, storage.AnyVersion))
			inv, err = e.invoices.Get(ctx, inv.ID)
			require.NoError(t, err)
			require.True(t, inv.Order.IsZero())
			requireUSD(t, "421.00", inv.TotalAmount, "the invoice's total")
		})
	}
}

// UpdateLines sets several lines' inputs and prices the quote once; one
// stale line refuses them all.
func TestUpdateLines(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newDocEnv(t, b, nil)
			ctx := e.ctx
			q, err := e.quotes.FromOpportunity(ctx, e.workedOpportunity(t).ID, sales.Quote{})
			require.NoError(t, err)
			lines, err := e.quotes.Lines(ctx, q.ID)
			require.NoError(t, err)
			lines[0].Tax, lines[1].Tax = usdp("30.00"), usdp("10.00")
			lines[1].Quantity = dec("3")
			got, q2, err := e.quotes.UpdateLines(ctx, lines)
			require.NoError(t, err)
			require.Len(t, got, 2)
			requireUSD(t, "190.00", got[1].ExtendedAmount, "B: 3 × 60 + 10")
			requireUSD(t, "40.00", q2.TotalTax, "both taxes")
			requireUSD(t, "460.00", q2.TotalLineItemAmount, "280 + 180")
			require.Equal(t, q.Version+1, q2.Version, "one write of the header: priced once")

			stale := []sales.Line{got[0], lines[1]} // lines[1] was read before the update
			stale[0].Tax = usdp("1.00")
			_, _, err = e.quotes.UpdateLines(ctx, stale)
			require.ErrorIs(t, err, crm.ErrConflict)
			now, err := e.quotes.Lines(ctx, q.ID)
			require.NoError(t, err)
			requireUSD(t, "30.00", now[0].Tax, "the first line is as it was")
		})
	}
}

// An order, and an invoice, generated straight from an open opportunity:
// its lines and totals, unlocked prices, the opportunity in the lineage;
// a won opportunity generates none.
func TestDocumentsFromOpportunity(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newDocEnv(t, b, nil)
			ctx := e.ctx
			opp := e.workedOpportunity(t)
			order, err := e.orders.FromOpportunity(ctx, opp.ID, sales.Order{Document: sales.Document{Name: "Direct order"}})
			require.NoError(t, err)
			require.Equal(t, "Direct order", order.Name)
			require.Equal(t, opp.Ref(), order.Opportunity)
			require.True(t, order.Quote.IsZero())
			require.False(t, order.PriceLocked)
			require.Equal(t, totals(oppTotals(opp)), totals(order.Document))
			lines, err := e.orders.Lines(ctx, order.ID)
			require.NoError(t, err)
			require.Len(t, lines, 2)
			require.True(t, lines[0].Source.IsZero())

			inv, err := e.invoices.FromOpportunity(ctx, opp.ID, sales.Invoice{})
			require.NoError(t, err)
			require.Equal(t, "Hardware deal", inv.Name)
			require.Equal(t, totals(oppTotals(opp)), totals(inv.Document))

			l, err := sales.LineageOf(ctx, e.store, inv.Ref())
			require.NoError(t, err)
			require.Len(t, l.Orders, 1)
			require.Len(t, l.Invoices, 1)

			opp, _, err = e.opps.Win(ctx, opp.ID, storage.AnyVersion, sales.WinOptions{})
			require.NoError(t, err)
			_, err = e.orders.FromOpportunity(ctx, opp.ID, sales.Order{})
			require.ErrorIs(t, err, crm.ErrInvalidTransition)
		})
	}
}
