package pricing

import (
	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
)

// DiscountType says whether a discount list takes a percentage or an
// amount off each unit (discounttype.isamounttype). The zero value is
// Percentage, Dynamics' default.
type DiscountType int32

// Discount types, with their published numbers.
const (
	PercentageDiscount DiscountType = 0
	AmountDiscount     DiscountType = 1
)

// DiscountList is a discount list (discounttype) with its discounts: volume
// discounts by quantity range. Dynamics applies a list even when it is
// inactive, so it has no state here.
type DiscountList struct {
	Type      DiscountType
	Discounts []Discount
}

// Discount is one range of a discount list (discount).
type Discount struct {
	// Begin and End bound the quantities the discount applies to, both
	// included (lowquantity, highquantity).
	Begin, End decimal.Decimal
	// Percentage is taken off each unit's price by a Percentage list: 10
	// for 10 %, 0..100.
	Percentage decimal.Decimal
	// Amount is taken off each unit by an Amount list, in the price
	// list's currency.
	Amount crm.Money
}

// PerUnit returns the volume discount per unit at quantity qty on price
// per unit ppu (§4.5): ppu × percentage / 100 or the amount of the range
// that holds qty, zero when none does. It is exact, not rounded: the line
// amount multiplies it by the quantity first (§6.1). It refuses ranges
// that overlap or run backwards and discounts outside their bounds.
func (l *DiscountList) PerUnit(qty decimal.Decimal, ppu crm.Money) (crm.Money, error) {
	d, e := l.perUnit(qty, ppu)
	if e != nil {
		return crm.Money{}, e
	}
	return d, nil
}

func (l *DiscountList) perUnit(qty decimal.Decimal, ppu crm.Money) (crm.Money, *Error) {
	if l.Type != PercentageDiscount && l.Type != AmountDiscount {
		return crm.Money{}, fail(CodeInvalidDiscountType, "discount list type %d is neither 0 Percentage nor 1 Amount", int32(l.Type))
	}
	found := -1
	for i := range l.Discounts {
		d := &l.Discounts[i]
		if e := l.checkDiscount(i, ppu.Currency); e != nil {
			return crm.Money{}, e
		}
		if d.Begin.Cmp(qty) <= 0 && qty.Cmp(d.End) <= 0 {
			found = i
		}
	}
	if found < 0 {
		return crm.Zero(ppu.Currency), nil
	}
	d := &l.Discounts[found]
	if l.Type == AmountDiscount {
		return d.Amount, nil
	}
	return crm.NewMoney(ppu.Amount.Mul(d.Percentage).Shift(-2), ppu.Currency), nil
}

// checkDiscount checks discount i of l, and that it overlaps none before
// it: together, that no two ranges overlap.
func (l *DiscountList) checkDiscount(i int, c crm.Currency) *Error {
	d := &l.Discounts[i]
	switch {
	case d.Begin.Sign() < 0 || d.Begin.Cmp(d.End) > 0:
		return fail(CodeInvalidDiscount, "discount %d: range %s to %s", i+1, d.Begin, d.End)
	case l.Type == PercentageDiscount && (d.Percentage.Sign() < 0 || d.Percentage.Cmp(hundred) > 0):
		return fail(CodeInvalidDiscount, "discount %d: percentage %s is outside 0..100", i+1, d.Percentage)
	case l.Type == AmountDiscount && d.Amount.Amount.Sign() < 0:
		return fail(CodeInvalidDiscount, "discount %d: amount %s is negative", i+1, d.Amount)
	}
	if l.Type == AmountDiscount {
		if e := sameCurrency("the discount list's amount", d.Amount.Currency, c); e != nil {
			return e
		}
	}
	for j := range i {
		o := &l.Discounts[j]
		if o.Begin.Cmp(d.End) <= 0 && d.Begin.Cmp(o.End) <= 0 {
			return fail(CodeInvalidDiscount, "discounts %d (%s to %s) and %d (%s to %s) overlap", j+1, o.Begin, o.End, i+1, d.Begin, d.End)
		}
	}
	return nil
}
