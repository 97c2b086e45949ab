package sales

import (
	"context"
	"fmt"
	"slices"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales/pricing"
)

// OpportunityLineEntity is the logical name of an opportunity's product
// line (Dynamics' opportunityproduct, sales.md §5.6).
const OpportunityLineEntity = "opportunityproduct"

// Logical field names of the opportunity product line.
const (
	OpportunityLineOpportunity = "opportunityid"
	OpportunityLineProduct     = "productid"
	// OpportunityLineWriteIn is isproductoverridden: the line is a
	// write-in product, not in the catalog (set on create only).
	OpportunityLineWriteIn = "isproductoverridden"
	// OpportunityLineDescription is the write-in product's name.
	OpportunityLineDescription     = "productdescription"
	OpportunityLineUnit            = "uomid"
	OpportunityLineQuantity        = "quantity"
	OpportunityLinePricePerUnit    = "priceperunit"
	OpportunityLinePriceOverridden = "ispriceoverridden"
	OpportunityLineVolumeDiscount  = "volumediscountamount"
	OpportunityLineAmount          = "baseamount"
	OpportunityLineManualDiscount  = "manualdiscountamount"
	OpportunityLineTax             = "tax"
	OpportunityLineExtendedAmount  = "extendedamount"
	OpportunityLineSequence        = "sequencenumber"
	OpportunityLinePricingError    = "pricingerrorcode"
)

// Logical names of the pricing fields of the opportunity header (sales.md
// §2.1, §6.2): the price list and the header inputs a caller sets, and
// the totals the pricing operations compute.
const (
	OpportunityPriceList          = "pricelevelid"
	OpportunityDiscountPercentage = "discountpercentage"
	OpportunityDiscountAmount     = "discountamount"
	OpportunityFreightAmount      = "freightamount"
	// The totals (pricing.Totals), written only by the pricing
	// operations (OpportunityLines) or an import.
	OpportunityTotalLineItemAmount    = "totallineitemamount"
	OpportunityTotalLineItemDiscount  = "totallineitemdiscountamount"
	OpportunityTotalDiscountAmount    = "totaldiscountamount"
	OpportunityTotalAmountLessFreight = "totalamountlessfreight"
	OpportunityTotalTax               = "totaltax"
	OpportunityTotalAmount            = "totalamount"
	OpportunityPricingError           = "pricingerrorcode"
)

// The named operations that price an opportunity's lines
// (storage.Store.Execute), each one transaction. Their inputs are the
// LineInput constants.
const (
	// MessageAddOpportunityLine adds a line (OpportunityLines.AddLine).
	MessageAddOpportunityLine = "AddOpportunityProduct"
	// MessageUpdateOpportunityLine changes a line (UpdateLine).
	MessageUpdateOpportunityLine = "UpdateOpportunityProduct"
	// MessageRemoveOpportunityLine removes a line (RemoveLine).
	MessageRemoveOpportunityLine = "RemoveOpportunityProduct"
	// MessageCalculateOpportunityPrice prices the lines again and, with
	// header inputs, changes them first (Recalculate, SetPricing):
	// Dynamics' CalculatePrice.
	MessageCalculateOpportunityPrice = "CalculatePrice"
)

// pricingMessages are the operations that write lines and totals.
var pricingMessages = []string{MessageAddOpportunityLine, MessageUpdateOpportunityLine,
	MessageRemoveOpportunityLine, MessageCalculateOpportunityPrice}

// inPricingOperation reports whether w is part of one of pricingMessages.
func inPricingOperation(w crm.Write) bool {
	return slices.ContainsFunc(pricingMessages, w.In)
}

// opportunityPricingFields returns the pricing fields of the opportunity:
// the price list, the header inputs and the computed totals (sales.md
// §2.1). OpportunityMetadata declares them.
func opportunityPricingFields() []crm.Field {
	amount := func(name, label string, min int64) crm.Field {
		return crm.Field{Name: name, Label: label, Type: crm.TypeMoney,
			Min: decimalPtr(min), Max: decimalPtr(1_000_000_000_000)}
	}
	return []crm.Field{
		// A price list in use by an opportunity cannot be deleted: its
		// lines are priced from it.
		{Name: OpportunityPriceList, Label: "Price List", Type: crm.TypeLookup, Targets: []string{PriceListEntity},
			OnDelete: crm.DeleteRestrict},
		{Name: OpportunityDiscountPercentage, Label: "Opportunity Discount (%)", Type: crm.TypeDecimal, Precision: 2,
			Min: decimalPtr(0), Max: decimalPtr(100)},
		amount(OpportunityDiscountAmount, "Opportunity Discount Amount", 0),
		amount(OpportunityFreightAmount, "Freight Amount", 0),
		amount(OpportunityTotalLineItemAmount, "Total Detail Amount", -1_000_000_000_000),
		amount(OpportunityTotalLineItemDiscount, "Total Line Item Discount Amount", -1_000_000_000_000),
		amount(OpportunityTotalDiscountAmount, "Total Discount Amount", -1_000_000_000_000),
		amount(OpportunityTotalAmountLessFreight, "Total Pre-Freight Amount", -1_000_000_000_000),
		amount(OpportunityTotalTax, "Total Tax", -1_000_000_000_000),
		amount(OpportunityTotalAmount, "Total Amount", -1_000_000_000_000),
		{Name: OpportunityPricingError, Label: "Pricing Error", Type: crm.TypeChoice, Options: pricingErrorOptions()},
	}
}

// opportunityTotals names the header fields the pricing operations
// compute.
var opportunityTotals = []string{OpportunityTotalLineItemAmount, OpportunityTotalLineItemDiscount,
	OpportunityTotalDiscountAmount, OpportunityTotalAmountLessFreight, OpportunityTotalTax, OpportunityTotalAmount,
	OpportunityPricingError}

// opportunityPricingInputs names the header fields the totals are
// computed from.
var opportunityPricingInputs = []string{OpportunityPriceList, OpportunityDiscountPercentage,
	OpportunityDiscountAmount, OpportunityFreightAmount}

// pricingErrorOptions are Dynamics' pricing error codes, 0 None to 38.
func pricingErrorOptions() []crm.Option {
	out := make([]crm.Option, 0, int(pricing.CodeMissingItemCurrency)+1)
	for c := pricing.CodeNone; c <= pricing.CodeMissingItemCurrency; c++ {
		out = append(out, crm.Option{Value: int32(c), Label: c.String()})
	}
	return out
}

// OpportunityLineMetadata returns the opportunity product line entity
// (opportunityproduct, sales.md §5.6): deleting the opportunity deletes
// its lines; a product or unit a line uses cannot be deleted. Lines are
// written only by the pricing operations (OpportunityLines) or an
// import; see the package doc's "Opportunity product lines". Each call
// returns a new value.
func OpportunityLineMetadata() *crm.Entity {
	amount := func(name, label string) crm.Field {
		return crm.Field{Name: name, Label: label, Type: crm.TypeMoney,
			Min: decimalPtr(-1_000_000_000_000), Max: decimalPtr(1_000_000_000_000)}
	}
	return &crm.Entity{
		Name: OpportunityLineEntity, Label: "Opportunity Product",
		Fields: []crm.Field{
			{Name: OpportunityLineOpportunity, Label: "Opportunity", Type: crm.TypeLookup, Targets: []string{OpportunityEntity},
				Required: true, Immutable: true, OnDelete: crm.DeleteCascade},
			{Name: OpportunityLineProduct, Label: "Existing Product", Type: crm.TypeLookup, Targets: []string{ProductEntity},
				OnDelete: crm.DeleteRestrict},
			{Name: OpportunityLineWriteIn, Label: "Select Product", Type: crm.TypeBool, Immutable: true},
			{Name: OpportunityLineDescription, Label: "Write-In Product", Type: crm.TypeText, MaxLength: 500},
			{Name: OpportunityLineUnit, Label: "Unit", Type: crm.TypeLookup, Targets: []string{UnitEntity},
				OnDelete: crm.DeleteRestrict},
			// Dynamics: 5 decimals, ±1e11; the pricing engine refuses a
			// negative quantity with its own error code.
			{Name: OpportunityLineQuantity, Label: "Quantity", Type: crm.TypeDecimal, Precision: pricing.MaxQuantityPlaces,
				Min: decimalPtr(-100_000_000_000), Max: decimalPtr(100_000_000_000)},
			{Name: OpportunityLinePricePerUnit, Label: "Price Per Unit", Type: crm.TypeMoney, MoneyPrecision: crm.PrecisionPricing,
				Min: decimalPtr(-1_000_000_000_000), Max: decimalPtr(1_000_000_000_000)},
			{Name: OpportunityLinePriceOverridden, Label: "Pricing", Type: crm.TypeBool},
			amount(OpportunityLineVolumeDiscount, "Volume Discount"),
			amount(OpportunityLineAmount, "Amount"),
			amount(OpportunityLineManualDiscount, "Manual Discount"),
			amount(OpportunityLineTax, "Tax"),
			amount(OpportunityLineExtendedAmount, "Extended Amount"),
			{Name: OpportunityLineSequence, Label: "Sequence Number", Type: crm.TypeInteger, Min: decimalPtr(0)},
			{Name: OpportunityLinePricingError, Label: "Pricing Error", Type: crm.TypeChoice, Options: pricingErrorOptions()},
		},
		Rules: opportunityLineRules(),
	}
}

// registerOpportunityLines registers the line entity; the catalog and
// opportunities must be registered first.
func registerOpportunityLines(reg *crm.Registry) error {
	if err := reg.Register(OpportunityLineMetadata()); err != nil {
		return fmt.Errorf("register opportunity product lines: %w", err)
	}
	return nil
}

// opportunityLineRules returns the line's rules; the opportunity's
// pricing rules are in opportunityRules.
func opportunityLineRules() []crm.Rule {
	return []crm.Rule{
		{
			Name:  "lines are written by the pricing operations",
			Check: checkLineOperation,
		},
		{
			Name:  "a line is a catalog product or a write-in",
			Check: checkLineProduct,
		},
		{
			Name:  "the lines of a won or lost opportunity are read-only",
			Check: checkLineOpportunityOpen,
		},
	}
}

// checkLineOperation keeps line writes inside the pricing operations: a
// line's amounts are computed with the whole document (the header
// totals and the system-calculated revenue move with them), which a rule
// on one record cannot do.
func checkLineOperation(_ context.Context, w crm.Write) error {
	if w.Import || inPricingOperation(w) {
		return nil
	}
	return crm.Invalid(OpportunityLineEntity, OpportunityLineOpportunity,
		"lines are added, changed and priced only by OpportunityLines (AddLine, UpdateLine, RemoveLine, Recalculate)")
}

// checkLineProduct: a catalog line names a product and no write-in name;
// a write-in names no product and has a name (sales.md §5.6).
func checkLineProduct(_ context.Context, w crm.Write) error {
	f := w.Target.Fields
	product := !f.Ref(OpportunityLineProduct).IsZero()
	if f.Bool(OpportunityLineWriteIn) {
		switch {
		case product:
			return crm.Invalid(OpportunityLineEntity, OpportunityLineProduct, "a write-in line has no catalog product")
		case f.String(OpportunityLineDescription) == "":
			return crm.Invalid(OpportunityLineEntity, OpportunityLineDescription, "a write-in line needs the product's name")
		}
		return nil
	}
	if !product {
		return crm.Invalid(OpportunityLineEntity, OpportunityLineProduct, "is required unless the line is a write-in (isproductoverridden)")
	}
	return nil
}

// checkLineOpportunityOpen refuses a line written while its opportunity
// is won or lost, as the opportunity itself is read-only then. The
// opportunity is held (Records.Lock) until the write commits, so it
// cannot close in between. An import takes the data as it is.
func checkLineOpportunityOpen(ctx context.Context, w crm.Write) error {
	if w.Import {
		return nil
	}
	ref := w.Target.Fields.Ref(OpportunityLineOpportunity)
	if ref.IsZero() {
		return nil // the required field reports it
	}
	opp, err := w.Records.Lock(ctx, OpportunityEntity, ref.ID)
	if err != nil {
		return fmt.Errorf("opportunity of the line: %w", err)
	}
	if s := OpportunityState(opp.State); s != OpportunityStateOpen {
		return &crm.TransitionError{Entity: OpportunityLineEntity, State: s.String(), Event: "update"}
	}
	return nil
}

// checkOpportunityTotals keeps the totals and the pricing error code for
// the pricing operations (or an import): they are what the lines add
// up to.
func checkOpportunityTotals(_ context.Context, w crm.Write) error {
	if w.Import || inPricingOperation(w) {
		return nil
	}
	for _, f := range opportunityTotals {
		if writesField(w, f) {
			return crm.Invalid(OpportunityEntity, f, "is computed from the product lines by OpportunityLines")
		}
	}
	return nil
}

// checkOpportunityPricingInputs lets the price list and the header
// discounts and freight change on an existing opportunity only inside
// the pricing operations (OpportunityLines.SetPricing), which price the
// lines again in the same transaction, so the totals never lag behind
// their inputs. A create may set them: it has no lines yet.
func checkOpportunityPricingInputs(_ context.Context, w crm.Write) error {
	if w.Before == nil || w.Import || inPricingOperation(w) {
		return nil
	}
	for _, f := range opportunityPricingInputs {
		if writesField(w, f) {
			return crm.Invalid(OpportunityEntity, f, "changes through OpportunityLines.SetPricing, which prices the lines again")
		}
	}
	return nil
}
