package storage_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
)

// loadQuery reads a saved query as a host would, failing the test if the
// JSON itself is malformed: what CheckQuery sees is a well-formed query.
func loadQuery(t *testing.T, doc string) crm.Query {
	t.Helper()
	var q crm.Query
	require.NoError(t, json.Unmarshal([]byte(doc), &q))
	return q
}

// requireInvalid checks that err is a *crm.ValidationError naming field.
func requireInvalid(t *testing.T, err error, field, reason string) {
	t.Helper()
	require.ErrorIs(t, err, crm.ErrValidation)
	var verr *crm.ValidationError
	require.ErrorAs(t, err, &verr)
	require.True(t, verr.Has(field), "%v", err)
	require.ErrorContains(t, err, reason)
}

func TestCheckQuery(t *testing.T) {
	f := newFixture(t)
	ctx := crm.AsSystem(t.Context())
	contoso := f.createAccount(t, ctx, crm.Fields{"name": "Contoso", "employees": int64(250)})
	f.createAccount(t, ctx, crm.Fields{"name": "Fabrikam", "employees": int64(12)})
	for _, last := range []string{"Davolio", "Dodsworth", "Fuller"} {
		_, err := f.store.Create(ctx, crm.Record{Entity: "contact", Fields: crm.Fields{
			"lastname": last, "parentcustomerid": crm.Ref{Entity: "account", ID: contoso.ID}}})
		require.NoError(t, err)
	}

	t.Run("a saved query that checks runs as the query it was saved from", func(t *testing.T) {
		view := crm.Query{
			Entity: "contact",
			Where: crm.And(
				crm.BeginsWith("lastname", "D"),
				crm.Through("parentcustomerid", "account", crm.Ge("employees", 100)),
			),
			OrderBy: []crm.Order{crm.Desc("lastname")},
			Limit:   10,
		}
		saved, err := json.Marshal(view)
		require.NoError(t, err)
		loaded := loadQuery(t, string(saved))
		require.NoError(t, f.store.CheckQuery(ctx, loaded))

		want, err := f.store.Query(ctx, view)
		require.NoError(t, err)
		got, err := f.store.Query(ctx, loaded)
		require.NoError(t, err)
		require.Equal(t, want, got)
		require.Len(t, got.Records, 2)
		require.Equal(t, "Dodsworth", got.Records[0].Fields.String("lastname"))
	})
	t.Run("a field that does not exist is named", func(t *testing.T) {
		q := loadQuery(t, `{"entity":"contact","where":{"field":"lastnme","op":"eq","values":["Davolio"]}}`)
		err := f.store.CheckQuery(ctx, q)
		requireInvalid(t, err, "lastnme", "lastnme is not a field of contact")
		require.ErrorContains(t, err, "check query contact: ")
	})
	t.Run("a field of a related record is named by its lookup", func(t *testing.T) {
		q := loadQuery(t, `{"entity":"contact","where":{"through":"parentcustomerid","where":{"field":"nmae","op":"like","values":["C%"]}}}`)
		requireInvalid(t, f.store.CheckQuery(ctx, q), "parentcustomerid.nmae", "is not a field of account")
	})
	t.Run("every problem is named at once", func(t *testing.T) {
		q := loadQuery(t, `{"entity":"account","where":{"and":[
			{"field":"employees","op":"gt","values":["100"]},
			{"field":"name","op":"last-x-days","values":[7]}]},
			"orderBy":[{"field":"revenue"}]}`)
		err := f.store.CheckQuery(ctx, q)
		requireInvalid(t, err, "employees", "employees gt: value 1 wants")
		requireInvalid(t, err, "name", "name last-x-days: only for time fields")
		requireInvalid(t, err, "revenue", "revenue is not a field of account and cannot be sorted on")
	})
	t.Run("a page over the maximum size is refused as Query refuses it", func(t *testing.T) {
		q := loadQuery(t, `{"entity":"account","limit":5001}`)
		requireInvalid(t, f.store.CheckQuery(ctx, q), "limit", "5001 is over the maximum page size 5000")
		_, err := f.store.Query(ctx, q)
		requireInvalid(t, err, "limit", "5001 is over the maximum page size 5000")
	})
	t.Run("a cursor of another query is refused", func(t *testing.T) {
		page, err := f.store.Query(ctx, crm.Query{Entity: "contact", Limit: 1})
		require.NoError(t, err)
		q := crm.Query{Entity: "contact", OrderBy: []crm.Order{crm.Asc("lastname")}, After: page.Next}
		requireInvalid(t, f.store.CheckQuery(ctx, q), "after", "is not a cursor of this query")
	})
	t.Run("an unknown entity is not found", func(t *testing.T) {
		err := f.store.CheckQuery(ctx, loadQuery(t, `{"entity":"lead"}`))
		require.ErrorIs(t, err, crm.ErrNotFound)
	})
}

func TestCheckAggregation(t *testing.T) {
	f := newFixture(t)
	ctx := crm.AsSystem(t.Context())
	load := func(t *testing.T, doc string) crm.Aggregation {
		t.Helper()
		var a crm.Aggregation
		require.NoError(t, json.Unmarshal([]byte(doc), &a))
		return a
	}

	t.Run("a saved report that checks runs", func(t *testing.T) {
		f.createAccount(t, ctx, crm.Fields{"name": "Contoso", "employees": int64(250)})
		a := load(t, `{"entity":"account","groupBy":[{"alias":"year","field":"createdon","date":"year"}],
			"measures":[{"alias":"n","func":"count"},{"alias":"people","func":"sum","field":"employees"}]}`)
		require.NoError(t, f.store.CheckAggregation(ctx, a))
		rows, err := f.store.Aggregate(ctx, a)
		require.NoError(t, err)
		require.Len(t, rows, 1)
		require.Equal(t, int64(250), rows[0].Int("people"))
	})
	t.Run("a field that does not exist is named", func(t *testing.T) {
		a := load(t, `{"entity":"account","groupBy":[{"field":"industrycode"}],
			"measures":[{"alias":"people","func":"avg","field":"employes"}],
			"where":{"field":"nmae","op":"not-null"}}`)
		err := f.store.CheckAggregation(ctx, a)
		requireInvalid(t, err, "industrycode", "industrycode is not a field of account")
		requireInvalid(t, err, "people", `people measures "employes", which is not a field of account`)
		requireInvalid(t, err, "nmae", "nmae is not a field of account")
		require.ErrorContains(t, err, "check aggregation account: ")
	})
	t.Run("a function that does not fit its field is named", func(t *testing.T) {
		a := load(t, `{"entity":"account","measures":[{"alias":"total","func":"sum","field":"name"}]}`)
		requireInvalid(t, f.store.CheckAggregation(ctx, a), "total", "cannot take sum of a text field")
	})
}
