package crm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// Queries as data: the JSON form of Query and Aggregation, described for
// callers in the package documentation ("Queries as JSON"). The encoder
// writes it and the decoder reads it; both report problems in one
// *ValidationError whose fields are JSON paths.

// MarshalJSON writes q in the JSON form the package documentation
// describes ("Queries as JSON"): operators by name, condition values
// tagged where JSON would lose their Go type, keys in a fixed order, so
// that a query always gives the same bytes. A value with no exact JSON
// form (a float, an unsigned integer, text that is not UTF-8, money in an
// unknown currency) fails with a *ValidationError naming its path, such
// as "where.and[1].values[0]".
func (q Query) MarshalJSON() ([]byte, error) {
	e := newEncoder(q.Entity)
	e.open()
	e.key("entity")
	e.str(q.Entity, root.key("entity"))
	if q.Where != nil {
		e.key("where")
		e.filter(q.Where, root.key("where"))
	}
	e.orders(q.OrderBy)
	e.limit(q.Limit)
	if q.After != "" {
		e.key("after")
		e.str(string(q.After), root.key("after"))
	}
	e.close()
	if err := e.verr.Err(); err != nil {
		return nil, fmt.Errorf("marshal query: %w", err)
	}
	return e.buf, nil
}

// UnmarshalJSON reads a query in the form MarshalJSON writes, replacing
// all of q; JSON null leaves q as it is. Unknown keys, operators of
// unknown names and values of no known form fail with a *ValidationError
// naming the JSON path of each problem (`where.and[2].op names an unknown
// operator "eqq"`), the first 20 of them, and leave q as it was.
// UnmarshalJSON checks the form, not the metadata:
// storage.Store.CheckQuery checks the query against the registry.
func (q *Query) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	tree, err := parseJSONTree(b)
	if err != nil {
		return fmt.Errorf("unmarshal query: %w", err)
	}
	d := decoder{doc: "query"}
	var out Query
	if m, ok := d.object(tree, root, "a query", "entity", "where", "orderBy", "limit", "after"); ok {
		out.Entity = d.entity(m)
		if v, ok := m["where"]; ok {
			out.Where = d.filter(v, root.key("where"))
		}
		out.OrderBy = d.orders(m)
		out.Limit = d.limit(m)
		out.After = Cursor(d.str(m, "after", root, false))
	}
	if err := d.verr.Err(); err != nil {
		return fmt.Errorf("unmarshal query: %w", err)
	}
	*q = out
	return nil
}

// MarshalJSON writes a in the JSON form the package documentation
// describes ("Queries as JSON"), as Query.MarshalJSON does, with
// aggregate functions and date groupings by name.
func (a Aggregation) MarshalJSON() ([]byte, error) {
	e := newEncoder(a.Entity)
	e.open()
	e.key("entity")
	e.str(a.Entity, root.key("entity"))
	if a.Where != nil {
		e.key("where")
		e.filter(a.Where, root.key("where"))
	}
	if len(a.GroupBy) > 0 {
		e.key("groupBy")
		e.openList()
		for i, g := range a.GroupBy {
			at := root.key("groupBy").index(i)
			e.elem()
			e.open()
			if g.Alias != "" {
				e.key("alias")
				e.str(g.Alias, at.key("alias"))
			}
			if len(g.Path) > 0 {
				e.key("path")
				e.openList()
				for j, l := range g.Path {
					step := at.key("path").index(j)
					e.elem()
					e.open()
					e.key("lookup")
					e.str(l.Lookup, step.key("lookup"))
					if l.Entity != "" {
						e.key("entity")
						e.str(l.Entity, step.key("entity"))
					}
					e.close()
				}
				e.closeList()
			}
			e.key("field")
			e.str(g.Field, at.key("field"))
			if g.Label {
				e.key("label")
				e.buf = append(e.buf, "true"...)
			}
			if g.Date != ByValue {
				e.key("date")
				if g.Date < 0 || int(g.Date) >= len(dateGroupingNames) {
					e.bad(at.key("date"), "is %v, which has no name", g.Date)
				}
				e.str(g.Date.String(), at.key("date"))
			}
			e.close()
		}
		e.closeList()
	}
	if len(a.Measures) > 0 {
		e.key("measures")
		e.openList()
		for i, m := range a.Measures {
			at := root.key("measures").index(i)
			e.elem()
			e.open()
			e.key("alias")
			e.str(m.Alias, at.key("alias"))
			e.key("func")
			if m.Func <= 0 || int(m.Func) >= len(aggNames) {
				e.bad(at.key("func"), "is %v, which has no name", m.Func)
			}
			e.str(m.Func.String(), at.key("func"))
			if m.Field != "" {
				e.key("field")
				e.str(m.Field, at.key("field"))
			}
			if !m.Diff.IsZero() {
				e.key("diff")
				e.dateDiff(m.Diff, at.key("diff"))
			}
			e.close()
		}
		e.closeList()
	}
	if len(a.Having) > 0 {
		e.key("having")
		e.openList()
		for i, c := range a.Having {
			e.elem()
			e.condition(c, root.key("having").index(i))
		}
		e.closeList()
	}
	e.orders(a.OrderBy)
	e.limit(a.Limit)
	e.close()
	if err := e.verr.Err(); err != nil {
		return nil, fmt.Errorf("marshal aggregation: %w", err)
	}
	return e.buf, nil
}

// UnmarshalJSON reads an aggregation in the form MarshalJSON writes,
// replacing all of a, with errors as Query.UnmarshalJSON's. It checks the
// form, not the metadata: storage.Store.CheckAggregation checks the
// aggregation against the registry.
func (a *Aggregation) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	tree, err := parseJSONTree(b)
	if err != nil {
		return fmt.Errorf("unmarshal aggregation: %w", err)
	}
	d := decoder{doc: "aggregation"}
	var out Aggregation
	if m, ok := d.object(tree, root, "an aggregation", "entity", "where", "groupBy", "measures", "having", "orderBy", "limit"); ok {
		out.Entity = d.entity(m)
		if v, ok := m["where"]; ok {
			out.Where = d.filter(v, root.key("where"))
		}
		for i, v := range d.list(m, "groupBy", root) {
			at := root.key("groupBy").index(i)
			gm, ok := d.object(v, at, "a group", "alias", "path", "field", "label", "date")
			if !ok {
				continue
			}
			g := GroupBy{Alias: d.str(gm, "alias", at, false), Field: d.str(gm, "field", at, true), Label: d.boolean(gm, "label", at)}
			for j, v := range d.list(gm, "path", at) {
				step := at.key("path").index(j)
				if lm, ok := d.object(v, step, "a path step", "lookup", "entity"); ok {
					g.Path = append(g.Path, Link{Lookup: d.str(lm, "lookup", step, true), Entity: d.str(lm, "entity", step, false)})
				}
			}
			if v, ok := gm["date"]; ok {
				if name, ok := d.asString(v, at.key("date")); ok {
					var err error
					if g.Date, err = ParseDateGrouping(name); err != nil {
						d.bad(at.key("date"), "names an unknown date grouping %s (value, day, month, year)", short(name))
					}
				}
			}
			out.GroupBy = append(out.GroupBy, g)
		}
		for i, v := range d.list(m, "measures", root) {
			at := root.key("measures").index(i)
			mm, ok := d.object(v, at, "a measure", "alias", "func", "field", "diff")
			if !ok {
				continue
			}
			ms := Measure{Alias: d.str(mm, "alias", at, true), Field: d.str(mm, "field", at, false)}
			if v, ok := mm["diff"]; ok {
				ms.Diff = d.dateDiff(v, at.key("diff"))
			}
			if v, ok := mm["func"]; !ok {
				d.bad(at.key("func"), "is required")
			} else if name, ok := d.asString(v, at.key("func")); ok {
				var err error
				if ms.Func, err = ParseAggFunc(name); err != nil {
					d.bad(at.key("func"), "names an unknown aggregate function %s (count, countcolumn, countdistinct, sum, avg, min, max)", short(name))
				}
			}
			out.Measures = append(out.Measures, ms)
		}
		for i, v := range d.list(m, "having", root) {
			at := root.key("having").index(i)
			if cm, ok := d.object(v, at, "a condition", "field", "op", "values"); ok {
				if c, ok := d.condition(cm, at).(Condition); ok {
					out.Having = append(out.Having, c)
				}
			}
		}
		out.OrderBy = d.orders(m)
		out.Limit = d.limit(m)
	}
	if err := d.verr.Err(); err != nil {
		return fmt.Errorf("unmarshal aggregation: %w", err)
	}
	*a = out
	return nil
}

// orders writes a query's or an aggregation's orderBy, if any.
func (e *encoder) orders(orders []Order) {
	if len(orders) == 0 {
		return
	}
	e.key("orderBy")
	e.openList()
	for i, o := range orders {
		e.elem()
		e.open()
		e.key("field")
		e.str(o.Field, root.key("orderBy").index(i).key("field"))
		if o.Desc {
			e.key("desc")
			e.buf = append(e.buf, "true"...)
		}
		e.close()
	}
	e.closeList()
}

// limit writes a query's or an aggregation's limit, if any.
func (e *encoder) limit(n int) {
	if n != 0 {
		e.key("limit")
		e.buf = strconv.AppendInt(e.buf, int64(n), 10)
	}
}

// orders reads the orderBy of m, a query or an aggregation.
func (d *decoder) orders(m map[string]any) []Order {
	var out []Order
	for i, v := range d.list(m, "orderBy", root) {
		at := root.key("orderBy").index(i)
		if om, ok := d.object(v, at, "an order", "field", "desc"); ok {
			out = append(out, Order{Field: d.str(om, "field", at, true), Desc: d.boolean(om, "desc", at)})
		}
	}
	return out
}

// limit reads the limit of m, a query or an aggregation.
func (d *decoder) limit(m map[string]any) int {
	if v, ok := m["limit"]; ok {
		return d.integer(v, root.key("limit"))
	}
	return 0
}

// maxJSONProblems is how many problems a *ValidationError from reading or
// writing a query's JSON lists at most: a hostile document may hold
// millions, and each names a path as long as the document is deep.
const maxJSONProblems = 20

// plainPlaces is how many places a decimal may have and still be written
// as a plain JSON number: more would let a short input ("1e-999999999")
// marshal to a huge one. Nothing crmkit keeps has more (DecimalDigits).
const plainPlaces = DecimalDigits

// exactDecimal writes d so that decimal.NewFromString reads back the same
// coefficient and exponent: "1.50" (not "1.5"), "150", "15e1", "1e-41".
func exactDecimal(d decimal.Decimal) string {
	exp := d.Exponent()
	switch {
	case exp < 0 && exp >= -plainPlaces:
		return d.StringFixed(-exp)
	case exp == 0:
		return d.Coefficient().String()
	}
	return d.Coefficient().String() + "e" + strconv.Itoa(int(exp))
}

// path is where a value sits in a document: "where.and[2].op". It is
// spelled out only when a problem is reported, so that walking a deep
// document costs time in its size, not in its depth squared.
type path struct {
	parent  *path
	name    string // a member's key, when not isIndex
	i       int    // a list element's index, when isIndex
	isIndex bool
}

// root is the whole document: its members are the top-level paths.
var root *path

func (p *path) key(name string) *path { return &path{parent: p, name: name} }
func (p *path) index(i int) *path     { return &path{parent: p, i: i, isIndex: true} }

func (p *path) String() string {
	var steps []*path
	for q := p; q != nil; q = q.parent {
		steps = append(steps, q)
	}
	var b strings.Builder
	for _, q := range slices.Backward(steps) {
		if q.isIndex {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(q.i))
			b.WriteByte(']')
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(cut(q.name, 40)) // a key from the input may be long
	}
	return b.String()
}

// problems collects what is wrong with a document, up to maxJSONProblems.
type problems struct {
	doc  string // what the whole document is: "query", "aggregation"
	verr ValidationError
}

// bad records a problem at p; a problem at the root names the document.
func (ps *problems) bad(p *path, format string, args ...any) {
	if len(ps.verr.Fields) >= maxJSONProblems {
		return
	}
	name := p.String()
	if name == "" {
		name = ps.doc
	}
	ps.verr.Add(name, format, args...)
}

// short quotes s for a message, cut to a readable length: a value from
// the input may be a megabyte long.
func short(s string) string { return strconv.Quote(cut(s, 64)) }

// cut shortens s to about n bytes, on a character boundary, marking the
// cut with an ellipsis.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// encoder writes the JSON form, collecting what it cannot write.
type encoder struct {
	buf []byte
	problems
}

func newEncoder(entity string) *encoder {
	e := &encoder{buf: make([]byte, 0, 128)}
	if ValidName(entity) {
		e.verr.Entity = entity
	}
	return e
}

func (e *encoder) open()      { e.buf = append(e.buf, '{') }
func (e *encoder) close()     { e.buf = append(e.buf, '}') }
func (e *encoder) openList()  { e.buf = append(e.buf, '[') }
func (e *encoder) closeList() { e.buf = append(e.buf, ']') }
func (e *encoder) null()      { e.buf = append(e.buf, "null"...) }

// key starts the member k of the object being written: every member is
// written whole, so a comma is due unless the object has just opened.
func (e *encoder) key(k string) {
	if e.buf[len(e.buf)-1] != '{' {
		e.buf = append(e.buf, ',')
	}
	e.buf = append(e.buf, '"')
	e.buf = append(e.buf, k...)
	e.buf = append(e.buf, '"', ':')
}

// elem starts the next element of the list being written.
func (e *encoder) elem() {
	if e.buf[len(e.buf)-1] != '[' {
		e.buf = append(e.buf, ',')
	}
}

// str writes s as a JSON string, escaped as json.Marshal escapes it. Text
// that is not UTF-8 would come back changed, so it is refused.
func (e *encoder) str(s string, at *path) {
	if !utf8.ValidString(s) {
		e.bad(at, "is not valid UTF-8")
	}
	b, _ := json.Marshal(s) // a string always marshals
	e.buf = append(e.buf, b...)
}

// tagged writes {"tag":"s"}.
func (e *encoder) tagged(tag, s string, at *path) {
	e.open()
	e.key(tag)
	e.str(s, at.key(tag))
	e.close()
}

func (e *encoder) filter(f Filter, at *path) {
	switch f := f.(type) {
	case nil:
		e.null()
	case Condition:
		e.condition(f, at)
	case Group:
		e.group(f, at)
	case Related:
		e.related(f, at)
	case Exists:
		e.exists(f, at)
	case DiffCondition:
		e.diffCondition(f, at)
	case *Condition:
		if f != nil {
			e.condition(*f, at)
			return
		}
		e.nilFilter(f, at)
	case *Group:
		if f != nil {
			e.group(*f, at)
			return
		}
		e.nilFilter(f, at)
	case *Related:
		if f != nil {
			e.related(*f, at)
			return
		}
		e.nilFilter(f, at)
	case *Exists:
		if f != nil {
			e.exists(*f, at)
			return
		}
		e.nilFilter(f, at)
	case *DiffCondition:
		if f != nil {
			e.diffCondition(*f, at)
			return
		}
		e.nilFilter(f, at)
	default:
		e.bad(at, "is a filter of unknown type %T", f)
		e.null()
	}
}

// nilFilter refuses a nil pointer in a non-nil Filter: a bug in the
// caller's code, not "no filter", as the planner sees it too.
func (e *encoder) nilFilter(f Filter, at *path) {
	e.bad(at, "is a nil %T", f)
	e.null()
}

func (e *encoder) condition(c Condition, at *path) {
	e.open()
	e.key("field")
	e.str(c.Field, at.key("field"))
	e.key("op")
	if c.Op <= 0 || int(c.Op) >= len(operatorNames) {
		e.bad(at.key("op"), "is %v, which has no name", c.Op)
	}
	e.str(c.Op.String(), at.key("op"))
	if len(c.Values) > 0 {
		e.key("values")
		e.openList()
		for i, v := range c.Values {
			e.elem()
			e.value(v, at.key("values").index(i))
		}
		e.closeList()
	}
	e.close()
}

func (e *encoder) group(g Group, at *path) {
	op := "and"
	if g.Or {
		op = "or"
	}
	e.open()
	e.key(op)
	e.openList()
	for i, f := range g.Filters {
		e.elem()
		e.filter(f, at.key(op).index(i))
	}
	e.closeList()
	e.close()
}

func (e *encoder) related(r Related, at *path) {
	e.open()
	e.key("through")
	e.str(r.Lookup, at.key("through"))
	if r.Entity != "" {
		e.key("entity")
		e.str(r.Entity, at.key("entity"))
	}
	if r.Where != nil {
		e.key("where")
		e.filter(r.Where, at.key("where"))
	}
	e.close()
}

// exists writes an Exists condition as {"any": entity, "lookup", "where"},
// or "none" for one that holds when no record matches, as crm.Any and
// crm.None build them.
func (e *encoder) exists(x Exists, at *path) {
	e.open()
	key := "any"
	if x.Not {
		key = "none"
	}
	e.key(key)
	e.str(x.Entity, at.key(key))
	e.key("lookup")
	e.str(x.Lookup, at.key("lookup"))
	if x.Where != nil {
		e.key("where")
		e.filter(x.Where, at.key("where"))
	}
	e.close()
}

// diffCondition writes a DiffCondition as {"diff": {...}, "op", "value"}.
func (e *encoder) diffCondition(c DiffCondition, at *path) {
	e.open()
	e.key("diff")
	e.dateDiff(c.Diff, at.key("diff"))
	e.key("op")
	if c.Op <= 0 || int(c.Op) >= len(operatorNames) {
		e.bad(at.key("op"), "is %v, which has no name", c.Op)
	}
	e.str(c.Op.String(), at.key("op"))
	e.key("value")
	e.buf = strconv.AppendInt(e.buf, c.Value, 10)
	e.close()
}

// dateDiff writes a DateDiff as {"unit", "from", "to"}.
func (e *encoder) dateDiff(d DateDiff, at *path) {
	e.open()
	e.key("unit")
	if d.Unit != Days && d.Unit != Hours {
		e.bad(at.key("unit"), "is %v, which has no name", d.Unit)
	}
	e.str(d.Unit.String(), at.key("unit"))
	e.key("from")
	e.str(d.From, at.key("from"))
	e.key("to")
	e.str(d.To, at.key("to"))
	e.close()
}

// value writes a condition value: plainly when JSON keeps its Go type,
// tagged when it would not.
func (e *encoder) value(v any, at *path) {
	switch x := v.(type) {
	case nil:
		e.null()
	case string:
		e.str(x, at)
	case bool:
		e.buf = strconv.AppendBool(e.buf, x)
	case int64:
		e.buf = strconv.AppendInt(e.buf, x, 10)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case int32:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case decimal.Decimal:
		if exp := x.Exponent(); exp < 0 && exp >= -plainPlaces {
			e.buf = append(e.buf, x.StringFixed(-exp)...)
			return
		}
		e.tagged("decimal", exactDecimal(x), at)
	case Money:
		if !x.Currency.Valid() {
			e.bad(at, "is money in %s, which is not a known currency", short(string(x.Currency)))
		}
		e.tagged("money", exactDecimal(x.Amount)+" "+string(x.Currency), at)
	case time.Time:
		e.time(x, at)
	case ID:
		e.tagged("id", x.String(), at)
	case FieldValue:
		e.tagged("valueof", x.Field, at)
	case Ref:
		e.open()
		e.key("ref")
		e.open()
		if x.Entity != "" {
			e.key("entity")
			e.str(x.Entity, at.key("ref").key("entity"))
		}
		e.key("id")
		e.str(x.ID.String(), at.key("ref").key("id"))
		e.close()
		e.close()
	case float32, float64:
		e.bad(at, "is a %T, which is not exact: use an int64 or a decimal.Decimal", v)
		e.null()
	default:
		// A named integer type (an option set such as sales.Industry, a
		// StateCode) is its number, whatever its own JSON form.
		if rv := reflect.ValueOf(v); rv.CanInt() {
			e.buf = strconv.AppendInt(e.buf, rv.Int(), 10)
			return
		}
		e.bad(at, "is a %T, which has no JSON form (see the package documentation, Queries as JSON)", v)
		e.null()
	}
}

// time writes t in RFC 3339 with its UTC offset, which keeps both its
// instant and the calendar date it shows (what a date-only field reads).
func (e *encoder) time(t time.Time, at *path) {
	b, err := t.MarshalText()
	if err != nil {
		e.bad(at, "cannot be written in RFC 3339: %v", err)
	} else if _, off := t.Zone(); off%60 != 0 {
		// RFC 3339 writes hours and minutes: a zone's old local mean
		// time (Paris before 1911 was 9m21s ahead) would move the instant.
		e.bad(at, "has a UTC offset of %ds, which RFC 3339 cannot write: convert the time to UTC", off)
	}
	e.tagged("time", string(b), at)
}

// parseJSONTree reads one JSON value, numbers as json.Number so that no
// number goes through a float.
func parseJSONTree(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

// decoder reads the JSON form from a parsed tree, collecting problems.
type decoder problems

func (d *decoder) bad(at *path, format string, args ...any) {
	(*problems)(d).bad(at, format, args...)
}

// kind names the JSON kind of v for messages; a number shows itself.
func kind(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return cut(string(v), 40)
	case []any:
		return "a list"
	}
	return "an object"
}

// object returns v as a JSON object whose keys are all among keys (what
// names it in messages), reporting each unknown key.
func (d *decoder) object(v any, at *path, what string, keys ...string) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		if at == root {
			d.bad(at, "wants an object, got %s", kind(v))
		} else {
			d.bad(at, "wants %s, an object, got %s", what, kind(v))
		}
		return nil, false
	}
	var unknown []string
	for k := range m {
		if !slices.Contains(keys, k) {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		d.bad(at.key(k), "is not a key of %s (%s)", what, strings.Join(keys, ", "))
	}
	return m, true
}

func (d *decoder) asString(v any, at *path) (string, bool) {
	s, ok := v.(string)
	if !ok {
		d.bad(at, "wants a string, got %s", kind(v))
	}
	return s, ok
}

// str returns the string at m[key], "" when it is absent.
func (d *decoder) str(m map[string]any, key string, at *path, required bool) string {
	v, ok := m[key]
	if !ok {
		if required {
			d.bad(at.key(key), "is required")
		}
		return ""
	}
	s, _ := d.asString(v, at.key(key))
	return s
}

func (d *decoder) boolean(m map[string]any, key string, at *path) bool {
	v, ok := m[key]
	if !ok {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		d.bad(at.key(key), "wants true or false, got %s", kind(v))
	}
	return b
}

// list returns the list at m[key]; absent and null are no list.
func (d *decoder) list(m map[string]any, key string, at *path) []any {
	v := m[key]
	if v == nil {
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		d.bad(at.key(key), "wants a list, got %s", kind(v))
	}
	return l
}

// entity reads the document's entity, which then names it in errors.
func (d *decoder) entity(m map[string]any) string {
	name := d.str(m, "entity", root, true)
	if ValidName(name) {
		d.verr.Entity = name
	}
	return name
}

// integer reads a whole number that fits an int.
func (d *decoder) integer(v any, at *path) int {
	n, ok := v.(json.Number)
	if ok && !strings.ContainsAny(string(n), ".eE") {
		if i, err := strconv.Atoi(string(n)); err == nil {
			return i
		}
	}
	d.bad(at, "wants a whole number, got %s", kind(v))
	return 0
}

// filter reads a condition, a group or a related-record condition, told
// apart by their keys; null is no filter.
func (d *decoder) filter(v any, at *path) Filter {
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		d.bad(at, "wants a filter, an object, got %s", kind(v))
		return nil
	}
	_, and := m["and"]
	_, or := m["or"]
	_, through := m["through"]
	_, diff := m["diff"]
	_, some := m["any"]
	_, none := m["none"]
	_, field := m["field"]
	_, op := m["op"]
	switch {
	case and && or:
		d.bad(at, `is a group with both "and" and "or": write one group inside the other`)
		return nil
	case and || or:
		return d.group(m, or, at)
	case through:
		return d.related(m, at)
	case diff:
		return d.diffCondition(m, at)
	case some && none:
		d.bad(at, `is an exists condition with both "any" and "none"`)
		return nil
	case some || none:
		return d.exists(m, none, at)
	case field || op:
		return d.condition(m, at)
	}
	d.bad(at, `is not a filter: a condition has "field" and "op", a group "and" or "or", a related-record condition "through", an exists condition "any" or "none", a date difference "diff"`)
	return nil
}

func (d *decoder) group(m map[string]any, or bool, at *path) Filter {
	key := "and"
	if or {
		key = "or"
	}
	d.object(m, at, `an "`+key+`" group`, key)
	l, ok := m[key].([]any)
	if !ok {
		d.bad(at.key(key), "wants a list of filters, got %s", kind(m[key]))
		return nil
	}
	g := Group{Or: or}
	for i, v := range l {
		g.Filters = append(g.Filters, d.filter(v, at.key(key).index(i)))
	}
	return g
}

func (d *decoder) related(m map[string]any, at *path) Filter {
	d.object(m, at, "a related-record condition", "through", "entity", "where")
	r := Related{Lookup: d.str(m, "through", at, true), Entity: d.str(m, "entity", at, false)}
	if v, ok := m["where"]; ok {
		r.Where = d.filter(v, at.key("where"))
	}
	return r
}

func (d *decoder) exists(m map[string]any, not bool, at *path) Filter {
	key := "any"
	if not {
		key = "none"
	}
	d.object(m, at, `an "`+key+`" condition`, key, "lookup", "where")
	x := Exists{Entity: d.str(m, key, at, true), Lookup: d.str(m, "lookup", at, true), Not: not}
	if v, ok := m["where"]; ok {
		x.Where = d.filter(v, at.key("where"))
	}
	return x
}

func (d *decoder) diffCondition(m map[string]any, at *path) Filter {
	d.object(m, at, "a date difference condition", "diff", "op", "value")
	c := DiffCondition{Diff: d.dateDiff(m["diff"], at.key("diff"))}
	if v, ok := m["op"]; !ok {
		d.bad(at.key("op"), "is required")
	} else if name, ok := d.asString(v, at.key("op")); ok {
		var err error
		if c.Op, err = ParseOperator(name); err != nil {
			d.bad(at.key("op"), "names an unknown operator %s", short(name))
		}
	}
	if v, ok := m["value"]; !ok {
		d.bad(at.key("value"), "is required")
	} else {
		c.Value = int64(d.integer(v, at.key("value")))
	}
	return c
}

// dateDiff reads {"unit", "from", "to"}.
func (d *decoder) dateDiff(v any, at *path) DateDiff {
	m, ok := d.object(v, at, "a date difference", "unit", "from", "to")
	if !ok {
		return DateDiff{}
	}
	out := DateDiff{From: d.str(m, "from", at, true), To: d.str(m, "to", at, true)}
	switch unit := d.str(m, "unit", at, true); unit {
	case Days.String():
		out.Unit = Days
	case Hours.String():
		out.Unit = Hours
	case "":
	default:
		d.bad(at.key("unit"), "names an unknown unit %s (days, hours)", short(unit))
	}
	return out
}

func (d *decoder) condition(m map[string]any, at *path) Filter {
	d.object(m, at, "a condition", "field", "op", "values")
	c := Condition{Field: d.str(m, "field", at, true)}
	if v, ok := m["op"]; !ok {
		d.bad(at.key("op"), "is required")
	} else if name, ok := d.asString(v, at.key("op")); ok {
		var err error
		if c.Op, err = ParseOperator(name); err != nil {
			d.bad(at.key("op"), "names an unknown operator %s", short(name))
		}
	}
	for i, v := range d.list(m, "values", at) {
		c.Values = append(c.Values, d.value(v, at.key("values").index(i)))
	}
	return c
}

// value reads a condition value: a plain JSON value, or an object with
// one tag.
func (d *decoder) value(v any, at *path) any {
	switch x := v.(type) {
	case nil, string, bool:
		return x
	case json.Number:
		return d.number(string(x), at)
	case map[string]any:
		return d.tagged(x, at)
	}
	d.bad(at, "is a list: a value is a string, a number, true, false, null or an object with one tag (decimal, money, time, id, ref, valueof)")
	return nil
}

// number reads a JSON number: a whole one (no fraction, no exponent) is an
// int64, any other a decimal with the exponent it is written with.
func (d *decoder) number(s string, at *path) any {
	if !strings.ContainsAny(s, ".eE") {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			d.bad(at, `is a whole number beyond the int64 range: write it as {"decimal":"…"}`)
			return nil
		}
		return n
	}
	n, err := decimal.NewFromString(s)
	if err != nil {
		d.bad(at, "is a number whose exponent is out of range")
		return nil
	}
	return n
}

func (d *decoder) tagged(m map[string]any, at *path) any {
	if len(m) != 1 {
		d.bad(at, "wants an object with one tag (decimal, money, time, id, ref, valueof), got %d keys", len(m))
		return nil
	}
	for tag, v := range m {
		at := at.key(tag)
		switch tag {
		case "decimal", "money", "time", "id":
			s, ok := d.asString(v, at)
			if !ok {
				return nil
			}
			return d.tagValue(tag, s, at)
		case "valueof":
			s, ok := d.asString(v, at)
			if !ok {
				return nil
			}
			return FieldValue{Field: s}
		case "ref":
			rm, ok := d.object(v, at, "a ref", "entity", "id")
			if !ok {
				return nil
			}
			r := Ref{Entity: d.str(rm, "entity", at, false)}
			if s := d.str(rm, "id", at, true); s != "" {
				id, err := ParseID(s)
				if err != nil {
					d.bad(at.key("id"), "%s is not an ID", short(s))
				}
				r.ID = id
			}
			return r
		}
		d.bad(at, "is not a value tag (decimal, money, time, id, ref, valueof)")
	}
	return nil
}

func (d *decoder) tagValue(tag, s string, at *path) any {
	switch tag {
	case "decimal":
		n, err := decimal.NewFromString(s)
		if err != nil {
			d.bad(at, "%s is not a decimal number", short(s))
			return nil
		}
		return n
	case "money":
		m, err := ParseMoney(s)
		if err != nil {
			d.bad(at, `%s is not money: want "<amount> <currency>" in a known currency, as "1.50 USD"`, short(s))
			return nil
		}
		return m
	case "time":
		var t time.Time
		if err := t.UnmarshalText([]byte(s)); err != nil {
			d.bad(at, `%s is not an RFC 3339 time, as "2024-01-31T09:30:00Z"`, short(s))
			return nil
		}
		return t
	}
	id, err := ParseID(s)
	if err != nil {
		d.bad(at, "%s is not an ID", short(s))
		return nil
	}
	return id
}
