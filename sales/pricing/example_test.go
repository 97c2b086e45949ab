package pricing_test

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales/pricing"
)

func money(s string) *crm.Money {
	m := crm.MustMoney(s)
	return &m
}

// Price one line: a product priced at a 25 % margin on its current cost,
// rounded up to end in .99, with a volume discount of 10 % from 5 units.
func ExampleSettings_CalculateLine() {
	margin := decimal.NewFromInt(25)
	line := pricing.Line{
		Product: &pricing.Product{CurrentCost: money("37.00 USD")},
		Item: &pricing.PriceListItem{
			Method:     pricing.MarginCurrentCost,
			Percentage: &margin,
			Rounding:   pricing.Rounding{Policy: pricing.RoundUp, Option: pricing.EndsIn, Amount: decimal.RequireFromString("0.99")},
			Discounts: &pricing.DiscountList{Type: pricing.PercentageDiscount, Discounts: []pricing.Discount{
				{Begin: decimal.NewFromInt(5), End: decimal.NewFromInt(99), Percentage: decimal.NewFromInt(10)},
			}},
		},
		Quantity:       decimal.NewFromInt(6),
		ManualDiscount: money("5.00 USD"),
		Tax:            money("24.84 USD"),
	}
	doc := pricing.Document{Currency: "USD", PriceList: &pricing.PriceList{Currency: "USD"}}

	r, err := pricing.DefaultSettings().CalculateLine(doc, line)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("price per unit:", r.PricePerUnit) // 37 / 0.75 = 49.33…, up to end in .99
	fmt.Println("volume discount:", r.VolumeDiscount)
	fmt.Println("amount:", r.Amount)
	fmt.Println("extended:", r.ExtendedAmount)
	// Output:
	// price per unit: 49.99 USD
	// volume discount: 5.00 USD
	// amount: 269.95 USD
	// extended: 289.79 USD
}

// Total a document whose organization takes manual discounts per unit,
// and take an opportunity's estimated revenue from it.
func ExampleSettings_Calculate_header() {
	s := pricing.DefaultSettings()
	s.DiscountMethod = pricing.PerUnitDiscount
	doc := pricing.Document{
		Currency:  "EUR",
		PriceList: &pricing.PriceList{Currency: "EUR"},
		Lines: []pricing.Line{{
			Product:        &pricing.Product{},
			Item:           &pricing.PriceListItem{Method: pricing.CurrencyAmount, Amount: money("100.00 EUR")},
			Quantity:       decimal.NewFromInt(11),
			ManualDiscount: money("10.00 EUR"), // per unit: 110.00 off the line
		}, {
			WriteIn:      true, // not in the catalog: the user's price
			PricePerUnit: money("250.00 EUR"),
			Quantity:     decimal.NewFromInt(1),
			Tax:          money("47.50 EUR"),
		}},
		DiscountPercentage: decimal.NewFromInt(10),
		Freight:            money("20.00 EUR"),
	}
	res, err := s.Calculate(doc)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("detail:", res.DetailAmount)
	fmt.Println("pre-freight:", res.PreFreightAmount)
	fmt.Println("total:", res.TotalAmount)
	fmt.Println("total discount:", res.TotalDiscount)
	revenue, _ := res.Revenue(pricing.RevenueTotalAmount)
	fmt.Println("estimated revenue:", revenue)
	base, _ := res.ToBase(decimal.RequireFromString("0.85"), "USD")
	fmt.Println("total in base:", base.TotalAmount)
	// Output:
	// detail: 1240.00 EUR
	// pre-freight: 1116.00 EUR
	// total: 1183.50 EUR
	// total discount: 234.00 EUR
	// estimated revenue: 1183.50 EUR
	// total in base: 1392.3529 USD
}

// The quote of sales.md §6.3: two lines, 5 % and 10.00 off the detail
// amount, 15.00 freight.
func ExampleSettings_Calculate() {
	usdList := &pricing.PriceList{Currency: "USD"}
	at := func(price string) *pricing.PriceListItem {
		return &pricing.PriceListItem{Method: pricing.CurrencyAmount, Amount: money(price + " USD")}
	}
	quote := pricing.Document{
		Currency:  "USD",
		PriceList: usdList,
		Lines: []pricing.Line{
			{Product: &pricing.Product{}, Item: at("100.00"), Quantity: decimal.NewFromInt(3),
				ManualDiscount: money("20.00 USD"), Tax: money("28.00 USD")},
			{Product: &pricing.Product{}, Item: at("60.00"), Quantity: decimal.NewFromInt(2),
				Tax: money("8.00 USD")},
		},
		DiscountPercentage: decimal.NewFromInt(5),
		DiscountAmount:     money("10.00 USD"),
		Freight:            money("15.00 USD"),
	}
	res, err := pricing.DefaultSettings().Calculate(quote)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, l := range res.Lines {
		fmt.Printf("line %c: amount %s, extended %s\n", 'A'+i, l.Amount, l.ExtendedAmount)
	}
	fmt.Println("detail:", res.DetailAmount)
	fmt.Println("pre-freight:", res.PreFreightAmount)
	fmt.Println("total tax:", res.TotalTax)
	fmt.Println("total:", res.TotalAmount)
	fmt.Println("line-item discount:", res.LineItemDiscount, "total discount:", res.TotalDiscount)

	// A line in another currency is refused, never converted.
	quote.Lines[1].Tax = money("8.00 EUR")
	_, err = pricing.DefaultSettings().Calculate(quote)
	var perr *pricing.Error
	if errors.As(err, &perr) {
		fmt.Println("line", perr.Line, int(perr.Code), perr.Code.String(), errors.Is(err, crm.ErrCurrencyMismatch))
	}
	// Output:
	// line A: amount 300.00 USD, extended 308.00 USD
	// line B: amount 120.00 USD, extended 128.00 USD
	// detail: 400.00 USD
	// pre-freight: 370.00 USD
	// total tax: 36.00 USD
	// total: 421.00 USD
	// line-item discount: 20.00 USD total discount: 50.00 USD
	// line 2 34 Invalid Price Level Currency true
}

// Round computed prices the way a price list item says.
func ExampleRounding_Round() {
	for _, r := range []pricing.Rounding{
		{Policy: pricing.RoundNearest, Option: pricing.EndsIn, Amount: decimal.RequireFromString("0.99")},
		{Policy: pricing.RoundUp, Option: pricing.EndsIn, Amount: decimal.RequireFromString("9.99")},
		{Policy: pricing.RoundDown, Option: pricing.MultipleOf, Amount: decimal.RequireFromString("0.25")},
	} {
		p, _ := r.Round(decimal.RequireFromString("123.40"), 2)
		fmt.Printf("%s, %s %s: %s\n", r.Policy, r.Option, r.Amount, p.StringFixed(2))
	}
	// Output:
	// To Nearest, Ends in 0.99: 122.99
	// Up, Ends in 9.99: 129.99
	// Down, Multiple of 0.25: 123.25
}
