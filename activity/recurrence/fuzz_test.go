package recurrence_test

import (
	"errors"
	"testing"
	"time"

	"github.com/crmkit/crmkit/activity/recurrence"
	"github.com/crmkit/crmkit/crm"
)

// FuzzExpand feeds arbitrary field values, invalid ones included. Validate
// must refuse the bad ones with a *crm.ValidationError (and Expand with
// it); every valid one must expand, with a bounded window or a take-n,
// without panicking and without an endless search. The fuzzer's per-input
// deadline catches a loop; the bounds below keep each input's work small.
func FuzzExpand(f *testing.F) {
	f.Add(int8(1), int16(1), int16(42), false, int8(0), false, false, int8(0), int8(0), int8(0), int16(2024), int8(1), int8(1), int8(2), int16(5), int16(0), int16(540), int32(60), false, uint8(1), int32(0))
	f.Add(int8(3), int16(1), int16(0), false, int8(31), false, false, int8(0), int8(2), int8(0), int16(2024), int8(1), int8(1), int8(1), int16(0), int16(0), int16(0), int32(0), false, uint8(0), int32(0))          // February 31 yearly: refused
	f.Add(int8(2), int16(1000), int16(65), false, int8(0), true, false, int8(5), int8(0), int8(6), int16(9990), int8(12), int8(31), int8(1), int16(0), int16(0), int16(150), int32(30), false, uint8(2), int32(400)) // last weekend day, every 1000 months, near year 9999
	f.Add(int8(1), int16(7), int16(0), true, int8(0), false, false, int8(0), int8(0), int8(0), int16(2024), int8(3), int8(1), int8(3), int16(0), int16(40), int16(150), int32(1440), true, uint8(1), int32(-5))      // weekday pattern with the wrong mask and interval
	f.Add(int8(0), int16(1), int16(0), false, int8(0), false, false, int8(0), int8(0), int8(0), int16(1), int8(1), int8(1), int8(1), int16(0), int16(0), int16(0), int32(0), false, uint8(3), int32(3_000_000))      // daily from year 1, window far ahead
	zones := []*time.Location{time.UTC}
	for _, name := range []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			f.Fatal(err)
		}
		zones = append(zones, loc)
	}
	f.Fuzz(func(t *testing.T, typ int8, interval, mask int16, weekdayPattern bool, dom int8, nthM, nthY bool, inst, moy, fdw int8,
		sy int16, sm, sd, endType int8, occ, endOffset, startMin int16, dur int32, allDay bool, zone uint8, fromOffsetDays int32) {
		p := recurrence.Pattern{
			Type: recurrence.PatternType(typ), Interval: int(interval), DaysOfWeekMask: recurrence.Days(mask), IsWeekdayPattern: weekdayPattern,
			DayOfMonth: int(dom), IsNthMonthly: nthM, IsNthYearly: nthY, Instance: recurrence.Instance(inst), MonthOfYear: time.Month(moy),
			FirstDayOfWeek: time.Weekday(fdw), StartDate: recurrence.NewDate(int(sy), time.Month(sm), int(sd)),
			EndType: recurrence.EndType(endType), Occurrences: int(occ), StartTime: recurrence.TimeOfDay(startMin), Duration: int(dur), IsAllDay: allDay,
			Location: zones[int(zone)%len(zones)],
		}
		if p.EndType == recurrence.EndByDate {
			p.EndDate = p.StartDate.AddDays(int(endOffset))
		}
		err := p.Validate()
		seq, expandErr := p.Expand(recurrence.Window{})
		if err != nil {
			var ve *crm.ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) == 0 {
				t.Fatalf("Validate: %v is not a *crm.ValidationError", err)
			}
			if expandErr == nil {
				t.Fatal("Expand accepted a pattern Validate refuses")
			}
			return
		}
		if expandErr != nil {
			t.Fatalf("Expand refused a valid pattern: %v", expandErr)
		}
		// Take-n.
		var prev recurrence.Occurrence
		n := 0
		for o := range seq {
			if n > 0 && !prev.Start.Before(o.Start) {
				t.Fatalf("%v not after %v", o.Start, prev.Start)
			}
			if o.Date.Before(p.StartDate) || p.EndType == recurrence.EndByDate && o.Date.After(p.EndDate) {
				t.Fatalf("%v outside the range", o.Date)
			}
			prev = o
			if n++; n == 50 {
				break
			}
		}
		if p.EndType == recurrence.EndAfterOccurrences && n < 50 && n != p.Occurrences {
			// Only the end of the calendar (9999-12-31) may cut a count
			// short: the next active period must lie beyond it.
			years := [...]int{p.Interval/365 + 1, 7*p.Interval/365 + 1, p.Interval/12 + 1, p.Interval}[p.Type]
			if n > p.Occurrences || n > 0 && prev.Date.Year+years <= 9999 || n == 0 && p.StartDate.Year+years <= 9999 {
				t.Fatalf("%d instances, want %d", n, p.Occurrences)
			}
		}
		s, err := recurrence.NewSeries(p, recurrence.Exceptions{})
		if err != nil {
			t.Fatal(err)
		}
		// A bounded window anywhere from year 1 to beyond 9999.
		from := time.Date(int(sy), 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(fromOffsetDays))
		if c := s.Count(recurrence.Window{From: from, To: from.AddDate(0, 0, 400)}); c > 401 {
			t.Fatalf("%d instances in 400 days", c)
		}
		first, ok := s.EffectiveStart()
		if ok != (n > 0) {
			t.Fatalf("effective start %v, expansion had %d", ok, n)
		}
		if ok && !s.Occurs(first.Date) {
			t.Fatalf("Occurs(%v) false for the effective start", first.Date)
		}
		if _, ok := s.EffectiveEnd(); ok && p.EndType == recurrence.NoEndDate {
			t.Fatal("effective end for a no-end series")
		}
		if r, err := recurrence.Split(p, from, p); err != nil || r.HasNew && r.New.Validate() != nil {
			t.Fatalf("split: %v %+v", err, r)
		}
		_ = s.After(from, 3)
	})
}
