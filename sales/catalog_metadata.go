package sales

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
)

// Logical names of the product catalog's entities (sales.md §4).
const (
	UnitGroupEntity     = "uomschedule"
	UnitEntity          = "uom"
	ProductEntity       = "product"
	BundleItemEntity    = "productassociation"
	PriceListEntity     = "pricelevel"
	PriceListItemEntity = "productpricelevel"
	DiscountListEntity  = "discounttype"
	DiscountEntity      = "discount"
)

// Logical field names of the unit group (uomschedule).
const (
	UnitGroupName        = "name"
	UnitGroupDescription = "description"
	// UnitGroupBaseUnitName is the name the group's primary unit is
	// created with (Catalog.CreateUnitGroup).
	UnitGroupBaseUnitName = "baseuomname"
	// UnitGroupBaseUnit is the group's primary unit, set by
	// CreateUnitGroup. Dynamics keeps only its name; crmkit keeps the
	// lookup too, whose Restrict delete behaviour is what keeps the
	// primary unit from being deleted while its group exists.
	UnitGroupBaseUnit = "baseuom"
)

// Logical field names of the unit (uom).
const (
	UnitName       = "name"
	UnitScheduleID = "uomscheduleid"
	// UnitQuantity is how many base units (UnitBaseUnit) one unit holds.
	UnitQuantity = "quantity"
	// UnitBaseUnit is the unit this one is expressed in; null for the
	// group's primary unit.
	UnitBaseUnit = "baseuom"
	// UnitIsPrimary marks the group's primary unit.
	UnitIsPrimary = "isschedulebaseuom"
)

// Logical field names of the product.
const (
	ProductName             = "name"
	ProductNumber           = "productnumber"
	ProductStructureCode    = "productstructure"
	ProductTypeCode         = "producttypecode"
	ProductParent           = "parentproductid"
	ProductUnitGroup        = "defaultuomscheduleid"
	ProductDefaultUnit      = "defaultuomid"
	ProductDefaultPriceList = "pricelevelid"
	ProductListPrice        = "price"
	ProductCurrentCost      = "currentcost"
	ProductStandardCost     = "standardcost"
	ProductQuantityDecimal  = "quantitydecimal"
	ProductValidFrom        = "validfromdate"
	ProductValidTo          = "validtodate"
	ProductDescription      = "description"
	ProductVendorName       = "vendorname"
	ProductVendorPartNumber = "vendorpartnumber"
	ProductSupplierName     = "suppliername"
	ProductQuantityOnHand   = "quantityonhand"
	ProductStockWeight      = "stockweight"
	ProductStockVolume      = "stockvolume"
	// ProductNumberKey is the alternate key on productnumber: no two
	// products share a product ID (storage.Store.GetByKey finds one by it).
	ProductNumberKey = "productnumber"
)

// Logical field names of the bundle item (productassociation).
const (
	BundleItemBundle   = "productid"
	BundleItemProduct  = "associatedproduct"
	BundleItemQuantity = "quantity"
	BundleItemUnit     = "uomid"
	// BundleItemRequired marks a required item; an optional one may be
	// left out of a sale (Dynamics' productisrequired, an option set
	// Optional/Required there, a bool here).
	BundleItemRequired = "productisrequired"
	// BundleItemKey is the alternate key on (bundle, product): a product
	// is in a bundle once.
	BundleItemKey = "bundleproduct"
)

// Logical field names of the price list (pricelevel).
const (
	PriceListName        = "name"
	PriceListDescription = "description"
	PriceListBeginDate   = "begindate"
	PriceListEndDate     = "enddate"
	// PriceListCurrency is the price list's currency, an ISO 4217 code
	// (see the package doc, "Product catalog").
	PriceListCurrency = "isocurrencycode"
)

// Logical field names of the price list item (productpricelevel).
const (
	PriceListItemPriceList            = "pricelevelid"
	PriceListItemProduct              = "productid"
	PriceListItemUnit                 = "uomid"
	PriceListItemPricingMethod        = "pricingmethodcode"
	PriceListItemAmount               = "amount"
	PriceListItemPercentage           = "percentage"
	PriceListItemRoundingPolicy       = "roundingpolicycode"
	PriceListItemRoundingOption       = "roundingoptioncode"
	PriceListItemRoundingOptionAmount = "roundingoptionamount"
	PriceListItemQuantitySelling      = "quantitysellingcode"
	PriceListItemDiscountList         = "discounttypeid"
	// PriceListItemKey is the alternate key on (price list, product,
	// unit): one price per product and unit in a list.
	PriceListItemKey = "pricelistproductunit"
)

// Logical field names of the discount list (discounttype).
const (
	DiscountListName        = "name"
	DiscountListDescription = "description"
	// DiscountListIsAmount: the list's discounts are amounts off per unit
	// rather than percentages. Set on create only.
	DiscountListIsAmount = "isamounttype"
	// DiscountListCurrency is an amount list's currency, an ISO 4217
	// code, required for amount lists.
	DiscountListCurrency = "isocurrencycode"
)

// Logical field names of the discount (one volume range of a list).
const (
	DiscountListID       = "discounttypeid"
	DiscountLowQuantity  = "lowquantity"
	DiscountHighQuantity = "highquantity"
	DiscountPercentage   = "percentage"
	DiscountAmount       = "amount"
)

// Catalog limits.
const (
	// MaxQuantityDecimal is the most decimal places a product's
	// quantities may have (quantitydecimal 0..5).
	MaxQuantityDecimal = 5
	// DefaultMaxProductsInBundle is Dynamics' default for
	// organization.maxproductsinbundle.
	DefaultMaxProductsInBundle = 15
)

// registerCatalog adds the catalog's entities to reg (Register calls
// it). They refer to one another (a product to its unit group and
// default price list, a price list item to all three), so they are
// registered in one batch.
func registerCatalog(reg *crm.Registry) error {
	if err := reg.Register(UnitGroupMetadata(), UnitMetadata(), ProductMetadata(), BundleItemMetadata(),
		PriceListMetadata(), PriceListItemMetadata(), DiscountListMetadata(), DiscountMetadata()); err != nil {
		return fmt.Errorf("register product catalog: %w", err)
	}
	return nil
}

func decimalBound(s string) *decimal.Decimal {
	d := decimal.RequireFromString(s)
	return &d
}

// catalogQuantity is a quantity field: Dynamics' decimals of quantities
// keep five places.
func catalogQuantity(name, label string, required bool) crm.Field {
	return crm.Field{Name: name, Label: label, Type: crm.TypeDecimal, Precision: MaxQuantityDecimal,
		Required: required, Min: decimalPtr(0), Max: decimalPtr(1_000_000_000)}
}

// currencyCode is the ISO 4217 code a price list or a discount list is
// in, set on create only.
func currencyCode(required bool) crm.Field {
	return crm.Field{Name: PriceListCurrency, Label: "Currency", Type: crm.TypeText, MaxLength: 3,
		Required: required, Immutable: true}
}

// UnitGroupMetadata returns the unit group entity (sales.md §4.1). Each
// call returns a new value.
func UnitGroupMetadata() *crm.Entity {
	return &crm.Entity{
		Name: UnitGroupEntity, Label: "Unit Group", PrimaryName: UnitGroupName,
		Fields: []crm.Field{
			{Name: UnitGroupName, Label: "Name", Type: crm.TypeText, MaxLength: 200, Required: true},
			{Name: UnitGroupDescription, Label: "Description", Type: crm.TypeText, MaxLength: 2000},
			{Name: UnitGroupBaseUnitName, Label: "Primary Unit", Type: crm.TypeText, MaxLength: 100, Required: true},
			{Name: UnitGroupBaseUnit, Label: "Primary Unit ID", Type: crm.TypeLookup, Targets: []string{UnitEntity},
				OnDelete: crm.DeleteRestrict},
		},
		Lifecycle: UnitGroupLifecycle(),
		Rules:     unitGroupRules(),
	}
}

// UnitMetadata returns the unit entity (sales.md §4.1): names are unique
// within a group; deleting the group deletes its units; a unit other
// records use (as their base unit, a product's default unit, a price list
// item's or a bundle item's unit) cannot be deleted. Each call returns a
// new value.
func UnitMetadata() *crm.Entity {
	return &crm.Entity{
		Name: UnitEntity, Label: "Unit", PrimaryName: UnitName,
		Fields: []crm.Field{
			{Name: UnitName, Label: "Name", Type: crm.TypeText, MaxLength: 100, Required: true},
			{Name: UnitScheduleID, Label: "Unit Group", Type: crm.TypeLookup, Targets: []string{UnitGroupEntity},
				Required: true, Immutable: true, OnDelete: crm.DeleteCascade},
			{Name: UnitQuantity, Label: "Quantity", Type: crm.TypeDecimal, Precision: crm.MaxDecimalPlaces,
				Required: true, Min: decimalPtr(0), Max: decimalPtr(1_000_000_000)},
			{Name: UnitBaseUnit, Label: "Base Unit", Type: crm.TypeLookup, Targets: []string{UnitEntity},
				OnDelete: crm.DeleteRestrict, Hierarchical: true},
			{Name: UnitIsPrimary, Label: "Is Schedule Base Unit", Type: crm.TypeBool},
		},
		Keys:  []crm.Key{{Name: "uomnameingroup", Fields: []string{UnitScheduleID, UnitName}}},
		Rules: unitRules(),
	}
}

// ProductMetadata returns the product entity (sales.md §4.2), with its
// lifecycle and rules. Each call returns a new value.
func ProductMetadata() *crm.Entity {
	price := func(name, label string) crm.Field {
		return crm.Field{Name: name, Label: label, Type: crm.TypeMoney, MoneyPrecision: crm.PrecisionPricing,
			Min: decimalPtr(0), Max: decimalBound("100000000000000")}
	}
	return &crm.Entity{
		Name: ProductEntity, Label: "Product", PrimaryName: ProductName,
		Fields: []crm.Field{
			{Name: ProductName, Label: "Name", Type: crm.TypeText, MaxLength: 100, Required: true},
			{Name: ProductNumber, Label: "Product ID", Type: crm.TypeText, MaxLength: 100, Required: true},
			{Name: ProductStructureCode, Label: "Product Structure", Type: crm.TypeChoice, Options: productStructures.choices(),
				Required: true, Immutable: true},
			{Name: ProductTypeCode, Label: "Product Type", Type: crm.TypeChoice, Options: productTypes.choices()},
			// A family cannot be deleted while products are in it.
			{Name: ProductParent, Label: "Parent", Type: crm.TypeLookup, Targets: []string{ProductEntity},
				OnDelete: crm.DeleteRestrict, Hierarchical: true},
			{Name: ProductUnitGroup, Label: "Unit Group", Type: crm.TypeLookup, Targets: []string{UnitGroupEntity},
				Required: true, OnDelete: crm.DeleteRestrict},
			{Name: ProductDefaultUnit, Label: "Default Unit", Type: crm.TypeLookup, Targets: []string{UnitEntity},
				Required: true, OnDelete: crm.DeleteRestrict},
			{Name: ProductDefaultPriceList, Label: "Default Price List", Type: crm.TypeLookup, Targets: []string{PriceListEntity},
				OnDelete: crm.DeleteRemoveLink},
			price(ProductListPrice, "List Price"),
			price(ProductCurrentCost, "Current Cost"),
			price(ProductStandardCost, "Standard Cost"),
			{Name: ProductQuantityDecimal, Label: "Decimals Supported", Type: crm.TypeInteger, Required: true,
				Min: decimalPtr(0), Max: decimalPtr(MaxQuantityDecimal)},
			{Name: ProductValidFrom, Label: "Valid From", Type: crm.TypeTime, DateOnly: true},
			{Name: ProductValidTo, Label: "Valid To", Type: crm.TypeTime, DateOnly: true},
			{Name: ProductDescription, Label: "Description", Type: crm.TypeText, MaxLength: 2000},
			{Name: ProductVendorName, Label: "Vendor", Type: crm.TypeText, MaxLength: 100},
			{Name: ProductVendorPartNumber, Label: "Vendor Part Number", Type: crm.TypeText, MaxLength: 100},
			{Name: ProductSupplierName, Label: "Supplier Name", Type: crm.TypeText, MaxLength: 100},
			catalogQuantity(ProductQuantityOnHand, "Quantity On Hand", false),
			catalogQuantity(ProductStockWeight, "Stock Weight", false),
			catalogQuantity(ProductStockVolume, "Stock Volume", false),
		},
		Keys:      []crm.Key{{Name: ProductNumberKey, Fields: []string{ProductNumber}}},
		Lifecycle: ProductLifecycle(),
		Rules:     productRules(),
	}
}

// BundleItemMetadata returns the bundle item entity (productassociation,
// sales.md §4.2): deleting the bundle deletes its items; a product in a
// bundle cannot be deleted. Each call returns a new value.
func BundleItemMetadata() *crm.Entity {
	return &crm.Entity{
		Name: BundleItemEntity, Label: "Product Association",
		Fields: []crm.Field{
			{Name: BundleItemBundle, Label: "Bundle", Type: crm.TypeLookup, Targets: []string{ProductEntity},
				Required: true, Immutable: true, OnDelete: crm.DeleteCascade},
			{Name: BundleItemProduct, Label: "Product", Type: crm.TypeLookup, Targets: []string{ProductEntity},
				Required: true, Immutable: true, OnDelete: crm.DeleteRestrict},
			catalogQuantity(BundleItemQuantity, "Quantity", true),
			{Name: BundleItemUnit, Label: "Unit", Type: crm.TypeLookup, Targets: []string{UnitEntity},
				Required: true, OnDelete: crm.DeleteRestrict},
			{Name: BundleItemRequired, Label: "Required", Type: crm.TypeBool},
		},
		Keys:  []crm.Key{{Name: BundleItemKey, Fields: []string{BundleItemBundle, BundleItemProduct}}},
		Rules: bundleItemRules(),
	}
}

// PriceListMetadata returns the price list entity (sales.md §4.3). Each
// call returns a new value.
func PriceListMetadata() *crm.Entity {
	return &crm.Entity{
		Name: PriceListEntity, Label: "Price List", PrimaryName: PriceListName,
		Fields: []crm.Field{
			{Name: PriceListName, Label: "Name", Type: crm.TypeText, MaxLength: 100, Required: true},
			{Name: PriceListDescription, Label: "Description", Type: crm.TypeText, MaxLength: 2000},
			{Name: PriceListBeginDate, Label: "Start Date", Type: crm.TypeTime, DateOnly: true},
			{Name: PriceListEndDate, Label: "End Date", Type: crm.TypeTime, DateOnly: true},
			currencyCode(true),
		},
		Lifecycle: PriceListLifecycle(),
		Rules:     priceListRules(),
	}
}

// PriceListItemMetadata returns the price list item entity
// (productpricelevel, sales.md §4.4): deleting the price list or the
// product deletes the item. Each call returns a new value.
func PriceListItemMetadata() *crm.Entity {
	pricing := func(name, label string, min string) crm.Field {
		return crm.Field{Name: name, Label: label, Type: crm.TypeMoney, MoneyPrecision: crm.PrecisionPricing,
			Min: decimalBound(min), Max: decimalBound("100000000000000")}
	}
	return &crm.Entity{
		Name: PriceListItemEntity, Label: "Price List Item",
		Fields: []crm.Field{
			{Name: PriceListItemPriceList, Label: "Price List", Type: crm.TypeLookup, Targets: []string{PriceListEntity},
				Required: true, Immutable: true, OnDelete: crm.DeleteCascade},
			{Name: PriceListItemProduct, Label: "Product", Type: crm.TypeLookup, Targets: []string{ProductEntity},
				Required: true, Immutable: true, OnDelete: crm.DeleteCascade},
			{Name: PriceListItemUnit, Label: "Unit", Type: crm.TypeLookup, Targets: []string{UnitEntity},
				Required: true, OnDelete: crm.DeleteRestrict},
			{Name: PriceListItemPricingMethod, Label: "Pricing Method", Type: crm.TypeChoice, Options: pricingMethods.choices(), Required: true},
			pricing(PriceListItemAmount, "Amount", "0"),
			{Name: PriceListItemPercentage, Label: "Percentage", Type: crm.TypeDecimal, Precision: 2,
				Min: decimalPtr(0), Max: decimalPtr(1_000_000_000)},
			{Name: PriceListItemRoundingPolicy, Label: "Rounding Policy", Type: crm.TypeChoice, Options: roundingPolicies.choices()},
			{Name: PriceListItemRoundingOption, Label: "Rounding Option", Type: crm.TypeChoice, Options: roundingOptions.choices()},
			pricing(PriceListItemRoundingOptionAmount, "Rounding Amount", "-100000000000000"),
			{Name: PriceListItemQuantitySelling, Label: "Quantity Selling Option", Type: crm.TypeChoice, Options: quantitySellings.choices()},
			{Name: PriceListItemDiscountList, Label: "Discount List", Type: crm.TypeLookup, Targets: []string{DiscountListEntity},
				OnDelete: crm.DeleteRemoveLink},
		},
		Keys:  []crm.Key{{Name: PriceListItemKey, Fields: []string{PriceListItemPriceList, PriceListItemProduct, PriceListItemUnit}}},
		Rules: priceListItemRules(),
	}
}

// DiscountListMetadata returns the discount list entity (discounttype,
// sales.md §4.5). Each call returns a new value.
func DiscountListMetadata() *crm.Entity {
	return &crm.Entity{
		Name: DiscountListEntity, Label: "Discount List", PrimaryName: DiscountListName,
		Fields: []crm.Field{
			{Name: DiscountListName, Label: "Name", Type: crm.TypeText, MaxLength: 100, Required: true},
			{Name: DiscountListDescription, Label: "Description", Type: crm.TypeText, MaxLength: 2000},
			{Name: DiscountListIsAmount, Label: "Type", Type: crm.TypeBool, Immutable: true},
			currencyCode(false),
		},
		Lifecycle: DiscountListLifecycle(),
		Rules:     discountListRules(),
	}
}

// DiscountMetadata returns the discount entity (one volume range of a
// discount list, sales.md §4.5): deleting the list deletes its ranges.
// Each call returns a new value.
func DiscountMetadata() *crm.Entity {
	return &crm.Entity{
		Name: DiscountEntity, Label: "Discount",
		Fields: []crm.Field{
			{Name: DiscountListID, Label: "Discount List", Type: crm.TypeLookup, Targets: []string{DiscountListEntity},
				Required: true, Immutable: true, OnDelete: crm.DeleteCascade},
			catalogQuantity(DiscountLowQuantity, "Begin Quantity", true),
			catalogQuantity(DiscountHighQuantity, "End Quantity", true),
			{Name: DiscountPercentage, Label: "Percentage", Type: crm.TypeDecimal, Precision: 2,
				Min: decimalPtr(0), Max: decimalPtr(100)},
			{Name: DiscountAmount, Label: "Amount", Type: crm.TypeMoney, Min: decimalPtr(0)},
		},
		Rules: discountRules(),
	}
}
