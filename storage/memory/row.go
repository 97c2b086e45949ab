package memory

import (
	"fmt"
	"math/bits"
	"slices"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// row is a stored record: its header, and the values of its declared
// fields packed by its layout. A row is what the store keeps and what
// plans read (a driver.Row); a crm.Record is built only for the records
// handed out. Like a stored record, a row is never changed once stored.
//
// Packed, a record of 26 wide fields takes about half the memory of its
// crm.Fields map: text is held as strings, not interface values, and no
// null field takes room (see "Memory store at scale" in BENCHMARKS.md).
type row struct {
	crm.Header
	layout *layout
	// present has bit p set when the field at position p is not null.
	// A dense layout does without it: every field has its slot.
	present [2]uint64
	text    []string // the text values present, by position
	other   []any    // the values of every other field present, by position
}

var _ driver.Row = (*row)(nil)

// maxSparse is the most declared fields a layout tells present from null
// with the row's bitmap; an entity with more keeps a slot for each field.
const maxSparse = 128

// layout is how rows pack the declared fields of one entity as its
// metadata stood when they were written. A row keeps the layout it was
// packed by, so it reads a field added to the entity since as null: its
// layout does not know the field.
type layout struct {
	entity string
	names  []string       // declared fields by position
	pos    map[string]int // position by name
	text   []bool         // by position: held in text
	// textMask has bit p set for the text fields among the first
	// maxSparse positions.
	textMask [2]uint64
	// dense is set for an entity of more than maxSparse fields: its rows
	// hold a slot in text or other for every field, at rank, null being
	// "" or nil.
	dense bool
	rank  []int
	texts int // dense: how many of the fields are held in text
	// boxed is the same layout with every field held in other: the
	// layout of a row whose text field holds something other than a
	// string, which only a direct driver caller can store. A boxed
	// layout's own boxed is itself.
	boxed *layout
}

// layoutOf returns the layout of entity e's metadata, making it the first
// time e is written; layouts are cached by *crm.Entity, which a change
// of metadata replaces. The caller holds the writer's token.
func (d *Driver) layoutOf(e *crm.Entity) *layout {
	if l, ok := d.layouts[e]; ok {
		return l
	}
	l := newLayout(e)
	if d.layouts == nil {
		d.layouts = map[*crm.Entity]*layout{}
	}
	d.layouts[e] = l
	return l
}

func newLayout(e *crm.Entity) *layout {
	n := len(e.Fields)
	l := &layout{entity: e.Name, names: make([]string, n), pos: make(map[string]int, n), text: make([]bool, n)}
	for p, f := range e.Fields {
		l.names[p], l.pos[f.Name], l.text[p] = f.Name, p, f.Type == crm.TypeText
	}
	boxed := &layout{entity: l.entity, names: l.names, pos: l.pos, text: make([]bool, n)}
	boxed.boxed = boxed
	l.boxed = boxed
	for _, x := range []*layout{l, boxed} {
		if n > maxSparse {
			x.dense = true
			x.rank = make([]int, n)
			others := 0
			for p, isText := range x.text {
				if isText {
					x.rank[p], x.texts = x.texts, x.texts+1
				} else {
					x.rank[p], others = others, others+1
				}
			}
			continue
		}
		for p, isText := range x.text {
			if isText {
				x.textMask[p>>6] |= 1 << (p & 63)
			}
		}
	}
	return l
}

// packed is one field's value on its way into a row.
type packed struct {
	pos int
	v   any
}

// pack returns rec as a row of layout l. A field l does not know is an
// error: only a direct driver caller can hand one over.
func (l *layout) pack(rec *crm.Record) (*row, error) {
	var buf [32]packed
	vals := buf[:0]
	texts := 0
	for name, v := range rec.Fields {
		if v == nil {
			continue
		}
		p, ok := l.pos[name]
		if !ok {
			return nil, fmt.Errorf("%s has no field %q", l.entity, name)
		}
		if l.text[p] {
			if _, ok := v.(string); !ok {
				l = l.boxed
			}
			texts++
		}
		vals = append(vals, packed{p, v})
	}
	if l == l.boxed {
		texts = 0
	}
	r := &row{Header: rec.Header, layout: l}
	if l.dense {
		r.fillDense(vals)
		return r, nil
	}
	slices.SortFunc(vals, func(a, b packed) int { return a.pos - b.pos })
	if texts > 0 {
		r.text = make([]string, 0, texts)
	}
	if len(vals) > texts {
		r.other = make([]any, 0, len(vals)-texts)
	}
	for _, pv := range vals {
		r.present[pv.pos>>6] |= 1 << (pv.pos & 63)
		if l.text[pv.pos] {
			r.text = append(r.text, pv.v.(string))
		} else {
			r.other = append(r.other, pv.v)
		}
	}
	return r, nil
}

// fillDense puts vals in their slots of a dense layout's row.
func (r *row) fillDense(vals []packed) {
	l := r.layout
	r.text = make([]string, l.texts)
	r.other = make([]any, len(l.names)-l.texts)
	for _, pv := range vals {
		if l.text[pv.pos] {
			r.text[l.rank[pv.pos]] = pv.v.(string)
		} else {
			r.other[l.rank[pv.pos]] = pv.v
		}
	}
}

// slot returns where the field at position p is held: in text or other,
// at i; ok is false when it is null.
func (r *row) slot(p int) (text bool, i int, ok bool) {
	l := r.layout
	text = l.text[p]
	if l.dense {
		i = l.rank[p]
		if text {
			return true, i, r.text[i] != ""
		}
		return false, i, r.other[i] != nil
	}
	w, bit := p>>6, uint64(1)<<(p&63)
	if r.present[w]&bit == 0 {
		return text, 0, false
	}
	mask := l.textMask
	if !text {
		mask[0], mask[1] = ^mask[0], ^mask[1]
	}
	i = bits.OnesCount64(r.present[w] & mask[w] & (bit - 1))
	if w == 1 {
		i += bits.OnesCount64(r.present[0] & mask[0])
	}
	return text, i, true
}

// field returns the value of the declared field at position p, nil for
// null.
func (r *row) field(p int) any {
	text, i, ok := r.slot(p)
	switch {
	case !ok:
		return nil
	case text:
		return r.text[i]
	}
	return r.other[i]
}

// Ref returns the record's entity and ID.
func (r *row) Ref() crm.Ref { return crm.Ref{Entity: r.layout.entity, ID: r.ID} }

// Value returns any field's value, system fields included; nil for null.
func (r *row) Value(name string) any {
	if p, ok := r.layout.pos[name]; ok {
		return r.field(p)
	}
	return crm.Record{Header: r.Header}.Value(name)
}

// Text returns a declared text field's value without boxing it.
func (r *row) Text(name string) (string, bool) {
	p, ok := r.layout.pos[name]
	if !ok {
		return "", false
	}
	text, i, ok := r.slot(p)
	switch {
	case !ok:
		return "", false
	case text:
		return r.text[i], true
	}
	s, ok := r.other[i].(string)
	return s, ok
}

// lookup returns the Ref a lookup field holds, false when it is null or
// holds something else.
func (r *row) lookup(name string) (crm.Ref, bool) {
	ref, ok := r.Value(name).(crm.Ref)
	return ref, ok
}

// record returns the row as a record the caller owns.
func (r *row) record() crm.Record {
	l := r.layout
	rec := crm.Record{Entity: l.entity, Header: r.Header}
	n := len(r.text) + len(r.other)
	if l.dense {
		n = 0
		for p := range l.names {
			if _, _, ok := r.slot(p); ok {
				n++
			}
		}
	}
	rec.Fields = make(crm.Fields, n)
	if l.dense {
		for p, name := range l.names {
			if v := r.field(p); v != nil {
				rec.Fields[name] = v
			}
		}
		return rec
	}
	t, o := 0, 0
	for w, word := range r.present {
		for word != 0 {
			p := w<<6 + bits.TrailingZeros64(word)
			word &= word - 1
			if l.text[p] {
				rec.Fields[l.names[p]] = r.text[t]
				t++
			} else {
				rec.Fields[l.names[p]] = r.other[o]
				o++
			}
		}
	}
	return rec
}
