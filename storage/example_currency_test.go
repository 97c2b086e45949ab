package storage_test

import (
	"context"
	"fmt"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/memory"
	"github.com/shopspring/decimal"
)

// With a base currency, every record with money carries the exchange rate
// of its currency, captured when it is saved, and each amount in the base
// currency beside it; totals across currencies are sums of base amounts,
// computed by the store. A new rate changes no stored amount until the
// record's money or state changes.
func ExampleStore_baseCurrency() {
	ctx := crm.AsSystem(context.Background())
	reg := crm.NewRegistry()
	_ = reg.SetPricingPrecision(4) // unit prices to 4 places
	if err := reg.SetBaseCurrency("USD"); err != nil {
		fmt.Println(err)
		return
	}
	err := reg.Register(&crm.Entity{Name: "deal", Fields: []crm.Field{
		{Name: "amount", Type: crm.TypeMoney},
		{Name: "priceperunit", Type: crm.TypeMoney, MoneyPrecision: crm.PrecisionPricing},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	store := memory.Open(reg)

	// 0.85 EUR buy one USD.
	eur, err := store.Create(ctx, crm.Record{Entity: crm.CurrencyEntity, Fields: crm.Fields{
		crm.FieldISOCurrencyCode: "EUR", crm.FieldExchangeRate: decimal.RequireFromString("0.85")}})
	if err != nil {
		fmt.Println(err)
		return
	}
	deal, err := store.Create(ctx, crm.Record{Entity: "deal", Fields: crm.Fields{
		"amount": crm.MustMoney("1000.00 EUR"), "priceperunit": crm.MustMoney("0.0125 EUR")}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("rate:", deal.Fields[crm.FieldExchangeRate])
	fmt.Println("amount_base:", deal.Fields["amount_base"].(crm.Money).Amount, "USD")
	fmt.Println("priceperunit:", deal.Fields["priceperunit"].(crm.Money).Amount, "EUR")
	if _, err := store.Create(ctx, crm.Record{Entity: "deal", Fields: crm.Fields{"amount": crm.MustMoney("250.55 USD")}}); err != nil {
		fmt.Println(err)
		return
	}

	// The euro's new rate leaves the stored deal as it was.
	if _, err := store.Update(ctx, crm.Record{Entity: crm.CurrencyEntity, Header: crm.Header{ID: eur.ID},
		Fields: crm.Fields{crm.FieldExchangeRate: decimal.RequireFromString("0.8")}}); err != nil {
		fmt.Println(err)
		return
	}
	rows, err := store.Aggregate(ctx, crm.Aggregation{Entity: "deal",
		Measures: []crm.Measure{{Alias: "total", Func: crm.AggSum, Field: "amount_base"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("total:", rows[0]["total"].(crm.Money).Amount, "USD")

	// Mixing currencies on one record is refused.
	_, err = store.Create(ctx, crm.Record{Entity: "deal", Fields: crm.Fields{
		"amount": crm.MustMoney("1 EUR"), "priceperunit": crm.MustMoney("1 USD")}})
	fmt.Println(err)
	// Output:
	// rate: 0.85
	// amount_base: 1176.4706 USD
	// priceperunit: 0.0125 EUR
	// total: 1427.0206 USD
	// create deal: validation failed: invalid deal: priceperunit is in USD but amount is in EUR: the money fields of one record share its currency
}
