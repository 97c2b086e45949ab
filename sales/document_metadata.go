package sales

import (
	"fmt"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales/pricing"
)

// Logical names of the sales documents and their product lines (sales.md
// §5).
const (
	QuoteEntity       = "quote"
	QuoteLineEntity   = "quotedetail"
	OrderEntity       = "salesorder"
	OrderLineEntity   = "salesorderdetail"
	InvoiceEntity     = "invoice"
	InvoiceLineEntity = "invoicedetail"
)

// Logical names of the header fields quotes, orders and invoices share
// (sales.md §5.1–5.3). The pricing fields are the opportunity's too.
const (
	DocumentName        = "name"
	DocumentCustomer    = "customerid"
	DocumentOpportunity = "opportunityid"
	DocumentDescription = "description"
	// The pricing inputs of the header: set on create, changed through
	// the service's SetPricing, which prices the lines again.
	DocumentPriceList          = "pricelevelid"
	DocumentDiscountPercentage = "discountpercentage"
	DocumentDiscountAmount     = "discountamount"
	DocumentFreightAmount      = "freightamount"
	// The totals (pricing.Totals), written only by the pricing and
	// conversion operations or an import.
	DocumentTotalLineItemAmount    = "totallineitemamount"
	DocumentTotalLineItemDiscount  = "totallineitemdiscountamount"
	DocumentTotalDiscountAmount    = "totaldiscountamount"
	DocumentTotalAmountLessFreight = "totalamountlessfreight"
	DocumentTotalTax               = "totaltax"
	DocumentTotalAmount            = "totalamount"
	DocumentPricingError           = "pricingerrorcode"

	DocumentPaymentTerms      = "paymenttermscode"
	DocumentFreightTerms      = "freighttermscode"
	DocumentShippingMethod    = "shippingmethodcode"
	DocumentRequestDeliveryBy = "requestdeliveryby"
	// DocumentPriceLocked is ispricelocked, of orders and invoices: the
	// lines keep their prices when the catalog changes. It changes only
	// through the Lock and Unlock pricing operations.
	DocumentPriceLocked = "ispricelocked"
)

// Logical names of the fields only one kind of document has.
const (
	QuoteNumber = "quotenumber"
	// QuoteRevision is revisionnumber: 0 for a new quote, one more for
	// each revision, which keeps the quote number.
	QuoteRevision      = "revisionnumber"
	QuoteEffectiveFrom = "effectivefrom"
	QuoteEffectiveTo   = "effectiveto"
	QuoteExpiresOn     = "expireson"
	// QuoteClosedOn is the date the quote was won or closed, set by the
	// operations.
	QuoteClosedOn = "closedon"

	OrderNumber = "ordernumber"
	// OrderQuote is the won quote the order was converted from.
	OrderQuote         = "quoteid"
	OrderSubmitDate    = "submitdate"
	OrderDateFulfilled = "datefulfilled"

	InvoiceNumber = "invoicenumber"
	// InvoiceOrder is the order the invoice was converted from.
	InvoiceOrder         = "salesorderid"
	InvoiceDueDate       = "duedate"
	InvoiceDateDelivered = "datedelivered"
)

// Logical names of the product line fields, the same on every line
// entity (opportunityproduct, quotedetail, salesorderdetail,
// invoicedetail; sales.md §5.6) but the lookup to the document.
const (
	LineProduct = "productid"
	// LineWriteIn is isproductoverridden: the line is a write-in
	// product, not in the catalog (set on create only).
	LineWriteIn = "isproductoverridden"
	// LineDescription is the write-in product's name.
	LineDescription     = "productdescription"
	LineUnit            = "uomid"
	LineQuantity        = "quantity"
	LinePricePerUnit    = "priceperunit"
	LinePriceOverridden = "ispriceoverridden"
	LineVolumeDiscount  = "volumediscountamount"
	LineAmount          = "baseamount"
	LineManualDiscount  = "manualdiscountamount"
	LineTax             = "tax"
	LineExtendedAmount  = "extendedamount"
	LineSequence        = "sequencenumber"
	LinePricingError    = "pricingerrorcode"
	// LineKind is producttypecode: a product, a bundle, or a required or
	// optional item of the bundle line named by LineParentBundle.
	LineKind         = "producttypecode"
	LineParentBundle = "parentbundleidref"
	// LineQuoteLine and LineOrderLine link an order line to the quote
	// line it was copied from and an invoice line to its order line.
	LineQuoteLine = "quotedetailid"
	LineOrderLine = "salesorderdetailid"
)

// The alternate keys of the documents: their numbers (a quote's with its
// revision) are unique.
const (
	QuoteNumberKey   = "quotenumberrevision"
	OrderNumberKey   = "ordernumber"
	InvoiceNumberKey = "invoicenumber"
)

// amountField is a money field in Dynamics' range; min is 0 for the
// amounts a caller enters that cannot be negative.
func amountField(name, label string, min int64) crm.Field {
	return crm.Field{Name: name, Label: label, Type: crm.TypeMoney,
		Min: decimalPtr(min), Max: decimalPtr(1_000_000_000_000)}
}

// documentPricingFields are the pricing fields of a header, the
// opportunity's included: the price list, the header inputs and the
// totals (sales.md §6.2).
func documentPricingFields() []crm.Field {
	const low = -1_000_000_000_000
	return []crm.Field{
		// A price list in use cannot be deleted: lines are priced from it.
		{Name: DocumentPriceList, Label: "Price List", Type: crm.TypeLookup, Targets: []string{PriceListEntity},
			OnDelete: crm.DeleteRestrict},
		{Name: DocumentDiscountPercentage, Label: "Discount (%)", Type: crm.TypeDecimal, Precision: 2,
			Min: decimalPtr(0), Max: decimalPtr(100)},
		amountField(DocumentDiscountAmount, "Discount Amount", 0),
		amountField(DocumentFreightAmount, "Freight Amount", 0),
		amountField(DocumentTotalLineItemAmount, "Total Detail Amount", low),
		amountField(DocumentTotalLineItemDiscount, "Total Line Item Discount Amount", low),
		amountField(DocumentTotalDiscountAmount, "Total Discount Amount", low),
		amountField(DocumentTotalAmountLessFreight, "Total Pre-Freight Amount", low),
		amountField(DocumentTotalTax, "Total Tax", low),
		amountField(DocumentTotalAmount, "Total Amount", low),
		{Name: DocumentPricingError, Label: "Pricing Error", Type: crm.TypeChoice, Options: pricingErrorOptions()},
	}
}

// documentTotals names the header fields the pricing operations compute.
var documentTotals = []string{DocumentTotalLineItemAmount, DocumentTotalLineItemDiscount,
	DocumentTotalDiscountAmount, DocumentTotalAmountLessFreight, DocumentTotalTax, DocumentTotalAmount,
	DocumentPricingError}

// documentPricingInputs names the header fields the totals are computed
// from.
var documentPricingInputs = []string{DocumentPriceList, DocumentDiscountPercentage,
	DocumentDiscountAmount, DocumentFreightAmount}

// documentFields are the header fields of quotes, orders and invoices:
// name, customer, opportunity, the pricing fields, terms and addresses.
// number is the document's number field, required and set on create only
// (the services take it from Numbering).
func documentFields(number, numberLabel string) []crm.Field {
	fields := []crm.Field{
		{Name: DocumentName, Label: "Name", Type: crm.TypeText, MaxLength: 300, Required: true},
		{Name: number, Label: numberLabel, Type: crm.TypeText, MaxLength: 100, Required: true, Immutable: true},
		// A customer with documents cannot be deleted: they are the
		// books (an opportunity, by contrast, goes with its customer).
		{Name: DocumentCustomer, Label: "Customer", Type: crm.TypeLookup, Targets: []string{AccountEntity, ContactEntity},
			Required: true, OnDelete: crm.DeleteRestrict},
		// The opportunity stays part of the lineage: deleting it keeps the
		// documents, unlinked.
		{Name: DocumentOpportunity, Label: "Opportunity", Type: crm.TypeLookup, Targets: []string{OpportunityEntity},
			OnDelete: crm.DeleteRemoveLink},
		{Name: DocumentDescription, Label: "Description", Type: crm.TypeText, MaxLength: 2000},
		{Name: DocumentPaymentTerms, Label: "Payment Terms", Type: crm.TypeChoice, Options: paymentTerms.choices()},
		{Name: DocumentFreightTerms, Label: "Freight Terms", Type: crm.TypeChoice, Options: freightTerms.choices()},
		{Name: DocumentShippingMethod, Label: "Shipping Method", Type: crm.TypeChoice, Options: shippingMethods.choices()},
		{Name: DocumentRequestDeliveryBy, Label: "Requested Delivery Date", Type: crm.TypeTime, DateOnly: true},
	}
	fields = append(fields, documentPricingFields()...)
	// Bill-to and ship-to addresses, Dynamics' billto_* and shipto_*.
	fields = append(fields, addressFields("billto_")...)
	return append(fields, addressFields("shipto_")...)
}

// QuoteMetadata returns the quote entity (sales.md §5.1). Quotes are
// created by Quotes (numbered) and change only while Draft; see the
// package doc's "Quotes, orders and invoices". Each call returns a new
// value.
func QuoteMetadata() *crm.Entity {
	fields := append(documentFields(QuoteNumber, "Quote ID"),
		crm.Field{Name: QuoteRevision, Label: "Revision ID", Type: crm.TypeInteger, Min: decimalPtr(0), Immutable: true},
		crm.Field{Name: QuoteEffectiveFrom, Label: "Effective From", Type: crm.TypeTime, DateOnly: true},
		crm.Field{Name: QuoteEffectiveTo, Label: "Effective To", Type: crm.TypeTime, DateOnly: true},
		crm.Field{Name: QuoteExpiresOn, Label: "Due By", Type: crm.TypeTime, DateOnly: true},
		crm.Field{Name: QuoteClosedOn, Label: "Closed On", Type: crm.TypeTime, DateOnly: true},
	)
	return &crm.Entity{
		Name: QuoteEntity, Label: "Quote", Fields: fields,
		Keys:      []crm.Key{{Name: QuoteNumberKey, Fields: []string{QuoteNumber, QuoteRevision}}},
		Lifecycle: QuoteLifecycle(),
		Rules:     documentRules(quoteKind),
	}
}

// OrderMetadata returns the order entity (salesorder, sales.md §5.2).
// Each call returns a new value.
func OrderMetadata() *crm.Entity {
	fields := append(documentFields(OrderNumber, "Order ID"),
		crm.Field{Name: OrderQuote, Label: "Quote", Type: crm.TypeLookup, Targets: []string{QuoteEntity},
			Immutable: true, OnDelete: crm.DeleteRemoveLink},
		crm.Field{Name: DocumentPriceLocked, Label: "Prices Locked", Type: crm.TypeBool},
		crm.Field{Name: OrderSubmitDate, Label: "Date Submitted", Type: crm.TypeTime, DateOnly: true},
		crm.Field{Name: OrderDateFulfilled, Label: "Date Fulfilled", Type: crm.TypeTime, DateOnly: true},
	)
	return &crm.Entity{
		Name: OrderEntity, Label: "Order", Fields: fields,
		Keys:      []crm.Key{{Name: OrderNumberKey, Fields: []string{OrderNumber}}},
		Lifecycle: OrderLifecycle(),
		Rules:     documentRules(orderKind),
	}
}

// InvoiceMetadata returns the invoice entity (sales.md §5.3). Each call
// returns a new value.
func InvoiceMetadata() *crm.Entity {
	fields := append(documentFields(InvoiceNumber, "Invoice ID"),
		crm.Field{Name: InvoiceOrder, Label: "Order", Type: crm.TypeLookup, Targets: []string{OrderEntity},
			Immutable: true, OnDelete: crm.DeleteRemoveLink},
		crm.Field{Name: DocumentPriceLocked, Label: "Prices Locked", Type: crm.TypeBool},
		crm.Field{Name: InvoiceDueDate, Label: "Due Date", Type: crm.TypeTime, DateOnly: true},
		crm.Field{Name: InvoiceDateDelivered, Label: "Date Delivered", Type: crm.TypeTime, DateOnly: true},
	)
	return &crm.Entity{
		Name: InvoiceEntity, Label: "Invoice", Fields: fields,
		Keys:      []crm.Key{{Name: InvoiceNumberKey, Fields: []string{InvoiceNumber}}},
		Lifecycle: InvoiceLifecycle(),
		Rules:     documentRules(invoiceKind),
	}
}

// lineMetadata returns the line entity of kind k (sales.md §5.6):
// deleting the document deletes its lines, and deleting a bundle line
// its items; a product or unit a line uses cannot be deleted. Lines are
// written only by the pricing and conversion operations or an import.
func lineMetadata(k *docKind, label, parentLabel string) *crm.Entity {
	amount := func(name, label string) crm.Field { return amountField(name, label, -1_000_000_000_000) }
	kinds := []crm.Option{{Value: 1, Label: "Product"}, {Value: 2, Label: "Bundle"},
		{Value: 3, Label: "Required Bundle Product"}, {Value: 4, Label: "Optional Bundle Product"},
		{Value: 5, Label: "Project-based Service"}}
	fields := []crm.Field{
		{Name: k.parent, Label: parentLabel, Type: crm.TypeLookup, Targets: []string{k.header},
			Required: true, Immutable: true, OnDelete: crm.DeleteCascade},
		{Name: LineProduct, Label: "Existing Product", Type: crm.TypeLookup, Targets: []string{ProductEntity},
			OnDelete: crm.DeleteRestrict},
		{Name: LineWriteIn, Label: "Select Product", Type: crm.TypeBool, Immutable: true},
		{Name: LineDescription, Label: "Write-In Product", Type: crm.TypeText, MaxLength: 500},
		{Name: LineUnit, Label: "Unit", Type: crm.TypeLookup, Targets: []string{UnitEntity},
			OnDelete: crm.DeleteRestrict},
		// Dynamics: 5 decimals, ±1e11; the pricing engine refuses a
		// negative quantity with its own error code.
		{Name: LineQuantity, Label: "Quantity", Type: crm.TypeDecimal, Precision: pricing.MaxQuantityPlaces,
			Min: decimalPtr(-100_000_000_000), Max: decimalPtr(100_000_000_000)},
		{Name: LinePricePerUnit, Label: "Price Per Unit", Type: crm.TypeMoney, MoneyPrecision: crm.PrecisionPricing,
			Min: decimalPtr(-1_000_000_000_000), Max: decimalPtr(1_000_000_000_000)},
		{Name: LinePriceOverridden, Label: "Pricing", Type: crm.TypeBool},
		amount(LineVolumeDiscount, "Volume Discount"),
		amount(LineAmount, "Amount"),
		amount(LineManualDiscount, "Manual Discount"),
		amount(LineTax, "Tax"),
		amount(LineExtendedAmount, "Extended Amount"),
		{Name: LineSequence, Label: "Sequence Number", Type: crm.TypeInteger, Min: decimalPtr(0)},
		{Name: LinePricingError, Label: "Pricing Error", Type: crm.TypeChoice, Options: pricingErrorOptions()},
		{Name: LineKind, Label: "Product Type", Type: crm.TypeChoice, Options: kinds, Immutable: true},
		{Name: LineParentBundle, Label: "Parent Bundle", Type: crm.TypeLookup, Targets: []string{k.line},
			Immutable: true, OnDelete: crm.DeleteCascade},
	}
	if k.source != "" {
		fields = append(fields, crm.Field{Name: k.source, Label: "Source Line", Type: crm.TypeLookup,
			Targets: []string{k.sourceLine}, Immutable: true, OnDelete: crm.DeleteRemoveLink})
	}
	return &crm.Entity{Name: k.line, Label: label, Fields: fields, Rules: lineRules(k)}
}

// QuoteLineMetadata, OrderLineMetadata and InvoiceLineMetadata return the
// line entities of the documents (quotedetail, salesorderdetail,
// invoicedetail). Each call returns a new value.
func QuoteLineMetadata() *crm.Entity { return lineMetadata(quoteKind, "Quote Product", "Quote") }

// OrderLineMetadata returns the order line entity (salesorderdetail).
func OrderLineMetadata() *crm.Entity { return lineMetadata(orderKind, "Order Product", "Order") }

// InvoiceLineMetadata returns the invoice line entity (invoicedetail).
func InvoiceLineMetadata() *crm.Entity {
	return lineMetadata(invoiceKind, "Invoice Product", "Invoice")
}

// registerDocuments registers quotes, orders, invoices and their lines;
// the catalog, accounts, contacts and opportunities must be registered
// first.
func registerDocuments(reg *crm.Registry) error {
	err := reg.Register(QuoteMetadata(), QuoteLineMetadata(), OrderMetadata(), OrderLineMetadata(),
		InvoiceMetadata(), InvoiceLineMetadata())
	if err != nil {
		return fmt.Errorf("register quotes, orders and invoices: %w", err)
	}
	return nil
}
