package recurrence_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/crmkit/crmkit/activity/recurrence"
	"github.com/crmkit/crmkit/crm"
)

func d(y int, m time.Month, day int) recurrence.Date { return recurrence.NewDate(y, m, day) }

// dates expands p (which must be valid) with no window, at most limit instances.
func dates(t *testing.T, p recurrence.Pattern, limit int) []string {
	t.Helper()
	seq, err := p.Expand(recurrence.Window{})
	if err != nil {
		t.Fatalf("expand: %v", err)
	}
	var out []string
	for o := range seq {
		out = append(out, o.Date.String())
		if len(out) == limit {
			break
		}
	}
	return out
}

// TestScenarios pins the reference's scenario checks 1–6 (C6, "Scenario
// checks"); scenario 7 is TestSplitScenario.
func TestScenarios(t *testing.T) {
	tests := []struct {
		name string
		p    recurrence.Pattern
		want []string
	}{
		{
			"1 weekly M/W/F, 5 occurrences",
			recurrence.Pattern{Type: recurrence.Weekly, Interval: 1, DaysOfWeekMask: 42, StartDate: d(2024, 1, 1), EndType: recurrence.EndAfterOccurrences, Occurrences: 5},
			[]string{"2024-01-01", "2024-01-03", "2024-01-05", "2024-01-08", "2024-01-10"},
		},
		{
			"2 every weekday stored as weekly, from a Friday",
			recurrence.EveryWeekday(d(2024, 3, 1)).EndAfter(4),
			[]string{"2024-03-01", "2024-03-04", "2024-03-05", "2024-03-06"},
		},
		{
			"3 second Tuesday monthly",
			recurrence.Pattern{Type: recurrence.Monthly, IsNthMonthly: true, Instance: 2, DaysOfWeekMask: 4, Interval: 1, StartDate: d(2024, 1, 1), EndType: recurrence.EndAfterOccurrences, Occurrences: 3},
			[]string{"2024-01-09", "2024-02-13", "2024-03-12"},
		},
		{
			"3 variant: last Friday",
			recurrence.MonthlyNth(d(2024, 2, 1), 1, recurrence.Last, recurrence.Friday).EndAfter(1),
			[]string{"2024-02-23"},
		},
		{
			"4 fourth Thursday of November yearly",
			recurrence.Pattern{Type: recurrence.Yearly, IsNthYearly: true, Instance: 4, DaysOfWeekMask: 16, MonthOfYear: 11, Interval: 1, StartDate: d(2024, 1, 1), EndType: recurrence.EndAfterOccurrences, Occurrences: 2},
			[]string{"2024-11-28", "2025-11-27"},
		},
		{
			"5 every two days across the leap day, end by date",
			recurrence.DailyEvery(d(2024, 2, 27), 2).EndBy(d(2024, 3, 4)),
			[]string{"2024-02-27", "2024-02-29", "2024-03-02", "2024-03-04"},
		},
		{
			"6 (D) week starting Sunday (0)",
			recurrence.WeeklyEvery(d(2024, 1, 1), 2, 3).WeekStartingOn(time.Sunday).EndAfter(4),
			[]string{"2024-01-01", "2024-01-14", "2024-01-15", "2024-01-28"},
		},
		{
			"6 (D) week starting Monday (1)",
			recurrence.WeeklyEvery(d(2024, 1, 1), 2, 3).WeekStartingOn(time.Monday).EndAfter(4),
			[]string{"2024-01-01", "2024-01-07", "2024-01-15", "2024-01-21"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dates(t, tt.p, 100); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			seq, _ := tt.p.Expand(recurrence.Window{})
			for o := range seq {
				if o.Exception {
					t.Errorf("%s marked as exception: plain instances are instancetypecode 2", o.Date)
				}
			}
		})
	}
}

func TestEveryWeekdayStoresWeekly(t *testing.T) {
	p := recurrence.EveryWeekday(d(2024, 3, 1))
	if p.Type != recurrence.Weekly || int(p.Type) != 1 || !p.IsWeekdayPattern || p.DaysOfWeekMask != 62 || p.Interval != 1 {
		t.Fatalf("every weekday stored as %+v, want type 1, isweekdaypattern, mask 62, interval 1", p)
	}
}

// TestOptionValues pins the Dynamics option values the activity module
// stores byte for byte.
func TestOptionValues(t *testing.T) {
	got := []int{
		int(recurrence.Daily), int(recurrence.Weekly), int(recurrence.Monthly), int(recurrence.Yearly),
		int(recurrence.NoEndDate), int(recurrence.EndAfterOccurrences), int(recurrence.EndByDate),
		int(recurrence.First), int(recurrence.Fourth), int(recurrence.Last),
		int(recurrence.Sunday), int(recurrence.Saturday), int(recurrence.Weekdays), int(recurrence.WeekendDays), int(recurrence.AllDays),
	}
	want := []int{0, 1, 2, 3, 1, 2, 3, 1, 4, 5, 1, 64, 62, 65, 127}
	if !slices.Equal(got, want) {
		t.Fatalf("option values %v, want %v", got, want)
	}
	if recurrence.DaysOf(time.Monday, time.Wednesday, time.Friday) != 42 {
		t.Error("Mon|Wed|Fri is not 42")
	}
}

// TestDayOfMonthFallsBackToLastDay pins the DERIVED rule: day 31 (or 30,
// 29) in a shorter month is that month's last day, monthly and yearly.
func TestDayOfMonthFallsBackToLastDay(t *testing.T) {
	got := dates(t, recurrence.MonthlyOnDay(d(2024, 1, 1), 1, 31), 6)
	want := []string{"2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30"}
	if !slices.Equal(got, want) {
		t.Errorf("day 31 monthly: got %v, want %v", got, want)
	}
	got = dates(t, recurrence.YearlyOn(d(2023, 1, 1), time.February, 29), 3)
	want = []string{"2023-02-28", "2024-02-29", "2025-02-28"}
	if !slices.Equal(got, want) {
		t.Errorf("February 29 yearly: got %v, want %v", got, want)
	}
	err := recurrence.YearlyOn(d(2023, 1, 1), time.February, 31).Validate()
	if ve := new(crm.ValidationError); !errors.As(err, &ve) || !ve.Has("dayofmonth") {
		t.Errorf("February 31 yearly: got %v, want a dayofmonth error", err)
	}
}

// TestNthWithDaySets pins the DERIVED Outlook semantics of the Nth forms
// with a set of days: the Kth day of the month that is in the set.
func TestNthWithDaySets(t *testing.T) {
	tests := []struct {
		name string
		inst recurrence.Instance
		days recurrence.Days
		want []string
	}{
		// June 2024 starts on a Saturday; March 2024 on a Friday.
		{"second weekday", recurrence.Second, recurrence.Weekdays, []string{"2024-03-04", "2024-04-02", "2024-05-02", "2024-06-04"}},
		{"first weekend day", recurrence.First, recurrence.WeekendDays, []string{"2024-03-02", "2024-04-06", "2024-05-04", "2024-06-01"}},
		{"last weekday", recurrence.Last, recurrence.Weekdays, []string{"2024-03-29", "2024-04-30", "2024-05-31", "2024-06-28"}},
		{"third day", recurrence.Third, recurrence.AllDays, []string{"2024-03-03", "2024-04-03", "2024-05-03", "2024-06-03"}},
		{"last day", recurrence.Last, recurrence.AllDays, []string{"2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := dates(t, recurrence.MonthlyNth(d(2024, 3, 1), 1, tt.inst, tt.days), 4)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEffectiveStartAndEnd(t *testing.T) {
	// Start on a Tuesday, Mondays only: the effective start is the next Monday.
	s, err := recurrence.NewSeries(recurrence.WeeklyEvery(d(2024, 1, 2), 1, recurrence.Monday).EndBy(d(2024, 2, 4)), recurrence.Exceptions{})
	if err != nil {
		t.Fatal(err)
	}
	first, ok := s.EffectiveStart()
	if !ok || first.Date != d(2024, 1, 8) {
		t.Errorf("effective start %v %v, want 2024-01-08", first.Date, ok)
	}
	last, ok := s.EffectiveEnd()
	if !ok || last.Date != d(2024, 1, 29) {
		t.Errorf("effective end %v %v, want 2024-01-29 (last Monday on or before the end date)", last.Date, ok)
	}
	if n := s.Count(recurrence.Window{}); n != 4 {
		t.Errorf("count %d, want 4", n)
	}

	noEnd, _ := recurrence.NewSeries(recurrence.DailyEvery(d(2024, 1, 1), 1), recurrence.Exceptions{})
	if _, ok := noEnd.EffectiveEnd(); ok {
		t.Error("a no-end series has an effective end")
	}
	// A far window on a no-end series: the expansion jumps there.
	w := recurrence.Window{From: time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(9000, 2, 1, 0, 0, 0, 0, time.UTC)}
	if n := noEnd.Count(w); n != 31 {
		t.Errorf("January 9000: %d instances, want 31", n)
	}
	// Expansion ends after 9999-12-31.
	if n := noEnd.Count(recurrence.Window{From: time.Date(9999, 12, 1, 0, 0, 0, 0, time.UTC)}); n != 31 {
		t.Errorf("December 9999 onwards: %d instances, want 31", n)
	}

	// A range that holds no instance: a Monday-only series over Tuesday–Sunday.
	empty, _ := recurrence.NewSeries(recurrence.WeeklyEvery(d(2024, 1, 2), 1, recurrence.Monday).EndBy(d(2024, 1, 7)), recurrence.Exceptions{})
	if _, ok := empty.EffectiveStart(); ok {
		t.Error("empty range has an effective start")
	}
	if _, ok := empty.EffectiveEnd(); ok {
		t.Error("empty range has an effective end")
	}
}

func TestMaterialiseAndAfter(t *testing.T) {
	s, _ := recurrence.NewSeries(recurrence.DailyEvery(d(2024, 1, 1), 1).At(recurrence.At(9, 0), 30), recurrence.Exceptions{})
	// Synchronous creation: at most 3, within the future window.
	got := s.Materialise(recurrence.Window{To: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)}, 3)
	if len(got) != 3 || got[2].Date != d(2024, 1, 3) {
		t.Fatalf("materialised %v, want 3 instances to 2024-01-03", got)
	}
	// The past window drops instances before it.
	got = s.Materialise(recurrence.Window{From: time.Date(2024, 1, 30, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)}, 0)
	if len(got) != 2 || got[0].Date != d(2024, 1, 30) {
		t.Fatalf("materialised %v, want 2024-01-30 and 31", got)
	}
	// CreateInstance: the next two after the last materialised one.
	next := s.After(got[1].Start, 2)
	if len(next) != 2 || next[0].Date != d(2024, 2, 1) || next[1].Date != d(2024, 2, 2) {
		t.Fatalf("after: %v, want 2024-02-01 and 02", next)
	}
	if !next[0].End.Equal(next[0].Start.Add(30 * time.Minute)) {
		t.Errorf("instance ends %v, want 30 minutes after %v", next[0].End, next[0].Start)
	}
}

func TestAllDay(t *testing.T) {
	berlin := loadBerlin(t)
	p := recurrence.WeeklyEvery(d(2024, 3, 24), 1, recurrence.Sunday).AllDay(1).In(berlin).EndAfter(2)
	seq, err := p.Expand(recurrence.Window{})
	if err != nil {
		t.Fatal(err)
	}
	var got []recurrence.Occurrence
	for o := range seq {
		got = append(got, o)
	}
	// 2024-03-31 is the spring-forward day: 23 hours from midnight to midnight.
	if len(got) != 2 || got[0].End.Sub(got[0].Start) != 24*time.Hour || got[1].End.Sub(got[1].Start) != 23*time.Hour {
		t.Fatalf("all-day instances %v", got)
	}
	if h, m, _ := got[1].Start.Clock(); h != 0 || m != 0 {
		t.Errorf("all-day instance starts at %v, want local midnight", got[1].Start)
	}
}

func TestValidateNamesEachBadField(t *testing.T) {
	tests := []struct {
		name   string
		p      recurrence.Pattern
		fields []string
	}{
		{"zero pattern", recurrence.Pattern{}, []string{"interval", "patternstartdate", "patternendtype"}},
		{"bad type", recurrence.Pattern{Type: 4, Interval: 1, StartDate: d(2024, 1, 1), EndType: 1}, []string{"recurrencepatterntype"}},
		{"interval 1001", recurrence.DailyEvery(d(2024, 1, 1), 1001), []string{"interval"}},
		{"weekly without days", recurrence.WeeklyEvery(d(2024, 1, 1), 1, 0), []string{"daysofweekmask"}},
		{"mask 128", recurrence.WeeklyEvery(d(2024, 1, 1), 1, 128), []string{"daysofweekmask"}},
		{"every weekday with Saturday", recurrence.EveryWeekday(d(2024, 1, 1)).WeekStartingOn(0), nil},
		{"weekday pattern on monthly", recurrence.Pattern{Type: recurrence.Monthly, Interval: 1, DayOfMonth: 1, IsWeekdayPattern: true, StartDate: d(2024, 1, 1), EndType: 1}, []string{"isweekdaypattern"}},
		{"day 32", recurrence.MonthlyOnDay(d(2024, 1, 1), 1, 32), []string{"dayofmonth"}},
		{"instance 6", recurrence.MonthlyNth(d(2024, 1, 1), 1, 6, recurrence.Monday), []string{"instance"}},
		{"nth without days", recurrence.MonthlyNth(d(2024, 1, 1), 1, 1, 0), []string{"daysofweekmask"}},
		{"yearly month 13", recurrence.YearlyOn(d(2024, 1, 1), 13, 1), []string{"monthofyear"}},
		{"nth monthly on weekly", recurrence.Pattern{Type: recurrence.Weekly, Interval: 1, DaysOfWeekMask: 2, IsNthMonthly: true, StartDate: d(2024, 1, 1), EndType: 1}, []string{"isnthmonthly"}},
		{"first day of week 7", recurrence.WeeklyEvery(d(2024, 1, 1), 1, 2).WeekStartingOn(7), []string{"firstdayofweek"}},
		{"start 2023-02-29", recurrence.DailyEvery(d(2023, 2, 29), 1), []string{"patternstartdate"}},
		{"1000 occurrences", recurrence.DailyEvery(d(2024, 1, 1), 1).EndAfter(1000), []string{"occurrences"}},
		{"end before start", recurrence.DailyEvery(d(2024, 1, 2), 1).EndBy(d(2024, 1, 1)), []string{"patternenddate"}},
		{"no end date", recurrence.DailyEvery(d(2024, 1, 2), 1).EndBy(recurrence.Date{}), []string{"patternenddate"}},
		{"start time 24:00", recurrence.DailyEvery(d(2024, 1, 1), 1).At(recurrence.At(24, 0), 0), []string{"starttime"}},
		{"negative duration", recurrence.DailyEvery(d(2024, 1, 1), 1).At(0, -1), []string{"duration"}},
		{"all day of 90 minutes", recurrence.Pattern{Type: recurrence.Daily, Interval: 1, StartDate: d(2024, 1, 1), EndType: 1, IsAllDay: true, Duration: 90}, []string{"duration"}},
		{"every weekday every 2 weeks, Monday only", recurrence.Pattern{Type: recurrence.Weekly, IsWeekdayPattern: true, Interval: 2, DaysOfWeekMask: 2, StartDate: d(2024, 1, 1), EndType: 1}, []string{"daysofweekmask", "interval"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if len(tt.fields) == 0 {
				if err != nil {
					t.Fatalf("valid pattern refused: %v", err)
				}
				return
			}
			var ve *crm.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, crm.ErrValidation) {
				t.Fatalf("got %v, want a *crm.ValidationError", err)
			}
			if ve.Entity != "recurringappointmentmaster" {
				t.Errorf("entity %q", ve.Entity)
			}
			var got []string
			for _, f := range ve.Fields {
				got = append(got, f.Field)
				if f.Reason == "" {
					t.Errorf("%s without a reason", f.Field)
				}
			}
			if !slices.Equal(got, tt.fields) {
				t.Errorf("bad fields %v (%v), want %v", got, err, tt.fields)
			}
			if _, err := tt.p.Expand(recurrence.Window{}); err == nil {
				t.Error("Expand accepted an invalid pattern")
			}
		})
	}
}
