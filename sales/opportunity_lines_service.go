package sales

import (
	"context"
	"fmt"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales/pricing"
	"github.com/crmkit/crmkit/storage"
)

// The inputs of the pricing operations (storage.Execution.Inputs), for
// hooks registered on their messages. A PreValidation or PreOperation
// hook may change them.
const (
	// LineInputOpportunity is the crm.ID of the opportunity priced (all
	// four operations).
	LineInputOpportunity = "OpportunityId"
	// LineInputTarget is the line added or changed, a crm.Record
	// (AddOpportunityProduct, UpdateOpportunityProduct).
	LineInputTarget = "Target"
	// LineInputTargets are the lines an UpdateLines changes, a
	// []crm.Record, in place of LineInputTarget.
	LineInputTargets = "Targets"
	// LineInputLine and LineInputVersion are the crm.ID and the version
	// (an int64) of the line removed (RemoveOpportunityProduct).
	LineInputLine    = "OpportunityProductId"
	LineInputVersion = "Version"
	// LineInputPricing is the new header inputs of SetPricing, a
	// PricingHeader; absent for Recalculate.
	LineInputPricing = "Pricing"
)

// PricingOptions are the organization settings the pricing of lines reads
// (sales.md §9). The zero value is Dynamics' default for a new
// organization: line-item discounts, price list mandatory, system-
// calculated revenue from totalamount. The pricing precision is the
// registry's (crm.Registry.PricingPrecision).
type PricingOptions struct {
	// DiscountMethod is discountcalculationmethod: a line's manual
	// discount once (pricing.LineItemDiscount) or per unit.
	DiscountMethod pricing.DiscountMethod
	// PriceListOptional is the negation of ispricelistmandatory: catalog
	// products without a price list item are priced at 0.
	PriceListOptional bool
	// RevenueSource is the total a system-calculated estimated revenue
	// takes (sales.md §2.3: totalamount).
	RevenueSource pricing.RevenueSource
}

// OpportunityLines is the service of opportunity product lines: it adds,
// changes and removes lines and prices the whole opportunity with
// sales/pricing in the same named operation, one transaction, writing
// every line's computed amounts, the header totals and, when the revenue
// is system-calculated, the estimated revenue. It is safe for concurrent
// use: each operation locks the opportunity first, so two operations on
// one opportunity run one after the other.
type OpportunityLines struct {
	pricer *pricer
	codec  storage.Codec[OpportunityLine]
	lines  *storage.Table[OpportunityLine]
}

// NewOpportunityLines returns the line service over st, whose registry
// must hold the sales entities (Register), with the organization's
// pricing settings.
func NewOpportunityLines(st *storage.Store, opts PricingOptions) *OpportunityLines {
	return &OpportunityLines{pricer: newPricer(st, opportunityKind, opts), codec: OpportunityLineCodec(),
		lines: storage.NewTable(st, OpportunityLineCodec())}
}

// Table returns typed access to the lines, for reads: writes outside the
// operations of this service are refused (see the package doc).
func (s *OpportunityLines) Table() *storage.Table[OpportunityLine] { return s.lines }

// Lines returns the lines of an opportunity in their sequence.
func (s *OpportunityLines) Lines(ctx context.Context, opportunityID crm.ID) ([]OpportunityLine, error) {
	out, err := collect(s.lines.Iterate(ctx, opportunityKind.linesOf(opportunityID)))
	if err != nil {
		return nil, fmt.Errorf("lines of opportunity %s: %w", opportunityID, err)
	}
	return out, nil
}

// AddLine adds a line to the open opportunity l.Opportunity, as the named
// operation MessageAddOpportunityLine, and prices the opportunity: it
// returns the line and the opportunity as stored. A catalog line takes
// its product's default unit when l.Unit is empty, and its price from
// the opportunity's price list item for the product in that unit unless
// l.PriceOverridden; a write-in line (l.WriteIn) takes l.PricePerUnit.
// The line goes last (Sequence).
//
// Errors: a *pricing.Error (errors.Is with the pricing sentinels:
// pricing.ErrNoPriceListItem, ErrInvalidProduct, ErrCurrencyMismatch,
// ErrInvalidQuantity, ...) when the opportunity cannot be priced with the
// line, crm.ErrValidation, crm.ErrNotFound, crm.ErrInvalidTransition for
// a won or lost opportunity. A refused line changes nothing.
func (s *OpportunityLines) AddLine(ctx context.Context, l OpportunityLine) (OpportunityLine, Opportunity, error) {
	if l.ID == crm.NilID {
		l.ID = crm.NewID()
	}
	opp, lines, err := s.pricer.addLine(ctx, l.Document.ID, s.codec.Encode(l))
	if err != nil {
		return OpportunityLine{}, Opportunity{}, fmt.Errorf("add line to opportunity %s: %w", l.Document.ID, err)
	}
	return typedLines(opp, lines, l.ID, decodeOpportunity, s.codec.Decode)
}

// UpdateLine writes the inputs of l over the stored line (product, unit,
// quantity, price when overridden, manual discount, tax, sequence) as the
// named operation MessageUpdateOpportunityLine and prices the
// opportunity again. l.Version must be the version l was read at
// (crm.ErrConflict otherwise). Errors are AddLine's.
func (s *OpportunityLines) UpdateLine(ctx context.Context, l OpportunityLine) (OpportunityLine, Opportunity, error) {
	opp, lines, err := s.pricer.updateLines(ctx, []crm.Record{s.codec.Encode(l)})
	if err != nil {
		return OpportunityLine{}, Opportunity{}, fmt.Errorf("update line %s: %w", l.ID, err)
	}
	return typedLines(opp, lines, l.ID, decodeOpportunity, s.codec.Decode)
}

// UpdateLines writes the inputs of several lines of one opportunity, in
// the order given, as one MessageUpdateOpportunityLine operation (with
// the input LineInputTargets) that prices the opportunity once, as
// Documents.UpdateLines does.
func (s *OpportunityLines) UpdateLines(ctx context.Context, ls []OpportunityLine) ([]OpportunityLine, Opportunity, error) {
	return updateLines(ctx, s.pricer, s.codec, decodeOpportunity, ls)
}

// RemoveLine deletes a line of an open opportunity, as the named operation
// MessageRemoveOpportunityLine, and prices the opportunity again. version
// is the version the line was read at; storage.AnyVersion skips the
// check.
//
// The generic store's Delete of a line is refused (a rule): a line goes
// through RemoveLine, or with its opportunity.
func (s *OpportunityLines) RemoveLine(ctx context.Context, id crm.ID, version int64) (Opportunity, error) {
	opp, err := s.pricer.removeLine(ctx, id, version)
	if err != nil {
		return Opportunity{}, fmt.Errorf("remove line %s: %w", id, err)
	}
	return decodeOpportunity(opp)
}

// Recalculate prices an open opportunity's lines again from the catalog
// as it is now, as the named operation MessageCalculateOpportunityPrice
// (Dynamics' CalculatePrice): after a price list item changed, the
// revenue was made system-calculated, or a line was deleted through the
// generic store. It returns the opportunity as stored.
func (s *OpportunityLines) Recalculate(ctx context.Context, opportunityID crm.ID) (Opportunity, error) {
	opp, err := s.pricer.recalculate(ctx, opportunityID, storage.AnyVersion, nil)
	if err != nil {
		return Opportunity{}, fmt.Errorf("recalculate opportunity %s: %w", opportunityID, err)
	}
	return decodeOpportunity(opp)
}

// SetPricing changes an open opportunity's price list, discounts and
// freight and prices its lines again, as the named operation
// MessageCalculateOpportunityPrice with the input LineInputPricing.
// version is the version the opportunity was read at (crm.ErrConflict
// otherwise); storage.AnyVersion skips the check. A price list the lines
// cannot be priced from (a product it does not price, another currency)
// fails with the pricing error and changes nothing.
func (s *OpportunityLines) SetPricing(ctx context.Context, opportunityID crm.ID, version int64, h PricingHeader) (Opportunity, error) {
	opp, err := s.pricer.recalculate(ctx, opportunityID, version, &h)
	if err != nil {
		return Opportunity{}, fmt.Errorf("set pricing of opportunity %s: %w", opportunityID, err)
	}
	return decodeOpportunity(opp)
}

// typedLines decodes what a pricing operation returns: the header, and
// the line with ID id among lines.
func typedLines[H, L any](header crm.Record, lines []crm.Record, id crm.ID,
	decodeHeader func(crm.Record) (H, error), decodeLine func(crm.Record) (L, error)) (L, H, error) {
	var (
		l    L
		zero H
	)
	h, err := decodeHeader(header)
	if err != nil {
		return l, zero, err
	}
	for _, rec := range lines {
		if rec.ID == id {
			if l, err = decodeLine(rec); err != nil {
				return l, zero, err
			}
		}
	}
	return l, h, nil
}
