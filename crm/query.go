package crm

import (
	"fmt"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// Operator is a condition operator. The names are FetchXML's.
type Operator int

// Condition operators. Comparisons never match null: a null field fails
// every operator except Null. Text comparisons ignore the case of ASCII
// letters, as Dynamics' do.
const (
	OpEq             Operator = iota + 1 // equal
	OpNe                                 // not equal
	OpLt                                 // less than
	OpLe                                 // less than or equal
	OpGt                                 // greater than
	OpGe                                 // greater than or equal
	OpLike                               // SQL LIKE: % any run, _ one character, \ escapes
	OpNotLike                            // not LIKE
	OpBeginsWith                         // text starts with the value
	OpNotBeginWith                       // text does not start with the value
	OpEndsWith                           // text ends with the value
	OpNotEndWith                         // text does not end with the value
	OpIn                                 // equal to one of the values
	OpNotIn                              // equal to none of the values
	OpNull                               // no value
	OpNotNull                            // any value
	OpBetween                            // inclusive range of two values
	OpNotBetween                         // outside the inclusive range
	OpOn                                 // time on the given day (UTC)
	OpOnOrBefore                         // time on or before the given day
	OpOnOrAfter                          // time on or after the given day
	OpToday                              // time today
	OpYesterday                          // time yesterday
	OpTomorrow                           // time tomorrow
	OpLastXDays                          // time in the last N days, today included
	OpNextXDays                          // time in the next N days, today included
	OpLastXHours                         // time in the last N hours (not on date-only fields)
	OpThisMonth                          // time in the current calendar month
	OpLastMonth                          // time in the previous calendar month
	OpNextMonth                          // time in the next calendar month
	OpThisYear                           // time in the current calendar year
	OpLastYear                           // time in the previous calendar year
	OpOlderThanXDays                     // time before now minus N days

	// Hierarchy operators, on the ID field (FieldID) of an entity with a
	// hierarchical lookup (Field.Hierarchical), with one record ID as the
	// value, as FetchXML puts them on the primary key. They follow that
	// lookup at most MaxHierarchyDepth levels.
	OpUnder     // strict descendants of the record, at any depth
	OpEqOrUnder // the record and its descendants
	OpAbove     // strict ancestors of the record
	OpEqOrAbove // the record and its ancestors
	OpNotUnder  // every record that is not a descendant: the record itself and records with no parent included

	// Caller operators take no value: they compare with the reading
	// scope (Scope). A query using one must be read in a scope naming
	// a caller (and, for the business unit operators, a business unit).
	OpEqUserID          // lookup or ID = the caller
	OpNeUserID          // lookup or ID <> the caller (never null)
	OpEqUserTeams       // lookup or ID is one of the caller's teams
	OpEqUserOrUserTeams // lookup or ID is the caller or one of the caller's teams
	OpEqBusinessID      // lookup or ID = the caller's business unit
	OpNeBusinessID      // lookup or ID <> the caller's business unit (never null)
)

var operatorNames = [...]string{
	OpEq: "eq", OpNe: "ne", OpLt: "lt", OpLe: "le", OpGt: "gt", OpGe: "ge",
	OpLike: "like", OpNotLike: "not-like", OpBeginsWith: "begins-with", OpNotBeginWith: "not-begin-with",
	OpEndsWith: "ends-with", OpNotEndWith: "not-end-with", OpIn: "in", OpNotIn: "not-in",
	OpNull: "null", OpNotNull: "not-null", OpBetween: "between", OpNotBetween: "not-between",
	OpOn: "on", OpOnOrBefore: "on-or-before", OpOnOrAfter: "on-or-after",
	OpToday: "today", OpYesterday: "yesterday", OpTomorrow: "tomorrow",
	OpLastXDays: "last-x-days", OpNextXDays: "next-x-days", OpLastXHours: "last-x-hours",
	OpThisMonth: "this-month", OpLastMonth: "last-month", OpNextMonth: "next-month",
	OpThisYear: "this-year", OpLastYear: "last-year", OpOlderThanXDays: "olderthan-x-days",
	OpUnder: "under", OpEqOrUnder: "eq-or-under", OpAbove: "above", OpEqOrAbove: "eq-or-above", OpNotUnder: "not-under",
	OpEqUserID: "eq-userid", OpNeUserID: "ne-userid", OpEqUserTeams: "eq-userteams", OpEqUserOrUserTeams: "eq-useroruserteams",
	OpEqBusinessID: "eq-businessid", OpNeBusinessID: "ne-businessid",
}

func (o Operator) String() string {
	if o > 0 && int(o) < len(operatorNames) {
		return operatorNames[o]
	}
	return fmt.Sprintf("Operator(%d)", int(o))
}

// ParseOperator returns the operator with a FetchXML name such as "eq".
func ParseOperator(name string) (Operator, error) {
	for i, n := range operatorNames {
		if n == name && i > 0 {
			return Operator(i), nil
		}
	}
	return 0, fmt.Errorf("parse operator %q: %w", name, ErrNotFound)
}

// Filter is a condition on records: a Condition, an And/Or Group, a
// Related condition on the record a lookup points at, an Exists
// condition on the records whose lookup points at this one, or a
// DiffCondition on the days or hours between two time fields. The nil
// Filter matches every record.
type Filter interface{ filter() }

// Condition compares one field with values. A value may be another field
// of the same record (ValueOf), with eq, ne, lt, le, gt and ge.
type Condition struct {
	Field  string
	Op     Operator
	Values []any
}

// Group joins filters: all of them (And) or any of them (Or). An empty And
// matches everything; an empty Or matches nothing.
type Group struct {
	Or      bool
	Filters []Filter
}

// Related holds when the record that Lookup points at is an Entity record
// matching Where: "contacts whose parent account is in Paris".
type Related struct {
	Lookup string // a lookup field of the queried entity
	Entity string // the target entity; may be empty for a single-target lookup
	Where  Filter
}

// Exists holds when some record of Entity whose Lookup points at the
// queried record matches Where ("accounts with a won opportunity"), or,
// with Not, when none does ("contacts with no activity in 90 days"). It
// is the other direction of Related: Lookup is a field of Entity, the
// child, and must be able to point at the queried entity; through a
// lookup to several entities (a parent customer) it matches the entity
// and the ID. Dynamics calls it a link-entity of type any / not any.
type Exists struct {
	Entity string // the referring (child) entity
	Lookup string // its lookup field that points at the queried record
	Where  Filter // nil: any child at all
	Not    bool   // none matches, rather than some
}

func (Condition) filter() {}
func (Group) filter()     {}
func (Related) filter()   {}
func (Exists) filter()    {}

// Where returns a condition on field.
func Where(field string, op Operator, values ...any) Condition {
	return Condition{Field: field, Op: op, Values: values}
}

// Eq returns field = v.
func Eq(field string, v any) Condition { return Where(field, OpEq, v) }

// Ne returns field <> v.
func Ne(field string, v any) Condition { return Where(field, OpNe, v) }

// Lt returns field < v.
func Lt(field string, v any) Condition { return Where(field, OpLt, v) }

// Le returns field <= v.
func Le(field string, v any) Condition { return Where(field, OpLe, v) }

// Gt returns field > v.
func Gt(field string, v any) Condition { return Where(field, OpGt, v) }

// Ge returns field >= v.
func Ge(field string, v any) Condition { return Where(field, OpGe, v) }

// Like returns field LIKE pattern.
func Like(field, pattern string) Condition { return Where(field, OpLike, pattern) }

// BeginsWith returns "field starts with prefix".
func BeginsWith(field, prefix string) Condition { return Where(field, OpBeginsWith, prefix) }

// In returns "field is one of values".
func In(field string, values ...any) Condition { return Where(field, OpIn, values...) }

// NotIn returns "field is none of values".
func NotIn(field string, values ...any) Condition { return Where(field, OpNotIn, values...) }

// IsNull returns "field has no value".
func IsNull(field string) Condition { return Where(field, OpNull) }

// NotNull returns "field has a value".
func NotNull(field string) Condition { return Where(field, OpNotNull) }

// Between returns lo <= field <= hi.
func Between(field string, lo, hi any) Condition { return Where(field, OpBetween, lo, hi) }

// Under returns "the record is a descendant of id" (at most
// MaxHierarchyDepth levels below it), on the ID of an entity with a
// hierarchical lookup.
func Under(id ID) Condition { return Where(FieldID, OpUnder, id) }

// EqOrUnder returns "the record is id or one of its descendants".
func EqOrUnder(id ID) Condition { return Where(FieldID, OpEqOrUnder, id) }

// Above returns "the record is an ancestor of id" (at most
// MaxHierarchyDepth levels above it).
func Above(id ID) Condition { return Where(FieldID, OpAbove, id) }

// EqOrAbove returns "the record is id or one of its ancestors".
func EqOrAbove(id ID) Condition { return Where(FieldID, OpEqOrAbove, id) }

// NotUnder returns "the record is not a descendant of id": id itself and
// records outside its subtree match.
func NotUnder(id ID) Condition { return Where(FieldID, OpNotUnder, id) }

// And returns a group matching records that match every filter.
func And(filters ...Filter) Group { return Group{Filters: filters} }

// Or returns a group matching records that match any filter.
func Or(filters ...Filter) Group { return Group{Or: true, Filters: filters} }

// Through returns a condition on the entity record that lookup points at.
func Through(lookup, entity string, where Filter) Related {
	return Related{Lookup: lookup, Entity: entity, Where: where}
}

// Any returns a condition that holds when some record of entity whose
// lookup points at the queried record matches where.
func Any(entity, lookup string, where Filter) Exists {
	return Exists{Entity: entity, Lookup: lookup, Where: where}
}

// None returns a condition that holds when no record of entity whose
// lookup points at the queried record matches where: with a nil where,
// records nothing refers to through lookup.
func None(entity, lookup string, where Filter) Exists {
	return Exists{Entity: entity, Lookup: lookup, Where: where, Not: true}
}

// Order sorts by one field.
type Order struct {
	Field string
	Desc  bool
}

// Asc sorts by field, smallest first (nulls first).
func Asc(field string) Order { return Order{Field: field} }

// Desc sorts by field, largest first (nulls last).
func Desc(field string) Order { return Order{Field: field, Desc: true} }

// Paging limits, from Dynamics.
const (
	DefaultPageSize = 5000
	MaxPageSize     = 5000
	// MaxRelated is how many related-record conditions (Related and
	// Exists) one query may hold: Dynamics' 15 link-entities. A condition
	// through a many-to-many relationship is two (ManyToMany.Any).
	MaxRelated = 15
)

// Filter limits. A query past one fails with a *ValidationError naming
// "where" on every store alike: without them a SQL store would refuse
// filters that the memory store answers (SQLite nests expressions at
// most 1000 deep and binds at most 32766 values a statement).
const (
	// MaxFilterDepth is how deep groups and related-record conditions
	// (Related, Exists) may nest inside one another, counted after the planner has
	// flattened an And inside an And (an Or inside an Or): an And of
	// Ors of Ands is three deep, an And of thousands of conditions one.
	MaxFilterDepth = 32
	// MaxConditions is how many conditions one filter may hold (Between
	// counts as two). An In condition is one, whatever its values: use In
	// for a long list of values. SQLite compiles a statement in time
	// that grows with the square of the values it binds, a second or so
	// at this limit.
	MaxConditions = 5_000
)

// MaxHierarchyDepth is how many levels the hierarchy operators follow a
// hierarchical lookup, as Dynamics caps its hierarchical queries at 100
// recursions: under and eq-or-under reach records at most this many
// levels below the value, above and eq-or-above at most this many
// levels above it, and not-under matches exactly the records under does
// not (so a record deeper than this below the value is "not under" it).
// The write path refuses cycles; the cap also bounds the work a
// hierarchy stored before that rule, or deeper than any real one, can
// cause. Every store applies it alike.
const MaxHierarchyDepth = 100

// Query selects records of one entity.
type Query struct {
	Entity  string
	Where   Filter
	OrderBy []Order // the record ID is always the last tiebreak
	// Limit is the page size for a page query (0 means DefaultPageSize).
	// Iteration ignores it unless it is set, and then stops after Limit
	// records.
	Limit int
	// After continues from the page that returned this cursor.
	After Cursor
}

// Cursor marks the end of one page of a query: keyset paging, so a page is
// as fast at the millionth row as at the first and no row is skipped or
// repeated when rows are added between pages. It is opaque.
type Cursor string

// Page is one page of a query's results, as records (storage.Store.Query).
type Page = PageOf[Record]

// PageOf is one page of a query's results, as records (Page) or as the Go
// values of a typed table (storage.Table.Query): one shape for both.
type PageOf[T any] struct {
	Records []T
	// Next continues the query after this page; empty when More is false.
	Next Cursor
	More bool
}

// Aggregate functions. Nulls are ignored by every function but Count.
type AggFunc int

// Aggregate functions.
const (
	AggCount       AggFunc = iota + 1 // rows
	AggCountColumn                    // non-null values of a field
	AggSum                            // sum (integer, decimal, money)
	AggAvg                            // average (integer, decimal, money), rounded to AvgPlaces
	AggMin                            // smallest value
	AggMax                            // largest value
	// AggCountDistinct counts the distinct non-null values of a field
	// (Dynamics' countcolumn with distinct="true"): text by its exact
	// bytes, as a group by text keeps "Paris" and "paris" apart; a lookup
	// by the record it points at. Not for money: an amount is not one
	// value across currencies.
	AggCountDistinct
)

var aggNames = [...]string{AggCount: "count", AggCountColumn: "countcolumn", AggSum: "sum", AggAvg: "avg", AggMin: "min", AggMax: "max",
	AggCountDistinct: "countdistinct"}

func (a AggFunc) String() string {
	if a > 0 && int(a) < len(aggNames) {
		return aggNames[a]
	}
	return fmt.Sprintf("AggFunc(%d)", int(a))
}

// ParseAggFunc returns the aggregate function with a FetchXML name such
// as "sum".
func ParseAggFunc(name string) (AggFunc, error) {
	for i, n := range aggNames {
		if n == name && i > 0 {
			return AggFunc(i), nil
		}
	}
	return 0, fmt.Errorf("parse aggregate function %q: %w", name, ErrNotFound)
}

// AvgPlaces is the number of decimal places an average of integers or
// decimals is rounded to (half away from zero). A money average is rounded
// the same way to its field's places (Field.MoneyPlaces): the currency's,
// the pricing precision or the field's own.
const AvgPlaces = 10

// DateGrouping groups a time field by a calendar unit of UTC, on every
// store and whatever the caller's time zone (Scope.Location): Dynamics
// groups date-and-time fields in the user's zone, which would need the
// zone's rules row by row in SQL; crmkit does not do that yet.
type DateGrouping int

// Date groupings. The group key is the first instant of the unit.
const (
	ByValue DateGrouping = iota // the value itself
	ByDay
	ByMonth
	ByYear
)

var dateGroupingNames = [...]string{ByValue: "value", ByDay: "day", ByMonth: "month", ByYear: "year"}

// String returns the grouping's name: "value", or FetchXML's "day",
// "month" and "year".
func (g DateGrouping) String() string {
	if g >= 0 && int(g) < len(dateGroupingNames) {
		return dateGroupingNames[g]
	}
	return fmt.Sprintf("DateGrouping(%d)", int(g))
}

// ParseDateGrouping returns the date grouping with a name String gives.
func ParseDateGrouping(name string) (DateGrouping, error) {
	for i, n := range dateGroupingNames {
		if n == name {
			return DateGrouping(i), nil
		}
	}
	return 0, fmt.Errorf("parse date grouping %q: %w", name, ErrNotFound)
}

// Measure is one computed column of an aggregation.
type Measure struct {
	Alias string // the result key; must be unique among measures and groups
	Func  AggFunc
	Field string // not used by AggCount
	// Diff measures a date difference instead of a field: the average
	// days from created to closed is Measure{Alias: "days", Func: AggAvg,
	// Diff: DaysBetween("createdon", "actualclosedate")}. Field is then
	// empty. It takes CountColumn, Sum, Avg, Min and Max; sums, minimums
	// and maximums are int64, averages decimals to AvgPlaces, and records
	// where the difference is null are left out.
	Diff DateDiff
}

// GroupBy is one grouping column of an aggregation.
type GroupBy struct {
	Alias string // the result key; defaults to Field, required with a Path
	Field string
	Date  DateGrouping
	// Path groups by a field of a related record: the lookups followed
	// from the aggregated record, each to the record it points at, Field
	// then being a field of the last one ("won revenue by the region of
	// the owner's team"). A record whose chain is broken (a null lookup,
	// a lookup to another entity than the step names, a record gone)
	// falls in the group whose key is null.
	Path []Link
	// Label asks for the key's display text beside it, under the alias
	// with LabelSuffix (read it with AggregateRow.Label): the primary
	// name of the record a lookup key points at, the label of a choice
	// key's option. Only for lookup and choice keys.
	Label bool
}

// Link is one step of a GroupBy Path: a lookup and the entity it points
// at, as Related names them. Entity may be empty for a lookup to one
// entity; a lookup to several (a customer, a regarding, an owner) must
// name the one to follow.
type Link struct {
	Lookup string
	Entity string
}

// LabelSuffix ends the key under which an AggregateRow holds the display
// text of a group key (GroupBy.Label): "owner@label" for alias "owner".
const LabelSuffix = "@label"

// Aggregation computes measures over the records of one entity that match a
// filter, grouped by fields, in the store: records are never loaded to be
// counted. Rows come back ordered by the group keys, nulls first, unless
// OrderBy says otherwise.
type Aggregation struct {
	Entity   string
	Where    Filter
	GroupBy  []GroupBy
	Measures []Measure
	// Having keeps only the groups whose measures meet every condition
	// (FetchXML has none; SQL's HAVING): the Field of each is a measure
	// alias, the operator one of eq, ne, lt, le, gt, ge, between,
	// not-between, null and not-null, the values of the measure's type: an
	// int64 for a count or a sum of whole numbers, a decimal for a sum of
	// decimals or any average of numbers, a Money for money (and it holds
	// only for a group whose amount is in that currency, as a money
	// condition in Where does). A null measure meets only null.
	Having []Condition
	// OrderBy orders the groups by group or measure aliases (nulls first
	// ascending, last descending; money by its amount); ties are broken by
	// the group keys, so every store returns the same rows in the same
	// order. Empty means by the group keys.
	OrderBy []Order
	// Limit keeps the first Limit groups after Having and OrderBy ("top 5
	// agents by won revenue"); 0 keeps them all.
	Limit int
}

// AggregateRow is one group: its keys and measures by alias. A sum, min, max
// or average over no values is nil, and so is the key of the group of
// records where the field is null.
//
// The accessors read a value by alias in its Go type, so callers need not
// type-assert: a count or a sum of a whole-number field is an int64 (Int),
// a sum, min or max of a decimal field and every average of a number is a
// decimal.Decimal (Decimal), of a money field a Money (Money); group keys
// are the field's own type (String, Bool, Time, Choice, Ref). An accessor
// returns the zero value (and false, where it returns a bool) when the
// alias is absent, nil, or of another type.
type AggregateRow map[string]any

// Int returns an integer value (a count, a sum of a whole-number field),
// or 0.
func (r AggregateRow) Int(alias string) int64 { n, _ := r[alias].(int64); return n }

// Decimal returns a decimal value, an integer one as a decimal, or the
// Amount of a money one; false when there is none.
func (r AggregateRow) Decimal(alias string) (decimal.Decimal, bool) {
	switch v := r[alias].(type) {
	case decimal.Decimal:
		return v, true
	case int64:
		return decimal.NewFromInt(v), true
	case Money:
		return v.Amount, true
	}
	return decimal.Decimal{}, false
}

// Money returns a money value, and false when there is none.
func (r AggregateRow) Money(alias string) (Money, bool) { m, ok := r[alias].(Money); return m, ok }

// String returns a text value, or "".
func (r AggregateRow) String(alias string) string { s, _ := r[alias].(string); return s }

// Bool returns a yes/no value, or false.
func (r AggregateRow) Bool(alias string) bool { b, _ := r[alias].(bool); return b }

// Time returns a time value (a date group's first instant, a min or max of
// a time field), or the zero time.
func (r AggregateRow) Time(alias string) time.Time { t, _ := r[alias].(time.Time); return t }

// Choice returns a choice value (an option, a state, a status reason), and
// false when there is none.
func (r AggregateRow) Choice(alias string) (int32, bool) { c, ok := r[alias].(int32); return c, ok }

// Ref returns a lookup value, or the zero Ref; storage.Store.Names gives
// the display names of such keys.
func (r AggregateRow) Ref(alias string) Ref { ref, _ := r[alias].(Ref); return ref }

// ChoiceLabel returns the label of the choice value at alias from f, the
// choice field it groups (Entity.Field, or the state and status reason of
// Entity.Lifecycle as options): "" when there is none, the number when f
// has no such option.
func (r AggregateRow) ChoiceLabel(alias string, f *Field) string {
	v, ok := r.Choice(alias)
	if !ok {
		return ""
	}
	if l, ok := f.OptionLabel(v); ok {
		return l
	}
	return strconv.Itoa(int(v))
}
