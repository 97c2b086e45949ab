package sales_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/stretchr/testify/require"
)

func errorsIsConflict(err error) bool { return errors.Is(err, crm.ErrConflict) }

// enum is what every typed option set offers.
type enum interface {
	comparable
	Value() int32
	String() string
	MarshalText() ([]byte, error)
}

// roundTrip checks every value of one enum through its number, its label,
// its text form and a stored record, and checks that the metadata offers
// exactly those values.
func roundTrip[T enum](t *testing.T, values []T, of func(int32) (T, error), parse func(string) (T, error), field *crm.Field) {
	t.Helper()
	require.NotEmpty(t, values)
	seen := map[int32]bool{}
	for _, v := range values {
		require.False(t, seen[v.Value()], "value %d twice", v.Value())
		seen[v.Value()] = true

		got, err := of(v.Value())
		require.NoError(t, err)
		require.Equal(t, v, got)

		got, err = parse(v.String())
		require.NoError(t, err)
		require.Equal(t, v, got)

		got, err = parse(fmt.Sprint(v.Value()))
		require.NoError(t, err)
		require.Equal(t, v, got)

		b, err := v.MarshalText()
		require.NoError(t, err)
		require.Equal(t, v.String(), string(b))

		if field != nil {
			o, ok := field.Option(v.Value())
			require.True(t, ok, "metadata lacks %d", v.Value())
			require.Equal(t, o.Label, v.String())
		}
	}
	if field != nil {
		require.Len(t, field.Options, len(values))
	}
	_, err := of(99_999)
	require.ErrorIs(t, err, crm.ErrNotFound)
	_, err = parse("no such label")
	require.ErrorIs(t, err, crm.ErrNotFound)
}

func TestEnumsRoundTrip(t *testing.T) {
	account := sales.AccountMetadata()
	fieldOf := func(name string) *crm.Field {
		for i := range account.Fields {
			if account.Fields[i].Name == name {
				return &account.Fields[i]
			}
		}
		t.Fatalf("no field %s", name)
		return nil
	}

	t.Run("customer type: the 12 OOB values", func(t *testing.T) {
		require.Len(t, sales.CustomerTypeValues(), 12)
		require.Equal(t, int32(1), sales.CustomerTypeCompetitor.Value())
		require.Equal(t, int32(12), sales.CustomerTypeOther.Value())
		roundTrip(t, sales.CustomerTypeValues(), sales.CustomerTypeOf, sales.ParseCustomerType, fieldOf(sales.AccountCustomerType))
	})
	t.Run("industry: the 33 OOB values, 1 Accounting to 33 Wholesale", func(t *testing.T) {
		vs := sales.IndustryValues()
		require.Len(t, vs, 33)
		for i, v := range vs {
			require.Equal(t, int32(i+1), v.Value())
		}
		require.Equal(t, "Accounting", sales.IndustryAccounting.String())
		require.Equal(t, "Wholesale", sales.IndustryWholesale.String())
		roundTrip(t, vs, sales.IndustryOf, sales.ParseIndustry, fieldOf(sales.AccountIndustry))
	})
	t.Run("ownership", func(t *testing.T) {
		roundTrip(t, sales.OwnershipValues(), sales.OwnershipOf, sales.ParseOwnership, fieldOf(sales.AccountOwnership))
	})
	t.Run("states and status reasons match the lifecycles", func(t *testing.T) {
		roundTrip(t, sales.AccountStateValues(), sales.AccountStateOf, sales.ParseAccountState, nil)
		roundTrip(t, sales.AccountStatusValues(), sales.AccountStatusOf, sales.ParseAccountStatus, nil)
		roundTrip(t, sales.ContactStateValues(), sales.ContactStateOf, sales.ParseContactState, nil)
		roundTrip(t, sales.ContactStatusValues(), sales.ContactStatusOf, sales.ParseContactStatus, nil)
		for _, lc := range []*crm.Lifecycle{sales.AccountLifecycle(), sales.ContactLifecycle()} {
			require.Len(t, lc.States, 2)
			for _, s := range lc.States {
				st, err := sales.AccountStateOf(int32(s.Code))
				require.NoError(t, err)
				require.Equal(t, s.Name, st.String())
				status, err := sales.AccountStatusOf(int32(s.DefaultStatus))
				require.NoError(t, err)
				require.Equal(t, s.Name, status.String())
			}
		}
		require.Equal(t, int32(0), sales.AccountStateActive.Value())
		require.Equal(t, int32(1), sales.AccountStateInactive.Value())
		require.Equal(t, int32(2), sales.ContactStatusInactive.Value())
	})
	t.Run("the zero value is null and reads back as null", func(t *testing.T) {
		require.True(t, sales.Industry{}.IsZero())
		require.Equal(t, "", sales.Industry{}.String())
		v, err := sales.ParseIndustry("")
		require.NoError(t, err)
		require.True(t, v.IsZero())
		_, err = sales.ParseAccountState("")
		require.ErrorIs(t, err, crm.ErrNotFound, "a state is never null")
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
		for _, ind := range sales.IndustryValues() {
			a := e.account(t, sales.Account{Name: ind.String(), Industry: ind,
				CustomerType: sales.CustomerTypeValues()[int(ind.Value())%12],
				Ownership:    sales.OwnershipValues()[int(ind.Value())%4]})
			got, err := e.accounts.Get(e.ctx, a.ID)
			require.NoError(t, err)
			require.Equal(t, ind, got.Industry)
			require.Equal(t, a.CustomerType, got.CustomerType)
			require.Equal(t, a.Ownership, got.Ownership)
		}
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
