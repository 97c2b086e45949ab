package sales

import (
	"fmt"
	"strings"

	"github.com/crmkit/crmkit/activity"
	"github.com/crmkit/crmkit/crm"
	"github.com/shopspring/decimal"
)

// Logical names of the account and contact entities (the lead's,
// opportunity's and competitor's are beside their metadata).
const (
	AccountEntity = "account"
	ContactEntity = "contact"
)

// Logical field names of account, for queries and sorting
// (crm.Eq(sales.AccountCity, "Paris")). The system fields (statecode,
// createdon, ...) are crm's Field constants.
const (
	AccountName              = "name"
	AccountNumber            = "accountnumber"
	AccountEmail             = "emailaddress1"
	AccountTelephone         = "telephone1"
	AccountWebsite           = "websiteurl"
	AccountLine1             = "address1_line1"
	AccountCity              = "address1_city"
	AccountStateOrProvince   = "address1_stateorprovince"
	AccountPostalCode        = "address1_postalcode"
	AccountCountry           = "address1_country"
	AccountParent            = "parentaccountid"
	AccountPrimaryContact    = "primarycontactid"
	AccountCustomerType      = "customertypecode"
	AccountIndustry          = "industrycode"
	AccountOwnership         = "ownershipcode"
	AccountRevenue           = "revenue"
	AccountNumberOfEmployees = "numberofemployees"
	AccountCreditLimit       = "creditlimit"
	AccountCreditOnHold      = "creditonhold"
	AccountDescription       = "description"
	// The fields a registry with a base currency adds (see
	// crm.Registry.SetBaseCurrency): the account's exchange rate and its
	// money in the base currency. The write path keeps them.
	AccountExchangeRate    = crm.FieldExchangeRate
	AccountRevenueBase     = AccountRevenue + crm.BaseSuffix
	AccountCreditLimitBase = AccountCreditLimit + crm.BaseSuffix
)

// Logical field names of contact, for queries and sorting.
const (
	ContactFirstName       = "firstname"
	ContactLastName        = "lastname"
	ContactFullName        = "fullname"
	ContactJobTitle        = "jobtitle"
	ContactEmail           = "emailaddress1"
	ContactTelephone       = "telephone1"
	ContactMobilePhone     = "mobilephone"
	ContactParentCustomer  = "parentcustomerid"
	ContactBirthDate       = "birthdate"
	ContactLine1           = "address1_line1"
	ContactCity            = "address1_city"
	ContactStateOrProvince = "address1_stateorprovince"
	ContactPostalCode      = "address1_postalcode"
	ContactCountry         = "address1_country"
	ContactDescription     = "description"
)

// Register adds the account and contact entities to reg, with their rules
// (AccountMetadata, ContactMetadata), so every store built on reg enforces
// them. They refer to each other (an account's primary contact, a
// contact's parent customer), so they are registered together; registering
// them twice fails with crm.ErrDuplicate.
//
// Accounts and contacts enable activities: they can be the regarding
// record and the parties of activities of every type (activity.Enable,
// activity.EnableParties), so deleting one deletes the activities
// regarding it. Register registers the activity entities first
// (activity.Register) unless reg holds them already, so that a host
// needs one call for sales and may register activities itself before,
// custom activity types included.
func Register(reg *crm.Registry) error {
	// The catalog first: an opportunity's price list is one of its
	// entities.
	if err := registerCatalog(reg); err != nil {
		return fmt.Errorf("register sales: %w", err)
	}
	if err := reg.Register(AccountMetadata(), ContactMetadata(), LeadMetadata(), OpportunityMetadata(), CompetitorMetadata()); err != nil {
		return fmt.Errorf("register sales: %w", err)
	}
	if err := registerOpportunityLines(reg); err != nil {
		return fmt.Errorf("register sales: %w", err)
	}
	if err := registerDocuments(reg); err != nil {
		return fmt.Errorf("register sales: %w", err)
	}
	if err := reg.RegisterManyToMany(opportunityCompetitors()); err != nil {
		return fmt.Errorf("register sales: %w", err)
	}
	if err := registerProcess(reg); err != nil {
		return fmt.Errorf("register sales: %w", err)
	}
	// The counters of document numbers (Numbering).
	if err := reg.Register(NumberSequenceMetadata()); err != nil {
		return fmt.Errorf("register sales: %w", err)
	}
	// Accounts and contacts a qualification creates point back at their
	// lead. The field is added here, not in AccountMetadata and
	// ContactMetadata, which a host may register without leads.
	for _, e := range []string{AccountEntity, ContactEntity} {
		if err := reg.AddFields(e, originatingLead()); err != nil {
			return fmt.Errorf("register sales: %w", err)
		}
	}
	if !activity.Registered(reg) {
		if err := activity.Register(reg); err != nil {
			return fmt.Errorf("register sales: %w", err)
		}
	}
	if err := activity.Enable(reg, AccountEntity, ContactEntity, LeadEntity, OpportunityEntity, CompetitorEntity,
		QuoteEntity, OrderEntity, InvoiceEntity); err != nil {
		return fmt.Errorf("register sales: %w", err)
	}
	if err := activity.EnableParties(reg, AccountEntity, ContactEntity, LeadEntity); err != nil {
		return fmt.Errorf("register sales: %w", err)
	}
	// The opportunity-close activity names the opportunity it closes and
	// the competitor that won a lost deal.
	for field, target := range map[string]string{activity.FieldOpportunity: OpportunityEntity, activity.FieldCompetitor: CompetitorEntity} {
		if err := reg.AddTargets(activity.OpportunityClose, field, target); err != nil {
			return fmt.Errorf("register sales: %w", err)
		}
	}
	// The quote-close and order-close activities name what they close.
	if err := reg.AddTargets(activity.QuoteClose, activity.FieldQuote, QuoteEntity); err != nil {
		return fmt.Errorf("register sales: %w", err)
	}
	if err := reg.AddTargets(activity.OrderClose, activity.FieldOrder, OrderEntity); err != nil {
		return fmt.Errorf("register sales: %w", err)
	}
	return nil
}

// address returns the address1_* fields Dynamics puts on accounts and
// contacts, with Dynamics' lengths.
func address() []crm.Field { return addressFields(addressPrefix) }

// addressFields returns the fields of an address whose field names start
// with prefix: address1_ on accounts and contacts, billto_ and shipto_ on
// quotes, orders and invoices.
func addressFields(prefix string) []crm.Field {
	return []crm.Field{
		{Name: prefix + "line1", Label: "Street 1", Type: crm.TypeText, MaxLength: 250},
		{Name: prefix + "city", Label: "City", Type: crm.TypeText, MaxLength: 80},
		{Name: prefix + "stateorprovince", Label: "State/Province", Type: crm.TypeText, MaxLength: 50},
		{Name: prefix + "postalcode", Label: "ZIP/Postal Code", Type: crm.TypeText, MaxLength: 20},
		{Name: prefix + "country", Label: "Country/Region", Type: crm.TypeText, MaxLength: 80},
	}
}

func decimalPtr(n int64) *decimal.Decimal {
	d := decimal.NewFromInt(n)
	return &d
}

// AccountMetadata returns the account entity as Dynamics declares it
// (sales.md §3.1), without the fields later modules add (originating
// lead, price list), with the module's rule: the primary contact must be a
// contact of the account. Each call returns a new value: register it,
// extend it for a host's own registry, or read it.
func AccountMetadata() *crm.Entity {
	fields := []crm.Field{
		{Name: AccountName, Label: "Account Name", Type: crm.TypeText, MaxLength: 160, Required: true},
		{Name: AccountNumber, Label: "Account Number", Type: crm.TypeText, MaxLength: 20},
		{Name: AccountEmail, Label: "Email", Type: crm.TypeText, MaxLength: 100},
		{Name: AccountTelephone, Label: "Main Phone", Type: crm.TypeText, MaxLength: 50},
		{Name: AccountWebsite, Label: "Website", Type: crm.TypeText, MaxLength: 200},
	}
	fields = append(fields, address()...)
	fields = append(fields,
		// account_parent_account: a hierarchy; deleting a parent leaves
		// its sub-accounts in place, unparented.
		crm.Field{Name: AccountParent, Label: "Parent Account", Type: crm.TypeLookup,
			Targets: []string{AccountEntity}, OnDelete: crm.DeleteRemoveLink, Hierarchical: true},
		// account_primary_contact: referential.
		crm.Field{Name: AccountPrimaryContact, Label: "Primary Contact", Type: crm.TypeLookup,
			Targets: []string{ContactEntity}, OnDelete: crm.DeleteRemoveLink},
		crm.Field{Name: AccountCustomerType, Label: "Relationship Type", Type: crm.TypeChoice, Options: customerTypes.choices()},
		crm.Field{Name: AccountIndustry, Label: "Industry", Type: crm.TypeChoice, Options: industries.choices()},
		crm.Field{Name: AccountOwnership, Label: "Ownership", Type: crm.TypeChoice, Options: ownerships.choices()},
		crm.Field{Name: AccountRevenue, Label: "Annual Revenue", Type: crm.TypeMoney, Min: decimalPtr(0)},
		crm.Field{Name: AccountNumberOfEmployees, Label: "Number of Employees", Type: crm.TypeInteger,
			Min: decimalPtr(0), Max: decimalPtr(1_000_000_000)},
		crm.Field{Name: AccountCreditLimit, Label: "Credit Limit", Type: crm.TypeMoney, Min: decimalPtr(0)},
		crm.Field{Name: AccountCreditOnHold, Label: "Credit Hold", Type: crm.TypeBool},
		crm.Field{Name: AccountDescription, Label: "Description", Type: crm.TypeText, MaxLength: 2000},
	)
	return &crm.Entity{
		Name:        AccountEntity,
		Label:       "Account",
		PrimaryName: AccountName,
		Fields:      fields,
		Lifecycle:   AccountLifecycle(),
		Rules:       accountRules(),
	}
}

// ContactMetadata returns the contact entity as Dynamics declares it
// (sales.md §3.2), without the fields later modules add, with the
// module's rule: a contact cannot be its own parent customer or ancestor.
// Each call returns a new value.
func ContactMetadata() *crm.Entity {
	fields := []crm.Field{
		{Name: ContactFirstName, Label: "First Name", Type: crm.TypeText, MaxLength: 50},
		{Name: ContactLastName, Label: "Last Name", Type: crm.TypeText, MaxLength: 50, Required: true},
		{Name: ContactFullName, Label: "Full Name", Type: crm.TypeText, MaxLength: 160, Compute: fullName},
		{Name: ContactJobTitle, Label: "Job Title", Type: crm.TypeText, MaxLength: 100},
		{Name: ContactEmail, Label: "Email", Type: crm.TypeText, MaxLength: 100},
		{Name: ContactTelephone, Label: "Business Phone", Type: crm.TypeText, MaxLength: 50},
		{Name: ContactMobilePhone, Label: "Mobile Phone", Type: crm.TypeText, MaxLength: 50},
		// contact_customer_accounts and contact_customer_contacts: parental,
		// so deleting the company deletes its contacts.
		{Name: ContactParentCustomer, Label: "Company Name", Type: crm.TypeLookup,
			Targets: []string{AccountEntity, ContactEntity}, OnDelete: crm.DeleteCascade},
		{Name: ContactBirthDate, Label: "Birthday", Type: crm.TypeTime, DateOnly: true},
	}
	fields = append(fields, address()...)
	fields = append(fields, crm.Field{Name: ContactDescription, Label: "Description", Type: crm.TypeText, MaxLength: 2000})
	return &crm.Entity{
		Name:        ContactEntity,
		Label:       "Contact",
		PrimaryName: ContactFullName,
		Fields:      fields,
		Lifecycle:   ContactLifecycle(),
		Rules:       contactRules(),
	}
}

// fullName computes a contact's full name: first and last name joined by a
// space (Dynamics' default "First Name Last Name" format), null when both
// are empty.
func fullName(f crm.Fields) any {
	name := strings.TrimSpace(strings.TrimSpace(f.String(ContactFirstName)) + " " + strings.TrimSpace(f.String(ContactLastName)))
	if name == "" {
		return nil
	}
	return name
}
