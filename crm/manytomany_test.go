package crm_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
)

func twoEntities(t *testing.T) *crm.Registry {
	t.Helper()
	reg := crm.NewRegistry()
	require.NoError(t, reg.Register(
		&crm.Entity{Name: "opportunity", Fields: []crm.Field{{Name: "name", Type: crm.TypeText}}},
		&crm.Entity{Name: "competitor", Fields: []crm.Field{{Name: "name", Type: crm.TypeText}}},
	))
	return reg
}

func TestManyToManyRegistersItsIntersectEntity(t *testing.T) {
	reg := twoEntities(t)
	require.NoError(t, reg.RegisterManyToMany(crm.ManyToMany{Name: "opportunitycompetitors", Entity1: "opportunity", Entity2: "competitor"}))
	m, err := reg.ManyToMany("opportunitycompetitors")
	require.NoError(t, err)
	require.Equal(t, crm.ManyToMany{Name: "opportunitycompetitors", Entity1: "opportunity", Entity2: "competitor",
		Field1: "opportunityid", Field2: "competitorid"}, m, "lookup names filled in")

	e, err := reg.Entity("opportunitycompetitors")
	require.NoError(t, err)
	for i, target := range []string{"opportunity", "competitor"} {
		f := e.Fields[i]
		require.Equal(t, crm.TypeLookup, f.Type)
		require.Equal(t, []string{target}, f.Targets)
		require.True(t, f.Required && f.Immutable, "a pair is fixed once created")
		require.Equal(t, crm.DeleteCascade, f.OnDelete, "deleting either side deletes the association")
	}
	rels := reg.ReferencedBy("competitor")
	require.Contains(t, rels, crm.Relationship{From: "opportunitycompetitors", Field: "competitorid", To: "competitor", OnDelete: crm.DeleteCascade})

	t.Run("an association's ID is its pair's", func(t *testing.T) {
		a, b := crm.NewID(), crm.NewID()
		require.Equal(t, m.AssociationID(a, b), m.AssociationID(a, b))
		require.NotEqual(t, m.AssociationID(a, b), m.AssociationID(b, a), "the sides are ordered")
		other := m
		other.Name = "others"
		require.NotEqual(t, m.AssociationID(a, b), other.AssociationID(a, b), "and belong to one relationship")
	})

	t.Run("no fields can be added to it", func(t *testing.T) {
		err := reg.AddFields("opportunitycompetitors", crm.Field{Name: "note", Type: crm.TypeText})
		require.ErrorContains(t, err, "two lookups only")
	})

	t.Run("it survives a round trip through JSON", func(t *testing.T) {
		b, err := json.Marshal(reg)
		require.NoError(t, err)
		again := crm.NewRegistry()
		require.NoError(t, again.RegisterJSON(b))
		got, err := again.ManyToMany("opportunitycompetitors")
		require.NoError(t, err)
		require.Equal(t, m, got)
	})

	t.Run("an ordinary entity is no relationship", func(t *testing.T) {
		_, err := reg.ManyToMany("opportunity")
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, ok := e.ManyToMany()
		require.True(t, ok)
	})
}

func TestManyToManyOfAnEntityWithItself(t *testing.T) {
	reg := twoEntities(t)
	require.NoError(t, reg.RegisterManyToMany(crm.ManyToMany{Name: "opportunitypeers", Entity1: "opportunity", Entity2: "opportunity"}))
	m, err := reg.ManyToMany("opportunitypeers")
	require.NoError(t, err)
	f1, f2 := m.Lookups()
	require.Equal(t, []string{"opportunityidone", "opportunityidtwo"}, []string{f1, f2}, "as Dynamics names them")
}

func TestManyToManyRefusesBadDeclarations(t *testing.T) {
	tests := []struct {
		name   string
		m      crm.ManyToMany
		reason string
	}{
		{"bad name", crm.ManyToMany{Name: "Bad Name", Entity1: "opportunity", Entity2: "competitor"}, "not a valid logical name"},
		{"bad entity", crm.ManyToMany{Name: "x", Entity1: "Opportunity", Entity2: "competitor"}, "not a valid logical name"},
		{"one lookup name for both", crm.ManyToMany{Name: "x", Entity1: "opportunity", Entity2: "competitor", Field1: "a", Field2: "a"}, `field "a" is declared twice`},
		{"a name in use", crm.ManyToMany{Name: "opportunity", Entity1: "opportunity", Entity2: "competitor"}, "duplicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := twoEntities(t)
			err := reg.RegisterManyToMany(tt.m)
			require.ErrorContains(t, err, tt.reason)
			_, err = reg.ManyToMany(tt.m.Name)
			require.ErrorIs(t, err, crm.ErrNotFound)
		})
	}
	t.Run("an unknown entity, once the registry is complete", func(t *testing.T) {
		reg := twoEntities(t)
		require.NoError(t, reg.Complete())
		err := reg.RegisterManyToMany(crm.ManyToMany{Name: "x", Entity1: "opportunity", Entity2: "nosuchentity"})
		require.ErrorIs(t, err, crm.ErrNotFound)
	})
}

func TestManyToManyConditions(t *testing.T) {
	m := crm.ManyToMany{Name: "opportunitycompetitors", Entity1: "opportunity", Entity2: "competitor"}
	where := crm.Eq("name", "rival")
	require.Equal(t, crm.Exists{Entity: m.Name, Lookup: "opportunityid",
		Where: crm.Related{Lookup: "competitorid", Entity: "competitor", Where: where}}, m.Any("opportunity", where))
	require.Equal(t, crm.Exists{Entity: m.Name, Lookup: "competitorid", Not: true}, m.None("competitor", nil),
		"no join to the other side without a condition on it")
	ref := crm.Ref{Entity: "competitor", ID: crm.NewID()}
	require.Equal(t, crm.Exists{Entity: m.Name, Lookup: "opportunityid", Where: crm.Eq("competitorid", ref)}, m.With(ref))
	require.Equal(t, "opportunity", m.Other("competitor"))
}
