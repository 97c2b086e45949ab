package sales

import (
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales/pricing"
	"github.com/crmkit/crmkit/storage"
)

// Document is the header quotes, orders and invoices share (sales.md
// §5): who it is for, where it came from, how it is priced and what it
// adds up to. Quote, Order and Invoice embed it.
type Document struct {
	Name string // required, at most 300 characters
	// Number is the quote, order or invoice ID: given by Numbering on
	// create (a caller's is kept), unique, never changed. A quote's
	// revisions share it.
	Number string
	// Customer is an account or a contact (AccountRef, ContactRef):
	// required; it cannot be deleted while it has documents.
	Customer crm.Ref
	// Opportunity is the opportunity the document came from, if any.
	Opportunity crm.Ref
	Description string

	// The pricing inputs of the header (sales.md §6.2). Set them on
	// create or through the service's SetPricing, which prices the lines
	// again.
	PriceList          crm.Ref
	DiscountPercentage *decimal.Decimal // 0..100
	DiscountAmount     *crm.Money
	FreightAmount      *crm.Money

	PaymentTerms      *PaymentTerms
	FreightTerms      *FreightTerms
	ShippingMethod    *ShippingMethod
	RequestDeliveryBy time.Time // date only
	BillTo, ShipTo    Address

	// The totals of the lines and the pricing error code, written by the
	// pricing and conversion operations; other writes are refused.
	TotalLineItemAmount    *crm.Money // Detail Amount
	TotalLineItemDiscount  *crm.Money
	TotalDiscountAmount    *crm.Money
	TotalAmountLessFreight *crm.Money // Pre-Freight Amount
	TotalTax               *crm.Money
	TotalAmount            *crm.Money
	PricingError           *pricing.Code

	// Kept by the write path when the registry has a base currency.
	ExchangeRate    *decimal.Decimal
	TotalAmountBase *crm.Money
}

// Currency returns the document's currency, that of its amounts (its
// totals once priced, else its discount or freight), or "" while no
// amount names one.
func (d Document) Currency() crm.Currency {
	for _, m := range []*crm.Money{d.TotalAmount, d.DiscountAmount, d.FreightAmount} {
		if m != nil {
			return m.Currency
		}
	}
	return ""
}

// documentReadOnly names the fields every document decodes only.
var documentReadOnly = append([]string{crm.FieldExchangeRate}, baseFields(DocumentDiscountAmount, DocumentFreightAmount,
	DocumentTotalLineItemAmount, DocumentTotalLineItemDiscount, DocumentTotalDiscountAmount,
	DocumentTotalAmountLessFreight, DocumentTotalTax, DocumentTotalAmount)...)

// fields returns the fields d holds; number is the kind's number field.
func (d Document) fields(number string) crm.Fields {
	f := crm.Fields{
		DocumentName:                   text(d.Name),
		number:                         text(d.Number),
		DocumentCustomer:               unlessZero(d.Customer),
		DocumentOpportunity:            unlessZero(d.Opportunity),
		DocumentDescription:            text(d.Description),
		DocumentPriceList:              unlessZero(d.PriceList),
		DocumentDiscountPercentage:     optional(d.DiscountPercentage),
		DocumentDiscountAmount:         optional(d.DiscountAmount),
		DocumentFreightAmount:          optional(d.FreightAmount),
		DocumentPaymentTerms:           optionalChoice(d.PaymentTerms),
		DocumentFreightTerms:           optionalChoice(d.FreightTerms),
		DocumentShippingMethod:         optionalChoice(d.ShippingMethod),
		DocumentRequestDeliveryBy:      unlessZero(d.RequestDeliveryBy),
		DocumentTotalLineItemAmount:    optional(d.TotalLineItemAmount),
		DocumentTotalLineItemDiscount:  optional(d.TotalLineItemDiscount),
		DocumentTotalDiscountAmount:    optional(d.TotalDiscountAmount),
		DocumentTotalAmountLessFreight: optional(d.TotalAmountLessFreight),
		DocumentTotalTax:               optional(d.TotalTax),
		DocumentTotalAmount:            optional(d.TotalAmount),
		DocumentPricingError:           optionalChoice(d.PricingError),
	}
	d.BillTo.encode(f, "billto_")
	d.ShipTo.encode(f, "shipto_")
	return f
}

// decodeDocument reads the shared header of a document record.
func decodeDocument(f crm.Fields, number string) (Document, error) {
	d := Document{
		Name:                   f.String(DocumentName),
		Number:                 f.String(number),
		Customer:               f.Ref(DocumentCustomer),
		Opportunity:            f.Ref(DocumentOpportunity),
		Description:            f.String(DocumentDescription),
		PriceList:              f.Ref(DocumentPriceList),
		DiscountPercentage:     optionalField[decimal.Decimal](f, DocumentDiscountPercentage),
		DiscountAmount:         optionalField[crm.Money](f, DocumentDiscountAmount),
		FreightAmount:          optionalField[crm.Money](f, DocumentFreightAmount),
		RequestDeliveryBy:      f.Time(DocumentRequestDeliveryBy),
		BillTo:                 decodeAddress(f, "billto_"),
		ShipTo:                 decodeAddress(f, "shipto_"),
		TotalLineItemAmount:    optionalField[crm.Money](f, DocumentTotalLineItemAmount),
		TotalLineItemDiscount:  optionalField[crm.Money](f, DocumentTotalLineItemDiscount),
		TotalDiscountAmount:    optionalField[crm.Money](f, DocumentTotalDiscountAmount),
		TotalAmountLessFreight: optionalField[crm.Money](f, DocumentTotalAmountLessFreight),
		TotalTax:               optionalField[crm.Money](f, DocumentTotalTax),
		TotalAmount:            optionalField[crm.Money](f, DocumentTotalAmount),
		PricingError:           pricingCode(f, DocumentPricingError),
		ExchangeRate:           optionalField[decimal.Decimal](f, crm.FieldExchangeRate),
		TotalAmountBase:        optionalField[crm.Money](f, crm.BaseField(DocumentTotalAmount)),
	}
	var errs [3]error
	d.PaymentTerms, errs[0] = paymentTerms.decodePtr(f, DocumentPaymentTerms)
	d.FreightTerms, errs[1] = freightTerms.decodePtr(f, DocumentFreightTerms)
	d.ShippingMethod, errs[2] = shippingMethods.decodePtr(f, DocumentShippingMethod)
	for _, err := range errs {
		if err != nil {
			return Document{}, err
		}
	}
	return d, nil
}

// Quote is a price offer to a customer (Dynamics' quote). New quotes are
// Draft, revision 0; see the package doc's "Quotes, orders and invoices"
// for the operations that move them.
type Quote struct {
	crm.Header
	Document
	// Revision is the revision number: 0, then one more for each
	// revision (Quotes.Revise), which keeps Number.
	Revision      int64
	EffectiveFrom time.Time // date only
	EffectiveTo   time.Time // date only
	ExpiresOn     time.Time // date only: Due By
	// ClosedOn is the date it was won or closed, set by Win and Close.
	ClosedOn time.Time
	Extra    crm.Fields
}

// QuoteState returns the quote's state.
func (q Quote) QuoteState() QuoteState { return QuoteState(q.State) }

// QuoteStatus returns the quote's status reason.
func (q Quote) QuoteStatus() QuoteStatus { return QuoteStatus(q.Status) }

// Ref returns a reference to the quote.
func (q Quote) Ref() crm.Ref { return QuoteRef(q.ID) }

// QuoteRef returns a reference to the quote with the given ID.
func QuoteRef(id crm.ID) crm.Ref { return crm.Ref{Entity: QuoteEntity, ID: id} }

// QuoteCodec converts between Quote and quote records.
func QuoteCodec() storage.Codec[Quote] {
	return storage.Codec[Quote]{Entity: QuoteEntity, Encode: encodeQuote, Decode: decodeQuote}
}

func quoteFields(q Quote) crm.Fields {
	f := q.Document.fields(QuoteNumber)
	f[QuoteRevision] = q.Revision
	f[QuoteEffectiveFrom] = unlessZero(q.EffectiveFrom)
	f[QuoteEffectiveTo] = unlessZero(q.EffectiveTo)
	f[QuoteExpiresOn] = unlessZero(q.ExpiresOn)
	f[QuoteClosedOn] = unlessZero(q.ClosedOn)
	return f
}

var quoteKnown = sync.OnceValue(func() map[string]bool { return fieldSet(quoteFields(Quote{})) })

func encodeQuote(q Quote) crm.Record {
	return encodeTyped(QuoteEntity, q.Header, quoteFields(q), q.Extra, quoteKnown(), documentReadOnly)
}

func decodeQuote(rec crm.Record) (Quote, error) {
	f := rec.Fields
	d, err := decodeDocument(f, QuoteNumber)
	if err != nil {
		return Quote{}, err
	}
	return Quote{Header: rec.Header, Document: d, Revision: f.Int(QuoteRevision),
		EffectiveFrom: f.Time(QuoteEffectiveFrom), EffectiveTo: f.Time(QuoteEffectiveTo),
		ExpiresOn: f.Time(QuoteExpiresOn), ClosedOn: f.Time(QuoteClosedOn),
		Extra: extraFields(f, quoteKnown(), documentReadOnly...)}, nil
}

// Order is a confirmed sale (Dynamics' salesorder), usually converted
// from a won quote. New orders are Active (New).
type Order struct {
	crm.Header
	Document
	// Quote is the won quote the order was converted from; set on create
	// only.
	Quote crm.Ref
	// PriceLocked (ispricelocked): the lines keep their prices when the
	// catalog changes. Converted orders start locked; Orders.LockPricing
	// and UnlockPricing change it.
	PriceLocked   bool
	SubmitDate    time.Time // date only
	DateFulfilled time.Time // date only, set by Fulfill
	Extra         crm.Fields
}

// OrderState returns the order's state.
func (o Order) OrderState() OrderState { return OrderState(o.State) }

// OrderStatus returns the order's status reason.
func (o Order) OrderStatus() OrderStatus { return OrderStatus(o.Status) }

// Ref returns a reference to the order.
func (o Order) Ref() crm.Ref { return OrderRef(o.ID) }

// OrderRef returns a reference to the order with the given ID.
func OrderRef(id crm.ID) crm.Ref { return crm.Ref{Entity: OrderEntity, ID: id} }

// OrderCodec converts between Order and salesorder records.
func OrderCodec() storage.Codec[Order] {
	return storage.Codec[Order]{Entity: OrderEntity, Encode: encodeOrder, Decode: decodeOrder}
}

func orderFields(o Order) crm.Fields {
	f := o.Document.fields(OrderNumber)
	f[OrderQuote] = unlessZero(o.Quote)
	f[DocumentPriceLocked] = o.PriceLocked
	f[OrderSubmitDate] = unlessZero(o.SubmitDate)
	f[OrderDateFulfilled] = unlessZero(o.DateFulfilled)
	return f
}

var orderKnown = sync.OnceValue(func() map[string]bool { return fieldSet(orderFields(Order{})) })

func encodeOrder(o Order) crm.Record {
	return encodeTyped(OrderEntity, o.Header, orderFields(o), o.Extra, orderKnown(), documentReadOnly)
}

func decodeOrder(rec crm.Record) (Order, error) {
	f := rec.Fields
	d, err := decodeDocument(f, OrderNumber)
	if err != nil {
		return Order{}, err
	}
	return Order{Header: rec.Header, Document: d, Quote: f.Ref(OrderQuote), PriceLocked: f.Bool(DocumentPriceLocked),
		SubmitDate: f.Time(OrderSubmitDate), DateFulfilled: f.Time(OrderDateFulfilled),
		Extra: extraFields(f, orderKnown(), documentReadOnly...)}, nil
}

// Invoice is a bill for a sale (Dynamics' invoice), usually converted
// from an order. New invoices are Active (New).
type Invoice struct {
	crm.Header
	Document
	// Order is the order the invoice was converted from; set on create
	// only.
	Order         crm.Ref
	PriceLocked   bool      // as Order's; converted invoices start locked
	DueDate       time.Time // date only
	DateDelivered time.Time // date only
	Extra         crm.Fields
}

// InvoiceState returns the invoice's state.
func (i Invoice) InvoiceState() InvoiceState { return InvoiceState(i.State) }

// InvoiceStatus returns the invoice's status reason.
func (i Invoice) InvoiceStatus() InvoiceStatus { return InvoiceStatus(i.Status) }

// Ref returns a reference to the invoice.
func (i Invoice) Ref() crm.Ref { return InvoiceRef(i.ID) }

// InvoiceRef returns a reference to the invoice with the given ID.
func InvoiceRef(id crm.ID) crm.Ref { return crm.Ref{Entity: InvoiceEntity, ID: id} }

// InvoiceCodec converts between Invoice and invoice records.
func InvoiceCodec() storage.Codec[Invoice] {
	return storage.Codec[Invoice]{Entity: InvoiceEntity, Encode: encodeInvoice, Decode: decodeInvoice}
}

func invoiceFields(i Invoice) crm.Fields {
	f := i.Document.fields(InvoiceNumber)
	f[InvoiceOrder] = unlessZero(i.Order)
	f[DocumentPriceLocked] = i.PriceLocked
	f[InvoiceDueDate] = unlessZero(i.DueDate)
	f[InvoiceDateDelivered] = unlessZero(i.DateDelivered)
	return f
}

var invoiceKnown = sync.OnceValue(func() map[string]bool { return fieldSet(invoiceFields(Invoice{})) })

func encodeInvoice(i Invoice) crm.Record {
	return encodeTyped(InvoiceEntity, i.Header, invoiceFields(i), i.Extra, invoiceKnown(), documentReadOnly)
}

func decodeInvoice(rec crm.Record) (Invoice, error) {
	f := rec.Fields
	d, err := decodeDocument(f, InvoiceNumber)
	if err != nil {
		return Invoice{}, err
	}
	return Invoice{Header: rec.Header, Document: d, Order: f.Ref(InvoiceOrder), PriceLocked: f.Bool(DocumentPriceLocked),
		DueDate: f.Time(InvoiceDueDate), DateDelivered: f.Time(InvoiceDateDelivered),
		Extra: extraFields(f, invoiceKnown(), documentReadOnly...)}, nil
}

// Line is a product line of a quote, order or invoice (quotedetail,
// salesorderdetail, invoicedetail): a catalog product in a unit, or a
// write-in, with its quantity and the amounts pricing computes. Lines
// are added, changed and removed through the document's service, which
// prices the whole document in the same transaction.
type Line struct {
	crm.Header
	// Document is the quote, order or invoice; required, set on create
	// only.
	Document crm.Ref
	// Product is the catalog product; WriteIn lines (set on create only)
	// have none and name the product in Description instead.
	Product     crm.Ref
	WriteIn     bool
	Description string // the write-in product's name, at most 500 characters
	// Unit is the unit the product is sold in; AddLine takes the
	// product's default unit when it is empty.
	Unit     crm.Ref
	Quantity decimal.Decimal // at most 5 decimals, not negative
	// PricePerUnit is the price list's price, computed, unless
	// PriceOverridden (always for a write-in), or the document's prices
	// are locked: then it is kept.
	PricePerUnit    *crm.Money
	PriceOverridden bool
	ManualDiscount  *crm.Money // not negative
	Tax             *crm.Money // the caller's: never computed
	// Computed by the pricing operations (pricing.LineResult).
	VolumeDiscount *crm.Money // per unit
	Amount         *crm.Money // baseamount
	ExtendedAmount *crm.Money
	Sequence       int64
	PricingError   *pricing.Code
	// Kind and ParentBundle are set by AddLine: a product, a bundle, or
	// an item of the bundle line ParentBundle.
	Kind         pricing.LineKind
	ParentBundle crm.Ref
	// Source is the line this one was copied from: an order line's quote
	// line, an invoice line's order line; set by the conversions.
	Source crm.Ref

	// Kept by the write path when the registry has a base currency.
	ExchangeRate       *decimal.Decimal
	ExtendedAmountBase *crm.Money

	Extra crm.Fields
}

// Ref returns a reference to the line, in the line entity of its
// document (quotedetail for a quote's line, ...).
func (l Line) Ref() crm.Ref {
	if k := kindOf(l.Document.Entity); k != nil {
		return crm.Ref{Entity: k.line, ID: l.ID}
	}
	return crm.Ref{ID: l.ID}
}

// lineReadOnly names the fields every line decodes only.
var lineReadOnly = append([]string{crm.FieldExchangeRate},
	baseFields(LinePricePerUnit, LineVolumeDiscount, LineAmount, LineManualDiscount, LineTax, LineExtendedAmount)...)

// QuoteLineCodec, OrderLineCodec and InvoiceLineCodec convert between
// Line and the line records of quotes, orders and invoices.
func QuoteLineCodec() storage.Codec[Line] { return lineCodec(quoteKind) }

// OrderLineCodec converts between Line and salesorderdetail records.
func OrderLineCodec() storage.Codec[Line] { return lineCodec(orderKind) }

// InvoiceLineCodec converts between Line and invoicedetail records.
func InvoiceLineCodec() storage.Codec[Line] { return lineCodec(invoiceKind) }

func lineCodec(k *docKind) storage.Codec[Line] {
	known := sync.OnceValue(func() map[string]bool { return fieldSet(lineFields(k, Line{})) })
	return storage.Codec[Line]{Entity: k.line,
		Encode: func(l Line) crm.Record {
			return encodeTyped(k.line, l.Header, lineFields(k, l), l.Extra, known(), lineReadOnly)
		},
		Decode: func(rec crm.Record) (Line, error) { return decodeLine(k, rec, known()), nil },
	}
}

func lineFields(k *docKind, l Line) crm.Fields {
	f := crm.Fields{
		k.parent:            unlessZero(l.Document),
		LineProduct:         unlessZero(l.Product),
		LineWriteIn:         l.WriteIn,
		LineDescription:     text(l.Description),
		LineUnit:            unlessZero(l.Unit),
		LineQuantity:        l.Quantity,
		LinePricePerUnit:    optional(l.PricePerUnit),
		LinePriceOverridden: l.PriceOverridden,
		LineManualDiscount:  optional(l.ManualDiscount),
		LineTax:             optional(l.Tax),
		LineVolumeDiscount:  optional(l.VolumeDiscount),
		LineAmount:          optional(l.Amount),
		LineExtendedAmount:  optional(l.ExtendedAmount),
		LineSequence:        l.Sequence,
		LinePricingError:    optionalChoice(l.PricingError),
		LineKind:            choice(l.Kind),
		LineParentBundle:    unlessZero(l.ParentBundle),
	}
	if k.source != "" {
		f[k.source] = unlessZero(l.Source)
	}
	return f
}

func decodeLine(k *docKind, rec crm.Record, known map[string]bool) Line {
	f := rec.Fields
	l := Line{
		Header:             rec.Header,
		Document:           f.Ref(k.parent),
		Product:            f.Ref(LineProduct),
		WriteIn:            f.Bool(LineWriteIn),
		Description:        f.String(LineDescription),
		Unit:               f.Ref(LineUnit),
		Quantity:           f.Decimal(LineQuantity),
		PricePerUnit:       optionalField[crm.Money](f, LinePricePerUnit),
		PriceOverridden:    f.Bool(LinePriceOverridden),
		ManualDiscount:     optionalField[crm.Money](f, LineManualDiscount),
		Tax:                optionalField[crm.Money](f, LineTax),
		VolumeDiscount:     optionalField[crm.Money](f, LineVolumeDiscount),
		Amount:             optionalField[crm.Money](f, LineAmount),
		ExtendedAmount:     optionalField[crm.Money](f, LineExtendedAmount),
		Sequence:           f.Int(LineSequence),
		PricingError:       pricingCode(f, LinePricingError),
		Kind:               lineKind(f),
		ParentBundle:       f.Ref(LineParentBundle),
		ExchangeRate:       optionalField[decimal.Decimal](f, crm.FieldExchangeRate),
		ExtendedAmountBase: optionalField[crm.Money](f, crm.BaseField(LineExtendedAmount)),
		Extra:              extraFields(f, known, lineReadOnly...),
	}
	if k.source != "" {
		l.Source = f.Ref(k.source)
	}
	return l
}
