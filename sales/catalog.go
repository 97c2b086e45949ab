package sales

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// Inputs of the catalog's named operations (storage.Execution.Inputs),
// for hooks registered on their messages.
const (
	// CatalogInputTarget is the record an operation creates or updates
	// (a crm.Record): the unit group of CreateUnitGroup, the bundle item
	// of SetBundleItem, the discount of SetDiscount.
	CatalogInputTarget = "Target"
	// CatalogInputID is the ID of the product an operation changes (a
	// crm.ID).
	CatalogInputID = "id"
	// CatalogInputVersion is the version it was read at (an int64;
	// storage.AnyVersion skips the check).
	CatalogInputVersion = "version"
)

// CatalogOptions are the organization settings of the catalog (sales.md
// §9). The zero value is Dynamics' default for a new organization.
type CatalogOptions struct {
	// CreateProductsActive creates products without a family Active
	// instead of Draft (createproductswithoutparentinactivestate = 1, the
	// setting of organizations upgraded from older versions).
	CreateProductsActive bool
	// MaxProductsInBundle is the most items a bundle holds
	// (maxproductsinbundle); 0 means DefaultMaxProductsInBundle.
	MaxProductsInBundle int
}

// Catalog is the product catalog service: the named operations of the
// catalog (CreateUnitGroup, the product lifecycle, bundle items, volume
// discounts), the unit conversion, the reads the pricing of lines needs,
// and typed tables for the rest (UnitGroups, Units, Products, ...). Every
// write passes the store's write path, where the catalog's rules live. It
// is safe for concurrent use; operations join the transaction carried by
// ctx.
type Catalog struct {
	opts           CatalogOptions
	unitGroups     *storage.Table[UnitGroup]
	units          *storage.Table[Unit]
	products       *storage.Table[Product]
	bundleItems    *storage.Table[BundleItem]
	priceLists     *storage.Table[PriceList]
	priceListItems *storage.Table[PriceListItem]
	discountLists  *storage.Table[DiscountList]
	discounts      *storage.Table[Discount]
}

// NewCatalog returns the catalog service over st, whose registry must
// hold the sales entities (Register), with the organization settings
// opts.
func NewCatalog(st *storage.Store, opts CatalogOptions) *Catalog {
	if opts.MaxProductsInBundle <= 0 {
		opts.MaxProductsInBundle = DefaultMaxProductsInBundle
	}
	return &Catalog{
		opts:           opts,
		unitGroups:     storage.NewTable(st, UnitGroupCodec()),
		units:          storage.NewTable(st, UnitCodec()),
		products:       storage.NewTable(st, ProductCodec()),
		bundleItems:    storage.NewTable(st, BundleItemCodec()),
		priceLists:     storage.NewTable(st, PriceListCodec()),
		priceListItems: storage.NewTable(st, PriceListItemCodec()),
		discountLists:  storage.NewTable(st, DiscountListCodec()),
		discounts:      storage.NewTable(st, DiscountCodec()),
	}
}

// UnitGroups returns typed access to unit groups: get, update, deactivate
// and activate (SetState with EventDeactivate, EventActivate), query.
// Create them with CreateUnitGroup and delete them with DeleteUnitGroup.
func (c *Catalog) UnitGroups() *storage.Table[UnitGroup] { return c.unitGroups }

// Units returns typed access to units: create a unit of a group (Quantity
// of its BaseUnit), update, delete (refused for a unit in use, the
// primary unit included: crm.ErrRestricted), query.
func (c *Catalog) Units() *storage.Table[Unit] { return c.units }

// Products returns typed access to products: get, update (a draft or
// revised product; active and retired ones are read-only), delete,
// query. Create them with CreateProduct and move them through their
// lifecycle with Publish, Revise, Revert, Retire and Activate.
func (c *Catalog) Products() *storage.Table[Product] { return c.products }

// BundleItems returns typed access to bundle items, for reads and
// queries. Write them with AddBundleItem, UpdateBundleItem and
// RemoveBundleItem.
func (c *Catalog) BundleItems() *storage.Table[BundleItem] { return c.bundleItems }

// PriceLists returns typed access to price lists: create, get, update,
// deactivate and activate (SetState with EventDeactivate,
// EventActivate), delete (with their items), query.
func (c *Catalog) PriceLists() *storage.Table[PriceList] { return c.priceLists }

// PriceListItems returns typed access to price list items: create, get,
// update, delete, query. PriceListItem finds one by its key.
func (c *Catalog) PriceListItems() *storage.Table[PriceListItem] { return c.priceListItems }

// DiscountLists returns typed access to discount lists: create, get,
// update, deactivate and activate, delete (with their discounts), query.
func (c *Catalog) DiscountLists() *storage.Table[DiscountList] { return c.discountLists }

// Discounts returns typed access to discounts, for reads, queries and
// deletes. Write their ranges with AddDiscount and UpdateDiscount.
func (c *Catalog) Discounts() *storage.Table[Discount] { return c.discounts }

func (c *Catalog) store() *storage.Store { return c.products.Store() }

// opInput reads an operation's input, as hooks may have left it.
func opInput[T any](x *storage.Execution, name string) (T, error) {
	v, ok := x.Inputs[name].(T)
	if !ok {
		var zero T
		return zero, fmt.Errorf("input %q is %T, not %T", name, x.Inputs[name], zero)
	}
	return v, nil
}

// CreateUnitGroup creates a unit group with its primary unit, named
// g.BaseUnitName, of quantity 1, as the named operation
// MessageCreateUnitGroup: both or neither. It returns the group, whose
// BaseUnit is the unit, and the unit.
//
// Errors: crm.ErrValidation (a missing name or primary unit name, ...).
func (c *Catalog) CreateUnitGroup(ctx context.Context, g UnitGroup) (UnitGroup, Unit, error) {
	var group UnitGroup
	var unit Unit
	err := c.store().Execute(ctx, MessageCreateUnitGroup, map[string]any{CatalogInputTarget: encodeUnitGroup(g)},
		func(ctx context.Context, x *storage.Execution) error {
			rec, err := opInput[crm.Record](x, CatalogInputTarget)
			if err != nil {
				return err
			}
			if rec.Fields[UnitGroupBaseUnit] != nil {
				return crm.Invalid(UnitGroupEntity, UnitGroupBaseUnit, "is the unit CreateUnitGroup creates: leave it empty")
			}
			created, err := c.store().Create(ctx, rec)
			if err != nil {
				return err
			}
			unit, err = c.units.Create(ctx, Unit{Name: created.Fields.String(UnitGroupBaseUnitName), Group: UnitGroupRef(created.ID),
				Quantity: decimal.NewFromInt(1), IsPrimary: true})
			if err != nil {
				return fmt.Errorf("primary unit: %w", err)
			}
			updated, err := c.store().Update(ctx, crm.Record{Entity: UnitGroupEntity, Header: crm.Header{ID: created.ID, Version: created.Version},
				Fields: crm.Fields{UnitGroupBaseUnit: unit.Ref()}})
			if err != nil {
				return err
			}
			group, err = decodeUnitGroup(updated)
			return err
		})
	if err != nil {
		return UnitGroup{}, Unit{}, fmt.Errorf("create unit group %q: %w", g.Name, err)
	}
	return group, unit, nil
}

// maxUnitChain bounds the walk down a chain of base units, against a
// cycle stored before the rule existed (baseuom is hierarchical, so the
// store refuses one).
const maxUnitChain = 1_000

// ToBase returns how many primary units of its group one unit holds: the
// product of the quantities along its chain of base units (Case = 12 Box,
// Box = 2 Piece: Case = 24 Piece; sales.md §4.1 [inferred]). The primary
// unit holds 1. The chain is read in one transaction, so it is
// consistent.
//
// Errors: crm.ErrNotFound for a unit that does not exist.
func (c *Catalog) ToBase(ctx context.Context, unitID crm.ID) (decimal.Decimal, error) {
	factor := decimal.NewFromInt(1)
	err := c.store().InTx(ctx, func(ctx context.Context) error {
		factor = decimal.NewFromInt(1)
		id := unitID
		for range maxUnitChain {
			u, err := c.units.Get(ctx, id)
			if err != nil {
				return err
			}
			if u.BaseUnit.IsZero() {
				return nil
			}
			factor = factor.Mul(u.Quantity)
			id = u.BaseUnit.ID
		}
		return fmt.Errorf("a chain of base units longer than %d", maxUnitChain)
	})
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("unit %s to its primary unit: %w", unitID, err)
	}
	return factor, nil
}

// DeleteUnitGroup deletes a unit group with its units, in one
// transaction. A unit another is expressed in cannot be deleted
// (crm.ErrRestricted), and the store's cascade from a group to its units
// meets that restriction between two units of the group, so a plain
// delete of a group whose units form a chain is refused: this deletes the
// units from the ends of their chains inwards, then the group and its
// primary unit. A unit a product, a price list item or a bundle item uses
// still refuses the delete (crm.ErrRestricted), and nothing is deleted.
// version is the version the group was read at (storage.AnyVersion skips
// the check).
func (c *Catalog) DeleteUnitGroup(ctx context.Context, id crm.ID, version int64) error {
	err := c.store().InTx(ctx, func(ctx context.Context) error {
		if _, err := c.unitGroups.Lock(ctx, id); err != nil {
			return err
		}
		units, err := c.UnitsOf(ctx, id)
		if err != nil {
			return err
		}
		for _, u := range unitsOutsideIn(units) {
			if u.IsPrimary {
				continue // the group's delete takes it
			}
			if err := c.units.Delete(ctx, u.ID, storage.AnyVersion); err != nil {
				return fmt.Errorf("unit %s: %w", u.Name, err)
			}
		}
		return c.unitGroups.Delete(ctx, id, version)
	})
	if err != nil {
		return fmt.Errorf("delete unit group %s: %w", id, err)
	}
	return nil
}

// unitsOutsideIn orders the units of a group so that every unit comes
// before the unit it is expressed in: by their distance from the primary
// unit, farthest first.
func unitsOutsideIn(units []Unit) []Unit {
	byID := make(map[crm.ID]Unit, len(units))
	for _, u := range units {
		byID[u.ID] = u
	}
	depth := func(u Unit) int {
		d := 0
		for !u.BaseUnit.IsZero() && d < maxUnitChain {
			d++
			u = byID[u.BaseUnit.ID]
		}
		return d
	}
	out := slices.Clone(units)
	slices.SortStableFunc(out, func(a, b Unit) int { return depth(b) - depth(a) })
	return out
}

// UnitsOf returns the units of a unit group, by name.
func (c *Catalog) UnitsOf(ctx context.Context, groupID crm.ID) ([]Unit, error) {
	out, err := collect(c.units.Iterate(ctx, crm.Query{
		Where:   crm.Eq(UnitScheduleID, UnitGroupRef(groupID)),
		OrderBy: []crm.Order{crm.Asc(UnitName), crm.Asc(crm.FieldID)},
	}))
	if err != nil {
		return nil, fmt.Errorf("units of group %s: %w", groupID, err)
	}
	return out, nil
}

// CreateProduct stores a new product, family or bundle and returns it as
// stored: Draft, or Active when CatalogOptions.CreateProductsActive is set
// and it has no family (created and published in one transaction).
//
// Errors: crm.ErrValidation (a missing name, product ID, structure, unit
// group or default unit; a unit of another group; a parent that is not a
// family; ...), *crm.DuplicateKeyError for a product ID in use.
func (c *Catalog) CreateProduct(ctx context.Context, p Product) (Product, error) {
	if !c.opts.CreateProductsActive || !p.Parent.IsZero() {
		return c.products.Create(ctx, p)
	}
	var out Product
	err := c.store().InTx(ctx, func(ctx context.Context) error {
		created, err := c.products.Create(ctx, p)
		if err != nil {
			return err
		}
		out, err = c.products.SetState(ctx, created.ID, created.Version, EventPublish, 0)
		return err
	})
	if err != nil {
		return Product{}, fmt.Errorf("create product %q: %w", p.Name, err)
	}
	return out, nil
}

// Publish moves a draft product, or one under revision, to Active. A
// product in a family can be published only while the family is Active
// (the product's rule, so every door keeps it). version is the version
// the product was read at (storage.AnyVersion skips the check).
//
// Errors: crm.ErrInvalidTransition from another state, crm.ErrValidation
// under a family that is not Active, crm.ErrConflict, crm.ErrNotFound.
func (c *Catalog) Publish(ctx context.Context, id crm.ID, version int64) (Product, error) {
	return setState(ctx, c.products, id, version, EventPublish)
}

// Revert moves a product under revision back to Active (Dynamics'
// RevertProduct). crmkit keeps no versions of a product: the changes made
// while it was under revision stay (see the package doc). version works
// as in Publish.
func (c *Catalog) Revert(ctx context.Context, id crm.ID, version int64) (Product, error) {
	return setState(ctx, c.products, id, version, EventRevert)
}

// Activate moves a retired product back to Active: only a product (not a
// family or a bundle) without a family. version works as in Publish.
func (c *Catalog) Activate(ctx context.Context, id crm.ID, version int64) (Product, error) {
	return setState(ctx, c.products, id, version, EventActivate)
}

// PublishHierarchy publishes a family and every draft or revised product,
// family and bundle below it, parents before children, as the named
// operation MessagePublishProductHierarchy (Dynamics'
// PublishProductHierarchy): all or nothing. Active products stay as they
// are and retired ones stay retired, with what is below them. The family
// itself may be Active already; one in another state is refused as
// Publish refuses it. It returns the family as stored.
func (c *Catalog) PublishHierarchy(ctx context.Context, id crm.ID, version int64) (Product, error) {
	return c.productOperation(ctx, MessagePublishProductHierarchy, id, version, func(ctx context.Context, p Product, version int64) error {
		if p.ProductState() != ProductStateActive {
			if _, err := c.products.SetState(ctx, p.ID, version, EventPublish, 0); err != nil {
				return err
			}
		}
		return c.eachBelow(ctx, p.ID, func(child Product) (bool, error) {
			switch child.ProductState() {
			case ProductStateDraft, ProductStateUnderRevision:
				_, err := c.products.SetState(ctx, child.ID, storage.AnyVersion, EventPublish, 0)
				return true, err
			case ProductStateActive:
				return true, nil
			}
			return false, nil // retired: so is what is below it
		})
	})
}

// Revise moves an active product to Under Revision, where it can be
// changed, as the named operation MessageReviseProduct; on a family, the
// active products below it are revised with it (Dynamics revises the
// whole subtree). version works as in Publish. A bare state change with
// EventRevise through any other door is a *crm.TransitionError naming the
// operation.
func (c *Catalog) Revise(ctx context.Context, id crm.ID, version int64) (Product, error) {
	return c.productOperation(ctx, MessageReviseProduct, id, version, func(ctx context.Context, p Product, version int64) error {
		if _, err := c.products.SetState(ctx, p.ID, version, EventRevise, 0); err != nil {
			return err
		}
		return c.eachBelow(ctx, p.ID, func(child Product) (bool, error) {
			if child.ProductState() != ProductStateActive {
				return true, nil
			}
			_, err := c.products.SetState(ctx, child.ID, storage.AnyVersion, EventRevise, 0)
			return true, err
		})
	})
}

// Retire moves a product to Retired, as the named operation
// MessageRetireProduct; on a family, every product below it that is not
// retired is retired with it. A product in an Active bundle cannot be
// retired (sales.md §4.2): retire or revise the bundle first. version
// works as in Publish.
//
// Errors: crm.ErrValidation (statecode) for a product in an active
// bundle, crm.ErrInvalidTransition for a retired product, crm.ErrConflict,
// crm.ErrNotFound.
func (c *Catalog) Retire(ctx context.Context, id crm.ID, version int64) (Product, error) {
	return c.productOperation(ctx, MessageRetireProduct, id, version, func(ctx context.Context, p Product, version int64) error {
		if err := c.notInActiveBundle(ctx, p); err != nil {
			return err
		}
		if _, err := c.products.SetState(ctx, p.ID, version, EventRetire, 0); err != nil {
			return err
		}
		return c.eachBelow(ctx, p.ID, func(child Product) (bool, error) {
			if child.ProductState() == ProductStateRetired {
				return true, nil
			}
			if err := c.notInActiveBundle(ctx, child); err != nil {
				return false, err
			}
			_, err := c.products.SetState(ctx, child.ID, storage.AnyVersion, EventRetire, 0)
			return true, err
		})
	})
}

// productOperation runs fn on the product as the named operation message,
// with the product locked first, and returns the product as the
// operation left it.
func (c *Catalog) productOperation(ctx context.Context, message string, id crm.ID, version int64,
	fn func(ctx context.Context, p Product, version int64) error) (Product, error) {
	var out Product
	err := c.store().Execute(ctx, message, map[string]any{CatalogInputID: id, CatalogInputVersion: version},
		func(ctx context.Context, x *storage.Execution) error {
			id, err := opInput[crm.ID](x, CatalogInputID)
			if err != nil {
				return err
			}
			version, err := opInput[int64](x, CatalogInputVersion)
			if err != nil {
				return err
			}
			p, err := c.products.Lock(ctx, id)
			if err != nil {
				return err
			}
			if err := fn(ctx, p, version); err != nil {
				return err
			}
			out, err = c.products.Get(ctx, id)
			return err
		})
	if err != nil {
		return Product{}, fmt.Errorf("%s %s: %w", message, id, err)
	}
	return out, nil
}

// eachBelow calls fn for each product below the family id, parents
// before their children; fn returns whether to go on below the product
// it was given. Only a family has children.
func (c *Catalog) eachBelow(ctx context.Context, id crm.ID, fn func(Product) (bool, error)) error {
	queue := []crm.ID{id}
	for len(queue) > 0 {
		parent := queue[0]
		queue = queue[1:]
		children, err := collect(c.products.Iterate(ctx, crm.Query{
			Where:   crm.Eq(ProductParent, ProductRef(parent)),
			OrderBy: []crm.Order{crm.Asc(crm.FieldID)},
		}))
		if err != nil {
			return fmt.Errorf("products of family %s: %w", parent, err)
		}
		for _, child := range children {
			deeper, err := fn(child)
			if err != nil {
				return fmt.Errorf("%s %s: %w", child.Number, child.Name, err)
			}
			if deeper && child.Structure == StructureFamily {
				queue = append(queue, child.ID)
			}
		}
	}
	return nil
}

// notInActiveBundle refuses a product that is an item of an active
// bundle. The bundles are locked, so none becomes Active before the
// retirement commits.
func (c *Catalog) notInActiveBundle(ctx context.Context, p Product) error {
	for item, err := range c.bundleItems.Iterate(ctx, crm.Query{Where: crm.Eq(BundleItemProduct, p.Ref())}) {
		if err != nil {
			return err
		}
		b, err := c.products.Lock(ctx, item.Bundle.ID)
		if err != nil {
			return err
		}
		if b.ProductState() == ProductStateActive {
			return crm.Invalid(ProductEntity, crm.FieldState, fmt.Sprintf("cannot become Retired: %s is in the active bundle %s", p.Name, b.Name))
		}
	}
	return nil
}

// AddBundleItem adds a product to a bundle, as the named operation
// MessageSetBundleItem, and returns the item as stored. The bundle must be
// Draft or Retired, the item a product (not a family or a bundle) in a
// unit of its group, in a positive quantity, not in the bundle already;
// and a bundle holds at most CatalogOptions.MaxProductsInBundle items.
// The bundle is locked first, so two additions cannot pass the limit
// together.
//
// Errors: crm.ErrValidation, *crm.DuplicateKeyError for a product in the
// bundle already.
func (c *Catalog) AddBundleItem(ctx context.Context, item BundleItem) (BundleItem, error) {
	out, err := c.setBundleItem(ctx, item, func(ctx context.Context, rec crm.Record) (crm.Record, error) {
		bundle := rec.Fields.Ref(BundleItemBundle)
		if _, err := c.store().Lock(ctx, ProductEntity, bundle.ID); err != nil {
			return crm.Record{}, err
		}
		n, err := c.bundleItems.Count(ctx, crm.Query{Where: crm.Eq(BundleItemBundle, bundle)})
		if err != nil {
			return crm.Record{}, err
		}
		if n >= int64(c.opts.MaxProductsInBundle) {
			return crm.Record{}, crm.Invalid(BundleItemEntity, BundleItemBundle,
				fmt.Sprintf("has %d items, the most a bundle holds (maxproductsinbundle)", n))
		}
		return c.store().Create(ctx, rec)
	})
	if err != nil {
		return BundleItem{}, fmt.Errorf("add bundle item: %w", err)
	}
	return out, nil
}

// UpdateBundleItem writes every field of item over the stored item, as
// the named operation MessageSetBundleItem: its quantity, unit and
// whether it is required change while the bundle is Draft or Retired.
// item.Version must be the version it was read at.
func (c *Catalog) UpdateBundleItem(ctx context.Context, item BundleItem) (BundleItem, error) {
	out, err := c.setBundleItem(ctx, item, func(ctx context.Context, rec crm.Record) (crm.Record, error) {
		if _, err := c.bundleItems.Update(ctx, item); err != nil {
			return crm.Record{}, err
		}
		return c.store().Get(ctx, BundleItemEntity, rec.ID)
	})
	if err != nil {
		return BundleItem{}, fmt.Errorf("update bundle item %s: %w", item.ID, err)
	}
	return out, nil
}

func (c *Catalog) setBundleItem(ctx context.Context, item BundleItem,
	write func(ctx context.Context, rec crm.Record) (crm.Record, error)) (BundleItem, error) {
	var out BundleItem
	err := c.store().Execute(ctx, MessageSetBundleItem, map[string]any{CatalogInputTarget: encodeBundleItem(item)},
		func(ctx context.Context, x *storage.Execution) error {
			rec, err := opInput[crm.Record](x, CatalogInputTarget)
			if err != nil {
				return err
			}
			stored, err := write(ctx, rec)
			if err != nil {
				return err
			}
			out, err = decodeBundleItem(stored)
			return err
		})
	return out, err
}

// RemoveBundleItem removes an item from a bundle that is Draft or
// Retired. version works as in Publish.
//
// A rule checks the bundle's state on every delete of an item, through
// this door or the store's generic Delete.
func (c *Catalog) RemoveBundleItem(ctx context.Context, id crm.ID, version int64) error {
	if err := c.bundleItems.Delete(ctx, id, version); err != nil {
		return fmt.Errorf("remove bundle item %s: %w", id, err)
	}
	return nil
}

// BundleItemsOf returns the items of a bundle, in the order they were
// added.
func (c *Catalog) BundleItemsOf(ctx context.Context, bundleID crm.ID) ([]BundleItem, error) {
	out, err := collect(c.bundleItems.Iterate(ctx, crm.Query{
		Where:   crm.Eq(BundleItemBundle, ProductRef(bundleID)),
		OrderBy: []crm.Order{crm.Asc(crm.FieldID)},
	}))
	if err != nil {
		return nil, fmt.Errorf("items of bundle %s: %w", bundleID, err)
	}
	return out, nil
}

// PriceListItem returns the item of a price list that prices a product in
// a unit, found by its alternate key (PriceListItemKey): what the pricing
// of a line reads. A product with no price in that unit on the list
// fails with crm.ErrNotFound (Dynamics' pricing error 11, "Product Not In
// Price Level"; prices are not converted between units, sales.md §4.1).
func (c *Catalog) PriceListItem(ctx context.Context, priceListID, productID, unitID crm.ID) (PriceListItem, error) {
	rec, err := c.store().GetByKey(ctx, PriceListItemEntity, PriceListItemKey,
		PriceListRef(priceListID), ProductRef(productID), UnitRef(unitID))
	if err == nil {
		var out PriceListItem
		if out, err = decodePriceListItem(rec); err == nil {
			return out, nil
		}
	}
	return PriceListItem{}, fmt.Errorf("price of product %s in unit %s on price list %s: %w", productID, unitID, priceListID, err)
}

// AddDiscount adds a volume range to a discount list, as the named
// operation MessageSetDiscount, and returns it as stored: from d.Low to
// d.High units, inclusive, a percentage or an amount as the list says.
// The list is locked, then its ranges read: a range that overlaps one of
// them is refused, so a quantity falls in at most one range of a list.
//
// Errors: crm.ErrValidation.
func (c *Catalog) AddDiscount(ctx context.Context, d Discount) (Discount, error) {
	out, err := c.setDiscount(ctx, d, func(ctx context.Context, rec crm.Record) (crm.Record, error) {
		return c.store().Create(ctx, rec)
	})
	if err != nil {
		return Discount{}, fmt.Errorf("add discount: %w", err)
	}
	return out, nil
}

// UpdateDiscount writes every field of d over the stored discount, as the
// named operation MessageSetDiscount, with the same check of its range
// against the list's others as AddDiscount. d.Version must be the
// version it was read at.
func (c *Catalog) UpdateDiscount(ctx context.Context, d Discount) (Discount, error) {
	out, err := c.setDiscount(ctx, d, func(ctx context.Context, rec crm.Record) (crm.Record, error) {
		if _, err := c.discounts.Update(ctx, d); err != nil {
			return crm.Record{}, err
		}
		return c.store().Get(ctx, DiscountEntity, rec.ID)
	})
	if err != nil {
		return Discount{}, fmt.Errorf("update discount %s: %w", d.ID, err)
	}
	return out, nil
}

func (c *Catalog) setDiscount(ctx context.Context, d Discount,
	write func(ctx context.Context, rec crm.Record) (crm.Record, error)) (Discount, error) {
	var out Discount
	err := c.store().Execute(ctx, MessageSetDiscount, map[string]any{CatalogInputTarget: encodeDiscount(d)},
		func(ctx context.Context, x *storage.Execution) error {
			rec, err := opInput[crm.Record](x, CatalogInputTarget)
			if err != nil {
				return err
			}
			list := rec.Fields.Ref(DiscountListID)
			if rec.ID != crm.NilID && list.IsZero() {
				// An update that does not name the list: the stored
				// one's (it never changes).
				stored, err := c.discounts.Get(ctx, rec.ID)
				if err != nil {
					return err
				}
				list = stored.DiscountList
			}
			if list.IsZero() {
				return crm.Invalid(DiscountEntity, DiscountListID, "is required")
			}
			if _, err := c.store().Lock(ctx, DiscountListEntity, list.ID); err != nil {
				if errors.Is(err, crm.ErrNotFound) {
					return crm.Invalid(DiscountEntity, DiscountListID, fmt.Sprintf("points at %s, which does not exist", list))
				}
				return err
			}
			if err := c.rangeIsFree(ctx, list, rec); err != nil {
				return err
			}
			stored, err := write(ctx, rec)
			if err != nil {
				return err
			}
			out, err = decodeDiscount(stored)
			return err
		})
	return out, err
}

// rangeIsFree refuses the range of rec if it overlaps a range of the
// list other than rec's own. Bounds are inclusive (sales.md §4.5), so
// 1–5 and 5–10 overlap at 5.
func (c *Catalog) rangeIsFree(ctx context.Context, list crm.Ref, rec crm.Record) error {
	low, high := rec.Fields.Decimal(DiscountLowQuantity), rec.Fields.Decimal(DiscountHighQuantity)
	where := crm.And(
		crm.Eq(DiscountListID, list),
		crm.Le(DiscountLowQuantity, high),
		crm.Ge(DiscountHighQuantity, low),
	)
	if rec.ID != crm.NilID {
		where = crm.And(where, crm.Ne(crm.FieldID, rec.ID))
	}
	page, err := c.discounts.Query(ctx, crm.Query{Where: where, OrderBy: []crm.Order{crm.Asc(DiscountLowQuantity)}, Limit: 1})
	if err != nil {
		return err
	}
	if len(page.Records) > 0 {
		o := page.Records[0]
		return crm.Invalid(DiscountEntity, DiscountLowQuantity, fmt.Sprintf("%s to %s overlaps the list's range %s to %s",
			low, high, o.Low, o.High))
	}
	return nil
}

// DiscountsOf returns the volume ranges of a discount list, by begin
// quantity.
func (c *Catalog) DiscountsOf(ctx context.Context, listID crm.ID) ([]Discount, error) {
	out, err := collect(c.discounts.Iterate(ctx, crm.Query{
		Where:   crm.Eq(DiscountListID, DiscountListRef(listID)),
		OrderBy: []crm.Order{crm.Asc(DiscountLowQuantity), crm.Asc(crm.FieldID)},
	}))
	if err != nil {
		return nil, fmt.Errorf("discounts of list %s: %w", listID, err)
	}
	return out, nil
}
