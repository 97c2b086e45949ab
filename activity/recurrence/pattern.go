package recurrence

import (
	"strconv"
	"strings"
	"time"

	"github.com/crmkit/crmkit/crm"
)

// Entity is the logical name of the Dynamics entity whose fields a Pattern
// mirrors; validation errors carry it.
const Entity = "recurringappointmentmaster"

// PatternType is recurrencepatterntype. Its values are Dynamics' option
// values and never change.
type PatternType int32

// PatternType values.
const (
	Daily   PatternType = 0
	Weekly  PatternType = 1
	Monthly PatternType = 2
	Yearly  PatternType = 3
)

// Valid reports whether t is one of the four pattern types.
func (t PatternType) Valid() bool { return t >= Daily && t <= Yearly }

func (t PatternType) String() string {
	switch t {
	case Daily:
		return "Daily"
	case Weekly:
		return "Weekly"
	case Monthly:
		return "Monthly"
	case Yearly:
		return "Yearly"
	}
	return "PatternType(" + strconv.Itoa(int(t)) + ")"
}

// EndType is patternendtype. Its values are Dynamics' option values.
type EndType int32

// EndType values.
const (
	NoEndDate           EndType = 1 // the series never ends
	EndAfterOccurrences EndType = 2 // the series ends after Occurrences instances
	EndByDate           EndType = 3 // the series ends on the last match on or before EndDate
)

// Valid reports whether t is one of the three end types.
func (t EndType) Valid() bool { return t >= NoEndDate && t <= EndByDate }

func (t EndType) String() string {
	switch t {
	case NoEndDate:
		return "No End Date"
	case EndAfterOccurrences:
		return "Occurrences"
	case EndByDate:
		return "Pattern End Date"
	}
	return "EndType(" + strconv.Itoa(int(t)) + ")"
}

// Days is daysofweekmask: a set of weekdays as Dynamics stores it, Sunday 1,
// Monday 2, Tuesday 4 … Saturday 64. Bit i is time.Weekday(i), so Go's and
// .NET's weekday numbering (0 = Sunday) both index it.
type Days int32

// Days values: single days and the three sets the Nth forms accept.
const (
	Sunday      Days = 1
	Monday      Days = 2
	Tuesday     Days = 4
	Wednesday   Days = 8
	Thursday    Days = 16
	Friday      Days = 32
	Saturday    Days = 64
	Weekdays    Days = 62  // Monday–Friday: "weekday" in the Nth forms, and every-weekday
	WeekendDays Days = 65  // Saturday and Sunday: "weekend day"
	AllDays     Days = 127 // every day: "day" in the Nth forms
)

// DaysOf returns the set of the given weekdays.
func DaysOf(wd ...time.Weekday) Days {
	var d Days
	for _, w := range wd {
		d |= 1 << w
	}
	return d
}

// Has reports whether w is in d.
func (d Days) Has(w time.Weekday) bool { return d&(1<<w) != 0 }

// Valid reports whether d names at least one day and nothing else (1–127).
func (d Days) Valid() bool { return d >= 1 && d <= AllDays }

func (d Days) String() string {
	var names []string
	for w := time.Sunday; w <= time.Saturday; w++ {
		if d.Has(w) {
			names = append(names, w.String()[:3])
		}
	}
	if len(names) == 0 || !d.Valid() {
		return "Days(" + strconv.Itoa(int(d)) + ")"
	}
	return strings.Join(names, "|")
}

// Instance is instance: which matching day of the month an Nth form picks.
// Its values are Dynamics' option values.
type Instance int32

// Instance values.
const (
	First  Instance = 1
	Second Instance = 2
	Third  Instance = 3
	Fourth Instance = 4
	Last   Instance = 5 // the last matching day of the month
)

// Valid reports whether i is First through Last.
func (i Instance) Valid() bool { return i >= First && i <= Last }

func (i Instance) String() string {
	switch i {
	case First:
		return "First"
	case Second:
		return "Second"
	case Third:
		return "Third"
	case Fourth:
		return "Fourth"
	case Last:
		return "Last"
	}
	return "Instance(" + strconv.Itoa(int(i)) + ")"
}

// Pattern is a recurring appointment's pattern and range: the fields of
// Dynamics' recurringappointmentmaster that decide when its instances are,
// with Dynamics' values, so the activity module stores them as they are.
// Each field's doc names the Dynamics field. Build one with a constructor
// (DailyEvery, EveryWeekday, WeeklyEvery, MonthlyOnDay, MonthlyNth, YearlyOn,
// YearlyNth) and the range and time methods (EndAfter, EndBy, At, AllDay,
// In); Validate says what is wrong with one read back from storage.
type Pattern struct {
	Type     PatternType // recurrencepatterntype
	Interval int         // interval: days, weeks, months or years between active periods, 1–1000

	DaysOfWeekMask   Days // daysofweekmask: weekly days; the day set of the Nth forms
	IsWeekdayPattern bool // isweekdaypattern: the "daily, every weekday" choice, stored as weekly

	DayOfMonth   int        // dayofmonth: 1–31, the monthly and yearly "day N" forms
	IsNthMonthly bool       // isnthmonthly: the monthly "the Kth <day>" form
	IsNthYearly  bool       // isnthyearly: the yearly "the Kth <day> of <month>" form
	Instance     Instance   // instance: K in the Nth forms
	MonthOfYear  time.Month // monthofyear: the month of a yearly pattern (0 is Dynamics' "Invalid", unset)

	// FirstDayOfWeek is firstdayofweek, 0–6 with 0 = Sunday (.NET's
	// DayOfWeek numbering, which time.Weekday shares; UNCONFIRMED). It sets
	// the week boundaries a weekly interval is counted in.
	FirstDayOfWeek time.Weekday

	StartDate   Date    // patternstartdate: the range starts on this date (it need not match)
	EndType     EndType // patternendtype
	Occurrences int     // occurrences: 1–999, with EndAfterOccurrences
	EndDate     Date    // patternenddate: with EndByDate, the last date an instance may fall on

	StartTime TimeOfDay // starttime: each instance's local start time (ignored when IsAllDay)
	Duration  int       // duration: each instance's length in minutes, 0–525600 (whole days, at least one, when IsAllDay)
	IsAllDay  bool      // isalldayevent: instances run from local midnight for Duration/1440 days

	// Location is the series' time zone; nil means UTC. Times of day are
	// wall-clock times there.
	Location *time.Location
}

// DailyEvery returns "every every days" from start: type Daily with
// interval every, no end, at 00:00 UTC with no duration.
func DailyEvery(start Date, every int) Pattern {
	return Pattern{Type: Daily, Interval: every, StartDate: start, EndType: NoEndDate}
}

// EveryWeekday returns the "daily, every weekday" choice as Dynamics stores
// it: type Weekly, IsWeekdayPattern, mask Weekdays (62), interval 1.
func EveryWeekday(start Date) Pattern {
	return Pattern{Type: Weekly, Interval: 1, IsWeekdayPattern: true, DaysOfWeekMask: Weekdays, StartDate: start, EndType: NoEndDate}
}

// WeeklyEvery returns "every every weeks on days" from start, with weeks
// starting on Sunday.
func WeeklyEvery(start Date, every int, days Days) Pattern {
	return Pattern{Type: Weekly, Interval: every, DaysOfWeekMask: days, StartDate: start, EndType: NoEndDate}
}

// MonthlyOnDay returns "day day of every every months" from start.
func MonthlyOnDay(start Date, every, day int) Pattern {
	return Pattern{Type: Monthly, Interval: every, DayOfMonth: day, StartDate: start, EndType: NoEndDate}
}

// MonthlyNth returns "the inst days of every every months" from start,
// e.g. MonthlyNth(start, 1, Second, Tuesday) or MonthlyNth(start, 1, Last, Weekdays).
func MonthlyNth(start Date, every int, inst Instance, days Days) Pattern {
	return Pattern{Type: Monthly, Interval: every, IsNthMonthly: true, Instance: inst, DaysOfWeekMask: days, StartDate: start, EndType: NoEndDate}
}

// YearlyOn returns "every year on month day" from start.
func YearlyOn(start Date, month time.Month, day int) Pattern {
	return Pattern{Type: Yearly, Interval: 1, MonthOfYear: month, DayOfMonth: day, StartDate: start, EndType: NoEndDate}
}

// YearlyNth returns "the inst days of month, every year" from start.
func YearlyNth(start Date, inst Instance, days Days, month time.Month) Pattern {
	return Pattern{Type: Yearly, Interval: 1, IsNthYearly: true, Instance: inst, DaysOfWeekMask: days, MonthOfYear: month, StartDate: start, EndType: NoEndDate}
}

// EndAfter returns p ending after n instances.
func (p Pattern) EndAfter(n int) Pattern {
	p.EndType, p.Occurrences, p.EndDate = EndAfterOccurrences, n, Date{}
	return p
}

// EndBy returns p ending with the last instance on or before d.
func (p Pattern) EndBy(d Date) Pattern {
	p.EndType, p.EndDate, p.Occurrences = EndByDate, d, 0
	return p
}

// NoEnd returns p without an end.
func (p Pattern) NoEnd() Pattern {
	p.EndType, p.EndDate, p.Occurrences = NoEndDate, Date{}, 0
	return p
}

// At returns p with instances starting at start and lasting minutes.
func (p Pattern) At(start TimeOfDay, minutes int) Pattern {
	p.StartTime, p.Duration, p.IsAllDay = start, minutes, false
	return p
}

// AllDay returns p with all-day instances of days days.
func (p Pattern) AllDay(days int) Pattern {
	p.StartTime, p.Duration, p.IsAllDay = 0, days*minutesPerDay, true
	return p
}

// In returns p in the time zone loc.
func (p Pattern) In(loc *time.Location) Pattern {
	p.Location = loc
	return p
}

// WeekStartingOn returns p with weeks starting on w (firstdayofweek).
func (p Pattern) WeekStartingOn(w time.Weekday) Pattern {
	p.FirstDayOfWeek = w
	return p
}

// Limits of the pattern fields.
const (
	MaxInterval    = 1000
	MaxOccurrences = 999
	MaxDuration    = 365 * minutesPerDay // a bound that keeps instants sane (DERIVED: no Dynamics limit found)
)

func (p Pattern) isNth() bool {
	return p.Type == Monthly && p.IsNthMonthly || p.Type == Yearly && p.IsNthYearly
}

func (p Pattern) loc() *time.Location {
	if p.Location == nil {
		return time.UTC
	}
	return p.Location
}

// Validate reports every field that breaks the rules of C6.1 as a
// *crm.ValidationError for entity recurringappointmentmaster, naming the
// Dynamics field and the reason. Expansion refuses an invalid pattern, so
// every pattern it expands is one whose active periods all hold a match.
func (p Pattern) Validate() error {
	v := &crm.ValidationError{Entity: Entity}
	if !p.Type.Valid() {
		v.Add("recurrencepatterntype", "must be 0 (Daily), 1 (Weekly), 2 (Monthly) or 3 (Yearly), not %d", p.Type)
	}
	if p.Interval < 1 || p.Interval > MaxInterval {
		v.Add("interval", "must be 1 to %d, not %d", MaxInterval, p.Interval)
	}
	usesMask := p.Type == Weekly || p.isNth()
	switch {
	case usesMask && !p.DaysOfWeekMask.Valid():
		v.Add("daysofweekmask", "must name at least one day (1 to 127), not %d", p.DaysOfWeekMask)
	case !usesMask && (p.DaysOfWeekMask < 0 || p.DaysOfWeekMask > AllDays):
		v.Add("daysofweekmask", "must be 0 to 127, not %d", p.DaysOfWeekMask)
	}
	if p.IsWeekdayPattern {
		switch {
		case p.Type != Weekly:
			v.Add("isweekdaypattern", "applies only to a weekly pattern (every weekday is stored as weekly)")
		default:
			if p.DaysOfWeekMask != Weekdays && p.DaysOfWeekMask.Valid() {
				v.Add("daysofweekmask", "must be 62 (Monday to Friday) for an every-weekday pattern, not %d", p.DaysOfWeekMask)
			}
			if p.Interval != 1 && p.Interval >= 1 && p.Interval <= MaxInterval {
				v.Add("interval", "must be 1 for an every-weekday pattern, not %d", p.Interval)
			}
		}
	}
	if p.IsNthMonthly && p.Type != Monthly {
		v.Add("isnthmonthly", "applies only to a monthly pattern")
	}
	if p.IsNthYearly && p.Type != Yearly {
		v.Add("isnthyearly", "applies only to a yearly pattern")
	}
	if p.isNth() && !p.Instance.Valid() {
		v.Add("instance", "must be 1 (First) to 4 (Fourth) or 5 (Last), not %d", p.Instance)
	}
	if p.Type == Yearly {
		if p.MonthOfYear < time.January || p.MonthOfYear > time.December {
			v.Add("monthofyear", "must be 1 to 12 for a yearly pattern, not %d", p.MonthOfYear)
		}
	} else if p.MonthOfYear < 0 || p.MonthOfYear > time.December {
		v.Add("monthofyear", "must be 0 to 12, not %d", p.MonthOfYear)
	}
	if (p.Type == Monthly || p.Type == Yearly) && !p.isNth() {
		switch {
		case p.DayOfMonth < 1 || p.DayOfMonth > 31:
			v.Add("dayofmonth", "must be 1 to 31, not %d", p.DayOfMonth)
		case p.Type == Yearly && p.MonthOfYear >= time.January && p.MonthOfYear <= time.December &&
			p.DayOfMonth > daysIn(2000, p.MonthOfYear):
			// A fixed month makes "day 31" a typo, not a rule: April 31
			// never exists. February 29 is accepted and falls on the 28th
			// in common years, by the last-day rule.
			v.Add("dayofmonth", "%s has no day %d", p.MonthOfYear, p.DayOfMonth)
		}
	}
	if p.FirstDayOfWeek < time.Sunday || p.FirstDayOfWeek > time.Saturday {
		v.Add("firstdayofweek", "must be 0 (Sunday) to 6 (Saturday), not %d", p.FirstDayOfWeek)
	}
	switch {
	case p.StartDate.IsZero():
		v.Add("patternstartdate", "is required")
	case !p.StartDate.Valid():
		v.Add("patternstartdate", "%s is not a date in years 1 to 9999", p.StartDate)
	}
	switch p.EndType {
	case NoEndDate:
	case EndAfterOccurrences:
		if p.Occurrences < 1 || p.Occurrences > MaxOccurrences {
			v.Add("occurrences", "must be 1 to %d, not %d", MaxOccurrences, p.Occurrences)
		}
	case EndByDate:
		switch {
		case p.EndDate.IsZero():
			v.Add("patternenddate", "is required when the pattern ends by date")
		case !p.EndDate.Valid():
			v.Add("patternenddate", "%s is not a date in years 1 to 9999", p.EndDate)
		case p.StartDate.Valid() && p.EndDate.Before(p.StartDate):
			v.Add("patternenddate", "%s is before the start date %s", p.EndDate, p.StartDate)
		}
	default:
		v.Add("patternendtype", "must be 1 (No End Date), 2 (Occurrences) or 3 (Pattern End Date), not %d", p.EndType)
	}
	if !p.StartTime.Valid() {
		v.Add("starttime", "must be 00:00 to 23:59, not %d minutes", int(p.StartTime))
	}
	switch {
	case p.Duration < 0 || p.Duration > MaxDuration:
		v.Add("duration", "must be 0 to %d minutes, not %d", MaxDuration, p.Duration)
	case p.IsAllDay && (p.Duration < minutesPerDay || p.Duration%minutesPerDay != 0):
		v.Add("duration", "must be whole days (a multiple of 1440 minutes, at least one) for an all-day series, not %d", p.Duration)
	}
	return v.Err()
}
