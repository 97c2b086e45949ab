package sales

import (
	"context"
	"fmt"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// DocumentOptions configure the quote, order and invoice services.
type DocumentOptions struct {
	// Pricing are the organization's pricing settings; the zero value is
	// Dynamics' default.
	Pricing PricingOptions
	// Numbering gives new documents their numbers; nil: a Numbering with
	// the default formats (QUO-01000, ORD-01000, INV-01000). Share one
	// between the services of a store.
	Numbering *Numbering
}

// Documents are the operations every kind of sales document has, quotes
// (D = Quote), orders (Order) and invoices (Invoice): typed reads and
// writes, numbering, and the pricing operations on their product lines,
// each a named operation run as one transaction that prices the whole
// document. Quotes, Orders and Invoices embed it. It is safe for
// concurrent use; operations join the transaction carried by ctx
// (storage.Store.InTx).
type Documents[D any] struct {
	kind     *docKind
	codec    storage.Codec[D]
	table    *storage.Table[D]
	lines    *storage.Table[Line]
	lineCdc  storage.Codec[Line]
	pricer   *pricer
	numbers  *Numbering
	sequence string
}

func newDocuments[D any](st *storage.Store, k *docKind, codec storage.Codec[D], sequence string, opts DocumentOptions) (*Documents[D], error) {
	numbers := opts.Numbering
	if numbers == nil {
		var err error
		if numbers, err = NewNumbering(st, nil); err != nil {
			return nil, err
		}
	}
	return &Documents[D]{kind: k, codec: codec, table: storage.NewTable(st, codec), lines: storage.NewTable(st, lineCodec(k)), lineCdc: lineCodec(k),
		pricer: newPricer(st, k, opts.Pricing), numbers: numbers, sequence: sequence}, nil
}

// Table returns typed access to the documents, for what the service does
// not cover.
func (s *Documents[D]) Table() *storage.Table[D] { return s.table }

// LineTable returns typed access to the lines, for reads: writes outside
// the pricing operations are refused (see the package doc).
func (s *Documents[D]) LineTable() *storage.Table[Line] { return s.lines }

// Create stores a new document and returns it as stored, in its initial
// state. Its number is the one d names, or else the next of its
// sequence (Numbering), taken in the same transaction. Its totals are
// empty until it has lines: a create cannot set them.
//
// Errors: crm.ErrValidation (a *crm.ValidationError naming every bad
// field: a missing name or customer, totals set), crm.ErrDuplicate for an
// ID or number in use.
func (s *Documents[D]) Create(ctx context.Context, d D) (D, error) {
	var out D
	st := s.table.Store()
	err := st.InTx(ctx, func(ctx context.Context) error {
		rec, err := s.numbered(ctx, s.codec.Encode(d))
		if err != nil {
			return err
		}
		created, err := st.Create(ctx, rec)
		if err != nil {
			return err
		}
		out, err = s.codec.Decode(created)
		return err
	})
	if err != nil {
		return out, fmt.Errorf("create %s: %w", s.kind.label, err)
	}
	return out, nil
}

// numbered gives rec the next number of the sequence unless it has one.
func (s *Documents[D]) numbered(ctx context.Context, rec crm.Record) (crm.Record, error) {
	if rec.Fields.String(s.kind.number) != "" {
		return rec, nil
	}
	n, err := s.numbers.Next(ctx, s.sequence)
	if err != nil {
		return rec, err
	}
	rec.Fields[s.kind.number] = n
	return rec, nil
}

// Get returns the document with the given ID, or an error matching
// crm.ErrNotFound.
func (s *Documents[D]) Get(ctx context.Context, id crm.ID) (D, error) { return s.table.Get(ctx, id) }

// Update writes every field of d over the stored document and returns it
// as stored. The version must be the one d was read at (crm.ErrConflict
// otherwise). The number, the totals, the pricing inputs (SetPricing) and
// the price lock (LockPricing) do not change here, and a document that is
// not in its editable state (a quote that is not Draft, an order or
// invoice that is not Active) is refused with crm.ErrInvalidTransition.
func (s *Documents[D]) Update(ctx context.Context, d D) (D, error) { return s.table.Update(ctx, d) }

// Delete removes a document with its lines. version is the version it was
// read at (crm.ErrConflict otherwise); storage.AnyVersion skips the check.
func (s *Documents[D]) Delete(ctx context.Context, id crm.ID, version int64) error {
	return s.table.Delete(ctx, id, version)
}

// Search returns one page of the documents matching q, as Accounts.Search
// does.
func (s *Documents[D]) Search(ctx context.Context, q crm.Query) (crm.PageOf[D], error) {
	return search(ctx, s.table, q)
}

// Count returns how many documents match q.
func (s *Documents[D]) Count(ctx context.Context, q crm.Query) (int64, error) {
	return count(ctx, s.table, q)
}

// Lines returns the lines of a document in their sequence.
func (s *Documents[D]) Lines(ctx context.Context, id crm.ID) ([]Line, error) {
	out, err := collect(s.lines.Iterate(ctx, s.kind.linesOf(id)))
	if err != nil {
		return nil, fmt.Errorf("lines of %s %s: %w", s.kind.label, id, err)
	}
	return out, nil
}

// AddLine adds a line to the document l.Document as its named add
// operation (AddQuoteProduct, AddSalesOrderProduct, AddInvoiceProduct)
// and prices the document: it returns the line and the document as
// stored. A catalog line takes its product's default unit when l.Unit is
// empty and its price from the document's price list item for the
// product in that unit, unless l.PriceOverridden; a write-in line
// (l.WriteIn) takes l.PricePerUnit, and cannot be added while the
// document's prices are locked. A bundle brings a line for each of its
// items (required items price at nothing, optional ones at their own
// price). The line goes last.
//
// Errors: a *pricing.Error (errors.Is with the pricing sentinels:
// pricing.ErrNoPriceListItem, ErrInvalidProduct, ErrCurrencyMismatch,
// ErrInvalidQuantity, ErrInactivePriceList for a price list
// that is inactive or expired, ...) when the document cannot
// be priced with the line, crm.ErrValidation, crm.ErrNotFound,
// crm.ErrInvalidTransition for a document that is not editable. A
// refused line changes nothing.
func (s *Documents[D]) AddLine(ctx context.Context, l Line) (Line, D, error) {
	if l.ID == crm.NilID {
		l.ID = crm.NewID()
	}
	doc, lines, err := s.pricer.addLine(ctx, l.Document.ID, s.lineCdc.Encode(l))
	if err != nil {
		var zero D
		return Line{}, zero, fmt.Errorf("add line to %s %s: %w", s.kind.label, l.Document.ID, err)
	}
	return typedLines(doc, lines, l.ID, s.codec.Decode, s.lineCdc.Decode)
}

// UpdateLine writes the inputs of l over the stored line (product, unit,
// quantity, price when overridden, manual discount, tax, sequence) as the
// named update operation and prices the document again. l.Version must
// be the version l was read at. A required bundle item's inputs are the
// bundle's: changing them is a *crm.ValidationError. Errors are
// AddLine's.
func (s *Documents[D]) UpdateLine(ctx context.Context, l Line) (Line, D, error) {
	doc, lines, err := s.pricer.updateLines(ctx, []crm.Record{s.lineCdc.Encode(l)})
	if err != nil {
		var zero D
		return Line{}, zero, fmt.Errorf("update line %s: %w", l.ID, err)
	}
	return typedLines(doc, lines, l.ID, s.codec.Decode, s.lineCdc.Decode)
}

// UpdateLines writes the inputs of several lines of one document, in the
// order given, as one named update operation (with the input
// LineInputTargets) that prices the document once: a host setting each
// line's tax, say, reprices once rather than once a line. It returns the
// lines and the document as stored. Each line's Version must be the one
// it was read at; errors are UpdateLine's, and a refused line changes
// nothing, the others included.
func (s *Documents[D]) UpdateLines(ctx context.Context, ls []Line) ([]Line, D, error) {
	return updateLines(ctx, s.pricer, s.lineCdc, s.codec.Decode, ls)
}

// updateLines runs a pricer's updateLines on typed lines and decodes
// what it returns: the lines, in the order given, and the document.
func updateLines[D any](ctx context.Context, p *pricer, lines storage.Codec[Line], decode func(crm.Record) (D, error), ls []Line) ([]Line, D, error) {
	var zero D
	recs := make([]crm.Record, len(ls))
	for i, l := range ls {
		recs[i] = lines.Encode(l)
	}
	doc, stored, err := p.updateLines(ctx, recs)
	if err != nil {
		return nil, zero, fmt.Errorf("update lines: %w", err)
	}
	byID := make(map[crm.ID]crm.Record, len(stored))
	for _, rec := range stored {
		byID[rec.ID] = rec
	}
	out := make([]Line, len(ls))
	for i, l := range ls {
		if out[i], err = lines.Decode(byID[l.ID]); err != nil {
			return nil, zero, err
		}
	}
	d, err := decode(doc)
	return out, d, err
}

// RemoveLine deletes a line, a bundle's with its items, as the named
// remove operation and prices the document again. version is the
// version the line was read at; storage.AnyVersion skips the check. A
// required bundle item goes only with its bundle.
func (s *Documents[D]) RemoveLine(ctx context.Context, id crm.ID, version int64) (D, error) {
	doc, err := s.pricer.removeLine(ctx, id, version)
	if err != nil {
		var zero D
		return zero, fmt.Errorf("remove line %s: %w", id, err)
	}
	return s.codec.Decode(doc)
}

// Recalculate prices the document's lines again from the catalog as it is
// now, as the named operation MessageCalculatePrice: unlocked lines take
// the price list's current prices; locked ones keep theirs.
func (s *Documents[D]) Recalculate(ctx context.Context, id crm.ID) (D, error) {
	doc, err := s.pricer.recalculate(ctx, id, storage.AnyVersion, nil)
	if err != nil {
		var zero D
		return zero, fmt.Errorf("recalculate %s %s: %w", s.kind.label, id, err)
	}
	return s.codec.Decode(doc)
}

// SetPricing changes the document's price list, discounts and freight
// and prices its lines again, as MessageCalculatePrice with the input
// LineInputPricing. version is the version the document was read at
// (crm.ErrConflict otherwise); storage.AnyVersion skips the check. A
// price list the lines cannot be priced from fails with the pricing
// error and changes nothing.
func (s *Documents[D]) SetPricing(ctx context.Context, id crm.ID, version int64, h PricingHeader) (D, error) {
	doc, err := s.pricer.recalculate(ctx, id, version, &h)
	if err != nil {
		var zero D
		return zero, fmt.Errorf("set pricing of %s %s: %w", s.kind.label, id, err)
	}
	return s.codec.Decode(doc)
}

// fromOpportunity creates a document of the service's kind from an open
// opportunity, as the named operation message: d's own fields, then the
// opportunity's where d leaves one empty (name, customer, price list,
// discounts, freight, totals), and a copy of each of its product lines,
// amounts included, so the document's total is the opportunity's.
func (s *Documents[D]) fromOpportunity(ctx context.Context, message string, opportunityID crm.ID, d D) (D, error) {
	st := s.table.Store()
	var out D
	err := st.Execute(ctx, message, map[string]any{LineInputOpportunity: opportunityID},
		func(ctx context.Context, x *storage.Execution) error {
			id, err := opInput[crm.ID](x, LineInputOpportunity)
			if err != nil {
				return err
			}
			opp, err := st.Lock(ctx, OpportunityEntity, id)
			if err != nil {
				return err
			}
			if err := opportunityKind.open(opp, s.kind.header, x.Message); err != nil {
				return err
			}
			own, err := s.numbered(ctx, s.codec.Encode(d))
			if err != nil {
				return err
			}
			header := crm.Fields{DocumentOpportunity: opp.Ref()}
			for f, v := range own.Fields {
				if v != nil && f != QuoteRevision { // a new quote is revision 0
					header[f] = v
				}
			}
			c := conversion{st: st, from: opportunityKind, to: s.kind, header: header}
			rec, err := c.run(ctx, opp, orNew(own.ID))
			if err != nil {
				return err
			}
			out, err = s.codec.Decode(rec)
			return err
		})
	if err != nil {
		return out, fmt.Errorf("%s from opportunity %s: %w", s.kind.label, opportunityID, err)
	}
	return out, nil
}
