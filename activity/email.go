package activity

import (
	"context"
	"errors"
	"fmt"

	"github.com/crmkit/crmkit/crm"
)

// Sender sends email for the host: crmkit does not send mail itself.
// Send receives the email as stored (its parties included) and returns
// the message ID its mail system gave it, or an error if it was not
// sent. It is called after the transaction that marked the email Sending
// has committed, never inside a transaction, so it may take its time and
// talk to the network; it must be safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, email Activity) (messageID string, err error)
}

// ErrNoSender is returned by Send when the service has no Sender
// (WithSender); nothing is changed.
var ErrNoSender = errors.New("no email sender configured (activity.WithSender)")

// SendError is Send's error when the Sender failed: the email is recorded
// Failed (Open, status reason EmailFailed), at version Version, and Err
// is the sender's error.
type SendError struct {
	Email   crm.ID
	Version int64
	Err     error
}

func (e *SendError) Error() string { return fmt.Sprintf("send email %s: %v", e.Email, e.Err) }
func (e *SendError) Unwrap() error { return e.Err }

// Send sends a draft (or failed) email through the host's Sender, as
// Dynamics does: it moves the email Draft → Pending Send and commits,
// then Sending and commits, calls the Sender outside any transaction,
// and records the outcome in a new transaction: Sent (Completed, its
// actual end stamped, FieldMessageID set to the sender's ID), or Failed
// (still Open, so it can be edited and sent again), in which case Send
// returns a *SendError. version works as in Update.
//
// Send runs its own transactions: called with a ctx inside one, it fails
// (the Sender must not run inside a transaction). Without a Sender it
// fails with ErrNoSender and changes nothing. Should the process stop
// between Sending and the outcome, the email stays Sending: a host
// reconciles it with its mail system (and records Sent or Failed with
// SetState, EventSent or EventFail).
func (s *Service) Send(ctx context.Context, id crm.ID, version int64) (Activity, error) {
	ref := crm.Ref{Entity: Email, ID: id}
	if s.sender == nil {
		return Activity{}, fmt.Errorf("send email %s: %w", id, ErrNoSender)
	}
	if s.store.InTransaction(ctx) {
		return Activity{}, fmt.Errorf("send email %s: %w", id, crm.Invalid(Email, "transaction", "Send runs its own transactions and calls the sender after they commit: call it outside InTx"))
	}
	a, err := s.SetState(ctx, ref, version, EventSend, EmailPendingSend)
	if err != nil {
		return Activity{}, fmt.Errorf("send email %s: %w", id, err)
	}
	if a, err = s.SetState(ctx, ref, a.Version, EventSending, EmailSending); err != nil {
		return Activity{}, fmt.Errorf("send email %s: %w", id, err)
	}
	mail, err := s.Get(ctx, ref)
	if err != nil {
		return Activity{}, fmt.Errorf("send email %s: %w", id, err)
	}
	msgID, sendErr := s.sender.Send(ctx, mail)
	if sendErr != nil {
		failed, err := s.SetState(context.WithoutCancel(ctx), ref, mail.Version, EventFail, EmailFailed)
		if err != nil {
			return Activity{}, fmt.Errorf("send email %s: %w (and recording the failure: %w)", id, sendErr, err)
		}
		return failed, &SendError{Email: id, Version: failed.Version, Err: sendErr}
	}
	var fields crm.Fields
	if msgID != "" {
		fields = crm.Fields{FieldMessageID: msgID}
	}
	sent, err := s.table(Email).ChangeState(context.WithoutCancel(ctx), id, changeState(EventSent, EmailSent, mail.Version, fields))
	if err != nil {
		return Activity{}, fmt.Errorf("send email %s: sent as %q, but recording it failed: %w", id, msgID, err)
	}
	return sent, nil
}
