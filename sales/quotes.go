package sales

import (
	"context"
	"fmt"

	"github.com/crmkit/crmkit/activity"
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// Quotes is the quote service: the Documents operations (create with a
// number, typed reads and writes, product lines priced in one
// operation) and the quote's lifecycle: Activate, Revise, Win and Close,
// and FromOpportunity, which creates a quote from an opportunity's
// lines. It is safe for concurrent use.
type Quotes struct {
	*Documents[Quote]
}

// NewQuotes returns the quote service over st, whose registry must hold
// the sales entities (Register).
func NewQuotes(st *storage.Store, opts DocumentOptions) (*Quotes, error) {
	d, err := newDocuments(st, quoteKind, QuoteCodec(), SequenceQuote, opts)
	if err != nil {
		return nil, fmt.Errorf("quotes: %w", err)
	}
	return &Quotes{Documents: d}, nil
}

// Activate moves a Draft quote to Active (In Progress): the version the
// customer is shown, read-only from now on; revise it to change it.
// version is the version the quote was read at (crm.ErrConflict
// otherwise; storage.AnyVersion skips the check). A quote that is not
// Draft fails with a *crm.TransitionError.
func (s *Quotes) Activate(ctx context.Context, id crm.ID, version int64) (Quote, error) {
	return setState(ctx, s.table, id, version, EventActivate)
}

// quoteClose is how Win and Close close a quote.
func quoteClose(message, event string) closeStep {
	return closeStep{kind: quoteKind, message: message, event: event,
		activityType: activity.QuoteClose, activityField: activity.FieldQuote}
}

// Win closes an Active quote as Won, Dynamics' WinQuote, as the named
// operation MessageWinQuote: in one transaction it records the close
// date and a completed quote-close activity regarding the quote. It
// returns the quote as stored and the activity. A won quote is what
// Orders.FromQuote converts; its opportunity stays open (win it with
// Opportunities.Win). version works as in Activate; a quote that is not
// Active fails with a *crm.TransitionError.
func (s *Quotes) Win(ctx context.Context, id crm.ID, version int64, o CloseOptions) (Quote, crm.Ref, error) {
	rec, ref, err := quoteClose(MessageWinQuote, EventWinQuote).run(ctx, s.table.Store(), id, version, 0, o)
	if err != nil {
		return Quote{}, crm.Ref{}, fmt.Errorf("win quote %s: %w", id, err)
	}
	q, err := decodeQuote(rec)
	return q, ref, err
}

// Close closes an Active quote as Lost or Canceled (status; 0 is Lost),
// Dynamics' CloseQuote, as the named operation MessageCloseQuote: as Win,
// with that status reason. A Draft quote cannot be closed: delete it or
// activate it first.
func (s *Quotes) Close(ctx context.Context, id crm.ID, version int64, status QuoteStatus, o CloseOptions) (Quote, crm.Ref, error) {
	if status == 0 {
		status = QuoteStatusLost
	}
	if status != QuoteStatusLost && status != QuoteStatusCanceled {
		return Quote{}, crm.Ref{}, fmt.Errorf("close quote %s: %w", id,
			crm.Invalid(QuoteEntity, crm.FieldStatus, fmt.Sprintf("is %s: a quote closes as Lost or Canceled", status)))
	}
	rec, ref, err := quoteClose(MessageCloseQuote, EventCloseQuote).run(ctx, s.table.Store(), id, version, crm.StatusCode(status), o)
	if err != nil {
		return Quote{}, crm.Ref{}, fmt.Errorf("close quote %s: %w", id, err)
	}
	q, err := decodeQuote(rec)
	return q, ref, err
}

// Closes returns the quote-close activities of the quote, newest first.
func (s *Quotes) Closes(ctx context.Context, id crm.ID) ([]activity.Activity, error) {
	out, err := closesOf(ctx, s.table.Store(), activity.QuoteClose, activity.FieldQuote, QuoteRef(id))
	if err != nil {
		return nil, fmt.Errorf("close activities of quote %s: %w", id, err)
	}
	return out, nil
}

// Revise closes an Active quote as Revised and creates its next revision,
// Dynamics' ReviseQuote, as the named operation MessageReviseQuote: a
// Draft quote with the same number, the revision number one more, and
// the header and lines copied (their amounts too: a revision starts
// where the customer's version was). It returns the new revision.
// version is the version the quote was read at. Only an Active quote is
// revised (the reference's sources conflict on won and closed ones; a
// won quote may be an order already).
func (s *Quotes) Revise(ctx context.Context, id crm.ID, version int64) (Quote, error) {
	st := s.table.Store()
	var out Quote
	err := st.Execute(ctx, MessageReviseQuote, map[string]any{quoteKind.idInput: id}, func(ctx context.Context, x *storage.Execution) error {
		id, err := opInput[crm.ID](x, quoteKind.idInput)
		if err != nil {
			return err
		}
		old, err := st.Lock(ctx, QuoteEntity, id)
		if err != nil {
			return err
		}
		closed, err := st.ChangeState(ctx, old.Ref(), storage.StateChange{Event: EventReviseQuote, Version: version})
		if err != nil {
			return err
		}
		c := conversion{st: st, from: quoteKind, to: quoteKind, skip: []string{QuoteClosedOn},
			header: crm.Fields{QuoteNumber: old.Fields.String(QuoteNumber), QuoteRevision: old.Fields.Int(QuoteRevision) + 1}}
		rec, err := c.run(ctx, closed, crm.NewID())
		if err != nil {
			return err
		}
		out, err = decodeQuote(rec)
		return err
	})
	if err != nil {
		return Quote{}, fmt.Errorf("revise quote %s: %w", id, err)
	}
	return out, nil
}

// Revisions returns every revision of the quote number, oldest first.
func (s *Quotes) Revisions(ctx context.Context, number string) ([]Quote, error) {
	out, err := collect(s.table.Iterate(ctx, crm.Query{Where: crm.Eq(QuoteNumber, number),
		OrderBy: []crm.Order{crm.Asc(QuoteRevision)}}))
	if err != nil {
		return nil, fmt.Errorf("revisions of quote %s: %w", number, err)
	}
	return out, nil
}

// FromOpportunity creates a Draft quote for an open opportunity, Dynamics'
// GenerateQuoteFromOpportunity, as the named operation
// MessageGenerateQuoteFromOpportunity: the quote takes the opportunity's
// name, customer, price list, discounts, freight and totals, and a copy
// of each of its product lines, amounts included, so its total is the
// opportunity's. q gives the quote's own fields (a name, dates, terms,
// addresses); what it leaves empty comes from the opportunity. It
// returns the quote as stored.
//
// Errors: crm.ErrInvalidTransition for a won or lost opportunity,
// crm.ErrValidation for an opportunity without a customer.
func (s *Quotes) FromOpportunity(ctx context.Context, opportunityID crm.ID, q Quote) (Quote, error) {
	return s.fromOpportunity(ctx, MessageGenerateQuoteFromOpportunity, opportunityID, q)
}
