package sales

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/crmkit/crmkit/crm"
)

// optionSet is the table behind one typed enum T: the metadata field that
// holds its published values and labels. Every method of the enum types
// delegates here, and the entity's choice field is built from the same
// options, so the Go type and the validation can never disagree.
type optionSet[T ~int32] struct {
	name     string    // for errors: "industry"
	field    crm.Field // Name and Options, as in the entity's metadata
	required bool      // the zero value is a value (a state), not null
}

func newOptionSet[T ~int32](name, field string, options []crm.Option) optionSet[T] {
	return optionSet[T]{name: name, field: crm.Field{Name: field, Type: crm.TypeChoice, Options: options}}
}

func (s *optionSet[T]) valid(v T) bool {
	_, ok := s.field.Option(int32(v))
	return ok
}

// label returns v's label, "" for no value (0) and the number for a value
// the table does not know, so that a forged value still prints as itself.
func (s *optionSet[T]) label(v T) string {
	if l, ok := s.field.OptionLabel(int32(v)); ok {
		return l
	}
	if v == 0 && !s.required {
		return ""
	}
	return strconv.Itoa(int(v))
}

// parse accepts a label in any case, or a published number. The empty
// string is no value, unless the zero value is itself a value. Other text
// fails with a *crm.ValidationError naming the field.
func (s *optionSet[T]) parse(text string) (T, error) {
	if strings.TrimSpace(text) == "" && !s.required {
		return 0, nil
	}
	v, err := s.field.OptionValue(text)
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w", s.name, err)
	}
	return T(v), nil
}

func (s *optionSet[T]) marshal(v T) ([]byte, error) { return []byte(s.label(v)), nil }

func (s *optionSet[T]) unmarshal(x *T, b []byte) error {
	v, err := s.parse(string(b))
	if err != nil {
		return err
	}
	*x = v
	return nil
}

// decode reads the choice field name of a stored record: null is the zero
// value, and a number the table does not know is an error matching
// crm.ErrNotFound rather than a value no constant names.
func (s *optionSet[T]) decode(f crm.Fields, name string) (T, error) {
	v, ok := f.Choice(name)
	if !ok {
		return 0, nil
	}
	if !s.valid(T(v)) {
		return 0, fmt.Errorf("field %s: %s %d: %w", name, s.name, v, crm.ErrNotFound)
	}
	return T(v), nil
}

// choices returns the options for a choice field's metadata.
func (s *optionSet[T]) choices() []crm.Option { return slices.Clone(s.field.Options) }

// stateSet returns the option set of a state enum: a lifecycle's states,
// where the zero value is a state, not null.
func stateSet[T ~int32](name string, lc *crm.Lifecycle) optionSet[T] {
	s := newOptionSet[T](name, crm.FieldState, stateOptions(lc))
	s.required = true
	return s
}

// stateOptions returns a lifecycle's states as the table of a state enum,
// so the Go type and the lifecycle the store enforces cannot disagree.
func stateOptions(lc *crm.Lifecycle) []crm.Option {
	out := make([]crm.Option, len(lc.States))
	for i, s := range lc.States {
		out[i] = crm.Option{Value: int32(s.Code), Label: s.Name}
	}
	return out
}

// statusOptions returns a lifecycle's status reasons as the table of a
// status enum.
func statusOptions(lc *crm.Lifecycle) []crm.Option {
	out := make([]crm.Option, len(lc.Statuses))
	for i, s := range lc.Statuses {
		out[i] = crm.Option{Value: int32(s.Code), Label: s.Name}
	}
	return out
}

// decodePtr reads a choice field whose option set has a value 0 (a
// sales stage, a budget status): null is nil, so that "not given"
// differs from the option numbered 0.
func (s *optionSet[T]) decodePtr(f crm.Fields, name string) (*T, error) {
	if _, ok := f.Choice(name); !ok {
		return nil, nil
	}
	v, err := s.decode(f, name)
	if err != nil {
		return nil, err
	}
	return &v, nil
}
