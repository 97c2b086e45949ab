package driver

import (
	"fmt"
	"slices"

	"github.com/crmkit/crmkit/crm"
)

// Referrers returns the records of entity whose lookup field points at
// target (its entity and ID), for Exists conditions: the children of one
// record through one lookup. The records are the adapter's: the matcher
// reads them and never changes or keeps them. In a transaction they are
// the transaction's, its own uncommitted writes included.
type Referrers func(entity, lookup string, target crm.Ref) ([]Row, error)

// MatcherWith is Matcher for a filter that may hold Exists conditions,
// which read the records referring to the one tested through refer.
// Matcher(resolve) is MatcherWith(resolve, nil): its matcher fails on an
// Exists condition.
func (p *Plan) MatcherWith(resolve Resolver, refer Referrers) Matcher {
	return compile(p.reg, p.Entity, p.Where, sources{resolve, refer})
}

// MatcherWith compiles the aggregation's filter, as Plan.MatcherWith does.
func (p *AggregatePlan) MatcherWith(resolve Resolver, refer Referrers) Matcher {
	return compile(p.reg, p.Entity, p.Where, sources{resolve, refer})
}

// sources is what a matcher reads besides the record it tests.
type sources struct {
	resolve Resolver
	refer   Referrers
}

// existsFilter checks and lowers an Exists condition on records of e. Its
// name in errors is "child[lookup]" after path, and fields of its Where
// are named after that: "opportunity[customerid].name".
func (c *planner) existsFilter(e *crm.Entity, x crm.Exists, path string) crm.Filter {
	c.related++
	name := path + x.Entity + "[" + x.Lookup + "]"
	child, err := c.reg.Entity(x.Entity)
	if err != nil {
		c.verr.Add(name, "names entity %q, which has no metadata here", x.Entity)
		return nil
	}
	f, ok := child.Field(x.Lookup)
	if !ok || f.Type != crm.TypeLookup {
		c.verr.Add(name, "%q is not a lookup field of %s", x.Lookup, child.Name)
		return nil
	}
	if !slices.Contains(f.Targets, e.Name) {
		c.verr.Add(name, "%s.%s cannot point at %q records (allowed: %v)", child.Name, x.Lookup, e.Name, f.Targets)
		return nil
	}
	return crm.Exists{Entity: x.Entity, Lookup: x.Lookup, Not: x.Not, Where: c.filter(child, x.Where, name+".")}
}

// compileExists compiles an Exists condition on records of e.
func compileExists(r *crm.Registry, e *crm.Entity, x crm.Exists, src sources) Matcher {
	child, err := r.Entity(x.Entity)
	if err != nil {
		return failing(fmt.Errorf("match: %w", err))
	}
	if src.refer == nil {
		return failing(fmt.Errorf("match: an exists condition on %s needs a Referrers (MatcherWith)", x.Entity))
	}
	sub := compile(r, child, x.Where, src)
	return func(rec Row) (bool, error) {
		children, err := src.refer(x.Entity, x.Lookup, crm.Ref{Entity: e.Name, ID: rec.Ref().ID})
		if err != nil {
			return false, err
		}
		for _, ch := range children {
			ok, err := sub(ch)
			if err != nil {
				return false, err
			}
			if ok {
				return !x.Not, nil
			}
		}
		return x.Not, nil
	}
}
