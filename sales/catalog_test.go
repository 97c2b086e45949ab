package sales_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/storagetest"
)

// catEnv is one store of a backend with the catalog service over it.
type catEnv struct {
	ctx   context.Context
	store *storage.Store
	cat   *sales.Catalog
}

func newCatEnv(t *testing.T, b backend, opts sales.CatalogOptions, wrap func(driver.Driver) driver.Driver) *catEnv {
	t.Helper()
	st := b.store(t, wrap)
	return &catEnv{ctx: crm.AsSystem(context.Background()), store: st, cat: sales.NewCatalog(st, opts)}
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// usdp returns a pointer to an amount in USD, for optional money fields.
func usdp(s string) *crm.Money { m := usd(s); return &m }

// group creates a unit group with its primary unit.
func (e *catEnv) group(t *testing.T, name, primary string) (sales.UnitGroup, sales.Unit) {
	t.Helper()
	g, u, err := e.cat.CreateUnitGroup(e.ctx, sales.UnitGroup{Name: name, BaseUnitName: primary})
	require.NoError(t, err)
	return g, u
}

// unit creates a unit of group: qty of base.
func (e *catEnv) unit(t *testing.T, group sales.UnitGroup, name, qty string, base sales.Unit) sales.Unit {
	t.Helper()
	u, err := e.cat.Units().Create(e.ctx, sales.Unit{Name: name, Group: group.Ref(), Quantity: dec(qty), BaseUnit: base.Ref()})
	require.NoError(t, err)
	return u
}

// catalog is a small catalog: the Drinks group (Can, Six-pack = 6 Can,
// Case = 4 Six-pack) and the Hardware group (Piece).
type catalog struct {
	drinks, hardware  sales.UnitGroup
	can, sixPack, box sales.Unit
	piece             sales.Unit
}

func (e *catEnv) catalog(t *testing.T) catalog {
	t.Helper()
	var c catalog
	c.drinks, c.can = e.group(t, "Drinks", "Can")
	c.sixPack = e.unit(t, c.drinks, "Six-pack", "6", c.can)
	c.box = e.unit(t, c.drinks, "Case", "4", c.sixPack)
	c.hardware, c.piece = e.group(t, "Hardware", "Piece")
	return c
}

// product creates a draft product of the Drinks group, in cans.
func (e *catEnv) product(t *testing.T, c catalog, number string, s sales.ProductStructure, parent crm.Ref) sales.Product {
	t.Helper()
	p, err := e.cat.CreateProduct(e.ctx, sales.Product{Name: "Product " + number, Number: number, Structure: s, Parent: parent,
		UnitGroup: c.drinks.Ref(), DefaultUnit: c.can.Ref(), ListPrice: usdp("10.00")})
	require.NoError(t, err)
	return p
}

func (e *catEnv) get(t *testing.T, id crm.ID) sales.Product {
	t.Helper()
	p, err := e.cat.Products().Get(e.ctx, id)
	require.NoError(t, err)
	return p
}

func TestCatalogCodecs(t *testing.T) {
	reg := crm.NewRegistry()
	require.NoError(t, sales.Register(reg))
	t.Run("uomschedule", func(t *testing.T) { storagetest.CheckCodec(t, reg, sales.UnitGroupCodec()) })
	t.Run("uom", func(t *testing.T) { storagetest.CheckCodec(t, reg, sales.UnitCodec()) })
	t.Run("product", func(t *testing.T) { storagetest.CheckCodec(t, reg, sales.ProductCodec()) })
	t.Run("productassociation", func(t *testing.T) { storagetest.CheckCodec(t, reg, sales.BundleItemCodec()) })
	t.Run("pricelevel", func(t *testing.T) { storagetest.CheckCodec(t, reg, sales.PriceListCodec()) })
	t.Run("productpricelevel", func(t *testing.T) { storagetest.CheckCodec(t, reg, sales.PriceListItemCodec()) })
	t.Run("discounttype", func(t *testing.T) { storagetest.CheckCodec(t, reg, sales.DiscountListCodec()) })
	t.Run("discount", func(t *testing.T) { storagetest.CheckCodec(t, reg, sales.DiscountCodec()) })
}

func TestUnitGroups(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newCatEnv(t, b, sales.CatalogOptions{}, nil)
			c := e.catalog(t)

			t.Run("creating a group creates its primary unit", func(t *testing.T) {
				require.Equal(t, c.can.Ref(), c.drinks.BaseUnit)
				require.True(t, c.can.IsPrimary)
				require.True(t, c.can.Quantity.Equal(dec("1")))
				require.True(t, c.can.BaseUnit.IsZero())
				require.Equal(t, c.drinks.Ref(), c.can.Group)
				require.Equal(t, sales.UnitGroupStateActive, c.drinks.UnitGroupState())
				units, err := e.cat.UnitsOf(e.ctx, c.drinks.ID)
				require.NoError(t, err)
				require.Len(t, units, 3)
			})

			t.Run("a unit converts to the primary unit along its chain", func(t *testing.T) {
				for _, tc := range []struct {
					unit sales.Unit
					want string
				}{{c.can, "1"}, {c.sixPack, "6"}, {c.box, "24"}} {
					got, err := e.cat.ToBase(e.ctx, tc.unit.ID)
					require.NoError(t, err)
					require.True(t, got.Equal(dec(tc.want)), "%s: %s", tc.unit.Name, got)
				}
				_, err := e.cat.ToBase(e.ctx, crm.NewID())
				require.ErrorIs(t, err, crm.ErrNotFound)
			})

			t.Run("a unit is a positive quantity of a unit of its own group", func(t *testing.T) {
				_, err := e.cat.Units().Create(e.ctx, sales.Unit{Name: "Crate", Group: c.drinks.Ref(), Quantity: dec("2"), BaseUnit: c.piece.Ref()})
				requireInvalid(t, err, sales.UnitBaseUnit)
				_, err = e.cat.Units().Create(e.ctx, sales.Unit{Name: "Crate", Group: c.drinks.Ref(), Quantity: dec("2")})
				requireInvalid(t, err, sales.UnitBaseUnit)
				_, err = e.cat.Units().Create(e.ctx, sales.Unit{Name: "Crate", Group: c.drinks.Ref(), Quantity: dec("0"), BaseUnit: c.can.Ref()})
				requireInvalid(t, err, sales.UnitQuantity)
				_, err = e.cat.Units().Create(e.ctx, sales.Unit{Name: "Six-pack", Group: c.drinks.Ref(), Quantity: dec("6"), BaseUnit: c.can.Ref()})
				require.ErrorIs(t, err, crm.ErrDuplicate, "unit names are unique in a group")
			})

			t.Run("the chain of base units has no cycle", func(t *testing.T) {
				six := c.sixPack
				six.BaseUnit = c.box.Ref()
				_, err := e.cat.Units().Update(e.ctx, six)
				require.ErrorIs(t, err, crm.ErrValidation)
			})

			t.Run("the primary unit is made by CreateUnitGroup only", func(t *testing.T) {
				_, err := e.cat.Units().Create(e.ctx, sales.Unit{Name: "Bottle", Group: c.drinks.Ref(), Quantity: dec("1"), IsPrimary: true})
				requireInvalid(t, err, sales.UnitIsPrimary)
				_, err = e.store.Update(e.ctx, crm.Record{Entity: sales.UnitGroupEntity, Header: crm.Header{ID: c.drinks.ID, Version: storage.AnyVersion},
					Fields: crm.Fields{sales.UnitGroupBaseUnit: c.sixPack.Ref()}})
				requireInvalid(t, err, sales.UnitGroupBaseUnit)
				_, _, err = e.cat.CreateUnitGroup(e.ctx, sales.UnitGroup{Name: "Nameless"})
				requireInvalid(t, err, sales.UnitGroupBaseUnitName)
			})

			t.Run("the primary unit and a unit others are based on cannot be deleted", func(t *testing.T) {
				err := e.cat.Units().Delete(e.ctx, c.can.ID, storage.AnyVersion)
				require.ErrorIs(t, err, crm.ErrRestricted)
				err = e.cat.Units().Delete(e.ctx, c.sixPack.ID, storage.AnyVersion)
				require.ErrorIs(t, err, crm.ErrRestricted)
			})

			t.Run("deleting a group deletes its units", func(t *testing.T) {
				g, primary := e.group(t, "Paper", "Sheet")
				ream := e.unit(t, g, "Ream", "500", primary)
				e.unit(t, g, "Box", "5", ream)
				err := e.cat.UnitGroups().Delete(e.ctx, g.ID, storage.AnyVersion)
				require.ErrorIs(t, err, crm.ErrRestricted, "the store's cascade meets the restriction between two units of the group")
				require.NoError(t, e.cat.DeleteUnitGroup(e.ctx, g.ID, storage.AnyVersion))
				n, err := e.cat.Units().Count(e.ctx, crm.Query{Where: crm.Eq(sales.UnitScheduleID, g.Ref())})
				require.NoError(t, err)
				require.Zero(t, n)
				_, err = e.cat.UnitGroups().Get(e.ctx, g.ID)
				require.ErrorIs(t, err, crm.ErrNotFound)

				t.Run("not while a product uses one of its units", func(t *testing.T) {
					e.product(t, c, "USESCAN", sales.StructureProduct, crm.Ref{})
					err := e.cat.DeleteUnitGroup(e.ctx, c.drinks.ID, storage.AnyVersion)
					require.ErrorIs(t, err, crm.ErrRestricted)
					units, err := e.cat.UnitsOf(e.ctx, c.drinks.ID)
					require.NoError(t, err)
					require.Len(t, units, 3, "nothing is deleted")
				})
			})

			t.Run("an inactive group is read-only until activated", func(t *testing.T) {
				g, err := e.cat.UnitGroups().SetState(e.ctx, c.hardware.ID, storage.AnyVersion, sales.EventDeactivate, 0)
				require.NoError(t, err)
				require.Equal(t, sales.UnitGroupStatusInactive, sales.UnitGroupStatus(g.Status))
				g.Description = "tools"
				_, err = e.cat.UnitGroups().Update(e.ctx, g)
				require.ErrorIs(t, err, crm.ErrInvalidTransition)
				_, err = e.cat.UnitGroups().SetState(e.ctx, c.hardware.ID, storage.AnyVersion, sales.EventActivate, 0)
				require.NoError(t, err)
			})
		})
	}
}

// productIn returns a product of c in the named state: draft, active,
// revised (under revision) or retired.
func (e *catEnv) productIn(t *testing.T, c catalog, number, state string) sales.Product {
	t.Helper()
	p := e.product(t, c, number, sales.StructureProduct, crm.Ref{})
	var err error
	switch state {
	case "draft":
		return p
	case "active", "revised":
		p, err = e.cat.Publish(e.ctx, p.ID, p.Version)
		require.NoError(t, err)
		if state == "revised" {
			p, err = e.cat.Revise(e.ctx, p.ID, p.Version)
			require.NoError(t, err)
		}
	case "retired":
		p, err = e.cat.Retire(e.ctx, p.ID, p.Version)
		require.NoError(t, err)
	default:
		t.Fatalf("no state %q", state)
	}
	return p
}

func TestProductLifecycle(t *testing.T) {
	type fire func(e *catEnv, p sales.Product) (sales.Product, error)
	events := map[string]fire{
		sales.EventPublish: func(e *catEnv, p sales.Product) (sales.Product, error) {
			return e.cat.Publish(e.ctx, p.ID, p.Version)
		},
		sales.EventRevise: func(e *catEnv, p sales.Product) (sales.Product, error) {
			return e.cat.Revise(e.ctx, p.ID, p.Version)
		},
		sales.EventRevert: func(e *catEnv, p sales.Product) (sales.Product, error) {
			return e.cat.Revert(e.ctx, p.ID, p.Version)
		},
		sales.EventRetire: func(e *catEnv, p sales.Product) (sales.Product, error) {
			return e.cat.Retire(e.ctx, p.ID, p.Version)
		},
		sales.EventActivate: func(e *catEnv, p sales.Product) (sales.Product, error) {
			return e.cat.Activate(e.ctx, p.ID, p.Version)
		},
	}
	const refused = sales.ProductState(-1)
	tests := []struct {
		from  string
		event string
		to    sales.ProductState
		state string // the state named in the refusal
	}{
		{"draft", sales.EventPublish, sales.ProductStateActive, ""},
		{"draft", sales.EventRevise, refused, "Draft"},
		{"draft", sales.EventRevert, refused, "Draft"},
		{"draft", sales.EventRetire, sales.ProductStateRetired, ""},
		{"draft", sales.EventActivate, refused, "Draft"},
		{"active", sales.EventPublish, refused, "Active"},
		{"active", sales.EventRevise, sales.ProductStateUnderRevision, ""},
		{"active", sales.EventRevert, refused, "Active"},
		{"active", sales.EventRetire, sales.ProductStateRetired, ""},
		{"active", sales.EventActivate, refused, "Active"},
		{"revised", sales.EventPublish, sales.ProductStateActive, ""},
		{"revised", sales.EventRevise, refused, "Under Revision"},
		{"revised", sales.EventRevert, sales.ProductStateActive, ""},
		{"revised", sales.EventRetire, sales.ProductStateRetired, ""},
		{"revised", sales.EventActivate, refused, "Under Revision"},
		{"retired", sales.EventPublish, refused, "Retired"},
		{"retired", sales.EventRevise, refused, "Retired"},
		{"retired", sales.EventRevert, refused, "Retired"},
		{"retired", sales.EventRetire, refused, "Retired"},
		{"retired", sales.EventActivate, sales.ProductStateActive, ""},
	}
	statuses := map[sales.ProductState]sales.ProductStatus{
		sales.ProductStateActive: sales.ProductStatusActive, sales.ProductStateRetired: sales.ProductStatusRetired,
		sales.ProductStateUnderRevision: sales.ProductStatusUnderRevision,
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newCatEnv(t, b, sales.CatalogOptions{}, nil)
			c := e.catalog(t)
			draft := e.product(t, c, "NEW", sales.StructureProduct, crm.Ref{})
			require.Equal(t, sales.ProductStateDraft, draft.ProductState(), "new products start Draft")
			require.Equal(t, sales.ProductStatusDraft, draft.ProductStatus())
			for i, tc := range tests {
				t.Run(tc.from+" "+tc.event, func(t *testing.T) {
					p := e.productIn(t, c, "P"+string(rune('A'+i)), tc.from)
					got, err := events[tc.event](e, p)
					if tc.to == refused {
						require.ErrorIs(t, err, crm.ErrInvalidTransition)
						var terr *crm.TransitionError
						require.ErrorAs(t, err, &terr)
						require.Equal(t, tc.state, terr.State)
						require.Equal(t, tc.event, terr.Event)
						require.Equal(t, p, e.get(t, p.ID), "a refused event changes nothing")
						return
					}
					require.NoError(t, err)
					require.Equal(t, tc.to, got.ProductState())
					require.Equal(t, statuses[tc.to], got.ProductStatus())
				})
			}
		})
	}
}

func TestProductRules(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newCatEnv(t, b, sales.CatalogOptions{}, nil)
			c := e.catalog(t)

			t.Run("revise and retire fire only inside their operations", func(t *testing.T) {
				p := e.productIn(t, c, "BARE", "active")
				for event, message := range map[string]string{sales.EventRevise: sales.MessageReviseProduct, sales.EventRetire: sales.MessageRetireProduct} {
					_, err := e.store.SetState(e.ctx, p.Ref(), storage.AnyVersion, event, 0)
					var terr *crm.TransitionError
					require.ErrorAs(t, err, &terr)
					require.Equal(t, message, terr.Operation)
				}
			})

			t.Run("an active product is read-only; a revised one is not", func(t *testing.T) {
				p := e.productIn(t, c, "RO", "active")
				p.Description = "changed"
				_, err := e.cat.Products().Update(e.ctx, p)
				require.ErrorIs(t, err, crm.ErrInvalidTransition)
				p, err = e.cat.Revise(e.ctx, p.ID, storage.AnyVersion)
				require.NoError(t, err)
				p.ListPrice = usdp("12.50")
				p, err = e.cat.Products().Update(e.ctx, p)
				require.NoError(t, err)
				p, err = e.cat.Publish(e.ctx, p.ID, p.Version)
				require.NoError(t, err)
				require.Equal(t, "12.5", p.ListPrice.Amount.String())
			})

			t.Run("the product ID is unique and the structure never changes", func(t *testing.T) {
				p := e.product(t, c, "UNIQ", sales.StructureProduct, crm.Ref{})
				_, err := e.cat.CreateProduct(e.ctx, sales.Product{Name: "Again", Number: "uniq", Structure: sales.StructureProduct,
					UnitGroup: c.drinks.Ref(), DefaultUnit: c.can.Ref()})
				require.ErrorIs(t, err, crm.ErrDuplicate)
				p.Structure = sales.StructureBundle
				_, err = e.cat.Products().Update(e.ctx, p)
				requireInvalid(t, err, sales.ProductStructureCode)
			})

			t.Run("field rules", func(t *testing.T) {
				base := sales.Product{Name: "Soda", Number: "SODA", Structure: sales.StructureProduct, UnitGroup: c.drinks.Ref(), DefaultUnit: c.can.Ref()}
				plain := e.product(t, c, "PLAIN", sales.StructureProduct, crm.Ref{})
				for _, tc := range []struct {
					name  string
					edit  func(p *sales.Product)
					field string
				}{
					{"the default unit is of the unit group", func(p *sales.Product) { p.DefaultUnit = c.piece.Ref() }, sales.ProductDefaultUnit},
					{"the default unit is required", func(p *sales.Product) { p.DefaultUnit = crm.Ref{} }, sales.ProductDefaultUnit},
					{"the parent is a family", func(p *sales.Product) { p.Parent = plain.Ref() }, sales.ProductParent},
					{"valid to is not before valid from", func(p *sales.Product) {
						p.ValidFrom = time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)
						p.ValidTo = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
					}, sales.ProductValidTo},
					{"quantity decimals are 0..5", func(p *sales.Product) { p.QuantityDecimal = 6 }, sales.ProductQuantityDecimal},
					{"costs are not negative", func(p *sales.Product) { p.CurrentCost = usdp("-1") }, sales.ProductCurrentCost},
					{"the default price list is set after create", func(p *sales.Product) { p.DefaultPriceList = sales.PriceListRef(crm.NewID()) }, sales.ProductDefaultPriceList},
				} {
					p := base
					tc.edit(&p)
					_, err := e.cat.CreateProduct(e.ctx, p)
					requireInvalid(t, err, tc.field)
					_ = tc.name
				}
			})

			t.Run("a product in a family is published only while the family is active", func(t *testing.T) {
				fam := e.product(t, c, "FAM", sales.StructureFamily, crm.Ref{})
				sub := e.product(t, c, "SUBFAM", sales.StructureFamily, fam.Ref())
				child := e.product(t, c, "CHILD", sales.StructureProduct, sub.Ref())
				_, err := e.cat.Publish(e.ctx, child.ID, child.Version)
				requireInvalid(t, err, crm.FieldState)
				// Through the generic door too.
				_, err = e.store.SetState(e.ctx, child.Ref(), storage.AnyVersion, sales.EventPublish, 0)
				requireInvalid(t, err, crm.FieldState)

				got, err := e.cat.PublishHierarchy(e.ctx, fam.ID, fam.Version)
				require.NoError(t, err)
				require.Equal(t, sales.ProductStateActive, got.ProductState())
				for _, id := range []crm.ID{sub.ID, child.ID} {
					require.Equal(t, sales.ProductStateActive, e.get(t, id).ProductState())
				}

				t.Run("revising a family revises its active subtree", func(t *testing.T) {
					_, err := e.cat.Revise(e.ctx, fam.ID, storage.AnyVersion)
					require.NoError(t, err)
					for _, id := range []crm.ID{fam.ID, sub.ID, child.ID} {
						require.Equal(t, sales.ProductStateUnderRevision, e.get(t, id).ProductState())
					}
					_, err = e.cat.PublishHierarchy(e.ctx, fam.ID, storage.AnyVersion)
					require.NoError(t, err)
				})

				t.Run("retiring a family retires its subtree; only a product without a family is activated again", func(t *testing.T) {
					_, err := e.cat.Retire(e.ctx, fam.ID, storage.AnyVersion)
					require.NoError(t, err)
					for _, id := range []crm.ID{fam.ID, sub.ID, child.ID} {
						require.Equal(t, sales.ProductStateRetired, e.get(t, id).ProductState())
					}
					_, err = e.cat.Activate(e.ctx, child.ID, storage.AnyVersion)
					requireInvalid(t, err, crm.FieldState)
					_, err = e.cat.Activate(e.ctx, fam.ID, storage.AnyVersion)
					requireInvalid(t, err, crm.FieldState)
				})

				t.Run("a family with products cannot be deleted", func(t *testing.T) {
					err := e.cat.Products().Delete(e.ctx, sub.ID, storage.AnyVersion)
					require.ErrorIs(t, err, crm.ErrRestricted)
				})
			})

			t.Run("new products without a family start active when the organization says so", func(t *testing.T) {
				ca := sales.NewCatalog(e.store, sales.CatalogOptions{CreateProductsActive: true})
				p, err := ca.CreateProduct(e.ctx, sales.Product{Name: "Water", Number: "WATER", Structure: sales.StructureProduct,
					UnitGroup: c.drinks.Ref(), DefaultUnit: c.can.Ref()})
				require.NoError(t, err)
				require.Equal(t, sales.ProductStateActive, p.ProductState())
				fam := e.product(t, c, "DRAFTFAM", sales.StructureFamily, crm.Ref{})
				p, err = ca.CreateProduct(e.ctx, sales.Product{Name: "Sparkling", Number: "SPARK", Structure: sales.StructureProduct,
					Parent: fam.Ref(), UnitGroup: c.drinks.Ref(), DefaultUnit: c.can.Ref()})
				require.NoError(t, err)
				require.Equal(t, sales.ProductStateDraft, p.ProductState(), "a product in a family starts Draft")
			})
		})
	}
}

func TestBundles(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newCatEnv(t, b, sales.CatalogOptions{MaxProductsInBundle: 2}, nil)
			c := e.catalog(t)
			bundle := e.product(t, c, "BUNDLE", sales.StructureBundle, crm.Ref{})
			cola := e.product(t, c, "COLA", sales.StructureProduct, crm.Ref{})
			lime := e.product(t, c, "LIME", sales.StructureProduct, crm.Ref{})
			tonic := e.product(t, c, "TONIC", sales.StructureProduct, crm.Ref{})
			fam := e.product(t, c, "MIXERS", sales.StructureFamily, crm.Ref{})
			item := func(p sales.Product) sales.BundleItem {
				return sales.BundleItem{Bundle: bundle.Ref(), Product: p.Ref(), Quantity: dec("2"), Unit: c.sixPack.Ref(), Required: true}
			}

			colaItem, err := e.cat.AddBundleItem(e.ctx, item(cola))
			require.NoError(t, err)
			require.Equal(t, cola.Ref(), colaItem.Product)

			t.Run("item rules", func(t *testing.T) {
				_, err := e.cat.AddBundleItem(e.ctx, item(fam))
				requireInvalid(t, err, sales.BundleItemProduct)
				_, err = e.cat.AddBundleItem(e.ctx, item(bundle))
				requireInvalid(t, err, sales.BundleItemProduct)
				notBundle := item(lime)
				notBundle.Bundle = cola.Ref()
				_, err = e.cat.AddBundleItem(e.ctx, notBundle)
				requireInvalid(t, err, sales.BundleItemBundle)
				wrongUnit := item(lime)
				wrongUnit.Unit = c.piece.Ref()
				_, err = e.cat.AddBundleItem(e.ctx, wrongUnit)
				requireInvalid(t, err, sales.BundleItemUnit)
				none := item(lime)
				none.Quantity = decimal.Zero
				_, err = e.cat.AddBundleItem(e.ctx, none)
				requireInvalid(t, err, sales.BundleItemQuantity)
				_, err = e.cat.AddBundleItem(e.ctx, item(cola))
				require.ErrorIs(t, err, crm.ErrDuplicate)
			})

			t.Run("items are written only through SetBundleItem", func(t *testing.T) {
				_, err := e.cat.BundleItems().Create(e.ctx, item(lime))
				requireInvalid(t, err, sales.BundleItemBundle)
				colaItem.Quantity = dec("3")
				_, err = e.cat.BundleItems().Update(e.ctx, colaItem)
				requireInvalid(t, err, sales.BundleItemBundle)
				colaItem, err = e.cat.UpdateBundleItem(e.ctx, colaItem)
				require.NoError(t, err)
				require.True(t, colaItem.Quantity.Equal(dec("3")))
			})

			t.Run("a bundle holds at most MaxProductsInBundle items", func(t *testing.T) {
				_, err := e.cat.AddBundleItem(e.ctx, item(lime))
				require.NoError(t, err)
				_, err = e.cat.AddBundleItem(e.ctx, item(tonic))
				requireInvalid(t, err, sales.BundleItemBundle)
			})

			t.Run("items change only while the bundle is draft or retired", func(t *testing.T) {
				active, err := e.cat.Publish(e.ctx, bundle.ID, storage.AnyVersion)
				require.NoError(t, err)
				_, err = e.cat.UpdateBundleItem(e.ctx, colaItem)
				requireInvalid(t, err, sales.BundleItemBundle)
				err = e.cat.RemoveBundleItem(e.ctx, colaItem.ID, storage.AnyVersion)
				requireInvalid(t, err, sales.BundleItemBundle)
				err = e.store.Delete(e.ctx, crm.Ref{Entity: sales.BundleItemEntity, ID: colaItem.ID}, storage.AnyVersion)
				requireInvalid(t, err, sales.BundleItemBundle)
				_, err = e.cat.BundleItems().Get(e.ctx, colaItem.ID)
				require.NoError(t, err, "the generic door is refused too")

				t.Run("a product in an active bundle cannot be retired", func(t *testing.T) {
					_, err := e.cat.Retire(e.ctx, cola.ID, storage.AnyVersion)
					requireInvalid(t, err, crm.FieldState)
					require.Equal(t, sales.ProductStateDraft, e.get(t, cola.ID).ProductState())
				})

				_, err = e.cat.Retire(e.ctx, active.ID, storage.AnyVersion)
				require.NoError(t, err)
				require.NoError(t, e.cat.RemoveBundleItem(e.ctx, colaItem.ID, storage.AnyVersion))
				items, err := e.cat.BundleItemsOf(e.ctx, bundle.ID)
				require.NoError(t, err)
				require.Len(t, items, 1)
				_, err = e.cat.Retire(e.ctx, cola.ID, storage.AnyVersion)
				require.NoError(t, err, "out of the bundle, it retires")
			})

			t.Run("a product in a bundle cannot be deleted; deleting the bundle deletes its items", func(t *testing.T) {
				err := e.cat.Products().Delete(e.ctx, lime.ID, storage.AnyVersion)
				require.ErrorIs(t, err, crm.ErrRestricted)
				require.NoError(t, e.cat.Products().Delete(e.ctx, bundle.ID, storage.AnyVersion))
				n, err := e.cat.BundleItems().Count(e.ctx, crm.Query{})
				require.NoError(t, err)
				require.Zero(t, n)
			})
		})
	}
}

func TestDefaultBundleLimit(t *testing.T) {
	e := newCatEnv(t, backends()[0], sales.CatalogOptions{}, nil)
	c := e.catalog(t)
	bundle := e.product(t, c, "BIG", sales.StructureBundle, crm.Ref{})
	for i := range sales.DefaultMaxProductsInBundle + 1 {
		p := e.product(t, c, "ITEM"+string(rune('A'+i)), sales.StructureProduct, crm.Ref{})
		_, err := e.cat.AddBundleItem(e.ctx, sales.BundleItem{Bundle: bundle.Ref(), Product: p.Ref(), Quantity: dec("1"), Unit: c.can.Ref()})
		if i < sales.DefaultMaxProductsInBundle {
			require.NoError(t, err)
			continue
		}
		requireInvalid(t, err, sales.BundleItemBundle)
	}
}
