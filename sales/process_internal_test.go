package sales

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/internal/stores"
	"github.com/crmkit/crmkit/storage"
)

// TestEndStageVisit runs endStageVisit as Opportunities.Win and Lose are to
// call it: inside their operation, with the opportunity as read before it
// closes.
func TestEndStageVisit(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, b := range stores.All("crmkit_visit_") {
		t.Run(b.Name, func(t *testing.T) {
			reg := crm.NewRegistry()
			require.NoError(t, Register(reg))
			clock := crm.NewManualClock(start)
			st := storage.New(b.Open(t, reg), reg, storage.WithClock(clock))
			ctx := crm.AsSystem(context.Background())
			procs, err := NewProcesses(st, DefaultProcess())
			require.NoError(t, err)
			create := func(stage *SalesStage) crm.Record {
				f := crm.Fields{OpportunityName: "Deal"}
				if stage != nil {
					f[OpportunitySalesStage] = int32(*stage)
				}
				rec, err := st.Create(ctx, crm.Record{Entity: OpportunityEntity, Fields: f})
				require.NoError(t, err)
				return rec
			}
			close := func(opp crm.Record, message, event string, outcome crm.StateCode) error {
				return st.Execute(ctx, message, nil, func(ctx context.Context, _ *storage.Execution) error {
					before, err := st.Lock(ctx, OpportunityEntity, opp.ID)
					if err != nil {
						return err
					}
					if _, err := st.ChangeState(ctx, opp.Ref(), storage.StateChange{Event: event, Version: before.Version}); err != nil {
						return err
					}
					return endStageVisit(ctx, st, before, outcome)
				})
			}
			visits := func(opp crm.Record) []crm.Record {
				p, err := st.Query(ctx, crm.Query{Entity: StageHistoryEntity, Where: crm.Eq(StageHistoryOpportunity, opp.Ref()),
					OrderBy: []crm.Order{crm.Asc(StageHistoryLeftOn)}})
				require.NoError(t, err)
				return p.Records
			}

			won := create(Ptr(SalesStageQualify))
			clock.Advance(24 * time.Hour)
			moved, err := procs.MoveStage(ctx, StageMove{Opportunity: won.ID, Version: won.Version, Stage: SalesStagePropose})
			require.NoError(t, err)
			won.Version = moved.Version
			clock.Advance(12 * time.Hour)
			require.NoError(t, close(won, MessageWinOpportunity, EventWin, crm.StateCode(OpportunityStateWon)))
			h := visits(won)
			require.Len(t, h, 2)
			last := h[1].Fields
			stage, _ := last.Choice(StageHistoryStage)
			dir, _ := last.Choice(StageHistoryDirection)
			require.EqualValues(t, SalesStagePropose, stage)
			require.EqualValues(t, StageClosedWon, dir)
			require.Equal(t, "0.5", last.Decimal(StageHistoryDays).String(), "from the move to the win")
			require.Equal(t, "3-Propose", last.String(StageHistoryStepName))

			lost := create(Ptr(SalesStageDevelop))
			clock.Advance(72 * time.Hour)
			require.NoError(t, close(lost, MessageLoseOpportunity, EventLose, crm.StateCode(OpportunityStateLost)))
			h = visits(lost)
			require.Len(t, h, 1)
			dir, _ = h[0].Fields.Choice(StageHistoryDirection)
			require.EqualValues(t, StageClosedLost, dir)
			require.Equal(t, "3", h[0].Fields.Decimal(StageHistoryDays).String(), "from the creation to the loss")

			none := create(nil)
			require.NoError(t, close(none, MessageWinOpportunity, EventWin, crm.StateCode(OpportunityStateWon)))
			require.Empty(t, visits(none), "no stage, no visit")

			open := create(Ptr(SalesStageDevelop))
			err = st.Execute(ctx, MessageWinOpportunity, nil, func(ctx context.Context, _ *storage.Execution) error {
				return endStageVisit(ctx, st, open, crm.StateCode(OpportunityStateOpen))
			})
			require.ErrorIs(t, err, crm.ErrValidation, "open is not an outcome")
			err = endStageVisit(ctx, st, open, crm.StateCode(OpportunityStateWon))
			require.ErrorIs(t, err, crm.ErrValidation, "outside the closing operations the history refuses the visit")
			require.Empty(t, visits(open))
		})
	}
}

// TestStageRuleLetsImportsThrough checks the rule on the write an import
// makes: the data being imported is the authority on the stage.
func TestStageRuleLetsImportsThrough(t *testing.T) {
	before := &crm.Record{Fields: crm.Fields{OpportunitySalesStage: int32(0)}}
	target := &crm.Record{Fields: crm.Fields{OpportunitySalesStage: int32(2)}}
	require.ErrorIs(t, checkStageChange(context.Background(), crm.Write{Before: before, Target: target}), crm.ErrValidation)
	require.NoError(t, checkStageChange(context.Background(), crm.Write{Before: before, Target: target, Import: true}))
	require.NoError(t, checkStageChange(context.Background(), crm.Write{Before: before, Target: target, Operations: []string{MessageWinOpportunity}}))
	require.NoError(t, checkStageChange(context.Background(), crm.Write{Target: target}), "a create sets any stage")
	require.ErrorIs(t, checkStageHistoryWrite(context.Background(), crm.Write{Target: target}), crm.ErrValidation)
	require.NoError(t, checkStageHistoryWrite(context.Background(), crm.Write{Target: target, Import: true}))
	require.NoError(t, checkStageHistoryWrite(context.Background(), crm.Write{Target: target, Operations: []string{MessageQualifyLead}}),
		"qualifying a lead ends its Qualify visit")
}
