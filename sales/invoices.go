package sales

import (
	"context"
	"fmt"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// Invoices is the invoice service: the Documents operations and the
// invoice's lifecycle: FromOrder, which invoices an order, Pay, Cancel,
// Reactivate, and LockPricing and UnlockPricing. It is safe for
// concurrent use.
type Invoices struct {
	*Documents[Invoice]
}

// NewInvoices returns the invoice service over st, whose registry must
// hold the sales entities (Register).
func NewInvoices(st *storage.Store, opts DocumentOptions) (*Invoices, error) {
	d, err := newDocuments(st, invoiceKind, InvoiceCodec(), SequenceInvoice, opts)
	if err != nil {
		return nil, fmt.Errorf("invoices: %w", err)
	}
	return &Invoices{Documents: d}, nil
}

// FromOrder invoices an order, Dynamics' ConvertSalesOrderToInvoice, as
// the named operation MessageConvertOrderToInvoice: in one transaction
// the order becomes Invoiced and the invoice takes its header (customer,
// opportunity, price list, discounts, freight, terms, addresses and
// totals) and a copy of each line, linked to the order line it came from
// (LineOrderLine), with its prices locked, so its total is the order's.
// It returns the invoice as stored.
//
// An order is invoiced once: an order that is Invoiced already, or
// Canceled, fails with a *crm.TransitionError (crm.ErrInvalidTransition),
// also when two conversions race.
func (s *Invoices) FromOrder(ctx context.Context, orderID crm.ID) (Invoice, error) {
	st := s.table.Store()
	var out Invoice
	err := st.Execute(ctx, MessageConvertOrderToInvoice, map[string]any{orderKind.idInput: orderID},
		func(ctx context.Context, x *storage.Execution) error {
			id, err := opInput[crm.ID](x, orderKind.idInput)
			if err != nil {
				return err
			}
			order, err := st.ChangeState(ctx, OrderRef(id), storage.StateChange{Event: EventInvoiceOrder, Version: storage.AnyVersion})
			if err != nil {
				return err
			}
			rec, err := s.numbered(ctx, crm.Record{Fields: crm.Fields{InvoiceOrder: order.Ref(), DocumentPriceLocked: true}})
			if err != nil {
				return err
			}
			c := conversion{st: st, from: orderKind, to: invoiceKind, header: rec.Fields,
				skip: []string{OrderSubmitDate, OrderDateFulfilled}}
			created, err := c.run(ctx, order, crm.NewID())
			if err != nil {
				return err
			}
			out, err = decodeInvoice(created)
			return err
		})
	if err != nil {
		return Invoice{}, fmt.Errorf("invoice from order %s: %w", orderID, err)
	}
	return out, nil
}

// FromOpportunity creates an Active invoice for an open opportunity,
// Dynamics' GenerateInvoiceFromOpportunity, as the named operation
// MessageGenerateInvoiceFromOpportunity: as Quotes.FromOpportunity, the
// invoice takes the opportunity's header and a copy of its lines with
// their amounts; its prices are not locked. i gives the invoice's own
// fields.
func (s *Invoices) FromOpportunity(ctx context.Context, opportunityID crm.ID, i Invoice) (Invoice, error) {
	return s.fromOpportunity(ctx, MessageGenerateInvoiceFromOpportunity, opportunityID, i)
}

// invoiceStep runs one of the invoice's state changes that has its own
// operation.
func (s *Invoices) invoiceStep(ctx context.Context, message, event string, id crm.ID, version int64, status crm.StatusCode) (Invoice, error) {
	st := s.table.Store()
	var out Invoice
	err := st.Execute(ctx, message, map[string]any{invoiceKind.idInput: id, CloseInputStatus: status},
		func(ctx context.Context, x *storage.Execution) error {
			in, err := readCloseInputs(x.Inputs, invoiceKind.idInput, InvoiceEntity)
			if err != nil {
				return err
			}
			out, err = s.table.ChangeState(ctx, in.id, storage.StateChange{Event: event, Status: in.status, Version: version})
			return err
		})
	return out, err
}

// Pay marks an Active invoice Paid, Complete or Partial (status; 0 is
// Complete), as the named operation MessagePayInvoice: only this
// operation marks an invoice paid, never a plain state change. A paid
// invoice is read-only until reactivated. version works as in
// Quotes.Activate; another state fails with a *crm.TransitionError.
func (s *Invoices) Pay(ctx context.Context, id crm.ID, version int64, status InvoiceStatus) (Invoice, error) {
	if status == 0 {
		status = InvoiceStatusComplete
	}
	out, err := s.invoiceStep(ctx, MessagePayInvoice, EventPayInvoice, id, version, crm.StatusCode(status))
	if err != nil {
		return Invoice{}, fmt.Errorf("pay invoice %s: %w", id, err)
	}
	return out, nil
}

// Cancel cancels an Active invoice, as the named operation
// MessageCancelInvoice.
func (s *Invoices) Cancel(ctx context.Context, id crm.ID, version int64) (Invoice, error) {
	out, err := s.invoiceStep(ctx, MessageCancelInvoice, EventCancelInvoice, id, version, 0)
	if err != nil {
		return Invoice{}, fmt.Errorf("cancel invoice %s: %w", id, err)
	}
	return out, nil
}

// Reactivate makes a paid or canceled invoice Active (New) again, as the
// named operation MessageReactivateInvoice.
func (s *Invoices) Reactivate(ctx context.Context, id crm.ID, version int64) (Invoice, error) {
	out, err := s.invoiceStep(ctx, MessageReactivateInvoice, EventReactivateInvoice, id, version, 0)
	if err != nil {
		return Invoice{}, fmt.Errorf("reactivate invoice %s: %w", id, err)
	}
	return out, nil
}

// LockPricing locks the prices of an Active invoice, Dynamics'
// LockInvoicePricing, as Orders.LockPricing does for orders.
func (s *Invoices) LockPricing(ctx context.Context, id crm.ID, version int64) (Invoice, error) {
	rec, err := s.pricer.setPriceLock(ctx, MessageLockInvoicePricing, id, version, true)
	if err != nil {
		return Invoice{}, fmt.Errorf("lock pricing of invoice %s: %w", id, err)
	}
	return decodeInvoice(rec)
}

// UnlockPricing unlocks the prices of an Active invoice and prices its
// lines again from the price list as it is now, Dynamics'
// UnlockInvoicePricing.
func (s *Invoices) UnlockPricing(ctx context.Context, id crm.ID, version int64) (Invoice, error) {
	rec, err := s.pricer.setPriceLock(ctx, MessageUnlockInvoicePricing, id, version, false)
	if err != nil {
		return Invoice{}, fmt.Errorf("unlock pricing of invoice %s: %w", id, err)
	}
	return decodeInvoice(rec)
}
