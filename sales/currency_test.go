package sales_test

import (
	"context"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/memory"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

func TestAccountBaseCurrency(t *testing.T) {
	ctx := crm.AsSystem(context.Background())
	reg := crm.NewRegistry()
	require.NoError(t, reg.SetBaseCurrency("USD"))
	require.NoError(t, sales.Register(reg))
	st := memory.Open(reg, storage.WithClock(crm.NewManualClock(start)))
	_, err := st.Create(ctx, crm.Record{Entity: crm.CurrencyEntity, Fields: crm.Fields{
		crm.FieldISOCurrencyCode: "EUR", crm.FieldExchangeRate: decimal.RequireFromString("0.85")}})
	require.NoError(t, err)
	accounts := sales.NewAccounts(st)

	t.Run("revenue and credit limit gain base amounts at the captured rate", func(t *testing.T) {
		a, err := accounts.Create(ctx, sales.Account{Name: "Fabrikam",
			Revenue: sales.Ptr(crm.MustMoney("1000.00 EUR")), CreditLimit: sales.Ptr(crm.MustMoney("85 EUR"))})
		require.NoError(t, err)
		require.True(t, a.ExchangeRate.Equal(decimal.RequireFromString("0.85")))
		require.True(t, a.RevenueBase.Equal(crm.MustMoney("1176.4706 USD")), "%v", a.RevenueBase)
		require.True(t, a.CreditLimitBase.Equal(crm.MustMoney("100 USD")), "%v", a.CreditLimitBase)
		a.Description = "typed updates keep the base amounts"
		a, err = accounts.Update(ctx, a)
		require.NoError(t, err)
		require.True(t, a.RevenueBase.Equal(crm.MustMoney("1176.4706 USD")), "%v", a.RevenueBase)
	})

	t.Run("revenue and credit limit in two currencies are refused", func(t *testing.T) {
		_, err := accounts.Create(ctx, sales.Account{Name: "Mixed",
			Revenue: sales.Ptr(crm.MustMoney("1000.00 EUR")), CreditLimit: sales.Ptr(crm.MustMoney("85 USD"))})
		requireInvalid(t, err, sales.AccountCreditLimit)
	})
}
