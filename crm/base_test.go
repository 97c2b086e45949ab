package crm_test

import (
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/stretchr/testify/require"
)

// baseAndExtension returns a base entity and an entity extending it, as
// the tests below change them.
func baseAndExtension() (*crm.Entity, *crm.Entity) {
	base := &crm.Entity{Name: "act", TypeField: "acttype", Fields: []crm.Field{
		{Name: "subject", Type: crm.TypeText, MaxLength: 100},
		{Name: "acttype", Type: crm.TypeText, MaxLength: 50},
		{Name: "regardingobjectid", Type: crm.TypeLookup, Polymorphic: true, OnDelete: crm.DeleteCascade},
		{Name: "priority", Type: crm.TypeChoice, Options: []crm.Option{{Value: 0, Label: "Low"}, {Value: 1, Label: "High"}}},
	}}
	ext := &crm.Entity{Name: "call", Base: "act", Fields: []crm.Field{
		{Name: "subject", Type: crm.TypeText, MaxLength: 100},
		{Name: "regardingobjectid", Type: crm.TypeLookup, Polymorphic: true, OnDelete: crm.DeleteCascade},
		{Name: "priority", Type: crm.TypeChoice, Options: []crm.Option{{Value: 1, Label: "High"}}},
		{Name: "phonenumber", Type: crm.TypeText},
	}}
	return base, ext
}

func TestBaseEntityRules(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(base, ext *crm.Entity)
		want   string // "" registers
	}{
		{"valid", func(_, _ *crm.Entity) {}, ""},
		{"type field is not a text field", func(b, _ *crm.Entity) { b.TypeField = "priority" }, "type field"},
		{"type field is not declared", func(b, _ *crm.Entity) { b.TypeField = "kind" }, "type field"},
		{"base with a lifecycle", func(b, _ *crm.Entity) { b.Lifecycle = lifecycle() }, "no lifecycle"},
		{"base with a computed field", func(b, _ *crm.Entity) { b.Fields[0].Compute = func(crm.Fields) any { return nil } }, "computed"},
		{"base extends a base", func(b, _ *crm.Entity) { b.Base = "other" }, "extends no other"},
		{"unknown base", func(_, x *crm.Entity) { x.Base = "nope" }, "not registered"},
		{"base without a type field", func(b, _ *crm.Entity) { b.TypeField = "" }, "not a base entity"},
		{"missing a base field", func(_, x *crm.Entity) { x.Fields = x.Fields[1:] }, `"subject" of base entity`},
		{"wider text", func(_, x *crm.Entity) { x.Fields[0].MaxLength = 200 }, "holds 200 characters"},
		{"other type", func(_, x *crm.Entity) { x.Fields[0].Type = crm.TypeInteger; x.Fields[0].MaxLength = 0 }, "the base's is"},
		{"other option", func(_, x *crm.Entity) { x.Fields[2].Options = []crm.Option{{Value: 7, Label: "Urgent"}} }, "option 7"},
		{"another target", func(_, x *crm.Entity) { x.Fields[1].Targets = []string{"call"} }, `point at "call"`},
		{"declares the type field", func(_, x *crm.Entity) {
			x.Fields = append(x.Fields, crm.Field{Name: "acttype", Type: crm.TypeText})
		}, "type field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, ext := baseAndExtension()
			tc.change(base, ext)
			err := crm.NewRegistry().Register(base, ext)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestBaseEntityGrowth(t *testing.T) {
	reg := crm.NewRegistry()
	base, ext := baseAndExtension()
	require.NoError(t, reg.Register(&crm.Entity{Name: "account", Fields: []crm.Field{{Name: "name", Type: crm.TypeText}}}, base, ext))

	require.ErrorContains(t, reg.AddFields("act", crm.Field{Name: "extra", Type: crm.TypeText}), "base entity")
	require.NoError(t, reg.AddFields("call", crm.Field{Name: "extra", Type: crm.TypeText}), "an extension grows freely")
	require.ErrorContains(t, reg.AddFields("call", crm.Field{Name: "acttype", Type: crm.TypeText}), "type field")

	gen := reg.Generation()
	require.ErrorContains(t, reg.AddTargets("call", "regardingobjectid", "account"), "base entity")
	require.NoError(t, reg.AddTargets("act", "regardingobjectid", "account", "account"))
	require.NoError(t, reg.AddTargets("act", "regardingobjectid", "account"), "a target the field has is skipped")
	require.Equal(t, gen+1, reg.Generation())
	for _, name := range []string{"act", "call"} {
		e, err := reg.Entity(name)
		require.NoError(t, err)
		f, _ := e.Field("regardingobjectid")
		require.Equal(t, []string{"account"}, f.Targets, name)
	}
	require.Equal(t, []crm.Relationship{{From: "call", Field: "regardingobjectid", To: "account", OnDelete: crm.DeleteCascade}},
		reg.ReferencedBy("account"), "the base's own lookups are no relationships")
	require.Len(t, reg.Extensions("act"), 1)

	require.ErrorContains(t, reg.AddTargets("call", "phonenumber", "account"), "not a declared lookup")
	require.NoError(t, reg.Register(&crm.Entity{Name: "one", Fields: []crm.Field{
		{Name: "accountid", Type: crm.TypeLookup, Targets: []string{"account"}}}}))
	require.ErrorContains(t, reg.AddTargets("one", "accountid", "act"), "Polymorphic")
	require.NoError(t, reg.Complete())
	require.ErrorIs(t, reg.AddTargets("act", "regardingobjectid", "nothing"), crm.ErrNotFound)
}

func lifecycle() *crm.Lifecycle {
	return &crm.Lifecycle{
		States:   []crm.State{{Code: 0, Name: "Open", DefaultStatus: 1}},
		Statuses: []crm.Status{{Code: 1, Name: "Open", State: 0}},
	}
}

func TestBaseEntityJSON(t *testing.T) {
	reg := crm.NewRegistry()
	base, ext := baseAndExtension()
	require.NoError(t, reg.Register(base, ext))
	doc, err := reg.MarshalJSON()
	require.NoError(t, err)
	again := crm.NewRegistry()
	require.NoError(t, again.RegisterJSON(doc))
	b, err := again.Entity("act")
	require.NoError(t, err)
	require.Equal(t, "acttype", b.TypeField)
	f, _ := b.Field("regardingobjectid")
	require.True(t, f.Polymorphic)
	x, err := again.Entity("call")
	require.NoError(t, err)
	require.Equal(t, "act", x.Base)
}
