package storagetest

import (
	"context"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

// gatedSchema adds "chore", a task whose complete event fires only inside
// the named operation "CompleteChore" (crm.Transition.Operation), as
// winning an opportunity fires only inside WinOpportunity, and whose
// subject changes only inside "RenameChore" (a rule reading
// crm.Write.Operations), as an opportunity's sales stage moves only
// through its sales process.
func gatedSchema(reg *crm.Registry) {
	lc := taskEntity().Lifecycle
	for i := range lc.Transitions {
		if lc.Transitions[i].Event == "complete" {
			lc.Transitions[i].Operation = "CompleteChore"
		}
	}
	rename := crm.Rule{Name: "subject changes by RenameChore", Fields: []string{"subject"},
		Check: func(_ context.Context, w crm.Write) error {
			if w.Before == nil || w.In("RenameChore") || w.Import {
				return nil
			}
			return crm.Invalid("chore", "subject", "changes only through RenameChore")
		}}
	err := reg.Register(&crm.Entity{Name: "chore", PrimaryName: "subject", Lifecycle: lc, Fields: []crm.Field{
		{Name: "subject", Type: crm.TypeText, MaxLength: 200, Required: true},
	}, Rules: []crm.Rule{rename}})
	if err != nil {
		panic("storagetest: gated schema: " + err.Error())
	}
}

func testOperationTransitions(t *testing.T, open Opener) {
	t.Run("RefusedOutsideItsOperation", func(t *testing.T) {
		e := newEnvChanged(t, open, gatedSchema)
		r := e.create("chore", crm.Fields{"subject": "Sweep"})
		_, err := e.store.SetState(e.ctx, r.Ref(), r.Version, "complete", 0)
		var te *crm.TransitionError
		require.ErrorAs(t, err, &te)
		require.ErrorIs(t, err, crm.ErrInvalidTransition)
		require.Equal(t, "CompleteChore", te.Operation)
		require.Equal(t, r, e.get("chore", r.ID), "nothing changed")

		err = e.store.Execute(e.ctx, "OtherOperation", nil, func(ctx context.Context, _ *storage.Execution) error {
			_, err := e.store.SetState(ctx, r.Ref(), r.Version, "complete", 0)
			return err
		})
		require.ErrorIs(t, err, crm.ErrInvalidTransition, "another operation does not open the gate")
		require.Equal(t, r, e.get("chore", r.ID))

		// Other events of the lifecycle are not gated.
		_, err = e.store.SetState(e.ctx, r.Ref(), r.Version, "cancel", 0)
		require.NoError(t, err)
	})

	t.Run("AllowedInsideItAndNested", func(t *testing.T) {
		e := newEnvChanged(t, open, gatedSchema)
		r := e.create("chore", crm.Fields{"subject": "Dust"})
		var done crm.Record
		err := e.store.Execute(e.ctx, "CompleteChore", nil, func(ctx context.Context, _ *storage.Execution) error {
			return e.store.Execute(ctx, "Inner", nil, func(ctx context.Context, _ *storage.Execution) error {
				var err error
				done, err = e.store.SetState(ctx, r.Ref(), r.Version, "complete", 0)
				return err
			})
		})
		require.NoError(t, err)
		require.Equal(t, done, e.get("chore", r.ID))
		require.Equal(t, crm.StateCode(1), done.State)
	})

	t.Run("HookOfTheOperationMayFireIt", func(t *testing.T) {
		e := newEnvChanged(t, open, gatedSchema)
		r := e.create("chore", crm.Fields{"subject": "Mop"})
		require.NoError(t, e.store.HookMessage("CompleteChore", storage.PostOperation, func(ctx context.Context, x *storage.Execution) error {
			_, err := e.store.SetState(ctx, r.Ref(), r.Version, "complete", 0)
			return err
		}))
		require.NoError(t, e.store.Execute(e.ctx, "CompleteChore", nil, func(context.Context, *storage.Execution) error { return nil }))
		require.Equal(t, crm.StateCode(1), e.get("chore", r.ID).State)
	})

	t.Run("RulesSeeTheOperations", func(t *testing.T) {
		e := newEnvChanged(t, open, gatedSchema)
		r := e.create("chore", crm.Fields{"subject": "Iron"})
		_, err := e.store.Update(e.ctx, crm.Record{Entity: "chore", Header: crm.Header{ID: r.ID, Version: r.Version}, Fields: crm.Fields{"subject": "Press"}})
		require.ErrorIs(t, err, crm.ErrValidation)
		require.Equal(t, r, e.get("chore", r.ID))
		err = e.store.Execute(e.ctx, "RenameChore", nil, func(ctx context.Context, _ *storage.Execution) error {
			return e.store.Execute(ctx, "Inner", nil, func(ctx context.Context, _ *storage.Execution) error {
				_, err := e.store.Update(ctx, crm.Record{Entity: "chore", Header: crm.Header{ID: r.ID, Version: r.Version}, Fields: crm.Fields{"subject": "Press"}})
				return err
			})
		})
		require.NoError(t, err, "the outer operation counts")
		require.Equal(t, "Press", e.get("chore", r.ID).Fields.String("subject"))
	})

	t.Run("ImportTakesTheStateUngated", func(t *testing.T) {
		e := newEnvChanged(t, open, gatedSchema)
		rec := crm.Record{Entity: "chore", Header: crm.Header{ID: crm.NewID(), State: taskCompleted, Status: statusCompleted}, Fields: crm.Fields{"subject": "Old"}}
		got, err := e.store.Import(e.ctx, []crm.Record{rec}, storage.ImportOptions{})
		require.NoError(t, err)
		require.Equal(t, crm.StateCode(1), got[0].Record.State)
		require.Equal(t, crm.StateCode(1), e.get("chore", rec.ID).State)
	})
}
