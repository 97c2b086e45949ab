package pricing

import (
	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
)

// DiscountMethod is how a line's manual discount applies: the
// organization's discountcalculationmethod. The zero value is Line Item,
// Dynamics' default.
type DiscountMethod int32

// Discount methods, with their published numbers.
const (
	// LineItemDiscount takes the manual discount off the line once.
	LineItemDiscount DiscountMethod = 0
	// PerUnitDiscount takes it off each unit: manual discount × quantity.
	PerUnitDiscount DiscountMethod = 1
)

// Settings are the organization settings pricing reads (§9).
type Settings struct {
	// PricingPrecision is the decimals of unit prices
	// (pricingdecimalprecision, 0..4): crm.Registry.PricingPrecision.
	PricingPrecision int32
	DiscountMethod   DiscountMethod
	// PriceListOptional is the negation of ispricelistmandatory: catalog
	// products may be priced without a price list or a price list item,
	// at 0 unless the price is overridden (§6.5).
	PriceListOptional bool
}

// DefaultSettings returns a new organization's settings: pricing
// precision 2, line-item discounts, price list mandatory.
func DefaultSettings() Settings {
	return Settings{PricingPrecision: crm.DefaultPricingPrecision}
}

func (s Settings) check() *Error {
	switch {
	case s.PricingPrecision < 0 || s.PricingPrecision > crm.MaxMoneyPlaces:
		return fail(CodeInvalidPricingPrecision, "pricing precision %d is outside 0..%d", s.PricingPrecision, crm.MaxMoneyPlaces)
	case s.DiscountMethod != LineItemDiscount && s.DiscountMethod != PerUnitDiscount:
		return fail(CodePriceCalculationError, "discount calculation method %d is neither 0 Line item nor 1 Per unit", int32(s.DiscountMethod))
	}
	return nil
}

// LineKind is what a line is (the line's producttypecode). The zero value
// prices as Product.
type LineKind int32

// Line kinds, with their published numbers.
const (
	ProductLine        LineKind = 1
	BundleLine         LineKind = 2
	RequiredBundleItem LineKind = 3
	OptionalBundleItem LineKind = 4
	ProjectService     LineKind = 5
)

// Line is what pricing reads of a line item (opportunityproduct,
// quotedetail, salesorderdetail, invoicedetail): every amount in the
// document's currency.
type Line struct {
	Kind LineKind
	// WriteIn marks a product that is not in the catalog
	// (isproductoverridden): no product, no price list, no volume
	// discount; PricePerUnit is required.
	WriteIn bool
	// Product is the catalog product; required unless WriteIn.
	Product *Product
	// Unit is the line's unit (uomid).
	Unit crm.ID
	// Item is the price list item for the product in Unit on the price
	// list, or nil when that list has none.
	Item *PriceListItem
	// PriceList is the list Item belongs to when it is not the
	// document's (the product's default price list); nil means the
	// document's.
	PriceList *PriceList
	// PriceOverridden means PricePerUnit is the user's price
	// (ispriceoverridden); write-ins always are.
	PriceOverridden bool
	PricePerUnit    *crm.Money
	// Quantity is never negative; its decimals are checked (§6.7).
	Quantity decimal.Decimal
	// ManualDiscount (manualdiscountamount, >= 0) and Tax are the user's;
	// nil is zero.
	ManualDiscount *crm.Money
	Tax            *crm.Money
}

// LineResult is a priced line: what a service writes back to the line's
// fields. Money is in the document's currency.
type LineResult struct {
	// PricePerUnit (priceperunit) is at the pricing precision.
	PricePerUnit crm.Money
	// VolumeDiscount (volumediscountamount) is the discount per unit,
	// shown at the currency precision; Amount uses it unrounded.
	VolumeDiscount crm.Money
	// Amount (baseamount) is (price per unit − volume discount) ×
	// quantity; it and the amounts below are at the currency precision.
	Amount crm.Money
	// LineDiscount is the manual discount applied: the manual discount,
	// or the manual discount × quantity per unit.
	LineDiscount crm.Money
	Tax          crm.Money
	// ExtendedAmount (extendedamount) is Amount − LineDiscount + Tax.
	ExtendedAmount crm.Money
}

// MaxQuantityPlaces is the most decimals a line quantity has (Dynamics'
// quantity field: 5 decimals, up to 1e11).
const MaxQuantityPlaces = 5

var (
	// maxQuantity is the most a line quantity may be, in fixed point:
	// compared without converting it.
	maxQuantity = fixed{1, 11}
	// maxAmount is Dynamics' money range, the one crm validation
	// enforces on every money field.
	maxAmount = decimal.NewFromInt(922_337_203_685_477)
	// maxAmountAt[p] is maxAmount with exponent -p: comparing decimals
	// of different exponents allocates, and range checks run on every
	// amount.
	maxAmountAt = func() (b [2*crm.MaxMoneyPlaces + 1]decimal.Decimal) {
		for p := range b {
			b[p] = maxAmount.Round(int32(p))
		}
		return b
	}()
)

// CalculateLine prices one line of d on its own (§6.1); d's lines and
// header amounts are not read. An error is an *Error with Line 0.
func (s Settings) CalculateLine(d Document, l Line) (LineResult, error) {
	if e := s.check(); e != nil {
		return LineResult{}, e
	}
	t := newTally(d.Currency)
	r, e := s.line(&d, &l, &t)
	if e != nil {
		return LineResult{}, e
	}
	return r, nil
}

// line prices l, a line of d, and adds it to t.
func (s Settings) line(d *Document, l *Line, t *tally) (LineResult, *Error) {
	c := d.Currency
	zero := crm.Zero(c)
	switch {
	case l.Kind == RequiredBundleItem:
		// Its price is inside the bundle's: it adds nothing (§5.6).
		r := LineResult{PricePerUnit: zero, VolumeDiscount: zero, Amount: zero, LineDiscount: zero, Tax: zero, ExtendedAmount: zero}
		t.addDec(&r)
		return r, nil
	case l.Kind < 0 || l.Kind > ProjectService:
		return LineResult{}, fail(CodeInvalidProduct, "line kind %d is not one of 1..5", int32(l.Kind))
	}
	item, e := s.itemOf(d, l)
	if e != nil {
		return LineResult{}, e
	}
	var ppu crm.Money
	switch {
	case l.WriteIn || l.PriceOverridden:
		if l.PricePerUnit == nil {
			return LineResult{}, fail(CodeMissingUnitPrice, "an overridden or write-in price needs a price per unit")
		}
		if e := sameCurrency("the price per unit", l.PricePerUnit.Currency, c); e != nil {
			return LineResult{}, e
		}
		ppu = crm.NewMoney(roundDec(l.PricePerUnit.Amount, s.PricingPrecision), c)
	case item != nil:
		if ppu, e = s.pricePerUnit(c, item, l.Product); e != nil {
			return LineResult{}, e
		}
	default:
		ppu = zero // no price list item, price list optional
	}
	if e := checkQuantity(l, item); e != nil {
		return LineResult{}, e
	}
	var list *DiscountList
	var vd *Discount
	if item != nil && item.Discounts != nil {
		list = item.Discounts
		if vd, e = list.find(l.Quantity, c); e != nil {
			return LineResult{}, e
		}
	}
	if md := l.ManualDiscount; md != nil {
		if e := sameCurrency("the manual discount", md.Currency, c); e != nil {
			return LineResult{}, e
		}
		if md.Amount.Sign() < 0 {
			return LineResult{}, fail(CodeInvalidDiscount, "manual discount %s is negative", *md)
		}
	}
	if l.Tax != nil {
		if e := sameCurrency("the tax", l.Tax.Currency, c); e != nil {
			return LineResult{}, e
		}
	}
	r, ok := s.amountsFixed(l, ppu, list, vd, t)
	if !ok {
		r = s.amounts(l, ppu, list, vd)
		t.addDec(&r)
	}
	for _, m := range [...]*crm.Money{&r.PricePerUnit, &r.Amount, &r.ExtendedAmount} {
		if e := inRange(*m); e != nil {
			return LineResult{}, e
		}
	}
	return r, nil
}

// amounts computes a checked line's amounts from its price per unit ppu
// and the range vd of volume discount list list (nil for none), in
// decimals: the arithmetic amountsFixed does in fixed point when the
// values fit.
func (s Settings) amounts(l *Line, ppu crm.Money, list *DiscountList, vd *Discount) LineResult {
	c := ppu.Currency
	zero := crm.Zero(c)
	off := zero
	if vd != nil {
		off = list.off(vd, ppu)
	}
	r := LineResult{PricePerUnit: ppu, VolumeDiscount: off.Round(), LineDiscount: zero, Tax: zero}
	net := ppu.Amount
	if !off.IsZero() {
		net = net.Sub(off.Amount)
	}
	r.Amount = crm.NewMoney(net.Mul(l.Quantity), c).Round()
	if md := l.ManualDiscount; md != nil {
		m := *md
		if s.DiscountMethod == PerUnitDiscount {
			m = m.Mul(l.Quantity)
		}
		r.LineDiscount = m.Round()
	}
	if l.Tax != nil {
		r.Tax = l.Tax.Round()
	}
	r.ExtendedAmount = crm.NewMoney(r.Amount.Amount.Sub(r.LineDiscount.Amount).Add(r.Tax.Amount), c)
	return r
}

// amountsFixed is amounts in fixed point, adding the line to t; false
// when a value does not fit.
func (s Settings) amountsFixed(l *Line, ppu crm.Money, list *DiscountList, vd *Discount, t *tally) (LineResult, bool) {
	c, cp := ppu.Currency, t.cp
	var x calc
	p, q := x.of(ppu.Amount), x.of(l.Quantity)
	var off fixed
	if vd != nil {
		off = x.off(list, vd, p)
	}
	net := p
	if off.v != 0 {
		net = x.sub(p, off)
	}
	amount := x.mulRound(net, q, cp)
	r := LineResult{PricePerUnit: ppu, LineDiscount: crm.Zero(c), Tax: crm.Zero(c)}
	discount := x.of(r.LineDiscount.Amount)
	if md := l.ManualDiscount; md != nil {
		if s.DiscountMethod == PerUnitDiscount {
			discount = x.mulRound(x.of(md.Amount), q, cp)
			r.LineDiscount.Amount = discount.dec()
		} else {
			r.LineDiscount.Amount = roundDec(md.Amount, cp)
			discount = x.of(r.LineDiscount.Amount)
		}
	}
	if l.Tax != nil {
		r.Tax.Amount = roundDec(l.Tax.Amount, cp)
	}
	tax := x.of(r.Tax.Amount)
	extended := x.add(x.sub(amount, discount), tax)
	volume := x.round(off, cp)
	if !x.ok() {
		return LineResult{}, false
	}
	t.add(amount, discount, tax)
	r.VolumeDiscount = crm.NewMoney(volume.dec(), c)
	r.Amount = crm.NewMoney(amount.dec(), c)
	r.ExtendedAmount = crm.NewMoney(extended.dec(), c)
	return r, true
}

// itemOf returns the price list item that prices a catalog line, after
// checking its product and price list, or nil for a write-in and for a
// product an optional price list does not price.
func (s Settings) itemOf(d *Document, l *Line) (*PriceListItem, *Error) {
	if l.WriteIn {
		return nil, nil
	}
	p := l.Product
	switch {
	case p == nil:
		return nil, fail(CodeMissingProduct, "a catalog line needs a product")
	case p.State != ProductActive && p.State != ProductUnderRevision:
		return nil, fail(CodeInvalidProduct, "the product is %s: only active products are priced", p.State)
	case p.QuantityDecimals < 0 || p.QuantityDecimals > MaxQuantityPlaces:
		return nil, fail(CodeInvalidProduct, "the product's quantity decimals %d are outside 0..%d", p.QuantityDecimals, MaxQuantityPlaces)
	}
	pl := l.PriceList
	if pl == nil {
		pl = d.PriceList
	}
	if pl == nil {
		if l.Item != nil || !s.PriceListOptional {
			return nil, fail(CodeMissingPriceLevel, "no price list to price the product from")
		}
		return nil, nil
	}
	if e := pl.check(d.Currency, d.AsOf); e != nil {
		return nil, e
	}
	item := l.Item
	switch {
	case item == nil && !s.PriceListOptional:
		return nil, fail(CodeProductNotInPriceLevel, "the price list has no item for the product in the line's unit")
	case item == nil || item.Unit == crm.NilID || item.Unit == l.Unit:
		return item, nil
	case l.Unit == crm.NilID:
		return nil, fail(CodeMissingUOM, "the price list item is for unit %s and the line has no unit", item.Unit)
	}
	return nil, fail(CodeProductNotInPriceLevel, "the price list item is for unit %s, not the line's %s", item.Unit, l.Unit)
}

// checkQuantity refuses a negative quantity, one above 1e11, and one with
// more decimals than allowed: none when the item sells whole units only,
// the product's quantity decimals when no price list item applies, 5
// otherwise (§6.7).
func checkQuantity(l *Line, item *PriceListItem) *Error {
	q := l.Quantity
	switch {
	case q.Sign() < 0:
		return fail(CodeInvalidQuantity, "quantity %s is negative", q)
	case cmpFixed(q, maxQuantity) > 0:
		return fail(CodeInvalidQuantity, "quantity %s is above 1e11", q)
	}
	places, why := int32(MaxQuantityPlaces), "a line quantity"
	switch {
	case item != nil && item.QuantitySelling == Whole:
		places, why = 0, "the price list item sells whole units only"
	case item == nil && !l.WriteIn:
		places, why = l.Product.QuantityDecimals, "the product supports"
	}
	if moreDecimals(q, places) {
		return fail(CodeInvalidQuantity, "quantity %s has more than %d decimals: %s", q, places, why)
	}
	return nil
}

func inRange(m crm.Money) *Error {
	bound := maxAmount
	if e := -m.Amount.Exponent(); e >= 0 && int(e) < len(maxAmountAt) {
		bound = maxAmountAt[e] // same exponent: compared without rescaling
	}
	if m.Amount.Abs().Cmp(bound) > 0 {
		return fail(CodePriceAttributeOutOfRange, "%s is beyond the money range of ±%s", m, maxAmount)
	}
	return nil
}
