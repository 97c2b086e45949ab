package sales

import "github.com/crmkit/crmkit/crm"

// Lifecycle events of products (sales.md §4.2). Activate (EventActivate)
// brings a retired product back to Active; unit groups, price lists and
// discount lists use EventDeactivate and EventActivate as accounts do.
const (
	// EventPublish moves a draft product, or one under revision (applying
	// its changes), to Active.
	EventPublish = "publish"
	// EventRevise moves an active product to Under Revision, inside the
	// ReviseProduct operation only (Catalog.Revise), which revises a
	// family's whole subtree with it.
	EventRevise = "revise"
	// EventRevert moves a product under revision back to Active
	// (Dynamics' RevertProduct).
	EventRevert = "revert"
	// EventRetire moves a draft, active or revised product to Retired,
	// inside the RetireProduct operation only (Catalog.Retire), which
	// refuses a product of an active bundle and retires a family's
	// subtree with it.
	EventRetire = "retire"
)

// The named operations (storage.Store.Execute) of the catalog: hooks
// registered for them (storage.Store.HookMessage) see and may stop them.
const (
	// MessageCreateUnitGroup creates a unit group with its primary unit
	// (Catalog.CreateUnitGroup).
	MessageCreateUnitGroup = "CreateUnitGroup"
	// MessagePublishProductHierarchy publishes a family and every draft
	// or revised product below it (Catalog.PublishHierarchy).
	MessagePublishProductHierarchy = "PublishProductHierarchy"
	// MessageReviseProduct revises a product and, for a family, its
	// active subtree (Catalog.Revise).
	MessageReviseProduct = "ReviseProduct"
	// MessageRetireProduct retires a product and, for a family, its
	// subtree (Catalog.Retire).
	MessageRetireProduct = "RetireProduct"
	// MessageSetBundleItem adds a product to a bundle or changes its
	// quantity, unit or required flag (Catalog.AddBundleItem,
	// Catalog.UpdateBundleItem).
	MessageSetBundleItem = "SetBundleItem"
	// MessageSetDiscount adds a volume range to a discount list or
	// changes one (Catalog.AddDiscount, Catalog.UpdateDiscount).
	MessageSetDiscount = "SetDiscount"
)

// UnitGroupLifecycle returns the unit group's lifecycle: Active (1
// Active) and Inactive (2 Inactive), read-only until activated. Each call
// returns a new table.
func UnitGroupLifecycle() *crm.Lifecycle { return activeInactiveWith(1, 2) }

// PriceListLifecycle returns the price list's lifecycle (sales.md §4.3):
// Active (100001 Active) and Inactive (100002 Inactive), read-only until
// activated. Each call returns a new table.
func PriceListLifecycle() *crm.Lifecycle { return activeInactiveWith(100001, 100002) }

// DiscountListLifecycle returns the discount list's lifecycle (sales.md
// §4.5): Active (100001) and Inactive (100002), read-only until
// activated. Each call returns a new table.
func DiscountListLifecycle() *crm.Lifecycle { return activeInactiveWith(100001, 100002) }

// ProductLifecycle returns the product's lifecycle (sales.md §4.2) with
// Dynamics' state numbers: Active 0, Retired 1, Draft 2, Under Revision
// 3. New products start Draft. Active and retired products are read-only
// (revise an active product to change it); draft and revised ones are
// edited freely. The status reasons are Dynamics' but for Draft's, 4
// instead of 0 (see ProductStatusDraft). Each call returns a new table.
func ProductLifecycle() *crm.Lifecycle {
	const (
		active, retired, draft, revision crm.StateCode = 0, 1, 2, 3
	)
	return &crm.Lifecycle{
		Initial: draft,
		States: []crm.State{
			{Code: active, Name: "Active", DefaultStatus: 1, ReadOnly: true},
			{Code: retired, Name: "Retired", DefaultStatus: 2, ReadOnly: true},
			{Code: draft, Name: "Draft", DefaultStatus: 4},
			{Code: revision, Name: "Under Revision", DefaultStatus: 3},
		},
		Statuses: []crm.Status{
			{Code: 1, Name: "Active", State: active},
			{Code: 2, Name: "Retired", State: retired},
			{Code: 3, Name: "Under Revision", State: revision},
			{Code: 4, Name: "Draft", State: draft},
		},
		Transitions: []crm.Transition{
			{Event: EventPublish, From: []crm.StateCode{draft, revision}, To: active},
			{Event: EventRevise, From: []crm.StateCode{active}, To: revision, Operation: MessageReviseProduct},
			{Event: EventRevert, From: []crm.StateCode{revision}, To: active},
			{Event: EventRetire, From: []crm.StateCode{draft, active, revision}, To: retired, Operation: MessageRetireProduct},
			{Event: EventActivate, From: []crm.StateCode{retired}, To: active},
		},
	}
}
