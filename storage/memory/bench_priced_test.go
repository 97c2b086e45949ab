package memory_test

import (
	"context"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/memory"
	"github.com/shopspring/decimal"
)

// pricedStore is a store with multi-currency on, a EUR rate and one deal
// in EUR: the cost of pricing, next to BenchmarkCreate and BenchmarkUpdate
// on contacts, which have no money fields and pay nothing for it.
func pricedStore(b *testing.B) (*storage.Store, crm.ID) {
	b.Helper()
	reg := crm.NewRegistry()
	if err := reg.SetBaseCurrency("USD"); err != nil {
		b.Fatal(err)
	}
	if err := reg.Register(&crm.Entity{Name: "deal", Fields: []crm.Field{
		{Name: "name", Type: crm.TypeText},
		{Name: "amount", Type: crm.TypeMoney},
	}}); err != nil {
		b.Fatal(err)
	}
	store := memory.Open(reg)
	ctx := crm.AsSystem(context.Background())
	if _, err := store.Create(ctx, crm.Record{Entity: crm.CurrencyEntity, Fields: crm.Fields{
		crm.FieldISOCurrencyCode: "EUR", crm.FieldExchangeRate: decimal.RequireFromString("0.85")}}); err != nil {
		b.Fatal(err)
	}
	deal, err := store.Create(ctx, crm.Record{Entity: "deal", Fields: crm.Fields{"amount": crm.MustMoney("1000.00 EUR")}})
	if err != nil {
		b.Fatal(err)
	}
	return store, deal.ID
}

func BenchmarkPricedCreate(b *testing.B) {
	store, _ := pricedStore(b)
	ctx := crm.AsSystem(context.Background())
	amount := crm.MustMoney("1000.00 EUR")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := store.Create(ctx, crm.Record{Entity: "deal", Fields: crm.Fields{"name": "Deal", "amount": amount}}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPricedUpdate(b *testing.B) {
	store, id := pricedStore(b)
	ctx := crm.AsSystem(context.Background())
	b.Run("money", func(b *testing.B) {
		amounts := []crm.Money{crm.MustMoney("1000.00 EUR"), crm.MustMoney("2000.00 EUR")}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := store.Update(ctx, crm.Record{Entity: "deal", Header: crm.Header{ID: id}, Fields: crm.Fields{"amount": amounts[i%2]}}); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("other", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := store.Update(ctx, crm.Record{Entity: "deal", Header: crm.Header{ID: id}, Fields: crm.Fields{"name": "Deal"}}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
