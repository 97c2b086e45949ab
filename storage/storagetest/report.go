package storagetest

import (
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

// testReports pins what reports add to aggregates: groups through
// lookups, labels of group keys, distinct counts, Having, OrderBy with
// Limit, and the aggregate record limit, on the query fixture.
func testReports(t *testing.T, open Opener) {
	e := newEnv(t, open)
	f := e.loadFixture()
	agg := func(t *testing.T, a crm.Aggregation) []crm.AggregateRow {
		t.Helper()
		rows, err := e.store.Aggregate(e.ctx, a)
		require.NoError(t, err)
		return rows
	}
	m := func(alias string, fn crm.AggFunc, field string) crm.Measure {
		return crm.Measure{Alias: alias, Func: fn, Field: field}
	}
	count := []crm.Measure{m("n", crm.AggCount, "")}
	link := func(lookup, entity string) crm.Link { return crm.Link{Lookup: lookup, Entity: entity} }
	acc := func(name string) crm.Ref { return f.accounts[name].Ref() }
	con := func(last string) crm.Ref { return f.contacts[last].Ref() }

	t.Run("group through two lookups: a broken chain groups under null", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{Entity: account, GroupBy: []crm.GroupBy{{Alias: "pcity",
			Path: []crm.Link{{Lookup: "parentaccountid"}, {Lookup: "primarycontactid"}}, Field: "city"}}, Measures: count})
		requireRows(t, []crm.AggregateRow{
			{"pcity": nil, "n": int64(7)},
			{"pcity": "London", "n": int64(1)}, // Zeta: parent Gamma, whose primary contact is Bob Ray
			{"pcity": "Paris", "n": int64(1)},  // beta: parent Alpha, Ann Lee
		}, rows)
	})

	t.Run("group through polymorphic lookups follows the named entity only", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{Entity: task, GroupBy: []crm.GroupBy{{Alias: "custcity",
			Path: []crm.Link{link("regardingobjectid", contact), link("parentcustomerid", account)}, Field: "city"}}, Measures: count})
		// Review Alpha regards an account, Unrelated nothing, Cy Kim's
		// parent customer is a contact and Di Fox has none: null.
		requireRows(t, []crm.AggregateRow{
			{"custcity": nil, "n": int64(4)},
			{"custcity": "Paris", "n": int64(1)},
			{"custcity": "paris", "n": int64(1)},
		}, rows)
	})

	t.Run("group through a lookup by day, beside a key of the record itself", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{Entity: account, Where: crm.NotNull("parentaccountid"), GroupBy: []crm.GroupBy{
			{Alias: "pday", Path: []crm.Link{link("parentaccountid", "")}, Field: "lastcontactedon", Date: crm.ByDay},
			{Alias: "cat", Field: "category"},
		}, Measures: count})
		requireRows(t, []crm.AggregateRow{
			{"pday": day(2026, 3, 15), "cat": int32(2), "n": int64(1)},
			{"pday": day(2026, 3, 16), "cat": int32(2), "n": int64(1)},
		}, rows)
	})

	t.Run("labels: the primary name of a lookup key's record, through a polymorphic lookup", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{Entity: task, GroupBy: []crm.GroupBy{{Alias: "re", Field: "regardingobjectid", Label: true}}, Measures: count})
		requireRows(t, []crm.AggregateRow{
			{"re": nil, "re@label": nil, "n": int64(1)},
			{"re": acc(nA), "re@label": "Alpha", "n": int64(1)},
			{"re": con("Lee"), "re@label": "Ann Lee", "n": int64(1)},
			{"re": con("Ray"), "re@label": "Bob Ray", "n": int64(1)},
			{"re": con("Kim"), "re@label": "Cy Kim", "n": int64(1)},
			{"re": con("Fox"), "re@label": "Di Fox", "n": int64(1)},
		}, rows)
		require.Equal(t, "Ann Lee", rows[2].Label("re"))
		require.Equal(t, "", rows[0].Label("re"))
	})

	t.Run("labels: a lookup at the end of a path, a choice, a state and a status reason", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{Entity: account, GroupBy: []crm.GroupBy{
			{Alias: "pc", Path: []crm.Link{link("parentaccountid", account)}, Field: "primarycontactid", Label: true},
		}, Measures: count})
		requireRows(t, []crm.AggregateRow{
			{"pc": nil, "pc@label": nil, "n": int64(7)},
			{"pc": con("Lee"), "pc@label": "Ann Lee", "n": int64(1)},
			{"pc": con("Ray"), "pc@label": "Bob Ray", "n": int64(1)},
		}, rows)
		rows = agg(t, crm.Aggregation{Entity: account, GroupBy: []crm.GroupBy{{Alias: "cat", Field: "category", Label: true}}, Measures: count})
		requireRows(t, []crm.AggregateRow{
			{"cat": nil, "cat@label": nil, "n": int64(3)},
			{"cat": int32(1), "cat@label": "Preferred customer", "n": int64(3)},
			{"cat": int32(2), "cat@label": "Standard", "n": int64(3)},
		}, rows)
		rows = agg(t, crm.Aggregation{Entity: task, GroupBy: []crm.GroupBy{
			{Alias: "state", Field: crm.FieldState, Label: true}, {Alias: "status", Field: crm.FieldStatus, Label: true}}, Measures: count})
		requireRows(t, []crm.AggregateRow{{"state": int32(0), "state@label": "Open", "status": int32(2), "status@label": "Not Started", "n": int64(6)}}, rows)
	})

	t.Run("count distinct: text by its exact bytes, nulls not counted, a polymorphic lookup by record", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{Entity: account, Measures: []crm.Measure{
			m("cities", crm.AggCountDistinct, "city"), m("cats", crm.AggCountDistinct, "category"),
			m("parents", crm.AggCountDistinct, "parentaccountid"), m("holds", crm.AggCountDistinct, "creditonhold"),
			m("ratings", crm.AggCountDistinct, "rating"), m("contacted", crm.AggCountDistinct, "lastcontactedon"),
			m("emp", crm.AggCountDistinct, "numberofemployees"), m("ids", crm.AggCountDistinct, crm.FieldID),
		}})
		requireRows(t, []crm.AggregateRow{{"cities": int64(7), "cats": int64(2), "parents": int64(2), "holds": int64(2),
			"ratings": int64(7), "contacted": int64(8), "emp": int64(7), "ids": int64(9)}}, rows)
		rows = agg(t, crm.Aggregation{Entity: task, Measures: []crm.Measure{m("re", crm.AggCountDistinct, "regardingobjectid")}})
		requireRows(t, []crm.AggregateRow{{"re": int64(5)}}, rows)
		rows = agg(t, crm.Aggregation{Entity: account, GroupBy: []crm.GroupBy{{Alias: "cat", Field: "category"}},
			Measures: []crm.Measure{m("cities", crm.AggCountDistinct, "city")}})
		requireRows(t, []crm.AggregateRow{
			{"cat": nil, "cities": int64(3)}, {"cat": int32(1), "cities": int64(3)}, {"cat": int32(2), "cities": int64(2)},
		}, rows)
		rows = agg(t, crm.Aggregation{Entity: account, Where: crm.Eq("name", "nobody"), Measures: []crm.Measure{m("cities", crm.AggCountDistinct, "city")}})
		requireRows(t, []crm.AggregateRow{{"cities": int64(0)}}, rows)
	})

	byCat := func(having ...crm.Condition) crm.Aggregation {
		return crm.Aggregation{Entity: account, GroupBy: []crm.GroupBy{{Alias: "cat", Field: "category"}},
			Measures: []crm.Measure{m("sum", crm.AggSum, "numberofemployees"), m("avg", crm.AggAvg, "numberofemployees"),
				m("oldest", crm.AggMin, "foundedon")}, Having: having}
	}
	cats := func(rows []crm.AggregateRow) []any {
		out := []any{}
		for _, r := range rows {
			out = append(out, r["cat"])
		}
		return out
	}

	t.Run("having keeps the groups whose measures meet every condition", func(t *testing.T) {
		// sums: null category 49, 1: 52, 2: 1000245; averages 16.3333333333, 26, 333415.
		require.Equal(t, []any{int32(1), int32(2)}, cats(agg(t, byCat(crm.Gt("sum", 50)))))
		require.Equal(t, []any{nil, int32(1)}, cats(agg(t, byCat(crm.Between("sum", 40, 60)))))
		require.Equal(t, []any{int32(2)}, cats(agg(t, byCat(crm.Where("sum", crm.OpNotBetween, 40, 60)))))
		require.Equal(t, []any{int32(1)}, cats(agg(t, byCat(crm.Gt("sum", 50), crm.Lt("sum", 1000)))))
		require.Equal(t, []any{int32(2)}, cats(agg(t, byCat(crm.Gt("avg", dec("26"))))), "26 is not more than 26")
		require.Equal(t, []any{nil}, cats(agg(t, byCat(crm.Eq("avg", dec("16.3333333333"))))), "the rounded average")
		require.Equal(t, []any{nil}, cats(agg(t, byCat(crm.IsNull("oldest")))))
		require.Equal(t, []any{int32(1), int32(2)}, cats(agg(t, byCat(crm.NotNull("oldest")))))
		require.Equal(t, []any{int32(2)}, cats(agg(t, byCat(crm.Lt("oldest", day(2000, 1, 1))))))
	})

	t.Run("having on money holds only for amounts in its currency", func(t *testing.T) {
		a := crm.Aggregation{Entity: account, Where: crm.Eq("category", 1), GroupBy: []crm.GroupBy{{Field: "city"}},
			Measures: []crm.Measure{m("sum", crm.AggSum, "creditlimit")}}
		a.Having = []crm.Condition{crm.Ge("sum", money("500 EUR"))}
		requireRows(t, []crm.AggregateRow{{"city": "Rome", "sum": money("1000.00 EUR")}}, agg(t, a))
		a.Having = []crm.Condition{crm.Ge("sum", money("500 USD"))}
		requireRows(t, []crm.AggregateRow{{"city": "Paris", "sum": money("1000.00 USD")}}, agg(t, a))
		a.Having = []crm.Condition{crm.Ne("sum", money("200 EUR"))}
		requireRows(t, []crm.AggregateRow{{"city": "Rome", "sum": money("1000.00 EUR")}}, agg(t, a))
	})

	t.Run("having on an empty result, grouped or not", func(t *testing.T) {
		a := crm.Aggregation{Entity: account, Where: crm.Eq("name", "nobody"), Measures: count, Having: []crm.Condition{crm.Gt("n", 0)}}
		require.Empty(t, agg(t, a), "the one row of an ungrouped aggregate is a group too")
		a.Having = []crm.Condition{crm.Eq("n", 0)}
		requireRows(t, []crm.AggregateRow{{"n": int64(0)}}, agg(t, a))
		a.GroupBy = []crm.GroupBy{{Field: "city"}}
		require.Empty(t, agg(t, a))
	})

	t.Run("order by a measure with a limit: ties broken by the group keys", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{Entity: account, GroupBy: []crm.GroupBy{{Field: "city"}}, Measures: count,
			OrderBy: []crm.Order{crm.Desc("n")}, Limit: 3})
		requireRows(t, []crm.AggregateRow{
			{"city": "Paris", "n": int64(2)},
			{"city": nil, "n": int64(1)},
			{"city": "Berlin", "n": int64(1)},
		}, rows)
		rows = agg(t, crm.Aggregation{Entity: account, Where: crm.Eq("category", 1), GroupBy: []crm.GroupBy{{Field: "city"}},
			Measures: []crm.Measure{m("sum", crm.AggSum, "creditlimit")}, OrderBy: []crm.Order{crm.Desc("sum")}})
		requireRows(t, []crm.AggregateRow{
			{"city": "Paris", "sum": money("1000.00 USD")}, // money orders by amount: a tie with Rome's euros
			{"city": "Rome", "sum": money("1000.00 EUR")},
			{"city": "London", "sum": money("200.00 EUR")},
		}, rows)
	})

	t.Run("order by a group key descending puts nulls last; a limit alone keeps the first groups", func(t *testing.T) {
		require.Equal(t, []any{int32(2), int32(1), nil}, cats(agg(t, crm.Aggregation{Entity: account,
			GroupBy: []crm.GroupBy{{Alias: "cat", Field: "category"}}, Measures: count, OrderBy: []crm.Order{crm.Desc("cat")}})))
		require.Equal(t, []any{nil, int32(1)}, cats(agg(t, crm.Aggregation{Entity: account,
			GroupBy: []crm.GroupBy{{Alias: "cat", Field: "category"}}, Measures: count, Limit: 2})))
		// Null measures first ascending (Berlin and Zürich have no rating),
		// in the order of their keys.
		rows := agg(t, crm.Aggregation{Entity: account, GroupBy: []crm.GroupBy{{Field: "city"}},
			Measures: []crm.Measure{m("min", crm.AggMin, "rating")}, OrderBy: []crm.Order{crm.Asc("min")}, Limit: 3})
		requireRows(t, []crm.AggregateRow{{"city": "Berlin", "min": nil}, {"city": "Zürich", "min": nil}, {"city": "london", "min": dec("-1.25")}}, rows)
	})

	t.Run("having, order and limit together over a path, with labels", func(t *testing.T) {
		rows := agg(t, crm.Aggregation{Entity: task,
			GroupBy:  []crm.GroupBy{{Alias: "cust", Path: []crm.Link{link("regardingobjectid", contact)}, Field: "parentcustomerid", Label: true}},
			Measures: []crm.Measure{m("n", crm.AggCount, ""), m("subjects", crm.AggCountDistinct, "subject")},
			Having:   []crm.Condition{crm.Ge("n", 1)}, OrderBy: []crm.Order{crm.Desc("n")}, Limit: 3})
		requireRows(t, []crm.AggregateRow{
			{"cust": nil, "cust@label": nil, "n": int64(3), "subjects": int64(3)},
			{"cust": acc(nA), "cust@label": "Alpha", "n": int64(1), "subjects": int64(1)},
			{"cust": acc(nb), "cust@label": "beta", "n": int64(1), "subjects": int64(1)},
		}, rows)
	})

	t.Run("money through a path: sums never mix currencies", func(t *testing.T) {
		order := func(customer string, total string) {
			e.create(salesorder, crm.Fields{"name": "order", "customerid": acc(customer), "totalamount": money(total)})
		}
		order(nA, "100.00 USD")
		order(nA, "50.00 USD")
		order(nb, "70.00 EUR")
		order(nG, "30.00 USD")
		order(nZ, "10.00 USD")
		a := crm.Aggregation{Entity: salesorder,
			GroupBy:  []crm.GroupBy{{Alias: "parent", Path: []crm.Link{link("customerid", "")}, Field: "parentaccountid", Label: true}},
			Measures: []crm.Measure{m("total", crm.AggSum, "totalamount"), m("avg", crm.AggAvg, "totalamount")},
			OrderBy:  []crm.Order{crm.Desc("total")}}
		requireRows(t, []crm.AggregateRow{
			{"parent": nil, "parent@label": nil, "total": money("180.00 USD"), "avg": money("60.00 USD")},
			{"parent": acc(nA), "parent@label": "Alpha", "total": money("70.00 EUR"), "avg": money("70.00 EUR")},
			{"parent": acc(nG), "parent@label": "Gamma", "total": money("10.00 USD"), "avg": money("10.00 USD")},
		}, agg(t, a))
		order(nb, "1.00 USD") // Alpha's children now bought in two currencies
		_, err := e.store.Aggregate(e.ctx, a)
		require.ErrorIs(t, err, crm.ErrCurrencyMismatch)
		a.Having = []crm.Condition{crm.Gt("total", money("1000 USD"))}
		_, err = e.store.Aggregate(e.ctx, a)
		require.ErrorIs(t, err, crm.ErrCurrencyMismatch, "having does not hide a group that mixes currencies")
	})

	t.Run("the aggregate record limit refuses more records than it allows", func(t *testing.T) {
		limited := storage.New(e.driver, e.reg, storage.WithClock(e.clock), storage.WithAggregateLimit(8))
		_, err := limited.Aggregate(e.ctx, crm.Aggregation{Entity: account, GroupBy: []crm.GroupBy{{Field: "city"}}, Measures: count})
		require.ErrorIs(t, err, storage.ErrAggregateLimit)
		var lerr *storage.AggregateLimitError
		require.ErrorAs(t, err, &lerr)
		require.Equal(t, storage.AggregateLimitError{Records: 9, Limit: 8}, *lerr)
		rows, err := limited.Aggregate(e.ctx, crm.Aggregation{Entity: account, Where: crm.NotNull("city"), GroupBy: []crm.GroupBy{{Field: "city"}},
			Measures: count, Limit: 1})
		require.NoError(t, err, "8 records are within the limit")
		requireRows(t, []crm.AggregateRow{{"city": "Berlin", "n": int64(1)}}, rows)
		_, err = e.store.Aggregate(e.ctx, crm.Aggregation{Entity: account, Measures: count})
		require.NoError(t, err, "a store has no limit unless it is given one")
	})

	t.Run("bad reports are validation errors naming the path", func(t *testing.T) {
		g := func(alias, field string, path ...crm.Link) []crm.GroupBy {
			return []crm.GroupBy{{Alias: alias, Field: field, Path: path}}
		}
		bad := []struct {
			name  string
			a     crm.Aggregation
			field string
		}{
			{"an unknown path step", crm.Aggregation{GroupBy: g("x", "city", link("nosuch", "")), Measures: count}, "nosuch.city"},
			{"a step that is not a lookup", crm.Aggregation{GroupBy: g("x", "city", link("name", "")), Measures: count}, "name.city"},
			{"an unknown field at the end", crm.Aggregation{GroupBy: g("x", "nosuch", link("parentaccountid", "")), Measures: count}, "parentaccountid.nosuch"},
			{"a polymorphic step without its entity", crm.Aggregation{Entity: task, GroupBy: g("x", "city", link("regardingobjectid", "")), Measures: count}, "regardingobjectid.city"},
			{"a step to an entity the lookup cannot point at", crm.Aggregation{GroupBy: g("x", "city", link("parentaccountid", contact)), Measures: count}, "parentaccountid.city"},
			{"a path without an alias", crm.Aggregation{GroupBy: g("", "city", link("parentaccountid", "")), Measures: count}, "parentaccountid.city"},
			{"money at the end of a path", crm.Aggregation{GroupBy: g("x", "creditlimit", link("parentaccountid", "")), Measures: count}, "parentaccountid.creditlimit"},
			{"a label on a text key", crm.Aggregation{GroupBy: []crm.GroupBy{{Field: "city", Label: true}}, Measures: count}, "city"},
			{"count distinct of money", crm.Aggregation{Measures: []crm.Measure{m("x", crm.AggCountDistinct, "creditlimit")}}, "x"},
			{"having on an unknown alias", crm.Aggregation{Measures: count, Having: []crm.Condition{crm.Gt("nosuch", 1)}}, "having.nosuch"},
			{"having on a group key", crm.Aggregation{GroupBy: []crm.GroupBy{{Field: "city"}}, Measures: count, Having: []crm.Condition{crm.Eq("city", "Paris")}}, "having.city"},
			{"having with a like", crm.Aggregation{Measures: count, Having: []crm.Condition{crm.Like("n", "1%")}}, "having.n"},
			{"having with a value of another type", crm.Aggregation{Measures: count, Having: []crm.Condition{crm.Gt("n", "many")}}, "having.n"},
			{"having on money without a currency", crm.Aggregation{Measures: []crm.Measure{m("s", crm.AggSum, "creditlimit")}, Having: []crm.Condition{crm.Gt("s", dec("1"))}}, "having.s"},
			{"having between with one value", crm.Aggregation{Measures: count, Having: []crm.Condition{crm.Where("n", crm.OpBetween, 1)}}, "having.n"},
			{"order by an unknown alias", crm.Aggregation{Measures: count, OrderBy: []crm.Order{crm.Desc("nosuch")}}, "orderby.nosuch"},
			{"a negative limit", crm.Aggregation{Measures: count, Limit: -1}, "limit"},
		}
		for _, b := range bad {
			t.Run(b.name, func(t *testing.T) {
				if b.a.Entity == "" {
					b.a.Entity = account
				}
				_, err := e.store.Aggregate(e.ctx, b.a)
				requireInvalid(t, err, b.field)
			})
		}
	})
}
