package sales

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crmkit/crmkit/activity"
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// The inputs and output of the named operations MessageWinOpportunity,
// MessageLoseOpportunity and MessageReopenOpportunity
// (storage.Execution.Inputs and Outputs), for hooks registered with
// storage.Store.HookMessage. A PreValidation or PreOperation hook may
// change an input; an input left out takes its default.
const (
	// CloseInputOpportunity is the opportunity's crm.ID (all three).
	CloseInputOpportunity = "OpportunityId"
	// CloseInputStatus is the status reason of the new state, a
	// crm.StatusCode; 0 or absent: the state's default.
	CloseInputStatus = "Status"
	// CloseInputActualRevenue is the actual revenue, a crm.Money.
	CloseInputActualRevenue = "ActualRevenue"
	// CloseInputCloseDate is the close date, a time.Time (its date).
	CloseInputCloseDate = "CloseDate"
	// CloseInputCompetitor is the crm.ID of the competitor that won a
	// lost deal (lose only).
	CloseInputCompetitor = "CompetitorId"
	// CloseInputSubject and CloseInputDescription are the close
	// activity's subject and description, strings.
	CloseInputSubject     = "Subject"
	CloseInputDescription = "Description"
	// CloseOutputActivity is the crm.Ref of the opportunity-close
	// activity Win and Lose record.
	CloseOutputActivity = "OpportunityCloseId"
)

// Opportunities is the opportunity service: typed reads and writes of
// opportunities through a storage.Store, and the operations that close
// and reopen them (Win, Lose, Reopen), each a named operation run as one
// transaction. It is safe for concurrent use; operations join the
// transaction carried by ctx (storage.Store.InTx).
type Opportunities struct {
	table       *storage.Table[Opportunity]
	competitors *storage.Table[Competitor]
	closes      *storage.Table[activity.Activity]
}

// NewOpportunities returns the opportunity service over st, whose
// registry must hold the sales entities (Register).
func NewOpportunities(st *storage.Store) *Opportunities {
	return &Opportunities{
		table:       storage.NewTable(st, OpportunityCodec()),
		competitors: storage.NewTable(st, CompetitorCodec()),
		closes:      storage.NewTable(st, activity.Codec(activity.OpportunityClose)),
	}
}

// Table returns typed access to opportunities, for what the service does
// not cover.
func (s *Opportunities) Table() *storage.Table[Opportunity] { return s.table }

// Create stores a new opportunity and returns it as stored, Open (In
// Progress, or o.Status if it is On Hold). o.ID may be set; the rest of
// the header is the store's.
//
// Errors: crm.ErrValidation (a *crm.ValidationError naming every bad
// field: a missing name, a customer that is neither an account nor a
// contact, an estimated revenue set while the revenue is
// system-calculated, an actual revenue or close date, a Won or Lost
// forecast category), crm.ErrDuplicate for an ID in use.
func (s *Opportunities) Create(ctx context.Context, o Opportunity) (Opportunity, error) {
	return s.table.Create(ctx, o)
}

// Get returns the opportunity with the given ID, or an error matching
// crm.ErrNotFound.
func (s *Opportunities) Get(ctx context.Context, id crm.ID) (Opportunity, error) {
	return s.table.Get(ctx, id)
}

// Update writes every field of o over the stored opportunity and returns
// it as stored. o.Version must be the version o was read at
// (crm.ErrConflict otherwise; storage.AnyVersion is refused). State,
// status reason and owner do not change here: Win, Lose, Reopen and
// Assign do, and so do the actual revenue, the actual close date and the
// Won and Lost forecast categories (a change of them is a
// *crm.ValidationError).
//
// Errors: crm.ErrValidation, crm.ErrConflict, crm.ErrNotFound, and
// crm.ErrInvalidTransition for a won or lost opportunity (reopen it
// first).
func (s *Opportunities) Update(ctx context.Context, o Opportunity) (Opportunity, error) {
	return s.table.Update(ctx, o)
}

// Assign gives the opportunity a new owner, a user or a team. version is
// the version the opportunity was read at (crm.ErrConflict otherwise);
// storage.AnyVersion skips the check.
func (s *Opportunities) Assign(ctx context.Context, id crm.ID, version int64, owner crm.Ref) (Opportunity, error) {
	return s.table.Assign(ctx, id, version, owner)
}

// Delete removes an opportunity, in one transaction with its
// opportunity-close activities and its competitor associations. version
// works as in Assign.
func (s *Opportunities) Delete(ctx context.Context, id crm.ID, version int64) error {
	return s.table.Delete(ctx, id, version)
}

// Search returns one page of the opportunities matching q, as
// Accounts.Search does. To find the opportunities a competitor is on,
// or those with no competitor, filter with the relationship:
// crm.ManyToMany{...}.Any / None (see Competitors.Opportunities).
func (s *Opportunities) Search(ctx context.Context, q crm.Query) (crm.PageOf[Opportunity], error) {
	return search(ctx, s.table, q)
}

// Count returns how many opportunities match q.
func (s *Opportunities) Count(ctx context.Context, q crm.Query) (int64, error) {
	return count(ctx, s.table, q)
}

// WinOptions are the details of winning an opportunity, Dynamics' "Close
// as Won" dialog.
type WinOptions struct {
	// ActualRevenue is the revenue won; nil: the estimated revenue.
	ActualRevenue *crm.Money
	// CloseDate is the date it was won; zero: today, the store clock's
	// date in UTC.
	CloseDate time.Time
	// Subject and Description are the close activity's; Subject
	// defaults to "Won: " and the opportunity's name.
	Subject     string
	Description string
}

// Win closes an open opportunity as Won, Dynamics' WinOpportunity, as the
// named operation MessageWinOpportunity: in one transaction it moves the
// opportunity to Won (status reason Won) with its actual revenue, actual
// close date and the Won forecast category, and records a completed
// opportunity-close activity (activity.OpportunityClose) regarding it
// with the revenue, the close date as its actual end and the description.
// It returns the opportunity as stored and the close activity.
//
// version is the version the opportunity was read at (crm.ErrConflict
// otherwise; storage.AnyVersion skips the check). A won or lost
// opportunity fails with a *crm.TransitionError (crm.ErrInvalidTransition).
func (s *Opportunities) Win(ctx context.Context, id crm.ID, version int64, o WinOptions) (Opportunity, crm.Ref, error) {
	inputs := closeInputs(CloseInputOpportunity, id, 0, o.ActualRevenue, o.CloseDate, o.Subject, o.Description)
	out, ref, err := s.close(ctx, MessageWinOpportunity, version, inputs)
	if err != nil {
		return Opportunity{}, crm.Ref{}, fmt.Errorf("win opportunity %s: %w", id, err)
	}
	return out, ref, nil
}

// LoseOptions are the details of losing an opportunity, Dynamics' "Close
// as Lost" dialog.
type LoseOptions struct {
	// Status is Canceled (the default, also for 0) or Out-Sold.
	Status OpportunityStatus
	// Competitor is the competitor that won the deal, or crm.NilID. It
	// must exist; it is recorded on the close activity and associated
	// with the opportunity if it was not.
	Competitor crm.ID
	// ActualRevenue is what the deal was worth; nil: zero, in the
	// currency of the estimated revenue (else the base currency; with
	// neither, none).
	ActualRevenue *crm.Money
	// CloseDate is the date it was lost; zero: today, as for Win.
	CloseDate time.Time
	// Subject and Description are the close activity's; Subject
	// defaults to "Lost: " and the opportunity's name.
	Subject     string
	Description string
}

// Lose closes an open opportunity as Lost, Dynamics' LoseOpportunity, as
// the named operation MessageLoseOpportunity: as Win, with status reason
// o.Status, the Lost forecast category, and the competitor that won on
// the close activity. It returns the opportunity as stored and the close
// activity. Errors are Win's, and a *crm.ValidationError for a status
// reason that is not one of Lost's or a competitor that does not exist.
func (s *Opportunities) Lose(ctx context.Context, id crm.ID, version int64, o LoseOptions) (Opportunity, crm.Ref, error) {
	inputs := closeInputs(CloseInputOpportunity, id, crm.StatusCode(o.Status), o.ActualRevenue, o.CloseDate, o.Subject, o.Description)
	if o.Competitor != crm.NilID {
		inputs[CloseInputCompetitor] = o.Competitor
	}
	out, ref, err := s.close(ctx, MessageLoseOpportunity, version, inputs)
	if err != nil {
		return Opportunity{}, crm.Ref{}, fmt.Errorf("lose opportunity %s: %w", id, err)
	}
	return out, ref, nil
}

// Reopen moves a won or lost opportunity back to Open (In Progress), as
// the named operation MessageReopenOpportunity: it clears the actual
// revenue and close date and puts the forecast category back to
// Pipeline. The close activities stay, completed, as the history of the
// closes. version works as in Win; an open opportunity fails with a
// *crm.TransitionError.
func (s *Opportunities) Reopen(ctx context.Context, id crm.ID, version int64) (Opportunity, error) {
	var out Opportunity
	err := s.table.Store().Execute(ctx, MessageReopenOpportunity, map[string]any{CloseInputOpportunity: id},
		func(ctx context.Context, x *storage.Execution) error {
			in, err := readCloseInputs(x.Inputs, CloseInputOpportunity, OpportunityEntity)
			if err != nil {
				return err
			}
			// Locked, so that the visit it begins starts after the close
			// that ended the last one (reopenTime).
			rec, err := s.table.Store().Lock(ctx, OpportunityEntity, in.id)
			if err != nil {
				return err
			}
			start, err := reopenTime(ctx, s.table.Store(), rec)
			if err != nil {
				return err
			}
			out, err = s.table.ChangeState(ctx, in.id, storage.StateChange{Event: EventReopen, Status: in.status, Version: version,
				Fields: crm.Fields{
					OpportunityActualValue:      nil,
					OpportunityActualCloseDate:  nil,
					OpportunityForecastCategory: int32(ForecastPipeline),
					// The stage the deal reopens in starts now: the time it
					// was closed is no time spent in the stage.
					OpportunityStageStartedOn: start,
				}})
			return err
		})
	if err != nil {
		return Opportunity{}, fmt.Errorf("reopen opportunity %s: %w", id, err)
	}
	return out, nil
}

// Closes returns the opportunity-close activities of the opportunity,
// newest first: the history of its wins and losses, kept when it is
// reopened.
func (s *Opportunities) Closes(ctx context.Context, id crm.ID) ([]activity.Activity, error) {
	out, err := collect(s.closes.Iterate(ctx, crm.Query{
		Where:   crm.Eq(activity.FieldOpportunity, OpportunityRef(id)),
		OrderBy: []crm.Order{crm.Desc(activity.FieldActualEnd), crm.Desc(crm.FieldCreatedOn), crm.Desc(crm.FieldID)},
	}))
	if err != nil {
		return nil, fmt.Errorf("close activities of opportunity %s: %w", id, err)
	}
	return out, nil
}

// Competitors returns the competitors associated with the opportunity,
// by name.
func (s *Opportunities) Competitors(ctx context.Context, id crm.ID) ([]Competitor, error) {
	out, err := collect(s.competitors.Iterate(ctx, crm.Query{
		Where:   opportunityCompetitors().With(OpportunityRef(id)),
		OrderBy: []crm.Order{crm.Asc(CompetitorName), crm.Asc(crm.FieldID)},
	}))
	if err != nil {
		return nil, fmt.Errorf("competitors of opportunity %s: %w", id, err)
	}
	return out, nil
}

// AddCompetitor associates a competitor with the opportunity
// (opportunitycompetitors). Errors: a *crm.ValidationError when either
// does not exist, crm.ErrDuplicate when they are associated already.
func (s *Opportunities) AddCompetitor(ctx context.Context, id, competitor crm.ID) error {
	return s.table.Associate(ctx, OpportunityCompetitors, id, CompetitorRef(competitor))
}

// RemoveCompetitor removes the association of a competitor with the
// opportunity; crm.ErrNotFound when they are not associated.
func (s *Opportunities) RemoveCompetitor(ctx context.Context, id, competitor crm.ID) error {
	return s.table.Disassociate(ctx, OpportunityCompetitors, id, CompetitorRef(competitor))
}

// closeInputs returns the inputs of a close: of an opportunity's win or
// loss, or of a quote's or order's close, whose ID is the input idInput.
func closeInputs(idInput string, id crm.ID, status crm.StatusCode, revenue *crm.Money, date time.Time, subject, description string) map[string]any {
	in := map[string]any{idInput: id}
	if status != 0 {
		in[CloseInputStatus] = status
	}
	if revenue != nil {
		in[CloseInputActualRevenue] = *revenue
	}
	if !date.IsZero() {
		in[CloseInputCloseDate] = date
	}
	if subject != "" {
		in[CloseInputSubject] = subject
	}
	if description != "" {
		in[CloseInputDescription] = description
	}
	return in
}

// closeRequest is the inputs of a close or reopen, read back from the
// execution, where hooks may have changed them.
type closeRequest struct {
	id                   crm.ID
	status               crm.StatusCode
	revenue              *crm.Money
	date                 time.Time
	competitor           crm.ID
	subject, description string
}

// readCloseInputs reads the inputs of a close or reopen; one of the wrong
// type (set so by a hook) is a *crm.ValidationError naming it.
func readCloseInputs(in map[string]any, idInput, entity string) (closeRequest, error) {
	var r closeRequest
	verr := &crm.ValidationError{Entity: entity}
	read := func(key string, set func(v any) bool) {
		if v, ok := in[key]; ok && v != nil && !set(v) {
			verr.Add(key, "is a %T, which the operation does not take", v)
		}
	}
	read(idInput, func(v any) bool { id, ok := v.(crm.ID); r.id = id; return ok })
	read(CloseInputStatus, func(v any) bool { s, ok := v.(crm.StatusCode); r.status = s; return ok })
	read(CloseInputActualRevenue, func(v any) bool { m, ok := v.(crm.Money); r.revenue = &m; return ok })
	read(CloseInputCloseDate, func(v any) bool { t, ok := v.(time.Time); r.date = t; return ok })
	read(CloseInputCompetitor, func(v any) bool { id, ok := v.(crm.ID); r.competitor = id; return ok })
	read(CloseInputSubject, func(v any) bool { s, ok := v.(string); r.subject = s; return ok })
	read(CloseInputDescription, func(v any) bool { s, ok := v.(string); r.description = s; return ok })
	if r.id == crm.NilID {
		verr.Add(idInput, "is required")
	}
	if len(verr.Fields) > 0 {
		return r, verr
	}
	return r, nil
}

// close runs a win or a loss (message) as its named operation.
func (s *Opportunities) close(ctx context.Context, message string, version int64, inputs map[string]any) (Opportunity, crm.Ref, error) {
	var (
		out Opportunity
		ref crm.Ref
	)
	st := s.table.Store()
	err := st.Execute(ctx, message, inputs, func(ctx context.Context, x *storage.Execution) error {
		in, err := readCloseInputs(x.Inputs, CloseInputOpportunity, OpportunityEntity)
		if err != nil {
			return err
		}
		won := message == MessageWinOpportunity
		if won && in.competitor != crm.NilID {
			return crm.Invalid(OpportunityEntity, CloseInputCompetitor, "names who won a lost deal: a win takes none")
		}
		rec, err := st.Lock(ctx, OpportunityEntity, in.id)
		if err != nil {
			return err
		}
		opp, err := decodeOpportunity(rec)
		if err != nil {
			return err
		}
		revenue := in.revenue
		if revenue == nil {
			revenue = defaultActualRevenue(st.Registry(), opp, won)
		}
		date := closeDate(ctx, st, in.date)
		event, forecast, verb := EventLose, ForecastLost, "Lost"
		if won {
			event, forecast, verb = EventWin, ForecastWon, "Won"
		}
		out, err = s.table.ChangeState(ctx, in.id, storage.StateChange{Event: event, Status: in.status, Version: version,
			Fields: crm.Fields{
				OpportunityActualValue:      optional(revenue),
				OpportunityActualCloseDate:  date,
				OpportunityForecastCategory: int32(forecast),
			}})
		if err != nil {
			return err
		}
		// Closing ends the visit of the stage the opportunity was in, so
		// the time it spent there is kept (Processes, Pipeline.Stages).
		if err := endStageVisit(ctx, st, rec, out.State); err != nil {
			return err
		}
		subject := in.subject
		if subject == "" {
			subject = verb + ": " + opp.Name
		}
		fields := crm.Fields{activity.FieldOpportunity: out.Ref(), activity.FieldActualRevenue: optional(revenue)}
		if in.competitor != crm.NilID {
			fields[activity.FieldCompetitor] = CompetitorRef(in.competitor)
			if err := s.associateOnce(ctx, in.id, in.competitor); err != nil {
				return err
			}
		}
		ref, err = recordClose(ctx, s.closes, activity.Activity{Type: activity.OpportunityClose, Subject: subject,
			Description: in.description, Regarding: out.Ref(), Fields: fields}, date)
		if err != nil {
			return err
		}
		x.Outputs[CloseOutputActivity] = ref
		return nil
	})
	return out, ref, err
}

// associateOnce associates the competitor with the opportunity unless it
// is already: a loss names the competitor that won, which was bidding for
// the deal. It reads first rather than catching crm.ErrDuplicate, which
// would abort the transaction on PostgreSQL.
func (s *Opportunities) associateOnce(ctx context.Context, id, competitor crm.ID) error {
	st := s.table.Store()
	m := opportunityCompetitors()
	_, err := st.Get(ctx, m.Name, m.AssociationID(id, competitor))
	if !errors.Is(err, crm.ErrNotFound) {
		return err
	}
	return st.Associate(ctx, m.Name, OpportunityRef(id), CompetitorRef(competitor))
}

// defaultActualRevenue returns the actual revenue of a close that names
// none: a win's is the estimated revenue (Dynamics' dialog fills it in);
// a loss's is zero in the estimate's currency, else the base currency
// [inferred: Dynamics leaves it to the user], and none without either.
func defaultActualRevenue(reg *crm.Registry, o Opportunity, won bool) *crm.Money {
	if won {
		return o.EstimatedValue
	}
	switch {
	case o.EstimatedValue != nil:
		return Ptr(crm.Zero(o.EstimatedValue.Currency))
	case reg.BaseCurrency() != "":
		return Ptr(crm.Zero(reg.BaseCurrency()))
	}
	return nil
}

// recordClose records a completed close activity (opportunityclose,
// quoteclose, orderclose) whose actual end is the close date.
func recordClose(ctx context.Context, closes *storage.Table[activity.Activity], a activity.Activity, date time.Time) (crm.Ref, error) {
	act, err := closes.Create(ctx, a)
	if err != nil {
		return crm.Ref{}, err
	}
	// Completing stamps the actual end with the transaction's time
	// unless the change gives it: the close date is the activity's end.
	act, err = closes.ChangeState(ctx, act.ID, storage.StateChange{Event: activity.EventComplete, Version: act.Version,
		Fields: crm.Fields{activity.FieldActualEnd: date}})
	if err != nil {
		return crm.Ref{}, err
	}
	return act.Ref(), nil
}

// closeDate is the date a close records: d's, or today's (the store
// clock's, in UTC) when d is zero.
func closeDate(ctx context.Context, st *storage.Store, d time.Time) time.Time {
	if d.IsZero() {
		d = st.Now(ctx)
	}
	y, m, day := d.Date()
	return time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
}
