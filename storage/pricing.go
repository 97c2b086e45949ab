package storage

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// price keeps the exchange rate and base amounts of a record of a Priced
// entity (see crm.Registry.SetBaseCurrency). On create, and on a change
// that touches a money field or the state, it captures the rate of the
// record's currency from its currency record and converts every amount;
// on any other change it keeps the record's rate and base amounts as they
// were, so that a new rate never changes a stored amount silently. It also
// checks the currency records themselves. Entities without money fields
// pay a length check and a name comparison.
func (c *creation) price(ctx context.Context, e *crm.Entity, target, before *crm.Record) error {
	if !e.Priced() {
		if e.Name == crm.CurrencyEntity && c.store.reg.BaseCurrency() != "" {
			return c.checkCurrency(ctx, e, target, before)
		}
		return nil
	}
	if before != nil && !moneyTouched(e, target, before) {
		setRate(target, before.Fields[crm.FieldExchangeRate])
		return e.Compute(target.Fields) // the base amounts as they were
	}
	var cur crm.Currency
	var first string
	for _, f := range e.MoneyFields() {
		m, ok := target.Fields[f.Name].(crm.Money)
		if !ok {
			continue
		}
		if cur == "" {
			cur, first = m.Currency, f.Name
		} else if m.Currency != cur {
			return crm.Invalid(e.Name, f.Name, fmt.Sprintf("is in %s but %s is in %s: the money fields of one record share its currency", m.Currency, first, cur))
		}
	}
	switch cur {
	case "":
		setRate(target, nil)
	case c.store.reg.BaseCurrency():
		setRate(target, decimal.New(1, 0))
	default:
		r, found, err := c.rate(ctx, cur)
		if err != nil {
			return err
		}
		if !found {
			return crm.Invalid(e.Name, first, fmt.Sprintf("is in %s, which has no exchange rate: create its %s record", cur, crm.CurrencyEntity))
		}
		setRate(target, r)
	}
	return e.Compute(target.Fields) // the base amounts, at the new rate
}

func setRate(target *crm.Record, rate any) {
	if rate == nil {
		delete(target.Fields, crm.FieldExchangeRate)
	} else {
		target.Fields[crm.FieldExchangeRate] = rate
	}
}

// moneyTouched reports whether a change touches the record's money: a
// money field or the state changes.
func moneyTouched(e *crm.Entity, target, before *crm.Record) bool {
	if target.State != before.State {
		return true
	}
	for _, f := range e.MoneyFields() {
		if !crm.SameValue(target.Fields[f.Name], before.Fields[f.Name]) {
			return true
		}
	}
	return false
}

// rate returns the exchange rate of currency cur from its currency record,
// one created earlier in the same call included.
func (c *creation) rate(ctx context.Context, cur crm.Currency) (decimal.Decimal, bool, error) {
	if r, ok := c.rates[cur]; ok {
		return r, true, nil
	}
	rec, found, err := c.currency(ctx, cur)
	if err != nil || !found {
		return decimal.Decimal{}, false, err
	}
	r, ok := rec.Fields[crm.FieldExchangeRate].(decimal.Decimal)
	return r, ok, nil
}

// currency reads the stored currency record of cur.
func (c *creation) currency(ctx context.Context, cur crm.Currency) (crm.Record, bool, error) {
	plan, err := driver.PlanQuery(c.store.reg, crm.Query{Entity: crm.CurrencyEntity,
		Where: crm.Eq(crm.FieldISOCurrencyCode, string(cur)), Limit: 1}, c.st.now, nil, driver.Principal{})
	if err != nil {
		return crm.Record{}, false, err
	}
	for rec, err := range c.st.tx.Select(ctx, plan) {
		if err != nil {
			return crm.Record{}, false, err
		}
		return rec, true, nil
	}
	return crm.Record{}, false, nil
}

// checkCurrency checks a currency record: a known ISO code, one record per
// code, and a rate of 1 for the base currency.
func (c *creation) checkCurrency(ctx context.Context, e *crm.Entity, target, before *crm.Record) error {
	code, _ := target.Fields[crm.FieldISOCurrencyCode].(string)
	cur, err := crm.ParseCurrency(code)
	if err != nil || string(cur) != code {
		return crm.Invalid(e.Name, crm.FieldISOCurrencyCode, fmt.Sprintf("%q is not an ISO 4217 code crmkit knows, in upper case", code))
	}
	rate, _ := target.Fields[crm.FieldExchangeRate].(decimal.Decimal)
	if cur == c.store.reg.BaseCurrency() && !rate.Equal(decimal.New(1, 0)) {
		return crm.Invalid(e.Name, crm.FieldExchangeRate, fmt.Sprintf("is %s but %s is the base currency: its rate is 1", rate, cur))
	}
	if before != nil {
		return nil // the code is immutable
	}
	_, pending := c.rates[cur]
	if !pending {
		_, pending, err = c.currency(ctx, cur)
		if err != nil {
			return err
		}
	}
	if pending {
		return fmt.Errorf("%s %s: %w", e.Name, cur, crm.ErrDuplicate)
	}
	if c.rates == nil {
		c.rates = map[crm.Currency]decimal.Decimal{}
	}
	c.rates[cur] = rate
	return nil
}
