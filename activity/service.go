package activity

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// Service is the activity service: typed reads and writes of activities
// of every type, their parties and timelines, through a storage.Store, so
// every write passes the store's write path and the rules Register put in
// the registry. It is safe for concurrent use. Operations join the
// transaction carried by ctx (storage.Store.InTx).
type Service struct {
	store  *storage.Store
	sender Sender
	// The materialisation bounds of recurring appointments (WithExpansion).
	futureMonths, syncMax int
}

// Option configures a Service.
type Option func(*Service)

// WithSender sets the host's mail sender, which Send calls (see Sender).
func WithSender(s Sender) Option { return func(svc *Service) { svc.sender = s } }

// New returns the activity service over st, whose registry must hold the
// activity entities (Register).
func New(st *storage.Store, opts ...Option) *Service {
	s := &Service{store: st, futureMonths: DefaultFutureExpansionMonths, syncMax: DefaultSyncCreateMax}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Store returns the store the service writes through.
func (s *Service) Store() *storage.Store { return s.store }

func (s *Service) table(entity string) *storage.Table[Activity] {
	return storage.NewTable(s.store, Codec(entity))
}

// Create stores a new activity of a.Type, Open (or the status reason
// a.Status of the Open state), with its parties, in one transaction:
// if a party is refused (a role the type does not allow, a party record
// that does not exist), nothing is created. It returns the activity as
// stored, parties included.
//
// Errors: crm.ErrValidation (a *crm.ValidationError naming every bad
// field: a missing subject, a regarding record that does not exist or
// whose entity does not enable activities, a party's role), crm.ErrNotFound
// for an unknown type, crm.ErrDuplicate for a party given twice in a role.
func (s *Service) Create(ctx context.Context, a Activity) (Activity, error) {
	if a.Type == "" {
		return Activity{}, fmt.Errorf("create activity: %w", crm.Invalid(PointerEntity, FieldType, "is required: name the activity's type"))
	}
	var out Activity
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		var err error
		if out, err = s.table(a.Type).Create(ctx, a); err != nil {
			return err
		}
		out.Parties, err = s.addParties(ctx, out.ID, a.Parties)
		return err
	})
	if err != nil {
		return Activity{}, fmt.Errorf("create %s: %w", a.Type, err)
	}
	return out, nil
}

func (s *Service) addParties(ctx context.Context, activity crm.ID, parties []Party) ([]Party, error) {
	if len(parties) == 0 {
		return nil, nil
	}
	recs := make([]crm.Record, len(parties))
	for i, p := range parties {
		recs[i] = encodeParty(activity, p)
	}
	stored, err := s.store.CreateMany(ctx, recs)
	if err != nil {
		return nil, err
	}
	out := make([]Party, len(stored))
	for i, r := range stored {
		out[i] = decodeParty(r)
	}
	return out, nil
}

// AddParties adds parties to an open activity (any type, or
// activitypointer) in one transaction and returns them as stored. A
// closed activity's parties do not change: crm.ErrInvalidTransition.
func (s *Service) AddParties(ctx context.Context, activity crm.ID, parties ...Party) ([]Party, error) {
	out, err := s.addParties(ctx, activity, parties)
	if err != nil {
		return nil, fmt.Errorf("add parties to activity %s: %w", activity, err)
	}
	return out, nil
}

// Parties returns the parties of an activity, by role and then by ID.
func (s *Service) Parties(ctx context.Context, activity crm.ID) ([]Party, error) {
	var out []Party
	for rec, err := range s.store.Iterate(ctx, crm.Query{Entity: PartyEntity,
		Where:   crm.Eq(PartyActivity, crm.Ref{Entity: PointerEntity, ID: activity}),
		OrderBy: []crm.Order{crm.Asc(PartyRole)}}) {
		if err != nil {
			return nil, fmt.Errorf("parties of activity %s: %w", activity, err)
		}
		out = append(out, decodeParty(rec))
	}
	return out, nil
}

// Get returns the activity ref names, with its type's own fields and its
// parties. ref.Entity may be the activity's type or PointerEntity (the
// type is then read from the pointer).
func (s *Service) Get(ctx context.Context, ref crm.Ref) (Activity, error) {
	typ := ref.Entity
	if typ == PointerEntity || typ == "" {
		p, err := s.store.Get(ctx, PointerEntity, ref.ID)
		if err != nil {
			return Activity{}, fmt.Errorf("get activity %s: %w", ref.ID, err)
		}
		typ = p.Fields.String(FieldType)
	}
	a, err := s.table(typ).Get(ctx, ref.ID)
	if err == nil {
		a.Parties, err = s.Parties(ctx, ref.ID)
	}
	if err != nil {
		return Activity{}, fmt.Errorf("get %s %s: %w", typ, ref.ID, err)
	}
	return a, nil
}

// Update writes every field of a over the stored activity (parties are
// not changed: AddParties). a.Version must be the version a was read at
// (crm.ErrConflict otherwise); a closed activity is read-only
// (crm.ErrInvalidTransition): reopen it first.
func (s *Service) Update(ctx context.Context, a Activity) (Activity, error) {
	out, err := s.table(a.Type).Update(ctx, a)
	if err != nil {
		return Activity{}, err
	}
	out.Parties = a.Parties
	return out, nil
}

// Complete closes an open (or scheduled) activity as Completed, with
// status reason status (0: the state's default; a status reason of
// another state fails with a *crm.ValidationError), and stamps its actual
// end, and its actual start if empty, with the transaction's time.
// version works as in Update; storage.AnyVersion skips the check. A
// closed activity fails with a *crm.TransitionError.
func (s *Service) Complete(ctx context.Context, ref crm.Ref, version int64, status crm.StatusCode) (Activity, error) {
	return s.SetState(ctx, ref, version, EventComplete, status)
}

// Cancel closes an open (or scheduled) activity as Canceled, as Complete
// does.
func (s *Service) Cancel(ctx context.Context, ref crm.Ref, version int64, status crm.StatusCode) (Activity, error) {
	return s.SetState(ctx, ref, version, EventCancel, status)
}

// Reopen moves a closed activity back to Open (its default status
// reason), where it can change again.
func (s *Service) Reopen(ctx context.Context, ref crm.Ref, version int64) (Activity, error) {
	return s.SetState(ctx, ref, version, EventReopen, 0)
}

// SetState fires any event of the activity type's lifecycle (see the
// Event constants) with status reason status (0: the default).
func (s *Service) SetState(ctx context.Context, ref crm.Ref, version int64, event string, status crm.StatusCode) (Activity, error) {
	return s.table(ref.Entity).SetState(ctx, ref.ID, version, event, status)
}

// Delete removes an activity, its pointer and its parties, in one
// transaction. version works as in Update.
func (s *Service) Delete(ctx context.Context, ref crm.Ref, version int64) error {
	return s.store.Delete(ctx, ref, version)
}

// RegardingFilter is the condition on activitypointer of the activities
// regarding ref: for a store query of your own
// (crm.Query{Entity: activity.PointerEntity, Where: ...}).
func RegardingFilter(ref crm.Ref) crm.Filter { return crm.Eq(FieldRegarding, ref) }

// InvolvingFilter is the condition on activitypointer of the activities
// in which ref takes part, in any of roles (none: any role): one query,
// an Exists over activityparty.
func InvolvingFilter(ref crm.Ref, roles ...Role) crm.Filter {
	var where crm.Filter = crm.Eq(PartyID, ref)
	if len(roles) > 0 {
		vals := make([]any, len(roles))
		for i, r := range roles {
			vals[i] = int32(r)
		}
		where = crm.And(where, crm.In(PartyRole, vals...))
	}
	return crm.Any(PartyEntity, PartyActivity, where)
}

// TimelineOptions filter and page a timeline.
type TimelineOptions struct {
	// Types keeps activities of these types only (none: every type).
	Types []string
	// States keeps activities in these states only (none: every state).
	States []State
	// From and To keep activities whose sort date is in [From, To);
	// either may be zero. An activity with no sort date is outside any
	// such range.
	From, To time.Time
	// Involving adds the activities in which the record takes part
	// (as a party) to those regarding it.
	Involving bool
	// PageSize is the page's size (0: crm.DefaultPageSize).
	PageSize int
	// Cursor continues from the page that returned it (Page.Next).
	Cursor crm.Cursor
}

// timeline is the one store query behind Timeline and TimelineAll.
func timeline(record crm.Ref, o TimelineOptions) crm.Query {
	var who crm.Filter = RegardingFilter(record)
	if o.Involving {
		who = crm.Or(who, InvolvingFilter(record))
	}
	where := []crm.Filter{who}
	if len(o.Types) > 0 {
		vals := make([]any, len(o.Types))
		for i, t := range o.Types {
			vals[i] = t
		}
		where = append(where, crm.In(FieldType, vals...))
	}
	if len(o.States) > 0 {
		vals := make([]any, len(o.States))
		for i, st := range o.States {
			vals[i] = int32(st)
		}
		where = append(where, crm.In(crm.FieldState, vals...))
	}
	if !o.From.IsZero() {
		where = append(where, crm.Ge(FieldSortDate, o.From))
	}
	if !o.To.IsZero() {
		where = append(where, crm.Lt(FieldSortDate, o.To))
	}
	return crm.Query{Entity: PointerEntity, Where: crm.And(where...),
		OrderBy: []crm.Order{crm.Desc(FieldSortDate), crm.Desc(crm.FieldID)},
		Limit:   o.PageSize, After: o.Cursor}
}

// Timeline returns one page of the activities of every type regarding
// record (and, with o.Involving, those it takes part in), newest first:
// by sort date descending (FieldSortDate; activities without one last),
// then by ID descending. It is one store query of activitypointer,
// keyset-paged: pass the page's Next as o.Cursor, with the same filters,
// to read on. The entries carry the common fields and the type, not the
// type's own fields nor the parties (Get reads those).
func (s *Service) Timeline(ctx context.Context, record crm.Ref, o TimelineOptions) (crm.PageOf[Activity], error) {
	p, err := s.table(PointerEntity).Query(ctx, timeline(record, o))
	if err != nil {
		return crm.PageOf[Activity]{}, fmt.Errorf("timeline of %s %s: %w", record.Entity, record.ID, err)
	}
	return p, nil
}

// TimelineAll streams the whole timeline Timeline pages (o.PageSize,
// if set, caps it; o.Cursor starts it after a page), without holding it
// in memory.
func (s *Service) TimelineAll(ctx context.Context, record crm.Ref, o TimelineOptions) iter.Seq2[Activity, error] {
	return s.table(PointerEntity).Iterate(ctx, timeline(record, o))
}

// Regarding streams the activities of every type regarding record,
// newest first.
func (s *Service) Regarding(ctx context.Context, record crm.Ref) iter.Seq2[Activity, error] {
	return s.TimelineAll(ctx, record, TimelineOptions{})
}

// Involving streams the activities of every type in which party takes
// part (in any of roles; none: any role), newest first: one query.
func (s *Service) Involving(ctx context.Context, party crm.Ref, roles ...Role) iter.Seq2[Activity, error] {
	return s.table(PointerEntity).Iterate(ctx, crm.Query{Entity: PointerEntity, Where: InvolvingFilter(party, roles...),
		OrderBy: []crm.Order{crm.Desc(FieldSortDate), crm.Desc(crm.FieldID)}})
}

func changeState(event string, status crm.StatusCode, version int64, fields crm.Fields) storage.StateChange {
	return storage.StateChange{Event: event, Status: status, Version: version, Fields: fields}
}
