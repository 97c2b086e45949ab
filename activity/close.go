package activity

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// Policy is what CloseOpen does with the open activities of a record
// that closes (activities C5).
type Policy int

// Policies.
const (
	// Block refuses: the record cannot close while activities regarding
	// it are open (a case canceled, or resolved as CRM 2011 did).
	Block Policy = iota + 1
	// Cancel cancels every open activity regarding the record, each with
	// its type's Canceled default status reason (a case resolved as the
	// current Customer Service does after confirmation).
	Cancel
)

// ErrOpenActivities matches an *OpenActivitiesError.
var ErrOpenActivities = errors.New("open activities")

// OpenActivitiesError is CloseOpen's refusal under Block: the open
// activities regarding the record.
type OpenActivitiesError struct {
	Regarding crm.Ref
	Open      []crm.Ref // each as a record of its type
}

func (e *OpenActivitiesError) Error() string {
	names := make([]string, len(e.Open))
	for i, r := range e.Open {
		names[i] = r.Entity + " " + r.ID.String()
	}
	return fmt.Sprintf("%s %s has %d open activities: %s", e.Regarding.Entity, e.Regarding.ID, len(e.Open), strings.Join(names, ", "))
}

// Is makes errors.Is(err, ErrOpenActivities) hold.
func (e *OpenActivitiesError) Is(target error) bool { return target == ErrOpenActivities }

// OpenFilter is the condition on activitypointer of open activities: in
// the Open or Scheduled state, the states that are not read-only.
func OpenFilter() crm.Filter {
	return crm.In(crm.FieldState, int32(StateOpen), int32(StateScheduled))
}

// CloseOpen applies policy to the open activities regarding a record
// that is closing, inside the caller's transaction (ctx's, else its own):
// the hook the service and marketing modules call when a case is
// resolved or canceled, or a campaign activity closed. Under Block it
// returns an *OpenActivitiesError (errors.Is ErrOpenActivities) listing
// them, if there are any, having changed nothing; under Cancel it cancels
// each (EventCancel, stamping its actual end) and returns their number.
// What the calling module does next (refuse, or close the record) is its
// own: see activities C5 for which policy fits which record.
func CloseOpen(ctx context.Context, st *storage.Store, regarding crm.Ref, policy Policy) (int, error) {
	if policy != Block && policy != Cancel {
		return 0, fmt.Errorf("close open activities: %w", crm.Invalid(PointerEntity, "policy", fmt.Sprintf("%d is neither Block nor Cancel", policy)))
	}
	n := 0
	err := st.InTx(ctx, func(ctx context.Context) error {
		var open []crm.Record
		for rec, err := range st.Iterate(ctx, crm.Query{Entity: PointerEntity,
			Where: crm.And(RegardingFilter(regarding), OpenFilter())}) {
			if err != nil {
				return err
			}
			open = append(open, rec)
		}
		if len(open) == 0 {
			return nil
		}
		if policy == Block {
			refs := make([]crm.Ref, len(open))
			for i, r := range open {
				refs[i] = crm.Ref{Entity: r.Fields.String(FieldType), ID: r.ID}
			}
			return &OpenActivitiesError{Regarding: regarding, Open: refs}
		}
		for _, r := range open {
			ref := crm.Ref{Entity: r.Fields.String(FieldType), ID: r.ID}
			if _, err := st.SetState(ctx, ref, r.Version, EventCancel, 0); err != nil {
				return fmt.Errorf("cancel %s %s: %w", ref.Entity, ref.ID, err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("close open activities of %s %s: %w", regarding.Entity, regarding.ID, err)
	}
	return n, nil
}
