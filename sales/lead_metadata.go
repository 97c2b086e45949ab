package sales

import (
	"github.com/crmkit/crmkit/crm"
)

// LeadEntity is the lead's logical name.
const LeadEntity = "lead"

// Logical field names of lead (sales.md §1.1), for queries and sorting.
const (
	LeadSubject            = "subject"
	LeadFirstName          = "firstname"
	LeadMiddleName         = "middlename"
	LeadLastName           = "lastname"
	LeadFullName           = "fullname"
	LeadCompanyName        = "companyname"
	LeadJobTitle           = "jobtitle"
	LeadEmail              = "emailaddress1"
	LeadEmail2             = "emailaddress2"
	LeadEmail3             = "emailaddress3"
	LeadTelephone          = "telephone1"
	LeadHomePhone          = "telephone2"
	LeadOtherPhone         = "telephone3"
	LeadMobilePhone        = "mobilephone"
	LeadWebsite            = "websiteurl"
	LeadLine1              = "address1_line1"
	LeadCity               = "address1_city"
	LeadStateOrProvince    = "address1_stateorprovince"
	LeadPostalCode         = "address1_postalcode"
	LeadCountry            = "address1_country"
	LeadSourceCode         = "leadsourcecode"
	LeadQuality            = "leadqualitycode"
	LeadEstimatedAmount    = "estimatedamount"
	LeadEstimatedCloseDate = "estimatedclosedate"
	LeadBudgetAmount       = "budgetamount"
	LeadBudgetStatus       = "budgetstatus"
	LeadPurchaseTimeframe  = "purchasetimeframe"
	LeadPurchaseProcess    = "purchaseprocess"
	LeadNeed               = "need"
	LeadRevenue            = "revenue"
	LeadNumberOfEmployees  = "numberofemployees"
	LeadIndustry           = "industrycode"
	LeadSIC                = "sic"
	LeadDoNotEmail         = "donotemail"
	LeadDoNotPhone         = "donotphone"
	LeadDescription        = "description"
	// LeadParentAccount and LeadParentContact are the lead's "Existing
	// Account" and "Existing Contact": qualifying attaches to them
	// instead of creating new records.
	LeadParentAccount = "parentaccountid"
	LeadParentContact = "parentcontactid"
	// LeadCustomer is the lead's customer, an account or a contact.
	LeadCustomer = "customerid"
	// LeadQualifyingOpportunity is the opportunity qualifying the lead
	// created; the write path keeps it read-only for callers.
	LeadQualifyingOpportunity = "qualifyingopportunityid"
)

// FieldOriginatingLead is the lookup accounts, contacts and opportunities
// keep to the lead whose qualification created them (originatingleadid).
const FieldOriginatingLead = "originatingleadid"

// originatingLead returns the originatingleadid lookup of a record a
// qualification creates: deleting the lead leaves the record, unlinked.
func originatingLead() crm.Field {
	return crm.Field{Name: FieldOriginatingLead, Label: "Originating Lead", Type: crm.TypeLookup,
		Targets: []string{LeadEntity}, OnDelete: crm.DeleteRemoveLink}
}

// qualificationFields returns the buyer-qualification fields leads and
// opportunities share (sales.md §1.1, §2.1).
func qualificationFields() []crm.Field {
	return []crm.Field{
		{Name: LeadBudgetAmount, Label: "Budget Amount", Type: crm.TypeMoney, Min: decimalPtr(0), Max: decimalPtr(1_000_000_000_000)},
		{Name: LeadBudgetStatus, Label: "Budget", Type: crm.TypeChoice, Options: budgetStatuses.choices()},
		{Name: LeadPurchaseTimeframe, Label: "Purchase Timeframe", Type: crm.TypeChoice, Options: purchaseTimeframes.choices()},
		{Name: LeadPurchaseProcess, Label: "Purchase Process", Type: crm.TypeChoice, Options: purchaseProcesses.choices()},
		{Name: LeadNeed, Label: "Need", Type: crm.TypeChoice, Options: needs.choices()},
	}
}

// LeadMetadata returns the lead entity as Dynamics declares it (sales.md
// §1.1), without the campaign lookups the marketing module adds, with the
// module's rules (lead_rules.go). Each call returns a new value.
func LeadMetadata() *crm.Entity {
	fields := []crm.Field{
		{Name: LeadSubject, Label: "Topic", Type: crm.TypeText, MaxLength: 300, Required: true},
		{Name: LeadFirstName, Label: "First Name", Type: crm.TypeText, MaxLength: 50},
		{Name: LeadMiddleName, Label: "Middle Name", Type: crm.TypeText, MaxLength: 50},
		{Name: LeadLastName, Label: "Last Name", Type: crm.TypeText, MaxLength: 50, Required: true},
		{Name: LeadFullName, Label: "Name", Type: crm.TypeText, MaxLength: 160, Compute: leadFullName},
		{Name: LeadCompanyName, Label: "Company Name", Type: crm.TypeText, MaxLength: 100},
		{Name: LeadJobTitle, Label: "Job Title", Type: crm.TypeText, MaxLength: 100},
		{Name: LeadEmail, Label: "Email", Type: crm.TypeText, MaxLength: 100},
		{Name: LeadEmail2, Label: "Email Address 2", Type: crm.TypeText, MaxLength: 100},
		{Name: LeadEmail3, Label: "Email Address 3", Type: crm.TypeText, MaxLength: 100},
		{Name: LeadTelephone, Label: "Business Phone", Type: crm.TypeText, MaxLength: 50},
		{Name: LeadHomePhone, Label: "Home Phone", Type: crm.TypeText, MaxLength: 50},
		{Name: LeadOtherPhone, Label: "Other Phone", Type: crm.TypeText, MaxLength: 50},
		{Name: LeadMobilePhone, Label: "Mobile Phone", Type: crm.TypeText, MaxLength: 20},
		{Name: LeadWebsite, Label: "Website", Type: crm.TypeText, MaxLength: 200},
	}
	fields = append(fields, address()...)
	fields = append(fields,
		crm.Field{Name: LeadSourceCode, Label: "Lead Source", Type: crm.TypeChoice, Options: leadSources.choices()},
		crm.Field{Name: LeadQuality, Label: "Rating", Type: crm.TypeChoice, Options: ratings.choices()},
		crm.Field{Name: LeadEstimatedAmount, Label: "Est. Value", Type: crm.TypeMoney, Min: decimalPtr(0), Max: decimalPtr(1_000_000_000_000)},
		crm.Field{Name: LeadEstimatedCloseDate, Label: "Est. Close Date", Type: crm.TypeTime, DateOnly: true},
	)
	fields = append(fields, qualificationFields()...)
	fields = append(fields,
		crm.Field{Name: LeadRevenue, Label: "Annual Revenue", Type: crm.TypeMoney, Min: decimalPtr(0)},
		crm.Field{Name: LeadNumberOfEmployees, Label: "No. of Employees", Type: crm.TypeInteger, Min: decimalPtr(0), Max: decimalPtr(1_000_000_000)},
		crm.Field{Name: LeadIndustry, Label: "Industry", Type: crm.TypeChoice, Options: industries.choices()},
		crm.Field{Name: LeadSIC, Label: "SIC Code", Type: crm.TypeText, MaxLength: 20},
		crm.Field{Name: LeadDoNotEmail, Label: "Do not allow Emails", Type: crm.TypeBool},
		crm.Field{Name: LeadDoNotPhone, Label: "Do not allow Phone Calls", Type: crm.TypeBool},
		crm.Field{Name: LeadDescription, Label: "Description", Type: crm.TypeText, MaxLength: 2000},
		crm.Field{Name: LeadParentAccount, Label: "Existing Account", Type: crm.TypeLookup,
			Targets: []string{AccountEntity}, OnDelete: crm.DeleteRemoveLink},
		crm.Field{Name: LeadParentContact, Label: "Existing Contact", Type: crm.TypeLookup,
			Targets: []string{ContactEntity}, OnDelete: crm.DeleteRemoveLink},
		crm.Field{Name: LeadCustomer, Label: "Customer", Type: crm.TypeLookup,
			Targets: []string{AccountEntity, ContactEntity}, OnDelete: crm.DeleteRemoveLink},
		crm.Field{Name: LeadQualifyingOpportunity, Label: "Qualifying Opportunity", Type: crm.TypeLookup,
			Targets: []string{OpportunityEntity}, OnDelete: crm.DeleteRemoveLink},
	)
	return &crm.Entity{
		Name:        LeadEntity,
		Label:       "Lead",
		PrimaryName: LeadFullName,
		Fields:      fields,
		Lifecycle:   LeadLifecycle(),
		Rules:       leadRules(),
	}
}

// leadFullName computes a lead's full name as a contact's is: first and
// last name (Dynamics' default format leaves the middle name out).
func leadFullName(f crm.Fields) any { return fullName(f) }
