package sales_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/internal/crmtest"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/memory"
	"github.com/crmkit/crmkit/storage/storagetest"
)

func decp(s string) *decimal.Decimal { d := dec(s); return &d }

func eurp(s string) *crm.Money { m := crm.NewMoney(dec(s), "EUR"); return &m }

func TestPriceLists(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newCatEnv(t, b, sales.CatalogOptions{}, nil)
			c := e.catalog(t)
			cola := e.product(t, c, "COLA", sales.StructureProduct, crm.Ref{})
			list, err := e.cat.PriceLists().Create(e.ctx, sales.PriceList{Name: "Retail 2026", Currency: "USD",
				BeginDate: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), EndDate: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)})
			require.NoError(t, err)
			require.Equal(t, sales.PriceListStatusActive, sales.PriceListStatus(list.Status))

			t.Run("price list rules", func(t *testing.T) {
				_, err := e.cat.PriceLists().Create(e.ctx, sales.PriceList{Name: "No currency"})
				requireInvalid(t, err, sales.PriceListCurrency)
				_, err = e.cat.PriceLists().Create(e.ctx, sales.PriceList{Name: "Lower case", Currency: "usd"})
				requireInvalid(t, err, sales.PriceListCurrency)
				_, err = e.cat.PriceLists().Create(e.ctx, sales.PriceList{Name: "Backwards", Currency: "USD",
					BeginDate: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), EndDate: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
				requireInvalid(t, err, sales.PriceListEndDate)
				changed := list
				changed.Currency = "EUR"
				_, err = e.cat.PriceLists().Update(e.ctx, changed)
				requireInvalid(t, err, sales.PriceListCurrency)
			})

			item := func(m sales.PricingMethod) sales.PriceListItem {
				return sales.PriceListItem{PriceList: list.Ref(), Product: cola.Ref(), Unit: c.sixPack.Ref(), PricingMethod: m}
			}
			t.Run("price list item rules", func(t *testing.T) {
				amountList, err := e.cat.DiscountLists().Create(e.ctx, sales.DiscountList{Name: "Euro off", IsAmount: true, Currency: "EUR"})
				require.NoError(t, err)
				for _, tc := range []struct {
					name  string
					item  func() sales.PriceListItem
					field string
				}{
					{"currency amount needs the amount", func() sales.PriceListItem { return item(sales.PricingCurrencyAmount) }, sales.PriceListItemAmount},
					{"percent of list needs the percentage", func() sales.PriceListItem { return item(sales.PricingPercentOfList) }, sales.PriceListItemPercentage},
					{"a margin is below 100", func() sales.PriceListItem {
						i := item(sales.PricingMarginStandardCost)
						i.Percentage = decp("100")
						return i
					}, sales.PriceListItemPercentage},
					{"the method is required", func() sales.PriceListItem { return item(0) }, sales.PriceListItemPricingMethod},
					{"the amount is in the list's currency", func() sales.PriceListItem {
						i := item(sales.PricingCurrencyAmount)
						i.Amount = eurp("5")
						return i
					}, sales.PriceListItemAmount},
					{"the unit is of the product's group", func() sales.PriceListItem {
						i := item(sales.PricingCurrencyAmount)
						i.Amount, i.Unit = usdp("5"), c.piece.Ref()
						return i
					}, sales.PriceListItemUnit},
					{"no rounding option without a policy", func() sales.PriceListItem {
						i := item(sales.PricingPercentOfList)
						i.Percentage, i.RoundingOption = decp("90"), sales.RoundingEndsIn
						return i
					}, sales.PriceListItemRoundingOption},
					{"no rounding amount with policy None", func() sales.PriceListItem {
						i := item(sales.PricingPercentOfList)
						i.Percentage, i.RoundingPolicy, i.RoundingAmount = decp("90"), sales.RoundingNone, usdp("0.99")
						return i
					}, sales.PriceListItemRoundingOptionAmount},
					{"a policy needs its option", func() sales.PriceListItem {
						i := item(sales.PricingPercentOfList)
						i.Percentage, i.RoundingPolicy, i.RoundingAmount = decp("90"), sales.RoundingUp, usdp("0.99")
						return i
					}, sales.PriceListItemRoundingOption},
					{"a multiple of zero rounds nothing", func() sales.PriceListItem {
						i := item(sales.PricingPercentOfList)
						i.Percentage, i.RoundingPolicy, i.RoundingOption, i.RoundingAmount = decp("90"), sales.RoundingUp, sales.RoundingMultipleOf, usdp("0")
						return i
					}, sales.PriceListItemRoundingOptionAmount},
					{"an amount discount list is in the list's currency", func() sales.PriceListItem {
						i := item(sales.PricingCurrencyAmount)
						i.Amount, i.DiscountList = usdp("5"), amountList.Ref()
						return i
					}, sales.PriceListItemDiscountList},
				} {
					_, err := e.cat.PriceListItems().Create(e.ctx, tc.item())
					requireInvalid(t, err, tc.field)
				}
			})

			// Every pricing method, and a rounding policy with each option.
			methods := []sales.PriceListItem{
				{Unit: c.can.Ref(), PricingMethod: sales.PricingCurrencyAmount, Amount: usdp("1.25")},
				{Unit: c.sixPack.Ref(), PricingMethod: sales.PricingPercentOfList, Percentage: decp("90"),
					RoundingPolicy: sales.RoundingNearest, RoundingOption: sales.RoundingEndsIn, RoundingAmount: usdp("0.99")},
				{Unit: c.box.Ref(), PricingMethod: sales.PricingMarkupCurrentCost, Percentage: decp("25"),
					RoundingPolicy: sales.RoundingUp, RoundingOption: sales.RoundingMultipleOf, RoundingAmount: usdp("0.25"),
					QuantitySelling: sales.QuantityWhole},
			}
			other, err := e.cat.PriceLists().Create(e.ctx, sales.PriceList{Name: "Wholesale", Currency: "USD"})
			require.NoError(t, err)
			for i, m := range []sales.PricingMethod{sales.PricingMarginCurrentCost, sales.PricingMarkupStandardCost, sales.PricingMarginStandardCost} {
				methods = append(methods, sales.PriceListItem{PriceList: other.Ref(), Unit: []crm.Ref{c.can.Ref(), c.sixPack.Ref(), c.box.Ref()}[i],
					PricingMethod: m, Percentage: decp("40"), RoundingPolicy: sales.RoundingDown, RoundingOption: sales.RoundingEndsIn, RoundingAmount: usdp("0")})
			}
			for _, it := range methods {
				if it.PriceList.IsZero() {
					it.PriceList = list.Ref()
				}
				it.Product = cola.Ref()
				created, err := e.cat.PriceListItems().Create(e.ctx, it)
				require.NoError(t, err, "%s", it.PricingMethod)
				got, err := e.cat.PriceListItem(e.ctx, it.PriceList.ID, cola.ID, it.Unit.ID)
				require.NoError(t, err)
				require.Equal(t, created, got)
			}

			t.Run("one price per product and unit in a list", func(t *testing.T) {
				_, err := e.cat.PriceListItems().Create(e.ctx, sales.PriceListItem{PriceList: list.Ref(), Product: cola.Ref(), Unit: c.can.Ref(),
					PricingMethod: sales.PricingCurrencyAmount, Amount: usdp("2")})
				require.ErrorIs(t, err, crm.ErrDuplicate)
			})

			t.Run("a unit without a price is not in the list", func(t *testing.T) {
				lime := e.product(t, c, "LIME", sales.StructureProduct, crm.Ref{})
				_, err := e.cat.PriceListItem(e.ctx, list.ID, lime.ID, c.can.ID)
				require.ErrorIs(t, err, crm.ErrNotFound)
			})

			t.Run("deleting a price list deletes its items; an inactive one is read-only", func(t *testing.T) {
				l, err := e.cat.PriceLists().SetState(e.ctx, other.ID, storage.AnyVersion, sales.EventDeactivate, 0)
				require.NoError(t, err)
				require.Equal(t, sales.PriceListStatusInactive, sales.PriceListStatus(l.Status))
				l.Description = "old"
				_, err = e.cat.PriceLists().Update(e.ctx, l)
				require.ErrorIs(t, err, crm.ErrInvalidTransition)
				require.NoError(t, e.cat.PriceLists().Delete(e.ctx, other.ID, storage.AnyVersion))
				n, err := e.cat.PriceListItems().Count(e.ctx, crm.Query{Where: crm.Eq(sales.PriceListItemPriceList, other.Ref())})
				require.NoError(t, err)
				require.Zero(t, n)
			})
		})
	}
}

func TestDiscounts(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newCatEnv(t, b, sales.CatalogOptions{}, nil)
			pct, err := e.cat.DiscountLists().Create(e.ctx, sales.DiscountList{Name: "Volume"})
			require.NoError(t, err)
			amt, err := e.cat.DiscountLists().Create(e.ctx, sales.DiscountList{Name: "Dollars off", IsAmount: true, Currency: "USD"})
			require.NoError(t, err)
			rng := func(l sales.DiscountList, low, high string) sales.Discount {
				d := sales.Discount{DiscountList: l.Ref(), Low: dec(low), High: dec(high)}
				if l.IsAmount {
					d.Amount = usdp("5")
				} else {
					d.Percentage = decp("10")
				}
				return d
			}

			t.Run("list rules", func(t *testing.T) {
				_, err := e.cat.DiscountLists().Create(e.ctx, sales.DiscountList{Name: "No currency", IsAmount: true})
				requireInvalid(t, err, sales.DiscountListCurrency)
				changed := pct
				changed.IsAmount = true
				changed.Currency = "USD"
				_, err = e.cat.DiscountLists().Update(e.ctx, changed)
				requireInvalid(t, err, sales.DiscountListIsAmount)
			})

			t.Run("a discount is what its list holds", func(t *testing.T) {
				d := rng(pct, "1", "4")
				d.Percentage, d.Amount = nil, usdp("5")
				_, err := e.cat.AddDiscount(e.ctx, d)
				requireInvalid(t, err, sales.DiscountAmount)
				d = rng(amt, "1", "4")
				d.Amount = nil
				_, err = e.cat.AddDiscount(e.ctx, d)
				requireInvalid(t, err, sales.DiscountAmount)
				d.Amount = eurp("5")
				_, err = e.cat.AddDiscount(e.ctx, d)
				requireInvalid(t, err, sales.DiscountAmount)
				d = rng(amt, "1", "4")
				d.Percentage = decp("3")
				_, err = e.cat.AddDiscount(e.ctx, d)
				requireInvalid(t, err, sales.DiscountPercentage)
				_, err = e.cat.AddDiscount(e.ctx, rng(pct, "5", "4"))
				requireInvalid(t, err, sales.DiscountHighQuantity)
			})

			first, err := e.cat.AddDiscount(e.ctx, rng(pct, "1", "4"))
			require.NoError(t, err)
			second, err := e.cat.AddDiscount(e.ctx, rng(pct, "5", "20"))
			require.NoError(t, err, "adjacent ranges do not overlap")
			_, err = e.cat.AddDiscount(e.ctx, rng(amt, "1", "4"))
			require.NoError(t, err, "ranges of another list do not count")

			t.Run("ranges of a list do not overlap", func(t *testing.T) {
				for _, r := range [][2]string{{"4", "4"}, {"20", "30"}, {"0", "100"}, {"6", "7"}} {
					_, err := e.cat.AddDiscount(e.ctx, rng(pct, r[0], r[1]))
					requireInvalid(t, err, sales.DiscountLowQuantity)
				}
				moved := second
				moved.Low = dec("3")
				_, err := e.cat.UpdateDiscount(e.ctx, moved)
				requireInvalid(t, err, sales.DiscountLowQuantity)
				moved.Low, moved.High = dec("6"), dec("25")
				got, err := e.cat.UpdateDiscount(e.ctx, moved)
				require.NoError(t, err, "a range may move over its own old range")
				require.True(t, got.High.Equal(dec("25")))
				ds, err := e.cat.DiscountsOf(e.ctx, pct.ID)
				require.NoError(t, err)
				require.Len(t, ds, 2)
				require.Equal(t, first.ID, ds[0].ID)
			})

			t.Run("ranges are written only through SetDiscount", func(t *testing.T) {
				_, err := e.cat.Discounts().Create(e.ctx, rng(pct, "100", "200"))
				requireInvalid(t, err, sales.DiscountLowQuantity)
				d, err := e.cat.Discounts().Get(e.ctx, first.ID)
				require.NoError(t, err)
				d.High = dec("5")
				_, err = e.cat.Discounts().Update(e.ctx, d)
				requireInvalid(t, err, sales.DiscountHighQuantity)
				d, err = e.cat.Discounts().Get(e.ctx, first.ID)
				require.NoError(t, err)
				d.Percentage = decp("12.5")
				_, err = e.cat.Discounts().Update(e.ctx, d)
				require.NoError(t, err, "the percentage is not a range")
			})

			t.Run("deleting a list deletes its discounts", func(t *testing.T) {
				require.NoError(t, e.cat.DiscountLists().Delete(e.ctx, pct.ID, storage.AnyVersion))
				n, err := e.cat.Discounts().Count(e.ctx, crm.Query{Where: crm.Eq(sales.DiscountListID, pct.Ref())})
				require.NoError(t, err)
				require.Zero(t, n)
			})
		})
	}
}

// TestConcurrentCatalogLimits adds overlapping volume ranges to one list,
// and items to a bundle with room for one more, from two goroutines at
// once, again and again: each time exactly one of them succeeds, on every
// store.
func TestConcurrentCatalogLimits(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newCatEnv(t, b, sales.CatalogOptions{MaxProductsInBundle: 1}, nil)
			c := e.catalog(t)
			for round := range 5 {
				list, err := e.cat.DiscountLists().Create(e.ctx, sales.DiscountList{Name: "Race"})
				require.NoError(t, err)
				bundle := e.product(t, c, "B"+string(rune('A'+round)), sales.StructureBundle, crm.Ref{})
				var items [2]sales.Product
				for i := range items {
					items[i] = e.product(t, c, "B"+string(rune('A'+round))+string(rune('0'+i)), sales.StructureProduct, crm.Ref{})
				}
				var wg sync.WaitGroup
				var discountErrs, itemErrs [2]error
				for i := range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, discountErrs[i] = e.cat.AddDiscount(e.ctx, sales.Discount{DiscountList: list.Ref(), Low: dec("1"), High: dec("10"), Percentage: decp("5")})
						_, itemErrs[i] = e.cat.AddBundleItem(e.ctx, sales.BundleItem{Bundle: bundle.Ref(), Product: items[i].Ref(), Quantity: dec("1"), Unit: c.can.Ref()})
					}()
				}
				wg.Wait()
				for name, errs := range map[string][2]error{"discount": discountErrs, "bundle item": itemErrs} {
					ok := 0
					for _, err := range errs {
						if err == nil {
							ok++
							continue
						}
						require.ErrorIs(t, err, crm.ErrValidation, "%s: the loser is refused by the check, not by a database error", name)
					}
					require.Equal(t, 1, ok, "%s: exactly one of two succeeds", name)
				}
			}
		})
	}
}

// TestCreateUnitGroupIsAtomic fails each write of CreateUnitGroup in turn
// (the group, its primary unit, the group's link to it) and checks that a
// failure leaves no group and no unit.
func TestCreateUnitGroupIsAtomic(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			var fd *crmtest.FailingDriver
			e := newCatEnv(t, b, sales.CatalogOptions{}, func(d driver.Driver) driver.Driver { fd = crmtest.NewFailingDriver(d); return fd })
			count := func(entity string) int64 {
				n, err := e.store.Count(e.ctx, crm.Query{Entity: entity})
				require.NoError(t, err)
				return n
			}
			for n := 1; ; n++ {
				fd.FailAt(n)
				_, _, err := e.cat.CreateUnitGroup(e.ctx, sales.UnitGroup{Name: "Drinks", BaseUnitName: "Can"})
				fd.FailAt(0)
				if err == nil {
					require.Equal(t, 4, n, "three writes")
					break
				}
				require.ErrorIs(t, err, crmtest.ErrInjected, "write %d", n)
				require.Zero(t, count(sales.UnitGroupEntity), "write %d failed: no group is left", n)
				require.Zero(t, count(sales.UnitEntity), "write %d failed: no unit is left", n)
			}
			require.Equal(t, int64(1), count(sales.UnitGroupEntity))
			require.Equal(t, int64(1), count(sales.UnitEntity))
		})
	}
}

// With multi-currency on, catalog money gains base amounts, the typed
// records read them, and the codecs carry every field.
func TestCatalogBaseCurrency(t *testing.T) {
	ctx := crm.AsSystem(context.Background())
	reg := crm.NewRegistry()
	require.NoError(t, reg.SetBaseCurrency("USD"))
	require.NoError(t, sales.Register(reg))
	t.Run("codecs", func(t *testing.T) {
		storagetest.CheckCodec(t, reg, sales.ProductCodec())
		storagetest.CheckCodec(t, reg, sales.PriceListItemCodec())
		storagetest.CheckCodec(t, reg, sales.DiscountCodec())
	})
	st := memory.Open(reg)
	_, err := st.Create(ctx, crm.Record{Entity: crm.CurrencyEntity, Fields: crm.Fields{
		crm.FieldISOCurrencyCode: "EUR", crm.FieldExchangeRate: dec("0.8")}})
	require.NoError(t, err)
	e := &catEnv{ctx: ctx, store: st, cat: sales.NewCatalog(st, sales.CatalogOptions{})}
	c := e.catalog(t)
	p, err := e.cat.CreateProduct(ctx, sales.Product{Name: "Wine", Number: "WINE", Structure: sales.StructureProduct,
		UnitGroup: c.drinks.Ref(), DefaultUnit: c.can.Ref(), ListPrice: eurp("8.00")})
	require.NoError(t, err)
	require.True(t, p.ListPriceBase.Equal(crm.MustMoney("10 USD")), "%v", p.ListPriceBase)
	list, err := e.cat.PriceLists().Create(ctx, sales.PriceList{Name: "Europe", Currency: "EUR"})
	require.NoError(t, err)
	item, err := e.cat.PriceListItems().Create(ctx, sales.PriceListItem{PriceList: list.Ref(), Product: p.Ref(), Unit: c.can.Ref(),
		PricingMethod: sales.PricingCurrencyAmount, Amount: eurp("4.00")})
	require.NoError(t, err)
	require.True(t, item.AmountBase.Equal(crm.MustMoney("5 USD")), "%v", item.AmountBase)
}

// TestCatalogActiveInactiveLifecycles fires both events from both states
// of the unit group, price list and discount list lifecycles: the one
// that does not apply is a *crm.TransitionError naming the state.
func TestCatalogActiveInactiveLifecycles(t *testing.T) {
	type lifecycle struct {
		name     string
		create   func(e *catEnv) (crm.Ref, error)
		statuses [2]crm.StatusCode // Active's, Inactive's
	}
	lifecycles := []lifecycle{
		{"unit group", func(e *catEnv) (crm.Ref, error) {
			g, _, err := e.cat.CreateUnitGroup(e.ctx, sales.UnitGroup{Name: "G", BaseUnitName: "U"})
			return g.Ref(), err
		}, [2]crm.StatusCode{1, 2}},
		{"price list", func(e *catEnv) (crm.Ref, error) {
			l, err := e.cat.PriceLists().Create(e.ctx, sales.PriceList{Name: "L", Currency: "USD"})
			return l.Ref(), err
		}, [2]crm.StatusCode{100001, 100002}},
		{"discount list", func(e *catEnv) (crm.Ref, error) {
			l, err := e.cat.DiscountLists().Create(e.ctx, sales.DiscountList{Name: "D"})
			return l.Ref(), err
		}, [2]crm.StatusCode{100001, 100002}},
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newCatEnv(t, b, sales.CatalogOptions{}, nil)
			for _, lc := range lifecycles {
				t.Run(lc.name, func(t *testing.T) {
					ref, err := lc.create(e)
					require.NoError(t, err)
					steps := []struct {
						event  string
						ok     bool
						state  string
						status crm.StatusCode
					}{
						{sales.EventActivate, false, "Active", 0},
						{sales.EventDeactivate, true, "", lc.statuses[1]},
						{sales.EventDeactivate, false, "Inactive", 0},
						{sales.EventActivate, true, "", lc.statuses[0]},
					}
					for _, s := range steps {
						rec, err := e.store.SetState(e.ctx, ref, storage.AnyVersion, s.event, 0)
						if !s.ok {
							var terr *crm.TransitionError
							require.ErrorAs(t, err, &terr, s.event)
							require.Equal(t, s.state, terr.State)
							continue
						}
						require.NoError(t, err, s.event)
						require.Equal(t, s.status, rec.Status)
					}
				})
			}
		})
	}
}
