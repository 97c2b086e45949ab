package crm

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// ErrCurrencyMismatch is returned by Money arithmetic and comparison when the
// two amounts are in different currencies. crmkit never converts silently.
var ErrCurrencyMismatch = errors.New("currency mismatch")

// Currency is an ISO 4217 currency code such as "USD". Its precision (the
// number of decimal places amounts are rounded to) is the ISO minor unit,
// capped at 4 as in Dynamics.
type Currency string

// currencyPrecision holds the ISO 4217 minor units of the currencies crmkit
// knows. It is read-only data, never changed at run time.
var currencyPrecision = map[Currency]int32{
	"AED": 2, "ARS": 2, "AUD": 2, "BGN": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2,
	"CLP": 0, "CNY": 2, "COP": 2, "CZK": 2, "DKK": 2, "EGP": 2, "EUR": 2, "GBP": 2,
	"HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "ISK": 0, "JOD": 3, "JPY": 0,
	"KRW": 0, "KWD": 3, "MXN": 2, "MYR": 2, "NGN": 2, "NOK": 2, "NZD": 2, "OMR": 3,
	"PHP": 2, "PKR": 2, "PLN": 2, "QAR": 2, "RON": 2, "RUB": 2, "SAR": 2, "SEK": 2,
	"SGD": 2, "THB": 2, "TND": 3, "TRY": 2, "TWD": 2, "UAH": 2, "USD": 2, "VND": 0,
	"ZAR": 2,
}

// ParseCurrency returns the currency for an ISO 4217 code, in any case.
func ParseCurrency(code string) (Currency, error) {
	c := Currency(strings.ToUpper(strings.TrimSpace(code)))
	if _, ok := currencyPrecision[c]; !ok {
		return "", fmt.Errorf("parse currency %q: %w", code, ErrNotFound)
	}
	return c, nil
}

// Valid reports whether c is a currency crmkit knows.
func (c Currency) Valid() bool {
	_, ok := currencyPrecision[c]
	return ok
}

// Precision is the number of decimal places amounts in c are kept to.
func (c Currency) Precision() int32 { return currencyPrecision[c] }

func (c Currency) String() string { return string(c) }

// Money is an exact amount in one currency. The zero value is not a usable
// amount; build one with NewMoney, ParseMoney or Zero.
//
// Rounding rule: the only rounding crmkit does is Round, which rounds half
// away from zero (commercial rounding: 2.345 -> 2.35, -2.345 -> -2.35) to
// the currency's precision. Arithmetic never rounds by itself.
type Money struct {
	Amount   decimal.Decimal
	Currency Currency
}

// NewMoney returns amount in currency c.
func NewMoney(amount decimal.Decimal, c Currency) Money {
	return Money{Amount: amount, Currency: c}
}

// Zero returns nothing in currency c.
func Zero(c Currency) Money { return Money{Amount: decimal.Zero, Currency: c} }

// ParseMoney parses "12.34 USD" (amount, one space, currency code).
func ParseMoney(s string) (Money, error) {
	amount, code, ok := strings.Cut(strings.TrimSpace(s), " ")
	if !ok {
		return Money{}, fmt.Errorf("parse money %q: want \"<amount> <currency>\"", s)
	}
	d, err := decimal.NewFromString(amount)
	if err != nil {
		return Money{}, fmt.Errorf("parse money %q: %w", s, err)
	}
	c, err := ParseCurrency(code)
	if err != nil {
		return Money{}, fmt.Errorf("parse money %q: %w", s, err)
	}
	return Money{Amount: d, Currency: c}, nil
}

// MustMoney is ParseMoney for literals in tests and examples; it panics on
// a malformed string.
func MustMoney(s string) Money {
	m, err := ParseMoney(s)
	if err != nil {
		panic(err)
	}
	return m
}

// String formats m as "12.34 USD", with the currency's number of decimals,
// or more, up to MaxMoneyPlaces, when the amount has them (a unit price
// kept at the pricing precision shows as "0.0125 USD"). Places beyond
// MaxMoneyPlaces, which only arithmetic makes, are rounded for display.
func (m Money) String() string {
	places := m.Currency.Precision()
	if -m.Amount.Exponent() > places {
		places = max(places, min(decimalPlaces(m.Amount), MaxMoneyPlaces))
	}
	return m.Amount.StringFixed(places) + " " + string(m.Currency)
}

// MarshalText encodes m as its String form.
func (m Money) MarshalText() ([]byte, error) {
	return []byte(m.Amount.String() + " " + string(m.Currency)), nil
}

// UnmarshalText decodes the form MarshalText writes.
func (m *Money) UnmarshalText(b []byte) error {
	v, err := ParseMoney(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

func (m Money) same(o Money, op string) error {
	if m.Currency != o.Currency {
		return fmt.Errorf("%s %s and %s: %w", op, m.Currency, o.Currency, ErrCurrencyMismatch)
	}
	return nil
}

// Add returns m + o. It fails with ErrCurrencyMismatch across currencies.
func (m Money) Add(o Money) (Money, error) {
	if err := m.same(o, "add"); err != nil {
		return Money{}, err
	}
	return Money{Amount: m.Amount.Add(o.Amount), Currency: m.Currency}, nil
}

// Sub returns m - o. It fails with ErrCurrencyMismatch across currencies.
func (m Money) Sub(o Money) (Money, error) {
	if err := m.same(o, "subtract"); err != nil {
		return Money{}, err
	}
	return Money{Amount: m.Amount.Sub(o.Amount), Currency: m.Currency}, nil
}

// Cmp compares m and o: -1, 0 or +1. It fails across currencies.
func (m Money) Cmp(o Money) (int, error) {
	if err := m.same(o, "compare"); err != nil {
		return 0, err
	}
	return m.Amount.Cmp(o.Amount), nil
}

// Equal reports whether m and o are the same amount in the same currency
// (1.5 USD equals 1.50 USD).
func (m Money) Equal(o Money) bool { return m.Currency == o.Currency && m.Amount.Equal(o.Amount) }

// Mul returns m times a factor (a quantity, a rate). It does not round.
func (m Money) Mul(factor decimal.Decimal) Money {
	return Money{Amount: m.Amount.Mul(factor), Currency: m.Currency}
}

// Neg returns -m.
func (m Money) Neg() Money { return Money{Amount: m.Amount.Neg(), Currency: m.Currency} }

// IsZero reports whether the amount is zero.
func (m Money) IsZero() bool { return m.Amount.IsZero() }

// Round rounds m to its currency's precision with crmkit's one rounding
// rule: half away from zero.
func (m Money) Round() Money {
	return Money{Amount: RoundHalfAwayFromZero(m.Amount, m.Currency.Precision()), Currency: m.Currency}
}

// RoundHalfAwayFromZero is crmkit's rounding rule, for money and for any
// decimal that needs rounding: to places decimals, halves away from zero.
func RoundHalfAwayFromZero(d decimal.Decimal, places int32) decimal.Decimal {
	// decimal.Round rounds half away from zero; naming the rule here keeps
	// every caller on the same one even if the library's default changes.
	return d.Round(places)
}

// Sum adds amounts of one currency. It returns Zero(c) for no amounts and
// fails if any amount is in another currency.
func Sum(c Currency, amounts ...Money) (Money, error) {
	total := Zero(c)
	for _, a := range amounts {
		var err error
		if total, err = total.Add(a); err != nil {
			return Money{}, err
		}
	}
	return total, nil
}

// DivRound returns a / b rounded to places decimals by crmkit's rounding
// rule (half away from zero), exactly: the quotient is never rounded twice.
// b must not be zero.
func DivRound(a, b decimal.Decimal, places int32) decimal.Decimal {
	q, r := a.QuoRem(b, places)
	// a = b*q + r with |r| < |b|*10^-places: round away from zero when the
	// remainder is at least half a unit of the last place.
	unit := decimal.New(1, -places)
	if r.Abs().Mul(decimal.NewFromInt(2)).Cmp(b.Abs().Mul(unit)) >= 0 {
		if a.Sign()*b.Sign() < 0 {
			return q.Sub(unit)
		}
		return q.Add(unit)
	}
	return q
}
