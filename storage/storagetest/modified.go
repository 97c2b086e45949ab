package storagetest

import (
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

// testModifiedOn checks that a record's modifiedon never goes back: a
// transaction's time is fixed when it begins, before it waits for a lock,
// so a writer that began earlier may write after one that began later.
// The clock set back stands in for that writer.
func testModifiedOn(t *testing.T, open Opener) {
	t.Run("AnUpdateWithAnEarlierTimeKeepsTheLaterOne", func(t *testing.T) {
		e := newEnv(t, open)
		r := e.create("task", crm.Fields{"subject": "Call"})
		e.clock.Set(now.Add(-time.Hour))
		// Hook-free with a known version: the one-statement update.
		up, err := e.store.Update(e.ctx, crm.Record{Entity: "task", Header: crm.Header{ID: r.ID, Version: r.Version},
			Fields: crm.Fields{"subject": "Call back"}})
		require.NoError(t, err)
		require.Equal(t, now, up.ModifiedOn, "the stored time, later than the writer's")
		require.Equal(t, up, e.get("task", r.ID), "stored as returned")

		// Any version: the path that reads the record first.
		up, err = e.store.Update(e.ctx, crm.Record{Entity: "task", Header: crm.Header{ID: r.ID, Version: storage.AnyVersion},
			Fields: crm.Fields{"subject": "Call again"}})
		require.NoError(t, err)
		require.Equal(t, now, up.ModifiedOn)
		require.Equal(t, up, e.get("task", r.ID))

		// A state change, which always reads first.
		done, err := e.store.SetState(e.ctx, r.Ref(), up.Version, "complete", 0)
		require.NoError(t, err)
		require.Equal(t, now, done.ModifiedOn)
		require.Equal(t, done, e.get("task", r.ID))
	})

	t.Run("ALaterTimeIsTaken", func(t *testing.T) {
		e := newEnv(t, open)
		r := e.create("task", crm.Fields{"subject": "Write"})
		e.clock.Set(now.Add(time.Minute))
		up, err := e.store.Update(e.ctx, crm.Record{Entity: "task", Header: crm.Header{ID: r.ID, Version: r.Version},
			Fields: crm.Fields{"subject": "Write up"}})
		require.NoError(t, err)
		require.Equal(t, now.Add(time.Minute), up.ModifiedOn)
		require.Equal(t, up, e.get("task", r.ID))
	})
}
