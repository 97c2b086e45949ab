package storagetest

import (
	"context"
	"slices"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

// The N:N relationships of the exists tests: accounts with contacts (a
// marketing list's members, say), and accounts with accounts (partners).
var (
	accountContacts = crm.ManyToMany{Name: "accountcontacts", Entity1: account, Entity2: contact}
	accountPartners = crm.ManyToMany{Name: "accountpartners", Entity1: account, Entity2: account}
)

// withManyToMany registers the exists tests' N:N relationships.
func withManyToMany(t *testing.T) func(reg *crm.Registry) {
	return func(reg *crm.Registry) {
		require.NoError(t, reg.RegisterManyToMany(accountContacts, accountPartners))
	}
}

func testExists(t *testing.T, open Opener) {
	t.Run("conditions on the records that refer to a record", func(t *testing.T) {
		e := newEnv(t, open)
		f := e.loadFixture()
		// An account with the ID of the contact Lee: Kim's parent
		// customer is Lee, the contact, and must not count for it.
		e.createWithID(account, f.contacts["Lee"].ID, crm.Fields{"name": "Twin"})
		e.create(task, crm.Fields{"subject": "Review Twin", "regardingobjectid": crm.Ref{Entity: account, ID: f.contacts["Lee"].ID}})
		others := func(except ...string) []string {
			var out []string
			for _, n := range append(allAccounts, "Twin") {
				if !slices.Contains(except, n) {
					out = append(out, n)
				}
			}
			return out
		}
		a := func(name string, where crm.Filter, want ...string) queryCase {
			return queryCase{name: name, entity: account, where: where, want: want}
		}
		c := func(name string, where crm.Filter, want ...string) queryCase {
			return queryCase{name: name, entity: contact, where: where, want: want}
		}
		cases := []queryCase{
			a("any child at all", crm.Any(contact, "parentcustomerid", nil), nA, nb),
			a("any child matching", crm.Any(contact, "parentcustomerid", crm.Eq("city", "LONDON")), nb),
			a("any child with no match", crm.Any(contact, "parentcustomerid", crm.Eq("city", "oslo"))),
			a("none at all", crm.None(contact, "parentcustomerid", nil), others(nA, nb)...),
			a("none matching", crm.None(contact, "parentcustomerid", crm.Eq("firstname", "ann")), others(nA)...),
			a("through a polymorphic lookup matches entity and ID", crm.Any(task, "regardingobjectid", nil), nA, "Twin"),
			a("through a hierarchical lookup: accounts with child accounts", crm.Any(account, "parentaccountid", nil), nA, nG),
			a("none through a hierarchical lookup", crm.None(account, "parentaccountid", crm.Eq("name", "beta")), others(nA)...),
			a("an empty or inside matches no child", crm.Any(contact, "parentcustomerid", crm.Or())),
			a("any in an or", crm.Or(crm.Any(contact, "parentcustomerid", nil), crm.Eq("city", "rome")), nA, nb, nB),
			a("none in an and", crm.And(crm.None(task, "regardingobjectid", nil), crm.Eq("city", "paris")), nb, nF),
			a("two exists in an and", crm.And(crm.Any(contact, "parentcustomerid", nil), crm.Any(account, "parentaccountid", nil)), nA),
			a("pointer", &crm.Exists{Entity: contact, Lookup: "parentcustomerid", Where: crm.Eq("lastname", "ray")}, nb),
			a("exists inside exists", crm.Any(contact, "parentcustomerid", crm.Any(task, "regardingobjectid", crm.Eq("subject", "call bob"))), nb),
			a("none inside any", crm.Any(contact, "parentcustomerid", crm.None(task, "regardingobjectid", crm.Like("subject", "call a%"))), nb),
			a("related inside exists", crm.Any(contact, "parentcustomerid", crm.Through("parentcustomerid", account, crm.Eq("city", "paris"))), nA, nb),
			c("through a polymorphic lookup to contacts", crm.Any(contact, "parentcustomerid", nil), "Lee"),
			c("contacts that are some account's primary contact", crm.Any(account, "primarycontactid", nil), "Lee", "Ray"),
			c("contacts with no task", crm.None(task, "regardingobjectid", nil)),
			c("exists inside related", crm.Through("parentcustomerid", account, crm.Any(task, "regardingobjectid", nil)), "Lee"),
			c("exists inside related inside exists", crm.Any(task, "regardingobjectid",
				crm.Through("regardingobjectid", contact, crm.Any(contact, "parentcustomerid", nil))), "Lee"),
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got := e.all(crm.Query{Entity: c.entity, Where: c.where})
				require.Equal(t, sorted(c.want), sorted(names(got, primaryName(c.entity))), "%s where %#v", c.entity, c.where)
				n, err := e.store.Count(e.ctx, crm.Query{Entity: c.entity, Where: c.where})
				require.NoError(t, err)
				require.EqualValues(t, len(c.want), n, "count agrees with the query")
				rows, err := e.store.Aggregate(e.ctx, crm.Aggregation{Entity: c.entity, Where: c.where,
					Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}})
				require.NoError(t, err)
				require.EqualValues(t, len(c.want), rows[0].Int("n"), "an aggregate filters alike")
			})
		}

		t.Run("a deleted child no longer counts", func(t *testing.T) {
			q := crm.Query{Entity: account, Where: crm.Any(contact, "parentcustomerid", crm.Eq("lastname", "ray"))}
			require.Equal(t, []string{nb}, names(e.all(q), "name"))
			require.NoError(t, e.store.Delete(e.ctx, f.contacts["Ray"].Ref(), storage.AnyVersion))
			require.Empty(t, e.all(q))
			n, err := e.store.Count(e.ctx, crm.Query{Entity: account, Where: crm.None(contact, "parentcustomerid", nil)})
			require.NoError(t, err)
			require.EqualValues(t, len(others(nA)), n, "beta has no contact left")
		})
	})

	t.Run("a transaction sees its own uncommitted children", func(t *testing.T) {
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "Acme"})
		gone := e.create(contact, crm.Fields{"lastname": "Gone", "parentcustomerid": acc.Ref()})
		withNew := crm.Query{Entity: account, Where: crm.Any(contact, "parentcustomerid", crm.Eq("lastname", "new"))}
		withGone := crm.Query{Entity: account, Where: crm.Any(contact, "parentcustomerid", crm.Eq("lastname", "gone"))}
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			_, err := e.store.Create(ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "New", "parentcustomerid": acc.Ref()}})
			require.NoError(t, err)
			require.NoError(t, e.store.Delete(ctx, gone.Ref(), storage.AnyVersion))
			n, err := e.store.Count(ctx, withNew)
			require.NoError(t, err)
			require.EqualValues(t, 1, n, "the new contact counts inside the transaction")
			n, err = e.store.Count(ctx, withGone)
			require.NoError(t, err)
			require.EqualValues(t, 0, n, "the deleted contact does not")
			return errBoom
		})
		require.ErrorIs(t, err, errBoom)
		require.Empty(t, e.all(withNew), "rolled back: no new contact")
		require.Len(t, e.all(withGone), 1, "rolled back: the contact is back")
	})

	t.Run("bad exists conditions are validation errors", func(t *testing.T) {
		e := newEnv(t, open)
		bad := []struct {
			name  string
			query crm.Query
			field string
		}{
			{"unknown entity", crm.Query{Entity: account, Where: crm.Any("nosuchentity", "parentcustomerid", nil)}, "nosuchentity[parentcustomerid]"},
			{"unknown lookup", crm.Query{Entity: account, Where: crm.Any(contact, "nosuchfield", nil)}, "contact[nosuchfield]"},
			{"a field that is not a lookup", crm.Query{Entity: account, Where: crm.Any(contact, "lastname", nil)}, "contact[lastname]"},
			{"a lookup that cannot point at the queried entity", crm.Query{Entity: task, Where: crm.None(contact, "parentcustomerid", nil)}, "contact[parentcustomerid]"},
			{"an unknown field of the child", crm.Query{Entity: account, Where: crm.Any(contact, "parentcustomerid", crm.Eq("name", "x"))}, "contact[parentcustomerid].name"},
			{"inside a group", crm.Query{Entity: account, Where: crm.Or(crm.Eq("name", "x"), crm.Any(contact, "nosuchfield", nil))}, "contact[nosuchfield]"},
			{"inside a related condition", crm.Query{Entity: contact,
				Where: crm.Through("parentcustomerid", account, crm.Any(task, "regardingobjectid", crm.Eq("nosuchfield", 1)))},
				"parentcustomerid.task[regardingobjectid].nosuchfield"},
			{"inside another exists", crm.Query{Entity: account,
				Where: crm.Any(contact, "parentcustomerid", crm.None(task, "regardingobjectid", crm.Eq("nosuchfield", 1)))},
				"contact[parentcustomerid].task[regardingobjectid].nosuchfield"},
		}
		for _, b := range bad {
			t.Run(b.name, func(t *testing.T) {
				_, err := e.store.Query(e.ctx, b.query)
				requireInvalid(t, err, b.field)
				_, err = e.store.Count(e.ctx, b.query)
				requireInvalid(t, err, b.field)
			})
		}
		t.Run("more related-record conditions than allowed, exists and related together", func(t *testing.T) {
			var where crm.Filter = crm.NotNull("name")
			for i := range crm.MaxRelated + 1 {
				if i%2 == 0 {
					where = crm.Any(account, "parentaccountid", where)
				} else {
					where = crm.Through("parentaccountid", account, where)
				}
			}
			_, err := e.store.Query(e.ctx, crm.Query{Entity: account, Where: where})
			requireInvalid(t, err, "where")
		})
	})

	t.Run("many-to-many", func(t *testing.T) { testManyToMany(t, open) })
}

func testManyToMany(t *testing.T, open Opener) {
	e := newEnvChanged(t, open, withManyToMany(t))
	f := e.loadFixture()
	alpha, beta, gamma := f.accounts[nA].Ref(), f.accounts[nb].Ref(), f.accounts[nG].Ref()
	lee, ray, kim := f.contacts["Lee"].Ref(), f.contacts["Ray"].Ref(), f.contacts["Kim"].Ref()
	rel := accountContacts.Name
	for _, p := range [][2]crm.Ref{{alpha, lee}, {alpha, ray}, {ray, beta}, {gamma, kim}} {
		require.NoError(t, e.store.Associate(e.ctx, rel, p[0], p[1]), "associate %s %s", p[0], p[1])
	}
	list := func(t *testing.T, rec crm.Ref, q crm.Query) []crm.Record {
		t.Helper()
		page, err := e.store.Associated(e.ctx, rel, rec, q)
		require.NoError(t, err)
		return page.Records
	}

	t.Run("the other side is listed in both directions", func(t *testing.T) {
		require.Equal(t, []string{"Lee", "Ray"}, sorted(names(list(t, alpha, crm.Query{}), "lastname")))
		require.Equal(t, []string{nA, nb}, sorted(names(list(t, ray, crm.Query{}), "name")))
		require.Equal(t, []string{"Ray"}, names(list(t, alpha, crm.Query{Where: crm.Eq("city", "london")}), "lastname"), "with a filter of its own")
		require.Empty(t, list(t, f.accounts[nd].Ref(), crm.Query{}))
		page, err := e.store.Associated(e.ctx, rel, alpha, crm.Query{Limit: 1, OrderBy: []crm.Order{crm.Asc("lastname")}})
		require.NoError(t, err)
		require.Equal(t, []string{"Lee"}, names(page.Records, "lastname"))
		page, err = e.store.Associated(e.ctx, rel, alpha, crm.Query{Limit: 1, OrderBy: []crm.Order{crm.Asc("lastname")}, After: page.Next})
		require.NoError(t, err)
		require.Equal(t, []string{"Ray"}, names(page.Records, "lastname"), "pages on")
	})

	t.Run("conditions through the relationship, from either side", func(t *testing.T) {
		m, err := e.reg.ManyToMany(rel)
		require.NoError(t, err)
		cases := []queryCase{
			{"accounts with a member in London", account, m.Any(account, crm.Eq("city", "london")), []string{nA, nb}},
			{"accounts with any member", account, m.Any(account, nil), []string{nA, nb, nG}},
			{"accounts with no member", account, m.None(account, nil), []string{nd, nE, nF, nB, nZ, nM}},
			{"accounts with no member in Paris", account, m.None(account, crm.Eq("city", "paris")), []string{nb, nG, nd, nE, nF, nB, nZ, nM}},
			{"contacts of beta", contact, m.Any(contact, crm.Eq("name", "beta")), []string{"Ray"}},
			{"contacts of no account", contact, m.None(contact, nil), []string{"Fox"}},
			{"contacts of an account whose parent is Alpha", contact,
				m.Any(contact, crm.Through("parentaccountid", account, crm.Eq("name", "alpha"))), []string{"Ray"}},
			{"contacts associated with Alpha", contact, m.With(alpha), []string{"Lee", "Ray"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got := e.all(crm.Query{Entity: c.entity, Where: c.where})
				require.Equal(t, sorted(c.want), sorted(names(got, primaryName(c.entity))))
			})
		}
	})

	t.Run("a pair is associated once", func(t *testing.T) {
		before := e.count(rel)
		err := e.store.Associate(e.ctx, rel, alpha, lee)
		require.ErrorIs(t, err, crm.ErrDuplicate)
		err = e.store.Associate(e.ctx, rel, lee, alpha)
		require.ErrorIs(t, err, crm.ErrDuplicate, "in either order")
		_, err = e.store.Create(e.ctx, crm.Record{Entity: rel, Fields: crm.Fields{"accountid": alpha, "contactid": lee}})
		require.ErrorIs(t, err, crm.ErrDuplicate, "created as a record too")
		err = e.store.InTx(e.ctx, func(ctx context.Context) error {
			if err := e.store.Associate(ctx, rel, beta, lee); err != nil {
				return err
			}
			return e.store.Associate(ctx, rel, beta, lee)
		})
		require.ErrorIs(t, err, crm.ErrDuplicate, "twice in one transaction")
		require.Equal(t, before, e.count(rel), "nothing was added")
	})

	t.Run("an association's ID is its pair's", func(t *testing.T) {
		_, err := e.store.Create(e.ctx, crm.Record{Entity: rel, Header: crm.Header{ID: crm.NewID()},
			Fields: crm.Fields{"accountid": f.accounts[nZ].Ref(), "contactid": lee}})
		requireInvalid(t, err, crm.FieldID)
		rec := e.get(rel, accountContacts.AssociationID(alpha.ID, lee.ID))
		require.Equal(t, alpha, rec.Fields["accountid"])
		_, err = e.store.Update(e.ctx, crm.Record{Entity: rel, Header: crm.Header{ID: rec.ID, Version: rec.Version},
			Fields: crm.Fields{"contactid": ray}})
		requireInvalid(t, err, "contactid")
	})

	t.Run("bad associations", func(t *testing.T) {
		before := e.dump()
		err := e.store.Associate(e.ctx, rel, alpha, beta)
		requireInvalid(t, err, "contactid")
		err = e.store.Associate(e.ctx, rel, alpha, crm.Ref{Entity: contact, ID: testID(999)})
		requireInvalid(t, err, "contactid")
		err = e.store.Associate(e.ctx, "nosuchrelationship", alpha, lee)
		require.ErrorIs(t, err, crm.ErrNotFound)
		err = e.store.Associate(e.ctx, account, alpha, lee)
		require.ErrorIs(t, err, crm.ErrNotFound, "an ordinary entity is no relationship")
		_, err = e.store.Associated(e.ctx, "nosuchrelationship", alpha, crm.Query{})
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = e.store.Associated(e.ctx, rel, alpha, crm.Query{Entity: task})
		requireInvalid(t, err, "accountcontacts[contactid]")
		require.Equal(t, before, e.dump())
	})

	t.Run("disassociate", func(t *testing.T) {
		require.NoError(t, e.store.Disassociate(e.ctx, rel, ray, alpha))
		require.Equal(t, []string{"Lee"}, names(list(t, alpha, crm.Query{}), "lastname"))
		require.Equal(t, []string{nb}, names(list(t, ray, crm.Query{}), "name"))
		err := e.store.Disassociate(e.ctx, rel, alpha, ray)
		require.ErrorIs(t, err, crm.ErrNotFound, "not associated any more")
		require.NoError(t, e.store.Associate(e.ctx, rel, alpha, ray), "and associated again")
	})

	t.Run("deleting either side deletes its associations", func(t *testing.T) {
		n := e.count(rel)
		require.NoError(t, e.store.Delete(e.ctx, kim, storage.AnyVersion))
		require.Equal(t, n-1, e.count(rel))
		require.Empty(t, list(t, gamma, crm.Query{}))
		require.NoError(t, e.store.Delete(e.ctx, beta, storage.AnyVersion)) // cascades to Ray, its contact
		require.Equal(t, n-3, e.count(rel), "beta-Ray and alpha-Ray")
		require.Equal(t, []string{"Lee"}, names(list(t, alpha, crm.Query{}), "lastname"))
	})

	t.Run("inside a transaction, pending associations count", func(t *testing.T) {
		delta := f.accounts[nd].Ref()
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			require.NoError(t, e.store.Associate(ctx, rel, delta, lee))
			page, err := e.store.Associated(ctx, rel, delta, crm.Query{})
			require.NoError(t, err)
			require.Equal(t, []string{"Lee"}, names(page.Records, "lastname"))
			return errBoom
		})
		require.ErrorIs(t, err, errBoom)
		require.Empty(t, list(t, delta, crm.Query{}))
	})

	t.Run("a relationship of an entity with itself", func(t *testing.T) {
		m, err := e.reg.ManyToMany(accountPartners.Name)
		require.NoError(t, err)
		f1, f2 := m.Lookups()
		require.Equal(t, []string{"accountidone", "accountidtwo"}, []string{f1, f2})
		require.NoError(t, e.store.Associate(e.ctx, m.Name, alpha, gamma))
		require.NoError(t, e.store.Associate(e.ctx, m.Name, gamma, alpha), "the other way round is another pair")
		require.ErrorIs(t, e.store.Associate(e.ctx, m.Name, alpha, gamma), crm.ErrDuplicate)
		require.NoError(t, e.store.Associate(e.ctx, m.Name, alpha, f.accounts[nZ].Ref()))
		page, err := e.store.Associated(e.ctx, m.Name, alpha, crm.Query{})
		require.NoError(t, err)
		require.Equal(t, []string{nG, nZ}, sorted(names(page.Records, "name")), "side 2 of alpha")
		got := e.all(crm.Query{Entity: account, Where: m.Any(account, crm.Eq("name", "zeta"))})
		require.Equal(t, []string{nA}, names(got, "name"))
		got = e.all(crm.Query{Entity: account, Where: crm.Any(m.Name, f2, nil)})
		require.Equal(t, []string{nA, nG, nZ}, sorted(names(got, "name")), "on either side")
	})
}
