package sales

import (
	"sync"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales/pricing"
	"github.com/crmkit/crmkit/storage"
)

// OpportunityLine is a product line of an opportunity (Dynamics'
// opportunityproduct): a catalog product in a unit, or a write-in
// product, with its quantity and the amounts pricing computes. Lines are
// added, changed and removed through OpportunityLines, which prices the
// whole opportunity in the same transaction.
type OpportunityLine struct {
	crm.Header
	Opportunity crm.Ref // required, set on create only
	// Product is the catalog product; WriteIn lines (isproductoverridden,
	// set on create only) have none and name the product in
	// Description instead.
	Product     crm.Ref
	WriteIn     bool
	Description string // the write-in product's name, at most 500 characters
	// Unit is the unit the product is sold in; AddLine takes the
	// product's default unit when it is empty.
	Unit     crm.Ref
	Quantity decimal.Decimal // at most 5 decimals, not negative
	// PricePerUnit is the price list's price, computed, unless
	// PriceOverridden (always for a write-in): then it is the caller's.
	PricePerUnit    *crm.Money
	PriceOverridden bool
	ManualDiscount  *crm.Money // not negative
	Tax             *crm.Money // the caller's: never computed
	// Computed by the pricing operations (pricing.LineResult).
	VolumeDiscount *crm.Money // per unit
	Amount         *crm.Money // baseamount: (price − volume discount) × quantity
	ExtendedAmount *crm.Money // amount − manual discount + tax
	// Sequence orders the lines of an opportunity, from 1; AddLine sets
	// it.
	Sequence int64
	// Kind is what the line is, set by AddLine from the product: a
	// product, a bundle, or an item of the bundle line ParentBundle
	// (added with its bundle).
	Kind         pricing.LineKind
	ParentBundle crm.Ref
	PricingError *pricing.Code // None once priced

	// Kept by the write path when the registry has a base currency.
	ExchangeRate       *decimal.Decimal
	ExtendedAmountBase *crm.Money

	Extra crm.Fields
}

// OpportunityLineCodec converts between OpportunityLine and
// opportunityproduct records.
func OpportunityLineCodec() storage.Codec[OpportunityLine] {
	return storage.Codec[OpportunityLine]{Entity: OpportunityLineEntity, Encode: encodeOpportunityLine, Decode: decodeOpportunityLine}
}

var opportunityLineReadOnly = append([]string{crm.FieldExchangeRate},
	baseFields(OpportunityLinePricePerUnit, OpportunityLineVolumeDiscount, OpportunityLineAmount,
		OpportunityLineManualDiscount, OpportunityLineTax, OpportunityLineExtendedAmount)...)

func opportunityLineFields(l OpportunityLine) crm.Fields {
	return crm.Fields{
		OpportunityLineOpportunity:     unlessZero(l.Opportunity),
		OpportunityLineProduct:         unlessZero(l.Product),
		OpportunityLineWriteIn:         l.WriteIn,
		OpportunityLineDescription:     text(l.Description),
		OpportunityLineUnit:            unlessZero(l.Unit),
		OpportunityLineQuantity:        l.Quantity,
		OpportunityLinePricePerUnit:    optional(l.PricePerUnit),
		OpportunityLinePriceOverridden: l.PriceOverridden,
		OpportunityLineManualDiscount:  optional(l.ManualDiscount),
		OpportunityLineTax:             optional(l.Tax),
		OpportunityLineVolumeDiscount:  optional(l.VolumeDiscount),
		OpportunityLineAmount:          optional(l.Amount),
		OpportunityLineExtendedAmount:  optional(l.ExtendedAmount),
		OpportunityLineSequence:        l.Sequence,
		OpportunityLinePricingError:    optionalChoice(l.PricingError),
		LineKind:                       choice(l.Kind),
		LineParentBundle:               unlessZero(l.ParentBundle),
	}
}

var opportunityLineKnown = sync.OnceValue(func() map[string]bool { return fieldSet(opportunityLineFields(OpportunityLine{})) })

func encodeOpportunityLine(l OpportunityLine) crm.Record {
	return encodeTyped(OpportunityLineEntity, l.Header, opportunityLineFields(l), l.Extra, opportunityLineKnown(), opportunityLineReadOnly)
}

func decodeOpportunityLine(rec crm.Record) (OpportunityLine, error) {
	f := rec.Fields
	return OpportunityLine{
		Header:             rec.Header,
		Opportunity:        f.Ref(OpportunityLineOpportunity),
		Product:            f.Ref(OpportunityLineProduct),
		WriteIn:            f.Bool(OpportunityLineWriteIn),
		Description:        f.String(OpportunityLineDescription),
		Unit:               f.Ref(OpportunityLineUnit),
		Quantity:           f.Decimal(OpportunityLineQuantity),
		PricePerUnit:       optionalField[crm.Money](f, OpportunityLinePricePerUnit),
		PriceOverridden:    f.Bool(OpportunityLinePriceOverridden),
		ManualDiscount:     optionalField[crm.Money](f, OpportunityLineManualDiscount),
		Tax:                optionalField[crm.Money](f, OpportunityLineTax),
		VolumeDiscount:     optionalField[crm.Money](f, OpportunityLineVolumeDiscount),
		Amount:             optionalField[crm.Money](f, OpportunityLineAmount),
		ExtendedAmount:     optionalField[crm.Money](f, OpportunityLineExtendedAmount),
		Sequence:           f.Int(OpportunityLineSequence),
		PricingError:       pricingCode(f, OpportunityLinePricingError),
		Kind:               lineKind(f),
		ParentBundle:       f.Ref(LineParentBundle),
		ExchangeRate:       optionalField[decimal.Decimal](f, crm.FieldExchangeRate),
		ExtendedAmountBase: optionalField[crm.Money](f, crm.BaseField(OpportunityLineExtendedAmount)),
		Extra:              extraFields(f, opportunityLineKnown(), opportunityLineReadOnly...),
	}, nil
}

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
