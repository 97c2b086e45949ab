package sales

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/crmkit/crmkit/crm"
)

// optionSet is the table behind one typed enum: its published values and
// labels. The metadata's choice options are built from the same table, so
// the Go type and the validation can never disagree.
type optionSet struct {
	name     string // for errors: "industry"
	options  []crm.Option
	required bool // the zero value is a value (a state), not null
}

// label returns v's label, "" for no value (0) and the number for a value
// the table does not know.
func (s optionSet) label(v int32) string {
	for _, o := range s.options {
		if o.Value == v {
			return o.Label
		}
	}
	if v == 0 && !s.required {
		return ""
	}
	return strconv.Itoa(int(v))
}

func (s optionSet) check(v int32) error {
	for _, o := range s.options {
		if o.Value == v {
			return nil
		}
	}
	return fmt.Errorf("%s %d: %w", s.name, v, crm.ErrNotFound)
}

// parse accepts a label in any case, or a published number. The empty
// string is no value.
func (s optionSet) parse(text string) (int32, error) {
	t := strings.TrimSpace(text)
	if t == "" && !s.required {
		return 0, nil
	}
	for _, o := range s.options {
		if strings.EqualFold(o.Label, t) {
			return o.Value, nil
		}
	}
	if n, err := strconv.ParseInt(t, 10, 32); err == nil && s.check(int32(n)) == nil {
		return int32(n), nil
	}
	return 0, fmt.Errorf("parse %s %q: %w", s.name, text, crm.ErrNotFound)
}

// choices returns the options for a choice field's metadata.
func (s optionSet) choices() []crm.Option { return slices.Clone(s.options) }
