package sales

import "github.com/crmkit/crmkit/crm"

// The typed option sets, states and status reasons of the product catalog
// (sales.md §4; see enums.go for how typed enums work). Their numbers are
// Dynamics' published values, except the product's Draft status reason
// (see ProductStatusDraft).

// UnitGroupState is a unit group's state (statecode). The zero value is
// UnitGroupStateActive, the state every unit group starts in.
type UnitGroupState int32

// UnitGroupState values, with their published numbers.
const (
	UnitGroupStateActive   UnitGroupState = 0
	UnitGroupStateInactive UnitGroupState = 1
)

var unitGroupStates = stateSet[UnitGroupState]("unit group state", UnitGroupLifecycle())

// UnitGroupStatus is a unit group's status reason (statuscode).
type UnitGroupStatus int32

// UnitGroupStatus values, with their published numbers.
const (
	UnitGroupStatusActive   UnitGroupStatus = 1
	UnitGroupStatusInactive UnitGroupStatus = 2
)

var unitGroupStatuses = newOptionSet[UnitGroupStatus]("unit group status reason", crm.FieldStatus, statusOptions(UnitGroupLifecycle()))

// ProductState is a product's state (statecode). The zero value is
// ProductStateActive; new products start Draft.
type ProductState int32

// ProductState values, with their published numbers.
const (
	ProductStateActive        ProductState = 0
	ProductStateRetired       ProductState = 1
	ProductStateDraft         ProductState = 2
	ProductStateUnderRevision ProductState = 3
)

var productStates = stateSet[ProductState]("product state", ProductLifecycle())

// ProductStatus is a product's status reason (statuscode).
type ProductStatus int32

// ProductStatus values. Active, Retired and Under Revision carry
// Dynamics' numbers; Draft does not (see ProductStatusDraft).
const (
	ProductStatusActive        ProductStatus = 1
	ProductStatusRetired       ProductStatus = 2
	ProductStatusUnderRevision ProductStatus = 3
	// ProductStatusDraft is 4, where Dynamics numbers it 0: crmkit's
	// kernel keeps status reason 0 for "none given" (a state change with
	// status 0 takes the state's default), so no status reason is
	// numbered 0. 4 is the next number Dynamics leaves free. An import of
	// Dynamics data maps its 0 to 4.
	ProductStatusDraft ProductStatus = 4
)

var productStatuses = newOptionSet[ProductStatus]("product status reason", crm.FieldStatus, statusOptions(ProductLifecycle()))

// ProductStructure says what a product record is (productstructure): a
// product sold on its own, a family grouping others, or a bundle of
// products sold together. It is set on create and never changes; the
// zero value is no value, which the store refuses (the field is
// required).
type ProductStructure int32

// ProductStructure values, with their published numbers.
const (
	StructureProduct ProductStructure = 1
	StructureFamily  ProductStructure = 2
	StructureBundle  ProductStructure = 3
)

var productStructures = newOptionSet[ProductStructure]("product structure", ProductStructureCode, []crm.Option{
	{Value: 1, Label: "Product"},
	{Value: 2, Label: "Product Family"},
	{Value: 3, Label: "Product Bundle"},
})

// ProductType is what kind of thing a product is (producttypecode). The
// zero value is no value (null).
type ProductType int32

// ProductType values, with their published numbers.
const (
	ProductTypeSalesInventory       ProductType = 1
	ProductTypeMiscellaneousCharges ProductType = 2
	ProductTypeServices             ProductType = 3
	ProductTypeFlatFees             ProductType = 4
)

var productTypes = newOptionSet[ProductType]("product type", ProductTypeCode, []crm.Option{
	{Value: 1, Label: "Sales Inventory"},
	{Value: 2, Label: "Miscellaneous Charges"},
	{Value: 3, Label: "Services"},
	{Value: 4, Label: "Flat Fees"},
})

// PriceListState is a price list's state (statecode). The zero value is
// PriceListStateActive.
type PriceListState int32

// PriceListState values, with their published numbers.
const (
	PriceListStateActive   PriceListState = 0
	PriceListStateInactive PriceListState = 1
)

var priceListStates = stateSet[PriceListState]("price list state", PriceListLifecycle())

// PriceListStatus is a price list's status reason (statuscode).
type PriceListStatus int32

// PriceListStatus values, with their published numbers.
const (
	PriceListStatusActive   PriceListStatus = 100001
	PriceListStatusInactive PriceListStatus = 100002
)

var priceListStatuses = newOptionSet[PriceListStatus]("price list status reason", crm.FieldStatus, statusOptions(PriceListLifecycle()))

// PricingMethod is how a price list item prices its product
// (pricingmethodcode, sales.md §4.4). The zero value is no value, which
// the store refuses (the field is required).
type PricingMethod int32

// PricingMethod values, with their published numbers.
const (
	PricingCurrencyAmount     PricingMethod = 1
	PricingPercentOfList      PricingMethod = 2
	PricingMarkupCurrentCost  PricingMethod = 3
	PricingMarginCurrentCost  PricingMethod = 4
	PricingMarkupStandardCost PricingMethod = 5
	PricingMarginStandardCost PricingMethod = 6
)

var pricingMethods = newOptionSet[PricingMethod]("pricing method", PriceListItemPricingMethod, []crm.Option{
	{Value: 1, Label: "Currency Amount"},
	{Value: 2, Label: "Percent of List"},
	{Value: 3, Label: "Percent Markup - Current Cost"},
	{Value: 4, Label: "Percent Margin - Current Cost"},
	{Value: 5, Label: "Percent Markup - Standard Cost"},
	{Value: 6, Label: "Percent Margin - Standard Cost"},
})

// RoundingPolicy is how a price list item rounds a computed price
// (roundingpolicycode). The zero value is no value, read as None.
type RoundingPolicy int32

// RoundingPolicy values, with their published numbers.
const (
	RoundingNone    RoundingPolicy = 1
	RoundingUp      RoundingPolicy = 2
	RoundingDown    RoundingPolicy = 3
	RoundingNearest RoundingPolicy = 4
)

var roundingPolicies = newOptionSet[RoundingPolicy]("rounding policy", PriceListItemRoundingPolicy, []crm.Option{
	{Value: 1, Label: "None"},
	{Value: 2, Label: "Up"},
	{Value: 3, Label: "Down"},
	{Value: 4, Label: "To Nearest"},
})

// RoundingOption is what a rounded price is made to fit
// (roundingoptioncode): end in the rounding amount, or be a multiple of
// it. The zero value is no value.
type RoundingOption int32

// RoundingOption values, with their published numbers.
const (
	RoundingEndsIn     RoundingOption = 1
	RoundingMultipleOf RoundingOption = 2
)

var roundingOptions = newOptionSet[RoundingOption]("rounding option", PriceListItemRoundingOption, []crm.Option{
	{Value: 1, Label: "Ends in"},
	{Value: 2, Label: "Multiple of"},
})

// QuantitySelling is which quantities a price list item sells
// (quantitysellingcode, sales.md §6.7). The zero value is no value.
type QuantitySelling int32

// QuantitySelling values, with their published numbers.
const (
	QuantityNoControl          QuantitySelling = 1
	QuantityWhole              QuantitySelling = 2
	QuantityWholeAndFractional QuantitySelling = 3
)

var quantitySellings = newOptionSet[QuantitySelling]("quantity selling option", PriceListItemQuantitySelling, []crm.Option{
	{Value: 1, Label: "No Control"},
	{Value: 2, Label: "Whole"},
	{Value: 3, Label: "Whole and Fractional"},
})

// DiscountListState is a discount list's state (statecode). The zero
// value is DiscountListStateActive.
type DiscountListState int32

// DiscountListState values, with their published numbers.
const (
	DiscountListStateActive   DiscountListState = 0
	DiscountListStateInactive DiscountListState = 1
)

var discountListStates = stateSet[DiscountListState]("discount list state", DiscountListLifecycle())

// DiscountListStatus is a discount list's status reason (statuscode).
type DiscountListStatus int32

// DiscountListStatus values, with their published numbers.
const (
	DiscountListStatusActive   DiscountListStatus = 100001
	DiscountListStatusInactive DiscountListStatus = 100002
)

var discountListStatuses = newOptionSet[DiscountListStatus]("discount list status reason", crm.FieldStatus, statusOptions(DiscountListLifecycle()))
