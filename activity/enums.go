package activity

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/crmkit/crmkit/crm"
)

// The typed option sets of activities. Each is an int32 whose value is
// Dynamics' published number, which never changes once published (new
// values go at the end). Each prints as its label, parses from a label
// (any case) or a number, and reports whether it is a published value;
// the entities' choice fields are built from the same tables, so the Go
// type and the validation cannot disagree. A value converted from a
// number no constant names is not Valid, and the store refuses it.

// Priority is an activity's priority (prioritycode). A typed record
// holds a *Priority: nil is no value, which Dynamics shows as Normal.
type Priority int32

// Priority values.
const (
	PriorityLow    Priority = 0
	PriorityNormal Priority = 1
	PriorityHigh   Priority = 2
)

var priorities = []crm.Option{{Value: 0, Label: "Low"}, {Value: 1, Label: "Normal"}, {Value: 2, Label: "High"}}

func (p Priority) String() string { return label(priorities, int32(p)) }

// Valid reports whether p is a published value.
func (p Priority) Valid() bool { return valid(priorities, int32(p)) }

// ParsePriority returns the priority with the given label or number.
func ParsePriority(s string) (Priority, error) {
	v, err := parse(priorities, FieldPriority, s)
	return Priority(v), err
}

// Role is a party's participation type (activityparty's
// participationtypemask): despite Dynamics' name, one value, not a mask.
type Role int32

// Role values (activities C3). The roles a built-in type allows are in
// its AllowedRoles; a custom type allows them all.
const (
	RoleSender           Role = 1
	RoleTo               Role = 2
	RoleCc               Role = 3
	RoleBcc              Role = 4
	RoleRequiredAttendee Role = 5
	RoleOptionalAttendee Role = 6
	RoleOrganizer        Role = 7
	RoleRegarding        Role = 8
	RoleOwner            Role = 9
	RoleResource         Role = 10
	RoleCustomer         Role = 11
	RoleChatParticipant  Role = 12
)

var roles = []crm.Option{
	{Value: 1, Label: "Sender"}, {Value: 2, Label: "To Recipient"}, {Value: 3, Label: "CC Recipient"},
	{Value: 4, Label: "BCC Recipient"}, {Value: 5, Label: "Required attendee"}, {Value: 6, Label: "Optional attendee"},
	{Value: 7, Label: "Organizer"}, {Value: 8, Label: "Regarding"}, {Value: 9, Label: "Owner"},
	{Value: 10, Label: "Resource"}, {Value: 11, Label: "Customer"}, {Value: 12, Label: "Chat Participant"},
}

func (r Role) String() string { return label(roles, int32(r)) }

// Valid reports whether r is a published value.
func (r Role) Valid() bool { return valid(roles, int32(r)) }

// ParseRole returns the role with the given label or number.
func ParseRole(s string) (Role, error) {
	v, err := parse(roles, PartyRole, s)
	return Role(v), err
}

// InstanceType says whether an activity is part of a recurring series
// (instancetypecode). The zero value, NotRecurring, is a value.
type InstanceType int32

// InstanceType values.
const (
	NotRecurring             InstanceType = 0
	RecurringMaster          InstanceType = 1
	RecurringInstance        InstanceType = 2
	RecurringException       InstanceType = 3
	RecurringFutureException InstanceType = 4
)

var instanceTypes = []crm.Option{
	{Value: 0, Label: "Not Recurring"}, {Value: 1, Label: "Recurring Master"}, {Value: 2, Label: "Recurring Instance"},
	{Value: 3, Label: "Recurring Exception"}, {Value: 4, Label: "Recurring Future Exception"},
}

func (t InstanceType) String() string { return label(instanceTypes, int32(t)) }

// Valid reports whether t is a published value.
func (t InstanceType) Valid() bool { return valid(instanceTypes, int32(t)) }

// State is an activity's state. Every activity lifecycle numbers its
// states alike: 0 Open, 1 Completed (Closed for some system types), 2
// Canceled and, for appointments and service activities, 3 Scheduled.
type State int32

// State values.
const (
	StateOpen      State = 0
	StateCompleted State = 1
	StateCanceled  State = 2
	StateScheduled State = 3
)

var states = []crm.Option{{Value: 0, Label: "Open"}, {Value: 1, Label: "Completed"}, {Value: 2, Label: "Canceled"}, {Value: 3, Label: "Scheduled"}}

func (s State) String() string { return label(states, int32(s)) }

// Valid reports whether s is a published value.
func (s State) Valid() bool { return valid(states, int32(s)) }

// Closed reports whether s is Completed or Canceled: a closed activity is
// read-only until reopened.
func (s State) Closed() bool { return s == StateCompleted || s == StateCanceled }

func label(opts []crm.Option, v int32) string {
	for _, o := range opts {
		if o.Value == v {
			return o.Label
		}
	}
	return strconv.Itoa(int(v))
}

func valid(opts []crm.Option, v int32) bool {
	for _, o := range opts {
		if o.Value == v {
			return true
		}
	}
	return false
}

func parse(opts []crm.Option, field, s string) (int32, error) {
	f := crm.Field{Name: field, Type: crm.TypeChoice, Options: opts}
	v, err := f.OptionValue(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w", field, err)
	}
	return v, nil
}
