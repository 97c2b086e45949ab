package activity_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crmkit/crmkit/activity"
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/memory"
)

// An account's timeline: a call made, an email sent to two contacts and
// a task due, newest first, in one query across the types.
func Example() {
	reg := crm.NewRegistry()
	if err := sales.Register(reg); err != nil { // registers and enables activities too
		panic(err)
	}
	clock := crm.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	st := memory.Open(reg, storage.WithClock(clock))
	ctx := crm.AsSystem(context.Background())
	acts := activity.New(st, activity.WithSender(printSender{}))
	acme, _ := sales.NewAccounts(st).Create(ctx, sales.Account{Name: "Acme"})
	contacts := sales.NewContacts(st)
	ada, _ := contacts.Create(ctx, sales.Contact{FirstName: "Ada", LastName: "Lovelace", ParentCustomer: acme.Ref()})
	grace, _ := contacts.Create(ctx, sales.Contact{FirstName: "Grace", LastName: "Hopper", ParentCustomer: acme.Ref()})

	call, err := acts.Create(ctx, activity.Activity{Type: activity.PhoneCall, Subject: "Intro call", Regarding: acme.Ref(),
		Parties: activity.As(activity.RoleTo, ada.Ref())})
	if err != nil {
		panic(err)
	}
	clock.Advance(20 * time.Minute)
	if _, err := acts.Complete(ctx, call.Ref(), call.Version, activity.PhoneCallMade); err != nil {
		panic(err)
	}

	clock.Advance(time.Hour)
	mail, _ := acts.Create(ctx, activity.Activity{Type: activity.Email, Subject: "Our offer", Regarding: acme.Ref(),
		Parties: append(activity.As(activity.RoleSender, crm.SystemUser), activity.As(activity.RoleTo, ada.Ref(), grace.Ref())...)})
	if _, err := acts.Send(ctx, mail.ID, mail.Version); err != nil {
		panic(err)
	}
	_, _ = acts.Create(ctx, activity.Activity{Type: activity.Task, Subject: "Follow up", Regarding: acme.Ref(),
		ScheduledEnd: time.Date(2026, 3, 9, 17, 0, 0, 0, time.UTC)})

	page, err := acts.Timeline(ctx, acme.Ref(), activity.TimelineOptions{})
	if err != nil {
		panic(err)
	}
	for _, a := range page.Records {
		fmt.Printf("%s  %-9s %-10s %s\n", a.SortDate.Format("Jan 2 15:04"), a.Type, a.ActivityState(), a.Subject)
	}
	// Output:
	// sending "Our offer" to 2 recipients
	// Mar 9 17:00  task      Open       Follow up
	// Mar 2 10:20  email     Completed  Our offer
	// Mar 2 09:20  phonecall Completed  Intro call
}

type printSender struct{}

func (printSender) Send(_ context.Context, m activity.Activity) (string, error) {
	fmt.Printf("sending %q to %d recipients\n", m.Subject, len(m.PartiesIn(activity.RoleTo)))
	return "<1@example.com>", nil
}

// A case that closes: CloseOpen refuses while activities regarding it are
// open (Block), or cancels them (Cancel), inside the caller's transaction.
func ExampleCloseOpen() {
	reg := crm.NewRegistry()
	if err := sales.Register(reg); err != nil {
		panic(err)
	}
	st := memory.Open(reg)
	ctx := crm.AsSystem(context.Background())
	acts := activity.New(st)
	acme, _ := sales.NewAccounts(st).Create(ctx, sales.Account{Name: "Acme"})
	_, _ = acts.Create(ctx, activity.Activity{Type: activity.Task, Subject: "Check billing", Regarding: acme.Ref()})

	_, err := activity.CloseOpen(ctx, st, acme.Ref(), activity.Block)
	fmt.Println(errors.Is(err, activity.ErrOpenActivities))
	n, err := activity.CloseOpen(ctx, st, acme.Ref(), activity.Cancel)
	fmt.Println(n, err)
	// Output:
	// true
	// 1 <nil>
}
