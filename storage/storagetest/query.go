package storagetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/stretchr/testify/require"
)

// queryCase is one filter and the rows it must select from the fixture,
// named by their primary name, in any order.
type queryCase struct {
	name   string
	entity string
	where  crm.Filter
	want   []string
}

// Short names of the fixture's accounts.
const (
	nA = "Alpha"
	nb = "beta"
	nG = "Gamma"
	nd = "delta"
	nE = "Epsilon"
	nF = "50% off_deal"
	nB = `Back\slash`
	nZ = "Zeta"
	nM = "Émile"
)

var allAccounts = []string{nA, nb, nG, nd, nE, nF, nB, nZ, nM}

func primaryName(entity string) string {
	switch entity {
	case contact:
		return "lastname"
	case task:
		return "subject"
	}
	return "name"
}

func accountCases() []queryCase {
	a := func(name string, where crm.Filter, want ...string) queryCase {
		return queryCase{name: name, entity: account, where: where, want: want}
	}
	ist := time.FixedZone("IST", 5*3600+1800)
	return []queryCase{
		// text
		a("text eq ignores ASCII case", crm.Eq("name", "ALPHA"), nA),
		a("text eq folds ASCII letters only", crm.Eq("name", "émile")),
		a("text eq folds the ASCII letters of a non-ASCII word", crm.Eq("name", "ÉMILE"), nM),
		a("text ne", crm.Ne("name", "alpha"), nb, nG, nd, nE, nF, nB, nZ, nM),
		a("text ne excludes nulls", crm.Ne("city", "PARIS"), nG, nd, nB, nZ, nM),
		a("text lt ignores case", crm.Lt("name", "C"), nA, nb, nF, nB),
		a("text le", crm.Le("name", "BETA"), nA, nF, nB, nb),
		a("text gt: non-ASCII sorts after ASCII", crm.Gt("name", "Zeta"), nM),
		a("text ge", crm.Ge("name", "zeta"), nZ, nM),
		a("text lt never matches null", crm.Lt("city", "M"), nd, nG, nZ),
		a("like % matches any run, ignoring case", crm.Like("name", "%A%"), nA, nb, nG, nd, nF, nB, nZ),
		a("like _ matches one character", crm.Like("name", "_ETA"), nb, nZ),
		a("like % alone matches every value", crm.Like("name", "%"), allAccounts...),
		a(`like \% matches a percent sign`, crm.Like("name", `%\%%`), nF),
		a(`like \_ matches an underscore`, crm.Like("name", `%\_%`), nF),
		a(`like \\ matches a backslash`, crm.Like("name", `%\\%`), nB),
		a("like with the escapes of a whole literal", crm.Like("name", `50\% off\_deal`), nF),
		a("like matches a non-ASCII character as one", crm.Like("name", "_mile"), nM),
		a("not-like", crm.Where("name", crm.OpNotLike, "%a%"), nE, nM),
		a("not-like excludes nulls", crm.Where("city", crm.OpNotLike, "l%"), nA, nb, nd, nF, nB, nM),
		a("begins-with ignores case", crm.BeginsWith("name", "AL"), nA),
		a("begins-with treats % literally", crm.BeginsWith("name", "50%"), nF),
		a("begins-with treats _ literally", crm.BeginsWith("name", "5_")),
		a(`begins-with treats \ literally`, crm.BeginsWith("name", `Back\`), nB),
		a("not-begin-with", crm.Where("name", crm.OpNotBeginWith, "b"), nA, nG, nd, nE, nF, nZ, nM),
		a("not-begin-with excludes nulls", crm.Where("city", crm.OpNotBeginWith, "P"), nG, nd, nB, nZ, nM),
		a("ends-with", crm.Where("name", crm.OpEndsWith, "TA"), nb, nd, nZ),
		a("ends-with treats _ literally", crm.Where("name", crm.OpEndsWith, "_deal"), nF),
		a("not-end-with", crm.Where("name", crm.OpNotEndWith, "a"), nE, nF, nB, nM),
		a("text in ignores case", crm.In("name", "ALPHA", "Zeta", "nobody"), nA, nZ),
		a("text not-in", crm.NotIn("name", "alpha", "BETA"), nG, nd, nE, nF, nB, nZ, nM),
		a("text not-in excludes nulls", crm.NotIn("city", "paris", "LONDON"), nd, nB, nM),
		a("text between is inclusive and ignores case", crm.Between("name", "B", "Delta"), nb, nB, nd),
		a("text null", crm.IsNull("city"), nE),
		a("text not-null", crm.NotNull("city"), nA, nb, nG, nd, nF, nB, nZ, nM),

		// integer
		a("integer eq takes an int", crm.Eq("numberofemployees", 42), nF, nB),
		a("integer ne excludes nulls", crm.Ne("numberofemployees", int64(42)), nA, nb, nd, nE, nZ, nM),
		a("integer lt", crm.Lt("numberofemployees", 10), nd, nE, nM),
		a("integer le", crm.Le("numberofemployees", 10), nA, nd, nE, nM),
		a("integer gt", crm.Gt("numberofemployees", 42), nb, nZ),
		a("integer ge", crm.Ge("numberofemployees", 42), nb, nF, nB, nZ),
		a("integer in", crm.In("numberofemployees", 0, int32(7), int64(99)), nd, nM),
		a("integer not-in excludes nulls", crm.NotIn("numberofemployees", 42, 10), nb, nd, nE, nZ, nM),
		a("integer between is inclusive", crm.Between("numberofemployees", 0, 42), nA, nd, nF, nB, nM),
		a("integer not-between excludes nulls", crm.Where("numberofemployees", crm.OpNotBetween, 0, 42), nb, nE, nZ),
		a("integer null", crm.IsNull("numberofemployees"), nG),
		a("integer not-null", crm.NotNull("numberofemployees"), nA, nb, nd, nE, nF, nB, nZ, nM),

		// decimal
		a("decimal eq compares values, not digits", crm.Eq("rating", dec("2")), nF),
		a("decimal ne excludes nulls", crm.Ne("rating", dec("0")), nA, nb, nG, nF, nB, nZ),
		a("decimal lt", crm.Lt("rating", dec("1.5")), nE, nZ),
		a("decimal le", crm.Le("rating", dec("1.50")), nA, nE, nZ),
		a("decimal gt with more places than the field", crm.Gt("rating", dec("4.749")), nG, nB),
		a("decimal ge", crm.Ge("rating", dec("3.25")), nb, nG, nB),
		a("decimal in", crm.In("rating", dec("1.5"), dec("9.990")), nA, nB),
		a("decimal not-in excludes nulls", crm.NotIn("rating", dec("1.5")), nb, nG, nE, nF, nB, nZ),
		a("decimal between", crm.Between("rating", dec("0"), dec("3.25")), nA, nb, nE, nF),
		a("decimal not-between", crm.Where("rating", crm.OpNotBetween, dec("0"), dec("3.25")), nG, nB, nZ),
		a("decimal null", crm.IsNull("rating"), nd, nM),

		// money
		a("money eq matches only its currency", crm.Eq("creditlimit", money("1000 USD")), nA),
		a("money eq in another currency", crm.Eq("creditlimit", money("1000 EUR")), nB),
		a("money ne matches only its currency", crm.Ne("creditlimit", money("1000 USD")), nb, nE, nF, nZ),
		a("money lt", crm.Lt("creditlimit", money("42.42 USD")), nE, nZ),
		a("money le", crm.Le("creditlimit", money("42.42 USD")), nE, nF, nZ),
		a("money gt", crm.Gt("creditlimit", money("100 EUR")), nG, nB),
		a("money ge", crm.Ge("creditlimit", money("1000 USD")), nA, nb),
		a("money between", crm.Between("creditlimit", money("0 USD"), money("1000 USD")), nA, nE, nF),
		a("money not-between", crm.Where("creditlimit", crm.OpNotBetween, money("0 USD"), money("1000 USD")), nb, nZ),
		a("money in a currency nobody uses", crm.Ge("creditlimit", money("-1000000 JPY"))),
		a("money null", crm.IsNull("creditlimit"), nd, nM),

		// bool
		a("bool eq true", crm.Eq("creditonhold", true), nA, nE, nB),
		a("bool eq false is not null", crm.Eq("creditonhold", false), nb, nd, nZ),
		a("bool ne excludes nulls", crm.Ne("creditonhold", true), nb, nd, nZ),
		a("bool null", crm.IsNull("creditonhold"), nG, nF, nM),

		// time
		a("time eq", crm.Eq("lastcontactedon", utc(2026, 3, 15, 9, 30)), nA),
		a("time eq is the same instant in any zone", crm.Eq("lastcontactedon", time.Date(2026, 3, 15, 15, 0, 0, 0, ist)), nA),
		a("time eq to the microsecond", crm.Eq("lastcontactedon", time.Date(2026, 3, 14, 23, 59, 59, 999999000, time.UTC)), nb),
		a("time ne excludes nulls", crm.Ne("lastcontactedon", utc(2026, 3, 15, 9, 30)), nb, nG, nd, nE, nB, nZ, nM),
		a("time lt", crm.Lt("lastcontactedon", day(2026, 3, 10)), nd, nE),
		a("time le", crm.Le("lastcontactedon", day(2026, 3, 10)), nd, nE, nB),
		a("time gt", crm.Gt("lastcontactedon", utc(2026, 3, 15, 11, 30)), nG, nM),
		a("time ge", crm.Ge("lastcontactedon", utc(2026, 3, 15, 11, 30)), nG, nZ, nM),
		a("time between is inclusive", crm.Between("lastcontactedon", day(2026, 3, 10), utc(2026, 3, 15, 9, 30)), nb, nB, nA),
		a("time not-between excludes nulls", crm.Where("lastcontactedon", crm.OpNotBetween, day(2026, 3, 10), utc(2026, 3, 15, 9, 30)), nd, nE, nG, nZ, nM),
		a("on matches the whole day", crm.Where("lastcontactedon", crm.OpOn, utc(2026, 3, 15, 23, 0)), nA, nZ),
		a("on includes the last microsecond of the day", crm.Where("lastcontactedon", crm.OpOn, day(2026, 3, 14)), nb),
		a("on-or-before", crm.Where("lastcontactedon", crm.OpOnOrBefore, day(2026, 3, 14)), nb, nd, nE, nB),
		a("on-or-after", crm.Where("lastcontactedon", crm.OpOnOrAfter, utc(2026, 3, 15, 18, 0)), nA, nG, nZ, nM),
		a("today", crm.Where("lastcontactedon", crm.OpToday), nA, nZ),
		a("yesterday", crm.Where("lastcontactedon", crm.OpYesterday), nb),
		a("tomorrow", crm.Where("lastcontactedon", crm.OpTomorrow), nG),
		a("last-x-days includes today", crm.Where("lastcontactedon", crm.OpLastXDays, 7), nA, nb, nB, nZ),
		a("next-x-days includes today", crm.Where("lastcontactedon", crm.OpNextXDays, 1), nA, nG, nZ),
		a("next-x-days reaches into next month", crm.Where("lastcontactedon", crm.OpNextXDays, 30), nA, nG, nZ, nM),
		a("last-x-hours", crm.Where("lastcontactedon", crm.OpLastXHours, 1), nZ),
		a("last-x-hours over several hours", crm.Where("lastcontactedon", crm.OpLastXHours, 3), nA, nZ),
		a("this-month", crm.Where("lastcontactedon", crm.OpThisMonth), nA, nb, nG, nB, nZ),
		a("last-month", crm.Where("lastcontactedon", crm.OpLastMonth), nd),
		a("next-month", crm.Where("lastcontactedon", crm.OpNextMonth), nM),
		a("this-year", crm.Where("lastcontactedon", crm.OpThisYear), nA, nb, nG, nd, nB, nZ, nM),
		a("last-year", crm.Where("lastcontactedon", crm.OpLastYear), nE),
		a("olderthan-x-days", crm.Where("lastcontactedon", crm.OpOlderThanXDays, 30), nd, nE),
		a("time null", crm.IsNull("lastcontactedon"), nF),
		a("date-only eq", crm.Eq("foundedon", day(2026, 3, 15)), nG),
		a("date-only eq ignores the time of day", crm.Eq("foundedon", utc(2026, 3, 15, 17, 45)), nG),
		a("date-only lt", crm.Lt("foundedon", day(2000, 1, 1)), nb),
		a("date-only on", crm.Where("foundedon", crm.OpOn, day(2026, 3, 15)), nG),
		a("date-only today", crm.Where("foundedon", crm.OpToday), nG),
		a("date-only this-month", crm.Where("foundedon", crm.OpThisMonth), nG, nE, nB),
		a("date-only next-x-days", crm.Where("foundedon", crm.OpNextXDays, 5), nG, nB),
		a("date-only last-x-days", crm.Where("foundedon", crm.OpLastXDays, 14), nG, nE),
		a("date-only on-or-before", crm.Where("foundedon", crm.OpOnOrBefore, day(2001, 5, 20)), nA, nb),

		// choice
		a("choice eq", crm.Eq("category", 1), nA, nG, nB),
		a("choice ne excludes nulls", crm.Ne("category", int32(1)), nb, nE, nZ),
		a("choice lt", crm.Lt("category", 2), nA, nG, nB),
		a("choice gt", crm.Gt("category", 1), nb, nE, nZ),
		a("choice in", crm.In("category", 1, 2), nA, nb, nG, nE, nB, nZ),
		a("choice not-in excludes nulls", crm.NotIn("category", 1), nb, nE, nZ),
		a("choice between", crm.Between("category", 1, 1), nA, nG, nB),
		a("choice null", crm.IsNull("category"), nd, nF, nM),

		// lookup and id
		a("lookup eq takes an ID", crm.Eq("parentaccountid", testID(1)), nb),
		a("lookup eq takes a Ref", crm.Eq("parentaccountid", crm.Ref{Entity: account, ID: testID(3)}), nZ),
		a("lookup ne excludes nulls", crm.Ne("parentaccountid", testID(1)), nZ),
		a("lookup in", crm.In("parentaccountid", testID(1), testID(3)), nb, nZ),
		a("lookup not-in excludes nulls", crm.NotIn("parentaccountid", testID(3)), nb),
		a("lookup null", crm.IsNull("parentaccountid"), nA, nG, nd, nE, nF, nB, nM),
		a("lookup not-null", crm.NotNull("primarycontactid"), nA, nG),
		a("id eq", crm.Eq(crm.FieldID, testID(3)), nG),
		a("id in", crm.In(crm.FieldID, testID(1), testID(8), testID(404)), nA, nZ),
		a("id ne", crm.Ne(crm.FieldID, testID(1)), nb, nG, nd, nE, nF, nB, nZ, nM),
		a("id not-in", crm.NotIn(crm.FieldID, testID(1), testID(2)), nG, nd, nE, nF, nB, nZ, nM),

		// system fields
		a("version", crm.Eq(crm.FieldVersion, 2), nA, nG),
		a("created on today", crm.Where(crm.FieldCreatedOn, crm.OpToday), allAccounts...),
		a("owner", crm.Eq(crm.FieldOwner, crm.SystemUser), allAccounts...),

		// groups
		a("and", crm.And(crm.Eq("city", "paris"), crm.Gt("numberofemployees", 20)), nb, nF),
		a("or", crm.Or(crm.Eq("category", 1), crm.IsNull("city")), nA, nG, nB, nE),
		a("or inside and", crm.And(crm.Or(crm.Eq("city", "london"), crm.Eq("city", "rome")), crm.Ne("category", 2)), nG, nB),
		a("ands inside or", crm.Or(
			crm.And(crm.Eq("creditonhold", true), crm.Lt("numberofemployees", 0)),
			crm.And(crm.Eq("creditonhold", false), crm.Gt("numberofemployees", 100))), nE, nb, nZ),
		a("three levels", crm.And(crm.Or(crm.And(crm.Eq("city", "paris"), crm.Eq("category", 1)), crm.Eq("name", "zeta")), crm.NotNull("rating")), nA, nZ),
		a("empty and matches everything", crm.And(), allAccounts...),
		a("empty or matches nothing", crm.Or()),
		a("and holding an empty or matches nothing", crm.And(crm.Or())),
		a("or holding an empty and matches everything", crm.Or(crm.And(), crm.Eq("name", "x")), allAccounts...),
		a("nil filters in a group are skipped", crm.And(nil, crm.Eq("name", "alpha")), nA),
		a("pointer filters", &crm.Group{Filters: []crm.Filter{&crm.Condition{Field: "name", Op: crm.OpEq, Values: []any{"beta"}}}}, nb),

		// related records
		a("related through a single-target lookup", crm.Through("primarycontactid", "", crm.Eq("city", "LONDON")), nG),
		a("related through a hierarchical lookup", crm.Through("parentaccountid", account, crm.Eq("name", "gamma")), nZ),
		a("related with no match", crm.Through("parentaccountid", account, crm.Eq("name", "nobody"))),
	}
}

func relatedCases() []queryCase {
	c := func(name string, where crm.Filter, want ...string) queryCase {
		return queryCase{name: name, entity: contact, where: where, want: want}
	}
	tk := func(name string, where crm.Filter, want ...string) queryCase {
		return queryCase{name: name, entity: task, where: where, want: want}
	}
	return []queryCase{
		c("related through a polymorphic lookup to accounts", crm.Through("parentcustomerid", account, crm.Eq("city", "PARIS")), "Lee", "Ray"),
		c("related through a polymorphic lookup to contacts", crm.Through("parentcustomerid", contact, crm.Eq("lastname", "lee")), "Kim"),
		c("related through a polymorphic lookup matches only its entity", crm.Through("parentcustomerid", contact, crm.NotNull("lastname")), "Kim"),
		c("related or plain", crm.Or(crm.Through("parentcustomerid", account, crm.Eq("name", "beta")), crm.IsNull("city")), "Ray", "Fox"),
		tk("related two levels deep", crm.Through("regardingobjectid", contact, crm.Through("parentcustomerid", account, crm.Eq("name", "BETA"))), "Call Bob"),
		tk("related two levels deep through contacts", crm.Through("regardingobjectid", contact, crm.Through("parentcustomerid", contact, crm.Eq("firstname", "ann"))), "Call Cy"),
		tk("related with a null condition", crm.Through("regardingobjectid", contact, crm.IsNull("city")), "Call Di"),
		tk("related to one target or another", crm.Or(crm.Through("regardingobjectid", account, crm.NotNull("name")), crm.IsNull("regardingobjectid")), "Review Alpha", "Unrelated"),
		tk("related with an empty filter matches any existing target", crm.Through("regardingobjectid", contact, nil), "Call Ann", "Call Bob", "Call Cy", "Call Di"),
		tk("state code", crm.Eq(crm.FieldState, int32(taskOpen)), "Call Ann", "Call Bob", "Review Alpha", "Unrelated", "Call Cy", "Call Di"),
		tk("status code", crm.Ne(crm.FieldStatus, int32(statusNotStarted))),
	}
}

func testQueries(t *testing.T, open Opener) {
	e := newEnv(t, open)
	e.loadFixture()
	run := func(t *testing.T, cases []queryCase) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got := e.all(crm.Query{Entity: c.entity, Where: c.where})
				require.Equal(t, sorted(c.want), sorted(names(got, primaryName(c.entity))), "%s where %#v", c.entity, c.where)
				n, err := e.store.Count(e.ctx, crm.Query{Entity: c.entity, Where: c.where})
				require.NoError(t, err)
				require.EqualValues(t, len(c.want), n, "count agrees with the query")
			})
		}
	}
	run(t, accountCases())
	run(t, relatedCases())

	t.Run("every case, saved as JSON and loaded back, selects the same records", func(t *testing.T) {
		for _, c := range append(accountCases(), relatedCases()...) {
			loaded := viaJSON(t, crm.Query{Entity: c.entity, Where: c.where})
			require.NoError(t, e.store.CheckQuery(e.ctx, loaded), "%s", c.name)
			got := e.all(loaded)
			require.Equal(t, sorted(c.want), sorted(names(got, primaryName(c.entity))), "%s", c.name)
		}
	})

	t.Run("the date operators take now from the injected clock", func(t *testing.T) {
		e.clock.Set(now.AddDate(0, 0, 1))
		defer e.clock.Set(now)
		got := e.all(crm.Query{Entity: account, Where: crm.Where("lastcontactedon", crm.OpToday)})
		require.Equal(t, []string{nG}, names(got, "name"))
		got = e.all(crm.Query{Entity: account, Where: crm.Where("lastcontactedon", crm.OpYesterday)})
		require.Equal(t, sorted([]string{nA, nZ}), sorted(names(got, "name")))
		e.clock.Set(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
		got = e.all(crm.Query{Entity: account, Where: crm.Where("lastcontactedon", crm.OpLastMonth)})
		require.Equal(t, sorted([]string{nA, nb, nG, nB, nZ}), sorted(names(got, "name")))
	})

	t.Run("bad queries are validation errors", func(t *testing.T) {
		bad := []struct {
			name  string
			query crm.Query
			field string
		}{
			{"unknown field", crm.Query{Entity: account, Where: crm.Eq("nosuchfield", 1)}, "nosuchfield"},
			{"wrong value type for an integer", crm.Query{Entity: account, Where: crm.Eq("numberofemployees", "ten")}, "numberofemployees"},
			{"wrong value type for text", crm.Query{Entity: account, Where: crm.Eq("name", 5)}, "name"},
			{"wrong value type for a decimal", crm.Query{Entity: account, Where: crm.Gt("rating", 1.5)}, "rating"},
			{"wrong value type for money", crm.Query{Entity: account, Where: crm.Gt("creditlimit", dec("1"))}, "creditlimit"},
			{"unknown currency", crm.Query{Entity: account, Where: crm.Gt("creditlimit", crm.Money{Amount: dec("1"), Currency: "XXX"})}, "creditlimit"},
			{"wrong value type for a lookup", crm.Query{Entity: account, Where: crm.Eq("parentaccountid", "Alpha")}, "parentaccountid"},
			{"wrong value type for a time", crm.Query{Entity: account, Where: crm.Eq("lastcontactedon", 20260315)}, "lastcontactedon"},
			{"nil value", crm.Query{Entity: account, Where: crm.Eq("name", nil)}, "name"},
			{"like on an integer", crm.Query{Entity: account, Where: crm.Like("numberofemployees", "4%")}, "numberofemployees"},
			{"like with a non-string", crm.Query{Entity: account, Where: crm.Where("name", crm.OpLike, 4)}, "name"},
			{"lt on a bool", crm.Query{Entity: account, Where: crm.Lt("creditonhold", true)}, "creditonhold"},
			{"lt on a lookup", crm.Query{Entity: account, Where: crm.Lt("parentaccountid", testID(1))}, "parentaccountid"},
			{"lt on an id", crm.Query{Entity: account, Where: crm.Lt(crm.FieldID, testID(1))}, crm.FieldID},
			{"between on a bool", crm.Query{Entity: account, Where: crm.Between("creditonhold", false, true)}, "creditonhold"},
			{"in on money", crm.Query{Entity: account, Where: crm.In("creditlimit", money("1 USD"))}, "creditlimit"},
			{"in on a time", crm.Query{Entity: account, Where: crm.In("lastcontactedon", now)}, "lastcontactedon"},
			{"in on a bool", crm.Query{Entity: account, Where: crm.In("creditonhold", true)}, "creditonhold"},
			{"in without values", crm.Query{Entity: account, Where: crm.In("name")}, "name"},
			{"between with one value", crm.Query{Entity: account, Where: crm.Where("numberofemployees", crm.OpBetween, 1)}, "numberofemployees"},
			{"eq with two values", crm.Query{Entity: account, Where: crm.Where("numberofemployees", crm.OpEq, 1, 2)}, "numberofemployees"},
			{"null with a value", crm.Query{Entity: account, Where: crm.Where("name", crm.OpNull, "x")}, "name"},
			{"a date operator on text", crm.Query{Entity: account, Where: crm.Where("name", crm.OpToday)}, "name"},
			{"a date operator with a value it does not take", crm.Query{Entity: account, Where: crm.Where("lastcontactedon", crm.OpToday, now)}, "lastcontactedon"},
			{"last-x-hours on a date-only field", crm.Query{Entity: account, Where: crm.Where("foundedon", crm.OpLastXHours, 2)}, "foundedon"},
			{"last-x-days of zero", crm.Query{Entity: account, Where: crm.Where("lastcontactedon", crm.OpLastXDays, 0)}, "lastcontactedon"},
			{"last-x-days of a string", crm.Query{Entity: account, Where: crm.Where("lastcontactedon", crm.OpLastXDays, "7")}, "lastcontactedon"},
			{"on with a string that is no date", crm.Query{Entity: account, Where: crm.Where("lastcontactedon", crm.OpOn, "15/03/2026")}, "lastcontactedon"},
			{"unknown operator", crm.Query{Entity: account, Where: crm.Where("name", crm.Operator(999), "x")}, "name"},
			{"unknown field in a group", crm.Query{Entity: account, Where: crm.Or(crm.Eq("name", "x"), crm.Eq("nosuchfield", 1))}, "nosuchfield"},
			{"related through a field that is not a lookup", crm.Query{Entity: account, Where: crm.Through("name", account, nil)}, "name"},
			{"related to an entity the lookup cannot point at", crm.Query{Entity: contact, Where: crm.Through("parentcustomerid", task, nil)}, "parentcustomerid"},
			{"related through a polymorphic lookup without naming the entity", crm.Query{Entity: contact, Where: crm.Through("parentcustomerid", "", nil)}, "parentcustomerid"},
			{"unknown field of a related record", crm.Query{Entity: contact, Where: crm.Through("parentcustomerid", account, crm.Eq("lastname", "x"))}, "parentcustomerid.lastname"},
			{"sort on an unknown field", crm.Query{Entity: account, OrderBy: []crm.Order{crm.Asc("nosuchfield")}}, "nosuchfield"},
			{"a page larger than the maximum", crm.Query{Entity: account, Limit: crm.MaxPageSize + 1}, "limit"},
			{"a negative limit", crm.Query{Entity: account, Limit: -1}, "limit"},
		}
		for _, b := range bad {
			t.Run(b.name, func(t *testing.T) {
				_, err := e.store.Query(e.ctx, b.query)
				requireInvalid(t, err, b.field)
				if b.query.Limit == 0 {
					_, err = e.store.Count(e.ctx, b.query)
					if len(b.query.OrderBy) == 0 {
						requireInvalid(t, err, b.field)
					}
					for _, err := range e.store.Iterate(e.ctx, b.query) {
						requireInvalid(t, err, b.field)
					}
				}
			})
		}
		t.Run("too many related-record conditions", func(t *testing.T) {
			var where crm.Filter = crm.NotNull("name")
			for range crm.MaxRelated + 1 {
				where = crm.Through("parentaccountid", account, where)
			}
			_, err := e.store.Query(e.ctx, crm.Query{Entity: account, Where: where})
			requireInvalid(t, err, "where")
		})
		t.Run("an unknown entity is not found", func(t *testing.T) {
			_, err := e.store.Query(e.ctx, crm.Query{Entity: "nosuchentity"})
			require.ErrorIs(t, err, crm.ErrNotFound)
		})
	})
}

// viaJSON returns q as a saved query comes back: marshalled to JSON and
// unmarshalled, which must succeed.
func viaJSON(t *testing.T, q crm.Query) crm.Query {
	t.Helper()
	b, err := json.Marshal(q)
	require.NoError(t, err)
	var loaded crm.Query
	require.NoError(t, json.Unmarshal(b, &loaded), "%s", b)
	return loaded
}
