package sales

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/crmkit/crmkit/crm"
)

// The rules of priced documents (opportunities, quotes, orders, invoices)
// and their lines that fields and lifecycles cannot express. They are
// part of the entities' metadata, so every store runs them on every
// write, whichever door it comes through; an import takes its values from
// the data and passes them all.

// documentPricingRules are the header rules every kind shares: the
// totals are the lines', and the price list, discounts and freight
// change only with a recalculation.
func documentPricingRules(k *docKind) []crm.Rule {
	return []crm.Rule{
		{
			Name:   "the totals are computed from the product lines",
			Fields: documentTotals,
			Check: func(_ context.Context, w crm.Write) error {
				if w.Import || inPricingOperation(w) {
					return nil
				}
				for _, f := range documentTotals {
					if writesField(w, f) {
						return crm.Invalid(k.header, f, "is computed from the product lines by the pricing operations")
					}
				}
				return nil
			},
		},
		{
			// A create may set them: it has no lines yet.
			Name:   "the price list, discounts and freight change with a recalculation",
			Fields: documentPricingInputs,
			Check: func(_ context.Context, w crm.Write) error {
				if w.Before == nil || w.Import || inPricingOperation(w) {
					return nil
				}
				for _, f := range documentPricingInputs {
					if writesField(w, f) {
						return crm.Invalid(k.header, f, "changes through SetPricing, which prices the lines again")
					}
				}
				return nil
			},
		},
	}
}

// documentRules returns the rules of a quote, order or invoice header.
func documentRules(k *docKind) []crm.Rule {
	rules := documentPricingRules(k)
	if k.priceLock {
		rules = append(rules, crm.Rule{
			Name:   "prices are locked and unlocked by their operations",
			Fields: []string{DocumentPriceLocked},
			Check: func(_ context.Context, w crm.Write) error {
				// A typed create carries ispricelocked false: a new document
				// is unlocked, only a locked one needs the operation.
				if w.Import || inPricingOperation(w) || (w.Before == nil && !w.Target.Fields.Bool(DocumentPriceLocked)) {
					return nil
				}
				return crm.Invalid(k.header, DocumentPriceLocked, "changes through LockPricing and UnlockPricing")
			},
		})
	}
	// The links a conversion makes are the conversion's: a won quote
	// becomes one order and an order one invoice, which a create naming
	// the source itself would get around.
	if k.link != "" {
		rules = append(rules, crm.Rule{
			Name:   "the link to the source document is made by the conversion",
			Fields: []string{k.link},
			Check: func(_ context.Context, w crm.Write) error {
				// Clearing it is what deleting the source does (the
				// lookup removes its link): the document stays.
				if w.Import || w.In(k.linkMessage) || w.Target.Fields[k.link] == nil {
					return nil
				}
				return crm.Invalid(k.header, k.link, "is set by converting the source document ("+k.linkMessage+")")
			},
		})
	}
	if k.closeDate != "" {
		rules = append(rules, crm.Rule{
			Name:   "the close date is set by the operation that closes",
			Fields: []string{k.closeDate},
			Check: func(_ context.Context, w crm.Write) error {
				if w.Import || slices.ContainsFunc(k.closeMessages, w.In) {
					return nil
				}
				return crm.Invalid(k.header, k.closeDate, "is set by "+strings.Join(k.closeMessages, " or "))
			},
		})
	}
	return rules
}

// lineRules returns the rules of the line entity of kind k.
func lineRules(k *docKind) []crm.Rule {
	return []crm.Rule{
		{
			// A line's amounts are computed with the whole document (the
			// header totals, and an opportunity's system-calculated
			// revenue, move with them), which a rule on one record cannot
			// do.
			//
			// The same goes for a delete, which would leave the totals
			// counting the line: RemoveLine removes one, and a line goes
			// with its document or its bundle line (a cascade).
			Name:    "lines are written by the pricing operations",
			Deletes: true,
			Check: func(_ context.Context, w crm.Write) error {
				if w.Import || w.Cascade || inPricingOperation(w) || unlinksSource(k, w) {
					return nil
				}
				if w.Delete {
					return crm.Invalid(k.line, k.parent,
						"a line is removed by the "+k.label+"'s RemoveLine, which prices the document again, or with its document")
				}
				return crm.Invalid(k.line, k.parent,
					"lines are added, changed and priced only by the "+k.label+"'s pricing operations (AddLine, UpdateLine, RemoveLine, Recalculate)")
			},
		},
		{
			Name:  "a line is a catalog product or a write-in",
			Check: func(_ context.Context, w crm.Write) error { return checkLineProduct(k, w) },
		},
		{
			Name:  "the lines of a document change only while it does",
			Check: func(ctx context.Context, w crm.Write) error { return checkLineDocumentOpen(ctx, k, w) },
		},
	}
}

// checkLineProduct: a catalog line names a product and no write-in name;
// a write-in names no product and has a name (sales.md §5.6).
func checkLineProduct(k *docKind, w crm.Write) error {
	f := w.Target.Fields
	product := !f.Ref(LineProduct).IsZero()
	if f.Bool(LineWriteIn) {
		switch {
		case product:
			return crm.Invalid(k.line, LineProduct, "a write-in line has no catalog product")
		case f.String(LineDescription) == "":
			return crm.Invalid(k.line, LineDescription, "a write-in line needs the product's name")
		}
		return nil
	}
	if !product {
		return crm.Invalid(k.line, LineProduct, "is required unless the line is a write-in (isproductoverridden)")
	}
	return nil
}

// checkLineDocumentOpen refuses a line written while its document is not
// in the state in which it changes (but for the link to the line it was
// copied from, which deleting that line clears) (a won opportunity, an Active quote, a
// fulfilled order, a paid invoice), and a new write-in line on a document
// whose prices are locked (write-ins are price-overridden, sales.md
// §5.5). The document is held (Records.Lock) until the write commits, so
// it cannot close in between. An import takes the data as it is.
func checkLineDocumentOpen(ctx context.Context, k *docKind, w crm.Write) error {
	if w.Import || unlinksSource(k, w) {
		return nil
	}
	ref := w.Target.Fields.Ref(k.parent)
	if ref.IsZero() {
		return nil // the required field reports it
	}
	doc, err := w.Records.Lock(ctx, k.header, ref.ID)
	if err != nil {
		return fmt.Errorf("%s of the line: %w", k.label, err)
	}
	// A conversion fills the document it creates; a revision, the Draft
	// it starts.
	if w.Before == nil && k.linkMessage != "" && w.In(k.linkMessage) {
		return nil
	}
	if err := k.open(doc, k.line, "update"); err != nil {
		return err
	}
	if w.Before == nil && k.priceLock && doc.Fields.Bool(DocumentPriceLocked) && w.Target.Fields.Bool(LineWriteIn) {
		return crm.Invalid(k.line, LineWriteIn, "a write-in product cannot be added while the "+k.label+"'s prices are locked: unlock them first")
	}
	return nil
}

// unlinksSource reports whether w only clears a line's link to the line
// it was copied from: what deleting that line does (the lookup removes
// its link), which leaves the line's amounts as they are.
func unlinksSource(k *docKind, w crm.Write) bool {
	if k.source == "" || w.Before == nil || w.Delete || w.Target.Fields[k.source] != nil || w.Before.Fields[k.source] == nil {
		return false
	}
	for f, v := range w.Target.Fields {
		if f != k.source && !crm.SameValue(w.Before.Fields[f], v) {
			return false
		}
	}
	return true
}
