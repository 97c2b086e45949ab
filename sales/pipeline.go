package sales

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// Pipeline computes the sales pipeline reports over a store: every figure
// is one aggregate the store computes (storage.Store.Aggregate), one
// statement on a SQL store, never opportunities loaded to be added up.
// Create one with NewPipeline; it is safe for concurrent use.
type Pipeline struct {
	st *storage.Store
}

// NewPipeline returns the pipeline reports over st.
func NewPipeline(st *storage.Store) *Pipeline { return &Pipeline{st: st} }

// By is how a report groups its figures.
type By int

// Breakdowns of the pipeline reports. Not every report takes every one:
// each says which.
const (
	// Overall is no breakdown: one row for everything.
	Overall By = iota
	// ByStage groups by sales stage (salesstage).
	ByStage
	// ByOwner groups by owner: a user or a team.
	ByOwner
	// ByTeam groups by owning team: only the records a team owns (ownerid
	// is a team). crmkit has no team membership yet, so a user's records
	// do not count for the teams the user is in.
	ByTeam
	// ByMonth groups by the calendar month (UTC) of the report's date.
	ByMonth
	// ByQuarter groups by the calendar quarter (UTC) of the report's date:
	// fiscal years do not exist yet. The store groups by month; the
	// months of a quarter are added up exactly here.
	ByQuarter
	// ByProduct groups by the catalog product of the opportunities'
	// product lines (WinRate only).
	ByProduct
)

var byNames = [...]string{Overall: "overall", ByStage: "stage", ByOwner: "owner", ByTeam: "team", ByMonth: "month", ByQuarter: "quarter", ByProduct: "product"}

func (b By) String() string {
	if b >= 0 && int(b) < len(byNames) {
		return byNames[b]
	}
	return fmt.Sprintf("By(%d)", int(b))
}

// Group is the key of a report row; only the part its breakdown names is
// set.
type Group struct {
	Stage   *SalesStage // ByStage; nil for the records with no stage
	Owner   crm.Ref     // ByOwner, ByTeam
	Period  time.Time   // ByMonth, ByQuarter: the first day (UTC); zero for no date
	Product crm.Ref     // ByProduct
}

func (g Group) same(o Group) bool {
	if (g.Stage == nil) != (o.Stage == nil) || g.Stage != nil && *g.Stage != *o.Stage {
		return false
	}
	return g.Owner == o.Owner && g.Period.Equal(o.Period) && g.Product == o.Product
}

// PipelineRow is one group of open opportunities.
type PipelineRow struct {
	Group
	Opportunities int64
	// Value is the sum of estimatedvalue, Weighted the sum of
	// weightedvalue (estimatedvalue × closeprobability / 100 of each
	// opportunity); the zero Money when no opportunity of the group has
	// one.
	Value, Weighted crm.Money
}

// WinRateRow is one group of closed opportunities.
type WinRateRow struct {
	Group
	Won, Lost int64
	// WonRevenue is the sum of actualvalue over the won opportunities.
	WonRevenue crm.Money
}

// Rate returns the share of the closed opportunities that were won, in
// per cent to two places (half away from zero); 0 when none closed.
func (r WinRateRow) Rate() decimal.Decimal { return percent(r.Won, r.Won+r.Lost) }

// DaysToCloseRow is one group of won opportunities.
type DaysToCloseRow struct {
	Group
	// Won counts the won opportunities with both dates.
	Won int64
	// AverageDays is the mean of the calendar days (UTC) from the start
	// date to actualclosedate, to two places.
	AverageDays decimal.Decimal
}

// ForecastRow is one owner's forecast for one quarter.
type ForecastRow struct {
	Owner   crm.Ref
	Quarter time.Time // its first day (UTC)
	// Won is the actual revenue of the opportunities won in the quarter
	// (actualclosedate); WeightedOpen the weighted revenue of the open
	// opportunities expected to close in it (estimatedclosedate);
	// Forecast their sum. The zero Money is none.
	Won, WeightedOpen, Forecast crm.Money
}

// StageStats are the figures of one sales stage over the stage history.
type StageStats struct {
	Stage SalesStage
	// Visits counts the ended visits of the stage; Converted those that
	// moved forward or were won.
	Visits, Converted int64
	// AverageDays is the mean time in the stage of the ended visits, to
	// two places.
	AverageDays decimal.Decimal
}

// ConversionRate returns the share of the stage's visits that moved
// forward or were won, in per cent to two places.
func (s StageStats) ConversionRate() decimal.Decimal { return percent(s.Converted, s.Visits) }

// percent returns n / of in per cent to two places; 0 when of is 0.
func percent(n, of int64) decimal.Decimal {
	if of == 0 {
		return decimal.Zero
	}
	return crm.DivRound(decimal.NewFromInt(n*100), decimal.NewFromInt(of), 2)
}

// money returns the field to sum for an amount: its base-currency field
// when the registry has a base currency, so that amounts of several
// currencies add up; else the field itself, whose sum over two currencies
// fails with crm.ErrCurrencyMismatch rather than mix them.
func (p *Pipeline) money(field string) string {
	if p.st.Registry().BaseCurrency() != "" {
		return crm.BaseField(field)
	}
	return field
}

const keyAlias = "key"

// groupBy returns the grouping of breakdown by, dated by dateField, or a
// validation error when the report (named op) does not take it.
func groupBy(op string, by By, dateField string, allowed ...By) ([]crm.GroupBy, error) {
	if by != Overall && !slices.Contains(allowed, by) {
		return nil, crm.Invalid(OpportunityEntity, "by", fmt.Sprintf("%s: %s reports are not by %s", by, op, by))
	}
	switch by {
	case ByStage:
		return []crm.GroupBy{{Alias: keyAlias, Field: OpportunitySalesStage}}, nil
	case ByOwner, ByTeam:
		return []crm.GroupBy{{Alias: keyAlias, Field: crm.FieldOwner}}, nil
	case ByMonth, ByQuarter:
		return []crm.GroupBy{{Alias: keyAlias, Field: dateField, Date: crm.ByMonth}}, nil
	case ByProduct:
		return []crm.GroupBy{{Alias: keyAlias, Field: OpportunityLineProduct}}, nil
	}
	return nil, nil
}

// groupOf returns the group of an aggregate row, and false for a row the
// breakdown leaves out (a user's, by team).
func groupOf(by By, r crm.AggregateRow) (Group, bool) {
	switch by {
	case ByStage:
		if v, ok := r.Choice(keyAlias); ok {
			s := SalesStage(v)
			return Group{Stage: &s}, true
		}
	case ByOwner:
		return Group{Owner: r.Ref(keyAlias)}, true
	case ByTeam:
		o := r.Ref(keyAlias)
		return Group{Owner: o}, o.Entity == crm.TeamEntity
	case ByMonth:
		return Group{Period: r.Time(keyAlias)}, true
	case ByQuarter:
		return Group{Period: quarterOf(r.Time(keyAlias))}, true
	case ByProduct:
		return Group{Product: r.Ref(keyAlias)}, true
	}
	return Group{}, true
}

// quarterOf returns the first day of t's calendar quarter (UTC); the zero
// time for the zero time.
func quarterOf(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	t = t.UTC()
	return time.Date(t.Year(), (t.Month()-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
}

// addMoney adds two sums, either of which may be the zero Money (none).
func addMoney(a, b crm.Money) (crm.Money, error) {
	switch {
	case b.Currency == "":
		return a, nil
	case a.Currency == "":
		return b, nil
	}
	return a.Add(b)
}

// fold runs the store's aggregate a for the report op and folds its rows
// into groups of by: rows of one group come one after the other (the
// store orders rows by their keys, and the key is the first), so each
// is added to the last group while they match.
func fold[T any](ctx context.Context, p *Pipeline, op string, by By, a crm.Aggregation,
	group func(*T) *Group, add func(*T, crm.AggregateRow) error) ([]T, error) {
	a.Entity = cmp.Or(a.Entity, OpportunityEntity)
	rows, err := p.st.Aggregate(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var out []T
	for _, r := range rows {
		g, ok := groupOf(by, r)
		if !ok {
			continue
		}
		if len(out) == 0 || !group(&out[len(out)-1]).same(g) {
			var v T
			*group(&v) = g
			out = append(out, v)
		}
		if err := add(&out[len(out)-1], r); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	return out, nil
}

func stateIs(s OpportunityState) crm.Condition { return crm.Eq(crm.FieldState, int32(s)) }

// Open returns the open pipeline: the open opportunities, their estimated
// revenue and their weighted revenue (sales.md §8: Σ estimatedvalue ×
// closeprobability / 100), by stage, owner, team, or the month or quarter
// of their estimated close date. Rows come in the order of their keys,
// the group of no key first.
func (p *Pipeline) Open(ctx context.Context, by By) ([]PipelineRow, error) {
	const op = "open pipeline"
	g, err := groupBy(op, by, OpportunityEstimatedCloseDate, ByStage, ByOwner, ByTeam, ByMonth, ByQuarter)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return fold(ctx, p, op, by, crm.Aggregation{
		Where:   stateIs(OpportunityStateOpen),
		GroupBy: g,
		Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount},
			{Alias: "value", Func: crm.AggSum, Field: p.money(OpportunityEstimatedValue)},
			{Alias: "weighted", Func: crm.AggSum, Field: p.money(OpportunityWeightedValue)}},
	}, func(r *PipelineRow) *Group { return &r.Group }, func(out *PipelineRow, r crm.AggregateRow) error {
		out.Opportunities += r.Int("n")
		v, _ := r.Money("value")
		w, _ := r.Money("weighted")
		var err1, err2 error
		out.Value, err1 = addMoney(out.Value, v)
		out.Weighted, err2 = addMoney(out.Weighted, w)
		return cmp.Or(err1, err2)
	})
}

// WinRate returns the won and lost opportunities and the won revenue by
// owner, team, the month or quarter of their actual close date, or
// product.
//
// ByProduct is one aggregate over the product lines (OpportunityLineEntity)
// of closed opportunities, grouped by product and by the state of the
// line's opportunity (a path through opportunityid): Won and Lost count
// the distinct opportunities with a line of the product, so a deal with
// lines of several products counts once for each of them, and two lines
// of one product count once; WonRevenue is the sum of the extended
// amounts of the product's lines on won opportunities, not the deals'
// actual revenue, which is not split by product. Write-in lines have no
// product and are left out; rows come in the order of the products' IDs.
func (p *Pipeline) WinRate(ctx context.Context, by By) ([]WinRateRow, error) {
	const op = "win rate"
	g, err := groupBy(op, by, OpportunityActualCloseDate, ByOwner, ByTeam, ByMonth, ByQuarter, ByProduct)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	closed := crm.In(crm.FieldState, int32(OpportunityStateWon), int32(OpportunityStateLost))
	a := crm.Aggregation{
		Where:   closed,
		GroupBy: append(g, crm.GroupBy{Alias: "state", Field: crm.FieldState}),
		Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount},
			{Alias: "revenue", Func: crm.AggSum, Field: p.money(OpportunityActualValue)}},
	}
	if by == ByProduct {
		through := []crm.Link{{Lookup: OpportunityLineOpportunity, Entity: OpportunityEntity}}
		a = crm.Aggregation{
			Entity: OpportunityLineEntity,
			Where: crm.And(crm.NotNull(OpportunityLineProduct),
				crm.Through(OpportunityLineOpportunity, OpportunityEntity, closed)),
			GroupBy: append(g, crm.GroupBy{Alias: "state", Field: crm.FieldState, Path: through}),
			Measures: []crm.Measure{{Alias: "n", Func: crm.AggCountDistinct, Field: OpportunityLineOpportunity},
				{Alias: "revenue", Func: crm.AggSum, Field: p.money(OpportunityLineExtendedAmount)}},
		}
	}
	return fold(ctx, p, op, by, a, func(r *WinRateRow) *Group { return &r.Group }, func(out *WinRateRow, r crm.AggregateRow) error {
		if s, _ := r.Choice("state"); OpportunityState(s) == OpportunityStateLost {
			out.Lost += r.Int("n")
			return nil
		}
		out.Won += r.Int("n")
		v, _ := r.Money("revenue")
		var err error
		out.WonRevenue, err = addMoney(out.WonRevenue, v)
		return err
	})
}

// DaysToClose returns the average calendar days (UTC) from a start date
// to the actual close date of won opportunities, overall or by owner,
// team, or the month or quarter of their close. since names the start: a
// time field of the opportunity, createdon when empty (an import may
// keep the original creation time, see storage.Store.Import).
// Opportunities with no start or close date are left out.
func (p *Pipeline) DaysToClose(ctx context.Context, by By, since string) ([]DaysToCloseRow, error) {
	const op = "days to close"
	g, err := groupBy(op, by, OpportunityActualCloseDate, ByOwner, ByTeam, ByMonth, ByQuarter)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	diff := crm.DaysBetween(cmp.Or(since, crm.FieldCreatedOn), OpportunityActualCloseDate)
	type acc struct {
		DaysToCloseRow
		days int64
	}
	rows, err := fold(ctx, p, op, by, crm.Aggregation{
		Where:   stateIs(OpportunityStateWon),
		GroupBy: g,
		// A sum and a count, not an average: months add up to quarters
		// exactly.
		Measures: []crm.Measure{{Alias: "days", Func: crm.AggSum, Diff: diff}, {Alias: "n", Func: crm.AggCountColumn, Diff: diff}},
	}, func(r *acc) *Group { return &r.Group }, func(out *acc, r crm.AggregateRow) error {
		out.days += r.Int("days")
		out.Won += r.Int("n")
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]DaysToCloseRow, 0, len(rows))
	for _, r := range rows {
		if r.Won > 0 {
			r.AverageDays = crm.DivRound(decimal.NewFromInt(r.days), decimal.NewFromInt(r.Won), 2)
		}
		out = append(out, r.DaysToCloseRow)
	}
	return out, nil
}

// Forecast returns, per owner, the forecast of the current calendar
// quarter (UTC, from the store's clock) and the next: the revenue won in
// the quarter plus the weighted revenue of the open opportunities
// expected to close in it. Rows are ordered by owner, then quarter; an
// owner with nothing in a quarter has no row for it.
func (p *Pipeline) Forecast(ctx context.Context) ([]ForecastRow, error) {
	const op = "forecast"
	first := quarterOf(p.st.Now(ctx))
	end := first.AddDate(0, 6, 0)
	type part struct {
		state         OpportunityState
		date, measure string
		set           func(*ForecastRow, crm.Money)
	}
	parts := []part{
		{OpportunityStateWon, OpportunityActualCloseDate, OpportunityActualValue, func(r *ForecastRow, m crm.Money) { r.Won = m }},
		{OpportunityStateOpen, OpportunityEstimatedCloseDate, OpportunityWeightedValue, func(r *ForecastRow, m crm.Money) { r.WeightedOpen = m }},
	}
	byKey := map[[2]any]*ForecastRow{}
	var out []*ForecastRow
	for _, pt := range parts {
		// The owner first, then the month: the months of one quarter
		// add up in one row.
		rows, err := fold(ctx, p, op, ByQuarter, crm.Aggregation{
			Where: crm.And(stateIs(pt.state), crm.Ge(pt.date, first), crm.Lt(pt.date, end)),
			GroupBy: []crm.GroupBy{{Alias: keyAlias, Field: pt.date, Date: crm.ByMonth},
				{Alias: "owner", Field: crm.FieldOwner}},
			Measures: []crm.Measure{{Alias: "sum", Func: crm.AggSum, Field: p.money(pt.measure)}},
		}, func(r *ownerSum) *Group { return &r.Group }, func(out *ownerSum, r crm.AggregateRow) error {
			m, _ := r.Money("sum")
			return out.add(r.Ref("owner"), m)
		})
		if err != nil {
			return nil, err
		}
		for _, q := range rows {
			for _, o := range q.owners {
				k := [2]any{o.owner, q.Period}
				row := byKey[k]
				if row == nil {
					row = &ForecastRow{Owner: o.owner, Quarter: q.Period}
					byKey[k] = row
					out = append(out, row)
				}
				pt.set(row, o.sum)
			}
		}
	}
	res := make([]ForecastRow, len(out))
	for i, r := range out {
		f, err := addMoney(r.Won, r.WeightedOpen)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		r.Forecast = f
		res[i] = *r
	}
	slices.SortFunc(res, func(a, b ForecastRow) int {
		return cmp.Or(cmp.Compare(a.Owner.Entity, b.Owner.Entity), bytes.Compare(a.Owner.ID[:], b.Owner.ID[:]), a.Quarter.Compare(b.Quarter))
	})
	return res, nil
}

// ownerSum is one quarter's sums by owner, in the order owners come.
type ownerSum struct {
	Group
	owners []struct {
		owner crm.Ref
		sum   crm.Money
	}
}

func (q *ownerSum) add(owner crm.Ref, m crm.Money) error {
	for i := range q.owners {
		if q.owners[i].owner == owner {
			s, err := addMoney(q.owners[i].sum, m)
			q.owners[i].sum = s
			return err
		}
	}
	q.owners = append(q.owners, struct {
		owner crm.Ref
		sum   crm.Money
	}{owner, m})
	return nil
}

// Stages returns, for each sales stage with ended visits, in stage order,
// how many visits ended, how many of them moved forward or were won
// (StageStats.ConversionRate), and the average days spent in it: one
// aggregate over the stage history (StageHistoryEntity). The visit an
// opportunity is in now has not ended and does not count.
func (p *Pipeline) Stages(ctx context.Context) ([]StageStats, error) {
	const op = "stage report"
	rows, err := p.st.Aggregate(ctx, crm.Aggregation{
		Entity:  StageHistoryEntity,
		GroupBy: []crm.GroupBy{{Alias: "stage", Field: StageHistoryStage}, {Alias: "direction", Field: StageHistoryDirection}},
		Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount},
			{Alias: "days", Func: crm.AggSum, Field: StageHistoryDays}},
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var out []StageStats
	var days decimal.Decimal
	finish := func() {
		if n := len(out); n > 0 && out[n-1].Visits > 0 {
			out[n-1].AverageDays = crm.DivRound(days, decimal.NewFromInt(out[n-1].Visits), 2)
		}
	}
	for _, r := range rows {
		s, _ := r.Choice("stage")
		if len(out) == 0 || out[len(out)-1].Stage != SalesStage(s) {
			finish()
			out, days = append(out, StageStats{Stage: SalesStage(s)}), decimal.Zero
		}
		cur := &out[len(out)-1]
		cur.Visits += r.Int("n")
		if d, ok := r.Decimal("days"); ok {
			days = days.Add(d)
		}
		if dir, _ := r.Choice("direction"); StageDirection(dir) == StageForward || StageDirection(dir) == StageClosedWon {
			cur.Converted += r.Int("n")
		}
	}
	finish()
	return out, nil
}
