package activity

import (
	"fmt"
	"slices"

	"github.com/crmkit/crmkit/crm"
)

// CustomType is an activity type a host application defines (Dynamics'
// custom activity, IsActivity = true, activities C1): every common field,
// the parties (all roles allowed) and the timeline it shares with the
// built-in types, plus fields of its own.
type CustomType struct {
	Name   string // logical name; must not clash with a registered entity
	Label  string
	Fields []crm.Field // the type's own fields, beyond the common ones
	// Lifecycle is the type's table; nil gives the default, Open (Open),
	// Completed (Closed), Canceled (Canceled) with complete, cancel and
	// reopen (SimpleLifecycle("Completed")). A custom table needs the
	// complete, cancel and reopen events for Service's methods and
	// CloseOpen (cancel), and the states' codes as State numbers them;
	// its complete and cancel events should stamp the actual end as the
	// built-in ones do.
	Lifecycle *crm.Lifecycle
	Rules     []crm.Rule
}

// RegisterType registers a custom activity type in reg, whose activity
// entities are registered (Register): an entity extending
// activitypointer with every common field, regarding the entities that
// enable activities now (and, through Enable, later), with the
// scheduled-times rule of the built-in types, regular
// (isregularactivity true).
func RegisterType(reg *crm.Registry, t CustomType) error {
	base, err := reg.Entity(PointerEntity)
	if err != nil {
		return fmt.Errorf("register activity type %q: %w", t.Name, err)
	}
	fields := commonFields(nil)
	for i := range fields {
		f := &fields[i]
		if f.Name == FieldIsRegular {
			f.Compute = func(crm.Fields) any { return true }
		}
		if bf, ok := base.Field(f.Name); ok && f.Type == crm.TypeLookup {
			// The targets the base's lookups have now (the entities
			// enabled so far); later ones follow through the base.
			f.Targets = slices.Clone(bf.Targets)
		}
	}
	fields = append(fields, t.Fields...)
	lc := t.Lifecycle
	if lc == nil {
		lc = SimpleLifecycle("Completed")
	}
	label := t.Label
	if label == "" {
		label = t.Name
	}
	e := &crm.Entity{Name: t.Name, Label: label, PrimaryName: FieldSubject, Base: PointerEntity,
		Fields: fields, Lifecycle: lc, Rules: append([]crm.Rule{scheduleRule()}, t.Rules...)}
	if err := reg.Register(e); err != nil {
		return fmt.Errorf("register activity type %q: %w", t.Name, err)
	}
	return nil
}
