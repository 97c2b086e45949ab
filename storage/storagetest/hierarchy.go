package storagetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
)

// The hierarchy fixture: accounts along parentaccountid, each ID
// testID(300+n) in the order listed, and contacts of some of them.
//
//	H0 ─┬─ H1a ─┬─ H2a ── H3a
//	    │       └─ H2b
//	    └─ H1b ─── H2c
//	Solo
//	Other ── OtherKid
//
// Contacts: Kid (of H2a), Top (of H0), Out (of Solo), Con (of contact Kid).
func (e *env) loadHierarchy() map[string]crm.ID {
	e.t.Helper()
	ids := map[string]crm.ID{}
	for i, r := range []struct{ name, parent string }{
		{"H0", ""}, {"H1a", "H0"}, {"H2a", "H1a"}, {"H3a", "H2a"}, {"H2b", "H1a"}, {"H1b", "H0"}, {"H2c", "H1b"},
		{"Solo", ""}, {"Other", ""}, {"OtherKid", "Other"},
	} {
		f := crm.Fields{"name": r.name}
		if r.parent != "" {
			f["parentaccountid"] = ids[r.parent]
		}
		ids[r.name] = e.createWithID(account, testID(300+i), f).ID
	}
	for i, c := range []struct{ name, entity, parent string }{
		{"Kid", account, "H2a"}, {"Top", account, "H0"}, {"Out", account, "Solo"}, {"Con", contact, "Kid"},
	} {
		ids[c.name] = e.createWithID(contact, testID(400+i), crm.Fields{"lastname": c.name,
			"parentcustomerid": crm.Ref{Entity: c.entity, ID: ids[c.parent]}}).ID
	}
	return ids
}

// testHierarchy pins the hierarchy operators (under, eq-or-under, above,
// eq-or-above, not-under) and the caller operators (eq-userid, ne-userid,
// eq-userteams, eq-useroruserteams, eq-businessid, ne-businessid).
func testHierarchy(t *testing.T, open Opener) {
	t.Run("Operators", func(t *testing.T) { testHierarchyOperators(t, open) })
	t.Run("Depth", func(t *testing.T) { testHierarchyDepth(t, open) })
	t.Run("Validation", func(t *testing.T) { testHierarchyValidation(t, open) })
	t.Run("Caller", func(t *testing.T) { testCallerOperators(t, open) })
}

func testHierarchyOperators(t *testing.T, open Opener) {
	e := newEnv(t, open)
	ids := e.loadHierarchy()
	id := func(name string) crm.ID { return ids[name] }
	missing := testID(399)
	others := []string{"Solo", "Other", "OtherKid"}
	cases := []queryCase{
		{name: "under: descendants at every depth, not the record", where: crm.Under(id("H0")), want: []string{"H1a", "H2a", "H3a", "H2b", "H1b", "H2c"}},
		{name: "under a middle record: its subtree only, not its siblings'", where: crm.Under(id("H1a")), want: []string{"H2a", "H3a", "H2b"}},
		{name: "under a leaf: nothing", where: crm.Under(id("H3a"))},
		{name: "under a record with no parent and no children: nothing", where: crm.Under(id("Solo"))},
		{name: "eq-or-under: the record and its descendants", where: crm.EqOrUnder(id("H1a")), want: []string{"H1a", "H2a", "H3a", "H2b"}},
		{name: "eq-or-under a leaf: the leaf", where: crm.EqOrUnder(id("H2c")), want: []string{"H2c"}},
		{name: "above: every ancestor, not the record", where: crm.Above(id("H3a")), want: []string{"H2a", "H1a", "H0"}},
		{name: "above a root: nothing", where: crm.Above(id("H0"))},
		{name: "eq-or-above: the record and its ancestors", where: crm.EqOrAbove(id("H2b")), want: []string{"H2b", "H1a", "H0"}},
		{name: "not-under: the record itself, its ancestors, siblings and parentless records stay",
			where: crm.NotUnder(id("H1a")), want: append([]string{"H0", "H1a", "H1b", "H2c"}, others...)},
		{name: "not-under a leaf: everything", where: crm.NotUnder(id("H3a")), want: append([]string{"H0", "H1a", "H2a", "H3a", "H2b", "H1b", "H2c"}, others...)},
		{name: "a Ref to the entity is an ID", where: crm.Where(crm.FieldID, crm.OpUnder, crm.Ref{Entity: account, ID: id("H1b")}), want: []string{"H2c"}},
		{name: "operator by name", where: crm.Where(crm.FieldID, mustOperator(t, "eq-or-under"), id("Other")), want: []string{"Other", "OtherKid"}},
		{name: "under a record that does not exist: nothing", where: crm.Under(missing)},
		{name: "eq-or-under a record that does not exist: nothing", where: crm.EqOrUnder(missing)},
		{name: "above a record that does not exist: nothing", where: crm.Above(missing)},
		{name: "not-under a record that does not exist: everything", where: crm.NotUnder(missing), want: append([]string{"H0", "H1a", "H2a", "H3a", "H2b", "H1b", "H2c"}, others...)},
		{name: "in an Or", where: crm.Or(crm.Under(id("H1b")), crm.Eq("name", "Solo"), crm.Above(id("OtherKid"))), want: []string{"H2c", "Solo", "Other"}},
		{name: "in an And", where: crm.And(crm.EqOrUnder(id("H0")), crm.Like("name", "H2%")), want: []string{"H2a", "H2b", "H2c"}},
		{name: "two hierarchy conditions: under one, not under another", where: crm.And(crm.Under(id("H0")), crm.NotUnder(id("H1a"))), want: []string{"H1a", "H1b", "H2c"}},
		{name: "an And of Ors of hierarchy conditions", where: crm.And(crm.Or(crm.Under(id("H1a")), crm.Under(id("H1b"))), crm.Or(crm.Above(id("H3a")), crm.Eq("name", "H2c"))),
			want: []string{"H2a", "H2c"}},
		{name: "through the parent: accounts whose parent is under H0", where: crm.Through("parentaccountid", "", crm.Under(id("H0"))), want: []string{"H2a", "H3a", "H2b", "H2c"}},
		{name: "through the parent: accounts whose parent is eq-or-under H0", where: crm.Through("parentaccountid", "", crm.EqOrUnder(id("H0"))), want: []string{"H1a", "H2a", "H3a", "H2b", "H1b", "H2c"}},
		{name: "through the parent, not-under: records with no parent fail the related condition", where: crm.Through("parentaccountid", account, crm.NotUnder(id("H0"))), want: []string{"H1a", "H1b", "OtherKid"}},
		{entity: contact, name: "contacts of an account and its sub-accounts", where: crm.Through("parentcustomerid", account, crm.EqOrUnder(id("H1a"))), want: []string{"Kid"}},
		{entity: contact, name: "contacts of the ancestors of an account", where: crm.Through("parentcustomerid", account, crm.Above(id("H2c"))), want: []string{"Top"}},
		{entity: contact, name: "contacts of accounts not under H0, two related levels deep or more",
			where: crm.Or(crm.Through("parentcustomerid", account, crm.NotUnder(id("H0"))),
				crm.Through("parentcustomerid", contact, crm.Through("parentcustomerid", account, crm.Under(id("H1a"))))),
			want: []string{"Top", "Out", "Con"}},
	}
	for _, c := range cases {
		if c.entity == "" {
			c.entity = account
		}
		t.Run(c.name, func(t *testing.T) {
			got := e.all(crm.Query{Entity: c.entity, Where: c.where})
			require.Equal(t, sorted(c.want), sorted(names(got, primaryName(c.entity))), "%s where %#v", c.entity, c.where)
			n, err := e.store.Count(e.ctx, crm.Query{Entity: c.entity, Where: c.where})
			require.NoError(t, err)
			require.EqualValues(t, len(c.want), n, "count agrees with the query")
			rows, err := e.store.Aggregate(e.ctx, crm.Aggregation{Entity: c.entity, Where: c.where, Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}})
			require.NoError(t, err)
			require.EqualValues(t, len(c.want), rows[0].Int("n"), "aggregate agrees with the query")
			got = e.all(viaJSON(t, crm.Query{Entity: c.entity, Where: c.where}))
			require.Equal(t, sorted(c.want), sorted(names(got, primaryName(c.entity))), "the query saved as JSON")
		})
	}

	t.Run("pages of a subtree", func(t *testing.T) {
		q := crm.Query{Entity: account, Where: crm.EqOrUnder(id("H0")), OrderBy: []crm.Order{crm.Asc("name")}, Limit: 2}
		var got []string
		for {
			page, err := e.store.Query(e.ctx, q)
			require.NoError(t, err)
			got = append(got, names(page.Records, "name")...)
			if !page.More {
				break
			}
			q.After = page.Next
		}
		require.Equal(t, []string{"H0", "H1a", "H1b", "H2a", "H2b", "H2c", "H3a"}, got)
	})

	t.Run("a transaction's reads see its own moves in the hierarchy", func(t *testing.T) {
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			_, err := e.store.Update(ctx, crm.Record{Entity: account, Header: crm.Header{ID: id("Other")}, Fields: crm.Fields{"parentaccountid": id("H3a")}})
			require.NoError(t, err)
			var got []string
			for rec, err := range e.store.Iterate(ctx, crm.Query{Entity: account, Where: crm.Under(id("H2a"))}) {
				require.NoError(t, err)
				got = append(got, rec.Fields.String("name"))
			}
			require.Equal(t, sorted([]string{"H3a", "Other", "OtherKid"}), sorted(got))
			return errBoom
		})
		require.ErrorIs(t, err, errBoom)
		require.Equal(t, []string{"H3a"}, names(e.all(crm.Query{Entity: account, Where: crm.Under(id("H2a"))}), "name"), "rolled back")
	})
}

func mustOperator(t *testing.T, name string) crm.Operator {
	t.Helper()
	op, err := crm.ParseOperator(name)
	require.NoError(t, err)
	return op
}

// testHierarchyDepth pins crm.MaxHierarchyDepth on a chain two levels
// deeper than it: D0 at the top, D101 at the bottom.
func testHierarchyDepth(t *testing.T, open Opener) {
	e := newEnv(t, open)
	const n = crm.MaxHierarchyDepth + 2
	recs := make([]crm.Record, n)
	for i := range recs {
		recs[i] = crm.Record{Entity: account, Header: crm.Header{ID: testID(1000 + i)}, Fields: crm.Fields{"name": fmt.Sprintf("D%03d", i)}}
		if i > 0 {
			recs[i].Fields["parentaccountid"] = testID(1000 + i - 1)
		}
	}
	_, err := e.store.CreateMany(e.ctx, recs)
	require.NoError(t, err)
	span := func(from, to int) []string {
		var out []string
		for i := from; i <= to; i++ {
			out = append(out, fmt.Sprintf("D%03d", i))
		}
		return out
	}
	top, bottom := testID(1000), testID(1000+n-1)
	for _, c := range []queryCase{
		{name: "under reaches MaxHierarchyDepth levels down, no further", where: crm.Under(top), want: span(1, crm.MaxHierarchyDepth)},
		{name: "eq-or-under likewise", where: crm.EqOrUnder(top), want: span(0, crm.MaxHierarchyDepth)},
		{name: "not-under is what under is not: the record past the cap included", where: crm.NotUnder(top), want: []string{"D000", fmt.Sprintf("D%03d", n-1)}},
		{name: "above reaches MaxHierarchyDepth levels up, no further", where: crm.Above(bottom), want: span(1, n-2)},
		{name: "eq-or-above likewise", where: crm.EqOrAbove(bottom), want: span(1, n-1)},
		{name: "under one level down reaches the bottom", where: crm.Under(testID(1001)), want: span(2, n-1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := e.all(crm.Query{Entity: account, Where: c.where})
			require.Equal(t, sorted(c.want), sorted(names(got, "name")))
		})
	}
}

func testHierarchyValidation(t *testing.T, open Opener) {
	e := newEnv(t, open)
	ids := e.loadHierarchy()
	h0 := ids["H0"]
	for _, c := range []struct {
		name   string
		entity string
		where  crm.Filter
		field  string
	}{
		{"on a field other than the ID", account, crm.Where("name", crm.OpUnder, h0), "name"},
		{"on the hierarchical lookup rather than the ID", account, crm.Where("parentaccountid", crm.OpEqOrUnder, h0), "parentaccountid"},
		{"with no value", account, crm.Where(crm.FieldID, crm.OpAbove), crm.FieldID},
		{"with two values", account, crm.Where(crm.FieldID, crm.OpUnder, h0, ids["Solo"]), crm.FieldID},
		{"with a value that is no ID", account, crm.Where(crm.FieldID, crm.OpNotUnder, "H0"), crm.FieldID},
		{"with a nil value", account, crm.Where(crm.FieldID, crm.OpUnder, nil), crm.FieldID},
		{"with a Ref to another entity", account, crm.Where(crm.FieldID, crm.OpUnder, crm.Ref{Entity: contact, ID: h0}), crm.FieldID},
		{"on an entity with no hierarchical lookup", contact, crm.Under(h0), crm.FieldID},
		{"inside a related condition, named by its path", contact, crm.Through("parentcustomerid", account, crm.Where("city", crm.OpUnder, h0)), "parentcustomerid.city"},
		{"nested in groups", account, crm.Or(crm.Eq("name", "x"), crm.And(crm.Where("parentaccountid", crm.OpAbove, h0))), "parentaccountid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.store.Query(e.ctx, crm.Query{Entity: c.entity, Where: c.where})
			requireInvalid(t, err, c.field)
			_, err = e.store.Count(e.ctx, crm.Query{Entity: c.entity, Where: c.where})
			requireInvalid(t, err, c.field)
			_, err = e.store.Aggregate(e.ctx, crm.Aggregation{Entity: c.entity, Where: c.where, Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}})
			requireInvalid(t, err, c.field)
		})
	}
}

// testCallerOperators pins the caller operators with two callers: alice
// in the sales team and business unit engineering, bob in no team and no
// unit.
func testCallerOperators(t *testing.T, open Opener) {
	e := newEnv(t, open)
	engineering, support := testID(900_010), testID(900_011)
	service := crm.Ref{Entity: crm.TeamEntity, ID: testID(900_004)}
	aliceAsTeam := crm.Ref{Entity: crm.TeamEntity, ID: alice} // IDs are unique per entity only
	asAlice := crm.WithScope(e.ctx, crm.Scope{Caller: alice, Teams: []crm.ID{sales.ID, service.ID}, BusinessUnit: engineering})
	asBob := crm.WithScope(e.ctx, crm.Scope{Caller: bob})
	asCarol := crm.WithScope(e.ctx, crm.Scope{Caller: testID(900_005), Teams: []crm.ID{sales.ID}, BusinessUnit: support})
	user := func(id crm.ID) crm.Ref { return crm.Ref{Entity: crm.UserEntity, ID: id} }
	for _, r := range []struct {
		name  string
		ctx   context.Context
		owner crm.Ref
	}{
		{"alice's", asAlice, user(alice)},
		{"bob's", asBob, user(bob)},
		{"sales'", asAlice, sales},
		{"service's", asCarol, service},
		{"team alice's", asCarol, aliceAsTeam},
		{"carol's", asCarol, crm.Ref{}},
	} {
		_, err := e.store.Create(r.ctx, crm.Record{Entity: account, Header: crm.Header{Owner: r.owner}, Fields: crm.Fields{"name": r.name}})
		require.NoError(t, err)
	}
	addTask := func(ctx context.Context, subject, about string) {
		t.Helper()
		acc := e.all(crm.Query{Entity: account, Where: crm.Eq("name", about)})
		require.Len(t, acc, 1)
		_, err := e.store.Create(ctx, crm.Record{Entity: task, Fields: crm.Fields{"subject": subject, "regardingobjectid": acc[0].Ref()}})
		require.NoError(t, err)
	}
	addTask(asBob, "about alice's", "alice's")
	addTask(asBob, "about sales'", "sales'")
	addTask(asAlice, "about bob's", "bob's")

	where := func(field string, op crm.Operator) crm.Condition { return crm.Where(field, op) }
	for _, c := range []struct {
		name   string
		ctx    context.Context
		entity string
		where  crm.Filter
		want   []string
	}{
		{"eq-userid on the owner: the caller's own records", asAlice, account, where(crm.FieldOwner, crm.OpEqUserID), []string{"alice's"}},
		{"eq-userid for another caller", asBob, account, where(crm.FieldOwner, crm.OpEqUserID), []string{"bob's"}},
		{"ne-userid: owned by anyone else, teams included", asAlice, account, where(crm.FieldOwner, crm.OpNeUserID),
			[]string{"bob's", "sales'", "service's", "team alice's", "carol's"}},
		{"eq-userid on a single-target lookup: created by the caller", asAlice, account, where(crm.FieldCreatedBy, crm.OpEqUserID), []string{"alice's", "sales'"}},
		{"eq-userteams: owned by one of the caller's teams", asAlice, account, where(crm.FieldOwner, crm.OpEqUserTeams), []string{"sales'", "service's"}},
		{"eq-userteams with one team", asCarol, account, where(crm.FieldOwner, crm.OpEqUserTeams), []string{"sales'"}},
		{"eq-userteams with no teams: nothing", asBob, account, where(crm.FieldOwner, crm.OpEqUserTeams), nil},
		{"eq-useroruserteams: the caller's and the teams'", asAlice, account, where(crm.FieldOwner, crm.OpEqUserOrUserTeams), []string{"alice's", "sales'", "service's"}},
		{"eq-useroruserteams with no teams: the caller's", asBob, account, where(crm.FieldOwner, crm.OpEqUserOrUserTeams), []string{"bob's"}},
		{"eq-useroruserteams on a lookup to users only: the caller's", asCarol, account, where(crm.FieldCreatedBy, crm.OpEqUserOrUserTeams), []string{"service's", "team alice's", "carol's"}},
		{"eq-businessid: records of the caller's business unit", asAlice, account, where(crm.FieldBusinessUnit, crm.OpEqBusinessID), []string{"alice's", "sales'"}},
		{"ne-businessid: records of other units, none without one", asAlice, account, where(crm.FieldBusinessUnit, crm.OpNeBusinessID), []string{"service's", "team alice's", "carol's"}},
		{"in an Or with other conditions", asBob, account, crm.Or(where(crm.FieldOwner, crm.OpEqUserID), crm.Eq("name", "carol's")), []string{"bob's", "carol's"}},
		{"inside a related condition: tasks about the caller's accounts", asAlice, task, crm.Through("regardingobjectid", account, where(crm.FieldOwner, crm.OpEqUserOrUserTeams)),
			[]string{"about alice's", "about sales'"}},
		{"on a task's own owner and through its account at once", asAlice, task,
			crm.And(where(crm.FieldOwner, crm.OpNeUserID), crm.Through("regardingobjectid", account, where(crm.FieldOwner, crm.OpEqUserID))), []string{"about alice's"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for rec, err := range e.store.Iterate(c.ctx, crm.Query{Entity: c.entity, Where: c.where}) {
				require.NoError(t, err)
				got = append(got, rec.Fields.String(primaryName(c.entity)))
			}
			require.Equal(t, sorted(c.want), sorted(got))
			n, err := e.store.Count(c.ctx, crm.Query{Entity: c.entity, Where: c.where})
			require.NoError(t, err)
			require.EqualValues(t, len(c.want), n)
			n, err = e.store.Count(c.ctx, viaJSON(t, crm.Query{Entity: c.entity, Where: c.where}))
			require.NoError(t, err)
			require.EqualValues(t, len(c.want), n, "the query saved as JSON")
		})
	}

	for _, c := range []struct {
		name  string
		ctx   context.Context
		where crm.Filter
		field string
	}{
		{"a caller operator read in no scope", t.Context(), where(crm.FieldOwner, crm.OpEqUserID), crm.FieldOwner},
		{"eq-userteams read in no scope", t.Context(), where(crm.FieldOwner, crm.OpEqUserTeams), crm.FieldOwner},
		{"eq-businessid in a scope naming no business unit", asBob, where(crm.FieldBusinessUnit, crm.OpEqBusinessID), crm.FieldBusinessUnit},
		{"eq-userid on a text field", asAlice, where("name", crm.OpEqUserID), "name"},
		{"eq-userteams on a lookup to users only", asAlice, where(crm.FieldCreatedBy, crm.OpEqUserTeams), crm.FieldCreatedBy},
		{"eq-businessid on the owner", asAlice, where(crm.FieldOwner, crm.OpEqBusinessID), crm.FieldOwner},
		{"eq-userid given a value", asAlice, crm.Where(crm.FieldOwner, crm.OpEqUserID, alice), crm.FieldOwner},
		{"inside a related condition, named by its path", t.Context(), crm.Through("primarycontactid", "", where(crm.FieldOwner, crm.OpNeUserID)), "primarycontactid." + crm.FieldOwner},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.store.Query(c.ctx, crm.Query{Entity: account, Where: c.where})
			requireInvalid(t, err, c.field)
			_, err = e.store.Aggregate(c.ctx, crm.Aggregation{Entity: account, Where: c.where, Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}})
			requireInvalid(t, err, c.field)
		})
	}
}
