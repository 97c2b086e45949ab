package driver_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

func TestPlanLowersHierarchyOperators(t *testing.T) {
	reg := testRegistry(t)
	x := crm.NewID()
	at := func(op crm.Operator) crm.Condition { return crm.Where(crm.FieldID, op, x) }
	for _, tt := range []struct {
		name  string
		where crm.Filter
		want  crm.Filter
	}{
		{"under stays", crm.Under(x), at(crm.OpUnder)},
		{"above stays", crm.Above(x), at(crm.OpAbove)},
		{"not-under stays", crm.NotUnder(x), at(crm.OpNotUnder)},
		{"eq-or-under is eq or under", crm.EqOrUnder(x), crm.Or(at(crm.OpEq), at(crm.OpUnder))},
		{"eq-or-above is eq or above", crm.EqOrAbove(x), crm.Or(at(crm.OpEq), at(crm.OpAbove))},
		{"a Ref becomes its ID", crm.Where(crm.FieldID, crm.OpUnder, crm.Ref{Entity: "account", ID: x}), at(crm.OpUnder)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, plan(t, reg, tt.where, date(2024, 1, 1)).Where)
		})
	}
	require.Equal(t, "parentaccountid", driver.HierarchyLookup(entity(t, reg, "account")).Name)
	require.Nil(t, driver.HierarchyLookup(entity(t, reg, "contact")))
}

func TestPlanLowersCallerOperators(t *testing.T) {
	reg := testRegistry(t)
	me, team1, team2, unit := crm.NewID(), crm.NewID(), crm.NewID(), crm.NewID()
	who := driver.Principal{User: me, Teams: []crm.ID{team1, team2}, BusinessUnit: unit}
	lower := func(where crm.Filter, who driver.Principal) (crm.Filter, error) {
		p, err := driver.PlanQuery(reg, crm.Query{Entity: "account", Where: where}, date(2024, 1, 1), nil, who)
		if err != nil {
			return nil, err
		}
		return p.Where, nil
	}
	user := crm.Ref{Entity: crm.UserEntity, ID: me}
	team := func(id crm.ID) crm.Ref { return crm.Ref{Entity: crm.TeamEntity, ID: id} }
	for _, tt := range []struct {
		name  string
		where crm.Condition
		want  crm.Filter
	}{
		{"eq-userid on the owner compares entity and ID", crm.Where(crm.FieldOwner, crm.OpEqUserID), crm.Eq(crm.FieldOwner, user)},
		{"ne-userid on the owner", crm.Where(crm.FieldOwner, crm.OpNeUserID), crm.Ne(crm.FieldOwner, user)},
		{"eq-userid on a lookup to users compares the ID", crm.Where(crm.FieldCreatedBy, crm.OpEqUserID), crm.Eq(crm.FieldCreatedBy, me)},
		{"eq-userteams is one equality a team", crm.Where(crm.FieldOwner, crm.OpEqUserTeams), crm.Or(crm.Eq(crm.FieldOwner, team(team1)), crm.Eq(crm.FieldOwner, team(team2)))},
		{"eq-useroruserteams", crm.Where(crm.FieldOwner, crm.OpEqUserOrUserTeams),
			crm.Or(crm.Eq(crm.FieldOwner, user), crm.Eq(crm.FieldOwner, team(team1)), crm.Eq(crm.FieldOwner, team(team2)))},
		{"eq-businessid", crm.Where(crm.FieldBusinessUnit, crm.OpEqBusinessID), crm.Eq(crm.FieldBusinessUnit, unit)},
		{"ne-businessid", crm.Where(crm.FieldBusinessUnit, crm.OpNeBusinessID), crm.Ne(crm.FieldBusinessUnit, unit)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lower(tt.where, who)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
	t.Run("eq-userteams with no teams matches nothing", func(t *testing.T) {
		got, err := lower(crm.Where(crm.FieldOwner, crm.OpEqUserTeams), driver.Principal{User: me})
		require.NoError(t, err)
		g, ok := got.(crm.Group)
		require.True(t, ok && g.Or && len(g.Filters) == 0, "an empty Or, got %#v", got)
	})
	t.Run("no caller is a validation error naming the field and operator", func(t *testing.T) {
		_, err := lower(crm.Where(crm.FieldOwner, crm.OpEqUserID), driver.Principal{})
		require.ErrorIs(t, err, crm.ErrValidation)
		require.Contains(t, validationFields(t, err)[crm.FieldOwner], "eq-userid")
		_, err = lower(crm.Where(crm.FieldBusinessUnit, crm.OpEqBusinessID), driver.Principal{User: me})
		require.Contains(t, validationFields(t, err)[crm.FieldBusinessUnit], "eq-businessid")
	})
}

// TestHierarchyMatcherAgreesWithAWalk tests records in random orders
// against a forest with a cycle and a chain deeper than
// MaxHierarchyDepth: the depths the matcher remembers must never change
// an answer from the one a fresh walk up gives.
func TestHierarchyMatcherAgreesWithAWalk(t *testing.T) {
	reg := testRegistry(t)
	r := rand.New(rand.NewPCG(3, 5))
	recs := map[crm.ID]crm.Record{}
	var ids []crm.ID
	add := func(parent crm.ID) crm.ID {
		id := crm.NewID()
		rec := crm.Record{Entity: "account", Header: crm.Header{ID: id}, Fields: crm.Fields{"name": "x"}}
		if parent != crm.NilID {
			rec.Fields["parentaccountid"] = crm.Ref{Entity: "account", ID: parent}
		}
		recs[id] = rec
		ids = append(ids, id)
		return id
	}
	for range 300 { // a random forest
		var p crm.ID
		if len(ids) > 0 && r.IntN(5) > 0 {
			p = ids[r.IntN(len(ids))]
		}
		add(p)
	}
	chain := add(crm.NilID) // deeper than the cap
	top := chain
	for range crm.MaxHierarchyDepth + 5 {
		chain = add(chain)
	}
	a := add(crm.NilID) // a cycle stored before the rule: a → b → c → a
	b := add(a)
	c := add(b)
	rec := recs[a]
	rec.Fields["parentaccountid"] = crm.Ref{Entity: "account", ID: c}
	recs[a] = rec
	_ = add(crm.NewID()) // a parent that does not exist

	resolve := func(_ string, id crm.ID) (driver.Row, bool, error) {
		rec, ok := recs[id]
		return driver.RecordRow(&rec), ok, nil
	}
	depth := func(id, root crm.ID) int { // levels from id up to root, 0 if not within the cap
		cur := recs[id]
		for d := 1; d <= crm.MaxHierarchyDepth; d++ {
			p, _ := cur.Fields["parentaccountid"].(crm.Ref)
			if p.IsZero() {
				return 0
			}
			if p.ID == root {
				return d
			}
			var ok bool
			if cur, ok = recs[p.ID]; !ok {
				return 0
			}
		}
		return 0
	}
	roots := []crm.ID{top, a, b, ids[0], ids[1], ids[r.IntN(300)], ids[300+crm.MaxHierarchyDepth/2], crm.NewID()}
	for i, root := range roots {
		for _, op := range []crm.Operator{crm.OpUnder, crm.OpNotUnder, crm.OpAbove} {
			t.Run(fmt.Sprintf("root %d %s", i, op), func(t *testing.T) {
				m := plan(t, reg, crm.Where(crm.FieldID, op, root), date(2024, 1, 1)).Matcher(resolve)
				order := append([]crm.ID{}, ids...)
				r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
				for _, id := range order {
					rec := recs[id]
					got, err := m(driver.RecordRow(&rec))
					require.NoError(t, err)
					var want bool
					switch op {
					case crm.OpUnder:
						want = depth(id, root) > 0
					case crm.OpNotUnder:
						want = depth(id, root) == 0
					case crm.OpAbove:
						want = depth(root, id) > 0
					}
					require.Equal(t, want, got, "record %s", id)
				}
			})
		}
	}
	t.Run("a matcher without a resolver fails rather than guess", func(t *testing.T) {
		_, err := plan(t, reg, crm.Under(top), date(2024, 1, 1)).Match(recs[chain], nil)
		require.Error(t, err)
	})
}
