package crm

import "fmt"

// FieldValue is a condition value that stands for another field of the
// same record, FetchXML's valueof: Gt("actualclosedate",
// ValueOf("estimatedclosedate")) holds for the records closed after the
// date they were expected to close.
//
// It takes the operators eq, ne, lt, le, gt and ge (ordered fields only for
// the last four), and both fields must be of one type:
//
//   - text compares as text conditions do, ignoring the case of ASCII
//     letters;
//   - decimals of different precisions compare by value;
//   - money compares amounts where both fields hold one currency: the
//     money fields of a record share its currency when multi-currency is
//     on; a record whose two amounts are in different currencies (possible
//     without a base currency) matches no comparison, as a money condition
//     in another currency matches none. A base field ("_base") compares
//     only with another base field: a base amount and a transaction amount
//     are in different currencies but on records in the base currency;
//   - a date-only field compares only with another date-only field, and a
//     date-and-time field with another date-and-time field: a date and an
//     instant have no order without a time zone. DaysBetween compares
//     their calendar days;
//   - lookups and IDs are not compared field to field.
//
// A record where either field is null matches no comparison, ne included.
type FieldValue struct{ Field string }

// ValueOf returns the condition value that stands for field of the same
// record.
func ValueOf(field string) FieldValue { return FieldValue{Field: field} }

func (v FieldValue) String() string { return "valueof(" + v.Field + ")" }

// DiffUnit is the unit DateDiff counts in.
type DiffUnit int

// Units of a DateDiff.
const (
	Days  DiffUnit = iota + 1 // calendar days (UTC): Dynamics' DIFFINDAYS
	Hours                     // clock hours (UTC): Dynamics' DIFFINHOURS
)

func (u DiffUnit) String() string {
	switch u {
	case Days:
		return "days"
	case Hours:
		return "hours"
	}
	return fmt.Sprintf("DiffUnit(%d)", int(u))
}

// DateDiff is the whole number of day (or hour) boundaries of UTC crossed
// from the time field From to the time field To of one record, as
// Dynamics' DIFFINDAYS and DIFFINHOURS count them: from 23:59 on 1 March to
// 00:01 on 2 March is one day, from 00:01 to 23:59 on one day is none, and
// it is negative when To is earlier than From. It is null when either
// field is; a null matches no condition and is left out of a measure.
//
// Whole units, never fractions: every store computes the same integers
// exactly. Date-only fields are their date's midnight UTC, so the days
// between two of them are the days between the dates; Hours refuses them,
// having no time of day.
type DateDiff struct {
	From, To string
	Unit     DiffUnit
}

// DaysBetween returns the calendar days (UTC) from the time field from to
// the time field to.
func DaysBetween(from, to string) DateDiff { return DateDiff{From: from, To: to, Unit: Days} }

// HoursBetween returns the hour boundaries (UTC) from the time field from
// to the time field to.
func HoursBetween(from, to string) DateDiff { return DateDiff{From: from, To: to, Unit: Hours} }

// IsZero reports whether d names no fields: a Measure without a DateDiff.
func (d DateDiff) IsZero() bool { return d == DateDiff{} }

func (d DateDiff) String() string {
	return fmt.Sprintf("%s(%s, %s)", d.Unit, d.From, d.To)
}

// Eq returns "the difference is n".
func (d DateDiff) Eq(n int64) DiffCondition { return DiffCondition{Diff: d, Op: OpEq, Value: n} }

// Ne returns "the difference is not n" (a null difference is neither).
func (d DateDiff) Ne(n int64) DiffCondition { return DiffCondition{Diff: d, Op: OpNe, Value: n} }

// Lt returns "the difference is less than n".
func (d DateDiff) Lt(n int64) DiffCondition { return DiffCondition{Diff: d, Op: OpLt, Value: n} }

// Le returns "the difference is at most n".
func (d DateDiff) Le(n int64) DiffCondition { return DiffCondition{Diff: d, Op: OpLe, Value: n} }

// Gt returns "the difference is more than n": DaysBetween("createdon",
// "actualclosedate").Gt(30) holds for the records closed more than 30 days
// after they were created.
func (d DateDiff) Gt(n int64) DiffCondition { return DiffCondition{Diff: d, Op: OpGt, Value: n} }

// Ge returns "the difference is at least n".
func (d DateDiff) Ge(n int64) DiffCondition { return DiffCondition{Diff: d, Op: OpGe, Value: n} }

// DiffCondition compares a DateDiff of each record with a number: a
// Filter, next to Condition. Its operators are eq, ne, lt, le, gt and ge;
// a record where the difference is null matches none of them.
type DiffCondition struct {
	Diff  DateDiff
	Op    Operator
	Value int64
}

func (DiffCondition) filter() {}
