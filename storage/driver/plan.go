package driver

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/shopspring/decimal"
)

// Plan is a Query checked against metadata and reduced to the operators
// every storage adapter implements: Eq, Ne, Lt, Le, Gt, Ge, Like, NotLike,
// In, NotIn, Null, NotNull, Under, NotUnder and Above, in And/Or groups,
// Related conditions (on the record a lookup points at) and Exists
// conditions (on the records whose lookup points here; see Referrers).
// Relative date operators have become ranges, so an adapter never asks the
// time; caller operators have become Eq, Ne or In of the reader's IDs.
// Hierarchy operators have become three more operators, always on the
// entity's ID (crm.FieldID) with one crm.ID value, along the entity's
// hierarchical lookup (HierarchyLookup), at most crm.MaxHierarchyDepth
// levels: Under X (records 1 to MaxHierarchyDepth levels below X),
// NotUnder X (every record Under X does not match) and Above X (the first
// MaxHierarchyDepth ancestors of X). Condition values are in sort-key form (see SortKey), except that a
// money value keeps its currency (a money condition matches only amounts in
// that currency) and that an Eq or Ne on a lookup to several entities may
// hold a Ref: it matches the entity and the ID, as IDs are unique per
// entity only. An Eq, Ne, Lt, Le, Gt or Ge whose value is a
// crm.FieldValue compares with that field of the same record (checked:
// one type, see crm.FieldValue), and a crm.DiffCondition compares a date
// difference (DiffUnits) with a number; neither matches a null.
//
// Adapters answer a Plan with exactly the rows, in exactly the order, that
// Match and Compare define; the conformance suite holds them to it.
type Plan struct {
	reg     *crm.Registry
	Entity  *crm.Entity
	Where   crm.Filter  // nil matches every record
	OrderBy []crm.Order // always ends with the ID
	// After holds the sort keys of the last row of the previous page, one
	// per OrderBy entry; nil for the first page.
	After []any
	Limit int // 0 means no limit

	orderFields []*crm.Field // the field of each OrderBy entry
}

// PlanQuery checks q against the registry r and lowers it, relative date
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
//
// The caller operators (eq-userid, eq-userteams, eq-businessid...) compare
// with who; the hierarchy operators (under, above...) become Under,
// NotUnder and Above conditions on the entity's ID (see Plan).
func PlanQuery(r *crm.Registry, q crm.Query, now time.Time, loc *time.Location, who Principal) (*Plan, error) {
	e, err := r.Entity(q.Entity)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	c := newPlanner(r, now, loc, e)
	c.who = who
	p := &Plan{reg: r, Entity: e, Where: c.filter(e, q.Where, "")}
	if q.Limit < 0 {
		c.verr.Add("limit", "is negative")
	}
	p.Limit = q.Limit
	hasID := false
	for _, o := range q.OrderBy {
		if _, ok := e.Field(o.Field); !ok {
			c.verr.Add(o.Field, "is not a field of %s and cannot be sorted on", e.Name)
			continue
		}
		p.OrderBy = append(p.OrderBy, o)
		if o.Field == crm.FieldID {
			hasID = true
			break // the ID is unique: later orders could never apply
		}
	}
	if !hasID {
		p.OrderBy = append(p.OrderBy, crm.Asc(crm.FieldID))
	}
	for _, o := range p.OrderBy {
		f, _ := e.Field(o.Field)
		p.orderFields = append(p.orderFields, f)
	}
	c.checkShape(p.Where)
	if c.related > crm.MaxRelated {
		c.verr.Add("where", "has %d related-record conditions, more than the %d allowed", c.related, crm.MaxRelated)
	}
	if err := c.verr.Err(); err != nil {
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
	reg     *crm.Registry
	now     time.Time      // UTC
	loc     *time.Location // the caller's time zone, never nil
	verr    *crm.ValidationError
	related int
	who     Principal // the reader, for the caller operators
}

func newPlanner(r *crm.Registry, now time.Time, loc *time.Location, e *crm.Entity) planner {
	if loc == nil {
		loc = time.UTC
	}
	return planner{reg: r, now: now.UTC(), loc: loc, verr: &crm.ValidationError{Entity: e.Name}}
}

// filter checks and lowers f against entity e; path prefixes field names in
// errors for conditions on related records.
func (c *planner) filter(e *crm.Entity, f crm.Filter, path string) crm.Filter {
	switch f := f.(type) {
	case nil:
		return nil
	case crm.Condition:
		return c.condition(e, f, path)
	case *crm.Condition:
		if f != nil {
			return c.condition(e, *f, path)
		}
	case crm.Group:
		return c.group(e, f, path)
	case *crm.Group:
		if f != nil {
			return c.group(e, *f, path)
		}
	case crm.Related:
		return c.relatedFilter(e, f, path)
	case *crm.Related:
		if f != nil {
			return c.relatedFilter(e, *f, path)
		}
	case crm.Exists:
		return c.existsFilter(e, f, path)
	case *crm.Exists:
		if f != nil {
			return c.existsFilter(e, *f, path)
		}
	case crm.DiffCondition:
		return c.diffCondition(e, f, path)
	case *crm.DiffCondition:
		if f != nil {
			return c.diffCondition(e, *f, path)
		}
	default:
		c.verr.Add(path+"where", "has a filter of unknown type %T", f)
		return nil
	}
	// A nil pointer in a non-nil interface: a bug in the caller's code,
	// not "no filter".
	c.verr.Add(path+"where", "has a nil %T", f)
	return nil
}

// group lowers g. An And inside an And (an Or inside an Or, a Between
// inside an And) is the same filter without the nesting, so it is
// flattened: a chain of one kind, however deep, becomes one group.
func (c *planner) group(e *crm.Entity, g crm.Group, path string) crm.Filter {
	out := crm.Group{Or: g.Or, Filters: make([]crm.Filter, 0, len(g.Filters))}
	for _, f := range g.Filters {
		if f == nil {
			continue
		}
		sub := c.filter(e, f, path)
		if sg, ok := sub.(crm.Group); ok && sg.Or == g.Or {
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
func (c *planner) checkShape(where crm.Filter) {
	var conditions int
	var depth func(f crm.Filter) int
	depth = func(f crm.Filter) int {
		switch f := f.(type) {
		case crm.Condition, crm.DiffCondition:
			conditions++
		case crm.Group:
			d := 0
			for _, sub := range f.Filters {
				d = max(d, depth(sub))
			}
			return d + 1
		case crm.Related:
			return depth(f.Where) + 1
		case crm.Exists:
			return depth(f.Where) + 1
		}
		return 0
	}
	if d := depth(where); d > crm.MaxFilterDepth {
		c.verr.Add("where", "is nested more than %d deep (%d groups and related-record conditions inside one another)", crm.MaxFilterDepth, d)
	}
	if conditions > crm.MaxConditions {
		c.verr.Add("where", "has %d conditions, more than the %d allowed", conditions, crm.MaxConditions)
	}
}

func (c *planner) relatedFilter(e *crm.Entity, r crm.Related, path string) crm.Filter {
	c.related++
	f, ok := e.Field(r.Lookup)
	if !ok || f.Type != crm.TypeLookup {
		c.verr.Add(path+r.Lookup, "is not a lookup field of %s", e.Name)
		return nil
	}
	if r.Entity == "" && len(f.Targets) == 1 {
		r.Entity = f.Targets[0]
	}
	if !slices.Contains(f.Targets, r.Entity) {
		c.verr.Add(path+r.Lookup, "cannot point at %q records", r.Entity)
		return nil
	}
	target, err := c.reg.Entity(r.Entity)
	if err != nil {
		c.verr.Add(path+r.Lookup, "points at %q, which has no metadata here", r.Entity)
		return nil
	}
	return crm.Related{Lookup: r.Lookup, Entity: r.Entity, Where: c.filter(target, r.Where, path+r.Lookup+".")}
}

// key converts a condition value to the field's sort-key form, reporting a
// reason when it cannot.
func (c *planner) key(f *crm.Field, v any) (any, string) {
	if v == nil {
		return nil, "compares with nil: use the null and not-null operators"
	}
	if f.Type == crm.TypeLookup || f.Type == crm.TypeID {
		switch r := v.(type) {
		case crm.ID:
			return r, ""
		case crm.Ref:
			if f.Type == crm.TypeLookup && r.Entity != "" && !slices.Contains(f.Targets, r.Entity) {
				return nil, fmt.Sprintf("names a %q record, which the lookup cannot point at (allowed: %v)", r.Entity, f.Targets)
			}
			if f.Type == crm.TypeLookup && f.IsPolymorphic() && r.Entity != "" {
				// IDs are unique per entity: on a lookup to several
				// entities, account K and contact K are different records.
				return r, ""
			}
			return r.ID, ""
		}
		return nil, fmt.Sprintf("wants an ID or a Ref, got %T", v)
	}
	switch f.Type {
	case crm.TypeDecimal:
		// A bound may have more places than the field keeps: "< 1.005".
		if d, ok := v.(decimal.Decimal); ok {
			d, reason := decimalBound(d)
			if reason != "" {
				return nil, reason
			}
			return d, ""
		}
	case crm.TypeMoney:
		// Money keeps its currency: a money condition only matches
		// amounts in the same currency.
		if m, ok := v.(crm.Money); ok {
			if !m.Currency.Valid() {
				return nil, fmt.Sprintf("currency %q is not known", m.Currency)
			}
			amount, reason := decimalBound(m.Amount)
			if reason != "" {
				return nil, reason
			}
			return crm.Money{Amount: amount, Currency: m.Currency}, ""
		}
	case crm.TypeTime:
		// A time bound is checked as a stored value is: no record holds
		// a time outside EarliestTime..LatestTime.
		return f.Canonical(v)
	}
	return f.Coerce(v)
}

// decimalBound is the sort key of a decimal condition value (see
// DecimalDigits): beyond ±10^DecimalDigits it is moved to that bound,
// which lies beyond every stored value as the original does, so every
// store gives the same answer cheaply.
func decimalBound(d decimal.Decimal) (decimal.Decimal, string) {
	d, r := crm.ReachOf(d)
	switch r {
	case crm.TooLarge:
		return decimal.New(int64(d.Sign()), crm.DecimalDigits), ""
	case crm.TooFine:
		return d, crm.OutOfReach
	}
	return d, ""
}

func (c *planner) condition(e *crm.Entity, cond crm.Condition, path string) crm.Filter {
	name := path + cond.Field
	f, ok := e.Field(cond.Field)
	if !ok {
		c.verr.Add(name, "is not a field of %s", e.Name)
		return nil
	}
	values, ok := c.userValues(e, f, cond, name)
	if !ok {
		return nil
	}
	cond.Values = values
	bad := func(format string, args ...any) crm.Filter {
		c.verr.Add(name, "%s: %s", cond.Op, fmt.Sprintf(format, args...))
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
	ordered := f.Type == crm.TypeText || f.Type == crm.TypeInteger || f.Type == crm.TypeDecimal ||
		f.Type == crm.TypeMoney || f.Type == crm.TypeTime || f.Type == crm.TypeChoice
	lower := func(op crm.Operator, v any) crm.Condition {
		return crm.Condition{Field: cond.Field, Op: op, Values: []any{v}}
	}

	switch op := cond.Op; op {
	case crm.OpUnder, crm.OpEqOrUnder, crm.OpAbove, crm.OpEqOrAbove, crm.OpNotUnder:
		return c.hierarchy(e, f, cond, bad)
	case crm.OpEqUserID, crm.OpNeUserID, crm.OpEqUserTeams, crm.OpEqUserOrUserTeams, crm.OpEqBusinessID, crm.OpNeBusinessID:
		return c.caller(e, f, cond, bad)
	case crm.OpNull, crm.OpNotNull:
		if !want(0) {
			return nil
		}
		return crm.Condition{Field: cond.Field, Op: op}
	case crm.OpEq, crm.OpNe, crm.OpLt, crm.OpLe, crm.OpGt, crm.OpGe:
		if op != crm.OpEq && op != crm.OpNe && !ordered {
			return bad("a %s field has no order", f.Type)
		}
		if !want(1) {
			return nil
		}
		if fv, ok := cond.Values[0].(crm.FieldValue); ok {
			return c.fieldComparison(e, f, cond, fv, name)
		}
		k, ok := keys()
		if !ok {
			return nil
		}
		return lower(op, k[0])
	case crm.OpIn, crm.OpNotIn:
		if f.Type == crm.TypeMoney || f.Type == crm.TypeTime || f.Type == crm.TypeBool {
			return bad("not for %s fields", f.Type)
		}
		if len(cond.Values) == 0 {
			return bad("wants at least one value")
		}
		k, ok := keys()
		if !ok {
			return nil
		}
		if slices.ContainsFunc(k, func(v any) bool { _, ok := v.(crm.Ref); return ok }) {
			// Refs on a lookup to several entities compare entity and ID:
			// one equality per value.
			var parts []crm.Filter
			for _, v := range k {
				if op == crm.OpIn {
					parts = append(parts, lower(crm.OpEq, v))
				} else {
					parts = append(parts, lower(crm.OpNe, v))
				}
			}
			if op == crm.OpIn {
				return crm.Or(parts...)
			}
			return crm.And(parts...)
		}
		return crm.Condition{Field: cond.Field, Op: op, Values: k}
	case crm.OpLike, crm.OpNotLike, crm.OpBeginsWith, crm.OpNotBeginWith, crm.OpEndsWith, crm.OpNotEndWith:
		if f.Type != crm.TypeText {
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
		case crm.OpBeginsWith:
			return lower(crm.OpLike, EscapeLike(s)+"%")
		case crm.OpNotBeginWith:
			return lower(crm.OpNotLike, EscapeLike(s)+"%")
		case crm.OpEndsWith:
			return lower(crm.OpLike, "%"+EscapeLike(s))
		case crm.OpNotEndWith:
			return lower(crm.OpNotLike, "%"+EscapeLike(s))
		}
		return lower(op, s)
	case crm.OpBetween, crm.OpNotBetween:
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
		if op == crm.OpBetween {
			return crm.And(lower(crm.OpGe, k[0]), lower(crm.OpLe, k[1]))
		}
		return crm.Or(lower(crm.OpLt, k[0]), lower(crm.OpGt, k[1]))
	}
	if f.Type != crm.TypeTime {
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
	var parts []crm.Filter
	if !lo.IsZero() {
		parts = append(parts, lower(crm.OpGe, lo))
	}
	if !hi.IsZero() {
		parts = append(parts, lower(crm.OpLt, hi))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return crm.And(parts...)
}

// dateRange turns a date operator into [lo, hi); a zero bound is open.
//
// Days are counted as calendar dates (wall midnights in zone) and only
// turned into instants at the end, so that a day across a daylight saving
// change is still one day.
func (c *planner) dateRange(f *crm.Field, cond crm.Condition) (lo, hi time.Time, reason string) {
	lo, hi, reason = c.dateRangeIn(f, cond)
	if !lo.IsZero() {
		lo = lo.UTC()
	}
	if !hi.IsZero() {
		hi = hi.UTC()
	}
	return lo, hi, reason
}

func (c *planner) dateRangeIn(f *crm.Field, cond crm.Condition) (lo, hi time.Time, reason string) {
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
		v := crm.NormalizeTime(t) // the instant, as a time field stores it
		if f.DateOnly {
			// The calendar date the value shows, as Coerce stores it:
			// otherwise "on" a local date would miss the records saved
			// with that same value.
			v = day(t)
		}
		if reason := f.CheckRange(v); reason != "" {
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
		n, ok := crm.IntValue(cond.Values[0])
		return int(n), ok && n > 0 && n <= 100_000
	}
	noValues := len(cond.Values) == 0
	switch cond.Op {
	case crm.OpOn, crm.OpOnOrBefore, crm.OpOnOrAfter:
		d, reason := oneTime()
		if reason != "" {
			return lo, hi, reason
		}
		switch cond.Op {
		case crm.OpOn:
			return d, d.AddDate(0, 0, 1), ""
		case crm.OpOnOrBefore:
			return lo, d.AddDate(0, 0, 1), ""
		}
		return d, hi, ""
	case crm.OpToday, crm.OpYesterday, crm.OpTomorrow, crm.OpThisMonth, crm.OpLastMonth, crm.OpNextMonth, crm.OpThisYear, crm.OpLastYear:
		if !noValues {
			return lo, hi, "takes no value"
		}
		switch cond.Op {
		case crm.OpToday:
			return today, today.AddDate(0, 0, 1), ""
		case crm.OpYesterday:
			return today.AddDate(0, 0, -1), today, ""
		case crm.OpTomorrow:
			return today.AddDate(0, 0, 1), today.AddDate(0, 0, 2), ""
		case crm.OpThisMonth:
			return month, month.AddDate(0, 1, 0), ""
		case crm.OpLastMonth:
			return month.AddDate(0, -1, 0), month, ""
		case crm.OpNextMonth:
			return month.AddDate(0, 1, 0), month.AddDate(0, 2, 0), ""
		case crm.OpThisYear:
			return year, year.AddDate(1, 0, 0), ""
		}
		return year.AddDate(-1, 0, 0), year, ""
	case crm.OpLastXDays, crm.OpNextXDays, crm.OpLastXHours, crm.OpOlderThanXDays:
		n, ok := count()
		if !ok {
			return lo, hi, "wants one whole number from 1 to 100000"
		}
		switch cond.Op {
		case crm.OpLastXDays:
			return today.AddDate(0, 0, -n), today.AddDate(0, 0, 1), ""
		case crm.OpNextXDays:
			return today, today.AddDate(0, 0, n+1), ""
		case crm.OpLastXHours:
			if f.DateOnly {
				return lo, hi, "needs a time of day; the field is date-only"
			}
			return crm.NormalizeTime(c.now.Add(-time.Duration(n) * time.Hour)), crm.NormalizeTime(c.now).Add(crm.TimePrecision), ""
		}
		return lo, crm.NormalizeTime(c.now.In(c.loc).AddDate(0, 0, -n)), ""
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
	case t.Before(crm.EarliestTime):
		return crm.EarliestTime
	case t.After(crm.LatestTime):
		return crm.LatestTime.Add(crm.TimePrecision)
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
func SortKey(f *crm.Field, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case crm.Ref:
		return x.ID
	case crm.Money:
		if f.Type == crm.TypeMoney {
			return x.Amount
		}
	}
	return v
}

// Cursor returns the cursor that continues the plan after rec.
func (p *Plan) Cursor(rec crm.Record) crm.Cursor {
	vals := make([]*string, len(p.OrderBy))
	for i, o := range p.OrderBy {
		f, _ := p.Entity.Field(o.Field)
		if k := SortKey(f, rec.Value(o.Field)); k != nil {
			s := encodeKey(k)
			vals[i] = &s
		}
	}
	b, _ := json.Marshal(cursorData{Order: p.orderSignature(), Keys: vals})
	return crm.Cursor(base64.RawURLEncoding.EncodeToString(b))
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

func (p *Plan) decodeCursor(c crm.Cursor) ([]any, error) {
	bad := crm.Invalid(p.Entity.Name, "after", "is not a cursor of this query")
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
	case crm.ID:
		return v.String()
	}
	return fmt.Sprint(k)
}

func decodeKey(f *crm.Field, s string) (any, error) {
	switch f.Type {
	case crm.TypeText:
		// A key comes from a stored value: text no field can hold (a
		// NUL, invalid UTF-8) is forged, and no store could compare it
		// the same way.
		if _, reason := f.Coerce(s); reason != "" {
			return nil, fmt.Errorf("text key %s", reason)
		}
		return s, nil
	case crm.TypeInteger:
		return strconv.ParseInt(s, 10, 64)
	case crm.TypeChoice:
		n, err := strconv.ParseInt(s, 10, 32)
		return int32(n), err
	case crm.TypeDecimal, crm.TypeMoney:
		// A key comes from a stored value: one out of reach is forged,
		// and refused before any arithmetic on it.
		d, err := decimal.NewFromString(s)
		if err != nil {
			return nil, err
		}
		if d, r := crm.ReachOf(d); r == crm.InReach {
			return d, nil
		}
		return nil, fmt.Errorf("decimal key %s", crm.OutOfReach)
	case crm.TypeBool:
		return strconv.ParseBool(s)
	case crm.TypeTime:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, err
		}
		if t = crm.NormalizeTime(t); f.CheckRange(t) != "" {
			return nil, fmt.Errorf("time key %q is out of range", s)
		}
		return t, nil
	case crm.TypeLookup, crm.TypeID:
		return crm.ParseID(s)
	}
	return nil, fmt.Errorf("no key for %s", f.Type)
}
