package sales

import (
	"context"
	"fmt"

	"github.com/crmkit/crmkit/crm"
)

// The rules of opportunities that their fields and lifecycle cannot
// express. They are part of OpportunityMetadata, so every store on a
// registry that holds the sales entities runs them on every write of an
// opportunity, whichever door it comes through: Opportunities, a
// storage.Table, or the store's generic Create, Update and ChangeState.
// An import (storage.Store.Import) takes its values from the data and
// passes them all.

// opportunityRules returns the opportunity's rules.
func opportunityRules() []crm.Rule {
	return append(documentPricingRules(opportunityKind), []crm.Rule{
		{
			Name:   "the estimated revenue is set only while it is user-provided",
			Fields: []string{OpportunityEstimatedValue},
			Check:  checkEstimatedValue,
		},
		{
			Name:   "the actual revenue and close date are set by closing",
			Fields: []string{OpportunityActualValue, OpportunityActualCloseDate},
			Check:  checkActuals,
		},
		{
			Name:   "the forecast category is Won or Lost by closing",
			Fields: []string{OpportunityForecastCategory},
			Check:  checkForecastCategory,
		},
		{
			Name:   "the originating lead is set on create",
			Fields: []string{FieldOriginatingLead},
			Check:  checkOriginatingLead,
		},
	}...)
}

// inCloseOperation reports whether w is part of an operation that closes or
// reopens an opportunity.
func inCloseOperation(w crm.Write) bool {
	return w.In(MessageWinOpportunity) || w.In(MessageLoseOpportunity) || w.In(MessageReopenOpportunity)
}

// checkEstimatedValue refuses a new estimated revenue while the revenue
// is system-calculated (isrevenuesystemcalculated): Dynamics computes it
// from the product lines then, and locks it. Only the pricing operations
// (OpportunityLines) set it then, to the lines' total; a
// system-calculated estimate keeps its value between them. Closing and
// reopening never change it.
func checkEstimatedValue(_ context.Context, w crm.Write) error {
	if w.Import || inPricingOperation(w) || !w.Target.Fields.Bool(OpportunityRevenueSystem) {
		return nil
	}
	return crm.Invalid(OpportunityEntity, OpportunityEstimatedValue,
		"is calculated from the product lines while the revenue is system-calculated: make it user-provided (isrevenuesystemcalculated false) to set it")
}

// checkActuals lets the actual revenue and close date change only inside
// Win and Lose, which record them with the opportunity-close activity,
// and Reopen, which clears them.
func checkActuals(_ context.Context, w crm.Write) error {
	if w.Import || inCloseOperation(w) {
		return nil
	}
	field := OpportunityActualValue
	if !writesField(w, OpportunityActualValue) {
		field = OpportunityActualCloseDate
	}
	return crm.Invalid(OpportunityEntity, field, "is set only by closing the opportunity (Win, Lose) and cleared by Reopen")
}

// checkForecastCategory keeps the Won and Lost forecast categories for
// the operations that win and lose, and the way out of them for Reopen:
// the forecast reads them as closed deals.
func checkForecastCategory(_ context.Context, w crm.Write) error {
	if w.Import {
		return nil
	}
	a, _ := w.Target.Fields.Choice(OpportunityForecastCategory)
	after, before := ForecastCategory(a), ForecastCategory(0)
	if w.Before != nil {
		b, _ := w.Before.Fields.Choice(OpportunityForecastCategory)
		before = ForecastCategory(b)
	}
	switch {
	case after == ForecastWon && !w.In(MessageWinOpportunity),
		after == ForecastLost && !w.In(MessageLoseOpportunity):
		return crm.Invalid(OpportunityEntity, OpportunityForecastCategory,
			fmt.Sprintf("is %s only when the opportunity is closed as %s", after, after))
	case (before == ForecastWon || before == ForecastLost) && !inCloseOperation(w):
		return crm.Invalid(OpportunityEntity, OpportunityForecastCategory,
			fmt.Sprintf("is %s until the opportunity is reopened", before))
	}
	return nil
}

// checkOriginatingLead keeps the lead an opportunity came from as it was
// created (Dynamics: not updatable). Clearing it is allowed: it is what
// deleting the lead does (the lookup removes its link), and the rule
// cannot tell that write from another.
func checkOriginatingLead(_ context.Context, w crm.Write) error {
	if w.Before == nil || w.Import || w.Target.Fields[FieldOriginatingLead] == nil {
		return nil
	}
	return crm.Invalid(OpportunityEntity, FieldOriginatingLead, "is set when the opportunity is created and cannot change")
}

// writesField reports whether w sets or changes field.
func writesField(w crm.Write, field string) bool {
	after := w.Target.Fields[field]
	if w.Before == nil {
		return after != nil
	}
	return !crm.SameValue(w.Before.Fields[field], after)
}
