package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// ImportOptions says how Import writes records.
type ImportOptions struct {
	// Key names an alternate key (crm.Key) of the records' entities. Set,
	// each record is written as Upsert writes it: a record whose key value
	// is stored already updates the record holding it, so that running
	// an import again creates nothing twice. Empty, every record is
	// created, in as few round trips as CreateMany takes.
	Key string
}

// Imported is what Import did with one record.
type Imported struct {
	Record crm.Record // as stored (unchanged: as it was)
	// Created is false when the record holding the key was updated, or
	// already held every value given and was left as it was.
	Created bool
}

// Import writes records brought in from elsewhere, a migration from
// another CRM say, in one transaction: all of them or none. It is
// CreateMany in import mode (Dynamics' data import):
//
//   - a record may be created in any state of its lifecycle with any of
//     that state's status reasons (a won opportunity, a completed task):
//     rec.State is taken as given (the zero value is the initial state
//     when the lifecycle has no state 0) and rec.Status is its status
//     reason (0: the state's default). A status reason of another state
//     fails with a *crm.ValidationError, as does a state of an entity
//     without a lifecycle;
//   - rec.CreatedOn, if set, is kept as the record's creation time and
//     the time of the import goes to OverriddenCreatedOn (Dynamics'
//     overriddencreatedon); a creation time before crm.EarliestTime or
//     after the import is refused. Unset, the record is created now, as
//     CreateMany creates it. ModifiedOn is the time of the import, and
//     created and modified by are the caller, as for any write;
//   - everything else is CreateMany's: fields validated, lookups checked
//     (a record may point at one imported before it in recs), rules run,
//     keys enforced, hooks run. Hooks tell an import from a live write by
//     Event.Import.
//
// With opts.Key set, each record is upserted by that key (see Upsert), in
// import mode: a record matched by its key takes the given fields and,
// when rec.State or rec.Status is set, that state and status reason, even
// in a read-only state (the data being imported is the authority);
// a matched record that holds every given value already is not written
// at all, so a second run of an import changes nothing.
//
// Errors: those of CreateMany, Upsert's when opts.Key is set, each naming
// the record it is about; nothing is written when any record fails.
func (s *Store) Import(ctx context.Context, recs []crm.Record, opts ImportOptions) ([]Imported, error) {
	c := callOf(ctx)
	c.importing = true
	ctx = withCall(ctx, c)
	if opts.Key == "" {
		created, err := s.createMany(ctx, "import", recs)
		if err != nil {
			return nil, err
		}
		out := make([]Imported, len(created))
		for i, r := range created {
			out[i] = Imported{Record: r, Created: true}
		}
		return out, nil
	}
	out := make([]Imported, len(recs))
	err := s.write(ctx, func(ctx context.Context, st *txState, cl call) error {
		for start := 0; start < len(recs); {
			n, err := s.importChunk(ctx, st, cl, recs, start, opts.Key, out)
			if err != nil {
				return err
			}
			start += n
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("import %s by key %q: %w", entityNames(recs), opts.Key, err)
	}
	return out, nil
}

// importHeader sets the header of a record created by an import from
// what rec gives: its state, status reason and creation time.
func importHeader(e *crm.Entity, now time.Time, rec crm.Record, h *crm.Header, verr *crm.ValidationError) {
	if !rec.CreatedOn.IsZero() {
		created := crm.NormalizeTime(rec.CreatedOn)
		switch {
		case created.Before(crm.EarliestTime):
			verr.Add(crm.FieldCreatedOn, "%s is before %s", created.Format(time.RFC3339), crm.EarliestTime.Format(time.DateOnly))
		case created.After(now):
			verr.Add(crm.FieldCreatedOn, "%s is after the import (%s)", created.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
		default:
			h.CreatedOn, h.OverriddenCreatedOn = created, now
		}
	}
	if state, status, ok := importState(e, rec, verr); ok {
		h.State, h.Status = state, status
	}
}

// importState returns the state and status reason rec gives in import
// mode, adding to verr what is wrong with them; ok is false when the
// entity has no lifecycle or they are wrong.
func importState(e *crm.Entity, rec crm.Record, verr *crm.ValidationError) (crm.StateCode, crm.StatusCode, bool) {
	lc := e.Lifecycle
	if lc == nil {
		if rec.State != 0 || rec.Status != 0 {
			verr.Add(crm.FieldState, "is not kept: the entity has no lifecycle")
		}
		return 0, 0, false
	}
	state, ok := lc.State(rec.State)
	if !ok {
		if rec.State != 0 {
			verr.Add(crm.FieldState, "%d is not a state of %s", rec.State, e.Name)
			return 0, 0, false
		}
		state, _ = lc.State(lc.Initial)
	}
	if rec.Status == 0 {
		return state.Code, state.DefaultStatus, true
	}
	if !lc.Belongs(rec.Status, state.Code) {
		verr.Add(crm.FieldStatus, "%d is not a status reason of state %q", rec.Status, state.Name)
		return 0, 0, false
	}
	return state.Code, rec.Status, true
}

// Upsert creates rec, or updates the record of rec.Entity that holds
// rec's value of the alternate key named key (Dynamics' UpsertRequest
// with a key), and reports whether it created. rec.Fields must give every
// field of the key.
//
// A create is Create's. An update is Update's with the given fields,
// except the key's own (they matched: "ACME" finds "acme" and leaves it
// as stored): it refuses a change of state or owner and a record in a
// read-only state, and rec.Version, if set, must be the stored version.
// A matched record that already holds every given value is returned as
// it is, without a write. rec.ID, if set, must be the matched record's
// ID. PreValidation hooks run once the store knows which operation it
// is, inside the transaction (Event.InTransaction).
//
// Upsert is atomic under concurrency: of two writers upserting one key
// value at once, one creates and the other updates what it created. (A
// store that lets both look the key up first retries the loser's
// transaction, which then finds the record: see InTx.)
//
// Errors: crm.ErrNotFound for an unknown entity or key; a
// *crm.ValidationError naming a key field without a value; and those of
// Create and Update.
func (s *Store) Upsert(ctx context.Context, rec crm.Record, key string) (crm.Record, bool, error) {
	var (
		out     crm.Record
		created bool
	)
	err := s.write(ctx, func(ctx context.Context, st *txState, cl call) error {
		var err error
		out, created, err = s.upsert(ctx, st, cl, rec, key)
		return err
	})
	if err != nil {
		return crm.Record{}, false, fmt.Errorf("upsert %s by key %q: %w", rec.Entity, key, err)
	}
	return out, created, nil
}

// upsert is one Upsert (or one record of an Import by key) in st.
func (s *Store) upsert(ctx context.Context, st *txState, cl call, rec crm.Record, keyName string) (crm.Record, bool, error) {
	e, k, err := s.key(rec.Entity, keyName)
	if err != nil {
		return crm.Record{}, false, err
	}
	vals, err := recordKey(e, k, rec)
	if err != nil {
		return crm.Record{}, false, err
	}
	existing, err := s.findByKey(ctx, st.tx, e, k, vals, st.now)
	if errors.Is(err, crm.ErrNotFound) {
		return s.upsertCreate(ctx, st, cl, e, k, rec)
	}
	if err != nil {
		return crm.Record{}, false, err
	}
	out, err := s.upsertUpdate(ctx, st, cl, e, k, vals, existing, rec)
	return out, false, err
}

// recordKey returns the canonical values of rec's key k.
func recordKey(e *crm.Entity, k *crm.Key, rec crm.Record) ([]any, error) {
	given := make([]any, len(k.Fields))
	for i, f := range k.Fields {
		given[i] = rec.Fields[f]
	}
	return e.KeyValues(k, given)
}

// upsertUpdate writes rec to existing, the record holding rec's value
// vals of key k.
func (s *Store) upsertUpdate(ctx context.Context, st *txState, cl call, e *crm.Entity, k *crm.Key, vals []any, existing, rec crm.Record) (crm.Record, error) {
	if rec.ID != crm.NilID && rec.ID != existing.ID {
		return crm.Record{}, crm.Invalid(e.Name, crm.FieldID, fmt.Sprintf("is %s, but %s holds the key %q", rec.ID, existing.ID, k.Name))
	}
	req := rec
	req.ID = existing.ID
	req.Fields = rec.Fields.Clone()
	for _, f := range k.Fields {
		delete(req.Fields, f)
	}
	req, _, err := s.preValidate(ctx, OpUpdate, req, "")
	if err != nil {
		return crm.Record{}, err
	}
	if unchangedBy(e, existing, req, cl.importing) {
		return existing, nil
	}
	return s.change(ctx, st, cl, OpUpdate, e.Name, existing.ID, req.Version, "",
		func(e *crm.Entity, before, target *crm.Record) error {
			if !holdsKey(e, k, before, vals) {
				// Changed between the look-up and the lock: look again.
				return fmt.Errorf("%w: %s %s no longer holds the key %q", ErrRetry, e.Name, before.ID, k.Name)
			}
			verr := &crm.ValidationError{Entity: e.Name}
			if !req.Owner.IsZero() && req.Owner != before.Owner {
				verr.Add(crm.FieldOwner, "changes only through Assign")
			}
			if cl.importing {
				if req.State != 0 || req.Status != 0 {
					if state, status, ok := importState(e, req, verr); ok {
						target.State, target.Status = state, status
					}
				}
			} else if req.Status != 0 && (req.Status != before.Status || req.State != before.State) {
				verr.Add(crm.FieldStatus, "changes only through a lifecycle event (SetState)")
			} else if req.State != 0 && req.State != before.State {
				verr.Add(crm.FieldState, "changes only through a lifecycle event (SetState)")
			}
			changes, err := e.CheckUpdate(withoutUnchangedImmutables(e, before, req.Fields))
			if err != nil {
				verr.Fields = append(verr.Fields, asValidation(err).Fields...)
			}
			if err := verr.Err(); err != nil {
				return err
			}
			if lc := e.Lifecycle; lc != nil && !cl.importing {
				if state, _ := lc.State(before.State); state.ReadOnly {
					return &crm.TransitionError{Entity: e.Name, State: state.Name, Event: "update"}
				}
			}
			applyChanges(target, changes)
			return nil
		})
}

// upsertCreate creates rec, which no stored record's key k matched.
func (s *Store) upsertCreate(ctx context.Context, st *txState, cl call, e *crm.Entity, k *crm.Key, rec crm.Record) (crm.Record, bool, error) {
	c := &creation{store: s, st: st}
	ev, err := s.prepareCreate(ctx, c, cl, rec)
	if err != nil {
		return crm.Record{}, false, err
	}
	if err := s.insertCreated(ctx, st, e, k, []*Event{ev}); err != nil {
		return crm.Record{}, false, err
	}
	return *ev.Target, true, nil
}

// prepareCreate runs the PreValidation hooks of a create found to be
// one by its key, then prepares it as CreateMany does, rules included.
func (s *Store) prepareCreate(ctx context.Context, c *creation, cl call, rec crm.Record) (*Event, error) {
	rec, _, err := s.preValidate(ctx, OpCreate, rec, "")
	if err != nil {
		return nil, err
	}
	ev := &Event{}
	if err := c.prepare(ctx, rec, cl, ev, &crm.Record{}); err != nil {
		return nil, err
	}
	return ev, c.checkRules(ctx, ev)
}

// insertCreated writes the prepared creates of records of e, found new
// by key k, and runs their post-operation hooks.
func (s *Store) insertCreated(ctx context.Context, st *txState, e *crm.Entity, k *crm.Key, events []*Event) error {
	if len(events) == 0 {
		return nil
	}
	batch := make([]crm.Record, len(events))
	for i, ev := range events {
		batch[i] = *ev.Target
	}
	st.writes++ // counted first, as in CreateMany
	if err := st.insert(ctx, s, e, batch); err != nil {
		var dup *crm.DuplicateKeyError
		if errors.As(err, &dup) && dup.Key == k.Name {
			// Another transaction created a record of the key after the
			// look-up (PostgreSQL: this one waited for it to commit).
			// This transaction is spoiled; the next run finds the record
			// and updates it.
			return fmt.Errorf("%w: %w", ErrRetry, err)
		}
		return err
	}
	for _, ev := range events {
		if err := s.after(ctx, st, ev); err != nil {
			return err
		}
	}
	return nil
}

// unchangedBy reports whether writing req to existing would change
// nothing: every given field holds its value already (text exactly),
// and so do the owner and, in import mode, the state and status reason.
// A request it cannot judge (an unknown or computed field, a bad value)
// counts as a change, for the update to report.
func unchangedBy(e *crm.Entity, existing crm.Record, req crm.Record, importing bool) bool {
	for name, v := range req.Fields {
		f, ok := e.Field(name)
		if !ok || f.System || f.Compute != nil {
			return false
		}
		if s, isText := v.(string); v == nil || isText && s == "" {
			if existing.Fields[name] != nil {
				return false
			}
			continue
		}
		cv, reason := f.Coerce(v)
		if reason != "" || !crm.SameValue(cv, existing.Fields[name]) {
			return false
		}
	}
	if !req.Owner.IsZero() && req.Owner != existing.Owner {
		return false
	}
	if req.State == 0 && req.Status == 0 {
		return true
	}
	if !importing {
		return req.State == existing.State && (req.Status == 0 || req.Status == existing.Status)
	}
	state, status, ok := importState(e, req, &crm.ValidationError{})
	return ok && state == existing.State && status == existing.Status
}

// holdsKey reports whether rec holds vals, the canonical values of key k,
// as the stores compare them (text folded).
func holdsKey(e *crm.Entity, k *crm.Key, rec *crm.Record, vals []any) bool {
	for i, name := range k.Fields {
		v := rec.Fields[name]
		if a, ok := v.(string); ok {
			b, _ := vals[i].(string)
			if driver.FoldText(a) != driver.FoldText(b) {
				return false
			}
		} else if !crm.SameValue(v, vals[i]) {
			return false
		}
	}
	return true
}

// GetByKey returns the record of entity whose alternate key named key
// holds values, one per field of the key in its order, in any form a
// write accepts (text matched case-insensitively), or an error matching
// crm.ErrNotFound. Every value must be given: a nil fails with a
// *crm.ValidationError naming its field, since a record with a null key
// part is outside the key.
func (s *Store) GetByKey(ctx context.Context, entity, key string, values ...any) (crm.Record, error) {
	rec, err := s.getByKey(ctx, entity, key, values)
	if err != nil {
		return crm.Record{}, fmt.Errorf("get %s by key %q: %w", entity, key, err)
	}
	return rec, nil
}

func (s *Store) getByKey(ctx context.Context, entity, key string, values []any) (crm.Record, error) {
	e, k, err := s.key(entity, key)
	if err != nil {
		return crm.Record{}, err
	}
	vals, err := e.KeyValues(k, values)
	if err != nil {
		return crm.Record{}, err
	}
	rs, err := s.scope(ctx)
	if err != nil {
		return crm.Record{}, err
	}
	return s.findByKey(ctx, rs.r, e, k, vals, s.now(ctx, rs.sc()))
}

// key returns an entity and its key called name.
func (s *Store) key(entity, name string) (*crm.Entity, *crm.Key, error) {
	e, err := s.entity(entity)
	if err != nil {
		return nil, nil, err
	}
	k, ok := e.Key(name)
	if !ok {
		return nil, nil, fmt.Errorf("%s has no key %q: %w", entity, name, crm.ErrNotFound)
	}
	return e, k, nil
}

// findByKey reads the record of e whose key k holds vals (canonical
// values) through r: one query of equality conditions, which SQL stores
// answer from the key's unique index.
func (s *Store) findByKey(ctx context.Context, r driver.Reader, e *crm.Entity, k *crm.Key, vals []any, now time.Time) (crm.Record, error) {
	conds := make([]crm.Filter, len(k.Fields))
	for i, f := range k.Fields {
		conds[i] = crm.Eq(f, vals[i])
	}
	where := crm.Filter(crm.And(conds...))
	if len(conds) == 1 {
		where = conds[0]
	}
	p, err := driver.PlanQuery(s.reg, crm.Query{Entity: e.Name, Where: where, Limit: 1}, now, nil, driver.Principal{})
	if err != nil {
		return crm.Record{}, err
	}
	for rec, err := range r.Select(ctx, p) {
		return rec, err
	}
	return crm.Record{}, fmt.Errorf("%s with key %q %v: %w", e.Name, k.Name, vals, crm.ErrNotFound)
}

// importChunk imports by key a run of the records of recs from start: up
// to keyChunk records of one entity whose key values differ. One query
// looks their keys up; the new ones are created in one Insert, then the
// matched ones updated one by one (after the creates, which they may
// point at). It returns how many records it took. A key value that comes
// again ends the run: the next one looks it up once the record of its
// first appearance is written.
func (s *Store) importChunk(ctx context.Context, st *txState, cl call, recs []crm.Record, start int, keyName string, out []Imported) (int, error) {
	e, k, err := s.key(recs[start].Entity, keyName)
	if err != nil {
		return 0, recordErr(len(recs), start, err)
	}
	// A look-up holds a condition per key field and record: within
	// crm.MaxConditions.
	size := min(keyChunk, crm.MaxConditions/len(k.Fields))
	var (
		vals [][]any
		keys []string
		seen = map[string]bool{}
	)
	for i := start; i < len(recs) && len(vals) < size && recs[i].Entity == e.Name; i++ {
		v, err := recordKey(e, k, recs[i])
		if err != nil {
			return 0, recordErr(len(recs), i, err)
		}
		ks := keyString(v)
		if seen[ks] {
			break
		}
		seen[ks] = true
		vals, keys = append(vals, v), append(keys, ks)
	}
	found, err := s.findByKeys(ctx, st, e, k, vals)
	if err != nil {
		return 0, err
	}
	c := &creation{store: s, st: st}
	var (
		creates []*Event
		at      []int
	)
	for n := range vals {
		i := start + n
		if _, ok := found[keys[n]]; ok {
			continue
		}
		ev, err := s.prepareCreate(ctx, c, cl, recs[i])
		if err != nil {
			return 0, recordErr(len(recs), i, err)
		}
		creates, at = append(creates, ev), append(at, i)
	}
	if err := s.insertCreated(ctx, st, e, k, creates); err != nil {
		return 0, err
	}
	for n, ev := range creates {
		out[at[n]] = Imported{Record: *ev.Target, Created: true}
	}
	for n := range vals {
		i := start + n
		existing, ok := found[keys[n]]
		if !ok {
			continue
		}
		r, err := s.upsertUpdate(ctx, st, cl, e, k, vals[n], existing, recs[i])
		if err != nil {
			return 0, recordErr(len(recs), i, err)
		}
		out[i] = Imported{Record: r}
	}
	return len(vals), nil
}

// keyChunk is how many records of an import by key one query looks up.
const keyChunk = 256

// findByKeys reads the records of e holding the values of key k in vals,
// by their keyString, in one query.
func (s *Store) findByKeys(ctx context.Context, st *txState, e *crm.Entity, k *crm.Key, vals [][]any) (map[string]crm.Record, error) {
	var where crm.Filter
	if len(k.Fields) == 1 {
		// One list, which every store binds as one value: planning and
		// compiling 256 equalities costs more than the lookup.
		in := make([]any, len(vals))
		for i, v := range vals {
			in[i] = v[0]
		}
		where = crm.In(k.Fields[0], in...)
	} else {
		either := make([]crm.Filter, len(vals))
		for i, v := range vals {
			conds := make([]crm.Filter, len(k.Fields))
			for j, f := range k.Fields {
				conds[j] = crm.Eq(f, v[j])
			}
			either[i] = crm.And(conds...)
		}
		where = crm.Or(either...)
	}
	p, err := driver.PlanQuery(s.reg, crm.Query{Entity: e.Name, Where: where}, st.now, nil, driver.Principal{})
	if err != nil {
		return nil, err
	}
	found := make(map[string]crm.Record, len(vals))
	for rec, err := range st.tx.Select(ctx, p) {
		if err != nil {
			return nil, err
		}
		v := make([]any, len(k.Fields))
		for j, f := range k.Fields {
			v[j] = rec.Fields[f]
		}
		found[keyString(v)] = rec
	}
	return found, nil
}

// keyString encodes canonical key values as every store compares them
// (driver.KeyString); the values come from records that hold the key.
func keyString(vals []any) string {
	ks, _ := driver.KeyString(vals)
	return ks
}
