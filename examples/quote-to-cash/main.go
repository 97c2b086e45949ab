// Command quote-to-cash follows one sale at Harbour Roasters, a coffee
// roaster that equips cafés, from its price list to the money in the
// bank, in March 2026:
//
//   - The price list: House Blend beans at 90 % of their list price,
//     rounded up to a multiple of 0.20, with volume discounts (5 % from 10
//     bags, 10 % from 50); a grinder at a 40 % margin on its current cost,
//     rounded to the nearest price ending in 9.00; and the Café Starter
//     Kit, a bundle of an espresso machine and a grinder (required) and
//     ten bags of beans (optional).
//   - Blue Door Cafés opens three sites: an opportunity for 40 bags
//     becomes a quote, which gains three starter kits (with a launch
//     discount), three days of barista training written in by hand, a
//     2 % discount and freight. Tax is the host's: 8.25 % on goods,
//     nothing on services, set on each line as the story's own tax rule.
//   - The customer is shown the quote, asks for 60 bags and a spare
//     grinder: the quote is revised, keeping its number, and the new
//     revision is shown, accepted and won, with the opportunity.
//   - The won quote becomes an order with its prices locked: when the
//     roaster raises the beans' list price the next day, the order's
//     prices stay. The order is invoiced, and the invoice paid.
//
// Each document is printed with its lines and totals as it stands, and
// at the end the lineage, opportunity to invoice, read back from the
// invoice.
//
// It runs with no set-up, on SQLite in a temporary directory:
//
//	go run ./examples/quote-to-cash
//
// and exits non-zero if anything unexpected happens. The clock is fixed,
// so the output is the same on every run (the document numbers come from
// sales.Numbering and follow its format).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/sales/pricing"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/sqlstore/sqlite"
)

func main() {
	if _, err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quote-to-cash:", err)
		os.Exit(1)
	}
}

// story carries what every chapter needs.
type story struct {
	ctx      context.Context
	out      io.Writer
	clock    *crm.ManualClock
	st       *storage.Store
	cat      *sales.Catalog
	opps     *sales.Opportunities
	oppLines *sales.OpportunityLines
	quotes   *sales.Quotes
	orders   *sales.Orders
	invoices *sales.Invoices

	names map[crm.ID]string // products and units, for printing

	retail                       sales.PriceList
	beans, machine, grinder, kit sales.Product
	opp                          sales.Opportunity
	first, quote                 sales.Quote // revision 0, and the one won
	order                        sales.Order
	invoice                      sales.Invoice
	failed                       error // the first claim that did not hold
}

func (s *story) say(format string, args ...any) { fmt.Fprintf(s.out, format+"\n", args...) }

// check records the claim as failed unless ok, and returns ok.
func (s *story) check(ok bool, format string, args ...any) bool {
	if !ok && s.failed == nil {
		s.failed = fmt.Errorf("unexpected: "+format, args...)
	}
	return ok
}

// day is a date of March or April 2026 at 10:00 UTC.
func day(month time.Month, d int) time.Time { return time.Date(2026, month, d, 10, 0, 0, 0, time.UTC) }

// numbers are the document numbers the story printed: they come from
// sales.Numbering, in its format.
type numbers struct{ quote, order, invoice string }

// run tells the story on a new SQLite database in a temporary directory
// and returns the numbers of its documents.
func run(ctx context.Context, out io.Writer) (_ numbers, err error) {
	dir, err := os.MkdirTemp("", "crmkit-quote-to-cash-")
	if err != nil {
		return numbers{}, err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	reg := crm.NewRegistry()
	if err := sales.Register(reg); err != nil {
		return numbers{}, err
	}
	ctx = crm.AsSystem(ctx)
	d, err := sqlite.Open(ctx, filepath.Join(dir, "crm.db"), reg)
	if err != nil {
		return numbers{}, err
	}
	defer func() { err = errors.Join(err, d.Close()) }()
	clock := crm.NewManualClock(day(time.March, 2))
	st := storage.New(d, reg, storage.WithClock(clock))

	// One numbering for the three services: quote, order and invoice
	// numbers are unique and taken in the transaction that uses them.
	numbering, err := sales.NewNumbering(st, nil)
	if err != nil {
		return numbers{}, err
	}
	opts := sales.DocumentOptions{Numbering: numbering}
	s := &story{ctx: ctx, out: out, clock: clock, st: st, cat: sales.NewCatalog(st, sales.CatalogOptions{}),
		opps: sales.NewOpportunities(st), oppLines: sales.NewOpportunityLines(st, sales.PricingOptions{}),
		names: map[crm.ID]string{}}
	if s.quotes, err = sales.NewQuotes(st, opts); err != nil {
		return numbers{}, err
	}
	if s.orders, err = sales.NewOrders(st, opts); err != nil {
		return numbers{}, err
	}
	if s.invoices, err = sales.NewInvoices(st, opts); err != nil {
		return numbers{}, err
	}
	for _, chapter := range []struct {
		on    time.Time
		title string
		run   func() error
	}{
		{day(time.March, 2), "The price list", s.priceList},
		{day(time.March, 3), "Blue Door Cafés opens three sites", s.opportunity},
		{day(time.March, 4), "The quote", s.firstQuote},
		{day(time.March, 6), "The customer asks for more: revision 1", s.revision},
		{day(time.March, 9), "Won", s.win},
		{day(time.March, 10), "The beans' list price goes up", s.priceRise},
		{day(time.March, 16), "The invoice", s.invoiceOrder},
		{day(time.April, 10), "Paid", s.pay},
	} {
		clock.Set(chapter.on)
		s.say("== %s: %s", chapter.on.Format("Mon 2 Jan"), chapter.title)
		if err := errors.Join(chapter.run(), s.failed); err != nil {
			return numbers{}, fmt.Errorf("%s: %w", strings.ToLower(chapter.title), err)
		}
		s.say("")
	}
	return numbers{s.quote.Number, s.order.Number, s.invoice.Number}, s.lineage()
}

// priceList builds the catalog: two unit groups, four products (one a
// bundle), the Retail price list for 2026 and its volume discounts.
func (s *story) priceList() error {
	coffee, bag, err := s.cat.CreateUnitGroup(s.ctx, sales.UnitGroup{Name: "Coffee", BaseUnitName: "bag"})
	if err != nil {
		return err
	}
	equipment, each, err := s.cat.CreateUnitGroup(s.ctx, sales.UnitGroup{Name: "Equipment", BaseUnitName: "each"})
	if err != nil {
		return err
	}
	s.names[bag.ID], s.names[each.ID] = bag.Name, each.Name

	product := func(number, name string, structure sales.ProductStructure, group sales.UnitGroup, unit sales.Unit, p sales.Product) (sales.Product, error) {
		p.Number, p.Name, p.Structure, p.UnitGroup, p.DefaultUnit = number, name, structure, group.Ref(), unit.Ref()
		p, err := s.cat.CreateProduct(s.ctx, p)
		s.names[p.ID] = p.Name
		return p, err
	}
	var errs [4]error
	s.beans, errs[0] = product("HB-1KG", "House Blend, 1 kg", sales.StructureProduct, coffee, bag,
		sales.Product{ListPrice: sales.Ptr(crm.MustMoney("18.50 USD"))})
	s.machine, errs[1] = product("BP-2", "Barista Pro espresso machine", sales.StructureProduct, equipment, each, sales.Product{})
	s.grinder, errs[2] = product("GR-64", "Conical grinder", sales.StructureProduct, equipment, each,
		sales.Product{CurrentCost: sales.Ptr(crm.MustMoney("251.00 USD"))})
	s.kit, errs[3] = product("KIT-1", "Café Starter Kit", sales.StructureBundle, equipment, each, sales.Product{})
	if err := errors.Join(errs[:]...); err != nil {
		return err
	}
	for _, p := range []*sales.Product{&s.beans, &s.machine, &s.grinder} {
		if *p, err = s.cat.Publish(s.ctx, p.ID, p.Version); err != nil {
			return err
		}
	}
	for _, it := range []sales.BundleItem{
		{Bundle: s.kit.Ref(), Product: s.machine.Ref(), Unit: each.Ref(), Quantity: decimal.NewFromInt(1), Required: true},
		{Bundle: s.kit.Ref(), Product: s.grinder.Ref(), Unit: each.Ref(), Quantity: decimal.NewFromInt(1), Required: true},
		{Bundle: s.kit.Ref(), Product: s.beans.Ref(), Unit: bag.Ref(), Quantity: decimal.NewFromInt(10)},
	} {
		if _, err := s.cat.AddBundleItem(s.ctx, it); err != nil {
			return err
		}
	}
	if s.kit, err = s.cat.Publish(s.ctx, s.kit.ID, s.kit.Version); err != nil {
		return err
	}

	s.retail, err = s.cat.PriceLists().Create(s.ctx, sales.PriceList{Name: "Retail 2026", Currency: "USD",
		BeginDate: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), EndDate: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		return err
	}
	volume, err := s.cat.DiscountLists().Create(s.ctx, sales.DiscountList{Name: "Beans by volume"})
	if err != nil {
		return err
	}
	for _, d := range []sales.Discount{
		{DiscountList: volume.Ref(), Low: decimal.NewFromInt(10), High: decimal.NewFromInt(49), Percentage: sales.Ptr(decimal.NewFromInt(5))},
		{DiscountList: volume.Ref(), Low: decimal.NewFromInt(50), High: decimal.NewFromInt(9999), Percentage: sales.Ptr(decimal.NewFromInt(10))},
	} {
		if _, err := s.cat.AddDiscount(s.ctx, d); err != nil {
			return err
		}
	}
	items := []sales.PriceListItem{
		{Product: s.beans.Ref(), Unit: bag.Ref(), PricingMethod: sales.PricingPercentOfList, Percentage: sales.Ptr(decimal.NewFromInt(90)),
			RoundingPolicy: sales.RoundingUp, RoundingOption: sales.RoundingMultipleOf, RoundingAmount: sales.Ptr(crm.MustMoney("0.20 USD")),
			DiscountList: volume.Ref()},
		{Product: s.grinder.Ref(), Unit: each.Ref(), PricingMethod: sales.PricingMarginCurrentCost, Percentage: sales.Ptr(decimal.NewFromInt(40)),
			RoundingPolicy: sales.RoundingNearest, RoundingOption: sales.RoundingEndsIn, RoundingAmount: sales.Ptr(crm.MustMoney("9.00 USD"))},
		{Product: s.machine.Ref(), Unit: each.Ref(), PricingMethod: sales.PricingCurrencyAmount, Amount: sales.Ptr(crm.MustMoney("1400.00 USD"))},
		{Product: s.kit.Ref(), Unit: each.Ref(), PricingMethod: sales.PricingCurrencyAmount, Amount: sales.Ptr(crm.MustMoney("1750.00 USD"))},
	}
	for _, it := range items {
		it.PriceList = s.retail.Ref()
		if _, err := s.cat.PriceListItems().Create(s.ctx, it); err != nil {
			return err
		}
	}
	s.say("Price list %q in %s, valid %s to %s:", s.retail.Name, s.retail.Currency,
		s.retail.BeginDate.Format("2 Jan 2006"), s.retail.EndDate.Format("2 Jan 2006"))
	prices := table{
		{s.beans.Name, "list price 18.50: 90 % of it, rounded up to a multiple of 0.20, a bag"},
		{"", "volume discount 5 % from 10 bags, 10 % from 50"},
		{s.grinder.Name, "current cost 251.00: a 40 % margin, rounded to the nearest price ending in 9.00"},
		{s.machine.Name, "1,400.00"},
		{s.kit.Name, "1,750.00 for the machine and the grinder (required) and 10 bags of beans (optional)"},
	}
	prices.print(s, prices.widths(), 0, 1)
	return nil
}

// opportunity: Blue Door Cafés wants beans for three new sites.
func (s *story) opportunity() error {
	customer, err := sales.NewAccounts(s.st).Create(s.ctx, sales.Account{Name: "Blue Door Cafés"})
	if err != nil {
		return err
	}
	s.opp, err = s.opps.Create(s.ctx, sales.Opportunity{Name: "Blue Door: three new sites", Customer: customer.Ref(),
		PriceList: s.retail.Ref(), RevenueSystemCalculated: true})
	if err != nil {
		return err
	}
	_, s.opp, err = s.oppLines.AddLine(s.ctx, sales.OpportunityLine{Document: s.opp.Ref(), Product: s.beans.Ref(),
		Quantity: decimal.NewFromInt(40)})
	if err != nil {
		return err
	}
	s.say("Opportunity %q for %s: 40 bags of %s, estimated revenue %s, calculated from its line",
		s.opp.Name, customer.Name, s.beans.Name, money(s.opp.EstimatedValue))
	return nil
}

// firstQuote makes the opportunity a quote, adds the kits and the
// training, and shows it to the customer.
func (s *story) firstQuote() (err error) {
	q, err := s.quotes.FromOpportunity(s.ctx, s.opp.ID, sales.Quote{})
	if err != nil {
		return err
	}
	s.check(q.TotalAmount != nil && s.opp.EstimatedValue != nil && q.TotalAmount.Equal(*s.opp.EstimatedValue),
		"the quote's total %v is not the opportunity's %v", q.TotalAmount, s.opp.EstimatedValue)
	s.say("The quote is generated from the opportunity, its line copied: total %s", money(q.TotalAmount))
	if _, q, err = s.quotes.AddLine(s.ctx, sales.Line{Document: q.Ref(), Product: s.kit.Ref(), Quantity: decimal.NewFromInt(3),
		ManualDiscount: sales.Ptr(crm.MustMoney("250.00 USD"))}); err != nil {
		return err
	}
	if _, q, err = s.quotes.AddLine(s.ctx, sales.Line{Document: q.Ref(), WriteIn: true, Description: "Barista training, per day",
		Quantity: decimal.NewFromInt(3), PricePerUnit: sales.Ptr(crm.MustMoney("350.00 USD"))}); err != nil {
		return err
	}
	if q, err = s.quotes.SetPricing(s.ctx, q.ID, q.Version, sales.PricingHeader{PriceList: s.retail.Ref(),
		DiscountPercentage: sales.Ptr(decimal.NewFromInt(2)), FreightAmount: sales.Ptr(crm.MustMoney("95.00 USD"))}); err != nil {
		return err
	}
	if q, err = s.tax(q); err != nil {
		return err
	}
	if q, err = s.quotes.Activate(s.ctx, q.ID, q.Version); err != nil {
		return err
	}
	s.first = q
	s.say("It gains three starter kits (250.00 off), three days of training written in, 2 %% off and freight,")
	s.say("and the host's tax on each line; activated, it is sent to the customer:")
	return s.printQuote(q)
}

// revision revises the quote the customer saw: 60 bags instead of 40,
// and a spare grinder.
func (s *story) revision() error {
	q, err := s.quotes.Revise(s.ctx, s.first.ID, s.first.Version)
	if err != nil {
		return err
	}
	s.check(q.Number == s.first.Number && q.Revision == 1, "revision %d numbered %q", q.Revision, q.Number)
	lines, err := s.quotes.Lines(s.ctx, q.ID)
	if err != nil {
		return err
	}
	for _, l := range lines {
		if l.Product == s.beans.Ref() && l.Kind == pricing.ProductLine {
			l.Quantity = decimal.NewFromInt(60)
			if _, q, err = s.quotes.UpdateLine(s.ctx, l); err != nil {
				return err
			}
		}
	}
	if _, q, err = s.quotes.AddLine(s.ctx, sales.Line{Document: q.Ref(), Product: s.grinder.Ref(), Quantity: decimal.NewFromInt(1)}); err != nil {
		return err
	}
	if q, err = s.tax(q); err != nil {
		return err
	}
	if q, err = s.quotes.Activate(s.ctx, q.ID, q.Version); err != nil {
		return err
	}
	first, err := s.quotes.Get(s.ctx, s.first.ID)
	if err != nil {
		return err
	}
	s.first = first
	s.say("Revision 0 is closed as %s; revision 1, with 60 bags (10 %% off from 50) and a spare grinder, is sent:", first.QuoteStatus())
	s.quote = q
	return s.printQuote(q)
}

// win: the customer accepts revision 1; the quote and the opportunity
// are won and the quote becomes an order, its prices locked.
func (s *story) win() error {
	q, _, err := s.quotes.Win(s.ctx, s.quote.ID, s.quote.Version, sales.CloseOptions{})
	if err != nil {
		return err
	}
	s.quote = q
	opp, _, err := s.opps.Win(s.ctx, s.opp.ID, storage.AnyVersion, sales.WinOptions{ActualRevenue: q.TotalAmountLessFreight})
	if err != nil {
		return err
	}
	s.opp = opp
	s.say("Quote %s revision %d is %s on %s; the opportunity is %s with it, actual revenue %s (pre-freight)",
		q.Number, q.Revision, q.QuoteState(), q.ClosedOn.Format("2 Jan"), opp.OpportunityState(), money(opp.ActualValue))
	s.order, err = s.orders.FromQuote(s.ctx, q.ID)
	if err != nil {
		return err
	}
	s.check(same(q.Document, s.order.Document), "the order's totals are not the quote's")
	s.say("The won quote becomes an order, prices locked, totals the quote's:")
	return s.printOrder(s.order)
}

// priceRise raises the beans' list price: a new quote would take the new
// price, the locked order keeps the one the customer accepted.
func (s *story) priceRise() error {
	beans, err := s.cat.Revise(s.ctx, s.beans.ID, s.beans.Version)
	if err != nil {
		return err
	}
	beans.ListPrice = sales.Ptr(crm.MustMoney("19.50 USD"))
	if beans, err = s.cat.Products().Update(s.ctx, beans); err != nil {
		return err
	}
	if s.beans, err = s.cat.Publish(s.ctx, beans.ID, beans.Version); err != nil {
		return err
	}
	order, err := s.orders.Recalculate(s.ctx, s.order.ID)
	if err != nil {
		return err
	}
	s.check(same(order.Document, s.order.Document), "recalculating the locked order changed its totals")
	s.say("%s now lists at %s: 90 %% of it is 17.55, sold at 17.60.", s.beans.Name, money(s.beans.ListPrice))
	s.say("The order, its prices locked, recalculates to %s: unchanged.", money(order.TotalAmount))
	s.order = order
	return nil
}

// invoiceOrder invoices the order: the order is Invoiced, the invoice
// copies its lines and totals.
func (s *story) invoiceOrder() error {
	inv, err := s.invoices.FromOrder(s.ctx, s.order.ID)
	if err != nil {
		return err
	}
	s.check(same(inv.Document, s.order.Document), "the invoice's totals are not the order's")
	inv.DueDate = s.clock.Now().AddDate(0, 0, 30).Truncate(24 * time.Hour)
	if inv, err = s.invoices.Update(s.ctx, inv); err != nil {
		return err
	}
	order, err := s.orders.Get(s.ctx, s.order.ID)
	if err != nil {
		return err
	}
	s.invoice, s.order = inv, order
	s.say("The order is invoiced (it is %s now), its lines and totals copied; payment is due in 30 days:", order.OrderState())
	return s.printInvoice(inv)
}

// pay records the payment: only the PayInvoice operation marks an
// invoice paid.
func (s *story) pay() error {
	_, err := s.st.SetState(s.ctx, s.invoice.Ref(), s.invoice.Version, sales.EventPayInvoice, 0)
	var terr *crm.TransitionError
	if !s.check(errors.As(err, &terr), "a plain state change marked the invoice paid: %v", err) {
		return nil
	}
	s.say("A plain state change cannot mark the invoice paid: %v", terr)
	inv, err := s.invoices.Pay(s.ctx, s.invoice.ID, s.invoice.Version, 0)
	if err != nil {
		return err
	}
	s.invoice = inv
	s.say("Payment of %s received: invoice %s is %s (%s)", money(inv.TotalAmount), inv.Number, inv.InvoiceState(), inv.InvoiceStatus())
	return nil
}

// lineage prints the documents the sale went through, read back from
// the invoice.
func (s *story) lineage() error {
	l, err := sales.LineageOf(s.ctx, s.st, s.invoice.Ref())
	if err != nil {
		return err
	}
	if !s.check(l.Opportunity != nil && len(l.Quotes) == 2 && len(l.Orders) == 1 && len(l.Invoices) == 1,
		"the lineage is %+v", l) {
		return s.failed
	}
	s.say("== The lineage, read back from the invoice")
	t := table{{"", "state", "total", ""}}
	row := func(kind string, state, status fmt.Stringer, total *crm.Money, name string) {
		t = append(t, []string{kind, fmt.Sprintf("%s (%s)", state, status), money(total), name})
	}
	o := l.Opportunity
	row("opportunity", o.OpportunityState(), o.OpportunityStatus(), o.ActualValue, fmt.Sprintf("%q, won %s", o.Name, o.ActualCloseDate.Format("2 Jan")))
	for _, q := range l.Quotes {
		row("quote", q.QuoteState(), q.QuoteStatus(), q.TotalAmount, fmt.Sprintf("%s revision %d", q.Number, q.Revision))
	}
	for _, o := range l.Orders {
		row("order", o.OrderState(), o.OrderStatus(), o.TotalAmount, o.Number)
	}
	for _, i := range l.Invoices {
		row("invoice", i.InvoiceState(), i.InvoiceStatus(), i.TotalAmount, i.Number)
	}
	t.print(s, t.widths(), 0, 1, 3)
	return s.failed
}

// taxRate is the host's sales tax on goods; services (the written-in
// training) are exempt. crmkit never computes tax: a line's tax is the
// caller's, like Dynamics' tax field.
var taxRate = decimal.RequireFromString("0.0825")

// tax sets each line's tax from its amount less its manual discount,
// and returns the quote as priced with it: one UpdateLines for all the
// lines, so the quote is priced once. Required bundle items, priced at
// nothing, have none.
func (s *story) tax(q sales.Quote) (sales.Quote, error) {
	lines, err := s.quotes.Lines(s.ctx, q.ID)
	if err != nil {
		return q, err
	}
	var changed []sales.Line
	for _, l := range lines {
		want := lineTax(l)
		if l.Tax == nil && want == nil || l.Tax != nil && want != nil && l.Tax.Equal(*want) {
			continue
		}
		l.Tax = want
		changed = append(changed, l)
	}
	if len(changed) == 0 {
		return q, nil
	}
	_, q, err = s.quotes.UpdateLines(s.ctx, changed)
	return q, err
}

// lineTax is the host's tax of a line: 8.25 % of what the customer pays
// for goods, nothing for a service written in, none for a required
// bundle item.
func lineTax(l sales.Line) *crm.Money {
	if l.Amount == nil || l.Kind == pricing.RequiredBundleItem {
		return nil
	}
	if l.WriteIn {
		return sales.Ptr(crm.Zero(l.Amount.Currency))
	}
	base := *l.Amount
	if l.ManualDiscount != nil {
		var err error
		if base, err = base.Sub(*l.ManualDiscount); err != nil {
			return nil
		}
	}
	return sales.Ptr(base.Mul(taxRate).Round())
}

// same reports whether two documents have the same totals.
func same(a, b sales.Document) bool {
	eq := func(x, y *crm.Money) bool { return x == nil && y == nil || x != nil && y != nil && x.Equal(*y) }
	return eq(a.TotalLineItemAmount, b.TotalLineItemAmount) && eq(a.TotalLineItemDiscount, b.TotalLineItemDiscount) &&
		eq(a.TotalDiscountAmount, b.TotalDiscountAmount) && eq(a.TotalAmountLessFreight, b.TotalAmountLessFreight) &&
		eq(a.TotalTax, b.TotalTax) && eq(a.TotalAmount, b.TotalAmount)
}
