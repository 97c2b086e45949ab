package crm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/looplab/fsm"
)

// StateCode is a record's coarse state (Dynamics' statecode), such as
// Active (0) or Inactive (1). Its values are fixed per entity and published.
type StateCode int32

// StatusCode is a record's status reason (Dynamics' statuscode). Every
// status reason belongs to exactly one state. Status reasons start at 1;
// 0 means "none given".
type StatusCode int32

// State is one state of a lifecycle.
type State struct {
	Code StateCode `json:"code"`
	Name string    `json:"name"`
	// DefaultStatus is the status reason a record gets when it enters the
	// state and no other is asked for.
	DefaultStatus StatusCode `json:"defaultStatus,omitempty"`
	// ReadOnly states refuse plain updates: a closed record stays as it
	// was closed until a lifecycle event reopens it.
	ReadOnly bool `json:"readOnly,omitempty"`
}

// Status is one status reason of a lifecycle.
type Status struct {
	Code  StatusCode `json:"code"`
	Name  string     `json:"name"`
	State StateCode  `json:"state"` // the state it belongs to
}

// Transition is a lifecycle event: from any of From, the event moves the
// record to To.
type Transition struct {
	Event string      `json:"event"`
	From  []StateCode `json:"from"`
	To    StateCode   `json:"to"`
	// Stamps are time fields the write path sets to the transaction's
	// time when the event fires (closing an activity sets its actual
	// end), whichever door the state change comes through, unless the
	// state change itself gives the field a value.
	Stamps []Stamp `json:"stamps,omitempty"`
	// Operation, if set, is the named operation (the message of
	// storage.Store.Execute) the event fires only inside: qualifying a
	// lead creates and links records and winning an opportunity records
	// how it was won, so a bare state change through any other door,
	// which would skip that, is refused with a *TransitionError naming
	// the operation. Import, which takes a state from the data, fires no
	// event and is not affected.
	Operation string `json:"operation,omitempty"`
}

// Stamp names a time field a transition sets (Transition.Stamps).
type Stamp struct {
	// Field is a declared, not computed, time field of the entity; a
	// date-only field gets the transaction's date.
	Field string `json:"field"`
	// IfEmpty stamps the field only when the record has no value in it
	// (an activity's actual start, kept if it was recorded).
	IfEmpty bool `json:"ifEmpty,omitempty"`
}

// Transition returns the transition of the named event.
func (l *Lifecycle) Transition(event string) (Transition, bool) {
	for _, t := range l.Transitions {
		if t.Event == event {
			return t, true
		}
	}
	return Transition{}, false
}

// Lifecycle is an entity's table of states, status reasons and transitions.
// Domain packages declare one per entity, in one file beside it; the write
// path enforces it (with looplab/fsm), so no record reaches a state by any
// other route.
type Lifecycle struct {
	Initial     StateCode    `json:"initial"`
	States      []State      `json:"states"`
	Statuses    []Status     `json:"statuses"`
	Transitions []Transition `json:"transitions,omitempty"`
}

func (l *Lifecycle) clone() *Lifecycle {
	c := &Lifecycle{Initial: l.Initial, States: slices.Clone(l.States), Statuses: slices.Clone(l.Statuses)}
	for _, t := range l.Transitions {
		t.From = slices.Clone(t.From)
		t.Stamps = slices.Clone(t.Stamps)
		c.Transitions = append(c.Transitions, t)
	}
	return c
}

func (l *Lifecycle) prepare() error {
	states := map[StateCode]State{}
	names := map[string]bool{}
	for _, s := range l.States {
		if _, dup := states[s.Code]; dup {
			return fmt.Errorf("state %d declared twice", s.Code)
		}
		if names[s.Name] {
			return fmt.Errorf("state name %q declared twice", s.Name)
		}
		names[s.Name] = true
		if s.Name == "" {
			return fmt.Errorf("state %d has no name", s.Code)
		}
		states[s.Code] = s
	}
	if _, ok := states[l.Initial]; !ok {
		return fmt.Errorf("initial state %d is not declared", l.Initial)
	}
	statuses := map[StatusCode]bool{}
	for _, s := range l.Statuses {
		if s.Code <= 0 {
			return fmt.Errorf("status %q: codes start at 1", s.Name)
		}
		if statuses[s.Code] {
			return fmt.Errorf("status %d declared twice", s.Code)
		}
		if _, ok := states[s.State]; !ok {
			return fmt.Errorf("status %d belongs to undeclared state %d", s.Code, s.State)
		}
		statuses[s.Code] = true
	}
	for _, s := range l.States {
		if !l.Belongs(s.DefaultStatus, s.Code) {
			return fmt.Errorf("state %q: default status %d does not belong to it", s.Name, s.DefaultStatus)
		}
	}
	seen := map[string]bool{}
	for _, t := range l.Transitions {
		if t.Event == "" || seen[t.Event] {
			return fmt.Errorf("event %q is empty or declared twice", t.Event)
		}
		seen[t.Event] = true
		if _, ok := states[t.To]; !ok {
			return fmt.Errorf("event %q goes to undeclared state %d", t.Event, t.To)
		}
		for _, f := range t.From {
			if _, ok := states[f]; !ok {
				return fmt.Errorf("event %q starts from undeclared state %d", t.Event, f)
			}
		}
	}
	return nil
}

// machine returns a state machine over the transition table, standing in
// state current.
func (l *Lifecycle) machine(current StateCode) *fsm.FSM {
	events := make(fsm.Events, len(l.Transitions))
	for i, t := range l.Transitions {
		src := make([]string, len(t.From))
		for j, f := range t.From {
			src[j] = l.StateName(f)
		}
		events[i] = fsm.EventDesc{Name: t.Event, Src: src, Dst: l.StateName(t.To)}
	}
	return fsm.NewFSM(l.StateName(current), events, nil)
}

// State returns the state with code c.
func (l *Lifecycle) State(c StateCode) (State, bool) {
	for _, s := range l.States {
		if s.Code == c {
			return s, true
		}
	}
	return State{}, false
}

// StateName returns the name of state c, or its number if it has none.
func (l *Lifecycle) StateName(c StateCode) string {
	if s, ok := l.State(c); ok {
		return s.Name
	}
	return strconv.Itoa(int(c))
}

func (l *Lifecycle) stateByName(name string) StateCode {
	for _, s := range l.States {
		if s.Name == name {
			return s.Code
		}
	}
	return -1
}

// Belongs reports whether status is a status reason of state.
func (l *Lifecycle) Belongs(status StatusCode, state StateCode) bool {
	for _, s := range l.Statuses {
		if s.Code == status {
			return s.State == state
		}
	}
	return false
}

// Status returns the status reason with code c.
func (l *Lifecycle) Status(c StatusCode) (Status, bool) {
	for _, s := range l.Statuses {
		if s.Code == c {
			return s, true
		}
	}
	return Status{}, false
}

// Fire applies event to a record of entity in state from and returns the
// state it moves to. A refused event is a *TransitionError.
func (l *Lifecycle) Fire(entity string, from StateCode, event string) (StateCode, error) {
	m := l.machine(from)
	err := m.Event(context.Background(), event)
	var noTransition fsm.NoTransitionError
	if err != nil && !errors.As(err, &noTransition) {
		return from, &TransitionError{Entity: entity, State: l.StateName(from), Event: event}
	}
	return l.stateByName(m.Current()), nil
}

// Mermaid draws the lifecycle as a Mermaid state diagram, for package docs.
func (l *Lifecycle) Mermaid() (string, error) {
	return fsm.VisualizeWithType(l.machine(l.Initial), fsm.MERMAID)
}

// Events returns the names of the events allowed from state, in the order
// the transition table declares them.
func (l *Lifecycle) Events(state StateCode) []string {
	// Read from the table rather than fsm.AvailableTransitions, which ranges
	// over a map and so answers in a different order on every call.
	var out []string
	for _, t := range l.Transitions {
		if slices.Contains(t.From, state) {
			out = append(out, t.Event)
		}
	}
	return out
}

// checkStamps checks that the fields the entity's transitions stamp are
// declared time fields callers may set.
func (e *Entity) checkStamps() error {
	for _, t := range e.Lifecycle.Transitions {
		for _, s := range t.Stamps {
			f, ok := e.index[s.Field]
			if !ok || f.System || f.Type != TypeTime || f.Compute != nil {
				return fmt.Errorf("event %q stamps %q, which is not a declared time field callers may set", t.Event, s.Field)
			}
		}
	}
	return nil
}
