package pricing

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
)

// The fixed-point arithmetic must give, whenever it does not give up,
// the very decimal the decimal arithmetic gives: the same value and the
// same exponent. These tests compare the two on random values, of every
// size, and count how often fixed point answered, so that they cannot
// pass by fixed point always giving up.

// randDec returns a decimal of random size, sign and exponent: mostly
// money-like, sometimes near or beyond int64's bounds.
func randDec(r *rand.Rand) decimal.Decimal {
	exp := int32(r.IntN(13)) - 9
	switch r.IntN(10) {
	case 0: // near the int64 bounds
		v := decimal.NewFromInt(math.MaxInt64 - r.Int64N(1000))
		if r.IntN(2) == 0 {
			v = decimal.NewFromInt(math.MinInt64 + r.Int64N(1000))
		}
		return v.Shift(exp)
	case 1: // beyond them
		return decimal.NewFromUint64(r.Uint64() | 1<<63).Mul(decimal.NewFromInt(r.Int64N(1000) + 1)).Shift(exp)
	case 2:
		return decimal.New(0, exp)
	case 3:
		return decimal.Decimal{}
	}
	v := decimal.New(r.Int64N(pow10[1+r.IntN(15)]), exp)
	if r.IntN(3) == 0 {
		v = v.Neg()
	}
	return v
}

// same requires got to be want, exponent included.
func same(t *testing.T, want, got decimal.Decimal, format string, args ...any) {
	t.Helper()
	what := fmt.Sprintf(format, args...)
	require.True(t, want.Equal(got), "%s: %s, want %s", what, got, want)
	require.Equal(t, want.Exponent(), got.Exponent(), "%s: exponent of %s, want that of %s", what, got, want)
}

// answered counts how often fixed point answered.
type answered struct{ yes, all int }

func (a *answered) add(ok bool) {
	a.all++
	if ok {
		a.yes++
	}
}

// atLeast requires fixed point to have answered at least share of the
// time.
func (a answered) atLeast(t *testing.T, share float64, what string) {
	t.Helper()
	t.Logf("%s: fixed point answered %d of %d", what, a.yes, a.all)
	require.GreaterOrEqual(t, a.yes*100, int(share*100)*a.all, "%s: fixed point answered %d of %d", what, a.yes, a.all)
}

// TestFixedRoundIsTheOneRule: fixed-point rounding is
// crm.RoundHalfAwayFromZero, value and exponent, for random values,
// halves included.
func TestFixedRoundIsTheOneRule(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var n answered
	for range 50_000 {
		d := randDec(r)
		if r.IntN(4) == 0 { // a half at some place
			d = decimal.New(r.Int64N(1_000_000)*10+5, -int32(1+r.IntN(6)))
			if r.IntN(2) == 0 {
				d = d.Neg()
			}
		}
		places := int32(r.IntN(7)) - 1
		want := crm.RoundHalfAwayFromZero(d, places)
		var x calc
		got := x.round(x.of(d), places)
		n.add(x.ok())
		if x.ok() {
			same(t, want, got.dec(), "round(%s, %d)", d, places)
		}
		same(t, want, roundDec(d, places), "roundDec(%s, %d)", d, places)
	}
	n.atLeast(t, 0.6, "round")
}

// TestFixedArithmeticMirrorsDecimal: add, sub, mul, shift, cmp and the
// 128-bit mulRound give decimal.Decimal's results.
func TestFixedArithmeticMirrorsDecimal(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var add, mul, mulRound, cmp answered
	for range 50_000 {
		a, b := randDec(r), randDec(r)
		var x calc
		fa, fb := x.of(a), x.of(b)
		if !x.ok() {
			continue
		}
		for _, op := range []struct {
			name string
			f    func(*calc) fixed
			d    decimal.Decimal
			n    *answered
		}{
			{"add", func(x *calc) fixed { return x.add(fa, fb) }, a.Add(b), &add},
			{"sub", func(x *calc) fixed { return x.sub(fa, fb) }, a.Sub(b), &add},
			{"mul", func(x *calc) fixed { return x.mul(fa, fb) }, a.Mul(b), &mul},
			{"shift", func(x *calc) fixed { return fa.shift(-2) }, a.Shift(-2), &add},
			{"mulRound", func(x *calc) fixed { return x.mulRound(fa, fb, 2) }, crm.RoundHalfAwayFromZero(a.Mul(b), 2), &mulRound},
		} {
			y := x
			got := op.f(&y)
			op.n.add(y.ok())
			if y.ok() {
				same(t, op.d, got.dec(), "%s(%s, %s)", op.name, a, b)
			}
		}
		y := x
		c := y.cmp(fa, fb)
		cmp.add(y.ok())
		if y.ok() {
			require.Equal(t, a.Cmp(b), c, "cmp(%s, %s)", a, b)
		}
		require.Equal(t, a.Cmp(b), cmpDec(a, b), "cmpDec(%s, %s)", a, b)
		places := int32(r.IntN(6))
		require.Equal(t, !a.Equal(a.Truncate(places)), moreDecimals(a, places), "moreDecimals(%s, %d)", a, places)
	}
	add.atLeast(t, 0.6, "add")
	mul.atLeast(t, 0.4, "mul")
	mulRound.atLeast(t, 0.6, "mulRound")
	cmp.atLeast(t, 0.8, "cmp")
}

// TestFixedGivesUpInsteadOfWrapping: results beyond an int64 give up.
func TestFixedGivesUpInsteadOfWrapping(t *testing.T) {
	maxF, minF := fixed{math.MaxInt64, 0}, fixed{math.MinInt64, 0}
	for name, f := range map[string]func(*calc) fixed{
		"max + 1":                func(x *calc) fixed { return x.add(maxF, fixedOne) },
		"min - 1":                func(x *calc) fixed { return x.sub(minF, fixedOne) },
		"0 - min":                func(x *calc) fixed { return x.sub(fixed{}, minF) },
		"max × 2":                func(x *calc) fixed { return x.mul(maxF, fixed{2, 0}) },
		"min × -1":               func(x *calc) fixed { return x.mul(minF, fixed{-1, 0}) },
		"max + 0.1":              func(x *calc) fixed { return x.add(maxF, fixed{1, -1}) },
		"rescale by 10^19":       func(x *calc) fixed { return x.add(fixed{1, 19}, fixed{1, 0}) },
		"round to 19 more":       func(x *calc) fixed { return x.round(fixed{5, 0}, 19) },
		"max × max to 2 places":  func(x *calc) fixed { return x.mulRound(maxF, maxF, 2) },
		"max × 10 at 0.1 places": func(x *calc) fixed { return x.mulRound(maxF, fixed{100, -1}, 0) },
		"of 2^64":                func(x *calc) fixed { return x.of(decimal.NewFromUint64(math.MaxUint64)) },
		"of 1e-30":               func(x *calc) fixed { return x.of(decimal.New(1, -30)) },
	} {
		var x calc
		f(&x)
		require.False(t, x.ok(), name)
	}
	// The bounds themselves fit.
	var x calc
	require.Equal(t, maxF, x.of(decimal.NewFromInt(math.MaxInt64)))
	require.Equal(t, minF, x.of(decimal.NewFromInt(math.MinInt64)))
	require.Equal(t, fixed{math.MaxInt64 - 5, -1}, x.mulRound(fixed{math.MaxInt64 - 5, -1}, fixed{10, -1}, 1))
	require.True(t, x.ok())
}

// randLine returns the inputs of a line's arithmetic: money-like most
// of the time, sometimes with more digits than fixed point holds.
func randLine(r *rand.Rand, c crm.Currency, pp int32) (Line, crm.Money, *DiscountList, *Discount) {
	money := func(max int64, places int) *crm.Money {
		m := crm.NewMoney(decimal.New(r.Int64N(max), -int32(r.IntN(places+1))), c)
		if r.IntN(10) == 0 {
			m.Amount = randDec(r).Abs()
		}
		return &m
	}
	l := Line{Quantity: decimal.New(r.Int64N(100_000_000), -int32(r.IntN(6)))}
	if r.IntN(2) == 0 {
		l.ManualDiscount = money(10_000, 4)
	}
	if r.IntN(2) == 0 {
		l.Tax = money(10_000, 4)
	}
	ppu := crm.NewMoney(decimal.New(r.Int64N(100_000_000), -pp), c)
	if r.IntN(10) == 0 {
		ppu.Amount = randDec(r).Abs().Round(pp)
	}
	list := &DiscountList{Type: DiscountType(r.IntN(2))}
	var vd *Discount
	if r.IntN(2) == 0 {
		vd = &Discount{Percentage: decimal.New(r.Int64N(10_001), -int32(r.IntN(3))), Amount: *money(1000, 4)}
		if r.IntN(10) == 0 {
			vd.Percentage = decimal.RequireFromString("12.3456789012345678901234")
		}
	}
	return l, ppu, list, vd
}

// TestFixedPathsMatchDecimalPaths: a line's amounts, a rounded price and
// a document's totals are the same whichever arithmetic computes them.
func TestFixedPathsMatchDecimalPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var lines, prices, totalsN answered
	for range 10_000 {
		c := []crm.Currency{"USD", "JPY", "BHD"}[r.IntN(3)]
		s := Settings{PricingPrecision: int32(r.IntN(5)), DiscountMethod: DiscountMethod(r.IntN(2))}

		l, ppu, list, vd := randLine(r, c, s.PricingPrecision)
		scratch := newTally(c)
		got, ok := s.amountsFixed(&l, ppu, list, vd, &scratch)
		lines.add(ok)
		if ok {
			want := s.amounts(&l, ppu, list, vd)
			for i, m := range want.amounts() {
				same(t, m.Amount, got.amounts()[i].Amount, "line amount %d of %+v at %s", i, l, ppu)
				require.Equal(t, c, got.amounts()[i].Currency)
			}
		}

		rd := Rounding{Policy: RoundingPolicy(1 + r.IntN(4)), Option: RoundingOption(1 + r.IntN(2)),
			Amount: decimal.RequireFromString([]string{"0", "0.99", "0.5", "9.99", "0.05", "99", "0.25", "5", "1", "10"}[r.IntN(10)])}
		if rd.check(s.PricingPrecision) == nil {
			m := Method(2 + r.IntN(5))
			base := decimal.New(r.Int64N(10_000_000), -int32(r.IntN(5)))
			pct := decimal.New(r.Int64N(100), 0) // below 100, as a margin's must be
			if r.IntN(2) == 0 {
				pct = decimal.New(r.Int64N(9_999), -2)
			}
			if r.IntN(10) == 0 {
				base = randDec(r).Abs()
			}
			want, e := rd.round(formula(m, base, pct), s.PricingPrecision)
			var x calc
			num, den := x.formula(m, x.of(base), x.of(pct))
			got := rd.roundFixed(&x, num, den, s.PricingPrecision)
			prices.add(x.ok())
			if x.ok() {
				require.Nil(t, e, "fixed point rounds what decimals refuse: %s %s %s by %+v", m, base, pct, rd)
				same(t, want, got.dec(), "%s of %s at %s %% by %+v", m, base, pct, rd)
			}
		}

		// The lines as Calculate adds them up: in fixed point, or in
		// decimals and converted.
		res := make([]LineResult, 1+r.IntN(20))
		tl := newTally(c)
		for i := range res {
			l, ppu, list, vd := randLine(r, c, s.PricingPrecision)
			var ok bool
			if res[i], ok = s.amountsFixed(&l, ppu, list, vd, &tl); !ok {
				res[i] = s.amounts(&l, ppu, list, vd)
				tl.addDec(&res[i])
			}
		}
		pct := decimal.New(r.Int64N(10_001), -int32(r.IntN(3)))
		flat, freight := crm.NewMoney(decimal.New(r.Int64N(100_000), -2), c).Round(), crm.Zero(c)
		gotT, ok := tl.totals(c, len(res), pct, flat, freight)
		totalsN.add(ok)
		if ok {
			wantT := totals(c, res, pct, flat, freight)
			for i, m := range wantT.amounts() {
				same(t, m.Amount, gotT.amounts()[i].Amount, "total %d", i)
			}
		}
	}
	lines.atLeast(t, 0.6, "line amounts")
	prices.atLeast(t, 0.8, "prices")
	totalsN.atLeast(t, 0.5, "totals")
}
