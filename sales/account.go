package sales

import (
	"errors"
	"sync"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// Account is a company or organization the business deals with (Dynamics'
// account). See the package doc for the conventions of typed records.
type Account struct {
	crm.Header
	Name              string // required, at most 160 characters
	AccountNumber     string
	Email             string
	Telephone         string
	Website           string
	Address           Address
	ParentAccount     crm.Ref // the account above this one in the hierarchy
	PrimaryContact    crm.Ref // a contact of this account
	CustomerType      CustomerType
	Industry          Industry
	Ownership         Ownership
	Revenue           *crm.Money
	NumberOfEmployees *int64
	CreditLimit       *crm.Money
	CreditOnHold      bool
	Description       string
	// OriginatingLead is the lead whose qualification created the
	// account (registered by Register; set by Leads.Qualify).
	OriginatingLead crm.Ref

	// Kept by the write path when the registry has a base currency, nil
	// otherwise; never written from here. ExchangeRate is the rate of
	// the account's currency captured when its money was last set;
	// RevenueBase and CreditLimitBase are its money in the base currency.
	ExchangeRate    *decimal.Decimal
	RevenueBase     *crm.Money
	CreditLimitBase *crm.Money

	// Extra holds the fields of the account record that Account does not
	// declare: a host's custom fields (see the package doc). Decode puts
	// every such field here; Encode writes them back, so they survive a
	// typed read-modify-write and can be set on create.
	Extra crm.Fields
}

// AccountState returns the account's state.
func (a Account) AccountState() AccountState { return AccountState(a.State) }

// AccountStatus returns the account's status reason.
func (a Account) AccountStatus() AccountStatus { return AccountStatus(a.Status) }

// IsActive reports whether the account is in the Active state.
func (a Account) IsActive() bool { return a.AccountState() == AccountStateActive }

// Ref returns a reference to the account, for lookups.
func (a Account) Ref() crm.Ref { return AccountRef(a.ID) }

// AccountRef returns a reference to the account with the given ID.
func AccountRef(id crm.ID) crm.Ref { return crm.Ref{Entity: AccountEntity, ID: id} }

// AccountCodec converts between Account and account records, for
// storage.Table.
func AccountCodec() storage.Codec[Account] {
	return storage.Codec[Account]{Entity: AccountEntity, Encode: encodeAccount, Decode: decodeAccount}
}

func encodeAccount(a Account) crm.Record {
	return encodeTyped(AccountEntity, a.Header, accountFields(a), a.Extra, accountKnown(), accountReadOnly)
}

// accountFields returns the fields a's members hold.
func accountFields(a Account) crm.Fields {
	f := crm.Fields{
		AccountName:              text(a.Name),
		AccountNumber:            text(a.AccountNumber),
		AccountEmail:             text(a.Email),
		AccountTelephone:         text(a.Telephone),
		AccountWebsite:           text(a.Website),
		AccountParent:            unlessZero(a.ParentAccount),
		AccountPrimaryContact:    unlessZero(a.PrimaryContact),
		AccountCustomerType:      choice(a.CustomerType),
		AccountIndustry:          choice(a.Industry),
		AccountOwnership:         choice(a.Ownership),
		AccountRevenue:           optional(a.Revenue),
		AccountNumberOfEmployees: optional(a.NumberOfEmployees),
		AccountCreditLimit:       optional(a.CreditLimit),
		AccountCreditOnHold:      a.CreditOnHold,
		AccountDescription:       text(a.Description),
		FieldOriginatingLead:     unlessZero(a.OriginatingLead),
	}
	a.Address.encode(f, addressPrefix)
	return f
}

// accountKnown names the fields Account's members encode.
var accountKnown = sync.OnceValue(func() map[string]bool { return fieldSet(accountFields(Account{})) })

// accountReadOnly names the fields Account's members decode only.
var accountReadOnly = []string{AccountExchangeRate, AccountRevenueBase, AccountCreditLimitBase}

func decodeAccount(rec crm.Record) (Account, error) {
	f := rec.Fields
	a := Account{
		Header:            rec.Header,
		Name:              f.String(AccountName),
		AccountNumber:     f.String(AccountNumber),
		Email:             f.String(AccountEmail),
		Telephone:         f.String(AccountTelephone),
		Website:           f.String(AccountWebsite),
		Address:           decodeAddress(f, addressPrefix),
		ParentAccount:     f.Ref(AccountParent),
		PrimaryContact:    f.Ref(AccountPrimaryContact),
		Revenue:           optionalField[crm.Money](f, AccountRevenue),
		NumberOfEmployees: optionalField[int64](f, AccountNumberOfEmployees),
		CreditLimit:       optionalField[crm.Money](f, AccountCreditLimit),
		CreditOnHold:      f.Bool(AccountCreditOnHold),
		Description:       f.String(AccountDescription),
		OriginatingLead:   f.Ref(FieldOriginatingLead),
		ExchangeRate:      optionalField[decimal.Decimal](f, AccountExchangeRate),
		RevenueBase:       optionalField[crm.Money](f, AccountRevenueBase),
		CreditLimitBase:   optionalField[crm.Money](f, AccountCreditLimitBase),
		Extra:             extraFields(f, accountKnown(), accountReadOnly...),
	}
	var errs [3]error
	a.CustomerType, errs[0] = customerTypes.decode(f, AccountCustomerType)
	a.Industry, errs[1] = industries.decode(f, AccountIndustry)
	a.Ownership, errs[2] = ownerships.decode(f, AccountOwnership)
	return a, errors.Join(errs[:]...)
}
