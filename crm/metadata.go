package crm

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/shopspring/decimal"
)

// FieldType is the kind of value a field holds. The numeric values are
// stable: new types are added at the end.
type FieldType int

// Field types.
const (
	// TypeText is a string of at most MaxLength characters (Dynamics'
	// single line and multiple lines of text).
	TypeText FieldType = iota + 1
	// TypeInteger is a whole number (int64), by default in the 32-bit range.
	TypeInteger
	// TypeDecimal is an exact decimal.Decimal with Precision decimal places
	// (see DecimalDigits for what is refused before any rounding).
	TypeDecimal
	// TypeMoney is a Money: an exact amount with its currency.
	TypeMoney
	// TypeBool is a bool.
	TypeBool
	// TypeTime is a time.Time, kept in UTC to the microsecond, from
	// EarliestTime to LatestTime; DateOnly fields keep the date alone.
	TypeTime
	// TypeChoice is one int32 value of the field's Options (an option set).
	TypeChoice
	// TypeLookup is a Ref to a record of one of the field's Targets.
	TypeLookup
	// TypeID is a record ID. Only the system field "id" has it.
	TypeID
)

var fieldTypeNames = map[FieldType]string{
	TypeText: "text", TypeInteger: "integer", TypeDecimal: "decimal", TypeMoney: "money",
	TypeBool: "bool", TypeTime: "time", TypeChoice: "choice", TypeLookup: "lookup", TypeID: "id",
}

func (t FieldType) String() string {
	if n, ok := fieldTypeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("FieldType(%d)", int(t))
}

// DeleteBehavior says what happens to a record when the record its lookup
// points at is deleted (Dynamics' cascade configuration for Delete).
type DeleteBehavior int

// Delete behaviours. The zero value is RemoveLink, Dynamics' "referential".
const (
	// DeleteRemoveLink clears the lookup on the referring record.
	DeleteRemoveLink DeleteBehavior = iota
	// DeleteCascade deletes the referring record too.
	DeleteCascade
	// DeleteRestrict refuses to delete the target while records refer to it.
	DeleteRestrict
)

func (b DeleteBehavior) String() string {
	switch b {
	case DeleteRemoveLink:
		return "remove link"
	case DeleteCascade:
		return "cascade"
	case DeleteRestrict:
		return "restrict"
	}
	return fmt.Sprintf("DeleteBehavior(%d)", int(b))
}

// Option is one value of a choice field.
type Option struct {
	Value int32  `json:"value"`
	Label string `json:"label,omitempty"`
}

// Field limits from Dynamics' metadata.
const (
	DefaultTextLength = 100
	MaxTextLength     = 1_048_576
	DefaultPrecision  = 2
	MaxDecimalPlaces  = 10
	// MaxDecimalDigits is the most digits a decimal field holds, places
	// included (SQL Server's decimal(38), under Dynamics).
	MaxDecimalDigits = 38
)

// Field describes one field of an entity.
type Field struct {
	Name  string    // logical name: lower case letters, digits and '_'
	Label string    // display name; defaults to Name
	Type  FieldType // what it holds
	// Required fields must have a value on create and cannot be cleared
	// (Dynamics' SystemRequired level, which the platform enforces).
	Required bool
	// Immutable fields can be set on create only.
	Immutable bool
	// MaxLength is the longest text in characters, counted as Dynamics
	// counts them: in UTF-16 code units, so that a character outside the
	// Basic Multilingual Plane (most emoji) counts two and text that fits
	// here fits there. 0 means DefaultTextLength.
	MaxLength int
	// Precision is the number of decimal places of a decimal field (0..10),
	// or of a money field whose MoneyPrecision is PrecisionField (0..4).
	Precision int32
	// MoneyPrecision says where a money field's number of decimal places
	// comes from: its currency (the zero value), the organization's
	// pricing precision or the field's Precision. An amount with more
	// places is refused, never rounded away.
	MoneyPrecision PrecisionSource
	// Min and Max bound integer and decimal values. Nil means Dynamics'
	// defaults: the int32 range for integers, ±100,000,000,000 for decimals
	// and ±922,337,203,685,477 for money. A money bound cannot go beyond
	// that default, and a decimal field holds at most MaxDecimalDigits
	// digits, its Precision places included, so a decimal bound must stay
	// below 10^(MaxDecimalDigits-Precision): every store keeps any value
	// the bounds allow.
	Min, Max *decimal.Decimal
	// Options are the values of a choice field.
	Options []Option
	// Targets are the entities a lookup may point at (two or more for a
	// polymorphic lookup such as a contact's parent customer).
	Targets []string
	// OnDelete is what happens to this record when its lookup's target is
	// deleted.
	OnDelete DeleteBehavior
	// Polymorphic keeps, with the ID, the entity a lookup points at even
	// while it has one target or none, so that targets can be added
	// later (Registry.AddTargets): an activity's regarding record, which
	// any entity that enables activities may be. A lookup with two or
	// more targets is polymorphic whether or not this is set.
	Polymorphic bool
	// Hierarchical marks a lookup to the field's own entity that forms a
	// hierarchy (an account's parent account): the write path refuses a
	// value that would make a record its own ancestor.
	Hierarchical bool
	// Compute makes the field computed: the write path sets it from the
	// record's other fields on every create and update (a contact's full
	// name), and callers cannot set it. JSON does not carry it: name a
	// Calculator instead for a field whose metadata is kept as data.
	Compute func(Fields) any
	// Calculator names the function, registered with
	// Registry.RegisterCalculator, that computes the field: Register and
	// AddFields set Compute from it when Compute is nil. Unlike Compute,
	// it survives a round trip through JSON.
	Calculator string
	// DateOnly time fields keep a calendar date: midnight UTC.
	DateOnly bool
	// System fields are kept by the platform and never set by callers.
	System bool

	org      *organization // a registered money field's organization settings
	platform bool          // declared by crmkit itself: exchange rates keep 12 places
}

// MaxLen returns the field's effective maximum text length, in UTF-16 code
// units (see MaxLength).
func (f *Field) MaxLen() int {
	if f.MaxLength == 0 {
		return DefaultTextLength
	}
	return f.MaxLength
}

// Option returns the option with value v.
func (f *Field) Option(v int32) (Option, bool) {
	for _, o := range f.Options {
		if o.Value == v {
			return o, true
		}
	}
	return Option{}, false
}

// OptionLabel returns the label of the field's option with value v, and
// false when v is not one of its options.
func (f *Field) OptionLabel(v int32) (string, bool) {
	o, ok := f.Option(v)
	return o.Label, ok
}

// OptionValue returns the value of the field's option whose label is text,
// in any case and with surrounding space ignored, or whose published number
// text is. Any other text fails with a *ValidationError naming the field
// (errors.Is ErrValidation); its Entity is empty, for the caller to fill
// in where it knows it.
func (f *Field) OptionValue(text string) (int32, error) {
	t := strings.TrimSpace(text)
	for _, o := range f.Options {
		if strings.EqualFold(o.Label, t) {
			return o.Value, nil
		}
	}
	if n, err := strconv.ParseInt(t, 10, 32); err == nil {
		if _, ok := f.Option(int32(n)); ok {
			return int32(n), nil
		}
	}
	return 0, &ValidationError{Fields: []FieldError{{Field: f.Name, Reason: fmt.Sprintf("has no option %q", text)}}}
}

// Targets the lookup field may point at.
func (f *Field) targets(entity string) bool { return slices.Contains(f.Targets, entity) }

// Names of the system fields every entity has. They are part of every
// record's header (Record.ID, Record.Version, ...) and can be queried and
// sorted on like any declared field.
const (
	FieldID         = "id"
	FieldVersion    = "version"
	FieldOwner      = "ownerid"
	FieldCreatedOn  = "createdon"
	FieldCreatedBy  = "createdby"
	FieldModifiedOn = "modifiedon"
	FieldModifiedBy = "modifiedby"
	FieldState      = "statecode"
	FieldStatus     = "statuscode"
	// FieldBusinessUnit is the owning business unit, a lookup to a
	// business unit; null when the creating scope named none.
	FieldBusinessUnit = "owningbusinessunit"
	// FieldOverriddenCreatedOn is when an imported record was written
	// (Dynamics' overriddencreatedon): an import keeps the record's
	// original creation time in createdon and the time of the import
	// here. Null for a record created live.
	FieldOverriddenCreatedOn = "overriddencreatedon"
)

// systemFields are the header fields, in storage order.
var systemFields = []Field{
	{Name: FieldID, Type: TypeID, Required: true, System: true},
	{Name: FieldVersion, Type: TypeInteger, Required: true, System: true},
	{Name: FieldOwner, Type: TypeLookup, Targets: []string{UserEntity, TeamEntity}, Required: true, System: true},
	{Name: FieldCreatedOn, Type: TypeTime, Required: true, System: true},
	{Name: FieldCreatedBy, Type: TypeLookup, Targets: []string{UserEntity}, Required: true, System: true},
	{Name: FieldModifiedOn, Type: TypeTime, Required: true, System: true},
	{Name: FieldModifiedBy, Type: TypeLookup, Targets: []string{UserEntity}, Required: true, System: true},
	{Name: FieldState, Type: TypeChoice, Required: true, System: true},
	{Name: FieldStatus, Type: TypeChoice, Required: true, System: true},
	// Added after the first release: stores upgrade existing tables with
	// a nullable column, so it is the one header field that may be null.
	{Name: FieldBusinessUnit, Type: TypeLookup, Targets: []string{BusinessUnitEntity}, System: true},
	// Added with imports, nullable for the same reason.
	{Name: FieldOverriddenCreatedOn, Type: TypeTime, System: true},
}

// SystemFields returns the header fields every entity has, in a fixed order.
func SystemFields() []Field { return slices.Clone(systemFields) }

// Entity describes one entity type: its name, fields and lifecycle. Declare
// it once, register it in a Registry, and never change it afterwards:
// validation, storage, queries and lifecycles all read it. Fields are
// added through the registry (Registry.AddFields), which publishes a new
// Entity in its place.
type Entity struct {
	Name        string // logical name, e.g. "account"
	Label       string // display name; defaults to Name
	PrimaryName string // the field lookups display, e.g. "name"
	Fields      []Field
	// Lifecycle is the entity's states, status reasons and transitions;
	// nil for entities without state (a competitor).
	Lifecycle *Lifecycle
	// Rules are the entity's business rules beyond its fields' own
	// (see Rule), in the order the write path runs them.
	Rules []Rule
	// Keys are the entity's alternate keys (see Key): fields whose values
	// identify a record, which stores keep unique.
	Keys []Key
	// Indexes are ordered indexes the SQL stores keep on the entity's
	// fields for the queries it serves (see Index).
	Indexes []Index
	// Base names the base entity this entity extends (see TypeField):
	// the write path keeps, for every record of this entity, a record of
	// the base with the same ID and header and the fields the two share,
	// as Dynamics keeps an activitypointer row for every activity.
	Base string
	// TypeField, set on a base entity, names its text field that holds
	// the logical name of the entity each of its records mirrors
	// (activitytypecode). A base entity is written only through the
	// entities extending it, so one query of the base reads records of
	// every type at once (see Registry.Register for the rules).
	TypeField string

	index   map[string]*Field // system and declared fields by name
	lookups []*Field          // declared lookup fields
	money   []*Field          // declared money fields, when multi-currency is on
	// intersect is the N:N relationship the entity keeps (ManyToMany);
	// nil for an ordinary entity.
	intersect *ManyToMany
}

// Field returns the named field, system fields included.
func (e *Entity) Field(name string) (*Field, bool) {
	f, ok := e.index[name]
	return f, ok
}

// AllFields returns the system fields followed by the declared fields.
func (e *Entity) AllFields() []Field {
	return append(SystemFields(), e.Fields...)
}

// Lookups returns the entity's declared lookup fields. The slice is the
// entity's own: read it, do not change it.
func (e *Entity) Lookups() []*Field {
	if e.index != nil {
		return e.lookups // registered: computed once
	}
	return e.findLookups()
}

func (e *Entity) findLookups() []*Field {
	var out []*Field
	for i := range e.Fields {
		if e.Fields[i].Type == TypeLookup {
			out = append(out, &e.Fields[i])
		}
	}
	return out
}

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,49}$`)

// ValidName reports whether s can name an entity or a field: a lower-case
// letter, then up to 49 lower-case letters, digits or underscores. Storage
// adapters rely on it: identifiers only ever come from validated metadata.
func ValidName(s string) bool { return namePattern.MatchString(s) }

// Relationship is a lookup seen from the entity it points at: records of
// From refer to To through Field.
type Relationship struct {
	From     string // the referring entity
	Field    string // its lookup field
	To       string // the referenced entity
	OnDelete DeleteBehavior
}

// Registry holds the entity metadata of one application. Build it at start
// up, then share it: it is safe for concurrent use.
//
// Metadata grows: AddFields (or storage.Store.AddFields on a running
// store) adds fields to a registered entity. An Entity value never
// changes once registered; adding fields publishes a new *Entity in its
// place, copy on write, in a new view of the registry published at once:
// readers never wait for a change. Code that looked an
// entity up before keeps a consistent, older view of it; the next
// Registry.Entity returns the new one.
type Registry struct {
	// change serializes the changes of metadata (Register, AddFields)
	// without blocking readers while a store migrates.
	change sync.Mutex
	// view is what readers see, never changed once published: a change
	// publishes a new one, so the write path looks entities up without a
	// lock.
	view     atomic.Pointer[registryView]
	org      *organization
	complete bool // Complete succeeded: lookups are checked as they come
	gen      atomic.Uint64
	// calculators are the functions computed fields name, by name;
	// guarded by change.
	calculators map[string]func(Fields) any
}

// NewRegistry returns an empty registry, with pricing precision
// DefaultPricingPrecision and no base currency.
func NewRegistry() *Registry {
	r := &Registry{org: &organization{pricing: DefaultPricingPrecision}}
	r.view.Store(&registryView{entities: map[string]*Entity{}, inbound: map[string][]Relationship{}})
	return r
}

// registryView is one published state of a registry's entities.
type registryView struct {
	entities map[string]*Entity
	order    []string
	inbound  map[string][]Relationship
}

// edit returns a copy of the published view for a change to build on
// (under r.change) and publish with r.view.Store. Slices are clipped so
// that appending to the copy never writes into the published view.
func (r *Registry) edit() *registryView {
	old := r.view.Load()
	v := &registryView{entities: maps.Clone(old.entities), order: slices.Clip(old.order),
		inbound: make(map[string][]Relationship, len(old.inbound))}
	for k, rels := range old.inbound {
		v.inbound[k] = slices.Clip(rels)
	}
	return v
}

// Register checks and adds entities. A lookup may target an entity that is
// registered later (an activity's regarding points at entities that enable
// activities, custom ones included): targets are checked when the registry
// is complete (see Complete). Once Complete has succeeded, Register checks
// targets at once. Nothing is added if any entity is invalid.
func (r *Registry) Register(entities ...*Entity) error {
	r.change.Lock()
	defer r.change.Unlock()
	batch := map[string]*Entity{}
	var prepared []*Entity
	for _, src := range entities {
		e := cloneEntity(src)
		err := r.calculate(e.Fields)
		if err == nil {
			err = e.addPricing(r.org, 0)
		}
		if err == nil {
			err = e.prepare()
		}
		if err != nil {
			return fmt.Errorf("register entity %q: %w", src.Name, err)
		}
		if _, dup := r.lookup(e.Name); dup {
			return fmt.Errorf("register entity %q: %w", e.Name, ErrDuplicate)
		}
		if _, dup := batch[e.Name]; dup {
			return fmt.Errorf("register entity %q twice: %w", e.Name, ErrDuplicate)
		}
		batch[e.Name] = e
		prepared = append(prepared, e)
	}
	for _, e := range prepared {
		if err := r.checkBase(e, batch); err != nil {
			return fmt.Errorf("register entity %q: %w", e.Name, err)
		}
	}
	if r.complete {
		for _, e := range prepared {
			if err := r.checkTargets(e, batch); err != nil {
				return fmt.Errorf("register entity %q: %w", e.Name, err)
			}
		}
	}
	v := r.edit()
	for _, e := range prepared {
		v.entities[e.Name] = e
		v.order = append(v.order, e.Name)
		v.addInbound(e, e.Lookups())
	}
	r.view.Store(v)
	r.gen.Add(1)
	return nil
}

func (v *registryView) addInbound(e *Entity, lookups []*Field) {
	if e.TypeField != "" {
		// A base entity's records follow the records they mirror: they
		// are deleted with them, never through a relationship of their
		// own.
		return
	}
	for _, f := range lookups {
		for _, t := range f.Targets {
			v.inbound[t] = append(v.inbound[t], Relationship{From: e.Name, Field: f.Name, To: t, OnDelete: f.OnDelete})
		}
	}
}

// lookup returns the named entity as last published.
func (r *Registry) lookup(name string) (*Entity, bool) {
	e, ok := r.view.Load().entities[name]
	return e, ok
}

// checkTargets checks that every lookup of e targets a known entity, one
// of batch or a principal (a user, team or business unit).
func (r *Registry) checkTargets(e *Entity, batch map[string]*Entity) error {
	for _, f := range e.Lookups() {
		for _, t := range f.Targets {
			_, known := r.lookup(t)
			_, inBatch := batch[t]
			if !known && !inBatch && !IsPrincipal(t) {
				return fmt.Errorf("lookup %q targets unknown entity %q: %w", f.Name, t, ErrNotFound)
			}
		}
	}
	return nil
}

// Complete checks that the registry is whole: every lookup of every entity
// targets a registered entity (or a user, team or business unit). It fails
// with an error naming the entity, the field and the missing target. Stores that check
// their schema call it when they open (sqlstore's Open functions do); call
// it yourself after the last Register before a memory store serves the
// registry. After it succeeds, Register and AddFields check targets as
// they go, so the registry stays complete. It is safe to call again.
func (r *Registry) Complete() error {
	r.change.Lock()
	defer r.change.Unlock()
	var errs []error
	for _, e := range r.Entities() {
		if err := r.checkTargets(e, nil); err != nil {
			errs = append(errs, fmt.Errorf("entity %q: %w", e.Name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("registry incomplete: %w", err)
	}
	r.complete = true
	return nil
}

// AddFields adds fields to a registered entity, such as a host's custom
// fields on an entity another module registered. They are checked as
// Register checks fields: valid names no other field of the entity has,
// valid types, and lookups whose targets are checked as Register's are
// (at once if the registry is complete, else by Complete); relationships
// follow. Nothing is added if any field is invalid. Money fields cannot be
// added once the registry has a base currency (their base fields and the
// exchange rate would have to be added with them).
//
// The entity is replaced by a new *Entity with the fields at the end; the
// old one does not change. To add fields to the entity of a running SQL
// store, whose tables need new columns, use storage.Store.AddFields, which
// publishes the new entity only once its columns exist.
func (r *Registry) AddFields(entity string, fields ...Field) error {
	return r.ExtendEntity(entity, fields, nil)
}

// ExtendEntity is AddFields with a step between the check and the
// publication: apply receives the extended entity, checked but not yet
// published, and the fields are published only if it returns nil. Storage
// uses it to migrate before any writer can see the new fields. Changes of
// metadata wait for apply; readers of the registry do not.
func (r *Registry) ExtendEntity(entity string, fields []Field, apply func(extended *Entity) error) error {
	r.change.Lock()
	defer r.change.Unlock()
	e, err := r.extended(entity, fields)
	if err != nil {
		return fmt.Errorf("add fields to %q: %w", entity, err)
	}
	if apply != nil {
		if err := apply(e); err != nil {
			return fmt.Errorf("add fields to %q: %w", entity, err)
		}
	}
	v := r.edit()
	v.entities[entity] = e
	v.addInbound(e, e.lookups[len(e.lookups)-countLookups(fields):])
	r.view.Store(v)
	r.gen.Add(1)
	return nil
}

func countLookups(fields []Field) int {
	n := 0
	for _, f := range fields {
		if f.Type == TypeLookup {
			n++
		}
	}
	return n
}

// extended returns a checked copy of the named entity with fields added.
func (r *Registry) extended(entity string, fields []Field) (*Entity, error) {
	old, ok := r.lookup(entity)
	if !ok {
		return nil, fmt.Errorf("entity %q: %w", entity, ErrNotFound)
	}
	if len(fields) == 0 {
		return nil, fmt.Errorf("no fields to add")
	}
	if old.intersect != nil {
		return nil, fmt.Errorf("the intersect entity of an N:N relationship holds its two lookups only")
	}
	if old.TypeField != "" {
		return nil, fmt.Errorf("%s is a base entity: its fields are the ones every entity extending it shares", entity)
	}
	decl := *old
	decl.Fields = append(slices.Clone(old.Fields), fields...)
	e := cloneEntity(&decl)
	if err := r.calculate(e.Fields[len(old.Fields):]); err != nil {
		return nil, err
	}
	// Added money fields get their base fields (and the entity its
	// exchange rate) as registered ones do; records stored before have
	// none of the new amounts, so none of their base amounts is missing.
	if err := e.addPricing(r.org, len(old.Fields)); err != nil {
		return nil, err
	}
	if err := e.prepare(); err != nil {
		return nil, err
	}
	if err := r.checkBase(e, nil); err != nil {
		return nil, err
	}
	if r.complete {
		if err := r.checkTargets(e, map[string]*Entity{e.Name: e}); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// RegisterCalculator names fn, a function that computes a field from a
// record's other fields, so that fields can refer to it by name
// (Field.Calculator) and their metadata can be kept as data (JSON). Register
// calculators before the entities whose fields name them. A name
// registered twice fails with ErrDuplicate.
func (r *Registry) RegisterCalculator(name string, fn func(Fields) any) error {
	r.change.Lock()
	defer r.change.Unlock()
	switch {
	case name == "" || fn == nil:
		return fmt.Errorf("register calculator %q: a calculator needs a name and a func", name)
	case r.calculators[name] != nil:
		return fmt.Errorf("register calculator %q: %w", name, ErrDuplicate)
	}
	if r.calculators == nil {
		r.calculators = map[string]func(Fields) any{}
	}
	r.calculators[name] = fn
	return nil
}

// calculate sets the Compute func of fields that name a Calculator.
func (r *Registry) calculate(fields []Field) error {
	for i := range fields {
		f := &fields[i]
		if f.Calculator == "" || f.Compute != nil {
			continue
		}
		fn, ok := r.calculators[f.Calculator]
		if !ok {
			return fmt.Errorf("field %q: calculator %q is not registered (Registry.RegisterCalculator): %w", f.Name, f.Calculator, ErrNotFound)
		}
		f.Compute = fn
	}
	return nil
}

// Entity returns the named entity, or an error matching ErrNotFound.
func (r *Registry) Entity(name string) (*Entity, error) {
	e, ok := r.lookup(name)
	if !ok {
		return nil, fmt.Errorf("entity %q: %w", name, ErrNotFound)
	}
	return e, nil
}

// Entities returns every registered entity in registration order.
func (r *Registry) Entities() []*Entity {
	v := r.view.Load()
	out := make([]*Entity, len(v.order))
	for i, n := range v.order {
		out[i] = v.entities[n]
	}
	return out
}

// Generation counts the changes of the registry's entities: it grows with
// every successful Register and AddFields. Code that caches what it
// derives from metadata keeps the generation it derived it at and derives
// it again when the generation has moved.
func (r *Registry) Generation() uint64 { return r.gen.Load() }

// ReferencedBy returns the relationships through which other records can
// refer to records of the named entity.
func (r *Registry) ReferencedBy(entity string) []Relationship {
	return slices.Clone(r.view.Load().inbound[entity])
}

func cloneEntity(src *Entity) *Entity {
	e := *src
	e.Fields = make([]Field, len(src.Fields))
	for i, f := range src.Fields {
		f.Options = slices.Clone(f.Options)
		f.Targets = slices.Clone(f.Targets)
		e.Fields[i] = f
	}
	if src.Lifecycle != nil {
		lc := src.Lifecycle.clone()
		e.Lifecycle = lc
	}
	e.Rules = slices.Clone(src.Rules)
	for i := range e.Rules {
		e.Rules[i].Fields = slices.Clone(e.Rules[i].Fields)
	}
	e.Keys = slices.Clone(src.Keys)
	for i := range e.Keys {
		e.Keys[i].Fields = slices.Clone(e.Keys[i].Fields)
	}
	e.Indexes = slices.Clone(src.Indexes)
	for i := range e.Indexes {
		e.Indexes[i].Fields = slices.Clone(e.Indexes[i].Fields)
	}
	return &e
}

// lifecycleOptions gives the entity its own state and status reason
// fields, whose options are its lifecycle's, so that their labels read
// from metadata as a choice field's do (Field.OptionLabel).
func (e *Entity) lifecycleOptions() {
	state, status := *e.index[FieldState], *e.index[FieldStatus]
	for _, st := range e.Lifecycle.States {
		state.Options = append(state.Options, Option{Value: int32(st.Code), Label: st.Name})
	}
	for _, st := range e.Lifecycle.Statuses {
		status.Options = append(status.Options, Option{Value: int32(st.Code), Label: st.Name})
	}
	e.index[FieldState], e.index[FieldStatus] = &state, &status
}

// prepare checks the entity's declaration and builds its field index.
func (e *Entity) prepare() error {
	if !ValidName(e.Name) {
		return fmt.Errorf("name %q is not a valid logical name", e.Name)
	}
	if e.Label == "" {
		e.Label = e.Name
	}
	e.index = map[string]*Field{}
	for i := range systemFields {
		e.index[systemFields[i].Name] = &systemFields[i]
	}
	for i := range e.Fields {
		f := &e.Fields[i]
		if err := f.check(); err != nil {
			return fmt.Errorf("field %q: %w", f.Name, err)
		}
		if _, dup := e.index[f.Name]; dup {
			return fmt.Errorf("field %q is declared twice or is a system field", f.Name)
		}
		e.index[f.Name] = f
	}
	e.lookups = e.findLookups()
	for i := range e.Fields {
		if f := &e.Fields[i]; f.Type == TypeMoney && !f.platform && f.org != nil && f.org.base != "" && e.Name != CurrencyEntity {
			e.money = append(e.money, f)
		}
	}
	for _, f := range e.lookups {
		if f.Hierarchical && f.Targets[0] != e.Name {
			return fmt.Errorf("hierarchical lookup %q must target %q itself", f.Name, e.Name)
		}
	}
	if e.PrimaryName != "" {
		if f, ok := e.index[e.PrimaryName]; !ok || f.Type != TypeText {
			return fmt.Errorf("primary name %q is not a text field", e.PrimaryName)
		}
	}
	if err := e.checkKeys(); err != nil {
		return err
	}
	if err := e.checkIndexes(); err != nil {
		return err
	}
	if e.intersect != nil {
		if err := e.checkIntersect(); err != nil {
			return err
		}
	}
	if e.TypeField != "" {
		if err := e.checkBaseDeclaration(); err != nil {
			return err
		}
	}
	if e.Lifecycle != nil {
		if err := e.Lifecycle.prepare(); err != nil {
			return fmt.Errorf("lifecycle: %w", err)
		}
		if err := e.checkStamps(); err != nil {
			return fmt.Errorf("lifecycle: %w", err)
		}
		e.lifecycleOptions()
	}
	for i := range e.Rules {
		if err := e.checkRule(&e.Rules[i]); err != nil {
			return err
		}
	}
	return nil
}

func (f *Field) check() error {
	if !ValidName(f.Name) {
		return fmt.Errorf("not a valid logical name")
	}
	if f.Label == "" {
		f.Label = f.Name
	}
	if f.System {
		return fmt.Errorf("only the platform declares system fields")
	}
	switch f.Type {
	case TypeText:
		if f.MaxLength < 0 || f.MaxLength > MaxTextLength {
			return fmt.Errorf("max length %d outside 0..%d", f.MaxLength, MaxTextLength)
		}
	case TypeDecimal:
		places := int32(MaxDecimalPlaces)
		if f.platform {
			places = ExchangeRatePlaces
		}
		if f.Precision < 0 || f.Precision > places {
			return fmt.Errorf("precision %d outside 0..%d", f.Precision, places)
		}
	case TypeMoney:
		switch f.MoneyPrecision {
		case PrecisionCurrency, PrecisionPricing:
			if f.Precision != 0 {
				return fmt.Errorf("precision %d is set but the money precision source is %s: use PrecisionField", f.Precision, f.MoneyPrecision)
			}
		case PrecisionField:
			if f.Precision < 0 || f.Precision > MaxMoneyPlaces {
				return fmt.Errorf("money precision %d outside 0..%d", f.Precision, MaxMoneyPlaces)
			}
		default:
			return fmt.Errorf("unknown money precision source %d", f.MoneyPrecision)
		}
	case TypeInteger, TypeBool, TypeTime:
	case TypeChoice:
		if len(f.Options) == 0 {
			return fmt.Errorf("a choice needs options")
		}
		seen := map[int32]bool{}
		for _, o := range f.Options {
			if seen[o.Value] {
				return fmt.Errorf("option value %d appears twice", o.Value)
			}
			seen[o.Value] = true
		}
	case TypeLookup:
		if len(f.Targets) == 0 && !f.Polymorphic {
			return fmt.Errorf("a lookup needs at least one target entity (or is Polymorphic, to be given them later)")
		}
		if f.OnDelete < DeleteRemoveLink || f.OnDelete > DeleteRestrict {
			return fmt.Errorf("unknown delete behaviour %d", f.OnDelete)
		}
		if f.Hierarchical && (len(f.Targets) != 1 || f.Polymorphic) {
			return fmt.Errorf("a hierarchical lookup has exactly one target, its own entity")
		}
		if f.OnDelete == DeleteRemoveLink && f.Required {
			return fmt.Errorf("a required lookup cannot remove its link on delete; use cascade or restrict")
		}
	default:
		return fmt.Errorf("unknown type %v", f.Type)
	}
	if f.Compute != nil && (f.Required || f.Type == TypeLookup) {
		return fmt.Errorf("a computed field cannot be required or a lookup")
	}
	for _, b := range []struct {
		name  string
		bound *decimal.Decimal
	}{{"min", f.Min}, {"max", f.Max}} {
		if b.bound != nil {
			if err := f.checkBound(*b.bound); err != nil {
				return fmt.Errorf("%s %w", b.name, err)
			}
		}
	}
	if f.Min != nil && f.Max != nil && f.Min.GreaterThan(*f.Max) {
		return fmt.Errorf("min %s above max %s", f.Min, f.Max)
	}
	return nil
}

// checkBound checks a Min or Max against what the field's type holds,
// before any arithmetic on it.
func (f *Field) checkBound(b decimal.Decimal) error {
	b, r := ReachOf(b)
	if r != InReach {
		return fmt.Errorf("%s", OutOfReach)
	}
	switch f.Type {
	case TypeDecimal:
		if b.Sign() != 0 && numDigits(b)+int64(b.Exponent())+int64(f.Precision) > MaxDecimalDigits {
			return fmt.Errorf("%s is beyond the %d digits a decimal field holds at %d places", b, MaxDecimalDigits, f.Precision)
		}
	case TypeMoney:
		if b.LessThan(minMoney) || b.GreaterThan(maxMoney) {
			return fmt.Errorf("%s is outside %s..%s, the range of money", b, minMoney, maxMoney)
		}
	}
	return nil
}
