package storage

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/crmkit/crmkit/crm"
)

// Execution is one run of a named operation (Store.Execute): what its
// function and the hooks registered for its message see. Domain operations
// (qualify a lead, win an opportunity, convert a quote, resolve a case,
// merge) are named operations, as they are messages in Dynamics, so hooks
// can watch and stop them by name.
type Execution struct {
	// Message is the operation's name ("WinOpportunity").
	Message string
	// Inputs are the request's parameters. PreValidation and PreOperation
	// hooks may change them before the operation's function reads them.
	Inputs map[string]any
	// Outputs are the operation's results, for the function and the
	// PostOperation hooks to set and read.
	Outputs map[string]any
	// Depth is 1 for an operation a caller started, one more for each
	// level of hooks that started it.
	Depth int
	// InTransaction reports whether the hook runs inside the operation's
	// transaction, as Event.InTransaction does.
	InTransaction bool
	// Parent is the named operation this one runs inside, or nil.
	Parent *Execution

	writes []Event
}

// Writes returns every write the operation has made so far, in order,
// the writes of hooks and of named operations inside it included: at
// PostOperation, every record it touched, each as it was left (Target) and
// as it was before (Before; nil for a create).
func (x *Execution) Writes() []Event {
	out := make([]Event, len(x.writes))
	for i, ev := range x.writes {
		target := ev.Target.Clone()
		ev.Target = &target
		if ev.Before != nil {
			before := ev.Before.Clone()
			ev.Before = &before
		}
		out[i] = ev
	}
	return out
}

// name returns the message of x; "" for no operation.
func (x *Execution) name() string {
	if x == nil {
		return ""
	}
	return x.Message
}

// within reports whether x is the named operation message or runs inside
// one.
func (x *Execution) within(message string) bool {
	for ; x != nil; x = x.Parent {
		if x.Message == message {
			return true
		}
	}
	return false
}

// record adds a write to x and to the operations x runs inside.
func (x *Execution) record(ev *Event) {
	c := *ev
	target := ev.Target.Clone()
	c.Target = &target
	c.exec = nil
	for ; x != nil; x = x.Parent {
		x.writes = append(x.writes, c)
	}
}

// snapshot returns a copy of x for hooks that run after the commit.
func (x *Execution) snapshot() *Execution {
	c := *x
	c.Inputs = maps.Clone(x.Inputs)
	c.Outputs = maps.Clone(x.Outputs)
	c.writes = slices.Clone(x.writes)
	c.InTransaction = false
	return &c
}

// MessageHook is a function the store calls at one stage of a named
// operation. Store calls it makes with ctx join the operation's
// transaction (from PreOperation to PostOperation), and are writes of the
// operation.
type MessageHook func(ctx context.Context, x *Execution) error

// HookMessage registers h to run at stage of every named operation called
// message (Execute), in the order hooks were registered:
//
//   - PreValidation: before the operation's transaction begins; it may
//     change x.Inputs or refuse the operation, which then changes nothing;
//   - PreOperation: in the transaction, before the operation's function;
//     it may change x.Inputs, and its error rolls everything back;
//   - PostOperation: in the transaction, after the function; x.Writes()
//     holds every record the operation touched and x.Outputs its results;
//     its error rolls the whole operation back;
//   - AfterCommit: after the commit, on a copy of x; errors are logged.
func (s *Store) HookMessage(message string, stage Stage, h MessageHook) error {
	if message == "" || h == nil {
		return errors.New("register message hook: a message name and a hook are needed")
	}
	if stage < PreValidation || stage > AfterCommit {
		return fmt.Errorf("register message hook on %s: unknown stage %v", message, stage)
	}
	s.updateHooks(func(t *hookTable) {
		k := messageKey{message, stage}
		t.message[k] = append(slices.Clip(t.message[k]), h)
	})
	return nil
}

// Execute runs the named operation message as one unit through the write
// path: fn does its work with the context it is given, and every write it
// makes (and every write the hooks it triggers make) is part of one
// transaction, carries the message's name (Event.Message) and is recorded
// in the Execution. The hooks registered for message (HookMessage) run
// around fn: PreValidation ones before the transaction, PreOperation ones
// before fn, PostOperation ones after it, AfterCommit ones after the
// commit. An error from fn or from any hook rolls back everything the
// operation wrote and is returned wrapped in the message's name.
//
// inputs are the request's parameters; fn reads them from x.Inputs, as
// hooks may have changed them. Like InTx, fn may run more than once when
// the database asks for a retry (each run starts from the inputs as the
// PreValidation hooks left them), and a nested Execute joins the
// transaction it runs in: its writes are the outer operation's writes too.
// A context naming no caller is refused (crm.ErrNoCaller) before any hook
// runs.
func (s *Store) Execute(ctx context.Context, message string, inputs map[string]any,
	fn func(ctx context.Context, x *Execution) error) error {
	if message == "" {
		return errors.New("execute: no message name")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", message, err)
	}
	if _, ok := crm.CallerFrom(ctx); !ok {
		// An operation writes: refuse it before any hook sees it.
		return fmt.Errorf("%s: %w", message, crm.ErrNoCaller)
	}
	outer := callOf(ctx)
	x := &Execution{Message: message, Inputs: maps.Clone(inputs), Outputs: map[string]any{},
		Depth: outer.depth + 1, InTransaction: s.txFrom(ctx) != nil, Parent: outer.exec}
	if x.Inputs == nil {
		x.Inputs = map[string]any{}
	}
	if x.Depth > MaxDepth {
		return fmt.Errorf("%s: %w: depth %d is over %d", message, ErrTooDeep, x.Depth, MaxDepth)
	}
	// PreValidation hooks' own writes are not the operation's: they run
	// before it, in transactions of their own.
	if err := s.runMessageHooks(withCall(ctx, call{depth: x.Depth, exec: outer.exec}), nil, PreValidation, x); err != nil {
		return fmt.Errorf("%s: %w", message, err)
	}
	inputs = x.Inputs
	err := s.InTx(ctx, func(ctx context.Context) error {
		x.Inputs, x.Outputs, x.writes, x.InTransaction = maps.Clone(inputs), map[string]any{}, nil, true
		st := s.txFrom(ctx)
		// The hooks' writes are one level deeper than the operation; its
		// function's writes are at the operation's level.
		hctx := withCall(ctx, call{depth: x.Depth, exec: x})
		if err := s.runMessageHooks(hctx, st, PreOperation, x); err != nil {
			return err
		}
		if err := fn(withCall(ctx, call{depth: outer.depth, exec: x}), x); err != nil {
			return err
		}
		if err := s.runMessageHooks(hctx, st, PostOperation, x); err != nil {
			return err
		}
		return s.runMessageHooks(hctx, st, AfterCommit, x)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", message, err)
	}
	return nil
}

// runMessageHooks calls the hooks of one stage of a named operation;
// AfterCommit ones are queued on the transaction with a copy of x.
func (s *Store) runMessageHooks(ctx context.Context, st *txState, stage Stage, x *Execution) error {
	hooks := s.hooks.Load().message[messageKey{x.Message, stage}]
	if len(hooks) == 0 {
		return nil
	}
	if stage == AfterCommit {
		snap := x.snapshot()
		actx := context.WithValue(context.WithoutCancel(withCall(ctx, call{depth: x.Depth})), txKey{}, nil)
		for _, h := range hooks {
			st.afterCommit = append(st.afterCommit, func() {
				if err := h(actx, snap); err != nil {
					s.logger.Error("crmkit: after-commit hook failed", "message", x.Message, "error", err)
				}
			})
		}
		return nil
	}
	for _, h := range hooks {
		if err := h(ctx, x); err != nil {
			return fmt.Errorf("%s hook on %s: %w", stage, x.Message, err)
		}
	}
	return nil
}
