package sales

import (
	"errors"
	"fmt"
	"slices"

	"github.com/crmkit/crmkit/crm"
)

// ErrLeadMapping is returned by Leads.MapField for a field map entry that
// cannot work: an unknown entity or field, types that differ, a field the
// qualification sets itself.
var ErrLeadMapping = errors.New("invalid lead field map")

// LeadFieldMap is one entry of the lead field map: qualifying a lead into
// a record of Entity (account, contact or opportunity) copies the lead's
// field From into the record's field To. Dynamics keeps these as
// customizable attribute maps.
type LeadFieldMap struct {
	Entity string // AccountEntity, ContactEntity or OpportunityEntity
	From   string // a field of the lead
	To     string // a field of Entity
}

// DefaultLeadMapping returns the lead field map Leads starts with,
// Dynamics' out-of-the-box map as far as it is known (sales.md §1.3,
// [inferred]):
//
//   - account: company name → name (an account is created only for a
//     lead with a company name), business phone, website, address,
//     industry, annual revenue and number of employees;
//   - contact: first, last name, job title, email, business and mobile
//     phone, address;
//   - opportunity: topic → name, est. value → est. revenue, est. close
//     date, budget amount and status, purchase timeframe and process,
//     need, rating, description.
//
// Each call returns a new slice.
func DefaultLeadMapping() []LeadFieldMap {
	var m []LeadFieldMap
	add := func(entity string, pairs ...string) {
		for i := 0; i < len(pairs); i += 2 {
			m = append(m, LeadFieldMap{Entity: entity, From: pairs[i], To: pairs[i+1]})
		}
	}
	address := []string{LeadLine1, LeadCity, LeadStateOrProvince, LeadPostalCode, LeadCountry}
	add(AccountEntity,
		LeadCompanyName, AccountName,
		LeadTelephone, AccountTelephone,
		LeadWebsite, AccountWebsite,
		LeadIndustry, AccountIndustry,
		LeadRevenue, AccountRevenue,
		LeadNumberOfEmployees, AccountNumberOfEmployees)
	add(ContactEntity,
		LeadFirstName, ContactFirstName,
		LeadLastName, ContactLastName,
		LeadJobTitle, ContactJobTitle,
		LeadEmail, ContactEmail,
		LeadTelephone, ContactTelephone,
		LeadMobilePhone, ContactMobilePhone)
	for _, f := range address {
		add(AccountEntity, f, f) // address1_* on all three entities
		add(ContactEntity, f, f)
	}
	add(OpportunityEntity,
		LeadSubject, OpportunityName,
		LeadEstimatedAmount, OpportunityEstimatedValue,
		LeadEstimatedCloseDate, OpportunityEstimatedCloseDate,
		LeadBudgetAmount, OpportunityBudgetAmount,
		LeadBudgetStatus, OpportunityBudgetStatus,
		LeadPurchaseTimeframe, OpportunityPurchaseTimeframe,
		LeadPurchaseProcess, OpportunityPurchaseProcess,
		LeadNeed, OpportunityNeed,
		LeadQuality, OpportunityRating,
		LeadDescription, OpportunityDescription)
	return m
}

// leadMapping is the field map a Leads service qualifies with. It is
// never changed once published: MapField publishes a new one.
type leadMapping []LeadFieldMap

// apply returns the fields of a new record of entity that the lead's
// fields give, per the map: a null lead field gives nothing.
func (m leadMapping) apply(entity string, lead crm.Fields) crm.Fields {
	out := crm.Fields{}
	for _, e := range m {
		if e.Entity != entity {
			continue
		}
		if v, ok := lead[e.From]; ok && v != nil {
			out[e.To] = v
		}
	}
	return out
}

// setByQualify names the fields of each entity a qualification sets
// itself: a field map entry may not write them. The opportunity's sales
// stage, phase and stage start are its sales process's
// (QualifyOptions.Process).
var setByQualify = map[string][]string{
	AccountEntity:     {FieldOriginatingLead, AccountPrimaryContact},
	ContactEntity:     {FieldOriginatingLead, ContactParentCustomer},
	OpportunityEntity: {FieldOriginatingLead, OpportunityCustomer, OpportunityParentAccount, OpportunityParentContact, OpportunitySalesStage, OpportunityStepName, OpportunityStageStartedOn},
}

// Mapping returns the lead field map the service qualifies with.
func (s *Leads) Mapping() []LeadFieldMap { return slices.Clone(*s.mapping.Load()) }

// MapField adds an entry to the lead field map: qualifying a lead into a
// new record of entity (AccountEntity, ContactEntity or
// OpportunityEntity) copies the lead's field leadField into the record's
// field field, replacing the entry that wrote field before, if any. It is
// how a host maps its custom fields (add them to both entities first:
// crm.Registry.AddFields or storage.Store.AddFields).
//
// The entry is checked against the store's registry now, not at the next
// qualification: an unknown entity or field fails with an error matching
// ErrLeadMapping and crm.ErrNotFound; fields of different types, a choice
// whose options are not all the target's, a lookup to entities the target
// cannot point at, a system or computed target, or a field the
// qualification sets itself (originatingleadid, the links between the
// records, the opportunity's sales stage, pipeline phase and
// activestagestartedon, which its sales process sets) fail with
// ErrLeadMapping. It is safe to call while qualifications
// run: they use the map as it was when they started.
func (s *Leads) MapField(entity, leadField, field string) error {
	if err := checkLeadFieldMap(s.store.Registry(), LeadFieldMap{Entity: entity, From: leadField, To: field}); err != nil {
		return err
	}
	for {
		old := s.mapping.Load()
		next := slices.DeleteFunc(slices.Clone(*old), func(e LeadFieldMap) bool { return e.Entity == entity && e.To == field })
		next = append(next, LeadFieldMap{Entity: entity, From: leadField, To: field})
		if s.mapping.CompareAndSwap(old, &next) {
			return nil
		}
	}
}

// checkLeadFieldMap checks one field map entry against reg.
func checkLeadFieldMap(reg *crm.Registry, m LeadFieldMap) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("map lead %s to %s %s: %w: %s", m.From, m.Entity, m.To, ErrLeadMapping, fmt.Sprintf(format, args...))
	}
	notFound := func(what string) error {
		return fmt.Errorf("map lead %s to %s %s: %w: %s: %w", m.From, m.Entity, m.To, ErrLeadMapping, what, crm.ErrNotFound)
	}
	reserved, ok := setByQualify[m.Entity]
	if !ok {
		return notFound(fmt.Sprintf("a qualification creates no %q", m.Entity))
	}
	lead, err := reg.Entity(LeadEntity)
	if err != nil {
		return notFound("the registry holds no lead entity")
	}
	target, err := reg.Entity(m.Entity)
	if err != nil {
		return notFound(fmt.Sprintf("the registry holds no %s entity", m.Entity))
	}
	from, ok := lead.Field(m.From)
	if !ok || from.System {
		return notFound(fmt.Sprintf("lead has no field %q", m.From))
	}
	to, ok := target.Field(m.To)
	if !ok || to.System {
		return notFound(fmt.Sprintf("%s has no field %q", m.Entity, m.To))
	}
	switch {
	case to.Compute != nil:
		return fail("%s is computed", m.To)
	case slices.Contains(reserved, m.To):
		return fail("the qualification sets %s itself", m.To)
	case from.Type != to.Type:
		return fail("lead %s is %s, %s %s is %s", m.From, from.Type, m.Entity, m.To, to.Type)
	}
	for _, o := range from.Options {
		if _, ok := to.Option(o.Value); !ok {
			return fail("option %d (%s) of lead %s is not an option of %s %s", o.Value, o.Label, m.From, m.Entity, m.To)
		}
	}
	for _, t := range from.Targets {
		if !slices.Contains(to.Targets, t) {
			return fail("lead %s may point at a %s, %s %s may not", m.From, t, m.Entity, m.To)
		}
	}
	return nil
}
