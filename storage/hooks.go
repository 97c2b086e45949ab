package storage

import (
	"context"
	"fmt"
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

// Stages, in the order they run.
const (
	// PreOperation hooks run in the transaction after validation and
	// before the write. They may change Event.Target's Fields (which are
	// validated again) and fail the operation by returning an error.
	PreOperation Stage = iota + 1
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
	// header is the pipeline's.
	Target *crm.Record
	// Before is the stored record before the operation; nil on create.
	Before *crm.Record
	// Transition is the lifecycle event of an OpSetState.
	Transition string
	// Depth is 1 for an operation a caller started, and one more for each
	// level of operations started by hooks.
	Depth int
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

// Hook registers h to run at stage of op on entity. Hooks of one key run in
// the order they were registered.
func (s *Store) Hook(entity string, op Op, stage Stage, h Hook) error {
	if _, err := s.entity(entity); err != nil {
		return fmt.Errorf("register hook: %w", err)
	}
	if op < OpCreate || op > OpAssign || stage < PreOperation || stage > AfterCommit {
		return fmt.Errorf("register hook: unknown op %v or stage %v", op, stage)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Copy on write: the write path reads the table on every operation.
	old := *s.hooks.Load()
	table := make(map[hookKey][]Hook, len(old)+1)
	for k, v := range old {
		table[k] = v
	}
	k := hookKey{entity, op, stage}
	table[k] = append(slices.Clip(table[k]), h)
	s.hooks.Store(&table)
	return nil
}

func (s *Store) hooksFor(entity string, op Op, stage Stage) []Hook {
	return (*s.hooks.Load())[hookKey{entity, op, stage}]
}

type depthKey struct{}

func depthOf(ctx context.Context) int {
	d, _ := ctx.Value(depthKey{}).(int)
	return d
}

// runHooks calls the hooks of one stage; PreOperation and PostOperation
// run now, AfterCommit ones are queued on the transaction.
func (s *Store) runHooks(ctx context.Context, st *txState, stage Stage, ev *Event) error {
	hooks := s.hooksFor(ev.Entity.Name, ev.Op, stage)
	if len(hooks) == 0 {
		return nil
	}
	hctx := context.WithValue(ctx, depthKey{}, ev.Depth)
	if stage == AfterCommit {
		evCopy := *ev
		target := ev.Target.Clone()
		evCopy.Target = &target
		// After commit the transaction is gone: the hooks get a context
		// without it, and their own writes start new transactions.
		actx := context.WithValue(context.WithoutCancel(hctx), txKey{}, nil)
		for _, h := range hooks {
			st.afterCommit = append(st.afterCommit, func() {
				if err := h(actx, &evCopy); err != nil {
					s.logger.Error("crmkit: after-commit hook failed",
						"entity", ev.Entity.Name, "op", ev.Op.String(), "id", ev.Target.ID.String(), "error", err)
				}
			})
		}
		return nil
	}
	for _, h := range hooks {
		if err := h(hctx, ev); err != nil {
			return fmt.Errorf("%s hook on %s %s: %w", stage, ev.Op, ev.Entity.Name, err)
		}
	}
	return nil
}
