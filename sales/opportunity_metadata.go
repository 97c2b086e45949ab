package sales

import (
	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
)

// OpportunityEntity is the opportunity's logical name.
const OpportunityEntity = "opportunity"

// Logical field names of opportunity (sales.md §2.1), for queries and
// sorting.
const (
	OpportunityName               = "name"
	OpportunityCustomer           = "customerid"
	OpportunityParentAccount      = "parentaccountid"
	OpportunityParentContact      = "parentcontactid"
	OpportunityEstimatedValue     = "estimatedvalue"
	OpportunityRevenueSystem      = "isrevenuesystemcalculated"
	OpportunityProbability        = "closeprobability"
	OpportunityEstimatedCloseDate = "estimatedclosedate"
	OpportunityActualValue        = "actualvalue"
	OpportunityActualCloseDate    = "actualclosedate"
	OpportunitySalesStage         = "salesstage"
	OpportunityStepName           = "stepname"
	OpportunityRating             = "opportunityratingcode"
	OpportunityBudgetAmount       = LeadBudgetAmount
	OpportunityBudgetStatus       = LeadBudgetStatus
	OpportunityPurchaseTimeframe  = LeadPurchaseTimeframe
	OpportunityPurchaseProcess    = LeadPurchaseProcess
	OpportunityNeed               = LeadNeed
	OpportunityTimeline           = "timeline"
	OpportunityForecastCategory   = "msdyn_forecastcategory"
	OpportunityDescription        = "description"
	// OpportunityWeightedValue is the estimated revenue weighted by the
	// probability, estimatedvalue × closeprobability / 100, rounded to
	// the currency's precision. Dynamics has no such field (customers add
	// it as a calculated field, sales.md §8); crmkit keeps it so the
	// weighted pipeline is one aggregate.
	OpportunityWeightedValue = "weightedvalue"
)

// OpportunityMetadata returns the opportunity entity as Dynamics declares
// it (sales.md §2.1), its price list, header discounts and totals
// included, with the module's rules (see the package doc's
// Opportunities section). Each call returns a new value.
func OpportunityMetadata() *crm.Entity {
	fields := []crm.Field{
		{Name: OpportunityName, Label: "Topic", Type: crm.TypeText, MaxLength: 300, Required: true},
		// opportunity_customer_accounts and _contacts are parental:
		// deleting the customer deletes its opportunities.
		{Name: OpportunityCustomer, Label: "Potential Customer", Type: crm.TypeLookup,
			Targets: []string{AccountEntity, ContactEntity}, OnDelete: crm.DeleteCascade},
		{Name: OpportunityParentAccount, Label: "Account", Type: crm.TypeLookup,
			Targets: []string{AccountEntity}, OnDelete: crm.DeleteRemoveLink},
		{Name: OpportunityParentContact, Label: "Contact", Type: crm.TypeLookup,
			Targets: []string{ContactEntity}, OnDelete: crm.DeleteRemoveLink},
		originatingLead(),
		{Name: OpportunityEstimatedValue, Label: "Est. Revenue", Type: crm.TypeMoney,
			Min: decimalPtr(-1_000_000_000_000), Max: decimalPtr(1_000_000_000_000)},
		{Name: OpportunityRevenueSystem, Label: "Revenue", Type: crm.TypeBool},
		{Name: OpportunityProbability, Label: "Probability", Type: crm.TypeInteger, Min: decimalPtr(0), Max: decimalPtr(100)},
		{Name: OpportunityEstimatedCloseDate, Label: "Est. Close Date", Type: crm.TypeTime, DateOnly: true},
		{Name: OpportunityActualValue, Label: "Actual Revenue", Type: crm.TypeMoney,
			Min: decimalPtr(-1_000_000_000_000), Max: decimalPtr(1_000_000_000_000)},
		{Name: OpportunityActualCloseDate, Label: "Actual Close Date", Type: crm.TypeTime, DateOnly: true},
		{Name: OpportunitySalesStage, Label: "Sales Stage", Type: crm.TypeChoice, Options: salesStages.choices()},
		{Name: OpportunityStepName, Label: "Pipeline Phase", Type: crm.TypeText, MaxLength: 200},
		{Name: OpportunityRating, Label: "Rating", Type: crm.TypeChoice, Options: ratings.choices()},
	}
	fields = append(fields, qualificationFields()...)
	fields = append(fields,
		crm.Field{Name: OpportunityTimeline, Label: "Timeline", Type: crm.TypeChoice, Options: timelines.choices()},
		crm.Field{Name: OpportunityForecastCategory, Label: "Forecast Category", Type: crm.TypeChoice, Options: forecastCategories.choices()},
		crm.Field{Name: OpportunityDescription, Label: "Description", Type: crm.TypeText, MaxLength: 2000},
		crm.Field{Name: OpportunityWeightedValue, Label: "Weighted Revenue", Type: crm.TypeMoney, Compute: weightedValue},
	)
	fields = append(fields, opportunityPricingFields()...)
	return &crm.Entity{
		Name:        OpportunityEntity,
		Label:       "Opportunity",
		PrimaryName: OpportunityName,
		Fields:      fields,
		Lifecycle:   OpportunityLifecycle(),
		Rules:       opportunityRules(),
	}
}

// weightedValue computes estimatedvalue × closeprobability / 100, rounded
// to the currency's precision by the one rounding rule; null when either
// is missing.
func weightedValue(f crm.Fields) any {
	est, ok := f.Money(OpportunityEstimatedValue)
	if !ok {
		return nil
	}
	p, ok := f[OpportunityProbability].(int64)
	if !ok {
		return nil
	}
	return est.Mul(decimal.New(p, -2)).Round()
}
