package sales_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/internal/stores"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/sales/pricing"
	"github.com/crmkit/crmkit/storage"
)

// Property tests of issue 11's "what must be true" on stored documents:
// random quotes, seeded so a failure replays, built through the pricing
// operations, then converted to an order and an invoice.

// envPropertyDocs sizes TestPropertyDocuments: the random quotes per
// store.
const envPropertyDocs = "CRMKIT_SALES_PROPERTY_DOCS"

// propEnv is a docEnv with a catalog to draw lines from and a model of
// its prices: the price list item and the volume discounts of each
// product, as the catalog holds them now.
type propEnv struct {
	*docEnv
	products  []sales.Product
	items     map[crm.ID]sales.PriceListItem
	discounts map[crm.ID]*pricing.DiscountList
}

func newPropEnv(t *testing.T, b backend) *propEnv {
	t.Helper()
	e := &propEnv{docEnv: newDocEnv(t, b, nil), items: map[crm.ID]sales.PriceListItem{}, discounts: map[crm.ID]*pricing.DiscountList{}}
	ctx := e.ctx
	kit, c, d := e.kit(t)
	x, _ := e.volumeProduct(t)
	e.discounts[x.ID] = &pricing.DiscountList{Type: pricing.PercentageDiscount,
		Discounts: []pricing.Discount{{Begin: dec("5"), End: dec("20"), Percentage: dec("10")}}}

	// Y: 12.35 a piece, 2.50 off each unit from 10 to 100 units.
	g, err := e.cat.UnitGroups().Get(ctx, e.piece.Group.ID)
	require.NoError(t, err)
	y, err := e.cat.CreateProduct(ctx, sales.Product{Name: "Product Y", Number: "Y", Structure: sales.StructureProduct,
		UnitGroup: g.Ref(), DefaultUnit: e.piece.Ref()})
	require.NoError(t, err)
	y, err = e.cat.Publish(ctx, y.ID, y.Version)
	require.NoError(t, err)
	off, err := e.cat.DiscountLists().Create(ctx, sales.DiscountList{Name: "Dollars off", IsAmount: true, Currency: "USD"})
	require.NoError(t, err)
	_, err = e.cat.AddDiscount(ctx, sales.Discount{DiscountList: off.Ref(), Low: dec("10"), High: dec("100"), Amount: usdp("2.50")})
	require.NoError(t, err)
	_, err = e.cat.PriceListItems().Create(ctx, sales.PriceListItem{PriceList: e.list.Ref(), Product: y.Ref(), Unit: e.piece.Ref(),
		PricingMethod: sales.PricingCurrencyAmount, Amount: usdp("12.35"), DiscountList: off.Ref()})
	require.NoError(t, err)
	e.discounts[y.ID] = &pricing.DiscountList{Type: pricing.AmountDiscount,
		Discounts: []pricing.Discount{{Begin: dec("10"), End: dec("100"), Amount: usd("2.50")}}}

	e.products = []sales.Product{e.a, e.b, c, d, x, y, kit}
	for _, p := range e.products {
		item, err := e.cat.PriceListItem(ctx, e.list.ID, p.ID, e.piece.ID)
		require.NoError(t, err)
		e.items[p.ID] = item
	}
	return e
}

// randAmount returns 0.01 to max/100 USD, or nil one time in none (when
// none > 0).
func randAmount(r *rand.Rand, max int64, none int) *crm.Money {
	if none > 0 && r.IntN(none) == 0 {
		return nil
	}
	m := crm.NewMoney(decimal.New(1+r.Int64N(max), -2), "USD")
	return &m
}

// randQuantity returns 0.01 to 30.00.
func randQuantity(r *rand.Rand) decimal.Decimal { return decimal.New(int64(1+r.IntN(3000)), -2) }

// editable returns the lines a caller may change on their own: all but
// the required bundle items.
func editable(lines []sales.Line) []sales.Line {
	return slices.DeleteFunc(slices.Clone(lines), func(l sales.Line) bool { return l.Kind == pricing.RequiredBundleItem })
}

// randomQuote builds a quote through 3 to 10 random pricing operations
// (add, update, remove a line, set the header's pricing) and checks after
// each that the header adds up to its lines.
func (e *propEnv) randomQuote(t *testing.T, r *rand.Rand, what string) (sales.Quote, []sales.Line) {
	t.Helper()
	ctx := e.ctx
	q := e.quote(t, e.list.Ref())
	var lines []sales.Line
	for step := range 3 + r.IntN(8) {
		var err error
		op := r.IntN(10)
		ed := editable(lines)
		switch {
		case len(ed) == 0 || op < 5:
			l := sales.Line{Document: q.Ref(), Quantity: randQuantity(r), ManualDiscount: randAmount(r, 1000, 2), Tax: randAmount(r, 2000, 2)}
			if k := r.IntN(len(e.products) + 1); k == len(e.products) {
				l.WriteIn, l.Description, l.PricePerUnit = true, "Service", randAmount(r, 50000, 0)
			} else {
				l.Product = e.products[k].Ref()
				if r.IntN(5) == 0 {
					l.PriceOverridden, l.PricePerUnit = true, randAmount(r, 50000, 0)
				}
			}
			_, q, err = e.quotes.AddLine(ctx, l)
		case op < 7:
			l := ed[r.IntN(len(ed))]
			l.Quantity = randQuantity(r)
			l.ManualDiscount, l.Tax = randAmount(r, 1000, 2), randAmount(r, 2000, 2)
			_, q, err = e.quotes.UpdateLine(ctx, l)
		case op < 8:
			l := ed[r.IntN(len(ed))]
			q, err = e.quotes.RemoveLine(ctx, l.ID, l.Version)
		default:
			pct := decimal.New(int64(r.IntN(2001)), -2)
			q, err = e.quotes.SetPricing(ctx, q.ID, q.Version, sales.PricingHeader{PriceList: e.list.Ref(),
				DiscountPercentage: &pct, DiscountAmount: randAmount(r, 2000, 2), FreightAmount: randAmount(r, 3000, 2)})
		}
		require.NoError(t, err, "%s, step %d", what, step)
		lines, err = e.quotes.Lines(ctx, q.ID)
		require.NoError(t, err)
		requireAddsUp(t, fmt.Sprintf("%s, step %d", what, step), q.Document, lines)
	}
	return q, lines
}

// orZero returns *m, or zero USD.
func orZero(m *crm.Money) crm.Money {
	if m == nil {
		return crm.Zero("USD")
	}
	return *m
}

func add(a, b crm.Money) crm.Money {
	s, err := a.Add(b)
	if err != nil {
		panic(err)
	}
	return s
}

func sub(a, b crm.Money) crm.Money {
	s, err := a.Sub(b)
	if err != nil {
		panic(err)
	}
	return s
}

// requireAddsUp checks sales.md §6.2 on a stored document and its lines
// (the line-item discount method): detail = Σ (amount − manual
// discount), line discounts = Σ manual discount, tax = Σ tax, header
// discount = detail × % / 100 at the currency's precision + discount
// amount, pre-freight = detail − header discount, total = pre-freight +
// freight + tax, total discount = line discounts + header discount; each
// line's extended amount is its amount − manual discount + tax, and a
// required bundle item adds nothing.
func requireAddsUp(t *testing.T, what string, d sales.Document, lines []sales.Line) {
	t.Helper()
	detail, lineDiscounts, tax := crm.Zero("USD"), crm.Zero("USD"), crm.Zero("USD")
	for i, l := range lines {
		require.NotNil(t, l.Amount, "%s: line %d has an amount", what, i)
		require.NotNil(t, l.ExtendedAmount, "%s: line %d has an extended amount", what, i)
		md, tx := orZero(l.ManualDiscount), orZero(l.Tax)
		if l.Kind == pricing.RequiredBundleItem {
			require.True(t, l.Amount.IsZero() && l.ExtendedAmount.IsZero(), "%s: a required item adds nothing: %s", what, l.ExtendedAmount)
			continue
		}
		require.True(t, add(sub(*l.Amount, md), tx).Equal(*l.ExtendedAmount), "%s: line %d: %s − %s + %s ≠ %s",
			what, i, l.Amount, md, tx, l.ExtendedAmount)
		detail, lineDiscounts, tax = add(detail, sub(*l.Amount, md)), add(lineDiscounts, md), add(tax, tx)
	}
	pct := decimal.Zero
	if d.DiscountPercentage != nil {
		pct = *d.DiscountPercentage
	}
	header := add(crm.NewMoney(detail.Amount.Mul(pct).Div(decimal.NewFromInt(100)).Round(2), "USD"), orZero(d.DiscountAmount))
	pre := sub(detail, header)
	for _, c := range []struct {
		name      string
		want, got *crm.Money
	}{
		{"detail amount", &detail, d.TotalLineItemAmount},
		{"line-item discount", &lineDiscounts, d.TotalLineItemDiscount},
		{"total tax", &tax, d.TotalTax},
		{"pre-freight amount", &pre, d.TotalAmountLessFreight},
		{"total amount", ptr(add(add(pre, orZero(d.FreightAmount)), tax)), d.TotalAmount},
		{"total discount", ptr(add(lineDiscounts, header)), d.TotalDiscountAmount},
	} {
		require.NotNil(t, c.got, "%s: %s", what, c.name)
		require.True(t, c.want.Equal(*c.got), "%s: %s is %s, the lines make %s", what, c.name, c.got, c.want)
	}
}

func ptr[T any](v T) *T { return &v }

// sameMoney reports whether a and b are both nil or equal.
func sameMoney(a, b *crm.Money) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// requireSameDocument checks that document to, with lines toLines, has
// the totals and lines of from: the same amounts line by line, and its
// bundle items under the copy of their bundle line.
func requireSameDocument(t *testing.T, what string, from sales.Document, fromLines []sales.Line, to sales.Document, toLines []sales.Line) {
	t.Helper()
	require.Equal(t, totals(from), totals(to), "%s: totals", what)
	require.Len(t, toLines, len(fromLines), "%s: lines", what)
	index := func(ls []sales.Line) map[crm.ID]int {
		m := map[crm.ID]int{}
		for i, l := range ls {
			m[l.ID] = i
		}
		return m
	}
	fromIndex, toIndex := index(fromLines), index(toLines)
	for i, a := range fromLines {
		b := toLines[i]
		require.Equal(t, []any{a.Product, a.WriteIn, a.Kind, a.Sequence, a.Quantity.String(), a.PriceOverridden},
			[]any{b.Product, b.WriteIn, b.Kind, b.Sequence, b.Quantity.String(), b.PriceOverridden}, "%s: line %d", what, i)
		for _, m := range [][2]*crm.Money{{a.PricePerUnit, b.PricePerUnit}, {a.VolumeDiscount, b.VolumeDiscount},
			{a.Amount, b.Amount}, {a.ManualDiscount, b.ManualDiscount}, {a.Tax, b.Tax}, {a.ExtendedAmount, b.ExtendedAmount}} {
			require.True(t, sameMoney(m[0], m[1]), "%s: line %d: %s became %s", what, i, m[0], m[1])
		}
		if a.ParentBundle.IsZero() {
			require.True(t, b.ParentBundle.IsZero(), "%s: line %d", what, i)
			continue
		}
		require.Equal(t, fromIndex[a.ParentBundle.ID], toIndex[b.ParentBundle.ID], "%s: line %d is under the copy of its bundle", what, i)
	}
}

// fresh prices lines and the header inputs of d with the engine from the
// catalog as the model has it now, none of them locked.
func (e *propEnv) fresh(t *testing.T, what string, d sales.Document, lines []sales.Line) pricing.Result {
	t.Helper()
	doc := pricing.Document{Currency: "USD", PriceList: &pricing.PriceList{Currency: "USD"},
		DiscountAmount: d.DiscountAmount, Freight: d.FreightAmount}
	if d.DiscountPercentage != nil {
		doc.DiscountPercentage = *d.DiscountPercentage
	}
	for _, l := range lines {
		pl := pricing.Line{Kind: l.Kind, WriteIn: l.WriteIn, Quantity: l.Quantity, ManualDiscount: l.ManualDiscount, Tax: l.Tax,
			Unit: l.Unit.ID, PriceOverridden: l.PriceOverridden || l.WriteIn}
		if pl.PriceOverridden {
			pl.PricePerUnit = l.PricePerUnit
		}
		if !l.WriteIn {
			item := e.items[l.Product.ID]
			pl.Product = &pricing.Product{State: pricing.ProductActive}
			pl.Item = &pricing.PriceListItem{Method: pricing.Method(sales.PricingCurrencyAmount), Amount: item.Amount,
				Unit: item.Unit.ID, Discounts: e.discounts[l.Product.ID]}
		}
		doc.Lines = append(doc.Lines, pl)
	}
	res, err := pricing.Settings{PricingPrecision: e.store.Registry().PricingPrecision()}.Calculate(doc)
	require.NoError(t, err, what)
	return res
}

// requireFresh checks that a document and its lines are what fresh
// makes of them.
func (e *propEnv) requireFresh(t *testing.T, what string, d sales.Document, lines []sales.Line) {
	t.Helper()
	res := e.fresh(t, what, d, lines)
	for i, l := range lines {
		r := res.Lines[i]
		for _, m := range []struct {
			name      string
			got, want *crm.Money
		}{{"price per unit", l.PricePerUnit, &r.PricePerUnit}, {"volume discount", l.VolumeDiscount, &r.VolumeDiscount},
			{"amount", l.Amount, &r.Amount}, {"extended amount", l.ExtendedAmount, &r.ExtendedAmount}} {
			require.True(t, sameMoney(m.got, m.want), "%s: line %d: %s is %s, a fresh calculation %s", what, i, m.name, m.got, m.want)
		}
	}
	tt := res.Totals
	require.Equal(t, []string{tt.DetailAmount.String(), tt.LineItemDiscount.String(), tt.TotalDiscount.String(),
		tt.PreFreightAmount.String(), tt.TotalTax.String(), tt.TotalAmount.String()}, totals(d), "%s: totals", what)
}

// requireStoredPlaces checks every money field of the stored record
// ref: a price per unit at most the pricing precision, a base amount at
// most crm.BasePlaces, every other amount at most its currency's
// precision.
func (e *propEnv) requireStoredPlaces(t *testing.T, what string, ref crm.Ref) {
	t.Helper()
	rec, err := e.store.Get(e.ctx, ref.Entity, ref.ID)
	require.NoError(t, err)
	entity, err := e.store.Registry().Entity(ref.Entity)
	require.NoError(t, err)
	for _, f := range entity.Fields {
		m, ok := rec.Fields.Money(f.Name)
		if f.Type != crm.TypeMoney || !ok {
			continue
		}
		places := m.Currency.Precision()
		switch {
		case strings.HasSuffix(f.Name, crm.BaseSuffix):
			places = crm.BasePlaces
		case f.Name == sales.LinePricePerUnit:
			places = e.store.Registry().PricingPrecision()
		}
		require.True(t, m.Amount.Equal(m.Amount.Round(places)), "%s: %s.%s = %s has more than %d places", what, ref.Entity, f.Name, m, places)
	}
}

func (e *propEnv) requireAllPlaces(t *testing.T, what string, header crm.Ref, lineEntity string, lines []sales.Line) {
	t.Helper()
	e.requireStoredPlaces(t, what, header)
	for _, l := range lines {
		e.requireStoredPlaces(t, what, crm.Ref{Entity: lineEntity, ID: l.ID})
	}
}

// repriceSome gives about half the catalog's items a new random price,
// in the catalog and in the model.
func (e *propEnv) repriceSome(t *testing.T, r *rand.Rand) {
	t.Helper()
	for _, p := range e.products {
		if r.IntN(2) == 0 {
			continue
		}
		e.items[p.ID] = e.reprice(t, e.items[p.ID], randAmount(r, 100000, 0).Amount.StringFixed(2))
	}
}

// recalculateLocked changes about half the catalog's prices, recalculates
// the locked document id and checks that it still is quote q, line by
// line.
func recalculateLocked[D any](t *testing.T, e *propEnv, r *rand.Rand, what string, docs *sales.Documents[D], id crm.ID,
	doc func(D) sales.Document, q sales.Quote, ql []sales.Line) {
	t.Helper()
	e.repriceSome(t, r)
	d, err := docs.Recalculate(e.ctx, id)
	require.NoError(t, err, what)
	ls, err := docs.Lines(e.ctx, id)
	require.NoError(t, err)
	requireSameDocument(t, what, q.Document, ql, doc(d), ls)
}

// TestPropertyDocuments: on random quotes (a) the header always adds up
// to the lines; (b) quote → order → invoice changes no total and no line
// amount, nor does recalculating the locked order or invoice after the
// catalog's prices change, and unlocking the invoice prices it as a
// fresh calculation would; (d) no stored amount has more places than its
// precision.
func TestPropertyDocuments(t *testing.T) {
	n := stores.EnvSize(t, envPropertyDocs, 12, 1)
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newPropEnv(t, b)
			ctx := e.ctx
			for seed := range n {
				what := fmt.Sprintf("seed %d", seed)
				r := rand.New(rand.NewPCG(uint64(seed), 11))
				q, ql := e.randomQuote(t, r, what)
				e.requireAllPlaces(t, what, q.Ref(), sales.QuoteLineEntity, ql)
				if len(ql) == 0 {
					continue
				}
				q, err := e.quotes.Activate(ctx, q.ID, q.Version)
				require.NoError(t, err, what)
				q, _, err = e.quotes.Win(ctx, q.ID, q.Version, sales.CloseOptions{})
				require.NoError(t, err, what)

				order, err := e.orders.FromQuote(ctx, q.ID)
				require.NoError(t, err, what)
				ol, err := e.orders.Lines(ctx, order.ID)
				require.NoError(t, err)
				requireSameDocument(t, what+": quote → order", q.Document, ql, order.Document, ol)
				e.requireAllPlaces(t, what, order.Ref(), sales.OrderLineEntity, ol)

				recalculateLocked(t, e, r, what+": locked order recalculated", e.orders.Documents, order.ID,
					func(o sales.Order) sales.Document { return o.Document }, q, ql)

				inv, err := e.invoices.FromOrder(ctx, order.ID)
				require.NoError(t, err, what)
				il, err := e.invoices.Lines(ctx, inv.ID)
				require.NoError(t, err)
				requireSameDocument(t, what+": order → invoice", q.Document, ql, inv.Document, il)

				recalculateLocked(t, e, r, what+": locked invoice recalculated", e.invoices.Documents, inv.ID,
					func(i sales.Invoice) sales.Document { return i.Document }, q, ql)

				inv, err = e.invoices.UnlockPricing(ctx, inv.ID, storage.AnyVersion)
				require.NoError(t, err, what)
				il, err = e.invoices.Lines(ctx, inv.ID)
				require.NoError(t, err)
				e.requireFresh(t, what+": unlocked invoice", inv.Document, il)
				requireAddsUp(t, what+": unlocked invoice", inv.Document, il)
				e.requireAllPlaces(t, what, inv.Ref(), sales.InvoiceLineEntity, il)
			}
		})
	}
}

// floatUses returns where file uses floating point: a float or complex
// type, a floating-point literal, math's functions (its integer limits
// are fine), big.Float, strconv's float conversions, or decimal's
// conversions from and to float64.
func floatUses(fset *token.FileSet, file *ast.File) []string {
	imports := map[string]string{} // local name → path
	for _, imp := range file.Imports {
		p := strings.Trim(imp.Path.Value, `"`)
		name := filepath.Base(p)
		if imp.Name != nil {
			name = imp.Name.Name
		}
		imports[name] = p
	}
	floatFuncs := map[string]map[string]bool{
		"strconv":  {"ParseFloat": true, "FormatFloat": true, "AppendFloat": true, "ParseComplex": true, "FormatComplex": true},
		"math/big": {"Float": true, "NewFloat": true, "ParseFloat": true},
	}
	floatMethods := map[string]bool{"Float64": true, "InexactFloat64": true, "NewFromFloat": true, "NewFromFloat32": true,
		"NewFromFloatWithExponent": true, "SetFloat64": true}
	var out []string
	ast.Inspect(file, func(n ast.Node) bool {
		var bad string
		switch n := n.(type) {
		case *ast.Ident:
			switch n.Name {
			case "float32", "float64", "complex64", "complex128":
				bad = n.Name
			}
		case *ast.BasicLit:
			if n.Kind == token.FLOAT || n.Kind == token.IMAG {
				bad = "literal " + n.Value
			}
		case *ast.SelectorExpr:
			if floatMethods[n.Sel.Name] {
				bad = n.Sel.Name
			}
			if x, ok := n.X.(*ast.Ident); ok {
				path := imports[x.Name]
				if floatFuncs[path][n.Sel.Name] ||
					path == "math" && !strings.HasPrefix(n.Sel.Name, "MaxInt") && !strings.HasPrefix(n.Sel.Name, "MinInt") && !strings.HasPrefix(n.Sel.Name, "MaxUint") {
					bad = x.Name + "." + n.Sel.Name
				}
			}
		}
		if bad != "" {
			out = append(out, fset.Position(n.Pos()).String()+": "+bad)
		}
		return true
	})
	return out
}

// TestNoFloatingPoint (c): no amount is computed in floating point: the
// non-test sources of sales and every package below it (sales/pricing
// included) never use one. It parses them, so a comment saying "float"
// is fine and a float64 in any guise is not.
func TestNoFloatingPoint(t *testing.T) {
	fset := token.NewFileSet()
	t.Run("the check finds floating point", func(t *testing.T) {
		src := `package p
import (
	"math"
	"strconv"
	dec "github.com/shopspring/decimal"
)
const limit = math.MaxInt64
func f(d dec.Decimal) (float64, string) {
	v, _ := d.Float64()
	_ = dec.NewFromFloat(0.5)
	return math.Floor(v), strconv.FormatFloat(v, 'f', 2, 64)
}`
		file, err := parser.ParseFile(fset, "p.go", src, 0)
		require.NoError(t, err)
		got := floatUses(fset, file)
		require.Len(t, got, 6, "float64, Float64, NewFromFloat, 0.5, math.Floor, strconv.FormatFloat: %v", got)
	})

	var read []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && d.Name() == "testdata":
			return filepath.SkipDir
		case d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go"):
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		read = append(read, filepath.ToSlash(path))
		require.Empty(t, floatUses(fset, file), "floating point in %s", path)
		return nil
	})
	require.NoError(t, err)
	for _, f := range []string{"document_pricing.go", "documents.go", "convert.go", "catalog.go", "pricing/line.go", "pricing/document.go", "pricing/fixed.go"} {
		require.Contains(t, read, f, "the money code was read")
	}
}
