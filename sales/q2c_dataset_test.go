package sales_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
)

// The quote-to-cash test on a real public dataset: Maven Analytics' "CRM
// Sales Opportunities" (see SOURCE.md beside the files), a fictitious
// hardware seller's 8,800 deals. Its 7 products, at their sales_price on
// one USD price list, and its 85 accounts become the catalog and the
// customers of every store; a deterministic sample of its won deals then
// goes the whole way on each: an opportunity with one product line,
// Quotes.FromOpportunity, Activate, Win, Orders.FromQuote,
// Invoices.FromOrder, Pay, and the opportunity won. Every total is checked
// against an amount computed here from the file, every store against the
// others.
//
// The files are not in the repository: the test skips when they are not
// at CRMKIT_SALES_Q2C_DATA or ../../shared/data/crm-sales-opportunities.
//
// Choices the data forced, stated so a reader can check them:
//   - Product names: the pipeline writes "GTXPro" where products.csv
//     writes "GTX Pro". Names are matched with case and spaces ignored
//     ("gtxpro"), and the test requires every pipeline product to match
//     exactly one product that way.
//   - Quantity: max(1, round(close_value / sales_price)), half away from
//     zero. In this file every won deal's close_value is within half a
//     unit price of the price (the file's sellers discount, they do not
//     sell several units), so every line is of 1 unit; the test says so
//     (q2cQuantities) rather than pretending otherwise.
//   - Volume discount: MG Special's price list item carries a percentage
//     discount list, 7.5 % from 1 to 1,000 units, so every MG Special line
//     is discounted: 55 less 4.125 is 50.875 a unit, 50.88 a line (the
//     unrounded per-unit discount times the quantity, then rounded half
//     away from zero, sales.md §6.1).
//   - An account's subsidiary_of becomes its parent account.

// q2cDealsDefault is how many won deals each store runs by default, and
// q2cDealsRace under the race detector (SQLite takes some 75 ms a deal
// then, 9 ms without); CRMKIT_SALES_Q2C_DEALS sets another number, or
// "all".
const (
	q2cDealsDefault = 120
	q2cDealsRace    = 60
)

// q2cVolumeProduct is the product with a volume discount list, and the
// list's one range and percentage.
const (
	q2cVolumeProduct = "MG Special"
	q2cVolumePercent = "7.5"
	q2cVolumeLow     = "1"
	q2cVolumeHigh    = "1000"
)

type q2cProduct struct {
	name, series string
	price        decimal.Decimal // sales_price, USD
}

type q2cAccount struct {
	name, sector, parent string
	revenue              decimal.Decimal // annual revenue, millions of USD
	employees            int64
}

// q2cDeal is one won deal of the file and what the test expects of it.
type q2cDeal struct {
	id, agent, account string
	product            *q2cProduct // matched by q2cKey
	closeDate          time.Time
	closeValue         decimal.Decimal
	quantity           decimal.Decimal
	total              crm.Money // the line's extended amount: every document's total
}

type q2cData struct {
	products []q2cProduct
	accounts []q2cAccount
	won      []q2cDeal // in file order
	rows     int       // every deal of the pipeline
}

// q2cKey is a product name with case and spaces ignored: "GTXPro" and
// "GTX Pro" are both "gtxpro".
func q2cKey(name string) string { return strings.ToLower(strings.Join(strings.Fields(name), "")) }

// q2cDir returns the dataset's folder, or skips the test.
func q2cDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CRMKIT_SALES_Q2C_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data", "crm-sales-opportunities")
	}
	if _, err := os.Stat(filepath.Join(dir, "sales_pipeline.csv")); err != nil {
		t.Skip("the CRM Sales Opportunities dataset is not here:", err)
	}
	return dir
}

// readQ2CFile reads a CSV file of the dataset (CRLF line endings, which
// encoding/csv takes) into rows by column name, requiring the columns
// want.
func readQ2CFile(t *testing.T, dir, name string, want ...string) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, name))
	require.NoError(t, err)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err, name)
	require.NotEmpty(t, recs, name)
	header := recs[0]
	for _, c := range want {
		require.Contains(t, header, c, "%s: column %s", name, c)
	}
	out := make([]map[string]string, 0, len(recs)-1)
	for _, r := range recs[1:] {
		row := make(map[string]string, len(header))
		for i, c := range header {
			row[c] = r[i]
		}
		out = append(out, row)
	}
	return out
}

func loadQ2CData(t *testing.T) *q2cData {
	t.Helper()
	dir := q2cDir(t)
	d := &q2cData{}
	for _, r := range readQ2CFile(t, dir, "products.csv", "product", "series", "sales_price") {
		d.products = append(d.products, q2cProduct{name: r["product"], series: r["series"], price: decimal.RequireFromString(r["sales_price"])})
	}
	byKey := map[string]*q2cProduct{}
	for i := range d.products {
		k := q2cKey(d.products[i].name)
		require.NotContains(t, byKey, k, "two products are %q", k)
		byKey[k] = &d.products[i]
	}
	for _, r := range readQ2CFile(t, dir, "accounts.csv", "account", "sector", "revenue", "employees", "subsidiary_of") {
		n, err := strconv.ParseInt(r["employees"], 10, 64)
		require.NoError(t, err, r["account"])
		d.accounts = append(d.accounts, q2cAccount{name: r["account"], sector: r["sector"], parent: r["subsidiary_of"],
			revenue: decimal.RequireFromString(r["revenue"]), employees: n})
	}
	names := map[string]bool{}
	for _, a := range d.accounts {
		names[a.name] = true
	}
	pipeline := readQ2CFile(t, dir, "sales_pipeline.csv", "opportunity_id", "sales_agent", "product", "account", "deal_stage", "close_date", "close_value")
	d.rows = len(pipeline)
	for _, r := range pipeline {
		if r["deal_stage"] != "Won" {
			continue
		}
		p := byKey[q2cKey(r["product"])]
		require.NotNil(t, p, "deal %s: product %q is in no form in products.csv", r["opportunity_id"], r["product"])
		require.True(t, names[r["account"]], "deal %s: account %q is not in accounts.csv", r["opportunity_id"], r["account"])
		closed, err := time.Parse(time.DateOnly, r["close_date"])
		require.NoError(t, err, r["opportunity_id"])
		deal := q2cDeal{id: r["opportunity_id"], agent: r["sales_agent"], account: r["account"], product: p,
			closeDate: closed, closeValue: decimal.RequireFromString(r["close_value"])}
		deal.quantity = crm.RoundHalfAwayFromZero(deal.closeValue.Div(p.price), 0)
		if deal.quantity.LessThan(decimal.NewFromInt(1)) {
			deal.quantity = decimal.NewFromInt(1)
		}
		deal.total = q2cExpectedTotal(p, deal.quantity)
		d.won = append(d.won, deal)
	}
	return d
}

// q2cExpectedTotal is a line's extended amount computed from the file, not
// by the pricing package: (price − volume discount) × quantity, rounded
// half away from zero to cents; no discount, tax or freight otherwise.
func q2cExpectedTotal(p *q2cProduct, qty decimal.Decimal) crm.Money {
	unit := p.price
	if p.name == q2cVolumeProduct && !qty.LessThan(dec(q2cVolumeLow)) && !qty.GreaterThan(dec(q2cVolumeHigh)) {
		unit = unit.Sub(unit.Mul(dec(q2cVolumePercent)).Div(decimal.NewFromInt(100)))
	}
	return crm.NewMoney(unit.Mul(qty), "USD").Round()
}

// q2cSample returns the deals each store runs: n of the won deals (all of
// them for "all"), spread evenly over the file.
func (d *q2cData) q2cSample(t *testing.T) []q2cDeal {
	t.Helper()
	n := q2cDealsDefault
	if raceEnabled {
		n = q2cDealsRace
	}
	switch s := os.Getenv("CRMKIT_SALES_Q2C_DEALS"); s {
	case "":
	case "all":
		n = len(d.won)
	default:
		var err error
		n, err = strconv.Atoi(s)
		require.NoError(t, err, "CRMKIT_SALES_Q2C_DEALS")
		require.Positive(t, n, "CRMKIT_SALES_Q2C_DEALS")
	}
	n = min(n, len(d.won))
	out := make([]q2cDeal, n)
	for i := range out {
		out[i] = d.won[i*len(d.won)/n]
	}
	return out
}

// The file as SOURCE.md describes it, and what the test makes of it.
func TestQ2CDatasetFile(t *testing.T) {
	d := loadQ2CData(t)
	require.Len(t, d.products, 7)
	require.Len(t, d.accounts, 85)
	require.Equal(t, 8800, d.rows)
	require.Len(t, d.won, 4238, "the file's won deals")
	var gtxPro int
	for _, deal := range d.won {
		if deal.product.name == "GTX Pro" {
			gtxPro++
		}
	}
	require.Equal(t, 729, gtxPro, "every GTXPro deal is GTX Pro's")
	q2cQuantities(t, d.won)
	mg := &d.products[slices.IndexFunc(d.products, func(p q2cProduct) bool { return p.name == q2cVolumeProduct })]
	require.Equal(t, "50.88 USD", q2cExpectedTotal(mg, dec("1")).String(), "55 less 7.5 %, rounded half away from zero")
	require.Equal(t, "508.75 USD", q2cExpectedTotal(mg, dec("10")).String(), "the unrounded unit discount times the quantity")
}

// q2cQuantities checks the quantities the deals were given: all 1 in this
// file (see the file's comment); a new version of the data with larger
// deals would fail here, to have the comment read again.
func q2cQuantities(t *testing.T, deals []q2cDeal) {
	t.Helper()
	for _, deal := range deals {
		require.True(t, deal.quantity.Equal(decimal.NewFromInt(1)), "deal %s: %s units", deal.id, deal.quantity)
	}
}

// q2cWorld is one store with the catalog and accounts of the file.
type q2cWorld struct {
	t        *testing.T
	name     string
	ctx      context.Context
	st       *storage.Store
	cat      *sales.Catalog
	accounts *sales.Accounts
	opps     *sales.Opportunities
	lines    *sales.OpportunityLines
	quotes   *sales.Quotes
	orders   *sales.Orders
	invoices *sales.Invoices
	list     sales.PriceList
	products map[string]sales.Product // by the file's name
	customer map[string]crm.Ref       // by account name
	account  map[crm.ID]string        // account name by ID
}

// q2cRun is what one deal became in one store.
type q2cRun struct {
	deal                       q2cDeal
	opp, quote, order, invoice crm.ID
	quoteVersion, orderVersion int64
}

func newQ2CWorld(t *testing.T, b backend, d *q2cData) *q2cWorld {
	t.Helper()
	st := b.store(t, nil)
	w := &q2cWorld{t: t, name: b.name, ctx: crm.AsSystem(context.Background()), st: st,
		cat: sales.NewCatalog(st, sales.CatalogOptions{}), accounts: sales.NewAccounts(st),
		opps: sales.NewOpportunities(st), lines: sales.NewOpportunityLines(st, sales.PricingOptions{}),
		products: map[string]sales.Product{}, customer: map[string]crm.Ref{}, account: map[crm.ID]string{}}
	numbers, err := sales.NewNumbering(st, nil)
	require.NoError(t, err)
	opts := sales.DocumentOptions{Numbering: numbers}
	w.quotes, err = sales.NewQuotes(st, opts)
	require.NoError(t, err)
	w.orders, err = sales.NewOrders(st, opts)
	require.NoError(t, err)
	w.invoices, err = sales.NewInvoices(st, opts)
	require.NoError(t, err)
	w.makeCatalog(d)
	w.makeAccounts(d)
	return w
}

// makeCatalog makes a family per series with its products, in one unit
// group, published, each at its sales_price on the USD list, MG Special
// with the volume discount list.
func (w *q2cWorld) makeCatalog(d *q2cData) {
	t, ctx := w.t, w.ctx
	g, unit, err := w.cat.CreateUnitGroup(ctx, sales.UnitGroup{Name: "Hardware", BaseUnitName: "Unit"})
	require.NoError(t, err)
	w.list, err = w.cat.PriceLists().Create(ctx, sales.PriceList{Name: "Sales price", Currency: "USD"})
	require.NoError(t, err)
	volume, err := w.cat.DiscountLists().Create(ctx, sales.DiscountList{Name: q2cVolumeProduct + " volume"})
	require.NoError(t, err)
	_, err = w.cat.AddDiscount(ctx, sales.Discount{DiscountList: volume.Ref(), Low: dec(q2cVolumeLow), High: dec(q2cVolumeHigh),
		Percentage: decp(q2cVolumePercent)})
	require.NoError(t, err)

	families := map[string]sales.Product{}
	for _, p := range d.products {
		fam, ok := families[p.series]
		if !ok {
			fam, err = w.cat.CreateProduct(ctx, sales.Product{Name: p.series, Number: p.series, Structure: sales.StructureFamily,
				UnitGroup: g.Ref(), DefaultUnit: unit.Ref()})
			require.NoError(t, err, "family %s", p.series)
			families[p.series] = fam
		}
		price := crm.NewMoney(p.price, "USD")
		prod, err := w.cat.CreateProduct(ctx, sales.Product{Name: p.name, Number: strings.ToUpper(q2cKey(p.name)),
			Structure: sales.StructureProduct, Parent: fam.Ref(), UnitGroup: g.Ref(), DefaultUnit: unit.Ref(), ListPrice: &price})
		require.NoError(t, err, p.name)
		w.products[p.name] = prod
		item := sales.PriceListItem{PriceList: w.list.Ref(), Product: prod.Ref(), Unit: unit.Ref(),
			PricingMethod: sales.PricingCurrencyAmount, Amount: &price}
		if p.name == q2cVolumeProduct {
			item.DiscountList = volume.Ref()
		}
		_, err = w.cat.PriceListItems().Create(ctx, item)
		require.NoError(t, err, p.name)
	}
	for _, fam := range families {
		_, err := w.cat.PublishHierarchy(ctx, fam.ID, fam.Version)
		require.NoError(t, err, fam.Name)
	}
	for name, p := range w.products {
		p, err := w.cat.Products().Get(ctx, p.ID)
		require.NoError(t, err)
		require.Equal(t, sales.ProductStateActive, p.ProductState(), name)
	}
}

// makeAccounts creates the file's accounts, then sets each subsidiary's
// parent.
func (w *q2cWorld) makeAccounts(d *q2cData) {
	t, ctx := w.t, w.ctx
	made := map[string]sales.Account{}
	for _, a := range d.accounts {
		revenue := crm.NewMoney(a.revenue.Mul(decimal.NewFromInt(1_000_000)), "USD")
		acc, err := w.accounts.Create(ctx, sales.Account{Name: a.name, Revenue: &revenue, NumberOfEmployees: sales.Ptr(a.employees),
			Description: "Sector: " + a.sector})
		require.NoError(t, err, a.name)
		made[a.name] = acc
		w.customer[a.name] = sales.AccountRef(acc.ID)
		w.account[acc.ID] = a.name
	}
	for _, a := range d.accounts {
		if a.parent == "" {
			continue
		}
		parent, ok := made[a.parent]
		require.True(t, ok, "%s: parent %q is not an account", a.name, a.parent)
		acc := made[a.name]
		acc.ParentAccount = sales.AccountRef(parent.ID)
		_, err := w.accounts.Update(ctx, acc)
		require.NoError(t, err, a.name)
	}
}

// run takes one deal from opportunity to paid invoice and won
// opportunity, checking each document's totals on the way.
func (w *q2cWorld) run(deal q2cDeal) q2cRun {
	t, ctx := w.t, w.ctx
	t.Helper()
	what := fmt.Sprintf("%s: deal %s", w.name, deal.id)
	opp, err := w.opps.Create(ctx, sales.Opportunity{Name: deal.id + " " + deal.product.name, Customer: w.customer[deal.account],
		PriceList: w.list.Ref(), RevenueSystemCalculated: true, Description: "Sales agent: " + deal.agent})
	require.NoError(t, err, what)
	line, opp, err := w.lines.AddLine(ctx, sales.OpportunityLine{Document: opp.Ref(), Product: w.products[deal.product.name].Ref(),
		Quantity: deal.quantity})
	require.NoError(t, err, what)
	requireUSD(t, deal.total.Amount.StringFixed(2), line.ExtendedAmount, what+": the line")
	requireUSD(t, deal.total.Amount.StringFixed(2), opp.TotalAmount, what+": the opportunity")

	q, err := w.quotes.FromOpportunity(ctx, opp.ID, sales.Quote{})
	require.NoError(t, err, what)
	require.Equal(t, totals(oppTotals(opp)), totals(q.Document), "%s: the quote keeps the opportunity's totals", what)
	q, err = w.quotes.Activate(ctx, q.ID, q.Version)
	require.NoError(t, err, what)
	q, _, err = w.quotes.Win(ctx, q.ID, q.Version, sales.CloseOptions{Date: deal.closeDate})
	require.NoError(t, err, what)
	require.True(t, deal.closeDate.Equal(q.ClosedOn), "%s: the quote closed on %s, not the file's %s", what, q.ClosedOn, deal.closeDate)
	order, err := w.orders.FromQuote(ctx, q.ID)
	require.NoError(t, err, what)
	require.Equal(t, totals(q.Document), totals(order.Document), "%s: the order keeps the quote's totals", what)
	inv, err := w.invoices.FromOrder(ctx, order.ID)
	require.NoError(t, err, what)
	require.Equal(t, totals(order.Document), totals(inv.Document), "%s: the invoice keeps the order's totals", what)
	inv, err = w.invoices.Pay(ctx, inv.ID, inv.Version, 0)
	require.NoError(t, err, what)
	require.Equal(t, sales.InvoiceStatusComplete, inv.InvoiceStatus(), what)
	requireUSD(t, deal.total.Amount.StringFixed(2), inv.TotalAmount, what+": the invoice")

	invLines, err := w.invoices.Lines(ctx, inv.ID)
	require.NoError(t, err, what)
	require.Len(t, invLines, 1, what)
	sum := crm.Zero("USD")
	for _, l := range invLines {
		require.NotNil(t, l.ExtendedAmount, what)
		sum, err = sum.Add(*l.ExtendedAmount)
		require.NoError(t, err, what)
	}
	requireUSD(t, sum.Amount.StringFixed(2), inv.TotalAmount, what+": the invoice is the sum of its lines")
	require.Equal(t, w.products[deal.product.name].Ref(), invLines[0].Product, what)

	_, _, err = w.opps.Win(ctx, opp.ID, storage.AnyVersion, sales.WinOptions{CloseDate: deal.closeDate})
	require.NoError(t, err, what)

	lin, err := sales.LineageOf(ctx, w.st, inv.Ref())
	require.NoError(t, err, what)
	require.NotNil(t, lin.Opportunity, what)
	require.Equal(t, opp.ID, lin.Opportunity.ID, "%s: the invoice's lineage reaches its opportunity", what)
	require.Equal(t, sales.OpportunityStateWon, lin.Opportunity.OpportunityState(), what)
	require.True(t, deal.closeDate.Equal(lin.Opportunity.ActualCloseDate), "%s: won on %s", what, lin.Opportunity.ActualCloseDate)
	requireUSD(t, deal.total.Amount.StringFixed(2), lin.Opportunity.ActualValue, what+": the revenue won")
	require.Len(t, lin.Quotes, 1, what)
	require.Len(t, lin.Orders, 1, what)
	require.Len(t, lin.Invoices, 1, what)
	require.Equal(t, sales.OrderStateInvoiced, lin.Orders[0].OrderState(), what)
	return q2cRun{deal: deal, opp: opp.ID, quote: q.ID, order: order.ID, invoice: inv.ID,
		quoteVersion: q.Version, orderVersion: lin.Orders[0].Version}
}

// oppTotals are an opportunity's totals as a document's, for totals.
func oppTotals(o sales.Opportunity) sales.Document {
	return sales.Document{TotalLineItemAmount: o.TotalLineItemAmount, TotalLineItemDiscount: o.TotalLineItemDiscount,
		TotalDiscountAmount: o.TotalDiscountAmount, TotalAmountLessFreight: o.TotalAmountLessFreight, TotalTax: o.TotalTax,
		TotalAmount: o.TotalAmount}
}

// q2cSummary is what the stores must agree on exactly.
type q2cSummary struct {
	counts    map[string]int64  // records by entity, every entity of the registry
	byAccount map[string]string // paid invoices' count and total by customer
	byProduct map[string]string // won opportunities and their lines' revenue by product
	totals    []string          // each deal's invoice totals, in the sample's order
}

// counts returns the number of records of every entity.
func (w *q2cWorld) counts() map[string]int64 {
	out := map[string]int64{}
	for _, e := range w.st.Registry().Entities() {
		n, err := w.st.Count(w.ctx, crm.Query{Entity: e.Name})
		require.NoError(w.t, err, e.Name)
		out[e.Name] = n
	}
	return out
}

// byAccount is one aggregate of the store: the paid invoices' count and
// total amount by customer, named by account.
func (w *q2cWorld) byAccount() map[string]string {
	rows, err := w.st.Aggregate(w.ctx, crm.Aggregation{
		Entity:  sales.InvoiceEntity,
		Where:   crm.Eq(crm.FieldState, int32(sales.InvoiceStatePaid)),
		GroupBy: []crm.GroupBy{{Alias: "customer", Field: sales.DocumentCustomer}},
		Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount},
			{Alias: "total", Func: crm.AggSum, Field: sales.DocumentTotalAmount}},
	})
	require.NoError(w.t, err)
	out := map[string]string{}
	for _, r := range rows {
		c := r.Ref("customer")
		name, ok := w.account[c.ID]
		require.True(w.t, ok, "%s: customer %s is none of the file's accounts", w.name, c)
		total, ok := r.Money("total")
		require.True(w.t, ok, "%s: no total for %s", w.name, name)
		out[name] = fmt.Sprintf("%d %s", r.Int("n"), total.Round())
	}
	return out
}

// byProduct is the pipeline's win rate by product: the won opportunities
// with a line of each product and the sum of those lines.
func (w *q2cWorld) byProduct() map[string]string {
	rows, err := sales.NewPipeline(w.st).WinRate(w.ctx, sales.ByProduct)
	require.NoError(w.t, err)
	names := map[crm.ID]string{}
	for name, p := range w.products {
		names[p.ID] = name
	}
	out := map[string]string{}
	for _, r := range rows {
		out[names[r.Product.ID]] = fmt.Sprintf("%d won %d lost %s", r.Won, r.Lost, r.WonRevenue.Round())
	}
	return out
}

// q2cExpected computes from the file what the store's aggregates must
// say of deals: by account, the paid invoices' count and total; by
// product, the won opportunities and their lines' total.
func q2cExpected(t *testing.T, deals []q2cDeal) (byAccount, byProduct map[string]string) {
	type sum struct {
		n     int64
		total crm.Money
	}
	acc, prod := map[string]sum{}, map[string]sum{}
	add := func(m map[string]sum, k string, amount crm.Money) {
		s, ok := m[k]
		if !ok {
			s.total = crm.Zero("USD")
		}
		var err error
		s.n++
		s.total, err = s.total.Add(amount)
		require.NoError(t, err)
		m[k] = s
	}
	for _, d := range deals {
		add(acc, d.account, d.total)
		add(prod, d.product.name, d.total)
	}
	byAccount, byProduct = map[string]string{}, map[string]string{}
	for k, s := range acc {
		byAccount[k] = fmt.Sprintf("%d %s", s.n, s.total)
	}
	for k, s := range prod {
		byProduct[k] = fmt.Sprintf("%d won 0 lost %s", s.n, s.total)
	}
	return byAccount, byProduct
}

// requireConversionsOnce converts again every tenth won quote and
// invoiced order of runs: refused, and nothing changes.
func (w *q2cWorld) requireConversionsOnce(runs []q2cRun) {
	t, ctx := w.t, w.ctx
	before := w.counts()
	var tried int
	for i := 0; i < len(runs); i += 10 {
		r := runs[i]
		_, err := w.orders.FromQuote(ctx, r.quote)
		require.ErrorIs(t, err, sales.ErrAlreadyConverted, "%s: deal %s: a won quote converts once", w.name, r.deal.id)
		_, err = w.invoices.FromOrder(ctx, r.order)
		require.ErrorIs(t, err, crm.ErrInvalidTransition, "%s: deal %s: an order is invoiced once", w.name, r.deal.id)
		q, err := w.quotes.Get(ctx, r.quote)
		require.NoError(t, err)
		require.Equal(t, r.quoteVersion, q.Version, "%s: deal %s: the quote is unchanged", w.name, r.deal.id)
		o, err := w.orders.Get(ctx, r.order)
		require.NoError(t, err)
		require.Equal(t, r.orderVersion, o.Version, "%s: deal %s: the order is unchanged", w.name, r.deal.id)
		tried++
	}
	require.Positive(t, tried)
	require.Equal(t, before, w.counts(), "%s: the refused conversions left records", w.name)
}

// TestQ2CDataset runs the sample of won deals from opportunity to paid
// invoice on every store, checks every document's totals against the
// file, the stores' aggregates against sums computed here, and the
// stores against each other.
func TestQ2CDataset(t *testing.T) {
	d := loadQ2CData(t)
	deals := d.q2cSample(t)
	q2cQuantities(t, deals)
	wantAccount, wantProduct := q2cExpected(t, deals)
	var ref *q2cSummary
	var refName string
	for _, b := range backends() {
		var got q2cSummary
		ok := t.Run(b.name, func(t *testing.T) {
			w := newQ2CWorld(t, b, d)
			began := time.Now()
			runs := make([]q2cRun, 0, len(deals))
			for _, deal := range deals {
				runs = append(runs, w.run(deal))
			}
			took := time.Since(began)
			t.Logf("%s: %d deals in %s, %s a deal (9 operations and the checks' reads)",
				b.name, len(deals), took.Round(time.Millisecond), (took / time.Duration(len(deals))).Round(time.Microsecond))

			got.byAccount = w.byAccount()
			require.Equal(t, wantAccount, got.byAccount, "the store's invoice totals by customer are the file's")
			got.byProduct = w.byProduct()
			require.Equal(t, wantProduct, got.byProduct, "the won revenue by product is the file's")
			w.requireConversionsOnce(runs)
			got.counts = w.counts()
			n := int64(len(deals))
			for _, e := range []string{sales.OpportunityEntity, sales.OpportunityLineEntity, sales.QuoteEntity, sales.QuoteLineEntity,
				sales.OrderEntity, sales.OrderLineEntity, sales.InvoiceEntity, sales.InvoiceLineEntity} {
				require.Equal(t, n, got.counts[e], e)
			}
			require.Equal(t, int64(len(d.accounts)), got.counts[sales.AccountEntity])
			for _, r := range runs {
				inv, err := w.invoices.Get(w.ctx, r.invoice)
				require.NoError(t, err)
				got.totals = append(got.totals, strings.Join(totals(inv.Document), " "))
			}
		})
		if !ok || got.counts == nil {
			continue // failed, or skipped (PostgreSQL without a DSN)
		}
		if ref == nil {
			ref, refName = &got, b.name
			continue
		}
		require.Equal(t, ref.counts, got.counts, "%s and %s: records by entity", refName, b.name)
		require.Equal(t, ref.byAccount, got.byAccount, "%s and %s: invoices by customer", refName, b.name)
		require.Equal(t, ref.byProduct, got.byProduct, "%s and %s: won revenue by product", refName, b.name)
		require.Equal(t, ref.totals, got.totals, "%s and %s: each deal's totals", refName, b.name)
	}
	if ref == nil {
		t.Fatal("no store ran the deals")
	}
}
