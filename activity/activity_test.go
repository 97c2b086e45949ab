package activity_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/activity"
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/internal/crmtest"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
)

// allTypes are the built-in types and the custom type of the schema.
func allTypes() []string { return append(activity.Types(), "visit") }

func TestLifecycles(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		e := b.env(t, nil)
		acme := e.account(t, "Acme")
		reg := e.store.Registry()
		for _, typ := range allTypes() {
			t.Run(typ, func(t *testing.T) {
				ent, err := reg.Entity(typ)
				require.NoError(t, err)
				lc := ent.Lifecycle
				a := e.create(t, activity.Activity{Type: typ, Subject: "About " + typ, Regarding: acme.Ref()})
				require.Equal(t, activity.StateOpen, a.ActivityState())
				require.Equal(t, !slices.Contains([]string{activity.OpportunityClose, activity.QuoteClose, activity.OrderClose,
					activity.IncidentResolution, activity.CampaignResponse, activity.CampaignActivity}, typ), a.IsRegular,
					"system types are not regular activities")

				t.Run("status reason belongs to the state", func(t *testing.T) {
					for _, st := range lc.Statuses {
						if activity.State(st.State) == activity.StateCompleted {
							continue
						}
						_, err := e.acts.Complete(e.ctx, a.Ref(), a.Version, st.Code)
						require.ErrorIs(t, err, crm.ErrValidation, "status %d (%s) of state %d", st.Code, st.Name, st.State)
					}
				})

				t.Run("every event not allowed from Open is refused", func(t *testing.T) {
					for _, tr := range lc.Transitions {
						if slices.Contains(tr.From, crm.StateCode(activity.StateOpen)) {
							continue
						}
						_, err := e.acts.SetState(e.ctx, a.Ref(), a.Version, tr.Event, 0)
						require.ErrorIs(t, err, crm.ErrInvalidTransition, tr.Event)
					}
				})

				e.clock.Advance(time.Hour)
				done, err := e.acts.Complete(e.ctx, a.Ref(), a.Version, 0)
				require.NoError(t, err)
				require.Equal(t, activity.StateCompleted, done.ActivityState())
				require.Equal(t, e.clock.Now(), done.ActualEnd, "completing stamps the actual end")
				require.Equal(t, e.clock.Now(), done.ActualStart, "and an empty actual start")
				require.Equal(t, e.clock.Now(), done.SortDate)
				require.EqualValues(t, 0, *done.ActualDuration)

				t.Run("closed is read-only", func(t *testing.T) {
					done.Subject = "changed"
					_, err := e.acts.Update(e.ctx, done)
					require.ErrorIs(t, err, crm.ErrInvalidTransition)
					_, err = e.acts.AddParties(e.ctx, done.ID, activity.Unresolved(activity.RoleTo, "x@example.com"))
					require.ErrorIs(t, err, crm.ErrInvalidTransition, "a closed activity's parties do not change")
				})

				t.Run("every event not allowed from Completed is refused", func(t *testing.T) {
					for _, tr := range lc.Transitions {
						if slices.Contains(tr.From, crm.StateCode(activity.StateCompleted)) {
							continue
						}
						_, err := e.acts.SetState(e.ctx, done.Ref(), done.Version, tr.Event, 0)
						require.ErrorIs(t, err, crm.ErrInvalidTransition, tr.Event)
					}
				})

				open, err := e.acts.Reopen(e.ctx, done.Ref(), done.Version)
				require.NoError(t, err)
				require.Equal(t, activity.StateOpen, open.ActivityState())
				canceled, err := e.acts.Cancel(e.ctx, open.Ref(), open.Version, 0)
				require.NoError(t, err)
				require.Equal(t, activity.StateCanceled, canceled.ActivityState())
				ptr, err := e.store.Get(e.ctx, activity.PointerEntity, a.ID)
				require.NoError(t, err)
				require.Equal(t, canceled.Header, ptr.Header, "the pointer follows")
				require.Equal(t, typ, ptr.Fields.String(activity.FieldType))
			})
		}
	})
}

func TestStampsThroughTheStore(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		e := b.env(t, nil)
		started := start.Add(-30 * time.Minute)
		call := e.create(t, activity.Activity{Type: activity.PhoneCall, Subject: "Call", ActualStart: started})
		e.clock.Advance(15 * time.Minute)
		rec, err := e.store.SetState(e.ctx, call.Ref(), call.Version, activity.EventComplete, activity.PhoneCallReceived)
		require.NoError(t, err)
		require.Equal(t, start.Add(15*time.Minute), rec.Fields.Time(activity.FieldActualEnd))
		require.Equal(t, started, rec.Fields.Time(activity.FieldActualStart), "a recorded start is kept")
		require.EqualValues(t, 45, rec.Fields.Int(activity.FieldActualDuration))
		ptr, err := e.store.Get(e.ctx, activity.PointerEntity, call.ID)
		require.NoError(t, err)
		require.EqualValues(t, 45, ptr.Fields.Int(activity.FieldActualDuration), "computed on the type, mirrored into the pointer")
	})
}

func TestPartyRoles(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		e := b.env(t, nil)
		acme := e.account(t, "Acme")
		ada, grace := e.contact(t, "Lovelace", acme.Ref()), e.contact(t, "Hopper", acme.Ref())

		t.Run("scenario 26: email from a user to two contacts cc a user", func(t *testing.T) {
			parties := append(activity.As(activity.RoleSender, alice), activity.As(activity.RoleTo, ada.Ref(), grace.Ref())...)
			parties = append(parties, activity.As(activity.RoleCc, bob)...)
			mail := e.create(t, activity.Activity{Type: activity.Email, Subject: "Offer", Regarding: acme.Ref(), Parties: parties})
			var masks []activity.Role
			got, err := e.acts.Get(e.ctx, crm.Ref{Entity: activity.PointerEntity, ID: mail.ID})
			require.NoError(t, err)
			for _, p := range got.Parties {
				masks = append(masks, p.Role)
			}
			require.Equal(t, []activity.Role{1, 2, 2, 3}, masks)
			require.Equal(t, activity.Email, got.Type)

			_, err = e.acts.AddParties(e.ctx, mail.ID, activity.As(activity.RoleRequiredAttendee, ada.Ref())...)
			require.ErrorIs(t, err, crm.ErrValidation, "a required attendee on an email is refused")
			_, err = e.acts.AddParties(e.ctx, mail.ID, activity.As(activity.RoleTo, ada.Ref())...)
			require.ErrorIs(t, err, crm.ErrDuplicate, "one row per (activity, party, role)")
		})

		t.Run("roles per type", func(t *testing.T) {
			for _, typ := range allTypes() {
				allowed := activity.AllowedRoles(typ)
				a := e.create(t, activity.Activity{Type: typ, Subject: typ})
				for r := activity.RoleSender; r <= activity.RoleChatParticipant; r++ {
					party := ada.Ref()
					if r == activity.RoleOrganizer {
						party = alice
					}
					_, err := e.acts.AddParties(e.ctx, a.ID, activity.Party{Role: r, Party: party})
					if slices.Contains(allowed, r) {
						require.NoError(t, err, "%s on %s", r, typ)
					} else {
						require.ErrorIs(t, err, crm.ErrValidation, "%s on %s", r, typ)
					}
				}
			}
			require.Len(t, activity.AllowedRoles("visit"), 12, "a custom type allows every role")
		})

		t.Run("an organizer is a user", func(t *testing.T) {
			a := e.create(t, activity.Activity{Type: activity.Appointment, Subject: "Lunch"})
			_, err := e.acts.AddParties(e.ctx, a.ID, activity.As(activity.RoleOrganizer, ada.Ref())...)
			require.ErrorIs(t, err, crm.ErrValidation)
		})

		t.Run("an unresolved party needs an address", func(t *testing.T) {
			a := e.create(t, activity.Activity{Type: activity.Email, Subject: "Hi"})
			ps, err := e.acts.AddParties(e.ctx, a.ID, activity.Unresolved(activity.RoleTo, "someone@example.com"))
			require.NoError(t, err)
			require.True(t, ps[0].Party.IsZero())
			_, err = e.acts.AddParties(e.ctx, a.ID, activity.Party{Role: activity.RoleTo})
			require.ErrorIs(t, err, crm.ErrValidation)
		})

		t.Run("a refused party creates nothing", func(t *testing.T) {
			before := e.count(t, activity.PointerEntity)
			_, err := e.acts.Create(e.ctx, activity.Activity{Type: activity.PhoneCall, Subject: "Bad",
				Parties: activity.As(activity.RoleResource, ada.Ref())})
			require.ErrorIs(t, err, crm.ErrValidation)
			require.Equal(t, before, e.count(t, activity.PointerEntity))
		})

		t.Run("deleting a party's record keeps the row of a closed activity", func(t *testing.T) {
			temp := e.contact(t, "Temp", crm.Ref{})
			a := e.create(t, activity.Activity{Type: activity.PhoneCall, Subject: "Temp call", Parties: activity.As(activity.RoleTo, temp.Ref())})
			_, err := e.acts.Complete(e.ctx, a.Ref(), a.Version, 0)
			require.NoError(t, err)
			require.NoError(t, e.contacts.Delete(e.ctx, temp.ID, temp.Version))
			ps, err := e.acts.Parties(e.ctx, a.ID)
			require.NoError(t, err)
			require.Len(t, ps, 1)
			require.True(t, ps[0].Party.IsZero(), "the link is removed, the row kept")
		})
	})
}

func TestTimeline(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		e := b.env(t, nil)
		acme, other := e.account(t, "Acme"), e.account(t, "Other")
		ada := e.contact(t, "Lovelace", acme.Ref())
		day := func(d int) time.Time { return start.AddDate(0, 0, d) }
		types := []string{activity.PhoneCall, activity.Email, activity.Task, activity.Appointment, "visit"}
		for i := range 10 {
			e.create(t, activity.Activity{Type: types[i%len(types)], Subject: fmt.Sprintf("a%d", i),
				Regarding: acme.Ref(), ScheduledEnd: day(i % 7)})
		}
		e.create(t, activity.Activity{Type: activity.Task, Subject: "undated", Regarding: acme.Ref()})
		e.create(t, activity.Activity{Type: activity.Task, Subject: "elsewhere", Regarding: other.Ref(), ScheduledEnd: day(3)})
		e.create(t, activity.Activity{Type: activity.PhoneCall, Subject: "with ada", Regarding: other.Ref(),
			ScheduledEnd: day(20), Parties: activity.As(activity.RoleTo, ada.Ref())})

		all, err := collect(e.acts.TimelineAll(e.ctx, acme.Ref(), activity.TimelineOptions{}))
		require.NoError(t, err)
		require.Len(t, all, 11)
		for i := 1; i < len(all); i++ {
			p, c := all[i-1], all[i]
			if c.SortDate.IsZero() {
				continue
			}
			require.False(t, p.SortDate.IsZero(), "undated entries sort last")
			require.True(t, p.SortDate.After(c.SortDate) || p.SortDate.Equal(c.SortDate) && p.ID.String() > c.ID.String(),
				"sort date desc, then ID desc: %s before %s", p.Subject, c.Subject)
		}
		require.Equal(t, "undated", all[10].Subject)

		t.Run("paging with a cursor", func(t *testing.T) {
			var paged []activity.Activity
			o := activity.TimelineOptions{PageSize: 3}
			for {
				p, err := e.acts.Timeline(e.ctx, acme.Ref(), o)
				require.NoError(t, err)
				paged = append(paged, p.Records...)
				if !p.More {
					break
				}
				o.Cursor = p.Next
			}
			require.Equal(t, subjects(t, all), subjects(t, paged))
		})

		t.Run("filters", func(t *testing.T) {
			p, err := e.acts.Timeline(e.ctx, acme.Ref(), activity.TimelineOptions{Types: []string{activity.Email, "visit"}})
			require.NoError(t, err)
			for _, a := range p.Records {
				require.Contains(t, []string{activity.Email, "visit"}, a.Type)
			}
			require.Len(t, p.Records, 4)

			p, err = e.acts.Timeline(e.ctx, acme.Ref(), activity.TimelineOptions{From: day(2), To: day(4)})
			require.NoError(t, err)
			for _, a := range p.Records {
				require.True(t, !a.SortDate.Before(day(2)) && a.SortDate.Before(day(4)))
			}
			require.Len(t, p.Records, 3) // a2, a3, a9

			first := all[0]
			_, err = e.acts.Complete(e.ctx, crm.Ref{Entity: first.Type, ID: first.ID}, first.Version, 0)
			require.NoError(t, err)
			p, err = e.acts.Timeline(e.ctx, acme.Ref(), activity.TimelineOptions{States: []activity.State{activity.StateCompleted}})
			require.NoError(t, err)
			require.Equal(t, []string{first.Subject}, subjects(t, p.Records))
		})

		t.Run("involving", func(t *testing.T) {
			got, err := collect(e.acts.Involving(e.ctx, ada.Ref()))
			require.NoError(t, err)
			require.Equal(t, []string{"with ada"}, subjects(t, got))
			got, err = collect(e.acts.Involving(e.ctx, ada.Ref(), activity.RoleCc))
			require.NoError(t, err)
			require.Empty(t, got)
			p, err := e.acts.Timeline(e.ctx, ada.Ref(), activity.TimelineOptions{Involving: true})
			require.NoError(t, err)
			require.Equal(t, []string{"with ada"}, subjects(t, p.Records))
		})
	})
}

func TestCustomType(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		e := b.env(t, nil)
		acme := e.account(t, "Acme")
		ada := e.contact(t, "Lovelace", acme.Ref())
		v := e.create(t, activity.Activity{Type: "visit", Subject: "Visit the plant", Regarding: acme.Ref(),
			ScheduledStart: start, ScheduledEnd: start.Add(2 * time.Hour),
			Fields:  crm.Fields{"mileage": int64(42)},
			Parties: activity.As(activity.RoleRequiredAttendee, ada.Ref())})
		require.EqualValues(t, 120, *v.ScheduledDuration)
		require.EqualValues(t, 42, v.Fields.Int("mileage"))
		p, err := e.acts.Timeline(e.ctx, acme.Ref(), activity.TimelineOptions{})
		require.NoError(t, err)
		require.Equal(t, []string{"visit"}, []string{p.Records[0].Type})
		inv, err := collect(e.acts.Involving(e.ctx, ada.Ref(), activity.RoleRequiredAttendee))
		require.NoError(t, err)
		require.Len(t, inv, 1)
	})
}

func TestDeletingTheRegardingRecord(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		e := b.env(t, nil)
		acme, keep := e.account(t, "Acme"), e.account(t, "Keep")
		ada := e.contact(t, "Lovelace", keep.Ref())
		for _, typ := range allTypes() {
			a := activity.Activity{Type: typ, Subject: typ, Regarding: acme.Ref()}
			if roles := activity.AllowedRoles(typ); len(roles) > 0 {
				a.Parties = []activity.Party{{Role: roles[0], Party: alice}}
			}
			e.create(t, a)
		}
		kept := e.create(t, activity.Activity{Type: activity.PhoneCall, Subject: "kept", Regarding: keep.Ref(),
			Parties: activity.As(activity.RoleTo, ada.Ref())})
		acme, err := e.accounts.Get(e.ctx, acme.ID)
		require.NoError(t, err)
		require.NoError(t, e.accounts.Delete(e.ctx, acme.ID, acme.Version))
		require.EqualValues(t, 1, e.count(t, activity.PointerEntity), "every type's activities went with the account")
		require.EqualValues(t, 1, e.count(t, activity.PartyEntity), "and their parties")
		for _, typ := range allTypes() {
			want := int64(0)
			if typ == activity.PhoneCall {
				want = 1
			}
			require.Equal(t, want, e.count(t, typ), typ)
		}
		_, err = e.acts.Get(e.ctx, kept.Ref())
		require.NoError(t, err)
	})
}

// fakeSender records what it sends and fails when told to.
type fakeSender struct {
	fail error
	sent []activity.Activity
	st   *storage.Store
	inTx bool
}

func (f *fakeSender) Send(ctx context.Context, mail activity.Activity) (string, error) {
	f.inTx = f.st.InTransaction(ctx)
	if f.fail != nil {
		return "", f.fail
	}
	f.sent = append(f.sent, mail)
	return "<msg-1@example.com>", nil
}

func TestSend(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		e := b.env(t, nil)
		acme := e.account(t, "Acme")
		ada := e.contact(t, "Lovelace", acme.Ref())
		draft := func() activity.Activity {
			return e.create(t, activity.Activity{Type: activity.Email, Subject: "Offer", Description: "Dear Ada",
				Regarding: acme.Ref(), Parties: append(activity.As(activity.RoleSender, alice), activity.As(activity.RoleTo, ada.Ref())...)})
		}

		t.Run("no sender: nothing changes", func(t *testing.T) {
			m := draft()
			_, err := e.acts.Send(e.ctx, m.ID, m.Version)
			require.ErrorIs(t, err, activity.ErrNoSender)
			got, err := e.acts.Get(e.ctx, m.Ref())
			require.NoError(t, err)
			require.Equal(t, m.Version, got.Version)
		})

		t.Run("sent", func(t *testing.T) {
			fs := &fakeSender{st: e.store}
			svc := activity.New(e.store, activity.WithSender(fs))
			m := draft()
			sent, err := svc.Send(e.ctx, m.ID, m.Version)
			require.NoError(t, err)
			require.Equal(t, activity.EmailSent, sent.Status)
			require.Equal(t, activity.StateCompleted, sent.ActivityState())
			require.Equal(t, "<msg-1@example.com>", sent.Fields.String(activity.FieldMessageID))
			require.False(t, sent.ActualEnd.IsZero())
			require.Len(t, fs.sent, 1)
			require.Equal(t, activity.EmailSending, fs.sent[0].Status, "the sender sees the email Sending")
			require.Len(t, fs.sent[0].Parties, 2)
			require.False(t, fs.inTx, "the sender is called outside any transaction")

			_, err = svc.Send(e.ctx, sent.ID, sent.Version)
			require.ErrorIs(t, err, crm.ErrInvalidTransition, "a sent email is not sent again")
		})

		t.Run("failed stays open and can be sent again", func(t *testing.T) {
			boom := errors.New("smtp: 451 try later")
			fs := &fakeSender{st: e.store, fail: boom}
			svc := activity.New(e.store, activity.WithSender(fs))
			m := draft()
			failed, err := svc.Send(e.ctx, m.ID, m.Version)
			require.ErrorIs(t, err, boom)
			var se *activity.SendError
			require.ErrorAs(t, err, &se)
			require.Equal(t, activity.EmailFailed, failed.Status)
			require.Equal(t, activity.StateOpen, failed.ActivityState())
			fs.fail = nil
			sent, err := svc.Send(e.ctx, m.ID, se.Version)
			require.NoError(t, err)
			require.Equal(t, activity.EmailSent, sent.Status)
		})

		t.Run("the send path is kept in order", func(t *testing.T) {
			m := draft()
			_, err := e.store.SetState(e.ctx, m.Ref(), m.Version, activity.EventSending, activity.EmailSending)
			require.ErrorIs(t, err, crm.ErrInvalidTransition, "sending from draft")
			pending, err := e.store.SetState(e.ctx, m.Ref(), m.Version, activity.EventSend, activity.EmailPendingSend)
			require.NoError(t, err)
			_, err = e.store.SetState(e.ctx, m.Ref(), pending.Version, activity.EventSent, activity.EmailSent)
			require.ErrorIs(t, err, crm.ErrValidation, "sent before sending")
		})

		t.Run("not inside a transaction", func(t *testing.T) {
			svc := activity.New(e.store, activity.WithSender(&fakeSender{st: e.store}))
			m := draft()
			err := e.store.InTx(e.ctx, func(ctx context.Context) error {
				_, err := svc.Send(ctx, m.ID, m.Version)
				return err
			})
			require.ErrorIs(t, err, crm.ErrValidation)
		})
	})
}

func TestCloseOpen(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		e := b.env(t, nil)
		acme := e.account(t, "Acme")
		call := e.create(t, activity.Activity{Type: activity.PhoneCall, Subject: "Call", Regarding: acme.Ref()})
		task := e.create(t, activity.Activity{Type: activity.Task, Subject: "Task", Regarding: acme.Ref()})
		appt := e.create(t, activity.Activity{Type: activity.Appointment, Subject: "Meet", Regarding: acme.Ref()})
		appt, err := e.acts.SetState(e.ctx, appt.Ref(), appt.Version, activity.EventSchedule, 0)
		require.NoError(t, err)
		done := e.create(t, activity.Activity{Type: "visit", Subject: "Visit", Regarding: acme.Ref()})
		_, err = e.acts.Complete(e.ctx, done.Ref(), done.Version, 0)
		require.NoError(t, err)

		_, err = activity.CloseOpen(e.ctx, e.store, acme.Ref(), activity.Block)
		require.ErrorIs(t, err, activity.ErrOpenActivities)
		var oe *activity.OpenActivitiesError
		require.ErrorAs(t, err, &oe)
		require.ElementsMatch(t, []crm.Ref{call.Ref(), task.Ref(), appt.Ref()}, oe.Open)

		// Inside a transaction that goes on to fail, the cancels go too.
		err = e.store.InTx(e.ctx, func(ctx context.Context) error {
			n, err := activity.CloseOpen(ctx, e.store, acme.Ref(), activity.Cancel)
			require.NoError(t, err)
			require.Equal(t, 3, n)
			return errors.New("the case was not resolved after all")
		})
		require.Error(t, err)
		got, err := e.acts.Get(e.ctx, call.Ref())
		require.NoError(t, err)
		require.Equal(t, activity.StateOpen, got.ActivityState())

		n, err := activity.CloseOpen(e.ctx, e.store, acme.Ref(), activity.Cancel)
		require.NoError(t, err)
		require.Equal(t, 3, n)
		for _, ref := range []crm.Ref{call.Ref(), task.Ref(), appt.Ref()} {
			got, err := e.acts.Get(e.ctx, ref)
			require.NoError(t, err)
			require.Equal(t, activity.StateCanceled, got.ActivityState(), ref.Entity)
			require.False(t, got.ActualEnd.IsZero())
		}
		_, err = activity.CloseOpen(e.ctx, e.store, acme.Ref(), activity.Block)
		require.NoError(t, err, "nothing open any more")
	})
}

func TestCreateWithPartiesIsAtomic(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		var fd *crmtest.FailingDriver
		e := b.env(t, func(d driver.Driver) driver.Driver { fd = crmtest.NewFailingDriver(d); return fd })
		acme := e.account(t, "Acme")
		ada := e.contact(t, "Lovelace", acme.Ref())
		mail := activity.Activity{Type: activity.Email, Subject: "Offer", Regarding: acme.Ref(),
			Parties: append(activity.As(activity.RoleSender, alice), activity.As(activity.RoleTo, ada.Ref())...)}
		for n := 1; ; n++ {
			fd.FailAt(n)
			_, err := e.acts.Create(e.ctx, mail)
			if err == nil {
				require.Greater(t, n, 2, "the activity, its pointer and its parties are separate writes")
				break
			}
			require.ErrorIs(t, err, crmtest.ErrInjected, "write %d", n)
			fd.FailAt(0)
			require.Zero(t, e.count(t, activity.PointerEntity), "write %d failed: nothing is left", n)
			require.Zero(t, e.count(t, activity.Email))
			require.Zero(t, e.count(t, activity.PartyEntity))
		}
		fd.FailAt(0)
		require.EqualValues(t, 1, e.count(t, activity.Email))
		require.EqualValues(t, 2, e.count(t, activity.PartyEntity))
	})
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
