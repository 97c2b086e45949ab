package activity

import (
	"fmt"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// Activity is an activity of any type, built-in or custom: the fields
// every activity has, its type, its parties and the type's own fields.
// The same struct reads an activitypointer record, so a timeline entry is
// an Activity too (without Fields and Parties).
//
// Conventions, as in package sales: "" text, the zero time and the zero
// Ref are null; nil pointers are null.
type Activity struct {
	crm.Header
	// Type is the activity's entity: PhoneCall, Email, Task, ..., or a
	// custom type's name. Required on Create.
	Type        string
	Subject     string // required, at most 400 characters
	Description string
	// Regarding is the record the activity is about: a record of an
	// entity that enables activities (Enable); it must exist.
	Regarding crm.Ref
	// Priority is nil when none is given (Dynamics shows Normal).
	Priority       *Priority
	ScheduledStart time.Time
	ScheduledEnd   time.Time // a task's due date
	ActualStart    time.Time
	ActualEnd      time.Time
	IsBilled       bool
	InstanceType   InstanceType
	Series         crm.Ref

	// Computed by the write path and never written from here (see
	// FieldScheduledDuration, FieldActualDuration, FieldIsRegular,
	// FieldSortDate).
	ScheduledDuration *int64
	ActualDuration    *int64
	IsRegular         bool
	SortDate          time.Time

	// Parties are written with the activity by Service.Create and read
	// back by Service.Get; a Table's codec ignores them.
	Parties []Party

	// Fields holds the type's own fields (FieldPhoneNumber,
	// FieldDirection, FieldLocation, ...) and a host's custom fields, by
	// logical name, as the store takes them.
	Fields crm.Fields
}

// ActivityState returns the activity's state.
func (a Activity) ActivityState() State { return State(a.State) }

// Ref returns a reference to the activity as a record of its type.
func (a Activity) Ref() crm.Ref { return crm.Ref{Entity: a.Type, ID: a.ID} }

// PartiesIn returns the activity's parties in role.
func (a Activity) PartiesIn(role Role) []Party {
	var out []Party
	for _, p := range a.Parties {
		if p.Role == role {
			out = append(out, p)
		}
	}
	return out
}

// readOnly are the fields a codec decodes but never writes.
var readOnly = []string{FieldScheduledDuration, FieldActualDuration, FieldIsRegular, FieldSortDate, FieldType}

// Codec converts between Activity and the records of entity, an activity
// type or activitypointer (read only: the store refuses writes of it),
// for storage.Table.
func Codec(entity string) storage.Codec[Activity] {
	return storage.Codec[Activity]{Entity: entity,
		Encode: func(a Activity) crm.Record { return encode(entity, a) },
		Decode: func(rec crm.Record) (Activity, error) { return decode(rec) },
	}
}

func encode(entity string, a Activity) crm.Record {
	f := crm.Fields{
		FieldSubject:        text(a.Subject),
		FieldDescription:    text(a.Description),
		FieldRegarding:      unlessZero(a.Regarding),
		FieldScheduledStart: unlessZero(a.ScheduledStart),
		FieldScheduledEnd:   unlessZero(a.ScheduledEnd),
		FieldActualStart:    unlessZero(a.ActualStart),
		FieldActualEnd:      unlessZero(a.ActualEnd),
		FieldIsBilled:       a.IsBilled,
		FieldInstanceType:   int32(a.InstanceType),
		FieldSeries:         unlessZero(a.Series),
		FieldPriority:       nil,
	}
	if a.Priority != nil {
		f[FieldPriority] = int32(*a.Priority)
	}
	for name, v := range a.Fields {
		if _, set := f[name]; !set && !isReadOnly(name) {
			f[name] = v
		}
	}
	return crm.Record{Entity: entity, Header: a.Header, Fields: f}
}

func isReadOnly(name string) bool {
	for _, r := range readOnly {
		if r == name {
			return true
		}
	}
	return false
}

// common names the fields the members of Activity hold.
var common = map[string]bool{
	FieldSubject: true, FieldDescription: true, FieldRegarding: true, FieldPriority: true,
	FieldScheduledStart: true, FieldScheduledEnd: true, FieldActualStart: true, FieldActualEnd: true,
	FieldIsBilled: true, FieldInstanceType: true, FieldSeries: true,
	FieldScheduledDuration: true, FieldActualDuration: true, FieldIsRegular: true, FieldSortDate: true, FieldType: true,
}

func decode(rec crm.Record) (Activity, error) {
	f := rec.Fields
	a := Activity{
		Header:            rec.Header,
		Type:              rec.Entity,
		Subject:           f.String(FieldSubject),
		Description:       f.String(FieldDescription),
		Regarding:         f.Ref(FieldRegarding),
		ScheduledStart:    f.Time(FieldScheduledStart),
		ScheduledEnd:      f.Time(FieldScheduledEnd),
		ActualStart:       f.Time(FieldActualStart),
		ActualEnd:         f.Time(FieldActualEnd),
		IsBilled:          f.Bool(FieldIsBilled),
		Series:            f.Ref(FieldSeries),
		ScheduledDuration: optional[int64](f, FieldScheduledDuration),
		ActualDuration:    optional[int64](f, FieldActualDuration),
		IsRegular:         f.Bool(FieldIsRegular),
		SortDate:          f.Time(FieldSortDate),
	}
	if rec.Entity == PointerEntity {
		a.Type = f.String(FieldType)
	}
	if p, ok := f.Choice(FieldPriority); ok {
		pr := Priority(p)
		if !pr.Valid() {
			return Activity{}, fmt.Errorf("field %s: priority %d: %w", FieldPriority, p, crm.ErrNotFound)
		}
		a.Priority = &pr
	}
	if t, ok := f.Choice(FieldInstanceType); ok {
		a.InstanceType = InstanceType(t)
		if !a.InstanceType.Valid() {
			return Activity{}, fmt.Errorf("field %s: instance type %d: %w", FieldInstanceType, t, crm.ErrNotFound)
		}
	}
	for name, v := range f {
		if !common[name] {
			if a.Fields == nil {
				a.Fields = crm.Fields{}
			}
			a.Fields[name] = v
		}
	}
	return a, nil
}

// Ptr returns a pointer to v: for Activity.Priority.
func Ptr[T any](v T) *T { return &v }

func text(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func unlessZero[T interface{ IsZero() bool }](v T) any {
	if v.IsZero() {
		return nil
	}
	return v
}

func optional[T any](f crm.Fields, name string) *T {
	v, ok := f[name].(T)
	if !ok {
		return nil
	}
	return &v
}

// partyCodec converts between Party and activityparty records.
func encodeParty(activity crm.ID, p Party) crm.Record {
	return crm.Record{Entity: PartyEntity, Header: crm.Header{ID: p.ID}, Fields: crm.Fields{
		PartyActivity: crm.Ref{Entity: PointerEntity, ID: activity},
		PartyID:       unlessZero(p.Party),
		PartyRole:     int32(p.Role),
		PartyAddress:  text(p.Address),
	}}
}

func decodeParty(rec crm.Record) Party {
	r, _ := rec.Fields.Choice(PartyRole)
	return Party{ID: rec.ID, Role: Role(r), Party: rec.Fields.Ref(PartyID), Address: rec.Fields.String(PartyAddress)}
}
