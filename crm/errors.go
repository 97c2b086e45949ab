package crm

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error crmkit returns that belongs to one of these
// kinds matches it with errors.Is, whatever context it was wrapped in.
var (
	// ErrNotFound is returned when a record (or an entity name) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict is returned when a write names a version that is no longer
	// the record's current version: someone else changed it first. Read the
	// record again and retry the change.
	ErrConflict = errors.New("version conflict")
	// ErrInvalidTransition is returned when a lifecycle event is not allowed
	// from the record's current state. The error is a *TransitionError.
	ErrInvalidTransition = errors.New("invalid transition")
	// ErrDuplicate is returned when a create would store a second record
	// with the same ID, or a write a second record with the same value of
	// an alternate key (the error is then a *DuplicateKeyError).
	ErrDuplicate = errors.New("duplicate")
	// ErrValidation is returned when input breaks the metadata's rules. The
	// error is a *ValidationError listing every bad field.
	ErrValidation = errors.New("validation failed")
	// ErrRestricted is returned when a delete is refused because records
	// still refer to the target through a relationship whose delete
	// behaviour is Restrict.
	ErrRestricted = errors.New("delete restricted")
	// ErrPermissionDenied is returned when the caller may not do what was
	// asked.
	ErrPermissionDenied = errors.New("permission denied")
)

// FieldError is one bad field and why it is bad.
type FieldError struct {
	Field  string // logical field name, e.g. "lastname"
	Reason string // human-readable reason, e.g. "is required"
}

func (e FieldError) String() string { return e.Field + " " + e.Reason }

// ValidationError lists every field of one input that breaks the rules.
// It matches ErrValidation with errors.Is.
type ValidationError struct {
	Entity string // logical entity name
	Fields []FieldError
}

// Error lists the fields in the order they were found.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.String()
	}
	if e.Entity == "" {
		return fmt.Sprintf("%s: %s", ErrValidation, strings.Join(parts, "; "))
	}
	return fmt.Sprintf("%s: invalid %s: %s", ErrValidation, e.Entity, strings.Join(parts, "; "))
}

// Is reports whether target is ErrValidation.
func (e *ValidationError) Is(target error) bool { return target == ErrValidation }

// Has reports whether field is among the bad fields.
func (e *ValidationError) Has(field string) bool {
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Add records a bad field: the reason is format with args.
func (e *ValidationError) Add(field, format string, args ...any) {
	e.Fields = append(e.Fields, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// Err returns e when it holds at least one field error, else nil: a
// check that collects every bad field returns verr.Err().
func (e *ValidationError) Err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Invalid returns a *ValidationError for a single field. Domain packages use
// it for rules that the metadata cannot express (a cycle in a hierarchy).
func Invalid(entity, field, reason string) error {
	return &ValidationError{Entity: entity, Fields: []FieldError{{Field: field, Reason: reason}}}
}

// TransitionError says which lifecycle event was refused on which record
// state. It matches ErrInvalidTransition with errors.Is.
type TransitionError struct {
	Entity string // logical entity name
	State  string // the record's current state name
	Event  string // the refused event
	// Operation, when set, is the named operation the event fires only
	// inside (Transition.Operation): the event is allowed from the state,
	// but not on its own.
	Operation string
}

func (e *TransitionError) Error() string {
	if e.Operation != "" {
		return fmt.Sprintf("%s: %s in state %q can %q only through the %s operation", ErrInvalidTransition, e.Entity, e.State, e.Event, e.Operation)
	}
	return fmt.Sprintf("%s: %s in state %q cannot %q", ErrInvalidTransition, e.Entity, e.State, e.Event)
}

// Is reports whether target is ErrInvalidTransition.
func (e *TransitionError) Is(target error) bool { return target == ErrInvalidTransition }
