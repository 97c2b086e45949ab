package sales

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// MessageSetOpportunityStage is the named operation (storage.Store.Execute)
// that moves an opportunity to another stage of its sales process
// (Processes.MoveStage). Hooks registered for it (storage.Store.HookMessage)
// see and may stop every stage move; its inputs are InputOpportunityID,
// InputVersion, InputStage and, when the caller gives one,
// InputProbability.
const MessageSetOpportunityStage = "SetOpportunityStage"

// Inputs of SetOpportunityStage, as its hooks read them.
const (
	InputOpportunityID = "OpportunityId" // crm.ID
	InputVersion       = "Version"       // int64, or storage.AnyVersion
	InputStage         = "Stage"         // SalesStage
	InputProbability   = "Probability"   // int64, 0..100; absent: the stage's default
)

// stageOperations are the operations that may change an opportunity's
// sales stage and the start of its stage visit: moving it, and closing
// and reopening it, which end and begin a visit.
var stageOperations = []string{MessageSetOpportunityStage, MessageWinOpportunity, MessageLoseOpportunity, MessageReopenOpportunity}

// historyOperations are the operations that end a stage visit, and so
// write the stage history: qualifying a lead ends the visit of the
// process's first stage, which the lead made (Leads.Qualify).
var historyOperations = []string{MessageSetOpportunityStage, MessageWinOpportunity, MessageLoseOpportunity, MessageQualifyLead}

// Process is a sales process: the stages an opportunity goes through, in
// order, each mapped to a value of its salesstage field and with the close
// probability it takes there by default. Dynamics models it as a business
// process flow; crmkit keeps it a Go value the host passes to
// NewProcesses.
type Process struct {
	Name   string
	Stages []ProcessStage
}

// ProcessStage is one stage of a Process.
type ProcessStage struct {
	Name       string     // "Develop"
	SalesStage SalesStage // the opportunity's salesstage in this stage; unique in a process
	// Probability is the close probability (0..100) an opportunity takes
	// when it enters the stage, unless the move gives one.
	Probability int64
}

// DefaultProcess returns Dynamics' "Lead to Opportunity Sales Process"
// for opportunities: Qualify, Develop, Propose, Close. Dynamics maps no
// probability to its stages (sales.md §8); crmkit's defaults are 10, 40,
// 60 and 80 per cent, a common choice in the field that keeps a deal
// below certainty until it is won.
func DefaultProcess() Process {
	return Process{Name: "Lead to Opportunity Sales Process", Stages: []ProcessStage{
		{Name: "Qualify", SalesStage: SalesStageQualify, Probability: 10},
		{Name: "Develop", SalesStage: SalesStageDevelop, Probability: 40},
		{Name: "Propose", SalesStage: SalesStagePropose, Probability: 60},
		{Name: "Close", SalesStage: SalesStageClose, Probability: 80},
	}}
}

// Validate checks the process: a name, at least one stage, each with a
// name, a valid sales stage no other stage of the process uses, a
// probability from 0 to 100, and a pipeline phase (StepName) of at most
// 200 characters. It returns a *crm.ValidationError naming every fault.
func (p Process) Validate() error {
	verr := &crm.ValidationError{Entity: "process"}
	add := func(field, reason string) {
		verr.Fields = append(verr.Fields, crm.FieldError{Field: field, Reason: reason})
	}
	if p.Name == "" {
		add("name", "is required")
	}
	if len(p.Stages) == 0 {
		add("stages", "are empty")
	}
	seen := map[SalesStage]bool{}
	for i, s := range p.Stages {
		field := "stages[" + strconv.Itoa(i) + "]"
		switch {
		case s.Name == "":
			add(field, "has no name")
		case !s.SalesStage.Valid():
			add(field, fmt.Sprintf("has sales stage %d, which is not one", s.SalesStage))
		case seen[s.SalesStage]:
			add(field, fmt.Sprintf("repeats sales stage %s", s.SalesStage))
		case s.Probability < 0 || s.Probability > 100:
			add(field, fmt.Sprintf("has probability %d, not 0..100", s.Probability))
		case utf8.RuneCountInString(p.StepName(i)) > 200:
			add(field, "has a pipeline phase longer than 200 characters")
		}
		seen[s.SalesStage] = true
	}
	if len(verr.Fields) > 0 {
		return verr
	}
	return nil
}

// StepName returns the pipeline phase (stepname) of the stage at index i:
// its position from 1 and its name, "2-Develop", the form Dynamics' own
// pipeline charts show. sales.md §8 leaves the exact format open; the
// number keeps the phases in process order when sorted as text (up to
// nine stages).
func (p Process) StepName(i int) string { return strconv.Itoa(i+1) + "-" + p.Stages[i].Name }

// stage returns the index of the stage for s, or -1.
func (p Process) stage(s SalesStage) int {
	return slices.IndexFunc(p.Stages, func(st ProcessStage) bool { return st.SalesStage == s })
}

// Processes moves opportunities through a sales process. Create one with
// NewProcesses; it is safe for concurrent use.
type Processes struct {
	st      *storage.Store
	process Process
}

// NewProcesses returns the service moving opportunities of st through
// process, or the error of process.Validate.
func NewProcesses(st *storage.Store, process Process) (*Processes, error) {
	if err := process.Validate(); err != nil {
		return nil, fmt.Errorf("new processes: %w", err)
	}
	process.Stages = slices.Clone(process.Stages)
	return &Processes{st: st, process: process}, nil
}

// Process returns the service's process.
func (p *Processes) Process() Process {
	out := p.process
	out.Stages = slices.Clone(out.Stages)
	return out
}

// StageMove is a request to move an opportunity to another stage.
type StageMove struct {
	Opportunity crm.ID
	// Version is the opportunity's version as the caller read it
	// (storage.AnyVersion skips the check).
	Version int64
	Stage   SalesStage
	// Probability, if set, is the close probability to set instead of the
	// stage's default.
	Probability *int64
}

// MoveStage moves an open opportunity to another stage of the process,
// forward or back, as the named operation SetOpportunityStage: in one
// transaction it sets salesstage, stepname (Process.StepName), the close
// probability (the stage's default unless m gives one, so weightedvalue
// follows) and activestagestartedon, and writes the stage history record
// of the visit it ends (StageHistoryEntity): the stage left, when it was
// entered (activestagestartedon, or the opportunity's creation) and left,
// the days between, and whether the move went forward or back in the
// process. An opportunity with no sales stage ends no visit. It returns the
// opportunity as stored.
//
// Errors: crm.ErrNotFound for no such opportunity; crm.ErrConflict for a
// stale version; a *crm.TransitionError for a won or lost opportunity; a
// *crm.ValidationError naming salesstage for a stage not in the process
// or the stage the opportunity is in, closeprobability for a probability
// outside 0..100.
func (p *Processes) MoveStage(ctx context.Context, m StageMove) (Opportunity, error) {
	inputs := map[string]any{InputOpportunityID: m.Opportunity, InputVersion: m.Version, InputStage: m.Stage}
	if m.Probability != nil {
		inputs[InputProbability] = *m.Probability
	}
	var out Opportunity
	err := p.st.Execute(ctx, MessageSetOpportunityStage, inputs, func(ctx context.Context, x *storage.Execution) error {
		rec, err := p.move(ctx, x.Inputs)
		if err != nil {
			return err
		}
		out, err = decodeOpportunity(rec)
		return err
	})
	if err != nil {
		return Opportunity{}, fmt.Errorf("move opportunity %s to stage %s: %w", m.Opportunity, m.Stage, err)
	}
	return out, nil
}

// move is the body of SetOpportunityStage, reading the inputs as the
// operation's hooks left them.
func (p *Processes) move(ctx context.Context, in map[string]any) (crm.Record, error) {
	id, okID := in[InputOpportunityID].(crm.ID)
	version, okVersion := in[InputVersion].(int64)
	to, okStage := in[InputStage].(SalesStage)
	if !okID || !okVersion || !okStage {
		return crm.Record{}, fmt.Errorf("inputs %s (crm.ID), %s (int64) and %s (SalesStage) are required: %w",
			InputOpportunityID, InputVersion, InputStage, crm.ErrValidation)
	}
	i := p.process.stage(to)
	if i < 0 {
		return crm.Record{}, crm.Invalid(OpportunityEntity, OpportunitySalesStage,
			fmt.Sprintf("%s is not a stage of %q", to, p.process.Name))
	}
	prob := p.process.Stages[i].Probability
	if v, ok := in[InputProbability]; ok {
		if prob, ok = v.(int64); !ok {
			return crm.Record{}, crm.Invalid(OpportunityEntity, OpportunityProbability, fmt.Sprintf("is a %T, not an int64", v))
		}
	}
	// Locked, so that with AnyVersion no other move can slip between the
	// read of the stage left and the write.
	opp, err := p.st.Lock(ctx, OpportunityEntity, id)
	if err != nil {
		return crm.Record{}, err
	}
	from, inStage := opp.Fields.Choice(OpportunitySalesStage)
	if inStage && SalesStage(from) == to {
		return crm.Record{}, crm.Invalid(OpportunityEntity, OpportunitySalesStage, "is "+to.String()+" already")
	}
	now := visitTime(ctx, p.st, opp)
	fields := p.process.enter(i, now)
	fields[OpportunityProbability] = prob
	out, err := p.st.Update(ctx, crm.Record{Entity: OpportunityEntity, Header: crm.Header{ID: id, Version: version}, Fields: fields})
	if err != nil {
		return crm.Record{}, err
	}
	if !inStage {
		return out, nil
	}
	dir := StageForward
	if p.earlier(to, SalesStage(from)) {
		dir = StageBack
	}
	if err := visitEndedBy(opp, dir, now).record(ctx, p.st); err != nil {
		return crm.Record{}, err
	}
	return out, nil
}

// enter returns the fields of an opportunity entering the stage at index
// i at now: its sales stage, pipeline phase, the stage's default close
// probability and the start of the visit.
func (p Process) enter(i int, now time.Time) crm.Fields {
	return crm.Fields{
		OpportunitySalesStage:     int32(p.Stages[i].SalesStage),
		OpportunityStepName:       p.StepName(i),
		OpportunityProbability:    p.Stages[i].Probability,
		OpportunityStageStartedOn: now,
	}
}

// earlier reports whether stage a comes before stage b: by their order in
// the process, or by their numbers for a stage the process lacks (an
// opportunity imported in a stage of another process).
func (p *Processes) earlier(a, b SalesStage) bool {
	i, j := p.process.stage(a), p.process.stage(b)
	if i < 0 || j < 0 {
		return a < b
	}
	return i < j
}

// endStageVisit writes the stage history record of the visit a closing
// opportunity ends: opp is the opportunity as it was read before it
// closed (its sales stage, step name, owner, activestagestartedon and
// creation time), outcome the state it closes in (Won or Lost). Call it
// inside the WinOpportunity or LoseOpportunity operation, in its
// transaction (the history's rule refuses it elsewhere); it records the
// operation's time (visitTime) as the end. An opportunity with no sales
// stage ends no visit and writes nothing.
func endStageVisit(ctx context.Context, st *storage.Store, opp crm.Record, outcome crm.StateCode) error {
	var dir StageDirection
	switch OpportunityState(outcome) {
	case OpportunityStateWon:
		dir = StageClosedWon
	case OpportunityStateLost:
		dir = StageClosedLost
	default:
		return fmt.Errorf("end stage visit of opportunity %s: state %d is not a close: %w", opp.ID, outcome, crm.ErrValidation)
	}
	if _, ok := opp.Fields.Choice(OpportunitySalesStage); !ok {
		return nil
	}
	if err := visitEndedBy(opp, dir, visitTime(ctx, st, opp)).record(ctx, st); err != nil {
		return fmt.Errorf("end stage visit of opportunity %s: %w", opp.ID, err)
	}
	return nil
}

// visitTime returns the time at which an operation on rec, read locked
// in the operation's transaction, ends a stage visit and begins the
// next: the transaction's time (storage.Store.Now), or, if later, rec's
// last modification or the start of its visit in progress
// (activestagestartedon, which an earlier visitTime may have set after
// the modification). The store fixes a transaction's time when it
// begins, before it waits for the record's lock: a transaction that
// began later may have changed the record first, and a visit must not
// end before it began, nor the next begin before the last ended.
func visitTime(ctx context.Context, st *storage.Store, rec crm.Record) time.Time {
	t := st.Now(ctx)
	for _, u := range []time.Time{rec.ModifiedOn, rec.Fields.Time(OpportunityStageStartedOn)} {
		if u.After(t) {
			t = u
		}
	}
	return t
}

// reopenTime returns when the visit a reopening of opp (read locked)
// begins: its visitTime, or the end of its last visit, the close, if
// that is later. A close may have ended the visit later than its own
// transaction's time, which is all the opportunity keeps of it.
func reopenTime(ctx context.Context, st *storage.Store, opp crm.Record) (time.Time, error) {
	t := visitTime(ctx, st, opp)
	page, err := st.Query(ctx, crm.Query{Entity: StageHistoryEntity, Where: crm.Eq(StageHistoryOpportunity, OpportunityRef(opp.ID)),
		OrderBy: []crm.Order{crm.Desc(StageHistoryLeftOn)}, Limit: 1})
	if err != nil {
		return time.Time{}, fmt.Errorf("last stage visit of opportunity %s: %w", opp.ID, err)
	}
	if len(page.Records) > 0 {
		if left := page.Records[0].Fields.Time(StageHistoryLeftOn); left.After(t) {
			t = left
		}
	}
	return t, nil
}

// stageVisit is one ended stage visit, a record of the stage history.
type stageVisit struct {
	opportunity   crm.ID
	owner         crm.Ref // the opportunity's owner
	stage         SalesStage
	stepName      string // "" for none
	entered, left time.Time
	dir           StageDirection
}

// visitEndedBy returns the visit opp (as it was before it left its stage)
// ends at left: it began at activestagestartedon, or at the
// opportunity's creation.
func visitEndedBy(opp crm.Record, dir StageDirection, left time.Time) stageVisit {
	stage, _ := opp.Fields.Choice(OpportunitySalesStage)
	entered := opp.Fields.Time(OpportunityStageStartedOn)
	if entered.IsZero() {
		entered = opp.CreatedOn
	}
	return stageVisit{opportunity: opp.ID, owner: opp.Owner, stage: SalesStage(stage),
		stepName: opp.Fields.String(OpportunityStepName), entered: entered, left: left, dir: dir}
}

// record writes the visit to the stage history, owned by the
// opportunity's owner. Only the operations that end visits may
// (checkStageHistoryWrite).
func (v stageVisit) record(ctx context.Context, st *storage.Store) error {
	fields := crm.Fields{
		StageHistoryOpportunity: OpportunityRef(v.opportunity),
		StageHistoryStage:       int32(v.stage),
		StageHistoryEnteredOn:   v.entered,
		StageHistoryLeftOn:      v.left,
		StageHistoryDays:        daysBetween(v.entered, v.left),
		StageHistoryDirection:   int32(v.dir),
	}
	if v.stepName != "" {
		fields[StageHistoryStepName] = v.stepName
	}
	_, err := st.Create(ctx, crm.Record{Entity: StageHistoryEntity, Header: crm.Header{Owner: v.owner}, Fields: fields})
	return err
}

// microsPerDay is a day in microseconds, the stores' time resolution.
var microsPerDay = decimal.NewFromInt(int64(24 * time.Hour / time.Microsecond))

// daysBetween returns the days from a to b to four places (half away from
// zero); never negative, a clock set back counting as no time.
func daysBetween(a, b time.Time) decimal.Decimal {
	d := b.Sub(a)
	if d < 0 {
		d = 0
	}
	return crm.DivRound(decimal.NewFromInt(d.Microseconds()), microsPerDay, 4)
}

// checkStageChange refuses a change of an existing opportunity's sales
// stage, or of when its stage began, outside the operations that move,
// close and reopen it, unless it is imported: through every door, the
// stage history stays complete.
func checkStageChange(_ context.Context, w crm.Write) error {
	if w.Before == nil || w.Import || slices.ContainsFunc(stageOperations, w.In) {
		return nil
	}
	field := OpportunitySalesStage
	if crm.SameValue(w.Before.Fields[field], w.Target.Fields[field]) {
		field = OpportunityStageStartedOn
	}
	return crm.Invalid(OpportunityEntity, field, "changes only through the sales process ("+MessageSetOpportunityStage+")")
}

// checkStageHistoryWrite refuses a stage history record written outside
// the operations that end a stage visit, unless it is imported.
func checkStageHistoryWrite(_ context.Context, w crm.Write) error {
	if w.Import || slices.ContainsFunc(historyOperations, w.In) {
		return nil
	}
	return crm.Invalid(StageHistoryEntity, StageHistoryOpportunity,
		"stage visits are written only by "+strings.Join(historyOperations, ", "))
}
