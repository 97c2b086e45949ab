package sales

import "github.com/crmkit/crmkit/crm"

// Lifecycle events of quotes, orders and invoices (sales.md §5). Each
// that closes a document or creates one from another fires only inside
// its named operation, so no door marks a quote won or an invoice paid
// with a plain state change.
const (
	// EventActivate (a quote's, shared with accounts') moves a Draft
	// quote to Active: the version the customer sees, read-only.
	// EventReviseQuote closes an Active quote as Revised, inside
	// MessageReviseQuote, which creates the next revision as a Draft.
	EventReviseQuote = "revise"
	// EventWinQuote and EventCloseQuote close an Active quote as Won, or
	// as Lost or Canceled, inside MessageWinQuote and MessageCloseQuote,
	// which record the quote-close activity.
	EventWinQuote   = "win"
	EventCloseQuote = "close"

	// EventSubmitOrder moves an Active order to Submitted: handed to
	// order processing, read-only.
	EventSubmitOrder = "submit"
	// EventFulfillOrder and EventCancelOrder close an Active or
	// Submitted order, inside MessageFulfillOrder and MessageCancelOrder,
	// which record the order-close activity.
	EventFulfillOrder = "fulfill"
	EventCancelOrder  = "cancel"
	// EventInvoiceOrder marks an order Invoiced, inside
	// MessageConvertOrderToInvoice, which creates its invoice.
	EventInvoiceOrder = "invoice"

	// EventPayInvoice marks an Active invoice Paid (Complete or
	// Partial), inside MessagePayInvoice; EventCancelInvoice cancels
	// it, inside MessageCancelInvoice; EventReactivateInvoice makes a
	// paid or canceled invoice Active again, inside
	// MessageReactivateInvoice.
	EventPayInvoice        = "pay"
	EventCancelInvoice     = "cancel"
	EventReactivateInvoice = "reactivate"
)

// The named operations (storage.Store.Execute) of quotes, orders and
// invoices: Dynamics' messages where it has one. Hooks registered for
// them (storage.Store.HookMessage) see and may stop each.
const (
	MessageGenerateQuoteFromOpportunity   = "GenerateQuoteFromOpportunity"
	MessageGenerateOrderFromOpportunity   = "GenerateSalesOrderFromOpportunity"
	MessageGenerateInvoiceFromOpportunity = "GenerateInvoiceFromOpportunity"
	MessageReviseQuote                    = "ReviseQuote"
	MessageWinQuote                       = "WinQuote"
	MessageCloseQuote                     = "CloseQuote"
	MessageConvertQuoteToOrder            = "ConvertQuoteToSalesOrder"
	MessageFulfillOrder                   = "FulfillSalesOrder"
	MessageCancelOrder                    = "CancelSalesOrder"
	MessageLockOrderPricing               = "LockSalesOrderPricing"
	MessageUnlockOrderPricing             = "UnlockSalesOrderPricing"
	MessageConvertOrderToInvoice          = "ConvertSalesOrderToInvoice"
	MessagePayInvoice                     = "PayInvoice"
	MessageCancelInvoice                  = "CancelInvoice"
	MessageReactivateInvoice              = "ReactivateInvoice"
	MessageLockInvoicePricing             = "LockInvoicePricing"
	MessageUnlockInvoicePricing           = "UnlockInvoicePricing"
)

// QuoteLifecycle returns the quote's lifecycle table (sales.md §5.1):
// Draft (In Progress), Active (In Progress, Open), Won (Won) and Closed
// (Revised, Lost, Canceled). Only a Draft quote changes; an Active one is
// what the customer was shown, and revising it closes it as Revised and
// starts a Draft revision. Revising is allowed from Active only: the
// reference's sources conflict on won and closed quotes, and a won quote
// may already be an order. Each call returns a new table.
func QuoteLifecycle() *crm.Lifecycle {
	const draft, active, won, closed crm.StateCode = 0, 1, 2, 3
	return &crm.Lifecycle{
		Initial: draft,
		States: []crm.State{
			{Code: draft, Name: "Draft", DefaultStatus: 1},
			{Code: active, Name: "Active", DefaultStatus: 2, ReadOnly: true},
			{Code: won, Name: "Won", DefaultStatus: 4, ReadOnly: true},
			{Code: closed, Name: "Closed", DefaultStatus: 7, ReadOnly: true},
		},
		Statuses: []crm.Status{
			{Code: 1, Name: "In Progress", State: draft},
			{Code: 2, Name: "In Progress", State: active},
			{Code: 3, Name: "Open", State: active},
			{Code: 4, Name: "Won", State: won},
			{Code: 5, Name: "Lost", State: closed},
			{Code: 6, Name: "Canceled", State: closed},
			{Code: 7, Name: "Revised", State: closed},
		},
		Transitions: []crm.Transition{
			{Event: EventActivate, From: []crm.StateCode{draft}, To: active},
			{Event: EventReviseQuote, From: []crm.StateCode{active}, To: closed, Operation: MessageReviseQuote},
			{Event: EventWinQuote, From: []crm.StateCode{active}, To: won, Operation: MessageWinQuote},
			{Event: EventCloseQuote, From: []crm.StateCode{active}, To: closed, Operation: MessageCloseQuote},
		},
	}
}

// OrderLifecycle returns the order's lifecycle table (sales.md §5.2):
// Active (New, Pending), Submitted (In Progress), Canceled (No Money),
// Fulfilled (Complete, Partial) and Invoiced (Invoiced). Only an Active
// order changes. Creating an invoice marks the order Invoiced, from
// Active, Submitted or Fulfilled [inferred: the reference does not
// confirm the state change; crmkit makes it, so an order is invoiced
// once]. Each call returns a new table.
func OrderLifecycle() *crm.Lifecycle {
	const active, submitted, canceled, fulfilled, invoiced crm.StateCode = 0, 1, 2, 3, 4
	return &crm.Lifecycle{
		Initial: active,
		States: []crm.State{
			{Code: active, Name: "Active", DefaultStatus: 1},
			{Code: submitted, Name: "Submitted", DefaultStatus: 3, ReadOnly: true},
			{Code: canceled, Name: "Canceled", DefaultStatus: 4, ReadOnly: true},
			{Code: fulfilled, Name: "Fulfilled", DefaultStatus: 100001, ReadOnly: true},
			{Code: invoiced, Name: "Invoiced", DefaultStatus: 100003, ReadOnly: true},
		},
		Statuses: []crm.Status{
			{Code: 1, Name: "New", State: active},
			{Code: 2, Name: "Pending", State: active},
			{Code: 3, Name: "In Progress", State: submitted},
			{Code: 4, Name: "No Money", State: canceled},
			{Code: 100001, Name: "Complete", State: fulfilled},
			{Code: 100002, Name: "Partial", State: fulfilled},
			{Code: 100003, Name: "Invoiced", State: invoiced},
		},
		Transitions: []crm.Transition{
			{Event: EventSubmitOrder, From: []crm.StateCode{active}, To: submitted},
			{Event: EventFulfillOrder, From: []crm.StateCode{active, submitted}, To: fulfilled, Operation: MessageFulfillOrder},
			{Event: EventCancelOrder, From: []crm.StateCode{active, submitted}, To: canceled, Operation: MessageCancelOrder},
			{Event: EventInvoiceOrder, From: []crm.StateCode{active, submitted, fulfilled}, To: invoiced,
				Operation: MessageConvertOrderToInvoice},
		},
	}
}

// InvoiceLifecycle returns the invoice's lifecycle table (sales.md
// §5.3): Active (New, Partially Shipped, Billed, Booked, Installed), Paid
// (Complete, Partial) and Canceled (Canceled). The deprecated state 1 is
// left out, as the reference advises. Paid and canceled invoices are
// read-only until reactivated. Each call returns a new table.
func InvoiceLifecycle() *crm.Lifecycle {
	const active, paid, canceled crm.StateCode = 0, 2, 3
	return &crm.Lifecycle{
		Initial: active,
		States: []crm.State{
			{Code: active, Name: "Active", DefaultStatus: 1},
			{Code: paid, Name: "Paid", DefaultStatus: 100001, ReadOnly: true},
			{Code: canceled, Name: "Canceled", DefaultStatus: 100003, ReadOnly: true},
		},
		Statuses: []crm.Status{
			{Code: 1, Name: "New", State: active},
			{Code: 2, Name: "Partially Shipped", State: active},
			{Code: 4, Name: "Billed", State: active},
			{Code: 5, Name: "Booked", State: active},
			{Code: 6, Name: "Installed", State: active},
			{Code: 100001, Name: "Complete", State: paid},
			{Code: 100002, Name: "Partial", State: paid},
			{Code: 100003, Name: "Canceled", State: canceled},
		},
		Transitions: []crm.Transition{
			{Event: EventPayInvoice, From: []crm.StateCode{active}, To: paid, Operation: MessagePayInvoice},
			{Event: EventCancelInvoice, From: []crm.StateCode{active}, To: canceled, Operation: MessageCancelInvoice},
			{Event: EventReactivateInvoice, From: []crm.StateCode{paid, canceled}, To: active, Operation: MessageReactivateInvoice},
		},
	}
}
