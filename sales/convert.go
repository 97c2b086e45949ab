package sales

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// ErrAlreadyConverted is what converting a quote that already has its
// order returns, matched by errors.Is along with crm.ErrDuplicate: a won
// quote becomes one order.
var ErrAlreadyConverted = fmt.Errorf("already converted: %w", crm.ErrDuplicate)

// conversion copies one document, header and lines, into a new document
// of another kind (or a new revision of the same), inside the named
// operation that does it.
type conversion struct {
	st       *storage.Store
	from, to *docKind
	// header are the fields the new header takes besides those copied:
	// its links, number, price lock.
	header crm.Fields
	// skip are header fields not copied from the source.
	skip []string
}

// copyable reports whether field f of entity e carries over to a copy:
// the caller's fields, not the platform's (header, state, base amounts,
// exchange rate) or the computed ones.
func copyable(e *crm.Entity, name string) bool {
	f, ok := e.Field(name)
	return ok && !f.System && f.Compute == nil && name != crm.FieldExchangeRate && !strings.HasSuffix(name, crm.BaseSuffix)
}

// copyFields returns the fields of src that entity to declares and
// copyable allows, but those in skip.
func copyFields(reg *crm.Registry, to string, src crm.Fields, skip ...string) (crm.Fields, error) {
	e, err := reg.Entity(to)
	if err != nil {
		return nil, err
	}
	out := crm.Fields{}
	for name, v := range src {
		if v != nil && copyable(e, name) && !slices.Contains(skip, name) {
			out[name] = v
		}
	}
	return out, nil
}

// run creates the copy of src (a header record of c.from) with ID id
// and its lines, in one batch, and returns the new header as stored. The
// totals and the lines' amounts are copied, not recalculated: a
// conversion never changes what the document adds up to.
func (c *conversion) run(ctx context.Context, src crm.Record, id crm.ID) (crm.Record, error) {
	reg := c.st.Registry()
	fields, err := copyFields(reg, c.to.header, src.Fields, append([]string{c.from.number}, c.skip...)...)
	if err != nil {
		return crm.Record{}, err
	}
	for f, v := range c.header {
		fields[f] = v
	}
	header := crm.Record{Entity: c.to.header, Header: crm.Header{ID: id}, Fields: fields}
	lines, err := collect(c.st.Iterate(ctx, c.from.linesOf(src.ID)))
	if err != nil {
		return crm.Record{}, err
	}
	// Bundle lines before their items, whatever their sequence: an item's
	// lookup names a line created before it in the batch.
	slices.SortStableFunc(lines, func(a, b crm.Record) int {
		return cmpBool(!a.Fields.Ref(LineParentBundle).IsZero(), !b.Fields.Ref(LineParentBundle).IsZero())
	})
	ids := make(map[crm.ID]crm.ID, len(lines))
	for _, l := range lines {
		ids[l.ID] = crm.NewID()
	}
	recs := make([]crm.Record, 0, len(lines)+1)
	recs = append(recs, header)
	for _, l := range lines {
		f, err := copyFields(reg, c.to.line, l.Fields, c.from.parent, LineParentBundle, c.from.source)
		if err != nil {
			return crm.Record{}, err
		}
		f[c.to.parent] = crm.Ref{Entity: c.to.header, ID: id}
		if b := l.Fields.Ref(LineParentBundle); !b.IsZero() {
			f[LineParentBundle] = crm.Ref{Entity: c.to.line, ID: ids[b.ID]}
		}
		if c.to.source != "" && c.to.sourceLine == c.from.line {
			f[c.to.source] = crm.Ref{Entity: c.from.line, ID: l.ID}
		}
		recs = append(recs, crm.Record{Entity: c.to.line, Header: crm.Header{ID: ids[l.ID]}, Fields: f})
	}
	out, err := c.st.CreateMany(ctx, recs)
	if err != nil {
		return crm.Record{}, err
	}
	return out[0], nil
}

// Lineage is the chain of documents one sale went through: the
// opportunity, its quotes (every revision), the orders converted from
// them and the invoices of those orders, each oldest first. Documents
// created on their own, without a source, start a lineage of their own.
type Lineage struct {
	Opportunity *Opportunity
	Quotes      []Quote
	Orders      []Order
	Invoices    []Invoice
}

// LineageOf returns the lineage of the opportunity, quote, order or
// invoice doc: it follows the links up to the first document (the
// opportunity, or the quote or order created on its own) and down to
// every document that came from it. Errors: crm.ErrNotFound for a doc
// that does not exist, a *crm.ValidationError for another entity.
func LineageOf(ctx context.Context, st *storage.Store, doc crm.Ref) (Lineage, error) {
	root, err := lineageRoot(ctx, st, doc)
	if err != nil {
		return Lineage{}, fmt.Errorf("lineage of %s: %w", doc, err)
	}
	var out Lineage
	if err := out.readFrom(ctx, st, root); err != nil {
		return Lineage{}, fmt.Errorf("lineage of %s: %w", doc, err)
	}
	return out, nil
}

// lineageRoot follows the links of doc up to the first document.
func lineageRoot(ctx context.Context, st *storage.Store, doc crm.Ref) (crm.Ref, error) {
	for {
		if doc.Entity == OpportunityEntity {
			_, err := st.Get(ctx, doc.Entity, doc.ID)
			return doc, err
		}
		k := kindOf(doc.Entity)
		if k == nil {
			return crm.Ref{}, crm.Invalid(doc.Entity, crm.FieldID, "is not an opportunity, quote, order or invoice")
		}
		rec, err := st.Get(ctx, doc.Entity, doc.ID)
		if err != nil {
			return crm.Ref{}, err
		}
		var next crm.Ref
		if k.link != "" {
			next = rec.Fields.Ref(k.link)
		}
		// A quote's way up, and that of a document without its source
		// (an order generated from an opportunity), is its opportunity.
		if next.IsZero() {
			next = rec.Fields.Ref(DocumentOpportunity)
		}
		if next.IsZero() {
			return doc, nil
		}
		doc = next
	}
}

// readFrom reads the documents that came from root.
func (l *Lineage) readFrom(ctx context.Context, st *storage.Store, root crm.Ref) error {
	oldest := []crm.Order{crm.Asc(crm.FieldCreatedOn), crm.Asc(crm.FieldID)}
	quotes := storage.NewTable(st, QuoteCodec())
	orders := storage.NewTable(st, OrderCodec())
	invoices := storage.NewTable(st, InvoiceCodec())
	switch root.Entity {
	case OpportunityEntity:
		o, err := storage.NewTable(st, OpportunityCodec()).Get(ctx, root.ID)
		if err != nil {
			return err
		}
		l.Opportunity = &o
		if l.Quotes, err = collect(quotes.Iterate(ctx, crm.Query{Where: crm.Eq(DocumentOpportunity, root), OrderBy: oldest})); err != nil {
			return err
		}
	case QuoteEntity:
		// A quote of its own is the root with its revisions, which share
		// its number: an order converted from a later revision is part
		// of the same sale.
		q, err := quotes.Get(ctx, root.ID)
		if err != nil {
			return err
		}
		if l.Quotes, err = collect(quotes.Iterate(ctx, crm.Query{Where: crm.Eq(QuoteNumber, q.Number),
			OrderBy: []crm.Order{crm.Asc(QuoteRevision)}})); err != nil {
			return err
		}
	}
	// Orders: those of the quotes, and those linked to the root itself
	// (generated from the opportunity, or the root order).
	seen := map[crm.ID]bool{}
	add := func(os []Order) {
		for _, o := range os {
			if !seen[o.ID] {
				seen[o.ID] = true
				l.Orders = append(l.Orders, o)
			}
		}
	}
	for _, q := range l.Quotes {
		os, err := collect(orders.Iterate(ctx, crm.Query{Where: crm.Eq(OrderQuote, q.Ref()), OrderBy: oldest}))
		if err != nil {
			return err
		}
		add(os)
	}
	switch root.Entity {
	case OpportunityEntity:
		os, err := collect(orders.Iterate(ctx, crm.Query{Where: crm.Eq(DocumentOpportunity, root), OrderBy: oldest}))
		if err != nil {
			return err
		}
		add(os)
	case OrderEntity:
		o, err := orders.Get(ctx, root.ID)
		if err != nil {
			return err
		}
		add([]Order{o})
	case InvoiceEntity:
		i, err := invoices.Get(ctx, root.ID)
		if err != nil {
			return err
		}
		l.Invoices = []Invoice{i}
		return nil
	}
	seenInvoice := map[crm.ID]bool{}
	addInvoices := func(is []Invoice) {
		for _, i := range is {
			if !seenInvoice[i.ID] {
				seenInvoice[i.ID] = true
				l.Invoices = append(l.Invoices, i)
			}
		}
	}
	for _, o := range l.Orders {
		is, err := collect(invoices.Iterate(ctx, crm.Query{Where: crm.Eq(InvoiceOrder, o.Ref()), OrderBy: oldest}))
		if err != nil {
			return err
		}
		addInvoices(is)
	}
	if root.Entity == OpportunityEntity {
		is, err := collect(invoices.Iterate(ctx, crm.Query{Where: crm.Eq(DocumentOpportunity, root), OrderBy: oldest}))
		if err != nil {
			return err
		}
		addInvoices(is)
	}
	return nil
}

// notConverted refuses a quote that already has an order. The quote is
// locked by the caller, so no other conversion is between this read
// and the order's create.
func notConverted(ctx context.Context, st *storage.Store, quote crm.ID) error {
	page, err := st.Query(ctx, crm.Query{Entity: OrderEntity, Where: crm.Eq(OrderQuote, QuoteRef(quote)), Limit: 1})
	if err != nil {
		return err
	}
	if len(page.Records) > 0 {
		return fmt.Errorf("quote %s: %w into order %s", quote, ErrAlreadyConverted, page.Records[0].Fields.String(OrderNumber))
	}
	return nil
}

// orNew returns id, or a new ID when it is nil.
func orNew(id crm.ID) crm.ID {
	if id == crm.NilID {
		return crm.NewID()
	}
	return id
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
