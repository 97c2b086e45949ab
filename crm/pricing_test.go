package crm_test

import (
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

func TestMoneyPrecision(t *testing.T) {
	price := func(reg *crm.Registry) *crm.Entity {
		t.Helper()
		require.NoError(t, reg.Register(&crm.Entity{Name: "product", Fields: []crm.Field{
			{Name: "price", Type: crm.TypeMoney, MoneyPrecision: crm.PrecisionPricing},
			{Name: "amount", Type: crm.TypeMoney},
			{Name: "rate", Type: crm.TypeMoney, MoneyPrecision: crm.PrecisionField, Precision: 3},
		}}))
		e, err := reg.Entity("product")
		require.NoError(t, err)
		return e
	}

	t.Run("pricing precision 4 keeps 0.0125 USD; 2 refuses it", func(t *testing.T) {
		reg := crm.NewRegistry()
		require.Equal(t, int32(crm.DefaultPricingPrecision), reg.PricingPrecision())
		require.NoError(t, reg.SetPricingPrecision(4))
		got, err := price(reg).CheckCreate(crm.Fields{"price": crm.MustMoney("0.0125 USD")})
		require.NoError(t, err)
		require.Equal(t, "0.0125", got["price"].(crm.Money).Amount.String())
		_, err = price(crm.NewRegistry()).CheckCreate(crm.Fields{"price": crm.MustMoney("0.0125 USD")})
		require.ErrorContains(t, err, "more than the pricing precision 2")
	})

	t.Run("currency precision is the default; field precision is the field's", func(t *testing.T) {
		reg := crm.NewRegistry()
		require.NoError(t, reg.SetPricingPrecision(4))
		e := price(reg)
		_, err := e.CheckCreate(crm.Fields{"amount": crm.MustMoney("0.0125 USD")})
		require.ErrorContains(t, err, "more than USD's 2")
		got, err := e.CheckCreate(crm.Fields{"rate": crm.MustMoney("1.5 JPY")})
		require.NoError(t, err)
		require.Equal(t, int32(-3), got["rate"].(crm.Money).Amount.Exponent(), "kept at the field's 3 places")
		_, err = e.CheckCreate(crm.Fields{"rate": crm.MustMoney("1.0001 USD")})
		require.ErrorContains(t, err, "more than the 3 allowed")
	})

	t.Run("settings and declarations out of range are refused", func(t *testing.T) {
		reg := crm.NewRegistry()
		require.Error(t, reg.SetPricingPrecision(5))
		require.Error(t, reg.SetPricingPrecision(-1))
		for _, f := range []crm.Field{
			{Name: "x", Type: crm.TypeMoney, MoneyPrecision: crm.PrecisionField, Precision: 5},
			{Name: "x", Type: crm.TypeMoney, Precision: 2},
			{Name: "x", Type: crm.TypeMoney, MoneyPrecision: 7},
		} {
			require.Error(t, reg.Register(&crm.Entity{Name: "bad", Fields: []crm.Field{f}}), "%+v", f)
		}
	})
}

func TestBaseCurrency(t *testing.T) {
	t.Run("off by default: no rate, no base fields", func(t *testing.T) {
		reg := crm.NewRegistry()
		require.NoError(t, reg.Register(&crm.Entity{Name: "deal", Fields: []crm.Field{{Name: "amount", Type: crm.TypeMoney}}}))
		e, _ := reg.Entity("deal")
		require.False(t, e.Priced())
		_, ok := e.Field("amount_base")
		require.False(t, ok)
		require.Equal(t, crm.Currency(""), reg.BaseCurrency())
	})

	t.Run("on: the currency entity, a rate and a base field per money field", func(t *testing.T) {
		reg := crm.NewRegistry()
		require.NoError(t, reg.SetBaseCurrency("USD"))
		require.Error(t, reg.SetBaseCurrency("EUR"), "never changes")
		_, err := reg.Entity(crm.CurrencyEntity)
		require.NoError(t, err)
		require.NoError(t, reg.Register(&crm.Entity{Name: "deal", Fields: []crm.Field{{Name: "amount", Type: crm.TypeMoney}}}))
		e, _ := reg.Entity("deal")
		require.True(t, e.Priced())
		b, ok := e.Field("amount_base")
		require.True(t, ok)
		require.Equal(t, crm.TypeMoney, b.Type)
		r, ok := e.Field(crm.FieldExchangeRate)
		require.True(t, ok)
		require.Equal(t, int32(crm.ExchangeRatePlaces), r.Precision)
		_, err = e.CheckCreate(crm.Fields{"amount_base": crm.MustMoney("1 USD")})
		require.Error(t, err, "base amounts are computed")
	})

	t.Run("set after an entity with money is registered: refused", func(t *testing.T) {
		reg := crm.NewRegistry()
		require.NoError(t, reg.Register(&crm.Entity{Name: "deal", Fields: []crm.Field{{Name: "amount", Type: crm.TypeMoney}}}))
		require.Error(t, reg.SetBaseCurrency("USD"))
	})

	t.Run("1,000.00 EUR at 0.85 is 1,176.4706 USD, half away from zero", func(t *testing.T) {
		got := crm.ToBase(crm.MustMoney("1000.00 EUR"), decimal.RequireFromString("0.85"), "USD")
		require.True(t, got.Equal(crm.MustMoney("1176.4706 USD")), "%v", got)
		got = crm.ToBase(crm.MustMoney("-0.00005 EUR"), decimal.RequireFromString("1"), "USD")
		require.True(t, got.Equal(crm.MustMoney("-0.0001 USD")), "%v", got)
	})
}
