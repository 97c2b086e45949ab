package crm_test

import (
	"math/big"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
)

func TestMoneyArithmetic(t *testing.T) {
	usd := crm.MustMoney("10.50 USD")
	eur := crm.MustMoney("10.50 EUR")

	t.Run("add and subtract within a currency are exact", func(t *testing.T) {
		sum, err := usd.Add(crm.MustMoney("0.005 USD"))
		require.NoError(t, err)
		require.True(t, sum.Equal(crm.MustMoney("10.505 USD")), "arithmetic never rounds: %s", sum.Amount)
		diff, err := usd.Sub(crm.MustMoney("20 USD"))
		require.NoError(t, err)
		require.True(t, diff.Equal(crm.MustMoney("-9.5 USD")))
	})
	t.Run("mixed currencies are refused, never converted", func(t *testing.T) {
		_, err := usd.Add(eur)
		require.ErrorIs(t, err, crm.ErrCurrencyMismatch)
		_, err = usd.Sub(eur)
		require.ErrorIs(t, err, crm.ErrCurrencyMismatch)
		_, err = usd.Cmp(eur)
		require.ErrorIs(t, err, crm.ErrCurrencyMismatch)
		_, err = crm.Sum("USD", usd, eur)
		require.ErrorIs(t, err, crm.ErrCurrencyMismatch)
	})
	t.Run("equal ignores trailing zeros but not the currency", func(t *testing.T) {
		require.True(t, crm.MustMoney("1.5 USD").Equal(crm.MustMoney("1.50 USD")))
		require.False(t, crm.MustMoney("1.5 USD").Equal(crm.MustMoney("1.5 EUR")))
	})
	t.Run("compare orders amounts", func(t *testing.T) {
		c, err := usd.Cmp(crm.MustMoney("10.49 USD"))
		require.NoError(t, err)
		require.Equal(t, 1, c)
		c, err = usd.Cmp(crm.MustMoney("10.500 USD"))
		require.NoError(t, err)
		require.Equal(t, 0, c)
	})
	t.Run("mul and neg do not round", func(t *testing.T) {
		require.True(t, usd.Mul(dec("0.333")).Equal(crm.MustMoney("3.4965 USD")))
		require.True(t, usd.Neg().Equal(crm.MustMoney("-10.5 USD")))
		require.True(t, crm.Zero("JPY").IsZero())
		require.False(t, usd.IsZero())
	})
	t.Run("sum of nothing is zero in the currency", func(t *testing.T) {
		total, err := crm.Sum("EUR")
		require.NoError(t, err)
		require.True(t, total.Equal(crm.Zero("EUR")))
	})
	t.Run("sum adds every amount", func(t *testing.T) {
		total, err := crm.Sum("USD", crm.MustMoney("0.1 USD"), crm.MustMoney("0.2 USD"), crm.MustMoney("-0.3 USD"))
		require.NoError(t, err)
		require.True(t, total.IsZero(), "0.1+0.2-0.3 is exactly zero in decimals: %s", total.Amount)
	})
}

func TestMoneyRound(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"2.345 USD", "2.35 USD"},
		{"-2.345 USD", "-2.35 USD"},
		{"2.344999 USD", "2.34 USD"},
		{"-2.344999 USD", "-2.34 USD"},
		{"2.3450001 USD", "2.35 USD"},
		{"0.005 USD", "0.01 USD"},
		{"-0.005 USD", "-0.01 USD"},
		{"0.004 USD", "0.00 USD"},
		{"2.5 JPY", "3 JPY"},
		{"-2.5 JPY", "-3 JPY"},
		{"1.4999 JPY", "1 JPY"},
		{"1.2345 BHD", "1.235 BHD"},
		{"-1.2345 BHD", "-1.235 BHD"},
		{"1.2344 BHD", "1.234 BHD"},
		{"12 USD", "12.00 USD"},
	}
	for _, tt := range tests {
		t.Run("half away from zero: "+tt.in, func(t *testing.T) {
			got := crm.MustMoney(tt.in).Round()
			require.True(t, got.Equal(crm.MustMoney(tt.want)), "got %s", got)
			require.Equal(t, tt.want, got.String())
		})
	}
	t.Run("RoundHalfAwayFromZero at any places", func(t *testing.T) {
		require.Equal(t, "1.1", crm.RoundHalfAwayFromZero(dec("1.05"), 1).String())
		require.Equal(t, "-1.1", crm.RoundHalfAwayFromZero(dec("-1.05"), 1).String())
		require.Equal(t, "1.0", crm.RoundHalfAwayFromZero(dec("1.0499"), 1).StringFixed(1))
	})
}

func TestCurrency(t *testing.T) {
	t.Run("parse ignores case and space", func(t *testing.T) {
		c, err := crm.ParseCurrency(" usd ")
		require.NoError(t, err)
		require.Equal(t, crm.Currency("USD"), c)
	})
	t.Run("unknown codes are not found", func(t *testing.T) {
		_, err := crm.ParseCurrency("XXX")
		require.ErrorIs(t, err, crm.ErrNotFound)
		require.False(t, crm.Currency("XXX").Valid())
	})
	t.Run("precision is the ISO minor unit", func(t *testing.T) {
		require.Equal(t, int32(2), crm.Currency("USD").Precision())
		require.Equal(t, int32(0), crm.Currency("JPY").Precision())
		require.Equal(t, int32(3), crm.Currency("BHD").Precision())
	})
}

func TestMoneyText(t *testing.T) {
	t.Run("string shows the currency's decimals", func(t *testing.T) {
		require.Equal(t, "12.30 USD", crm.MustMoney("12.3 USD").String())
		require.Equal(t, "1200 JPY", crm.MustMoney("1200 JPY").String())
		require.Equal(t, "1.500 BHD", crm.MustMoney("1.5 BHD").String())
		require.Equal(t, "12.30 USD", crm.MustMoney("12.3000 USD").String())
	})
	t.Run("string shows the places a priced amount keeps, up to 4", func(t *testing.T) {
		require.Equal(t, "0.0125 USD", crm.MustMoney("0.0125 USD").String())
		require.Equal(t, "10.505 USD", crm.MustMoney("10.505 USD").String())
		require.Equal(t, "0.0001 USD", crm.MustMoney("0.00005 USD").String())
		require.Equal(t, "1 JPY", crm.MustMoney("1.0 JPY").String())
	})
	t.Run("marshal text keeps every digit", func(t *testing.T) {
		m := crm.MustMoney("12.345 USD")
		b, err := m.MarshalText()
		require.NoError(t, err)
		require.Equal(t, "12.345 USD", string(b))
		var back crm.Money
		require.NoError(t, back.UnmarshalText(b))
		require.True(t, back.Equal(m))
	})
	t.Run("parse refuses malformed input", func(t *testing.T) {
		for _, s := range []string{"", "12.34", "USD 12.34", "12.34 XXX", "abc USD", "12.34USD"} {
			_, err := crm.ParseMoney(s)
			require.Error(t, err, "%q", s)
		}
		_, err := crm.ParseMoney("1 XXX")
		require.ErrorIs(t, err, crm.ErrNotFound, "an unknown currency is not found")
		var m crm.Money
		require.Error(t, m.UnmarshalText([]byte("nonsense")))
	})
	t.Run("parse accepts a lower-case code", func(t *testing.T) {
		m, err := crm.ParseMoney("-0.5 eur")
		require.NoError(t, err)
		require.True(t, m.Equal(crm.NewMoney(dec("-0.5"), "EUR")))
	})
}

func TestDivRound(t *testing.T) {
	tests := []struct {
		a, b   string
		places int32
		want   string
	}{
		{"1", "3", 2, "0.33"},
		{"2", "3", 2, "0.67"},
		{"-2", "3", 2, "-0.67"},
		{"2", "-3", 2, "-0.67"},
		{"-2", "-3", 2, "0.67"},
		{"1", "8", 2, "0.13"},   // 0.125: a half, away from zero
		{"-1", "8", 2, "-0.13"}, // -0.125
		{"1", "2", 0, "1"},
		{"-1", "2", 0, "-1"},
		{"-2", "3", 0, "-1"},
		{"10", "4", 0, "3"},
		{"0", "7", 3, "0"},
		{"1.0049", "1", 2, "1"}, // rounded once: never 1.005 then 1.01
	}
	for _, tt := range tests {
		t.Run(tt.a+"/"+tt.b, func(t *testing.T) {
			got := crm.DivRound(dec(tt.a), dec(tt.b), tt.places)
			require.True(t, got.Equal(dec(tt.want)), "got %s want %s", got, tt.want)
		})
	}
}

// ratRound rounds a/b half away from zero to places with exact rationals:
// the reference DivRound is held to.
func ratRound(a, b decimal.Decimal, places int32) decimal.Decimal {
	q := new(big.Rat).Quo(a.Rat(), b.Rat())
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	q.Mul(q, new(big.Rat).SetInt(scale))
	neg := q.Sign() < 0
	q.Abs(q)
	// floor(|q| + 1/2)
	q.Add(q, big.NewRat(1, 2))
	n := new(big.Int).Quo(q.Num(), q.Denom())
	if neg {
		n.Neg(n)
	}
	return decimal.NewFromBigInt(n, -places)
}

func FuzzMoneyDivRound(f *testing.F) {
	f.Add(int64(1), int32(0), int64(3), int32(0), uint8(2))
	f.Add(int64(-1), int32(-3), int64(8), int32(0), uint8(2))
	f.Add(int64(2345), int32(-3), int64(1), int32(0), uint8(2))
	f.Add(int64(-2345), int32(-3), int64(-1), int32(0), uint8(2))
	f.Add(int64(123456789), int32(-4), int64(-7), int32(-1), uint8(10))
	f.Add(int64(5), int32(0), int64(10), int32(0), uint8(0))
	f.Fuzz(func(t *testing.T, an int64, aexp int32, bn int64, bexp int32, places uint8) {
		if bn == 0 {
			return
		}
		a := decimal.New(an, aexp%12)
		b := decimal.New(bn, bexp%12)
		p := int32(places % 12)
		got := crm.DivRound(a, b, p)
		want := ratRound(a, b, p)
		require.True(t, got.Equal(want), "%s / %s at %d: got %s want %s", a, b, p, got, want)
	})
}

func FuzzMoneyRound(f *testing.F) {
	for _, seed := range []string{"2.345", "-2.345", "0.005", "-0.005", "2.5", "1.2345", "999.9995", "0"} {
		for _, c := range []string{"USD", "JPY", "BHD"} {
			f.Add(seed, c)
		}
	}
	f.Fuzz(func(t *testing.T, amount, code string) {
		d, err := decimal.NewFromString(amount)
		if err != nil || d.Exponent() < -30 || d.Exponent() > 30 {
			return
		}
		c, err := crm.ParseCurrency(code)
		if err != nil {
			return
		}
		got := crm.NewMoney(d, c).Round()
		want := ratRound(d, decimal.NewFromInt(1), c.Precision())
		require.True(t, got.Amount.Equal(want), "round %s %s: got %s want %s", d, c, got.Amount, want)
		require.Equal(t, c, got.Currency)
		again := got.Round()
		require.True(t, again.Equal(got), "rounding is idempotent")
	})
}

func FuzzMoneyText(f *testing.F) {
	f.Add("12.34 USD")
	f.Add("-0.001 BHD")
	f.Add("1000 JPY")
	f.Add("1e3 EUR")
	f.Add("0.10 usd")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := crm.ParseMoney(s)
		if err != nil {
			return
		}
		b, err := m.MarshalText()
		require.NoError(t, err)
		var back crm.Money
		require.NoError(t, back.UnmarshalText(b), "%q marshals to %q", s, b)
		require.True(t, back.Equal(m), "%q round trips through %q", s, b)
		// String rounds beyond MaxMoneyPlaces for display and parses
		// back to the rounded amount.
		shown, err := crm.ParseMoney(m.String())
		require.NoError(t, err)
		require.True(t, shown.Equal(crm.Money{Amount: crm.RoundHalfAwayFromZero(m.Amount, crm.MaxMoneyPlaces), Currency: m.Currency}) ||
			shown.Equal(m.Round()), "%q shows as %q", s, m.String())
	})
}

func FuzzMoneyAddSub(f *testing.F) {
	f.Add(int64(1050), int64(-3), int32(2), int32(-1), "USD", "USD")
	f.Add(int64(1), int64(1), int32(0), int32(0), "USD", "EUR")
	f.Fuzz(func(t *testing.T, an, bn int64, aexp, bexp int32, ac, bc string) {
		a := crm.NewMoney(decimal.New(an, aexp%10), crm.Currency(ac))
		b := crm.NewMoney(decimal.New(bn, bexp%10), crm.Currency(bc))
		sum, err := a.Add(b)
		if ac != bc {
			require.ErrorIs(t, err, crm.ErrCurrencyMismatch)
			_, err = a.Sub(b)
			require.ErrorIs(t, err, crm.ErrCurrencyMismatch)
			return
		}
		require.NoError(t, err)
		back, err := sum.Sub(b)
		require.NoError(t, err)
		require.True(t, back.Equal(a), "(a+b)-b = a exactly")
		total, err := crm.Sum(crm.Currency(ac), a, b)
		require.NoError(t, err)
		require.True(t, total.Equal(sum))
	})
}
