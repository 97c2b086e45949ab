package crm_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
)

func TestMetadataJSON(t *testing.T) {
	fullName := func(fs crm.Fields) any { return strings.TrimSpace(fs.String("first") + " " + fs.String("last")) }
	declare := func(t *testing.T) *crm.Registry {
		t.Helper()
		reg := crm.NewRegistry()
		require.NoError(t, reg.RegisterCalculator("fullname", fullName))
		require.NoError(t, reg.Register(
			&crm.Entity{Name: "project", Label: "Project", PrimaryName: "name", Fields: []crm.Field{
				{Name: "name", Type: crm.TypeText, Required: true, MaxLength: 200},
				{Name: "budget", Type: crm.TypeMoney, MoneyPrecision: crm.PrecisionField, Precision: 3},
				{Name: "rate", Type: crm.TypeDecimal, Precision: 4, Min: decPtr("-1"), Max: decPtr("1")},
				{Name: "phase", Type: crm.TypeChoice, Options: []crm.Option{{Value: 1, Label: "Plan"}, {Value: 2, Label: "Build"}}},
				{Name: "parent", Type: crm.TypeLookup, Targets: []string{"project"}, Hierarchical: true, OnDelete: crm.DeleteRestrict},
				{Name: "due", Type: crm.TypeTime, DateOnly: true, Immutable: true},
			}, Lifecycle: &crm.Lifecycle{
				States:      []crm.State{{Code: 0, Name: "Open", DefaultStatus: 1}, {Code: 1, Name: "Closed", DefaultStatus: 2, ReadOnly: true}},
				Statuses:    []crm.Status{{Code: 1, Name: "Open", State: 0}, {Code: 2, Name: "Done", State: 1}},
				Transitions: []crm.Transition{{Event: "close", From: []crm.StateCode{0}, To: 1}},
			}},
			&crm.Entity{Name: "person", Fields: []crm.Field{
				{Name: "first", Type: crm.TypeText}, {Name: "last", Type: crm.TypeText},
				{Name: "full", Type: crm.TypeText, Calculator: "fullname"},
			}, Rules: []crm.Rule{{Name: "code only", Check: func(context.Context, crm.Write) error { return nil }}}},
		))
		return reg
	}

	t.Run("a registry round-trips through JSON", func(t *testing.T) {
		reg := declare(t)
		doc, err := json.Marshal(reg)
		require.NoError(t, err)
		again := crm.NewRegistry()
		require.NoError(t, again.RegisterCalculator("fullname", fullName))
		require.NoError(t, again.RegisterJSON(doc))
		doc2, err := json.Marshal(again)
		require.NoError(t, err)
		require.JSONEq(t, string(doc), string(doc2))

		p := entity(t, again, "project")
		f, _ := p.Field("rate")
		require.Equal(t, "1", f.Max.String())
		require.Equal(t, crm.TypeDecimal, f.Type)
		require.Len(t, p.Lifecycle.Transitions, 1)
		require.True(t, p.Lifecycle.States[1].ReadOnly)
	})
	t.Run("a computed field keeps its calculator; rules are not serialized", func(t *testing.T) {
		reg := declare(t)
		b, err := json.Marshal(entity(t, reg, "person"))
		require.NoError(t, err)
		require.Contains(t, string(b), `"calculator":"fullname"`)
		require.NotContains(t, string(b), "code only")
		var e crm.Entity
		require.NoError(t, json.Unmarshal(b, &e))
		require.Empty(t, e.Rules)
		again := crm.NewRegistry()
		require.ErrorContains(t, again.Register(&e), `calculator "fullname" is not registered`)
		require.NoError(t, again.RegisterCalculator("fullname", fullName))
		require.NoError(t, again.Register(&e))
		fs := crm.Fields{"first": "Ada", "last": "Lovelace"}
		require.NoError(t, entity(t, again, "person").Compute(fs))
		require.Equal(t, "Ada Lovelace", fs["full"])
	})
	t.Run("types travel by name", func(t *testing.T) {
		b, err := json.Marshal(crm.Field{Name: "n", Type: crm.TypeInteger})
		require.NoError(t, err)
		require.JSONEq(t, `{"name":"n","type":"integer"}`, string(b))
		var f crm.Field
		require.ErrorContains(t, json.Unmarshal([]byte(`{"name":"n","type":"blob"}`), &f), `unknown field type "blob"`)
	})
	t.Run("fields the registry derives are left out", func(t *testing.T) {
		reg := crm.NewRegistry()
		require.NoError(t, reg.SetBaseCurrency("USD"))
		require.NoError(t, reg.Register(&crm.Entity{Name: "deal", Fields: []crm.Field{{Name: "amount", Type: crm.TypeMoney}}}))
		b, err := json.Marshal(entity(t, reg, "deal"))
		require.NoError(t, err)
		require.NotContains(t, string(b), crm.FieldExchangeRate)
		require.NotContains(t, string(b), "amount_base")
	})
}

// The JSON of metadata is kept in databases: its shape is part of the API.
func TestMetadataJSONFormat(t *testing.T) {
	reg := crm.NewRegistry()
	require.NoError(t, reg.Register(&crm.Entity{Name: "ticket", PrimaryName: "title", Fields: []crm.Field{
		{Name: "title", Type: crm.TypeText, Required: true, MaxLength: 200},
		{Name: "priority", Type: crm.TypeChoice, Options: []crm.Option{{Value: 1, Label: "High"}}},
		{Name: "account", Type: crm.TypeLookup, Targets: []string{"ticket"}, OnDelete: crm.DeleteCascade},
	}, Lifecycle: &crm.Lifecycle{
		States:      []crm.State{{Code: 0, Name: "Open", DefaultStatus: 1}, {Code: 1, Name: "Closed", DefaultStatus: 2, ReadOnly: true}},
		Statuses:    []crm.Status{{Code: 1, Name: "New", State: 0}, {Code: 2, Name: "Solved", State: 1}},
		Transitions: []crm.Transition{{Event: "close", From: []crm.StateCode{0}, To: 1}},
	}}))
	b, err := json.Marshal(entity(t, reg, "ticket"))
	require.NoError(t, err)
	require.JSONEq(t, `{"name":"ticket","label":"ticket","primaryName":"title",
		"fields":[
			{"name":"title","label":"title","type":"text","required":true,"maxLength":200},
			{"name":"priority","label":"priority","type":"choice","options":[{"value":1,"label":"High"}]},
			{"name":"account","label":"account","type":"lookup","targets":["ticket"],"onDelete":1}],
		"lifecycle":{"initial":0,
			"states":[{"code":0,"name":"Open","defaultStatus":1},{"code":1,"name":"Closed","defaultStatus":2,"readOnly":true}],
			"statuses":[{"code":1,"name":"New","state":0},{"code":2,"name":"Solved","state":1}],
			"transitions":[{"event":"close","from":[0],"to":1}]}}`, string(b))
}
