package sales

import (
	"errors"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// The typed records of the product catalog and their codecs. They follow
// the conventions of the package's other typed records (see the package
// doc): a member per declared field, Extra for a host's custom fields,
// and the fields the write path keeps (exchange rate, base amounts) read
// only.

// UnitGroup is a group of units one product is sold in (Dynamics'
// uomschedule), such as "Drinks": Can, Six-pack, Case. Create it with
// Catalog.CreateUnitGroup, which creates its primary unit.
type UnitGroup struct {
	crm.Header
	Name        string // required, at most 200 characters
	Description string
	// BaseUnitName names the primary unit; required on create.
	BaseUnitName string
	// BaseUnit is the primary unit, set by CreateUnitGroup.
	BaseUnit crm.Ref
	Extra    crm.Fields
}

// Ref returns a reference to the unit group.
func (g UnitGroup) Ref() crm.Ref { return UnitGroupRef(g.ID) }

// UnitGroupRef returns a reference to the unit group with the given ID.
func UnitGroupRef(id crm.ID) crm.Ref { return crm.Ref{Entity: UnitGroupEntity, ID: id} }

// UnitGroupState returns the group's state.
func (g UnitGroup) UnitGroupState() UnitGroupState { return UnitGroupState(g.State) }

// UnitGroupCodec converts between UnitGroup and uomschedule records.
func UnitGroupCodec() storage.Codec[UnitGroup] {
	return storage.Codec[UnitGroup]{Entity: UnitGroupEntity, Encode: encodeUnitGroup, Decode: decodeUnitGroup}
}

func unitGroupFields(g UnitGroup) crm.Fields {
	return crm.Fields{
		UnitGroupName:         text(g.Name),
		UnitGroupDescription:  text(g.Description),
		UnitGroupBaseUnitName: text(g.BaseUnitName),
		UnitGroupBaseUnit:     unlessZero(g.BaseUnit),
	}
}

var unitGroupKnown = sync.OnceValue(func() map[string]bool { return fieldSet(unitGroupFields(UnitGroup{})) })

func encodeUnitGroup(g UnitGroup) crm.Record {
	return encodeTyped(UnitGroupEntity, g.Header, unitGroupFields(g), g.Extra, unitGroupKnown(), nil)
}

func decodeUnitGroup(rec crm.Record) (UnitGroup, error) {
	f := rec.Fields
	return UnitGroup{
		Header:       rec.Header,
		Name:         f.String(UnitGroupName),
		Description:  f.String(UnitGroupDescription),
		BaseUnitName: f.String(UnitGroupBaseUnitName),
		BaseUnit:     f.Ref(UnitGroupBaseUnit),
		Extra:        extraFields(f, unitGroupKnown()),
	}, nil
}

// Unit is a unit of measure of a unit group (Dynamics' uom): Quantity
// times its BaseUnit, such as "Case = 12 Box". The group's primary unit
// has no base unit and a quantity of 1.
type Unit struct {
	crm.Header
	Name      string  // required, at most 100 characters, unique in its group
	Group     crm.Ref // required, set on create only
	Quantity  decimal.Decimal
	BaseUnit  crm.Ref // a unit of the same group; zero for the primary unit
	IsPrimary bool    // set by CreateUnitGroup only
	Extra     crm.Fields
}

// Ref returns a reference to the unit.
func (u Unit) Ref() crm.Ref { return UnitRef(u.ID) }

// UnitRef returns a reference to the unit with the given ID.
func UnitRef(id crm.ID) crm.Ref { return crm.Ref{Entity: UnitEntity, ID: id} }

// UnitCodec converts between Unit and uom records.
func UnitCodec() storage.Codec[Unit] {
	return storage.Codec[Unit]{Entity: UnitEntity, Encode: encodeUnit, Decode: decodeUnit}
}

func unitFields(u Unit) crm.Fields {
	return crm.Fields{
		UnitName:       text(u.Name),
		UnitScheduleID: unlessZero(u.Group),
		UnitQuantity:   u.Quantity,
		UnitBaseUnit:   unlessZero(u.BaseUnit),
		UnitIsPrimary:  u.IsPrimary,
	}
}

var unitKnown = sync.OnceValue(func() map[string]bool { return fieldSet(unitFields(Unit{})) })

func encodeUnit(u Unit) crm.Record {
	return encodeTyped(UnitEntity, u.Header, unitFields(u), u.Extra, unitKnown(), nil)
}

func decodeUnit(rec crm.Record) (Unit, error) {
	f := rec.Fields
	return Unit{
		Header:    rec.Header,
		Name:      f.String(UnitName),
		Group:     f.Ref(UnitScheduleID),
		Quantity:  f.Decimal(UnitQuantity),
		BaseUnit:  f.Ref(UnitBaseUnit),
		IsPrimary: f.Bool(UnitIsPrimary),
		Extra:     extraFields(f, unitKnown()),
	}, nil
}

// Product is an item of the catalog (Dynamics' product): a product sold
// on its own, a family grouping others, or a bundle of products sold
// together (Structure, set on create only). New products are Draft;
// Catalog publishes, revises, reverts, retires and activates them.
type Product struct {
	crm.Header
	Name      string           // required, at most 100 characters
	Number    string           // the product ID: required, unique
	Structure ProductStructure // required, set on create only
	Type      ProductType
	// Parent is the family the product is in; only a family has children.
	Parent crm.Ref
	// UnitGroup and DefaultUnit are required; the unit is the group's.
	UnitGroup   crm.Ref
	DefaultUnit crm.Ref
	// DefaultPriceList is the price list used when a record's own has no
	// item for the product; set once the product exists.
	DefaultPriceList crm.Ref
	// ListPrice, CurrentCost and StandardCost are kept to the pricing
	// precision; the percentage pricing methods read them.
	ListPrice    *crm.Money
	CurrentCost  *crm.Money
	StandardCost *crm.Money
	// QuantityDecimal is how many decimal places a quantity of the
	// product may have (0..5) where no price list item says.
	QuantityDecimal  int64
	ValidFrom        time.Time // date only
	ValidTo          time.Time // date only, not before ValidFrom
	Description      string
	VendorName       string
	VendorPartNumber string
	SupplierName     string
	QuantityOnHand   *decimal.Decimal
	StockWeight      *decimal.Decimal
	StockVolume      *decimal.Decimal

	// Kept by the write path when the registry has a base currency.
	ExchangeRate     *decimal.Decimal
	ListPriceBase    *crm.Money
	CurrentCostBase  *crm.Money
	StandardCostBase *crm.Money

	Extra crm.Fields
}

// Ref returns a reference to the product.
func (p Product) Ref() crm.Ref { return ProductRef(p.ID) }

// ProductRef returns a reference to the product with the given ID.
func ProductRef(id crm.ID) crm.Ref { return crm.Ref{Entity: ProductEntity, ID: id} }

// ProductState returns the product's state.
func (p Product) ProductState() ProductState { return ProductState(p.State) }

// ProductStatus returns the product's status reason.
func (p Product) ProductStatus() ProductStatus { return ProductStatus(p.Status) }

// ProductCodec converts between Product and product records.
func ProductCodec() storage.Codec[Product] {
	return storage.Codec[Product]{Entity: ProductEntity, Encode: encodeProduct, Decode: decodeProduct}
}

var productReadOnly = []string{crm.FieldExchangeRate, crm.BaseField(ProductListPrice),
	crm.BaseField(ProductCurrentCost), crm.BaseField(ProductStandardCost)}

func productFields(p Product) crm.Fields {
	return crm.Fields{
		ProductName:             text(p.Name),
		ProductNumber:           text(p.Number),
		ProductStructureCode:    choice(p.Structure),
		ProductTypeCode:         choice(p.Type),
		ProductParent:           unlessZero(p.Parent),
		ProductUnitGroup:        unlessZero(p.UnitGroup),
		ProductDefaultUnit:      unlessZero(p.DefaultUnit),
		ProductDefaultPriceList: unlessZero(p.DefaultPriceList),
		ProductListPrice:        optional(p.ListPrice),
		ProductCurrentCost:      optional(p.CurrentCost),
		ProductStandardCost:     optional(p.StandardCost),
		ProductQuantityDecimal:  p.QuantityDecimal,
		ProductValidFrom:        unlessZero(p.ValidFrom),
		ProductValidTo:          unlessZero(p.ValidTo),
		ProductDescription:      text(p.Description),
		ProductVendorName:       text(p.VendorName),
		ProductVendorPartNumber: text(p.VendorPartNumber),
		ProductSupplierName:     text(p.SupplierName),
		ProductQuantityOnHand:   optional(p.QuantityOnHand),
		ProductStockWeight:      optional(p.StockWeight),
		ProductStockVolume:      optional(p.StockVolume),
	}
}

var productKnown = sync.OnceValue(func() map[string]bool { return fieldSet(productFields(Product{})) })

func encodeProduct(p Product) crm.Record {
	return encodeTyped(ProductEntity, p.Header, productFields(p), p.Extra, productKnown(), productReadOnly)
}

func decodeProduct(rec crm.Record) (Product, error) {
	f := rec.Fields
	p := Product{
		Header:           rec.Header,
		Name:             f.String(ProductName),
		Number:           f.String(ProductNumber),
		Parent:           f.Ref(ProductParent),
		UnitGroup:        f.Ref(ProductUnitGroup),
		DefaultUnit:      f.Ref(ProductDefaultUnit),
		DefaultPriceList: f.Ref(ProductDefaultPriceList),
		ListPrice:        optionalField[crm.Money](f, ProductListPrice),
		CurrentCost:      optionalField[crm.Money](f, ProductCurrentCost),
		StandardCost:     optionalField[crm.Money](f, ProductStandardCost),
		QuantityDecimal:  f.Int(ProductQuantityDecimal),
		ValidFrom:        f.Time(ProductValidFrom),
		ValidTo:          f.Time(ProductValidTo),
		Description:      f.String(ProductDescription),
		VendorName:       f.String(ProductVendorName),
		VendorPartNumber: f.String(ProductVendorPartNumber),
		SupplierName:     f.String(ProductSupplierName),
		QuantityOnHand:   optionalField[decimal.Decimal](f, ProductQuantityOnHand),
		StockWeight:      optionalField[decimal.Decimal](f, ProductStockWeight),
		StockVolume:      optionalField[decimal.Decimal](f, ProductStockVolume),
		ExchangeRate:     optionalField[decimal.Decimal](f, crm.FieldExchangeRate),
		ListPriceBase:    optionalField[crm.Money](f, crm.BaseField(ProductListPrice)),
		CurrentCostBase:  optionalField[crm.Money](f, crm.BaseField(ProductCurrentCost)),
		StandardCostBase: optionalField[crm.Money](f, crm.BaseField(ProductStandardCost)),
		Extra:            extraFields(f, productKnown(), productReadOnly...),
	}
	var errs [2]error
	p.Structure, errs[0] = productStructures.decode(f, ProductStructureCode)
	p.Type, errs[1] = productTypes.decode(f, ProductTypeCode)
	return p, errors.Join(errs[:]...)
}

// BundleItem is a product in a bundle (Dynamics' productassociation):
// how many, in which unit, and whether a sale may leave it out. Add and
// change items with Catalog.AddBundleItem and UpdateBundleItem.
type BundleItem struct {
	crm.Header
	Bundle   crm.Ref // the bundle; required, set on create only
	Product  crm.Ref // a product (not a family or a bundle); set on create only
	Quantity decimal.Decimal
	Unit     crm.Ref // a unit of the product's unit group
	Required bool
	Extra    crm.Fields
}

// BundleItemCodec converts between BundleItem and productassociation
// records.
func BundleItemCodec() storage.Codec[BundleItem] {
	return storage.Codec[BundleItem]{Entity: BundleItemEntity, Encode: encodeBundleItem, Decode: decodeBundleItem}
}

func bundleItemFields(b BundleItem) crm.Fields {
	return crm.Fields{
		BundleItemBundle:   unlessZero(b.Bundle),
		BundleItemProduct:  unlessZero(b.Product),
		BundleItemQuantity: b.Quantity,
		BundleItemUnit:     unlessZero(b.Unit),
		BundleItemRequired: b.Required,
	}
}

var bundleItemKnown = sync.OnceValue(func() map[string]bool { return fieldSet(bundleItemFields(BundleItem{})) })

func encodeBundleItem(b BundleItem) crm.Record {
	return encodeTyped(BundleItemEntity, b.Header, bundleItemFields(b), b.Extra, bundleItemKnown(), nil)
}

func decodeBundleItem(rec crm.Record) (BundleItem, error) {
	f := rec.Fields
	return BundleItem{
		Header:   rec.Header,
		Bundle:   f.Ref(BundleItemBundle),
		Product:  f.Ref(BundleItemProduct),
		Quantity: f.Decimal(BundleItemQuantity),
		Unit:     f.Ref(BundleItemUnit),
		Required: f.Bool(BundleItemRequired),
		Extra:    extraFields(f, bundleItemKnown()),
	}, nil
}

// PriceList is a list of prices in one currency (Dynamics' pricelevel).
type PriceList struct {
	crm.Header
	Name        string // required, at most 100 characters
	Description string
	BeginDate   time.Time // date only
	EndDate     time.Time // date only, not before BeginDate
	// Currency is required and set on create only: the amounts of the
	// list's items are in it.
	Currency crm.Currency
	Extra    crm.Fields
}

// Ref returns a reference to the price list.
func (l PriceList) Ref() crm.Ref { return PriceListRef(l.ID) }

// PriceListRef returns a reference to the price list with the given ID.
func PriceListRef(id crm.ID) crm.Ref { return crm.Ref{Entity: PriceListEntity, ID: id} }

// PriceListState returns the price list's state.
func (l PriceList) PriceListState() PriceListState { return PriceListState(l.State) }

// PriceListCodec converts between PriceList and pricelevel records.
func PriceListCodec() storage.Codec[PriceList] {
	return storage.Codec[PriceList]{Entity: PriceListEntity, Encode: encodePriceList, Decode: decodePriceList}
}

func priceListFields(l PriceList) crm.Fields {
	return crm.Fields{
		PriceListName:        text(l.Name),
		PriceListDescription: text(l.Description),
		PriceListBeginDate:   unlessZero(l.BeginDate),
		PriceListEndDate:     unlessZero(l.EndDate),
		PriceListCurrency:    text(string(l.Currency)),
	}
}

var priceListKnown = sync.OnceValue(func() map[string]bool { return fieldSet(priceListFields(PriceList{})) })

func encodePriceList(l PriceList) crm.Record {
	return encodeTyped(PriceListEntity, l.Header, priceListFields(l), l.Extra, priceListKnown(), nil)
}

func decodePriceList(rec crm.Record) (PriceList, error) {
	f := rec.Fields
	return PriceList{
		Header:      rec.Header,
		Name:        f.String(PriceListName),
		Description: f.String(PriceListDescription),
		BeginDate:   f.Time(PriceListBeginDate),
		EndDate:     f.Time(PriceListEndDate),
		Currency:    crm.Currency(f.String(PriceListCurrency)),
		Extra:       extraFields(f, priceListKnown()),
	}, nil
}

// PriceListItem is the price of one product in one unit on one price
// list (Dynamics' productpricelevel), and how it is computed: what the
// pricing engine (sales/pricing) reads to price a line.
type PriceListItem struct {
	crm.Header
	PriceList crm.Ref // required, set on create only
	Product   crm.Ref // required, set on create only
	Unit      crm.Ref // required: a unit of the product's unit group
	// PricingMethod is required. Currency Amount takes Amount; the other
	// methods take Percentage (stored as 25 for 25 %), below 100 for the
	// margin methods.
	PricingMethod PricingMethod
	Amount        *crm.Money       // pricing precision, the list's currency
	Percentage    *decimal.Decimal // two places, 0..1,000,000,000
	// RoundingPolicy None (or no value) leaves the computed price as it
	// is; any other takes RoundingOption and RoundingAmount.
	RoundingPolicy  RoundingPolicy
	RoundingOption  RoundingOption
	RoundingAmount  *crm.Money // pricing precision, the list's currency
	QuantitySelling QuantitySelling
	DiscountList    crm.Ref // volume discounts

	// Kept by the write path when the registry has a base currency.
	ExchangeRate       *decimal.Decimal
	AmountBase         *crm.Money
	RoundingAmountBase *crm.Money

	Extra crm.Fields
}

// PriceListItemCodec converts between PriceListItem and
// productpricelevel records.
func PriceListItemCodec() storage.Codec[PriceListItem] {
	return storage.Codec[PriceListItem]{Entity: PriceListItemEntity, Encode: encodePriceListItem, Decode: decodePriceListItem}
}

var priceListItemReadOnly = []string{crm.FieldExchangeRate, crm.BaseField(PriceListItemAmount),
	crm.BaseField(PriceListItemRoundingOptionAmount)}

func priceListItemFields(i PriceListItem) crm.Fields {
	return crm.Fields{
		PriceListItemPriceList:            unlessZero(i.PriceList),
		PriceListItemProduct:              unlessZero(i.Product),
		PriceListItemUnit:                 unlessZero(i.Unit),
		PriceListItemPricingMethod:        choice(i.PricingMethod),
		PriceListItemAmount:               optional(i.Amount),
		PriceListItemPercentage:           optional(i.Percentage),
		PriceListItemRoundingPolicy:       choice(i.RoundingPolicy),
		PriceListItemRoundingOption:       choice(i.RoundingOption),
		PriceListItemRoundingOptionAmount: optional(i.RoundingAmount),
		PriceListItemQuantitySelling:      choice(i.QuantitySelling),
		PriceListItemDiscountList:         unlessZero(i.DiscountList),
	}
}

var priceListItemKnown = sync.OnceValue(func() map[string]bool { return fieldSet(priceListItemFields(PriceListItem{})) })

func encodePriceListItem(i PriceListItem) crm.Record {
	return encodeTyped(PriceListItemEntity, i.Header, priceListItemFields(i), i.Extra, priceListItemKnown(), priceListItemReadOnly)
}

func decodePriceListItem(rec crm.Record) (PriceListItem, error) {
	f := rec.Fields
	i := PriceListItem{
		Header:             rec.Header,
		PriceList:          f.Ref(PriceListItemPriceList),
		Product:            f.Ref(PriceListItemProduct),
		Unit:               f.Ref(PriceListItemUnit),
		Amount:             optionalField[crm.Money](f, PriceListItemAmount),
		Percentage:         optionalField[decimal.Decimal](f, PriceListItemPercentage),
		RoundingAmount:     optionalField[crm.Money](f, PriceListItemRoundingOptionAmount),
		DiscountList:       f.Ref(PriceListItemDiscountList),
		ExchangeRate:       optionalField[decimal.Decimal](f, crm.FieldExchangeRate),
		AmountBase:         optionalField[crm.Money](f, crm.BaseField(PriceListItemAmount)),
		RoundingAmountBase: optionalField[crm.Money](f, crm.BaseField(PriceListItemRoundingOptionAmount)),
		Extra:              extraFields(f, priceListItemKnown(), priceListItemReadOnly...),
	}
	var errs [4]error
	i.PricingMethod, errs[0] = pricingMethods.decode(f, PriceListItemPricingMethod)
	i.RoundingPolicy, errs[1] = roundingPolicies.decode(f, PriceListItemRoundingPolicy)
	i.RoundingOption, errs[2] = roundingOptions.decode(f, PriceListItemRoundingOption)
	i.QuantitySelling, errs[3] = quantitySellings.decode(f, PriceListItemQuantitySelling)
	return i, errors.Join(errs[:]...)
}

// DiscountList is a list of volume discounts (Dynamics' discounttype),
// of percentages or, with IsAmount, of amounts per unit in Currency.
type DiscountList struct {
	crm.Header
	Name        string // required, at most 100 characters
	Description string
	IsAmount    bool         // set on create only
	Currency    crm.Currency // required for a list of amounts; set on create only
	Extra       crm.Fields
}

// Ref returns a reference to the discount list.
func (l DiscountList) Ref() crm.Ref { return DiscountListRef(l.ID) }

// DiscountListRef returns a reference to the discount list with the given
// ID.
func DiscountListRef(id crm.ID) crm.Ref { return crm.Ref{Entity: DiscountListEntity, ID: id} }

// DiscountListCodec converts between DiscountList and discounttype
// records.
func DiscountListCodec() storage.Codec[DiscountList] {
	return storage.Codec[DiscountList]{Entity: DiscountListEntity, Encode: encodeDiscountList, Decode: decodeDiscountList}
}

func discountListFields(l DiscountList) crm.Fields {
	return crm.Fields{
		DiscountListName:        text(l.Name),
		DiscountListDescription: text(l.Description),
		DiscountListIsAmount:    l.IsAmount,
		DiscountListCurrency:    text(string(l.Currency)),
	}
}

var discountListKnown = sync.OnceValue(func() map[string]bool { return fieldSet(discountListFields(DiscountList{})) })

func encodeDiscountList(l DiscountList) crm.Record {
	return encodeTyped(DiscountListEntity, l.Header, discountListFields(l), l.Extra, discountListKnown(), nil)
}

func decodeDiscountList(rec crm.Record) (DiscountList, error) {
	f := rec.Fields
	return DiscountList{
		Header:      rec.Header,
		Name:        f.String(DiscountListName),
		Description: f.String(DiscountListDescription),
		IsAmount:    f.Bool(DiscountListIsAmount),
		Currency:    crm.Currency(f.String(DiscountListCurrency)),
		Extra:       extraFields(f, discountListKnown()),
	}, nil
}

// Discount is one volume range of a discount list (Dynamics' discount):
// from Low to High units inclusive, a Percentage off the price per unit
// or an Amount off per unit, as the list says. Add and change ranges with
// Catalog.AddDiscount and UpdateDiscount, which keep a list's ranges
// apart.
type Discount struct {
	crm.Header
	DiscountList crm.Ref // required, set on create only
	Low          decimal.Decimal
	High         decimal.Decimal // not below Low
	Percentage   *decimal.Decimal
	Amount       *crm.Money

	// Kept by the write path when the registry has a base currency.
	ExchangeRate *decimal.Decimal
	AmountBase   *crm.Money

	Extra crm.Fields
}

// DiscountCodec converts between Discount and discount records.
func DiscountCodec() storage.Codec[Discount] {
	return storage.Codec[Discount]{Entity: DiscountEntity, Encode: encodeDiscount, Decode: decodeDiscount}
}

var discountReadOnly = []string{crm.FieldExchangeRate, crm.BaseField(DiscountAmount)}

func discountFields(d Discount) crm.Fields {
	return crm.Fields{
		DiscountListID:       unlessZero(d.DiscountList),
		DiscountLowQuantity:  d.Low,
		DiscountHighQuantity: d.High,
		DiscountPercentage:   optional(d.Percentage),
		DiscountAmount:       optional(d.Amount),
	}
}

var discountKnown = sync.OnceValue(func() map[string]bool { return fieldSet(discountFields(Discount{})) })

func encodeDiscount(d Discount) crm.Record {
	return encodeTyped(DiscountEntity, d.Header, discountFields(d), d.Extra, discountKnown(), discountReadOnly)
}

func decodeDiscount(rec crm.Record) (Discount, error) {
	f := rec.Fields
	return Discount{
		Header:       rec.Header,
		DiscountList: f.Ref(DiscountListID),
		Low:          f.Decimal(DiscountLowQuantity),
		High:         f.Decimal(DiscountHighQuantity),
		Percentage:   optionalField[decimal.Decimal](f, DiscountPercentage),
		Amount:       optionalField[crm.Money](f, DiscountAmount),
		ExchangeRate: optionalField[decimal.Decimal](f, crm.FieldExchangeRate),
		AmountBase:   optionalField[crm.Money](f, crm.BaseField(DiscountAmount)),
		Extra:        extraFields(f, discountKnown(), discountReadOnly...),
	}, nil
}
