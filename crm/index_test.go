package crm_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
)

// indexed is keyed's entity with indexes.
func indexed(indexes ...crm.Index) *crm.Entity {
	e := keyed(crm.Key{Name: "sku", Fields: []string{"sku"}})
	e.Indexes = indexes
	return e
}

func TestIndexesAreCheckedAtRegistration(t *testing.T) {
	ok := []crm.Index{
		{Name: "by_parent", Fields: []string{"parent", "since", crm.FieldID}},
		{Name: "every_type", Fields: []string{"notes", "code", "weight", "fragile", "kind", "label", crm.FieldCreatedOn, crm.FieldState}},
	}
	require.NoError(t, crm.NewRegistry().Register(indexed(ok...)))

	for _, c := range []struct {
		indexes []crm.Index
		want    string
	}{
		{[]crm.Index{{Name: "Bad Name", Fields: []string{"sku"}}}, "not a valid logical name"},
		{[]crm.Index{{Name: "none"}}, "0 fields"},
		{[]crm.Index{{Name: "x", Fields: []string{"nosuch"}}}, "not a field"},
		{[]crm.Index{{Name: "x", Fields: []string{"since", "since"}}}, "appears twice"},
		{[]crm.Index{{Name: "x", Fields: []string{"price"}}}, "money field"},
		{[]crm.Index{{Name: "sku", Fields: []string{"code"}}}, "another index's or key's"},
		{[]crm.Index{{Name: "x", Fields: []string{"code"}}, {Name: "x", Fields: []string{"since"}}}, "another index's or key's"},
	} {
		err := crm.NewRegistry().Register(indexed(c.indexes...))
		require.ErrorContains(t, err, c.want, "%+v", c.indexes)
	}
	many := make([]crm.Index, crm.MaxIndexes+1)
	for i := range many {
		many[i] = crm.Index{Name: fmt.Sprintf("x%d", i), Fields: []string{"code"}}
	}
	require.ErrorContains(t, crm.NewRegistry().Register(indexed(many...)), "more than the 10")
}

func TestIndexesTravelInJSONAndSurviveAddFields(t *testing.T) {
	reg := crm.NewRegistry()
	require.NoError(t, reg.Register(indexed(crm.Index{Name: "by_parent", Fields: []string{"parent", "since", crm.FieldID}})))
	require.NoError(t, reg.AddFields("item", crm.Field{Name: "extra", Type: crm.TypeText}))
	e, err := reg.Entity("item")
	require.NoError(t, err)
	require.Len(t, e.Indexes, 1, "adding fields keeps the indexes")

	b, err := json.Marshal(e)
	require.NoError(t, err)
	require.Contains(t, string(b), `"indexes":[{"name":"by_parent","fields":["parent","since","id"]}]`)
	var back crm.Entity
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, e.Indexes, back.Indexes)
	require.NoError(t, crm.NewRegistry().Register(&back), "what JSON carries registers again")
}
