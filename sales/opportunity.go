package sales

import (
	"errors"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales/pricing"
	"github.com/crmkit/crmkit/storage"
)

// Opportunity is a potential sale to a customer (Dynamics' opportunity).
// See the package doc for the conventions of typed records and the
// "Opportunities" section for the rules its fields obey.
type Opportunity struct {
	crm.Header
	Name string // Topic: required, at most 300 characters
	// Customer is the potential customer, an account or a contact
	// (AccountRef, ContactRef). Deleting it deletes the opportunity.
	Customer      crm.Ref
	ParentAccount crm.Ref // the account, for reporting
	ParentContact crm.Ref // the contact, for reporting
	// OriginatingLead is the lead whose qualification created the
	// opportunity: set on create only (see the package doc).
	OriginatingLead crm.Ref
	// EstimatedValue is the estimated revenue, in the opportunity's
	// currency; it can be set only while the revenue is user-provided
	// (RevenueSystemCalculated false).
	EstimatedValue          *crm.Money
	RevenueSystemCalculated bool
	Probability             *int64    // 0..100
	EstimatedCloseDate      time.Time // date only
	// ActualValue and ActualCloseDate are set by Win and Lose (or an
	// import) and cleared by Reopen; other writes of them are refused.
	ActualValue     *crm.Money
	ActualCloseDate time.Time // date only
	SalesStage      *SalesStage
	StepName        string // Pipeline Phase
	// StageStartedOn is when the opportunity entered its sales stage
	// (activestagestartedon). The stage, the phase and this time move
	// together through Processes.MoveStage, which keeps the time spent
	// in each stage; a plain update cannot change the stage or this.
	StageStartedOn    time.Time
	Rating            Rating
	BudgetAmount      *crm.Money
	BudgetStatus      *BudgetStatus
	PurchaseTimeframe *PurchaseTimeframe
	PurchaseProcess   *PurchaseProcess
	Need              *Need
	Timeline          *Timeline
	// ForecastCategory is Won or Lost only through Win and Lose (or an
	// import); a caller sets the open categories.
	ForecastCategory ForecastCategory
	Description      string

	// The pricing inputs of the header (sales.md §6.2): the price list
	// the lines are priced from, and the discounts and freight of the
	// whole opportunity. Set them on create or through
	// OpportunityLines.SetPricing, which prices the lines again.
	PriceList          crm.Ref
	DiscountPercentage *decimal.Decimal // 0..100
	DiscountAmount     *crm.Money
	FreightAmount      *crm.Money
	// The totals of the product lines and the pricing error code, written
	// by OpportunityLines (pricing.Totals); nil until the lines are first
	// priced. Other writes of them are refused.
	TotalLineItemAmount    *crm.Money // Detail Amount
	TotalLineItemDiscount  *crm.Money
	TotalDiscountAmount    *crm.Money
	TotalAmountLessFreight *crm.Money // Pre-Freight Amount
	TotalTax               *crm.Money
	TotalAmount            *crm.Money
	PricingError           *pricing.Code

	// Computed by the write path and never written from here.
	// WeightedValue is EstimatedValue × Probability / 100. ExchangeRate
	// and the base amounts are kept when the registry has a base
	// currency, nil otherwise.
	WeightedValue      *crm.Money
	ExchangeRate       *decimal.Decimal
	EstimatedValueBase *crm.Money
	ActualValueBase    *crm.Money
	BudgetAmountBase   *crm.Money
	WeightedValueBase  *crm.Money
	TotalAmountBase    *crm.Money

	// Extra holds the fields of the opportunity record that Opportunity
	// does not declare: a host's custom fields.
	Extra crm.Fields
}

// OpportunityState returns the opportunity's state.
func (o Opportunity) OpportunityState() OpportunityState { return OpportunityState(o.State) }

// OpportunityStatus returns the opportunity's status reason.
func (o Opportunity) OpportunityStatus() OpportunityStatus { return OpportunityStatus(o.Status) }

// IsOpen reports whether the opportunity is Open (not won or lost).
func (o Opportunity) IsOpen() bool { return o.OpportunityState() == OpportunityStateOpen }

// Ref returns a reference to the opportunity, for lookups.
func (o Opportunity) Ref() crm.Ref { return OpportunityRef(o.ID) }

// OpportunityRef returns a reference to the opportunity with the given ID.
func OpportunityRef(id crm.ID) crm.Ref { return crm.Ref{Entity: OpportunityEntity, ID: id} }

// OpportunityCodec converts between Opportunity and opportunity records,
// for storage.Table. The computed fields are read, never written.
func OpportunityCodec() storage.Codec[Opportunity] {
	return storage.Codec[Opportunity]{Entity: OpportunityEntity, Encode: encodeOpportunity, Decode: decodeOpportunity}
}

// opportunityReadOnly names the fields Opportunity's members decode only.
var opportunityReadOnly = append([]string{
	OpportunityWeightedValue, crm.FieldExchangeRate,
	crm.BaseField(OpportunityEstimatedValue), crm.BaseField(OpportunityActualValue),
	crm.BaseField(OpportunityBudgetAmount), crm.BaseField(OpportunityWeightedValue),
}, baseFields(OpportunityDiscountAmount, OpportunityFreightAmount, OpportunityTotalLineItemAmount,
	OpportunityTotalLineItemDiscount, OpportunityTotalDiscountAmount, OpportunityTotalAmountLessFreight,
	OpportunityTotalTax, OpportunityTotalAmount)...)

// baseFields returns the base-currency fields of money fields.
func baseFields(money ...string) []string {
	out := make([]string, len(money))
	for i, f := range money {
		out[i] = crm.BaseField(f)
	}
	return out
}

func encodeOpportunity(o Opportunity) crm.Record {
	return encodeTyped(OpportunityEntity, o.Header, opportunityFields(o), o.Extra, opportunityKnown(), opportunityReadOnly)
}

// opportunityFields returns the fields o's members hold.
func opportunityFields(o Opportunity) crm.Fields {
	return crm.Fields{
		OpportunityName:                   text(o.Name),
		OpportunityCustomer:               unlessZero(o.Customer),
		OpportunityParentAccount:          unlessZero(o.ParentAccount),
		OpportunityParentContact:          unlessZero(o.ParentContact),
		FieldOriginatingLead:              unlessZero(o.OriginatingLead),
		OpportunityEstimatedValue:         optional(o.EstimatedValue),
		OpportunityRevenueSystem:          o.RevenueSystemCalculated,
		OpportunityProbability:            optional(o.Probability),
		OpportunityEstimatedCloseDate:     unlessZero(o.EstimatedCloseDate),
		OpportunityActualValue:            optional(o.ActualValue),
		OpportunityActualCloseDate:        unlessZero(o.ActualCloseDate),
		OpportunitySalesStage:             optionalChoice(o.SalesStage),
		OpportunityStepName:               text(o.StepName),
		OpportunityStageStartedOn:         unlessZero(o.StageStartedOn),
		OpportunityRating:                 choice(o.Rating),
		OpportunityBudgetAmount:           optional(o.BudgetAmount),
		OpportunityBudgetStatus:           optionalChoice(o.BudgetStatus),
		OpportunityPurchaseTimeframe:      optionalChoice(o.PurchaseTimeframe),
		OpportunityPurchaseProcess:        optionalChoice(o.PurchaseProcess),
		OpportunityNeed:                   optionalChoice(o.Need),
		OpportunityTimeline:               optionalChoice(o.Timeline),
		OpportunityForecastCategory:       choice(o.ForecastCategory),
		OpportunityDescription:            text(o.Description),
		OpportunityPriceList:              unlessZero(o.PriceList),
		OpportunityDiscountPercentage:     optional(o.DiscountPercentage),
		OpportunityDiscountAmount:         optional(o.DiscountAmount),
		OpportunityFreightAmount:          optional(o.FreightAmount),
		OpportunityTotalLineItemAmount:    optional(o.TotalLineItemAmount),
		OpportunityTotalLineItemDiscount:  optional(o.TotalLineItemDiscount),
		OpportunityTotalDiscountAmount:    optional(o.TotalDiscountAmount),
		OpportunityTotalAmountLessFreight: optional(o.TotalAmountLessFreight),
		OpportunityTotalTax:               optional(o.TotalTax),
		OpportunityTotalAmount:            optional(o.TotalAmount),
		OpportunityPricingError:           optionalChoice(o.PricingError),
	}
}

// opportunityKnown names the fields Opportunity's members encode.
var opportunityKnown = sync.OnceValue(func() map[string]bool { return fieldSet(opportunityFields(Opportunity{})) })

func decodeOpportunity(rec crm.Record) (Opportunity, error) {
	f := rec.Fields
	o := Opportunity{
		Header:                  rec.Header,
		Name:                    f.String(OpportunityName),
		Customer:                f.Ref(OpportunityCustomer),
		ParentAccount:           f.Ref(OpportunityParentAccount),
		ParentContact:           f.Ref(OpportunityParentContact),
		OriginatingLead:         f.Ref(FieldOriginatingLead),
		EstimatedValue:          optionalField[crm.Money](f, OpportunityEstimatedValue),
		RevenueSystemCalculated: f.Bool(OpportunityRevenueSystem),
		Probability:             optionalField[int64](f, OpportunityProbability),
		EstimatedCloseDate:      f.Time(OpportunityEstimatedCloseDate),
		ActualValue:             optionalField[crm.Money](f, OpportunityActualValue),
		ActualCloseDate:         f.Time(OpportunityActualCloseDate),
		StepName:                f.String(OpportunityStepName),
		StageStartedOn:          f.Time(OpportunityStageStartedOn),
		BudgetAmount:            optionalField[crm.Money](f, OpportunityBudgetAmount),
		Description:             f.String(OpportunityDescription),
		WeightedValue:           optionalField[crm.Money](f, OpportunityWeightedValue),
		ExchangeRate:            optionalField[decimal.Decimal](f, crm.FieldExchangeRate),
		EstimatedValueBase:      optionalField[crm.Money](f, crm.BaseField(OpportunityEstimatedValue)),
		ActualValueBase:         optionalField[crm.Money](f, crm.BaseField(OpportunityActualValue)),
		BudgetAmountBase:        optionalField[crm.Money](f, crm.BaseField(OpportunityBudgetAmount)),
		WeightedValueBase:       optionalField[crm.Money](f, crm.BaseField(OpportunityWeightedValue)),
		PriceList:               f.Ref(OpportunityPriceList),
		DiscountPercentage:      optionalField[decimal.Decimal](f, OpportunityDiscountPercentage),
		DiscountAmount:          optionalField[crm.Money](f, OpportunityDiscountAmount),
		FreightAmount:           optionalField[crm.Money](f, OpportunityFreightAmount),
		TotalLineItemAmount:     optionalField[crm.Money](f, OpportunityTotalLineItemAmount),
		TotalLineItemDiscount:   optionalField[crm.Money](f, OpportunityTotalLineItemDiscount),
		TotalDiscountAmount:     optionalField[crm.Money](f, OpportunityTotalDiscountAmount),
		TotalAmountLessFreight:  optionalField[crm.Money](f, OpportunityTotalAmountLessFreight),
		TotalTax:                optionalField[crm.Money](f, OpportunityTotalTax),
		TotalAmount:             optionalField[crm.Money](f, OpportunityTotalAmount),
		PricingError:            pricingCode(f, OpportunityPricingError),
		TotalAmountBase:         optionalField[crm.Money](f, crm.BaseField(OpportunityTotalAmount)),
		Extra:                   extraFields(f, opportunityKnown(), opportunityReadOnly...),
	}
	var errs [8]error
	o.SalesStage, errs[0] = salesStages.decodePtr(f, OpportunitySalesStage)
	o.Rating, errs[1] = ratings.decode(f, OpportunityRating)
	o.BudgetStatus, errs[2] = budgetStatuses.decodePtr(f, OpportunityBudgetStatus)
	o.PurchaseTimeframe, errs[3] = purchaseTimeframes.decodePtr(f, OpportunityPurchaseTimeframe)
	o.PurchaseProcess, errs[4] = purchaseProcesses.decodePtr(f, OpportunityPurchaseProcess)
	o.Need, errs[5] = needs.decodePtr(f, OpportunityNeed)
	o.Timeline, errs[6] = timelines.decodePtr(f, OpportunityTimeline)
	o.ForecastCategory, errs[7] = forecastCategories.decode(f, OpportunityForecastCategory)
	return o, errors.Join(errs[:]...)
}
