package sales

import (
	"errors"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// The fields a registry with a base currency adds to leads (see
// crm.Registry.SetBaseCurrency): the lead's exchange rate and its money in
// the base currency. The write path keeps them.
const (
	LeadExchangeRate        = crm.FieldExchangeRate
	LeadEstimatedAmountBase = LeadEstimatedAmount + crm.BaseSuffix
	LeadBudgetAmountBase    = LeadBudgetAmount + crm.BaseSuffix
	LeadRevenueBase         = LeadRevenue + crm.BaseSuffix
)

// Lead is a prospective customer not yet qualified (Dynamics' lead): a
// person, the company they work for and the deal they might bring. See
// the package doc for the conventions of typed records and for what
// qualifying a lead makes of it (Leads.Qualify).
type Lead struct {
	crm.Header
	Subject    string // the topic; required, at most 300 characters
	FirstName  string
	MiddleName string
	LastName   string // required
	// FullName is computed by the write path from FirstName and LastName;
	// what a caller puts here is ignored.
	FullName    string
	CompanyName string // becomes the account's name on qualification
	JobTitle    string
	Email       string
	Email2      string
	Email3      string
	Telephone   string // business phone
	HomePhone   string
	OtherPhone  string
	MobilePhone string
	Website     string
	Address     Address
	Source      LeadSource
	Rating      Rating
	// EstimatedAmount is the deal's estimated value; it becomes the
	// opportunity's estimated revenue on qualification.
	EstimatedAmount    *crm.Money
	EstimatedCloseDate time.Time // date only: midnight UTC
	BudgetAmount       *crm.Money
	// The qualification option sets start at 0, which is a value: nil
	// is null.
	BudgetStatus      *BudgetStatus
	PurchaseTimeframe *PurchaseTimeframe
	PurchaseProcess   *PurchaseProcess
	Need              *Need
	Revenue           *crm.Money // the company's annual revenue
	NumberOfEmployees *int64
	Industry          Industry
	SIC               string
	DoNotEmail        bool
	DoNotPhone        bool
	Description       string
	// ParentAccount and ParentContact are the lead's "Existing Account"
	// and "Existing Contact": qualifying attaches to them instead of
	// creating new ones. Qualifying sets them to the records the lead
	// became.
	ParentAccount crm.Ref
	ParentContact crm.Ref
	// Customer is the account (else the contact) the lead became,
	// set on qualification.
	Customer crm.Ref
	// QualifyingOpportunity is the opportunity qualifying the lead
	// created. Only Leads.Qualify (or an import) sets it: the write path
	// refuses any other write that does.
	QualifyingOpportunity crm.Ref

	// Kept by the write path when the registry has a base currency, nil
	// otherwise; never written from here (see Account).
	ExchangeRate        *decimal.Decimal
	EstimatedAmountBase *crm.Money
	BudgetAmountBase    *crm.Money
	RevenueBase         *crm.Money

	// Extra holds the fields of the lead record that Lead does not
	// declare: a host's custom fields, as Account.Extra does.
	Extra crm.Fields
}

// LeadState returns the lead's state.
func (l Lead) LeadState() LeadState { return LeadState(l.State) }

// LeadStatus returns the lead's status reason.
func (l Lead) LeadStatus() LeadStatus { return LeadStatus(l.Status) }

// IsOpen reports whether the lead is Open: editable, and not yet
// qualified or disqualified.
func (l Lead) IsOpen() bool { return l.LeadState() == LeadStateOpen }

// Ref returns a reference to the lead, for lookups.
func (l Lead) Ref() crm.Ref { return LeadRef(l.ID) }

// LeadRef returns a reference to the lead with the given ID.
func LeadRef(id crm.ID) crm.Ref { return crm.Ref{Entity: LeadEntity, ID: id} }

// LeadCodec converts between Lead and lead records, for storage.Table.
// FullName and the base-currency fields are read, never written.
func LeadCodec() storage.Codec[Lead] {
	return storage.Codec[Lead]{Entity: LeadEntity, Encode: encodeLead, Decode: decodeLead}
}

// leadReadOnly names the fields Lead's members decode only.
var leadReadOnly = []string{LeadFullName, LeadExchangeRate, LeadEstimatedAmountBase, LeadBudgetAmountBase, LeadRevenueBase}

// leadKnown names the fields Lead's members encode.
var leadKnown = sync.OnceValue(func() map[string]bool { return fieldSet(leadFields(Lead{})) })

func encodeLead(l Lead) crm.Record {
	return encodeTyped(LeadEntity, l.Header, leadFields(l), l.Extra, leadKnown(), leadReadOnly)
}

// leadFields returns the fields l's members hold.
func leadFields(l Lead) crm.Fields {
	f := crm.Fields{
		LeadSubject:               text(l.Subject),
		LeadFirstName:             text(l.FirstName),
		LeadMiddleName:            text(l.MiddleName),
		LeadLastName:              text(l.LastName),
		LeadCompanyName:           text(l.CompanyName),
		LeadJobTitle:              text(l.JobTitle),
		LeadEmail:                 text(l.Email),
		LeadEmail2:                text(l.Email2),
		LeadEmail3:                text(l.Email3),
		LeadTelephone:             text(l.Telephone),
		LeadHomePhone:             text(l.HomePhone),
		LeadOtherPhone:            text(l.OtherPhone),
		LeadMobilePhone:           text(l.MobilePhone),
		LeadWebsite:               text(l.Website),
		LeadSourceCode:            choice(l.Source),
		LeadQuality:               choice(l.Rating),
		LeadEstimatedAmount:       optional(l.EstimatedAmount),
		LeadEstimatedCloseDate:    unlessZero(l.EstimatedCloseDate),
		LeadBudgetAmount:          optional(l.BudgetAmount),
		LeadBudgetStatus:          optionalChoice(l.BudgetStatus),
		LeadPurchaseTimeframe:     optionalChoice(l.PurchaseTimeframe),
		LeadPurchaseProcess:       optionalChoice(l.PurchaseProcess),
		LeadNeed:                  optionalChoice(l.Need),
		LeadRevenue:               optional(l.Revenue),
		LeadNumberOfEmployees:     optional(l.NumberOfEmployees),
		LeadIndustry:              choice(l.Industry),
		LeadSIC:                   text(l.SIC),
		LeadDoNotEmail:            l.DoNotEmail,
		LeadDoNotPhone:            l.DoNotPhone,
		LeadDescription:           text(l.Description),
		LeadParentAccount:         unlessZero(l.ParentAccount),
		LeadParentContact:         unlessZero(l.ParentContact),
		LeadCustomer:              unlessZero(l.Customer),
		LeadQualifyingOpportunity: unlessZero(l.QualifyingOpportunity),
	}
	l.Address.encode(f, addressPrefix)
	return f
}

func decodeLead(rec crm.Record) (Lead, error) {
	f := rec.Fields
	l := Lead{
		Header:                rec.Header,
		Subject:               f.String(LeadSubject),
		FirstName:             f.String(LeadFirstName),
		MiddleName:            f.String(LeadMiddleName),
		LastName:              f.String(LeadLastName),
		FullName:              f.String(LeadFullName),
		CompanyName:           f.String(LeadCompanyName),
		JobTitle:              f.String(LeadJobTitle),
		Email:                 f.String(LeadEmail),
		Email2:                f.String(LeadEmail2),
		Email3:                f.String(LeadEmail3),
		Telephone:             f.String(LeadTelephone),
		HomePhone:             f.String(LeadHomePhone),
		OtherPhone:            f.String(LeadOtherPhone),
		MobilePhone:           f.String(LeadMobilePhone),
		Website:               f.String(LeadWebsite),
		Address:               decodeAddress(f, addressPrefix),
		EstimatedAmount:       optionalField[crm.Money](f, LeadEstimatedAmount),
		EstimatedCloseDate:    f.Time(LeadEstimatedCloseDate),
		BudgetAmount:          optionalField[crm.Money](f, LeadBudgetAmount),
		Revenue:               optionalField[crm.Money](f, LeadRevenue),
		NumberOfEmployees:     optionalField[int64](f, LeadNumberOfEmployees),
		SIC:                   f.String(LeadSIC),
		DoNotEmail:            f.Bool(LeadDoNotEmail),
		DoNotPhone:            f.Bool(LeadDoNotPhone),
		Description:           f.String(LeadDescription),
		ParentAccount:         f.Ref(LeadParentAccount),
		ParentContact:         f.Ref(LeadParentContact),
		Customer:              f.Ref(LeadCustomer),
		QualifyingOpportunity: f.Ref(LeadQualifyingOpportunity),
		ExchangeRate:          optionalField[decimal.Decimal](f, LeadExchangeRate),
		EstimatedAmountBase:   optionalField[crm.Money](f, LeadEstimatedAmountBase),
		BudgetAmountBase:      optionalField[crm.Money](f, LeadBudgetAmountBase),
		RevenueBase:           optionalField[crm.Money](f, LeadRevenueBase),
		Extra:                 extraFields(f, leadKnown(), leadReadOnly...),
	}
	var errs [7]error
	l.Source, errs[0] = leadSources.decode(f, LeadSourceCode)
	l.Rating, errs[1] = ratings.decode(f, LeadQuality)
	l.Industry, errs[2] = industries.decode(f, LeadIndustry)
	l.BudgetStatus, errs[3] = budgetStatuses.decodePtr(f, LeadBudgetStatus)
	l.PurchaseTimeframe, errs[4] = purchaseTimeframes.decodePtr(f, LeadPurchaseTimeframe)
	l.PurchaseProcess, errs[5] = purchaseProcesses.decodePtr(f, LeadPurchaseProcess)
	l.Need, errs[6] = needs.decodePtr(f, LeadNeed)
	return l, errors.Join(errs[:]...)
}
