package pricing

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
)

// Method is a price list item's pricing method (pricingmethodcode). The
// zero value is no method, which prices nothing (ErrMissingPricingMethod).
type Method int32

// Pricing methods, with their published numbers.
const (
	CurrencyAmount     Method = 1 // the item's amount
	PercentOfList      Method = 2 // list price × percentage
	MarkupCurrentCost  Method = 3 // current cost × (100 % + percentage)
	MarginCurrentCost  Method = 4 // current cost / (100 % − percentage)
	MarkupStandardCost Method = 5 // standard cost × (100 % + percentage)
	MarginStandardCost Method = 6 // standard cost / (100 % − percentage)
)

var methodLabels = [...]string{"", "Currency Amount", "Percent of List", "Percent Markup - Current Cost",
	"Percent Margin - Current Cost", "Percent Markup - Standard Cost", "Percent Margin - Standard Cost"}

func (m Method) String() string { return label(methodLabels[:], int32(m), "Method") }

// Valid reports whether m is one of the six methods.
func (m Method) Valid() bool { return m >= CurrencyAmount && m <= MarginStandardCost }

// RoundingPolicy says which way a computed price is rounded
// (roundingpolicycode). The zero value rounds like None.
type RoundingPolicy int32

// Rounding policies, with their published numbers.
const (
	RoundNone    RoundingPolicy = 1
	RoundUp      RoundingPolicy = 2
	RoundDown    RoundingPolicy = 3
	RoundNearest RoundingPolicy = 4
)

var policyLabels = [...]string{"", "None", "Up", "Down", "To Nearest"}

func (p RoundingPolicy) String() string { return label(policyLabels[:], int32(p), "RoundingPolicy") }

// RoundingOption says what a rounded price looks like
// (roundingoptioncode).
type RoundingOption int32

// Rounding options, with their published numbers.
const (
	EndsIn     RoundingOption = 1 // the price ends in the amount: x.99
	MultipleOf RoundingOption = 2 // the price is a multiple of the amount: 0.25
)

var optionLabels = [...]string{"", "Ends in", "Multiple of"}

func (o RoundingOption) String() string { return label(optionLabels[:], int32(o), "RoundingOption") }

// Rounding is a price list item's rounding: policy, option and amount
// (roundingoptionamount, at the pricing precision). The zero value does
// not round.
type Rounding struct {
	Policy RoundingPolicy
	Option RoundingOption
	Amount decimal.Decimal
}

// Round applies r to price p, as described in the package doc, and keeps
// places decimals (the pricing precision): the result is rounded only
// once, by r or, with no policy, by crm.RoundHalfAwayFromZero.
func (r Rounding) Round(p decimal.Decimal, places int32) (decimal.Decimal, error) {
	if e := (Settings{PricingPrecision: places}).check(); e != nil {
		return decimal.Decimal{}, e
	}
	if e := r.check(places); e != nil {
		return decimal.Decimal{}, e
	}
	var x calc
	if d := r.roundFixed(&x, x.of(p), fixedOne, places); x.ok() {
		return d.dec(), nil
	}
	d, err := r.round(ratio{num: p, den: one}, places)
	if err != nil {
		return decimal.Decimal{}, err
	}
	return d, nil
}

// ratio is an exact price num/den, den > 0: a margin price is a quotient
// that a decimal cannot hold, and rounding it to a decimal before the
// policy does would round twice.
type ratio struct{ num, den decimal.Decimal }

func (q ratio) at(places int32) decimal.Decimal {
	if q.den.Equal(one) {
		return crm.RoundHalfAwayFromZero(q.num, places)
	}
	return crm.DivRound(q.num, q.den, places)
}

// times returns x × q.den, without a multiplication when den is 1 (all
// methods but the margins).
func (q ratio) times(x decimal.Decimal) decimal.Decimal {
	if q.den.Equal(one) {
		return x
	}
	return x.Mul(q.den)
}

// check refuses a rounding that cannot round to places decimals.
func (r Rounding) check(places int32) *Error {
	if r.Policy == 0 || r.Policy == RoundNone {
		return nil
	}
	if r.Policy < RoundNone || r.Policy > RoundNearest {
		return fail(CodeInvalidRoundingPolicy, "rounding policy %d is not one of 1..4", int32(r.Policy))
	}
	a := r.Amount
	if moreDecimals(a, places) {
		return fail(CodeInvalidRoundingAmount, "rounding amount %s has more decimals than the pricing precision %d", a, places)
	}
	switch r.Option {
	case MultipleOf:
		if a.Sign() <= 0 {
			return fail(CodeInvalidRoundingAmount, "multiple of %s: the amount must be above zero", a)
		}
	case EndsIn:
		if a.Sign() < 0 {
			return fail(CodeInvalidRoundingAmount, "ends in %s: the amount must not be negative", a)
		}
	default:
		return fail(CodeInvalidRoundingOption, "rounding %s needs option Ends in or Multiple of, not %d", r.Policy, int32(r.Option))
	}
	return nil
}

// round applies checked rounding r to price p in decimals, the
// arithmetic roundFixed does in fixed point when the values fit.
func (r Rounding) round(p ratio, places int32) (decimal.Decimal, *Error) {
	var d decimal.Decimal
	switch {
	case r.Policy == 0 || r.Policy == RoundNone:
		return p.at(places), nil
	case r.Option == MultipleOf:
		d = multipleOf(p, r.Amount, r.Policy)
	default:
		var ok bool
		if d, ok = endsIn(p, r.Amount, r.Policy); !ok {
			return decimal.Decimal{}, fail(CodePriceCalculationError, "rounding %s down to end in %s: no price at or below it does", p.at(crm.MaxMoneyPlaces), r.Amount)
		}
	}
	// The amount has at most places decimals, so d has too: this only
	// trims trailing zeros' scale, never a digit.
	return d.Round(places), nil
}

// roundFixed is round in fixed point, for the price num / den (den >
// 0): the same result, or it gives up, when a value does not fit and
// when the price has no rounding (Down to an "ends in" above it), which
// round refuses.
func (r Rounding) roundFixed(x *calc, num, den fixed, places int32) fixed {
	// The price in units of the last place, a quotient of integers:
	// p × 10^places = X / Y, Y > 0.
	X, Y := num.v, den.v
	if k := int64(num.exp) - int64(den.exp) + int64(places); k >= 0 {
		X = x.mul64(X, x.pow(k))
	} else {
		Y = x.mul64(Y, x.pow(-k))
	}
	if r.Policy == 0 || r.Policy == RoundNone {
		return fixed{x.divRound(X, Y), -places}
	}
	// The amount in units too: exact, as it has at most places decimals.
	A := x.round(x.of(r.Amount), places).v
	var v int64
	if r.Option == MultipleOf {
		YA := x.mul64(Y, A)
		switch r.Policy {
		case RoundUp:
			v = x.ceilDiv(X, YA)
		case RoundDown:
			v = x.floorDiv(X, YA)
		default:
			v = x.divRound(X, YA)
		}
		return fixed{x.mul64(v, A), -places}
	}
	// Ends in: M is the modulus, the smallest power of ten above A (one,
	// 10^places units, for A = 0); then as endsIn.
	M := x.pow(int64(places))
	if A > 0 {
		for M = 10; M <= A && x.ok(); M = x.mul64(M, 10) {
		}
	}
	lo := x.add64(x.mul64(x.floorDiv(x.sub64(X, x.mul64(Y, A)), x.mul64(Y, M)), M), A)
	below := x.sub64(X, x.mul64(Y, lo)) // (p − lo) × Y, >= 0
	hi := lo
	if below != 0 {
		hi = x.add64(lo, M)
	}
	switch {
	case r.Policy == RoundUp:
		v = hi
	case r.Policy == RoundDown:
		if lo < 0 {
			x.giveUp()
		}
		v = lo
	case lo >= 0 && below < x.sub64(x.mul64(Y, hi), X):
		v = lo
	default:
		v = hi
	}
	return fixed{v, -places}
}

// multipleOf rounds p to a multiple of a > 0.
func multipleOf(p ratio, a decimal.Decimal, policy RoundingPolicy) decimal.Decimal {
	den := p.times(a)
	var k decimal.Decimal
	switch policy {
	case RoundUp:
		k = ceilDiv(p.num, den)
	case RoundDown:
		k = floorDiv(p.num, den)
	default:
		k = crm.DivRound(p.num, den, 0)
	}
	return k.Mul(a)
}

// endsIn rounds p to a value ending in a >= 0: one of lo (the largest
// value <= p ending in a) and hi (the smallest >= p). It reports false
// when the policy is Down and lo would be negative.
func endsIn(p ratio, a decimal.Decimal, policy RoundingPolicy) (decimal.Decimal, bool) {
	m := modulus(a)
	lo := floorDiv(p.num.Sub(p.times(a)), p.times(m)).Mul(m).Add(a)
	below := p.num.Sub(p.times(lo)) // (p - lo) × den, >= 0
	hi := lo
	if below.Sign() != 0 {
		hi = lo.Add(m)
	}
	switch policy {
	case RoundUp:
		return hi, true
	case RoundDown:
		return lo, lo.Sign() >= 0
	}
	// To Nearest: the closer of lo and hi, hi on a tie; never a negative
	// price.
	if lo.Sign() >= 0 && below.Cmp(p.times(hi).Sub(p.num)) < 0 {
		return lo, true
	}
	return hi, true
}

// modulus is the smallest power of ten strictly greater than a, 1 for 0.
func modulus(a decimal.Decimal) decimal.Decimal {
	m := one
	if a.IsZero() {
		return m
	}
	for m.Cmp(a) <= 0 {
		m = m.Shift(1)
	}
	for m.Shift(-1).Cmp(a) > 0 {
		m = m.Shift(-1)
	}
	return m
}

// floorDiv and ceilDiv return ⌊a/b⌋ and ⌈a/b⌉ for b > 0. QuoRem
// truncates towards zero and gives a remainder of a's sign.
func floorDiv(a, b decimal.Decimal) decimal.Decimal {
	q, r := a.QuoRem(b, 0)
	if r.Sign() < 0 {
		return q.Sub(one)
	}
	return q
}

func ceilDiv(a, b decimal.Decimal) decimal.Decimal {
	q, r := a.QuoRem(b, 0)
	if r.Sign() > 0 {
		return q.Add(one)
	}
	return q
}

// ProductState is a product's state (statecode). The zero value is
// Active.
type ProductState int32

// Product states, with their published numbers.
const (
	ProductActive        ProductState = 0
	ProductRetired       ProductState = 1
	ProductDraft         ProductState = 2
	ProductUnderRevision ProductState = 3
)

var productStateLabels = [...]string{"Active", "Retired", "Draft", "Under Revision"}

func (s ProductState) String() string { return label(productStateLabels[:], int32(s), "ProductState") }

// Product is what pricing reads of a catalog product. Nil prices and
// costs are missing (null), which differs from zero.
type Product struct {
	State        ProductState
	ListPrice    *crm.Money // price
	CurrentCost  *crm.Money // currentcost
	StandardCost *crm.Money // standardcost
	// QuantityDecimals is how many decimals a quantity of the product may
	// have (quantitydecimal, 0..5) when no price list item says.
	QuantityDecimals int32
}

// PriceList is what pricing reads of a price list (pricelevel).
type PriceList struct {
	Currency crm.Currency
	Inactive bool
	// Begin and End are the first and last day the list applies
	// (begindate, enddate), compared as calendar dates; a zero time leaves
	// that side open. They are checked only against an "as of" date.
	Begin, End time.Time
}

// check refuses an inactive list, one that is not in currency c, and one
// that does not apply on asOf (when asOf is not zero).
func (pl *PriceList) check(c crm.Currency, asOf time.Time) *Error {
	if pl.Inactive {
		return fail(CodeInactivePriceLevel, "the price list is inactive")
	}
	if e := sameCurrency("the price list", pl.Currency, c); e != nil {
		return e
	}
	if asOf.IsZero() {
		return nil
	}
	day := civil(asOf)
	if !pl.Begin.IsZero() && day < civil(pl.Begin) {
		return fail(CodeInactivePriceLevel, "the price list begins on %s, after %s", pl.Begin.Format(time.DateOnly), asOf.Format(time.DateOnly))
	}
	if !pl.End.IsZero() && day > civil(pl.End) {
		return fail(CodeInactivePriceLevel, "the price list ended on %s, before %s", pl.End.Format(time.DateOnly), asOf.Format(time.DateOnly))
	}
	return nil
}

// civil is t's calendar date in t's own location, as one comparable
// number.
func civil(t time.Time) int {
	y, m, d := t.Date()
	return y*10000 + int(m)*100 + d
}

// QuantitySelling is a price list item's quantity selling option
// (quantitysellingcode). The zero value is No Control.
type QuantitySelling int32

// Quantity selling options, with their published numbers.
const (
	NoControl          QuantitySelling = 1
	Whole              QuantitySelling = 2
	WholeAndFractional QuantitySelling = 3
)

// PriceListItem is a price list item (productpricelevel): how one price
// list prices one product in one unit.
type PriceListItem struct {
	Method Method
	// Amount is the price of method CurrencyAmount, in the price list's
	// currency.
	Amount *crm.Money
	// Percentage is the percentage of methods 2 to 6: 25 for 25 %.
	Percentage *decimal.Decimal
	// Rounding applies to methods 2 to 6; Currency Amount ignores it.
	Rounding Rounding
	// Unit is the unit the item prices (uomid); the zero ID matches any
	// line.
	Unit            crm.ID
	QuantitySelling QuantitySelling
	// Discounts is the item's discount list (discounttypeid), or nil.
	Discounts *DiscountList
}

// Most a percentage may be (percentage's range in Dynamics), in fixed
// point: compared without converting it.
var maxPercentage = fixed{1, 9}

// PricePerUnit returns what item prices product at (§4.4): the method's
// formula, the item's rounding for methods 2 to 6, kept at the pricing
// precision s.PricingPrecision. Amounts and costs must be in the price
// list's currency pl.Currency; it is the result's currency.
func (s Settings) PricePerUnit(pl PriceList, item PriceListItem, product Product) (crm.Money, error) {
	if e := s.check(); e != nil {
		return crm.Money{}, e
	}
	m, e := s.pricePerUnit(pl.Currency, &item, &product)
	if e != nil {
		return crm.Money{}, e
	}
	return m, nil
}

func (s Settings) pricePerUnit(c crm.Currency, item *PriceListItem, product *Product) (crm.Money, *Error) {
	if item.Method == CurrencyAmount {
		if item.Amount == nil {
			return crm.Money{}, fail(CodeMissingPriceLevelAmount, "method %s without an amount", item.Method)
		}
		if e := sameCurrency("the price list item amount", item.Amount.Currency, c); e != nil {
			return crm.Money{}, e
		}
		if item.Amount.Amount.Sign() < 0 {
			return crm.Money{}, fail(CodeInvalidPriceLevelAmount, "amount %s is negative", item.Amount)
		}
		return crm.NewMoney(roundDec(item.Amount.Amount, s.PricingPrecision), c), nil
	}
	base, pct, e := formulaInputs(c, item, product)
	if e != nil {
		return crm.Money{}, e
	}
	if e := item.Rounding.check(s.PricingPrecision); e != nil {
		return crm.Money{}, e
	}
	var x calc
	num, den := x.formula(item.Method, x.of(base), x.of(pct))
	if d := item.Rounding.roundFixed(&x, num, den, s.PricingPrecision); x.ok() {
		return crm.NewMoney(d.dec(), c), nil
	}
	d, e := item.Rounding.round(formula(item.Method, base, pct), s.PricingPrecision)
	if e != nil {
		return crm.Money{}, e
	}
	return crm.NewMoney(d, c), nil
}

// formulaInputs checks what methods 2 to 6 read and returns it: the
// product's list price or cost, and the item's percentage.
func formulaInputs(c crm.Currency, item *PriceListItem, product *Product) (base, pct decimal.Decimal, e *Error) {
	switch {
	case item.Method == 0:
		return base, pct, fail(CodeMissingPricingCode, "the price list item has no pricing method")
	case !item.Method.Valid():
		return base, pct, fail(CodeInvalidPricingCode, "pricing method %d is not one of 1..6", int32(item.Method))
	case item.Percentage == nil:
		return base, pct, fail(CodeMissingPriceLevelPercentage, "method %s without a percentage", item.Method)
	}
	pct = *item.Percentage
	if pct.Sign() < 0 || cmpFixed(pct, maxPercentage) > 0 {
		return base, pct, fail(CodeInvalidPriceLevelPercentage, "percentage %s is outside 0..1e9", pct)
	}
	if base, e = costOf(c, item.Method, product); e != nil {
		return base, pct, e
	}
	if (item.Method == MarginCurrentCost || item.Method == MarginStandardCost) && cmpFixed(pct, fixedHundred) >= 0 {
		return base, pct, fail(CodeInvalidPriceLevelPercentage, "margin of %s %%: a margin must be below 100 %%", pct)
	}
	return base, pct, nil
}

// formula is the exact price of methods 2 to 6, before rounding.
func formula(m Method, base, pct decimal.Decimal) ratio {
	switch m {
	case PercentOfList: // price × P
		return ratio{num: base.Mul(pct).Shift(-2), den: one}
	case MarkupCurrentCost, MarkupStandardCost: // cost × (1 + P)
		return ratio{num: base.Mul(hundred.Add(pct)).Shift(-2), den: one}
	}
	// Margin: cost + cost × P / (1 − P) = cost / (1 − P) = cost × 100 /
	// (100 − pct), kept as a quotient.
	return ratio{num: base.Shift(2), den: hundred.Sub(pct)}
}

// formula is formula in fixed point: the price num / den.
func (x *calc) formula(m Method, base, pct fixed) (num, den fixed) {
	switch m {
	case PercentOfList:
		return x.mul(base, pct).shift(-2), fixedOne
	case MarkupCurrentCost, MarkupStandardCost:
		return x.mul(base, x.add(fixedHundred, pct)).shift(-2), fixedOne
	}
	return base.shift(2), x.sub(fixedHundred, pct)
}

// costOf returns the product's list price, current cost or standard cost,
// whichever method reads.
func costOf(c crm.Currency, method Method, p *Product) (decimal.Decimal, *Error) {
	v, name := p.StandardCost, "standard cost"
	missing, invalid := CodeMissingStandardCost, CodeInvalidStandardCost
	switch method {
	case PercentOfList:
		v, name, missing, invalid = p.ListPrice, "list price", CodeMissingPrice, CodeInvalidPrice
	case MarkupCurrentCost, MarginCurrentCost:
		v, name, missing, invalid = p.CurrentCost, "current cost", CodeMissingCurrentCost, CodeInvalidCurrentCost
	}
	switch {
	case v == nil:
		return decimal.Decimal{}, fail(missing, "method %s on a product without a %s", method, name)
	case v.Amount.Sign() < 0:
		return decimal.Decimal{}, fail(invalid, "the product's %s %s is negative", name, v)
	}
	if v.Currency != c { // named only then: the concatenation allocates
		return decimal.Decimal{}, sameCurrency("the product's "+name, v.Currency, c)
	}
	return v.Amount, nil
}

func sameCurrency(what string, got, want crm.Currency) *Error {
	if got == want {
		return nil
	}
	return &Error{Code: CodeInvalidPriceLevelCurrency, Reason: fmt.Sprintf("%s is in %q, not %q", what, got, want),
		Err: crm.ErrCurrencyMismatch}
}

var (
	one     = decimal.NewFromInt(1)
	hundred = decimal.NewFromInt(100)
)
