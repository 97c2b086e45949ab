package pricing

import (
	"cmp"
	"math"
	"math/bits"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
)

// fixed is an exact decimal held in an int64: v × 10^exp, the
// coefficient and exponent a decimal.Decimal of the same value has. The
// engine computes in it, and in decimal.Decimal only when a value does
// not fit: every decimal operation allocates, and rescales through
// big.Int.Exp whenever two exponents differ, which was most of a
// quote's time.
//
// Each operation gives the coefficient and exponent that the same
// decimal.Decimal operation gives (add and sub the smaller exponent, mul
// the sum, shift moves it, round sets it to −places), so dec turns a
// result into the decimal the decimal arithmetic makes, exponent
// included: results, and how crm.Money prints them, do not depend on
// which arithmetic ran.
type fixed struct {
	v   int64
	exp int32
}

// calc does fixed-point arithmetic. A result that does not fit an int64
// gives up instead of wrapping, and so do the callers' cases they leave
// to the decimal path (a refusal, whose message the decimal path
// writes): after that every result of the calc is meaningless, and the
// caller, checking ok once at the end, computes in decimal.Decimal
// instead.
type calc struct{ gaveUp bool }

func (x *calc) ok() bool { return !x.gaveUp }

func (x *calc) giveUp() { x.gaveUp = true }

// minExp and maxExp bound the exponents of what of converts, and of the
// tables by exponent.
const minExp, maxExp = -18, 18

var (
	// pow10[k] is 10^k, up to 10^18, the largest an int64 holds.
	pow10 = func() (p [19]int64) {
		p[0] = 1
		for k := 1; k < len(p); k++ {
			p[k] = p[k-1] * 10
		}
		return p
	}()
	// coefMin and coefMax[exp-minExp] are the int64 coefficients' bounds
	// with exponent exp, and zeroAt[exp-minExp] is zero with it: a
	// decimal compares with one of the same exponent without
	// allocating, and a shared zero costs nothing.
	coefMin, coefMax, zeroAt = func() (lo, hi, zero [maxExp - minExp + 1]decimal.Decimal) {
		for i := range hi {
			lo[i] = decimal.New(math.MinInt64, int32(i+minExp))
			hi[i] = decimal.New(math.MaxInt64, int32(i+minExp))
			zero[i] = decimal.New(0, int32(i+minExp))
		}
		return lo, hi, zero
	}()
	fixedOne     = fixed{1, 0}
	fixedHundred = fixed{100, 0}
)

// of returns d in fixed point; it gives up when d's coefficient needs
// more than an int64 or its exponent is outside minExp..maxExp.
func (x *calc) of(d decimal.Decimal) fixed {
	e := d.Exponent()
	switch sign := d.Sign(); {
	case sign == 0:
		return fixed{0, e}
	case e < minExp || e > maxExp:
	case sign > 0 && d.Cmp(coefMax[e-minExp]) <= 0, sign < 0 && d.Cmp(coefMin[e-minExp]) >= 0:
		return fixed{d.CoefficientInt64(), e}
	}
	x.giveUp()
	return fixed{}
}

// dec returns a as a decimal.Decimal, zeros shared.
func (a fixed) dec() decimal.Decimal {
	if a.v == 0 && a.exp >= minExp && a.exp <= maxExp {
		return zeroAt[a.exp-minExp]
	}
	return decimal.New(a.v, a.exp)
}

// shift returns a × 10^k, decimal.Decimal.Shift.
func (a fixed) shift(k int32) fixed { return fixed{a.v, a.exp + k} }

// pow returns 10^k for 0 <= k <= 18.
func (x *calc) pow(k int64) int64 {
	if k < 0 || k >= int64(len(pow10)) {
		x.giveUp()
		return 1
	}
	return pow10[k]
}

// scale returns a with exponent exp <= a.exp: the same value, more
// digits.
func (x *calc) scale(a fixed, exp int32) fixed {
	if a.v == 0 || a.exp == exp {
		return fixed{a.v, exp}
	}
	return fixed{x.mul64(a.v, x.pow(int64(a.exp)-int64(exp))), exp}
}

// add returns a + b at the smaller exponent, decimal.Decimal.Add.
func (x *calc) add(a, b fixed) fixed {
	e := min(a.exp, b.exp)
	return fixed{x.add64(x.scale(a, e).v, x.scale(b, e).v), e}
}

// sub returns a − b at the smaller exponent, decimal.Decimal.Sub.
func (x *calc) sub(a, b fixed) fixed {
	e := min(a.exp, b.exp)
	return fixed{x.sub64(x.scale(a, e).v, x.scale(b, e).v), e}
}

// mul returns a × b, decimal.Decimal.Mul.
func (x *calc) mul(a, b fixed) fixed { return fixed{x.mul64(a.v, b.v), a.exp + b.exp} }

// cmp compares a and b.
func (x *calc) cmp(a, b fixed) int {
	e := min(a.exp, b.exp)
	return cmp.Compare(x.scale(a, e).v, x.scale(b, e).v)
}

// round returns a rounded to places decimals, halves away from zero:
// crm.RoundHalfAwayFromZero, exponent −places.
func (x *calc) round(a fixed, places int32) fixed {
	if a.exp >= -places {
		return x.scale(a, -places)
	}
	return x.mulRound(a, fixedOne, places)
}

// mulRound returns a × b rounded to places decimals, halves away from
// zero, computing the product in 128 bits: a line amount, price × a
// quantity of up to 5 decimals, needs more than 64 before it is
// rounded.
func (x *calc) mulRound(a, b fixed, places int32) fixed {
	drop := -int64(places) - int64(a.exp) - int64(b.exp) // digits rounded off
	if drop <= 0 {
		return x.scale(x.mul(a, b), -places)
	}
	d := uint64(x.pow(drop))
	hi, lo := bits.Mul64(magnitude(a.v), magnitude(b.v))
	if hi >= d { // the quotient needs more than 64 bits
		x.giveUp()
		return fixed{}
	}
	q, r := bits.Div64(hi, lo, d)
	if q >= math.MaxInt64 { // no room to round up
		x.giveUp()
		return fixed{}
	}
	if r >= d-r {
		q++
	}
	if (a.v < 0) != (b.v < 0) {
		return fixed{-int64(q), -places}
	}
	return fixed{int64(q), -places}
}

// magnitude is |v|, which for math.MinInt64 only a uint64 holds.
func magnitude(v int64) uint64 {
	if v < 0 {
		return uint64(-v)
	}
	return uint64(v)
}

// The int64 operations, giving up on overflow.

func (x *calc) add64(a, b int64) int64 {
	s := a + b // wraps on overflow, which the signs tell
	if (a >= 0) == (b >= 0) && (s >= 0) != (a >= 0) {
		x.giveUp()
	}
	return s
}

func (x *calc) sub64(a, b int64) int64 {
	if b == math.MinInt64 {
		x.giveUp()
		return 0
	}
	return x.add64(a, -b)
}

func (x *calc) mul64(a, b int64) int64 {
	hi, lo := bits.Mul64(magnitude(a), magnitude(b))
	if hi != 0 || lo > math.MaxInt64 {
		x.giveUp()
		return 0
	}
	if (a < 0) != (b < 0) {
		return -int64(lo)
	}
	return int64(lo)
}

// floorDiv, ceilDiv and divRound return ⌊n/d⌋, ⌈n/d⌉ and n/d rounded
// half away from zero, for d > 0. Go's division truncates towards zero.
func (x *calc) floorDiv(n, d int64) int64 {
	if d <= 0 {
		x.giveUp()
		return 0
	}
	q := n / d
	if n%d != 0 && n < 0 {
		q--
	}
	return q
}

func (x *calc) ceilDiv(n, d int64) int64 {
	if d <= 0 {
		x.giveUp()
		return 0
	}
	q := n / d
	if n%d != 0 && n > 0 {
		q++
	}
	return q
}

func (x *calc) divRound(n, d int64) int64 {
	if d <= 0 {
		x.giveUp()
		return 0
	}
	q, r := n/d, n%d
	if r < 0 {
		r = -r
	}
	if r >= d-r {
		if n < 0 {
			return q - 1
		}
		return q + 1
	}
	return q
}

// cmpFixed compares decimal a with b, a bound the engine keeps in fixed
// point so that only a is converted.
func cmpFixed(a decimal.Decimal, b fixed) int {
	var x calc
	if c := x.cmp(x.of(a), b); x.ok() {
		return c
	}
	return a.Cmp(b.dec())
}

// cmpDec is decimal.Decimal.Cmp without the allocations of rescaling
// when the exponents differ.
func cmpDec(a, b decimal.Decimal) int {
	if a.Exponent() != b.Exponent() {
		var x calc
		if c := x.cmp(x.of(a), x.of(b)); x.ok() {
			return c
		}
	}
	return a.Cmp(b)
}

// moreDecimals reports whether d has a nonzero digit beyond places
// decimals.
func moreDecimals(d decimal.Decimal, places int32) bool {
	k := -int64(d.Exponent()) - int64(places)
	if k <= 0 {
		return false
	}
	var x calc
	if f := x.of(d); x.ok() && k < int64(len(pow10)) {
		return f.v%pow10[k] != 0
	}
	return !d.Equal(d.Truncate(places))
}

// roundDec is crm.RoundHalfAwayFromZero in fixed point when d fits: d
// itself when it has places decimals already, as decimal.Decimal.Round
// returns it.
func roundDec(d decimal.Decimal, places int32) decimal.Decimal {
	if d.Exponent() == -places {
		return d
	}
	var x calc
	if r := x.round(x.of(d), places); x.ok() {
		return r.dec()
	}
	return crm.RoundHalfAwayFromZero(d, places)
}
