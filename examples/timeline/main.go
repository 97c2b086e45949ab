// Command timeline is the story of an account manager's week at
// Northwind Traders' supplier: calls made and received, emails sent
// through the host's mail system, tasks done and due, and a weekly
// meeting with Northwind's buyers in Berlin, one occurrence moved and one
// cancelled. At the end of the week it prints the account's timeline,
// page by page, and the next month's meetings, expanded from the series'
// pattern: the moved one at its new time, the cancelled one absent, every
// one at 10:00 Berlin time before and after the change to summer time.
//
//	go run ./examples/timeline
//
// It runs on an embedded SQLite file in a temporary directory, on a
// manual clock so its output is the same on every run, and exits non-zero
// if anything unexpected happens.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/crmkit/crmkit/activity"
	"github.com/crmkit/crmkit/activity/recurrence"
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/sqlstore/sqlite"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "timeline:", err)
		os.Exit(1)
	}
}

// outbox is the host's mail system: it prints what it sends and numbers
// the messages.
type outbox struct {
	out io.Writer
	n   int
}

func (o *outbox) Send(_ context.Context, mail activity.Activity) (string, error) {
	o.n++
	id := fmt.Sprintf("<%d@mail.example>", o.n)
	fmt.Fprintf(o.out, "  outbox: %q to %d recipient(s), cc %d: %s\n", mail.Subject,
		len(mail.PartiesIn(activity.RoleTo)), len(mail.PartiesIn(activity.RoleCc)), id)
	return id, nil
}

// story holds what every step needs.
type story struct {
	ctx    context.Context
	out    io.Writer
	clock  *crm.ManualClock
	acts   *activity.Service
	berlin *time.Location
	acct   sales.Account
	people map[string]sales.Contact
	series activity.RecurringAppointment
}

func run(ctx context.Context, out io.Writer) (err error) {
	ctx = crm.AsSystem(ctx)
	dir, err := os.MkdirTemp("", "crmkit-timeline-")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()

	reg := crm.NewRegistry()
	if err := sales.Register(reg); err != nil { // registers the activities and enables them for accounts and contacts
		return err
	}
	d, err := sqlite.Open(ctx, filepath.Join(dir, "crm.db"), reg)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, d.Close()) }()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return err
	}
	// Monday 2 March 2026, 08:30 in Berlin.
	clock := crm.NewManualClock(time.Date(2026, 3, 2, 8, 30, 0, 0, berlin))
	st := storage.New(d, reg, storage.WithClock(clock))
	s := &story{ctx: ctx, out: out, clock: clock, berlin: berlin, people: map[string]sales.Contact{},
		acts: activity.New(st, activity.WithSender(&outbox{out: out}))}

	if err := s.customer(st); err != nil {
		return fmt.Errorf("the customer: %w", err)
	}
	if err := s.week(); err != nil {
		return fmt.Errorf("the week: %w", err)
	}
	if err := s.timeline(); err != nil {
		return fmt.Errorf("the timeline: %w", err)
	}
	return nil
}

func (s *story) say(format string, args ...any) { fmt.Fprintf(s.out, format+"\n", args...) }

// at moves the clock to a day of the week (0 Monday) at hh:mm in Berlin.
func (s *story) at(day, hh, mm int) {
	s.clock.Set(time.Date(2026, 3, 2+day, hh, mm, 0, 0, s.berlin))
}

func (s *story) customer(st *storage.Store) error {
	acct, err := sales.NewAccounts(st).Create(s.ctx, sales.Account{Name: "Northwind Traders"})
	if err != nil {
		return err
	}
	s.acct = acct
	contacts := sales.NewContacts(st)
	for _, name := range []string{"Ada Lovelace", "Grace Hopper", "Alan Turing"} {
		first, last, _ := strings.Cut(name, " ")
		c, err := contacts.Create(s.ctx, sales.Contact{FirstName: first, LastName: last, ParentCustomer: acct.Ref()})
		if err != nil {
			return err
		}
		s.people[first] = c
	}
	s.say("== Northwind Traders, with Ada Lovelace, Grace Hopper and Alan Turing")
	return nil
}

func (s *story) week() error {
	ctx, acts, acme := s.ctx, s.acts, s.acct.Ref()
	ada, grace, alan := s.people["Ada"].Ref(), s.people["Grace"].Ref(), s.people["Alan"].Ref()
	s.say("== The week of 2 March")

	// Monday: a call to Ada, then the weekly meeting is set up.
	s.at(0, 9, 0)
	call, err := acts.Create(ctx, activity.Activity{Type: activity.PhoneCall, Subject: "Kick-off call with Ada", Regarding: acme,
		Parties: activity.As(activity.RoleTo, ada), Fields: crm.Fields{activity.FieldDirection: true}})
	if err != nil {
		return err
	}
	s.at(0, 9, 25)
	if _, err := acts.Complete(ctx, call.Ref(), call.Version, activity.PhoneCallMade); err != nil {
		return err
	}
	s.at(0, 11, 0)
	weekly := recurrence.WeeklyEvery(recurrence.NewDate(2026, time.March, 3), 1, recurrence.Tuesday).
		At(recurrence.At(10, 0), 60).In(s.berlin).EndBy(recurrence.NewDate(2026, time.June, 30))
	parties := append(activity.As(activity.RoleOrganizer, crm.SystemUser), activity.As(activity.RoleRequiredAttendee, ada, grace)...)
	parties = append(parties, activity.As(activity.RoleOptionalAttendee, alan)...)
	series, err := acts.CreateSeries(ctx, activity.RecurringAppointment{
		Activity: activity.Activity{Subject: "Northwind weekly", Regarding: acme, Parties: parties},
		Pattern:  weekly, Location: "Berlin office, room 4"}, time.Time{})
	if err != nil {
		return err
	}
	instances, err := collect(acts.Instances(ctx, series.ID))
	if err != nil {
		return err
	}
	s.say("  series %q: every Tuesday 10:00 %s until %s, %d instances materialised, the first on %s",
		series.Subject, series.Pattern.Location, series.EffectiveEnd, len(instances), series.EffectiveStart)

	// An email to Ada and Grace, cc Alan, sent through the host's outbox.
	s.at(0, 14, 0)
	mail, err := acts.Create(ctx, activity.Activity{Type: activity.Email, Subject: "Price list for Q2", Regarding: acme,
		Parties: append(append(activity.As(activity.RoleSender, crm.SystemUser), activity.As(activity.RoleTo, ada, grace)...),
			activity.As(activity.RoleCc, alan)...)})
	if err != nil {
		return err
	}
	if _, err := acts.Send(ctx, mail.ID, mail.Version); err != nil {
		return err
	}

	// Tuesday: the first meeting takes place; Grace calls back.
	s.at(1, 11, 5)
	if _, err := acts.Complete(ctx, instances[0].Ref(), instances[0].Version, activity.AppointmentCompleted); err != nil {
		return err
	}
	s.at(1, 15, 40)
	in, err := acts.Create(ctx, activity.Activity{Type: activity.PhoneCall, Subject: "Grace about delivery dates", Regarding: acme,
		Parties: activity.As(activity.RoleSender, grace), Fields: crm.Fields{activity.FieldDirection: false}})
	if err != nil {
		return err
	}
	s.at(1, 15, 55)
	if _, err := acts.Complete(ctx, in.Ref(), in.Version, activity.PhoneCallReceived); err != nil {
		return err
	}

	// Wednesday: a task done, another due next week.
	s.at(2, 10, 0)
	quote, err := acts.Create(ctx, activity.Activity{Type: activity.Task, Subject: "Prepare the Q2 quote", Regarding: acme,
		ScheduledEnd: time.Date(2026, 3, 6, 17, 0, 0, 0, s.berlin)})
	if err != nil {
		return err
	}
	s.at(2, 16, 30)
	if _, err := acts.Complete(ctx, quote.Ref(), quote.Version, activity.TaskCompleted); err != nil {
		return err
	}
	if _, err := acts.Create(ctx, activity.Activity{Type: activity.Task, Subject: "Check the samples arrived", Regarding: acme,
		ScheduledEnd: time.Date(2026, 3, 12, 12, 0, 0, 0, s.berlin)}); err != nil {
		return err
	}

	// Thursday: Ada asks to move the meeting of 17 March to Wednesday
	// afternoon, and the one of 24 March is cancelled (the team is at a
	// fair).
	s.at(3, 9, 15)
	moved := instances[2]
	moved.ScheduledStart = time.Date(2026, 3, 18, 14, 0, 0, 0, s.berlin)
	moved.ScheduledEnd = moved.ScheduledStart.Add(time.Hour)
	if moved, err = acts.UpdateInstance(ctx, moved); err != nil {
		return err
	}
	s.say("  moved the meeting of 17 March to %s (now an exception, instance type %s)",
		moved.ScheduledStart.In(s.berlin).Format("Mon 2 Jan 15:04"), moved.InstanceType)
	if err := acts.DeleteInstance(ctx, instances[3].ID, instances[3].Version); err != nil {
		return err
	}
	s.say("  cancelled the meeting of 24 March")
	reply, err := acts.Create(ctx, activity.Activity{Type: activity.Email, Subject: "New meeting dates", Regarding: acme,
		Parties: append(activity.As(activity.RoleSender, crm.SystemUser), activity.As(activity.RoleTo, ada, grace, alan)...)})
	if err != nil {
		return err
	}
	if _, err := acts.Send(ctx, reply.ID, reply.Version); err != nil {
		return err
	}

	// Friday: a follow-up call to Alan that does not happen.
	s.at(4, 11, 0)
	missed, err := acts.Create(ctx, activity.Activity{Type: activity.PhoneCall, Subject: "Alan about the invoice", Regarding: acme,
		Parties: activity.As(activity.RoleTo, alan), Fields: crm.Fields{activity.FieldDirection: true},
		ScheduledEnd: time.Date(2026, 3, 6, 11, 30, 0, 0, s.berlin)})
	if err != nil {
		return err
	}
	s.at(4, 17, 45)
	if _, err := acts.Cancel(ctx, missed.Ref(), missed.Version, activity.PhoneCallCanceled); err != nil {
		return err
	}
	s.series = series
	return nil
}

func (s *story) timeline() error {
	ctx := s.ctx
	// The account's timeline for this week and the next, four entries a
	// page, newest first. The series' instances stand for it (the master
	// itself is left out).
	s.say("== Timeline of Northwind Traders, 2–15 March (newest first, 4 a page)")
	o := activity.TimelineOptions{PageSize: 4, Types: []string{activity.PhoneCall, activity.Email, activity.Task, activity.Appointment},
		From: time.Date(2026, 3, 2, 0, 0, 0, 0, s.berlin), To: time.Date(2026, 3, 16, 0, 0, 0, 0, s.berlin)}
	for page := 1; ; page++ {
		p, err := s.acts.Timeline(ctx, s.acct.Ref(), o)
		if err != nil {
			return err
		}
		s.say("  page %d", page)
		for _, a := range p.Records {
			s.say("    %s  %-11s %-10s %s", a.SortDate.In(s.berlin).Format("Mon 02 Jan 15:04"), label(a), a.ActivityState(), a.Subject)
		}
		if p.Next == "" {
			break
		}
		o.Cursor = p.Next
	}

	// Next month's meetings, straight from the pattern and its
	// exceptions.
	from := time.Date(2026, 3, 9, 0, 0, 0, 0, s.berlin)
	to := from.AddDate(0, 1, 0)
	s.say("== Meetings from %s to %s (expanded from the series)", from.Format("2 Jan"), to.AddDate(0, 0, -1).Format("2 Jan"))
	month, err := s.acts.Expand(ctx, s.series.ID, recurrence.Window{From: from, To: to})
	if err != nil {
		return err
	}
	for o := range month {
		note := ""
		if o.Exception {
			note = fmt.Sprintf("  (moved from %s)", o.Date)
		}
		s.say("  %s–%s %s  %s UTC%s", o.Start.In(s.berlin).Format("Mon 02 Jan 15:04"), o.End.In(s.berlin).Format("15:04"),
			o.Start.In(s.berlin).Format("MST"), o.Start.UTC().Format("15:04"), note)
	}
	return nil
}

// label names an activity's type on the timeline.
func label(a activity.Activity) string {
	switch a.Type {
	case activity.PhoneCall:
		return "phone call"
	case activity.Appointment:
		if a.InstanceType != activity.NotRecurring {
			return "meeting"
		}
		return "appointment"
	}
	return a.Type
}

func collect[T any](seq func(func(T, error) bool)) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
