package sales

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// Competitors is the competitor service: typed reads and writes of
// competitors through a storage.Store, the opportunities each is on, and
// their win/loss figures. It is safe for concurrent use; operations join
// the transaction carried by ctx.
type Competitors struct {
	table         *storage.Table[Competitor]
	opportunities *storage.Table[Opportunity]
}

// NewCompetitors returns the competitor service over st, whose registry
// must hold the sales entities (Register).
func NewCompetitors(st *storage.Store) *Competitors {
	return &Competitors{
		table:         storage.NewTable(st, CompetitorCodec()),
		opportunities: storage.NewTable(st, OpportunityCodec()),
	}
}

// Table returns typed access to competitors, for what the service does
// not cover.
func (s *Competitors) Table() *storage.Table[Competitor] { return s.table }

// Create stores a new competitor and returns it as stored. Errors:
// crm.ErrValidation (a missing name, a reporting quarter outside 1..4,
// ...), crm.ErrDuplicate for an ID in use.
func (s *Competitors) Create(ctx context.Context, c Competitor) (Competitor, error) {
	return s.table.Create(ctx, c)
}

// Get returns the competitor with the given ID, or an error matching
// crm.ErrNotFound.
func (s *Competitors) Get(ctx context.Context, id crm.ID) (Competitor, error) {
	return s.table.Get(ctx, id)
}

// Update writes every field of c over the stored competitor, as
// Accounts.Update does (c.Version must be the version c was read at).
func (s *Competitors) Update(ctx context.Context, c Competitor) (Competitor, error) {
	return s.table.Update(ctx, c)
}

// Delete removes a competitor, with its associations to opportunities;
// the close activities that named it as the winner of a lost deal keep
// their record but lose the link (Dynamics' competitor_opportunity_close
// removes it). version works as in Opportunities.Assign.
func (s *Competitors) Delete(ctx context.Context, id crm.ID, version int64) error {
	return s.table.Delete(ctx, id, version)
}

// Search returns one page of the competitors matching q, as
// Accounts.Search does.
func (s *Competitors) Search(ctx context.Context, q crm.Query) (crm.PageOf[Competitor], error) {
	return search(ctx, s.table, q)
}

// Count returns how many competitors match q.
func (s *Competitors) Count(ctx context.Context, q crm.Query) (int64, error) {
	return count(ctx, s.table, q)
}

// Opportunities returns the opportunities the competitor is associated
// with, by name: one query over the relationship, the other direction of
// Opportunities.Competitors.
func (s *Competitors) Opportunities(ctx context.Context, id crm.ID) ([]Opportunity, error) {
	out, err := collect(s.opportunities.Iterate(ctx, crm.Query{
		Where:   opportunityCompetitors().With(CompetitorRef(id)),
		OrderBy: []crm.Order{crm.Asc(OpportunityName), crm.Asc(crm.FieldID)},
	}))
	if err != nil {
		return nil, fmt.Errorf("opportunities of competitor %s: %w", id, err)
	}
	return out, nil
}

// WinLoss is a competitor's record against the business: the deals it
// was associated with, by their state now.
type WinLoss struct {
	Competitor crm.Ref
	Name       string // the competitor's name
	// Won counts the won opportunities it was on: deals won against it.
	Won int64
	// Lost counts the lost opportunities it was on, whatever the status
	// reason: Lose associates the competitor that won the deal.
	Lost int64
	// Open counts the open opportunities it is on.
	Open int64
}

// WinPercentage returns Won / (Won + Lost) as a percentage rounded half
// away from zero to two places (the precision of the competitor's own
// winpercentage), and false when no deal it was on is closed.
func (w WinLoss) WinPercentage() (decimal.Decimal, bool) {
	closed := w.Won + w.Lost
	if closed == 0 {
		return decimal.Decimal{}, false
	}
	return crm.DivRound(decimal.NewFromInt(100*w.Won), decimal.NewFromInt(closed), 2), true
}

// Aliases of the win/loss aggregation.
const (
	winLossCompetitor = "competitor"
	winLossState      = "state"
	winLossDeals      = "deals"
)

// WinLoss returns the competitor's win/loss figures, computed by the
// store in one aggregate over its associations (no record is loaded): its
// opportunities counted by state. A competitor on no deal has zeros; one
// that does not exist fails with crm.ErrNotFound.
func (s *Competitors) WinLoss(ctx context.Context, id crm.ID) (WinLoss, error) {
	c, err := s.table.Get(ctx, id)
	if err != nil {
		return WinLoss{}, fmt.Errorf("win/loss of competitor %s: %w", id, err)
	}
	all, err := s.winLoss(ctx, crm.Eq(competitorLookup(), c.Ref()))
	if err != nil {
		return WinLoss{}, fmt.Errorf("win/loss of competitor %s: %w", id, err)
	}
	out := WinLoss{Competitor: c.Ref(), Name: c.Name}
	if len(all) == 1 {
		out = all[0]
	}
	return out, nil
}

// WinLossAll returns the win/loss figures of every competitor associated
// with at least one opportunity, by competitor name: one aggregate for
// them all, the management report of wins and losses per competitor.
func (s *Competitors) WinLossAll(ctx context.Context) ([]WinLoss, error) {
	out, err := s.winLoss(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("win/loss of competitors: %w", err)
	}
	return out, nil
}

// competitorLookup returns the intersect entity's lookup to competitor.
func competitorLookup() string {
	_, f2 := opportunityCompetitors().Lookups()
	return f2
}

// winLoss aggregates the associations matching where by competitor and
// by the state of their opportunity.
func (s *Competitors) winLoss(ctx context.Context, where crm.Filter) ([]WinLoss, error) {
	f1, f2 := opportunityCompetitors().Lookups()
	rows, err := s.table.Store().Aggregate(ctx, crm.Aggregation{
		Entity: OpportunityCompetitors,
		Where:  where,
		GroupBy: []crm.GroupBy{
			{Alias: winLossCompetitor, Field: f2, Label: true},
			{Alias: winLossState, Field: crm.FieldState, Path: []crm.Link{{Lookup: f1, Entity: OpportunityEntity}}},
		},
		Measures: []crm.Measure{{Alias: winLossDeals, Func: crm.AggCount}},
	})
	if err != nil {
		return nil, err
	}
	var out []WinLoss
	index := map[crm.Ref]int{}
	for _, r := range rows {
		ref := r.Ref(winLossCompetitor)
		i, ok := index[ref]
		if !ok {
			i = len(out)
			index[ref] = i
			out = append(out, WinLoss{Competitor: ref, Name: r.Label(winLossCompetitor)})
		}
		state, _ := r.Choice(winLossState)
		switch OpportunityState(state) {
		case OpportunityStateOpen:
			out[i].Open += r.Int(winLossDeals)
		case OpportunityStateWon:
			out[i].Won += r.Int(winLossDeals)
		case OpportunityStateLost:
			out[i].Lost += r.Int(winLossDeals)
		}
	}
	slices.SortFunc(out, func(a, b WinLoss) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Competitor.ID.String(), b.Competitor.ID.String())
	})
	return out, nil
}
