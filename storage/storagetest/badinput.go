package storagetest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

// badNote is an entity of the bad-input test alone: a text of 160
// characters, Dynamics' length of a short description.
const badNote = "badnote"

// badFixture holds the records the bad inputs refer to.
type badFixture struct {
	acc, other, con, tsk, done, ord crm.Record
	cursor                          crm.Cursor // the first page's cursor of account by name, 2 a page
}

// badCase is one input and what it must do: fail with an error matching
// want (and, for a validation error, naming field), or succeed with the
// result check accepts.
type badCase struct {
	name  string
	run   func(e *env, f *badFixture) (any, error)
	want  error  // nil: the input is valid
	field string // the field a validation error names; "" for any
	check func(t *testing.T, result any)
}

// testBadInput feeds the store well over a hundred bad inputs (every field
// type, every operator, cursors, IDs) and requires the same typed error on
// every store, with nothing changed by a refused write.
func testBadInput(t *testing.T, open Opener) {
	reg := Schema()
	require.NoError(t, reg.Register(&crm.Entity{Name: badNote, PrimaryName: "text", Fields: []crm.Field{
		{Name: "text", Type: crm.TypeText, MaxLength: 160},
	}}))
	e := newEnvWith(t, open, reg)
	f := &badFixture{}
	f.acc = e.create(account, crm.Fields{"name": "Alpha", "accountnumber": "A-1", "city": "Paris", "numberofemployees": 10,
		"rating": dec("4.50"), "creditlimit": money("1000.00 EUR"), "creditonhold": false, "lastcontactedon": utc(2026, 3, 1, 9, 30),
		"foundedon": day(1990, 5, 17), "category": 1})
	f.other = e.create(account, crm.Fields{"name": "Beta"})
	e.create(account, crm.Fields{"name": "Gamma"})
	f.con = e.create(contact, crm.Fields{"firstname": "Ann", "lastname": "Lee", "parentcustomerid": f.acc.Ref()})
	f.tsk = e.create(task, crm.Fields{"subject": "Open task", "regardingobjectid": f.acc.Ref()})
	f.done = e.create(task, crm.Fields{"subject": "Done task"})
	var err error
	f.done, err = e.store.SetState(e.ctx, f.done.Ref(), storage.AnyVersion, "complete", 0)
	require.NoError(t, err)
	f.ord = e.create(salesorder, crm.Fields{"name": "Order", "customerid": f.acc.Ref()})
	page, err := e.store.Query(e.ctx, crm.Query{Entity: account, OrderBy: []crm.Order{crm.Asc("name")}, Limit: 2})
	require.NoError(t, err)
	require.True(t, page.More)
	f.cursor = page.Next

	for _, c := range badCases() {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			before := e.dump()
			var result any
			var err error
			var panicked any
			func() {
				defer func() { panicked = recover() }()
				result, err = c.run(e, f)
			}()
			require.Nil(t, panicked, "the store panicked")
			if c.want == nil {
				require.NoError(t, err)
				if c.check != nil {
					c.check(t, result)
				}
				return
			}
			require.ErrorIs(t, err, c.want)
			if errors.Is(c.want, crm.ErrValidation) {
				var verr *crm.ValidationError
				require.ErrorAs(t, err, &verr)
				if c.field != "" {
					require.True(t, verr.Has(c.field), "the error should name %q: %.300s", c.field, err.Error())
				}
			}
			require.Equal(t, before, e.dump(), "a refused input changes nothing")
		})
	}
}

// Helpers that build the cases' operations.
func createIn(entity string, fields crm.Fields) func(e *env, f *badFixture) (any, error) {
	return func(e *env, f *badFixture) (any, error) {
		return e.store.Create(e.ctx, crm.Record{Entity: entity, Fields: fields})
	}
}

func createAccount(fields crm.Fields) func(e *env, f *badFixture) (any, error) {
	all := crm.Fields{"name": "0 New"} // sorts before the fixture, should a create wrongly pass
	for k, v := range fields {
		all[k] = v
	}
	return createIn(account, all)
}

// updateAccount updates Beta, whom the valid inputs' results do not
// depend on, should an update wrongly pass.
func updateAccount(fields crm.Fields) func(e *env, f *badFixture) (any, error) {
	return func(e *env, f *badFixture) (any, error) {
		return e.store.Update(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: f.other.ID}, Fields: fields})
	}
}

func countWhere(entity string, where crm.Filter) func(e *env, f *badFixture) (any, error) {
	return func(e *env, f *badFixture) (any, error) {
		return e.store.Count(e.ctx, crm.Query{Entity: entity, Where: where})
	}
}

func queryAccounts(q crm.Query) func(e *env, f *badFixture) (any, error) {
	return func(e *env, f *badFixture) (any, error) {
		q.Entity = account
		return e.store.Query(e.ctx, q)
	}
}

func aggregateAccounts(a crm.Aggregation) func(e *env, f *badFixture) (any, error) {
	return func(e *env, f *badFixture) (any, error) {
		a.Entity = account
		return e.store.Aggregate(e.ctx, a)
	}
}

// afterCursor queries accounts by name after a cursor built by mk.
func afterCursor(mk func(f *badFixture) crm.Cursor) func(e *env, f *badFixture) (any, error) {
	return func(e *env, f *badFixture) (any, error) {
		return e.store.Query(e.ctx, crm.Query{Entity: account, OrderBy: []crm.Order{crm.Asc("name")}, Limit: 2, After: mk(f)})
	}
}

// forgedCursor encodes a cursor as driver.Plan.Cursor does, with the given
// order signature and keys.
func forgedCursor(order string, keys ...any) crm.Cursor {
	ks := make([]*string, len(keys))
	for i, k := range keys {
		if k != nil {
			s := fmt.Sprint(k)
			ks[i] = &s
		}
	}
	b, err := json.Marshal(struct {
		Order string    `json:"o"`
		Keys  []*string `json:"k"`
	}{order, ks})
	if err != nil {
		panic(err) // strings and nils always marshal
	}
	return crm.Cursor(base64.RawURLEncoding.EncodeToString(b))
}

func rawCursor(s string) crm.Cursor {
	return crm.Cursor(base64.RawURLEncoding.EncodeToString([]byte(s)))
}

func constCursor(c crm.Cursor) func(*badFixture) crm.Cursor {
	return func(*badFixture) crm.Cursor { return c }
}

// wantCount checks a Count result.
func wantCount(n int64) func(t *testing.T, result any) {
	return func(t *testing.T, result any) {
		t.Helper()
		require.Equal(t, n, result)
	}
}

// wantNames checks the names of a page of accounts, in order.
func wantNames(want ...string) func(t *testing.T, result any) {
	return func(t *testing.T, result any) {
		t.Helper()
		page, ok := result.(crm.Page)
		require.True(t, ok, "result is a %T", result)
		require.Equal(t, want, names(page.Records, "name"))
	}
}

func badCases() []badCase {
	inv := crm.ErrValidation
	nf := crm.ErrNotFound
	t1752 := time.Date(1752, 12, 31, 23, 59, 59, 999999000, time.UTC)
	t10000 := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	emoji := func(n int) string { return strings.Repeat("😀", n) }
	byName := "account,name,id"
	return []badCase{
		// Valid inputs, first: their results depend on the fixture alone.
		{name: "limit of the page size", run: queryAccounts(crm.Query{Limit: crm.MaxPageSize, OrderBy: []crm.Order{crm.Asc("name")}, Where: crm.Ne("name", "0 New")}), check: wantNames("Alpha", "Beta", "Gamma")},
		{name: "eq a finer decimal matches nothing", run: countWhere(account, crm.Eq("rating", dec("4.501"))), check: wantCount(0)},
		{name: "not-in a finer decimal skips nulls", run: countWhere(account, crm.NotIn("rating", dec("4.501"))), check: wantCount(1)},
		{name: "text comparisons ignore ASCII case", run: countWhere(account, crm.Eq("city", "PARIS")), check: wantCount(1)},
		{name: "like escapes stay literal", run: countWhere(account, crm.Like("city", `P\%`)), check: wantCount(0)},
		{name: "the query's own cursor reads on", run: afterCursor(func(f *badFixture) crm.Cursor { return f.cursor }), check: wantNames("Gamma")},
		{name: "a forged cursor of the right shape reads on", run: afterCursor(constCursor(forgedCursor(byName, "Beta", crm.NilID))), check: wantNames("Beta", "Gamma")},

		// Text.
		{name: "text given an int", run: createAccount(crm.Fields{"city": 5}), want: inv, field: "city"},
		{name: "text given bytes", run: createAccount(crm.Fields{"city": []byte("Paris")}), want: inv, field: "city"},
		{name: "text of invalid UTF-8", run: createAccount(crm.Fields{"city": "Par\xffis"}), want: inv, field: "city"},
		{name: "text with a NUL", run: createAccount(crm.Fields{"city": "Par\x00is"}), want: inv, field: "city"},
		{name: "text over its length", run: createAccount(crm.Fields{"name": strings.Repeat("n", 41)}), want: inv, field: "name"},
		{name: "required text empty on create", run: createIn(account, crm.Fields{"name": ""}), want: inv, field: "name"},
		{name: "required text nil on create", run: createIn(account, crm.Fields{"name": nil}), want: inv, field: "name"},
		{name: "required text empty on update", run: updateAccount(crm.Fields{"name": ""}), want: inv, field: "name"},
		{name: "required text nil on update", run: updateAccount(crm.Fields{"name": nil}), want: inv, field: "name"},
		{name: "160 emoji are 320 UTF-16 characters, over 160", run: createIn(badNote, crm.Fields{"text": emoji(160)}), want: inv, field: "text"},
		{name: "81 emoji are over 160 UTF-16 characters", run: createIn(badNote, crm.Fields{"text": emoji(81)}), want: inv, field: "text"},
		{name: "26 emoji are over a 50-character city", run: updateAccount(crm.Fields{"city": emoji(26)}), want: inv, field: "city"},
		{name: "immutable text changed", run: updateAccount(crm.Fields{"accountnumber": "A-2"}), want: inv, field: "accountnumber"},
		{name: "immutable text cleared", run: updateAccount(crm.Fields{"accountnumber": ""}), want: inv, field: "accountnumber"},
		{name: "computed text set", run: createIn(contact, crm.Fields{"lastname": "X", "fullname": "Mr X"}), want: inv, field: "fullname"},

		// Integer.
		{name: "integer given a string", run: createAccount(crm.Fields{"numberofemployees": "ten"}), want: inv, field: "numberofemployees"},
		{name: "integer given a float", run: createAccount(crm.Fields{"numberofemployees": 1.0}), want: inv, field: "numberofemployees"},
		{name: "integer given an unsigned", run: createAccount(crm.Fields{"numberofemployees": uint64(5)}), want: inv, field: "numberofemployees"},
		{name: "integer given a decimal", run: createAccount(crm.Fields{"numberofemployees": dec("5")}), want: inv, field: "numberofemployees"},
		{name: "integer given a bool", run: updateAccount(crm.Fields{"numberofemployees": true}), want: inv, field: "numberofemployees"},
		{name: "integer over int32", run: updateAccount(crm.Fields{"numberofemployees": int64(1) << 31}), want: inv, field: "numberofemployees"},
		{name: "integer under int32", run: updateAccount(crm.Fields{"numberofemployees": int64(-1)<<31 - 1}), want: inv, field: "numberofemployees"},
		{name: "integer at int64's end", run: updateAccount(crm.Fields{"numberofemployees": int64(-1 << 63)}), want: inv, field: "numberofemployees"},

		// Decimal.
		{name: "decimal given a float", run: createAccount(crm.Fields{"rating": 1.5}), want: inv, field: "rating"},
		{name: "decimal given a string", run: createAccount(crm.Fields{"rating": "1.5"}), want: inv, field: "rating"},
		{name: "decimal given an int", run: createAccount(crm.Fields{"rating": 2}), want: inv, field: "rating"},
		{name: "decimal with too many places", run: updateAccount(crm.Fields{"rating": dec("1.234")}), want: inv, field: "rating"},
		{name: "decimal over its range", run: updateAccount(crm.Fields{"rating": dec("100000000000.01")}), want: inv, field: "rating"},
		{name: "decimal under its range", run: updateAccount(crm.Fields{"rating": dec("-100000000000.01")}), want: inv, field: "rating"},
		{name: "decimal 1e3000000", run: updateAccount(crm.Fields{"rating": dec("1e3000000")}), want: inv, field: "rating"},
		{name: "decimal 1e-3000000", run: updateAccount(crm.Fields{"rating": dec("1e-3000000")}), want: inv, field: "rating"},
		{name: "decimal -1e3000000", run: createAccount(crm.Fields{"rating": dec("-1e3000000")}), want: inv, field: "rating"},

		// Money.
		{name: "money given a decimal", run: createAccount(crm.Fields{"creditlimit": dec("5")}), want: inv, field: "creditlimit"},
		{name: "money given a string", run: createAccount(crm.Fields{"creditlimit": "5 EUR"}), want: inv, field: "creditlimit"},
		{name: "money without a currency", run: createAccount(crm.Fields{"creditlimit": crm.Money{Amount: dec("5")}}), want: inv, field: "creditlimit"},
		{name: "money in an unknown currency", run: updateAccount(crm.Fields{"creditlimit": crm.Money{Amount: dec("5"), Currency: "XXX"}}), want: inv, field: "creditlimit"},
		{name: "money in a lower-case currency", run: updateAccount(crm.Fields{"creditlimit": crm.Money{Amount: dec("5"), Currency: "eur"}}), want: inv, field: "creditlimit"},
		{name: "money with more places than its currency", run: updateAccount(crm.Fields{"creditlimit": money("1.5 JPY")}), want: inv, field: "creditlimit"},
		{name: "money over its range", run: updateAccount(crm.Fields{"creditlimit": money("922337203685478 EUR")}), want: inv, field: "creditlimit"},
		{name: "money 1e3000000", run: updateAccount(crm.Fields{"creditlimit": crm.Money{Amount: dec("1e3000000"), Currency: "EUR"}}), want: inv, field: "creditlimit"},
		{name: "money 1e-3000000", run: updateAccount(crm.Fields{"creditlimit": crm.Money{Amount: dec("1e-3000000"), Currency: "EUR"}}), want: inv, field: "creditlimit"},

		// Bool.
		{name: "bool given a string", run: createAccount(crm.Fields{"creditonhold": "true"}), want: inv, field: "creditonhold"},
		{name: "bool given an int", run: createAccount(crm.Fields{"creditonhold": 1}), want: inv, field: "creditonhold"},

		// Time.
		{name: "time given a string", run: createAccount(crm.Fields{"lastcontactedon": "2026-03-01"}), want: inv, field: "lastcontactedon"},
		{name: "time given a Unix time", run: createAccount(crm.Fields{"lastcontactedon": int64(1700000000)}), want: inv, field: "lastcontactedon"},
		{name: "time given a pointer", run: createAccount(crm.Fields{"lastcontactedon": &t1752}), want: inv, field: "lastcontactedon"},
		{name: "zero time", run: createAccount(crm.Fields{"lastcontactedon": time.Time{}}), want: inv, field: "lastcontactedon"},
		{name: "time a microsecond before 1753", run: updateAccount(crm.Fields{"lastcontactedon": t1752}), want: inv, field: "lastcontactedon"},
		{name: "date-only time before 1753", run: updateAccount(crm.Fields{"foundedon": t1752}), want: inv, field: "foundedon"},
		{name: "time after 9999-12-31", run: updateAccount(crm.Fields{"lastcontactedon": t10000}), want: inv, field: "lastcontactedon"},
		{name: "date-only time after 9999-12-31", run: createAccount(crm.Fields{"foundedon": t10000}), want: inv, field: "foundedon"},
		{name: "time far after 9999", run: createAccount(crm.Fields{"lastcontactedon": time.Date(262000, 1, 1, 0, 0, 0, 0, time.UTC)}), want: inv, field: "lastcontactedon"},

		// Choice.
		{name: "choice not an option", run: updateAccount(crm.Fields{"category": 7}), want: inv, field: "category"},
		{name: "choice zero is not an option here", run: updateAccount(crm.Fields{"category": int32(0)}), want: inv, field: "category"},
		{name: "choice beyond int32 onto an option", run: updateAccount(crm.Fields{"category": int64(1<<32 + 1)}), want: inv, field: "category"},
		{name: "choice given a string", run: createAccount(crm.Fields{"category": "1"}), want: inv, field: "category"},
		{name: "choice given a float", run: createAccount(crm.Fields{"category": 1.0}), want: inv, field: "category"},

		// Lookup.
		{name: "lookup to a missing record", run: updateAccount(crm.Fields{"primarycontactid": testID(404)}), want: inv, field: "primarycontactid"},
		{name: "lookup to the nil ID", run: updateAccount(crm.Fields{"primarycontactid": crm.NilID}), want: inv, field: "primarycontactid"},
		{name: "lookup given a zero Ref", run: updateAccount(crm.Fields{"primarycontactid": crm.Ref{}}), want: inv, field: "primarycontactid"},
		{name: "lookup given a string", run: updateAccount(crm.Fields{"primarycontactid": "00000000-0000-7000-8000-000000000404"}), want: inv, field: "primarycontactid"},
		{name: "lookup to an entity it cannot point at", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Update(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: f.acc.ID}, Fields: crm.Fields{"primarycontactid": f.other.Ref()}})
		}, want: inv, field: "primarycontactid"},
		{name: "lookup to an unknown entity", run: updateAccount(crm.Fields{"primarycontactid": crm.Ref{Entity: "nosuchentity", ID: testID(1)}}), want: inv, field: "primarycontactid"},
		{name: "polymorphic lookup given a bare ID", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Create(e.ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "X", "parentcustomerid": f.acc.ID}})
		}, want: inv, field: "parentcustomerid"},
		{name: "polymorphic lookup naming the wrong entity", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Create(e.ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "X", "parentcustomerid": crm.Ref{Entity: contact, ID: f.acc.ID}}})
		}, want: inv, field: "parentcustomerid"},
		{name: "hierarchy pointing at itself", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Update(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: f.acc.ID}, Fields: crm.Fields{"parentaccountid": f.acc.Ref()}})
		}, want: inv, field: "parentaccountid"},
		{name: "required lookup missing", run: createIn(salesorder, crm.Fields{"name": "No customer"}), want: inv, field: "customerid"},

		// Names, system fields and headers.
		{name: "unknown field", run: createAccount(crm.Fields{"nosuchfield": 1}), want: inv, field: "nosuchfield"},
		{name: "field named in upper case", run: createAccount(crm.Fields{"City": "Paris"}), want: inv, field: "City"},
		{name: "system field createdon", run: createAccount(crm.Fields{crm.FieldCreatedOn: now}), want: inv, field: crm.FieldCreatedOn},
		{name: "system field id", run: createAccount(crm.Fields{crm.FieldID: testID(5)}), want: inv, field: crm.FieldID},
		{name: "system field version on update", run: updateAccount(crm.Fields{crm.FieldVersion: int64(7)}), want: inv, field: crm.FieldVersion},
		{name: "system field statecode on update", run: updateAccount(crm.Fields{crm.FieldState: int32(1)}), want: inv, field: crm.FieldState},
		{name: "owner that is an account", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Create(e.ctx, crm.Record{Entity: account, Header: crm.Header{Owner: f.other.Ref()}, Fields: crm.Fields{"name": "X"}})
		}, want: inv, field: crm.FieldOwner},
		{name: "owner changed by an update", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Update(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: f.acc.ID, Owner: crm.Ref{Entity: crm.UserEntity, ID: bob}}, Fields: crm.Fields{"city": "Rome"}})
		}, want: inv, field: crm.FieldOwner},
		{name: "non-initial state on create", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Create(e.ctx, crm.Record{Entity: task, Header: crm.Header{State: taskCompleted}, Fields: crm.Fields{"subject": "X"}})
		}, want: inv, field: crm.FieldState},
		{name: "status of another state on create", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Create(e.ctx, crm.Record{Entity: task, Header: crm.Header{Status: statusCompleted}, Fields: crm.Fields{"subject": "X"}})
		}, want: inv, field: crm.FieldStatus},
		{name: "status on an entity without a lifecycle", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Create(e.ctx, crm.Record{Entity: account, Header: crm.Header{Status: 1}, Fields: crm.Fields{"name": "X"}})
		}, want: inv, field: crm.FieldState},
		{name: "update naming another state", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Update(e.ctx, crm.Record{Entity: task, Header: crm.Header{ID: f.tsk.ID, State: taskCanceled}, Fields: crm.Fields{"subject": "Y"}})
		}, want: inv, field: crm.FieldState},
		{name: "update naming another status", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Update(e.ctx, crm.Record{Entity: task, Header: crm.Header{ID: f.tsk.ID, Status: statusDeferred}, Fields: crm.Fields{"subject": "Y"}})
		}, want: inv, field: crm.FieldStatus},

		// IDs, entities and versions.
		{name: "create with an ID in use", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Create(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: f.other.ID}, Fields: crm.Fields{"name": "Twin"}})
		}, want: crm.ErrDuplicate},
		{name: "create many with one ID twice", run: func(e *env, f *badFixture) (any, error) {
			return e.store.CreateMany(e.ctx, []crm.Record{
				{Entity: account, Header: crm.Header{ID: testID(77)}, Fields: crm.Fields{"name": "One"}},
				{Entity: account, Header: crm.Header{ID: testID(77)}, Fields: crm.Fields{"name": "Two"}},
			})
		}, want: crm.ErrDuplicate},
		{name: "create of an unknown entity", run: createIn("nosuchentity", crm.Fields{"name": "X"}), want: nf},
		{name: "create of an empty entity name", run: createIn("", crm.Fields{"name": "X"}), want: nf},
		{name: "get the nil ID", run: func(e *env, f *badFixture) (any, error) { return e.store.Get(e.ctx, account, crm.NilID) }, want: nf},
		{name: "get an unknown entity", run: func(e *env, f *badFixture) (any, error) { return e.store.Get(e.ctx, "nosuchentity", f.acc.ID) }, want: nf},
		{name: "get an ID of another entity", run: func(e *env, f *badFixture) (any, error) { return e.store.Get(e.ctx, contact, f.acc.ID) }, want: nf},
		{name: "update the nil ID", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Update(e.ctx, crm.Record{Entity: account, Fields: crm.Fields{"city": "Rome"}})
		}, want: nf},
		{name: "update an unknown ID", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Update(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: testID(404)}, Fields: crm.Fields{"city": "Rome"}})
		}, want: nf},
		{name: "update an ID of another entity", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Update(e.ctx, crm.Record{Entity: contact, Header: crm.Header{ID: f.acc.ID}, Fields: crm.Fields{"city": "Rome"}})
		}, want: nf},
		{name: "update of an unknown entity", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Update(e.ctx, crm.Record{Entity: "nosuchentity", Header: crm.Header{ID: f.acc.ID}, Fields: crm.Fields{"city": "Rome"}})
		}, want: nf},
		{name: "update at a stale version", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Update(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: f.acc.ID, Version: 99}, Fields: crm.Fields{"city": "Rome"}})
		}, want: crm.ErrConflict},
		{name: "update of a closed task", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Update(e.ctx, crm.Record{Entity: task, Header: crm.Header{ID: f.done.ID}, Fields: crm.Fields{"subject": "Reworded"}})
		}, want: crm.ErrInvalidTransition},
		{name: "delete the nil ID", run: func(e *env, f *badFixture) (any, error) {
			return nil, e.store.Delete(e.ctx, crm.Ref{Entity: account}, storage.AnyVersion)
		}, want: nf},
		{name: "delete an ID of another entity", run: func(e *env, f *badFixture) (any, error) {
			return nil, e.store.Delete(e.ctx, crm.Ref{Entity: contact, ID: f.acc.ID}, storage.AnyVersion)
		}, want: nf},
		{name: "delete of an unknown entity", run: func(e *env, f *badFixture) (any, error) {
			return nil, e.store.Delete(e.ctx, crm.Ref{Entity: "nosuchentity", ID: f.acc.ID}, storage.AnyVersion)
		}, want: nf},
		{name: "delete at a stale version", run: func(e *env, f *badFixture) (any, error) { return nil, e.store.Delete(e.ctx, f.other.Ref(), 99) }, want: crm.ErrConflict},
		{name: "delete restricted by an order", run: func(e *env, f *badFixture) (any, error) {
			return nil, e.store.Delete(e.ctx, f.acc.Ref(), storage.AnyVersion)
		}, want: crm.ErrRestricted},
		{name: "unknown lifecycle event", run: func(e *env, f *badFixture) (any, error) {
			return e.store.SetState(e.ctx, f.tsk.Ref(), storage.AnyVersion, "explode", 0)
		}, want: crm.ErrInvalidTransition},
		{name: "event not allowed from the state", run: func(e *env, f *badFixture) (any, error) {
			return e.store.SetState(e.ctx, f.done.Ref(), storage.AnyVersion, "cancel", 0)
		}, want: crm.ErrInvalidTransition},
		{name: "event with a status of another state", run: func(e *env, f *badFixture) (any, error) {
			return e.store.SetState(e.ctx, f.tsk.Ref(), storage.AnyVersion, "complete", statusCanceled)
		}, want: inv, field: crm.FieldStatus},
		{name: "event with an unknown status", run: func(e *env, f *badFixture) (any, error) {
			return e.store.SetState(e.ctx, f.tsk.Ref(), storage.AnyVersion, "complete", 99)
		}, want: inv, field: crm.FieldStatus},
		{name: "event on an entity without a lifecycle", run: func(e *env, f *badFixture) (any, error) {
			return e.store.SetState(e.ctx, f.acc.Ref(), storage.AnyVersion, "complete", 0)
		}, want: inv, field: crm.FieldState},
		{name: "event at a stale version", run: func(e *env, f *badFixture) (any, error) {
			return e.store.SetState(e.ctx, f.tsk.Ref(), 42, "complete", 0)
		}, want: crm.ErrConflict},
		{name: "event on the nil ID", run: func(e *env, f *badFixture) (any, error) {
			return e.store.SetState(e.ctx, crm.Ref{Entity: task}, storage.AnyVersion, "complete", 0)
		}, want: nf},
		{name: "event on an ID of another entity", run: func(e *env, f *badFixture) (any, error) {
			return e.store.SetState(e.ctx, crm.Ref{Entity: task, ID: f.acc.ID}, storage.AnyVersion, "complete", 0)
		}, want: nf},
		{name: "assign to no one", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Assign(e.ctx, f.acc.Ref(), storage.AnyVersion, crm.Ref{})
		}, want: inv, field: crm.FieldOwner},
		{name: "assign to an account", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Assign(e.ctx, f.acc.Ref(), storage.AnyVersion, f.other.Ref())
		}, want: inv, field: crm.FieldOwner},
		{name: "assign an unknown ID", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Assign(e.ctx, crm.Ref{Entity: account, ID: testID(404)}, storage.AnyVersion, crm.Ref{Entity: crm.UserEntity, ID: bob})
		}, want: nf},

		// Conditions, by operator.
		{name: "condition on an unknown field", run: countWhere(account, crm.Eq("nosuchfield", 1)), want: inv, field: "nosuchfield"},
		{name: "eq with nil", run: countWhere(account, crm.Eq("city", nil)), want: inv, field: "city"},
		{name: "eq with no value", run: countWhere(account, crm.Where("city", crm.OpEq)), want: inv, field: "city"},
		{name: "eq with two values", run: countWhere(account, crm.Where("city", crm.OpEq, "a", "b")), want: inv, field: "city"},
		{name: "eq of the wrong type", run: countWhere(account, crm.Eq("numberofemployees", "ten")), want: inv, field: "numberofemployees"},
		{name: "eq a decimal with a float", run: countWhere(account, crm.Eq("rating", 4.5)), want: inv, field: "rating"},
		{name: "eq money with a string", run: countWhere(account, crm.Eq("creditlimit", "1000 EUR")), want: inv, field: "creditlimit"},
		{name: "eq money in an unknown currency", run: countWhere(account, crm.Eq("creditlimit", crm.Money{Amount: dec("1"), Currency: "XXX"})), want: inv, field: "creditlimit"},
		{name: "ne with text of invalid UTF-8", run: countWhere(account, crm.Ne("city", "\xff")), want: inv, field: "city"},
		{name: "lt on a bool", run: countWhere(account, crm.Lt("creditonhold", true)), want: inv, field: "creditonhold"},
		{name: "le on a lookup", run: countWhere(account, crm.Le("primarycontactid", testID(1))), want: inv, field: "primarycontactid"},
		{name: "gt on the ID", run: countWhere(account, crm.Gt(crm.FieldID, testID(1))), want: inv, field: crm.FieldID},
		{name: "ge with text on a time", run: countWhere(account, crm.Ge("lastcontactedon", "1 Jan 2026")), want: inv, field: "lastcontactedon"},
		{name: "lt a time before 1753", run: countWhere(account, crm.Lt("lastcontactedon", t1752)), want: inv, field: "lastcontactedon"},
		{name: "eq a time after 9999", run: countWhere(account, crm.Eq("lastcontactedon", t10000)), want: inv, field: "lastcontactedon"},
		{name: "gt a date before 1753", run: countWhere(account, crm.Gt("foundedon", t1752)), want: inv, field: "foundedon"},
		{name: "in with no values", run: countWhere(account, crm.In("city")), want: inv, field: "city"},
		{name: "in on money", run: countWhere(account, crm.In("creditlimit", money("1 EUR"))), want: inv, field: "creditlimit"},
		{name: "in on a time", run: countWhere(account, crm.In("lastcontactedon", now)), want: inv, field: "lastcontactedon"},
		{name: "not-in on a bool", run: countWhere(account, crm.NotIn("creditonhold", true)), want: inv, field: "creditonhold"},
		{name: "in with a nil value", run: countWhere(account, crm.In("city", "Paris", nil)), want: inv, field: "city"},
		{name: "not-in with a value of the wrong type", run: countWhere(account, crm.NotIn("category", true)), want: inv, field: "category"},
		{name: "in a lookup with a string", run: countWhere(account, crm.In("primarycontactid", "x")), want: inv, field: "primarycontactid"},
		{name: "like on an integer", run: countWhere(account, crm.Like("numberofemployees", "1%")), want: inv, field: "numberofemployees"},
		{name: "like with a non-string pattern", run: countWhere(account, crm.Where("city", crm.OpLike, 5)), want: inv, field: "city"},
		{name: "like with a NUL", run: countWhere(account, crm.Like("city", "a\x00%")), want: inv, field: "city"},
		{name: "not-like with invalid UTF-8", run: countWhere(account, crm.Where("city", crm.OpNotLike, "\xfe%")), want: inv, field: "city"},
		{name: "begins-with on a choice", run: countWhere(account, crm.BeginsWith("category", "1")), want: inv, field: "category"},
		{name: "ends-with with two values", run: countWhere(account, crm.Where("city", crm.OpEndsWith, "a", "b")), want: inv, field: "city"},
		{name: "not-begin-with on a lookup", run: countWhere(account, crm.Where("primarycontactid", crm.OpNotBeginWith, "a")), want: inv, field: "primarycontactid"},
		{name: "not-end-with with no value", run: countWhere(account, crm.Where("city", crm.OpNotEndWith)), want: inv, field: "city"},
		{name: "null with a value", run: countWhere(account, crm.Where("city", crm.OpNull, "x")), want: inv, field: "city"},
		{name: "not-null with a value", run: countWhere(account, crm.Where("city", crm.OpNotNull, "x")), want: inv, field: "city"},
		{name: "between with one value", run: countWhere(account, crm.Where("numberofemployees", crm.OpBetween, 1)), want: inv, field: "numberofemployees"},
		{name: "between on a bool", run: countWhere(account, crm.Between("creditonhold", false, true)), want: inv, field: "creditonhold"},
		{name: "not-between with a wrong type", run: countWhere(account, crm.Where("rating", crm.OpNotBetween, dec("1"), "9")), want: inv, field: "rating"},
		{name: "on for a text field", run: countWhere(account, crm.Where("city", crm.OpOn, now)), want: inv, field: "city"},
		{name: "on with a string", run: countWhere(account, crm.Where("lastcontactedon", crm.OpOn, "March 1")), want: inv, field: "lastcontactedon"},
		{name: "on-or-before with no value", run: countWhere(account, crm.Where("lastcontactedon", crm.OpOnOrBefore)), want: inv, field: "lastcontactedon"},
		{name: "on-or-after a day before 1753", run: countWhere(account, crm.Where("lastcontactedon", crm.OpOnOrAfter, t1752)), want: inv, field: "lastcontactedon"},
		{name: "today with a value", run: countWhere(account, crm.Where("lastcontactedon", crm.OpToday, now)), want: inv, field: "lastcontactedon"},
		{name: "yesterday on an integer", run: countWhere(account, crm.Where("numberofemployees", crm.OpYesterday)), want: inv, field: "numberofemployees"},
		{name: "this-month with a value", run: countWhere(account, crm.Where("lastcontactedon", crm.OpThisMonth, 1)), want: inv, field: "lastcontactedon"},
		{name: "last-x-days zero", run: countWhere(account, crm.Where("lastcontactedon", crm.OpLastXDays, 0)), want: inv, field: "lastcontactedon"},
		{name: "next-x-days over 100000", run: countWhere(account, crm.Where("lastcontactedon", crm.OpNextXDays, 100_001)), want: inv, field: "lastcontactedon"},
		{name: "last-x-hours on a date-only field", run: countWhere(account, crm.Where("foundedon", crm.OpLastXHours, 3)), want: inv, field: "foundedon"},
		{name: "olderthan-x-days with a string", run: countWhere(account, crm.Where("lastcontactedon", crm.OpOlderThanXDays, "3")), want: inv, field: "lastcontactedon"},
		{name: "unknown operator", run: countWhere(account, crm.Where("city", crm.Operator(99), "x")), want: inv, field: "city"},
		{name: "operator zero", run: countWhere(account, crm.Condition{Field: "city"}), want: inv, field: "city"},
		{name: "a nil condition pointer", run: countWhere(account, (*crm.Condition)(nil)), want: inv},
		{name: "a nil group pointer", run: countWhere(account, (*crm.Group)(nil)), want: inv},
		{name: "a bad condition deep in groups", run: countWhere(account, crm.Or(crm.And(crm.Eq("city", "Paris"), crm.Or(crm.Eq("nosuch", 1))))), want: inv, field: "nosuch"},
		{name: "related through a non-lookup", run: countWhere(contact, crm.Through("lastname", account, crm.Eq("name", "Alpha"))), want: inv, field: "lastname"},
		{name: "related to an entity the lookup cannot point at", run: countWhere(contact, crm.Through("parentcustomerid", task, nil)), want: inv, field: "parentcustomerid"},
		{name: "related with a bad inner field", run: countWhere(contact, crm.Through("parentcustomerid", account, crm.Eq("lastname", "x"))), want: inv, field: "parentcustomerid.lastname"},
		{name: "more related conditions than allowed", run: countWhere(contact, func() crm.Filter {
			var g crm.Group
			for range crm.MaxRelated + 1 {
				g.Filters = append(g.Filters, crm.Through("parentcustomerid", account, nil))
			}
			return g
		}()), want: inv, field: "where"},
		{name: "count of an unknown entity", run: countWhere("nosuchentity", nil), want: nf},

		// Query shape.
		{name: "order by an unknown field", run: queryAccounts(crm.Query{OrderBy: []crm.Order{crm.Asc("nosuch")}}), want: inv, field: "nosuch"},
		{name: "negative limit", run: queryAccounts(crm.Query{Limit: -1}), want: inv, field: "limit"},
		{name: "limit over the page size", run: queryAccounts(crm.Query{Limit: crm.MaxPageSize + 1}), want: inv, field: "limit"},

		// Cursors.
		{name: "cursor that is not base64", run: afterCursor(constCursor("!!not a cursor!!")), want: inv, field: "after"},
		{name: "cursor of padded base64", run: afterCursor(constCursor(crm.Cursor(base64.URLEncoding.EncodeToString([]byte(`{"o":"account,name,id","k":["Alpha","x"]}`))))), want: inv, field: "after"},
		{name: "cursor of base64 that is not JSON", run: afterCursor(constCursor(rawCursor("hello"))), want: inv, field: "after"},
		{name: "cursor of JSON of the wrong shape", run: afterCursor(constCursor(rawCursor(`{"o":1,"k":"x"}`))), want: inv, field: "after"},
		{name: "cursor of a JSON array", run: afterCursor(constCursor(rawCursor(`["account,name,id"]`))), want: inv, field: "after"},
		{name: "cursor with too few keys", run: afterCursor(constCursor(forgedCursor(byName, "Alpha"))), want: inv, field: "after"},
		{name: "cursor with too many keys", run: afterCursor(constCursor(forgedCursor(byName, "Alpha", testID(1), "x"))), want: inv, field: "after"},
		{name: "cursor of another order", run: afterCursor(constCursor(forgedCursor("account,city,id", "Paris", testID(1)))), want: inv, field: "after"},
		{name: "cursor of another entity", run: afterCursor(constCursor(forgedCursor("contact,name,id", "Alpha", testID(1)))), want: inv, field: "after"},
		{name: "cursor of another query", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Query(e.ctx, crm.Query{Entity: account, OrderBy: []crm.Order{crm.Desc("name")}, After: f.cursor})
		}, want: inv, field: "after"},
		{name: "cursor of the same order on another entity", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Query(e.ctx, crm.Query{Entity: salesorder, OrderBy: []crm.Order{crm.Asc("name")}, After: f.cursor})
		}, want: inv, field: "after"},
		{name: "cursor whose ID key is not a UUID", run: afterCursor(constCursor(forgedCursor(byName, "Alpha", "not-a-uuid"))), want: inv, field: "after"},
		{name: "cursor whose text key has a NUL", run: afterCursor(constCursor(forgedCursor(byName, "Al\x00pha", testID(1)))), want: inv, field: "after"},
		{name: "cursor whose integer key is text", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Query(e.ctx, crm.Query{Entity: account, OrderBy: []crm.Order{crm.Asc("numberofemployees")},
				After: forgedCursor("account,numberofemployees,id", "ten", testID(1))})
		}, want: inv, field: "after"},
		{name: "cursor whose time key is before 1753", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Query(e.ctx, crm.Query{Entity: account, OrderBy: []crm.Order{crm.Asc("lastcontactedon")},
				After: forgedCursor("account,lastcontactedon,id", "1600-01-01T00:00:00Z", testID(1))})
		}, want: inv, field: "after"},
		{name: "cursor whose time key is after 9999", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Query(e.ctx, crm.Query{Entity: account, OrderBy: []crm.Order{crm.Asc("lastcontactedon")},
				After: forgedCursor("account,lastcontactedon,id", "+10000-01-01T00:00:00Z", testID(1))})
		}, want: inv, field: "after"},
		{name: "cursor whose choice key is beyond int32", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Query(e.ctx, crm.Query{Entity: account, OrderBy: []crm.Order{crm.Asc("category")},
				After: forgedCursor("account,category,id", "4294967297", testID(1))})
		}, want: inv, field: "after"},
		{name: "cursor whose decimal key is not a number", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Query(e.ctx, crm.Query{Entity: account, OrderBy: []crm.Order{crm.Asc("rating")},
				After: forgedCursor("account,rating,id", "4.5.0", testID(1))})
		}, want: inv, field: "after"},

		// Aggregations.
		{name: "aggregate with no measures", run: aggregateAccounts(crm.Aggregation{}), want: inv, field: "measures"},
		{name: "aggregate of an unknown field", run: aggregateAccounts(crm.Aggregation{Measures: []crm.Measure{{Alias: "s", Func: crm.AggSum, Field: "nosuch"}}}), want: inv, field: "s"},
		{name: "sum of text", run: aggregateAccounts(crm.Aggregation{Measures: []crm.Measure{{Alias: "s", Func: crm.AggSum, Field: "city"}}}), want: inv, field: "s"},
		{name: "max of a bool", run: aggregateAccounts(crm.Aggregation{Measures: []crm.Measure{{Alias: "m", Func: crm.AggMax, Field: "creditonhold"}}}), want: inv, field: "m"},
		{name: "unknown aggregate function", run: aggregateAccounts(crm.Aggregation{Measures: []crm.Measure{{Alias: "m", Func: crm.AggFunc(99), Field: "rating"}}}), want: inv, field: "m"},
		{name: "an alias used twice", run: aggregateAccounts(crm.Aggregation{GroupBy: []crm.GroupBy{{Field: "city"}},
			Measures: []crm.Measure{{Alias: "city", Func: crm.AggCount}}}), want: inv, field: "city"},
		{name: "group by day of a text", run: aggregateAccounts(crm.Aggregation{GroupBy: []crm.GroupBy{{Field: "city", Date: crm.ByDay}},
			Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}}), want: inv, field: "city"},
		{name: "group by money", run: aggregateAccounts(crm.Aggregation{GroupBy: []crm.GroupBy{{Field: "creditlimit"}},
			Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}}), want: inv, field: "creditlimit"},
		{name: "aggregate with a bad filter", run: aggregateAccounts(crm.Aggregation{Where: crm.Lt("creditonhold", true),
			Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}}), want: inv, field: "creditonhold"},
		{name: "aggregate of an unknown entity", run: func(e *env, f *badFixture) (any, error) {
			return e.store.Aggregate(e.ctx, crm.Aggregation{Entity: "nosuchentity", Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}})
		}, want: nf},
	}
}
