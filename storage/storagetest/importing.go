package storagetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

// keySchema is the test schema with alternate keys and a rule:
//
//   - account: "accountnumber" (text: case-insensitive);
//   - contact: "parentemail", composite (parentcustomerid, a polymorphic
//     lookup, and emailaddress1);
//   - task: "subject", and the rule "a completed task has a duration".
func keySchema() *crm.Registry {
	acc, con, tk := accountEntity(), contactEntity(), taskEntity()
	acc.Keys = []crm.Key{{Name: "accountnumber", Fields: []string{"accountnumber"}}}
	con.Keys = []crm.Key{{Name: "parentemail", Fields: []string{"parentcustomerid", "emailaddress1"}}}
	tk.Keys = []crm.Key{{Name: "subject", Fields: []string{"subject"}}}
	tk.Rules = []crm.Rule{{Name: "a completed task has a duration", Check: func(_ context.Context, w crm.Write) error {
		if w.Target.State == taskCompleted && w.Target.Fields["durationminutes"] == nil {
			return crm.Invalid(task, "durationminutes", "is needed once the task is completed")
		}
		return nil
	}}}
	reg := crm.NewRegistry()
	if err := reg.Register(acc, con, tk, orderEntity()); err != nil {
		panic("storagetest: key schema: " + err.Error())
	}
	return reg
}

func newKeyEnv(t *testing.T, open Opener) *env {
	t.Helper()
	reg := keySchema()
	return newEnvFor(t, open(t, reg), reg)
}

// requireDuplicateKey checks that err is a duplicate of the named key.
func requireDuplicateKey(t *testing.T, err error, key string) {
	t.Helper()
	require.ErrorIs(t, err, crm.ErrDuplicate)
	var dup *crm.DuplicateKeyError
	require.ErrorAs(t, err, &dup, "the error names the key: %v", err)
	require.Equal(t, key, dup.Key)
}

// testImport checks import mode (Store.Import): records created in any
// valid state with their original creation time, validated, seen by
// hooks as imports; and upserts by key that make a second run a no-op.
func testImport(t *testing.T, open Opener) {
	original := time.Date(2019, 6, 3, 8, 15, 0, 0, time.UTC)

	t.Run("records are created in any state with their original creation time", func(t *testing.T) {
		e := newKeyEnv(t, open)
		e.clock.Set(now.Add(time.Hour))
		importedAt := now.Add(time.Hour)
		out, err := e.store.Import(e.ctx, []crm.Record{
			{Entity: task, Header: crm.Header{State: taskCompleted, Status: statusCompleted, CreatedOn: original},
				Fields: crm.Fields{"subject": "Closed long ago", "durationminutes": 30}},
			{Entity: task, Header: crm.Header{State: taskCanceled, CreatedOn: original.Add(time.Minute)},
				Fields: crm.Fields{"subject": "Canceled long ago"}},
			{Entity: task, Header: crm.Header{Status: statusInProgress}, Fields: crm.Fields{"subject": "Still open"}},
			{Entity: account, Header: crm.Header{CreatedOn: original}, Fields: crm.Fields{"name": "Old customer", "accountnumber": "OLD-1"}},
		}, storage.ImportOptions{})
		require.NoError(t, err)
		require.Len(t, out, 4)
		for _, o := range out {
			require.True(t, o.Created)
			require.Equal(t, o.Record, e.get(o.Record.Entity, o.Record.ID), "returned as stored")
			require.EqualValues(t, 1, o.Record.Version)
			require.Equal(t, crm.SystemUserID, o.Record.CreatedBy)
			require.True(t, importedAt.Equal(o.Record.ModifiedOn), "modified on is the time of the import")
		}
		closed, canceled, open, acc := out[0].Record, out[1].Record, out[2].Record, out[3].Record
		require.Equal(t, [2]int32{int32(taskCompleted), int32(statusCompleted)}, [2]int32{int32(closed.State), int32(closed.Status)})
		require.Equal(t, [2]int32{int32(taskCanceled), int32(statusCanceled)}, [2]int32{int32(canceled.State), int32(canceled.Status)}, "the state's default status")
		require.Equal(t, [2]int32{int32(taskOpen), int32(statusInProgress)}, [2]int32{int32(open.State), int32(open.Status)})
		require.True(t, original.Equal(closed.CreatedOn), "created on is the original: %s", closed.CreatedOn)
		require.True(t, importedAt.Equal(closed.OverriddenCreatedOn), "overridden created on is the time of the import")
		require.True(t, original.Equal(acc.CreatedOn))
		require.True(t, importedAt.Equal(open.CreatedOn), "no creation time given: created now")
		require.True(t, open.OverriddenCreatedOn.IsZero())
		require.Nil(t, open.Value(crm.FieldOverriddenCreatedOn))

		n, err := e.store.Count(e.ctx, crm.Query{Entity: task, Where: crm.NotNull(crm.FieldOverriddenCreatedOn)})
		require.NoError(t, err)
		require.EqualValues(t, 2, n, "imports are found by overriddencreatedon")
		older, err := e.store.Count(e.ctx, crm.Query{Entity: task, Where: crm.Lt(crm.FieldCreatedOn, now)})
		require.NoError(t, err)
		require.EqualValues(t, 2, older, "and by their original creation time")

		_, err = e.store.Update(e.ctx, crm.Record{Entity: task, Header: crm.Header{ID: closed.ID}, Fields: crm.Fields{"priority": 1}})
		require.ErrorIs(t, err, crm.ErrInvalidTransition, "an imported completed task is read-only like any other")
		reopened, err := e.store.SetState(e.ctx, closed.Ref(), 1, "reopen", 0)
		require.NoError(t, err, "and leaves its state through its lifecycle")
		require.True(t, original.Equal(reopened.CreatedOn))
	})

	t.Run("an import with a bad state, status or date writes nothing", func(t *testing.T) {
		e := newKeyEnv(t, open)
		e.create(account, crm.Fields{"name": "Existing"})
		before := e.dump()
		good := crm.Record{Entity: task, Fields: crm.Fields{"subject": "Fine"}}
		for _, c := range []struct {
			name  string
			rec   crm.Record
			field string
		}{
			{"a status of another state", crm.Record{Entity: task, Header: crm.Header{State: taskCompleted, Status: statusInProgress}, Fields: crm.Fields{"subject": "x", "durationminutes": 5}}, crm.FieldStatus},
			{"an open state with a closed status", crm.Record{Entity: task, Header: crm.Header{Status: statusCanceled}, Fields: crm.Fields{"subject": "x"}}, crm.FieldStatus},
			{"an unknown state", crm.Record{Entity: task, Header: crm.Header{State: 9}, Fields: crm.Fields{"subject": "x"}}, crm.FieldState},
			{"an unknown status", crm.Record{Entity: task, Header: crm.Header{Status: 99}, Fields: crm.Fields{"subject": "x"}}, crm.FieldStatus},
			{"a state without a lifecycle", crm.Record{Entity: account, Header: crm.Header{State: 1}, Fields: crm.Fields{"name": "x"}}, crm.FieldState},
			{"a creation time in the future", crm.Record{Entity: task, Header: crm.Header{CreatedOn: now.Add(time.Second)}, Fields: crm.Fields{"subject": "x"}}, crm.FieldCreatedOn},
			{"a creation time before the earliest time", crm.Record{Entity: task, Header: crm.Header{CreatedOn: crm.EarliestTime.Add(-time.Microsecond)}, Fields: crm.Fields{"subject": "x"}}, crm.FieldCreatedOn},
			{"a bad field value", crm.Record{Entity: task, Header: crm.Header{State: taskCanceled}, Fields: crm.Fields{"subject": "x", "priority": 7}}, "priority"},
			{"a rule broken in the imported state", crm.Record{Entity: task, Header: crm.Header{State: taskCompleted}, Fields: crm.Fields{"subject": "x"}}, "durationminutes"},
		} {
			_, err := e.store.Import(e.ctx, []crm.Record{good, c.rec}, storage.ImportOptions{})
			requireInvalid(t, err, c.field)
			require.Contains(t, err.Error(), "record 1", c.name)
			_, err = e.store.Import(e.ctx, []crm.Record{good, c.rec}, storage.ImportOptions{Key: "subject"})
			if c.rec.Entity == task {
				requireInvalid(t, err, c.field)
			} else {
				require.ErrorIs(t, err, crm.ErrNotFound, "account has no key subject")
			}
			require.Equal(t, before, e.dump(), c.name)
		}
		_, err := e.store.Create(e.ctx, crm.Record{Entity: task, Header: crm.Header{State: taskCompleted}, Fields: crm.Fields{"subject": "x", "durationminutes": 5}})
		requireInvalid(t, err, crm.FieldState)
		require.Equal(t, before, e.dump(), "a live create still starts in the initial state")
	})

	t.Run("hooks see an import and tell it from a live write", func(t *testing.T) {
		e := newKeyEnv(t, open)
		var (
			mu   sync.Mutex
			seen []string
		)
		note := func(stage storage.Stage) storage.Hook {
			return func(ctx context.Context, ev *storage.Event) error {
				mu.Lock()
				defer mu.Unlock()
				seen = append(seen, fmt.Sprintf("%s %s %s import=%t", stage, ev.Op, ev.Target.Fields.String("subject"), ev.Import))
				return nil
			}
		}
		for _, st := range []storage.Stage{storage.PreValidation, storage.PreOperation, storage.PostOperation, storage.AfterCommit} {
			require.NoError(t, e.store.Hook(task, storage.OpCreate, st, note(st)))
			require.NoError(t, e.store.Hook(task, storage.OpUpdate, st, note(st)))
		}
		// A hook's own write is a live one.
		require.NoError(t, e.store.Hook(account, storage.OpCreate, storage.PostOperation, func(ctx context.Context, ev *storage.Event) error {
			_, err := e.store.Create(ctx, crm.Record{Entity: task, Fields: crm.Fields{"subject": "Follow up " + ev.Target.Fields.String("name"), "regardingobjectid": ev.Target.Ref()}})
			return err
		}))
		_, err := e.store.Import(e.ctx, []crm.Record{
			{Entity: task, Header: crm.Header{State: taskCanceled}, Fields: crm.Fields{"subject": "Imported"}},
		}, storage.ImportOptions{})
		require.NoError(t, err)
		_, err = e.store.Import(e.ctx, []crm.Record{{Entity: account, Fields: crm.Fields{"name": "Acme"}}}, storage.ImportOptions{})
		require.NoError(t, err)
		e.create(task, crm.Fields{"subject": "Live"})
		_, _, err = e.store.Upsert(e.ctx, crm.Record{Entity: task, Fields: crm.Fields{"subject": "Live", "priority": 2}}, "subject")
		require.NoError(t, err)
		_, err = e.store.Import(e.ctx, []crm.Record{{Entity: task, Fields: crm.Fields{"subject": "live", "priority": 1}}}, storage.ImportOptions{Key: "subject"})
		require.NoError(t, err)
		mu.Lock()
		defer mu.Unlock()
		require.Equal(t, []string{
			"pre-validation create Imported import=true", "pre-operation create Imported import=true",
			"post-operation create Imported import=true", "after-commit create Imported import=true",
			"pre-validation create Follow up Acme import=false", "pre-operation create Follow up Acme import=false",
			"post-operation create Follow up Acme import=false", "after-commit create Follow up Acme import=false",
			"pre-validation create Live import=false", "pre-operation create Live import=false",
			"post-operation create Live import=false", "after-commit create Live import=false",
			// The update of an upsert: the request carries no key field.
			"pre-validation update  import=false", "pre-operation update Live import=false",
			"post-operation update Live import=false", "after-commit update Live import=false",
			"pre-validation update  import=true", "pre-operation update Live import=true",
			"post-operation update Live import=true", "after-commit update Live import=true",
		}, seen)
	})

	t.Run("an import by key run twice creates nothing twice and changes nothing", func(t *testing.T) {
		e := newKeyEnv(t, open)
		batch := func(city string) []crm.Record {
			return []crm.Record{
				{Entity: account, Header: crm.Header{CreatedOn: original}, Fields: crm.Fields{"name": "Acme", "accountnumber": "ACME-1", "city": "Paris"}},
				{Entity: account, Header: crm.Header{CreatedOn: original}, Fields: crm.Fields{"name": "Globex", "accountnumber": "GLX-2", "city": city}},
			}
		}
		first, err := e.store.Import(e.ctx, batch("Rome"), storage.ImportOptions{Key: "accountnumber"})
		require.NoError(t, err)
		require.True(t, first[0].Created && first[1].Created)
		before := e.dump()

		e.clock.Advance(time.Hour)
		again, err := e.store.Import(e.ctx, batch("Rome"), storage.ImportOptions{Key: "accountnumber"})
		require.NoError(t, err)
		for i, o := range again {
			require.False(t, o.Created)
			require.Equal(t, first[i].Record, o.Record, "unchanged: not even the version moves")
		}
		require.Equal(t, before, e.dump())

		changed, err := e.store.Import(e.ctx, batch("Oslo"), storage.ImportOptions{Key: "accountnumber"})
		require.NoError(t, err)
		require.Equal(t, first[0].Record, changed[0].Record)
		require.EqualValues(t, 2, changed[1].Record.Version)
		require.Equal(t, "Oslo", changed[1].Record.Fields.String("city"))
		require.True(t, now.Add(time.Hour).Equal(changed[1].Record.ModifiedOn))
		require.True(t, original.Equal(changed[1].Record.CreatedOn), "the original creation time stays")
		require.EqualValues(t, 2, e.count(account))

		lower := batch("Oslo")
		lower[0].Fields["accountnumber"] = "acme-1"
		lower[0].Fields["city"] = "Lyon"
		out, err := e.store.Import(e.ctx, lower, storage.ImportOptions{Key: "accountnumber"})
		require.NoError(t, err)
		require.False(t, out[0].Created, "the key matches in any case")
		require.Equal(t, "ACME-1", out[0].Record.Fields.String("accountnumber"), "and the stored key value stays")
		require.Equal(t, "Lyon", out[0].Record.Fields.String("city"))
		require.EqualValues(t, 2, e.count(account))
	})

	t.Run("a large import by key: a key value given twice updates what the first created", func(t *testing.T) {
		e := newKeyEnv(t, open)
		const n = 600 // more records than one look-up takes
		recs := make([]crm.Record, n)
		for i := range recs {
			recs[i] = crm.Record{Entity: account, Header: crm.Header{ID: testID(1000 + i)},
				Fields: crm.Fields{"name": fmt.Sprintf("Account %d", i), "accountnumber": fmt.Sprintf("N-%d", i)}}
			if i > 0 && i%100 == 0 {
				// A parent imported earlier in the same call.
				recs[i].Fields["parentaccountid"] = crm.Ref{Entity: account, ID: testID(1000 + i - 1)}
			}
		}
		recs[450] = crm.Record{Entity: account, Fields: crm.Fields{"name": "Renamed", "accountnumber": "n-10", "city": "Oslo"}}
		out, err := e.store.Import(e.ctx, recs, storage.ImportOptions{Key: "accountnumber"})
		require.NoError(t, err)
		require.EqualValues(t, n-1, e.count(account))
		require.False(t, out[450].Created)
		require.Equal(t, testID(1010), out[450].Record.ID)
		got := e.get(account, testID(1010))
		require.Equal(t, "Renamed", got.Fields.String("name"))
		require.Equal(t, "N-10", got.Fields.String("accountnumber"))
		require.EqualValues(t, 2, got.Version)
		require.Equal(t, crm.Ref{Entity: account, ID: testID(1199)}, e.get(account, testID(1200)).Fields.Ref("parentaccountid"))

		// Run again, the one record given twice is written twice (back to
		// its first values, then to its second); nothing else changes.
		others := func() string {
			var keep []string
			for _, line := range strings.Split(e.dump(), "\n") {
				if !strings.Contains(line, testID(1010).String()) {
					keep = append(keep, line)
				}
			}
			return strings.Join(keep, "\n")
		}
		before := others()
		again, err := e.store.Import(e.ctx, recs, storage.ImportOptions{Key: "accountnumber"})
		require.NoError(t, err)
		for i, o := range again {
			require.False(t, o.Created, "record %d", i)
		}
		require.Equal(t, before, others())
		got = e.get(account, testID(1010))
		require.Equal(t, "Renamed", got.Fields.String("name"))
		require.EqualValues(t, 4, got.Version)
	})

	t.Run("an import by key sets the state of a matched record, read-only or not", func(t *testing.T) {
		e := newKeyEnv(t, open)
		open := crm.Record{Entity: task, Fields: crm.Fields{"subject": "Migrated", "durationminutes": 10}}
		first, err := e.store.Import(e.ctx, []crm.Record{open}, storage.ImportOptions{Key: "subject"})
		require.NoError(t, err)
		require.Equal(t, taskOpen, first[0].Record.State)

		done := open
		done.State = taskCompleted
		out, err := e.store.Import(e.ctx, []crm.Record{done}, storage.ImportOptions{Key: "subject"})
		require.NoError(t, err)
		require.False(t, out[0].Created)
		require.Equal(t, taskCompleted, out[0].Record.State)
		require.Equal(t, statusCompleted, out[0].Record.Status)
		require.EqualValues(t, 2, out[0].Record.Version)

		again, err := e.store.Import(e.ctx, []crm.Record{done}, storage.ImportOptions{Key: "subject"})
		require.NoError(t, err)
		require.Equal(t, out[0].Record, again[0].Record, "a second run leaves a read-only record as it is")

		longer := done
		longer.Fields = crm.Fields{"subject": "MIGRATED", "durationminutes": 20}
		again, err = e.store.Import(e.ctx, []crm.Record{longer}, storage.ImportOptions{Key: "subject"})
		require.NoError(t, err)
		require.EqualValues(t, 20, again[0].Record.Fields.Int("durationminutes"), "import mode writes a read-only record")
		require.Equal(t, taskCompleted, again[0].Record.State)

		bad := longer
		bad.Status = statusInProgress
		before := e.dump()
		_, err = e.store.Import(e.ctx, []crm.Record{bad}, storage.ImportOptions{Key: "subject"})
		requireInvalid(t, err, crm.FieldStatus)
		require.Equal(t, before, e.dump())
	})
}

// testKeys checks alternate keys: unique on every store, text compared
// case-insensitively, a null part outside the key; records found by key
// (GetByKey) and written by key (Upsert), atomically under concurrency.
func testKeys(t *testing.T, open Opener) {
	t.Run("a second record with a key value is refused naming the key, in any case", func(t *testing.T) {
		e := newKeyEnv(t, open)
		e.create(account, crm.Fields{"name": "Acme", "accountnumber": "ACME-1"})
		before := e.dump()
		_, err := e.store.Create(e.ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "Acme again", "accountnumber": "acme-1"}})
		requireDuplicateKey(t, err, "accountnumber")
		_, err = e.store.CreateMany(e.ctx, []crm.Record{
			{Entity: account, Fields: crm.Fields{"name": "One", "accountnumber": "TWIN"}},
			{Entity: account, Fields: crm.Fields{"name": "Two", "accountnumber": "Twin"}},
		})
		requireDuplicateKey(t, err, "accountnumber")
		_, err = e.store.Import(e.ctx, []crm.Record{{Entity: account, Fields: crm.Fields{"name": "x", "accountnumber": "Acme-1"}}}, storage.ImportOptions{})
		requireDuplicateKey(t, err, "accountnumber")
		require.Equal(t, before, e.dump())
		e.create(account, crm.Fields{"name": "Other", "accountnumber": "ACME-2"})
	})

	t.Run("a composite key is unique as a whole and refuses updates that collide", func(t *testing.T) {
		e := newKeyEnv(t, open)
		acme := e.create(account, crm.Fields{"name": "Acme"})
		globex := e.create(account, crm.Fields{"name": "Globex"})
		ann := e.create(contact, crm.Fields{"lastname": "Lee", "parentcustomerid": acme.Ref(), "emailaddress1": "ann@example.com"})
		e.create(contact, crm.Fields{"lastname": "Lee", "parentcustomerid": globex.Ref(), "emailaddress1": "ann@example.com"})
		bob := e.create(contact, crm.Fields{"lastname": "Ray", "parentcustomerid": acme.Ref(), "emailaddress1": "bob@example.com"})
		before := e.dump()
		_, err := e.store.Create(e.ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "Twin", "parentcustomerid": acme.Ref(), "emailaddress1": "ANN@example.com"}})
		requireDuplicateKey(t, err, "parentemail")
		_, err = e.store.Update(e.ctx, crm.Record{Entity: contact, Header: crm.Header{ID: bob.ID}, Fields: crm.Fields{"emailaddress1": "Ann@Example.com"}})
		requireDuplicateKey(t, err, "parentemail")
		require.Equal(t, before, e.dump())

		_, err = e.store.Update(e.ctx, crm.Record{Entity: contact, Header: crm.Header{ID: ann.ID}, Fields: crm.Fields{"emailaddress1": "ANN@example.com"}})
		require.NoError(t, err, "a record may rewrite its own key value")
	})

	t.Run("a record with a null key part is outside the key", func(t *testing.T) {
		e := newKeyEnv(t, open)
		acme := e.create(account, crm.Fields{"name": "Acme"})
		e.create(account, crm.Fields{"name": "No number"})
		e.create(account, crm.Fields{"name": "No number either"})
		for range 2 {
			e.create(contact, crm.Fields{"lastname": "Orphan", "emailaddress1": "same@example.com"})
			e.create(contact, crm.Fields{"lastname": "No mail", "parentcustomerid": acme.Ref()})
		}
		require.EqualValues(t, 4, e.count(contact))
		_, err := e.store.GetByKey(e.ctx, contact, "parentemail", nil, "same@example.com")
		requireInvalid(t, err, "parentcustomerid")
		_, _, err = e.store.Upsert(e.ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "x", "parentcustomerid": acme.Ref()}}, "parentemail")
		requireInvalid(t, err, "emailaddress1")
		_, _, err = e.store.Upsert(e.ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "x", "accountnumber": ""}}, "accountnumber")
		requireInvalid(t, err, "accountnumber")
	})

	t.Run("a key value freed in a transaction can be taken in it", func(t *testing.T) {
		e := newKeyEnv(t, open)
		acme := e.create(account, crm.Fields{"name": "Acme"})
		old := e.create(account, crm.Fields{"name": "Old", "accountnumber": "N-1"})
		ann := e.create(contact, crm.Fields{"lastname": "Lee", "parentcustomerid": acme.Ref(), "emailaddress1": "a@example.com"})
		bob := e.create(contact, crm.Fields{"lastname": "Ray", "parentcustomerid": acme.Ref(), "emailaddress1": "b@example.com"})
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			if err := e.store.Delete(ctx, old.Ref(), storage.AnyVersion); err != nil {
				return err
			}
			if _, err := e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "New", "accountnumber": "n-1"}}); err != nil {
				return err
			}
			// Swap two key values through a third.
			for _, step := range []struct {
				id   crm.ID
				mail string
			}{{ann.ID, "tmp@example.com"}, {bob.ID, "a@example.com"}, {ann.ID, "b@example.com"}} {
				if _, err := e.store.Update(ctx, crm.Record{Entity: contact, Header: crm.Header{ID: step.id}, Fields: crm.Fields{"emailaddress1": step.mail}}); err != nil {
					return err
				}
			}
			_, err := e.store.Create(ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "Kim", "parentcustomerid": acme.Ref(), "emailaddress1": "a@example.com"}})
			return err
		})
		requireDuplicateKey(t, err, "parentemail")
		require.True(t, e.exists(account, old.ID), "the failed transaction wrote nothing")

		require.NoError(t, e.store.InTx(e.ctx, func(ctx context.Context) error {
			if err := e.store.Delete(ctx, old.Ref(), storage.AnyVersion); err != nil {
				return err
			}
			_, err := e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "New", "accountnumber": "n-1"}})
			return err
		}))
		got, err := e.store.GetByKey(e.ctx, account, "accountnumber", "N-1")
		require.NoError(t, err)
		require.Equal(t, "New", got.Fields.String("name"))
		_, err = e.store.Create(e.ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "Again", "accountnumber": "N-1"}})
		requireDuplicateKey(t, err, "accountnumber")
	})

	t.Run("GetByKey finds a record by its key", func(t *testing.T) {
		e := newKeyEnv(t, open)
		acme := e.create(account, crm.Fields{"name": "Acme", "accountnumber": "ACME-1"})
		ann := e.create(contact, crm.Fields{"lastname": "Lee", "parentcustomerid": acme.Ref(), "emailaddress1": "Ann@Example.com"})
		got, err := e.store.GetByKey(e.ctx, account, "accountnumber", "acme-1")
		require.NoError(t, err)
		require.Equal(t, acme, got)
		got, err = e.store.GetByKey(e.ctx, contact, "parentemail", acme.Ref(), "ann@example.com")
		require.NoError(t, err)
		require.Equal(t, ann.ID, got.ID)
		_, err = e.store.GetByKey(e.ctx, contact, "parentemail", crm.Ref{Entity: contact, ID: acme.ID}, "ann@example.com")
		require.ErrorIs(t, err, crm.ErrNotFound, "a polymorphic lookup part matches its entity too")
		_, err = e.store.GetByKey(e.ctx, account, "accountnumber", "ACME-2")
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = e.store.GetByKey(e.ctx, account, "name", "Acme")
		require.ErrorIs(t, err, crm.ErrNotFound, "no such key")
		_, err = e.store.GetByKey(e.ctx, contact, "parentemail", acme.Ref())
		requireInvalid(t, err, "parentemail")
		_, err = e.store.GetByKey(e.ctx, account, "accountnumber", 42)
		requireInvalid(t, err, "accountnumber")
		require.NoError(t, e.store.InTx(e.ctx, func(ctx context.Context) error {
			rec, err := e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "New", "accountnumber": "NEW-1"}})
			require.NoError(t, err)
			got, err := e.store.GetByKey(ctx, account, "accountnumber", "new-1")
			require.NoError(t, err, "a transaction reads its own writes by key")
			require.Equal(t, rec.ID, got.ID)
			return nil
		}))
	})

	t.Run("Upsert creates, then updates what it created", func(t *testing.T) {
		e := newKeyEnv(t, open)
		rec, created, err := e.store.Upsert(e.ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "Acme", "accountnumber": "ACME-1"}}, "accountnumber")
		require.NoError(t, err)
		require.True(t, created)
		same, created, err := e.store.Upsert(e.ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "Acme", "accountnumber": "acme-1"}}, "accountnumber")
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, rec, same, "nothing to change: no write")
		e.clock.Advance(time.Minute)
		upd, created, err := e.store.Upsert(e.ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "Acme Corp", "accountnumber": "ACME-1", "city": "Paris"}}, "accountnumber")
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, rec.ID, upd.ID)
		require.EqualValues(t, 2, upd.Version)
		require.Equal(t, "Acme Corp", upd.Fields.String("name"))
		require.True(t, now.Add(time.Minute).Equal(upd.ModifiedOn))
		require.EqualValues(t, 1, e.count(account))

		_, _, err = e.store.Upsert(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: testID(5)}, Fields: crm.Fields{"name": "x", "accountnumber": "ACME-1"}}, "accountnumber")
		requireInvalid(t, err, crm.FieldID)
		_, _, err = e.store.Upsert(e.ctx, crm.Record{Entity: account, Header: crm.Header{Version: 1}, Fields: crm.Fields{"name": "x", "accountnumber": "ACME-1"}}, "accountnumber")
		require.ErrorIs(t, err, crm.ErrConflict, "a version given is checked")

		tk, err := e.store.Create(e.ctx, crm.Record{Entity: task, Fields: crm.Fields{"subject": "Call", "durationminutes": 5}})
		require.NoError(t, err)
		_, err = e.store.SetState(e.ctx, tk.Ref(), storage.AnyVersion, "complete", 0)
		require.NoError(t, err)
		_, created, err = e.store.Upsert(e.ctx, crm.Record{Entity: task, Fields: crm.Fields{"subject": "Call", "durationminutes": 5}}, "subject")
		require.NoError(t, err, "nothing to change on a read-only record")
		require.False(t, created)
		_, _, err = e.store.Upsert(e.ctx, crm.Record{Entity: task, Fields: crm.Fields{"subject": "Call", "durationminutes": 6}}, "subject")
		require.ErrorIs(t, err, crm.ErrInvalidTransition, "a live upsert does not write a read-only record")
		_, _, err = e.store.Upsert(e.ctx, crm.Record{Entity: task, Header: crm.Header{Status: statusInProgress}, Fields: crm.Fields{"subject": "Call"}}, "subject")
		requireInvalid(t, err, crm.FieldStatus)
	})

	t.Run("10 concurrent upserts of one key value create one record", func(t *testing.T) {
		e := newKeyEnv(t, open)
		const writers = 10
		var (
			wg       sync.WaitGroup
			creates  atomic.Int64
			errs     = make([]error, writers)
			start    = make(chan struct{})
			versions = make([]int64, writers)
		)
		for i := range writers {
			wg.Go(func() {
				<-start
				rec, created, err := e.store.Upsert(e.ctx, crm.Record{Entity: account,
					Fields: crm.Fields{"name": fmt.Sprintf("Writer %d", i), "accountnumber": "RACE-1"}}, "accountnumber")
				errs[i], versions[i] = err, rec.Version
				if created {
					creates.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		require.EqualValues(t, 1, creates.Load())
		require.EqualValues(t, 1, e.count(account))
		slices.Sort(versions)
		for i, v := range versions {
			require.EqualValues(t, i+1, v, "one create and nine updates, one after another")
		}
	})
}

// testRecompute checks Store.Recompute: computed fields brought up to
// date in batches, read-only records included, modified on untouched, and
// an interrupted run resumed where it stopped.
func testRecompute(t *testing.T, open Opener) {
	// subjectLength is a computed field whose calculator changes: it
	// returns the subject's length times factor.
	setup := func(t *testing.T, n int) (*env, *atomic.Int64, func(crm.Fields) any) {
		e := newEnv(t, open)
		var factor atomic.Int64
		factor.Store(1)
		for i := range n {
			rec := e.createWithID(task, testID(300+i), crm.Fields{"subject": strings.Repeat("x", i+1)})
			if i%3 == 0 {
				_, err := e.store.SetState(e.ctx, rec.Ref(), storage.AnyVersion, "complete", 0)
				require.NoError(t, err)
			}
		}
		calc := func(f crm.Fields) any { return int64(len(f.String("subject"))) * factor.Load() }
		return e, &factor, calc
	}
	stamps := func(e *env) map[crm.ID]string {
		out := map[crm.ID]string{}
		for _, r := range e.all(crm.Query{Entity: task}) {
			out[r.ID] = fmt.Sprintf("%s %s", r.ModifiedOn.Format(time.RFC3339Nano), r.ModifiedBy)
		}
		return out
	}

	t.Run("a computed field added later is filled in, read-only records too, modified on untouched", func(t *testing.T) {
		e, factor, calc := setup(t, 7)
		e.clock.Advance(time.Hour)
		require.NoError(t, e.store.AddFields(e.ctx, task, crm.Field{Name: "subjectlength", Type: crm.TypeInteger, Compute: calc}))
		before := stamps(e)
		versions := map[crm.ID]int64{}
		for _, r := range e.all(crm.Query{Entity: task}) {
			require.Nil(t, r.Fields["subjectlength"], "stored before the field existed")
			versions[r.ID] = r.Version
		}
		res, err := e.store.Recompute(e.ctx, task, storage.RecomputeOptions{BatchSize: 3})
		require.NoError(t, err)
		require.EqualValues(t, 7, res.Scanned)
		require.EqualValues(t, 7, res.Changed)
		require.Equal(t, testID(306), res.Last)
		for _, r := range e.all(crm.Query{Entity: task}) {
			require.EqualValues(t, len(r.Fields.String("subject")), r.Fields.Int("subjectlength"))
			require.Equal(t, versions[r.ID]+1, r.Version, "the version grows for optimistic concurrency")
		}
		require.Equal(t, before, stamps(e), "modified on and by stay")

		res, err = e.store.Recompute(e.ctx, task, storage.RecomputeOptions{})
		require.NoError(t, err)
		require.EqualValues(t, 0, res.Changed, "nothing to change: nothing written")

		factor.Store(10)
		res, err = e.store.Recompute(e.ctx, task, storage.RecomputeOptions{BatchSize: 100})
		require.NoError(t, err)
		require.EqualValues(t, 7, res.Changed, "a changed calculator")
		got := e.get(task, testID(303))
		require.EqualValues(t, 40, got.Fields.Int("subjectlength"))
		require.Equal(t, taskCompleted, got.State)

		_, err = e.store.Update(e.ctx, crm.Record{Entity: task, Header: crm.Header{ID: testID(301), Version: versions[testID(301)]},
			Fields: crm.Fields{"priority": 1}})
		require.ErrorIs(t, err, crm.ErrConflict, "a writer holding the record from before the recompute")
	})

	t.Run("an interrupted recompute resumes where it stopped", func(t *testing.T) {
		e, _, calc := setup(t, 10)
		ctx, cancel := context.WithCancel(e.ctx)
		defer cancel()
		var calls atomic.Int64
		var armed atomic.Bool
		require.NoError(t, e.store.AddFields(e.ctx, task, crm.Field{Name: "subjectlength", Type: crm.TypeInteger,
			Compute: func(f crm.Fields) any {
				if armed.Load() && calls.Add(1) == 5 {
					cancel() // in the second batch
				}
				return calc(f)
			}}))
		before := stamps(e)
		armed.Store(true)
		res, err := e.store.Recompute(ctx, task, storage.RecomputeOptions{BatchSize: 3})
		require.ErrorIs(t, err, context.Canceled)
		require.Equal(t, testID(302), res.Last, "the first batch committed")
		require.EqualValues(t, 3, res.Changed)
		for i := range 10 {
			got := e.get(task, testID(300+i))
			if i < 3 {
				require.NotNil(t, got.Fields["subjectlength"], "record %d", i)
			} else {
				require.Nil(t, got.Fields["subjectlength"], "record %d: the second batch rolled back", i)
			}
		}
		armed.Store(false)
		res, err = e.store.Recompute(e.ctx, task, storage.RecomputeOptions{After: res.Last, BatchSize: 3})
		require.NoError(t, err)
		require.EqualValues(t, 7, res.Scanned)
		require.EqualValues(t, 7, res.Changed)
		require.Equal(t, testID(309), res.Last)
		for _, r := range e.all(crm.Query{Entity: task}) {
			require.EqualValues(t, len(r.Fields.String("subject")), r.Fields.Int("subjectlength"))
			want := int64(2)
			if r.State == taskCompleted {
				want = 3 // created, completed, recomputed once
			}
			require.Equal(t, want, r.Version, "%s recomputed once", r.ID)
		}
		require.Equal(t, before, stamps(e))
	})

	t.Run("recompute refuses what every write refuses", func(t *testing.T) {
		e := newEnv(t, open)
		_, err := e.store.Recompute(context.Background(), task, storage.RecomputeOptions{})
		require.ErrorIs(t, err, crm.ErrNoCaller)
		_, err = e.store.Recompute(e.ctx, "nosuch", storage.RecomputeOptions{})
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = e.store.Recompute(e.ctx, task, storage.RecomputeOptions{BatchSize: -1})
		require.True(t, errors.Is(err, crm.ErrValidation))
	})
}
