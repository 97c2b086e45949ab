package crm

import (
	"encoding/json"
	"fmt"

	"github.com/shopspring/decimal"
)

// Metadata as data. An Entity, its Fields and its Lifecycle marshal to JSON
// and back, so that metadata can be kept beside the data it describes
// (storage/sqlstore keeps every entity it serves in its database) and
// exchanged between processes. What is code does not travel:
//
//   - a field's Compute func: JSON carries its Calculator name, which the
//     reading registry resolves (RegisterCalculator); a field computed by
//     a Compute func alone reads back as a plain field;
//   - an entity's Rules, which are Go funcs: the reading side registers
//     them in code;
//   - the fields the registry derives (an exchange rate and base amounts
//     when multi-currency is on): registering the entity derives them
//     again.
//
// Lifecycles are data and travel whole. Unmarshalled metadata is a
// declaration, checked only when it is registered.

// MarshalText returns the type's name: "text", "integer", ...
func (t FieldType) MarshalText() ([]byte, error) {
	n, ok := fieldTypeNames[t]
	if !ok {
		return nil, fmt.Errorf("marshal field type %d: unknown type", int(t))
	}
	return []byte(n), nil
}

// UnmarshalText parses a type's name, as MarshalText writes it.
func (t *FieldType) UnmarshalText(b []byte) error {
	for ft, n := range fieldTypeNames {
		if n == string(b) {
			*t = ft
			return nil
		}
	}
	return fmt.Errorf("unknown field type %q", b)
}

// fieldJSON is a Field as JSON carries it.
type fieldJSON struct {
	Name           string           `json:"name"`
	Label          string           `json:"label,omitempty"`
	Type           FieldType        `json:"type"`
	Required       bool             `json:"required,omitempty"`
	Immutable      bool             `json:"immutable,omitempty"`
	MaxLength      int              `json:"maxLength,omitempty"`
	Precision      int32            `json:"precision,omitempty"`
	MoneyPrecision PrecisionSource  `json:"moneyPrecision,omitempty"`
	Min            *decimal.Decimal `json:"min,omitempty"`
	Max            *decimal.Decimal `json:"max,omitempty"`
	Options        []Option         `json:"options,omitempty"`
	Targets        []string         `json:"targets,omitempty"`
	OnDelete       DeleteBehavior   `json:"onDelete,omitempty"`
	Polymorphic    bool             `json:"polymorphic,omitempty"`
	Hierarchical   bool             `json:"hierarchical,omitempty"`
	Calculator     string           `json:"calculator,omitempty"`
	DateOnly       bool             `json:"dateOnly,omitempty"`
}

// MarshalJSON writes the field's declaration; Compute is left out (see
// Calculator).
func (f Field) MarshalJSON() ([]byte, error) {
	return json.Marshal(fieldJSON{
		Name: f.Name, Label: f.Label, Type: f.Type, Required: f.Required, Immutable: f.Immutable,
		MaxLength: f.MaxLength, Precision: f.Precision, MoneyPrecision: f.MoneyPrecision,
		Min: f.Min, Max: f.Max, Options: f.Options, Targets: f.Targets, OnDelete: f.OnDelete,
		Polymorphic: f.Polymorphic, Hierarchical: f.Hierarchical, Calculator: f.Calculator, DateOnly: f.DateOnly,
	})
}

// UnmarshalJSON reads a declaration MarshalJSON wrote.
func (f *Field) UnmarshalJSON(b []byte) error {
	var j fieldJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*f = Field{
		Name: j.Name, Label: j.Label, Type: j.Type, Required: j.Required, Immutable: j.Immutable,
		MaxLength: j.MaxLength, Precision: j.Precision, MoneyPrecision: j.MoneyPrecision,
		Min: j.Min, Max: j.Max, Options: j.Options, Targets: j.Targets, OnDelete: j.OnDelete,
		Polymorphic: j.Polymorphic, Hierarchical: j.Hierarchical, Calculator: j.Calculator, DateOnly: j.DateOnly,
	}
	return nil
}

// entityJSON is an Entity as JSON carries it.
type entityJSON struct {
	Name        string     `json:"name"`
	Label       string     `json:"label,omitempty"`
	PrimaryName string     `json:"primaryName,omitempty"`
	Fields      []Field    `json:"fields,omitempty"`
	Lifecycle   *Lifecycle `json:"lifecycle,omitempty"`
	Keys        []Key      `json:"keys,omitempty"`
	Indexes     []Index    `json:"indexes,omitempty"`
	Base        string     `json:"base,omitempty"`
	TypeField   string     `json:"typeField,omitempty"`
	// ManyToMany marks the intersect entity of an N:N relationship.
	ManyToMany *ManyToMany `json:"manyToMany,omitempty"`
}

// MarshalJSON writes the entity's declaration: its declared fields (not
// the ones the registry derives), its lifecycle and its alternate keys;
// Rules are code and are left out.
func (e Entity) MarshalJSON() ([]byte, error) {
	j := entityJSON{Name: e.Name, Label: e.Label, PrimaryName: e.PrimaryName, Lifecycle: e.Lifecycle, Keys: e.Keys, Indexes: e.Indexes, ManyToMany: e.intersect,
		Base: e.Base, TypeField: e.TypeField}
	for _, f := range e.Fields {
		if !f.platform {
			j.Fields = append(j.Fields, f)
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads a declaration MarshalJSON wrote, ready to register.
func (e *Entity) UnmarshalJSON(b []byte) error {
	var j entityJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*e = Entity{Name: j.Name, Label: j.Label, PrimaryName: j.PrimaryName, Fields: j.Fields, Lifecycle: j.Lifecycle, Keys: j.Keys, Indexes: j.Indexes, intersect: j.ManyToMany,
		Base: j.Base, TypeField: j.TypeField}
	return nil
}

// MarshalJSON writes every registered entity, in registration order, as
// {"entities": [...]}. Read it back with RegisterJSON.
func (r *Registry) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Entities []*Entity `json:"entities"`
	}{r.Entities()})
}

// RegisterJSON registers the entities of a document Registry.MarshalJSON
// wrote, in one Register call. Calculators the fields name must be
// registered first.
func (r *Registry) RegisterJSON(b []byte) error {
	var doc struct {
		Entities []*Entity `json:"entities"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("register json: %w", err)
	}
	return r.Register(doc.Entities...)
}
