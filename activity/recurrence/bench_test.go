package recurrence_test

import (
	"testing"
	"time"

	"github.com/crmkit/crmkit/activity/recurrence"
)

// BenchmarkExpandDailyTenYears expands ten years of a daily 09:00 series
// in Europe/Berlin (3,653 instances, 20 DST changes).
func BenchmarkExpandDailyTenYears(b *testing.B) {
	berlin := loadBerlin(b)
	s, err := recurrence.NewSeries(recurrence.DailyEvery(recurrence.NewDate(2024, time.January, 1), 1).
		At(recurrence.At(9, 0), 30).In(berlin).EndBy(recurrence.NewDate(2033, time.December, 31)), recurrence.Exceptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for range s.Expand(recurrence.Window{}) {
			n++
		}
		if n != 3653 {
			b.Fatalf("%d instances", n)
		}
	}
}

// BenchmarkBaselineAddDateTenYears is the baseline: the same ten years of
// 09:00 Berlin instants by a plain time.AddDate loop, the least a caller
// could write (without exceptions, windows or the DST rule).
func BenchmarkBaselineAddDateTenYears(b *testing.B) {
	berlin := loadBerlin(b)
	start := time.Date(2024, time.January, 1, 9, 0, 0, 0, berlin)
	end := time.Date(2034, time.January, 1, 0, 0, 0, 0, berlin)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for t := start; t.Before(end); t = t.AddDate(0, 0, 1) {
			_ = t.Add(30 * time.Minute)
			n++
		}
		if n != 3653 {
			b.Fatalf("%d instants", n)
		}
	}
}
