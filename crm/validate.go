package crm

import (
	"fmt"
	"maps"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// Default value ranges, from Dynamics' metadata.
var (
	minInteger = decimal.NewFromInt(-2_147_483_648)
	maxInteger = decimal.NewFromInt(2_147_483_647)
	maxDecimal = decimal.NewFromInt(100_000_000_000)
	minDecimal = maxDecimal.Neg()
	maxMoney   = decimal.NewFromInt(922_337_203_685_477)
	minMoney   = maxMoney.Neg()
)

// The range of time values, Dynamics' own (SQL Server's datetime). A time
// outside it is refused with a *ValidationError wherever it enters: a
// field value on create or update (checked on the value as it is stored,
// in UTC truncated to TimePrecision), a condition value, a keyset cursor.
// A relative date operator (last-x-days, next-x-days, ...) whose computed
// range would leave it is cut to it, which changes no answer: no stored
// value lies outside.
var (
	// EarliestTime is the earliest time a time field accepts:
	// 1753-01-01T00:00:00Z.
	EarliestTime = time.Date(1753, 1, 1, 0, 0, 0, 0, time.UTC)
	// LatestTime is the latest time a time field accepts: the last
	// microsecond of 9999-12-31 UTC.
	LatestTime = time.Date(9999, 12, 31, 23, 59, 59, 999_999_000, time.UTC)
)

// DecimalDigits bounds every decimal crmkit takes, in a field value (decimal
// or money), a condition value or a keyset cursor: its magnitude is below
// 10^DecimalDigits and it has no nonzero digit finer than
// 10^-DecimalDigits. No field holds anything near that (money stops at
// 922,337,203,685,477 with 4 places, decimal fields at 10 places), so a
// value beyond is a mistake or an attack: a field value or cursor key
// beyond it is refused as out of range, looking only at the decimal's
// exponent and length, before any rounding or formatting, so that 1e3000000
// costs no more than 1e3. A condition bound whose magnitude is beyond it is
// beyond every stored value and is moved to ±10^DecimalDigits, which gives
// the same answer ("amount < 1e50" matches every amount); a bound with a
// digit finer than 10^-DecimalDigits is refused.
const DecimalDigits = 40

// Reach is where a decimal lies against DecimalDigits: the decimals
// crmkit stores, compares and computes with are below 10^DecimalDigits in
// magnitude and have at most DecimalDigits places.
type Reach int

// Reaches.
const (
	InReach  Reach = iota
	TooLarge       // at least 10^DecimalDigits in magnitude
	TooFine        // more than DecimalDigits significant places
)

// OutOfReach is the reason given for a decimal beyond DecimalDigits. It
// never prints the value: formatting 1e3000000 is the slow part.
const OutOfReach = "is out of range: decimals are kept below 10^40 in magnitude and to 40 places"

// ReachOf places d against DecimalDigits in time bounded by d's
// coefficient, whatever its exponent. When d is in reach it returns it
// with at most DecimalDigits places (trailing zeros dropped) and zero as
// decimal.Zero, so that later rounding and formatting are cheap.
func ReachOf(d decimal.Decimal) (decimal.Decimal, Reach) {
	if d.Sign() == 0 {
		return decimal.Zero, InReach
	}
	exp := int64(d.Exponent())
	digits := numDigits(d)
	switch {
	case digits+exp > DecimalDigits: // |d| >= 10^(digits+exp-1) >= 10^DecimalDigits
		return d, TooLarge
	case exp >= -DecimalDigits:
		return d, InReach
	}
	// Places beyond DecimalDigits must all be trailing zeros.
	k := -DecimalDigits - exp
	if k >= digits {
		return d, TooFine
	}
	coef := d.Coefficient()
	if coef.TrailingZeroBits() < uint(k) { // 10^k divides coef only if 2^k does
		return d, TooFine
	}
	q, r := new(big.Int).QuoRem(coef, new(big.Int).Exp(big.NewInt(10), big.NewInt(k), nil), new(big.Int))
	if r.Sign() != 0 {
		return d, TooFine
	}
	return decimal.NewFromBigInt(q, -DecimalDigits), InReach
}

// numDigits is the exact number of digits of d's coefficient. The
// library's NumDigits is exact for large coefficients but estimates small
// ones with a float logarithm.
func numDigits(d decimal.Decimal) int64 {
	n := d.NumDigits()
	if n > 17 {
		return int64(n)
	}
	c := d.CoefficientInt64()
	if c < 0 {
		c = -c
	}
	digits := int64(1)
	for ; c >= 10; c /= 10 {
		digits++
	}
	return digits
}

// CheckCreate validates the fields of a new record and returns them in
// canonical form. Every bad field is reported in one *ValidationError.
func (e *Entity) CheckCreate(fields Fields) (Fields, error) {
	var verr ValidationError // on the stack: only a failed check allocates one
	// One copy of the map, then each value checked once, and replaced
	// only where it is not canonical already (a lookup given as an ID, a
	// local time) or dropped where it is empty: copying the map is
	// cheaper than building it afresh, and one such value no longer
	// sends every other one through a second check.
	out := maps.Clone(fields)
	if out == nil {
		out = Fields{}
	}
	for name, v := range fields {
		cv, ok := e.checkInput(&verr, name, v, false)
		switch {
		case !ok || cv == nil:
			delete(out, name)
		case cv != v: // cv is of a comparable canonical type, so != cannot panic
			out[name] = cv
		}
	}
	e.sorted(&verr) // bad input first, then what is missing
	for i := range e.Fields {
		f := &e.Fields[i]
		if f.Required && out[f.Name] == nil && !verr.Has(f.Name) {
			verr.Add(f.Name, "is required")
		}
	}
	if err := e.failed(verr); err != nil {
		return nil, err
	}
	return out, nil
}

// failed returns verr, moved to the heap, when it holds a field error,
// else nil.
func (e *Entity) failed(verr ValidationError) error {
	if len(verr.Fields) == 0 {
		return nil
	}
	bad := verr
	bad.Entity = e.Name
	return &bad
}

// sorted orders verr's fields as the entity declares them, unknown names
// last in alphabetical order, so that the same input always gets the same
// message. Only failing input pays for it.
func (e *Entity) sorted(verr *ValidationError) *ValidationError {
	rank := func(name string) int {
		for i := range e.Fields {
			if e.Fields[i].Name == name {
				return i
			}
		}
		return len(e.Fields)
	}
	slices.SortStableFunc(verr.Fields, func(a, b FieldError) int {
		if c := rank(a.Field) - rank(b.Field); c != 0 {
			return c
		}
		return strings.Compare(a.Field, b.Field)
	})
	return verr
}

// Compute sets every computed field of fields from the others, in canonical
// form. A computed value that breaks its field's rules is an error.
func (e *Entity) Compute(fields Fields) error {
	var verr *ValidationError // allocated only when a computed value is bad
	for i := range e.Fields {
		f := &e.Fields[i]
		if f.Compute == nil {
			continue
		}
		v := f.Compute(fields)
		if v == nil {
			delete(fields, f.Name)
			continue
		}
		cv, reason := f.Canonical(v)
		if reason != "" {
			if verr == nil {
				verr = &ValidationError{Entity: e.Name}
			}
			verr.Add(f.Name, "computed value %s", reason)
			continue
		}
		fields[f.Name] = cv
	}
	if verr == nil {
		return nil
	}
	return verr.Err()
}

// CheckUpdate validates the changed fields of an update and returns them in
// canonical form; a nil value clears a field.
func (e *Entity) CheckUpdate(changes Fields) (Fields, error) {
	var verr ValidationError
	out := make(Fields, len(changes))
	for name, v := range changes {
		if v, ok := e.checkInput(&verr, name, v, true); ok {
			out[name] = v
		}
	}
	e.sorted(&verr)
	if err := e.failed(verr); err != nil {
		return nil, err
	}
	return out, nil
}

func (e *Entity) checkInput(verr *ValidationError, name string, v any, update bool) (any, bool) {
	f, ok := e.Field(name)
	switch {
	case !ok:
		verr.Add(name, "is not a field of %s", e.Name)
		return nil, false
	case f.System:
		verr.Add(name, "is kept by the platform and cannot be set")
		return nil, false
	case f.Compute != nil:
		verr.Add(name, "is computed from other fields and cannot be set")
		return nil, false
	case update && f.Immutable:
		verr.Add(name, "cannot be changed after the record is created")
		return nil, false
	}
	if s, ok := v.(string); ok && s == "" && f.Type == TypeText {
		v = nil // as in Dynamics, an empty text is no text
	}
	if v == nil {
		if update && f.Required {
			verr.Add(name, "is required and cannot be cleared")
			return nil, false
		}
		return nil, true
	}
	cv, reason := f.Canonical(v)
	if reason != "" {
		verr.Add(name, "%s", reason)
		return nil, false
	}
	return cv, true
}

// Canonical is v as the field holds it (Coerce) and within the field's
// limits (CheckRange), or the reason it cannot be: the check a value
// given for the field passes.
func (f *Field) Canonical(v any) (any, string) {
	cv, reason := f.Coerce(v)
	if reason == "" {
		reason = f.CheckRange(cv)
	}
	if reason != "" {
		return nil, reason
	}
	return cv, ""
}

// Coerce converts v to the field's canonical Go type and canonical form
// (UTC times, decimals at the field's precision). It returns a reason when
// v cannot be a value of the field; it does not check ranges or lengths.
func (f *Field) Coerce(v any) (any, string) {
	wrong := func() (any, string) { return nil, fmt.Sprintf("wants a %s value, got %T", f.Type, v) }
	switch f.Type {
	case TypeText:
		s, ok := v.(string)
		if !ok {
			return wrong()
		}
		if !utf8.ValidString(s) {
			return nil, "is not valid UTF-8"
		}
		if strings.IndexByte(s, 0) >= 0 {
			// PostgreSQL cannot store a NUL and SQLite's text functions
			// stop at one: no store could keep it the same.
			return nil, "contains a NUL character"
		}
		return v, ""
	case TypeInteger:
		if _, ok := v.(int64); ok {
			return v, ""
		}
		n, ok := IntValue(v)
		if !ok {
			return wrong()
		}
		return n, ""
	case TypeChoice:
		if _, ok := v.(int32); ok {
			return v, ""
		}
		n, ok := IntValue(v)
		if !ok {
			return wrong()
		}
		if n < -1<<31 || n > 1<<31-1 {
			return nil, fmt.Sprintf("value %d is not an option", n)
		}
		return int32(n), ""
	case TypeDecimal:
		d, ok := v.(decimal.Decimal)
		if !ok {
			return wrong()
		}
		if d.Exponent() == -f.Precision {
			return v, "" // canonical already: the common case, free
		}
		d, r := ReachOf(d)
		if r != InReach {
			return nil, OutOfReach
		}
		if places := decimalPlaces(d); places > f.Precision {
			return nil, fmt.Sprintf("has %d decimal places, more than the %d allowed", places, f.Precision)
		}
		return d.Round(f.Precision), ""
	case TypeMoney:
		m, ok := v.(Money)
		if !ok {
			return wrong()
		}
		if !m.Currency.Valid() {
			return nil, fmt.Sprintf("currency %q is not known", m.Currency)
		}
		p := f.MoneyPlaces(m.Currency)
		if m.Amount.Exponent() == -p {
			return v, ""
		}
		amount, r := ReachOf(m.Amount)
		if r != InReach {
			return nil, OutOfReach
		}
		if places := decimalPlaces(amount); places > p {
			switch f.MoneyPrecision {
			case PrecisionPricing:
				return nil, fmt.Sprintf("has %d decimal places, more than the pricing precision %d", places, p)
			case PrecisionField:
				return nil, fmt.Sprintf("has %d decimal places, more than the %d allowed", places, p)
			}
			return nil, fmt.Sprintf("has %d decimal places, more than %s's %d", places, m.Currency, p)
		}
		return Money{Amount: amount.Round(p), Currency: m.Currency}, ""
	case TypeBool:
		if _, ok := v.(bool); !ok {
			return wrong()
		}
		return v, ""
	case TypeTime:
		t, ok := v.(time.Time)
		if !ok {
			return wrong()
		}
		var c time.Time
		if f.DateOnly {
			y, m, d := t.Date()
			c = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		} else {
			c = NormalizeTime(t)
		}
		if c == t {
			return v, "" // same instant, same location: no new value
		}
		return c, ""
	case TypeLookup:
		switch r := v.(type) {
		case Ref:
			if r.Entity != "" {
				return v, ""
			}
			if len(f.Targets) == 1 {
				r.Entity = f.Targets[0]
			}
			return r, ""
		case ID:
			if len(f.Targets) != 1 || f.Polymorphic {
				return nil, "is a lookup to several entities: give a Ref naming one"
			}
			return Ref{Entity: f.Targets[0], ID: r}, ""
		}
		return wrong()
	case TypeID:
		if _, ok := v.(ID); !ok {
			return wrong()
		}
		return v, ""
	}
	return wrong()
}

// CheckRange checks a canonical value (see Coerce) against the field's
// limits, returning the reason it is out of them or "".
func (f *Field) CheckRange(v any) string {
	switch f.Type {
	case TypeText:
		// UTF-16 never takes more units than UTF-8 takes bytes.
		if s := v.(string); len(s) > f.MaxLen() {
			if n := textLen(s); n > f.MaxLen() {
				return fmt.Sprintf("is %d characters, longer than the maximum %d", n, f.MaxLen())
			}
		}
	case TypeInteger:
		n := v.(int64)
		if f.Min == nil && f.Max == nil && n >= -1<<31 && n <= 1<<31-1 {
			return "" // the default range, without building decimals
		}
		return f.bounds(decimal.NewFromInt(n), minInteger, maxInteger)
	case TypeDecimal:
		d := v.(decimal.Decimal)
		lo, hi := defaultBounds(d, false)
		return f.bounds(d, lo, hi)
	case TypeMoney:
		d := v.(Money).Amount
		lo, hi := defaultBounds(d, true)
		return f.bounds(d, lo, hi)
	case TypeChoice:
		if _, ok := f.Option(v.(int32)); !ok {
			return fmt.Sprintf("value %d is not one of its options", v.(int32))
		}
	case TypeTime:
		switch t := v.(time.Time); {
		case t.Before(EarliestTime):
			return "is before 1753-01-01, the earliest time allowed"
		case t.After(LatestTime):
			return "is after 9999-12-31, the latest time allowed"
		}
	case TypeLookup:
		r := v.(Ref)
		if r.ID == NilID {
			return "points at no record: use nil to clear a lookup"
		}
		if !slices.Contains(f.Targets, r.Entity) {
			return fmt.Sprintf("cannot point at a %q record (allowed: %v)", r.Entity, f.Targets)
		}
	}
	return ""
}

// textLen is the length of valid UTF-8 s as text fields count it
// (MaxLength): in UTF-16 code units.
func textLen(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		// Every character is one unit but those of four UTF-8 bytes,
		// which are two: count lead bytes, and 4-byte leads twice.
		switch c := s[i]; {
		case c < 0x80 || c >= 0xC0 && c < 0xF0:
			n++
		case c >= 0xF0:
			n += 2
		}
	}
	return n
}

// scaledBounds holds the default decimal and money bounds at every
// exponent a canonical value can have (0 to -MaxDecimalPlaces), so that a
// range check compares coefficients instead of rescaling big integers on
// every write. It is computed once and never changed.
var scaledBounds = func() (b [MaxDecimalPlaces + 1][4]decimal.Decimal) {
	for p := range b {
		places := int32(p)
		b[p] = [4]decimal.Decimal{minDecimal.Round(places), maxDecimal.Round(places), minMoney.Round(places), maxMoney.Round(places)}
	}
	return b
}()

// defaultBounds returns the default decimal (or money) range, at d's
// exponent when scaledBounds has it.
func defaultBounds(d decimal.Decimal, money bool) (lo, hi decimal.Decimal) {
	p := -int(d.Exponent())
	switch {
	case p < 0 || p > MaxDecimalPlaces:
		if money {
			return minMoney, maxMoney
		}
		return minDecimal, maxDecimal
	case money:
		return scaledBounds[p][2], scaledBounds[p][3]
	}
	return scaledBounds[p][0], scaledBounds[p][1]
}

func (f *Field) bounds(d, min, max decimal.Decimal) string {
	if f.Min != nil {
		min = *f.Min
	}
	if f.Max != nil {
		max = *f.Max
	}
	if d.LessThan(min) || d.GreaterThan(max) {
		return fmt.Sprintf("value %s is outside %s..%s", d, min, max)
	}
	return ""
}

// IntValue accepts any signed integer, named integer types included, so
// that a domain's typed option set (sales.Industry) is a choice value as is.
func IntValue(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	}
	if rv := reflect.ValueOf(v); rv.IsValid() && rv.CanInt() {
		return rv.Int(), true
	}
	return 0, false
}

// decimalPlaces is the number of significant digits after the point.
func decimalPlaces(d decimal.Decimal) int32 {
	if d.Exponent() >= 0 {
		return 0
	}
	s := d.Coefficient().String()
	places := -d.Exponent()
	for places > 0 && len(s) > 1 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
		places--
	}
	if s == "0" || s == "-0" {
		return 0
	}
	return places
}
