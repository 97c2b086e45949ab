package storage

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/crmkit/crmkit/crm"
)

// Op is a write operation of the pipeline.
type Op int

// Write operations.
const (
	OpCreate   Op = iota + 1 // a new record
	OpUpdate                 // changed fields, or a link removed by a delete
	OpDelete                 // a record removed, by a caller or a cascade
	OpSetState               // a lifecycle event
	OpAssign                 // a new owner
)

func (o Op) String() string {
	switch o {
	case OpCreate:
		return "create"
	case OpUpdate:
		return "update"
	case OpDelete:
		return "delete"
	case OpSetState:
		return "set state"
	case OpAssign:
		return "assign"
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// Stage is where in the write path a hook runs.
type Stage int

// Stages, in the order they run (Dynamics' PreValidation, PreOperation,
// PostOperation and asynchronous post-operation steps).
const (
	// PreValidation hooks run before the operation's transaction begins
	// and before anything is validated or read: the place to refuse a
	// request cheaply, or to change it (Event.Target's Fields, an
	// Execution's Inputs). An error refuses the request having changed
	// nothing. When the operation joins a transaction already under way
	// (InTx, a named operation, a hook's write), they run inside that
	// transaction, as in Dynamics, and Event.InTransaction says so.
	PreValidation Stage = iota + 1
	// PreOperation hooks run in the transaction after validation and
	// before the write. They may change Event.Target's Fields (which are
	// validated again) and fail the operation by returning an error.
	PreOperation
	// PostOperation hooks run in the transaction after the write. Writes
	// they make through the store join the transaction; an error rolls the
	// whole operation back.
	PostOperation
	// AfterCommit hooks run once the outermost transaction has committed,
	// outside it. They cannot undo the operation; their errors go to the
	// store's logger.
	AfterCommit
)

func (s Stage) String() string {
	switch s {
	case PreValidation:
		return "pre-validation"
	case PreOperation:
		return "pre-operation"
	case PostOperation:
		return "post-operation"
	case AfterCommit:
		return "after-commit"
	}
	return fmt.Sprintf("Stage(%d)", int(s))
}

// Event is what a hook is told about the operation it watches.
type Event struct {
	Op     Op
	Entity *crm.Entity
	// Target is the record as the operation leaves it (for a delete, the
	// record being deleted). PreOperation hooks may change its Fields; the
	// header is the pipeline's. At PreValidation it is the request as the
	// caller made it, before any check: for an update or a state change,
	// the fields it changes and nothing else; for a delete or an
	// assignment, the record's entity and ID (and the new owner).
	// PreValidation hooks may change its Fields, which the operation then
	// writes.
	Target *crm.Record
	// Before is the stored record before the operation; nil on create,
	// and at PreValidation, which runs before anything is read.
	Before *crm.Record
	// Transition is the lifecycle event of an OpSetState.
	Transition string
	// Message is the name of the named operation (Store.Execute) the
	// write is part of, writes its hooks make included; "" for a write
	// made on its own. An update hook tells a "win" from a plain update
	// by it.
	Message string
	// Depth is 1 for an operation a caller started, and one more for each
	// level of operations started by hooks.
	Depth int
	// InTransaction reports whether the hook runs inside the operation's
	// transaction: false at AfterCommit, and at PreValidation of an
	// operation that started none.
	InTransaction bool
	// Import reports that the write is part of an import (Store.Import):
	// a create that takes its state, status reason and creation time from
	// the data, or the update of the record an imported one matched by
	// its key. A hook that sends a welcome e-mail on create skips imports
	// by it. The writes the hook makes are live writes.
	Import bool

	exec *Execution // the named operation the write is part of
}

// changes reports whether ev sets or changes one of fields: at
// PreValidation (no Before yet), whether the request carries one; else
// whether its value differs from Before's.
func (ev *Event) changes(fields []string) bool {
	for _, f := range fields {
		if ev.Before == nil {
			if _, ok := ev.Target.Fields[f]; ok {
				return true
			}
			continue
		}
		if !crm.SameValue(ev.Before.Fields[f], ev.Target.Fields[f]) {
			return true
		}
	}
	return false
}

// Hook is a function the write path calls at one stage of one operation on
// one entity. Store calls it makes with ctx join the operation's
// transaction.
type Hook func(ctx context.Context, ev *Event) error

type hookKey struct {
	entity string
	op     Op
	stage  Stage
}

type messageKey struct {
	message string
	stage   Stage
}

// hookEntry is one registered hook, with its filtering attributes.
type hookEntry struct {
	fields []string // nil: every write
	h      Hook
}

// hookTable is every hook of a store. It is copied on write: the write
// path reads it on every operation, without a lock.
type hookTable struct {
	entity  map[hookKey][]hookEntry
	message map[messageKey][]MessageHook
}

func newHookTable() *hookTable {
	return &hookTable{entity: map[hookKey][]hookEntry{}, message: map[messageKey][]MessageHook{}}
}

// Hook registers h to run at stage of op on entity. Hooks of one key run in
// the order they were registered.
func (s *Store) Hook(entity string, op Op, stage Stage, h Hook) error {
	return s.HookFields(entity, op, stage, nil, h)
}

// HookFields registers h like Hook, with filtering attributes (Dynamics'
// filteringattributes): for an update or a state change, h runs only when
// the write changes at least one of fields, so that a hook about a
// telephone number is not called for every change of a name. At
// PreValidation, before the stored record is read, it runs when the
// request carries one of them. Empty fields: every write, as Hook.
// Filtering attributes fit OpUpdate and OpSetState only, and must be
// declared fields of the entity.
func (s *Store) HookFields(entity string, op Op, stage Stage, fields []string, h Hook) error {
	e, err := s.entity(entity)
	if err != nil {
		return fmt.Errorf("register hook: %w", err)
	}
	if op < OpCreate || op > OpAssign || stage < PreValidation || stage > AfterCommit {
		return fmt.Errorf("register hook: unknown op %v or stage %v", op, stage)
	}
	if h == nil {
		return fmt.Errorf("register hook on %s %s: no hook", op, entity)
	}
	if len(fields) > 0 && op != OpUpdate && op != OpSetState {
		return fmt.Errorf("register hook on %s %s: filtering attributes fit updates and state changes only", op, entity)
	}
	for _, f := range fields {
		if fd, ok := e.Field(f); !ok || fd.System {
			return fmt.Errorf("register hook on %s %s: filtering attribute %q is not a declared field", op, entity, f)
		}
	}
	s.updateHooks(func(t *hookTable) {
		k := hookKey{entity, op, stage}
		t.entity[k] = append(slices.Clip(t.entity[k]), hookEntry{fields: slices.Clone(fields), h: h})
	})
	return nil
}

// updateHooks changes a copy of the hook table and publishes it.
func (s *Store) updateHooks(change func(t *hookTable)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.hooks.Load()
	t := &hookTable{entity: maps.Clone(old.entity), message: maps.Clone(old.message)}
	change(t)
	s.hooks.Store(t)
}

func (s *Store) hooksFor(entity string, op Op, stage Stage) []hookEntry {
	return s.hooks.Load().entity[hookKey{entity, op, stage}]
}

// call is what a context says about the operation that runs in it.
type call struct {
	depth int        // the depth of the hook that made the call; 0 for a caller
	exec  *Execution // the named operation under way, if any
	// importing: the operation is an import (Store.Import). Hooks get a
	// call of their own, so their writes are live.
	importing bool
}

type callKey struct{}

func callOf(ctx context.Context) call {
	c, _ := ctx.Value(callKey{}).(call)
	return c
}

func withCall(ctx context.Context, c call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

// runHooks calls the hooks of one stage; PreValidation, PreOperation and
// PostOperation ones run now, AfterCommit ones are queued on the
// transaction.
func (s *Store) runHooks(ctx context.Context, st *txState, stage Stage, ev *Event) error {
	hooks := s.hooksFor(ev.Entity.Name, ev.Op, stage)
	if len(hooks) == 0 {
		return nil
	}
	hctx := withCall(ctx, call{depth: ev.Depth, exec: ev.exec})
	if stage == AfterCommit {
		evCopy := *ev
		target := ev.Target.Clone()
		evCopy.Target = &target
		evCopy.InTransaction = false
		// After commit the transaction is gone: the hooks get a context
		// without it, and their own writes start new transactions.
		// Nor are their writes part of a named operation: it has ended.
		actx := context.WithValue(context.WithoutCancel(withCall(ctx, call{depth: ev.Depth})), txKey{}, nil)
		for _, en := range hooks {
			if en.fields != nil && !evCopy.changes(en.fields) {
				continue
			}
			st.afterCommit = append(st.afterCommit, func() {
				if err := en.h(actx, &evCopy); err != nil {
					s.logger.Error("crmkit: after-commit hook failed",
						"entity", ev.Entity.Name, "op", ev.Op.String(), "id", ev.Target.ID.String(), "error", err)
				}
			})
		}
		return nil
	}
	if stage != PreValidation {
		ev.InTransaction = true
	}
	for _, en := range hooks {
		if en.fields != nil && !ev.changes(en.fields) {
			continue
		}
		if err := en.h(hctx, ev); err != nil {
			return fmt.Errorf("%s hook on %s %s: %w", stage, ev.Op, ev.Entity.Name, err)
		}
	}
	return nil
}

// preValidate runs the PreValidation hooks of op on the request req and
// returns the request as they leave it, and whether there were any. They
// get a copy of req's Fields, which they may change. They run before the
// operation's transaction begins, or inside the one ctx carries, and
// their calls are one level deeper than the operation.
func (s *Store) preValidate(ctx context.Context, op Op, req crm.Record, transition string) (crm.Record, bool, error) {
	hooks := s.hooksFor(req.Entity, op, PreValidation)
	if len(hooks) == 0 {
		return req, false, nil
	}
	if _, ok := crm.CallerFrom(ctx); !ok {
		return req, false, crm.ErrNoCaller // before any hook sees the request
	}
	e, err := s.entity(req.Entity)
	if err != nil {
		return req, false, nil // the operation reports it
	}
	target := req // on the heap only when there are hooks
	target.Fields = req.Fields.Clone()
	if target.Fields == nil {
		target.Fields = crm.Fields{}
	}
	c := callOf(ctx)
	ev := &Event{Op: op, Entity: e, Target: &target, Transition: transition, Message: c.exec.name(),
		Depth: c.depth + 1, InTransaction: s.txFrom(ctx) != nil, Import: c.importing, exec: c.exec}
	if err := s.runHooks(ctx, nil, PreValidation, ev); err != nil {
		return req, true, err
	}
	target.Entity = e.Name
	return target, true, nil
}
