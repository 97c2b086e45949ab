package storagetest

import (
	"context"
	"errors"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// pricedSchema is a registry with multi-currency on: base currency USD,
// pricing precision 4, and a deal entity with an amount (currency
// precision) and a unit price (pricing precision).
func pricedSchema(t *testing.T) *crm.Registry {
	t.Helper()
	reg := crm.NewRegistry()
	require.NoError(t, reg.SetPricingPrecision(4))
	require.NoError(t, reg.SetBaseCurrency("USD"))
	require.NoError(t, reg.Register(&crm.Entity{
		Name: "deal", PrimaryName: "name",
		Fields: []crm.Field{
			{Name: "name", Type: crm.TypeText},
			{Name: "amount", Type: crm.TypeMoney},
			{Name: "priceperunit", Type: crm.TypeMoney, MoneyPrecision: crm.PrecisionPricing},
		},
		Lifecycle: &crm.Lifecycle{
			Initial: 0,
			States: []crm.State{
				{Code: 0, Name: "Open", DefaultStatus: 1},
				{Code: 1, Name: "Closed", DefaultStatus: 2, ReadOnly: true},
			},
			Statuses: []crm.Status{{Code: 1, Name: "Open", State: 0}, {Code: 2, Name: "Closed", State: 1}},
			Transitions: []crm.Transition{
				{Event: "close", From: []crm.StateCode{0}, To: 1},
				{Event: "reopen", From: []crm.StateCode{1}, To: 0},
			},
		},
	}))
	return reg
}

func testCurrency(t *testing.T, open Opener) {
	dec := decimal.RequireFromString
	money := crm.MustMoney
	setup := func(t *testing.T) *env {
		t.Helper()
		reg := pricedSchema(t)
		e := newEnvFor(t, open(t, reg), reg)
		e.create(crm.CurrencyEntity, crm.Fields{crm.FieldISOCurrencyCode: "EUR", crm.FieldCurrencyName: "Euro",
			crm.FieldExchangeRate: dec("0.85")})
		return e
	}
	isValidation := func(t *testing.T, err error, field string) {
		t.Helper()
		var verr *crm.ValidationError
		require.ErrorAs(t, err, &verr)
		require.True(t, verr.Has(field), "%v names %s", err, field)
	}

	t.Run("a unit price keeps the pricing precision exactly; more places are refused", func(t *testing.T) {
		e := setup(t)
		rec := e.create("deal", crm.Fields{"priceperunit": money("0.0125 USD")})
		got := e.get("deal", rec.ID)
		require.Equal(t, "0.0125", got.Fields["priceperunit"].(crm.Money).Amount.StringFixed(4))
		require.True(t, got.Fields["priceperunit"].(crm.Money).Equal(money("0.0125 USD")))
		require.True(t, got.Fields["priceperunit_base"].(crm.Money).Equal(money("0.0125 USD")))
		_, err := e.store.Create(e.ctx, crm.Record{Entity: "deal", Fields: crm.Fields{"priceperunit": money("0.00125 USD")}})
		isValidation(t, err, "priceperunit")
		_, err = e.store.Create(e.ctx, crm.Record{Entity: "deal", Fields: crm.Fields{"amount": money("0.0125 USD")}})
		isValidation(t, err, "amount")
	})

	t.Run("a record captures its currency's rate and keeps base amounts", func(t *testing.T) {
		e := setup(t)
		rec := e.create("deal", crm.Fields{"amount": money("1000.00 EUR"), "priceperunit": money("0.0125 EUR")})
		got := e.get("deal", rec.ID)
		require.True(t, got.Fields[crm.FieldExchangeRate].(decimal.Decimal).Equal(dec("0.85")))
		require.True(t, got.Fields["amount_base"].(crm.Money).Equal(money("1176.4706 USD")), "%v", got.Fields["amount_base"])
		require.True(t, got.Fields["priceperunit_base"].(crm.Money).Equal(money("0.0147 USD")), "%v", got.Fields["priceperunit_base"])
		usd := e.create("deal", crm.Fields{"amount": money("10.00 USD")})
		require.True(t, e.get("deal", usd.ID).Fields[crm.FieldExchangeRate].(decimal.Decimal).Equal(dec("1")))
		none := e.create("deal", crm.Fields{"name": "no money"})
		require.Nil(t, e.get("deal", none.ID).Fields[crm.FieldExchangeRate])
	})

	t.Run("rate and base amounts cannot be set by callers", func(t *testing.T) {
		e := setup(t)
		_, err := e.store.Create(e.ctx, crm.Record{Entity: "deal", Fields: crm.Fields{"amount": money("1 USD"), "amount_base": money("2 USD")}})
		isValidation(t, err, "amount_base")
		_, err = e.store.Create(e.ctx, crm.Record{Entity: "deal", Fields: crm.Fields{"amount": money("1 USD"), crm.FieldExchangeRate: dec("2")}})
		isValidation(t, err, crm.FieldExchangeRate)
	})

	t.Run("mixed currencies on one record are refused, naming the field", func(t *testing.T) {
		e := setup(t)
		_, err := e.store.Create(e.ctx, crm.Record{Entity: "deal", Fields: crm.Fields{"amount": money("1 EUR"), "priceperunit": money("1 USD")}})
		isValidation(t, err, "priceperunit")
	})

	t.Run("a currency without a rate record is refused, naming the field", func(t *testing.T) {
		e := setup(t)
		_, err := e.store.Create(e.ctx, crm.Record{Entity: "deal", Fields: crm.Fields{"amount": money("1 GBP")}})
		isValidation(t, err, "amount")
		require.Zero(t, e.count("deal"))
	})

	t.Run("currency records: known codes, one per code, base at rate 1", func(t *testing.T) {
		e := setup(t)
		_, err := e.store.Create(e.ctx, crm.Record{Entity: crm.CurrencyEntity, Fields: crm.Fields{crm.FieldISOCurrencyCode: "EUR", crm.FieldExchangeRate: dec("0.9")}})
		require.True(t, errors.Is(err, crm.ErrDuplicate), "%v", err)
		_, err = e.store.Create(e.ctx, crm.Record{Entity: crm.CurrencyEntity, Fields: crm.Fields{crm.FieldISOCurrencyCode: "XXX", crm.FieldExchangeRate: dec("0.9")}})
		isValidation(t, err, crm.FieldISOCurrencyCode)
		_, err = e.store.Create(e.ctx, crm.Record{Entity: crm.CurrencyEntity, Fields: crm.Fields{crm.FieldISOCurrencyCode: "USD", crm.FieldExchangeRate: dec("2")}})
		isValidation(t, err, crm.FieldExchangeRate)
		_, err = e.store.Create(e.ctx, crm.Record{Entity: crm.CurrencyEntity, Fields: crm.Fields{crm.FieldISOCurrencyCode: "JPY", crm.FieldExchangeRate: dec("0.0000000000001")}})
		isValidation(t, err, crm.FieldExchangeRate)
		jpy := e.create(crm.CurrencyEntity, crm.Fields{crm.FieldISOCurrencyCode: "JPY", crm.FieldExchangeRate: dec("156.123456789012")})
		require.True(t, e.get(crm.CurrencyEntity, jpy.ID).Fields[crm.FieldExchangeRate].(decimal.Decimal).Equal(dec("156.123456789012")))
	})

	t.Run("totals across currencies are sums of base amounts, exact", func(t *testing.T) {
		e := setup(t)
		e.create("deal", crm.Fields{"amount": money("1000.00 EUR")}) // 1176.4706
		e.create("deal", crm.Fields{"amount": money("0.01 EUR")})    // 0.0118
		e.create("deal", crm.Fields{"amount": money("250.55 USD")})
		e.create("deal", crm.Fields{"amount": money("0.10 USD")})
		rows, err := e.store.Aggregate(e.ctx, crm.Aggregation{Entity: "deal",
			Measures: []crm.Measure{{Alias: "total", Func: crm.AggSum, Field: "amount_base"}}})
		require.NoError(t, err)
		require.Len(t, rows, 1)
		total, ok := rows[0]["total"].(crm.Money)
		require.True(t, ok, "%T", rows[0]["total"])
		require.True(t, total.Equal(money("1427.1324 USD")), "%v", total)
		e.create("deal", crm.Fields{"priceperunit": money("0.0125 USD")})
		e.create("deal", crm.Fields{"priceperunit": money("0.01 USD")})
		rows, err = e.store.Aggregate(e.ctx, crm.Aggregation{Entity: "deal",
			Measures: []crm.Measure{{Alias: "avg", Func: crm.AggAvg, Field: "priceperunit"}, {Alias: "sum", Func: crm.AggSum, Field: "priceperunit"}}})
		require.NoError(t, err)
		require.True(t, rows[0]["avg"].(crm.Money).Equal(money("0.0113 USD")), "average at pricing precision, half away from zero: %v", rows[0]["avg"])
		require.True(t, rows[0]["sum"].(crm.Money).Equal(money("0.0225 USD")), "%v", rows[0]["sum"])
		page, err := e.store.Query(e.ctx, crm.Query{Entity: "deal", Where: crm.Where("amount_base", crm.OpGt, money("250 USD")),
			OrderBy: []crm.Order{crm.Desc("amount_base")}})
		require.NoError(t, err)
		require.Len(t, page.Records, 2)
		require.True(t, page.Records[0].Fields["amount"].(crm.Money).Equal(money("1000 EUR")))
	})

	t.Run("a money field added to a running store gets its base amount", func(t *testing.T) {
		e := setup(t)
		before := e.create("deal", crm.Fields{"name": "before", "amount": money("10.00 EUR")})
		require.NoError(t, e.store.AddFields(e.ctx, "deal", crm.Field{Name: "discount", Type: crm.TypeMoney}))
		deal, err := e.store.Registry().Entity("deal")
		require.NoError(t, err)
		_, ok := deal.Field(crm.BaseField("discount"))
		require.True(t, ok, "discount has a base field")
		require.Nil(t, e.get("deal", before.ID).Fields[crm.BaseField("discount")], "a record stored before has no discount and no base amount")
		rec := e.create("deal", crm.Fields{"name": "after", "amount": money("100.00 EUR"), "discount": money("8.50 EUR")})
		got := e.get("deal", rec.ID)
		require.True(t, got.Fields[crm.BaseField("discount")].(crm.Money).Equal(money("10.0000 USD")), "8.50 EUR at 0.85: %v", got.Fields[crm.BaseField("discount")])
		updated, err := e.store.Update(e.ctx, crm.Record{Entity: "deal", Header: crm.Header{ID: before.ID, Version: before.Version},
			Fields: crm.Fields{"discount": money("0.85 EUR")}})
		require.NoError(t, err)
		require.True(t, updated.Fields[crm.BaseField("discount")].(crm.Money).Equal(money("1 USD")), "%v", updated.Fields[crm.BaseField("discount")])
		rows, err := e.store.Aggregate(e.ctx, crm.Aggregation{Entity: "deal",
			Measures: []crm.Measure{{Alias: "total", Func: crm.AggSum, Field: crm.BaseField("discount")}}})
		require.NoError(t, err)
		require.True(t, rows[0]["total"].(crm.Money).Equal(money("11 USD")), "%v", rows[0]["total"])
	})

	t.Run("a new rate changes no stored amount until the record's money or state changes", func(t *testing.T) {
		e := setup(t)
		eur, err := e.store.Query(e.ctx, crm.Query{Entity: crm.CurrencyEntity, Where: crm.Eq(crm.FieldISOCurrencyCode, "EUR")})
		require.NoError(t, err)
		a := e.create("deal", crm.Fields{"amount": money("1000.00 EUR")})
		b := e.create("deal", crm.Fields{"amount": money("1000.00 EUR")})
		_, err = e.store.Update(e.ctx, crm.Record{Entity: crm.CurrencyEntity, Header: crm.Header{ID: eur.Records[0].ID},
			Fields: crm.Fields{crm.FieldExchangeRate: dec("0.8")}})
		require.NoError(t, err)
		for _, id := range []crm.ID{a.ID, b.ID} {
			got := e.get("deal", id)
			require.True(t, got.Fields[crm.FieldExchangeRate].(decimal.Decimal).Equal(dec("0.85")))
			require.True(t, got.Fields["amount_base"].(crm.Money).Equal(money("1176.4706 USD")))
		}
		// Another field changes: rate and base stay.
		_, err = e.store.Update(e.ctx, crm.Record{Entity: "deal", Header: crm.Header{ID: a.ID}, Fields: crm.Fields{"name": "renamed"}})
		require.NoError(t, err)
		got := e.get("deal", a.ID)
		require.True(t, got.Fields[crm.FieldExchangeRate].(decimal.Decimal).Equal(dec("0.85")))
		require.True(t, got.Fields["amount_base"].(crm.Money).Equal(money("1176.4706 USD")))
		// A money field changes: the new rate is captured.
		_, err = e.store.Update(e.ctx, crm.Record{Entity: "deal", Header: crm.Header{ID: a.ID}, Fields: crm.Fields{"amount": money("1000.00 EUR"), "priceperunit": money("1 EUR")}})
		require.NoError(t, err)
		got = e.get("deal", a.ID)
		require.True(t, got.Fields[crm.FieldExchangeRate].(decimal.Decimal).Equal(dec("0.8")))
		require.True(t, got.Fields["amount_base"].(crm.Money).Equal(money("1250 USD")))
		require.True(t, got.Fields["priceperunit_base"].(crm.Money).Equal(money("1.25 USD")))
		// The state changes: the new rate is captured.
		_, err = e.store.SetState(e.ctx, crm.Ref{Entity: "deal", ID: b.ID}, 0, "close", 0)
		require.NoError(t, err)
		got = e.get("deal", b.ID)
		require.True(t, got.Fields[crm.FieldExchangeRate].(decimal.Decimal).Equal(dec("0.8")))
		require.True(t, got.Fields["amount_base"].(crm.Money).Equal(money("1250 USD")))
	})

	t.Run("a currency created in the same call prices the records after it", func(t *testing.T) {
		e := setup(t)
		out, err := e.store.CreateMany(e.ctx, []crm.Record{
			{Entity: crm.CurrencyEntity, Fields: crm.Fields{crm.FieldISOCurrencyCode: "GBP", crm.FieldExchangeRate: dec("0.75")}},
			{Entity: "deal", Fields: crm.Fields{"amount": money("3.00 GBP")}},
		})
		require.NoError(t, err)
		require.True(t, e.get("deal", out[1].ID).Fields["amount_base"].(crm.Money).Equal(money("4 USD")))
	})

	t.Run("pricing follows what PreOperation hooks leave", func(t *testing.T) {
		e := setup(t)
		require.NoError(t, e.store.Hook("deal", storage.OpCreate, storage.PreOperation, func(ctx context.Context, ev *storage.Event) error {
			ev.Target.Fields["amount"] = money("8.50 EUR")
			return nil
		}))
		rec := e.create("deal", crm.Fields{"amount": money("1 USD")})
		got := e.get("deal", rec.ID)
		require.True(t, got.Fields[crm.FieldExchangeRate].(decimal.Decimal).Equal(dec("0.85")))
		require.True(t, got.Fields["amount_base"].(crm.Money).Equal(money("10 USD")))
	})
}
