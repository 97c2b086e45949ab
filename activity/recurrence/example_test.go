package recurrence_test

import (
	"fmt"
	"time"

	"github.com/crmkit/crmkit/activity/recurrence"
)

// A weekly Monday/Wednesday/Friday stand-up at 09:00 Berlin time, five times.
func ExampleWeeklyEvery() {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	p := recurrence.WeeklyEvery(recurrence.NewDate(2024, time.January, 1), 1,
		recurrence.Monday|recurrence.Wednesday|recurrence.Friday).
		At(recurrence.At(9, 0), 15).In(berlin).EndAfter(5)
	instances, err := p.Expand(recurrence.Window{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for o := range instances {
		fmt.Println(o.Start.Format("Mon 2006-01-02 15:04 MST"), "to", o.End.Format("15:04"))
	}
	// Output:
	// Mon 2024-01-01 09:00 CET to 09:15
	// Wed 2024-01-03 09:00 CET to 09:15
	// Fri 2024-01-05 09:00 CET to 09:15
	// Mon 2024-01-08 09:00 CET to 09:15
	// Wed 2024-01-10 09:00 CET to 09:15
}

// "Daily, every weekday" is stored as a weekly pattern on Monday to Friday.
func ExampleEveryWeekday() {
	p := recurrence.EveryWeekday(recurrence.NewDate(2024, time.March, 1)).EndAfter(4)
	fmt.Println(p.Type, int(p.Type), p.IsWeekdayPattern, int(p.DaysOfWeekMask), p.Interval)
	instances, _ := p.Expand(recurrence.Window{})
	for o := range instances {
		fmt.Println(o.Date, o.Date.Weekday())
	}
	// Output:
	// Weekly 1 true 62 1
	// 2024-03-01 Friday
	// 2024-03-04 Monday
	// 2024-03-05 Tuesday
	// 2024-03-06 Wednesday
}

// The second Tuesday of every month, and the last weekday of every month.
func ExampleMonthlyNth() {
	start := recurrence.NewDate(2024, time.January, 1)
	for _, p := range []recurrence.Pattern{
		recurrence.MonthlyNth(start, 1, recurrence.Second, recurrence.Tuesday).EndAfter(3),
		recurrence.MonthlyNth(start, 1, recurrence.Last, recurrence.Weekdays).EndAfter(3),
	} {
		instances, _ := p.Expand(recurrence.Window{})
		fmt.Print(p.Instance, " ", p.DaysOfWeekMask, ":")
		for o := range instances {
			fmt.Print(" ", o.Date)
		}
		fmt.Println()
	}
	// Output:
	// Second Tue: 2024-01-09 2024-02-13 2024-03-12
	// Last Mon|Tue|Wed|Thu|Fri: 2024-01-31 2024-02-29 2024-03-29
}

// One instance deleted, one moved: the moved one appears at its new time,
// in order, marked as an exception.
func ExampleExceptions() {
	p := recurrence.DailyEvery(recurrence.NewDate(2024, time.June, 3), 1).At(recurrence.At(9, 0), 60).EndAfter(4)
	ex := recurrence.Exceptions{}.
		Delete(recurrence.NewDate(2024, time.June, 4)).
		Modify(recurrence.NewDate(2024, time.June, 5),
			time.Date(2024, time.June, 6, 15, 0, 0, 0, time.UTC),
			time.Date(2024, time.June, 6, 16, 0, 0, 0, time.UTC))
	s, err := recurrence.NewSeries(p, ex)
	if err != nil {
		fmt.Println(err)
		return
	}
	for o := range s.Expand(recurrence.Window{}) {
		fmt.Println(o.Date, o.Start.Format("Jan 2 15:04"), o.Exception)
	}
	// Output:
	// 2024-06-03 Jun 3 09:00 false
	// 2024-06-06 Jun 6 09:00 false
	// 2024-06-05 Jun 6 15:00 true
}

// Changing the pattern of a series that has begun: the old series ends at
// its last past instance, the new one starts at its first future one.
func ExampleSplit() {
	old := recurrence.WeeklyEvery(recurrence.NewDate(2024, time.January, 1), 1, recurrence.Monday).At(recurrence.At(9, 0), 60).EndAfter(5)
	next := recurrence.WeeklyEvery(recurrence.NewDate(2024, time.January, 1), 1, recurrence.Thursday).At(recurrence.At(9, 0), 60).EndAfter(5)
	now := time.Date(2024, time.January, 10, 12, 0, 0, 0, time.UTC)
	r, err := recurrence.Split(old, now, next)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("old ends", r.Old.EndDate, "new starts", r.New.StartDate, "with", r.New.Occurrences, "instances")
	for o := range r.Removed {
		fmt.Println("delete", o.Date)
	}
	// Output:
	// old ends 2024-01-08 new starts 2024-01-11 with 4 instances
	// delete 2024-01-15
	// delete 2024-01-22
	// delete 2024-01-29
}
