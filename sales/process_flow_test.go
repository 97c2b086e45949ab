package sales_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/activity"
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
)

// The sales pipeline end to end through the typed services: a lead
// qualified into the process, opportunities moved, won, lost and
// reopened, and the stage history they leave.

// visit is a stage history record, as the tests compare it.
type visit struct {
	stage    sales.SalesStage
	stepName string
	dir      sales.StageDirection
	entered  time.Time
	left     time.Time
	days     string
}

// visits returns an opportunity's stage visits, oldest first.
func (e *processEnv) visits(t *testing.T, opp crm.ID) []visit {
	t.Helper()
	var out []visit
	for _, r := range e.history(t, opp) {
		stage, _ := r.Fields.Choice(sales.StageHistoryStage)
		dir, _ := r.Fields.Choice(sales.StageHistoryDirection)
		out = append(out, visit{stage: sales.SalesStage(stage), stepName: r.Fields.String(sales.StageHistoryStepName),
			dir: sales.StageDirection(dir), entered: r.Fields.Time(sales.StageHistoryEnteredOn).UTC(),
			left: r.Fields.Time(sales.StageHistoryLeftOn).UTC(), days: r.Fields.Decimal(sales.StageHistoryDays).String()})
	}
	return out
}

// at returns the test's start plus d.
func at(d time.Duration) time.Time { return start.Add(d) }

const day24 = 24 * time.Hour

func TestQualifyEntersTheProcess(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		e := newProcessEnv(t, b, nil)
		leads := sales.NewLeads(e.st)
		qualify := func(t *testing.T, opts sales.QualifyOptions) (sales.Lead, sales.QualifyResult, error) {
			t.Helper()
			l, err := leads.Create(e.ctx, sales.Lead{Subject: "Trucks", LastName: "McKay",
				EstimatedAmount: sales.Ptr(crm.MustMoney("1000.00 USD"))})
			require.NoError(t, err)
			acme, err := sales.NewAccounts(e.st).Create(e.ctx, sales.Account{Name: "Acme " + l.ID.String()})
			require.NoError(t, err)
			opts.CreateOpportunity, opts.OpportunityCustomer = true, acme.Ref()
			e.clock.Advance(3 * day24)
			res, err := leads.Qualify(e.ctx, l.ID, l.Version, opts)
			return l, res, err
		}

		t.Run("the default process: Develop, and the lead's Qualify visit in the history", func(t *testing.T) {
			l, res, err := qualify(t, sales.QualifyOptions{})
			require.NoError(t, err)
			now := e.clock.Now()
			o, err := e.opps.Get(e.ctx, res.Opportunity.ID)
			require.NoError(t, err)
			require.Equal(t, sales.SalesStageDevelop, *o.SalesStage)
			require.Equal(t, "2-Develop", o.StepName)
			require.EqualValues(t, 40, *o.Probability, "Develop's default probability")
			require.True(t, o.WeightedValue.Equal(crm.MustMoney("400.00 USD")), "%v", o.WeightedValue)
			require.True(t, o.StageStartedOn.Equal(now), "Develop starts at the qualification")
			require.Equal(t, []visit{{sales.SalesStageQualify, "1-Qualify", sales.StageForward, l.CreatedOn.UTC(), now, "3"}},
				e.visits(t, o.ID), "Qualify ran from the lead's creation to its qualification")
			h := e.history(t, o.ID)
			require.Equal(t, o.Owner, h[0].Owner, "the visit is the opportunity owner's")

			stages, err := e.pipe.Stages(e.ctx)
			require.NoError(t, err)
			require.Len(t, stages, 1)
			require.Equal(t, sales.StageStats{Stage: sales.SalesStageQualify, Visits: 1, Converted: 1, AverageDays: stages[0].AverageDays}, stages[0])
			require.Equal(t, "3", stages[0].AverageDays.String(), "average days in Qualify counts the lead's time")

			e.clock.Advance(day24 / 2)
			o = e.move(t, o, sales.SalesStagePropose)
			v := e.visits(t, o.ID)
			require.Len(t, v, 2)
			require.Equal(t, visit{sales.SalesStageDevelop, "2-Develop", sales.StageForward, now, now.Add(day24 / 2), "0.5"}, v[1],
				"the Develop visit began at the qualification")
		})

		t.Run("another process: its second stage", func(t *testing.T) {
			short := &sales.Process{Name: "Short", Stages: []sales.ProcessStage{
				{Name: "Talk", SalesStage: sales.SalesStageQualify, Probability: 20},
				{Name: "Sign", SalesStage: sales.SalesStageClose, Probability: 90}}}
			_, res, err := qualify(t, sales.QualifyOptions{Process: short})
			require.NoError(t, err)
			o, err := e.opps.Get(e.ctx, res.Opportunity.ID)
			require.NoError(t, err)
			require.Equal(t, sales.SalesStageClose, *o.SalesStage)
			require.Equal(t, "2-Sign", o.StepName)
			require.EqualValues(t, 90, *o.Probability)
			v := e.visits(t, o.ID)
			require.Len(t, v, 1)
			require.Equal(t, "1-Talk", v[0].stepName)
		})

		t.Run("the zero process opts out: no stage, no visit", func(t *testing.T) {
			_, res, err := qualify(t, sales.QualifyOptions{Process: &sales.Process{}})
			require.NoError(t, err)
			o, err := e.opps.Get(e.ctx, res.Opportunity.ID)
			require.NoError(t, err)
			require.Nil(t, o.SalesStage)
			require.Empty(t, o.StepName)
			require.Nil(t, o.Probability)
			require.True(t, o.StageStartedOn.IsZero())
			require.Empty(t, e.visits(t, o.ID))
		})

		t.Run("a process with no stage after the lead's is refused, writing nothing", func(t *testing.T) {
			before := qualifyCounts(t, e.ctx, e.st)
			for _, p := range []*sales.Process{
				{Name: "One", Stages: []sales.ProcessStage{{Name: "Qualify", SalesStage: sales.SalesStageQualify, Probability: 10}}},
				{Name: "Bad", Stages: []sales.ProcessStage{{Name: "A", SalesStage: 9}, {Name: "B", SalesStage: sales.SalesStageClose}}},
			} {
				l, _, err := qualify(t, sales.QualifyOptions{Process: p})
				requireInvalid(t, err, sales.QualifyInputProcess)
				got, err := leads.Get(e.ctx, l.ID)
				require.NoError(t, err)
				require.Equal(t, l, got)
			}
			after := qualifyCounts(t, e.ctx, e.st)
			after[sales.AccountEntity] -= 2 // the customers qualify made for the test
			require.Equal(t, before, after)
		})

		t.Run("a probability the lead map gives wins over the stage's default", func(t *testing.T) {
			const custom = "new_probability"
			require.NoError(t, e.st.AddFields(e.ctx, sales.LeadEntity,
				crm.Field{Name: custom, Label: "Probability", Type: crm.TypeInteger}))
			leads := sales.NewLeads(e.st)
			require.NoError(t, leads.MapField(sales.OpportunityEntity, custom, sales.OpportunityProbability))
			acme, err := sales.NewAccounts(e.st).Create(e.ctx, sales.Account{Name: "Mapped"})
			require.NoError(t, err)
			l, err := leads.Create(e.ctx, sales.Lead{Subject: "T", LastName: "P", Extra: crm.Fields{custom: int64(65)}})
			require.NoError(t, err)
			res, err := leads.Qualify(e.ctx, l.ID, l.Version, sales.QualifyOptions{CreateOpportunity: true, OpportunityCustomer: acme.Ref()})
			require.NoError(t, err)
			o, err := e.opps.Get(e.ctx, res.Opportunity.ID)
			require.NoError(t, err)
			require.EqualValues(t, 65, *o.Probability)
			require.Equal(t, sales.SalesStageDevelop, *o.SalesStage)
		})
	})
}

func TestCloseAndReopenKeepTheStageHistory(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		e := newProcessEnv(t, b, nil)
		competitor, err := sales.NewCompetitors(e.st).Create(e.ctx, sales.Competitor{Name: "Rival"})
		require.NoError(t, err)
		newDeal := func() sales.Opportunity {
			return e.move(t, e.opportunity(t, "1000.00 USD", nil), sales.SalesStageQualify)
		}

		// won: Qualify 1 day, Develop 2 days, then won.
		won := newDeal()
		e.clock.Advance(day24)
		won = e.move(t, won, sales.SalesStageDevelop)
		e.clock.Advance(2 * day24)
		w, _, err := e.opps.Win(e.ctx, won.ID, won.Version, sales.WinOptions{})
		require.NoError(t, err)
		require.Equal(t, []visit{
			{sales.SalesStageQualify, "1-Qualify", sales.StageForward, at(0), at(day24), "1"},
			{sales.SalesStageDevelop, "2-Develop", sales.StageClosedWon, at(day24), at(3 * day24), "2"},
		}, e.visits(t, won.ID), "winning ends the Develop visit")
		require.Equal(t, sales.SalesStageDevelop, *w.SalesStage, "the stage stays as it was won")

		// lost: created at 3 days, lost in Qualify 1.5 days later, reopened
		// a day after that and moved on half a day later.
		lost := newDeal()
		e.clock.Advance(day24 + day24/2)
		l, _, err := e.opps.Lose(e.ctx, lost.ID, lost.Version, sales.LoseOptions{Competitor: competitor.ID})
		require.NoError(t, err)
		require.Equal(t, []visit{{sales.SalesStageQualify, "1-Qualify", sales.StageClosedLost, at(3 * day24), at(4*day24 + day24/2), "1.5"}},
			e.visits(t, lost.ID))
		e.clock.Advance(day24)
		reopenedAt := e.clock.Now()
		r, err := e.opps.Reopen(e.ctx, l.ID, l.Version)
		require.NoError(t, err)
		require.True(t, r.StageStartedOn.Equal(reopenedAt))
		require.Len(t, e.visits(t, lost.ID), 1, "reopening ends no visit")
		e.clock.Advance(day24 / 2)
		e.move(t, r, sales.SalesStageDevelop)
		v := e.visits(t, lost.ID)
		require.Len(t, v, 2)
		require.Equal(t, visit{sales.SalesStageQualify, "1-Qualify", sales.StageForward, reopenedAt, reopenedAt.Add(day24 / 2), "0.5"}, v[1],
			"the visit after the reopen starts at the reopen: the time closed is not time in the stage")

		stages, err := e.pipe.Stages(e.ctx)
		require.NoError(t, err)
		require.Len(t, stages, 2)
		require.Equal(t, sales.SalesStageQualify, stages[0].Stage)
		require.EqualValues(t, 3, stages[0].Visits, "moved on, lost, moved on after the reopen")
		require.EqualValues(t, 2, stages[0].Converted)
		require.Equal(t, "1", stages[0].AverageDays.String(), "(1 + 1.5 + 0.5) / 3")
		require.Equal(t, sales.SalesStageDevelop, stages[1].Stage)
		require.EqualValues(t, 1, stages[1].Visits)
		require.EqualValues(t, 1, stages[1].Converted, "won counts as converted")
		require.Equal(t, "2", stages[1].AverageDays.String())
	})
}

// TestConcurrentWin wins one opportunity from two goroutines at once,
// with its version and with any version: exactly one win succeeds, and
// the opportunity has exactly one close activity and one Closed Won visit.
func TestConcurrentWin(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		e := newProcessEnv(t, b, nil, storage.WithRetries(5))
		for round := range 4 {
			o := e.move(t, e.opportunity(t, "1000.00 USD", nil), sales.SalesStageQualify)
			version := o.Version
			if round%2 == 1 {
				version = storage.AnyVersion
			}
			requireOneWins(t, fmt.Sprintf("round %d", round), func() error {
				_, _, err := e.opps.Win(e.ctx, o.ID, version, sales.WinOptions{})
				return err
			})
			got, err := e.opps.Get(e.ctx, o.ID)
			require.NoError(t, err)
			require.Equal(t, sales.OpportunityStateWon, got.OpportunityState())
			closes, err := e.opps.Closes(e.ctx, o.ID)
			require.NoError(t, err)
			require.Len(t, closes, 1, "round %d: one close activity", round)
			require.Equal(t, activity.OpportunityClose, closes[0].Type)
			v := e.visits(t, o.ID)
			require.Len(t, v, 1, "round %d: one visit ended", round)
			require.Equal(t, sales.StageClosedWon, v[0].dir)
		}
	})
}
