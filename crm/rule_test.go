package crm_test

import (
	"context"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/stretchr/testify/require"
)

func TestRules(t *testing.T) {
	nop := func(context.Context, crm.Write) error { return nil }
	entity := func(rules ...crm.Rule) *crm.Entity {
		return &crm.Entity{Name: "thing", Fields: []crm.Field{
			{Name: "name", Type: crm.TypeText},
			{Name: "city", Type: crm.TypeText},
		}, Rules: rules}
	}

	t.Run("a rule with fields applies when one is set on create or changes on update", func(t *testing.T) {
		r := crm.Rule{Name: "city", Fields: []string{"city"}, Check: nop}
		target := &crm.Record{Fields: crm.Fields{"name": "a", "city": "Oslo"}}
		require.True(t, r.Applies(crm.Write{Target: target}))
		require.False(t, r.Applies(crm.Write{Target: &crm.Record{Fields: crm.Fields{"name": "a"}}}))
		require.False(t, r.Applies(crm.Write{Target: target, Before: &crm.Record{Fields: crm.Fields{"city": "Oslo"}}}))
		require.True(t, r.Applies(crm.Write{Target: target, Before: &crm.Record{Fields: crm.Fields{"city": "Bergen"}}}))
		require.True(t, r.Applies(crm.Write{Target: &crm.Record{}, Before: &crm.Record{Fields: crm.Fields{"city": "Bergen"}}}), "clearing is a change")
		all := crm.Rule{Name: "all", Check: nop}
		require.True(t, all.Applies(crm.Write{Target: &crm.Record{}, Before: &crm.Record{}}))
	})

	t.Run("registering checks rules and keeps a copy of them", func(t *testing.T) {
		reg := crm.NewRegistry()
		require.Error(t, reg.Register(entity(crm.Rule{Name: "no check"})))
		require.Error(t, reg.Register(entity(crm.Rule{Name: "bad field", Fields: []string{"nosuch"}, Check: nop})))
		require.Error(t, reg.Register(entity(crm.Rule{Name: "system field", Fields: []string{crm.FieldOwner}, Check: nop})))
		src := entity(crm.Rule{Name: "ok", Fields: []string{"city"}, Check: nop})
		require.NoError(t, reg.Register(src))
		src.Rules[0].Fields[0] = "name"
		e, err := reg.Entity("thing")
		require.NoError(t, err)
		require.Equal(t, []string{"city"}, e.Rules[0].Fields)
	})

	t.Run("rules run in order and the first error stops them", func(t *testing.T) {
		var ran []string
		rule := func(name string, err error) crm.Rule {
			return crm.Rule{Name: name, Check: func(context.Context, crm.Write) error { ran = append(ran, name); return err }}
		}
		reg := crm.NewRegistry()
		require.NoError(t, reg.Register(entity(rule("first", nil))))
		require.NoError(t, reg.AddRules("thing", rule("second", crm.Invalid("thing", "name", "no")), rule("third", nil)))
		e, _ := reg.Entity("thing")
		err := e.CheckRules(context.Background(), crm.Write{Entity: e, Target: &crm.Record{}})
		require.ErrorIs(t, err, crm.ErrValidation)
		require.Equal(t, []string{"first", "second"}, ran)
	})
}
