package storagetest

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

// testPins pins behaviours that a change could break without any other
// test of the suite noticing: each subtest fails when its rule breaks.
func testPins(t *testing.T, open Opener) {
	t.Run("state-change and assignment hooks run at every stage with the event's content", func(t *testing.T) {
		e := newEnv(t, open)
		tk := e.create(task, crm.Fields{"subject": "Call back"})
		var mu sync.Mutex
		var seen []string
		for _, op := range []storage.Op{storage.OpSetState, storage.OpAssign} {
			for _, stage := range []storage.Stage{storage.PreOperation, storage.PostOperation, storage.AfterCommit} {
				require.NoError(t, e.store.Hook(task, op, stage, func(ctx context.Context, ev *storage.Event) error {
					mu.Lock()
					defer mu.Unlock()
					seen = append(seen, fmt.Sprintf("%s %s %s transition=%q before=%d/%d target=%d/%d owner=%s->%s v%d->v%d",
						stage, ev.Op, ev.Entity.Name, ev.Transition, ev.Before.State, ev.Before.Status,
						ev.Target.State, ev.Target.Status, ev.Before.Owner, ev.Target.Owner, ev.Before.Version, ev.Target.Version))
					return nil
				}))
			}
		}
		owner := crm.SystemUser // e.ctx acts as the system user, who owns what it creates
		team := sales
		_, err := e.store.Assign(e.ctx, tk.Ref(), 1, team)
		require.NoError(t, err)
		_, err = e.store.SetState(e.ctx, tk.Ref(), 2, "complete", 0)
		require.NoError(t, err)
		assign := fmt.Sprintf(`transition="" before=0/2 target=0/2 owner=%s->%s v1->v2`, owner, team)
		complete := fmt.Sprintf(`transition="complete" before=0/2 target=1/5 owner=%s->%s v2->v3`, team, team)
		require.Equal(t, []string{
			"pre-operation assign task " + assign,
			"post-operation assign task " + assign,
			"after-commit assign task " + assign,
			"pre-operation set state task " + complete,
			"post-operation set state task " + complete,
			"after-commit set state task " + complete,
		}, seen)
	})

	t.Run("a failing pre-operation hook refuses a state change and an assignment", func(t *testing.T) {
		e := newEnv(t, open)
		tk := e.create(task, crm.Fields{"subject": "Call back"})
		before := e.dump()
		fail := func(context.Context, *storage.Event) error { return errBoom }
		require.NoError(t, e.store.Hook(task, storage.OpSetState, storage.PreOperation, fail))
		require.NoError(t, e.store.Hook(task, storage.OpAssign, storage.PostOperation, fail))
		_, err := e.store.SetState(e.ctx, tk.Ref(), storage.AnyVersion, "cancel", 0)
		require.ErrorIs(t, err, errBoom)
		_, err = e.store.Assign(e.ctx, tk.Ref(), storage.AnyVersion, sales)
		require.ErrorIs(t, err, errBoom)
		require.Equal(t, before, e.dump())
	})

	t.Run("empty text is null on update: refused for a required field, clears an optional one", func(t *testing.T) {
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "Named", "city": "Paris"})
		before := e.dump()
		requireInvalid(t, update(e, acc, crm.Fields{"name": ""}), "name")
		require.Equal(t, before, e.dump())
		require.NoError(t, update(e, acc, crm.Fields{"city": ""}))
		got := e.get(account, acc.ID)
		require.Nil(t, got.Fields["city"], "an empty text clears the field")
		require.Equal(t, "Named", got.Fields.String("name"))
		require.EqualValues(t, 1, mustCount(e, crm.Query{Entity: account, Where: crm.IsNull("city")}))
	})

	t.Run("a cascade through a cycle of records ends and deletes them all", func(t *testing.T) {
		e := newEnv(t, open)
		a := e.create(contact, crm.Fields{"lastname": "A"})
		b := e.create(contact, crm.Fields{"lastname": "B", "parentcustomerid": a.Ref()})
		require.NoError(t, update(e, a, crm.Fields{"parentcustomerid": b.Ref()}))
		ta := e.create(task, crm.Fields{"subject": "About A", "regardingobjectid": a.Ref()})
		tb := e.create(task, crm.Fields{"subject": "About B", "regardingobjectid": b.Ref()})
		other := e.create(contact, crm.Fields{"lastname": "Other"})
		var deleted []string
		require.NoError(t, e.store.Hook(contact, storage.OpDelete, storage.PostOperation, func(ctx context.Context, ev *storage.Event) error {
			deleted = append(deleted, ev.Target.Fields.String("lastname"))
			return nil
		}))
		require.NoError(t, e.store.Delete(e.ctx, a.Ref(), storage.AnyVersion))
		require.Equal(t, []string{"B", "A"}, deleted, "each record of the cycle is deleted once")
		for _, id := range []crm.ID{a.ID, b.ID} {
			require.False(t, e.exists(contact, id))
		}
		for _, id := range []crm.ID{ta.ID, tb.ID} {
			require.False(t, e.exists(task, id))
		}
		require.True(t, e.exists(contact, other.ID))
		require.EqualValues(t, 1, e.count(contact))
		require.Zero(t, e.count(task))
	})

	t.Run("a hook cannot point a record at one a cascade is deleting", func(t *testing.T) {
		e := newEnv(t, open)
		doomed := e.create(account, crm.Fields{"name": "Doomed"})
		e.create(contact, crm.Fields{"lastname": "Child", "parentcustomerid": doomed.Ref()})
		bystander := e.create(account, crm.Fields{"name": "Bystander"})
		before := e.dump()
		tried := 0
		require.NoError(t, e.store.Hook(contact, storage.OpDelete, storage.PostOperation, func(ctx context.Context, ev *storage.Event) error {
			tried++
			_, err := e.store.Update(ctx, crm.Record{Entity: account, Header: crm.Header{ID: bystander.ID},
				Fields: crm.Fields{"parentaccountid": doomed.Ref()}})
			return err
		}))
		err := e.store.Delete(e.ctx, doomed.Ref(), storage.AnyVersion)
		require.Equal(t, 1, tried, "the hook ran during the cascade")
		requireInvalid(t, err, "parentaccountid")
		require.Equal(t, before, e.dump(), "the whole delete rolled back")
	})

	t.Run("a hook that swallows the refusal still cannot leave a dangling lookup", func(t *testing.T) {
		e := newEnv(t, open)
		doomed := e.create(account, crm.Fields{"name": "Doomed"})
		e.create(contact, crm.Fields{"lastname": "Child", "parentcustomerid": doomed.Ref()})
		bystander := e.create(account, crm.Fields{"name": "Bystander"})
		var hookErr error
		require.NoError(t, e.store.Hook(contact, storage.OpDelete, storage.PostOperation, func(ctx context.Context, ev *storage.Event) error {
			_, hookErr = e.store.Update(ctx, crm.Record{Entity: account, Header: crm.Header{ID: bystander.ID},
				Fields: crm.Fields{"parentaccountid": doomed.Ref()}})
			return nil
		}))
		require.NoError(t, e.store.Delete(e.ctx, doomed.Ref(), storage.AnyVersion))
		requireInvalid(t, hookErr, "parentaccountid")
		require.False(t, e.exists(account, doomed.ID))
		require.Nil(t, e.get(account, bystander.ID).Fields["parentaccountid"], "no lookup points at the deleted record")
	})

	t.Run("an update cannot change the state, nor give a status reason without a lifecycle", func(t *testing.T) {
		e := newEnv(t, open)
		tk := e.create(task, crm.Fields{"subject": "Open task"})
		acc := e.create(account, crm.Fields{"name": "No lifecycle"})
		before := e.dump()
		cases := []struct {
			name   string
			rec    crm.Record
			fields []string
		}{
			{"another state with its status", crm.Record{Entity: task, Header: crm.Header{ID: tk.ID, State: taskCompleted, Status: statusCompleted}}, []string{crm.FieldStatus, crm.FieldState}},
			{"another state alone", crm.Record{Entity: task, Header: crm.Header{ID: tk.ID, State: taskCompleted}}, []string{crm.FieldStatus, crm.FieldState}},
			{"another status of the same state", crm.Record{Entity: task, Header: crm.Header{ID: tk.ID, Status: statusInProgress}}, []string{crm.FieldStatus}},
			{"a status reason on an entity without a lifecycle", crm.Record{Entity: account, Header: crm.Header{ID: acc.ID, Status: 1}}, []string{crm.FieldStatus, crm.FieldState}},
			{"a state on an entity without a lifecycle", crm.Record{Entity: account, Header: crm.Header{ID: acc.ID, State: 1}}, []string{crm.FieldStatus, crm.FieldState}},
		}
		for _, c := range cases {
			c.rec.Fields = crm.Fields{}
			if c.rec.Entity == task {
				c.rec.Fields["subject"] = "Renamed"
			} else {
				c.rec.Fields["name"] = "Renamed"
			}
			_, err := e.store.Update(e.ctx, c.rec)
			require.ErrorIs(t, err, crm.ErrValidation, c.name)
			var verr *crm.ValidationError
			require.ErrorAs(t, err, &verr, c.name)
			named := false
			for _, f := range c.fields {
				named = named || verr.Has(f)
			}
			require.True(t, named, "%s: error should name one of %v: %v", c.name, c.fields, err)
		}
		require.Equal(t, before, e.dump())
		// Repeating the stored state and status is no change and passes.
		_, err := e.store.Update(e.ctx, crm.Record{Entity: task, Header: crm.Header{ID: tk.ID, State: taskOpen, Status: statusNotStarted},
			Fields: crm.Fields{"subject": "Renamed"}})
		require.NoError(t, err)
	})

	t.Run("an integer field with one bound keeps it", func(t *testing.T) {
		reg := crm.NewRegistry()
		lo, hi := dec("10"), dec("20")
		require.NoError(t, reg.Register(&crm.Entity{Name: "bounded", Fields: []crm.Field{
			{Name: "atleast", Type: crm.TypeInteger, Min: &lo},
			{Name: "atmost", Type: crm.TypeInteger, Max: &hi},
		}}))
		e := newEnvWith(t, open, reg)
		for _, c := range []struct {
			field string
			v     int64
			ok    bool
		}{
			{"atleast", 10, true}, {"atleast", 9, false}, {"atleast", -5, false}, {"atleast", 1 << 31, false}, {"atleast", 1<<31 - 1, true},
			{"atmost", 20, true}, {"atmost", 21, false}, {"atmost", 1 << 40, false}, {"atmost", -1 << 31, true}, {"atmost", -1<<31 - 1, false},
		} {
			_, err := e.store.Create(e.ctx, crm.Record{Entity: "bounded", Fields: crm.Fields{c.field: c.v}})
			if c.ok {
				require.NoError(t, err, "%s = %d", c.field, c.v)
			} else {
				requireInvalid(t, err, c.field)
			}
		}
		require.EqualValues(t, 4, e.count("bounded"))
	})

	t.Run("values at the edge of a field's rules are accepted", func(t *testing.T) {
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "Edges", "rating": dec("1.250"),
			"lastcontactedon": crm.EarliestTime, "foundedon": crm.EarliestTime, "creditlimit": money("10.500 EUR")})
		requireFields(t, crm.Fields{"name": "Edges", "rating": dec("1.25"), "lastcontactedon": crm.EarliestTime,
			"foundedon": crm.EarliestTime, "creditlimit": money("10.50 EUR")}, e.get(account, acc.ID).Fields)
		require.NoError(t, update(e, acc, crm.Fields{"rating": dec("-3.10000")}))
		require.True(t, dec("-3.1").Equal(e.get(account, acc.ID).Fields.Decimal("rating")))
	})

	t.Run("a choice value outside int32 does not wrap onto an option", func(t *testing.T) {
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "Choosy"})
		before := e.dump()
		for _, v := range []any{int64(1<<32 + 1), int64(-1<<32 + 2), int(1<<32 + 1), uint32(1<<32 - 1)} {
			_, err := e.store.Create(e.ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "X", "category": v}})
			requireInvalid(t, err, "category")
			requireInvalid(t, update(e, acc, crm.Fields{"category": v}), "category")
		}
		require.Equal(t, before, e.dump())
		_, err := e.store.Count(e.ctx, crm.Query{Entity: account, Where: crm.Eq("category", int64(1<<32+1))})
		requireInvalid(t, err, "category")
	})

	t.Run("a page of MaxPageSize is accepted, one more is refused", func(t *testing.T) {
		e := newEnv(t, open)
		e.create(account, crm.Fields{"name": "One"})
		page, err := e.store.Query(e.ctx, crm.Query{Entity: account, Limit: crm.MaxPageSize})
		require.NoError(t, err)
		require.Len(t, page.Records, 1)
		_, err = e.store.Query(e.ctx, crm.Query{Entity: account, Limit: crm.MaxPageSize + 1})
		requireInvalid(t, err, "limit")
		_, err = e.store.Query(e.ctx, crm.Query{Entity: account, Limit: -1})
		requireInvalid(t, err, "limit")
	})

	t.Run("Iterate yields a planning error instead of ending quietly", func(t *testing.T) {
		e := newEnv(t, open)
		e.create(account, crm.Fields{"name": "One"})
		var errs []error
		n := 0
		for _, err := range e.store.Iterate(e.ctx, crm.Query{Entity: account, Where: crm.Eq("nosuchfield", 1)}) {
			n++
			if err != nil {
				errs = append(errs, err)
			}
		}
		require.Equal(t, 1, n, "one error and nothing else")
		require.Len(t, errs, 1)
		requireInvalid(t, errs[0], "nosuchfield")
		for _, err := range e.store.Iterate(e.ctx, crm.Query{Entity: "nosuchentity"}) {
			require.ErrorIs(t, err, crm.ErrNotFound)
			n++
		}
		require.Equal(t, 2, n, "an unknown entity yields its error too")
	})

	t.Run("Iterate yields a decode error instead of ending quietly", func(t *testing.T) {
		e := newEnv(t, open)
		e.create(account, crm.Fields{"name": "Fine"})
		bad := e.create(account, crm.Fields{"name": "Broken", "numberofemployees": 5, "rating": dec("1.5")})
		corruptRecord(t, e, bad)
		var errs []error
		for _, err := range e.store.Iterate(e.ctx, crm.Query{Entity: account}) {
			if err != nil {
				errs = append(errs, err)
			}
		}
		require.Len(t, errs, 1, "the undecodable row yields an error")
		_, err := e.store.Get(e.ctx, account, bad.ID)
		require.Error(t, err)
		_, err = e.store.Query(e.ctx, crm.Query{Entity: account})
		require.Error(t, err)
	})

	t.Run("a time before 1970 is grouped on its own day", func(t *testing.T) {
		e := newEnv(t, open)
		e.create(account, crm.Fields{"name": "Late night", "lastcontactedon": utc(1969, 12, 31, 23, 0)})
		e.create(account, crm.Fields{"name": "Dawn", "lastcontactedon": utc(1969, 12, 31, 0, 30)})
		e.create(account, crm.Fields{"name": "Last microsecond", "lastcontactedon": time.Date(1969, 12, 31, 23, 59, 59, 999_999_000, time.UTC)})
		e.create(account, crm.Fields{"name": "New year", "lastcontactedon": utc(1970, 1, 1, 0, 0)})
		e.create(account, crm.Fields{"name": "Earliest", "lastcontactedon": time.Date(1753, 1, 1, 12, 0, 0, 1000, time.UTC)})
		e.create(account, crm.Fields{"name": "Month end", "lastcontactedon": utc(1969, 11, 30, 23, 59)})
		for _, c := range []struct {
			by   crm.DateGrouping
			want []crm.AggregateRow
		}{
			{crm.ByDay, []crm.AggregateRow{
				{"d": day(1753, 1, 1), "n": int64(1)},
				{"d": day(1969, 11, 30), "n": int64(1)},
				{"d": day(1969, 12, 31), "n": int64(3)},
				{"d": day(1970, 1, 1), "n": int64(1)},
			}},
			{crm.ByMonth, []crm.AggregateRow{
				{"d": day(1753, 1, 1), "n": int64(1)},
				{"d": day(1969, 11, 1), "n": int64(1)},
				{"d": day(1969, 12, 1), "n": int64(3)},
				{"d": day(1970, 1, 1), "n": int64(1)},
			}},
			{crm.ByYear, []crm.AggregateRow{
				{"d": day(1753, 1, 1), "n": int64(1)},
				{"d": day(1969, 1, 1), "n": int64(4)},
				{"d": day(1970, 1, 1), "n": int64(1)},
			}},
		} {
			rows, err := e.store.Aggregate(e.ctx, crm.Aggregation{Entity: account,
				GroupBy:  []crm.GroupBy{{Alias: "d", Field: "lastcontactedon", Date: c.by}},
				Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}})
			require.NoError(t, err)
			requireRows(t, c.want, rows)
		}
	})

	t.Run("text min and max break case ties by exact bytes", func(t *testing.T) {
		e := newEnv(t, open)
		// Two groups, the tie inserted in both orders.
		e.create(account, crm.Fields{"name": "1", "accountnumber": "g1", "city": "a"})
		e.create(account, crm.Fields{"name": "2", "accountnumber": "g1", "city": "A"})
		e.create(account, crm.Fields{"name": "3", "accountnumber": "g2", "city": "B"})
		e.create(account, crm.Fields{"name": "4", "accountnumber": "g2", "city": "b"})
		e.create(account, crm.Fields{"name": "5", "accountnumber": "g2", "city": "a"})
		rows, err := e.store.Aggregate(e.ctx, crm.Aggregation{Entity: account,
			GroupBy: []crm.GroupBy{{Field: "accountnumber"}},
			Measures: []crm.Measure{{Alias: "lo", Func: crm.AggMin, Field: "city"}, {Alias: "hi", Func: crm.AggMax, Field: "city"},
				{Alias: "lo2", Func: crm.AggMin, Field: "name"}}})
		require.NoError(t, err)
		requireRows(t, []crm.AggregateRow{
			{"accountnumber": "g1", "lo": "A", "hi": "a", "lo2": "1"},
			{"accountnumber": "g2", "lo": "a", "hi": "b", "lo2": "3"},
		}, rows)
		rows, err = e.store.Aggregate(e.ctx, crm.Aggregation{Entity: account, Where: crm.In("city", "a"),
			Measures: []crm.Measure{{Alias: "lo", Func: crm.AggMin, Field: "city"}, {Alias: "hi", Func: crm.AggMax, Field: "city"}}})
		require.NoError(t, err)
		requireRows(t, []crm.AggregateRow{{"lo": "A", "hi": "a"}}, rows)
	})

	t.Run("conditions with values finer or wider than the column", func(t *testing.T) {
		e := newEnv(t, open)
		e.create(account, crm.Fields{"name": "Rated", "rating": dec("1.23"), "numberofemployees": 7})
		e.create(account, crm.Fields{"name": "Negative", "rating": dec("-99999999999.99"), "numberofemployees": -1 << 31})
		e.create(account, crm.Fields{"name": "Unrated"})
		for _, c := range []struct {
			name  string
			where crm.Filter
			want  []string
		}{
			{"not-in a finer value skips nulls", crm.NotIn("rating", dec("1.234")), []string{"Rated", "Negative"}},
			{"not-in finer values only", crm.NotIn("rating", dec("1.231"), dec("0.001")), []string{"Rated", "Negative"}},
			{"in a finer value matches nothing", crm.In("rating", dec("1.234")), nil},
			{"eq a finer value matches nothing", crm.Eq("rating", dec("1.229")), nil},
			{"ne a finer value skips nulls", crm.Ne("rating", dec("1.229")), []string{"Rated", "Negative"}},
			{"ge below the column's range", crm.Ge("rating", dec("-1e30")), []string{"Rated", "Negative"}},
			{"gt below the column's range", crm.Gt("rating", dec("-100000000000000")), []string{"Rated", "Negative"}},
			{"le above the column's range", crm.Le("rating", dec("1e30")), []string{"Rated", "Negative"}},
			{"lt above the column's range", crm.Lt("rating", dec("123456789012345678901234567890.5")), []string{"Rated", "Negative"}},
			{"ge above the column's range", crm.Ge("rating", dec("1e30")), nil},
			{"le below the column's range", crm.Le("rating", dec("-1e30")), nil},
			{"ge a finer value", crm.Ge("rating", dec("1.225")), []string{"Rated"}},
			{"lt a finer value", crm.Lt("rating", dec("1.235")), []string{"Rated", "Negative"}},
			{"gt a finer value", crm.Gt("rating", dec("1.235")), nil},
			{"integer ge below int64", crm.Ge("numberofemployees", int64(-1<<63)), []string{"Rated", "Negative"}},
			{"integer gt far below int32", crm.Gt("numberofemployees", int64(-1<<40)), []string{"Rated", "Negative"}},
			{"integer le above int32", crm.Le("numberofemployees", int64(1<<40)), []string{"Rated", "Negative"}},
			{"integer not-in far out of range skips nulls", crm.NotIn("numberofemployees", int64(1<<40)), []string{"Rated", "Negative"}},
		} {
			got := names(e.all(crm.Query{Entity: account, Where: c.where}), "name")
			require.ElementsMatch(t, c.want, got, c.name)
			n := mustCount(e, crm.Query{Entity: account, Where: c.where})
			require.EqualValues(t, len(c.want), n, "count: %s", c.name)
		}
	})
}

// newEnvWith is newEnv over a registry of the test's own.
func newEnvWith(t *testing.T, open Opener, reg *crm.Registry) *env {
	t.Helper()
	d := open(t, reg)
	require.NotNil(t, d, "opener returned no driver")
	e := newEnvFor(t, d, reg)
	return e
}

func mustCount(e *env, q crm.Query) int64 {
	e.t.Helper()
	n, err := e.store.Count(e.ctx, q)
	require.NoError(e.t, err, "count %s", q.Entity)
	return n
}

// corruptRecord writes, around the store, a value into rec's row that the
// adapter cannot decode. It needs the adapter's database (a DB method
// returning *sql.DB, as sqlstore's Driver has) and skips otherwise.
func corruptRecord(t *testing.T, e *env, rec crm.Record) {
	t.Helper()
	d, ok := e.driver.(interface{ DB() *sql.DB })
	if !ok {
		t.Skipf("%T keeps records as Go values: no stored row can fail to decode", e.driver)
	}
	db := d.DB()
	ctx := context.Background()
	var v string
	if db.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&v) == nil {
		res, err := db.ExecContext(ctx, `UPDATE "account" SET "numberofemployees" = 'many' WHERE "id" = ?`, rec.ID[:])
		require.NoError(t, err)
		n, err := res.RowsAffected()
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		return
	}
	// PostgreSQL: the test's schema is the one whose account table holds
	// the record.
	rows, err := db.QueryContext(ctx, `SELECT table_schema FROM information_schema.tables WHERE table_name = 'account'`)
	require.NoError(t, err)
	var schemas []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		schemas = append(schemas, s)
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	for _, s := range schemas {
		res, err := db.ExecContext(ctx, fmt.Sprintf(`UPDATE %q."account" SET "rating" = 'NaN' WHERE "id" = $1`, s), rec.ID.String())
		if err != nil {
			continue // a table of another shape
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return
		}
	}
	require.Fail(t, "no account table holds the record")
}
