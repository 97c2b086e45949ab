package sales

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales/pricing"
	"github.com/crmkit/crmkit/storage"
)

// docKind describes one kind of priced document, an opportunity, quote,
// order or invoice, for the code they share: the line entity, the
// lookup from a line to its header, the state in which both change and
// the names of the operations that price them. The header and line
// fields are the same on every kind (Document*, Line*).
type docKind struct {
	header, line string
	label        string // "quote", for errors
	parent       string // the line's lookup to its header
	// source is the line's link to the line it was copied from (an order
	// line's quote line), sourceLine that line's entity; "" for none.
	source, sourceLine string
	// number is the header's number field; "" for the opportunity.
	number string
	// link is the header's lookup to the document it is converted from
	// (an order's quote, an invoice's order), set only by the conversion
	// linkMessage; "" for the opportunity and the quote, whose way up is
	// the opportunity.
	link, linkMessage string
	// closeDate is the header's date field a close sets (a quote's
	// closedon, an order's datefulfilled), written only inside
	// closeMessages.
	closeDate     string
	closeMessages []string
	// idInput names the input of the pricing operations that holds the
	// header's crm.ID.
	idInput string
	// add, update and remove are the messages of AddLine, UpdateLine and
	// RemoveLine; MessageCalculatePrice recalculates every kind.
	add, update, remove string
	// editable is the one state in which the header and its lines change.
	editable crm.StateCode
	// lifecycle names the header's states, for errors.
	lifecycle *crm.Lifecycle
	// revenue: the header keeps a system-calculated estimated revenue
	// (the opportunity).
	revenue bool
	// priceLock: the header has ispricelocked (orders, invoices).
	priceLock bool
	// currencyFields are the header amounts a caller sets, which fix the
	// document's currency before its price list does.
	currencyFields func(f crm.Fields) []string
}

// MessageCalculatePrice prices a document's lines again, and with header
// inputs changes them first: Dynamics' CalculatePrice, of opportunities,
// quotes, orders and invoices alike.
const MessageCalculatePrice = "CalculatePrice"

func documentCurrencyFields(crm.Fields) []string {
	return []string{DocumentDiscountAmount, DocumentFreightAmount}
}

var (
	opportunityKind = &docKind{header: OpportunityEntity, line: OpportunityLineEntity, label: "opportunity",
		parent: OpportunityLineOpportunity, idInput: LineInputOpportunity,
		add: MessageAddOpportunityLine, update: MessageUpdateOpportunityLine, remove: MessageRemoveOpportunityLine,
		editable: crm.StateCode(OpportunityStateOpen), lifecycle: OpportunityLifecycle(), revenue: true,
		currencyFields: func(f crm.Fields) []string {
			fields := []string{OpportunityBudgetAmount, DocumentDiscountAmount, DocumentFreightAmount}
			if !f.Bool(OpportunityRevenueSystem) {
				fields = append(fields, OpportunityEstimatedValue)
			}
			return fields
		}}
	quoteKind = &docKind{header: QuoteEntity, line: QuoteLineEntity, label: "quote",
		parent: "quoteid", number: QuoteNumber, idInput: "QuoteId",
		add: "AddQuoteProduct", update: "UpdateQuoteProduct", remove: "RemoveQuoteProduct",
		closeDate: QuoteClosedOn, closeMessages: []string{MessageWinQuote, MessageCloseQuote},
		editable: crm.StateCode(QuoteStateDraft), lifecycle: QuoteLifecycle(), currencyFields: documentCurrencyFields}
	orderKind = &docKind{header: OrderEntity, line: OrderLineEntity, label: "order",
		parent: "salesorderid", source: LineQuoteLine, sourceLine: QuoteLineEntity, number: OrderNumber, idInput: "SalesOrderId",
		link: OrderQuote, linkMessage: MessageConvertQuoteToOrder,
		add: "AddSalesOrderProduct", update: "UpdateSalesOrderProduct", remove: "RemoveSalesOrderProduct",
		closeDate: OrderDateFulfilled, closeMessages: []string{MessageFulfillOrder},
		editable: crm.StateCode(OrderStateActive), lifecycle: OrderLifecycle(), priceLock: true,
		currencyFields: documentCurrencyFields}
	invoiceKind = &docKind{header: InvoiceEntity, line: InvoiceLineEntity, label: "invoice",
		parent: "invoiceid", source: LineOrderLine, sourceLine: OrderLineEntity, number: InvoiceNumber, idInput: "InvoiceId",
		link: InvoiceOrder, linkMessage: MessageConvertOrderToInvoice,
		add: "AddInvoiceProduct", update: "UpdateInvoiceProduct", remove: "RemoveInvoiceProduct",
		editable: crm.StateCode(InvoiceStateActive), lifecycle: InvoiceLifecycle(), priceLock: true,
		currencyFields: documentCurrencyFields}
	docKinds = []*docKind{opportunityKind, quoteKind, orderKind, invoiceKind}
)

// documentWriters are the operations that write lines and totals: the
// pricing operations of every kind, and those that create a document
// from another or lock its prices, which copy or price them.
var documentWriters = func() []string {
	out := []string{MessageCalculatePrice, MessageGenerateQuoteFromOpportunity, MessageGenerateOrderFromOpportunity,
		MessageGenerateInvoiceFromOpportunity, MessageReviseQuote,
		MessageConvertQuoteToOrder, MessageConvertOrderToInvoice, MessageLockOrderPricing, MessageUnlockOrderPricing,
		MessageLockInvoicePricing, MessageUnlockInvoicePricing}
	for _, k := range docKinds {
		out = append(out, k.add, k.update, k.remove)
	}
	return out
}()

// inPricingOperation reports whether w is part of one of
// documentWriters.
func inPricingOperation(w crm.Write) bool {
	return slices.ContainsFunc(documentWriters, w.In)
}

// kindOf returns the kind whose header is entity, or nil.
func kindOf(entity string) *docKind {
	for _, k := range docKinds {
		if k.header == entity {
			return k
		}
	}
	return nil
}

// stateName names state s of the kind's header.
func (k *docKind) stateName(s crm.StateCode) string {
	if st, ok := k.lifecycle.State(s); ok {
		return st.Name
	}
	return fmt.Sprint(int32(s))
}

// open refuses a header that is not in the kind's editable state, as a
// *crm.TransitionError naming event.
func (k *docKind) open(rec crm.Record, entity, event string) error {
	if rec.State != k.editable {
		return &crm.TransitionError{Entity: entity, State: k.stateName(rec.State), Event: event}
	}
	return nil
}

// linesOf returns the query of the lines of document id, in their
// sequence.
func (k *docKind) linesOf(id crm.ID) crm.Query {
	return crm.Query{Entity: k.line, Where: crm.Eq(k.parent, crm.Ref{Entity: k.header, ID: id}),
		OrderBy: []crm.Order{crm.Asc(LineSequence), crm.Asc(crm.FieldID)}}
}

// PricingHeader are the inputs of a document's totals that its lines do
// not hold (sales.md §6.2); nil or zero values clear them.
type PricingHeader struct {
	PriceList          crm.Ref
	DiscountPercentage *decimal.Decimal // 0..100
	DiscountAmount     *crm.Money
	FreightAmount      *crm.Money
}

// pricer runs the pricing operations of one kind of document: it adds,
// changes and removes lines and prices the whole document with
// sales/pricing in one named operation, writing every line's computed
// amounts and the header totals. Each operation locks the header first,
// so two on one document run one after the other.
type pricer struct {
	kind    *docKind
	opts    PricingOptions
	st      *storage.Store
	catalog *Catalog
}

func newPricer(st *storage.Store, k *docKind, opts PricingOptions) *pricer {
	return &pricer{kind: k, opts: opts, st: st, catalog: NewCatalog(st, CatalogOptions{})}
}

// editLines changes the document's lines, as records, before they are
// priced: it returns them as they will be, new lines included.
type editLines func(ctx context.Context, x *storage.Execution, header crm.Record, lines []crm.Record) ([]crm.Record, error)

// addLine adds rec to document docID as the kind's add operation; a
// bundle brings its items (bundleItems). It returns the header and the
// lines as stored.
func (p *pricer) addLine(ctx context.Context, docID crm.ID, rec crm.Record) (crm.Record, []crm.Record, error) {
	k := p.kind
	inputs := map[string]any{k.idInput: docID, LineInputTarget: rec}
	return p.price(ctx, k.add, inputs, func(ctx context.Context, x *storage.Execution, header crm.Record, lines []crm.Record) ([]crm.Record, error) {
		rec, err := opInput[crm.Record](x, LineInputTarget)
		if err != nil {
			return nil, err
		}
		rec = rec.Clone()
		rec.Entity, rec.Version = k.line, 0
		if rec.ID == crm.NilID {
			rec.ID = crm.NewID()
		}
		rec.Fields[k.parent] = crm.Ref{Entity: k.header, ID: header.ID}
		if kind, _ := rec.Fields.Choice(LineKind); pricing.LineKind(kind) > pricing.BundleLine {
			return nil, crm.Invalid(k.line, LineKind, "bundle items are added with their bundle")
		}
		rec.Fields[LineParentBundle] = nil
		setSequence(&rec, lines)
		return p.bundleItems(ctx, append(lines, rec))
	})
}

// setSequence puts rec after the other lines.
func setSequence(rec *crm.Record, lines []crm.Record) {
	var last int64
	for _, l := range lines {
		last = max(last, l.Fields.Int(LineSequence))
	}
	rec.Fields[LineSequence] = last + 1
}

// bundleItems gives the last of lines, when it is a bundle, its kind and
// a line for each of the bundle's items after it: a required item prices
// at nothing (its price is the bundle's), an optional one at its own
// price. An item's quantity is its quantity in the bundle times the
// bundle line's [inferred].
func (p *pricer) bundleItems(ctx context.Context, lines []crm.Record) ([]crm.Record, error) {
	bundle := &lines[len(lines)-1]
	kind := pricing.ProductLine
	product := bundle.Fields.Ref(LineProduct)
	if product.IsZero() {
		bundle.Fields[LineKind] = int32(kind)
		return lines, nil
	}
	prod, err := p.catalog.Products().Get(ctx, product.ID)
	if err != nil {
		return nil, fmt.Errorf("product: %w", err)
	}
	if prod.Structure != StructureBundle {
		bundle.Fields[LineKind] = int32(kind)
		return lines, nil
	}
	bundle.Fields[LineKind] = int32(pricing.BundleLine)
	items, err := p.catalog.BundleItemsOf(ctx, prod.ID)
	if err != nil {
		return nil, err
	}
	k, ref := p.kind, crm.Ref{Entity: p.kind.line, ID: bundle.ID}
	parent, qty := bundle.Fields[k.parent], bundle.Fields.Decimal(LineQuantity)
	for _, it := range items {
		kind := pricing.OptionalBundleItem
		if it.Required {
			kind = pricing.RequiredBundleItem
		}
		// LineWriteIn is stated, as the typed Line encodes it: the field is
		// immutable, so an item stored without it refused every UpdateLine.
		rec := crm.Record{Entity: k.line, Header: crm.Header{ID: crm.NewID()}, Fields: crm.Fields{
			k.parent: parent, LineProduct: it.Product, LineUnit: unlessZero(it.Unit),
			LineQuantity: it.Quantity.Mul(qty), LineKind: int32(kind), LineParentBundle: ref,
			// Stored as a typed Line stores them, so a typed UpdateLine of
			// an optional item does not read as changing them.
			LineWriteIn: false, LinePriceOverridden: false,
		}}
		setSequence(&rec, lines)
		lines = append(lines, rec)
	}
	return lines, nil
}

// updateLines writes the inputs of recs, lines of one document, over the
// stored lines, in the order given, as the kind's update operation, and
// prices the document once. A required bundle item's inputs are the
// bundle's; a bundle line's new quantity scales its items.
func (p *pricer) updateLines(ctx context.Context, recs []crm.Record) (crm.Record, []crm.Record, error) {
	k := p.kind
	if len(recs) == 0 {
		return crm.Record{}, nil, crm.Invalid(k.line, crm.FieldID, "no line to update")
	}
	for _, rec := range recs {
		if rec.Version == storage.AnyVersion {
			return crm.Record{}, nil, crm.Invalid(k.line, crm.FieldVersion, "is required: name the version the line was read at")
		}
	}
	stored, err := p.st.Get(ctx, k.line, recs[0].ID)
	if err != nil {
		return crm.Record{}, nil, err
	}
	inputs := map[string]any{k.idInput: stored.Fields.Ref(k.parent).ID}
	if len(recs) == 1 {
		inputs[LineInputTarget] = recs[0]
	} else {
		inputs[LineInputTargets] = recs
	}
	return p.price(ctx, k.update, inputs, func(ctx context.Context, x *storage.Execution, header crm.Record, lines []crm.Record) ([]crm.Record, error) {
		targets, err := opInput[[]crm.Record](x, LineInputTargets)
		if err != nil {
			rec, err := opInput[crm.Record](x, LineInputTarget)
			if err != nil {
				return nil, err
			}
			targets = []crm.Record{rec}
		}
		for _, rec := range targets {
			if lines, err = p.applyUpdate(ctx, header, lines, rec); err != nil {
				return nil, err
			}
		}
		return lines, nil
	})
}

// applyUpdate writes the inputs of rec over its line among lines.
func (p *pricer) applyUpdate(ctx context.Context, header crm.Record, lines []crm.Record, rec crm.Record) ([]crm.Record, error) {
	k := p.kind
	for i := range lines {
		if lines[i].ID != rec.ID {
			continue
		}
		old := lines[i]
		rec = rec.Clone()
		rec.Entity = k.line
		// What the line is and where it sits are the operations': a
		// caller's record cannot move it to another document or bundle,
		// or make an item of it.
		for _, f := range []string{k.parent, LineKind, LineParentBundle} {
			rec.Fields[f] = old.Fields[f]
		}
		if k.source != "" {
			rec.Fields[k.source] = old.Fields[k.source]
		}
		if kind, _ := old.Fields.Choice(LineKind); pricing.LineKind(kind) == pricing.RequiredBundleItem {
			for _, f := range []string{LineQuantity, LineManualDiscount, LineTax, LinePriceOverridden, LineProduct, LineUnit} {
				if !crm.SameValue(old.Fields[f], rec.Fields[f]) {
					return nil, crm.Invalid(k.line, f, "cannot change: the line is a required product of its bundle")
				}
			}
		}
		lines[i] = rec
		if kind, _ := old.Fields.Choice(LineKind); pricing.LineKind(kind) == pricing.BundleLine &&
			!crm.SameValue(old.Fields[LineQuantity], rec.Fields[LineQuantity]) {
			return p.scaleItems(ctx, rec, lines)
		}
		return lines, nil
	}
	return nil, fmt.Errorf("line %s of %s %s: %w", rec.ID, k.label, header.ID, crm.ErrNotFound)
}

// scaleItems gives the items of bundle line bundle the quantity its new
// quantity calls for: each item's quantity in the bundle (the catalog's)
// times the bundle line's. An item no longer in the catalog's bundle
// keeps its quantity.
func (p *pricer) scaleItems(ctx context.Context, bundle crm.Record, lines []crm.Record) ([]crm.Record, error) {
	items, err := p.catalog.BundleItemsOf(ctx, bundle.Fields.Ref(LineProduct).ID)
	if err != nil {
		return nil, err
	}
	per := make(map[crm.ID]decimal.Decimal, len(items))
	for _, it := range items {
		per[it.Product.ID] = it.Quantity
	}
	qty := bundle.Fields.Decimal(LineQuantity)
	for i := range lines {
		f := lines[i].Fields
		if f.Ref(LineParentBundle).ID != bundle.ID {
			continue
		}
		if q, ok := per[f.Ref(LineProduct).ID]; ok {
			f[LineQuantity] = q.Mul(qty)
		}
	}
	return lines, nil
}

// removeLine deletes a line, and a bundle line's items with it, as the
// kind's remove operation. A required bundle item is removed only with
// its bundle.
func (p *pricer) removeLine(ctx context.Context, id crm.ID, version int64) (crm.Record, error) {
	k := p.kind
	stored, err := p.st.Get(ctx, k.line, id)
	if err != nil {
		return crm.Record{}, err
	}
	inputs := map[string]any{k.idInput: stored.Fields.Ref(k.parent).ID, LineInputLine: id, LineInputVersion: version}
	header, _, err := p.price(ctx, k.remove, inputs, func(ctx context.Context, x *storage.Execution, header crm.Record, lines []crm.Record) ([]crm.Record, error) {
		id, err := opInput[crm.ID](x, LineInputLine)
		if err != nil {
			return nil, err
		}
		version, err := opInput[int64](x, LineInputVersion)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(lines, func(l crm.Record) bool { return l.ID == id })
		if i < 0 {
			return nil, fmt.Errorf("line %s of %s %s: %w", id, k.label, header.ID, crm.ErrNotFound)
		}
		if kind, _ := lines[i].Fields.Choice(LineKind); pricing.LineKind(kind) == pricing.RequiredBundleItem {
			return nil, crm.Invalid(k.line, LineParentBundle, "a required product of a bundle is removed with its bundle")
		}
		// Deleting a bundle line deletes its items (LineParentBundle
		// cascades).
		if err := p.st.Delete(ctx, crm.Ref{Entity: k.line, ID: id}, version); err != nil {
			return nil, err
		}
		return slices.DeleteFunc(lines, func(l crm.Record) bool {
			return l.ID == id || l.Fields.Ref(LineParentBundle).ID == id
		}), nil
	})
	return header, err
}

// recalculate prices the document again from the catalog as it is now;
// with h, it first sets the header's price list, discounts and freight.
// version is the header's, checked when h is set.
func (p *pricer) recalculate(ctx context.Context, id crm.ID, version int64, h *PricingHeader) (crm.Record, error) {
	inputs := map[string]any{p.kind.idInput: id}
	if h != nil {
		inputs[LineInputPricing], inputs[LineInputVersion] = *h, version
	}
	header, _, err := p.price(ctx, MessageCalculatePrice, inputs, nil)
	return header, err
}

// price runs message: it locks the header, checks it can change, reads
// its lines, lets edit change them, prices the document and writes every
// line whose fields change, then the header.
func (p *pricer) price(ctx context.Context, message string, inputs map[string]any, edit editLines) (crm.Record, []crm.Record, error) {
	var (
		header crm.Record
		lines  []crm.Record
	)
	err := p.st.Execute(ctx, message, inputs, func(ctx context.Context, x *storage.Execution) error {
		var err error
		header, lines, err = p.priceIn(ctx, x, edit)
		return err
	})
	return header, lines, err
}

// priceIn is price's work inside the operation x; the conversions that
// end by pricing the document they made run it too. It returns the
// lines as stored only with edit; nil without.
func (p *pricer) priceIn(ctx context.Context, x *storage.Execution, edit editLines) (crm.Record, []crm.Record, error) {
	k := p.kind
	id, err := opInput[crm.ID](x, k.idInput)
	if err != nil {
		return crm.Record{}, nil, err
	}
	rec, err := p.st.Lock(ctx, k.header, id)
	if err != nil {
		return crm.Record{}, nil, err
	}
	if err := k.open(rec, k.header, x.Message); err != nil {
		return crm.Record{}, nil, err
	}
	header := crm.Fields{}
	if h, ok := x.Inputs[LineInputPricing].(PricingHeader); ok {
		header = crm.Fields{
			DocumentPriceList:          unlessZero(h.PriceList),
			DocumentDiscountPercentage: optional(h.DiscountPercentage),
			DocumentDiscountAmount:     optional(h.DiscountAmount),
			DocumentFreightAmount:      optional(h.FreightAmount),
		}
		for f, v := range header {
			rec.Fields[f] = v
		}
	}
	stored, err := collect(p.st.Iterate(ctx, k.linesOf(id)))
	if err != nil {
		return crm.Record{}, nil, err
	}
	if edit == nil {
		err = p.reprice(ctx, rec.Fields, stored, header)
	} else {
		err = p.editAndPrice(ctx, x, rec, stored, header, edit)
	}
	if err != nil {
		return crm.Record{}, nil, err
	}
	version := storage.AnyVersion
	if v, ok := x.Inputs[LineInputVersion].(int64); ok && x.Message == MessageCalculatePrice {
		version = v
	}
	out, err := p.st.Update(ctx, crm.Record{Entity: k.header, Header: crm.Header{ID: id, Version: version}, Fields: header})
	if err != nil || edit == nil {
		// Without edit (Recalculate, SetPricing, UnlockPricing) the
		// caller wants the header alone: reading the lines back would
		// cost as much as reading them the first time.
		return out, nil, err
	}
	lines, err := collect(p.st.Iterate(ctx, k.linesOf(id)))
	return out, lines, err
}

// editAndPrice lets edit change copies of the stored lines, prices them
// and writes every line that differs from the one stored.
func (p *pricer) editAndPrice(ctx context.Context, x *storage.Execution, rec crm.Record, stored []crm.Record, header crm.Fields, edit editLines) error {
	recs := make([]crm.Record, len(stored))
	for i := range stored {
		recs[i] = stored[i].Clone()
	}
	recs, err := edit(ctx, x, rec, recs)
	if err != nil {
		return err
	}
	if err := p.calculate(ctx, rec.Fields, recs, header); err != nil {
		return err
	}
	return p.writeLines(ctx, stored, recs)
}

// pricedFields are the line fields pricing writes (a catalog line's unit
// when it had none).
var pricedFields = [...]string{LinePricePerUnit, LineVolumeDiscount, LineAmount, LineExtendedAmount, LinePricingError, LineUnit}

// reprice prices the stored lines as they are and writes the priced
// fields that change. No caller's edit touches them, so only what
// pricing writes is compared, and the lines are not copied first: a
// recalculation of a large document that changes nothing writes nothing
// and copies nothing.
func (p *pricer) reprice(ctx context.Context, doc crm.Fields, lines []crm.Record, header crm.Fields) error {
	before := make([][len(pricedFields)]any, len(lines))
	for i := range lines {
		for j, f := range pricedFields {
			before[i][j] = lines[i].Fields[f]
		}
	}
	if err := p.calculate(ctx, doc, lines, header); err != nil {
		return err
	}
	for i, l := range lines {
		var changes crm.Fields
		for j, f := range pricedFields {
			if v := l.Fields[f]; !crm.SameValue(before[i][j], v) {
				if changes == nil {
					changes = crm.Fields{}
				}
				changes[f] = v
			}
		}
		if changes == nil {
			continue
		}
		if _, err := p.st.Update(ctx, crm.Record{Entity: p.kind.line, Header: crm.Header{ID: l.ID, Version: l.Version}, Fields: changes}); err != nil {
			return err
		}
	}
	return nil
}

// writeLines creates the new lines and writes the fields that change of
// the others, each at the version it was read at: only these
// operations write lines, and they hold the header, so no other writer
// changed them since (but a caller's UpdateLine names its own).
func (p *pricer) writeLines(ctx context.Context, stored, recs []crm.Record) error {
	before := make(map[crm.ID]*crm.Record, len(stored))
	for i := range stored {
		before[stored[i].ID] = &stored[i]
	}
	var created []crm.Record
	for _, rec := range recs {
		old := before[rec.ID]
		if old == nil {
			created = append(created, rec)
			continue
		}
		changes := crm.Fields{}
		for f, v := range rec.Fields {
			if !crm.SameValue(old.Fields[f], v) {
				changes[f] = v
			}
		}
		if len(changes) == 0 && rec.Version == old.Version {
			continue
		}
		if _, err := p.st.Update(ctx, crm.Record{Entity: p.kind.line, Header: crm.Header{ID: rec.ID, Version: rec.Version}, Fields: changes}); err != nil {
			return err
		}
	}
	if len(created) > 0 {
		// One call: a bundle and its items, or the lines a conversion
		// copies, go in as one batch.
		if _, err := p.st.CreateMany(ctx, created); err != nil {
			return err
		}
	}
	return nil
}

// calculate prices the document of header fields doc and lines recs,
// writing the lines' computed fields into recs and the header's into
// header.
func (p *pricer) calculate(ctx context.Context, doc crm.Fields, recs []crm.Record, header crm.Fields) error {
	d := pricing.Document{DiscountPercentage: doc.Decimal(DocumentDiscountPercentage),
		DiscountAmount: optionalField[crm.Money](doc, DocumentDiscountAmount),
		Freight:        optionalField[crm.Money](doc, DocumentFreightAmount)}
	priceList := doc.Ref(DocumentPriceList)
	if !priceList.IsZero() {
		pl, err := p.catalog.PriceLists().Get(ctx, priceList.ID)
		if err != nil {
			return fmt.Errorf("price list: %w", err)
		}
		d.PriceList = &pricing.PriceList{Currency: pl.Currency, Inactive: pl.PriceListState() != PriceListStateActive,
			Begin: pl.BeginDate, End: pl.EndDate}
	}
	r := lineReader{p: p, locked: p.kind.priceLock && doc.Bool(DocumentPriceLocked),
		discounts: map[crm.ID]*pricing.DiscountList{}, products: map[crm.ID]*Product{}, items: map[itemKey]*PriceListItem{}}
	if !r.locked {
		// Prices come from the list today, so the list must apply today
		// (the store clock's date): an expired list is
		// pricing.ErrInactivePriceLevel. A locked document keeps the
		// prices it has, from a list that may have ended since.
		d.AsOf = p.st.Now(ctx).UTC()
	}
	d.Lines = make([]pricing.Line, len(recs))
	for i := range recs {
		l, err := r.line(ctx, priceList, &recs[i])
		if err != nil {
			return fmt.Errorf("line %d: %w", i+1, err)
		}
		d.Lines[i] = l
	}
	c, err := p.documentCurrency(doc, d.PriceList, recs)
	if err != nil || c == "" {
		return err // no amount says the currency: nothing to price
	}
	d.Currency = c
	settings := pricing.Settings{PricingPrecision: p.st.Registry().PricingPrecision(),
		DiscountMethod: p.opts.DiscountMethod, PriceListOptional: p.opts.PriceListOptional}
	res, err := settings.Calculate(d)
	if err != nil {
		return err
	}
	none := int32(pricing.CodeNone)
	for i, lr := range res.Lines {
		f := recs[i].Fields
		f[LinePricePerUnit] = lr.PricePerUnit
		f[LineVolumeDiscount] = lr.VolumeDiscount
		f[LineAmount] = lr.Amount
		f[LineExtendedAmount] = lr.ExtendedAmount
		f[LinePricingError] = none
	}
	t := res.Totals
	header[DocumentTotalLineItemAmount] = t.DetailAmount
	header[DocumentTotalLineItemDiscount] = t.LineItemDiscount
	header[DocumentTotalDiscountAmount] = t.TotalDiscount
	header[DocumentTotalAmountLessFreight] = t.PreFreightAmount
	header[DocumentTotalTax] = t.TotalTax
	header[DocumentTotalAmount] = t.TotalAmount
	header[DocumentPricingError] = none
	if p.kind.revenue && doc.Bool(OpportunityRevenueSystem) {
		rev, err := t.Revenue(p.opts.RevenueSource)
		if err != nil {
			return err
		}
		header[OpportunityEstimatedValue] = rev
	}
	return nil
}

// documentCurrency returns the document's currency: that of the amounts
// a caller set on its header (the kind's currencyFields), else its price
// list's, else that of its write-in lines' prices; "" when nothing names
// one. Two header amounts in different currencies are
// pricing.ErrCurrencyMismatch; the engine checks the price list and the
// lines against the result.
func (p *pricer) documentCurrency(doc crm.Fields, pl *pricing.PriceList, recs []crm.Record) (crm.Currency, error) {
	var c crm.Currency
	for _, f := range p.kind.currencyFields(doc) {
		m, ok := doc.Money(f)
		switch {
		case !ok:
		case c == "":
			c = m.Currency
		case m.Currency != c:
			return "", &pricing.Error{Code: pricing.ErrCurrencyMismatch, Err: crm.ErrCurrencyMismatch,
				Reason: fmt.Sprintf("the %s's %s is in %s, its other amounts in %s", p.kind.label, f, m.Currency, c)}
		}
	}
	if c == "" && pl != nil {
		c = pl.Currency
	}
	for i := 0; c == "" && i < len(recs); i++ {
		if m, ok := recs[i].Fields.Money(LinePricePerUnit); ok {
			c = m.Currency
		}
	}
	return c, nil
}

// lineReader reads what pricing needs of the catalog for each line,
// reading each product, price list item and discount list once.
type lineReader struct {
	p *pricer
	// locked: the document's prices are locked, so a catalog line keeps
	// the price it has (sales.md §5.5); its volume discount still follows
	// its quantity.
	locked    bool
	discounts map[crm.ID]*pricing.DiscountList
	products  map[crm.ID]*Product
	items     map[itemKey]*PriceListItem // nil: none on the list
}

// itemKey names a price list item: the product and unit on the
// document's one price list.
type itemKey struct{ product, unit crm.ID }

// line returns the pricing line of rec, and gives a catalog line with no
// unit its product's default unit.
func (r *lineReader) line(ctx context.Context, priceList crm.Ref, rec *crm.Record) (pricing.Line, error) {
	f := rec.Fields
	kind, _ := f.Choice(LineKind)
	out := pricing.Line{Kind: pricing.LineKind(kind), WriteIn: f.Bool(LineWriteIn),
		Quantity:       f.Decimal(LineQuantity),
		ManualDiscount: optionalField[crm.Money](f, LineManualDiscount), Tax: optionalField[crm.Money](f, LineTax),
		Unit: f.Ref(LineUnit).ID}
	out.PriceOverridden = f.Bool(LinePriceOverridden) || out.WriteIn
	if r.locked && !out.WriteIn {
		if _, ok := f.Money(LinePricePerUnit); ok {
			out.PriceOverridden = true
		}
	}
	if out.PriceOverridden {
		out.PricePerUnit = optionalField[crm.Money](f, LinePricePerUnit)
	}
	product := f.Ref(LineProduct)
	if out.WriteIn || product.IsZero() {
		return out, nil // the line's rule or the engine refuses a line with neither
	}
	prod, err := r.product(ctx, product.ID)
	if err != nil {
		return pricing.Line{}, err
	}
	out.Product = &pricing.Product{State: pricing.ProductState(prod.State), ListPrice: prod.ListPrice,
		CurrentCost: prod.CurrentCost, StandardCost: prod.StandardCost, QuantityDecimals: int32(prod.QuantityDecimal)}
	if out.Unit == crm.NilID && !prod.DefaultUnit.IsZero() {
		f[LineUnit] = UnitRef(prod.DefaultUnit.ID)
		out.Unit = prod.DefaultUnit.ID
	}
	if priceList.IsZero() || out.Unit == crm.NilID {
		return out, nil
	}
	item, err := r.item(ctx, priceList.ID, prod.ID, out.Unit)
	switch {
	case err != nil:
		return pricing.Line{}, err
	case item == nil:
		return out, nil // the engine says what that means: error 11, or 0 when optional
	}
	out.Item = &pricing.PriceListItem{Method: pricing.Method(item.PricingMethod), Amount: item.Amount,
		Percentage: item.Percentage, Unit: item.Unit.ID, QuantitySelling: pricing.QuantitySelling(item.QuantitySelling),
		Rounding: pricing.Rounding{Policy: pricing.RoundingPolicy(item.RoundingPolicy), Option: pricing.RoundingOption(item.RoundingOption)}}
	if item.RoundingAmount != nil {
		out.Item.Rounding.Amount = item.RoundingAmount.Amount
	}
	if !item.DiscountList.IsZero() {
		if out.Item.Discounts, err = r.discountList(ctx, item.DiscountList.ID); err != nil {
			return pricing.Line{}, err
		}
	}
	return out, nil
}

// item returns the price list item of product in unit, nil when the
// list has none.
func (r *lineReader) item(ctx context.Context, priceList, product, unit crm.ID) (*PriceListItem, error) {
	key := itemKey{product, unit}
	if it, ok := r.items[key]; ok {
		return it, nil
	}
	it, err := r.p.catalog.PriceListItem(ctx, priceList, product, unit)
	switch {
	case errors.Is(err, crm.ErrNotFound):
		r.items[key] = nil
		return nil, nil
	case err != nil:
		return nil, err
	}
	r.items[key] = &it
	return &it, nil
}

func (r *lineReader) product(ctx context.Context, id crm.ID) (*Product, error) {
	if p, ok := r.products[id]; ok {
		return p, nil
	}
	p, err := r.p.catalog.Products().Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("product: %w", err)
	}
	r.products[id] = &p
	return &p, nil
}

func (r *lineReader) discountList(ctx context.Context, id crm.ID) (*pricing.DiscountList, error) {
	if d, ok := r.discounts[id]; ok {
		return d, nil
	}
	list, err := r.p.catalog.DiscountLists().Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("discount list: %w", err)
	}
	ranges, err := r.p.catalog.DiscountsOf(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &pricing.DiscountList{Type: pricing.PercentageDiscount, Discounts: make([]pricing.Discount, len(ranges))}
	if list.IsAmount {
		out.Type = pricing.AmountDiscount
	}
	for i, d := range ranges {
		out.Discounts[i] = pricing.Discount{Begin: d.Low, End: d.High}
		if d.Percentage != nil {
			out.Discounts[i].Percentage = *d.Percentage
		}
		if d.Amount != nil {
			out.Discounts[i].Amount = *d.Amount
		}
	}
	r.discounts[id] = out
	return out, nil
}

// setPriceLock locks or unlocks the prices of an editable document as
// the named operation message; unlocking prices its lines again from the
// catalog as it is now ("Use Current Pricing").
func (p *pricer) setPriceLock(ctx context.Context, message string, id crm.ID, version int64, locked bool) (crm.Record, error) {
	k := p.kind
	var out crm.Record
	err := p.st.Execute(ctx, message, map[string]any{k.idInput: id}, func(ctx context.Context, x *storage.Execution) error {
		id, err := opInput[crm.ID](x, k.idInput)
		if err != nil {
			return err
		}
		rec, err := p.st.Lock(ctx, k.header, id)
		if err != nil {
			return err
		}
		if err := k.open(rec, k.header, x.Message); err != nil {
			return err
		}
		out, err = p.st.Update(ctx, crm.Record{Entity: k.header, Header: crm.Header{ID: id, Version: version},
			Fields: crm.Fields{DocumentPriceLocked: locked}})
		if err != nil || locked {
			return err
		}
		out, _, err = p.priceIn(ctx, x, nil)
		return err
	})
	return out, err
}
