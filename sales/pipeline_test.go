package sales_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
)

var (
	ann  = crm.Ref{Entity: crm.UserEntity, ID: uuid.MustParse("0190d000-0000-7000-8000-00000000000a")}
	bob  = crm.Ref{Entity: crm.UserEntity, ID: uuid.MustParse("0190d000-0000-7000-8000-00000000000b")}
	team = crm.Ref{Entity: crm.TeamEntity, ID: uuid.MustParse("0190d000-0000-7000-8000-00000000000c")}
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// deal is one imported opportunity of the pipeline fixture.
type deal struct {
	owner            crm.Ref
	state            sales.OpportunityState
	value            string // estimatedvalue, or actualvalue when won or lost
	probability      int64
	stage            sales.SalesStage
	close, createdOn time.Time // estimated close when open, actual close else
}

func (d deal) record() crm.Record {
	f := crm.Fields{sales.OpportunityName: "Deal", sales.OpportunitySalesStage: int32(d.stage)}
	if d.state == sales.OpportunityStateOpen {
		f[sales.OpportunityEstimatedValue] = crm.MustMoney(d.value)
		f[sales.OpportunityProbability] = d.probability
		f[sales.OpportunityEstimatedCloseDate] = d.close
	} else {
		f[sales.OpportunityActualValue] = crm.MustMoney(d.value)
		f[sales.OpportunityActualCloseDate] = d.close
	}
	return crm.Record{Entity: sales.OpportunityEntity, Fields: f,
		Header: crm.Header{Owner: d.owner, State: crm.StateCode(d.state), CreatedOn: d.createdOn}}
}

// pipelineDeals: the store's clock says 2 March 2026, in the first
// quarter.
var pipelineDeals = []deal{
	{ann, sales.OpportunityStateOpen, "50000.00 USD", 40, sales.SalesStageDevelop, day(2026, 3, 20), time.Time{}},
	{bob, sales.OpportunityStateOpen, "20000.00 USD", 75, sales.SalesStagePropose, day(2026, 5, 10), time.Time{}},
	{team, sales.OpportunityStateOpen, "10000.00 USD", 10, sales.SalesStageQualify, day(2026, 8, 1), time.Time{}},
	{ann, sales.OpportunityStateWon, "30000.00 USD", 0, sales.SalesStageClose, day(2026, 2, 10), day(2026, 1, 1)},
	{bob, sales.OpportunityStateWon, "5000.00 USD", 0, sales.SalesStageClose, day(2025, 11, 15), day(2025, 11, 1)},
	{team, sales.OpportunityStateWon, "8000.00 USD", 0, sales.SalesStageClose, day(2026, 1, 20), day(2026, 1, 10)},
	{ann, sales.OpportunityStateLost, "0.00 USD", 0, sales.SalesStagePropose, day(2026, 2, 20), day(2026, 1, 5)},
	{team, sales.OpportunityStateLost, "0.00 USD", 0, sales.SalesStageDevelop, day(2025, 12, 1), day(2025, 10, 1)},
}

func (e *processEnv) load(t *testing.T, deals []deal) {
	t.Helper()
	recs := make([]crm.Record, len(deals))
	for i, d := range deals {
		recs[i] = d.record()
	}
	_, err := e.st.Import(e.ctx, recs, storage.ImportOptions{})
	require.NoError(t, err)
}

func usd(s string) crm.Money { return crm.MustMoney(s + " USD") }

func requireMoney(t *testing.T, want string, got crm.Money, msg ...any) {
	t.Helper()
	require.True(t, crm.MustMoney(want).Equal(got), "want %s, got %s %v", want, got, msg)
}

func TestWeightedPipelineVector23(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		e := newProcessEnv(t, b, nil)
		e.load(t, []deal{
			{ann, sales.OpportunityStateOpen, "50000.00 USD", 40, sales.SalesStageDevelop, day(2026, 3, 1), time.Time{}},
			{ann, sales.OpportunityStateOpen, "20000.00 USD", 75, sales.SalesStagePropose, day(2026, 3, 1), time.Time{}},
			{ann, sales.OpportunityStateWon, "90000.00 USD", 0, sales.SalesStageClose, day(2026, 2, 1), time.Time{}},
		})
		rows, err := e.pipe.Open(e.ctx, sales.Overall)
		require.NoError(t, err)
		require.Len(t, rows, 1)
		require.EqualValues(t, 2, rows[0].Opportunities, "open opportunities only")
		requireMoney(t, "70000 USD", rows[0].Value)
		requireMoney(t, "35000 USD", rows[0].Weighted, "sales.md test vector 23")
	})
}

func TestPipelineReports(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		e := newProcessEnv(t, b, nil)
		e.load(t, pipelineDeals)
		ctx := e.ctx

		t.Run("open pipeline by stage", func(t *testing.T) {
			rows, err := e.pipe.Open(ctx, sales.ByStage)
			require.NoError(t, err)
			require.Len(t, rows, 3)
			for i, want := range []struct {
				stage           sales.SalesStage
				value, weighted string
			}{{sales.SalesStageQualify, "10000", "1000"}, {sales.SalesStageDevelop, "50000", "20000"}, {sales.SalesStagePropose, "20000", "15000"}} {
				require.Equal(t, want.stage, *rows[i].Stage)
				require.EqualValues(t, 1, rows[i].Opportunities)
				requireMoney(t, want.value+" USD", rows[i].Value)
				requireMoney(t, want.weighted+" USD", rows[i].Weighted)
			}
		})
		t.Run("open pipeline by owner and by team", func(t *testing.T) {
			rows, err := e.pipe.Open(ctx, sales.ByOwner)
			require.NoError(t, err)
			got := map[crm.Ref]crm.Money{}
			for _, r := range rows {
				got[r.Owner] = r.Weighted
			}
			require.Equal(t, map[crm.Ref]crm.Money{ann: usd("20000.00"), bob: usd("15000.00"), team: usd("1000.00")}, got)
			rows, err = e.pipe.Open(ctx, sales.ByTeam)
			require.NoError(t, err)
			require.Len(t, rows, 1, "only what a team owns")
			require.Equal(t, team, rows[0].Owner)
		})
		t.Run("open pipeline by close month and quarter", func(t *testing.T) {
			rows, err := e.pipe.Open(ctx, sales.ByMonth)
			require.NoError(t, err)
			require.Len(t, rows, 3)
			require.Equal(t, []time.Time{day(2026, 3, 1), day(2026, 5, 1), day(2026, 8, 1)},
				[]time.Time{rows[0].Period, rows[1].Period, rows[2].Period})
			rows, err = e.pipe.Open(ctx, sales.ByQuarter)
			require.NoError(t, err)
			require.Len(t, rows, 3)
			require.Equal(t, []time.Time{day(2026, 1, 1), day(2026, 4, 1), day(2026, 7, 1)},
				[]time.Time{rows[0].Period, rows[1].Period, rows[2].Period})
		})
		t.Run("win rate and won revenue by owner, team and quarter", func(t *testing.T) {
			rows, err := e.pipe.WinRate(ctx, sales.ByOwner)
			require.NoError(t, err)
			type rate struct {
				won, lost int64
				revenue   string
				rate      string
			}
			got := map[crm.Ref]rate{}
			for _, r := range rows {
				got[r.Owner] = rate{r.Won, r.Lost, r.WonRevenue.String(), r.Rate().String()}
			}
			require.Equal(t, map[crm.Ref]rate{
				ann:  {1, 1, usd("30000.00").String(), "50"},
				bob:  {1, 0, usd("5000.00").String(), "100"},
				team: {1, 1, usd("8000.00").String(), "50"},
			}, got)

			rows, err = e.pipe.WinRate(ctx, sales.ByTeam)
			require.NoError(t, err)
			require.Len(t, rows, 1)
			require.Equal(t, team, rows[0].Owner)

			rows, err = e.pipe.WinRate(ctx, sales.ByQuarter)
			require.NoError(t, err)
			require.Len(t, rows, 2)
			require.Equal(t, day(2025, 10, 1), rows[0].Period)
			require.Equal(t, [2]int64{1, 1}, [2]int64{rows[0].Won, rows[0].Lost})
			require.Equal(t, day(2026, 1, 1), rows[1].Period)
			require.Equal(t, [2]int64{2, 1}, [2]int64{rows[1].Won, rows[1].Lost})
			requireMoney(t, "38000 USD", rows[1].WonRevenue)
			require.Equal(t, "66.67", rows[1].Rate().String())

			rows, err = e.pipe.WinRate(ctx, sales.ByMonth)
			require.NoError(t, err)
			require.Len(t, rows, 4)
		})
		t.Run("average days to close of won deals", func(t *testing.T) {
			rows, err := e.pipe.DaysToClose(ctx, sales.Overall, "")
			require.NoError(t, err)
			require.Len(t, rows, 1)
			require.EqualValues(t, 3, rows[0].Won)
			require.Equal(t, "21.33", rows[0].AverageDays.String(), "(40 + 14 + 10) / 3")
			rows, err = e.pipe.DaysToClose(ctx, sales.ByQuarter, "")
			require.NoError(t, err)
			require.Len(t, rows, 2)
			require.Equal(t, "14", rows[0].AverageDays.String())
			require.Equal(t, "25", rows[1].AverageDays.String(), "(40 + 10) / 2")
			rows, err = e.pipe.DaysToClose(ctx, sales.Overall, sales.OpportunityEstimatedCloseDate)
			require.NoError(t, err)
			require.Zero(t, rows[0].Won, "won deals have no estimated close date here")
		})
		t.Run("forecast of this quarter and the next", func(t *testing.T) {
			rows, err := e.pipe.Forecast(ctx)
			require.NoError(t, err)
			type line struct {
				owner                  crm.Ref
				quarter                time.Time
				won, weighted, overall string
			}
			var got []line
			for _, r := range rows {
				got = append(got, line{r.Owner, r.Quarter, r.Won.String(), r.WeightedOpen.String(), r.Forecast.String()})
			}
			none := crm.Money{}.String()
			q1, q2 := day(2026, 1, 1), day(2026, 4, 1)
			require.ElementsMatch(t, []line{
				{ann, q1, usd("30000.00").String(), usd("20000.00").String(), usd("50000.00").String()},
				{team, q1, usd("8000.00").String(), none, usd("8000.00").String()},
				{bob, q2, none, usd("15000.00").String(), usd("15000.00").String()},
			}, got)
			for i := 1; i < len(rows); i++ {
				a, b := rows[i-1], rows[i]
				require.True(t, a.Owner.Entity < b.Owner.Entity || a.Owner.Entity == b.Owner.Entity &&
					(a.Owner.ID.String() < b.Owner.ID.String() || a.Owner == b.Owner && a.Quarter.Before(b.Quarter)), "ordered by owner, then quarter")
			}

			e.clock.Set(day(2026, 4, 2))
			rows, err = e.pipe.Forecast(ctx)
			require.NoError(t, err)
			require.Len(t, rows, 2, "in April: bob's May deal and the team's August one")
		})
		t.Run("a breakdown a report does not take is refused", func(t *testing.T) {
			_, err := e.pipe.WinRate(ctx, sales.ByStage)
			requireInvalid(t, err, "by")
			_, err = e.pipe.DaysToClose(ctx, sales.By(99), "")
			requireInvalid(t, err, "by")
		})
	})
}

func TestPipelineCurrencies(t *testing.T) {
	onEveryStore(t, func(t *testing.T, b backend) {
		t.Run("without a base currency two currencies are not added", func(t *testing.T) {
			e := newProcessEnv(t, b, nil)
			e.load(t, []deal{
				{ann, sales.OpportunityStateOpen, "100.00 USD", 50, sales.SalesStageDevelop, day(2026, 3, 1), time.Time{}},
				{ann, sales.OpportunityStateOpen, "100.00 EUR", 50, sales.SalesStageDevelop, day(2026, 3, 1), time.Time{}},
			})
			_, err := e.pipe.Open(e.ctx, sales.Overall)
			require.ErrorIs(t, err, crm.ErrCurrencyMismatch)
		})
		t.Run("with a base currency the base amounts are added", func(t *testing.T) {
			reg := crm.NewRegistry()
			require.NoError(t, reg.SetBaseCurrency("USD"))
			require.NoError(t, sales.Register(reg))
			st := storage.New(b.open(t, reg), reg, storage.WithClock(crm.NewManualClock(start)))
			ctx := crm.AsSystem(context.Background())
			_, err := st.Create(ctx, crm.Record{Entity: crm.CurrencyEntity, Fields: crm.Fields{
				crm.FieldISOCurrencyCode: "EUR", crm.FieldExchangeRate: decimal.RequireFromString("0.8")}})
			require.NoError(t, err)
			e := &processEnv{ctx: ctx, st: st, pipe: sales.NewPipeline(st)}
			e.load(t, []deal{
				{ann, sales.OpportunityStateOpen, "100.00 USD", 50, sales.SalesStageDevelop, day(2026, 3, 1), time.Time{}},
				{ann, sales.OpportunityStateOpen, "800.00 EUR", 50, sales.SalesStageDevelop, day(2026, 3, 1), time.Time{}},
			})
			rows, err := e.pipe.Open(e.ctx, sales.Overall)
			require.NoError(t, err)
			requireMoney(t, "1100 USD", rows[0].Value)
			requireMoney(t, "550 USD", rows[0].Weighted)
		})
	})
}
