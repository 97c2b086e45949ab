package sales_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/internal/crmtest"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/sales/pricing"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/storagetest"
)

// lineEnv is a store with a small catalog: the Hardware unit group
// (Piece, Box = 10 Piece), active products A and B priced 100.00 and
// 60.00 a piece on the USD price list, and an account to sell to.
type lineEnv struct {
	*catEnv
	opps     *sales.Opportunities
	lines    *sales.OpportunityLines
	piece    sales.Unit
	box      sales.Unit
	list     sales.PriceList
	a, b     sales.Product
	customer crm.Ref
}

func newLineEnv(t *testing.T, b backend, wrap func(driver.Driver) driver.Driver) *lineEnv {
	t.Helper()
	ce := newCatEnv(t, b, sales.CatalogOptions{}, wrap)
	st := ce.store
	e := &lineEnv{catEnv: ce, opps: sales.NewOpportunities(st), lines: sales.NewOpportunityLines(st, sales.PricingOptions{})}
	g, piece, err := e.cat.CreateUnitGroup(e.ctx, sales.UnitGroup{Name: "Hardware", BaseUnitName: "Piece"})
	require.NoError(t, err)
	e.piece = piece
	e.box, err = e.cat.Units().Create(e.ctx, sales.Unit{Name: "Box", Group: g.Ref(), Quantity: dec("10"), BaseUnit: piece.Ref()})
	require.NoError(t, err)
	e.list, err = e.cat.PriceLists().Create(e.ctx, sales.PriceList{Name: "Retail", Currency: "USD"})
	require.NoError(t, err)
	e.a = e.activeProduct(t, g, "A", "100.00", sales.QuantitySelling(0))
	e.b = e.activeProduct(t, g, "B", "60.00", sales.QuantitySelling(0))
	acc, err := sales.NewAccounts(st).Create(e.ctx, sales.Account{Name: "Acme"})
	require.NoError(t, err)
	e.customer = sales.AccountRef(acc.ID)
	return e
}

// activeProduct creates and publishes a product of group g priced price
// a piece on the USD list.
func (e *lineEnv) activeProduct(t *testing.T, g sales.UnitGroup, number, price string, selling sales.QuantitySelling) sales.Product {
	t.Helper()
	p, err := e.cat.CreateProduct(e.ctx, sales.Product{Name: "Product " + number, Number: number, Structure: sales.StructureProduct,
		UnitGroup: g.Ref(), DefaultUnit: e.piece.Ref()})
	require.NoError(t, err)
	p, err = e.cat.Publish(e.ctx, p.ID, p.Version)
	require.NoError(t, err)
	_, err = e.cat.PriceListItems().Create(e.ctx, sales.PriceListItem{PriceList: e.list.Ref(), Product: p.Ref(), Unit: e.piece.Ref(),
		PricingMethod: sales.PricingCurrencyAmount, Amount: usdp(price), QuantitySelling: selling})
	require.NoError(t, err)
	return p
}

func (e *lineEnv) opportunity(t *testing.T, o sales.Opportunity) sales.Opportunity {
	t.Helper()
	o.Customer = e.customer
	if o.Name == "" {
		o.Name = "Hardware deal"
	}
	out, err := e.opps.Create(e.ctx, o)
	require.NoError(t, err)
	return out
}

func (e *lineEnv) add(t *testing.T, l sales.OpportunityLine) (sales.OpportunityLine, sales.Opportunity) {
	t.Helper()
	line, opp, err := e.lines.AddLine(e.ctx, l)
	require.NoError(t, err)
	return line, opp
}

// requireUSD checks an optional amount is want USD.
func requireUSD(t *testing.T, want string, got *crm.Money, what string) {
	t.Helper()
	require.NotNil(t, got, what)
	require.True(t, usd(want).Equal(*got), "%s: want %s USD, got %s", what, want, got)
}

func TestOpportunityLineCodec(t *testing.T) {
	reg := crm.NewRegistry()
	require.NoError(t, sales.Register(reg))
	storagetest.CheckCodec(t, reg, sales.OpportunityLineCodec())
}

// The §6.3 worked example (test vector 21) as an opportunity whose revenue
// is system-calculated: A 3 × 100.00 less 20.00 plus 28.00 tax, B 2 × 60.00
// plus 8.00 tax, 5 % and 10.00 off, 15.00 freight.
func TestOpportunityLinesWorkedExample(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newLineEnv(t, b, nil)
			o := e.opportunity(t, sales.Opportunity{PriceList: e.list.Ref(), RevenueSystemCalculated: true,
				Probability: sales.Ptr[int64](50), EstimatedCloseDate: e.store.Now(e.ctx).UTC().Truncate(24 * time.Hour)})
			o, err := e.lines.SetPricing(e.ctx, o.ID, o.Version, sales.PricingHeader{PriceList: e.list.Ref(),
				DiscountPercentage: decp("5"), DiscountAmount: usdp("10.00"), FreightAmount: usdp("15.00")})
			require.NoError(t, err)

			la, _ := e.add(t, sales.OpportunityLine{Document: o.Ref(), Product: e.a.Ref(), Quantity: dec("3"),
				ManualDiscount: usdp("20.00"), Tax: usdp("28.00")})
			lb, o := e.add(t, sales.OpportunityLine{Document: o.Ref(), Product: e.b.Ref(), Quantity: dec("2"), Tax: usdp("8.00")})

			require.Equal(t, e.piece.Ref().ID, la.Unit.ID, "the product's default unit")
			require.Equal(t, []int64{1, 2}, []int64{la.Sequence, lb.Sequence})
			requireUSD(t, "100.00", la.PricePerUnit, "A price per unit")
			requireUSD(t, "300.00", la.Amount, "A amount")
			requireUSD(t, "308.00", la.ExtendedAmount, "A extended")
			requireUSD(t, "128.00", lb.ExtendedAmount, "B extended")
			require.Equal(t, pricing.CodeNone, *la.PricingError)

			requireUSD(t, "400.00", o.TotalLineItemAmount, "detail amount")
			requireUSD(t, "20.00", o.TotalLineItemDiscount, "line item discount")
			requireUSD(t, "370.00", o.TotalAmountLessFreight, "pre-freight")
			requireUSD(t, "36.00", o.TotalTax, "tax")
			requireUSD(t, "421.00", o.TotalAmount, "total")
			requireUSD(t, "50.00", o.TotalDiscountAmount, "total discount")
			requireUSD(t, "421.00", o.EstimatedValue, "system-calculated revenue = totalamount")

			t.Run("the revenue feeds the pipeline and the forecast", func(t *testing.T) {
				p := sales.NewPipeline(e.store)
				rows, err := p.Open(e.ctx, sales.Overall)
				require.NoError(t, err)
				require.Len(t, rows, 1)
				require.True(t, usd("421.00").Equal(rows[0].Value), "open value %s", rows[0].Value)
				require.True(t, usd("210.50").Equal(rows[0].Weighted), "weighted %s", rows[0].Weighted)
				f, err := p.Forecast(e.ctx)
				require.NoError(t, err)
				require.Len(t, f, 1)
				require.True(t, usd("210.50").Equal(f[0].WeightedOpen), "forecast %s", f[0].WeightedOpen)
			})

			t.Run("update and remove price again", func(t *testing.T) {
				lb.Quantity = dec("3")
				lb, o, err = e.lines.UpdateLine(e.ctx, lb)
				require.NoError(t, err)
				requireUSD(t, "188.00", lb.ExtendedAmount, "B extended, 3 units")
				requireUSD(t, "460.00", o.TotalLineItemAmount, "detail amount")
				requireUSD(t, "478.00", o.TotalAmount, "460 − 23 − 10 + 15 + 36")
				requireUSD(t, "478.00", o.EstimatedValue, "revenue follows")

				o, err = e.lines.RemoveLine(e.ctx, lb.ID, lb.Version)
				require.NoError(t, err)
				requireUSD(t, "280.00", o.TotalLineItemAmount, "A only")
				requireUSD(t, "299.00", o.TotalAmount, "280 − 14 − 10 + 15 + 28")
				got, err := e.lines.Lines(e.ctx, o.ID)
				require.NoError(t, err)
				require.Len(t, got, 1)
			})

			t.Run("a write-in line takes its own price", func(t *testing.T) {
				w, o := e.add(t, sales.OpportunityLine{Document: o.Ref(), WriteIn: true, Description: "Installation",
					Quantity: dec("2"), PricePerUnit: usdp("50.00")})
				requireUSD(t, "100.00", w.ExtendedAmount, "write-in")
				requireUSD(t, "380.00", o.TotalLineItemAmount, "A and the write-in")
			})
		})
	}
}

// lineState is what a refused pricing operation must leave as it was.
func lineState(t *testing.T, e *lineEnv, id crm.ID) (int64, []sales.OpportunityLine) {
	t.Helper()
	o, err := e.opps.Get(e.ctx, id)
	require.NoError(t, err)
	ls, err := e.lines.Lines(e.ctx, id)
	require.NoError(t, err)
	return o.Version, ls
}

func TestOpportunityLinesRefused(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newLineEnv(t, b, nil)
			g, err := e.cat.UnitGroups().Get(e.ctx, e.piece.Group.ID)
			require.NoError(t, err)
			whole := e.activeProduct(t, g, "WHOLE", "5.00", sales.QuantityWhole)
			retired := e.activeProduct(t, g, "OLD", "5.00", sales.QuantitySelling(0))
			_, err = e.cat.Retire(e.ctx, retired.ID, e.get(t, retired.ID).Version)
			require.NoError(t, err)

			o := e.opportunity(t, sales.Opportunity{PriceList: e.list.Ref()})
			e.add(t, sales.OpportunityLine{Document: o.Ref(), Product: e.a.Ref(), Quantity: dec("1")})
			for _, tc := range []struct {
				name string
				line sales.OpportunityLine
				want error
			}{
				{"no price list item for the unit", sales.OpportunityLine{Product: e.a.Ref(), Unit: e.box.Ref(), Quantity: dec("1")}, pricing.ErrNoPriceListItem},
				{"retired product", sales.OpportunityLine{Product: retired.Ref(), Quantity: dec("1")}, pricing.ErrInvalidProduct},
				{"too many quantity decimals", sales.OpportunityLine{Product: whole.Ref(), Quantity: dec("1.5")}, pricing.ErrInvalidQuantity},
				{"negative quantity", sales.OpportunityLine{Product: e.a.Ref(), Quantity: dec("-1")}, pricing.ErrInvalidQuantity},
				{"write-in without a price", sales.OpportunityLine{WriteIn: true, Description: "X", Quantity: dec("1")}, pricing.ErrMissingUnitPrice},
			} {
				t.Run(tc.name, func(t *testing.T) {
					v, before := lineState(t, e, o.ID)
					tc.line.Document = o.Ref()
					_, _, err := e.lines.AddLine(e.ctx, tc.line)
					require.ErrorIs(t, err, tc.want)
					v2, after := lineState(t, e, o.ID)
					require.Equal(t, v, v2, "the opportunity is unchanged")
					require.Equal(t, before, after, "the lines are unchanged")
				})
			}

			t.Run("currency of the price list differs from the opportunity's amounts", func(t *testing.T) {
				eur := e.opportunity(t, sales.Opportunity{PriceList: e.list.Ref(), BudgetAmount: eurp("1000.00")})
				v, before := lineState(t, e, eur.ID)
				_, _, err := e.lines.AddLine(e.ctx, sales.OpportunityLine{Document: eur.Ref(), Product: e.a.Ref(), Quantity: dec("1")})
				require.ErrorIs(t, err, pricing.ErrCurrencyMismatch)
				require.ErrorIs(t, err, crm.ErrCurrencyMismatch)
				v2, after := lineState(t, e, eur.ID)
				require.Equal(t, v, v2)
				require.Equal(t, before, after)
			})

			t.Run("a price list that does not price the lines is refused", func(t *testing.T) {
				other, err := e.cat.PriceLists().Create(e.ctx, sales.PriceList{Name: "Empty", Currency: "USD"})
				require.NoError(t, err)
				v, before := lineState(t, e, o.ID)
				_, err = e.lines.SetPricing(e.ctx, o.ID, v, sales.PricingHeader{PriceList: other.Ref()})
				require.ErrorIs(t, err, pricing.ErrNoPriceListItem)
				v2, after := lineState(t, e, o.ID)
				require.Equal(t, v, v2)
				require.Equal(t, before, after)
			})
		})
	}
}

// update writes fields of a record through the store's generic door.
func (e *lineEnv) update(ctx context.Context, entity string, id crm.ID, fields crm.Fields) error {
	_, err := e.store.Update(ctx, crm.Record{Entity: entity, Header: crm.Header{ID: id}, Fields: fields})
	return err
}

func TestOpportunityLinesGenericDoor(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newLineEnv(t, b, nil)
			o := e.opportunity(t, sales.Opportunity{PriceList: e.list.Ref(), RevenueSystemCalculated: true})
			line, o := e.add(t, sales.OpportunityLine{Document: o.Ref(), Product: e.a.Ref(), Quantity: dec("2")})
			requireUSD(t, "200.00", o.EstimatedValue, "revenue")

			t.Run("a line is written only by the operations", func(t *testing.T) {
				_, err := e.lines.Table().Create(e.ctx, sales.OpportunityLine{Document: o.Ref(), Product: e.b.Ref(), Quantity: dec("1")})
				requireInvalid(t, err, sales.OpportunityLineOpportunity)
				err = e.update(e.ctx, sales.OpportunityLineEntity, line.ID, crm.Fields{sales.OpportunityLineQuantity: dec("5")})
				requireInvalid(t, err, sales.OpportunityLineOpportunity)
			})
			t.Run("the totals are the operations'", func(t *testing.T) {
				err := e.update(e.ctx, sales.OpportunityEntity, o.ID, crm.Fields{sales.OpportunityTotalAmount: usd("1.00")})
				requireInvalid(t, err, sales.OpportunityTotalAmount)
			})
			t.Run("the price list and header inputs change through SetPricing", func(t *testing.T) {
				cur, err := e.opps.Get(e.ctx, o.ID)
				require.NoError(t, err)
				cur.FreightAmount = usdp("5.00")
				_, err = e.opps.Update(e.ctx, cur)
				requireInvalid(t, err, sales.OpportunityFreightAmount)
				cur.FreightAmount = nil
				cur.PriceList = crm.Ref{}
				_, err = e.opps.Update(e.ctx, cur)
				requireInvalid(t, err, sales.OpportunityPriceList)
			})
			t.Run("the system-calculated revenue stays locked", func(t *testing.T) {
				err := e.update(e.ctx, sales.OpportunityEntity, o.ID, crm.Fields{sales.OpportunityEstimatedValue: usd("1.00")})
				requireInvalid(t, err, sales.OpportunityEstimatedValue)
			})
			t.Run("lines of a won opportunity are read-only", func(t *testing.T) {
				won, _, err := e.opps.Win(e.ctx, o.ID, storage.AnyVersion, sales.WinOptions{})
				require.NoError(t, err)
				requireUSD(t, "200.00", won.ActualValue, "actual revenue defaults to the calculated estimate")
				_, _, err = e.lines.AddLine(e.ctx, sales.OpportunityLine{Document: o.Ref(), Product: e.b.Ref(), Quantity: dec("1")})
				require.ErrorIs(t, err, crm.ErrInvalidTransition)
				_, err = e.lines.RemoveLine(e.ctx, line.ID, storage.AnyVersion)
				require.ErrorIs(t, err, crm.ErrInvalidTransition)
				// Through the write path as an operation would: the line's
				// rule reads the opportunity's state.
				err = e.store.Execute(e.ctx, sales.MessageUpdateOpportunityLine, nil, func(ctx context.Context, _ *storage.Execution) error {
					return e.update(ctx, sales.OpportunityLineEntity, line.ID, crm.Fields{sales.OpportunityLineQuantity: dec("5")})
				})
				require.ErrorIs(t, err, crm.ErrInvalidTransition)
			})
		})
	}
}

// TestAddLineIsAtomic fails each write of an AddLine in turn (the new
// line, the opportunity's totals) and checks that nothing remains of it.
func TestAddLineIsAtomic(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			var fd *crmtest.FailingDriver
			e := newLineEnv(t, b, func(d driver.Driver) driver.Driver { fd = crmtest.NewFailingDriver(d); return fd })
			o := e.opportunity(t, sales.Opportunity{PriceList: e.list.Ref(), RevenueSystemCalculated: true})
			e.add(t, sales.OpportunityLine{Document: o.Ref(), Product: e.a.Ref(), Quantity: dec("1")})
			v, before := lineState(t, e, o.ID)
			for n := 1; ; n++ {
				fd.FailAt(n)
				_, opp, err := e.lines.AddLine(e.ctx, sales.OpportunityLine{Document: o.Ref(), Product: e.b.Ref(), Quantity: dec("2")})
				writes := fd.Writes()
				fd.FailAt(0)
				if err == nil {
					require.Equal(t, 3, n, "the line and the opportunity: 2 writes")
					require.Equal(t, 2, writes)
					requireUSD(t, "220.00", opp.EstimatedValue, "revenue")
					break
				}
				require.ErrorIs(t, err, crmtest.ErrInjected)
				v2, after := lineState(t, e, o.ID)
				require.Equal(t, v, v2, "write %d failed: the opportunity is unchanged", n)
				require.Equal(t, before, after, "write %d failed: the lines are unchanged", n)
			}
		})
	}
}

func TestWinRateByProduct(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newLineEnv(t, b, nil)
			deal := func(lose bool, lines ...sales.OpportunityLine) {
				t.Helper()
				o := e.opportunity(t, sales.Opportunity{PriceList: e.list.Ref()})
				for _, l := range lines {
					l.Document = o.Ref()
					e.add(t, l)
				}
				var err error
				if lose {
					_, _, err = e.opps.Lose(e.ctx, o.ID, storage.AnyVersion, sales.LoseOptions{})
				} else {
					_, _, err = e.opps.Win(e.ctx, o.ID, storage.AnyVersion, sales.WinOptions{})
				}
				require.NoError(t, err)
			}
			a := func(q string) sales.OpportunityLine {
				return sales.OpportunityLine{Product: e.a.Ref(), Quantity: dec(q)}
			}
			bl := func(q string) sales.OpportunityLine {
				return sales.OpportunityLine{Product: e.b.Ref(), Quantity: dec(q)}
			}
			// Won: A+B (two lines of A), A alone; lost: B alone, A+B. An
			// open deal and a write-in do not count.
			deal(false, a("1"), a("2"), bl("1"))
			deal(false, a("1"))
			deal(true, bl("5"))
			deal(true, a("1"), bl("1"))
			open := e.opportunity(t, sales.Opportunity{PriceList: e.list.Ref()})
			e.add(t, sales.OpportunityLine{Document: open.Ref(), Product: e.a.Ref(), Quantity: dec("9")})
			deal(false, sales.OpportunityLine{WriteIn: true, Description: "Service", PricePerUnit: usdp("1.00"), Quantity: dec("1")})

			rows, err := sales.NewPipeline(e.store).WinRate(e.ctx, sales.ByProduct)
			require.NoError(t, err)
			byProduct := map[crm.ID]sales.WinRateRow{}
			for _, r := range rows {
				byProduct[r.Product.ID] = r
			}
			require.Len(t, byProduct, 2, "%+v", rows)
			ra, rb := byProduct[e.a.ID], byProduct[e.b.ID]
			require.Equal(t, [2]int64{2, 1}, [2]int64{ra.Won, ra.Lost}, "A: won twice (once for two lines), lost once")
			require.True(t, usd("400.00").Equal(ra.WonRevenue), "A: 300 + 100, got %s", ra.WonRevenue)
			require.Equal(t, [2]int64{1, 2}, [2]int64{rb.Won, rb.Lost})
			require.True(t, usd("60.00").Equal(rb.WonRevenue), "B: %s", rb.WonRevenue)
			require.Equal(t, "66.67", ra.Rate().StringFixed(2))
		})
	}
}
