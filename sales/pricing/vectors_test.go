package pricing_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales/pricing"
)

func usd(s string) *crm.Money {
	m := crm.MustMoney(s + " USD")
	return &m
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func pct(s string) *decimal.Decimal {
	d := dec(s)
	return &d
}

var usdList = &pricing.PriceList{Currency: "USD"}

// ppu prices item on product with settings s in USD.
func ppu(s pricing.Settings, item pricing.PriceListItem, product pricing.Product) (string, error) {
	m, err := s.PricePerUnit(*usdList, item, product)
	return m.String(), err
}

// rounded prices raw through Percent of List at 100 %, so the vector
// runs the whole price path: formula, rounding, pricing precision.
func rounded(r pricing.Rounding, raw string) (string, error) {
	return ppu(pricing.DefaultSettings(), pricing.PriceListItem{Method: pricing.PercentOfList, Percentage: pct("100"), Rounding: r},
		pricing.Product{ListPrice: usd(raw)})
}

// roundedAll rounds each raw price by each policy, in that order.
func roundedAll(option pricing.RoundingOption, amount string, policies []pricing.RoundingPolicy, raws ...string) (string, error) {
	var out []string
	for _, raw := range raws {
		for _, p := range policies {
			s, err := rounded(pricing.Rounding{Policy: p, Option: option, Amount: dec(amount)}, raw)
			if err != nil {
				return "", err
			}
			out = append(out, s)
		}
	}
	return strings.Join(out, " / "), nil
}

// priced is a catalog line priced by a Currency Amount item.
func priced(price, qty string) pricing.Line {
	return pricing.Line{Product: &pricing.Product{}, Item: &pricing.PriceListItem{Method: pricing.CurrencyAmount, Amount: usd(price)},
		Quantity: dec(qty)}
}

func withDiscount(l pricing.Line, manual, tax string) pricing.Line {
	l.ManualDiscount, l.Tax = usd(manual), usd(tax)
	return l
}

func lineWith(s pricing.Settings, l pricing.Line) (pricing.LineResult, error) {
	return s.CalculateLine(pricing.Document{Currency: "USD", PriceList: usdList}, l)
}

// extended prices l with line-item, then per-unit manual discounts.
func extended(l pricing.Line) (string, error) {
	var out []string
	for _, method := range []pricing.DiscountMethod{pricing.LineItemDiscount, pricing.PerUnitDiscount} {
		s := pricing.DefaultSettings()
		s.DiscountMethod = method
		r, err := lineWith(s, l)
		if err != nil {
			return "", err
		}
		out = append(out, r.ExtendedAmount.String())
	}
	return strings.Join(out, " / "), nil
}

// tenPercentFrom5To20 is vectors 17 and 18's discount list.
var tenPercentFrom5To20 = &pricing.DiscountList{Type: pricing.PercentageDiscount, Discounts: []pricing.Discount{
	{Begin: dec("5"), End: dec("20"), Percentage: dec("10")},
}}

func volume(price, qty string, list *pricing.DiscountList, manual, tax string) (string, error) {
	l := withDiscount(priced(price, qty), manual, tax)
	l.Item.Discounts = list
	r, err := lineWith(pricing.DefaultSettings(), l)
	return fmt.Sprintf("vd %s, amount %s, extended %s", r.VolumeDiscount, r.Amount, r.ExtendedAmount), err
}

// quote63 is sales.md §6.3's quote: lines A and B, 5 % and 10.00 off,
// 15.00 freight.
func quote63() pricing.Document {
	return pricing.Document{
		Currency: "USD", PriceList: usdList,
		Lines: []pricing.Line{
			withDiscount(priced("100.00", "3"), "20.00", "28.00"),
			withDiscount(priced("60.00", "2"), "0", "8.00"),
		},
		DiscountPercentage: dec("5"), DiscountAmount: usd("10.00"), Freight: usd("15.00"),
	}
}

// TestVectors runs every test vector of sales.md §10 that pricing owns
// (23, the weighted pipeline, belongs to the pipeline report).
func TestVectors(t *testing.T) {
	s := pricing.DefaultSettings()
	up, down, nearest := pricing.RoundUp, pricing.RoundDown, pricing.RoundNearest
	is := func(p ...pricing.RoundingPolicy) []pricing.RoundingPolicy { return p }
	tests := []struct {
		vector int
		name   string
		got    func() (string, error)
		want   string
	}{
		{1, "currency amount", func() (string, error) {
			return ppu(s, pricing.PriceListItem{Method: pricing.CurrencyAmount, Amount: usd("125.00")}, pricing.Product{})
		}, "125.00 USD"},
		{2, "percent of list", func() (string, error) {
			return ppu(s, pricing.PriceListItem{Method: pricing.PercentOfList, Percentage: pct("90")}, pricing.Product{ListPrice: usd("200.00")})
		}, "180.00 USD"},
		{3, "markup on current cost", func() (string, error) {
			return ppu(s, pricing.PriceListItem{Method: pricing.MarkupCurrentCost, Percentage: pct("25")}, pricing.Product{CurrentCost: usd("80.00")})
		}, "100.00 USD"},
		{4, "margin on current cost", func() (string, error) {
			return ppu(s, pricing.PriceListItem{Method: pricing.MarginCurrentCost, Percentage: pct("25")}, pricing.Product{CurrentCost: usd("75.00")})
		}, "100.00 USD"},
		{5, "markup on standard cost", func() (string, error) {
			return ppu(s, pricing.PriceListItem{Method: pricing.MarkupStandardCost, Percentage: pct("50")}, pricing.Product{StandardCost: usd("60.00")})
		}, "90.00 USD"},
		{6, "margin on standard cost", func() (string, error) {
			return ppu(s, pricing.PriceListItem{Method: pricing.MarginStandardCost, Percentage: pct("40")}, pricing.Product{StandardCost: usd("60.00")})
		}, "100.00 USD"},
		{7, "margin 14.2857… kept at pricing precision 2", func() (string, error) {
			return ppu(s, pricing.PriceListItem{Method: pricing.MarginStandardCost, Percentage: pct("30"),
				Rounding: pricing.Rounding{Policy: pricing.RoundNone}}, pricing.Product{StandardCost: usd("10.00")})
		}, "14.29 USD"},
		{8, "up, ends in 0.00", func() (string, error) { return roundedAll(pricing.EndsIn, "0.00", is(up), "217.39") }, "218.00 USD"},
		{9, "down, ends in 0.00", func() (string, error) { return roundedAll(pricing.EndsIn, "0.00", is(down), "217.39") }, "217.00 USD"},
		{10, "up, multiple of 0.25", func() (string, error) {
			return roundedAll(pricing.MultipleOf, "0.25", is(up), "3.65", "2.87")
		}, "3.75 USD / 3.00 USD"},
		{11, "to nearest, ends in 0.99", func() (string, error) {
			return roundedAll(pricing.EndsIn, "0.99", is(nearest), "2.88", "3.02")
		}, "2.99 USD / 2.99 USD"},
		{12, "ends in 0.99: up, down, nearest", func() (string, error) {
			return roundedAll(pricing.EndsIn, "0.99", is(up, down, nearest), "47.25")
		}, "47.99 USD / 46.99 USD / 46.99 USD"},
		{13, "multiple of 5: up, down, nearest", func() (string, error) {
			return roundedAll(pricing.MultipleOf, "5", is(up, down, nearest), "47.25")
		}, "50.00 USD / 45.00 USD / 45.00 USD"},
		{14, "ends in 9.99 (modulus 10): up, down", func() (string, error) {
			return roundedAll(pricing.EndsIn, "9.99", is(up, down), "123.40")
		}, "129.99 USD / 119.99 USD"},
		{15, "manual discount 10 on 200 × 100: line item / per unit", func() (string, error) {
			return extended(withDiscount(priced("100", "200"), "10", "0"))
		}, "19990.00 USD / 18000.00 USD"},
		{16, "manual discount 10 on 11 × 100: line item / per unit", func() (string, error) {
			return extended(withDiscount(priced("100", "11"), "10", "0"))
		}, "1090.00 USD / 990.00 USD"},
		{17, "10 % volume discount for 5 to 20 units, quantity 10", func() (string, error) {
			return volume("50.00", "10", tenPercentFrom5To20, "20.00", "30.00")
		}, "vd 5.00 USD, amount 450.00 USD, extended 460.00 USD"},
		{18, "same list, quantity 4 outside the range", func() (string, error) {
			return volume("50.00", "4", tenPercentFrom5To20, "0", "0")
		}, "vd 0.00 USD, amount 200.00 USD, extended 200.00 USD"},
		{19, "19.05 % off 25.20 is not rounded before × 10", func() (string, error) {
			return volume("25.20", "10", &pricing.DiscountList{Discounts: []pricing.Discount{
				{Begin: dec("1"), End: dec("100"), Percentage: dec("19.05")}}}, "0", "0")
		}, "vd 4.80 USD, amount 203.99 USD, extended 203.99 USD"},
		{20, "bundle 500 with optional 5 × 40 and 5 × 50, required items add 0", func() (string, error) {
			required := func() pricing.Line {
				l := priced("999.00", "1")
				l.Kind = pricing.RequiredBundleItem
				return l
			}
			optional := func(price string) pricing.Line {
				l := priced(price, "5")
				l.Kind = pricing.OptionalBundleItem
				return l
			}
			bundle := priced("500.00", "1")
			bundle.Kind = pricing.BundleLine
			res, err := s.Calculate(pricing.Document{Currency: "USD", PriceList: usdList, Lines: []pricing.Line{
				bundle, required(), required(), optional("40.00"), optional("50.00"),
			}})
			return res.TotalAmount.String(), err
		}, "950.00 USD"},
		{21, "§6.3 quote", func() (string, error) {
			res, err := s.Calculate(quote63())
			return fmt.Sprintf("detail %s, pre-freight %s, tax %s, total %s, total discount %s, line discounts %s",
				res.DetailAmount, res.PreFreightAmount, res.TotalTax, res.TotalAmount, res.TotalDiscount, res.LineItemDiscount), err
		}, "detail 400.00 USD, pre-freight 370.00 USD, tax 36.00 USD, total 421.00 USD, total discount 50.00 USD, line discounts 20.00 USD"},
		{22, "1,000.00 at exchange rate 0.85 to base", func() (string, error) {
			eur := crm.MustMoney("1000.00 EUR")
			tot, err := pricing.Totals{TotalAmount: eur, DetailAmount: eur, LineItemDiscount: crm.Zero("EUR"), HeaderDiscount: crm.Zero("EUR"),
				PreFreightAmount: eur, Freight: crm.Zero("EUR"), TotalTax: crm.Zero("EUR"), TotalDiscount: crm.Zero("EUR")}.ToBase(dec("0.85"), "USD")
			return tot.TotalAmount.String(), err
		}, "1176.4706 USD"},
		{24, "margin of 100 % is refused", func() (string, error) {
			_, err := ppu(s, pricing.PriceListItem{Method: pricing.MarginCurrentCost, Percentage: pct("100")}, pricing.Product{CurrentCost: usd("75.00")})
			if !errors.Is(err, pricing.ErrInvalidPercentage) {
				return "", fmt.Errorf("want ErrInvalidPercentage, got %w", err)
			}
			return "refused: " + pricing.CodeInvalidPriceLevelPercentage.String(), nil
		}, "refused: Invalid Price Level Percentage"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%02d %s", tt.vector, tt.name), func(t *testing.T) {
			got, err := tt.got()
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}
