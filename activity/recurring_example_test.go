package activity_test

import (
	"context"
	"fmt"
	"time"

	"github.com/crmkit/crmkit/activity"
	"github.com/crmkit/crmkit/activity/recurrence"
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/memory"
)

// A weekly meeting in Berlin: the series and its instances, one moved,
// one canceled, and the weeks ahead expanded from the pattern: 09:00 in
// Berlin before and after the change to summer time.
func ExampleService_CreateSeries() {
	reg := crm.NewRegistry()
	if err := sales.Register(reg); err != nil {
		panic(err)
	}
	clock := crm.NewManualClock(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	st := memory.Open(reg, storage.WithClock(clock))
	ctx := crm.AsSystem(context.Background())
	acts := activity.New(st)
	berlin, _ := time.LoadLocation("Europe/Berlin")

	// Every Thursday at 09:00 Berlin time, six times, across the change
	// to summer time on 29 March.
	series, err := acts.CreateSeries(ctx, activity.RecurringAppointment{
		Activity: activity.Activity{Subject: "Weekly review"},
		Pattern: recurrence.WeeklyEvery(recurrence.NewDate(2026, time.March, 5), 1, recurrence.Thursday).
			At(recurrence.At(9, 0), 60).In(berlin).EndAfter(6),
		Location: "Room 4"}, time.Time{})
	if err != nil {
		panic(err)
	}
	var instances []activity.Activity
	for a, err := range acts.Instances(ctx, series.ID) {
		if err != nil {
			panic(err)
		}
		instances = append(instances, a)
	}
	moved := instances[1]
	moved.ScheduledStart, moved.ScheduledEnd = moved.ScheduledStart.Add(2*time.Hour), moved.ScheduledEnd.Add(2*time.Hour)
	if _, err := acts.UpdateInstance(ctx, moved); err != nil {
		panic(err)
	}
	if err := acts.DeleteInstance(ctx, instances[2].ID, instances[2].Version); err != nil {
		panic(err)
	}

	month, err := acts.Expand(ctx, series.ID, recurrence.Window{
		From: time.Date(2026, 3, 1, 0, 0, 0, 0, berlin), To: time.Date(2026, 4, 10, 0, 0, 0, 0, berlin)})
	if err != nil {
		panic(err)
	}
	for o := range month {
		note := ""
		if o.Exception {
			note = " (moved)"
		}
		fmt.Printf("%s %s UTC%s\n", o.Start.In(berlin).Format("Mon Jan 2 15:04 MST"), o.Start.UTC().Format("15:04"), note)
	}
	// Output:
	// Thu Mar 5 09:00 CET 08:00 UTC
	// Thu Mar 12 11:00 CET 10:00 UTC (moved)
	// Thu Mar 26 09:00 CET 08:00 UTC
	// Thu Apr 2 09:00 CEST 07:00 UTC
	// Thu Apr 9 09:00 CEST 07:00 UTC
}
