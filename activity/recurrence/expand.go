package recurrence

import (
	"time"
)

// Occurrence is one instance of a series.
type Occurrence struct {
	// Date is the instance's date in the pattern, in the series' zone. For
	// a modified instance it is the original date (the instance's identity),
	// whatever its new times.
	Date Date
	// Start and End are the instance's instants, in the series' location.
	Start, End time.Time
	// Exception marks a modified instance (Dynamics' instancetypecode 3)
	// at its new times; the others are plain instances (instancetypecode 2).
	Exception bool
}

// Window bounds an expansion to the instances whose Start is in [From, To).
// A zero From or To leaves that side open.
type Window struct {
	From, To time.Time
}

func (w Window) before(t time.Time) bool { return !w.From.IsZero() && t.Before(w.From) }
func (w Window) past(t time.Time) bool   { return !w.To.IsZero() && !t.Before(w.To) }

// maxEmptyPeriods is the search bound: expansion gives up after this many
// consecutive active periods (days, weeks, months or years) with no
// matching date on or after the start. Under the package's rules every
// active period of a valid pattern but the first holds a match (a weekly
// mask names a day; day N falls back to the month's last day; the Kth of a
// day set exists for K ≤ 4 since every weekday occurs at least four times a
// month), so a valid pattern never reaches it. It is a guard, so that no
// rule added later can turn a pattern that never matches into an endless
// search. Expansion also ends after 9999-12-31, the last date Dynamics
// stores.
const maxEmptyPeriods = 4

var lastDay = Date{maxYear, time.December, 31}.days()

// gen enumerates a pattern's dates as day numbers. It holds the pattern in
// the form the arithmetic wants.
type gen struct {
	typ      PatternType
	interval int
	mask     Days
	dom      int
	nth      bool
	inst     Instance
	month    time.Month
	startDay int // the pattern start date
	week0    int // the first day of the week holding the start date
	m0       int // the start date's month as year*12 + month-1
	y0       int
	endType  EndType
	count    int
	endDay   int
	searched int // periods each has looked at, for the search-bound test
}

func newGen(p Pattern) gen {
	g := gen{
		typ: p.Type, interval: p.Interval, mask: p.DaysOfWeekMask, dom: p.DayOfMonth, nth: p.isNth(),
		inst: p.Instance, month: p.MonthOfYear, startDay: p.StartDate.days(), y0: p.StartDate.Year,
		m0: p.StartDate.Year*12 + int(p.StartDate.Month) - 1, endType: p.EndType, count: p.Occurrences,
	}
	g.week0 = g.startDay - floorMod(int(weekdayOf(g.startDay))-int(p.FirstDayOfWeek), 7)
	if g.endType == EndByDate {
		g.endDay = p.EndDate.days()
	}
	return g
}

// period appends the candidate dates of active period k (0 is the period
// holding the start date) to buf in order; ok is false past year 9999.
func (g *gen) period(k int, buf []int) (_ []int, ok bool) {
	switch g.typ {
	case Daily:
		d := g.startDay + k*g.interval
		if d > lastDay {
			return buf, false
		}
		return append(buf, d), true
	case Weekly:
		ws := g.week0 + 7*g.interval*k
		if ws > lastDay {
			return buf, false
		}
		wd := weekdayOf(ws)
		for i := range 7 {
			if g.mask.Has((wd + time.Weekday(i)) % 7) {
				buf = append(buf, ws+i)
			}
		}
		return buf, true
	case Monthly:
		mi := g.m0 + g.interval*k
		y, m := mi/12, time.Month(mi%12+1)
		if y > maxYear {
			return buf, false
		}
		if d, ok := g.dayIn(y, m); ok {
			buf = append(buf, d)
		}
		return buf, true
	case Yearly:
		y := g.y0 + g.interval*k
		if y > maxYear {
			return buf, false
		}
		if d, ok := g.dayIn(y, g.month); ok {
			buf = append(buf, d)
		}
		return buf, true
	}
	return buf, false
}

// dayIn returns the matching day of month m of year y for the monthly and
// yearly forms.
func (g *gen) dayIn(y int, m time.Month) (int, bool) {
	first := Date{y, m, 1}.days()
	n := daysIn(y, m)
	if !g.nth {
		// Day N in a month without it is the month's last day: the
		// Outlook-compatible choice (DERIVED; C6.2 rule 5).
		return first + min(g.dom, n) - 1, true
	}
	// The Kth day of the month that is in the mask: for a single day the
	// Kth such weekday, for a set (weekday, weekend day, day) the Kth day
	// in the set (Outlook's semantics, DERIVED). Last is the final one.
	wd := weekdayOf(first)
	if g.inst == Last {
		for i := n - 1; i >= 0; i-- {
			if g.mask.Has((wd + time.Weekday(i%7)) % 7) {
				return first + i, true
			}
		}
		return 0, false
	}
	seen := 0
	for i := range n {
		if g.mask.Has((wd + time.Weekday(i%7)) % 7) {
			if seen++; seen == int(g.inst) {
				return first + i, true
			}
		}
	}
	return 0, false
}

// periodOf returns the index of the active period that holds day, or of the
// last active period starting before it.
func (g *gen) periodOf(day int) int {
	switch g.typ {
	case Daily:
		return floorDiv(day-g.startDay, g.interval)
	case Weekly:
		return floorDiv(day-g.week0, 7*g.interval)
	case Monthly:
		d := civil(day)
		return floorDiv(d.Year*12+int(d.Month)-1-g.m0, g.interval)
	default:
		return floorDiv(civil(day).Year-g.y0, g.interval)
	}
}

// firstPeriod returns the period to start enumerating at to reach the
// dates on or after day: 0 when the range ends by count (the count runs
// from the start), else the period holding day, or the one before it for
// rangeEnd, which wants the last match on or before a date.
func (g *gen) firstPeriod(day int, back int) int {
	if g.endType == EndAfterOccurrences || day <= g.startDay {
		return 0
	}
	return max(0, g.periodOf(day)-back)
}

// each calls yield with the pattern's dates in order, starting at active
// period k0, until yield returns false or the range ends.
func (g *gen) each(k0 int, yield func(day int) bool) {
	var buf [7]int
	n, empty := 0, 0
	for k := k0; ; k++ {
		days, ok := g.period(k, buf[:0])
		if !ok {
			return
		}
		g.searched++
		matched := false
		for _, d := range days {
			if d < g.startDay {
				continue
			}
			if g.endType == EndByDate && d > g.endDay {
				return
			}
			matched = true
			n++
			if !yield(d) {
				return
			}
			if g.endType == EndAfterOccurrences && n == g.count {
				return
			}
		}
		if matched {
			empty = 0
		} else if empty++; empty >= maxEmptyPeriods {
			return
		}
	}
}

// expander turns dates into occurrences of one pattern.
type expander struct {
	g      gen
	loc    *time.Location
	start  TimeOfDay
	dur    int
	allDay bool
	z      zoneCache
}

func newExpander(p Pattern) *expander {
	return &expander{g: newGen(p), loc: p.loc(), start: p.StartTime, dur: p.Duration, allDay: p.IsAllDay}
}

func (e *expander) occurrence(day int) Occurrence {
	if e.allDay {
		s := e.z.instant(day, 0, e.loc)
		return Occurrence{Date: civil(day), Start: s, End: e.z.instant(day+e.dur/minutesPerDay, 0, e.loc)}
	}
	s := e.z.instant(day, int(e.start), e.loc)
	return Occurrence{Date: civil(day), Start: s, End: s.Add(time.Duration(e.dur) * time.Minute)}
}

// run yields the pattern's occurrences with Start in w, in order.
func (e *expander) run(w Window, yield func(Occurrence) bool) {
	k0 := 0
	if !w.From.IsZero() {
		// A day early: the local date of From may be later than the date
		// of an instance starting after From (a late start time, or an
		// offset that moves it across midnight).
		k0 = e.g.firstPeriod(DateOf(w.From.In(e.loc)).days()-1, 0)
	}
	e.g.each(k0, func(day int) bool {
		o := e.occurrence(day)
		if w.before(o.Start) {
			return true
		}
		if w.past(o.Start) {
			return false
		}
		return yield(o)
	})
}
