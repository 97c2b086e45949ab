package sales_test

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage/memory"
)

// openCatalog returns the catalog service over a new in-memory store.
func openCatalog() *sales.Catalog {
	reg := crm.NewRegistry()
	if err := sales.Register(reg); err != nil {
		panic(err)
	}
	return sales.NewCatalog(memory.Open(reg), sales.CatalogOptions{})
}

// drinks creates the Drinks unit group: Can, Six-pack (6 cans) and Case
// (4 six-packs).
func drinks(ctx context.Context, cat *sales.Catalog) (sales.UnitGroup, sales.Unit, sales.Unit, sales.Unit, error) {
	group, can, err := cat.CreateUnitGroup(ctx, sales.UnitGroup{Name: "Drinks", BaseUnitName: "Can"})
	if err != nil {
		return group, can, sales.Unit{}, sales.Unit{}, err
	}
	six, err := cat.Units().Create(ctx, sales.Unit{Name: "Six-pack", Group: group.Ref(), Quantity: decimal.NewFromInt(6), BaseUnit: can.Ref()})
	if err != nil {
		return group, can, six, sales.Unit{}, err
	}
	box, err := cat.Units().Create(ctx, sales.Unit{Name: "Case", Group: group.Ref(), Quantity: decimal.NewFromInt(4), BaseUnit: six.Ref()})
	return group, can, six, box, err
}

// A unit group is created with its primary unit; every other unit is a
// quantity of another unit of the group, and ToBase says how many primary
// units it holds.
func ExampleCatalog_CreateUnitGroup() {
	ctx := crm.AsSystem(context.Background())
	cat := openCatalog()
	group, can, six, box, err := drinks(ctx, cat)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(group.Name, "primary unit:", can.Name, can.IsPrimary)
	for _, u := range []sales.Unit{can, six, box} {
		n, err := cat.ToBase(ctx, u.ID)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("1 %s = %s %s\n", u.Name, n, can.Name)
	}
	// Output:
	// Drinks primary unit: Can true
	// 1 Can = 1 Can
	// 1 Six-pack = 6 Can
	// 1 Case = 24 Can
}

// A product starts Draft; publishing makes it Active and read-only, and
// revising opens it to changes again.
func ExampleCatalog_Publish() {
	ctx := crm.AsSystem(context.Background())
	cat := openCatalog()
	group, can, _, _, err := drinks(ctx, cat)
	if err != nil {
		fmt.Println(err)
		return
	}
	cola, err := cat.CreateProduct(ctx, sales.Product{
		Name: "Cola", Number: "DRK-001", Structure: sales.StructureProduct, Type: sales.ProductTypeSalesInventory,
		UnitGroup: group.Ref(), DefaultUnit: can.Ref(),
		ListPrice: sales.Ptr(crm.MustMoney("0.90 USD")), StandardCost: sales.Ptr(crm.MustMoney("0.35 USD")),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cola.Name, cola.ProductState(), cola.ProductStatus())
	cola, err = cat.Publish(ctx, cola.ID, cola.Version)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cola.Name, cola.ProductState())

	cola.ListPrice = sales.Ptr(crm.MustMoney("0.95 USD"))
	if _, err := cat.Products().Update(ctx, cola); err != nil {
		fmt.Println("update refused:", cola.ProductState(), "products are read-only")
	}
	cola, err = cat.Revise(ctx, cola.ID, cola.Version)
	if err != nil {
		fmt.Println(err)
		return
	}
	cola.ListPrice = sales.Ptr(crm.MustMoney("0.95 USD"))
	if cola, err = cat.Products().Update(ctx, cola); err != nil {
		fmt.Println(err)
		return
	}
	if cola, err = cat.Publish(ctx, cola.ID, cola.Version); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cola.Name, cola.ProductState(), cola.ListPrice)
	// Output:
	// Cola Draft Draft
	// Cola Active
	// update refused: Active products are read-only
	// Cola Active 0.95 USD
}

// A price list in one currency prices a product per unit: a currency
// amount for a can, 90 % of the list price for a six-pack, rounded up to
// end in .99, with a volume discount list. The pricing of a line finds
// the item by price list, product and unit.
func ExampleCatalog_PriceListItem() {
	ctx := crm.AsSystem(context.Background())
	cat := openCatalog()
	group, can, six, _, err := drinks(ctx, cat)
	if err != nil {
		fmt.Println(err)
		return
	}
	cola, err := cat.CreateProduct(ctx, sales.Product{Name: "Cola", Number: "DRK-001", Structure: sales.StructureProduct,
		UnitGroup: group.Ref(), DefaultUnit: can.Ref(), ListPrice: sales.Ptr(crm.MustMoney("5.40 USD"))})
	if err != nil {
		fmt.Println(err)
		return
	}
	retail, err := cat.PriceLists().Create(ctx, sales.PriceList{Name: "Retail", Currency: "USD"})
	if err != nil {
		fmt.Println(err)
		return
	}
	volume, err := cat.DiscountLists().Create(ctx, sales.DiscountList{Name: "Volume"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range []sales.Discount{
		{DiscountList: volume.Ref(), Low: decimal.NewFromInt(10), High: decimal.NewFromInt(49), Percentage: sales.Ptr(decimal.NewFromInt(5))},
		{DiscountList: volume.Ref(), Low: decimal.NewFromInt(50), High: decimal.NewFromInt(1000), Percentage: sales.Ptr(decimal.NewFromInt(10))},
	} {
		if _, err := cat.AddDiscount(ctx, d); err != nil {
			fmt.Println(err)
			return
		}
	}
	items := []sales.PriceListItem{
		{PriceList: retail.Ref(), Product: cola.Ref(), Unit: can.Ref(),
			PricingMethod: sales.PricingCurrencyAmount, Amount: sales.Ptr(crm.MustMoney("0.99 USD"))},
		{PriceList: retail.Ref(), Product: cola.Ref(), Unit: six.Ref(),
			PricingMethod: sales.PricingPercentOfList, Percentage: sales.Ptr(decimal.NewFromInt(90)),
			RoundingPolicy: sales.RoundingUp, RoundingOption: sales.RoundingEndsIn, RoundingAmount: sales.Ptr(crm.MustMoney("0.99 USD")),
			DiscountList: volume.Ref()},
	}
	for _, it := range items {
		if _, err := cat.PriceListItems().Create(ctx, it); err != nil {
			fmt.Println(err)
			return
		}
	}

	item, err := cat.PriceListItem(ctx, retail.ID, cola.ID, six.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(item.PricingMethod, item.Percentage, item.RoundingPolicy, item.RoundingOption, item.RoundingAmount)
	ranges, err := cat.DiscountsOf(ctx, item.DiscountList.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range ranges {
		fmt.Printf("%s-%s: %s %%\n", d.Low, d.High, d.Percentage)
	}
	_, err = cat.AddDiscount(ctx, sales.Discount{DiscountList: volume.Ref(), Low: decimal.NewFromInt(40), High: decimal.NewFromInt(60),
		Percentage: sales.Ptr(decimal.NewFromInt(7))})
	fmt.Println("overlapping range refused:", err != nil)
	// Output:
	// Percent of List 90 Up Ends in 0.99 USD
	// 10-49: 5 %
	// 50-1000: 10 %
	// overlapping range refused: true
}
