package recurrence_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/crmkit/crmkit/activity/recurrence"
)

var propertyZones = []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"}

// randomPattern returns a valid pattern: small intervals so an oracle
// scanning day by day stays cheap, any zone, any start time.
func randomPattern(r *rand.Rand, zones []*time.Location) recurrence.Pattern {
	start := recurrence.NewDate(1990+r.IntN(40), time.Month(1+r.IntN(12)), 1+r.IntN(28))
	var p recurrence.Pattern
	switch r.IntN(8) {
	case 0:
		p = recurrence.DailyEvery(start, 1+r.IntN(10))
	case 1:
		p = recurrence.EveryWeekday(start)
	case 2, 3:
		p = recurrence.WeeklyEvery(start, 1+r.IntN(4), recurrence.Days(1+r.IntN(127)))
	case 4:
		p = recurrence.MonthlyOnDay(start, 1+r.IntN(4), 1+r.IntN(31))
	case 5:
		p = recurrence.MonthlyNth(start, 1+r.IntN(4), recurrence.Instance(1+r.IntN(5)), recurrence.Days(1+r.IntN(127)))
	case 6:
		m := time.Month(1 + r.IntN(12))
		p = recurrence.YearlyOn(start, m, 1+r.IntN(time.Date(2000, m+1, 0, 0, 0, 0, 0, time.UTC).Day()))
		p.Interval = 1 + r.IntN(2)
	default:
		p = recurrence.YearlyNth(start, recurrence.Instance(1+r.IntN(5)), recurrence.Days(1+r.IntN(127)), time.Month(1+r.IntN(12)))
		p.Interval = 1 + r.IntN(2)
	}
	p.FirstDayOfWeek = time.Weekday(r.IntN(7))
	switch r.IntN(3) {
	case 0:
		p = p.EndAfter(1 + r.IntN(30))
	case 1:
		p = p.EndBy(start.AddDays(r.IntN(900)))
	}
	if r.IntN(8) == 0 {
		p = p.AllDay(1 + r.IntN(3))
	} else {
		p = p.At(recurrence.TimeOfDay(r.IntN(1440)), r.IntN(300))
	}
	return p.In(zones[r.IntN(len(zones))])
}

// oracle lists the pattern's dates up to horizon (at most limit of them) by
// testing every day against the rules of C6.2 written as a predicate on one
// day, independently of the engine's period arithmetic.
func oracle(p recurrence.Pattern, horizon recurrence.Date, limit int) []recurrence.Date {
	day := func(d recurrence.Date) time.Time { return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC) }
	start := day(p.StartDate)
	daysBetween := func(a, b time.Time) int { return int(b.Sub(a).Round(24*time.Hour) / (24 * time.Hour)) }
	weekStart := start.AddDate(0, 0, -((int(start.Weekday()) - int(p.FirstDayOfWeek) + 7) % 7))
	inMonthRule := func(t time.Time) bool {
		last := time.Date(t.Year(), t.Month()+1, 0, 12, 0, 0, 0, time.UTC).Day()
		nth := p.Type == recurrence.Monthly && p.IsNthMonthly || p.Type == recurrence.Yearly && p.IsNthYearly
		if !nth {
			return t.Day() == min(p.DayOfMonth, last)
		}
		if !p.DaysOfWeekMask.Has(t.Weekday()) {
			return false
		}
		if p.Instance == recurrence.Last {
			for x := t.AddDate(0, 0, 1); x.Month() == t.Month(); x = x.AddDate(0, 0, 1) {
				if p.DaysOfWeekMask.Has(x.Weekday()) {
					return false
				}
			}
			return true
		}
		k := 0
		for x := time.Date(t.Year(), t.Month(), 1, 12, 0, 0, 0, time.UTC); !x.After(t); x = x.AddDate(0, 0, 1) {
			if p.DaysOfWeekMask.Has(x.Weekday()) {
				k++
			}
		}
		return k == int(p.Instance)
	}
	matches := func(t time.Time) bool {
		switch p.Type {
		case recurrence.Daily:
			return daysBetween(start, t)%p.Interval == 0
		case recurrence.Weekly:
			return p.DaysOfWeekMask.Has(t.Weekday()) && (daysBetween(weekStart, t)/7)%p.Interval == 0
		case recurrence.Monthly:
			months := (t.Year()-start.Year())*12 + int(t.Month()) - int(start.Month())
			return months%p.Interval == 0 && inMonthRule(t)
		default:
			return t.Month() == p.MonthOfYear && (t.Year()-start.Year())%p.Interval == 0 && inMonthRule(t)
		}
	}
	end := day(horizon)
	if p.EndType == recurrence.EndByDate && day(p.EndDate).Before(end) {
		end = day(p.EndDate)
	}
	if p.EndType == recurrence.EndAfterOccurrences {
		limit = min(limit, p.Occurrences)
	}
	var out []recurrence.Date
	for t := start; !t.After(end) && len(out) < limit; t = t.AddDate(0, 0, 1) {
		if matches(t) {
			out = append(out, recurrence.DateOf(t))
		}
	}
	return out
}

// TestExpansionProperties checks generated valid patterns against the
// oracle and the invariants: instances match their pattern, start at the
// series' local time, strictly increase, respect the end rule; an
// exception changes its own instance and nothing else.
func TestExpansionProperties(t *testing.T) {
	var zones []*time.Location
	for _, name := range propertyZones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		zones = append(zones, loc)
	}
	rounds := 300
	if testing.Short() {
		rounds = 60
	}
	r := rand.New(rand.NewPCG(20240331, 20241027))
	for i := range rounds {
		p := randomPattern(r, zones)
		if err := p.Validate(); err != nil {
			t.Fatalf("round %d: generated an invalid pattern %+v: %v", i, p, err)
		}
		checkPattern(t, r, i, p)
	}
}

func checkPattern(t *testing.T, r *rand.Rand, round int, p recurrence.Pattern) {
	t.Helper()
	const limit = 80
	horizon := p.StartDate.AddDays(366 * 8)
	s, err := recurrence.NewSeries(p, recurrence.Exceptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []recurrence.Occurrence
	for o := range s.Expand(recurrence.Window{}) {
		if o.Date.After(horizon) || len(got) == limit {
			break
		}
		got = append(got, o)
	}
	want := oracle(p, horizon, limit)
	gotDates := make([]recurrence.Date, len(got))
	for i, o := range got {
		gotDates[i] = o.Date
	}
	if !slices.Equal(gotDates, want) {
		t.Fatalf("round %d: %+v\nexpanded %v\noracle   %v", round, p, gotDates, want)
	}
	for i, o := range got {
		if i > 0 && !got[i-1].Start.Before(o.Start) {
			t.Fatalf("round %d: %v not after %v", round, o.Start, got[i-1].Start)
		}
		if o.Date.Before(p.StartDate) || p.EndType == recurrence.EndByDate && o.Date.After(p.EndDate) {
			t.Fatalf("round %d: %v outside the range", round, o.Date)
		}
		local := o.Start.In(p.Location)
		at := p.StartTime
		if p.IsAllDay {
			at = 0
		}
		if clock := recurrence.At(local.Hour(), local.Minute()); clock != at || recurrence.DateOf(local) != o.Date {
			// Only a wall time that does not exist may differ, and only by
			// moving forward by the gap (at most two hours anywhere).
			naive := time.Date(o.Date.Year, o.Date.Month, o.Date.Day, at.Hour(), at.Minute(), 0, 0, p.Location)
			exists := recurrence.At(naive.Hour(), naive.Minute()) == at
			late := int(clock - at)
			if recurrence.DateOf(local) != o.Date {
				late += 1440
			}
			if exists || late <= 0 || late > 120 {
				t.Fatalf("round %d: %v starts at %v local, want %v", round, o.Date, local, at)
			}
		}
		if !p.IsAllDay && o.End.Sub(o.Start) != time.Duration(p.Duration)*time.Minute {
			t.Fatalf("round %d: %v lasts %v", round, o.Date, o.End.Sub(o.Start))
		}
	}
	if p.EndType == recurrence.EndAfterOccurrences && len(want) < limit && len(want) == p.Occurrences && len(got) != p.Occurrences {
		t.Fatalf("round %d: %d instances, want exactly %d", round, len(got), p.Occurrences)
	}
	if p.EndType != recurrence.NoEndDate && (p.EndType != recurrence.EndAfterOccurrences || p.Occurrences <= limit) {
		last, ok := s.EffectiveEnd()
		full := collect(s.Expand(recurrence.Window{}))
		if ok != (len(full) > 0) || ok && last.Date != full[len(full)-1].Date {
			t.Fatalf("round %d: effective end %v %v, expansion ends %v", round, last.Date, ok, dateList(full))
		}
	}
	for _, o := range got {
		if !s.Occurs(o.Date) {
			t.Fatalf("round %d: Occurs(%v) false", round, o.Date)
		}
	}
	if len(got) < 3 {
		return
	}

	// One exception changes one instance: compare within a window ending
	// at the last instance checked.
	w := recurrence.Window{To: got[len(got)-1].Start}
	base := collect(s.Expand(w))
	victim := base[r.IntN(len(base))]
	del, err := recurrence.NewSeries(p, recurrence.Exceptions{}.Delete(victim.Date))
	if err != nil {
		t.Fatalf("round %d: delete %v: %v", round, victim.Date, err)
	}
	wantDel := slices.DeleteFunc(slices.Clone(base), func(o recurrence.Occurrence) bool { return o.Date == victim.Date })
	if gotDel := collect(del.Expand(w)); !slices.EqualFunc(gotDel, wantDel, sameOccurrence) {
		t.Fatalf("round %d: deleting %v:\n got %v\nwant %v", round, victim.Date, dateList(gotDel), dateList(wantDel))
	}

	moved := victim
	moved.Start = victim.Start.Add(time.Duration(r.IntN(14*24*60)-7*24*60) * time.Minute)
	moved.End = moved.Start.Add(time.Hour)
	moved.Exception = true
	mod, err := recurrence.NewSeries(p, recurrence.Exceptions{}.Modify(victim.Date, moved.Start, moved.End))
	if err != nil {
		t.Fatalf("round %d: move %v: %v", round, victim.Date, err)
	}
	wantMod := slices.Clone(wantDel)
	if !moved.Start.Before(w.From) && moved.Start.Before(w.To) {
		wantMod = append(wantMod, moved)
		slices.SortStableFunc(wantMod, func(a, b recurrence.Occurrence) int { return a.Start.Compare(b.Start) })
	}
	if gotMod := collect(mod.Expand(w)); !slices.EqualFunc(gotMod, wantMod, sameOccurrence) {
		t.Fatalf("round %d: moving %v to %v:\n got %v\nwant %v", round, victim.Date, moved.Start, dateList(gotMod), dateList(wantMod))
	}
}

func sameOccurrence(a, b recurrence.Occurrence) bool {
	return a.Date == b.Date && a.Start.Equal(b.Start) && a.End.Equal(b.End) && a.Exception == b.Exception
}
