package pricing

import (
	"fmt"
	"strconv"
)

// Code is a pricing error code: Dynamics' pricingerrorcode, the same list
// on a document and on its lines. The numbers are Dynamics' published
// values and never change. A Code is an error itself, so each one is a
// sentinel: errors.Is(err, pricing.ErrNoPriceListItem) holds for every
// *Error whose Code is CodeProductNotInPriceLevel.
type Code int32

// Pricing error codes, with their published numbers.
const (
	CodeNone                        Code = 0
	CodeDetailError                 Code = 1
	CodeMissingPriceLevel           Code = 2
	CodeInactivePriceLevel          Code = 3
	CodeMissingQuantity             Code = 4
	CodeMissingUnitPrice            Code = 5
	CodeMissingProduct              Code = 6
	CodeInvalidProduct              Code = 7
	CodeMissingPricingCode          Code = 8
	CodeInvalidPricingCode          Code = 9
	CodeMissingUOM                  Code = 10
	CodeProductNotInPriceLevel      Code = 11
	CodeMissingPriceLevelAmount     Code = 12
	CodeMissingPriceLevelPercentage Code = 13
	CodeMissingPrice                Code = 14
	CodeMissingCurrentCost          Code = 15
	CodeMissingStandardCost         Code = 16
	CodeInvalidPriceLevelAmount     Code = 17
	CodeInvalidPriceLevelPercentage Code = 18
	CodeInvalidPrice                Code = 19
	CodeInvalidCurrentCost          Code = 20
	CodeInvalidStandardCost         Code = 21
	CodeInvalidRoundingPolicy       Code = 22
	CodeInvalidRoundingOption       Code = 23
	CodeInvalidRoundingAmount       Code = 24
	CodePriceCalculationError       Code = 25
	CodeInvalidDiscountType         Code = 26
	CodeDiscountTypeInvalidState    Code = 27
	CodeInvalidDiscount             Code = 28
	CodeInvalidQuantity             Code = 29
	CodeInvalidPricingPrecision     Code = 30
	CodeMissingProductDefaultUOM    Code = 31
	CodeMissingProductUOMSchedule   Code = 32
	CodeInactiveDiscountType        Code = 33
	CodeInvalidPriceLevelCurrency   Code = 34
	CodePriceAttributeOutOfRange    Code = 35
	CodeBaseCurrencyOverflow        Code = 36
	CodeBaseCurrencyUnderflow       Code = 37
	CodeMissingItemCurrency         Code = 38
)

var codeLabels = [...]string{
	"None", "Detail Error", "Missing Price Level", "Inactive Price Level", "Missing Quantity",
	"Missing Unit Price", "Missing Product", "Invalid Product", "Missing Pricing Code",
	"Invalid Pricing Code", "Missing UOM", "Product Not In Price Level", "Missing Price Level Amount",
	"Missing Price Level Percentage", "Missing Price", "Missing Current Cost", "Missing Standard Cost",
	"Invalid Price Level Amount", "Invalid Price Level Percentage", "Invalid Price", "Invalid Current Cost",
	"Invalid Standard Cost", "Invalid Rounding Policy", "Invalid Rounding Option", "Invalid Rounding Amount",
	"Price Calculation Error", "Invalid Discount Type", "Discount Type Invalid State", "Invalid Discount",
	"Invalid Quantity", "Invalid Pricing Precision", "Missing Product Default UOM",
	"Missing Product UOM Schedule", "Inactive Discount Type", "Invalid Price Level Currency",
	"Price Attribute Out Of Range", "Base Currency Attribute Overflow", "Base Currency Attribute Underflow",
	"Transaction currency is not set for the product price list item",
}

// String returns the code's Dynamics label.
func (c Code) String() string { return label(codeLabels[:], int32(c), "Code") }

// Error makes a Code a sentinel error.
func (c Code) Error() string { return "pricing: " + c.String() }

// The errors the engine returns, by what went wrong. Each is a Code, so it
// compares equal to the code and matches every *Error that carries it.
const (
	// ErrMissingPriceList: a catalog product needs a price list and the
	// document has none (mandatory price list).
	ErrMissingPriceList = CodeMissingPriceLevel
	// ErrInactivePriceList: the price list is inactive, or the "as of"
	// date lies outside its begin and end dates.
	ErrInactivePriceList = CodeInactivePriceLevel
	// ErrMissingUnitPrice: an overridden price or a write-in line without
	// a price per unit.
	ErrMissingUnitPrice = CodeMissingUnitPrice
	// ErrMissingProduct: a catalog line without a product.
	ErrMissingProduct = CodeMissingProduct
	// ErrInvalidProduct: the product is retired or still a draft, or
	// its quantity decimals are outside 0..5.
	ErrInvalidProduct = CodeInvalidProduct
	// ErrMissingPricingMethod: a price list item without a pricing method.
	ErrMissingPricingMethod = CodeMissingPricingCode
	// ErrInvalidPricingMethod: a pricing method outside 1..6.
	ErrInvalidPricingMethod = CodeInvalidPricingCode
	// ErrMissingUnit: the price list item is for a unit and the line names
	// none.
	ErrMissingUnit = CodeMissingUOM
	// ErrNoPriceListItem: the price list has no item for the line's
	// product in the line's unit, and the price list is mandatory.
	ErrNoPriceListItem = CodeProductNotInPriceLevel
	// ErrMissingAmount: method Currency Amount without an amount.
	ErrMissingAmount = CodeMissingPriceLevelAmount
	// ErrMissingPercentage: methods 2 to 6 without a percentage.
	ErrMissingPercentage = CodeMissingPriceLevelPercentage
	// ErrMissingListPrice: Percent of List on a product without a list
	// price.
	ErrMissingListPrice = CodeMissingPrice
	// ErrMissingCurrentCost: a current-cost method on a product without
	// a current cost.
	ErrMissingCurrentCost = CodeMissingCurrentCost
	// ErrMissingStandardCost: a standard-cost method on a product without
	// a standard cost.
	ErrMissingStandardCost = CodeMissingStandardCost
	// ErrInvalidAmount: a negative price list item amount.
	ErrInvalidAmount = CodeInvalidPriceLevelAmount
	// ErrInvalidPercentage: a percentage outside 0..1e9, or a margin
	// percentage of 100 or more (a margin of 100 % has no price).
	ErrInvalidPercentage = CodeInvalidPriceLevelPercentage
	// ErrInvalidListPrice: a negative list price.
	ErrInvalidListPrice = CodeInvalidPrice
	// ErrInvalidCurrentCost: a negative current cost.
	ErrInvalidCurrentCost = CodeInvalidCurrentCost
	// ErrInvalidStandardCost: a negative standard cost.
	ErrInvalidStandardCost = CodeInvalidStandardCost
	// ErrInvalidRoundingPolicy: a rounding policy outside 0..4.
	ErrInvalidRoundingPolicy = CodeInvalidRoundingPolicy
	// ErrInvalidRoundingOption: Up, Down or To Nearest without Ends In or
	// Multiple Of.
	ErrInvalidRoundingOption = CodeInvalidRoundingOption
	// ErrInvalidRoundingAmount: a negative "ends in" amount, a "multiple
	// of" amount that is not positive, or either with more decimals than
	// the pricing precision.
	ErrInvalidRoundingAmount = CodeInvalidRoundingAmount
	// ErrPriceCalculation: the inputs are valid one by one but give no
	// price (rounding Down to an "ends in" amount above the price), or a
	// setting is out of range.
	ErrPriceCalculation = CodePriceCalculationError
	// ErrInvalidDiscountType: a discount list type other than Percentage
	// or Amount.
	ErrInvalidDiscountType = CodeInvalidDiscountType
	// ErrInvalidDiscount: a discount range whose begin is above its end,
	// overlapping ranges, a discount outside its bounds, a negative manual
	// discount, or a document discount percentage outside 0..100.
	ErrInvalidDiscount = CodeInvalidDiscount
	// ErrInvalidQuantity: a negative quantity, one above 1e11, or one with
	// more decimals than allowed (§6.7).
	ErrInvalidQuantity = CodeInvalidQuantity
	// ErrInvalidPricingPrecision: a pricing precision outside 0..4.
	ErrInvalidPricingPrecision = CodeInvalidPricingPrecision
	// ErrCurrencyMismatch: an amount, a price list, a product's price or
	// cost, or a discount list in another currency than the one it is
	// used with. The *Error also matches crm.ErrCurrencyMismatch.
	ErrCurrencyMismatch = CodeInvalidPriceLevelCurrency
	// ErrOutOfRange: a price or an amount beyond Dynamics' money range.
	ErrOutOfRange = CodePriceAttributeOutOfRange
)

// Error is a refused calculation: the pricing error code Dynamics would
// record, the line it concerns and why. It matches its Code with errors.Is
// and unwraps to its cause, when it has one (crm.ErrCurrencyMismatch).
type Error struct {
	Code Code
	// Line is the 1-based position of the line in Document.Lines, or 0
	// when the error concerns the document or a line priced on its own.
	Line   int
	Reason string
	Err    error
}

func (e *Error) Error() string {
	s := "pricing"
	if e.Line > 0 {
		s += ": line " + strconv.Itoa(e.Line)
	}
	return s + ": " + e.Code.String() + " (" + strconv.Itoa(int(e.Code)) + "): " + e.Reason
}

// Is reports whether target is e's Code.
func (e *Error) Is(target error) bool {
	c, ok := target.(Code)
	return ok && c == e.Code
}

// Unwrap returns the cause, or nil.
func (e *Error) Unwrap() error { return e.Err }

func fail(c Code, format string, args ...any) *Error {
	return &Error{Code: c, Reason: fmt.Sprintf(format, args...)}
}

// label names value v from names indexed by value, or prints the type and
// number of a value no name covers.
func label(names []string, v int32, typ string) string {
	if v >= 0 && int(v) < len(names) && names[v] != "" {
		return names[v]
	}
	return typ + "(" + strconv.Itoa(int(v)) + ")"
}
