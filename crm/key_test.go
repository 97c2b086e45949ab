package crm_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
)

// keyed is an entity with a field of every type, and keys.
func keyed(keys ...crm.Key) *crm.Entity {
	return &crm.Entity{Name: "item", Keys: keys, Fields: []crm.Field{
		{Name: "sku", Type: crm.TypeText, MaxLength: 40},
		{Name: "notes", Type: crm.TypeText, MaxLength: 2000},
		{Name: "code", Type: crm.TypeInteger},
		{Name: "weight", Type: crm.TypeDecimal, Precision: 2},
		{Name: "price", Type: crm.TypeMoney},
		{Name: "fragile", Type: crm.TypeBool},
		{Name: "since", Type: crm.TypeTime},
		{Name: "kind", Type: crm.TypeChoice, Options: []crm.Option{{Value: 1}}},
		{Name: "parent", Type: crm.TypeLookup, Targets: []string{"item"}},
		{Name: "label", Type: crm.TypeText, Compute: func(f crm.Fields) any { return f["sku"] }},
	}}
}

func TestKeysAreCheckedAtRegistration(t *testing.T) {
	ok := []crm.Key{
		{Name: "sku", Fields: []string{"sku"}},
		{Name: "every_type", Fields: []string{"code", "weight", "since", "kind", "parent"}},
	}
	require.NoError(t, crm.NewRegistry().Register(keyed(ok...)))

	for _, c := range []struct {
		keys []crm.Key
		want string
	}{
		{[]crm.Key{{Name: "Bad Name", Fields: []string{"sku"}}}, "not a valid logical name"},
		{[]crm.Key{{Name: "none"}}, "0 fields"},
		{[]crm.Key{{Name: "k", Fields: []string{"nosuch"}}}, "not a declared field"},
		{[]crm.Key{{Name: "k", Fields: []string{crm.FieldCreatedOn}}}, "not a declared field"},
		{[]crm.Key{{Name: "k", Fields: []string{"sku", "sku"}}}, "appears twice"},
		{[]crm.Key{{Name: "k", Fields: []string{"price"}}}, "money field"},
		{[]crm.Key{{Name: "k", Fields: []string{"fragile"}}}, "bool field"},
		{[]crm.Key{{Name: "k", Fields: []string{"label"}}}, "computed"},
		{[]crm.Key{{Name: "k", Fields: []string{"notes"}}}, "4000 bytes wide"},
		{[]crm.Key{{Name: "k", Fields: []string{"sku"}}, {Name: "k", Fields: []string{"code"}}}, "declared twice"},
		{[]crm.Key{{Name: "a", Fields: []string{"sku", "code"}}, {Name: "b", Fields: []string{"code", "sku"}}}, "same fields"},
	} {
		err := crm.NewRegistry().Register(keyed(c.keys...))
		require.ErrorContains(t, err, c.want, "%+v", c.keys)
	}
	many := make([]crm.Key, crm.MaxKeys+1)
	fields := []string{"sku", "code", "weight", "since", "kind", "parent"}
	for i := range many {
		many[i] = crm.Key{Name: "k" + string(rune('a'+i)), Fields: []string{fields[i%6], fields[(i+1)%6], fields[(i+i/6+2)%6]}}
	}
	require.ErrorContains(t, crm.NewRegistry().Register(keyed(many...)), "more than the 10")
}

func TestKeysTravelInJSONAndSurviveAddFields(t *testing.T) {
	reg := crm.NewRegistry()
	require.NoError(t, reg.Register(keyed(crm.Key{Name: "sku", Fields: []string{"sku"}}, crm.Key{Name: "pair", Fields: []string{"parent", "code"}})))
	require.NoError(t, reg.AddFields("item", crm.Field{Name: "extra", Type: crm.TypeText}))
	e, err := reg.Entity("item")
	require.NoError(t, err)
	require.Len(t, e.Keys, 2, "adding fields keeps the keys")

	b, err := json.Marshal(e)
	require.NoError(t, err)
	require.Contains(t, string(b), `"keys":[{"name":"sku","fields":["sku"]},{"name":"pair","fields":["parent","code"]}]`)
	var back crm.Entity
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, e.Keys, back.Keys)
	require.NoError(t, crm.NewRegistry().Register(&back), "what JSON carries registers again")
}

func TestKeyValues(t *testing.T) {
	reg := crm.NewRegistry()
	require.NoError(t, reg.Register(keyed(crm.Key{Name: "pair", Fields: []string{"parent", "code"}})))
	e, err := reg.Entity("item")
	require.NoError(t, err)
	k, _ := e.Key("pair")
	id := crm.NewID()
	vals, err := e.KeyValues(k, []any{id, 7})
	require.NoError(t, err)
	require.Equal(t, []any{crm.Ref{Entity: "item", ID: id}, int64(7)}, vals, "canonical values")
	_, err = e.KeyValues(k, []any{id, nil})
	require.ErrorIs(t, err, crm.ErrValidation)
	require.True(t, strings.Contains(err.Error(), "code is part of key"), err.Error())
	_, err = e.KeyValues(k, []any{id})
	require.ErrorIs(t, err, crm.ErrValidation)

	dup := error(&crm.DuplicateKeyError{Entity: "item", Key: "pair"})
	require.True(t, errors.Is(dup, crm.ErrDuplicate))
	require.Contains(t, dup.Error(), `key "pair"`)
}
