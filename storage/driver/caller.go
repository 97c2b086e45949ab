package driver

import (
	"slices"

	"github.com/crmkit/crmkit/crm"
)

// Principal is what the planner takes from the reading scope (crm.Scope)
// for the caller operators (eq-userid, eq-userteams, eq-businessid...).
// The zero Principal names no one: a query using a caller operator then
// fails validation, naming the field and the operator.
type Principal struct {
	User         crm.ID   // the caller (Scope.Caller)
	Teams        []crm.ID // the caller's teams (Scope.Teams)
	BusinessUnit crm.ID   // the caller's business unit (Scope.BusinessUnit)
}

// PrincipalOf returns the principal of a scope.
func PrincipalOf(s crm.Scope) Principal {
	return Principal{User: s.Caller, Teams: s.Teams, BusinessUnit: s.BusinessUnit}
}

// caller lowers a caller operator to Eq, Ne or In of the principal's IDs
// (Refs, on a lookup to several entities, as IDs are unique per entity):
//
//   - eq-userid, ne-userid: the field is a lookup that may point at a user
//     (ownerid, createdby...) or a user's own ID;
//   - eq-userteams: a lookup that may point at a team, or a team's ID; the
//     caller's teams, none of them matching nothing;
//   - eq-useroruserteams: the caller, where the field may hold a user, and
//     the caller's teams, where it may hold a team;
//   - eq-businessid, ne-businessid: a lookup to a business unit
//     (owningbusinessunit) or a business unit's ID.
//
// Like every comparison, none matches a null field: ne-userid keeps the
// records whose field names someone else.
func (c *planner) caller(e *crm.Entity, f *crm.Field, cond crm.Condition, bad func(string, ...any) crm.Filter) crm.Filter {
	if len(cond.Values) != 0 {
		return bad("takes no value: it compares with the caller's scope")
	}
	holds := func(entity string) bool {
		switch f.Type {
		case crm.TypeLookup:
			return slices.Contains(f.Targets, entity)
		case crm.TypeID:
			return e.Name == entity
		}
		return false
	}
	var refs []crm.Ref
	switch cond.Op {
	case crm.OpEqUserID, crm.OpNeUserID, crm.OpEqUserTeams, crm.OpEqUserOrUserTeams:
		users := cond.Op != crm.OpEqUserTeams && holds(crm.UserEntity)
		teams := (cond.Op == crm.OpEqUserTeams || cond.Op == crm.OpEqUserOrUserTeams) && holds(crm.TeamEntity)
		if !users && !teams {
			want := "a user"
			switch cond.Op {
			case crm.OpEqUserTeams:
				want = "a team"
			case crm.OpEqUserOrUserTeams:
				want = "a user or a team"
			}
			return bad("only for a lookup that may point at %s, or the ID of %s", want, want)
		}
		if c.who.User == crm.NilID {
			return bad("needs a caller: the query is read in a scope naming none (crm.WithScope, crm.WithCaller)")
		}
		if users {
			refs = append(refs, crm.Ref{Entity: crm.UserEntity, ID: c.who.User})
		}
		if teams {
			for _, t := range c.who.Teams {
				refs = append(refs, crm.Ref{Entity: crm.TeamEntity, ID: t})
			}
		}
	default: // eq-businessid, ne-businessid
		if !holds(crm.BusinessUnitEntity) {
			return bad("only for a lookup to a business unit, or a business unit's ID")
		}
		if c.who.BusinessUnit == crm.NilID {
			return bad("needs the caller's business unit: the query is read in a scope naming none")
		}
		refs = append(refs, crm.Ref{Entity: crm.BusinessUnitEntity, ID: c.who.BusinessUnit})
	}
	parts := make([]crm.Filter, len(refs))
	op := crm.OpEq
	if cond.Op == crm.OpNeUserID || cond.Op == crm.OpNeBusinessID {
		op = crm.OpNe
	}
	for i, r := range refs {
		k, _ := c.key(f, r) // a Ref only where the lookup points at several entities
		parts[i] = crm.Condition{Field: cond.Field, Op: op, Values: []any{k}}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return crm.Or(parts...) // none: matches nothing
}
