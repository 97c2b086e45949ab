package crm

import (
	"fmt"
	"slices"

	"github.com/shopspring/decimal"
)

// PrecisionSource says where a money field takes its number of decimal
// places from (Dynamics' PrecisionSource attribute property). The numeric
// values are stable; the zero value is PrecisionCurrency, so a money field
// that says nothing keeps its currency's precision. Dynamics numbers the
// same sources 2 (currency), 1 (pricing) and 0 (field).
type PrecisionSource int

// Money precision sources.
const (
	// PrecisionCurrency: the precision of the amount's currency (2 for
	// USD, 0 for JPY). Amounts, discounts, taxes and totals use it.
	PrecisionCurrency PrecisionSource = iota
	// PrecisionPricing: the organization's pricing precision
	// (Registry.SetPricingPrecision). Unit prices, costs and price list
	// amounts use it.
	PrecisionPricing
	// PrecisionField: the field's own Precision, 0..MaxMoneyPlaces.
	PrecisionField
)

func (p PrecisionSource) String() string {
	switch p {
	case PrecisionCurrency:
		return "currency"
	case PrecisionPricing:
		return "pricing"
	case PrecisionField:
		return "field"
	}
	return fmt.Sprintf("PrecisionSource(%d)", int(p))
}

// Money precision limits.
const (
	// MaxMoneyPlaces is the most decimal places a money amount keeps,
	// whatever its precision source; every store keeps money to it.
	MaxMoneyPlaces = 4
	// DefaultPricingPrecision is the organization pricing precision of a
	// new Registry, Dynamics' default.
	DefaultPricingPrecision = 2
	// BasePlaces is the precision of a base amount (a "_base" field), as
	// in Dynamics' metadata.
	BasePlaces = 4
	// ExchangeRatePlaces is the precision of an exchange rate.
	ExchangeRatePlaces = 12
)

// Exchange rate range, Dynamics' own: 1e-12 to 1e11 units of a transaction
// currency for one base-currency unit.
var (
	MinExchangeRate = decimal.New(1, -ExchangeRatePlaces)
	MaxExchangeRate = decimal.New(1, 11)
)

// Names of the currency entity and of the fields multi-currency adds.
const (
	// CurrencyEntity is the entity whose records hold the exchange rate
	// of each transaction currency (Dynamics' transactioncurrency). The
	// registry registers it when SetBaseCurrency is called.
	CurrencyEntity = "transactioncurrency"
	// FieldISOCurrencyCode is the currency entity's ISO 4217 code.
	FieldISOCurrencyCode = "isocurrencycode"
	// FieldCurrencyName is the currency entity's display name.
	FieldCurrencyName = "currencyname"
	// FieldExchangeRate is a currency's exchange rate on the currency
	// entity and, on every record with money fields, the rate captured
	// when its amounts were last converted.
	FieldExchangeRate = "exchangerate"
	// BaseSuffix ends the name of the base-currency field kept beside
	// each money field: "revenue" has "revenue_base".
	BaseSuffix = "_base"
)

// organization holds the organization-wide settings of a Registry that
// field validation reads. Registered money fields point at it.
type organization struct {
	pricing int32    // pricing decimal precision, 0..MaxMoneyPlaces
	base    Currency // "" when multi-currency is off
}

// SetPricingPrecision sets the organization's pricing decimal precision
// (Dynamics' pricingdecimalprecision, 0..4, default 2): the places money
// fields with PrecisionPricing keep. Call it while building the registry,
// before any store opens: it is not safe to change while records are
// written, and stored amounts are never re-rounded.
func (r *Registry) SetPricingPrecision(places int32) error {
	if places < 0 || places > MaxMoneyPlaces {
		return fmt.Errorf("set pricing precision %d: outside 0..%d", places, MaxMoneyPlaces)
	}
	r.org.pricing = places
	return nil
}

// PricingPrecision returns the organization's pricing decimal precision.
func (r *Registry) PricingPrecision() int32 { return r.org.pricing }

// SetBaseCurrency turns multi-currency on with c as the organization's base
// currency. It is set once, as in Dynamics, before any entity with money
// fields is registered. It registers CurrencyEntity, and every entity with
// money fields registered afterwards gains two kinds of computed fields
// the write path keeps:
//
//   - FieldExchangeRate, the record's exchange rate: units of the record's
//     currency for one unit of c, captured from the currency's
//     CurrencyEntity record when the record is created and whenever a
//     money field or the state changes, never otherwise.
//   - "<field>_base" for each money field: the amount in c, amount /
//     exchangerate rounded half away from zero to BasePlaces.
//
// Without a base currency (the default) records carry no rate and no base
// amounts, and amounts in different currencies may sit on one record.
func (r *Registry) SetBaseCurrency(c Currency) error {
	switch {
	case !c.Valid():
		return fmt.Errorf("set base currency %q: %w", c, ErrNotFound)
	case r.org.base != "":
		return fmt.Errorf("set base currency %s: the base currency is %s and never changes", c, r.org.base)
	}
	for _, e := range r.view.Load().entities {
		for _, f := range e.Fields {
			if f.Type == TypeMoney {
				return fmt.Errorf("set base currency %s: entity %q with money fields is registered already", c, e.Name)
			}
		}
	}
	r.org.base = c
	if err := r.Register(currencyEntity()); err != nil {
		r.org.base = ""
		return fmt.Errorf("set base currency %s: %w", c, err)
	}
	return nil
}

// BaseCurrency returns the organization's base currency, or "" when
// multi-currency is off.
func (r *Registry) BaseCurrency() Currency { return r.org.base }

func currencyEntity() *Entity {
	min, max := MinExchangeRate, MaxExchangeRate
	return &Entity{
		Name: CurrencyEntity, Label: "Currency", PrimaryName: FieldCurrencyName,
		Fields: []Field{
			{Name: FieldISOCurrencyCode, Label: "Currency Code", Type: TypeText, MaxLength: 3, Required: true, Immutable: true},
			{Name: FieldCurrencyName, Label: "Currency Name", Type: TypeText},
			{Name: FieldExchangeRate, Label: "Exchange Rate", Type: TypeDecimal, Precision: ExchangeRatePlaces,
				Min: &min, Max: &max, Required: true, platform: true},
		},
	}
}

// Priced reports whether records of e carry an exchange rate and base
// amounts: the registry has a base currency and e has money fields.
func (e *Entity) Priced() bool { return len(e.money) > 0 }

// MoneyFields returns e's declared money fields, base fields excluded,
// when e is Priced. The slice is the entity's own: read it only.
func (e *Entity) MoneyFields() []*Field { return e.money }

// BaseField returns the name of the base-currency field of money field
// name.
func BaseField(name string) string { return name + BaseSuffix }

// ToBase converts m to the base currency base at rate (units of m's
// currency for one base unit): m / rate, rounded half away from zero to
// BasePlaces, exactly (the quotient is never rounded twice).
func ToBase(m Money, rate decimal.Decimal, base Currency) Money {
	return Money{Amount: DivRound(m.Amount, rate, BasePlaces), Currency: base}
}

// addPricing appends the exchange rate and base fields to an entity with
// money fields, when multi-currency is on: base fields for the money
// fields from index from on (0 at registration; the first added field
// when fields are added to a registered entity), and the exchange rate
// unless the entity has it already.
func (e *Entity) addPricing(org *organization, from int) error {
	n := len(e.Fields)
	for i := from; i < n; i++ {
		if e.Fields[i].Type == TypeMoney {
			e.Fields[i].org = org
		}
	}
	if org.base == "" || e.Name == CurrencyEntity {
		return nil
	}
	var base []Field
	for _, f := range e.Fields[from:n] {
		if f.Type != TypeMoney {
			continue
		}
		name := BaseField(f.Name)
		if !ValidName(name) {
			return fmt.Errorf("money field %q: its base field %q is not a valid logical name: shorten it", f.Name, name)
		}
		money := f.Name
		base = append(base, Field{Name: name, Label: f.Label + " (Base)", Type: TypeMoney,
			MoneyPrecision: PrecisionField, Precision: BasePlaces, org: org, platform: true,
			Compute: func(fs Fields) any {
				m, ok := fs[money].(Money)
				rate, ok2 := fs[FieldExchangeRate].(decimal.Decimal)
				if !ok || !ok2 || rate.Sign() <= 0 {
					return nil
				}
				return ToBase(m, rate, org.base)
			}})
	}
	if len(base) == 0 {
		return nil
	}
	if slices.ContainsFunc(e.Fields, func(f Field) bool { return f.Name == FieldExchangeRate }) {
		e.Fields = append(e.Fields, base...)
		return nil
	}
	min, max := MinExchangeRate, MaxExchangeRate
	rate := Field{Name: FieldExchangeRate, Label: "Exchange Rate", Type: TypeDecimal, Precision: ExchangeRatePlaces,
		Min: &min, Max: &max, platform: true,
		// The write path sets it; computing keeps what it set.
		Compute: func(fs Fields) any { return fs[FieldExchangeRate] }}
	e.Fields = append(append(e.Fields, rate), base...)
	return nil
}

// MoneyPlaces returns the decimal places an amount in c keeps in money
// field f, from f's MoneyPrecision. A field used outside a registry takes
// DefaultPricingPrecision as its pricing precision.
func (f *Field) MoneyPlaces(c Currency) int32 {
	switch f.MoneyPrecision {
	case PrecisionField:
		return f.Precision
	case PrecisionPricing:
		if f.org != nil {
			return f.org.pricing
		}
		return DefaultPricingPrecision
	}
	return c.Precision()
}
