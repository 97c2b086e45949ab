package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// write runs one write operation in the transaction of ctx, or in a new
// one. Like any nested InTx, an operation that fails after it has written
// poisons a transaction it joined, so that half of it is never committed.
func (s *Store) write(ctx context.Context, fn func(ctx context.Context, st *txState, c call) error) error {
	if err := ctx.Err(); err != nil {
		return err // a memory store would not notice; an SQL one would
	}
	if _, ok := crm.CallerFrom(ctx); !ok {
		return crm.ErrNoCaller // crmkit never guesses who acts
	}
	c := callOf(ctx)
	c.depth++
	if c.depth > MaxDepth {
		return fmt.Errorf("%w: depth %d is over %d", ErrTooDeep, c.depth, MaxDepth)
	}
	return s.InTx(ctx, func(ctx context.Context) error {
		return fn(ctx, s.txFrom(ctx), c)
	})
}

// Create validates and stores a new record of rec.Entity and returns it as
// stored. rec.Fields holds the field values; rec.ID may be set (else a new
// UUIDv7 is used), rec.Owner may name a user or team (else the caller owns
// it) and rec.Status may name a status reason of the lifecycle's initial
// state. Every other header field is the store's: created and modified by
// are the caller of ctx's crm.Scope, the owning business unit its
// BusinessUnit.
//
// Errors: crm.ErrNoCaller (matching crm.ErrPermissionDenied) when ctx names
// no caller, as for every write; crm.ErrValidation (a *crm.ValidationError naming every bad field,
// including lookups that point at no record), crm.ErrDuplicate for an ID in
// use or an alternate key's value held by another record (a
// *crm.DuplicateKeyError), crm.ErrNotFound for an unknown entity, and any
// hook's error.
func (s *Store) Create(ctx context.Context, rec crm.Record) (crm.Record, error) {
	if out, done, err := s.createAlone(ctx, rec); done || err != nil {
		return out, err
	}
	out, err := s.CreateMany(ctx, []crm.Record{rec})
	if err != nil {
		return crm.Record{}, err
	}
	return out[0], nil
}

// CreateMany creates records in one transaction, writing each run of
// records of one entity in as few round trips as the adapter can: the path
// for imports. A record may point at one created before it in the same
// call. If any record fails, none is created and the error says which.
func (s *Store) CreateMany(ctx context.Context, recs []crm.Record) ([]crm.Record, error) {
	return s.createMany(ctx, "create", recs)
}

// createMany is CreateMany, and Import without a key; verb names the
// operation in errors.
func (s *Store) createMany(ctx context.Context, verb string, recs []crm.Record) ([]crm.Record, error) {
	copied := false
	for i := range recs {
		rec, ran, err := s.preValidate(ctx, OpCreate, recs[i], "")
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", verb, entityNames(recs), recordErr(len(recs), i, err))
		}
		if ran {
			if !copied {
				recs, copied = slices.Clone(recs), true // the caller's slice is the caller's
			}
			recs[i] = rec
		}
	}
	out := make([]crm.Record, len(recs))
	err := s.write(ctx, func(ctx context.Context, st *txState, cl call) error {
		return s.createIn(ctx, st, cl, recs, out, 0, len(recs))
	})
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", verb, entityNames(recs), err)
	}
	return out, nil
}

// createIn creates recs in st and sets out[i] to recs[i] as stored (out
// may be nil). Errors name a record by its position in the call: first
// plus its index in recs, of n records in all.
func (s *Store) createIn(ctx context.Context, st *txState, cl call, recs, out []crm.Record, first, n int) error {
	// The records are prepared in place: in out, when the caller wants
	// them back. The adapter copies what it stores.
	if out == nil {
		out = make([]crm.Record, len(recs))
	}
	c := &creation{store: s, st: st}
	c.pending.expect(len(recs))
	events := make([]Event, len(recs))
	streamed, err := c.stream(ctx, cl, recs, events, out, first, n)
	if err != nil {
		return err
	}
	if !streamed {
		if err := c.prepareAll(ctx, cl, recs, events, out, first, n); err != nil {
			return err
		}
	}
	for i := range events {
		ev := &events[i]
		if err := s.after(ctx, st, ev); err != nil {
			return err
		}
		out[i] = *ev.Target // the adapter copied what it stored
	}
	return nil
}

// prepareAll prepares every record of recs, checks the entities' rules on
// them and inserts them, a run of records of one entity at a time.
func (c *creation) prepareAll(ctx context.Context, cl call, recs []crm.Record, events []Event, targets []crm.Record, first, n int) error {
	for i, rec := range recs {
		if err := c.prepare(ctx, rec, cl, &events[i], &targets[i]); err != nil {
			return recordErr(n, first+i, err)
		}
	}
	// The entities' rules see every record of the call, so a record
	// may satisfy a rule through one created after it in recs.
	for i := range events {
		if err := c.checkRules(ctx, &events[i]); err != nil {
			return recordErr(n, first+i, err)
		}
	}
	for start := 0; start < len(events); {
		end := start + 1
		for end < len(events) && events[end].Entity == events[start].Entity {
			end++
		}
		batch := targets[start:end]
		for i := range events[start:end] {
			batch[i] = *events[start+i].Target // a hook may have replaced it
		}
		c.st.writes++ // counted first: a failed Insert may have written part
		if err := c.st.insert(ctx, c.store, events[start].Entity, batch); err != nil {
			return err
		}
		start = end
	}
	return nil
}

// stream creates recs, when they are all of one entity, by handing them
// to the adapter as it writes them (driver.StreamInserter): each record
// is prepared while the database stores the ones before it, where
// prepareAll prepares every record before the first is written. It runs
// when preparing a record needs nothing of the transaction, which the
// stream holds (streams), and shares the records the lookups point at
// before it starts (shareAhead); a record is prepared as prepareAll
// prepares it, so the stream changes what a bulk create costs, never
// what it stores or how it fails. It reports false, having written
// nothing, when it does not run.
func (c *creation) stream(ctx context.Context, cl call, recs []crm.Record, events []Event, targets []crm.Record, first, n int) (bool, error) {
	si, ok := c.st.tx.(driver.StreamInserter)
	if !ok || len(recs) < 2 {
		return false, nil
	}
	e, err := c.store.entity(recs[0].Entity)
	if err != nil || !c.store.streams(e) {
		return false, nil
	}
	for _, r := range recs[1:] {
		if r.Entity != e.Name {
			return false, nil
		}
	}
	if err := c.shareAhead(ctx, e, recs, first, n); err != nil {
		return false, err
	}
	c.streaming = true
	defer func() { c.streaming = false }()
	c.st.writes++ // counted first: a failed insert may have written part
	// next may run on a goroutine of the adapter's: a panic there (in a
	// computed field's function) ends the stream and goes on up from
	// here, on the caller's goroutine, as it would from prepareAll.
	var panicked any
	done, err := si.InsertStream(ctx, e, len(recs), func(i int) (rec *crm.Record, err error) {
		defer func() {
			if p := recover(); p != nil {
				panicked, err = p, errPanicked
			}
		}()
		if err := c.prepare(ctx, recs[i], cl, &events[i], &targets[i]); err != nil {
			return nil, recordErr(n, first+i, err)
		}
		return events[i].Target, nil
	})
	if panicked != nil {
		panic(panicked)
	}
	if !done && err == nil {
		c.st.writes-- // nothing was written
	}
	return done, err
}

// errPanicked ends a stream whose record panicked while it was prepared.
var errPanicked = errors.New("storage: preparing a record panicked")

// streams reports whether a record of e can be prepared while the
// records before it stream to the database, which holds the
// transaction: when it needs no statement beyond the lookup checks,
// which shareAhead makes first. That is a plain create (plainCreate)
// with no PreOperation hook (which may read or write) and no
// hierarchical lookup (whose check walks the hierarchy) or computed one
// (known only once the record is).
func (s *Store) streams(e *crm.Entity) bool {
	if !plainCreate(e) || len(s.hooksFor(e.Name, OpCreate, PreOperation)) > 0 {
		return false
	}
	for _, f := range e.Lookups() {
		if f.Hierarchical || f.Compute != nil {
			return false
		}
	}
	return true
}

// shareAhead shares the records the lookups of recs point at, as
// checkRefs shares them one record at a time, before a stream holds the
// transaction, and notes those that do not exist (creation.missing). Each
// lookup is read as CheckCreate makes it (Field.Canonical); a bad one is
// left to it.
func (c *creation) shareAhead(ctx context.Context, e *crm.Entity, recs []crm.Record, first, n int) error {
	for i := range recs {
		for _, f := range e.Lookups() {
			v := recs[i].Fields[f.Name]
			if v == nil {
				continue
			}
			cv, reason := f.Canonical(v)
			if reason != "" {
				continue
			}
			if _, err := c.checkRef(ctx, cv.(crm.Ref)); err != nil {
				return recordErr(n, first+i, err)
			}
		}
	}
	return nil
}

// recordErr says which of n records err is about, when there are several.
func recordErr(n, i int, err error) error {
	if n == 1 {
		return err
	}
	return fmt.Errorf("record %d: %w", i, err)
}

func entityNames(recs []crm.Record) string {
	var names []string
	for _, r := range recs {
		if !slices.Contains(names, r.Entity) {
			names = append(names, r.Entity)
		}
	}
	if len(recs) > 1 {
		return fmt.Sprintf("%d records of %v", len(recs), names)
	}
	if len(names) == 1 {
		return names[0]
	}
	return "no records"
}

// creation prepares the records of one CreateMany call.
type creation struct {
	store   *Store
	st      *txState
	pending pendingRecords // records of this call prepared so far
	// rates are the exchange rates of the currency records of this call.
	rates map[crm.Currency]decimal.Decimal
	// streaming is set while the records stream to the database (see
	// stream), which then holds the transaction.
	streaming bool
	// missing holds the records lookups point at that were found not to
	// exist, when the call began or since: a record of the call may be
	// one of them once it is prepared (pending), no other.
	missing map[crm.Ref]bool
}

// checkRules runs the rules of ev's entity on the record ev writes, after
// the PreOperation hooks, so that they hold of what is stored.
func (c *creation) checkRules(ctx context.Context, ev *Event) error {
	if len(ev.Entity.Rules) == 0 {
		return nil
	}
	// A reader of its own, so that c stays off the heap when no rule runs.
	records := &ruleRecords{store: c.store, st: c.st, pending: &c.pending}
	w := crm.Write{Entity: ev.Entity, Target: ev.Target, Before: ev.Before, Records: records, Import: ev.Import}
	for x := ev.exec; x != nil; x = x.Parent {
		w.Operations = append(w.Operations, x.Message)
	}
	return ev.Entity.CheckRules(ctx, w)
}

// ruleRecords gives rules the records they read.
type ruleRecords struct {
	store   *Store
	st      *txState
	pending *pendingRecords
}

// Lock returns a record the call creates as it will be stored, and holds
// any other (see hold).
func (r *ruleRecords) Lock(ctx context.Context, entity string, id crm.ID) (crm.Record, error) {
	if rec := r.pending.get(crm.Ref{Entity: entity, ID: id}); rec != nil {
		return rec.Clone(), nil
	}
	e, err := r.store.entity(entity)
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return crm.Record{}, fmt.Errorf("read %s %s: %w", entity, id, err)
	}
	rec, err := r.st.hold(ctx, e, id)
	if err != nil {
		return crm.Record{}, fmt.Errorf("read %s %s: %w", entity, id, err)
	}
	return rec, nil
}

// hold reads a record a check depends on and keeps it as read until the
// transaction ends. It shares the record rather than locking it: every
// write of the path locks the record it changes first, which a shared
// record makes wait (Tx.Share), so nobody changes it; and checks of other
// transactions may share it at the same time, where a lock would make
// writers that point at the same parent wait for one another, or deadlock
// as each tries to turn its share into a lock.
func (st *txState) hold(ctx context.Context, e *crm.Entity, id crm.ID) (crm.Record, error) {
	ref := crm.Ref{Entity: e.Name, ID: id}
	if !st.shared[ref] {
		found, err := st.tx.Share(ctx, e, id)
		if err != nil {
			return crm.Record{}, err
		}
		if !found {
			return crm.Record{}, fmt.Errorf("%s %s: %w", e.Name, id, crm.ErrNotFound)
		}
		if st.shared == nil {
			st.shared = map[crm.Ref]bool{}
		}
		st.shared[ref] = true
	}
	return st.tx.Get(ctx, e, id)
}

// prepare makes rec the record ev creates, in target: checked, computed,
// its lookups checked, through the PreOperation hooks, priced.
func (c *creation) prepare(ctx context.Context, rec crm.Record, cl call, ev *Event, target *crm.Record) error {
	s, st := c.store, c.st
	e, err := s.entity(rec.Entity)
	if err == nil {
		err = writable(e)
	}
	if err != nil {
		return err
	}
	if *target, err = s.newRecord(ctx, e, rec, st.now, cl); err != nil {
		return err
	}
	if c.pending.get(target.Ref()) != nil {
		return fmt.Errorf("%s %s appears twice: %w", e.Name, target.ID, crm.ErrDuplicate)
	}
	if err := c.checkRefs(ctx, e, target, nil); err != nil {
		return err
	}
	*ev = Event{Op: OpCreate, Entity: e, Target: target, Depth: cl.depth, Message: cl.exec.name(), Import: cl.importing, exec: cl.exec}
	if !c.streaming { // a stream runs no hook here (streams): not even one added since it began
		if err := s.before(ctx, st, ev, func() error { return c.checkRefs(ctx, e, ev.Target, nil) }); err != nil {
			return err
		}
	}
	if err := checkAssociation(e, ev.Target); err != nil {
		return err
	}
	if err := c.price(ctx, e, ev.Target, nil); err != nil {
		return err
	}
	c.pending.put(ev.Target.Ref(), ev.Target)
	return nil
}

// newRecord returns rec as a new record of e, written at now by the
// caller of ctx: its fields checked and computed, its header the store's
// (an ID unless rec names one, version 1, owner, stamps, the initial
// state). Every bad field or header value is in one *crm.ValidationError.
func (s *Store) newRecord(ctx context.Context, e *crm.Entity, rec crm.Record, now time.Time, cl call) (crm.Record, error) {
	fields, err := e.CheckCreate(rec.Fields)
	if err == nil {
		err = e.Compute(fields)
	}
	// On the stack unless it is returned: most creates are valid.
	verr := &crm.ValidationError{Entity: e.Name}
	if err != nil {
		*verr = *asValidation(err)
	}
	sc, _ := crm.ScopeFrom(ctx) // s.write refused a scope naming no caller
	caller := sc.Caller
	h := crm.Header{ID: rec.ID, Version: 1, Owner: rec.Owner,
		CreatedOn: now, CreatedBy: caller, ModifiedOn: now, ModifiedBy: caller,
		BusinessUnit: sc.BusinessUnit}
	if m, ok := e.ManyToMany(); ok && err == nil {
		h.ID = associationID(m, fields, rec.ID, verr)
	}
	if h.ID == crm.NilID {
		h.ID = crm.NewID()
	}
	if h.Owner.IsZero() {
		h.Owner = crm.Ref{Entity: crm.UserEntity, ID: caller}
	} else if h.Owner.Entity != crm.UserEntity && h.Owner.Entity != crm.TeamEntity {
		verr.Fields = append(verr.Fields, crm.FieldError{Field: crm.FieldOwner, Reason: "must be a systemuser or a team"})
	}
	if cl.importing {
		importHeader(e, now, rec, &h, verr)
	} else if lc := e.Lifecycle; lc != nil {
		initial, _ := lc.State(lc.Initial)
		h.State, h.Status = initial.Code, initial.DefaultStatus
		if rec.State != 0 && rec.State != lc.Initial {
			verr.Fields = append(verr.Fields, crm.FieldError{Field: crm.FieldState,
				Reason: fmt.Sprintf("must be the initial state %q: state changes only through lifecycle events", initial.Name)})
		}
		if rec.Status != 0 {
			if !lc.Belongs(rec.Status, lc.Initial) {
				verr.Fields = append(verr.Fields, crm.FieldError{Field: crm.FieldStatus,
					Reason: fmt.Sprintf("%d is not a status reason of state %q", rec.Status, initial.Name)})
			}
			h.Status = rec.Status
		}
	} else if rec.State != 0 || rec.Status != 0 {
		verr.Fields = append(verr.Fields, crm.FieldError{Field: crm.FieldState, Reason: "is not kept: the entity has no lifecycle"})
	}
	if len(verr.Fields) > 0 {
		out := *verr
		return crm.Record{}, &out
	}
	return crm.Record{Entity: e.Name, Header: h, Fields: fields}, nil
}

// checkRefs checks that every lookup of target that differs from before
// points at an existing record of the right entity, and locks it so that
// it stays until the transaction ends.
func (c *creation) checkRefs(ctx context.Context, e *crm.Entity, target, before *crm.Record) error {
	var bad []crm.FieldError // allocated only when something is wrong
	for _, f := range e.Lookups() {
		ref, _ := target.Fields[f.Name].(crm.Ref)
		if ref.IsZero() {
			continue
		}
		if before != nil && before.Fields[f.Name] == target.Fields[f.Name] {
			continue
		}
		reason, err := c.checkRef(ctx, ref)
		if err != nil {
			return err
		}
		if reason != "" {
			bad = append(bad, crm.FieldError{Field: f.Name, Reason: reason})
		}
	}
	for _, f := range e.Lookups() {
		ref, _ := target.Fields[f.Name].(crm.Ref)
		if f.Hierarchical && !ref.IsZero() && !slices.ContainsFunc(bad, func(fe crm.FieldError) bool { return fe.Field == f.Name }) {
			if before != nil && before.Fields[f.Name] == target.Fields[f.Name] {
				continue
			}
			cycle, err := c.makesCycle(ctx, e, f.Name, target.ID, ref.ID)
			if err != nil {
				return err
			}
			if cycle {
				bad = append(bad, crm.FieldError{Field: f.Name, Reason: "would make the record its own ancestor"})
			}
		}
	}
	if len(bad) > 0 {
		return &crm.ValidationError{Entity: e.Name, Fields: bad}
	}
	return nil
}

// checkRef checks that ref, a lookup's value, may be pointed at: a record
// of this call, one shared already, a user or team the registry does not
// declare, or one that exists, which it shares until the transaction
// ends. Else it says why not.
func (c *creation) checkRef(ctx context.Context, ref crm.Ref) (string, error) {
	if c.pending.get(ref) != nil || c.st.shared[ref] {
		return "", nil
	}
	te, err := c.store.entity(ref.Entity)
	if err != nil && crm.IsPrincipal(ref.Entity) {
		// A user or team the registry does not declare (an activity
		// party that is a user) is taken unchecked, as an owner is; a
		// host that registers the entity gets its records checked like
		// any other.
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if c.st.deleting[ref] {
		return fmt.Sprintf("points at %s, which is being deleted", ref), nil
	}
	if !c.missing[ref] {
		found, err := c.st.tx.Share(ctx, te, ref.ID)
		if err != nil {
			return "", err
		}
		if found {
			if c.st.shared == nil {
				c.st.shared = map[crm.Ref]bool{}
			}
			c.st.shared[ref] = true
			return "", nil
		}
		if c.missing == nil {
			c.missing = map[crm.Ref]bool{}
		}
		c.missing[ref] = true
	}
	return fmt.Sprintf("points at %s, which does not exist", ref), nil
}

// maxHierarchy bounds the walk up a hierarchy, against a cycle that was
// stored before the rule existed.
const maxHierarchy = 10_000

// makesCycle reports whether pointing id's hierarchical lookup field at
// parent would make id its own ancestor. Each ancestor on the way up is
// held (shared) until the transaction ends, so that two writers cannot
// close a loop between them: the second waits for the first and then sees
// its write.
func (c *creation) makesCycle(ctx context.Context, e *crm.Entity, field string, id, parent crm.ID) (bool, error) {
	for range maxHierarchy {
		if parent == id {
			return true, nil
		}
		rec, err := c.st.hold(ctx, e, parent)
		if errors.Is(err, crm.ErrNotFound) {
			return false, nil // a record created in this same call
		}
		if err != nil {
			return false, err
		}
		next, _ := rec.Fields[field].(crm.Ref)
		if next.IsZero() {
			return false, nil
		}
		parent = next.ID
	}
	return true, nil
}

func asValidation(err error) *crm.ValidationError {
	var verr *crm.ValidationError
	if errors.As(err, &verr) {
		return verr
	}
	return &crm.ValidationError{}
}

// before runs the PreOperation hooks of ev and, if there were any, checks
// the target they leave: fields valid, immutable fields as they were, the
// header untouched, lookups pointing at records.
func (s *Store) before(ctx context.Context, st *txState, ev *Event, refs func() error) error {
	if len(s.hooksFor(ev.Entity.Name, ev.Op, PreOperation)) == 0 {
		return nil
	}
	header := ev.Target.Header
	if err := s.runHooks(ctx, st, PreOperation, ev); err != nil {
		return err
	}
	ev.Target.Header = header
	ev.Target.Entity = ev.Entity.Name
	input := ev.Target.Fields.Clone()
	for _, f := range ev.Entity.Fields {
		if f.Compute != nil {
			delete(input, f.Name)
		}
	}
	fields, err := ev.Entity.CheckCreate(input)
	if err == nil {
		err = ev.Entity.Compute(fields)
	}
	if err != nil {
		return fmt.Errorf("after pre-operation hooks: %w", err)
	}
	if ev.Before != nil {
		for _, f := range ev.Entity.Fields {
			if f.Immutable && !crm.SameValue(ev.Before.Fields[f.Name], fields[f.Name]) {
				return fmt.Errorf("after pre-operation hooks: %w", crm.Invalid(ev.Entity.Name, f.Name, "cannot be changed after the record is created"))
			}
		}
	}
	ev.Target.Fields = fields
	return refs()
}

// after runs the PostOperation hooks of ev and queues its AfterCommit ones.
func (s *Store) after(ctx context.Context, st *txState, ev *Event) error {
	if ev.exec != nil {
		ev.exec.record(ev)
	}
	if err := s.runHooks(ctx, st, PostOperation, ev); err != nil {
		return err
	}
	return s.runHooks(ctx, st, AfterCommit, ev)
}

// AnyVersion, as the version of a write, skips the optimistic concurrency
// check: the write applies to the record whatever its stored version.
//
// Every write that changes an existing record takes the version the caller
// read it at (rec.Version for Update, the version argument of SetState,
// Assign and Delete, StateChange.Version): if the record changed since, the
// write fails with crm.ErrConflict and changes nothing. AnyVersion opts out,
// which suits a write of a few named fields (Update with some fields, a
// state change, an assignment) whose outcome does not depend on the rest of
// the record. A whole-record write (Table.Update, the domain services'
// Update) refuses AnyVersion with crm.ErrValidation: it writes every field,
// so skipping the check would silently undo other writers' changes.
const AnyVersion int64 = 0

// Update changes the fields in rec.Fields of the record rec.Entity/rec.ID
// (a nil value clears a field) and returns the record as stored.
// rec.Version must be the stored version, or the update fails with
// crm.ErrConflict and changes nothing; AnyVersion skips the check. An update never changes
// the state, status reason or owner: SetState and Assign do. A record in a
// read-only state refuses updates with crm.ErrInvalidTransition.
func (s *Store) Update(ctx context.Context, rec crm.Record) (crm.Record, error) {
	rec, _, err := s.preValidate(ctx, OpUpdate, rec, "")
	if err != nil {
		return crm.Record{}, fmt.Errorf("update %s %s: %w", rec.Entity, rec.ID, err)
	}
	out, done, err := s.patchAlone(ctx, rec)
	if done || err != nil {
		return out, err
	}
	err = s.write(ctx, func(ctx context.Context, st *txState, cl call) error {
		var (
			done bool
			err  error
		)
		if out, done, err = s.patch(ctx, st, cl, rec); done || err != nil {
			return err
		}
		out, err = s.change(ctx, st, cl, OpUpdate, rec.Entity, rec.ID, rec.Version, "",
			func(e *crm.Entity, before, target *crm.Record) error {
				verr := &crm.ValidationError{Entity: e.Name}
				if rec.Status != 0 && (rec.Status != before.Status || rec.State != before.State) {
					verr.Fields = append(verr.Fields, crm.FieldError{Field: crm.FieldStatus, Reason: "changes only through a lifecycle event (SetState)"})
				} else if rec.State != 0 && rec.State != before.State {
					verr.Fields = append(verr.Fields, crm.FieldError{Field: crm.FieldState, Reason: "changes only through a lifecycle event (SetState)"})
				}
				if !rec.Owner.IsZero() && rec.Owner != before.Owner {
					verr.Fields = append(verr.Fields, crm.FieldError{Field: crm.FieldOwner, Reason: "changes only through Assign"})
				}
				changes, err := e.CheckUpdate(withoutUnchangedImmutables(e, before, rec.Fields))
				if err != nil {
					verr.Fields = append(verr.Fields, asValidation(err).Fields...)
				}
				if len(verr.Fields) > 0 {
					return verr
				}
				if lc := e.Lifecycle; lc != nil {
					if state, _ := lc.State(before.State); state.ReadOnly {
						return &crm.TransitionError{Entity: e.Name, State: state.Name, Event: "update"}
					}
				}
				applyChanges(target, changes)
				return nil
			})
		return err
	})
	if err != nil {
		return crm.Record{}, fmt.Errorf("update %s %s: %w", rec.Entity, rec.ID, err)
	}
	return out, nil
}

// withoutUnchangedImmutables drops the immutable fields of in that repeat
// their stored value. Sending one back as it is changes nothing, and a
// Table writes every field its type carries, so refusing them would make
// every typed record with an immutable field impossible to update.
func withoutUnchangedImmutables(e *crm.Entity, before *crm.Record, in crm.Fields) crm.Fields {
	out, cloned := in, false
	for i := range e.Fields {
		f := &e.Fields[i]
		v, ok := in[f.Name]
		if !f.Immutable || !ok {
			continue
		}
		stored := before.Fields[f.Name]
		same := v == nil && stored == nil
		if v != nil && stored != nil {
			cv, reason := f.Coerce(v)
			same = reason == "" && crm.SameValue(cv, stored)
		}
		if same {
			if !cloned {
				out, cloned = in.Clone(), true
			}
			delete(out, f.Name)
		}
	}
	return out
}

// SetState fires a lifecycle event on a record: the record moves to the
// state the event leads to, with status reason status (0: that state's
// default). An event the lifecycle does not allow from the record's state
// fails with a *crm.TransitionError; a status reason of another state with
// a *crm.ValidationError. version works as in Update. It is ChangeState
// without field changes.
func (s *Store) SetState(ctx context.Context, ref crm.Ref, version int64, event string, status crm.StatusCode) (crm.Record, error) {
	return s.ChangeState(ctx, ref, StateChange{Event: event, Status: status, Version: version})
}

// StateChange is a lifecycle event fired on a record, with the field
// changes that belong to it: winning an opportunity sets its actual
// revenue and close date as it closes it.
type StateChange struct {
	Event  string         // the lifecycle event
	Status crm.StatusCode // the status reason of the new state; 0: its default
	// Version must be the stored version, as in Update; AnyVersion skips
	// the check.
	Version int64
	// Fields are changes written with the state change, as Update takes
	// them (a nil value clears a field). They are allowed whatever the
	// state: a state change is how a record enters and leaves a
	// read-only state.
	Fields crm.Fields
}

// ChangeState fires ch.Event on a record and writes ch.Fields with it, in
// one write: one version increment, one OpSetState event for the hooks
// (Event.Target holds both the new state and the changed fields), and the
// entity's rules run on the result. Hooks registered for OpUpdate do not
// run for it. After it, a record in a read-only state refuses plain
// updates as before.
//
// Errors: those of SetState, and those of Update for the fields.
func (s *Store) ChangeState(ctx context.Context, ref crm.Ref, ch StateChange) (crm.Record, error) {
	req := crm.Record{Entity: ref.Entity, Header: crm.Header{ID: ref.ID, Version: ch.Version}, Fields: ch.Fields}
	if req, ran, err := s.preValidate(ctx, OpSetState, req, ch.Event); err != nil {
		return crm.Record{}, fmt.Errorf("%s %s %s: %w", ch.Event, ref.Entity, ref.ID, err)
	} else if ran {
		ch.Fields = req.Fields
	}
	var out crm.Record
	err := s.write(ctx, func(ctx context.Context, st *txState, cl call) error {
		var err error
		out, err = s.change(ctx, st, cl, OpSetState, ref.Entity, ref.ID, ch.Version, ch.Event,
			func(e *crm.Entity, before, target *crm.Record) error {
				lc := e.Lifecycle
				if lc == nil {
					return crm.Invalid(e.Name, crm.FieldState, "is not kept: the entity has no lifecycle")
				}
				var changes crm.Fields
				if len(ch.Fields) > 0 {
					var err error
					if changes, err = e.CheckUpdate(withoutUnchangedImmutables(e, before, ch.Fields)); err != nil {
						return err
					}
				}
				to, err := lc.Fire(e.Name, before.State, ch.Event)
				if err != nil {
					return err
				}
				if t, _ := lc.Transition(ch.Event); t.Operation != "" && !cl.exec.within(t.Operation) {
					return &crm.TransitionError{Entity: e.Name, State: lc.StateName(before.State), Event: ch.Event, Operation: t.Operation}
				}
				state, _ := lc.State(to)
				reason := ch.Status
				if reason == 0 {
					reason = state.DefaultStatus
				} else if !lc.Belongs(reason, to) {
					return crm.Invalid(e.Name, crm.FieldStatus, fmt.Sprintf("%d is not a status reason of state %q", reason, state.Name))
				}
				target.State, target.Status = to, reason
				applyChanges(target, changes)
				stamp(e, ch.Event, changes, target, st.now)
				return nil
			})
		return err
	})
	if err != nil {
		return crm.Record{}, fmt.Errorf("%s %s %s: %w", ch.Event, ref.Entity, ref.ID, err)
	}
	return out, nil
}

// applyChanges sets checked field changes on target; nil clears a field.
func applyChanges(target *crm.Record, changes crm.Fields) {
	for k, v := range changes {
		if v == nil {
			delete(target.Fields, k)
		} else {
			target.Fields[k] = v
		}
	}
}

// Assign gives a record a new owner, a user or a team. version works as in
// Update. The owning business unit stays the one the record was created
// in: Dynamics moves it to the new owner's, but crmkit keeps no users or
// teams to look that up in yet.
func (s *Store) Assign(ctx context.Context, ref crm.Ref, version int64, owner crm.Ref) (crm.Record, error) {
	req := crm.Record{Entity: ref.Entity, Header: crm.Header{ID: ref.ID, Version: version, Owner: owner}}
	if _, _, err := s.preValidate(ctx, OpAssign, req, ""); err != nil {
		return crm.Record{}, fmt.Errorf("assign %s %s: %w", ref.Entity, ref.ID, err)
	}
	var out crm.Record
	err := s.write(ctx, func(ctx context.Context, st *txState, cl call) error {
		var err error
		out, err = s.change(ctx, st, cl, OpAssign, ref.Entity, ref.ID, version, "",
			func(e *crm.Entity, before, target *crm.Record) error {
				if owner.IsZero() || (owner.Entity != crm.UserEntity && owner.Entity != crm.TeamEntity) {
					return crm.Invalid(e.Name, crm.FieldOwner, "must be a systemuser or a team")
				}
				target.Owner = owner
				return nil
			})
		return err
	})
	if err != nil {
		return crm.Record{}, fmt.Errorf("assign %s %s: %w", ref.Entity, ref.ID, err)
	}
	return out, nil
}

// change is the write path shared by every operation on an existing record:
// lock it, check the version, let mutate build the target, run the hooks,
// write and run the post-operation hooks.
func (s *Store) change(ctx context.Context, st *txState, cl call, op Op, entity string, id crm.ID, version int64, transition string,
	mutate func(e *crm.Entity, before, target *crm.Record) error) (crm.Record, error) {
	e, err := s.entity(entity)
	if err == nil {
		err = writable(e)
	}
	if err != nil {
		return crm.Record{}, err
	}
	before, err := st.tx.Lock(ctx, e, id)
	if err != nil {
		return crm.Record{}, err
	}
	if version != AnyVersion && before.Version != version {
		return crm.Record{}, fmt.Errorf("%w: version %d was asked for, the stored version is %d", crm.ErrConflict, version, before.Version)
	}
	target := before.Clone()
	if target.Fields == nil {
		target.Fields = crm.Fields{}
	}
	if err := mutate(e, &before, &target); err != nil {
		return crm.Record{}, err
	}
	if err := e.Compute(target.Fields); err != nil {
		return crm.Record{}, err
	}
	target.Version = before.Version + 1
	// A transaction's time is fixed when it begins, before it waits for
	// the record's lock: a writer that began later may have committed
	// first. modifiedon never goes back.
	target.ModifiedOn = later(st.now, before.ModifiedOn)
	target.ModifiedBy = crm.Caller(ctx)
	c := &creation{store: s, st: st}
	if err := c.checkRefs(ctx, e, &target, &before); err != nil {
		return crm.Record{}, err
	}
	ev := &Event{Op: op, Entity: e, Target: &target, Before: &before, Transition: transition, Depth: cl.depth, Message: cl.exec.name(), Import: cl.importing, exec: cl.exec}
	if err := s.before(ctx, st, ev, func() error { return c.checkRefs(ctx, e, &target, &before) }); err != nil {
		return crm.Record{}, err
	}
	if err := c.price(ctx, e, &target, &before); err != nil {
		return crm.Record{}, err
	}
	if err := c.checkRules(ctx, ev); err != nil {
		return crm.Record{}, err
	}
	st.writes++ // counted first, as in CreateMany
	if err := st.update(ctx, s, e, target, before.Version); err != nil {
		return crm.Record{}, err
	}
	if err := s.after(ctx, st, ev); err != nil {
		return crm.Record{}, err
	}
	return target, nil // the adapter copied what it stored
}

// Delete removes a record, applying each relationship's delete behaviour to
// the records that refer to it, all in one transaction: Restrict refuses
// the delete (crm.ErrRestricted) if any record refers to it, Cascade
// deletes the referring records (and so on down), RemoveLink clears their
// lookup. Every restriction the cascade would meet is checked before
// anything is written, so a caller can handle crm.ErrRestricted inside a
// transaction that goes on (deactivate what cannot be deleted, say).
// version works as in Update.
func (s *Store) Delete(ctx context.Context, ref crm.Ref, version int64) error {
	req := crm.Record{Entity: ref.Entity, Header: crm.Header{ID: ref.ID, Version: version}}
	if _, _, err := s.preValidate(ctx, OpDelete, req, ""); err != nil {
		return fmt.Errorf("delete %s %s: %w", ref.Entity, ref.ID, err)
	}
	if done, err := s.deleteAlone(ctx, ref, version); done || err != nil {
		return err
	}
	err := s.write(ctx, func(ctx context.Context, st *txState, cl call) error {
		e, err := s.entity(ref.Entity)
		if err == nil {
			err = writable(e)
		}
		if err != nil {
			return err
		}
		c := &cascade{store: s, st: st, call: cl, root: ref}
		if s.mayRestrict(e.Name) {
			if c.quiet(e) {
				// Nothing runs before the record's own probe, so the
				// dry run can wait for it: a record nothing points at
				// restricts nothing (see cascade.delete).
				c.dryFirst = true
			} else if err := c.dry(ctx, e, ref.ID); err != nil {
				return err
			}
		}
		return c.delete(ctx, e, ref.ID, version)
	})
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", ref.Entity, ref.ID, err)
	}
	return nil
}

// mayRestrict reports whether deleting a record of entity can meet a
// Restrict relationship, on it or on a record its cascades reach.
func (s *Store) mayRestrict(entity string) bool { return s.deletion(entity).may }

// deletion returns what a delete of a record of entity needs to know of
// the metadata, found once per generation of the registry.
func (s *Store) deletion(entity string) restrictEntry {
	gen := s.reg.Generation() // before the walk: a change during it shows
	if v, ok := s.restricts.Load(entity); ok && v.(restrictEntry).gen == gen {
		return v.(restrictEntry)
	}
	seen := map[string]bool{}
	var walk func(string) bool
	walk = func(name string) bool {
		if seen[name] {
			return false
		}
		seen[name] = true
		for _, rel := range s.reg.ReferencedBy(name) {
			if rel.OnDelete == crm.DeleteRestrict || rel.OnDelete == crm.DeleteCascade && walk(rel.From) {
				return true
			}
		}
		return false
	}
	rels := s.reg.ReferencedBy(entity)
	v := restrictEntry{gen: gen, may: walk(entity), rels: rels,
		dryRels: slices.DeleteFunc(slices.Clone(rels), func(rel crm.Relationship) bool { return rel.OnDelete == crm.DeleteRemoveLink })}
	s.restricts.Store(entity, v)
	return v
}

// restrictEntry is what a delete needs to know of an entity, at a
// generation of the registry: whether it may meet a Restrict, and the
// relationships that point at the entity (rels), less those that remove
// links (dryRels, what a dry run walks). The slices are shared: read
// them, never change them.
type restrictEntry struct {
	gen           uint64
	may           bool
	rels, dryRels []crm.Relationship
}

// cascade is one Delete's walk through the records it reaches. A dry run
// walks them in the same order without writing or running hooks, to find
// a restriction before anything is written.
type cascade struct {
	store  *Store
	st     *txState
	call   call
	dryRun bool
	// dryFirst is set on a quiet walk that may meet a Restrict: the dry
	// run is due before its first write, once the root's probe has
	// found a record to walk to (a record nothing points at, and that
	// has no base record, restricts nothing).
	dryFirst bool
	// gone holds the records the walk has deleted, or would have: a
	// record two cascades reach is deleted once. It is made by the
	// first record whose delete reaches others, so a delete of a
	// record nothing points at allocates none: only the root can be
	// deleted before it exists, and nothing reaches the root again.
	gone map[crm.Ref]bool
	// deletes counts the deletes the walk has written: a record whose
	// delete behaviours wrote nothing else was not changed by them.
	deletes int
	// root is the record the walk began with; the others go by cascade.
	root crm.Ref
}

// dry walks from e's record id as a dry run, to find a restriction.
func (c *cascade) dry(ctx context.Context, e *crm.Entity, id crm.ID) error {
	dry := &cascade{store: c.store, st: c.st, call: c.call, dryRun: true}
	return dry.delete(ctx, e, id, AnyVersion)
}

// leave notes that the walk has deleted ref.
func (c *cascade) leave(ref crm.Ref) {
	if c.gone != nil {
		c.gone[ref] = true
	}
}

func (c *cascade) delete(ctx context.Context, e *crm.Entity, id crm.ID, version int64) error {
	st := c.st
	ref := crm.Ref{Entity: e.Name, ID: id}
	rels := c.relationships(e.Name)
	if !c.dryRun && len(rels) == 0 && e.Base == "" && c.quiet(e) && version != AnyVersion {
		// Nothing points at the record and nobody watches it go: the
		// delete is the one version-checked write, which tells a
		// missing record from a stale version when it matches no row.
		// The record needs no lock first, as nothing is read.
		c.leave(ref)
		st.writes++ // counted first, as in CreateMany
		c.deletes++
		if err := st.tx.Delete(ctx, e, id, version); err != nil {
			if errors.Is(err, crm.ErrConflict) || errors.Is(err, crm.ErrNotFound) {
				// It wrote nothing (Tx.Delete): the transaction goes
				// on, as after a version check that failed a lock.
				st.writes--
			}
			return err
		}
		delete(st.shared, ref)
		return nil
	}
	if c.dryRun || !c.quiet(e) || len(rels) == 0 {
		var before crm.Record
		if !c.dryRun {
			var err error
			if before, err = st.tx.Lock(ctx, e, id); err != nil {
				return err
			}
			if version != AnyVersion && before.Version != version {
				return fmt.Errorf("%w: version %d was asked for, the stored version is %d", crm.ErrConflict, version, before.Version)
			}
		}
		return c.walk(ctx, e, ref, rels, before, nil)
	}
	// Nobody watches the record go: its version is all the walk reads of
	// it, and no hook runs before its probe, so the probe is asked now,
	// and a record nothing points at is gone in one more write.
	locked, err := lockVersion(ctx, st.tx, e, id)
	if err != nil {
		return err
	}
	if version != AnyVersion && locked != version {
		return fmt.Errorf("%w: version %d was asked for, the stored version is %d", crm.ErrConflict, version, locked)
	}
	var found [][]crm.ID
	if ud, ok := st.tx.(driver.UnreferencedDeleter); ok && e.Base == "" {
		// The delete and the probe in one step: a record nothing points
		// at is gone, and one something points at is walked as below.
		st.writes++ // counted first, as in CreateMany
		deleted, referrers, err := ud.DeleteUnreferenced(ctx, e, id, locked, rels)
		if err != nil {
			return err
		}
		if deleted {
			c.dryFirst = false
			c.leave(ref)
			c.deletes++
			delete(st.shared, ref)
			return nil
		}
		st.writes-- // it deleted nothing
		found = referrers
	} else if found, err = st.tx.Referrers(ctx, ref, rels); err != nil {
		return err
	}
	if e.Base != "" || slices.ContainsFunc(found, func(ids []crm.ID) bool { return len(ids) > 0 }) {
		before := crm.Record{Entity: e.Name, Header: crm.Header{ID: id, Version: locked}}
		return c.walk(ctx, e, ref, rels, before, found)
	}
	c.dryFirst = false // nothing to walk to, nothing to restrict
	c.leave(ref)
	st.writes++ // counted first, as in CreateMany
	c.deletes++
	if err := st.tx.Delete(ctx, e, id, locked); err != nil {
		return err
	}
	delete(st.shared, ref)
	return nil
}

// lockVersion locks a record of e in tx, as Tx.Lock does, and returns its
// version.
func lockVersion(ctx context.Context, tx driver.Tx, e *crm.Entity, id crm.ID) (int64, error) {
	if vl, ok := tx.(driver.VersionLocker); ok {
		return vl.LockVersion(ctx, e, id)
	}
	rec, err := tx.Lock(ctx, e, id)
	return rec.Version, err
}

// walk deletes the record ref, of e, locked as before (unless the walk
// is a dry run), after applying the delete behaviour of each of rels to
// the records that point at it: found, when the walk has asked already,
// else asked after the PreOperation hooks.
func (c *cascade) walk(ctx context.Context, e *crm.Entity, ref crm.Ref, rels []crm.Relationship, before crm.Record, found [][]crm.ID) error {
	s, st, id := c.store, c.st, ref.ID
	writes, deletes := st.writes, c.deletes
	if !c.dryRun {
		if st.deleting == nil {
			st.deleting = map[crm.Ref]bool{}
		}
		st.deleting[ref] = true
		defer delete(st.deleting, ref)
	}
	if c.gone == nil {
		c.gone = map[crm.Ref]bool{}
	}
	c.gone[ref] = true

	// Before is the stored record, as Event documents for every operation
	// but create; Target is the same record, refreshed after the delete
	// behaviours have run.
	var ev *Event
	var stored crm.Record
	hooked := false
	quiet := c.dryRun || c.quiet(e)
	if !quiet {
		stored = before.Clone()
		ev = &Event{Op: OpDelete, Entity: e, Target: &before, Before: &stored, Depth: c.call.depth, Message: c.call.exec.name(), exec: c.call.exec}
		hooked = len(s.hooksFor(e.Name, OpDelete, PreOperation)) > 0
		if err := s.runHooks(ctx, st, PreOperation, ev); err != nil {
			return err
		}
		if err := c.checkRules(ctx, e, ev, ref); err != nil {
			return err
		}
	}
	if len(rels) > 0 {
		if found == nil {
			// One question for every relationship: who points at the record.
			var err error
			if found, err = st.tx.Referrers(ctx, ref, rels); err != nil {
				return err
			}
		}
		if c.dryFirst {
			c.dryFirst = false
			if err := c.dry(ctx, e, id); err != nil {
				return err
			}
		}
		for i, rel := range rels {
			if err := c.applyDeleteBehavior(ctx, rel, ref, found[i]); err != nil {
				return err
			}
		}
	}
	if c.dryFirst {
		// A record with a base record and nothing pointing at it: the
		// base record's walk may meet a restriction.
		c.dryFirst = false
		if err := c.dry(ctx, e, id); err != nil {
			return err
		}
	}
	if e.Base != "" {
		// The base record goes with the record it mirrors, and what
		// refers to it (an activity's parties) with its delete
		// behaviours.
		base, err := s.entity(e.Base)
		if err != nil {
			return err
		}
		if err := c.delete(ctx, base, id, AnyVersion); err != nil {
			return fmt.Errorf("%s %s: %w", base.Name, id, err)
		}
	}
	if c.dryRun {
		return nil
	}
	current := before
	switch {
	case st.writes-writes != c.deletes-deletes:
		// The hooks or the delete behaviours wrote more than the
		// walk's deletes of other records, and one of those writes (a
		// hook's update, say) may have updated the record.
		var err error
		if current, err = st.tx.Lock(ctx, e, id); err != nil {
			return err
		}
	case hooked:
		current = stored.Clone() // as stored: the hooks may have changed Target
	}
	st.writes++ // counted first, as in CreateMany
	c.deletes++
	if err := st.tx.Delete(ctx, e, id, current.Version); err != nil {
		return err
	}
	delete(st.shared, ref)
	if quiet {
		return nil // no event: nobody would see it
	}
	ev.Target = &current
	return s.after(ctx, st, ev)
}

// checkRules runs e's delete rules (crm.Rule.Deletes) on the record ev
// deletes, after the PreOperation hooks, as creates and changes run
// theirs: they see the record as stored, and whether the walk reached it
// through a cascade.
func (c *cascade) checkRules(ctx context.Context, e *crm.Entity, ev *Event, ref crm.Ref) error {
	if !e.DeleteRules() {
		return nil
	}
	records := &ruleRecords{store: c.store, st: c.st, pending: &pendingRecords{}}
	w := crm.Write{Entity: e, Target: ev.Before, Before: ev.Before, Records: records,
		Delete: true, Cascade: ref != c.root}
	for x := ev.exec; x != nil; x = x.Parent {
		w.Operations = append(w.Operations, x.Message)
	}
	return e.CheckRules(ctx, w)
}

// relationships returns the relationships that point at entity whose
// delete behaviour the walk applies: a dry run looks for restrictions
// only, so it leaves out those that remove links.
func (c *cascade) relationships(entity string) []crm.Relationship {
	d := c.store.deletion(entity)
	if c.dryRun {
		return d.dryRels
	}
	return d.rels
}

// quiet reports whether deleting a record of e is seen by nobody but the
// store: no hook on the delete, and no named operation recording it.
func (c *cascade) quiet(e *crm.Entity) bool {
	if c.call.exec != nil || e.DeleteRules() {
		return false
	}
	for _, stage := range []Stage{PreOperation, PostOperation, AfterCommit} {
		if len(c.store.hooksFor(e.Name, OpDelete, stage)) > 0 {
			return false
		}
	}
	return true
}

// applyDeleteBehavior applies rel's delete behaviour to children, the
// records that referred to ref through it when the record's delete
// asked (Tx.Referrers).
func (c *cascade) applyDeleteBehavior(ctx context.Context, rel crm.Relationship, ref crm.Ref, children []crm.ID) error {
	s, st := c.store, c.st
	if len(children) == 0 || c.dryRun && rel.OnDelete == crm.DeleteRemoveLink {
		return nil
	}
	from, err := s.entity(rel.From)
	if err != nil {
		return err
	}
	for _, id := range children {
		child := crm.Ref{Entity: rel.From, ID: id}
		if st.deleting[child] || c.gone[child] {
			continue // being deleted further up, or already by another path
		}
		switch rel.OnDelete {
		case crm.DeleteRestrict:
			return fmt.Errorf("%w: %s %s refers to it through %s", crm.ErrRestricted, rel.From, id, rel.Field)
		case crm.DeleteCascade:
			if err := c.delete(ctx, from, id, AnyVersion); err != nil {
				return fmt.Errorf("cascade to %s %s: %w", rel.From, id, err)
			}
		case crm.DeleteRemoveLink:
			_, err := s.change(ctx, st, c.call, OpUpdate, rel.From, id, AnyVersion, "",
				func(_ *crm.Entity, _, target *crm.Record) error {
					if r, _ := target.Fields[rel.Field].(crm.Ref); r == ref {
						delete(target.Fields, rel.Field)
					}
					return nil
				})
			if err != nil {
				return fmt.Errorf("remove link from %s %s: %w", rel.From, id, err)
			}
		}
	}
	return nil
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
