// Package pricing is crmkit's pricing engine: Dynamics' system pricing for
// opportunities, quotes, orders and invoices, as pure calculation. It
// reads no store, no clock and no settings of its own: values go in
// (Settings, a Document with its Lines, the price lists, price list items,
// discount lists and products they use) and values come out (a Result
// with each line's amounts and the document's Totals), which the sales
// services write back to their records.
//
// Start with Settings (DefaultSettings, or the organization's pricing
// precision from crm.Registry.PricingPrecision) and Calculate:
//
//	s := pricing.DefaultSettings()
//	res, err := s.Calculate(pricing.Document{Currency: "USD", PriceList: &list, Lines: lines})
//
// CalculateLine prices one line, PricePerUnit one price list item, and
// Rounding.Round and DiscountList.PerUnit the two steps inside.
//
// Every amount is a crm.Money, an exact decimal: nothing is ever computed
// in binary fractions, and nothing is rounded but where a rule below says,
// always by crm's one rule, half away from zero (crm.RoundHalfAwayFromZero,
// crm.DivRound).
//
// # Arithmetic
//
// Inside, the engine computes in fixed point: an int64 coefficient with a
// decimal exponent, the pair a decimal.Decimal holds, and 128-bit
// products (math/bits) where a line amount needs them. Dynamics' money
// range, ±922,337,203,685,477 at 4 places, fits an int64. A price, a
// line or a document's totals with a value that does not fit (a
// coefficient beyond 63 bits, a percentage with 24 decimals) is computed
// in decimal.Decimal instead. Both arithmetics give the same decimal,
// value and exponent (so crm.Money prints it the same), and fixed point
// gives up rather than wrap: no result depends on which one ran. A
// 1,000-line quote takes a seventh of the time it took in decimals, and
// half that of the bare decimal arithmetic of its lines (BENCHMARKS.md,
// "Pricing engine").
//
// # Price per unit (§4.4)
//
// A price list item prices a product in one unit by its Method, with P
// the item's Percentage / 100:
//
//	1 Currency Amount         amount
//	2 Percent of List         list price × P
//	3 Markup - Current Cost   current cost × (1 + P)
//	4 Margin - Current Cost   current cost + current cost × P / (1 − P)
//	5 Markup - Standard Cost  standard cost × (1 + P)
//	6 Margin - Standard Cost  standard cost + standard cost × P / (1 − P)
//
// A margin price is cost / (1 − P), a quotient a decimal may not hold
// (10 / 0.7): the engine keeps it as an exact fraction until it is
// rounded, once. Methods 2 to 6 then apply the item's Rounding, and every
// price per unit is kept at the pricing precision (half away from zero
// when no rounding policy applies). Currency Amount ignores the rounding.
// A margin of 100 % or more has no price and is refused
// (ErrInvalidPercentage), as is a negative percentage, cost or amount; a
// missing amount, percentage, list price or cost is ErrMissingAmount,
// ErrMissingPercentage, ErrMissingListPrice, ErrMissingCurrentCost or
// ErrMissingStandardCost. Margin - Current Cost reads the current cost,
// as its formula says (sales.md notes a Microsoft page naming the
// standard cost).
//
// # Rounding (§4.4, our algorithm)
//
// Microsoft documents what the rounding options mean, not how they
// compute. Ours, which reproduces every published example:
//
//	Multiple of A (A > 0):  Up ⌈p/A⌉×A   Down ⌊p/A⌋×A   To Nearest round(p/A)×A, halves up
//	Ends in A (A >= 0):     M  = the smallest power of ten strictly above A (1 for A = 0)
//	                        lo = ⌊(p − A)/M⌋×M + A   the largest price <= p ending in A
//	                        hi = lo if lo = p, else lo + M
//	                        Up hi   Down lo   To Nearest the closer, hi on a tie
//
// So "ends in 0.99" sets the cents (2.88 → 2.99 to nearest) and "ends in
// 9.99" the units digit and the cents (123.40 → 129.99 up, 119.99
// down). Choices of ours: the modulus M and the tie rule; To Nearest
// never gives a negative price (it takes hi when lo < 0); Down to an
// "ends in" amount above the price is refused (ErrPriceCalculation), for
// no price at or below it ends in A; a rounding amount with more
// decimals than the pricing precision is refused
// (ErrInvalidRoundingAmount), so a rounded price always keeps its
// ending.
//
// # Volume discounts (§4.5)
//
// A price list item may carry a DiscountList: ranges of quantity,
// Begin and End both included, that must not overlap. The range holding
// the line's quantity takes a Percentage off each unit (price per unit ×
// percentage / 100) or an Amount (in the price list's currency); no
// range, no discount. A list applies whatever its state, as in Dynamics.
//
// # Lines (§6.1)
//
//	ppu      = the item's price (above); the user's price when the price is
//	           overridden or the line is a write-in; 0 when an optional
//	           price list has no item for the product
//	vd       = the volume discount per unit (0 for a write-in), unrounded
//	amount   = (ppu − vd) × quantity, rounded to the currency's precision
//	discount = manual discount              Line item (the default)
//	           manual discount × quantity   Per unit   (rounded)
//	extended = amount − discount + tax
//
// LineResult.VolumeDiscount shows vd at the currency precision; the amount
// uses it unrounded (25.20 less 19.05 % is 20.3994 a unit; 10 units are
// 203.99, not 204.00).
//
// The quantity is refused (ErrInvalidQuantity) when negative, above 1e11,
// or with too many decimals (§6.7): none when the price list item sells
// Whole units, the product's QuantityDecimals when no price list item
// applies (our reading of "when no price list applies"), 5 otherwise and
// for write-ins.
//
// Catalog products are priced only when Active or Under Revision (the
// published version prices); Retired and Draft ones are ErrInvalidProduct.
// With a mandatory price list (the default), a catalog line needs one
// (ErrMissingPriceList) and an item for its product in its unit
// (ErrNoPriceListItem); Settings.PriceListOptional prices it at 0 instead.
// A line's PriceList, when set, is the list its item comes from (the
// product's default price list): which list to use when the document's
// has no item (sales.md §4.3 [conflict]) is the caller's choice. A price
// list that is inactive, or whose dates do not include Document.AsOf when
// one is given, is ErrInactivePriceList; Dynamics checks no dates, so a
// zero AsOf checks none.
//
// Bundles: a bundle line is priced like a product, from the bundle's own
// price list item; an optional bundle item adds its own amounts; a
// required bundle item is priced at zero and adds nothing, its price
// being inside the bundle's.
//
// # Totals (§6.2)
//
//	detail         = Σ (amount − discount)                    totallineitemamount
//	line discounts = Σ discount                               totallineitemdiscountamount
//	header disc.   = round(detail × discount % / 100) + discount amount
//	pre-freight    = detail − header disc.                    totalamountlessfreight
//	total tax      = Σ tax                                    totaltax
//	total          = pre-freight + freight + total tax        totalamount
//	total discount = line discounts + header disc.            totaldiscountamount
//
// In Per unit mode the line discounts sum the discounts applied
// (manual discount × quantity) (sales.md §6.2 [inferred]). Every total is
// a sum of amounts already at the currency precision, so totals always
// equal the sums of their lines; only the percentage discount is rounded.
// An opportunity's system-calculated revenue is Totals.Revenue, from
// totalamount by default (RevenueSource says which).
//
// # Currencies (§7)
//
// A document has one currency. A price list, a price list item's amount,
// a product's price or cost, an amount discount, or a line's or header's
// amount in another currency is ErrCurrencyMismatch (the error also
// matches crm.ErrCurrencyMismatch): the engine never converts. The base
// amounts ("_base" fields) come from Totals.ToBase and LineResult.ToBase,
// each amount / exchange rate rounded to 4 places by crm.ToBase.
//
// # Errors (§6.6)
//
// A refused calculation is an *Error carrying Dynamics' pricing error
// Code, the line's position and a reason. Codes are sentinels:
// errors.Is(err, pricing.ErrNoPriceListItem) or, the same,
// errors.Is(err, pricing.CodeProductNotInPriceLevel). Calculate reports
// every line it cannot price (Errors lists them) and then no totals.
package pricing
