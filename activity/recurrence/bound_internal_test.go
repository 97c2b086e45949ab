package recurrence

import (
	"testing"
	"time"
)

// TestSearchBound: a pattern with no match in any period (possible only
// past Validate, e.g. an empty day mask) ends after maxEmptyPeriods
// periods instead of searching to year 9999.
func TestSearchBound(t *testing.T) {
	for _, p := range []Pattern{
		{Type: Weekly, Interval: 1, StartDate: NewDate(2024, 1, 1), EndType: NoEndDate},
		{Type: Monthly, Interval: 1, IsNthMonthly: true, Instance: Last, StartDate: NewDate(2024, 1, 1), EndType: NoEndDate},
		{Type: Yearly, Interval: 1000, IsNthYearly: true, Instance: First, MonthOfYear: time.March, StartDate: NewDate(1, 1, 1), EndType: NoEndDate},
	} {
		g := newGen(p)
		g.each(0, func(int) bool { t.Fatalf("%v yielded a date", p.Type); return false })
		if g.searched != maxEmptyPeriods {
			t.Errorf("%v: searched %d periods, want %d", p.Type, g.searched, maxEmptyPeriods)
		}
	}
}

// TestZoneCacheMatchesResolve: the cached fast path agrees with the rule on
// every hour of 2024 in zones with DST, half-hour DST and none.
func TestZoneCacheMatchesResolve(t *testing.T) {
	for _, name := range []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		var z zoneCache
		first := NewDate(2024, 1, 1).days()
		for day := first; day < first+366; day++ {
			for min := 0; min < minutesPerDay; min += 30 {
				got := z.instant(day, min, loc)
				want := resolve(int64(day)*86400+int64(min)*60, loc)
				if got.Unix() != want {
					t.Fatalf("%s %v %s: cache %v, rule %v", name, civil(day), TimeOfDay(min), got.UTC(), time.Unix(want, 0).UTC())
				}
			}
		}
	}
}
