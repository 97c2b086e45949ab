package sales

import (
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales/pricing"
	"github.com/crmkit/crmkit/storage"
)

// OpportunityLine is a product line of an opportunity (Dynamics'
// opportunityproduct): a Line whose Document is the opportunity, with
// the fields of every document's lines (Source is never set). Lines are
// added, changed and removed through OpportunityLines, which prices the
// whole opportunity in the same transaction.
type OpportunityLine = Line

// OpportunityLineCodec converts between OpportunityLine and
// opportunityproduct records.
func OpportunityLineCodec() storage.Codec[OpportunityLine] { return lineCodec(opportunityKind) }

// pricingCode decodes a pricing error code field: null is nil.
func pricingCode(f crm.Fields, name string) *pricing.Code {
	v, ok := f.Choice(name)
	if !ok {
		return nil
	}
	c := pricing.Code(v)
	return &c
}

// lineKind decodes a line's producttypecode.
func lineKind(f crm.Fields) pricing.LineKind {
	v, _ := f.Choice(LineKind)
	return pricing.LineKind(v)
}
