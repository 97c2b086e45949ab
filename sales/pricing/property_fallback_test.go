package pricing_test

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales/pricing"
)

// widen returns d plus a few units of the 24th decimal: a value whose
// coefficient no int64 holds, so that the engine's fixed-point
// arithmetic gives up on it and the decimal arithmetic prices it.
func widen(r *rand.Rand, d decimal.Decimal) decimal.Decimal {
	return d.Add(decimal.New(1+r.Int64N(9), -24))
}

// TestPropertyBeyondFixedPoint is TestPropertyTotalsAreSumsOfLines on
// documents whose percentages (the price list items', the volume
// discounts' and the header's) have 24 decimals, and whose quantities
// are written with 24 (the last ones zeros): prices, line amounts and
// totals then take the decimal path, and must still agree with the
// reference model to the last digit.
func TestPropertyBeyondFixedPoint(t *testing.T) {
	for seed := range uint64(200) {
		g := gen{r: rand.New(rand.NewPCG(seed, 13)), cur: []crm.Currency{"USD", "JPY", "BHD"}[seed%3]}
		s := pricing.Settings{PricingPrecision: int32(g.r.IntN(5)), DiscountMethod: pricing.DiscountMethod(g.r.IntN(2))}
		c := g.cur
		doc := pricing.Document{Currency: c, PriceList: &pricing.PriceList{Currency: c}, DiscountPercentage: widen(g.r, g.dec(99, 2)),
			DiscountAmount: g.money(50, c.Precision()), Freight: g.money(100, c.Precision())}
		var want []*big.Rat
		for range 1 + g.r.IntN(15) {
			l, ppu := g.line(s)
			if g.r.IntN(2) == 0 {
				l.Quantity = l.Quantity.Add(decimal.New(0, -24)) // the same quantity, exponent -24
			}
			if item := l.Item; item != nil && !l.PriceOverridden {
				if item.Percentage != nil {
					wide := widen(g.r, *item.Percentage)
					item.Percentage = &wide
					var ok bool
					if ppu, ok = refPrice(item, l.Product, s.PricingPrecision); !ok {
						continue // Down to an "ends in" above the price: pinned in TestRefusals
					}
				}
				if item.Discounts != nil && item.Discounts.Type == pricing.PercentageDiscount {
					for i := range item.Discounts.Discounts {
						d := &item.Discounts.Discounts[i]
						d.Percentage = widen(g.r, d.Percentage)
					}
				}
			}
			doc.Lines, want = append(doc.Lines, l), append(want, ppu)
		}
		res, err := s.Calculate(doc)
		require.NoError(t, err, "seed %d", seed)

		detail, lineDiscount, tax := new(big.Rat), new(big.Rat), new(big.Rat)
		for i, r := range res.Lines {
			refLine(t, s, c, doc.Lines[i], want[i], r)
			detail.Add(detail, rat(r.Amount.Amount)).Sub(detail, rat(r.LineDiscount.Amount))
			lineDiscount.Add(lineDiscount, rat(r.LineDiscount.Amount))
			tax.Add(tax, rat(r.Tax.Amount))
		}
		header := roundRat(new(big.Rat).Quo(new(big.Rat).Mul(detail, rat(doc.DiscountPercentage)), big.NewRat(100, 1)), c.Precision())
		header.Add(header, rat(doc.DiscountAmount.Amount))
		pre := new(big.Rat).Sub(detail, header)
		total := new(big.Rat).Add(pre, rat(doc.Freight.Amount))
		total.Add(total, tax)
		for _, tt := range []struct {
			name      string
			want, got *big.Rat
		}{
			{"header", header, rat(res.HeaderDiscount.Amount)},
			{"pre-freight", pre, rat(res.PreFreightAmount.Amount)},
			{"total", total, rat(res.TotalAmount.Amount)},
			{"total discount", new(big.Rat).Add(lineDiscount, header), rat(res.TotalDiscount.Amount)},
		} {
			require.Zero(t, tt.want.Cmp(tt.got), "seed %d: %s is %s, want %s", seed, tt.name, tt.got.FloatString(4), tt.want.FloatString(4))
		}
	}
}
