package sales_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/sales/pricing"
	"github.com/crmkit/crmkit/storage"
)

// Pricing on quotes, orders and invoices (sales.md §5.5, §5.6, §7, §6.6):
// bundles, the price lock, a document in another currency than the
// organization's and the typed errors that leave a document as it was.

// kit adds to e's catalog the bundle of sales.md §5.6 (test vector 20):
// priced 500.00 a piece on the Retail list, with required items A and B
// (one each) and optional items C (5 × 40.00) and D (5 × 50.00). It
// returns the bundle and C and D.
func (e *docEnv) kit(t *testing.T) (kit, c, d sales.Product) {
	t.Helper()
	g, err := e.cat.UnitGroups().Get(e.ctx, e.piece.Group.ID)
	require.NoError(t, err)
	c = e.activeProduct(t, g, "C", "40.00", 0)
	d = e.activeProduct(t, g, "D", "50.00", 0)
	kit, err = e.cat.CreateProduct(e.ctx, sales.Product{Name: "Starter kit", Number: "KIT", Structure: sales.StructureBundle,
		UnitGroup: g.Ref(), DefaultUnit: e.piece.Ref()})
	require.NoError(t, err)
	for _, it := range []struct {
		p        sales.Product
		qty      string
		required bool
	}{{e.a, "1", true}, {e.b, "1", true}, {c, "5", false}, {d, "5", false}} {
		_, err := e.cat.AddBundleItem(e.ctx, sales.BundleItem{Bundle: kit.Ref(), Product: it.p.Ref(), Quantity: dec(it.qty),
			Unit: e.piece.Ref(), Required: it.required})
		require.NoError(t, err)
	}
	kit, err = e.cat.Publish(e.ctx, kit.ID, kit.Version)
	require.NoError(t, err)
	_, err = e.cat.PriceListItems().Create(e.ctx, sales.PriceListItem{PriceList: e.list.Ref(), Product: kit.Ref(), Unit: e.piece.Ref(),
		PricingMethod: sales.PricingCurrencyAmount, Amount: usdp("500.00")})
	require.NoError(t, err)
	return kit, c, d
}

// quote creates a Draft quote for e's customer on price list list.
func (e *docEnv) quote(t *testing.T, list crm.Ref) sales.Quote {
	t.Helper()
	q, err := e.quotes.Create(e.ctx, sales.Quote{Document: sales.Document{Name: "Hardware quote", Customer: e.customer, PriceList: list}})
	require.NoError(t, err)
	return q
}

// quoteState is what a refused operation on a quote must leave as it was.
func (e *docEnv) quoteState(t *testing.T, id crm.ID) (sales.Quote, []sales.Line) {
	t.Helper()
	q, err := e.quotes.Get(e.ctx, id)
	require.NoError(t, err)
	ls, err := e.quotes.Lines(e.ctx, id)
	require.NoError(t, err)
	return q, ls
}

// requireQuoteUnchanged checks that quote id and its lines are before's.
func (e *docEnv) requireQuoteUnchanged(t *testing.T, id crm.ID, q sales.Quote, lines []sales.Line) {
	t.Helper()
	q2, lines2 := e.quoteState(t, id)
	require.Equal(t, q, q2, "the quote is unchanged")
	require.Equal(t, lines, lines2, "its lines are unchanged")
}

// requirePricingCode checks that err is a *pricing.Error with code.
func requirePricingCode(t *testing.T, err error, code pricing.Code) {
	t.Helper()
	var perr *pricing.Error
	require.ErrorAs(t, err, &perr)
	require.Equal(t, code, perr.Code, "%v", err)
	require.ErrorIs(t, err, code)
}

// bundleLine is what the bundle checks read of a quote or opportunity
// line.
type bundleLine struct {
	id, product crm.ID
	kind        pricing.LineKind
	parent      crm.Ref
	amount      *crm.Money
}

func quoteBundleLines(ls []sales.Line) []bundleLine {
	out := make([]bundleLine, len(ls))
	for i, l := range ls {
		out[i] = bundleLine{l.ID, l.Product.ID, l.Kind, l.ParentBundle, l.Amount}
	}
	return out
}

func oppBundleLines(ls []sales.OpportunityLine) []bundleLine {
	out := make([]bundleLine, len(ls))
	for i, l := range ls {
		out[i] = bundleLine{l.ID, l.Product.ID, l.Kind, l.ParentBundle, l.Amount}
	}
	return out
}

// requireKit checks that lines are the kit's bundle line, first, and its
// four items after it, linked to it as lines of entity: A and B required
// at nothing, C and D optional at 200.00 and 250.00.
func (e *docEnv) requireKit(t *testing.T, lines []bundleLine, entity string, kit, c, d sales.Product) {
	t.Helper()
	require.Len(t, lines, 5)
	bundle := lines[0]
	require.Equal(t, kit.ID, bundle.product)
	require.Equal(t, pricing.BundleLine, bundle.kind)
	require.True(t, bundle.parent.IsZero())
	requireUSD(t, "500.00", bundle.amount, "bundle line")
	want := map[crm.ID]struct {
		kind   pricing.LineKind
		amount string
	}{
		e.a.ID: {pricing.RequiredBundleItem, "0.00"}, e.b.ID: {pricing.RequiredBundleItem, "0.00"},
		c.ID: {pricing.OptionalBundleItem, "200.00"}, d.ID: {pricing.OptionalBundleItem, "250.00"},
	}
	for _, l := range lines[1:] {
		w, ok := want[l.product]
		require.True(t, ok, "item %s is one of the bundle's", l.product)
		delete(want, l.product)
		require.Equal(t, w.kind, l.kind)
		require.Equal(t, crm.Ref{Entity: entity, ID: bundle.id}, l.parent, "the item's bundle is the bundle line")
		requireUSD(t, w.amount, l.amount, "bundle item")
	}
}

func TestDocumentBundles(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newDocEnv(t, b, nil)
			ctx := e.ctx
			kit, c, d := e.kit(t)

			t.Run("quote", func(t *testing.T) {
				q := e.quote(t, e.list.Ref())
				bl, q, err := e.quotes.AddLine(ctx, sales.Line{Document: q.Ref(), Product: kit.Ref(), Quantity: dec("1")})
				require.NoError(t, err)
				require.Equal(t, pricing.BundleLine, bl.Kind)
				requireUSD(t, "950.00", q.TotalLineItemAmount, "500 + optional C 5 × 40 + D 5 × 50")
				requireUSD(t, "950.00", q.TotalAmount, "total")
				lines, err := e.quotes.Lines(ctx, q.ID)
				require.NoError(t, err)
				e.requireKit(t, quoteBundleLines(lines), sales.QuoteLineEntity, kit, c, d)

				byProduct := map[crm.ID]sales.Line{}
				for _, l := range lines {
					byProduct[l.Product.ID] = l
				}
				q, lines = e.quoteState(t, q.ID)
				required := byProduct[e.a.ID]
				more := required
				more.Quantity = dec("2")
				_, _, err = e.quotes.UpdateLine(ctx, more)
				requireInvalid(t, err, sales.LineQuantity)
				taxed := required
				taxed.Tax = usdp("1.00")
				_, _, err = e.quotes.UpdateLine(ctx, taxed)
				requireInvalid(t, err, sales.LineTax)
				_, err = e.quotes.RemoveLine(ctx, required.ID, required.Version)
				requireInvalid(t, err, sales.LineParentBundle)
				e.requireQuoteUnchanged(t, q.ID, q, lines)

				optional := byProduct[c.ID]
				optional.Quantity = dec("2")
				_, q, err = e.quotes.UpdateLine(ctx, optional)
				require.NoError(t, err, "an optional item changes on its own")
				requireUSD(t, "830.00", q.TotalLineItemAmount, "500 + 2 × 40 + 250")

				q, err = e.quotes.RemoveLine(ctx, bl.ID, storage.AnyVersion)
				require.NoError(t, err)
				lines, err = e.quotes.Lines(ctx, q.ID)
				require.NoError(t, err)
				require.Empty(t, lines, "the bundle's items go with it")
				requireUSD(t, "0.00", q.TotalLineItemAmount, "no lines")
			})

			t.Run("opportunity, and the quote generated from it", func(t *testing.T) {
				o := e.opportunity(t, sales.Opportunity{PriceList: e.list.Ref(), RevenueSystemCalculated: true})
				bl, o := e.add(t, sales.OpportunityLine{Document: o.Ref(), Product: kit.Ref(), Quantity: dec("1")})
				require.Equal(t, pricing.BundleLine, bl.Kind)
				requireUSD(t, "950.00", o.TotalAmount, "opportunity total")
				requireUSD(t, "950.00", o.EstimatedValue, "system-calculated revenue")
				ol, err := e.lines.Lines(ctx, o.ID)
				require.NoError(t, err)
				e.requireKit(t, oppBundleLines(ol), sales.OpportunityLineEntity, kit, c, d)

				v, before := lineState(t, e.lineEnv, o.ID)
				var required sales.OpportunityLine
				for _, l := range ol {
					if l.Product.ID == e.b.ID {
						required = l
					}
				}
				required.Quantity = dec("3")
				_, _, err = e.lines.UpdateLine(ctx, required)
				requireInvalid(t, err, sales.LineQuantity)
				_, err = e.lines.RemoveLine(ctx, required.ID, required.Version)
				requireInvalid(t, err, sales.LineParentBundle)
				v2, after := lineState(t, e.lineEnv, o.ID)
				require.Equal(t, v, v2)
				require.Equal(t, before, after)

				q, err := e.quotes.FromOpportunity(ctx, o.ID, sales.Quote{})
				require.NoError(t, err)
				requireUSD(t, "950.00", q.TotalAmount, "the quote adds up to the opportunity")
				requireUSD(t, "950.00", q.TotalLineItemAmount, "detail amount")
				ql, err := e.quotes.Lines(ctx, q.ID)
				require.NoError(t, err)
				e.requireKit(t, quoteBundleLines(ql), sales.QuoteLineEntity, kit, c, d)
				for i := range ql {
					require.NotEqual(t, ol[i].ID, ql[i].ID, "the quote's lines are copies")
				}
				// The copy's items hang on the copy's bundle line: removing it
				// takes them, and leaves the opportunity's.
				q, err = e.quotes.RemoveLine(ctx, ql[0].ID, storage.AnyVersion)
				require.NoError(t, err)
				ql, err = e.quotes.Lines(ctx, q.ID)
				require.NoError(t, err)
				require.Empty(t, ql)
				_, after = lineState(t, e.lineEnv, o.ID)
				require.Equal(t, before, after)
			})
		})
	}
}

// volumeProduct adds product X to e's catalog: 50.00 a piece on the
// Retail list, 10 % off each unit from 5 to 20 units. It returns X and
// its price list item.
func (e *docEnv) volumeProduct(t *testing.T) (sales.Product, sales.PriceListItem) {
	t.Helper()
	g, err := e.cat.UnitGroups().Get(e.ctx, e.piece.Group.ID)
	require.NoError(t, err)
	x, err := e.cat.CreateProduct(e.ctx, sales.Product{Name: "Product X", Number: "X", Structure: sales.StructureProduct,
		UnitGroup: g.Ref(), DefaultUnit: e.piece.Ref()})
	require.NoError(t, err)
	x, err = e.cat.Publish(e.ctx, x.ID, x.Version)
	require.NoError(t, err)
	vol, err := e.cat.DiscountLists().Create(e.ctx, sales.DiscountList{Name: "Volume"})
	require.NoError(t, err)
	_, err = e.cat.AddDiscount(e.ctx, sales.Discount{DiscountList: vol.Ref(), Low: dec("5"), High: dec("20"), Percentage: decp("10")})
	require.NoError(t, err)
	item, err := e.cat.PriceListItems().Create(e.ctx, sales.PriceListItem{PriceList: e.list.Ref(), Product: x.Ref(), Unit: e.piece.Ref(),
		PricingMethod: sales.PricingCurrencyAmount, Amount: usdp("50.00"), DiscountList: vol.Ref()})
	require.NoError(t, err)
	return x, item
}

// reprice sets the price list item's amount.
func (e *docEnv) reprice(t *testing.T, item sales.PriceListItem, amount string) sales.PriceListItem {
	t.Helper()
	item.Amount = usdp(amount)
	item, err := e.cat.PriceListItems().Update(e.ctx, item)
	require.NoError(t, err)
	return item
}

// wonQuoteOf creates a quote of lines on the Retail list, activates it
// and wins it.
func (e *docEnv) wonQuoteOf(t *testing.T, lines ...sales.Line) sales.Quote {
	t.Helper()
	q := e.quote(t, e.list.Ref())
	var err error
	for _, l := range lines {
		l.Document = q.Ref()
		_, q, err = e.quotes.AddLine(e.ctx, l)
		require.NoError(t, err)
	}
	q, err = e.quotes.Activate(e.ctx, q.ID, q.Version)
	require.NoError(t, err)
	q, _, err = e.quotes.Win(e.ctx, q.ID, q.Version, sales.CloseOptions{})
	require.NoError(t, err)
	return q
}

// The Microsoft sample of sales.md §5.5: a price change leaves a locked
// order's total as it was; unlocking takes the new price.
func TestOrderPriceLock(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newDocEnv(t, b, nil)
			ctx := e.ctx
			x, item := e.volumeProduct(t)
			q := e.wonQuoteOf(t, sales.Line{Product: x.Ref(), Quantity: dec("2")})
			requireUSD(t, "100.00", q.TotalAmount, "2 × 50.00")

			order, err := e.orders.FromQuote(ctx, q.ID)
			require.NoError(t, err)
			require.True(t, order.PriceLocked, "an order from a won quote is locked")
			item = e.reprice(t, item, "80.00")

			order, err = e.orders.Recalculate(ctx, order.ID)
			require.NoError(t, err)
			requireUSD(t, "100.00", order.TotalAmount, "locked: the agreed price")
			lines, err := e.orders.Lines(ctx, order.ID)
			require.NoError(t, err)
			require.Len(t, lines, 1)
			requireUSD(t, "50.00", lines[0].PricePerUnit, "locked price")

			line := lines[0]
			line.Quantity = dec("10")
			line, order, err = e.orders.UpdateLine(ctx, line)
			require.NoError(t, err)
			requireUSD(t, "50.00", line.PricePerUnit, "still the agreed price")
			requireUSD(t, "5.00", line.VolumeDiscount, "but 10 units find the volume discount")
			requireUSD(t, "450.00", line.Amount, "(50 − 5) × 10")
			requireUSD(t, "450.00", order.TotalAmount, "total")

			t.Run("no write-in while locked, through any door", func(t *testing.T) {
				before, err := e.orders.Get(ctx, order.ID)
				require.NoError(t, err)
				beforeLines, err := e.orders.Lines(ctx, order.ID)
				require.NoError(t, err)
				_, _, err = e.orders.AddLine(ctx, sales.Line{Document: order.Ref(), WriteIn: true, Description: "Installation",
					Quantity: dec("1"), PricePerUnit: usdp("20.00")})
				requireInvalid(t, err, sales.LineWriteIn)

				rec := crm.Record{Entity: sales.OrderLineEntity, Fields: crm.Fields{"salesorderid": order.Ref(),
					sales.LineWriteIn: true, sales.LineDescription: "Installation", sales.LineQuantity: dec("1"),
					sales.LinePricePerUnit: usd("20.00"), sales.LineSequence: int64(9)}}
				_, err = e.store.Create(ctx, rec)
				requireInvalid(t, err, "salesorderid") // lines are the operations'
				err = e.store.Execute(ctx, "AddSalesOrderProduct", nil, func(ctx context.Context, _ *storage.Execution) error {
					_, err := e.store.Create(ctx, rec)
					return err
				})
				requireInvalid(t, err, sales.LineWriteIn)

				after, err := e.orders.Get(ctx, order.ID)
				require.NoError(t, err)
				afterLines, err := e.orders.Lines(ctx, order.ID)
				require.NoError(t, err)
				require.Equal(t, before, after)
				require.Equal(t, beforeLines, afterLines)
			})

			order, err = e.orders.UnlockPricing(ctx, order.ID, order.Version)
			require.NoError(t, err)
			require.False(t, order.PriceLocked)
			requireUSD(t, "720.00", order.TotalAmount, "unlocked: (80 − 8) × 10")
			lines, err = e.orders.Lines(ctx, order.ID)
			require.NoError(t, err)
			requireUSD(t, "80.00", lines[0].PricePerUnit, "the current price")

			_, order, err = e.orders.AddLine(ctx, sales.Line{Document: order.Ref(), WriteIn: true, Description: "Installation",
				Quantity: dec("1"), PricePerUnit: usdp("20.00")})
			require.NoError(t, err, "unlocked, a write-in is welcome")
			requireUSD(t, "740.00", order.TotalAmount, "with the write-in")

			order, err = e.orders.LockPricing(ctx, order.ID, order.Version)
			require.NoError(t, err)
			require.True(t, order.PriceLocked)
			e.reprice(t, item, "90.00")
			order, err = e.orders.Recalculate(ctx, order.ID)
			require.NoError(t, err)
			requireUSD(t, "740.00", order.TotalAmount, "locked again: the price of the lock")
		})
	}
}

// eurEnv is a docEnv whose organization's base currency is USD, with
// EUR at 0.85 to the dollar, and a EUR price list, Europe, on which E
// sells at 100.00 and F at 85.00 a piece.
type eurEnv struct {
	*docEnv
	europe sales.PriceList
	e, f   sales.Product
}

var eurRate = dec("0.85")

func newEUREnv(t *testing.T, b backend) *eurEnv {
	t.Helper()
	reg := crm.NewRegistry()
	require.NoError(t, reg.SetBaseCurrency("USD"))
	require.NoError(t, sales.Register(reg))
	st := storage.New(b.open(t, reg), reg)
	ctx := crm.AsSystem(context.Background())
	_, err := st.Create(ctx, crm.Record{Entity: crm.CurrencyEntity, Fields: crm.Fields{
		crm.FieldISOCurrencyCode: "EUR", crm.FieldExchangeRate: eurRate}})
	require.NoError(t, err)
	le := &lineEnv{catEnv: &catEnv{ctx: ctx, store: st, cat: sales.NewCatalog(st, sales.CatalogOptions{})},
		opps: sales.NewOpportunities(st), lines: sales.NewOpportunityLines(st, sales.PricingOptions{})}
	g, piece, err := le.cat.CreateUnitGroup(ctx, sales.UnitGroup{Name: "Hardware", BaseUnitName: "Piece"})
	require.NoError(t, err)
	le.piece = piece
	acc, err := sales.NewAccounts(st).Create(ctx, sales.Account{Name: "Fabrikam"})
	require.NoError(t, err)
	le.customer = sales.AccountRef(acc.ID)
	numbers, err := sales.NewNumbering(st, nil)
	require.NoError(t, err)
	de := &docEnv{lineEnv: le}
	opts := sales.DocumentOptions{Numbering: numbers}
	de.quotes, err = sales.NewQuotes(st, opts)
	require.NoError(t, err)
	de.orders, err = sales.NewOrders(st, opts)
	require.NoError(t, err)
	de.invoices, err = sales.NewInvoices(st, opts)
	require.NoError(t, err)
	out := &eurEnv{docEnv: de}
	out.europe, err = le.cat.PriceLists().Create(ctx, sales.PriceList{Name: "Europe", Currency: "EUR"})
	require.NoError(t, err)
	product := func(number, price string) sales.Product {
		p, err := le.cat.CreateProduct(ctx, sales.Product{Name: "Product " + number, Number: number, Structure: sales.StructureProduct,
			UnitGroup: g.Ref(), DefaultUnit: piece.Ref()})
		require.NoError(t, err)
		p, err = le.cat.Publish(ctx, p.ID, p.Version)
		require.NoError(t, err)
		_, err = le.cat.PriceListItems().Create(ctx, sales.PriceListItem{PriceList: out.europe.Ref(), Product: p.Ref(), Unit: piece.Ref(),
			PricingMethod: sales.PricingCurrencyAmount, Amount: eurp(price)})
		require.NoError(t, err)
		return p
	}
	out.e, out.f = product("E", "100.00"), product("F", "85.00")
	return out
}

// requireBase checks that the stored record ref, in EUR, has the EUR
// rate and that each of its money fields has its base amount: x / rate,
// in USD, at 4 places (sales.md §7).
func (e *eurEnv) requireBase(t *testing.T, ref crm.Ref) {
	t.Helper()
	rec, err := e.store.Get(e.ctx, ref.Entity, ref.ID)
	require.NoError(t, err)
	require.True(t, eurRate.Equal(rec.Fields.Decimal(crm.FieldExchangeRate)), "%s: exchange rate %v", ref.Entity, rec.Fields[crm.FieldExchangeRate])
	entity, err := e.store.Registry().Entity(ref.Entity)
	require.NoError(t, err)
	var checked int
	for _, f := range entity.Fields {
		m, ok := rec.Fields.Money(f.Name)
		if f.Type != crm.TypeMoney || !ok || m.Currency == e.store.Registry().BaseCurrency() {
			continue
		}
		require.Equal(t, crm.Currency("EUR"), m.Currency, "%s.%s", ref.Entity, f.Name)
		base, ok := rec.Fields.Money(crm.BaseField(f.Name))
		require.True(t, ok, "%s.%s has a base amount", ref.Entity, f.Name)
		want := crm.NewMoney(m.Amount.Div(eurRate).Round(crm.BasePlaces), "USD")
		require.True(t, want.Equal(base), "%s.%s: %s at %s is %s, not %s", ref.Entity, f.Name, m, eurRate, want, base)
		checked++
	}
	require.NotZero(t, checked, "%s has amounts", ref.Entity)
}

func eurAmount(t *testing.T, want string, got *crm.Money, what string) {
	t.Helper()
	require.NotNil(t, got, what)
	require.True(t, crm.NewMoney(dec(want), "EUR").Equal(*got), "%s: want %s EUR, got %s", what, want, got)
}

func TestDocumentInEUR(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEUREnv(t, b)
			ctx := e.ctx
			q := e.quote(t, e.europe.Ref())
			_, q, err := e.quotes.AddLine(ctx, sales.Line{Document: q.Ref(), Product: e.e.Ref(), Quantity: dec("3")})
			require.NoError(t, err)
			_, q, err = e.quotes.AddLine(ctx, sales.Line{Document: q.Ref(), Product: e.f.Ref(), Quantity: dec("2"), Tax: eurp("10.00")})
			require.NoError(t, err)
			q, err = e.quotes.SetPricing(ctx, q.ID, q.Version, sales.PricingHeader{PriceList: e.europe.Ref(), FreightAmount: eurp("15.00")})
			require.NoError(t, err)

			eurAmount(t, "470.00", q.TotalLineItemAmount, "3 × 100 + 2 × 85")
			eurAmount(t, "495.00", q.TotalAmount, "470 + 15 freight + 10 tax")
			require.True(t, eurRate.Equal(*q.ExchangeRate))
			require.True(t, crm.MustMoney("582.3529 USD").Equal(*q.TotalAmountBase), "495 / 0.85 = 582.352941…: %v", q.TotalAmountBase)
			e.requireBase(t, q.Ref())
			lines, err := e.quotes.Lines(ctx, q.ID)
			require.NoError(t, err)
			require.Len(t, lines, 2)
			for _, l := range lines {
				require.True(t, eurRate.Equal(*l.ExchangeRate))
				e.requireBase(t, crm.Ref{Entity: sales.QuoteLineEntity, ID: l.ID})
			}
			require.True(t, crm.MustMoney("352.9412 USD").Equal(*lines[0].ExtendedAmountBase), "300 / 0.85: %v", lines[0].ExtendedAmountBase)

			t.Run("mixing currencies is a typed error that changes nothing", func(t *testing.T) {
				before, beforeLines := e.quoteState(t, q.ID)
				_, err := e.quotes.SetPricing(ctx, q.ID, q.Version, sales.PricingHeader{PriceList: e.europe.Ref(), FreightAmount: usdp("15.00")})
				requirePricingCode(t, err, pricing.ErrCurrencyMismatch)
				require.ErrorIs(t, err, crm.ErrCurrencyMismatch)
				e.requireQuoteUnchanged(t, q.ID, before, beforeLines)
				_, _, err = e.quotes.AddLine(ctx, sales.Line{Document: q.Ref(), WriteIn: true, Description: "Installation",
					Quantity: dec("1"), PricePerUnit: usdp("79.00")})
				requirePricingCode(t, err, pricing.ErrCurrencyMismatch)
				require.ErrorIs(t, err, crm.ErrCurrencyMismatch)
				e.requireQuoteUnchanged(t, q.ID, before, beforeLines)
			})

			q, order, inv := e.invoiced(t, q)
			for _, d := range []struct {
				doc   sales.Document
				ref   crm.Ref
				line  string
				lines func() ([]sales.Line, error)
			}{
				{order.Document, order.Ref(), sales.OrderLineEntity, func() ([]sales.Line, error) { return e.orders.Lines(ctx, order.ID) }},
				{inv.Document, inv.Ref(), sales.InvoiceLineEntity, func() ([]sales.Line, error) { return e.invoices.Lines(ctx, inv.ID) }},
			} {
				require.Equal(t, totals(q.Document), totals(d.doc), "%s: the quote's totals, in EUR", d.ref.Entity)
				require.True(t, q.TotalAmountBase.Equal(*d.doc.TotalAmountBase), "%s: base total %v", d.ref.Entity, d.doc.TotalAmountBase)
				e.requireBase(t, d.ref)
				ls, err := d.lines()
				require.NoError(t, err)
				require.Len(t, ls, len(lines))
				for i, l := range ls {
					require.True(t, lines[i].ExtendedAmount.Equal(*l.ExtendedAmount))
					require.True(t, lines[i].ExtendedAmountBase.Equal(*l.ExtendedAmountBase))
					e.requireBase(t, crm.Ref{Entity: d.line, ID: l.ID})
				}
			}
		})
	}
}

// Each refused line or price list is its pricing error code, and the
// quote and its lines stay as they were (issue 11, sales.md §6.6, §6.7).
func TestQuotePricingErrors(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newDocEnv(t, b, nil)
			ctx := e.ctx
			g, err := e.cat.UnitGroups().Get(ctx, e.piece.Group.ID)
			require.NoError(t, err)
			retired := e.activeProduct(t, g, "OLD", "5.00", 0)
			_, err = e.cat.Retire(ctx, retired.ID, e.get(t, retired.ID).Version)
			require.NoError(t, err)
			whole := e.activeProduct(t, g, "WHOLE", "5.00", sales.QuantityWhole)
			unlisted := func(number string, decimals int64) sales.Product {
				p, err := e.cat.CreateProduct(ctx, sales.Product{Name: "Product " + number, Number: number, Structure: sales.StructureProduct,
					UnitGroup: g.Ref(), DefaultUnit: e.piece.Ref(), QuantityDecimal: decimals})
				require.NoError(t, err)
				p, err = e.cat.Publish(ctx, p.ID, p.Version)
				require.NoError(t, err)
				return p
			}
			nowhere := unlisted("NOWHERE", 2)
			tenths := unlisted("TENTHS", 1)
			today := e.store.Now(ctx).UTC().Truncate(24 * time.Hour)
			expired, err := e.cat.PriceLists().Create(ctx, sales.PriceList{Name: "Last year", Currency: "USD",
				BeginDate: today.AddDate(-1, 0, -1), EndDate: today.AddDate(0, 0, -1)})
			require.NoError(t, err)
			_, err = e.cat.PriceListItems().Create(ctx, sales.PriceListItem{PriceList: expired.Ref(), Product: e.a.Ref(), Unit: e.piece.Ref(),
				PricingMethod: sales.PricingCurrencyAmount, Amount: usdp("90.00")})
			require.NoError(t, err)

			q := e.quote(t, e.list.Ref())
			_, q, err = e.quotes.AddLine(ctx, sales.Line{Document: q.Ref(), Product: e.a.Ref(), Quantity: dec("2"), Tax: usdp("4.00")})
			require.NoError(t, err)
			old := e.quote(t, expired.Ref())

			// Without a mandatory price list, a product that is on none is
			// sold in the decimals it supports (sales.md §6.7).
			loose, err := sales.NewQuotes(e.store, sales.DocumentOptions{Pricing: sales.PricingOptions{PriceListOptional: true}})
			require.NoError(t, err)
			lq, err := loose.Create(ctx, sales.Quote{Document: sales.Document{Name: "Loose", Number: "LOOSE-1", Customer: e.customer, PriceList: e.list.Ref()}})
			require.NoError(t, err)
			_, lq, err = loose.AddLine(ctx, sales.Line{Document: lq.Ref(), Product: tenths.Ref(), Quantity: dec("1.5")})
			require.NoError(t, err, "one decimal is what the product supports")

			add := func(svc *sales.Quotes, doc sales.Quote, l sales.Line) func() error {
				return func() error {
					l.Document = doc.Ref()
					_, _, err := svc.AddLine(ctx, l)
					return err
				}
			}
			for _, tc := range []struct {
				name string
				doc  sales.Quote
				op   func() error
				want pricing.Code
			}{
				{"a line on an expired price list", old, add(e.quotes, old, sales.Line{Product: e.a.Ref(), Quantity: dec("1")}), pricing.ErrInactivePriceList},
				{"an expired price list for the lines", q, func() error {
					_, err := e.quotes.SetPricing(ctx, q.ID, q.Version, sales.PricingHeader{PriceList: expired.Ref()})
					return err
				}, pricing.ErrInactivePriceList},
				{"a retired product", q, add(e.quotes, q, sales.Line{Product: retired.Ref(), Quantity: dec("1")}), pricing.ErrInvalidProduct},
				{"more decimals than the product supports", lq, add(loose, lq, sales.Line{Product: tenths.Ref(), Quantity: dec("1.25")}), pricing.ErrInvalidQuantity},
				{"a fraction of a whole-units item", q, add(e.quotes, q, sales.Line{Product: whole.Ref(), Quantity: dec("1.5")}), pricing.ErrInvalidQuantity},
				{"a negative quantity", q, add(e.quotes, q, sales.Line{Product: e.b.Ref(), Quantity: dec("-1")}), pricing.ErrInvalidQuantity},
				{"a product not on the price list", q, add(e.quotes, q, sales.Line{Product: nowhere.Ref(), Quantity: dec("1")}), pricing.ErrNoPriceListItem},
				{"a unit the price list does not sell", q, add(e.quotes, q, sales.Line{Product: e.a.Ref(), Unit: e.box.Ref(), Quantity: dec("1")}), pricing.ErrNoPriceListItem},
			} {
				t.Run(tc.name, func(t *testing.T) {
					before, beforeLines := e.quoteState(t, tc.doc.ID)
					requirePricingCode(t, tc.op(), tc.want)
					e.requireQuoteUnchanged(t, tc.doc.ID, before, beforeLines)
				})
			}
			requireUSD(t, "204.00", q.TotalAmount, "the quote still adds up to its one line")
		})
	}
}
