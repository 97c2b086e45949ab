package sales

import (
	"context"
	"fmt"

	"github.com/crmkit/crmkit/crm"
)

// The lead's rules that its fields and lifecycle cannot express. They are
// part of LeadMetadata, so every store on a registry that holds the sales
// entities runs them on every write of a lead, whichever door it comes
// through (Leads, a storage.Table, the store's generic Update and
// ChangeState). The lifecycle adds two more: EventQualify fires only
// inside the QualifyLead operation, and qualified and disqualified leads
// are read-only until reactivated.

// leadRules returns the lead's rules.
func leadRules() []crm.Rule {
	return []crm.Rule{
		{
			Name:   "the qualifying opportunity is set only by qualifying the lead",
			Fields: []string{LeadQualifyingOpportunity},
			Check:  checkQualifyingOpportunity,
		},
		{
			Name:  "a lead with an opportunity cannot be disqualified",
			Check: checkDisqualify,
		},
	}
}

// checkQualifyingOpportunity refuses a write that points a lead's
// qualifyingopportunityid at an opportunity, unless the write is part of
// the QualifyLead operation, which creates that opportunity, or of an
// import, which takes the link from the data. Clearing the link is
// allowed: deleting the opportunity clears it (the relationship removes
// the link), and so may a caller on an open lead.
func checkQualifyingOpportunity(_ context.Context, w crm.Write) error {
	if w.Target.Fields[LeadQualifyingOpportunity] == nil || w.In(MessageQualifyLead) || w.Import {
		return nil
	}
	return crm.Invalid(LeadEntity, LeadQualifyingOpportunity,
		"is set by qualifying the lead (the QualifyLead operation, Leads.Qualify), not directly")
}

// checkDisqualify refuses to move a lead that has an opportunity to
// Disqualified (sales.md §1.4: disqualifying is allowed only when no
// opportunity is associated with the lead). The lead's opportunity is its
// qualifyingopportunityid: a rule reads records by ID, not by query, so
// an opportunity that names the lead as its originating lead without the
// lead naming it back (one created by hand, or after the link was
// cleared) does not count. An import takes the state from the data.
func checkDisqualify(_ context.Context, w crm.Write) error {
	const disqualified = crm.StateCode(LeadStateDisqualified)
	if w.Import || w.Target.State != disqualified || (w.Before != nil && w.Before.State == disqualified) {
		return nil
	}
	opp := w.Target.Fields.Ref(LeadQualifyingOpportunity)
	if opp.IsZero() {
		return nil
	}
	return crm.Invalid(LeadEntity, LeadQualifyingOpportunity,
		fmt.Sprintf("is opportunity %s: a lead with an opportunity cannot be disqualified", opp.ID))
}
