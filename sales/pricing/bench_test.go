package pricing_test

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales/pricing"
)

// quote1000 is a quote of n lines cycling through the six pricing
// methods, half of them rounded, a third with a volume discount list,
// every line with a manual discount and tax.
func quote1000(n int) pricing.Document {
	volume := &pricing.DiscountList{Discounts: []pricing.Discount{
		{Begin: dec("1"), End: dec("4"), Percentage: dec("0")},
		{Begin: dec("5"), End: dec("19"), Percentage: dec("5")},
		{Begin: dec("20"), End: dec("100"), Percentage: dec("12.5")},
	}}
	roundings := []pricing.Rounding{
		{},
		{Policy: pricing.RoundUp, Option: pricing.EndsIn, Amount: dec("0.99")},
		{Policy: pricing.RoundNearest, Option: pricing.MultipleOf, Amount: dec("0.25")},
	}
	doc := pricing.Document{Currency: "USD", PriceList: usdList, DiscountPercentage: dec("2.5"),
		DiscountAmount: usd("50.00"), Freight: usd("120.00")}
	for i := range n {
		p := pct(decimal.NewFromInt(int64(10 + i%40)).String())
		item := &pricing.PriceListItem{Method: pricing.Method(1 + i%6), Percentage: p, Amount: usd("149.90"),
			Rounding: roundings[i%3]}
		if i%3 == 0 {
			item.Discounts = volume
		}
		doc.Lines = append(doc.Lines, pricing.Line{
			Product:        &pricing.Product{ListPrice: usd("199.00"), CurrentCost: usd("87.35"), StandardCost: usd("90.10"), QuantityDecimals: 2},
			Item:           item,
			Quantity:       decimal.New(int64(1+i%50)*100+25, -2),
			ManualDiscount: usd("1.50"),
			Tax:            usd("3.20"),
		})
	}
	return doc
}

// BenchmarkQuote recalculates a 1,000-line quote (impl=engine) beside a
// baseline (impl=bare) that does only the arithmetic of the same lines,
// with each line's price and volume discount computed beforehand: no
// formula, rounding policy, discount list search or checks.
func BenchmarkQuote(b *testing.B) {
	s := pricing.DefaultSettings()
	doc := quote1000(1000)
	res, err := s.Calculate(doc)
	require.NoError(b, err)

	b.Run("impl=engine", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Calculate(doc); err != nil {
				b.Fatal(err)
			}
		}
	})

	type bareLine struct{ ppu, vd, qty, discount, tax decimal.Decimal }
	bare := make([]bareLine, len(doc.Lines))
	for i, l := range doc.Lines {
		vd := decimal.Zero
		if l.Item.Discounts != nil {
			m, err := l.Item.Discounts.PerUnit(l.Quantity, res.Lines[i].PricePerUnit)
			require.NoError(b, err)
			vd = m.Amount
		}
		bare[i] = bareLine{res.Lines[i].PricePerUnit.Amount, vd, l.Quantity, l.ManualDiscount.Amount, l.Tax.Amount}
	}
	b.Run("impl=bare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			out := make([]pricing.LineResult, len(bare))
			var detail, tax decimal.Decimal
			for i, l := range bare {
				amount := crm.RoundHalfAwayFromZero(l.ppu.Sub(l.vd).Mul(l.qty), 2)
				out[i].Amount = crm.NewMoney(amount, "USD")
				out[i].ExtendedAmount = crm.NewMoney(amount.Sub(l.discount).Add(l.tax), "USD")
				detail = detail.Add(amount).Sub(l.discount)
				tax = tax.Add(l.tax)
			}
			total := detail.Sub(crm.RoundHalfAwayFromZero(detail.Mul(doc.DiscountPercentage).Shift(-2), 2)).Add(tax)
			if !total.Add(doc.Freight.Amount).Sub(doc.DiscountAmount.Amount).Equal(res.TotalAmount.Amount) {
				b.Fatalf("bare total %s, engine %s", total, res.TotalAmount)
			}
		}
	})
}
