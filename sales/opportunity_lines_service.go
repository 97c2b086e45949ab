package sales

import (
	"context"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

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

// PricingHeader are the inputs of an opportunity's totals that its lines
// do not hold (sales.md §6.2); nil or zero values clear them.
type PricingHeader struct {
	PriceList          crm.Ref
	DiscountPercentage *decimal.Decimal // 0..100
	DiscountAmount     *crm.Money
	FreightAmount      *crm.Money
}

// OpportunityLines is the service of opportunity product lines: it adds,
// changes and removes lines and prices the whole opportunity with
// sales/pricing in the same named operation, one transaction, writing
// every line's computed amounts, the header totals and, when the revenue
// is system-calculated, the estimated revenue. It is safe for concurrent
// use: each operation locks the opportunity first, so two operations on
// one opportunity run one after the other.
type OpportunityLines struct {
	opts    PricingOptions
	st      *storage.Store
	lines   *storage.Table[OpportunityLine]
	opps    *storage.Table[Opportunity]
	catalog *Catalog
}

// NewOpportunityLines returns the line service over st, whose registry
// must hold the sales entities (Register), with the organization's
// pricing settings.
func NewOpportunityLines(st *storage.Store, opts PricingOptions) *OpportunityLines {
	return &OpportunityLines{opts: opts, st: st,
		lines:   storage.NewTable(st, OpportunityLineCodec()),
		opps:    storage.NewTable(st, OpportunityCodec()),
		catalog: NewCatalog(st, CatalogOptions{}),
	}
}

// Table returns typed access to the lines, for reads: writes outside the
// operations of this service are refused (see the package doc).
func (s *OpportunityLines) Table() *storage.Table[OpportunityLine] { return s.lines }

// Lines returns the lines of an opportunity in their sequence.
func (s *OpportunityLines) Lines(ctx context.Context, opportunityID crm.ID) ([]OpportunityLine, error) {
	out, err := collect(s.lines.Iterate(ctx, linesOf(opportunityID)))
	if err != nil {
		return nil, fmt.Errorf("lines of opportunity %s: %w", opportunityID, err)
	}
	return out, nil
}

func linesOf(opportunityID crm.ID) crm.Query {
	return crm.Query{Entity: OpportunityLineEntity, Where: crm.Eq(OpportunityLineOpportunity, OpportunityRef(opportunityID)),
		OrderBy: []crm.Order{crm.Asc(OpportunityLineSequence), crm.Asc(crm.FieldID)}}
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
	inputs := map[string]any{LineInputOpportunity: l.Opportunity.ID, LineInputTarget: encodeOpportunityLine(l)}
	var id crm.ID
	opp, lines, err := s.price(ctx, MessageAddOpportunityLine, inputs,
		func(_ context.Context, x *storage.Execution, lines []crm.Record) ([]crm.Record, error) {
			rec, err := opInput[crm.Record](x, LineInputTarget)
			if err != nil {
				return nil, err
			}
			rec = rec.Clone()
			rec.Entity, rec.Version, id = OpportunityLineEntity, 0, rec.ID
			var last int64
			for _, l := range lines {
				last = max(last, l.Fields.Int(OpportunityLineSequence))
			}
			rec.Fields[OpportunityLineSequence] = last + 1
			return append(lines, rec), nil
		})
	if err != nil {
		return OpportunityLine{}, Opportunity{}, fmt.Errorf("add line to opportunity %s: %w", l.Opportunity.ID, err)
	}
	return lineByID(lines, id), opp, nil
}

// UpdateLine writes the inputs of l over the stored line (product, unit,
// quantity, price when overridden, manual discount, tax, sequence) as the
// named operation MessageUpdateOpportunityLine and prices the
// opportunity again. l.Version must be the version l was read at
// (crm.ErrConflict otherwise). Errors are AddLine's.
func (s *OpportunityLines) UpdateLine(ctx context.Context, l OpportunityLine) (OpportunityLine, Opportunity, error) {
	stored, err := s.lines.Get(ctx, l.ID)
	if err != nil {
		return OpportunityLine{}, Opportunity{}, fmt.Errorf("update line %s: %w", l.ID, err)
	}
	if l.Version == storage.AnyVersion {
		return OpportunityLine{}, Opportunity{}, fmt.Errorf("update line %s: %w", l.ID,
			crm.Invalid(OpportunityLineEntity, crm.FieldVersion, "is required: name the version the line was read at"))
	}
	inputs := map[string]any{LineInputOpportunity: stored.Opportunity.ID, LineInputTarget: encodeOpportunityLine(l)}
	opp, lines, err := s.price(ctx, MessageUpdateOpportunityLine, inputs,
		func(_ context.Context, x *storage.Execution, lines []crm.Record) ([]crm.Record, error) {
			rec, err := opInput[crm.Record](x, LineInputTarget)
			if err != nil {
				return nil, err
			}
			for i := range lines {
				if lines[i].ID == rec.ID {
					rec = rec.Clone()
					rec.Entity = OpportunityLineEntity
					lines[i] = rec
					return lines, nil
				}
			}
			return nil, fmt.Errorf("line %s of opportunity %s: %w", rec.ID, stored.Opportunity.ID, crm.ErrNotFound)
		})
	if err != nil {
		return OpportunityLine{}, Opportunity{}, fmt.Errorf("update line %s: %w", l.ID, err)
	}
	return lineByID(lines, l.ID), opp, nil
}

// RemoveLine deletes a line of an open opportunity, as the named operation
// MessageRemoveOpportunityLine, and prices the opportunity again. version
// is the version the line was read at; storage.AnyVersion skips the
// check.
//
// The kernel runs no rule on a delete: a line deleted through the
// store's generic Delete leaves the totals as they were until
// Recalculate, and is not refused on a closed opportunity.
func (s *OpportunityLines) RemoveLine(ctx context.Context, id crm.ID, version int64) (Opportunity, error) {
	stored, err := s.lines.Get(ctx, id)
	if err != nil {
		return Opportunity{}, fmt.Errorf("remove line %s: %w", id, err)
	}
	inputs := map[string]any{LineInputOpportunity: stored.Opportunity.ID, LineInputLine: id, LineInputVersion: version}
	opp, _, err := s.price(ctx, MessageRemoveOpportunityLine, inputs,
		func(ctx context.Context, x *storage.Execution, lines []crm.Record) ([]crm.Record, error) {
			id, err := opInput[crm.ID](x, LineInputLine)
			if err != nil {
				return nil, err
			}
			version, err := opInput[int64](x, LineInputVersion)
			if err != nil {
				return nil, err
			}
			for i := range lines {
				if lines[i].ID == id {
					if err := s.st.Delete(ctx, crm.Ref{Entity: OpportunityLineEntity, ID: id}, version); err != nil {
						return nil, err
					}
					return append(lines[:i], lines[i+1:]...), nil
				}
			}
			return nil, fmt.Errorf("line %s of opportunity %s: %w", id, stored.Opportunity.ID, crm.ErrNotFound)
		})
	if err != nil {
		return Opportunity{}, fmt.Errorf("remove line %s: %w", id, err)
	}
	return opp, nil
}

// Recalculate prices an open opportunity's lines again from the catalog
// as it is now, as the named operation MessageCalculateOpportunityPrice
// (Dynamics' CalculatePrice): after a price list item changed, the
// revenue was made system-calculated, or a line was deleted through the
// generic store. It returns the opportunity as stored.
func (s *OpportunityLines) Recalculate(ctx context.Context, opportunityID crm.ID) (Opportunity, error) {
	opp, _, err := s.price(ctx, MessageCalculateOpportunityPrice, map[string]any{LineInputOpportunity: opportunityID}, nil)
	if err != nil {
		return Opportunity{}, fmt.Errorf("recalculate opportunity %s: %w", opportunityID, err)
	}
	return opp, nil
}

// SetPricing changes an open opportunity's price list, discounts and
// freight and prices its lines again, as the named operation
// MessageCalculateOpportunityPrice with the input LineInputPricing.
// version is the version the opportunity was read at (crm.ErrConflict
// otherwise); storage.AnyVersion skips the check. A price list the lines
// cannot be priced from (a product it does not price, another currency)
// fails with the pricing error and changes nothing.
func (s *OpportunityLines) SetPricing(ctx context.Context, opportunityID crm.ID, version int64, h PricingHeader) (Opportunity, error) {
	inputs := map[string]any{LineInputOpportunity: opportunityID, LineInputPricing: h, LineInputVersion: version}
	opp, _, err := s.price(ctx, MessageCalculateOpportunityPrice, inputs, nil)
	if err != nil {
		return Opportunity{}, fmt.Errorf("set pricing of opportunity %s: %w", opportunityID, err)
	}
	return opp, nil
}

func lineByID(lines []OpportunityLine, id crm.ID) OpportunityLine {
	for _, l := range lines {
		if l.ID == id {
			return l
		}
	}
	return OpportunityLine{}
}

// editLines changes the opportunity's lines, as records, before they are
// priced: it returns them as they will be, new lines included.
type editLines func(ctx context.Context, x *storage.Execution, lines []crm.Record) ([]crm.Record, error)

// price runs message: it locks the opportunity, reads its lines, lets
// edit change them, prices the document and writes every line whose
// fields change, then the header.
func (s *OpportunityLines) price(ctx context.Context, message string, inputs map[string]any, edit editLines) (Opportunity, []OpportunityLine, error) {
	var (
		opp   Opportunity
		lines []OpportunityLine
	)
	err := s.st.Execute(ctx, message, inputs, func(ctx context.Context, x *storage.Execution) error {
		id, err := opInput[crm.ID](x, LineInputOpportunity)
		if err != nil {
			return err
		}
		oppRec, err := s.st.Lock(ctx, OpportunityEntity, id)
		if err != nil {
			return err
		}
		if st := OpportunityState(oppRec.State); st != OpportunityStateOpen {
			return &crm.TransitionError{Entity: OpportunityEntity, State: st.String(), Event: message}
		}
		header := crm.Fields{}
		if h, ok := x.Inputs[LineInputPricing].(PricingHeader); ok {
			header = crm.Fields{
				OpportunityPriceList:          unlessZero(h.PriceList),
				OpportunityDiscountPercentage: optional(h.DiscountPercentage),
				OpportunityDiscountAmount:     optional(h.DiscountAmount),
				OpportunityFreightAmount:      optional(h.FreightAmount),
			}
			for f, v := range header {
				oppRec.Fields[f] = v
			}
		}
		stored, err := collect(s.st.Iterate(ctx, linesOf(id)))
		if err != nil {
			return err
		}
		recs := make([]crm.Record, len(stored))
		for i := range stored {
			recs[i] = stored[i].Clone()
		}
		if edit != nil {
			if recs, err = edit(ctx, x, recs); err != nil {
				return err
			}
		}
		if err := s.calculate(ctx, oppRec.Fields, recs, header); err != nil {
			return err
		}
		if err := s.writeLines(ctx, stored, recs); err != nil {
			return err
		}
		version := storage.AnyVersion
		if v, ok := x.Inputs[LineInputVersion].(int64); ok && message == MessageCalculateOpportunityPrice {
			version = v
		}
		out, err := s.st.Update(ctx, crm.Record{Entity: OpportunityEntity, Header: crm.Header{ID: id, Version: version}, Fields: header})
		if err != nil {
			return err
		}
		if opp, err = decodeOpportunity(out); err != nil {
			return err
		}
		lines, err = collect(s.lines.Iterate(ctx, linesOf(id)))
		return err
	})
	return opp, lines, err
}

// writeLines creates the new lines and writes the fields that change of
// the others, each at the version it was read at: only these
// operations write lines, and they hold the opportunity, so no other
// writer changed them since (but a caller's UpdateLine names its own).
func (s *OpportunityLines) writeLines(ctx context.Context, stored, recs []crm.Record) error {
	before := make(map[crm.ID]*crm.Record, len(stored))
	for i := range stored {
		before[stored[i].ID] = &stored[i]
	}
	for _, rec := range recs {
		old := before[rec.ID]
		if old == nil {
			if _, err := s.st.Create(ctx, rec); err != nil {
				return err
			}
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
		if _, err := s.st.Update(ctx, crm.Record{Entity: OpportunityLineEntity, Header: crm.Header{ID: rec.ID, Version: rec.Version}, Fields: changes}); err != nil {
			return err
		}
	}
	return nil
}

// calculate prices the document of opp's fields and recs, writing the
// lines' computed fields into recs and the header's into header.
func (s *OpportunityLines) calculate(ctx context.Context, opp crm.Fields, recs []crm.Record, header crm.Fields) error {
	doc := pricing.Document{DiscountPercentage: opp.Decimal(OpportunityDiscountPercentage),
		DiscountAmount: optionalField[crm.Money](opp, OpportunityDiscountAmount),
		Freight:        optionalField[crm.Money](opp, OpportunityFreightAmount)}
	if ref := opp.Ref(OpportunityPriceList); !ref.IsZero() {
		pl, err := s.catalog.PriceLists().Get(ctx, ref.ID)
		if err != nil {
			return fmt.Errorf("price list: %w", err)
		}
		doc.PriceList = &pricing.PriceList{Currency: pl.Currency, Inactive: pl.PriceListState() != PriceListStateActive,
			Begin: pl.BeginDate, End: pl.EndDate}
	}
	r := lineReader{s: s, discounts: map[crm.ID]*pricing.DiscountList{}}
	doc.Lines = make([]pricing.Line, len(recs))
	for i := range recs {
		l, err := r.line(ctx, opp.Ref(OpportunityPriceList), &recs[i])
		if err != nil {
			return fmt.Errorf("line %d: %w", i+1, err)
		}
		doc.Lines[i] = l
	}
	c, err := documentCurrency(opp, doc.PriceList, recs)
	if err != nil || c == "" {
		return err // no amount says the currency: nothing to price
	}
	doc.Currency = c
	settings := pricing.Settings{PricingPrecision: s.st.Registry().PricingPrecision(),
		DiscountMethod: s.opts.DiscountMethod, PriceListOptional: s.opts.PriceListOptional}
	res, err := settings.Calculate(doc)
	if err != nil {
		return err
	}
	none := int32(pricing.CodeNone)
	for i, lr := range res.Lines {
		f := recs[i].Fields
		f[OpportunityLinePricePerUnit] = lr.PricePerUnit
		f[OpportunityLineVolumeDiscount] = lr.VolumeDiscount
		f[OpportunityLineAmount] = lr.Amount
		f[OpportunityLineExtendedAmount] = lr.ExtendedAmount
		f[OpportunityLinePricingError] = none
	}
	t := res.Totals
	header[OpportunityTotalLineItemAmount] = t.DetailAmount
	header[OpportunityTotalLineItemDiscount] = t.LineItemDiscount
	header[OpportunityTotalDiscountAmount] = t.TotalDiscount
	header[OpportunityTotalAmountLessFreight] = t.PreFreightAmount
	header[OpportunityTotalTax] = t.TotalTax
	header[OpportunityTotalAmount] = t.TotalAmount
	header[OpportunityPricingError] = none
	if opp.Bool(OpportunityRevenueSystem) {
		rev, err := t.Revenue(s.opts.RevenueSource)
		if err != nil {
			return err
		}
		header[OpportunityEstimatedValue] = rev
	}
	return nil
}

// documentCurrency returns the opportunity's currency: that of the
// amounts a caller set on it (a user-provided estimated revenue, the
// budget, the header discount and freight), else its price list's, else
// that of its write-in lines' prices; "" when nothing names one. Two
// amounts of the opportunity in different currencies are
// pricing.ErrCurrencyMismatch; the engine checks the price list and the
// lines against the result.
func documentCurrency(opp crm.Fields, pl *pricing.PriceList, recs []crm.Record) (crm.Currency, error) {
	fields := []string{OpportunityBudgetAmount, OpportunityDiscountAmount, OpportunityFreightAmount}
	if !opp.Bool(OpportunityRevenueSystem) {
		fields = append(fields, OpportunityEstimatedValue)
	}
	var c crm.Currency
	for _, f := range fields {
		m, ok := opp.Money(f)
		switch {
		case !ok:
		case c == "":
			c = m.Currency
		case m.Currency != c:
			return "", &pricing.Error{Code: pricing.ErrCurrencyMismatch, Err: crm.ErrCurrencyMismatch,
				Reason: fmt.Sprintf("the opportunity's %s is in %s, its other amounts in %s", f, m.Currency, c)}
		}
	}
	if c == "" && pl != nil {
		c = pl.Currency
	}
	for i := 0; c == "" && i < len(recs); i++ {
		if m, ok := recs[i].Fields.Money(OpportunityLinePricePerUnit); ok {
			c = m.Currency
		}
	}
	return c, nil
}

// lineReader reads what pricing needs of the catalog for each line,
// reading each discount list once.
type lineReader struct {
	s         *OpportunityLines
	discounts map[crm.ID]*pricing.DiscountList
}

// line returns the pricing line of rec, and gives a catalog line with no
// unit its product's default unit.
func (r *lineReader) line(ctx context.Context, priceList crm.Ref, rec *crm.Record) (pricing.Line, error) {
	l, err := decodeOpportunityLine(*rec)
	if err != nil {
		return pricing.Line{}, err
	}
	out := pricing.Line{Kind: pricing.ProductLine, WriteIn: l.WriteIn, PriceOverridden: l.PriceOverridden || l.WriteIn,
		Quantity: l.Quantity, ManualDiscount: l.ManualDiscount, Tax: l.Tax, Unit: l.Unit.ID}
	if out.PriceOverridden {
		out.PricePerUnit = l.PricePerUnit
	}
	if l.WriteIn || l.Product.IsZero() {
		return out, nil // checkLineProduct or the engine refuses a line with neither
	}
	p, err := r.s.catalog.Products().Get(ctx, l.Product.ID)
	if err != nil {
		return pricing.Line{}, fmt.Errorf("product: %w", err)
	}
	out.Product = &pricing.Product{State: pricing.ProductState(p.State), ListPrice: p.ListPrice,
		CurrentCost: p.CurrentCost, StandardCost: p.StandardCost, QuantityDecimals: int32(p.QuantityDecimal)}
	if l.Unit.IsZero() && !p.DefaultUnit.IsZero() {
		rec.Fields[OpportunityLineUnit] = UnitRef(p.DefaultUnit.ID)
		out.Unit = p.DefaultUnit.ID
	}
	if priceList.IsZero() || out.Unit == crm.NilID {
		return out, nil
	}
	item, err := r.s.catalog.PriceListItem(ctx, priceList.ID, p.ID, out.Unit)
	switch {
	case errors.Is(err, crm.ErrNotFound):
		return out, nil // the engine says what that means: error 11, or 0 when optional
	case err != nil:
		return pricing.Line{}, err
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

func (r *lineReader) discountList(ctx context.Context, id crm.ID) (*pricing.DiscountList, error) {
	if d, ok := r.discounts[id]; ok {
		return d, nil
	}
	list, err := r.s.catalog.DiscountLists().Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("discount list: %w", err)
	}
	ranges, err := r.s.catalog.DiscountsOf(ctx, id)
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
