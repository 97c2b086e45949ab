package activity

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crmkit/crmkit/activity/recurrence"
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// RecurringAppointmentMaster is the entity of a recurring appointment's
// series (Dynamics' recurringappointmentmaster, activities C6): an
// activity type of its own, extending activitypointer, whose instances
// are appointments (instancetypecode 2 or 3, seriesid the master).
const RecurringAppointmentMaster = recurrence.Entity

// Fields of recurringappointmentmaster (activities C6.1), with Dynamics'
// names and values, so a pattern is stored as Dynamics stores it.
const (
	FieldPatternType      = "recurrencepatterntype"
	FieldInterval         = "interval"
	FieldDaysOfWeekMask   = "daysofweekmask"
	FieldIsWeekdayPattern = "isweekdaypattern"
	FieldDayOfMonth       = "dayofmonth"
	FieldIsNthMonthly     = "isnthmonthly"
	FieldIsNthYearly      = "isnthyearly"
	FieldInstance         = "instance"
	FieldMonthOfYear      = "monthofyear"
	// FieldFirstDayOfWeek is set on create only (Dynamics: not updatable).
	FieldFirstDayOfWeek   = "firstdayofweek"
	FieldPatternStartDate = "patternstartdate"
	FieldPatternEndType   = "patternendtype"
	FieldOccurrences      = "occurrences"
	FieldPatternEndDate   = "patternenddate"
	// FieldStartTime is the instances' wall-clock start time in the
	// series' zone, as text "15:04" (Dynamics keeps a date and time; the
	// time of day is what the pattern needs, and text reads plainly in
	// SQL).
	FieldStartTime = "starttime"
	// FieldEndTime is computed: the wall-clock time StartTime plus
	// Duration ("15:04"; the next day's time for an instance that runs
	// past midnight).
	FieldEndTime = "endtime"
	// FieldDuration is each instance's length in minutes.
	FieldDuration = "duration"
	// FieldEffectiveStart and FieldEffectiveEnd are computed by the write
	// path from the pattern: the date of its first and last instance
	// (effectiveenddate is null for a series without an end).
	FieldEffectiveStart = "effectivestartdate"
	FieldEffectiveEnd   = "effectiveenddate"
	// FieldDeletedExceptions is deletedexceptionslist: the dates of
	// deleted instances, as ISO dates in the series' zone, sorted and
	// comma-separated ("2024-01-08,2024-01-15").
	FieldDeletedExceptions = "deletedexceptionslist"
	// FieldGroupID is shared by the series split from one another (a
	// UUID as text; the first series' own new ID).
	FieldGroupID = "groupid"
	// FieldTimeZone is the series' IANA time zone ("Europe/Berlin"; empty
	// is UTC). Dynamics keeps a numeric time zone code per record; an IANA
	// name is what Go's time package reads and what keeps 09:00 at 09:00
	// across daylight-saving changes.
	FieldTimeZone = "timezone"
	// FieldLastExpanded is the pattern start of the last instance
	// materialised as a row: CreateInstances appends after it.
	FieldLastExpanded = "lastexpandedinstancedate"
	// FieldExpansionState says how far the series is materialised
	// (ExpansionState).
	FieldExpansionState = "expansionstatecode"

	// FieldOriginalStart, on appointment, is an instance's start in the
	// pattern (Dynamics' originalstartdate): its identity in the series
	// however it was moved.
	FieldOriginalStart = "originalstartdate"
)

// ExpansionState is how far a series is materialised
// (expansionstatecode).
type ExpansionState int32

// ExpansionState values.
const (
	Unexpanded        ExpansionState = 0
	PartiallyExpanded ExpansionState = 1
	FullyExpanded     ExpansionState = 2
)

// patternFields are the fields a pattern is decoded from: a change of one
// of them is a change of the pattern (ChangePattern).
var patternFields = []string{FieldPatternType, FieldInterval, FieldDaysOfWeekMask, FieldIsWeekdayPattern,
	FieldDayOfMonth, FieldIsNthMonthly, FieldIsNthYearly, FieldInstance, FieldMonthOfYear, FieldFirstDayOfWeek,
	FieldPatternStartDate, FieldPatternEndType, FieldOccurrences, FieldPatternEndDate, FieldStartTime,
	FieldDuration, FieldAllDay, FieldTimeZone}

func options(labels ...string) []crm.Option {
	out := make([]crm.Option, len(labels))
	for i, l := range labels {
		out[i] = crm.Option{Value: int32(i), Label: l}
	}
	return out
}

var originalStart = crm.Field{Name: FieldOriginalStart, Label: "Original Start Date", Type: crm.TypeTime}

// masterMetadata returns recurringappointmentmaster: the common fields
// (its scheduled start and end computed: its first instance's), the
// appointment's location and all-day flag, and the pattern; the
// appointment's lifecycle (activities C4: states and status reasons
// mirror appointment's) and a rule that refuses a pattern that does not
// validate.
func masterMetadata() *crm.Entity {
	fields := commonFields(nil)
	for i := range fields {
		switch fields[i].Name {
		case FieldIsRegular:
			fields[i].Compute = func(crm.Fields) any { return true }
		case FieldScheduledStart:
			fields[i].Compute = firstInstance(func(o recurrence.Occurrence) time.Time { return o.Start })
		case FieldScheduledEnd:
			fields[i].Compute = firstInstance(func(o recurrence.Occurrence) time.Time { return o.End })
		}
	}
	fields = append(fields, location, allDay,
		crm.Field{Name: FieldPatternType, Label: "Recurrence Pattern", Type: crm.TypeChoice, Required: true,
			Options: options("Daily", "Weekly", "Monthly", "Yearly")},
		crm.Field{Name: FieldInterval, Label: "Interval", Type: crm.TypeInteger},
		crm.Field{Name: FieldDaysOfWeekMask, Label: "Days of Week Mask", Type: crm.TypeInteger},
		crm.Field{Name: FieldIsWeekdayPattern, Label: "Every Weekday", Type: crm.TypeBool},
		crm.Field{Name: FieldDayOfMonth, Label: "Day of Month", Type: crm.TypeInteger},
		crm.Field{Name: FieldIsNthMonthly, Label: "Nth Monthly", Type: crm.TypeBool},
		crm.Field{Name: FieldIsNthYearly, Label: "Nth Yearly", Type: crm.TypeBool},
		crm.Field{Name: FieldInstance, Label: "Instance", Type: crm.TypeChoice,
			Options: []crm.Option{{Value: 1, Label: "First"}, {Value: 2, Label: "Second"}, {Value: 3, Label: "Third"}, {Value: 4, Label: "Fourth"}, {Value: 5, Label: "Last"}}},
		crm.Field{Name: FieldMonthOfYear, Label: "Month of Year", Type: crm.TypeChoice,
			Options: options("Invalid", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")},
		crm.Field{Name: FieldFirstDayOfWeek, Label: "First Day of Week", Type: crm.TypeInteger, Immutable: true},
		crm.Field{Name: FieldPatternStartDate, Label: "Pattern Start Date", Type: crm.TypeTime, DateOnly: true, Required: true},
		crm.Field{Name: FieldPatternEndType, Label: "Pattern End Type", Type: crm.TypeChoice, Required: true,
			Options: []crm.Option{{Value: 1, Label: "No End Date"}, {Value: 2, Label: "Occurrences"}, {Value: 3, Label: "Pattern End Date"}}},
		crm.Field{Name: FieldOccurrences, Label: "Occurrences", Type: crm.TypeInteger},
		crm.Field{Name: FieldPatternEndDate, Label: "Pattern End Date", Type: crm.TypeTime, DateOnly: true},
		crm.Field{Name: FieldStartTime, Label: "Start Time", Type: crm.TypeText, MaxLength: 5},
		crm.Field{Name: FieldDuration, Label: "Duration", Type: crm.TypeInteger},
		crm.Field{Name: FieldEndTime, Label: "End Time", Type: crm.TypeText, MaxLength: 5, Compute: endTime},
		crm.Field{Name: FieldTimeZone, Label: "Time Zone", Type: crm.TypeText, MaxLength: 100},
		crm.Field{Name: FieldEffectiveStart, Label: "Effective Start Date", Type: crm.TypeTime, DateOnly: true,
			Compute: effective(recurrence.Series.EffectiveStart)},
		crm.Field{Name: FieldEffectiveEnd, Label: "Effective End Date", Type: crm.TypeTime, DateOnly: true,
			Compute: effective(recurrence.Series.EffectiveEnd)},
		crm.Field{Name: FieldDeletedExceptions, Label: "Deleted Exceptions List", Type: crm.TypeText, MaxLength: crm.MaxTextLength},
		crm.Field{Name: FieldGroupID, Label: "Group Id", Type: crm.TypeText, MaxLength: 36},
		crm.Field{Name: FieldLastExpanded, Label: "Last Expanded Instance Date", Type: crm.TypeTime},
		crm.Field{Name: FieldExpansionState, Label: "Expansion State", Type: crm.TypeChoice,
			Options: options("Unexpanded", "Partial", "Full")},
	)
	return &crm.Entity{Name: RecurringAppointmentMaster, Label: "Recurring Appointment", PrimaryName: FieldSubject,
		Base: PointerEntity, Fields: fields, Lifecycle: AppointmentLifecycle(),
		Rules: []crm.Rule{scheduleRule(), patternRule()}}
}

// registerRecurring registers the master and makes it the target of
// every activity's series lookup, so deleting a master deletes its
// instances (seriesid cascades).
func registerRecurring(reg *crm.Registry) error {
	if err := reg.Register(masterMetadata()); err != nil {
		return err
	}
	return reg.AddTargets(PointerEntity, FieldSeries, RecurringAppointmentMaster)
}

// patternRule refuses a master whose pattern does not validate
// (recurrence.Pattern.Validate, and deleted exceptions that are not
// instances of it), naming the fields, whichever door the write comes
// through.
func patternRule() crm.Rule {
	return crm.Rule{Name: "recurrence pattern valid", Fields: append(slices.Clone(patternFields), FieldDeletedExceptions),
		Check: func(_ context.Context, w crm.Write) error {
			_, err := seriesOf(w.Target.Fields, nil)
			return err
		}}
}

// patternOf decodes the pattern stored in f; decoding errors (a start
// time or time zone it cannot read) are added to v.
func patternOf(f crm.Fields, v *crm.ValidationError) recurrence.Pattern {
	typ, _ := f.Choice(FieldPatternType)
	inst, _ := f.Choice(FieldInstance)
	month, _ := f.Choice(FieldMonthOfYear)
	end, _ := f.Choice(FieldPatternEndType)
	p := recurrence.Pattern{
		Type: recurrence.PatternType(typ), Interval: int(f.Int(FieldInterval)),
		DaysOfWeekMask: recurrence.Days(f.Int(FieldDaysOfWeekMask)), IsWeekdayPattern: f.Bool(FieldIsWeekdayPattern),
		DayOfMonth: int(f.Int(FieldDayOfMonth)), IsNthMonthly: f.Bool(FieldIsNthMonthly), IsNthYearly: f.Bool(FieldIsNthYearly),
		Instance: recurrence.Instance(inst), MonthOfYear: time.Month(month),
		FirstDayOfWeek: time.Weekday(f.Int(FieldFirstDayOfWeek)),
		StartDate:      dateOf(f.Time(FieldPatternStartDate)), EndType: recurrence.EndType(end),
		Occurrences: int(f.Int(FieldOccurrences)), EndDate: dateOf(f.Time(FieldPatternEndDate)),
		Duration: int(f.Int(FieldDuration)), IsAllDay: f.Bool(FieldAllDay),
	}
	if s := f.String(FieldStartTime); s != "" {
		t, err := time.Parse("15:04", s)
		if err != nil {
			v.Add(FieldStartTime, "must be a time of day as 15:04, not %q", s)
		} else {
			p.StartTime = recurrence.At(t.Hour(), t.Minute())
		}
	}
	p.Location = time.UTC
	if name := f.String(FieldTimeZone); name != "" {
		loc, err := time.LoadLocation(name)
		if err != nil {
			v.Add(FieldTimeZone, "%q is not an IANA time zone", name)
		} else {
			p.Location = loc
		}
	}
	return p
}

// seriesOf decodes the pattern and deleted exceptions stored in f, with
// modified (the exceptions the instance rows hold), and checks them.
func seriesOf(f crm.Fields, modified []recurrence.Modified) (recurrence.Series, error) {
	v := &crm.ValidationError{Entity: RecurringAppointmentMaster}
	p := patternOf(f, v)
	deleted, err := parseDates(f.String(FieldDeletedExceptions))
	if err != nil {
		v.Add(FieldDeletedExceptions, "%v", err)
	}
	if err := v.Err(); err != nil {
		return recurrence.Series{}, err
	}
	return recurrence.NewSeries(p, recurrence.Exceptions{Deleted: deleted, Modified: modified})
}

func dateOf(t time.Time) recurrence.Date {
	if t.IsZero() {
		return recurrence.Date{}
	}
	return recurrence.DateOf(t.UTC())
}

func dateTime(d recurrence.Date) any {
	if d.IsZero() {
		return nil
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

// formatDates encodes deletedexceptionslist: sorted, unique ISO dates,
// comma-separated; nil for none.
func formatDates(ds []recurrence.Date) any {
	if len(ds) == 0 {
		return nil
	}
	ds = slices.Clone(ds)
	slices.SortFunc(ds, recurrence.Date.Compare)
	ds = slices.Compact(ds)
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}

func parseDates(s string) ([]recurrence.Date, error) {
	if s == "" {
		return nil, nil
	}
	var out []recurrence.Date
	for _, part := range strings.Split(s, ",") {
		d, err := recurrence.ParseDate(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("must be ISO dates separated by commas: %w", err)
		}
		out = append(out, d)
	}
	return out, nil
}

// firstInstance computes a master's scheduled start or end: its first
// instance's, so a series sits on a timeline where it begins.
func firstInstance(at func(recurrence.Occurrence) time.Time) func(crm.Fields) any {
	return func(f crm.Fields) any {
		s, err := seriesOf(f, nil)
		if err != nil {
			return nil // the pattern rule refuses the write
		}
		if o, ok := s.EffectiveStart(); ok {
			return at(o)
		}
		return nil
	}
}

// effective computes effectivestartdate or effectiveenddate.
func effective(which func(recurrence.Series) (recurrence.Occurrence, bool)) func(crm.Fields) any {
	return func(f crm.Fields) any {
		s, err := seriesOf(f, nil)
		if err != nil {
			return nil
		}
		if o, ok := which(s); ok {
			return dateTime(o.Date)
		}
		return nil
	}
}

func endTime(f crm.Fields) any {
	v := &crm.ValidationError{}
	p := patternOf(f, v)
	if v.Err() != nil || f[FieldStartTime] == nil {
		return nil
	}
	return recurrence.TimeOfDay((int(p.StartTime) + p.Duration) % (24 * 60)).String()
}

// RecurringAppointment is a recurring appointment's series: a
// recurringappointmentmaster record. Its Activity carries the common
// fields (Type is RecurringAppointmentMaster; ScheduledStart and
// ScheduledEnd are computed, its first instance's) and its parties
// (required and optional attendees, organizer), which its instances
// copy.
type RecurringAppointment struct {
	Activity
	// Pattern is the series' pattern and range; Pattern.Location is its
	// time zone (FieldTimeZone), nil for UTC.
	Pattern recurrence.Pattern
	// Location is where the appointments take place (FieldLocation).
	Location string
	// GroupID is shared by the series split from one another; CreateSeries
	// sets it when it is zero.
	GroupID crm.ID
	// Deleted are the dates of deleted instances (deletedexceptionslist).
	Deleted []recurrence.Date

	// Kept by the write path and the series' operations; never written
	// from here.
	EffectiveStart, EffectiveEnd recurrence.Date
	LastExpanded                 time.Time
	Expansion                    ExpansionState
}

// Ref returns a reference to the series' master record.
func (m RecurringAppointment) Ref() crm.Ref {
	return crm.Ref{Entity: RecurringAppointmentMaster, ID: m.ID}
}

// masterReadOnly are the fields a master's codec decodes but never writes.
var masterReadOnly = []string{FieldScheduledStart, FieldScheduledEnd, FieldEffectiveStart, FieldEffectiveEnd,
	FieldEndTime, FieldLastExpanded, FieldExpansionState}

// MasterCodec converts between RecurringAppointment and
// recurringappointmentmaster records, for storage.Table.
func MasterCodec() storage.Codec[RecurringAppointment] {
	return storage.Codec[RecurringAppointment]{Entity: RecurringAppointmentMaster,
		Encode: encodeMaster, Decode: decodeMaster}
}

func encodeMaster(m RecurringAppointment) crm.Record {
	rec := encode(RecurringAppointmentMaster, m.Activity)
	for _, name := range masterReadOnly {
		delete(rec.Fields, name)
	}
	for name, v := range patternValues(m.Pattern) {
		rec.Fields[name] = v
	}
	rec.Fields[FieldLocation] = text(m.Location)
	rec.Fields[FieldDeletedExceptions] = formatDates(m.Deleted)
	rec.Fields[FieldGroupID] = nil
	if m.GroupID != (crm.ID{}) {
		rec.Fields[FieldGroupID] = m.GroupID.String()
	}
	rec.Fields[FieldInstanceType] = int32(RecurringMaster)
	return rec
}

// patternValues returns the stored values of p's fields.
func patternValues(p recurrence.Pattern) crm.Fields {
	f := crm.Fields{
		FieldPatternType: int32(p.Type), FieldInterval: int64(p.Interval),
		FieldDaysOfWeekMask: nil, FieldIsWeekdayPattern: p.IsWeekdayPattern, FieldDayOfMonth: nil,
		FieldIsNthMonthly: p.IsNthMonthly, FieldIsNthYearly: p.IsNthYearly, FieldInstance: nil,
		FieldMonthOfYear: int32(p.MonthOfYear), FieldFirstDayOfWeek: int64(p.FirstDayOfWeek),
		FieldPatternStartDate: dateTime(p.StartDate), FieldPatternEndType: int32(p.EndType),
		FieldOccurrences: nil, FieldPatternEndDate: dateTime(p.EndDate),
		FieldStartTime: p.StartTime.String(), FieldDuration: int64(p.Duration), FieldAllDay: p.IsAllDay,
		FieldTimeZone: nil,
	}
	if p.DaysOfWeekMask != 0 {
		f[FieldDaysOfWeekMask] = int64(p.DaysOfWeekMask)
	}
	if p.DayOfMonth != 0 {
		f[FieldDayOfMonth] = int64(p.DayOfMonth)
	}
	if p.Instance != 0 {
		f[FieldInstance] = int32(p.Instance)
	}
	if p.Occurrences != 0 {
		f[FieldOccurrences] = int64(p.Occurrences)
	}
	if p.Location != nil && p.Location != time.UTC {
		f[FieldTimeZone] = p.Location.String()
	}
	return f
}

func decodeMaster(rec crm.Record) (RecurringAppointment, error) {
	a, err := decode(rec)
	if err != nil {
		return RecurringAppointment{}, err
	}
	f := rec.Fields
	v := &crm.ValidationError{Entity: RecurringAppointmentMaster}
	m := RecurringAppointment{Activity: a, Pattern: patternOf(f, v), Location: f.String(FieldLocation),
		EffectiveStart: dateOf(f.Time(FieldEffectiveStart)), EffectiveEnd: dateOf(f.Time(FieldEffectiveEnd)),
		LastExpanded: f.Time(FieldLastExpanded)}
	if m.Deleted, err = parseDates(f.String(FieldDeletedExceptions)); err != nil {
		v.Add(FieldDeletedExceptions, "%v", err)
	}
	if g := f.String(FieldGroupID); g != "" {
		if m.GroupID, err = crm.ParseID(g); err != nil {
			v.Add(FieldGroupID, "%q is not an ID", g)
		}
	}
	if s, ok := f.Choice(FieldExpansionState); ok {
		m.Expansion = ExpansionState(s)
	}
	if err := v.Err(); err != nil {
		return RecurringAppointment{}, fmt.Errorf("decode %s %s: %w", RecurringAppointmentMaster, rec.ID, err)
	}
	for _, name := range append(append(slices.Clone(patternFields), masterReadOnly...), FieldLocation, FieldDeletedExceptions, FieldGroupID) {
		delete(m.Fields, name)
	}
	if len(m.Fields) == 0 {
		m.Fields = nil
	}
	return m, nil
}
