package activity_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/activity"
	"github.com/crmkit/crmkit/activity/recurrence"
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/internal/crmtest"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
)

func date(y int, m time.Month, d int) recurrence.Date { return recurrence.NewDate(y, m, d) }

// series creates a recurring appointment regarding acme with alice as
// organizer and ada as a required attendee.
func (e *env) series(t *testing.T, subject string, p recurrence.Pattern, regarding crm.Ref, attendees ...crm.Ref) activity.RecurringAppointment {
	t.Helper()
	parties := append(activity.As(activity.RoleOrganizer, alice), activity.As(activity.RoleRequiredAttendee, attendees...)...)
	m, err := e.acts.CreateSeries(e.ctx, activity.RecurringAppointment{
		Activity: activity.Activity{Subject: subject, Regarding: regarding, Parties: parties},
		Pattern:  p, Location: "Room 4"}, time.Time{})
	require.NoError(t, err)
	return m
}

func (e *env) instances(t *testing.T, series crm.ID) []activity.Activity {
	t.Helper()
	out, err := collect(e.acts.Instances(e.ctx, series))
	require.NoError(t, err)
	return out
}

// localDates are the instances' start dates in loc.
func localDates(as []activity.Activity, loc *time.Location) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ScheduledStart.In(loc).Format(time.DateOnly)
	}
	return out
}

func TestRecurringScenarios(t *testing.T) {
	jan1 := date(2024, time.January, 1)
	cases := []struct {
		name string
		p    recurrence.Pattern
		want []string
	}{
		{"1 weekly M/W/F", recurrence.WeeklyEvery(jan1, 1, 42).EndAfter(5),
			[]string{"2024-01-01", "2024-01-03", "2024-01-05", "2024-01-08", "2024-01-10"}},
		{"2 every weekday encoded as weekly", recurrence.EveryWeekday(date(2024, time.March, 1)).EndAfter(4),
			[]string{"2024-03-01", "2024-03-04", "2024-03-05", "2024-03-06"}},
		{"3 Nth monthly", recurrence.MonthlyNth(jan1, 1, recurrence.Second, recurrence.Tuesday).EndAfter(3),
			[]string{"2024-01-09", "2024-02-13", "2024-03-12"}},
		{"3 variant last Friday", recurrence.MonthlyNth(date(2024, time.February, 1), 1, recurrence.Last, recurrence.Friday).EndAfter(1),
			[]string{"2024-02-23"}},
		{"4 Nth yearly", recurrence.YearlyNth(jan1, recurrence.Fourth, recurrence.Thursday, time.November).EndAfter(2),
			[]string{"2024-11-28", "2025-11-27"}},
		{"5 daily interval across leap day", recurrence.DailyEvery(date(2024, time.February, 27), 2).EndBy(date(2024, time.March, 4)),
			[]string{"2024-02-27", "2024-02-29", "2024-03-02", "2024-03-04"}},
		{"6 week starts Sunday", recurrence.WeeklyEvery(jan1, 2, recurrence.Sunday|recurrence.Monday).EndAfter(4),
			[]string{"2024-01-01", "2024-01-14", "2024-01-15", "2024-01-28"}},
		{"6 week starts Monday", recurrence.WeeklyEvery(jan1, 2, recurrence.Sunday|recurrence.Monday).WeekStartingOn(time.Monday).EndAfter(4),
			[]string{"2024-01-01", "2024-01-07", "2024-01-15", "2024-01-21"}},
	}
	onEveryStore(t, func(t *testing.T, b backend) {
		e := b.env(t, nil)
		acme := e.account(t, "Acme")
		ada := e.contact(t, "Lovelace", acme.Ref())
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				m := e.series(t, "Scenario "+c.name, c.p.At(recurrence.At(9, 0), 30), acme.Ref(), ada.Ref())
				got := e.instances(t, m.ID)
				require.Equal(t, c.want, localDates(got, time.UTC))
				for _, a := range got {
					require.Equal(t, activity.RecurringInstance, a.InstanceType)
					require.Equal(t, m.Ref(), a.Series)
					require.Equal(t, m.Subject, a.Subject, "subject copied")
					require.Equal(t, acme.Ref(), a.Regarding, "regarding copied")
					require.Equal(t, "Room 4", a.Fields.String(activity.FieldLocation), "location copied")
					require.Equal(t, 9, a.ScheduledStart.Hour())
					require.EqualValues(t, 30, *a.ScheduledDuration)
				}
				full, err := e.acts.Get(e.ctx, got[0].Ref())
				require.NoError(t, err)
				require.Len(t, full.PartiesIn(activity.RoleRequiredAttendee), 1, "parties copied")
				require.Len(t, full.PartiesIn(activity.RoleOrganizer), 1)

				rec, err := e.store.Get(e.ctx, activity.RecurringAppointmentMaster, m.ID)
				require.NoError(t, err)
				require.Equal(t, c.want[0], rec.Fields.Time(activity.FieldEffectiveStart).Format(time.DateOnly))
				require.Equal(t, c.want[len(c.want)-1], rec.Fields.Time(activity.FieldEffectiveEnd).Format(time.DateOnly))
				require.EqualValues(t, activity.FullyExpanded, m.Expansion)
				require.Equal(t, got[0].ScheduledStart, m.ScheduledStart, "the master sits where its first instance is")
				if c.name == "2 every weekday encoded as weekly" {
					typ, _ := rec.Fields.Choice(activity.FieldPatternType)
					require.EqualValues(t, 1, typ)
					require.True(t, rec.Fields.Bool(activity.FieldIsWeekdayPattern))
					require.EqualValues(t, 62, rec.Fields.Int(activity.FieldDaysOfWeekMask))
					require.EqualValues(t, 1, rec.Fields.Int(activity.FieldInterval))
				}
			})
		}
	})
}

func TestRecurringWallClockAcrossDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	onEveryStore(t, func(t *testing.T, b backend) {
		e := b.env(t, nil)
		// Every Monday at 09:00 Berlin time, from before the spring change
		// (31 March 2024) to after the autumn one (27 October 2024).
		p := recurrence.WeeklyEvery(date(2024, time.March, 18), 1, recurrence.Monday).
			At(recurrence.At(9, 0), 60).In(berlin).EndBy(date(2024, time.November, 4))
		m := e.series(t, "Weekly sync", p, crm.Ref{})
		got := e.instances(t, m.ID)
		require.Len(t, got, 34)
		utcHours := map[int]int{}
		for _, a := range got {
			local := a.ScheduledStart.In(berlin)
			require.Equal(t, "09:00", local.Format("15:04"), "instance of %s", local.Format(time.DateOnly))
			require.Equal(t, time.Monday, local.Weekday())
			require.Equal(t, time.Hour, a.ScheduledEnd.Sub(a.ScheduledStart))
			utcHours[a.ScheduledStart.UTC().Hour()]++
		}
		require.Equal(t, map[int]int{8: 4, 7: 30}, utcHours, "CET (08:00 UTC) on 18 and 25 March, 28 October and 4 November; CEST (07:00 UTC) between")
		back, err := e.acts.GetSeries(e.ctx, m.ID)
		require.NoError(t, err)
		require.Equal(t, "Europe/Berlin", back.Pattern.Location.String(), "the zone is stored by its IANA name")
	})
}

func TestRecurringExceptions(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		// A future window of one month: a series without an end is
		// materialised a month at a time.
		e := b.env(t, nil, activity.WithExpansion(1, 0))
		acme := e.account(t, "Acme")
		// Every Tuesday at 10:00 UTC from 3 March 2026; now is Monday 2
		// March 09:00.
		p := recurrence.WeeklyEvery(date(2026, time.March, 3), 1, recurrence.Tuesday).At(recurrence.At(10, 0), 60)
		m := e.series(t, "Stand-up", p, acme.Ref())
		got := e.instances(t, m.ID)
		require.Equal(t, []string{"2026-03-03", "2026-03-10", "2026-03-17", "2026-03-24", "2026-03-31"}, localDates(got, time.UTC),
			"a series without an end materialises up to the future window only")
		require.EqualValues(t, activity.PartiallyExpanded, m.Expansion)

		// The second instance moves to Wednesday afternoon; the third is
		// canceled.
		moved := got[1]
		moved.ScheduledStart, moved.ScheduledEnd = moved.ScheduledStart.Add(28*time.Hour), moved.ScheduledEnd.Add(28*time.Hour)
		moved.Subject = "Stand-up (moved)"
		moved, err := e.acts.UpdateInstance(e.ctx, moved)
		require.NoError(t, err)
		require.Equal(t, activity.RecurringException, moved.InstanceType)
		require.NoError(t, e.acts.DeleteInstance(e.ctx, got[2].ID, got[2].Version))

		after := e.instances(t, m.ID)
		require.Equal(t, []string{"2026-03-03", "2026-03-11", "2026-03-24", "2026-03-31"}, localDates(after, time.UTC))
		require.Equal(t, got[0], after[0], "the others are untouched")
		require.Equal(t, got[3], after[2])
		master, err := e.acts.GetSeries(e.ctx, m.ID)
		require.NoError(t, err)
		require.Equal(t, []recurrence.Date{date(2026, time.March, 17)}, master.Deleted)
		rec, err := e.store.Get(e.ctx, activity.RecurringAppointmentMaster, m.ID)
		require.NoError(t, err)
		require.Equal(t, "2026-03-17", rec.Fields.String(activity.FieldDeletedExceptions), "stored as ISO dates")

		t.Run("expand shows the exceptions without rows", func(t *testing.T) {
			seq, err := e.acts.Expand(e.ctx, m.ID, recurrence.Window{From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)})
			require.NoError(t, err)
			var starts []string
			for o := range seq {
				starts = append(starts, o.Start.UTC().Format("01-02 15:04"))
			}
			require.Equal(t, []string{"03-03 10:00", "03-11 14:00", "03-24 10:00", "03-31 10:00",
				"04-07 10:00", "04-14 10:00", "04-21 10:00", "04-28 10:00"}, starts)
		})

		t.Run("materialising later never regenerates exceptions", func(t *testing.T) {
			e.clock.Advance(14 * 24 * time.Hour)
			more, err := e.acts.CreateInstances(e.ctx, m.ID, 10)
			require.NoError(t, err)
			require.Equal(t, []string{"2026-04-07", "2026-04-14"}, localDates(more, time.UTC),
				"appended after the last instance, never beyond the window (16 April)")
			all := e.instances(t, m.ID)
			require.Equal(t, []string{"2026-03-03", "2026-03-11", "2026-03-24", "2026-03-31", "2026-04-07", "2026-04-14"}, localDates(all, time.UTC))
			none, err := e.acts.CreateInstances(e.ctx, m.ID, 10)
			require.NoError(t, err)
			require.Empty(t, none)
		})

		t.Run("a master update reaches plain instances, not exceptions", func(t *testing.T) {
			master, err := e.acts.GetSeries(e.ctx, m.ID)
			require.NoError(t, err)
			master.Subject, master.Location = "Daily stand-up", "Room 7"
			master, err = e.acts.UpdateSeries(e.ctx, master)
			require.NoError(t, err)
			for _, a := range e.instances(t, m.ID) {
				if a.InstanceType == activity.RecurringException {
					require.Equal(t, "Stand-up (moved)", a.Subject)
					require.Equal(t, "Room 4", a.Fields.String(activity.FieldLocation))
					continue
				}
				require.Equal(t, "Daily stand-up", a.Subject)
				require.Equal(t, "Room 7", a.Fields.String(activity.FieldLocation))
			}
			master.Pattern.Interval = 2
			_, err = e.acts.UpdateSeries(e.ctx, master)
			var verr *crm.ValidationError
			require.ErrorAs(t, err, &verr)
			require.Equal(t, activity.FieldInterval, verr.Fields[0].Field, "a pattern change goes through ChangePattern")
		})

		t.Run("deleting an instance that is not one is refused", func(t *testing.T) {
			plain := e.create(t, activity.Activity{Type: activity.Appointment, Subject: "One-off"})
			err := e.acts.DeleteInstance(e.ctx, plain.ID, plain.Version)
			require.ErrorIs(t, err, crm.ErrValidation)
		})
	})
}

func TestRecurringSplit(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		e := b.env(t, nil)
		acme := e.account(t, "Acme")
		ada := e.contact(t, "Lovelace", acme.Ref())

		t.Run("scenario 7: a pattern change splits the series", func(t *testing.T) {
			// Mondays at 10:00 from 16 February 2026, five of them; now is
			// Monday 2 March 09:00: two past instances, three future ones.
			p := recurrence.WeeklyEvery(date(2026, time.February, 16), 1, recurrence.Monday).At(recurrence.At(10, 0), 60).EndAfter(5)
			m := e.series(t, "Review", p, acme.Ref(), ada.Ref())
			require.Len(t, e.instances(t, m.ID), 5)

			next := recurrence.WeeklyEvery(date(2026, time.February, 16), 1, recurrence.Wednesday).At(recurrence.At(15, 0), 60).EndAfter(5)
			ch, err := e.acts.ChangePattern(e.ctx, m.ID, m.Version, next)
			require.NoError(t, err)
			require.True(t, ch.Split)

			require.Equal(t, m.ID, ch.Ended.ID)
			require.Equal(t, date(2026, time.February, 23), ch.Ended.EffectiveEnd, "the old master ends at its last past instance")
			require.Equal(t, recurrence.EndByDate, ch.Ended.Pattern.EndType)
			require.Equal(t, date(2026, time.February, 23), ch.Ended.Pattern.EndDate)
			require.Equal(t, []string{"2026-02-16", "2026-02-23"}, localDates(e.instances(t, m.ID), time.UTC), "it keeps its past instances")

			require.NotEqual(t, m.ID, ch.Next.ID, "a new master")
			require.Equal(t, m.GroupID, ch.Next.GroupID, "with the same group")
			require.Equal(t, m.Subject, ch.Next.Subject)
			future := e.instances(t, ch.Next.ID)
			require.Equal(t, []string{"2026-03-04", "2026-03-11", "2026-03-18"}, localDates(future, time.UTC),
				"the future follows the new pattern: five Wednesdays counted from its start, two of them before now")
			for _, a := range future {
				require.Equal(t, 15, a.ScheduledStart.Hour())
				require.Equal(t, ch.Next.Ref(), a.Series)
			}
			full, err := e.acts.Get(e.ctx, future[0].Ref())
			require.NoError(t, err)
			require.Len(t, full.PartiesIn(activity.RoleRequiredAttendee), 1, "the new series keeps the attendees")
			n, err := e.store.Count(e.ctx, crm.Query{Entity: activity.RecurringAppointmentMaster,
				Where: crm.Eq(activity.FieldGroupID, m.GroupID.String())})
			require.NoError(t, err)
			require.EqualValues(t, 2, n)
		})

		t.Run("all in the future: deleted and expanded again in place", func(t *testing.T) {
			p := recurrence.WeeklyEvery(date(2026, time.March, 9), 1, recurrence.Monday).At(recurrence.At(10, 0), 60).EndAfter(3)
			m := e.series(t, "Planning", p, acme.Ref())
			first := e.instances(t, m.ID)
			require.NoError(t, e.acts.DeleteInstance(e.ctx, first[1].ID, first[1].Version))
			m, err := e.acts.GetSeries(e.ctx, m.ID)
			require.NoError(t, err)
			next := recurrence.WeeklyEvery(date(2026, time.March, 9), 1, recurrence.Friday).At(recurrence.At(10, 0), 60).EndAfter(2)
			ch, err := e.acts.ChangePattern(e.ctx, m.ID, m.Version, next)
			require.NoError(t, err)
			require.False(t, ch.Split)
			require.Equal(t, m.ID, ch.Next.ID, "the series keeps its id")
			require.Empty(t, ch.Next.Deleted, "its exceptions are forgotten")
			require.Equal(t, []string{"2026-03-13", "2026-03-20"}, localDates(e.instances(t, m.ID), time.UTC))

			_, err = e.acts.ChangePattern(e.ctx, m.ID, ch.Next.Version, next.WeekStartingOn(time.Monday))
			var verr *crm.ValidationError
			require.ErrorAs(t, err, &verr, "firstdayofweek is not updatable")
			require.Equal(t, activity.FieldFirstDayOfWeek, verr.Fields[0].Field)
			require.Equal(t, []string{"2026-03-13", "2026-03-20"}, localDates(e.instances(t, m.ID), time.UTC), "nothing changed")
		})
	})
}

func TestDeletingTheMasterDeletesItsInstances(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		e := b.env(t, nil)
		acme := e.account(t, "Acme")
		ada := e.contact(t, "Lovelace", acme.Ref())
		p := recurrence.DailyEvery(date(2026, time.March, 2), 1).At(recurrence.At(8, 0), 15).EndAfter(4)
		m := e.series(t, "Daily", p, acme.Ref(), ada.Ref())
		other := e.series(t, "Other", p, acme.Ref())
		require.EqualValues(t, 8, e.count(t, activity.Appointment))
		m, err := e.acts.GetSeries(e.ctx, m.ID)
		require.NoError(t, err)
		require.NoError(t, e.acts.Delete(e.ctx, m.Ref(), m.Version))
		require.EqualValues(t, 4, e.count(t, activity.Appointment), "seriesid cascades")
		require.Len(t, e.instances(t, other.ID), 4, "another series is untouched")
		require.EqualValues(t, 1, e.count(t, activity.RecurringAppointmentMaster))
		require.EqualValues(t, 5, e.count(t, activity.PointerEntity), "the pointers went with them")
		require.EqualValues(t, 5, e.count(t, activity.PartyEntity), "and the parties: the other series' organizer on it and its 4 instances")
	})
}

func TestCreateSeriesIsAtomic(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		var fd *crmtest.FailingDriver
		e := b.env(t, func(d driver.Driver) driver.Driver { fd = crmtest.NewFailingDriver(d); return fd })
		acme := e.account(t, "Acme")
		ada := e.contact(t, "Lovelace", acme.Ref())
		p := recurrence.WeeklyEvery(date(2026, time.March, 2), 1, recurrence.Monday|recurrence.Thursday).At(recurrence.At(9, 0), 30).EndAfter(3)
		m := activity.RecurringAppointment{Activity: activity.Activity{Subject: "Sync", Regarding: acme.Ref(),
			Parties: activity.As(activity.RoleRequiredAttendee, ada.Ref())}, Pattern: p}
		for n := 1; ; n++ {
			fd.FailAt(n)
			_, err := e.acts.CreateSeries(e.ctx, m, time.Time{})
			if err == nil {
				require.Greater(t, n, 4, "master, parties, instances and their parties, the master's bookkeeping")
				break
			}
			require.ErrorIs(t, err, crmtest.ErrInjected, "write %d", n)
			fd.FailAt(0)
			require.Zero(t, e.count(t, activity.PointerEntity), "write %d failed: nothing is left", n)
			require.Zero(t, e.count(t, activity.RecurringAppointmentMaster))
			require.Zero(t, e.count(t, activity.Appointment))
			require.Zero(t, e.count(t, activity.PartyEntity))
		}
		fd.FailAt(0)
		require.EqualValues(t, 3, e.count(t, activity.Appointment))
		require.EqualValues(t, 4, e.count(t, activity.PartyEntity))
	})
}

func TestInvalidPatternRefusedThroughEveryDoor(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		e := b.env(t, nil)
		fieldsOf := func(err error) []string {
			var verr *crm.ValidationError
			require.ErrorAs(t, err, &verr)
			var out []string
			for _, f := range verr.Fields {
				out = append(out, f.Field)
			}
			return out
		}
		bad := recurrence.WeeklyEvery(date(2026, time.March, 2), 0, 0).EndAfter(1000)
		_, err := e.acts.CreateSeries(e.ctx, activity.RecurringAppointment{Activity: activity.Activity{Subject: "Bad"}, Pattern: bad}, time.Time{})
		require.ErrorIs(t, err, crm.ErrValidation)
		require.Subset(t, fieldsOf(err), []string{activity.FieldInterval, activity.FieldDaysOfWeekMask, activity.FieldOccurrences})

		_, err = e.store.Create(e.ctx, crm.Record{Entity: activity.RecurringAppointmentMaster, Fields: crm.Fields{
			activity.FieldSubject: "Generic", activity.FieldPatternType: int32(1), activity.FieldInterval: int64(1),
			activity.FieldDaysOfWeekMask: int64(2), activity.FieldPatternStartDate: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
			activity.FieldPatternEndType: int32(3), activity.FieldStartTime: "25:00", activity.FieldTimeZone: "Mars/Olympus",
			activity.FieldDeletedExceptions: "03/03/2026"}})
		require.ErrorIs(t, err, crm.ErrValidation, "the generic store refuses it too")
		require.ElementsMatch(t, []string{activity.FieldStartTime, activity.FieldTimeZone, activity.FieldDeletedExceptions}, fieldsOf(err))

		good := recurrence.WeeklyEvery(date(2026, time.March, 2), 1, recurrence.Monday).EndAfter(2)
		m, err := e.acts.CreateSeries(e.ctx, activity.RecurringAppointment{Activity: activity.Activity{Subject: "Good"}, Pattern: good}, time.Time{})
		require.NoError(t, err)
		_, err = e.store.Update(e.ctx, crm.Record{Entity: activity.RecurringAppointmentMaster, Header: crm.Header{ID: m.ID, Version: m.Version},
			Fields: crm.Fields{activity.FieldInterval: int64(0)}})
		require.ErrorIs(t, err, crm.ErrValidation)
		require.Equal(t, []string{activity.FieldInterval}, fieldsOf(err))
		_, err = e.store.Update(e.ctx, crm.Record{Entity: activity.RecurringAppointmentMaster, Header: crm.Header{ID: m.ID, Version: m.Version},
			Fields: crm.Fields{activity.FieldDeletedExceptions: "2026-03-03"}})
		require.ErrorIs(t, err, crm.ErrValidation, "a deleted date must be an instance (2 March is; 3 March is not)")
		require.EqualValues(t, 1, e.count(t, activity.RecurringAppointmentMaster), "only the good series was stored")
	})
}

func TestClosedSeriesIsReadOnly(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		e := b.env(t, nil, activity.WithExpansion(1, 0))
		p := recurrence.DailyEvery(date(2026, time.March, 2), 1).At(recurrence.At(8, 0), 15)
		m := e.series(t, "Daily", p, crm.Ref{})
		done, err := e.acts.Complete(e.ctx, m.Ref(), m.Version, activity.AppointmentCompleted)
		require.NoError(t, err)
		require.Equal(t, activity.StateCompleted, done.ActivityState())
		closed, err := e.acts.GetSeries(e.ctx, m.ID)
		require.NoError(t, err)
		closed.Subject = "changed"
		_, err = e.acts.UpdateSeries(e.ctx, closed)
		require.ErrorIs(t, err, crm.ErrInvalidTransition)
		before := e.count(t, activity.Appointment)
		e.clock.Advance(10 * 24 * time.Hour)
		_, err = e.acts.CreateInstances(e.ctx, m.ID, 3)
		require.ErrorIs(t, err, crm.ErrInvalidTransition)
		require.Equal(t, before, e.count(t, activity.Appointment), "nothing was materialised")
		_, err = e.acts.ChangePattern(e.ctx, m.ID, closed.Version, p.EndAfter(3))
		require.ErrorIs(t, err, crm.ErrInvalidTransition)
		require.Equal(t, before, e.count(t, activity.Appointment), "nothing was deleted")
	})
}

func TestRecurringOperationsAreNamed(t *testing.T) {
	e := backends()[0].env(t, nil)
	var seen []string
	for _, msg := range []string{activity.MessageCreateSeries, activity.MessageCreateException, activity.MessageDeleteInstance} {
		require.NoError(t, e.store.HookMessage(msg, storage.PostOperation, func(_ context.Context, x *storage.Execution) error {
			seen = append(seen, x.Message)
			return nil
		}))
	}
	require.NoError(t, e.store.HookMessage(activity.MessageCreateInstance, storage.PreValidation, func(context.Context, *storage.Execution) error {
		return errors.New("no more instances today")
	}))
	m := e.series(t, "Named", recurrence.DailyEvery(date(2026, time.March, 2), 1).EndAfter(2), crm.Ref{})
	got := e.instances(t, m.ID)
	got[0].Subject = "moved"
	_, err := e.acts.UpdateInstance(e.ctx, got[0])
	require.NoError(t, err)
	require.NoError(t, e.acts.DeleteInstance(e.ctx, got[1].ID, got[1].Version))
	_, err = e.acts.CreateInstances(e.ctx, m.ID, 1)
	require.ErrorContains(t, err, "no more instances today")
	require.Equal(t, []string{activity.MessageCreateSeries, activity.MessageCreateException, activity.MessageDeleteInstance}, seen)
}

func TestMaterialisationBounds(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		t.Run("a horizon, then more up to the window", func(t *testing.T) {
			e := b.env(t, nil, activity.WithExpansion(2, 0))
			p := recurrence.WeeklyEvery(date(2026, time.March, 2), 1, recurrence.Monday).At(recurrence.At(9, 0), 30)
			m, err := e.acts.CreateSeries(e.ctx, activity.RecurringAppointment{Activity: activity.Activity{Subject: "Weekly"}, Pattern: p},
				start.Add(14*24*time.Hour))
			require.NoError(t, err)
			require.Equal(t, []string{"2026-03-02", "2026-03-09"}, localDates(e.instances(t, m.ID), time.UTC), "up to the horizon given")
			more, err := e.acts.Materialise(e.ctx, m.ID, start.AddDate(1, 0, 0))
			require.NoError(t, err)
			require.Equal(t, "2026-04-27", localDates(more, time.UTC)[len(more)-1], "never beyond the window: two months from now")
			_, err = e.acts.CreateInstances(e.ctx, m.ID, 0)
			require.ErrorIs(t, err, crm.ErrValidation)
		})
		t.Run("at most the sync maximum at once", func(t *testing.T) {
			e := b.env(t, nil, activity.WithExpansion(0, 3))
			p := recurrence.DailyEvery(date(2026, time.March, 2), 1).At(recurrence.At(9, 0), 30).EndAfter(5)
			m, err := e.acts.CreateSeries(e.ctx, activity.RecurringAppointment{Activity: activity.Activity{Subject: "Daily"}, Pattern: p}, time.Time{})
			require.NoError(t, err)
			require.Len(t, e.instances(t, m.ID), 3)
			require.Equal(t, activity.PartiallyExpanded, m.Expansion)
			more, err := e.acts.CreateInstances(e.ctx, m.ID, 10)
			require.NoError(t, err)
			require.Equal(t, []string{"2026-03-05", "2026-03-06"}, localDates(more, time.UTC))
			m, err = e.acts.GetSeries(e.ctx, m.ID)
			require.NoError(t, err)
			require.Equal(t, activity.FullyExpanded, m.Expansion)
			require.Equal(t, time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC), m.LastExpanded)
		})
	})
}

func TestInstancesMoveAsExceptionsThroughEveryDoor(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		e := b.env(t, nil)
		p := recurrence.WeeklyEvery(date(2026, time.March, 3), 1, recurrence.Tuesday).At(recurrence.At(10, 0), 60).EndAfter(3)
		m := e.series(t, "Review", p, crm.Ref{})
		got := e.instances(t, m.ID)
		first := got[0]
		later := first.ScheduledStart.Add(2 * time.Hour)
		move := func(extra crm.Fields) error {
			f := crm.Fields{activity.FieldScheduledStart: later, activity.FieldScheduledEnd: later.Add(time.Hour)}
			for k, v := range extra {
				f[k] = v
			}
			_, err := e.store.Update(e.ctx, crm.Record{Entity: activity.Appointment,
				Header: crm.Header{ID: first.ID, Version: first.Version}, Fields: f})
			return err
		}
		requireInvalidField(t, move(nil), activity.FieldScheduledStart)
		requireInvalidField(t, move(crm.Fields{activity.FieldInstanceType: int32(activity.NotRecurring)}), activity.FieldInstanceType)
		require.NoError(t, move(crm.Fields{activity.FieldInstanceType: int32(activity.RecurringException)}),
			"a move that says it makes an exception is the generic door's UpdateInstance")

		moved, err := e.store.Get(e.ctx, activity.Appointment, first.ID)
		require.NoError(t, err)
		_, err = e.store.Update(e.ctx, crm.Record{Entity: activity.Appointment, Header: crm.Header{ID: moved.ID, Version: moved.Version},
			Fields: crm.Fields{activity.FieldInstanceType: int32(activity.RecurringInstance)}})
		requireInvalidField(t, err, activity.FieldInstanceType)

		// Renaming an instance moves nothing: it stays an instance, so a
		// master update still reaches it.
		second := got[1]
		_, err = e.store.Update(e.ctx, crm.Record{Entity: activity.Appointment, Header: crm.Header{ID: second.ID, Version: second.Version},
			Fields: crm.Fields{activity.FieldSubject: "Review (room 2)"}})
		require.NoError(t, err)
	})
}

func requireInvalidField(t *testing.T, err error, field string) {
	t.Helper()
	var verr *crm.ValidationError
	require.ErrorAs(t, err, &verr)
	require.True(t, verr.Has(field), "want %s named: %v", field, err)
}
