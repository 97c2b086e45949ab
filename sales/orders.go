package sales

import (
	"context"
	"fmt"

	"github.com/crmkit/crmkit/activity"
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// Orders is the order service: the Documents operations and the order's
// lifecycle: FromQuote, which converts a won quote, Submit, Fulfill,
// Cancel, and LockPricing and UnlockPricing. It is safe for concurrent
// use.
type Orders struct {
	*Documents[Order]
}

// NewOrders returns the order service over st, whose registry must hold
// the sales entities (Register).
func NewOrders(st *storage.Store, opts DocumentOptions) (*Orders, error) {
	d, err := newDocuments(st, orderKind, OrderCodec(), SequenceOrder, opts)
	if err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	return &Orders{Documents: d}, nil
}

// FromQuote converts a won quote into an order, Dynamics'
// ConvertQuoteToSalesOrder, as the named operation
// MessageConvertQuoteToOrder: the order takes the quote's header
// (customer, opportunity, price list, discounts, freight, terms,
// addresses and totals) and a copy of each line, linked to the quote
// line it came from (LineQuoteLine), with its prices locked
// (PriceLocked), so its total is the quote's. It returns the order as
// stored.
//
// A won quote becomes one order: converting it again, even at the same
// moment from another goroutine or process, fails with
// ErrAlreadyConverted (crm.ErrDuplicate). A quote that is not Won fails
// with a *crm.TransitionError (crm.ErrInvalidTransition).
func (s *Orders) FromQuote(ctx context.Context, quoteID crm.ID) (Order, error) {
	st := s.table.Store()
	var out Order
	err := st.Execute(ctx, MessageConvertQuoteToOrder, map[string]any{quoteKind.idInput: quoteID},
		func(ctx context.Context, x *storage.Execution) error {
			id, err := opInput[crm.ID](x, quoteKind.idInput)
			if err != nil {
				return err
			}
			// Locked for the rest of the transaction: a second conversion
			// waits here, then finds this one's order.
			quote, err := st.Lock(ctx, QuoteEntity, id)
			if err != nil {
				return err
			}
			if QuoteState(quote.State) != QuoteStateWon {
				return &crm.TransitionError{Entity: QuoteEntity, State: quoteKind.stateName(quote.State), Event: x.Message}
			}
			if err := notConverted(ctx, st, id); err != nil {
				return err
			}
			rec, err := s.numbered(ctx, crm.Record{Fields: crm.Fields{OrderQuote: quote.Ref(), DocumentPriceLocked: true}})
			if err != nil {
				return err
			}
			c := conversion{st: st, from: quoteKind, to: orderKind, header: rec.Fields}
			created, err := c.run(ctx, quote, crm.NewID())
			if err != nil {
				return err
			}
			out, err = decodeOrder(created)
			return err
		})
	if err != nil {
		return Order{}, fmt.Errorf("order from quote %s: %w", quoteID, err)
	}
	return out, nil
}

// FromOpportunity creates an Active order for an open opportunity,
// Dynamics' GenerateSalesOrderFromOpportunity, as the named operation
// MessageGenerateOrderFromOpportunity: as Quotes.FromOpportunity, the
// order takes the opportunity's header and a copy of its lines with their
// amounts; its prices are not locked. o gives the order's own fields.
func (s *Orders) FromOpportunity(ctx context.Context, opportunityID crm.ID, o Order) (Order, error) {
	return s.fromOpportunity(ctx, MessageGenerateOrderFromOpportunity, opportunityID, o)
}

// Submit moves an Active order to Submitted (In Progress): handed to
// order processing, read-only. version works as in Quotes.Activate.
func (s *Orders) Submit(ctx context.Context, id crm.ID, version int64) (Order, error) {
	return setState(ctx, s.table, id, version, EventSubmitOrder)
}

func orderClose(message, event string) closeStep {
	return closeStep{kind: orderKind, message: message, event: event, activityType: activity.OrderClose,
		activityField: activity.FieldOrder}
}

// Fulfill closes an Active or Submitted order as Fulfilled, Complete or
// Partial (status; 0 is Complete), Dynamics' FulfillSalesOrder, as the
// named operation MessageFulfillOrder: in one transaction it records the
// date fulfilled and a completed order-close activity regarding the
// order. It returns the order as stored and the activity. version works
// as in Quotes.Activate; another state fails with a *crm.TransitionError.
func (s *Orders) Fulfill(ctx context.Context, id crm.ID, version int64, status OrderStatus, o CloseOptions) (Order, crm.Ref, error) {
	if status == 0 {
		status = OrderStatusComplete
	}
	rec, ref, err := orderClose(MessageFulfillOrder, EventFulfillOrder).run(ctx, s.table.Store(), id, version, crm.StatusCode(status), o)
	if err != nil {
		return Order{}, crm.Ref{}, fmt.Errorf("fulfill order %s: %w", id, err)
	}
	out, err := decodeOrder(rec)
	return out, ref, err
}

// Cancel closes an Active or Submitted order as Canceled (No Money),
// Dynamics' CancelSalesOrder, as the named operation MessageCancelOrder,
// recording the order-close activity as Fulfill does.
func (s *Orders) Cancel(ctx context.Context, id crm.ID, version int64, o CloseOptions) (Order, crm.Ref, error) {
	rec, ref, err := orderClose(MessageCancelOrder, EventCancelOrder).run(ctx, s.table.Store(), id, version, 0, o)
	if err != nil {
		return Order{}, crm.Ref{}, fmt.Errorf("cancel order %s: %w", id, err)
	}
	out, err := decodeOrder(rec)
	return out, ref, err
}

// Closes returns the order-close activities of the order, newest first.
func (s *Orders) Closes(ctx context.Context, id crm.ID) ([]activity.Activity, error) {
	out, err := closesOf(ctx, s.table.Store(), activity.OrderClose, activity.FieldOrder, OrderRef(id))
	if err != nil {
		return nil, fmt.Errorf("close activities of order %s: %w", id, err)
	}
	return out, nil
}

// LockPricing locks the prices of an Active order, Dynamics'
// LockSalesOrderPricing, as the named operation MessageLockOrderPricing:
// its lines keep their prices when the catalog changes (a quantity
// change still finds its volume discount). version works as in
// Quotes.Activate.
func (s *Orders) LockPricing(ctx context.Context, id crm.ID, version int64) (Order, error) {
	rec, err := s.pricer.setPriceLock(ctx, MessageLockOrderPricing, id, version, true)
	if err != nil {
		return Order{}, fmt.Errorf("lock pricing of order %s: %w", id, err)
	}
	return decodeOrder(rec)
}

// UnlockPricing unlocks the prices of an Active order, Dynamics'
// UnlockSalesOrderPricing ("Use Current Pricing"), as the named
// operation MessageUnlockOrderPricing, and prices its lines again from
// the price list as it is now.
func (s *Orders) UnlockPricing(ctx context.Context, id crm.ID, version int64) (Order, error) {
	rec, err := s.pricer.setPriceLock(ctx, MessageUnlockOrderPricing, id, version, false)
	if err != nil {
		return Order{}, fmt.Errorf("unlock pricing of order %s: %w", id, err)
	}
	return decodeOrder(rec)
}
