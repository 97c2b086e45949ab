package storage

import (
	"maps"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// A count with no condition reads nothing of the scope's time, time zone
// or caller: its plan is the entity's and the registry's alone, so it is
// made once per entity and generation of the registry and shared by
// every such count (adapters only read a plan). When reads gain an access
// filter from the scope (see Store.scope), it belongs in the key.

// wholePlans holds the plans of counts with no condition, for one
// generation of the registry.
type wholePlans struct {
	gen   uint64
	plans map[string]*driver.Plan // by entity name; never changed once published
}

// wholePlan returns the plan of a count of every record of entity.
func (s *Store) wholePlan(entity string) (*driver.Plan, error) {
	gen := s.reg.Generation() // before planning: a change meanwhile shows
	if last := s.lastCount.Load(); last != nil && last.gen == gen && last.entity == entity {
		return last.p, nil // counted again: no hash of the name
	}
	p, err := s.wholePlanOf(entity, gen)
	if err == nil {
		s.lastCount.Store(&lastCount{gen: gen, entity: entity, p: p})
	}
	return p, err
}

// lastCount is the plan of the last count with no condition.
type lastCount struct {
	gen    uint64
	entity string
	p      *driver.Plan
}

// wholePlanOf returns the plan of a count of every record of entity at
// generation gen of the registry.
func (s *Store) wholePlanOf(entity string, gen uint64) (*driver.Plan, error) {
	cur := s.counts.Load()
	if cur != nil && cur.gen == gen {
		if p, ok := cur.plans[entity]; ok {
			return p, nil
		}
	}
	p, err := driver.PlanQuery(s.reg, crm.Query{Entity: entity}, crm.EarliestTime, nil, driver.Principal{})
	if err != nil {
		return nil, err
	}
	next := &wholePlans{gen: gen, plans: map[string]*driver.Plan{}}
	if cur != nil && cur.gen == gen {
		next.plans = maps.Clone(cur.plans)
	}
	next.plans[entity] = p
	s.counts.CompareAndSwap(cur, next) // a lost race only costs a plan next time
	return p, nil
}
