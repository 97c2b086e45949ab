package sales

import (
	"fmt"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales/pricing"
)

// OpportunityLineEntity is the logical name of an opportunity's product
// line (Dynamics' opportunityproduct, sales.md §5.6).
const OpportunityLineEntity = "opportunityproduct"

// Logical field names of the opportunity product line.
const (
	OpportunityLineOpportunity = "opportunityid"
	OpportunityLineProduct     = LineProduct
	// OpportunityLineWriteIn is isproductoverridden: the line is a
	// write-in product, not in the catalog (set on create only).
	OpportunityLineWriteIn = LineWriteIn
	// OpportunityLineDescription is the write-in product's name.
	OpportunityLineDescription     = LineDescription
	OpportunityLineUnit            = LineUnit
	OpportunityLineQuantity        = LineQuantity
	OpportunityLinePricePerUnit    = LinePricePerUnit
	OpportunityLinePriceOverridden = LinePriceOverridden
	OpportunityLineVolumeDiscount  = LineVolumeDiscount
	OpportunityLineAmount          = LineAmount
	OpportunityLineManualDiscount  = LineManualDiscount
	OpportunityLineTax             = LineTax
	OpportunityLineExtendedAmount  = LineExtendedAmount
	OpportunityLineSequence        = LineSequence
	OpportunityLinePricingError    = LinePricingError
)

// Logical names of the pricing fields of the opportunity header (sales.md
// §2.1, §6.2): the price list and the header inputs a caller sets, and
// the totals the pricing operations compute.
const (
	OpportunityPriceList          = DocumentPriceList
	OpportunityDiscountPercentage = DocumentDiscountPercentage
	OpportunityDiscountAmount     = DocumentDiscountAmount
	OpportunityFreightAmount      = DocumentFreightAmount
	// The totals (pricing.Totals), written only by the pricing
	// operations (OpportunityLines) or an import.
	OpportunityTotalLineItemAmount    = DocumentTotalLineItemAmount
	OpportunityTotalLineItemDiscount  = DocumentTotalLineItemDiscount
	OpportunityTotalDiscountAmount    = DocumentTotalDiscountAmount
	OpportunityTotalAmountLessFreight = DocumentTotalAmountLessFreight
	OpportunityTotalTax               = DocumentTotalTax
	OpportunityTotalAmount            = DocumentTotalAmount
	OpportunityPricingError           = DocumentPricingError
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
	MessageCalculateOpportunityPrice = MessageCalculatePrice
)

// opportunityPricingFields returns the pricing fields of the opportunity:
// the price list, the header inputs and the computed totals (sales.md
// §2.1). OpportunityMetadata declares them.
func opportunityPricingFields() []crm.Field { return documentPricingFields() }

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
	return lineMetadata(opportunityKind, "Opportunity Product", "Opportunity")
}

// registerOpportunityLines registers the line entity; the catalog and
// opportunities must be registered first.
func registerOpportunityLines(reg *crm.Registry) error {
	if err := reg.Register(OpportunityLineMetadata()); err != nil {
		return fmt.Errorf("register opportunity product lines: %w", err)
	}
	return nil
}
