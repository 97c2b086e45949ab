package crm_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
)

func TestRegistryRefusesBadDeclarations(t *testing.T) {
	text := func(name string) crm.Field { return crm.Field{Name: name, Type: crm.TypeText} }
	tests := []struct {
		name   string
		entity crm.Entity
		reason string
	}{
		{"entity name must be a logical name", crm.Entity{Name: "Account"}, "not a valid logical name"},
		{"entity name cannot start with a digit", crm.Entity{Name: "1account"}, "not a valid logical name"},
		{"entity name is at most 50 characters", crm.Entity{Name: "a23456789012345678901234567890123456789012345678901"}, "not a valid logical name"},
		{"field name must be a logical name", crm.Entity{Name: "thing", Fields: []crm.Field{text("First Name")}}, `field "First Name": not a valid logical name`},
		{"field declared twice", crm.Entity{Name: "thing", Fields: []crm.Field{text("a"), text("a")}}, `field "a" is declared twice`},
		{"field named like a system field", crm.Entity{Name: "thing", Fields: []crm.Field{text(crm.FieldCreatedOn)}}, "is declared twice or is a system field"},
		{"callers cannot declare system fields", crm.Entity{Name: "thing", Fields: []crm.Field{{Name: "x", Type: crm.TypeText, System: true}}}, "only the platform declares system fields"},
		{"unknown field type", crm.Entity{Name: "thing", Fields: []crm.Field{{Name: "x"}}}, "unknown type"},
		{"the id type is the platform's", crm.Entity{Name: "thing", Fields: []crm.Field{{Name: "x", Type: crm.TypeID}}}, "unknown type"},
		{"text longer than the platform allows", crm.Entity{Name: "thing", Fields: []crm.Field{{Name: "x", Type: crm.TypeText, MaxLength: crm.MaxTextLength + 1}}}, "max length"},
		{"negative text length", crm.Entity{Name: "thing", Fields: []crm.Field{{Name: "x", Type: crm.TypeText, MaxLength: -1}}}, "max length"},
		{"decimal precision over 10", crm.Entity{Name: "thing", Fields: []crm.Field{{Name: "x", Type: crm.TypeDecimal, Precision: 11}}}, "precision 11 outside 0..10"},
		{"choice without options", crm.Entity{Name: "thing", Fields: []crm.Field{{Name: "x", Type: crm.TypeChoice}}}, "a choice needs options"},
		{"choice with a value twice", crm.Entity{Name: "thing", Fields: []crm.Field{{Name: "x", Type: crm.TypeChoice, Options: []crm.Option{{Value: 1}, {Value: 1}}}}}, "option value 1 appears twice"},
		{"lookup without targets", crm.Entity{Name: "thing", Fields: []crm.Field{{Name: "x", Type: crm.TypeLookup}}}, "needs at least one target"},
		{"lookup with an unknown delete behaviour", crm.Entity{Name: "thing", Fields: []crm.Field{{Name: "x", Type: crm.TypeLookup, Targets: []string{"thing"}, OnDelete: 7}}}, "unknown delete behaviour"},
		{"required lookup that would remove its link", crm.Entity{Name: "thing", Fields: []crm.Field{{Name: "x", Type: crm.TypeLookup, Targets: []string{"thing"}, Required: true}}}, "cannot remove its link"},
		{"hierarchical lookup to another entity", crm.Entity{Name: "thing", Fields: []crm.Field{{Name: "x", Type: crm.TypeLookup, Targets: []string{crm.UserEntity}, Hierarchical: true}}}, `must target "thing" itself`},
		{"hierarchical lookup with two targets", crm.Entity{Name: "thing", Fields: []crm.Field{{Name: "x", Type: crm.TypeLookup, Targets: []string{"thing", crm.UserEntity}, Hierarchical: true}}}, "exactly one target"},
		{"computed lookup", crm.Entity{Name: "thing", Fields: []crm.Field{{Name: "x", Type: crm.TypeLookup, Targets: []string{"thing"}, Compute: func(crm.Fields) any { return nil }}}}, "cannot be required or a lookup"},
		{"computed required field", crm.Entity{Name: "thing", Fields: []crm.Field{{Name: "x", Type: crm.TypeText, Required: true, Compute: func(crm.Fields) any { return nil }}}}, "cannot be required or a lookup"},
		{"min above max", crm.Entity{Name: "thing", Fields: []crm.Field{{Name: "x", Type: crm.TypeInteger, Min: decPtr("5"), Max: decPtr("4")}}}, "min 5 above max 4"},
		{"primary name that is not a field", crm.Entity{Name: "thing", PrimaryName: "name"}, `primary name "name" is not a text field`},
		{"primary name that is not text", crm.Entity{Name: "thing", PrimaryName: "n", Fields: []crm.Field{{Name: "n", Type: crm.TypeInteger}}}, "is not a text field"},
		{"lifecycle with an undeclared initial state", crm.Entity{Name: "thing", Lifecycle: &crm.Lifecycle{Initial: 5}}, "initial state 5 is not declared"},
		{"lifecycle with a state twice", crm.Entity{Name: "thing", Lifecycle: &crm.Lifecycle{States: []crm.State{{Code: 0, Name: "A"}, {Code: 0, Name: "B"}}}}, "state 0 declared twice"},
		{"lifecycle state without a name", crm.Entity{Name: "thing", Lifecycle: &crm.Lifecycle{States: []crm.State{{Code: 0}}}}, "state 0 has no name"},
		{"status of an undeclared state", crm.Entity{Name: "thing", Lifecycle: &crm.Lifecycle{
			States:   []crm.State{{Code: 0, Name: "Active", DefaultStatus: 1}},
			Statuses: []crm.Status{{Code: 1, Name: "Active", State: 0}, {Code: 2, Name: "Gone", State: 9}},
		}}, "status 2 belongs to undeclared state 9"},
		{"status code zero", crm.Entity{Name: "thing", Lifecycle: &crm.Lifecycle{
			States:   []crm.State{{Code: 0, Name: "Active"}},
			Statuses: []crm.Status{{Code: 0, Name: "None", State: 0}},
		}}, "codes start at 1"},
		{"status declared twice", crm.Entity{Name: "thing", Lifecycle: &crm.Lifecycle{
			States:   []crm.State{{Code: 0, Name: "Active", DefaultStatus: 1}},
			Statuses: []crm.Status{{Code: 1, Name: "Active", State: 0}, {Code: 1, Name: "Again", State: 0}},
		}}, "status 1 declared twice"},
		{"default status of another state", crm.Entity{Name: "thing", Lifecycle: &crm.Lifecycle{
			States:   []crm.State{{Code: 0, Name: "Active", DefaultStatus: 2}, {Code: 1, Name: "Inactive", DefaultStatus: 2}},
			Statuses: []crm.Status{{Code: 1, Name: "Active", State: 0}, {Code: 2, Name: "Inactive", State: 1}},
		}}, `state "Active": default status 2 does not belong to it`},
		{"state without a default status", crm.Entity{Name: "thing", Lifecycle: &crm.Lifecycle{
			States:   []crm.State{{Code: 0, Name: "Active"}},
			Statuses: []crm.Status{{Code: 1, Name: "Active", State: 0}},
		}}, "default status 0 does not belong to it"},
		{"event declared twice", crm.Entity{Name: "thing", Lifecycle: withTransitions(
			crm.Transition{Event: "close", From: []crm.StateCode{0}, To: 1},
			crm.Transition{Event: "close", From: []crm.StateCode{1}, To: 0})}, `event "close" is empty or declared twice`},
		{"event without a name", crm.Entity{Name: "thing", Lifecycle: withTransitions(crm.Transition{From: []crm.StateCode{0}, To: 1})}, `event "" is empty`},
		{"event to an undeclared state", crm.Entity{Name: "thing", Lifecycle: withTransitions(crm.Transition{Event: "x", From: []crm.StateCode{0}, To: 4})}, "goes to undeclared state 4"},
		{"event from an undeclared state", crm.Entity{Name: "thing", Lifecycle: withTransitions(crm.Transition{Event: "x", From: []crm.StateCode{4}, To: 0})}, "starts from undeclared state 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := crm.NewRegistry()
			e := tt.entity
			err := reg.Register(&e)
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.reason)
			require.Empty(t, reg.Entities(), "nothing is registered")
		})
	}
}

func withTransitions(ts ...crm.Transition) *crm.Lifecycle {
	lc := accountLifecycle()
	lc.Transitions = ts
	return lc
}

func TestRegistry(t *testing.T) {
	t.Run("an entity registered twice is a duplicate", func(t *testing.T) {
		reg := crm.NewRegistry()
		require.NoError(t, reg.Register(&crm.Entity{Name: "thing"}))
		require.ErrorIs(t, reg.Register(&crm.Entity{Name: "thing"}), crm.ErrDuplicate)
		require.ErrorIs(t, crm.NewRegistry().Register(&crm.Entity{Name: "a"}, &crm.Entity{Name: "a"}), crm.ErrDuplicate)
	})
	t.Run("a failed batch registers nothing", func(t *testing.T) {
		reg := crm.NewRegistry()
		err := reg.Register(&crm.Entity{Name: "good"}, &crm.Entity{Name: "bad", Fields: []crm.Field{{Name: "x", Type: crm.TypeText, MaxLength: -1}}})
		require.Error(t, err)
		_, err = reg.Entity("good")
		require.ErrorIs(t, err, crm.ErrNotFound)
		require.NoError(t, reg.Register(&crm.Entity{Name: "good"}), "the good one can be registered again")
	})
	t.Run("lookups may target entities of the same batch or registered before", func(t *testing.T) {
		reg := crm.NewRegistry()
		require.NoError(t, reg.Register(
			&crm.Entity{Name: "a", Fields: []crm.Field{{Name: "b", Type: crm.TypeLookup, Targets: []string{"b"}}}},
			&crm.Entity{Name: "b", Fields: []crm.Field{{Name: "a", Type: crm.TypeLookup, Targets: []string{"a"}}}},
		))
		require.NoError(t, reg.Register(&crm.Entity{Name: "c", Fields: []crm.Field{
			{Name: "a", Type: crm.TypeLookup, Targets: []string{"a"}, OnDelete: crm.DeleteRestrict},
			{Name: "user", Type: crm.TypeLookup, Targets: []string{crm.UserEntity}},
		}}))
		require.Equal(t, []crm.Relationship{
			{From: "b", Field: "a", To: "a", OnDelete: crm.DeleteRemoveLink},
			{From: "c", Field: "a", To: "a", OnDelete: crm.DeleteRestrict},
		}, reg.ReferencedBy("a"))
		names := []string{}
		for _, e := range reg.Entities() {
			names = append(names, e.Name)
		}
		require.Equal(t, []string{"a", "b", "c"}, names, "entities come back in registration order")
	})
	t.Run("unknown entities are not found", func(t *testing.T) {
		_, err := crm.NewRegistry().Entity("nowhere")
		require.ErrorIs(t, err, crm.ErrNotFound)
	})
	t.Run("the registry keeps its own copy of a declaration", func(t *testing.T) {
		reg := crm.NewRegistry()
		src := &crm.Entity{Name: "thing", Fields: []crm.Field{{Name: "c", Type: crm.TypeChoice, Options: []crm.Option{{Value: 1}}}}}
		require.NoError(t, reg.Register(src))
		src.Fields[0].Options[0].Value = 2
		src.Fields[0].Name = "renamed"
		e := entity(t, reg, "thing")
		f, ok := e.Field("c")
		require.True(t, ok)
		_, ok = f.Option(1)
		require.True(t, ok)
	})
	t.Run("defaults are filled in", func(t *testing.T) {
		reg := testRegistry(t)
		e := entity(t, reg, "account")
		require.Equal(t, "account", e.Label)
		f, ok := e.Field("accountnumber")
		require.True(t, ok)
		require.Equal(t, "accountnumber", f.Label)
		require.Equal(t, crm.DefaultTextLength, f.MaxLen())
		id, ok := e.Field(crm.FieldID)
		require.True(t, ok, "system fields are fields of every entity")
		require.True(t, id.System)
		require.Len(t, e.AllFields(), len(crm.SystemFields())+len(e.Fields))
		require.Len(t, e.Lookups(), 2)
	})
	t.Run("names", func(t *testing.T) {
		require.True(t, crm.ValidName("account_2"))
		require.False(t, crm.ValidName(""))
		require.False(t, crm.ValidName("_x"))
		require.False(t, crm.ValidName("a-b"))
		require.False(t, crm.ValidName("drop table;"))
	})
	t.Run("type and behaviour names", func(t *testing.T) {
		require.Equal(t, "money", crm.TypeMoney.String())
		require.Equal(t, "FieldType(99)", crm.FieldType(99).String())
		require.Equal(t, "cascade", crm.DeleteCascade.String())
		require.Equal(t, "remove link", crm.DeleteRemoveLink.String())
		require.Equal(t, "restrict", crm.DeleteRestrict.String())
	})
}
