package sales

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
)

// The rules of the product catalog that its fields and lifecycles cannot
// express. They are part of the catalog's metadata, so every store on a
// registry that holds the sales entities runs them on every create and
// change of a catalog record, whichever door the write comes through:
// Catalog, a storage.Table, or the store's generic Create, Update and
// ChangeState. An import (storage.Store.Import) takes its values from the
// data: the rules that keep a field to a named operation let it through,
// the others check it as any write.
//
// A rule reads other records by ID (crm.Records.Lock), never by query.
// What needs a query (how many items a bundle has, whether two volume
// ranges of a list overlap, whether a product is in an active bundle) is
// checked by the named operation that makes the write, and a rule keeps
// the write inside that operation.

// unitGroupRules returns the unit group's rules.
func unitGroupRules() []crm.Rule {
	return []crm.Rule{{
		Name:   "the primary unit is set by CreateUnitGroup",
		Fields: []string{UnitGroupBaseUnit},
		Check: func(_ context.Context, w crm.Write) error {
			return onlyIn(w, UnitGroupEntity, UnitGroupBaseUnit, MessageCreateUnitGroup)
		},
	}}
}

// unitRules returns the unit's rules.
func unitRules() []crm.Rule {
	return []crm.Rule{
		{
			Name:   "the primary unit is marked by CreateUnitGroup",
			Fields: []string{UnitIsPrimary},
			Check: func(_ context.Context, w crm.Write) error {
				// A create that leaves it false (as a typed record's
				// codec writes it) marks nothing.
				if !w.Target.Fields.Bool(UnitIsPrimary) && (w.Before == nil || !w.Before.Fields.Bool(UnitIsPrimary)) {
					return nil
				}
				return onlyIn(w, UnitEntity, UnitIsPrimary, MessageCreateUnitGroup)
			},
		},
		{
			Name:   "a unit is a positive quantity of a unit of its group",
			Fields: []string{UnitQuantity, UnitBaseUnit, UnitIsPrimary},
			Check:  checkUnit,
		},
	}
}

// onlyIn refuses a write of field outside the named operation message,
// unless it is an import.
func onlyIn(w crm.Write, entity, field, message string) error {
	if w.Import || w.In(message) {
		return nil
	}
	return crm.Invalid(entity, field, fmt.Sprintf("is written only by the %s operation", message))
}

// checkUnit: the primary unit is one of itself (quantity 1, no base
// unit); any other unit is a positive quantity of a unit of the same
// group. The base unit is held, so it cannot move (it cannot: its group
// is immutable) or go away before the write commits. A cycle of base
// units is refused by the store: baseuom is hierarchical.
func checkUnit(ctx context.Context, w crm.Write) error {
	f := w.Target.Fields
	q := f.Decimal(UnitQuantity)
	base := f.Ref(UnitBaseUnit)
	if f.Bool(UnitIsPrimary) {
		if !base.IsZero() {
			return crm.Invalid(UnitEntity, UnitBaseUnit, "is empty for the primary unit of a group")
		}
		if !q.Equal(decimal.NewFromInt(1)) {
			return crm.Invalid(UnitEntity, UnitQuantity, "is 1 for the primary unit of a group")
		}
		return nil
	}
	if q.Sign() <= 0 {
		return crm.Invalid(UnitEntity, UnitQuantity, "must be greater than zero")
	}
	if base.IsZero() {
		return crm.Invalid(UnitEntity, UnitBaseUnit, "is required: a unit is a quantity of another unit of its group")
	}
	b, err := lockField(ctx, w, UnitEntity, UnitBaseUnit)
	if err != nil {
		return err
	}
	if b.Fields.Ref(UnitScheduleID) != f.Ref(UnitScheduleID) {
		return crm.Invalid(UnitEntity, UnitBaseUnit, fmt.Sprintf("is %s, a unit of another group", b.Fields.String(UnitName)))
	}
	return nil
}

// lockField locks the record the lookup field of the write's target
// points at; a record that does not exist is a validation error on the
// field.
func lockField(ctx context.Context, w crm.Write, entity, field string) (crm.Record, error) {
	ref := w.Target.Fields.Ref(field)
	rec, err := w.Records.Lock(ctx, ref.Entity, ref.ID)
	if errors.Is(err, crm.ErrNotFound) {
		return crm.Record{}, crm.Invalid(entity, field, fmt.Sprintf("points at %s, which does not exist", ref))
	}
	return rec, err
}

// productRules returns the product's rules.
func productRules() []crm.Rule {
	return []crm.Rule{
		{
			Name:   "the parent is a product family",
			Fields: []string{ProductParent},
			Check:  checkProductParent,
		},
		{
			Name:   "the default unit is a unit of the product's unit group",
			Fields: []string{ProductDefaultUnit, ProductUnitGroup},
			Check: func(ctx context.Context, w crm.Write) error {
				return checkUnitInGroup(ctx, w, ProductEntity, ProductDefaultUnit, w.Target.Fields.Ref(ProductUnitGroup))
			},
		},
		{
			Name:   "valid to is not before valid from",
			Fields: []string{ProductValidFrom, ProductValidTo},
			Check: func(_ context.Context, w crm.Write) error {
				return checkDates(w, ProductEntity, ProductValidFrom, ProductValidTo)
			},
		},
		{
			Name:   "the default price list is set after create",
			Fields: []string{ProductDefaultPriceList},
			Check: func(_ context.Context, w crm.Write) error {
				if w.Before != nil || w.Import {
					return nil
				}
				return crm.Invalid(ProductEntity, ProductDefaultPriceList, "is set once the product exists (Dynamics: not valid for create)")
			},
		},
		{
			Name:  "a product becomes active under an active family, and only a product without one is reactivated",
			Check: checkProductActivation,
		},
	}
}

// checkProductParent: only a family has children (a product or a bundle
// has none), sales.md §4.2. The family is held until the write commits.
func checkProductParent(ctx context.Context, w crm.Write) error {
	if w.Target.Fields.Ref(ProductParent).IsZero() {
		return nil
	}
	p, err := lockField(ctx, w, ProductEntity, ProductParent)
	if err != nil {
		return err
	}
	if s, _ := p.Fields.Choice(ProductStructureCode); ProductStructure(s) != StructureFamily {
		return crm.Invalid(ProductEntity, ProductParent, fmt.Sprintf("is %s, a %s: only a product family has children",
			p.Fields.String(ProductName), ProductStructure(s)))
	}
	return nil
}

// checkUnitInGroup refuses a unit (the lookup field) that is not a unit
// of group.
func checkUnitInGroup(ctx context.Context, w crm.Write, entity, field string, group crm.Ref) error {
	u, err := lockField(ctx, w, entity, field)
	if err != nil {
		return err
	}
	if u.Fields.Ref(UnitScheduleID) != group {
		return crm.Invalid(entity, field, fmt.Sprintf("is %s, which is not a unit of the product's unit group", u.Fields.String(UnitName)))
	}
	return nil
}

// checkDates refuses an end date before a start date.
func checkDates(w crm.Write, entity, from, to string) error {
	f := w.Target.Fields
	start, end := f.Time(from), f.Time(to)
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		return crm.Invalid(entity, to, fmt.Sprintf("is %s, before %s %s", end.Format(time.DateOnly), from, start.Format(time.DateOnly)))
	}
	return nil
}

// checkProductActivation applies the lifecycle's conditions (sales.md
// §4.2) that depend on other records or fields, on every move into
// Active: publishing (or reverting) a product in a family needs the
// family Active; activating a retired product is for products without a
// family, not for families or bundles. An import takes the state from
// the data.
func checkProductActivation(ctx context.Context, w crm.Write) error {
	if w.Import || w.Before == nil || ProductState(w.Target.State) != ProductStateActive ||
		ProductState(w.Before.State) == ProductStateActive {
		return nil
	}
	f := w.Target.Fields
	if ProductState(w.Before.State) == ProductStateRetired {
		if s, _ := f.Choice(ProductStructureCode); ProductStructure(s) != StructureProduct {
			return crm.Invalid(ProductEntity, crm.FieldState, fmt.Sprintf("cannot go from Retired back to Active for a %s", ProductStructure(s)))
		}
		if !f.Ref(ProductParent).IsZero() {
			return crm.Invalid(ProductEntity, crm.FieldState, "cannot go from Retired back to Active for a product in a family")
		}
		return nil
	}
	if f.Ref(ProductParent).IsZero() {
		return nil
	}
	p, err := lockField(ctx, w, ProductEntity, ProductParent)
	if err != nil {
		return err
	}
	if ProductState(p.State) != ProductStateActive {
		return crm.Invalid(ProductEntity, crm.FieldState, fmt.Sprintf("cannot become Active while its family %s is %s",
			p.Fields.String(ProductName), ProductState(p.State)))
	}
	return nil
}

// bundleItemRules returns the bundle item's rules.
func bundleItemRules() []crm.Rule {
	return []crm.Rule{
		{
			Name: "bundle items are written by SetBundleItem",
			Check: func(_ context.Context, w crm.Write) error {
				return onlyIn(w, BundleItemEntity, BundleItemBundle, MessageSetBundleItem)
			},
		},
		{
			Name:  "a draft or retired bundle holds products in their own units",
			Check: checkBundleItem,
		},
		{
			// Through every door, Catalog.RemoveBundleItem's and the
			// generic Delete; an item goes with its bundle or product
			// whatever their state.
			Name:    "an item leaves a bundle only while the bundle is Draft or Retired",
			Deletes: true,
			Check: func(ctx context.Context, w crm.Write) error {
				if !w.Delete || w.Cascade {
					return nil
				}
				b, err := lockField(ctx, w, BundleItemEntity, BundleItemBundle)
				if err != nil {
					return err
				}
				return bundleEditable(b)
			},
		},
	}
}

// checkBundleItem: items are products (not families or bundles) in a
// unit of the product's group, in a positive quantity, of a bundle that
// is Draft or Retired (sales.md §4.2: change an active bundle by cloning
// it). The bundle and the product are held until the write commits.
func checkBundleItem(ctx context.Context, w crm.Write) error {
	f := w.Target.Fields
	if f.Decimal(BundleItemQuantity).Sign() <= 0 {
		return crm.Invalid(BundleItemEntity, BundleItemQuantity, "must be greater than zero")
	}
	b, err := lockField(ctx, w, BundleItemEntity, BundleItemBundle)
	if err != nil {
		return err
	}
	if s, _ := b.Fields.Choice(ProductStructureCode); ProductStructure(s) != StructureBundle {
		return crm.Invalid(BundleItemEntity, BundleItemBundle, fmt.Sprintf("is %s, a %s, not a bundle", b.Fields.String(ProductName), ProductStructure(s)))
	}
	if err := bundleEditable(b); err != nil {
		return err
	}
	p, err := lockField(ctx, w, BundleItemEntity, BundleItemProduct)
	if err != nil {
		return err
	}
	if s, _ := p.Fields.Choice(ProductStructureCode); ProductStructure(s) != StructureProduct {
		return crm.Invalid(BundleItemEntity, BundleItemProduct, fmt.Sprintf("is %s, a %s: a bundle holds products only",
			p.Fields.String(ProductName), ProductStructure(s)))
	}
	return checkUnitInGroup(ctx, w, BundleItemEntity, BundleItemUnit, p.Fields.Ref(ProductUnitGroup))
}

// bundleEditable refuses a change of a bundle's items unless the bundle
// is Draft or Retired.
func bundleEditable(bundle crm.Record) error {
	if s := ProductState(bundle.State); s == ProductStateDraft || s == ProductStateRetired {
		return nil
	}
	return crm.Invalid(BundleItemEntity, BundleItemBundle, fmt.Sprintf("is %s, which is %s: items change while a bundle is Draft or Retired",
		bundle.Fields.String(ProductName), ProductState(bundle.State)))
}

// priceListRules returns the price list's rules.
func priceListRules() []crm.Rule {
	return []crm.Rule{
		{
			Name:   "the currency is an ISO 4217 code",
			Fields: []string{PriceListCurrency},
			Check: func(_ context.Context, w crm.Write) error {
				return checkCurrencyCode(w, PriceListEntity)
			},
		},
		{
			Name:   "the end date is not before the start date",
			Fields: []string{PriceListBeginDate, PriceListEndDate},
			Check: func(_ context.Context, w crm.Write) error {
				return checkDates(w, PriceListEntity, PriceListBeginDate, PriceListEndDate)
			},
		},
	}
}

// checkCurrencyCode refuses a currency code crmkit does not know, or one
// not written as ISO writes it (upper case), so that codes compare
// exactly with the currencies of money values.
func checkCurrencyCode(w crm.Write, entity string) error {
	code := w.Target.Fields.String(PriceListCurrency)
	if code == "" || crm.Currency(code).Valid() {
		return nil
	}
	return crm.Invalid(entity, PriceListCurrency, fmt.Sprintf("is %q, not an ISO 4217 code crmkit knows (upper case, such as USD)", code))
}

// priceListItemRules returns the price list item's rules.
func priceListItemRules() []crm.Rule {
	return []crm.Rule{
		{
			Name:   "the pricing method has its amount or percentage",
			Fields: []string{PriceListItemPricingMethod, PriceListItemAmount, PriceListItemPercentage},
			Check:  checkPricingMethod,
		},
		{
			Name:   "a rounding option and amount go with a rounding policy",
			Fields: []string{PriceListItemRoundingPolicy, PriceListItemRoundingOption, PriceListItemRoundingOptionAmount},
			Check:  checkRounding,
		},
		{
			Name: "amounts are in the price list's currency, and so is an amount discount list",
			Fields: []string{PriceListItemPriceList, PriceListItemAmount, PriceListItemRoundingOptionAmount,
				PriceListItemDiscountList},
			Check: checkPriceListItemCurrency,
		},
		{
			Name:   "the unit is a unit of the product's unit group",
			Fields: []string{PriceListItemProduct, PriceListItemUnit},
			Check: func(ctx context.Context, w crm.Write) error {
				p, err := lockField(ctx, w, PriceListItemEntity, PriceListItemProduct)
				if err != nil {
					return err
				}
				return checkUnitInGroup(ctx, w, PriceListItemEntity, PriceListItemUnit, p.Fields.Ref(ProductUnitGroup))
			},
		},
	}
}

// hundred is 100 per cent.
var hundred = decimal.NewFromInt(100)

// checkPricingMethod: Currency Amount needs the amount; the percentage
// methods need the percentage, and a margin below 100 % (a margin of 100 %
// or more has no price: sales.md §10 #24, an SDK decision).
func checkPricingMethod(_ context.Context, w crm.Write) error {
	f := w.Target.Fields
	m, _ := f.Choice(PriceListItemPricingMethod)
	method := PricingMethod(m)
	if method == PricingCurrencyAmount {
		if _, ok := f.Money(PriceListItemAmount); !ok {
			return crm.Invalid(PriceListItemEntity, PriceListItemAmount, "is required for the Currency Amount pricing method")
		}
		return nil
	}
	if f[PriceListItemPercentage] == nil {
		return crm.Invalid(PriceListItemEntity, PriceListItemPercentage, fmt.Sprintf("is required for the %s pricing method", method))
	}
	if (method == PricingMarginCurrentCost || method == PricingMarginStandardCost) && f.Decimal(PriceListItemPercentage).GreaterThanOrEqual(hundred) {
		return crm.Invalid(PriceListItemEntity, PriceListItemPercentage, "must be below 100 for a margin: a margin of 100 % or more has no price")
	}
	return nil
}

// checkRounding: a rounding option and amount are set only with a
// policy other than None, and then both are: the option says what the
// price is made to fit, the amount what it ends in or is a multiple of
// (a positive one, for Multiple of).
func checkRounding(_ context.Context, w crm.Write) error {
	f := w.Target.Fields
	p, _ := f.Choice(PriceListItemRoundingPolicy)
	o, hasOption := f.Choice(PriceListItemRoundingOption)
	amount, hasAmount := f.Money(PriceListItemRoundingOptionAmount)
	if p == 0 || RoundingPolicy(p) == RoundingNone {
		switch {
		case hasOption:
			return crm.Invalid(PriceListItemEntity, PriceListItemRoundingOption, "is set only with a rounding policy other than None")
		case hasAmount:
			return crm.Invalid(PriceListItemEntity, PriceListItemRoundingOptionAmount, "is set only with a rounding policy other than None")
		}
		return nil
	}
	switch {
	case !hasOption:
		return crm.Invalid(PriceListItemEntity, PriceListItemRoundingOption, fmt.Sprintf("is required with the rounding policy %s", RoundingPolicy(p)))
	case !hasAmount:
		return crm.Invalid(PriceListItemEntity, PriceListItemRoundingOptionAmount, fmt.Sprintf("is required with the rounding policy %s", RoundingPolicy(p)))
	case RoundingOption(o) == RoundingMultipleOf && amount.Amount.Sign() <= 0:
		return crm.Invalid(PriceListItemEntity, PriceListItemRoundingOptionAmount, "must be greater than zero to round to a multiple of it")
	case amount.Amount.Sign() < 0:
		return crm.Invalid(PriceListItemEntity, PriceListItemRoundingOptionAmount, "cannot be negative: a price ends in it")
	}
	return nil
}

// checkPriceListItemCurrency: the item's amounts are in its price list's
// currency (Dynamics: the item's transactioncurrencyid is the list's),
// and a discount list of amounts is in it too (sales.md §4.5). The price
// list and the discount list are held until the write commits.
func checkPriceListItemCurrency(ctx context.Context, w crm.Write) error {
	pl, err := lockField(ctx, w, PriceListItemEntity, PriceListItemPriceList)
	if err != nil {
		return err
	}
	cur := crm.Currency(pl.Fields.String(PriceListCurrency))
	for _, field := range []string{PriceListItemAmount, PriceListItemRoundingOptionAmount} {
		if m, ok := w.Target.Fields.Money(field); ok && m.Currency != cur {
			return crm.Invalid(PriceListItemEntity, field, fmt.Sprintf("is in %s; the price list is in %s", m.Currency, cur))
		}
	}
	if w.Target.Fields.Ref(PriceListItemDiscountList).IsZero() {
		return nil
	}
	dl, err := lockField(ctx, w, PriceListItemEntity, PriceListItemDiscountList)
	if err != nil {
		return err
	}
	if dc := crm.Currency(dl.Fields.String(DiscountListCurrency)); dl.Fields.Bool(DiscountListIsAmount) && dc != cur {
		return crm.Invalid(PriceListItemEntity, PriceListItemDiscountList, fmt.Sprintf("is %s, a list of amounts in %s; the price list is in %s",
			dl.Fields.String(DiscountListName), dc, cur))
	}
	return nil
}

// discountListRules returns the discount list's rules.
func discountListRules() []crm.Rule {
	return []crm.Rule{{
		Name:   "an amount discount list has a currency",
		Fields: []string{DiscountListIsAmount, DiscountListCurrency},
		Check: func(_ context.Context, w crm.Write) error {
			if err := checkCurrencyCode(w, DiscountListEntity); err != nil {
				return err
			}
			if w.Target.Fields.Bool(DiscountListIsAmount) && w.Target.Fields.String(DiscountListCurrency) == "" {
				return crm.Invalid(DiscountListEntity, DiscountListCurrency, "is required for a discount list of amounts")
			}
			return nil
		},
	}}
}

// discountRules returns the discount's rules.
func discountRules() []crm.Rule {
	return []crm.Rule{
		{
			Name:   "volume ranges are set by SetDiscount, which keeps them apart",
			Fields: []string{DiscountLowQuantity, DiscountHighQuantity},
			Check: func(_ context.Context, w crm.Write) error {
				field := DiscountLowQuantity
				if !writesField(w, field) {
					field = DiscountHighQuantity
				}
				return onlyIn(w, DiscountEntity, field, MessageSetDiscount)
			},
		},
		{
			Name:   "the end quantity is not below the begin quantity",
			Fields: []string{DiscountLowQuantity, DiscountHighQuantity},
			Check: func(_ context.Context, w crm.Write) error {
				f := w.Target.Fields
				if f.Decimal(DiscountHighQuantity).LessThan(f.Decimal(DiscountLowQuantity)) {
					return crm.Invalid(DiscountEntity, DiscountHighQuantity, "is below the begin quantity")
				}
				return nil
			},
		},
		{
			Name:   "a discount is a percentage or an amount, as its list says",
			Fields: []string{DiscountListID, DiscountPercentage, DiscountAmount},
			Check:  checkDiscountKind,
		},
	}
}

// checkDiscountKind: a discount of a percentage list has a percentage
// and no amount; one of an amount list has an amount, in the list's
// currency, and no percentage. The list is held until the write commits.
func checkDiscountKind(ctx context.Context, w crm.Write) error {
	dl, err := lockField(ctx, w, DiscountEntity, DiscountListID)
	if err != nil {
		return err
	}
	f := w.Target.Fields
	amount, hasAmount := f.Money(DiscountAmount)
	hasPercentage := f[DiscountPercentage] != nil
	if !dl.Fields.Bool(DiscountListIsAmount) {
		switch {
		case hasAmount:
			return crm.Invalid(DiscountEntity, DiscountAmount, "is not set in a discount list of percentages")
		case !hasPercentage:
			return crm.Invalid(DiscountEntity, DiscountPercentage, "is required in a discount list of percentages")
		}
		return nil
	}
	cur := crm.Currency(dl.Fields.String(DiscountListCurrency))
	switch {
	case hasPercentage:
		return crm.Invalid(DiscountEntity, DiscountPercentage, "is not set in a discount list of amounts")
	case !hasAmount:
		return crm.Invalid(DiscountEntity, DiscountAmount, "is required in a discount list of amounts")
	case amount.Currency != cur:
		return crm.Invalid(DiscountEntity, DiscountAmount, fmt.Sprintf("is in %s; the discount list is in %s", amount.Currency, cur))
	}
	return nil
}
