package sales_test

// Benchmarks of quotes, orders and invoices (issue 11), each beside
// baselines in the same run, so that the figures say how much of the
// time is storage and how much arithmetic.
//
// BenchmarkQuoteRecalculate prices a stored 1,000-line quote again
// (Quotes.Recalculate, impl=recalculate): lines cycling through 18
// products, the six pricing methods by three rounding policies (none,
// ends in .99 up, multiple of 0.25 to nearest), one product in three
// with a three-range volume discount list, fractional quantities, a
// manual discount and tax on every line, a 2.5 % and a 50.00 header
// discount and 120.00 freight: the lines of the pricing engine's own
// BenchmarkQuote, from the catalog. The catalog does not change between
// iterations, so no line is written: what is measured is the lock of
// the header, reading the 1,000 lines, the catalog reads (18 products,
// 18 price list items, one discount list), the engine, comparing every
// line with its new amounts and the header's write. Baselines:
// impl=lines reads the 1,000 lines (Quotes.Lines), impl=engine prices
// the same lines with pricing.Settings.Calculate alone (its totals are
// checked against the stored quote's before the timer starts).
//
// BenchmarkQuoteToInvoice converts a won 100-line quote to an order
// (Orders.FromQuote) and that order to an invoice (Invoices.FromOrder)
// per iteration (impl=convert); each iteration has its own won quote,
// imported before the timer starts as copies of one priced, won quote.
// The baseline (impl=createmany) writes what a conversion must at least
// write: the same 101 records (header and 100 lines) of the order, then
// of the invoice, with one CreateMany each inside the conversions' named
// operations (whose rules let lines and totals be written), copied from
// the order and invoice a real conversion made.
//
// Run them with:
//
//	go test -run '^$' -bench 'QuoteRecalculate|QuoteToInvoice' -benchmem -count 6 ./sales/ > documents.txt
//	benchstat -col /impl documents.txt

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/internal/stores"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/sales/pricing"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/memory"
)

// benchDBs are the stores the document benchmarks run on.
var benchDBs = []string{"memory", "sqlite"}

// docBench is a store with the catalog the benchmark documents are
// priced from.
type docBench struct {
	ctx      context.Context
	st       *storage.Store
	quotes   *sales.Quotes
	orders   *sales.Orders
	invoices *sales.Invoices
	customer crm.Ref
	list     sales.PriceList
	piece    sales.Unit
	// products are the 18 products lines cycle through, and items their
	// pricing, as the engine takes them.
	products []sales.Product
	items    []*pricing.PriceListItem
}

// benchProducts is how many products the lines cycle through: the six
// pricing methods by three rounding policies.
const benchProducts = 18

func newDocBench(b *testing.B, db string) *docBench {
	b.Helper()
	reg := crm.NewRegistry()
	require.NoError(b, sales.Register(reg))
	var st *storage.Store
	switch db {
	case "memory":
		st = memory.Open(reg)
	default:
		bdb := stores.OpenBenchDB(b, db, "crmkit_docs_", reg)
		b.Cleanup(bdb.Close)
		st = storage.New(bdb.Driver, reg)
	}
	e := &docBench{ctx: crm.AsSystem(context.Background()), st: st}
	ctx := e.ctx
	numbers, err := sales.NewNumbering(st, nil)
	require.NoError(b, err)
	opts := sales.DocumentOptions{Numbering: numbers}
	e.quotes, err = sales.NewQuotes(st, opts)
	require.NoError(b, err)
	e.orders, err = sales.NewOrders(st, opts)
	require.NoError(b, err)
	e.invoices, err = sales.NewInvoices(st, opts)
	require.NoError(b, err)
	acc, err := sales.NewAccounts(st).Create(ctx, sales.Account{Name: "Acme"})
	require.NoError(b, err)
	e.customer = acc.Ref()

	cat := sales.NewCatalog(st, sales.CatalogOptions{})
	g, piece, err := cat.CreateUnitGroup(ctx, sales.UnitGroup{Name: "Hardware", BaseUnitName: "Piece"})
	require.NoError(b, err)
	e.piece = piece
	e.list, err = cat.PriceLists().Create(ctx, sales.PriceList{Name: "Retail", Currency: "USD"})
	require.NoError(b, err)
	volume, err := cat.DiscountLists().Create(ctx, sales.DiscountList{Name: "Volume"})
	require.NoError(b, err)
	volumeList := &pricing.DiscountList{Type: pricing.PercentageDiscount}
	for _, r := range [][3]string{{"1", "4", "0"}, {"5", "19", "5"}, {"20", "100", "12.5"}} {
		_, err := cat.AddDiscount(ctx, sales.Discount{DiscountList: volume.Ref(), Low: dec(r[0]), High: dec(r[1]), Percentage: decp(r[2])})
		require.NoError(b, err)
		volumeList.Discounts = append(volumeList.Discounts, pricing.Discount{Begin: dec(r[0]), End: dec(r[1]), Percentage: dec(r[2])})
	}
	roundings := []struct {
		policy sales.RoundingPolicy
		option sales.RoundingOption
		amount *crm.Money
	}{
		{sales.RoundingNone, 0, nil},
		{sales.RoundingUp, sales.RoundingEndsIn, usdp("0.99")},
		{sales.RoundingNearest, sales.RoundingMultipleOf, usdp("0.25")},
	}
	for i := range benchProducts {
		p, err := cat.CreateProduct(ctx, sales.Product{Name: fmt.Sprintf("Product %d", i), Number: fmt.Sprintf("P%02d", i),
			Structure: sales.StructureProduct, UnitGroup: g.Ref(), DefaultUnit: piece.Ref(), QuantityDecimal: 2,
			ListPrice: usdp("199.00"), CurrentCost: usdp("87.35"), StandardCost: usdp("90.10")})
		require.NoError(b, err)
		p, err = cat.Publish(ctx, p.ID, p.Version)
		require.NoError(b, err)
		r := roundings[i/6]
		item := sales.PriceListItem{PriceList: e.list.Ref(), Product: p.Ref(), Unit: piece.Ref(),
			PricingMethod: sales.PricingMethod(1 + i%6), RoundingPolicy: r.policy, RoundingOption: r.option, RoundingAmount: r.amount}
		engine := &pricing.PriceListItem{Method: pricing.Method(item.PricingMethod), Unit: piece.ID,
			Rounding: pricing.Rounding{Policy: pricing.RoundingPolicy(r.policy), Option: pricing.RoundingOption(r.option)}}
		if r.amount != nil {
			engine.Rounding.Amount = r.amount.Amount
		}
		if item.PricingMethod == sales.PricingCurrencyAmount {
			item.Amount = usdp("149.90")
			engine.Amount = item.Amount
		} else {
			item.Percentage = decp(fmt.Sprint(10 + i))
			engine.Percentage = item.Percentage
		}
		if i%3 == 0 {
			item.DiscountList = volume.Ref()
			engine.Discounts = volumeList
		}
		_, err = cat.PriceListItems().Create(ctx, item)
		require.NoError(b, err)
		e.products = append(e.products, p)
		e.items = append(e.items, engine)
	}
	return e
}

// benchLine is line i of a benchmark document.
func (e *docBench) benchLine(i int) sales.Line {
	return sales.Line{Product: e.products[i%benchProducts].Ref(), Unit: e.piece.Ref(), Kind: pricing.ProductLine,
		Quantity: decimal.New(int64(1+i%50)*100+25, -2), ManualDiscount: usdp("1.50"), Tax: usdp("3.20"),
		Sequence: int64(i + 1)}
}

// pricedQuote stores a Draft quote of n lines and prices it: the lines
// are imported unpriced in one batch (adding them one by one would price
// the quote n times), then Quotes.Recalculate prices them all.
func (e *docBench) pricedQuote(b *testing.B, n int) sales.Quote {
	b.Helper()
	q, err := e.quotes.Create(e.ctx, sales.Quote{Document: sales.Document{Name: "Bench quote", Customer: e.customer,
		PriceList: e.list.Ref(), DiscountPercentage: decp("2.5"), DiscountAmount: usdp("50.00"), FreightAmount: usdp("120.00")}})
	require.NoError(b, err)
	codec := sales.QuoteLineCodec()
	recs := make([]crm.Record, n)
	for i := range recs {
		l := e.benchLine(i)
		l.Document = q.Ref()
		recs[i] = codec.Encode(l)
	}
	_, err = e.st.Import(e.ctx, recs, storage.ImportOptions{})
	require.NoError(b, err)
	q, err = e.quotes.Recalculate(e.ctx, q.ID)
	require.NoError(b, err)
	require.NotNil(b, q.TotalAmount)
	return q
}

// engineDocument is the pricing document of a quote of n benchmark
// lines, as the quote's pricing operations give it to the engine.
func (e *docBench) engineDocument(n int) pricing.Document {
	doc := pricing.Document{Currency: "USD", AsOf: time.Now().UTC(), PriceList: &pricing.PriceList{Currency: "USD"},
		DiscountPercentage: dec("2.5"), DiscountAmount: usdp("50.00"), Freight: usdp("120.00")}
	for i := range n {
		l, p := e.benchLine(i), e.products[i%benchProducts]
		doc.Lines = append(doc.Lines, pricing.Line{Kind: pricing.ProductLine, Unit: e.piece.ID,
			Product: &pricing.Product{State: pricing.ProductState(p.State), ListPrice: p.ListPrice, CurrentCost: p.CurrentCost,
				StandardCost: p.StandardCost, QuantityDecimals: int32(p.QuantityDecimal)},
			Item: e.items[i%benchProducts], Quantity: l.Quantity, ManualDiscount: l.ManualDiscount, Tax: l.Tax})
	}
	return doc
}

func BenchmarkQuoteRecalculate(b *testing.B) {
	const n = 1000
	for _, db := range benchDBs {
		b.Run("db="+db+"/impl=recalculate", func(b *testing.B) {
			e := newDocBench(b, db)
			q := e.pricedQuote(b, n)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.quotes.Recalculate(e.ctx, q.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("db="+db+"/impl=lines", func(b *testing.B) {
			e := newDocBench(b, db)
			q := e.pricedQuote(b, n)
			b.ReportAllocs()
			for b.Loop() {
				if lines, err := e.quotes.Lines(e.ctx, q.ID); err != nil || len(lines) != n {
					b.Fatalf("%d lines, %v", len(lines), err)
				}
			}
		})
		b.Run("db="+db+"/impl=engine", func(b *testing.B) {
			e := newDocBench(b, db)
			q := e.pricedQuote(b, n)
			s := pricing.Settings{PricingPrecision: e.st.Registry().PricingPrecision()}
			doc := e.engineDocument(n)
			res, err := s.Calculate(doc)
			require.NoError(b, err)
			require.True(b, res.TotalAmount.Equal(*q.TotalAmount), "engine %s, stored quote %s", res.TotalAmount, q.TotalAmount)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Calculate(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// wonQuotes imports count copies of the won quote q with its lines, in
// batches of ten quotes, each with a number of its own.
func (e *docBench) wonQuotes(b *testing.B, q sales.Quote, count int) []crm.ID {
	b.Helper()
	lines, err := e.quotes.Lines(e.ctx, q.ID)
	require.NoError(b, err)
	qc, lc := sales.QuoteCodec(), sales.QuoteLineCodec()
	ids := make([]crm.ID, 0, count)
	var batch []crm.Record
	for i := range count {
		c := q
		c.Header = crm.Header{ID: crm.NewID(), State: q.State, Status: q.Status}
		c.Number = fmt.Sprintf("%s-B%d", q.Number, len(ids))
		batch = append(batch, qc.Encode(c))
		ids = append(ids, c.ID)
		for _, l := range lines {
			l.Header = crm.Header{ID: crm.NewID()}
			l.Document = c.Ref()
			batch = append(batch, lc.Encode(l))
		}
		if (i+1)%10 == 0 || i == count-1 {
			_, err := e.st.Import(e.ctx, batch, storage.ImportOptions{})
			require.NoError(b, err)
			batch = batch[:0]
		}
	}
	return ids
}

// copies returns k copies of a document's header and lines, as records
// to create: new IDs, the lines pointing at their header's copy, each
// header with a number of its own.
func copies[D any](ctx context.Context, b *testing.B, docs *sales.Documents[D], codec storage.Codec[D], lineCodec storage.Codec[sales.Line],
	number string, id crm.ID, k int) [][]crm.Record {
	b.Helper()
	doc, err := docs.Get(ctx, id)
	require.NoError(b, err)
	lines, err := docs.Lines(ctx, id)
	require.NoError(b, err)
	out := make([][]crm.Record, k)
	for i := range out {
		h := codec.Encode(doc)
		h.Header = crm.Header{ID: crm.NewID()}
		h.Fields[number] = fmt.Sprintf("%s-B%d", h.Fields.String(number), i)
		out[i] = append(out[i], h)
		for _, l := range lines {
			l.Header = crm.Header{ID: crm.NewID()}
			l.Document = crm.Ref{Entity: h.Entity, ID: h.ID}
			out[i] = append(out[i], lineCodec.Encode(l))
		}
	}
	return out
}

func BenchmarkQuoteToInvoice(b *testing.B) {
	const n = 100
	for _, db := range benchDBs {
		// template is a won quote of n priced lines.
		template := func(b *testing.B, e *docBench) sales.Quote {
			q := e.pricedQuote(b, n)
			q, err := e.quotes.Activate(e.ctx, q.ID, q.Version)
			require.NoError(b, err)
			q, _, err = e.quotes.Win(e.ctx, q.ID, q.Version, sales.CloseOptions{})
			require.NoError(b, err)
			return q
		}
		b.Run("db="+db+"/impl=convert", func(b *testing.B) {
			e := newDocBench(b, db)
			ids := e.wonQuotes(b, template(b, e), b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				o, err := e.orders.FromQuote(e.ctx, ids[i])
				if err != nil {
					b.Fatal(err)
				}
				if _, err := e.invoices.FromOrder(e.ctx, o.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("db="+db+"/impl=createmany", func(b *testing.B) {
			e := newDocBench(b, db)
			q := template(b, e)
			o, err := e.orders.FromQuote(e.ctx, q.ID)
			require.NoError(b, err)
			inv, err := e.invoices.FromOrder(e.ctx, o.ID)
			require.NoError(b, err)
			require.True(b, inv.TotalAmount.Equal(*q.TotalAmount))
			orders := copies(e.ctx, b, e.orders.Documents, sales.OrderCodec(), sales.OrderLineCodec(), sales.OrderNumber, o.ID, b.N)
			invoices := copies(e.ctx, b, e.invoices.Documents, sales.InvoiceCodec(), sales.InvoiceLineCodec(), sales.InvoiceNumber, inv.ID, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				for _, w := range []struct {
					message string
					recs    []crm.Record
				}{{sales.MessageConvertQuoteToOrder, orders[i]}, {sales.MessageConvertOrderToInvoice, invoices[i]}} {
					err := e.st.Execute(e.ctx, w.message, nil, func(ctx context.Context, _ *storage.Execution) error {
						_, err := e.st.CreateMany(ctx, w.recs)
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
