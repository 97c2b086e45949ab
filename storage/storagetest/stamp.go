package storagetest

import (
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

// stampSchema adds "errand", a task whose complete and cancel events stamp
// actualend (always) and actualstart (when empty), as closing an activity
// does, and closedon, a date-only field, on complete.
func stampSchema(reg *crm.Registry) {
	lc := taskEntity().Lifecycle
	for i := range lc.Transitions {
		switch lc.Transitions[i].Event {
		case "complete":
			lc.Transitions[i].Stamps = []crm.Stamp{{Field: "actualend"}, {Field: "actualstart", IfEmpty: true}, {Field: "closedon"}}
		case "cancel":
			lc.Transitions[i].Stamps = []crm.Stamp{{Field: "actualend"}, {Field: "actualstart", IfEmpty: true}}
		}
	}
	err := reg.Register(&crm.Entity{Name: "errand", PrimaryName: "subject", Lifecycle: lc, Fields: []crm.Field{
		{Name: "subject", Type: crm.TypeText, MaxLength: 200, Required: true},
		{Name: "actualstart", Type: crm.TypeTime},
		{Name: "actualend", Type: crm.TypeTime},
		{Name: "closedon", Type: crm.TypeTime, DateOnly: true},
		{Name: "minutes", Type: crm.TypeInteger, Compute: func(f crm.Fields) any {
			s, e := f.Time("actualstart"), f.Time("actualend")
			if s.IsZero() || e.IsZero() {
				return nil
			}
			return int64(e.Sub(s) / time.Minute)
		}},
	}})
	if err != nil {
		panic("storagetest: stamp schema: " + err.Error())
	}
}

func testStamps(t *testing.T, open Opener) {
	t.Run("CloseStampsEndAndEmptyStart", func(t *testing.T) {
		e := newEnvChanged(t, open, stampSchema)
		r := e.create("errand", crm.Fields{"subject": "Call back"})
		e.clock.Advance(90 * time.Minute)
		closed, err := e.store.SetState(e.ctx, r.Ref(), r.Version, "complete", 0)
		require.NoError(t, err)
		at := now.Add(90 * time.Minute)
		require.Equal(t, at, closed.Fields.Time("actualend"))
		require.Equal(t, at, closed.Fields.Time("actualstart"), "an empty actual start is stamped too")
		require.Equal(t, time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC), closed.Fields.Time("closedon"),
			"a date-only field gets the date")
		require.EqualValues(t, 0, closed.Fields.Int("minutes"), "computed fields see the stamps")
		require.Equal(t, closed.Fields, e.get("errand", r.ID).Fields, "stored as returned")
	})

	t.Run("KeptStartAndGivenValuesWin", func(t *testing.T) {
		e := newEnvChanged(t, open, stampSchema)
		started := now.Add(-time.Hour)
		r := e.create("errand", crm.Fields{"subject": "Visit", "actualstart": started})
		e.clock.Advance(time.Minute)
		closed, err := e.store.SetState(e.ctx, r.Ref(), r.Version, "cancel", 0)
		require.NoError(t, err)
		require.Equal(t, started, closed.Fields.Time("actualstart"), "IfEmpty keeps a value")
		require.Equal(t, now.Add(time.Minute), closed.Fields.Time("actualend"))
		require.EqualValues(t, 61, closed.Fields.Int("minutes"))

		reopened, err := e.store.SetState(e.ctx, r.Ref(), closed.Version, "reopen", 0)
		require.NoError(t, err)
		require.Equal(t, closed.Fields.Time("actualend"), reopened.Fields.Time("actualend"), "an event without stamps stamps nothing")

		ended := now.Add(-30 * time.Minute)
		again, err := e.store.ChangeState(e.ctx, r.Ref(), storage.StateChange{Event: "complete", Version: reopened.Version,
			Fields: crm.Fields{"actualend": ended, "closedon": nil}})
		require.NoError(t, err)
		require.Equal(t, ended, again.Fields.Time("actualend"), "a value the state change gives wins over the stamp")
		require.NotContains(t, again.Fields, "closedon", "so does a value it clears")
		require.EqualValues(t, 30, again.Fields.Int("minutes"))
	})

	t.Run("RefusedTransitionStampsNothing", func(t *testing.T) {
		e := newEnvChanged(t, open, stampSchema)
		r := e.create("errand", crm.Fields{"subject": "Write"})
		_, err := e.store.SetState(e.ctx, r.Ref(), r.Version, "reopen", 0)
		require.ErrorIs(t, err, crm.ErrInvalidTransition)
		require.NotContains(t, e.get("errand", r.ID).Fields, "actualend")
	})

	t.Run("StampsMustNameTimeFields", func(t *testing.T) {
		reg := crm.NewRegistry()
		lc := taskEntity().Lifecycle
		lc.Transitions[0].Stamps = []crm.Stamp{{Field: "subject"}}
		err := reg.Register(&crm.Entity{Name: "bad", Lifecycle: lc, Fields: []crm.Field{{Name: "subject", Type: crm.TypeText}}})
		require.ErrorContains(t, err, "stamps")
	})
}
