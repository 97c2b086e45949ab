package crm_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
)

func TestLifecycleFire(t *testing.T) {
	lc := entity(t, testRegistry(t), "account").Lifecycle

	t.Run("an allowed event moves to its state", func(t *testing.T) {
		to, err := lc.Fire("account", stateActive, "deactivate")
		require.NoError(t, err)
		require.Equal(t, stateInactive, to)
		to, err = lc.Fire("account", stateInactive, "activate")
		require.NoError(t, err)
		require.Equal(t, stateActive, to)
	})
	t.Run("an event back to the same state is allowed", func(t *testing.T) {
		to, err := lc.Fire("account", stateActive, "touch")
		require.NoError(t, err)
		require.Equal(t, stateActive, to)
	})
	t.Run("an event from the wrong state names entity, state and event", func(t *testing.T) {
		to, err := lc.Fire("account", stateInactive, "deactivate")
		require.ErrorIs(t, err, crm.ErrInvalidTransition)
		require.Equal(t, stateInactive, to, "a refused event leaves the state")
		var terr *crm.TransitionError
		require.ErrorAs(t, err, &terr)
		require.Equal(t, crm.TransitionError{Entity: "account", State: "Inactive", Event: "deactivate"}, *terr)
		require.Equal(t, `invalid transition: account in state "Inactive" cannot "deactivate"`, err.Error())
	})
	t.Run("an unknown event is refused", func(t *testing.T) {
		_, err := lc.Fire("account", stateActive, "explode")
		var terr *crm.TransitionError
		require.ErrorAs(t, err, &terr)
		require.Equal(t, "explode", terr.Event)
	})
	t.Run("an undeclared state refuses every event", func(t *testing.T) {
		_, err := lc.Fire("account", 7, "activate")
		var terr *crm.TransitionError
		require.ErrorAs(t, err, &terr)
		require.Equal(t, "7", terr.State)
	})
}

func TestLifecycleTables(t *testing.T) {
	lc := entity(t, testRegistry(t), "account").Lifecycle

	t.Run("a status reason belongs to one state", func(t *testing.T) {
		require.True(t, lc.Belongs(statusActive, stateActive))
		require.True(t, lc.Belongs(statusOnHold, stateActive))
		require.False(t, lc.Belongs(statusClosed, stateActive))
		require.True(t, lc.Belongs(statusClosed, stateInactive))
		require.False(t, lc.Belongs(99, stateActive), "an undeclared status belongs nowhere")
		require.False(t, lc.Belongs(0, stateActive), "no status belongs nowhere")
	})
	t.Run("lookups by code", func(t *testing.T) {
		s, ok := lc.State(stateInactive)
		require.True(t, ok)
		require.True(t, s.ReadOnly)
		_, ok = lc.State(9)
		require.False(t, ok)
		st, ok := lc.Status(statusOnHold)
		require.True(t, ok)
		require.Equal(t, "On hold", st.Name)
		_, ok = lc.Status(9)
		require.False(t, ok)
		require.Equal(t, "Active", lc.StateName(stateActive))
		require.Equal(t, "9", lc.StateName(9))
	})
	t.Run("events allowed from a state, in declaration order", func(t *testing.T) {
		require.Equal(t, []string{"deactivate", "touch"}, lc.Events(stateActive))
		require.Equal(t, []string{"activate"}, lc.Events(stateInactive))
		require.Empty(t, lc.Events(9))
		reversed := withTransitions(
			crm.Transition{Event: "zap", From: []crm.StateCode{stateActive}, To: stateInactive},
			crm.Transition{Event: "archive", From: []crm.StateCode{stateActive}, To: stateInactive},
		)
		for range 20 {
			require.Equal(t, []string{"zap", "archive"}, reversed.Events(stateActive), "the order never changes")
		}
	})
	t.Run("the mermaid drawing lists every transition from the initial state", func(t *testing.T) {
		got, err := lc.Mermaid()
		require.NoError(t, err)
		want := strings.Join([]string{
			"stateDiagram-v2",
			"    [*] --> Active",
			"    Active --> Inactive: deactivate",
			"    Active --> Active: touch",
			"    Inactive --> Active: activate",
			"",
		}, "\n")
		require.Equal(t, want, got)
		again, err := lc.Mermaid()
		require.NoError(t, err)
		require.Equal(t, got, again, "the drawing is stable, so docs can be checked against it")
	})
	t.Run("the registry's lifecycle is its own copy", func(t *testing.T) {
		src := accountLifecycle()
		reg := crm.NewRegistry()
		require.NoError(t, reg.Register(&crm.Entity{Name: "thing", Lifecycle: src}))
		src.Transitions[0].From[0] = stateInactive
		_, err := entity(t, reg, "thing").Lifecycle.Fire("thing", stateActive, "deactivate")
		require.NoError(t, err)
	})
}
