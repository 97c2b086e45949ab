package sales

import "github.com/crmkit/crmkit/crm"

// QuoteState is a quote's state (statecode). The zero value is
// QuoteStateDraft, the state every quote starts in.
type QuoteState int32

// QuoteState values, with their published numbers.
const (
	QuoteStateDraft  QuoteState = 0
	QuoteStateActive QuoteState = 1
	QuoteStateWon    QuoteState = 2
	QuoteStateClosed QuoteState = 3
)

var quoteStates = stateSet[QuoteState]("quote state", QuoteLifecycle())

// QuoteStatus is a quote's status reason (statuscode).
type QuoteStatus int32

// QuoteStatus values, with their published numbers.
const (
	QuoteStatusDraft    QuoteStatus = 1 // In Progress, of a Draft quote
	QuoteStatusActive   QuoteStatus = 2 // In Progress, of an Active quote
	QuoteStatusOpen     QuoteStatus = 3
	QuoteStatusWon      QuoteStatus = 4
	QuoteStatusLost     QuoteStatus = 5
	QuoteStatusCanceled QuoteStatus = 6
	QuoteStatusRevised  QuoteStatus = 7
)

var quoteStatuses = newOptionSet[QuoteStatus]("quote status reason", crm.FieldStatus, statusOptions(QuoteLifecycle()))

// OrderState is an order's state (statecode). The zero value is
// OrderStateActive, the state every order starts in.
type OrderState int32

// OrderState values, with their published numbers.
const (
	OrderStateActive    OrderState = 0
	OrderStateSubmitted OrderState = 1
	OrderStateCanceled  OrderState = 2
	OrderStateFulfilled OrderState = 3
	OrderStateInvoiced  OrderState = 4
)

var orderStates = stateSet[OrderState]("order state", OrderLifecycle())

// OrderStatus is an order's status reason (statuscode).
type OrderStatus int32

// OrderStatus values, with their published numbers.
const (
	OrderStatusNew        OrderStatus = 1
	OrderStatusPending    OrderStatus = 2
	OrderStatusInProgress OrderStatus = 3
	OrderStatusNoMoney    OrderStatus = 4
	OrderStatusComplete   OrderStatus = 100001
	OrderStatusPartial    OrderStatus = 100002
	OrderStatusInvoiced   OrderStatus = 100003
)

var orderStatuses = newOptionSet[OrderStatus]("order status reason", crm.FieldStatus, statusOptions(OrderLifecycle()))

// InvoiceState is an invoice's state (statecode). The zero value is
// InvoiceStateActive, the state every invoice starts in.
type InvoiceState int32

// InvoiceState values, with their published numbers (1, deprecated, is
// not used).
const (
	InvoiceStateActive   InvoiceState = 0
	InvoiceStatePaid     InvoiceState = 2
	InvoiceStateCanceled InvoiceState = 3
)

var invoiceStates = stateSet[InvoiceState]("invoice state", InvoiceLifecycle())

// InvoiceStatus is an invoice's status reason (statuscode).
type InvoiceStatus int32

// InvoiceStatus values, with their published numbers.
const (
	InvoiceStatusNew              InvoiceStatus = 1
	InvoiceStatusPartiallyShipped InvoiceStatus = 2
	InvoiceStatusBilled           InvoiceStatus = 4
	InvoiceStatusBooked           InvoiceStatus = 5
	InvoiceStatusInstalled        InvoiceStatus = 6
	InvoiceStatusComplete         InvoiceStatus = 100001
	InvoiceStatusPartial          InvoiceStatus = 100002
	InvoiceStatusCanceled         InvoiceStatus = 100003
)

var invoiceStatuses = newOptionSet[InvoiceStatus]("invoice status reason", crm.FieldStatus, statusOptions(InvoiceLifecycle()))

// PaymentTerms are a document's payment terms (paymenttermscode); typed
// records hold a pointer.
type PaymentTerms int32

// PaymentTerms values, with their published numbers.
const (
	PaymentNet30         PaymentTerms = 1
	Payment2Percent10Net PaymentTerms = 2 // 2% 10, Net 30
	PaymentNet45         PaymentTerms = 3
	PaymentNet60         PaymentTerms = 4
)

var paymentTerms = newOptionSet[PaymentTerms]("payment terms", DocumentPaymentTerms, []crm.Option{
	{Value: 1, Label: "Net 30"},
	{Value: 2, Label: "2% 10, Net 30"},
	{Value: 3, Label: "Net 45"},
	{Value: 4, Label: "Net 60"},
})

// FreightTerms are a document's freight terms (freighttermscode); typed
// records hold a pointer.
type FreightTerms int32

// FreightTerms values, with their published numbers.
const (
	FreightFOB      FreightTerms = 1
	FreightNoCharge FreightTerms = 2
)

var freightTerms = newOptionSet[FreightTerms]("freight terms", DocumentFreightTerms, []crm.Option{
	{Value: 1, Label: "FOB"},
	{Value: 2, Label: "No Charge"},
})

// ShippingMethod is how a document's goods ship (shippingmethodcode);
// typed records hold a pointer.
type ShippingMethod int32

// ShippingMethod values, with their published numbers.
const (
	ShippingAirborne   ShippingMethod = 1
	ShippingDHL        ShippingMethod = 2
	ShippingFedEx      ShippingMethod = 3
	ShippingUPS        ShippingMethod = 4
	ShippingPostalMail ShippingMethod = 5
	ShippingFullLoad   ShippingMethod = 6
	ShippingWillCall   ShippingMethod = 7
)

var shippingMethods = newOptionSet[ShippingMethod]("shipping method", DocumentShippingMethod, []crm.Option{
	{Value: 1, Label: "Airborne"},
	{Value: 2, Label: "DHL"},
	{Value: 3, Label: "FedEx"},
	{Value: 4, Label: "UPS"},
	{Value: 5, Label: "Postal Mail"},
	{Value: 6, Label: "Full Load"},
	{Value: 7, Label: "Will Call"},
})
