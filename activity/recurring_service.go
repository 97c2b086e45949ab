package activity

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/crmkit/crmkit/activity/recurrence"
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// Materialisation bounds of recurring appointments (activities C6.3), the
// defaults of WithExpansion.
const (
	// DefaultFutureExpansionMonths is Dynamics' FutureExpansionWindow: no
	// instance starting later than this many months after now is
	// materialised as a row.
	DefaultFutureExpansionMonths = 12
	// DefaultSyncCreateMax is Dynamics' RecurrenceExpansionSynchCreateMax:
	// at most this many instances are materialised by one operation.
	DefaultSyncCreateMax = 1000
)

// WithExpansion sets the materialisation bounds of recurring
// appointments: no instance beyond futureMonths months from now, at most
// syncMax instances per operation (values below 1 keep the defaults).
func WithExpansion(futureMonths, syncMax int) Option {
	return func(s *Service) {
		if futureMonths > 0 {
			s.futureMonths = futureMonths
		}
		if syncMax > 0 {
			s.syncMax = syncMax
		}
	}
}

// Named operations of recurring appointments (storage.Store.Execute):
// each runs as one transaction that hooks see by its name
// (storage.Store.HookMessage).
const (
	MessageCreateSeries    = "CreateRecurringAppointment"
	MessageCreateInstance  = "CreateInstance"
	MessageCreateException = "CreateException"
	MessageDeleteInstance  = "DeleteInstance"
	MessageUpdateSeries    = "UpdateRecurringAppointment"
	MessageChangePattern   = "UpdateRecurrence"
)

func (s *Service) masters() *storage.Table[RecurringAppointment] {
	return storage.NewTable(s.store, MasterCodec())
}

// horizon is the future cut-off: until, but never beyond the future
// expansion window; the window's end when until is zero.
func (s *Service) horizon(ctx context.Context, until time.Time) time.Time {
	limit := s.store.Now(ctx).AddDate(0, s.futureMonths, 0)
	if until.IsZero() || until.After(limit) {
		return limit
	}
	return until
}

// CreateSeries creates a recurring appointment (the named operation
// MessageCreateSeries, one transaction): the master m, with its parties,
// and its instances up to until (activities C6.3): each an appointment
// with instancetypecode 2 (RecurringInstance), seriesid the master, the
// master's subject, description, regarding record, priority, location,
// all-day flag and parties, scheduled at the occurrence. It
// materialises at most the service's sync maximum, never beyond the
// future expansion window (WithExpansion); a zero until means the
// window's end. A series without an end is therefore never materialised
// whole: CreateInstances and Materialise add more later.
//
// m.GroupID is set to a new ID when zero. A pattern that does not
// validate fails with a *crm.ValidationError naming its fields, and
// nothing is created.
func (s *Service) CreateSeries(ctx context.Context, m RecurringAppointment, until time.Time) (RecurringAppointment, error) {
	var out RecurringAppointment
	err := s.store.Execute(ctx, MessageCreateSeries, map[string]any{"target": m, "until": until},
		func(ctx context.Context, x *storage.Execution) error {
			var err error
			out, err = s.createSeries(ctx, m, until)
			x.Outputs["id"] = out.ID
			return err
		})
	if err != nil {
		return RecurringAppointment{}, fmt.Errorf("create recurring appointment: %w", err)
	}
	return out, nil
}

func (s *Service) createSeries(ctx context.Context, m RecurringAppointment, until time.Time) (RecurringAppointment, error) {
	m.Type = RecurringAppointmentMaster
	if m.GroupID == (crm.ID{}) {
		m.GroupID = crm.NewID()
	}
	out, err := s.masters().Create(ctx, m)
	if err != nil {
		return RecurringAppointment{}, err
	}
	if out.Parties, err = s.addParties(ctx, out.ID, m.Parties); err != nil {
		return RecurringAppointment{}, err
	}
	series, err := recurrence.NewSeries(out.Pattern, recurrence.Exceptions{Deleted: out.Deleted})
	if err != nil {
		return RecurringAppointment{}, err
	}
	out, _, err = s.materialise(ctx, out, series, s.horizon(ctx, until), s.syncMax)
	return out, err
}

// materialise creates the instances of m after the last one
// materialised, with Start before until, at most max, and records the
// last one on the master.
func (s *Service) materialise(ctx context.Context, m RecurringAppointment, series recurrence.Series, until time.Time, max int) (RecurringAppointment, []Activity, error) {
	var occs []recurrence.Occurrence
	from := time.Time{}
	if !m.LastExpanded.IsZero() {
		from = m.LastExpanded.Add(time.Nanosecond)
	}
	for o := range series.Expand(recurrence.Window{From: from, To: until}) {
		if o.Exception {
			continue // a modified instance exists already
		}
		if len(occs) == max {
			break
		}
		occs = append(occs, o)
	}
	var created []Activity
	last := m.LastExpanded
	if len(occs) > 0 {
		instances := make([]Activity, len(occs))
		for i, o := range occs {
			instances[i] = instanceOf(m, o)
		}
		var err error
		if created, err = s.table(Appointment).CreateMany(ctx, instances); err != nil {
			return m, nil, err
		}
		var parties []crm.Record
		for _, a := range created {
			for _, p := range m.Parties {
				parties = append(parties, encodeParty(a.ID, Party{Role: p.Role, Party: p.Party, Address: p.Address}))
			}
		}
		if len(parties) > 0 {
			if _, err := s.store.CreateMany(ctx, parties); err != nil {
				return m, nil, err
			}
		}
		last = occs[len(occs)-1].Start
	}
	state := FullyExpanded
	for o := range series.Expand(recurrence.Window{From: last.Add(time.Nanosecond)}) {
		if !o.Exception {
			state = PartiallyExpanded
			if last.IsZero() {
				state = Unexpanded
			}
			break
		}
	}
	fields := crm.Fields{FieldExpansionState: int32(state)}
	if !last.IsZero() {
		fields[FieldLastExpanded] = last
	}
	rec, err := s.store.Update(ctx, crm.Record{Entity: RecurringAppointmentMaster,
		Header: crm.Header{ID: m.ID, Version: m.Version}, Fields: fields})
	if err != nil {
		return m, nil, err
	}
	parties := m.Parties
	if m, err = decodeMaster(rec); err != nil {
		return m, nil, err
	}
	m.Parties = parties
	return m, created, nil
}

// instanceOf is the appointment of occurrence o of series m.
func instanceOf(m RecurringAppointment, o recurrence.Occurrence) Activity {
	f := crm.Fields{FieldLocation: text(m.Location), FieldAllDay: m.Pattern.IsAllDay, FieldOriginalStart: o.Start}
	return Activity{Header: crm.Header{Owner: m.Owner}, Type: Appointment, Subject: m.Subject, Description: m.Description,
		Regarding: m.Regarding, Priority: m.Priority, ScheduledStart: o.Start, ScheduledEnd: o.End,
		InstanceType: RecurringInstance, Series: m.Ref(), Fields: f}
}

// GetSeries returns a recurring appointment's master with its parties.
func (s *Service) GetSeries(ctx context.Context, id crm.ID) (RecurringAppointment, error) {
	m, err := s.masters().Get(ctx, id)
	if err == nil {
		m.Parties, err = s.Parties(ctx, id)
	}
	if err != nil {
		return RecurringAppointment{}, fmt.Errorf("get recurring appointment %s: %w", id, err)
	}
	return m, nil
}

// seriesFilter is the condition on appointment of the instances of a
// series.
func seriesFilter(id crm.ID) crm.Filter {
	return crm.Eq(FieldSeries, crm.Ref{Entity: RecurringAppointmentMaster, ID: id})
}

// Instances streams the materialised instances of a series (plain
// instances and exceptions), by scheduled start.
func (s *Service) Instances(ctx context.Context, series crm.ID) iter.Seq2[Activity, error] {
	return s.table(Appointment).Iterate(ctx, crm.Query{Entity: Appointment, Where: seriesFilter(series),
		OrderBy: []crm.Order{crm.Asc(FieldScheduledStart), crm.Asc(crm.FieldID)}})
}

// loadSeries reads a master and its modified instances (the exceptions
// rows hold) as a recurrence.Series.
func (s *Service) loadSeries(ctx context.Context, id crm.ID) (RecurringAppointment, recurrence.Series, error) {
	m, err := s.GetSeries(ctx, id)
	if err != nil {
		return RecurringAppointment{}, recurrence.Series{}, err
	}
	var modified []recurrence.Modified
	for a, err := range s.table(Appointment).Iterate(ctx, crm.Query{Entity: Appointment,
		Where: crm.And(seriesFilter(id), crm.Eq(FieldInstanceType, int32(RecurringException)))}) {
		if err != nil {
			return RecurringAppointment{}, recurrence.Series{}, err
		}
		modified = append(modified, recurrence.Modified{Original: originalDate(m, a), Start: a.ScheduledStart, End: a.ScheduledEnd})
	}
	series, err := recurrence.NewSeries(m.Pattern, recurrence.Exceptions{Deleted: m.Deleted, Modified: modified})
	if err != nil {
		return RecurringAppointment{}, recurrence.Series{}, fmt.Errorf("recurring appointment %s: %w", id, err)
	}
	return m, series, nil
}

// originalDate is an instance's date in its series' pattern.
func originalDate(m RecurringAppointment, a Activity) recurrence.Date {
	loc := m.Pattern.Location
	if loc == nil {
		loc = time.UTC
	}
	t := a.Fields.Time(FieldOriginalStart)
	if t.IsZero() {
		t = a.ScheduledStart
	}
	return recurrence.DateOf(t.In(loc))
}

// Expand returns the instances of a series with Start in w, straight
// from its stored pattern and exceptions (deleted dates, modified
// instances at their new times), whether or not they are materialised:
// "next month's meetings". The sequence is lazy; for a series without an
// end, bound w or stop iterating.
func (s *Service) Expand(ctx context.Context, series crm.ID, w recurrence.Window) (iter.Seq[recurrence.Occurrence], error) {
	_, ser, err := s.loadSeries(ctx, series)
	if err != nil {
		return nil, fmt.Errorf("expand: %w", err)
	}
	return ser.Expand(w), nil
}

// CreateInstances materialises the next n instances of a series after
// the last one materialised (Dynamics' CreateInstance, the named
// operation MessageCreateInstance), never beyond the future expansion
// window, and returns them. A closed series is read-only
// (crm.ErrInvalidTransition).
func (s *Service) CreateInstances(ctx context.Context, series crm.ID, n int) ([]Activity, error) {
	return s.createInstances(ctx, series, time.Time{}, n)
}

// Materialise materialises the instances of a series after the last one
// materialised with a start before until (at most the sync maximum,
// never beyond the future expansion window), as CreateInstances does.
func (s *Service) Materialise(ctx context.Context, series crm.ID, until time.Time) ([]Activity, error) {
	return s.createInstances(ctx, series, until, s.syncMax)
}

func (s *Service) createInstances(ctx context.Context, id crm.ID, until time.Time, n int) ([]Activity, error) {
	if n < 1 {
		return nil, fmt.Errorf("create instances of %s: %w", id, crm.Invalid(RecurringAppointmentMaster, "count", fmt.Sprintf("must be at least 1, not %d", n)))
	}
	var out []Activity
	err := s.store.Execute(ctx, MessageCreateInstance, map[string]any{"target": id, "count": n, "until": until},
		func(ctx context.Context, x *storage.Execution) error {
			m, series, err := s.loadSeries(ctx, id)
			if err != nil {
				return err
			}
			_, out, err = s.materialise(ctx, m, series, s.horizon(ctx, until), n)
			x.Outputs["count"] = len(out)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("create instances of %s: %w", id, err)
	}
	return out, nil
}

// instance reads an appointment that must be an instance of a series.
func (s *Service) instance(ctx context.Context, id crm.ID) (Activity, error) {
	a, err := s.table(Appointment).Get(ctx, id)
	if err != nil {
		return Activity{}, err
	}
	if a.Series.Entity != RecurringAppointmentMaster || a.Series.IsZero() {
		return Activity{}, crm.Invalid(Appointment, FieldSeries, "is empty: the appointment is not an instance of a recurring appointment")
	}
	return a, nil
}

// UpdateInstance writes a over one instance of a series (the named
// operation MessageCreateException), which becomes an exception
// (instancetypecode 3): moved or changed without touching the others,
// and never regenerated by later materialisation nor overwritten by
// UpdateSeries. Its series and original start are kept as stored.
// a.Version works as in Update.
func (s *Service) UpdateInstance(ctx context.Context, a Activity) (Activity, error) {
	var out Activity
	err := s.store.Execute(ctx, MessageCreateException, map[string]any{"target": a.ID},
		func(ctx context.Context, x *storage.Execution) error {
			stored, err := s.instance(ctx, a.ID)
			if err != nil {
				return err
			}
			a.Type, a.Series, a.InstanceType = Appointment, stored.Series, RecurringException
			a.Fields = a.Fields.Clone()
			if a.Fields == nil {
				a.Fields = crm.Fields{}
			}
			a.Fields[FieldOriginalStart] = stored.Fields[FieldOriginalStart]
			out, err = s.table(Appointment).Update(ctx, a)
			return err
		})
	if err != nil {
		return Activity{}, fmt.Errorf("update instance %s: %w", a.ID, err)
	}
	return out, nil
}

// DeleteInstance deletes one instance of a series (the named operation
// MessageDeleteInstance): its date goes into the master's
// deletedexceptionslist, so no later materialisation or expansion brings
// it back, and the row goes. version works as in Update.
func (s *Service) DeleteInstance(ctx context.Context, id crm.ID, version int64) error {
	err := s.store.Execute(ctx, MessageDeleteInstance, map[string]any{"target": id},
		func(ctx context.Context, x *storage.Execution) error {
			a, err := s.instance(ctx, id)
			if err != nil {
				return err
			}
			m, err := s.masters().Get(ctx, a.Series.ID)
			if err != nil {
				return err
			}
			if err := s.store.Delete(ctx, a.Ref(), version); err != nil {
				return err
			}
			_, err = s.store.Update(ctx, crm.Record{Entity: RecurringAppointmentMaster, Header: crm.Header{ID: m.ID, Version: m.Version},
				Fields: crm.Fields{FieldDeletedExceptions: formatDates(append(m.Deleted, originalDate(m, a)))}})
			return err
		})
	if err != nil {
		return fmt.Errorf("delete instance %s: %w", id, err)
	}
	return nil
}

// basicFields are the master's fields UpdateSeries applies to its
// instances (activities C6.4 "basic info").
var basicFields = []string{FieldSubject, FieldDescription, FieldRegarding, FieldPriority, FieldLocation}

// UpdateSeries writes the basic information of m (subject, description,
// regarding record, priority, location, and custom fields) over the
// stored master (the named operation MessageUpdateSeries) and applies
// the changed basic fields to every open plain instance (activities
// C6.4). Exceptions keep their own values, all of them (crmkit does not
// track which attribute an exception changed), and closed instances are
// read-only. The pattern, deleted exceptions and group are the series'
// own: a changed pattern fails with a *crm.ValidationError naming the
// field (ChangePattern changes it), and m.Deleted and m.GroupID are
// kept as stored. Parties do not change (AddParties). m.Version works as
// in Update; a closed master is read-only (crm.ErrInvalidTransition).
func (s *Service) UpdateSeries(ctx context.Context, m RecurringAppointment) (RecurringAppointment, error) {
	var out RecurringAppointment
	err := s.store.Execute(ctx, MessageUpdateSeries, map[string]any{"target": m.ID},
		func(ctx context.Context, x *storage.Execution) error {
			stored, err := s.GetSeries(ctx, m.ID)
			if err != nil {
				return err
			}
			was, now := patternValues(stored.Pattern), patternValues(m.Pattern)
			for _, name := range patternFields {
				if !crm.SameValue(was[name], now[name]) {
					return crm.Invalid(RecurringAppointmentMaster, name, "changes the pattern: use ChangePattern, which splits the series (activities C6.4)")
				}
			}
			m.Deleted, m.GroupID = stored.Deleted, stored.GroupID
			if out, err = s.masters().Update(ctx, m); err != nil {
				return err
			}
			out.Parties = stored.Parties
			before, after := encodeMaster(stored).Fields, encodeMaster(out).Fields
			changes := crm.Fields{}
			for _, name := range basicFields {
				if !crm.SameValue(before[name], after[name]) {
					changes[name] = after[name]
				}
			}
			if len(changes) == 0 {
				return nil
			}
			var targets []crm.Record
			for rec, err := range s.store.Iterate(ctx, crm.Query{Entity: Appointment, Where: crm.And(seriesFilter(m.ID),
				crm.Eq(FieldInstanceType, int32(RecurringInstance)), OpenFilter())}) {
				if err != nil {
					return err
				}
				targets = append(targets, rec)
			}
			for _, rec := range targets {
				if _, err := s.store.Update(ctx, crm.Record{Entity: Appointment, Header: crm.Header{ID: rec.ID, Version: rec.Version},
					Fields: changes.Clone()}); err != nil {
					return err
				}
			}
			x.Outputs["instances"] = len(targets)
			return nil
		})
	if err != nil {
		return RecurringAppointment{}, fmt.Errorf("update recurring appointment %s: %w", m.ID, err)
	}
	return out, nil
}

// PatternChange is what ChangePattern did.
type PatternChange struct {
	// Split reports that the series was split: Ended is the old series,
	// ended at its last past instance, which keeps the past instances;
	// Next, if the new pattern has instances from now on, the new series
	// (new ID, same group) holding them. Without a split (no instance had
	// started), Next is the same series with the new pattern, its
	// instances all expanded again, and Ended is zero.
	Split bool
	Ended RecurringAppointment
	// Next is the series carrying the new pattern's instances; its ID is
	// zero when the new pattern has none from now on.
	Next RecurringAppointment
}

// ChangePattern changes the pattern of a series at the store's now (the
// named operation MessageChangePattern, one transaction; activities
// C6.4, scenario 7, with recurrence.Split). If an instance had started,
// the series is split: the old master ends at its last past instance
// (patternenddate, effectiveenddate), keeps its past instances and the
// deleted exceptions among them, its future instances (exceptions
// included) are deleted, and a new master with the same groupid, the
// master's basic information and parties, expands the future from the
// new pattern's first instance from now on. If none had started, every
// instance is deleted and the series, keeping its ID, is expanded again
// from the new pattern, its exceptions forgotten. firstdayofweek is not
// updatable: a change of it is refused then (a *crm.ValidationError).
// version works as in Update; a closed series is read-only.
func (s *Service) ChangePattern(ctx context.Context, id crm.ID, version int64, next recurrence.Pattern) (PatternChange, error) {
	var out PatternChange
	err := s.store.Execute(ctx, MessageChangePattern, map[string]any{"target": id, "pattern": next},
		func(ctx context.Context, x *storage.Execution) error {
			var err error
			out, err = s.changePattern(ctx, id, version, next)
			return err
		})
	if err != nil {
		return PatternChange{}, fmt.Errorf("change the pattern of %s: %w", id, err)
	}
	return out, nil
}

func (s *Service) changePattern(ctx context.Context, id crm.ID, version int64, next recurrence.Pattern) (PatternChange, error) {
	m, err := s.GetSeries(ctx, id)
	if err != nil {
		return PatternChange{}, err
	}
	r, err := recurrence.Split(m.Pattern, s.store.Now(ctx), next)
	if err != nil {
		return PatternChange{}, err
	}
	rows, err := collect(s.Instances(ctx, id))
	if err != nil {
		return PatternChange{}, err
	}
	keep := map[recurrence.Date]bool{}
	if !r.AllFuture {
		for o := range r.Kept {
			keep[o.Date] = true
		}
	}
	for _, a := range rows {
		if !keep[originalDate(m, a)] {
			if err := s.store.Delete(ctx, a.Ref(), a.Version); err != nil {
				return PatternChange{}, err
			}
		}
	}
	update := func(fields crm.Fields) (RecurringAppointment, error) {
		rec, err := s.store.Update(ctx, crm.Record{Entity: RecurringAppointmentMaster, Header: crm.Header{ID: id, Version: version}, Fields: fields})
		if err != nil {
			return RecurringAppointment{}, err
		}
		out, err := decodeMaster(rec)
		out.Parties = m.Parties
		return out, err
	}
	if r.AllFuture {
		fields := patternValues(next)
		fields[FieldDeletedExceptions], fields[FieldLastExpanded], fields[FieldExpansionState] = nil, nil, int32(Unexpanded)
		again, err := update(fields)
		if err != nil {
			return PatternChange{}, err
		}
		series, err := recurrence.NewSeries(again.Pattern, recurrence.Exceptions{})
		if err != nil {
			return PatternChange{}, err
		}
		again, _, err = s.materialise(ctx, again, series, s.horizon(ctx, time.Time{}), s.syncMax)
		return PatternChange{Next: again}, err
	}
	fields := patternValues(r.Old)
	var deleted []recurrence.Date
	for _, d := range m.Deleted {
		if keep[d] {
			deleted = append(deleted, d)
		}
	}
	fields[FieldDeletedExceptions] = formatDates(deleted)
	last := m.LastExpanded
	if last.After(r.LastPast.Start) {
		last = r.LastPast.Start
	}
	fields[FieldLastExpanded], fields[FieldExpansionState] = unlessZero(last), int32(PartiallyExpanded)
	if !last.Before(r.LastPast.Start) {
		fields[FieldExpansionState] = int32(FullyExpanded)
	}
	group := m.GroupID
	if group == (crm.ID{}) {
		group = m.ID // a master created through another door has none: the group starts with it
		fields[FieldGroupID] = group.String()
	}
	ended, err := update(fields)
	if err != nil {
		return PatternChange{}, err
	}
	out := PatternChange{Split: true, Ended: ended}
	if !r.HasNew {
		return out, nil
	}
	parties := make([]Party, len(m.Parties))
	for i, p := range m.Parties {
		parties[i] = Party{Role: p.Role, Party: p.Party, Address: p.Address}
	}
	fresh := RecurringAppointment{Activity: Activity{Header: crm.Header{Owner: m.Owner}, Subject: m.Subject,
		Description: m.Description, Regarding: m.Regarding, Priority: m.Priority, Parties: parties, Fields: m.Fields.Clone()},
		Pattern: r.New, Location: m.Location, GroupID: group}
	out.Next, err = s.createSeries(ctx, fresh, time.Time{})
	return out, err
}

func collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
