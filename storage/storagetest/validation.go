package storagetest

import (
	"strings"
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

func testValidation(t *testing.T, open Opener) {
	// fixture holds records the cases refer to.
	type fixture struct {
		acc, other crm.Record
		con        crm.Record
		tsk        crm.Record
	}
	setup := func(e *env) fixture {
		e.t.Helper()
		var f fixture
		f.con = e.create(contact, crm.Fields{"firstname": "Ann", "lastname": "Lee"})
		f.acc = e.create(account, crm.Fields{"name": "Valid", "accountnumber": "A-1", "primarycontactid": f.con.ID})
		f.other = e.create(account, crm.Fields{"name": "Other"})
		f.tsk = e.create(task, crm.Fields{"subject": "Follow up"})
		return f
	}
	cases := []struct {
		name  string
		field string
		write func(e *env, f fixture) error
	}{
		{"missing required field", "name", func(e *env, f fixture) error {
			_, err := e.store.Create(e.ctx, crm.Record{Entity: account, Fields: crm.Fields{"city": "Paris"}})
			return err
		}},
		{"required field cleared by an update", "name", func(e *env, f fixture) error {
			return update(e, f.acc, crm.Fields{"name": nil})
		}},
		{"text over its max length", "name", func(e *env, f fixture) error {
			_, err := e.store.Create(e.ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": strings.Repeat("x", 41)}})
			return err
		}},
		{"text over its max length counts characters, not bytes", "name", func(e *env, f fixture) error {
			return update(e, f.acc, crm.Fields{"name": strings.Repeat("é", 41)})
		}},
		{"wrong Go type", "numberofemployees", func(e *env, f fixture) error {
			_, err := e.store.Create(e.ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "X", "numberofemployees": "ten"}})
			return err
		}},
		{"wrong Go type for a decimal", "rating", func(e *env, f fixture) error {
			return update(e, f.acc, crm.Fields{"rating": 1.5})
		}},
		{"unknown field", "nosuchfield", func(e *env, f fixture) error {
			_, err := e.store.Create(e.ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "X", "nosuchfield": 1}})
			return err
		}},
		{"integer out of range", "numberofemployees", func(e *env, f fixture) error {
			return update(e, f.acc, crm.Fields{"numberofemployees": int64(1) << 31})
		}},
		{"choice value not in the options", "category", func(e *env, f fixture) error {
			return update(e, f.acc, crm.Fields{"category": 7})
		}},
		{"decimal with too many places", "rating", func(e *env, f fixture) error {
			return update(e, f.acc, crm.Fields{"rating": dec("1.234")})
		}},
		{"money with more places than its currency", "creditlimit", func(e *env, f fixture) error {
			return update(e, f.acc, crm.Fields{"creditlimit": money("1.5 JPY")})
		}},
		{"unknown currency", "creditlimit", func(e *env, f fixture) error {
			return update(e, f.acc, crm.Fields{"creditlimit": crm.Money{Amount: dec("1"), Currency: "XXX"}})
		}},
		{"time before 1753", "lastcontactedon", func(e *env, f fixture) error {
			return update(e, f.acc, crm.Fields{"lastcontactedon": time.Date(1752, 12, 31, 0, 0, 0, 0, time.UTC)})
		}},
		{"lookup to a missing record", "primarycontactid", func(e *env, f fixture) error {
			_, err := e.store.Create(e.ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "X", "primarycontactid": testID(404)}})
			return err
		}},
		{"lookup to a missing record on update", "parentaccountid", func(e *env, f fixture) error {
			return update(e, f.acc, crm.Fields{"parentaccountid": crm.Ref{Entity: account, ID: testID(404)}})
		}},
		{"lookup to an entity it cannot point at", "primarycontactid", func(e *env, f fixture) error {
			return update(e, f.acc, crm.Fields{"primarycontactid": f.other.Ref()})
		}},
		{"polymorphic lookup naming an existing record of the wrong entity", "parentcustomerid", func(e *env, f fixture) error {
			// The ID exists, but as an account, not as a contact.
			_, err := e.store.Create(e.ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "X",
				"parentcustomerid": crm.Ref{Entity: contact, ID: f.acc.ID}}})
			return err
		}},
		{"polymorphic lookup given a bare ID", "parentcustomerid", func(e *env, f fixture) error {
			_, err := e.store.Create(e.ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "X", "parentcustomerid": f.acc.ID}})
			return err
		}},
		{"status reason of another state on create", crm.FieldStatus, func(e *env, f fixture) error {
			_, err := e.store.Create(e.ctx, crm.Record{Entity: task, Header: crm.Header{Status: statusCompleted}, Fields: crm.Fields{"subject": "X"}})
			return err
		}},
		{"status reason of another state on SetState", crm.FieldStatus, func(e *env, f fixture) error {
			_, err := e.store.SetState(e.ctx, f.tsk.Ref(), storage.AnyVersion, "complete", statusCanceled)
			return err
		}},
		{"setting a computed field", "fullname", func(e *env, f fixture) error {
			_, err := e.store.Create(e.ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "X", "fullname": "Mr X"}})
			return err
		}},
		{"setting a computed field on update", "fullname", func(e *env, f fixture) error {
			return update(e, f.con, crm.Fields{"fullname": "Mr X"})
		}},
		{"setting a system field", crm.FieldCreatedOn, func(e *env, f fixture) error {
			_, err := e.store.Create(e.ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "X", crm.FieldCreatedOn: now}})
			return err
		}},
		{"setting the version as a field", crm.FieldVersion, func(e *env, f fixture) error {
			return update(e, f.acc, crm.Fields{crm.FieldVersion: int64(9)})
		}},
		{"changing an immutable field", "accountnumber", func(e *env, f fixture) error {
			return update(e, f.acc, crm.Fields{"accountnumber": "A-2"})
		}},
		{"clearing an immutable field", "accountnumber", func(e *env, f fixture) error {
			return update(e, f.acc, crm.Fields{"accountnumber": nil})
		}},
		{"owner that is not a user or a team", crm.FieldOwner, func(e *env, f fixture) error {
			_, err := e.store.Create(e.ctx, crm.Record{Entity: account, Header: crm.Header{Owner: f.other.Ref()}, Fields: crm.Fields{"name": "X"}})
			return err
		}},
		{"one bad record fails a whole CreateMany", "name", func(e *env, f fixture) error {
			_, err := e.store.CreateMany(e.ctx, []crm.Record{
				{Entity: account, Fields: crm.Fields{"name": "Good"}},
				{Entity: account, Fields: crm.Fields{"city": "No name"}},
			})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name+" is refused naming "+c.field, func(t *testing.T) {
			e := newEnv(t, open)
			f := setup(e)
			before := e.dump()
			counts := map[string]int64{}
			for _, ent := range e.reg.Entities() {
				counts[ent.Name] = e.count(ent.Name)
			}
			requireInvalid(t, c.write(e, f), c.field)
			for _, ent := range e.reg.Entities() {
				require.Equal(t, counts[ent.Name], e.count(ent.Name), "count of %s", ent.Name)
			}
			require.Equal(t, before, e.dump(), "a refused write changes nothing")
		})
	}

	t.Run("a validation error lists every bad field at once", func(t *testing.T) {
		e := newEnv(t, open)
		_, err := e.store.Create(e.ctx, crm.Record{Entity: account, Fields: crm.Fields{"category": 9, "rating": dec("0.001")}})
		requireInvalid(t, err, "name")
		requireInvalid(t, err, "category")
		requireInvalid(t, err, "rating")
		require.Zero(t, e.count(account))
	})
}

// update applies changes to rec at its current version.
func update(e *env, rec crm.Record, changes crm.Fields) error {
	_, err := e.store.Update(e.ctx, crm.Record{Entity: rec.Entity, Header: crm.Header{ID: rec.ID, Version: rec.Version}, Fields: changes})
	return err
}
