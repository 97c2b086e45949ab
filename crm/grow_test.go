package crm_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
)

func TestRegistryGrows(t *testing.T) {
	base := func(t *testing.T) *crm.Registry {
		t.Helper()
		reg := crm.NewRegistry()
		require.NoError(t, reg.Register(
			&crm.Entity{Name: "account", PrimaryName: "name", Fields: []crm.Field{{Name: "name", Type: crm.TypeText}}},
			&crm.Entity{Name: "contact", Fields: []crm.Field{{Name: "lastname", Type: crm.TypeText}}},
		))
		return reg
	}
	t.Run("added fields are found and come after the declared ones", func(t *testing.T) {
		reg := base(t)
		before := entity(t, reg, "contact")
		require.NoError(t, reg.AddFields("contact",
			crm.Field{Name: "loyalty", Type: crm.TypeInteger},
			crm.Field{Name: "tier", Type: crm.TypeChoice, Options: []crm.Option{{Value: 100_000_000, Label: "Gold"}}},
		))
		after := entity(t, reg, "contact")
		f, ok := after.Field("tier")
		require.True(t, ok)
		require.Equal(t, "tier", f.Label, "the label defaults to the name as Register's do")
		require.Equal(t, []string{"lastname", "loyalty", "tier"}, fieldNames(after))
		_, ok = before.Field("loyalty")
		require.False(t, ok, "an entity looked up before does not change: the registry publishes a new one")
	})
	t.Run("added fields are checked like registered ones and nothing is added on error", func(t *testing.T) {
		reg := base(t)
		for name, f := range map[string]crm.Field{
			`field "lastname" is declared twice`: {Name: "lastname", Type: crm.TypeText},
			"not a valid logical name":           {Name: "Loyalty", Type: crm.TypeInteger},
			"unknown type":                       {Name: "x"},
			"a choice needs options":             {Name: "x", Type: crm.TypeChoice},
		} {
			err := reg.AddFields("contact", crm.Field{Name: "ok", Type: crm.TypeBool}, f)
			require.ErrorContains(t, err, name)
		}
		require.Equal(t, []string{"lastname"}, fieldNames(entity(t, reg, "contact")))
		require.ErrorIs(t, reg.AddFields("nowhere", crm.Field{Name: "x", Type: crm.TypeBool}), crm.ErrNotFound)
	})
	t.Run("the generation moves with every change and only then", func(t *testing.T) {
		reg := base(t)
		g := reg.Generation()
		require.Error(t, reg.AddFields("contact", crm.Field{Name: "lastname", Type: crm.TypeText}))
		require.Error(t, reg.Register(&crm.Entity{Name: "account"}))
		require.Equal(t, g, reg.Generation(), "a refused change is no change")
		require.NoError(t, reg.AddFields("contact", crm.Field{Name: "x", Type: crm.TypeBool}))
		require.Greater(t, reg.Generation(), g)
		g = reg.Generation()
		require.NoError(t, reg.Register(&crm.Entity{Name: "lead"}))
		require.Greater(t, reg.Generation(), g)
	})
	t.Run("an added lookup is a relationship of its target", func(t *testing.T) {
		reg := base(t)
		require.NoError(t, reg.AddFields("contact", crm.Field{Name: "employer", Type: crm.TypeLookup, Targets: []string{"account"}, OnDelete: crm.DeleteRestrict}))
		require.Equal(t, []crm.Relationship{{From: "contact", Field: "employer", To: "account", OnDelete: crm.DeleteRestrict}}, reg.ReferencedBy("account"))
		require.Len(t, entity(t, reg, "contact").Lookups(), 1)
	})
	t.Run("readers see the old or the new entity while fields are added", func(t *testing.T) {
		reg := base(t)
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for range 4 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					e, err := reg.Entity("contact")
					if err != nil {
						t.Error(err)
						return
					}
					_ = fieldNames(e)
					_ = reg.ReferencedBy("account")
				}
			})
		}
		for i := range 20 {
			require.NoError(t, reg.AddFields("contact", crm.Field{Name: "f" + string(rune('a'+i)), Type: crm.TypeInteger}))
		}
		close(stop)
		wg.Wait()
		require.Len(t, entity(t, reg, "contact").Fields, 21)
	})
}

func TestRegistryComplete(t *testing.T) {
	t.Run("a lookup may target an entity registered later", func(t *testing.T) {
		reg := crm.NewRegistry()
		require.NoError(t, reg.Register(&crm.Entity{Name: "task", Fields: []crm.Field{{Name: "regardingobjectid", Type: crm.TypeLookup, Targets: []string{"account", "project"}}}}))
		require.NoError(t, reg.Register(&crm.Entity{Name: "account"}))
		require.ErrorContains(t, reg.Complete(), `entity "task": lookup "regardingobjectid" targets unknown entity "project"`)
		require.NoError(t, reg.Register(&crm.Entity{Name: "project"}))
		require.NoError(t, reg.Complete())
		require.Len(t, reg.ReferencedBy("project"), 1)
	})
	t.Run("a complete registry checks targets at once", func(t *testing.T) {
		reg := crm.NewRegistry()
		require.NoError(t, reg.Register(&crm.Entity{Name: "account"}))
		require.NoError(t, reg.Complete())
		err := reg.Register(&crm.Entity{Name: "thing", Fields: []crm.Field{{Name: "x", Type: crm.TypeLookup, Targets: []string{"nowhere"}}}})
		require.ErrorContains(t, err, `lookup "x" targets unknown entity "nowhere"`)
		require.ErrorIs(t, err, crm.ErrNotFound)
		err = reg.AddFields("account", crm.Field{Name: "x", Type: crm.TypeLookup, Targets: []string{"nowhere"}})
		require.ErrorContains(t, err, `lookup "x" targets unknown entity "nowhere"`)
		require.NoError(t, reg.AddFields("account", crm.Field{Name: "parent", Type: crm.TypeLookup, Targets: []string{"account"}}), "an added lookup may target its own entity")
		require.NoError(t, reg.AddFields("account", crm.Field{Name: "region", Type: crm.TypeLookup, Targets: []string{crm.BusinessUnitEntity}}), "or a principal")
	})
}

func fieldNames(e *crm.Entity) []string {
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Name)
	}
	return out
}
