package pricing

import (
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
)

// Document is what pricing reads of an opportunity, quote, order or
// invoice and its lines.
type Document struct {
	// Currency is the document's (transactioncurrencyid): every line,
	// amount and price list must be in it.
	Currency crm.Currency
	// PriceList is the document's price list (pricelevelid), or nil.
	PriceList *PriceList
	// AsOf, when not zero, is the day the price lists must apply on
	// (their begin and end dates); zero skips the date check, as
	// Dynamics does.
	AsOf  time.Time
	Lines []Line
	// DiscountPercentage (0..100) and DiscountAmount (>= 0, nil is zero)
	// are the document's discounts off the detail amount.
	DiscountPercentage decimal.Decimal
	DiscountAmount     *crm.Money
	// Freight (freightamount) is added after the discounts; nil is zero.
	Freight *crm.Money
}

// Totals are a document's computed amounts (§6.2), at the currency
// precision: what a service writes back to the header.
type Totals struct {
	// DetailAmount (totallineitemamount) is Σ (line amount − line
	// discount).
	DetailAmount crm.Money
	// LineItemDiscount (totallineitemdiscountamount) is Σ line discount.
	LineItemDiscount crm.Money
	// HeaderDiscount is DetailAmount × DiscountPercentage / 100, rounded,
	// plus DiscountAmount.
	HeaderDiscount crm.Money
	// PreFreightAmount (totalamountlessfreight) is DetailAmount −
	// HeaderDiscount.
	PreFreightAmount crm.Money
	Freight          crm.Money
	// TotalTax (totaltax) is Σ line tax: the header discount does not
	// reduce tax.
	TotalTax crm.Money
	// TotalAmount (totalamount) is PreFreightAmount + Freight + TotalTax.
	TotalAmount crm.Money
	// TotalDiscount (totaldiscountamount) is LineItemDiscount +
	// HeaderDiscount; volume discounts are inside the line amounts.
	TotalDiscount crm.Money
}

// Result is a priced document: its lines, in the order of Document.Lines,
// and its totals.
type Result struct {
	Lines []LineResult
	Totals
}

// Calculate prices every line of d and totals them (§6.1, §6.2). When
// lines cannot be priced it returns no result and an error joining one
// *Error per such line, Line set to its 1-based position (Errors lists
// them): Dynamics records each one's Code on its line and
// CodeDetailError on the header. A bad setting or header amount is an
// *Error with Line 0.
func (s Settings) Calculate(d Document) (Result, error) {
	if e := s.check(); e != nil {
		return Result{}, e
	}
	c := d.Currency
	if !c.Valid() {
		return Result{}, fail(CodeInvalidPriceLevelCurrency, "document currency %q is not a known currency", c)
	}
	flat, e := headerAmount("the discount amount", d.DiscountAmount, c)
	if e != nil {
		return Result{}, e
	}
	freight, e := headerAmount("the freight amount", d.Freight, c)
	if e != nil {
		return Result{}, e
	}
	switch {
	case flat.Amount.Sign() < 0:
		return Result{}, fail(CodeInvalidDiscount, "discount amount %s is negative", flat)
	case d.DiscountPercentage.Sign() < 0 || cmpFixed(d.DiscountPercentage, fixedHundred) > 0:
		return Result{}, fail(CodeInvalidDiscount, "discount percentage %s is outside 0..100", d.DiscountPercentage)
	}

	res := Result{Lines: make([]LineResult, len(d.Lines))}
	var errs []error
	t := newTally(c)
	for i := range d.Lines {
		r, e := s.line(&d, &d.Lines[i], &t)
		if e != nil {
			e.Line = i + 1
			errs = append(errs, e)
			continue
		}
		res.Lines[i] = r
	}
	switch len(errs) {
	case 0:
	case 1:
		return Result{}, errs[0]
	default:
		return Result{}, errors.Join(errs...)
	}

	var ok bool
	if res.Totals, ok = t.totals(c, len(res.Lines), d.DiscountPercentage, flat, freight); !ok {
		res.Totals = totals(c, res.Lines, d.DiscountPercentage, flat, freight)
	}
	for _, m := range res.Totals.amounts() {
		if e := inRange(*m); e != nil {
			return Result{}, e
		}
	}
	return res, nil
}

// totals sums priced lines in currency c and applies the header's discount
// percentage pct, discount amount flat and freight (§6.2), in decimals:
// the arithmetic tally.totals does in fixed point when the values fit.
func totals(c crm.Currency, lines []LineResult, pct decimal.Decimal, flat, freight crm.Money) Totals {
	var detail, lineDiscount, tax decimal.Decimal
	for i := range lines {
		r := &lines[i]
		detail = detail.Add(r.Amount.Amount).Sub(r.LineDiscount.Amount)
		lineDiscount = lineDiscount.Add(r.LineDiscount.Amount)
		tax = tax.Add(r.Tax.Amount)
	}
	var t Totals
	t.DetailAmount = crm.NewMoney(detail, c)
	t.LineItemDiscount = crm.NewMoney(lineDiscount, c)
	t.HeaderDiscount = crm.NewMoney(crm.RoundHalfAwayFromZero(detail.Mul(pct).Shift(-2), c.Precision()).Add(flat.Amount), c)
	t.PreFreightAmount = crm.NewMoney(detail.Sub(t.HeaderDiscount.Amount), c)
	t.Freight = freight
	t.TotalTax = crm.NewMoney(tax, c)
	t.TotalAmount = crm.NewMoney(t.PreFreightAmount.Amount.Add(freight.Amount).Add(tax), c)
	t.TotalDiscount = crm.NewMoney(lineDiscount.Add(t.HeaderDiscount.Amount), c)
	return t
}

// tally is what pricing a document's lines looks up once, its
// currency's precision, and the running sums of its priced lines in
// fixed point, for totals without converting the lines' decimals back.
type tally struct {
	cp                        int32
	x                         calc
	detail, lineDiscount, tax fixed // zero at exponent 0, as decimal.Decimal{}
}

func newTally(c crm.Currency) tally { return tally{cp: c.Precision()} }

// add adds a line's amount, line discount and tax, as totals does.
func (t *tally) add(amount, discount, tax fixed) {
	t.detail = t.x.sub(t.x.add(t.detail, amount), discount)
	t.lineDiscount = t.x.add(t.lineDiscount, discount)
	t.tax = t.x.add(t.tax, tax)
}

// addDec adds a line priced in decimals.
func (t *tally) addDec(r *LineResult) {
	t.add(t.x.of(r.Amount.Amount), t.x.of(r.LineDiscount.Amount), t.x.of(r.Tax.Amount))
}

// totals is totals in fixed point, from the n lines t added; false when
// a value does not fit, and for no lines, whose decimal sums are
// decimal.Decimal's zero value.
func (t *tally) totals(c crm.Currency, n int, pct decimal.Decimal, flat, freight crm.Money) (Totals, bool) {
	if n == 0 {
		return Totals{}, false
	}
	x, detail, lineDiscount, tax := &t.x, t.detail, t.lineDiscount, t.tax
	header := x.add(x.mulRound(detail, x.of(pct).shift(-2), t.cp), x.of(flat.Amount))
	pre := x.sub(detail, header)
	total := x.add(x.add(pre, x.of(freight.Amount)), tax)
	totalDiscount := x.add(lineDiscount, header)
	if !x.ok() {
		return Totals{}, false
	}
	money := func(f fixed) crm.Money { return crm.NewMoney(f.dec(), c) }
	return Totals{DetailAmount: money(detail), LineItemDiscount: money(lineDiscount), HeaderDiscount: money(header),
		PreFreightAmount: money(pre), Freight: freight, TotalTax: money(tax), TotalAmount: money(total),
		TotalDiscount: money(totalDiscount)}, true
}

// headerAmount returns m rounded to c's precision, zero for nil, and
// refuses another currency.
func headerAmount(what string, m *crm.Money, c crm.Currency) (crm.Money, *Error) {
	if m == nil {
		return crm.Zero(c), nil
	}
	if e := sameCurrency(what, m.Currency, c); e != nil {
		return crm.Money{}, e
	}
	return m.Round(), nil
}

func (t *Totals) amounts() []*crm.Money {
	return []*crm.Money{&t.DetailAmount, &t.LineItemDiscount, &t.HeaderDiscount, &t.PreFreightAmount,
		&t.Freight, &t.TotalTax, &t.TotalAmount, &t.TotalDiscount}
}

func (r *LineResult) amounts() []*crm.Money {
	return []*crm.Money{&r.PricePerUnit, &r.VolumeDiscount, &r.Amount, &r.LineDiscount, &r.Tax, &r.ExtendedAmount}
}

// Errors returns the *Error values in err: the one it is, or those it
// joins (Calculate's error for several lines).
func Errors(err error) []*Error {
	var out []*Error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, Errors(e)...)
		}
		return out
	}
	var e *Error
	if errors.As(err, &e) {
		out = append(out, e)
	}
	return out
}

// RevenueSource is the total an opportunity's system-calculated revenue
// (estimatedvalue, when isrevenuesystemcalculated) takes from its lines
// (§2.3, §6.4). The zero value is TotalAmount.
type RevenueSource int32

// Revenue sources.
const (
	// RevenueTotalAmount: totalamount, after discounts, with freight and
	// tax: what community sources say Dynamics uses.
	RevenueTotalAmount RevenueSource = iota
	// RevenuePreFreightAmount: totalamountlessfreight.
	RevenuePreFreightAmount
	// RevenueDetailAmount: totallineitemamount, before header discounts.
	RevenueDetailAmount
)

var revenueLabels = [...]string{"totalamount", "totalamountlessfreight", "totallineitemamount"}

// String returns the name of the header field the source reads.
func (r RevenueSource) String() string { return label(revenueLabels[:], int32(r), "RevenueSource") }

// Revenue returns the total src names: an opportunity's estimated revenue
// when the system calculates it.
func (t Totals) Revenue(src RevenueSource) (crm.Money, error) {
	switch src {
	case RevenueTotalAmount:
		return t.TotalAmount, nil
	case RevenuePreFreightAmount:
		return t.PreFreightAmount, nil
	case RevenueDetailAmount:
		return t.DetailAmount, nil
	}
	return crm.Money{}, fail(CodePriceCalculationError, "revenue source %d is not one of 0..2", int32(src))
}

// ToBase returns t in base currency base at exchange rate rate (units of
// t's currency for one base unit): each amount through crm.ToBase, the
// base fields ("_base") a service writes beside the totals.
func (t Totals) ToBase(rate decimal.Decimal, base crm.Currency) (Totals, error) {
	if err := toBase(t.amounts(), rate, base); err != nil {
		return Totals{}, err
	}
	return t, nil
}

// ToBase returns r in base currency base at exchange rate rate, as
// Totals.ToBase does.
func (r LineResult) ToBase(rate decimal.Decimal, base crm.Currency) (LineResult, error) {
	if err := toBase(r.amounts(), rate, base); err != nil {
		return LineResult{}, err
	}
	return r, nil
}

// toBase converts amounts in place. A rate outside Dynamics' range is a
// *crm.ValidationError; a base amount beyond the money range is an
// *Error (CodeBaseCurrencyOverflow, or Underflow below it).
func toBase(amounts []*crm.Money, rate decimal.Decimal, base crm.Currency) error {
	if !base.Valid() {
		return fmt.Errorf("convert to base currency %q: %w", base, crm.ErrNotFound)
	}
	if rate.Cmp(crm.MinExchangeRate) < 0 || rate.Cmp(crm.MaxExchangeRate) > 0 {
		return crm.Invalid("", crm.FieldExchangeRate, fmt.Sprintf("%s is outside %s..%s", rate, crm.MinExchangeRate, crm.MaxExchangeRate))
	}
	for _, m := range amounts {
		b := crm.ToBase(*m, rate, base)
		switch {
		case b.Amount.Cmp(maxAmount) > 0:
			return fail(CodeBaseCurrencyOverflow, "%s is %s in %s, above the money range", *m, b.Amount, base)
		case b.Amount.Cmp(maxAmount.Neg()) < 0:
			return fail(CodeBaseCurrencyUnderflow, "%s is %s in %s, below the money range", *m, b.Amount, base)
		}
		*m = b
	}
	return nil
}
