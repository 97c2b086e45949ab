package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/dialect"
)

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// encodeID is an ID as a parameter, as the dialect's driver takes it best.
func (d *Driver) encodeID(id crm.ID) any { return d.dialect.EncodeID(id) }

// encodeScaled turns an exact decimal into its SQLite column value. It
// fails when d has more places than the column keeps or lies outside what
// the column holds; callers comparing with an arbitrary bound use
// scaledBound instead.
func encodeScaled(c *column, d decimal.Decimal) (any, error) {
	if c.repr == reprScaled {
		if n, ok := scaledInt64(c.scale, d); ok {
			return n, nil
		}
	}
	n := d.Shift(c.scale)
	if !n.IsInteger() {
		return nil, fmt.Errorf("%s: %s has more than %d decimal places", c.f.Name, d, c.scale)
	}
	v, ok := scaledValue(c, n.BigInt())
	if !ok {
		return nil, fmt.Errorf("%s: %s is out of the stored range", c.f.Name, d)
	}
	return v, nil
}

// pow10 holds the powers of ten an int64 holds.
var pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// scaledInt64 is encodeScaled's exact fast path without big.Int: d times
// 10^scale when d's coefficient and the result fit an int64 and d has no
// more than scale places. It reports false otherwise, leaving the general
// path to decide (and word the error).
func scaledInt64(scale int32, d decimal.Decimal) (int64, bool) {
	if d.NumDigits() > 18 { // exact above 2^53, and the coefficient then fits
		return 0, false
	}
	coef := d.CoefficientInt64()
	switch k := d.Exponent() + scale; {
	case coef == 0:
		return 0, true
	case k >= 0:
		if k >= int32(len(pow10)) {
			return 0, false
		}
		p := pow10[k]
		if coef > math.MaxInt64/p || coef < -math.MaxInt64/p {
			return 0, false
		}
		return coef * p, true
	default:
		if -k >= int32(len(pow10)) {
			return 0, false
		}
		p := pow10[-k]
		if coef%p != 0 {
			return 0, false
		}
		return coef / p, true
	}
}

// scaledValue encodes the scaled integer n, reporting false when it does
// not fit the column.
func scaledValue(c *column, n *big.Int) (any, bool) {
	if c.repr == reprScaled {
		if !n.IsInt64() {
			return nil, false
		}
		return n.Int64(), true
	}
	x := new(big.Int).Add(n, wideOffset)
	if x.Sign() < 0 {
		return nil, false
	}
	s := x.String()
	if len(s) > wideDigits {
		return nil, false
	}
	return fmt.Sprintf("%0*s", wideDigits, s), true
}

// decodeScaled reads a SQLite scaled column back into a decimal.
func decodeScaled(c *column, v any) (decimal.Decimal, error) {
	switch x := v.(type) {
	case int64:
		return decimal.New(x, -c.scale), nil
	case string:
		n, ok := new(big.Int).SetString(x, 10)
		if !ok {
			return decimal.Decimal{}, fmt.Errorf("%s: bad stored decimal %q", c.f.Name, x)
		}
		return decimal.NewFromBigInt(n.Sub(n, wideOffset), -c.scale), nil
	}
	return decimal.Decimal{}, fmt.Errorf("%s: stored decimal of type %T", c.f.Name, v)
}

// encode returns the column values of field value v: one, or two for money
// and polymorphic lookups.
func (d *Driver) encode(c *column, v any) ([]any, error) {
	return d.encodeAppend(nil, c, v)
}

// encodeAppend appends the column values of field value v to args: one,
// or two for money and polymorphic lookups.
func (d *Driver) encodeAppend(args []any, c *column, v any) ([]any, error) {
	n := len(args)
	args = append(args, nil)
	if c.extra != "" {
		args = append(args, nil)
	}
	if v == nil {
		return args, nil
	}
	out := args[n:]
	pg := d.flavor == dialect.Postgres
	bad := func() ([]any, error) {
		return nil, fmt.Errorf("%s: a %s field cannot hold %T", c.f.Name, c.f.Type, v)
	}
	switch c.f.Type {
	case crm.TypeID:
		id, ok := v.(crm.ID)
		if !ok {
			return bad()
		}
		out[0] = d.encodeID(id)
	// Where the column takes the field's value as it is, v goes in as
	// boxed already: boxing it again would allocate once per value.
	case crm.TypeText:
		if _, ok := v.(string); !ok {
			return bad()
		}
		out[0] = v
	case crm.TypeInteger:
		if _, ok := v.(int64); !ok {
			return bad()
		}
		out[0] = v
	case crm.TypeChoice:
		n, ok := v.(int32)
		if !ok {
			return bad()
		}
		out[0] = int64(n)
	case crm.TypeBool:
		b, ok := v.(bool)
		if !ok {
			return bad()
		}
		out[0] = v
		if !pg {
			out[0] = int64(0)
			if b {
				out[0] = int64(1)
			}
		}
	case crm.TypeTime:
		t, ok := v.(time.Time)
		if !ok {
			return bad()
		}
		enc, err := d.encodeTime(c, t)
		if err != nil {
			return nil, err
		}
		out[0] = enc
	case crm.TypeDecimal:
		x, ok := v.(decimal.Decimal)
		if !ok {
			return bad()
		}
		enc, err := d.encodeDecimal(c, x)
		if err != nil {
			return nil, err
		}
		out[0] = enc
	case crm.TypeMoney:
		m, ok := v.(crm.Money)
		if !ok {
			return bad()
		}
		enc, err := d.encodeDecimal(c, m.Amount)
		if err != nil {
			return nil, err
		}
		out[0], out[1] = enc, string(m.Currency)
	case crm.TypeLookup:
		r, ok := v.(crm.Ref)
		if !ok {
			return bad()
		}
		out[0] = d.encodeID(r.ID)
		if c.extra != "" {
			out[1] = r.Entity
		} else if r.Entity != c.target {
			return nil, fmt.Errorf("%s: cannot point at a %q record", c.f.Name, r.Entity)
		}
	default:
		return bad()
	}
	return args, nil
}

// appendColumn appends the column values of c's field in rec. Header
// fields go straight from the header: boxing them through Record.Value
// first would allocate twice per field on every write.
func (d *Driver) appendColumn(args []any, c *column, rec *crm.Record) ([]any, error) {
	if !c.f.System {
		return d.encodeAppend(args, c, rec.Fields[c.f.Name])
	}
	switch c.f.Name {
	case crm.FieldID:
		return append(args, d.encodeID(rec.ID)), nil
	case crm.FieldVersion:
		return append(args, rec.Version), nil
	case crm.FieldCreatedOn, crm.FieldModifiedOn:
		t := rec.CreatedOn
		if c.f.Name == crm.FieldModifiedOn {
			t = rec.ModifiedOn
		}
		enc, err := d.encodeTime(c, t)
		if err != nil {
			return nil, err
		}
		return append(args, enc), nil
	case crm.FieldCreatedBy:
		if c.extra == "" {
			return append(args, d.encodeID(rec.CreatedBy)), nil
		}
	case crm.FieldModifiedBy:
		if c.extra == "" {
			return append(args, d.encodeID(rec.ModifiedBy)), nil
		}
	case crm.FieldState:
		return append(args, int64(rec.State)), nil
	case crm.FieldStatus:
		return append(args, int64(rec.Status)), nil
	case crm.FieldBusinessUnit:
		if rec.BusinessUnit == crm.NilID {
			return append(args, nil), nil
		}
		return append(args, d.encodeID(rec.BusinessUnit)), nil
	}
	return d.encodeAppend(args, c, rec.Value(c.f.Name))
}

// The times encodeTime takes: crm's range widened to whole years, so that
// the first instant after crm.LatestTime, which ends a range, and a zero
// clock's timestamps still encode. Both databases hold these exactly; far
// beyond them SQLite's microseconds would wrap and PostgreSQL would refuse.
var (
	minEncodedTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxEncodedTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// encodeTime turns a time into its column value. The kernel refuses times
// outside crm.EarliestTime..crm.LatestTime before they get here; this
// check only makes sure that a time it missed fails instead of wrapping.
func (d *Driver) encodeTime(c *column, t time.Time) (any, error) {
	if t.Before(minEncodedTime) || t.After(maxEncodedTime) {
		return nil, fmt.Errorf("%s: time %s is outside what the store keeps", c.f.Name, t.UTC().Format(time.RFC3339Nano))
	}
	t = crm.NormalizeTime(t)
	if d.flavor == dialect.Postgres {
		return t, nil
	}
	return t.UnixMicro(), nil
}

// encodeDecimal turns a decimal into its column value. The kernel keeps
// decimals within crm.DecimalDigits before they get here; the exponent
// check only makes sure that one it missed fails at once instead of
// costing seconds in a rescale or a string of millions of digits.
func (d *Driver) encodeDecimal(c *column, x decimal.Decimal) (any, error) {
	if err := decimalInReach(c, x); err != nil {
		return nil, err
	}
	if d.flavor == dialect.Postgres {
		return x.String(), nil
	}
	return encodeScaled(c, x)
}

// decimalInReach fails for a decimal whose exponent is beyond what the
// store keeps (see encodeDecimal).
func decimalInReach(c *column, x decimal.Decimal) error {
	if e := x.Exponent(); e > crm.DecimalDigits || e < -crm.DecimalDigits {
		return fmt.Errorf("%s: decimal with exponent %d is outside what the store keeps", c.f.Name, e)
	}
	return nil
}

// decode turns the raw column values of c back into the field's canonical
// value (nil for null).
func (d *Driver) decode(c *column, main, extra any) (any, error) {
	if main == nil {
		return nil, nil
	}
	bad := func() (any, error) {
		return nil, fmt.Errorf("%s: stored %s value of type %T", c.f.Name, c.f.Type, main)
	}
	switch c.f.Type {
	case crm.TypeID:
		return decodeID(main)
	case crm.TypeText:
		switch s := main.(type) {
		case string:
			return s, nil
		case []byte:
			return string(s), nil
		}
		return bad()
	case crm.TypeInteger, crm.TypeChoice:
		n, ok := main.(int64)
		if !ok {
			return bad()
		}
		if c.f.Type == crm.TypeChoice {
			return int32(n), nil
		}
		return n, nil
	case crm.TypeBool:
		switch b := main.(type) {
		case bool:
			return b, nil
		case int64:
			return b != 0, nil
		}
		return bad()
	case crm.TypeTime:
		switch t := main.(type) {
		case time.Time:
			return crm.NormalizeTime(t), nil
		case int64:
			return time.UnixMicro(t).UTC(), nil
		}
		return bad()
	case crm.TypeDecimal, crm.TypeMoney:
		x, err := d.decodeDecimal(c, main)
		if err != nil {
			return nil, err
		}
		if c.f.Type == crm.TypeDecimal {
			return x.Round(c.f.Precision), nil
		}
		cur, err := asString(extra)
		if err != nil {
			return nil, fmt.Errorf("%s: currency: %w", c.f.Name, err)
		}
		cy := crm.Currency(cur)
		// Canonical places, unless that would drop digits: an amount
		// stored at a pricing precision since lowered reads back as
		// stored, never rounded silently.
		if r := x.Round(c.f.MoneyPlaces(cy)); r.Equal(x) {
			x = r
		}
		return crm.Money{Amount: x, Currency: cy}, nil
	case crm.TypeLookup:
		id, err := decodeID(main)
		if err != nil {
			return nil, err
		}
		entity := c.target
		if c.extra != "" {
			if entity, err = asString(extra); err != nil {
				return nil, fmt.Errorf("%s: entity: %w", c.f.Name, err)
			}
		}
		return crm.Ref{Entity: entity, ID: id}, nil
	}
	return bad()
}

func (d *Driver) decodeDecimal(c *column, v any) (decimal.Decimal, error) {
	if d.flavor == dialect.Postgres {
		s, err := asString(v)
		if err != nil {
			return decimal.Decimal{}, fmt.Errorf("%s: %w", c.f.Name, err)
		}
		return decimal.NewFromString(s)
	}
	return decodeScaled(c, v)
}

func asString(v any) (string, error) {
	switch s := v.(type) {
	case string:
		return s, nil
	case []byte:
		return string(s), nil
	case int64:
		return strconv.FormatInt(s, 10), nil
	}
	return "", fmt.Errorf("stored value of type %T, want text", v)
}

func decodeID(v any) (crm.ID, error) {
	switch x := v.(type) {
	case []byte:
		if len(x) == 16 {
			return crm.ID(x), nil
		}
		return uuid.ParseBytes(x)
	case string:
		return uuid.Parse(x)
	}
	return crm.NilID, fmt.Errorf("stored id of type %T", v)
}
