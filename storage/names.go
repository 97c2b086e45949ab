package storage

import (
	"context"
	"fmt"
	"slices"

	"github.com/crmkit/crmkit/crm"
)

// namesPerQuery is how many IDs one query of Names binds.
const namesPerQuery = 1000

// Names returns the display name of each record refs point at: its
// entity's PrimaryName field (an account's name, a contact's full name),
// for showing lookups and lookup group keys (crm.AggregateRow.Ref). A
// zero Ref, a record that does not exist and a record of an entity without
// a primary name are left out of the map. It reads each entity's records
// in one query. Errors: crm.ErrNotFound for an unknown entity, and the
// store's read errors.
func (s *Store) Names(ctx context.Context, refs ...crm.Ref) (map[crm.Ref]string, error) {
	byEntity := map[string][]any{}
	var entities []string
	seen := map[crm.Ref]bool{}
	for _, r := range refs {
		if r.IsZero() || seen[r] {
			continue
		}
		seen[r] = true
		if _, ok := byEntity[r.Entity]; !ok {
			entities = append(entities, r.Entity)
		}
		byEntity[r.Entity] = append(byEntity[r.Entity], r.ID)
	}
	slices.Sort(entities)
	out := make(map[crm.Ref]string, len(refs))
	for _, name := range entities {
		e, err := s.entity(name)
		if err != nil {
			return nil, fmt.Errorf("names of %s: %w", name, err)
		}
		if e.PrimaryName == "" {
			continue
		}
		ids := byEntity[name]
		for start := 0; start < len(ids); start += namesPerQuery {
			chunk := ids[start:min(start+namesPerQuery, len(ids))]
			for rec, err := range s.Iterate(ctx, crm.Query{Entity: name, Where: crm.In(crm.FieldID, chunk...)}) {
				if err != nil {
					return nil, fmt.Errorf("names of %s: %w", name, err)
				}
				out[rec.Ref()] = rec.Fields.String(e.PrimaryName)
			}
		}
	}
	return out, nil
}
