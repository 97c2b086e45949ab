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
	d, e := l.find(qty, ppu.Currency)
	if e != nil {
		return crm.Money{}, e
	}
	return l.off(d, ppu), nil
}

// find checks l, with amounts in currency c, and returns the discount
// whose range holds qty, or nil.
func (l *DiscountList) find(qty decimal.Decimal, c crm.Currency) (*Discount, *Error) {
	if l.Type != PercentageDiscount && l.Type != AmountDiscount {
		return nil, fail(CodeInvalidDiscountType, "discount list type %d is neither 0 Percentage nor 1 Amount", int32(l.Type))
	}
	var x calc
	q := x.of(qty) // converted once, compared with every range
	var found *Discount
	for i := range l.Discounts {
		d := &l.Discounts[i]
		if e := l.checkDiscount(i, c); e != nil {
			return nil, e
		}
		if found == nil && d.holds(qty, q, x.ok()) {
			found = d
		}
	}
	return found, nil
}

// holds reports whether d's range holds qty, comparing with q, qty in
// fixed point, when qty fits.
func (d *Discount) holds(qty decimal.Decimal, q fixed, fits bool) bool {
	if !fits {
		return cmpDec(d.Begin, qty) <= 0 && cmpDec(qty, d.End) <= 0
	}
	return cmpFixed(d.Begin, q) <= 0 && cmpFixed(d.End, q) >= 0
}

// off is what discount d of l (nil for none) takes off price per unit
// ppu, exactly.
func (l *DiscountList) off(d *Discount, ppu crm.Money) crm.Money {
	switch {
	case d == nil:
		return crm.Zero(ppu.Currency)
	case l.Type == AmountDiscount:
		return d.Amount
	}
	return crm.NewMoney(ppu.Amount.Mul(d.Percentage).Shift(-2), ppu.Currency)
}

// off is DiscountList.off in fixed point.
func (x *calc) off(l *DiscountList, d *Discount, ppu fixed) fixed {
	switch {
	case d == nil:
		return fixed{}
	case l.Type == AmountDiscount:
		return x.of(d.Amount.Amount)
	}
	return x.mul(ppu, x.of(d.Percentage)).shift(-2)
}

// checkDiscount checks discount i of l, and that it overlaps none before
// it: together, that no two ranges overlap.
func (l *DiscountList) checkDiscount(i int, c crm.Currency) *Error {
	d := &l.Discounts[i]
	switch {
	case d.Begin.Sign() < 0 || cmpDec(d.Begin, d.End) > 0:
		return fail(CodeInvalidDiscount, "discount %d: range %s to %s", i+1, d.Begin, d.End)
	case l.Type == PercentageDiscount && (d.Percentage.Sign() < 0 || cmpFixed(d.Percentage, fixedHundred) > 0):
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
		if cmpDec(o.Begin, d.End) <= 0 && cmpDec(d.Begin, o.End) <= 0 {
			return fail(CodeInvalidDiscount, "discounts %d (%s to %s) and %d (%s to %s) overlap", j+1, o.Begin, o.End, i+1, d.Begin, d.End)
		}
	}
	return nil
}
