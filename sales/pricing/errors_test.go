package pricing_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales/pricing"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// TestRefusals pins each refusal to its pricing error code: a document
// whose one line breaks one rule fails with that code, on line 1.
func TestRefusals(t *testing.T) {
	spring := &pricing.PriceList{Currency: "USD", Begin: day(2026, 3, 1), End: day(2026, 5, 31)}
	unitA, unitB := crm.NewID(), crm.NewID()
	tests := []struct {
		name string
		s    func(*pricing.Settings)
		doc  func(*pricing.Document)
		line func(*pricing.Line)
		want pricing.Code
	}{
		{name: "margin of 100 % on standard cost", want: pricing.ErrInvalidPercentage, line: func(l *pricing.Line) {
			l.Product.StandardCost = usd("10")
			l.Item = &pricing.PriceListItem{Method: pricing.MarginStandardCost, Percentage: pct("100")}
		}},
		{name: "margin above 100 %", want: pricing.ErrInvalidPercentage, line: func(l *pricing.Line) {
			l.Product.CurrentCost = usd("10")
			l.Item = &pricing.PriceListItem{Method: pricing.MarginCurrentCost, Percentage: pct("150")}
		}},
		{name: "negative percentage", want: pricing.ErrInvalidPercentage, line: func(l *pricing.Line) {
			l.Product.ListPrice = usd("10")
			l.Item = &pricing.PriceListItem{Method: pricing.PercentOfList, Percentage: pct("-1")}
		}},
		{name: "markup without a current cost", want: pricing.ErrMissingCurrentCost, line: func(l *pricing.Line) {
			l.Product.StandardCost = usd("10") // the other cost does not stand in
			l.Item = &pricing.PriceListItem{Method: pricing.MarkupCurrentCost, Percentage: pct("10")}
		}},
		{name: "margin on standard cost without one", want: pricing.ErrMissingStandardCost, line: func(l *pricing.Line) {
			l.Product.CurrentCost = usd("10")
			l.Item = &pricing.PriceListItem{Method: pricing.MarginStandardCost, Percentage: pct("10")}
		}},
		{name: "percent of list without a list price", want: pricing.ErrMissingListPrice, line: func(l *pricing.Line) {
			l.Item = &pricing.PriceListItem{Method: pricing.PercentOfList, Percentage: pct("10")}
		}},
		{name: "negative current cost", want: pricing.ErrInvalidCurrentCost, line: func(l *pricing.Line) {
			l.Product.CurrentCost = usd("-1")
			l.Item = &pricing.PriceListItem{Method: pricing.MarginCurrentCost, Percentage: pct("10")}
		}},
		{name: "percentage method without a percentage", want: pricing.ErrMissingPercentage, line: func(l *pricing.Line) {
			l.Item = &pricing.PriceListItem{Method: pricing.MarkupStandardCost}
		}},
		{name: "currency amount without an amount", want: pricing.ErrMissingAmount, line: func(l *pricing.Line) {
			l.Item.Amount = nil
		}},
		{name: "negative amount", want: pricing.ErrInvalidAmount, line: func(l *pricing.Line) { l.Item.Amount = usd("-5") }},
		{name: "no pricing method", want: pricing.ErrMissingPricingMethod, line: func(l *pricing.Line) { l.Item.Method = 0 }},
		{name: "pricing method 7", want: pricing.ErrInvalidPricingMethod, line: func(l *pricing.Line) { l.Item.Method = 7 }},
		{name: "rounding policy 5", want: pricing.ErrInvalidRoundingPolicy, line: func(l *pricing.Line) {
			l.Product.ListPrice = usd("10")
			l.Item = &pricing.PriceListItem{Method: pricing.PercentOfList, Percentage: pct("10"), Rounding: pricing.Rounding{Policy: 5}}
		}},
		{name: "rounding up without an option", want: pricing.ErrInvalidRoundingOption, line: func(l *pricing.Line) {
			l.Product.ListPrice = usd("10")
			l.Item = &pricing.PriceListItem{Method: pricing.PercentOfList, Percentage: pct("10"), Rounding: pricing.Rounding{Policy: pricing.RoundUp}}
		}},
		{name: "multiple of zero", want: pricing.ErrInvalidRoundingAmount, line: func(l *pricing.Line) {
			l.Product.ListPrice = usd("10")
			l.Item = &pricing.PriceListItem{Method: pricing.PercentOfList, Percentage: pct("10"),
				Rounding: pricing.Rounding{Policy: pricing.RoundUp, Option: pricing.MultipleOf}}
		}},
		{name: "ends in 0.999 at pricing precision 2", want: pricing.ErrInvalidRoundingAmount, line: func(l *pricing.Line) {
			l.Product.ListPrice = usd("10")
			l.Item = &pricing.PriceListItem{Method: pricing.PercentOfList, Percentage: pct("10"),
				Rounding: pricing.Rounding{Policy: pricing.RoundUp, Option: pricing.EndsIn, Amount: dec("0.999")}}
		}},
		{name: "down to ends in 9.99 from 5.00", want: pricing.ErrPriceCalculation, line: func(l *pricing.Line) {
			l.Product.ListPrice = usd("5")
			l.Item = &pricing.PriceListItem{Method: pricing.PercentOfList, Percentage: pct("100"),
				Rounding: pricing.Rounding{Policy: pricing.RoundDown, Option: pricing.EndsIn, Amount: dec("9.99")}}
		}},
		{name: "price list in another currency", want: pricing.ErrCurrencyMismatch, doc: func(d *pricing.Document) {
			d.PriceList = &pricing.PriceList{Currency: "EUR"}
		}},
		{name: "line's own price list in another currency", want: pricing.ErrCurrencyMismatch, line: func(l *pricing.Line) {
			l.PriceList = &pricing.PriceList{Currency: "EUR"}
		}},
		{name: "item amount in another currency", want: pricing.ErrCurrencyMismatch, line: func(l *pricing.Line) {
			m := crm.MustMoney("10 EUR")
			l.Item.Amount = &m
		}},
		{name: "product cost in another currency", want: pricing.ErrCurrencyMismatch, line: func(l *pricing.Line) {
			m := crm.MustMoney("10 EUR")
			l.Product.CurrentCost = &m
			l.Item = &pricing.PriceListItem{Method: pricing.MarkupCurrentCost, Percentage: pct("10")}
		}},
		{name: "tax in another currency", want: pricing.ErrCurrencyMismatch, line: func(l *pricing.Line) {
			m := crm.MustMoney("10 EUR")
			l.Tax = &m
		}},
		{name: "overridden price in another currency", want: pricing.ErrCurrencyMismatch, line: func(l *pricing.Line) {
			m := crm.MustMoney("10 EUR")
			l.PriceOverridden, l.PricePerUnit = true, &m
		}},
		{name: "amount discount list in another currency", want: pricing.ErrCurrencyMismatch, line: func(l *pricing.Line) {
			l.Item.Discounts = &pricing.DiscountList{Type: pricing.AmountDiscount, Discounts: []pricing.Discount{
				{Begin: dec("1"), End: dec("9"), Amount: crm.MustMoney("1 EUR")}}}
		}},
		{name: "freight in another currency", want: pricing.ErrCurrencyMismatch, doc: func(d *pricing.Document) {
			m := crm.MustMoney("10 EUR")
			d.Freight = &m
		}},
		{name: "quantity with 3 decimals, product supports 2", want: pricing.ErrInvalidQuantity, s: optional, line: func(l *pricing.Line) {
			l.Item, l.Product.QuantityDecimals, l.Quantity = nil, 2, dec("1.125")
		}},
		{name: "fractional quantity, item sells whole units", want: pricing.ErrInvalidQuantity, line: func(l *pricing.Line) {
			l.Item.QuantitySelling, l.Quantity = pricing.Whole, dec("1.5")
		}},
		{name: "quantity with 6 decimals", want: pricing.ErrInvalidQuantity, line: func(l *pricing.Line) { l.Quantity = dec("0.000001") }},
		{name: "negative quantity", want: pricing.ErrInvalidQuantity, line: func(l *pricing.Line) { l.Quantity = dec("-1") }},
		{name: "quantity above 1e11", want: pricing.ErrInvalidQuantity, line: func(l *pricing.Line) { l.Quantity = dec("100000000001") }},
		{name: "expired price list", want: pricing.ErrInactivePriceList, doc: func(d *pricing.Document) {
			d.PriceList, d.AsOf = spring, day(2026, 6, 1)
		}},
		{name: "price list not yet valid", want: pricing.ErrInactivePriceList, doc: func(d *pricing.Document) {
			d.PriceList, d.AsOf = spring, time.Date(2026, 2, 28, 23, 59, 0, 0, time.UTC)
		}},
		{name: "inactive price list", want: pricing.ErrInactivePriceList, doc: func(d *pricing.Document) {
			d.PriceList = &pricing.PriceList{Currency: "USD", Inactive: true}
		}},
		{name: "retired product", want: pricing.ErrInvalidProduct, line: func(l *pricing.Line) { l.Product.State = pricing.ProductRetired }},
		{name: "draft product", want: pricing.ErrInvalidProduct, line: func(l *pricing.Line) { l.Product.State = pricing.ProductDraft }},
		{name: "product supporting 6 quantity decimals", want: pricing.ErrInvalidProduct, line: func(l *pricing.Line) { l.Product.QuantityDecimals = 6 }},
		{name: "catalog line without a product", want: pricing.ErrMissingProduct, line: func(l *pricing.Line) { l.Product = nil }},
		{name: "no price list, mandatory", want: pricing.ErrMissingPriceList, doc: func(d *pricing.Document) { d.PriceList = nil }},
		{name: "no item, price list mandatory", want: pricing.ErrNoPriceListItem, line: func(l *pricing.Line) { l.Item = nil }},
		{name: "item for another unit", want: pricing.ErrNoPriceListItem, line: func(l *pricing.Line) { l.Item.Unit, l.Unit = unitA, unitB }},
		{name: "item for a unit, line without one", want: pricing.ErrMissingUnit, line: func(l *pricing.Line) { l.Item.Unit = unitA }},
		{name: "write-in without a price", want: pricing.ErrMissingUnitPrice, line: func(l *pricing.Line) {
			*l = pricing.Line{WriteIn: true, Quantity: dec("1")}
		}},
		{name: "negative manual discount", want: pricing.ErrInvalidDiscount, line: func(l *pricing.Line) { l.ManualDiscount = usd("-1") }},
		{name: "overlapping discount ranges", want: pricing.ErrInvalidDiscount, line: func(l *pricing.Line) {
			l.Item.Discounts = &pricing.DiscountList{Discounts: []pricing.Discount{
				{Begin: dec("1"), End: dec("5"), Percentage: dec("5")}, {Begin: dec("5"), End: dec("9"), Percentage: dec("10")}}}
		}},
		{name: "discount range backwards", want: pricing.ErrInvalidDiscount, line: func(l *pricing.Line) {
			l.Item.Discounts = &pricing.DiscountList{Discounts: []pricing.Discount{{Begin: dec("9"), End: dec("1"), Percentage: dec("5")}}}
		}},
		{name: "discount list type 2", want: pricing.ErrInvalidDiscountType, line: func(l *pricing.Line) {
			l.Item.Discounts = &pricing.DiscountList{Type: 2}
		}},
		{name: "header discount above 100 %", want: pricing.ErrInvalidDiscount, doc: func(d *pricing.Document) {
			d.DiscountPercentage = dec("100.01")
		}},
		{name: "pricing precision 5", want: pricing.ErrInvalidPricingPrecision, s: func(s *pricing.Settings) { s.PricingPrecision = 5 }},
		{name: "price beyond the money range", want: pricing.ErrOutOfRange, line: func(l *pricing.Line) {
			l.Item.Amount, l.Quantity = usd("100000000000000"), dec("100000")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := pricing.DefaultSettings()
			doc := pricing.Document{Currency: "USD", PriceList: usdList, Lines: []pricing.Line{priced("10.00", "2")}}
			if tt.s != nil {
				tt.s(&s)
			}
			if tt.doc != nil {
				tt.doc(&doc)
			}
			if tt.line != nil {
				tt.line(&doc.Lines[0])
			}
			_, err := s.Calculate(doc)
			require.ErrorIs(t, err, tt.want)
			var perr *pricing.Error
			require.ErrorAs(t, err, &perr)
			require.Equal(t, tt.want, perr.Code)
			if tt.line != nil {
				require.Equal(t, 1, perr.Line, "the error names the line")
			}
			require.NotEmpty(t, perr.Reason)
			if tt.want == pricing.ErrCurrencyMismatch {
				require.ErrorIs(t, err, crm.ErrCurrencyMismatch)
			}
		})
	}
}

func optional(s *pricing.Settings) { s.PriceListOptional = true }

// TestAcceptedEdges pins what the engine accepts next to what it refuses.
func TestAcceptedEdges(t *testing.T) {
	s := pricing.DefaultSettings()
	doc := pricing.Document{Currency: "USD", PriceList: &pricing.PriceList{Currency: "USD", Begin: day(2026, 3, 1), End: day(2026, 5, 31)}}
	line := func(l pricing.Line) pricing.LineResult {
		t.Helper()
		r, err := s.CalculateLine(doc, l)
		require.NoError(t, err)
		return r
	}

	t.Run("price list applies on its last day, in any time zone's calendar", func(t *testing.T) {
		doc.AsOf = time.Date(2026, 5, 31, 23, 30, 0, 0, time.FixedZone("UTC-10", -10*3600))
		require.Equal(t, "20.00 USD", line(priced("10", "2")).Amount.String())
		doc.AsOf = time.Time{}
	})
	t.Run("no as-of date checks no dates", func(t *testing.T) {
		past := doc
		past.PriceList = &pricing.PriceList{Currency: "USD", End: day(2001, 1, 1)}
		_, err := s.CalculateLine(past, priced("10", "2"))
		require.NoError(t, err)
	})
	t.Run("product under revision is priced", func(t *testing.T) {
		l := priced("10", "1")
		l.Product.State = pricing.ProductUnderRevision
		require.Equal(t, "10.00 USD", line(l).Amount.String())
	})
	t.Run("optional price list without an item prices at 0, or the user's price", func(t *testing.T) {
		s.PriceListOptional = true
		defer func() { s.PriceListOptional = false }()
		l := priced("10", "3")
		l.Item = nil
		require.Equal(t, "0.00 USD", line(l).Amount.String())
		l.PriceOverridden, l.PricePerUnit = true, usd("7.50")
		require.Equal(t, "22.50 USD", line(l).Amount.String())
		noList := doc
		noList.PriceList = nil
		r, err := s.CalculateLine(noList, l)
		require.NoError(t, err)
		require.Equal(t, "22.50 USD", r.Amount.String())
	})
	t.Run("write-in: the user's price, no price list, 5 quantity decimals", func(t *testing.T) {
		r := line(pricing.Line{WriteIn: true, PricePerUnit: usd("3"), Quantity: dec("0.00001")})
		require.Equal(t, "0.00 USD", r.Amount.String())
		r = line(pricing.Line{WriteIn: true, PricePerUnit: usd("3"), Quantity: dec("2.5"), Tax: usd("1")})
		require.Equal(t, "8.50 USD", r.ExtendedAmount.String())
	})
	t.Run("overridden price still takes the volume discount", func(t *testing.T) {
		l := priced("10", "10")
		l.PriceOverridden, l.PricePerUnit = true, usd("8")
		l.Item.Discounts = tenPercentFrom5To20
		r := line(l)
		require.Equal(t, "0.80 USD", r.VolumeDiscount.String())
		require.Equal(t, "72.00 USD", r.Amount.String())
	})
	t.Run("amount discount list takes its amount off each unit", func(t *testing.T) {
		l := priced("10", "3")
		l.Item.Discounts = &pricing.DiscountList{Type: pricing.AmountDiscount, Discounts: []pricing.Discount{
			{Begin: dec("2"), End: dec("5"), Amount: crm.MustMoney("5 USD")}}}
		require.Equal(t, "15.00 USD", line(l).Amount.String())
	})
	t.Run("whole units with a whole quantity written 2.00", func(t *testing.T) {
		l := priced("10", "2.00")
		l.Item.QuantitySelling = pricing.Whole
		require.Equal(t, "20.00 USD", line(l).Amount.String())
	})
	t.Run("per-unit discount on a fractional quantity is rounded once", func(t *testing.T) {
		ps := s
		ps.DiscountMethod = pricing.PerUnitDiscount
		l := withDiscount(priced("10", "1.333"), "0.10", "0")
		r, err := ps.CalculateLine(doc, l)
		require.NoError(t, err)
		require.Equal(t, "0.13 USD", r.LineDiscount.String()) // 0.1333
		require.Equal(t, "13.20 USD", r.ExtendedAmount.String())
	})
}

// TestErrorsListsEveryBadLine: Calculate reports each line it cannot
// price, by position, and Errors lists them.
func TestErrorsListsEveryBadLine(t *testing.T) {
	good, negative, retired := priced("1", "1"), priced("1", "-1"), priced("1", "1")
	retired.Product.State = pricing.ProductRetired
	_, err := pricing.DefaultSettings().Calculate(pricing.Document{Currency: "USD", PriceList: usdList,
		Lines: []pricing.Line{good, negative, good, retired}})
	require.ErrorIs(t, err, pricing.ErrInvalidQuantity)
	require.ErrorIs(t, err, pricing.ErrInvalidProduct)
	errs := pricing.Errors(err)
	require.Len(t, errs, 2)
	require.Equal(t, [2]int{2, 4}, [2]int{errs[0].Line, errs[1].Line})
	require.Equal(t, [2]pricing.Code{pricing.CodeInvalidQuantity, pricing.CodeInvalidProduct}, [2]pricing.Code{errs[0].Code, errs[1].Code})
	require.Contains(t, errs[0].Error(), "line 2: Invalid Quantity (29)")
	require.False(t, errors.Is(err, pricing.ErrNoPriceListItem))
	require.Len(t, pricing.Errors(errs[1]), 1)
	require.Empty(t, pricing.Errors(errors.New("other")))
}

func TestToBaseRefusesABadRate(t *testing.T) {
	r, err := pricing.DefaultSettings().CalculateLine(pricing.Document{Currency: "EUR"},
		pricing.Line{WriteIn: true, PricePerUnit: &[]crm.Money{crm.MustMoney("1000.00 EUR")}[0], Quantity: dec("3")})
	require.NoError(t, err)
	_, err = r.ToBase(dec("0"), "USD")
	require.ErrorIs(t, err, crm.ErrValidation)
	_, err = r.ToBase(dec("1"), "XXX")
	require.ErrorIs(t, err, crm.ErrNotFound)
	b, err := r.ToBase(dec("0.5"), "USD")
	require.NoError(t, err)
	require.Equal(t, "6000.00 USD", b.Amount.String())
	require.Equal(t, "2000.00 USD", b.PricePerUnit.String())
	_, err = r.ToBase(crm.MinExchangeRate, "USD")
	require.ErrorIs(t, err, pricing.CodeBaseCurrencyOverflow)
}
