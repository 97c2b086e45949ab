package crm

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Plan is a Query checked against metadata and reduced to the operators
// every storage adapter implements: Eq, Ne, Lt, Le, Gt, Ge, Like, NotLike,
// In, NotIn, Null and NotNull, in And/Or groups and Related conditions.
// Relative date operators have become ranges, so an adapter never asks the
// time. Condition values are in sort-key form (see SortKey), except that a
// money value keeps its currency (a money condition matches only amounts in
// that currency) and that an Eq or Ne on a lookup to several entities may
// hold a Ref: it matches the entity and the ID, as IDs are unique per
// entity only.
//
// Adapters answer a Plan with exactly the rows, in exactly the order, that
// Match and Compare define; the conformance suite holds them to it.
type Plan struct {
	reg     *Registry
	Entity  *Entity
	Where   Filter  // nil matches every record
	OrderBy []Order // always ends with the ID
	// After holds the sort keys of the last row of the previous page, one
	// per OrderBy entry; nil for the first page.
	After []any
	Limit int // 0 means no limit

	orderFields []*Field // the field of each OrderBy entry
}

// PlanQuery checks q against the registry and lowers it, relative date
// operators counting from now in UTC: PlanQueryIn(q, now, time.UTC).
func (r *Registry) PlanQuery(q Query, now time.Time) (*Plan, error) {
	return r.PlanQueryIn(q, now, time.UTC)
}

// PlanQueryIn checks q against the registry and lowers it, relative date
// operators counting from now in the time zone loc (nil is UTC), as a
// caller there sees the calendar (crm.Scope.Location):
//
//   - On date-and-time fields, today, yesterday, tomorrow, this/last/next
//     month, this/last year, last-x-days and next-x-days cover whole
//     days of loc, from local midnight to local midnight (23 or 25 hours
//     across a daylight saving change); on, on-or-before and on-or-after
//     cover the day of loc their value's instant falls on.
//     The plan holds the bounds as UTC instants, which is what adapters
//     compare.
//   - Date-only fields hold calendar dates, never converted: the same
//     operators cover those dates, "today" being the date it is in loc.
//   - last-x-hours and olderthan-x-days count back from the instant now.
func (r *Registry) PlanQueryIn(q Query, now time.Time, loc *time.Location) (*Plan, error) {
	e, err := r.Entity(q.Entity)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	c := newPlanner(r, now, loc, e)
	p := &Plan{reg: r, Entity: e, Where: c.filter(e, q.Where, "")}
	if q.Limit < 0 {
		c.verr.add("limit", "is negative")
	}
	p.Limit = q.Limit
	hasID := false
	for _, o := range q.OrderBy {
		if _, ok := e.Field(o.Field); !ok {
			c.verr.add(o.Field, "is not a field of %s and cannot be sorted on", e.Name)
			continue
		}
		p.OrderBy = append(p.OrderBy, o)
		if o.Field == FieldID {
			hasID = true
			break // the ID is unique: later orders could never apply
		}
	}
	if !hasID {
		p.OrderBy = append(p.OrderBy, Asc(FieldID))
	}
	for _, o := range p.OrderBy {
		f, _ := e.Field(o.Field)
		p.orderFields = append(p.orderFields, f)
	}
	c.checkShape(p.Where)
	if c.related > MaxRelated {
		c.verr.add("where", "has %d related-record conditions, more than the %d allowed", c.related, MaxRelated)
	}
	if err := c.verr.err(); err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	if q.After != "" {
		if p.After, err = p.decodeCursor(q.After); err != nil {
			return nil, fmt.Errorf("query: %w", err)
		}
	}
	return p, nil
}

type planner struct {
	reg     *Registry
	now     time.Time      // UTC
	loc     *time.Location // the caller's time zone, never nil
	verr    *ValidationError
	related int
}

func newPlanner(r *Registry, now time.Time, loc *time.Location, e *Entity) planner {
	if loc == nil {
		loc = time.UTC
	}
	return planner{reg: r, now: now.UTC(), loc: loc, verr: &ValidationError{Entity: e.Name}}
}

// filter checks and lowers f against entity e; path prefixes field names in
// errors for conditions on related records.
func (c *planner) filter(e *Entity, f Filter, path string) Filter {
	switch f := f.(type) {
	case nil:
		return nil
	case Condition:
		return c.condition(e, f, path)
	case *Condition:
		if f != nil {
			return c.condition(e, *f, path)
		}
	case Group:
		return c.group(e, f, path)
	case *Group:
		if f != nil {
			return c.group(e, *f, path)
		}
	case Related:
		return c.relatedFilter(e, f, path)
	case *Related:
		if f != nil {
			return c.relatedFilter(e, *f, path)
		}
	default:
		c.verr.add(path+"where", "has a filter of unknown type %T", f)
		return nil
	}
	// A nil pointer in a non-nil interface: a bug in the caller's code,
	// not "no filter".
	c.verr.add(path+"where", "has a nil %T", f)
	return nil
}

// group lowers g. An And inside an And (an Or inside an Or, a Between
// inside an And) is the same filter without the nesting, so it is
// flattened: a chain of one kind, however deep, becomes one group.
func (c *planner) group(e *Entity, g Group, path string) Filter {
	out := Group{Or: g.Or, Filters: make([]Filter, 0, len(g.Filters))}
	for _, f := range g.Filters {
		if f == nil {
			continue
		}
		sub := c.filter(e, f, path)
		if sg, ok := sub.(Group); ok && sg.Or == g.Or {
			out.Filters = append(out.Filters, sg.Filters...)
			continue
		}
		out.Filters = append(out.Filters, sub)
	}
	return out
}

// checkShape holds a lowered where to MaxFilterDepth and MaxConditions, so
// that every store answers the same filters: a SQL database refuses
// expressions nested too deep or binding too many values.
func (c *planner) checkShape(where Filter) {
	var conditions int
	var depth func(f Filter) int
	depth = func(f Filter) int {
		switch f := f.(type) {
		case Condition:
			conditions++
		case Group:
			d := 0
			for _, sub := range f.Filters {
				d = max(d, depth(sub))
			}
			return d + 1
		case Related:
			return depth(f.Where) + 1
		}
		return 0
	}
	if d := depth(where); d > MaxFilterDepth {
		c.verr.add("where", "is nested more than %d deep (%d groups and related-record conditions inside one another)", MaxFilterDepth, d)
	}
	if conditions > MaxConditions {
		c.verr.add("where", "has %d conditions, more than the %d allowed", conditions, MaxConditions)
	}
}

func (c *planner) relatedFilter(e *Entity, r Related, path string) Filter {
	c.related++
	f, ok := e.Field(r.Lookup)
	if !ok || f.Type != TypeLookup {
		c.verr.add(path+r.Lookup, "is not a lookup field of %s", e.Name)
		return nil
	}
	if r.Entity == "" && len(f.Targets) == 1 {
		r.Entity = f.Targets[0]
	}
	if !f.targets(r.Entity) {
		c.verr.add(path+r.Lookup, "cannot point at %q records", r.Entity)
		return nil
	}
	target, err := c.reg.Entity(r.Entity)
	if err != nil {
		c.verr.add(path+r.Lookup, "points at %q, which has no metadata here", r.Entity)
		return nil
	}
	return Related{Lookup: r.Lookup, Entity: r.Entity, Where: c.filter(target, r.Where, path+r.Lookup+".")}
}

// key converts a condition value to the field's sort-key form, reporting a
// reason when it cannot.
func (c *planner) key(f *Field, v any) (any, string) {
	if v == nil {
		return nil, "compares with nil: use the null and not-null operators"
	}
	if f.Type == TypeLookup || f.Type == TypeID {
		switch r := v.(type) {
		case ID:
			return r, ""
		case Ref:
			if f.Type == TypeLookup && r.Entity != "" && !f.targets(r.Entity) {
				return nil, fmt.Sprintf("names a %q record, which the lookup cannot point at (allowed: %v)", r.Entity, f.Targets)
			}
			if f.Type == TypeLookup && len(f.Targets) > 1 && r.Entity != "" {
				// IDs are unique per entity: on a lookup to several
				// entities, account K and contact K are different records.
				return r, ""
			}
			return r.ID, ""
		}
		return nil, fmt.Sprintf("wants an ID or a Ref, got %T", v)
	}
	switch f.Type {
	case TypeDecimal:
		// A bound may have more places than the field keeps: "< 1.005".
		if d, ok := v.(decimal.Decimal); ok {
			d, reason := decimalBound(d)
			if reason != "" {
				return nil, reason
			}
			return d, ""
		}
	case TypeMoney:
		// Money keeps its currency: a money condition only matches
		// amounts in the same currency.
		if m, ok := v.(Money); ok {
			if !m.Currency.Valid() {
				return nil, fmt.Sprintf("currency %q is not known", m.Currency)
			}
			amount, reason := decimalBound(m.Amount)
			if reason != "" {
				return nil, reason
			}
			return Money{Amount: amount, Currency: m.Currency}, ""
		}
	case TypeTime:
		// A time bound is checked as a stored value is: no record holds
		// a time outside EarliestTime..LatestTime.
		k, reason := f.Coerce(v)
		if reason == "" {
			reason = f.checkRange(k)
		}
		if reason != "" {
			return nil, reason
		}
		return k, ""
	}
	return f.Coerce(v)
}

// decimalBound is the sort key of a decimal condition value (see
// DecimalDigits): beyond ±10^DecimalDigits it is moved to that bound,
// which lies beyond every stored value as the original does, so every
// store gives the same answer cheaply.
func decimalBound(d decimal.Decimal) (decimal.Decimal, string) {
	d, r := decimalReach(d)
	switch r {
	case tooLarge:
		return decimal.New(int64(d.Sign()), DecimalDigits), ""
	case tooFine:
		return d, outOfReach
	}
	return d, ""
}

func (c *planner) condition(e *Entity, cond Condition, path string) Filter {
	name := path + cond.Field
	f, ok := e.Field(cond.Field)
	if !ok {
		c.verr.add(name, "is not a field of %s", e.Name)
		return nil
	}
	bad := func(format string, args ...any) Filter {
		c.verr.add(name, "%s: %s", cond.Op, fmt.Sprintf(format, args...))
		return nil
	}
	want := func(n int) bool {
		if len(cond.Values) != n {
			bad("wants %d value(s), got %d", n, len(cond.Values))
			return false
		}
		return true
	}
	keys := func() ([]any, bool) {
		out := make([]any, len(cond.Values))
		for i, v := range cond.Values {
			k, reason := c.key(f, v)
			if reason != "" {
				bad("value %d %s", i+1, reason)
				return nil, false
			}
			out[i] = k
		}
		return out, true
	}
	ordered := f.Type == TypeText || f.Type == TypeInteger || f.Type == TypeDecimal ||
		f.Type == TypeMoney || f.Type == TypeTime || f.Type == TypeChoice
	lower := func(op Operator, v any) Condition { return Condition{Field: cond.Field, Op: op, Values: []any{v}} }

	switch op := cond.Op; op {
	case OpNull, OpNotNull:
		if !want(0) {
			return nil
		}
		return Condition{Field: cond.Field, Op: op}
	case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe:
		if op != OpEq && op != OpNe && !ordered {
			return bad("a %s field has no order", f.Type)
		}
		if !want(1) {
			return nil
		}
		k, ok := keys()
		if !ok {
			return nil
		}
		return lower(op, k[0])
	case OpIn, OpNotIn:
		if f.Type == TypeMoney || f.Type == TypeTime || f.Type == TypeBool {
			return bad("not for %s fields", f.Type)
		}
		if len(cond.Values) == 0 {
			return bad("wants at least one value")
		}
		k, ok := keys()
		if !ok {
			return nil
		}
		if slices.ContainsFunc(k, func(v any) bool { _, ok := v.(Ref); return ok }) {
			// Refs on a lookup to several entities compare entity and ID:
			// one equality per value.
			var parts []Filter
			for _, v := range k {
				if op == OpIn {
					parts = append(parts, lower(OpEq, v))
				} else {
					parts = append(parts, lower(OpNe, v))
				}
			}
			if op == OpIn {
				return Or(parts...)
			}
			return And(parts...)
		}
		return Condition{Field: cond.Field, Op: op, Values: k}
	case OpLike, OpNotLike, OpBeginsWith, OpNotBeginWith, OpEndsWith, OpNotEndWith:
		if f.Type != TypeText {
			return bad("only for text fields")
		}
		if !want(1) {
			return nil
		}
		s, ok := cond.Values[0].(string)
		if !ok {
			return bad("wants a string, got %T", cond.Values[0])
		}
		if _, reason := f.Coerce(s); reason != "" {
			// A pattern holds what a value may: invalid UTF-8 or a NUL
			// would be read differently by every store.
			return bad("pattern %s", reason)
		}
		switch op {
		case OpBeginsWith:
			return lower(OpLike, EscapeLike(s)+"%")
		case OpNotBeginWith:
			return lower(OpNotLike, EscapeLike(s)+"%")
		case OpEndsWith:
			return lower(OpLike, "%"+EscapeLike(s))
		case OpNotEndWith:
			return lower(OpNotLike, "%"+EscapeLike(s))
		}
		return lower(op, s)
	case OpBetween, OpNotBetween:
		if !ordered {
			return bad("a %s field has no order", f.Type)
		}
		if !want(2) {
			return nil
		}
		k, ok := keys()
		if !ok {
			return nil
		}
		if op == OpBetween {
			return And(lower(OpGe, k[0]), lower(OpLe, k[1]))
		}
		return Or(lower(OpLt, k[0]), lower(OpGt, k[1]))
	}
	if f.Type != TypeTime {
		return bad("only for time fields")
	}
	lo, hi, reason := c.dateRange(f, cond)
	if reason != "" {
		return bad("%s", reason)
	}
	// A range computed from "now" may reach past the times a field holds
	// (last-x-days from early 1753): cut it there, which changes no answer
	// and keeps every bound one that every store can encode.
	lo, hi = clampTime(lo), clampTime(hi)
	var parts []Filter
	if !lo.IsZero() {
		parts = append(parts, lower(OpGe, lo))
	}
	if !hi.IsZero() {
		parts = append(parts, lower(OpLt, hi))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return And(parts...)
}

// dateRange turns a date operator into [lo, hi); a zero bound is open.
//
// Days are counted as calendar dates (wall midnights in zone) and only
// turned into instants at the end, so that a day across a daylight saving
// change is still one day.
func (c *planner) dateRange(f *Field, cond Condition) (lo, hi time.Time, reason string) {
	lo, hi, reason = c.dateRangeIn(f, cond)
	if !lo.IsZero() {
		lo = lo.UTC()
	}
	if !hi.IsZero() {
		hi = hi.UTC()
	}
	return lo, hi, reason
}

func (c *planner) dateRangeIn(f *Field, cond Condition) (lo, hi time.Time, reason string) {
	// zone is where the field's days begin: the caller's for a
	// date-and-time field; a date-only field's dates are midnights UTC.
	zone := c.loc
	if f.DateOnly {
		zone = time.UTC
	}
	day := func(t time.Time) time.Time {
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, zone)
	}
	today := day(c.now.In(c.loc)) // the caller's date, whatever the field
	month := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, zone)
	year := time.Date(today.Year(), 1, 1, 0, 0, 0, 0, zone)
	oneTime := func() (time.Time, string) {
		t, ok := time.Time{}, len(cond.Values) == 1
		if ok {
			t, ok = cond.Values[0].(time.Time)
		}
		if !ok {
			return t, "wants one time.Time value"
		}
		v := NormalizeTime(t) // the instant, as a time field stores it
		if f.DateOnly {
			// The calendar date the value shows, as Coerce stores it:
			// otherwise "on" a local date would miss the records saved
			// with that same value.
			v = day(t)
		}
		if reason := f.checkRange(v); reason != "" {
			return t, "value " + reason
		}
		// The day the instant falls on where the caller is; a date-only
		// field's value is already its date.
		return day(v.In(zone)), ""
	}
	count := func() (int, bool) {
		if len(cond.Values) != 1 {
			return 0, false
		}
		n, ok := asInt64(cond.Values[0])
		return int(n), ok && n > 0 && n <= 100_000
	}
	noValues := len(cond.Values) == 0
	switch cond.Op {
	case OpOn, OpOnOrBefore, OpOnOrAfter:
		d, reason := oneTime()
		if reason != "" {
			return lo, hi, reason
		}
		switch cond.Op {
		case OpOn:
			return d, d.AddDate(0, 0, 1), ""
		case OpOnOrBefore:
			return lo, d.AddDate(0, 0, 1), ""
		}
		return d, hi, ""
	case OpToday, OpYesterday, OpTomorrow, OpThisMonth, OpLastMonth, OpNextMonth, OpThisYear, OpLastYear:
		if !noValues {
			return lo, hi, "takes no value"
		}
		switch cond.Op {
		case OpToday:
			return today, today.AddDate(0, 0, 1), ""
		case OpYesterday:
			return today.AddDate(0, 0, -1), today, ""
		case OpTomorrow:
			return today.AddDate(0, 0, 1), today.AddDate(0, 0, 2), ""
		case OpThisMonth:
			return month, month.AddDate(0, 1, 0), ""
		case OpLastMonth:
			return month.AddDate(0, -1, 0), month, ""
		case OpNextMonth:
			return month.AddDate(0, 1, 0), month.AddDate(0, 2, 0), ""
		case OpThisYear:
			return year, year.AddDate(1, 0, 0), ""
		}
		return year.AddDate(-1, 0, 0), year, ""
	case OpLastXDays, OpNextXDays, OpLastXHours, OpOlderThanXDays:
		n, ok := count()
		if !ok {
			return lo, hi, "wants one whole number from 1 to 100000"
		}
		switch cond.Op {
		case OpLastXDays:
			return today.AddDate(0, 0, -n), today.AddDate(0, 0, 1), ""
		case OpNextXDays:
			return today, today.AddDate(0, 0, n+1), ""
		case OpLastXHours:
			if f.DateOnly {
				return lo, hi, "needs a time of day; the field is date-only"
			}
			return NormalizeTime(c.now.Add(-time.Duration(n) * time.Hour)), NormalizeTime(c.now).Add(TimePrecision), ""
		}
		return lo, NormalizeTime(c.now.In(c.loc).AddDate(0, 0, -n)), ""
	}
	return lo, hi, "is not a known operator"
}

// clampTime moves a range bound into EarliestTime..LatestTime+TimePrecision
// (the first instant after the range); the zero time, an open bound,
// stays zero.
func clampTime(t time.Time) time.Time {
	switch {
	case t.IsZero():
		return t
	case t.Before(EarliestTime):
		return EarliestTime
	case t.After(LatestTime):
		return LatestTime.Add(TimePrecision)
	}
	return t
}

// EscapeLike escapes the LIKE wildcards in s so it matches literally.
func EscapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// SortKey returns the value a record is sorted and compared by for field f:
// the canonical value, except that lookups compare by ID alone and money
// sorts by its amount. Nil stays nil.
func SortKey(f *Field, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case Ref:
		return x.ID
	case Money:
		if f.Type == TypeMoney {
			return x.Amount
		}
	}
	return v
}

// Cursor returns the cursor that continues the plan after rec.
func (p *Plan) Cursor(rec Record) Cursor {
	vals := make([]*string, len(p.OrderBy))
	for i, o := range p.OrderBy {
		f, _ := p.Entity.Field(o.Field)
		if k := SortKey(f, rec.Value(o.Field)); k != nil {
			s := encodeKey(k)
			vals[i] = &s
		}
	}
	b, _ := json.Marshal(cursorData{Order: p.orderSignature(), Keys: vals})
	return Cursor(base64.RawURLEncoding.EncodeToString(b))
}

type cursorData struct {
	Order string    `json:"o"`
	Keys  []*string `json:"k"`
}

func (p *Plan) orderSignature() string {
	var b strings.Builder
	b.WriteString(p.Entity.Name)
	for _, o := range p.OrderBy {
		b.WriteByte(',')
		b.WriteString(o.Field)
		if o.Desc {
			b.WriteString(" desc")
		}
	}
	return b.String()
}

func (p *Plan) decodeCursor(c Cursor) ([]any, error) {
	bad := Invalid(p.Entity.Name, "after", "is not a cursor of this query")
	raw, err := base64.RawURLEncoding.DecodeString(string(c))
	if err != nil {
		return nil, bad
	}
	var d cursorData
	if json.Unmarshal(raw, &d) != nil || d.Order != p.orderSignature() || len(d.Keys) != len(p.OrderBy) {
		return nil, bad
	}
	out := make([]any, len(d.Keys))
	for i, s := range d.Keys {
		if s == nil {
			continue
		}
		f, _ := p.Entity.Field(p.OrderBy[i].Field)
		k, err := decodeKey(f, *s)
		if err != nil {
			return nil, bad
		}
		out[i] = k
	}
	return out, nil
}

func encodeKey(k any) string {
	switch v := k.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case int32:
		return strconv.FormatInt(int64(v), 10)
	case decimal.Decimal:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return v.Format(time.RFC3339Nano)
	case ID:
		return v.String()
	}
	return fmt.Sprint(k)
}

func decodeKey(f *Field, s string) (any, error) {
	switch f.Type {
	case TypeText:
		// A key comes from a stored value: text no field can hold (a
		// NUL, invalid UTF-8) is forged, and no store could compare it
		// the same way.
		if _, reason := f.Coerce(s); reason != "" {
			return nil, fmt.Errorf("text key %s", reason)
		}
		return s, nil
	case TypeInteger:
		return strconv.ParseInt(s, 10, 64)
	case TypeChoice:
		n, err := strconv.ParseInt(s, 10, 32)
		return int32(n), err
	case TypeDecimal, TypeMoney:
		// A key comes from a stored value: one out of reach is forged,
		// and refused before any arithmetic on it.
		d, err := decimal.NewFromString(s)
		if err != nil {
			return nil, err
		}
		if d, r := decimalReach(d); r == inReach {
			return d, nil
		}
		return nil, fmt.Errorf("decimal key %s", outOfReach)
	case TypeBool:
		return strconv.ParseBool(s)
	case TypeTime:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, err
		}
		if t = NormalizeTime(t); f.checkRange(t) != "" {
			return nil, fmt.Errorf("time key %q is out of range", s)
		}
		return t, nil
	case TypeLookup, TypeID:
		return ParseID(s)
	}
	return nil, fmt.Errorf("no key for %s", f.Type)
}
