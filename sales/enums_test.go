package sales_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/stretchr/testify/require"
)

// enum is what every typed option set offers.
type enum interface {
	~int32
	String() string
	Valid() bool
	MarshalText() ([]byte, error)
}

// roundTrip checks one enum against the table its values are published in
// (a choice field's options, a lifecycle's states): every option is a Valid
// value whose String is its label and that parses back from its label, its
// number and its text form, and no other number is Valid.
func roundTrip[T enum](t *testing.T, options []crm.Option, parse func(string) (T, error), unmarshal func(*T, []byte) error) {
	t.Helper()
	require.NotEmpty(t, options)
	published := map[int32]bool{}
	for _, o := range options {
		require.False(t, published[o.Value], "value %d twice", o.Value)
		published[o.Value] = true
		v := T(o.Value)
		require.True(t, v.Valid(), "%d", o.Value)
		require.Equal(t, o.Label, v.String())

		got, err := parse(o.Label)
		require.NoError(t, err)
		require.Equal(t, v, got)

		got, err = parse(fmt.Sprint(o.Value))
		require.NoError(t, err)
		require.Equal(t, v, got)

		b, err := v.MarshalText()
		require.NoError(t, err)
		require.Equal(t, v.String(), string(b))
		var back T
		require.NoError(t, unmarshal(&back, b))
		require.Equal(t, v, back)
	}
	for n := int32(-1); n <= 100; n++ {
		require.Equal(t, published[n], T(n).Valid(), "Valid(%d) disagrees with the table", n)
	}
	require.False(t, T(99_999).Valid())
	require.Equal(t, "99999", T(99_999).String(), "an unknown value prints as its number")
	_, err := parse("99999")
	require.ErrorIs(t, err, crm.ErrValidation)
	_, err = parse("no such label")
	require.ErrorIs(t, err, crm.ErrValidation)
}

// requireNumbered checks that constants, in declaration order, are the
// published numbers first, first+1, ...
func requireNumbered[T ~int32](t *testing.T, first int32, constants ...T) {
	t.Helper()
	for i, c := range constants {
		require.Equal(t, first+int32(i), int32(c), "constant %d", i)
	}
}

// stateOptions and statusOptions list a lifecycle's states and status
// reasons as options, for roundTrip.
func stateOptions(lc *crm.Lifecycle) []crm.Option {
	var out []crm.Option
	for _, s := range lc.States {
		out = append(out, crm.Option{Value: int32(s.Code), Label: s.Name})
	}
	return out
}

func statusOptions(lc *crm.Lifecycle) []crm.Option {
	var out []crm.Option
	for _, s := range lc.Statuses {
		out = append(out, crm.Option{Value: int32(s.Code), Label: s.Name})
	}
	return out
}

func TestEnumsRoundTrip(t *testing.T) {
	account := sales.AccountMetadata()
	optionsOf := func(name string) []crm.Option {
		for _, f := range account.Fields {
			if f.Name == name {
				return f.Options
			}
		}
		t.Fatalf("no field %s", name)
		return nil
	}

	t.Run("customer type: the 12 OOB values", func(t *testing.T) {
		options := optionsOf(sales.AccountCustomerType)
		require.Len(t, options, 12)
		requireNumbered(t, 1, sales.CustomerTypeCompetitor, sales.CustomerTypeConsultant, sales.CustomerTypeCustomer,
			sales.CustomerTypeInvestor, sales.CustomerTypePartner, sales.CustomerTypeInfluencer, sales.CustomerTypePress,
			sales.CustomerTypeProspect, sales.CustomerTypeReseller, sales.CustomerTypeSupplier, sales.CustomerTypeVendor,
			sales.CustomerTypeOther)
		require.Equal(t, "Competitor", sales.CustomerTypeCompetitor.String())
		require.Equal(t, "Other", sales.CustomerTypeOther.String())
		roundTrip(t, options, sales.ParseCustomerType, (*sales.CustomerType).UnmarshalText)
	})
	t.Run("industry: the 33 OOB values, 1 Accounting to 33 Wholesale", func(t *testing.T) {
		options := optionsOf(sales.AccountIndustry)
		require.Len(t, options, 33)
		for i, o := range options {
			require.Equal(t, int32(i+1), o.Value)
		}
		requireNumbered(t, 1, sales.IndustryAccounting, sales.IndustryAgriculture, sales.IndustryBroadcasting,
			sales.IndustryBrokers, sales.IndustryBuildingSupplyRetail, sales.IndustryBusinessServices,
			sales.IndustryConsulting, sales.IndustryConsumerServices, sales.IndustryDesign, sales.IndustryDistributors,
			sales.IndustryDoctorsOffices, sales.IndustryDurableManufacturing, sales.IndustryEatingAndDrinking,
			sales.IndustryEntertainmentRetail, sales.IndustryEquipmentRental, sales.IndustryFinancial,
			sales.IndustryFoodAndTobacco, sales.IndustryInboundCapitalIntensive, sales.IndustryInboundRepair,
			sales.IndustryInsurance, sales.IndustryLegalServices, sales.IndustryNonDurableRetail,
			sales.IndustryOutboundConsumerServices, sales.IndustryPetrochemical, sales.IndustryServiceRetail,
			sales.IndustrySIGAffiliations, sales.IndustrySocialServices, sales.IndustrySpecialOutboundTrade,
			sales.IndustrySpecialtyRealty, sales.IndustryTransportation, sales.IndustryUtility,
			sales.IndustryVehicleRetail, sales.IndustryWholesale)
		require.Equal(t, "Accounting", sales.IndustryAccounting.String())
		require.Equal(t, "Wholesale", sales.IndustryWholesale.String())
		roundTrip(t, options, sales.ParseIndustry, (*sales.Industry).UnmarshalText)
	})
	t.Run("ownership", func(t *testing.T) {
		requireNumbered(t, 1, sales.OwnershipPublic, sales.OwnershipPrivate, sales.OwnershipSubsidiary, sales.OwnershipOther)
		roundTrip(t, optionsOf(sales.AccountOwnership), sales.ParseOwnership, (*sales.Ownership).UnmarshalText)
	})
	t.Run("states and status reasons match the lifecycles", func(t *testing.T) {
		account, contact := sales.AccountLifecycle(), sales.ContactLifecycle()
		roundTrip(t, stateOptions(account), sales.ParseAccountState, (*sales.AccountState).UnmarshalText)
		roundTrip(t, statusOptions(account), sales.ParseAccountStatus, (*sales.AccountStatus).UnmarshalText)
		roundTrip(t, stateOptions(contact), sales.ParseContactState, (*sales.ContactState).UnmarshalText)
		roundTrip(t, statusOptions(contact), sales.ParseContactStatus, (*sales.ContactStatus).UnmarshalText)
		for _, lc := range []*crm.Lifecycle{account, contact} {
			require.Len(t, lc.States, 2)
			for _, s := range lc.States {
				require.True(t, sales.AccountState(s.Code).Valid())
				require.Equal(t, s.Name, sales.AccountState(s.Code).String())
				require.True(t, sales.AccountStatus(s.DefaultStatus).Valid())
				require.Equal(t, s.Name, sales.AccountStatus(s.DefaultStatus).String())
			}
		}
		require.Equal(t, account, contact, "Dynamics gives accounts and contacts the same lifecycle")
		requireNumbered(t, 0, sales.AccountStateActive, sales.AccountStateInactive)
		requireNumbered(t, 1, sales.AccountStatusActive, sales.AccountStatusInactive)
		requireNumbered(t, 0, sales.ContactStateActive, sales.ContactStateInactive)
		requireNumbered(t, 1, sales.ContactStatusActive, sales.ContactStatusInactive)
	})
	t.Run("the zero value is null and reads back as null", func(t *testing.T) {
		var zero sales.Industry
		require.False(t, zero.Valid(), "no value is not a published value")
		require.Equal(t, "", zero.String())
		v, err := sales.ParseIndustry("")
		require.NoError(t, err)
		require.Zero(t, v)
		var none sales.AccountStatus
		require.False(t, none.Valid())
		require.Equal(t, "", none.String())
	})
	t.Run("a state's zero value is Active, never null", func(t *testing.T) {
		var account sales.AccountState
		require.Equal(t, sales.AccountStateActive, account)
		require.True(t, account.Valid())
		require.Equal(t, "Active", account.String())
		var contact sales.ContactState
		require.Equal(t, sales.ContactStateActive, contact)
		_, err := sales.ParseAccountState("")
		require.ErrorIs(t, err, crm.ErrValidation, "a state is never null")
		_, err = sales.ParseContactState("")
		require.ErrorIs(t, err, crm.ErrValidation, "a state is never null")
	})
	t.Run("labels parse in any case and marshal as JSON text", func(t *testing.T) {
		v, err := sales.ParseIndustry("doctor's offices and clinics")
		require.NoError(t, err)
		require.Equal(t, sales.IndustryDoctorsOffices, v)
		b, err := json.Marshal(struct{ I sales.Industry }{sales.IndustryFinancial})
		require.NoError(t, err)
		require.JSONEq(t, `{"I":"Financial"}`, string(b))
		var back struct{ I sales.Industry }
		require.NoError(t, json.Unmarshal(b, &back))
		require.Equal(t, sales.IndustryFinancial, back.I)
		require.Error(t, json.Unmarshal([]byte(`{"I":"Mining"}`), &back))
	})
	t.Run("typed values survive the store", func(t *testing.T) {
		e := newEnv(t)
		for n := int32(1); n <= 33; n++ {
			ind := sales.Industry(n)
			a := e.account(t, sales.Account{Name: ind.String(), Industry: ind,
				CustomerType: sales.CustomerType(n%12 + 1),
				Ownership:    sales.Ownership(n%4 + 1)})
			got, err := e.accounts.Get(e.ctx, a.ID)
			require.NoError(t, err)
			require.Equal(t, ind, got.Industry)
			require.Equal(t, a.CustomerType, got.CustomerType)
			require.Equal(t, a.Ownership, got.Ownership)
		}
	})
	t.Run("a forged value is refused by the store, naming the field", func(t *testing.T) {
		e := newEnv(t)
		forged := sales.Industry(99)
		require.False(t, forged.Valid())
		_, err := e.accounts.Create(e.ctx, sales.Account{Name: "Forged", Industry: forged})
		requireInvalid(t, err, sales.AccountIndustry)

		a := e.account(t, sales.Account{Name: "Honest", CustomerType: sales.CustomerTypeCustomer})
		a.CustomerType = sales.CustomerType(-3)
		a.Ownership = sales.Ownership(5)
		_, err = e.accounts.Update(e.ctx, a)
		requireInvalid(t, err, sales.AccountCustomerType)
		requireInvalid(t, err, sales.AccountOwnership)
		got, err := e.accounts.Get(e.ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, sales.CustomerTypeCustomer, got.CustomerType, "a refused update changes nothing")
	})
	t.Run("a stored number no constant names does not decode", func(t *testing.T) {
		_, err := sales.AccountCodec().Decode(crm.Record{Entity: sales.AccountEntity, Fields: crm.Fields{
			sales.AccountName: "Legacy", sales.AccountIndustry: int32(99)}})
		require.ErrorIs(t, err, crm.ErrNotFound)
		require.ErrorContains(t, err, sales.AccountIndustry)
	})
}

func TestRegister(t *testing.T) {
	t.Run("registers account and contact", func(t *testing.T) {
		reg := crm.NewRegistry()
		require.NoError(t, sales.Register(reg))
		for _, name := range []string{sales.AccountEntity, sales.ContactEntity} {
			_, err := reg.Entity(name)
			require.NoError(t, err)
		}
	})
	t.Run("twice is a duplicate", func(t *testing.T) {
		reg := crm.NewRegistry()
		require.NoError(t, sales.Register(reg))
		require.ErrorIs(t, sales.Register(reg), crm.ErrDuplicate)
	})
	t.Run("metadata values are independent copies", func(t *testing.T) {
		a := sales.AccountMetadata()
		a.Fields[0].MaxLength = 1
		require.Equal(t, 160, sales.AccountMetadata().Fields[0].MaxLength)
	})
}

func TestOptionLabelsFromMetadata(t *testing.T) {
	reg := crm.NewRegistry()
	require.NoError(t, sales.Register(reg))
	accounts, err := reg.Entity(sales.AccountEntity)
	require.NoError(t, err)
	industry, ok := accounts.Field(sales.AccountIndustry)
	require.True(t, ok)

	t.Run("the typed enum and the metadata read one option list", func(t *testing.T) {
		for _, o := range industry.Options {
			label, ok := industry.OptionLabel(o.Value)
			require.True(t, ok)
			require.Equal(t, sales.Industry(o.Value).String(), label)
			v, err := industry.OptionValue(strings.ToUpper(label))
			require.NoError(t, err)
			require.Equal(t, o.Value, v)
		}
		label, ok := industry.OptionLabel(int32(sales.IndustryAccounting))
		require.True(t, ok)
		require.Equal(t, "Accounting", label)
		_, ok = industry.OptionLabel(99)
		require.False(t, ok)
	})
	t.Run("an unknown label is a validation error naming the field", func(t *testing.T) {
		_, err := industry.OptionValue("Alchemy")
		var verr *crm.ValidationError
		require.ErrorAs(t, err, &verr)
		require.True(t, verr.Has(sales.AccountIndustry))

		_, err = sales.ParseIndustry("Alchemy")
		require.ErrorAs(t, err, &verr)
		require.True(t, verr.Has(sales.AccountIndustry))
		require.NotErrorIs(t, err, crm.ErrNotFound)

		var x sales.Ownership
		require.ErrorIs(t, x.UnmarshalText([]byte("Alchemy")), crm.ErrValidation)
	})
}
