package sqlstore

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/dialect"
)

// colEncoder appends the column values of one column's field in rec to
// b.args: one, or two for money and polymorphic lookups.
type colEncoder func(b *argBuf, rec *crm.Record) error

// encodeRow appends rec's INSERT parameters, in the table's column
// order, to b.args.
func (tb *table) encodeRow(b *argBuf, rec *crm.Record) error {
	for _, enc := range tb.layout {
		if err := enc(b, rec); err != nil {
			return fmt.Errorf("insert %s %s: %w", tb.entity.Name, rec.ID, err)
		}
	}
	return nil
}

// buildLayout returns the encoders of tb's columns, in the order of
// tb.cols (and so of its INSERT's column list), chosen once per table for
// the field's type and the Driver's dialect. Writing a record is then a
// walk down a slice: no switch on field name or type per value, header
// fields read straight from the header (not boxed through
// crm.Record.Value first), and values that go to the database as they are
// held (text, integers) not boxed again. The encoders check each value's
// type as appendColumn does, so a record with a wrong value fails the
// same way.
func (d *Driver) buildLayout(tb *table) []colEncoder {
	out := make([]colEncoder, len(tb.cols))
	for i, c := range tb.cols {
		if c.f.System {
			out[i] = d.headerEncoder(c)
			continue
		}
		out[i] = d.fieldEncoder(c)
	}
	return out
}

// headerEncoder is the encoder of a header column.
func (d *Driver) headerEncoder(c *column) colEncoder {
	switch c.f.Name {
	case crm.FieldID:
		if d.flavor == dialect.SQLite {
			// rec points into the records being written, which outlive
			// the statement: the ID's bytes need no copy.
			return func(b *argBuf, rec *crm.Record) error {
				b.args = append(b.args, rec.ID[:])
				return nil
			}
		}
		return func(b *argBuf, rec *crm.Record) error {
			b.args = append(b.args, d.encodeID(rec.ID))
			return nil
		}
	case crm.FieldVersion:
		return func(b *argBuf, rec *crm.Record) error {
			b.args = append(b.args, rec.Version)
			return nil
		}
	case crm.FieldOwner:
		if c.extra != "" {
			return func(b *argBuf, rec *crm.Record) error {
				b.args = append(b.args, b.id(d, rec.Owner.ID), b.str(rec.Owner.Entity))
				return nil
			}
		}
	case crm.FieldCreatedOn:
		return func(b *argBuf, rec *crm.Record) error { return b.time(d, c, rec.CreatedOn) }
	case crm.FieldModifiedOn:
		return func(b *argBuf, rec *crm.Record) error { return b.time(d, c, rec.ModifiedOn) }
	case crm.FieldCreatedBy:
		if c.extra == "" {
			return func(b *argBuf, rec *crm.Record) error {
				b.args = append(b.args, b.id(d, rec.CreatedBy))
				return nil
			}
		}
	case crm.FieldModifiedBy:
		if c.extra == "" {
			return func(b *argBuf, rec *crm.Record) error {
				b.args = append(b.args, b.id(d, rec.ModifiedBy))
				return nil
			}
		}
	case crm.FieldState:
		return func(b *argBuf, rec *crm.Record) error {
			b.args = append(b.args, int64(rec.State))
			return nil
		}
	case crm.FieldStatus:
		return func(b *argBuf, rec *crm.Record) error {
			b.args = append(b.args, int64(rec.Status))
			return nil
		}
	case crm.FieldBusinessUnit:
		if c.extra == "" {
			return func(b *argBuf, rec *crm.Record) error {
				if rec.BusinessUnit == crm.NilID {
					b.args = append(b.args, nil)
				} else {
					b.args = append(b.args, b.id(d, rec.BusinessUnit))
				}
				return nil
			}
		}
	case crm.FieldOverriddenCreatedOn:
		return func(b *argBuf, rec *crm.Record) error {
			if rec.OverriddenCreatedOn.IsZero() {
				b.args = append(b.args, nil)
				return nil
			}
			return b.time(d, c, rec.OverriddenCreatedOn)
		}
	}
	// A header column stored in a way the cases above do not know: the
	// general path.
	return func(b *argBuf, rec *crm.Record) (err error) {
		b.args, err = d.appendColumn(b.args, c, rec)
		return err
	}
}

// fieldEncoder is the encoder of a declared field's column.
func (d *Driver) fieldEncoder(c *column) colEncoder {
	name := c.f.Name
	bad := func(v any) error {
		return fmt.Errorf("%s: a %s field cannot hold %T", name, c.f.Type, v)
	}
	switch c.f.Type {
	case crm.TypeText:
		return func(b *argBuf, rec *crm.Record) error {
			v := rec.Fields[name]
			if _, ok := v.(string); !ok && v != nil {
				return bad(v)
			}
			b.args = append(b.args, v) // boxed already
			return nil
		}
	case crm.TypeInteger:
		return func(b *argBuf, rec *crm.Record) error {
			v := rec.Fields[name]
			if _, ok := v.(int64); !ok && v != nil {
				return bad(v)
			}
			b.args = append(b.args, v)
			return nil
		}
	case crm.TypeBool:
		if d.flavor == dialect.SQLite {
			return func(b *argBuf, rec *crm.Record) error {
				switch v := rec.Fields[name].(type) {
				case nil:
					b.args = append(b.args, nil)
				case bool:
					n := int64(0)
					if v {
						n = 1
					}
					b.args = append(b.args, n) // small: boxed without allocating
				default:
					return bad(v)
				}
				return nil
			}
		}
	case crm.TypeTime:
		return func(b *argBuf, rec *crm.Record) error {
			switch v := rec.Fields[name].(type) {
			case nil:
				b.args = append(b.args, nil)
				return nil
			case time.Time:
				return b.time(d, c, v)
			default:
				return bad(v)
			}
		}
	case crm.TypeMoney:
		return func(b *argBuf, rec *crm.Record) error {
			switch v := rec.Fields[name].(type) {
			case nil:
				b.args = append(b.args, nil, nil)
				return nil
			case crm.Money:
				enc, err := b.decimal(d, c, v.Amount)
				if err != nil {
					return err
				}
				b.args = append(b.args, enc, b.str(string(v.Currency)))
				return nil
			default:
				return bad(v)
			}
		}
	case crm.TypeDecimal:
		return func(b *argBuf, rec *crm.Record) error {
			switch v := rec.Fields[name].(type) {
			case nil:
				b.args = append(b.args, nil)
				return nil
			case decimal.Decimal:
				enc, err := b.decimal(d, c, v)
				if err != nil {
					return err
				}
				b.args = append(b.args, enc)
				return nil
			default:
				return bad(v)
			}
		}
	case crm.TypeLookup:
		return func(b *argBuf, rec *crm.Record) error {
			switch v := rec.Fields[name].(type) {
			case nil:
				b.args = append(b.args, nil)
				if c.extra != "" {
					b.args = append(b.args, nil)
				}
				return nil
			case crm.Ref:
				if c.extra != "" {
					b.args = append(b.args, b.lookupID(d, v.ID), b.str(v.Entity))
					return nil
				}
				if v.Entity != c.target {
					return fmt.Errorf("%s: cannot point at a %q record", name, v.Entity)
				}
				b.args = append(b.args, b.lookupID(d, v.ID))
				return nil
			default:
				return bad(v)
			}
		}
	}
	return func(b *argBuf, rec *crm.Record) (err error) {
		b.args, err = d.encodeAppend(b.args, c, rec.Fields[name])
		return err
	}
}

// argBuf is a transaction's parameter buffer: database/sql copies the
// parameters before a statement returns, so a transaction of many
// single-record writes reuses one slice, and the values it boxes can be
// shared between rows as long as nothing changes them.
type argBuf struct {
	args []any
	// idBytes holds the bytes of the lookup IDs of the statement being
	// encoded on SQLite, whose parameters point into it; reset once the
	// statement has run (resetStatement).
	idBytes []byte
	// Recently boxed values, shared by rows that repeat them: the
	// caller's ID in every created by, modified by and owner, the one
	// "now" of a transaction in every created on and modified on, an
	// owner's entity, a currency.
	ids   [4]boxedID
	strs  [4]boxedStr
	times [2]boxedTime
	next  struct{ id, str, time uint8 }
	// copy is set for the rows of a COPY, which may take some values in
	// forms other than a statement's parameters (decimal).
	copy bool
}

type boxedID struct {
	id  crm.ID
	box any
}

type boxedStr struct {
	s   string
	box any
}

type boxedTime struct {
	t   time.Time
	box any
}

// decimal is x as a column value: in a COPY's row (b.copy), as the
// dialect copies decimals, if it has a way of its own.
func (b *argBuf) decimal(d *Driver, c *column, x decimal.Decimal) (any, error) {
	if !b.copy || d.dialect.CopyDecimal == nil {
		return d.encodeDecimal(c, x)
	}
	if err := decimalInReach(c, x); err != nil {
		return nil, err
	}
	return d.dialect.CopyDecimal(x), nil
}

// resetStatement makes b ready for the next statement's parameters.
func (b *argBuf) resetStatement() {
	clear(b.args)
	b.args = b.args[:0]
	b.idBytes = b.idBytes[:0]
}

// id is id as a parameter, boxed once for as long as it stays among the
// few recent ones.
func (b *argBuf) id(d *Driver, id crm.ID) any {
	for i := range b.ids {
		if e := &b.ids[i]; e.box != nil && e.id == id {
			return e.box
		}
	}
	var box any
	if d.flavor == dialect.SQLite {
		own := id // a copy of its own: the box outlives the statement
		box = own[:]
	} else {
		box = d.encodeID(id)
	}
	b.ids[b.next.id%uint8(len(b.ids))] = boxedID{id: id, box: box}
	b.next.id++
	return box
}

// lookupID is a lookup's ID as a parameter: a recent one shared, another
// on SQLite a slice of idBytes (one allocation for the slice's box, none
// for its bytes).
func (b *argBuf) lookupID(d *Driver, id crm.ID) any {
	for i := range b.ids {
		if e := &b.ids[i]; e.box != nil && e.id == id {
			return e.box
		}
	}
	if d.flavor != dialect.SQLite {
		return d.encodeID(id)
	}
	n := len(b.idBytes)
	b.idBytes = append(b.idBytes, id[:]...)
	return b.idBytes[n : n+len(id) : n+len(id)]
}

// str is s as a parameter, boxed once while it stays among the recent
// ones.
func (b *argBuf) str(s string) any {
	for i := range b.strs {
		if e := &b.strs[i]; e.box != nil && e.s == s {
			return e.box
		}
	}
	var box any = s
	b.strs[b.next.str%uint8(len(b.strs))] = boxedStr{s: s, box: box}
	b.next.str++
	return box
}

// time appends t's column value, shared with the rows that hold the same
// time (the transaction's "now" in every record it writes).
func (b *argBuf) time(d *Driver, c *column, t time.Time) error {
	for i := range b.times {
		if e := &b.times[i]; e.box != nil && e.t == t {
			b.args = append(b.args, e.box)
			return nil
		}
	}
	box, err := d.encodeTime(c, t)
	if err != nil {
		return err
	}
	b.times[b.next.time%uint8(len(b.times))] = boxedTime{t: t, box: box}
	b.next.time++
	b.args = append(b.args, box)
	return nil
}
