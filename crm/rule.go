package crm

import (
	"context"
	"fmt"
	"slices"
)

// Rule is a business rule of one entity that the metadata's field
// declarations cannot express: it reads the record a write leaves, the
// record before it and, when it must, other records ("an account's primary
// contact must be one of its contacts"). A module declares its rules with
// its entities (Entity.Rules, or Registry.AddRules for a rule on another
// module's entity), so they travel with the Registry: every store built on
// it runs them on every create and every change of a record (update, state
// change, assignment), whichever door the write comes through, and, for a
// rule with Deletes set, on every delete too.
//
// Check is a function of the write it is given and of the records it
// reads through Write.Records, nothing else: no clock, no globals. It
// refuses a write by returning an error, a *ValidationError naming the
// field at fault as a rule (Invalid) should; any other error fails the
// write too.
type Rule struct {
	// Name says what the rule checks, in a few words; errors and
	// documentation use it.
	Name string
	// Fields, if set, limits the rule to writes that set or change one of
	// them (a create that gives one a value; an update, or a state change
	// with field changes, that changes one). Empty: every create and
	// every change of a record of the entity.
	Fields []string
	// Deletes makes the rule run on the deletes of the entity's records
	// too, whatever Fields says: Write.Delete is set, Target and Before
	// are the record as stored, and Write.Cascade tells a record that
	// goes because a record it points at goes (its delete behaviour is
	// DeleteCascade) from one deleted itself.
	Deletes bool
	// Check checks one write.
	Check func(ctx context.Context, w Write) error
}

// Write is what a Rule is told about the write it checks.
type Write struct {
	Entity *Entity
	// Target is the record as the write will store it, header included.
	// It is the write path's: read it, do not change it.
	Target *Record
	// Before is the stored record the write changes; nil on create.
	Before *Record
	// Records reads other records inside the write's transaction.
	Records Records
	// Operations are the named operations (storage.Store.Execute) the
	// write is part of, innermost first; empty for a write made on its
	// own. A rule that lets a field change only through its operation
	// (an opportunity's sales stage moves through its sales process)
	// reads it with In.
	Operations []string
	// Import reports that the write is part of an import
	// (storage.Store.Import), which takes states and values from the
	// data.
	Import bool
	// Delete reports that the write deletes Target (rules with Deletes
	// set only); Cascade, that the delete cascades from the delete of a
	// record Target points at.
	Delete, Cascade bool
}

// In reports whether the write is part of the named operation message,
// directly or through operations it runs.
func (w Write) In(message string) bool { return slices.Contains(w.Operations, message) }

// Records is how a rule reads the records it depends on.
type Records interface {
	// Lock returns the record of entity with the given ID, or an error
	// matching ErrNotFound, and keeps other writers from changing or
	// deleting it until the write's transaction ends, so what the rule
	// read still holds when the write commits. The lock may be shared:
	// the checks of other writes may read the record at the same time. A
	// record created earlier in the same call (a bulk create) is returned
	// too.
	Lock(ctx context.Context, entity string, id ID) (Record, error)
}

// Applies reports whether the rule runs for w: always when it lists no
// Fields, else when w sets or changes one of them.
func (r *Rule) Applies(w Write) bool {
	if w.Delete {
		return r.Deletes
	}
	if len(r.Fields) == 0 {
		return true
	}
	for _, f := range r.Fields {
		after := w.Target.Fields[f]
		if w.Before == nil {
			if after != nil {
				return true
			}
			continue
		}
		if !SameValue(w.Before.Fields[f], after) {
			return true
		}
	}
	return false
}

// CheckRules runs the rules of e that apply to w, in order, and returns
// the first error.
func (e *Entity) CheckRules(ctx context.Context, w Write) error {
	for i := range e.Rules {
		r := &e.Rules[i]
		if !r.Applies(w) {
			continue
		}
		if err := r.Check(ctx, w); err != nil {
			return err
		}
	}
	return nil
}

// DeleteRules reports whether a rule of e runs on deletes (Rule.Deletes).
func (e *Entity) DeleteRules() bool {
	for i := range e.Rules {
		if e.Rules[i].Deletes {
			return true
		}
	}
	return false
}

// AddRules adds rules to the registered entity named entity: the way a
// module puts a rule of its own on another module's entity (a service
// module checking accounts, say). Like Register it belongs to start-up,
// before the registry is shared. It fails if the entity is unknown or a
// rule is malformed.
func (r *Registry) AddRules(entity string, rules ...Rule) error {
	e, err := r.Entity(entity)
	if err != nil {
		return fmt.Errorf("add rules: %w", err)
	}
	for i := range rules {
		if err := e.checkRule(&rules[i]); err != nil {
			return fmt.Errorf("add rules to %s: %w", entity, err)
		}
	}
	e.Rules = append(slices.Clip(e.Rules), rules...)
	return nil
}

// checkRule checks a rule's declaration against the entity.
func (e *Entity) checkRule(r *Rule) error {
	if r.Check == nil {
		return fmt.Errorf("rule %q has no Check", r.Name)
	}
	for _, f := range r.Fields {
		fd, ok := e.index[f]
		if !ok || fd.System {
			return fmt.Errorf("rule %q: %q is not a declared field", r.Name, f)
		}
	}
	return nil
}
