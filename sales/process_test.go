package sales_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/internal/crmtest"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
)

// processEnv is one store of the sales entities with the default
// process over it and a clock the test moves.
type processEnv struct {
	ctx   context.Context
	st    *storage.Store
	clock *crm.ManualClock
	opps  *sales.Opportunities
	procs *sales.Processes
	pipe  *sales.Pipeline
}

func newProcessEnv(t *testing.T, b backend, wrap func(driver.Driver) driver.Driver, opts ...storage.Option) *processEnv {
	t.Helper()
	clock := crm.NewManualClock(start)
	st := b.store(t, wrap, append(opts, storage.WithClock(clock))...)
	procs, err := sales.NewProcesses(st, sales.DefaultProcess())
	require.NoError(t, err)
	return &processEnv{ctx: crm.AsSystem(context.Background()), st: st, clock: clock,
		opps: sales.NewOpportunities(st), procs: procs, pipe: sales.NewPipeline(st)}
}

// opportunity creates an open opportunity with an estimated revenue, in
// stage (nil: none).
func (e *processEnv) opportunity(t *testing.T, value string, stage *sales.SalesStage) sales.Opportunity {
	t.Helper()
	o, err := e.opps.Create(e.ctx, sales.Opportunity{Name: "Deal", EstimatedValue: sales.Ptr(crm.MustMoney(value)), SalesStage: stage})
	require.NoError(t, err)
	return o
}

func (e *processEnv) move(t *testing.T, opp sales.Opportunity, to sales.SalesStage) sales.Opportunity {
	t.Helper()
	out, err := e.procs.MoveStage(e.ctx, sales.StageMove{Opportunity: opp.ID, Version: opp.Version, Stage: to})
	require.NoError(t, err)
	return out
}

// history returns an opportunity's stage visits, oldest first.
func (e *processEnv) history(t *testing.T, opp crm.ID) []crm.Record {
	t.Helper()
	p, err := e.st.Query(e.ctx, crm.Query{Entity: sales.StageHistoryEntity,
		Where:   crm.Eq(sales.StageHistoryOpportunity, crm.Ref{Entity: sales.OpportunityEntity, ID: opp}),
		OrderBy: []crm.Order{crm.Asc(sales.StageHistoryLeftOn), crm.Asc(crm.FieldCreatedOn)}})
	require.NoError(t, err)
	return p.Records
}

func onEveryStore(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}

func TestProcessValidate(t *testing.T) {
	require.NoError(t, sales.DefaultProcess().Validate())
	stage := func(name string, s sales.SalesStage, p int64) sales.ProcessStage {
		return sales.ProcessStage{Name: name, SalesStage: s, Probability: p}
	}
	for _, c := range []struct {
		name    string
		process sales.Process
		field   string
	}{
		{"a name is required", sales.Process{Stages: []sales.ProcessStage{stage("A", 0, 10)}}, "name"},
		{"stages are required", sales.Process{Name: "P"}, "stages"},
		{"a stage has a name", sales.Process{Name: "P", Stages: []sales.ProcessStage{stage("", 0, 10)}}, "stages[0]"},
		{"a sales stage is used once", sales.Process{Name: "P", Stages: []sales.ProcessStage{stage("A", 1, 10), stage("B", 1, 20)}}, "stages[1]"},
		{"a sales stage is one of the four", sales.Process{Name: "P", Stages: []sales.ProcessStage{stage("A", 7, 10)}}, "stages[0]"},
		{"a probability is 0..100", sales.Process{Name: "P", Stages: []sales.ProcessStage{stage("A", 0, 101)}}, "stages[0]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			requireInvalid(t, c.process.Validate(), c.field)
			_, err := sales.NewProcesses(nil, c.process)
			requireInvalid(t, err, c.field)
		})
	}
	p := sales.DefaultProcess()
	require.Equal(t, []string{"1-Qualify", "2-Develop", "3-Propose", "4-Close"},
		[]string{p.StepName(0), p.StepName(1), p.StepName(2), p.StepName(3)})
}

func TestMoveStage(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		t.Run("forward sets the stage, its phase and probability, and records the visit left", func(t *testing.T) {
			e := newProcessEnv(t, b, nil)
			opp := e.opportunity(t, "50000.00 USD", sales.Ptr(sales.SalesStageQualify))
			e.clock.Advance(36 * time.Hour)
			out := e.move(t, opp, sales.SalesStageDevelop)
			require.Equal(t, sales.SalesStageDevelop, *out.SalesStage)
			require.Equal(t, "2-Develop", out.StepName)
			require.EqualValues(t, 40, *out.Probability)
			require.True(t, out.WeightedValue.Equal(crm.MustMoney("20000 USD")), "weighted %s", out.WeightedValue)
			require.True(t, out.StageStartedOn.Equal(start.Add(36*time.Hour)))
			stored, err := e.opps.Get(e.ctx, opp.ID)
			require.NoError(t, err)
			require.Equal(t, stored, out, "MoveStage returns the opportunity as stored")

			h := e.history(t, opp.ID)
			require.Len(t, h, 1)
			v := h[0].Fields
			st, _ := v.Choice(sales.StageHistoryStage)
			require.EqualValues(t, sales.SalesStageQualify, st)
			dir, _ := v.Choice(sales.StageHistoryDirection)
			require.EqualValues(t, sales.StageForward, dir)
			require.True(t, v.Time(sales.StageHistoryEnteredOn).Equal(start), "entered at creation")
			require.True(t, v.Time(sales.StageHistoryLeftOn).Equal(start.Add(36*time.Hour)))
			require.Equal(t, "1.5", v.Decimal(sales.StageHistoryDays).String())
			require.Equal(t, opp.Owner, h[0].Owner, "the visit is the opportunity owner's")
		})

		t.Run("back records a backward visit that began with the last move", func(t *testing.T) {
			e := newProcessEnv(t, b, nil)
			opp := e.opportunity(t, "10.00 USD", sales.Ptr(sales.SalesStageQualify))
			e.clock.Advance(time.Hour)
			opp = e.move(t, opp, sales.SalesStagePropose)
			e.clock.Advance(6 * time.Hour)
			opp = e.move(t, opp, sales.SalesStageDevelop)
			require.Equal(t, "2-Develop", opp.StepName)
			h := e.history(t, opp.ID)
			require.Len(t, h, 2)
			dir, _ := h[1].Fields.Choice(sales.StageHistoryDirection)
			require.EqualValues(t, sales.StageBack, dir)
			require.Equal(t, "3-Propose", h[1].Fields.String(sales.StageHistoryStepName))
			require.True(t, h[1].Fields.Time(sales.StageHistoryEnteredOn).Equal(start.Add(time.Hour)))
			require.Equal(t, "0.25", h[1].Fields.Decimal(sales.StageHistoryDays).String())
		})

		t.Run("a given probability wins over the stage's default", func(t *testing.T) {
			e := newProcessEnv(t, b, nil)
			opp := e.opportunity(t, "10.00 USD", nil)
			out, err := e.procs.MoveStage(e.ctx, sales.StageMove{Opportunity: opp.ID, Version: opp.Version,
				Stage: sales.SalesStagePropose, Probability: sales.Ptr[int64](75)})
			require.NoError(t, err)
			require.EqualValues(t, 75, *out.Probability)
			require.Empty(t, e.history(t, opp.ID), "an opportunity with no stage ends no visit")
		})

		t.Run("refusals change nothing", func(t *testing.T) {
			e := newProcessEnv(t, b, nil)
			opp := e.opportunity(t, "10.00 USD", sales.Ptr(sales.SalesStageDevelop))
			move := func(m sales.StageMove) error {
				_, err := e.procs.MoveStage(e.ctx, m)
				return err
			}
			requireInvalid(t, move(sales.StageMove{Opportunity: opp.ID, Version: opp.Version, Stage: sales.SalesStageDevelop}), sales.OpportunitySalesStage)
			requireInvalid(t, move(sales.StageMove{Opportunity: opp.ID, Version: opp.Version, Stage: sales.SalesStagePropose,
				Probability: sales.Ptr[int64](101)}), sales.OpportunityProbability)
			require.ErrorIs(t, move(sales.StageMove{Opportunity: opp.ID, Version: opp.Version + 1, Stage: sales.SalesStageClose}), crm.ErrConflict)
			require.ErrorIs(t, move(sales.StageMove{Opportunity: crm.NewID(), Version: 1, Stage: sales.SalesStageClose}), crm.ErrNotFound)

			short, err := sales.NewProcesses(e.st, sales.Process{Name: "Short", Stages: []sales.ProcessStage{
				{Name: "Talk", SalesStage: sales.SalesStageQualify, Probability: 20}, {Name: "Sign", SalesStage: sales.SalesStageClose, Probability: 90}}})
			require.NoError(t, err)
			_, err = short.MoveStage(e.ctx, sales.StageMove{Opportunity: opp.ID, Version: opp.Version, Stage: sales.SalesStagePropose})
			requireInvalid(t, err, sales.OpportunitySalesStage)

			won, err := e.st.Import(e.ctx, []crm.Record{{Entity: sales.OpportunityEntity, Header: crm.Header{State: 1},
				Fields: crm.Fields{sales.OpportunityName: "Won", sales.OpportunitySalesStage: int32(sales.SalesStageClose)}}}, storage.ImportOptions{})
			require.NoError(t, err)
			err = move(sales.StageMove{Opportunity: won[0].Record.ID, Version: won[0].Record.Version, Stage: sales.SalesStagePropose})
			var terr *crm.TransitionError
			require.ErrorAs(t, err, &terr, "a won opportunity is read-only")

			after, err := e.opps.Get(e.ctx, opp.ID)
			require.NoError(t, err)
			require.Equal(t, opp, after)
			require.Empty(t, e.history(t, opp.ID))
		})

		t.Run("a hook sees the operation by name and can stop it", func(t *testing.T) {
			e := newProcessEnv(t, b, nil)
			opp := e.opportunity(t, "10.00 USD", sales.Ptr(sales.SalesStageQualify))
			stop := errors.New("no moves on Fridays")
			require.NoError(t, e.st.HookMessage(sales.MessageSetOpportunityStage, storage.PreOperation,
				func(_ context.Context, x *storage.Execution) error {
					if x.Inputs[sales.InputStage] == sales.SalesStageClose {
						return stop
					}
					return nil
				}))
			_, err := e.procs.MoveStage(e.ctx, sales.StageMove{Opportunity: opp.ID, Version: opp.Version, Stage: sales.SalesStageClose})
			require.ErrorIs(t, err, stop)
			require.Empty(t, e.history(t, opp.ID))
			e.move(t, opp, sales.SalesStageDevelop)
		})
	})
}

func TestSalesStageChangesOnlyThroughTheProcess(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		e := newProcessEnv(t, b, nil)
		opp := e.opportunity(t, "10.00 USD", sales.Ptr(sales.SalesStageQualify))
		t.Run("a plain update of the stage is refused", func(t *testing.T) {
			_, err := e.st.Update(e.ctx, crm.Record{Entity: sales.OpportunityEntity, Header: opp.Header,
				Fields: crm.Fields{sales.OpportunitySalesStage: int32(sales.SalesStageClose)}})
			requireInvalid(t, err, sales.OpportunitySalesStage)
			_, err = e.st.Update(e.ctx, crm.Record{Entity: sales.OpportunityEntity, Header: opp.Header,
				Fields: crm.Fields{sales.OpportunityStageStartedOn: start}})
			requireInvalid(t, err, sales.OpportunityStageStartedOn)
			typed := opp
			typed.SalesStage = sales.Ptr(sales.SalesStageClose)
			_, err = e.opps.Update(e.ctx, typed)
			requireInvalid(t, err, sales.OpportunitySalesStage)
		})
		t.Run("other fields still update", func(t *testing.T) {
			out, err := e.st.Update(e.ctx, crm.Record{Entity: sales.OpportunityEntity, Header: opp.Header,
				Fields: crm.Fields{sales.OpportunityProbability: int64(30), sales.OpportunitySalesStage: int32(sales.SalesStageQualify)}})
			require.NoError(t, err, "repeating the stored stage changes nothing")
			opp.Header = out.Header
		})
		t.Run("stage visits cannot be made up", func(t *testing.T) {
			_, err := e.st.Create(e.ctx, crm.Record{Entity: sales.StageHistoryEntity, Fields: crm.Fields{
				sales.StageHistoryOpportunity: crm.Ref{Entity: sales.OpportunityEntity, ID: opp.ID},
				sales.StageHistoryStage:       int32(sales.SalesStageQualify),
				sales.StageHistoryEnteredOn:   start, sales.StageHistoryLeftOn: start,
				sales.StageHistoryDirection: int32(sales.StageForward)}})
			requireInvalid(t, err, sales.StageHistoryOpportunity)
		})
	})
}

func TestMoveStageIsAtomic(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		var fd *crmtest.FailingDriver
		e := newProcessEnv(t, b, func(d driver.Driver) driver.Driver { fd = crmtest.NewFailingDriver(d); return fd })
		opp := e.opportunity(t, "10.00 USD", sales.Ptr(sales.SalesStageQualify))
		for n := 1; ; n++ {
			fd.FailAt(n)
			_, err := e.procs.MoveStage(e.ctx, sales.StageMove{Opportunity: opp.ID, Version: opp.Version, Stage: sales.SalesStageDevelop})
			writes := fd.Writes()
			fd.FailAt(0)
			if err == nil {
				require.Equal(t, 3, n, "the opportunity and its visit are two writes")
				require.Equal(t, 2, writes)
				break
			}
			require.ErrorIs(t, err, crmtest.ErrInjected, "write %d", n)
			got, err := e.opps.Get(e.ctx, opp.ID)
			require.NoError(t, err)
			require.Equal(t, opp, got, "write %d failed: the opportunity is as it was", n)
			require.Empty(t, e.history(t, opp.ID), "write %d failed: no visit is left", n)
		}
		require.Len(t, e.history(t, opp.ID), 1)
	})
}

func TestStageReport(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		e := newProcessEnv(t, b, nil)
		// Three opportunities through Qualify: two move on after one and
		// three days, one is sent back from Develop after two days.
		a := e.opportunity(t, "10.00 USD", sales.Ptr(sales.SalesStageQualify))
		c := e.opportunity(t, "10.00 USD", sales.Ptr(sales.SalesStageQualify))
		e.clock.Advance(24 * time.Hour)
		a = e.move(t, a, sales.SalesStageDevelop)
		e.clock.Advance(48 * time.Hour)
		c = e.move(t, c, sales.SalesStageDevelop)
		a = e.move(t, a, sales.SalesStageQualify)
		_ = c
		rows, err := e.pipe.Stages(e.ctx)
		require.NoError(t, err)
		require.Len(t, rows, 2)
		require.Equal(t, sales.SalesStageQualify, rows[0].Stage)
		require.EqualValues(t, 2, rows[0].Visits)
		require.EqualValues(t, 2, rows[0].Converted)
		require.Equal(t, "2", rows[0].AverageDays.String(), "(1 + 3) / 2 days")
		require.Equal(t, "100", rows[0].ConversionRate().String())
		require.Equal(t, sales.SalesStageDevelop, rows[1].Stage)
		require.EqualValues(t, 1, rows[1].Visits)
		require.Zero(t, rows[1].Converted, "sent back")
		require.Equal(t, "2", rows[1].AverageDays.String())
		require.True(t, rows[1].ConversionRate().Equal(decimal.Zero))
	})
}
