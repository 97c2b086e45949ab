package sales_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/activity"
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/internal/crmtest"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/storagetest"
)

// oppEnv is one store of a backend with the opportunity and competitor
// services over it, and a customer to sell to.
type oppEnv struct {
	ctx         context.Context
	store       *storage.Store
	clock       *crm.ManualClock
	opps        *sales.Opportunities
	competitors *sales.Competitors
	customer    sales.Account
}

func newOppEnv(t *testing.T, b backend, wrap func(driver.Driver) driver.Driver) *oppEnv {
	t.Helper()
	clock := crm.NewManualClock(start)
	st := b.store(t, wrap, storage.WithClock(clock))
	e := &oppEnv{ctx: crm.AsSystem(context.Background()), store: st, clock: clock,
		opps: sales.NewOpportunities(st), competitors: sales.NewCompetitors(st)}
	var err error
	e.customer, err = sales.NewAccounts(st).Create(e.ctx, sales.Account{Name: "Contoso"})
	require.NoError(t, err)
	return e
}

// opp creates an open opportunity for the customer, with an estimate.
func (e *oppEnv) opp(t *testing.T, name, estimate string) sales.Opportunity {
	t.Helper()
	o := sales.Opportunity{Name: name, Customer: e.customer.Ref(), Probability: sales.Ptr[int64](40)}
	if estimate != "" {
		o.EstimatedValue = sales.Ptr(crm.MustMoney(estimate))
	}
	out, err := e.opps.Create(e.ctx, o)
	require.NoError(t, err)
	return out
}

func (e *oppEnv) competitor(t *testing.T, name string) sales.Competitor {
	t.Helper()
	c, err := e.competitors.Create(e.ctx, sales.Competitor{Name: name})
	require.NoError(t, err)
	return c
}

// requireStored checks that the stored opportunity is want.
func (e *oppEnv) requireStored(t *testing.T, want sales.Opportunity, msgAndArgs ...any) {
	t.Helper()
	got, err := e.opps.Get(e.ctx, want.ID)
	require.NoError(t, err)
	require.Equal(t, want, got, msgAndArgs...)
}

// records counts the records of entity.
func (e *oppEnv) records(t *testing.T, entity string) int64 {
	t.Helper()
	n, err := e.store.Count(e.ctx, crm.Query{Entity: entity})
	require.NoError(t, err)
	return n
}

func TestOpportunityCodecs(t *testing.T) {
	reg := crm.NewRegistry()
	require.NoError(t, sales.Register(reg))
	t.Run("opportunity", func(t *testing.T) { storagetest.CheckCodec(t, reg, sales.OpportunityCodec()) })
	t.Run("competitor", func(t *testing.T) { storagetest.CheckCodec(t, reg, sales.CompetitorCodec()) })

	t.Run("with a base currency", func(t *testing.T) {
		reg := crm.NewRegistry()
		require.NoError(t, reg.SetBaseCurrency("USD"))
		require.NoError(t, sales.Register(reg))
		storagetest.CheckCodec(t, reg, sales.OpportunityCodec())
		storagetest.CheckCodec(t, reg, sales.CompetitorCodec())
	})
}

func TestOpportunityCreateReadUpdate(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newOppEnv(t, b, nil)
			stage, budget := sales.SalesStageQualify, sales.BudgetNoCommittedBudget
			o, err := e.opps.Create(e.ctx, sales.Opportunity{
				Name: "500 cards", Customer: e.customer.Ref(),
				EstimatedValue: sales.Ptr(crm.MustMoney("50000.00 USD")), Probability: sales.Ptr[int64](40),
				EstimatedCloseDate: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC),
				SalesStage:         &stage, BudgetStatus: &budget, Rating: sales.RatingWarm,
				ForecastCategory: sales.ForecastBestCase, StepName: "1-Qualify",
			})
			require.NoError(t, err)

			t.Run("an opportunity starts Open, In Progress, with its weighted value computed", func(t *testing.T) {
				require.Equal(t, sales.OpportunityStateOpen, o.OpportunityState())
				require.Equal(t, sales.OpportunityStatusInProgress, o.OpportunityStatus())
				require.True(t, o.IsOpen())
				require.True(t, o.WeightedValue.Equal(crm.MustMoney("20000.00 USD")), "%v", o.WeightedValue)
				e.requireStored(t, o)
				require.Equal(t, sales.SalesStageQualify, *o.SalesStage, "the option numbered 0 is a value")
				require.Equal(t, sales.BudgetNoCommittedBudget, *o.BudgetStatus)
			})

			t.Run("an update changes the fields callers own; the weighted value follows", func(t *testing.T) {
				o.Probability = sales.Ptr[int64](75)
				o.Rating = sales.RatingHot
				var err error
				o, err = e.opps.Update(e.ctx, o)
				require.NoError(t, err)
				require.True(t, o.WeightedValue.Equal(crm.MustMoney("37500.00 USD")), "%v", o.WeightedValue)
			})

			t.Run("the customer is an account or a contact, nothing else", func(t *testing.T) {
				c := e.competitor(t, "Not a customer")
				_, err := e.opps.Create(e.ctx, sales.Opportunity{Name: "Wrong", Customer: c.Ref()})
				requireInvalid(t, err, sales.OpportunityCustomer)
			})

			t.Run("search and count by field", func(t *testing.T) {
				e.opp(t, "Another", "10.00 USD")
				page, err := e.opps.Search(e.ctx, crm.Query{Where: crm.Eq(sales.OpportunityRating, sales.RatingHot)})
				require.NoError(t, err)
				require.Len(t, page.Records, 1)
				require.Equal(t, "500 cards", page.Records[0].Name)
				n, err := e.opps.Count(e.ctx, crm.Query{})
				require.NoError(t, err)
				require.Equal(t, int64(2), n)
			})

			t.Run("assign and delete", func(t *testing.T) {
				owner := crm.Ref{Entity: crm.UserEntity, ID: crm.NewID()}
				x := e.opp(t, "Doomed", "")
				x, err := e.opps.Assign(e.ctx, x.ID, x.Version, owner)
				require.NoError(t, err)
				require.Equal(t, owner, x.Owner)
				require.NoError(t, e.opps.Delete(e.ctx, x.ID, x.Version))
				_, err = e.opps.Get(e.ctx, x.ID)
				require.ErrorIs(t, err, crm.ErrNotFound)
			})
		})
	}
}

// opportunityIn returns a new opportunity in state, closed or reopened
// through the service.
func (e *oppEnv) opportunityIn(t *testing.T, state string) sales.Opportunity {
	t.Helper()
	o := e.opp(t, "Deal "+state, "1000.00 USD")
	var err error
	switch state {
	case "open":
	case "on hold":
		o, err = e.opps.Create(e.ctx, sales.Opportunity{Name: "Held", Customer: e.customer.Ref(),
			Header: crm.Header{Status: crm.StatusCode(sales.OpportunityStatusOnHold)}})
		require.NoError(t, err)
		require.Equal(t, sales.OpportunityStatusOnHold, o.OpportunityStatus())
	case "won":
		o, _, err = e.opps.Win(e.ctx, o.ID, o.Version, sales.WinOptions{})
	case "lost":
		o, _, err = e.opps.Lose(e.ctx, o.ID, o.Version, sales.LoseOptions{})
	case "reopened":
		o, _, err = e.opps.Win(e.ctx, o.ID, o.Version, sales.WinOptions{})
		require.NoError(t, err)
		o, err = e.opps.Reopen(e.ctx, o.ID, o.Version)
	default:
		t.Fatalf("no state %q", state)
	}
	require.NoError(t, err)
	return o
}

// TestOpportunityLifecycle fires every event from every state, through
// the service (the named operations) and through the generic store's
// SetState and ChangeState (a bare state change, refused whatever the
// state: the events fire only inside their operations).
func TestOpportunityLifecycle(t *testing.T) {
	type fire func(e *oppEnv, o sales.Opportunity) (sales.Opportunity, error)
	events := map[string]fire{
		sales.EventWin: func(e *oppEnv, o sales.Opportunity) (sales.Opportunity, error) {
			out, _, err := e.opps.Win(e.ctx, o.ID, o.Version, sales.WinOptions{})
			return out, err
		},
		sales.EventLose: func(e *oppEnv, o sales.Opportunity) (sales.Opportunity, error) {
			out, _, err := e.opps.Lose(e.ctx, o.ID, o.Version, sales.LoseOptions{})
			return out, err
		},
		sales.EventReopen: func(e *oppEnv, o sales.Opportunity) (sales.Opportunity, error) {
			return e.opps.Reopen(e.ctx, o.ID, o.Version)
		},
	}
	tests := []struct {
		from  string
		event string
		to    sales.OpportunityState // -1: refused
		state string                 // the state named in the refusal
	}{
		{"open", sales.EventWin, sales.OpportunityStateWon, ""},
		{"open", sales.EventLose, sales.OpportunityStateLost, ""},
		{"open", sales.EventReopen, -1, "Open"},
		{"on hold", sales.EventWin, sales.OpportunityStateWon, ""},
		{"on hold", sales.EventLose, sales.OpportunityStateLost, ""},
		{"on hold", sales.EventReopen, -1, "Open"},
		{"won", sales.EventWin, -1, "Won"},
		{"won", sales.EventLose, -1, "Won"},
		{"won", sales.EventReopen, sales.OpportunityStateOpen, ""},
		{"lost", sales.EventWin, -1, "Lost"},
		{"lost", sales.EventLose, -1, "Lost"},
		{"lost", sales.EventReopen, sales.OpportunityStateOpen, ""},
		{"reopened", sales.EventWin, sales.OpportunityStateWon, ""},
		{"reopened", sales.EventLose, sales.OpportunityStateLost, ""},
		{"reopened", sales.EventReopen, -1, "Open"},
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newOppEnv(t, b, nil)
			for _, tc := range tests {
				t.Run(tc.from+" then "+tc.event, func(t *testing.T) {
					o := e.opportunityIn(t, tc.from)

					// A bare state change is refused through every generic
					// door, naming the operation, whatever the state.
					_, err := e.store.SetState(e.ctx, o.Ref(), o.Version, tc.event, 0)
					require.ErrorIs(t, err, crm.ErrInvalidTransition)
					_, err = e.store.ChangeState(e.ctx, o.Ref(), storage.StateChange{Event: tc.event, Version: o.Version,
						Fields: crm.Fields{sales.OpportunityDescription: "sneaking"}})
					require.ErrorIs(t, err, crm.ErrInvalidTransition)
					_, err = e.opps.Table().SetState(e.ctx, o.ID, o.Version, tc.event, 0)
					require.ErrorIs(t, err, crm.ErrInvalidTransition)
					e.requireStored(t, o, "a refused state change changes nothing")

					got, err := events[tc.event](e, o)
					if tc.to < 0 {
						require.ErrorIs(t, err, crm.ErrInvalidTransition)
						var terr *crm.TransitionError
						require.ErrorAs(t, err, &terr)
						require.Equal(t, sales.OpportunityEntity, terr.Entity)
						require.Equal(t, tc.state, terr.State)
						require.Equal(t, tc.event, terr.Event)
						e.requireStored(t, o, "a refused event changes nothing")
						return
					}
					require.NoError(t, err)
					require.Equal(t, tc.to, got.OpportunityState())
					require.Equal(t, o.Version+1, got.Version, "the state and its fields change in one write")
				})
			}
		})
	}
}

func TestOpportunityWin(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newOppEnv(t, b, nil)
			o := e.opp(t, "500 cards", "50000.00 USD")
			e.clock.Advance(26 * time.Hour) // 2026-03-03 11:00 UTC

			var seen []string
			require.NoError(t, e.store.HookMessage(sales.MessageWinOpportunity, storage.PostOperation,
				func(_ context.Context, x *storage.Execution) error {
					for _, w := range x.Writes() {
						seen = append(seen, w.Entity.Name)
					}
					return nil
				}))
			won, closeRef, err := e.opps.Win(e.ctx, o.ID, o.Version, sales.WinOptions{Description: "Signed"})
			require.NoError(t, err)

			t.Run("the opportunity is Won with the estimate as actual revenue and today as close date", func(t *testing.T) {
				require.Equal(t, sales.OpportunityStateWon, won.OpportunityState())
				require.Equal(t, sales.OpportunityStatusWon, won.OpportunityStatus())
				require.True(t, won.ActualValue.Equal(crm.MustMoney("50000.00 USD")), "%v", won.ActualValue)
				require.Equal(t, time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), won.ActualCloseDate)
				require.Equal(t, sales.ForecastWon, won.ForecastCategory)
				e.requireStored(t, won)
			})

			t.Run("a completed opportunity-close activity records the outcome", func(t *testing.T) {
				require.Equal(t, activity.OpportunityClose, closeRef.Entity)
				closes, err := e.opps.Closes(e.ctx, o.ID)
				require.NoError(t, err)
				require.Len(t, closes, 1)
				c := closes[0]
				require.Equal(t, closeRef.ID, c.ID)
				require.Equal(t, activity.StateCompleted, c.ActivityState())
				require.Equal(t, "Won: 500 cards", c.Subject)
				require.Equal(t, "Signed", c.Description)
				require.Equal(t, o.Ref(), c.Regarding)
				require.Equal(t, o.Ref(), c.Fields.Ref(activity.FieldOpportunity))
				m, _ := c.Fields.Money(activity.FieldActualRevenue)
				require.True(t, m.Equal(crm.MustMoney("50000.00 USD")), "%v", m)
				require.Equal(t, won.ActualCloseDate, c.ActualEnd)
			})

			t.Run("hooks on the message see the opportunity and the activity written", func(t *testing.T) {
				require.Contains(t, seen, sales.OpportunityEntity)
				require.Contains(t, seen, activity.OpportunityClose)
			})

			t.Run("a won opportunity is read-only through every door", func(t *testing.T) {
				won.Description = "changed"
				_, err := e.opps.Update(e.ctx, won)
				require.ErrorIs(t, err, crm.ErrInvalidTransition)
				_, err = e.store.Update(e.ctx, crm.Record{Entity: sales.OpportunityEntity, Header: crm.Header{ID: o.ID},
					Fields: crm.Fields{sales.OpportunityName: "renamed"}})
				require.ErrorIs(t, err, crm.ErrInvalidTransition)
			})

			t.Run("the revenue and date given win over the defaults", func(t *testing.T) {
				x := e.opp(t, "Given", "10.00 EUR")
				x, _, err := e.opps.Win(e.ctx, x.ID, x.Version, sales.WinOptions{
					ActualRevenue: sales.Ptr(crm.MustMoney("12.50 EUR")),
					CloseDate:     time.Date(2026, 2, 27, 23, 30, 0, 0, time.FixedZone("CET", 3600)),
					Subject:       "Closed at the fair"})
				require.NoError(t, err)
				require.True(t, x.ActualValue.Equal(crm.MustMoney("12.50 EUR")))
				require.Equal(t, time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC), x.ActualCloseDate, "the date as given, not its UTC instant")
				closes, err := e.opps.Closes(e.ctx, x.ID)
				require.NoError(t, err)
				require.Equal(t, "Closed at the fair", closes[0].Subject)
			})

			t.Run("a stale version is a conflict and writes nothing", func(t *testing.T) {
				x := e.opp(t, "Stale", "1.00 USD")
				acts := e.records(t, activity.OpportunityClose)
				_, _, err := e.opps.Win(e.ctx, x.ID, x.Version+1, sales.WinOptions{})
				require.ErrorIs(t, err, crm.ErrConflict)
				e.requireStored(t, x)
				require.Equal(t, acts, e.records(t, activity.OpportunityClose))
			})

			t.Run("a hook on the message can refuse the win, which then changes nothing", func(t *testing.T) {
				x := e.opp(t, "Vetoed", "2000000.00 USD")
				acts := e.records(t, activity.OpportunityClose)
				errVeto := errors.New("a deal over a million needs approval")
				require.NoError(t, e.store.HookMessage(sales.MessageWinOpportunity, storage.PreOperation,
					func(_ context.Context, x *storage.Execution) error {
						if x.Inputs[sales.CloseInputSubject] == "veto me" {
							return errVeto
						}
						return nil
					}))
				_, _, err := e.opps.Win(e.ctx, x.ID, x.Version, sales.WinOptions{Subject: "veto me"})
				require.ErrorIs(t, err, errVeto)
				e.requireStored(t, x)
				require.Equal(t, acts, e.records(t, activity.OpportunityClose))
			})

			t.Run("a hook may change the inputs; one of the wrong type is refused", func(t *testing.T) {
				x := e.opp(t, "Rewritten", "100.00 USD")
				require.NoError(t, e.store.HookMessage(sales.MessageWinOpportunity, storage.PreValidation,
					func(_ context.Context, x *storage.Execution) error {
						switch x.Inputs[sales.CloseInputSubject] {
						case "rewrite":
							x.Inputs[sales.CloseInputActualRevenue] = crm.MustMoney("90.00 USD")
						case "break":
							x.Inputs[sales.CloseInputCloseDate] = "yesterday"
						case "name a winner":
							x.Inputs[sales.CloseInputCompetitor] = crm.NewID()
						}
						return nil
					}))
				_, _, err := e.opps.Win(e.ctx, x.ID, x.Version, sales.WinOptions{Subject: "break"})
				requireInvalid(t, err, sales.CloseInputCloseDate)
				_, _, err = e.opps.Win(e.ctx, x.ID, x.Version, sales.WinOptions{Subject: "name a winner"})
				requireInvalid(t, err, sales.CloseInputCompetitor)
				x, _, err = e.opps.Win(e.ctx, x.ID, x.Version, sales.WinOptions{Subject: "rewrite"})
				require.NoError(t, err)
				require.True(t, x.ActualValue.Equal(crm.MustMoney("90.00 USD")))
			})
		})
	}
}

func TestOpportunityLoseAndReopen(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newOppEnv(t, b, nil)
			rival := e.competitor(t, "Fabrikam")
			o := e.opp(t, "Fleet", "8000.00 EUR")

			lost, closeRef, err := e.opps.Lose(e.ctx, o.ID, o.Version, sales.LoseOptions{
				Status: sales.OpportunityStatusOutSold, Competitor: rival.ID, Description: "Cheaper"})
			require.NoError(t, err)

			t.Run("a loss is Lost with zero revenue in the estimate's currency and the winner recorded", func(t *testing.T) {
				require.Equal(t, sales.OpportunityStateLost, lost.OpportunityState())
				require.Equal(t, sales.OpportunityStatusOutSold, lost.OpportunityStatus())
				require.True(t, lost.ActualValue.Equal(crm.MustMoney("0.00 EUR")), "%v", lost.ActualValue)
				require.Equal(t, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), lost.ActualCloseDate)
				require.Equal(t, sales.ForecastLost, lost.ForecastCategory)
				closes, err := e.opps.Closes(e.ctx, o.ID)
				require.NoError(t, err)
				require.Len(t, closes, 1)
				require.Equal(t, closeRef.ID, closes[0].ID)
				require.Equal(t, rival.Ref(), closes[0].Fields.Ref(activity.FieldCompetitor))
				require.Equal(t, "Lost: Fleet", closes[0].Subject)
			})

			t.Run("the winner is associated with the deal, once", func(t *testing.T) {
				cs, err := e.opps.Competitors(e.ctx, o.ID)
				require.NoError(t, err)
				require.Len(t, cs, 1)
				require.Equal(t, rival.ID, cs[0].ID)

				x := e.opp(t, "Already on it", "5.00 EUR")
				require.NoError(t, e.opps.AddCompetitor(e.ctx, x.ID, rival.ID))
				_, _, err = e.opps.Lose(e.ctx, x.ID, x.Version, sales.LoseOptions{Competitor: rival.ID})
				require.NoError(t, err)
				cs, err = e.opps.Competitors(e.ctx, x.ID)
				require.NoError(t, err)
				require.Len(t, cs, 1)
			})

			t.Run("a lost opportunity is read-only", func(t *testing.T) {
				lost.Name = "renamed"
				_, err := e.opps.Update(e.ctx, lost)
				require.ErrorIs(t, err, crm.ErrInvalidTransition)
			})

			t.Run("a status reason of another state, or a competitor that does not exist, is refused and writes nothing", func(t *testing.T) {
				x := e.opp(t, "Bad inputs", "1.00 EUR")
				acts := e.records(t, activity.OpportunityClose)
				_, _, err := e.opps.Lose(e.ctx, x.ID, x.Version, sales.LoseOptions{Status: sales.OpportunityStatusWon})
				requireInvalid(t, err, crm.FieldStatus)
				_, _, err = e.opps.Lose(e.ctx, x.ID, x.Version, sales.LoseOptions{Competitor: crm.NewID()})
				require.ErrorIs(t, err, crm.ErrValidation)
				e.requireStored(t, x)
				require.Equal(t, acts, e.records(t, activity.OpportunityClose))
			})

			t.Run("without an estimate a loss records no revenue", func(t *testing.T) {
				x := e.opp(t, "No estimate", "")
				x, _, err := e.opps.Lose(e.ctx, x.ID, x.Version, sales.LoseOptions{})
				require.NoError(t, err)
				require.Nil(t, x.ActualValue)
				require.Equal(t, sales.OpportunityStatusCanceled, x.OpportunityStatus())
			})

			e.clock.Advance(72 * time.Hour)
			reopened, err := e.opps.Reopen(e.ctx, o.ID, lost.Version)
			require.NoError(t, err)

			t.Run("reopening clears what closing recorded and keeps the close as history", func(t *testing.T) {
				require.Equal(t, sales.OpportunityStateOpen, reopened.OpportunityState())
				require.Equal(t, sales.OpportunityStatusInProgress, reopened.OpportunityStatus())
				require.Nil(t, reopened.ActualValue)
				require.True(t, reopened.ActualCloseDate.IsZero())
				require.Equal(t, sales.ForecastPipeline, reopened.ForecastCategory)
				require.True(t, reopened.EstimatedValue.Equal(crm.MustMoney("8000.00 EUR")), "the estimate stays")
				closes, err := e.opps.Closes(e.ctx, o.ID)
				require.NoError(t, err)
				require.Len(t, closes, 1)
				require.Equal(t, activity.StateCompleted, closes[0].ActivityState())
			})

			t.Run("a reopened opportunity can change and close again; each close is kept", func(t *testing.T) {
				reopened.Description = "Second round"
				x, err := e.opps.Update(e.ctx, reopened)
				require.NoError(t, err)
				x, _, err = e.opps.Win(e.ctx, x.ID, x.Version, sales.WinOptions{})
				require.NoError(t, err)
				require.Equal(t, time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), x.ActualCloseDate)
				closes, err := e.opps.Closes(e.ctx, o.ID)
				require.NoError(t, err)
				require.Len(t, closes, 2)
				require.Equal(t, "Won: Fleet", closes[0].Subject, "newest first")
				require.Equal(t, "Lost: Fleet", closes[1].Subject)
			})
		})
	}
}

// TestOpportunityRulesHoldThroughEveryDoor writes what only the close
// operations may write through the service, a typed table, and the
// generic store's Create, Update and ChangeState.
func TestOpportunityRulesHoldThroughEveryDoor(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newOppEnv(t, b, nil)
			o := e.opp(t, "Guarded", "100.00 USD")
			update := func(f crm.Fields) error {
				_, err := e.store.Update(e.ctx, crm.Record{Entity: sales.OpportunityEntity, Header: crm.Header{ID: o.ID}, Fields: f})
				return err
			}
			for _, tc := range []struct {
				name   string
				field  string
				fields crm.Fields
				typed  func(o *sales.Opportunity)
			}{
				{"actual revenue", sales.OpportunityActualValue, crm.Fields{sales.OpportunityActualValue: crm.MustMoney("1.00 USD")},
					func(o *sales.Opportunity) { o.ActualValue = sales.Ptr(crm.MustMoney("1.00 USD")) }},
				{"actual close date", sales.OpportunityActualCloseDate, crm.Fields{sales.OpportunityActualCloseDate: start},
					func(o *sales.Opportunity) { o.ActualCloseDate = start }},
				{"forecast Won", sales.OpportunityForecastCategory, crm.Fields{sales.OpportunityForecastCategory: int32(sales.ForecastWon)},
					func(o *sales.Opportunity) { o.ForecastCategory = sales.ForecastWon }},
				{"forecast Lost", sales.OpportunityForecastCategory, crm.Fields{sales.OpportunityForecastCategory: int32(sales.ForecastLost)},
					func(o *sales.Opportunity) { o.ForecastCategory = sales.ForecastLost }},
			} {
				t.Run(tc.name+" is refused on create and update", func(t *testing.T) {
					f := crm.Fields{sales.OpportunityName: "Sneaky", sales.OpportunityCustomer: e.customer.Ref()}
					for k, v := range tc.fields {
						f[k] = v
					}
					_, err := e.store.Create(e.ctx, crm.Record{Entity: sales.OpportunityEntity, Fields: f})
					requireInvalid(t, err, tc.field)
					requireInvalid(t, update(tc.fields), tc.field)
					typed := o
					tc.typed(&typed)
					_, err = e.opps.Update(e.ctx, typed)
					requireInvalid(t, err, tc.field)
					_, err = e.opps.Table().Update(e.ctx, typed)
					requireInvalid(t, err, tc.field)
					typed.ID = crm.NilID
					typed.Version = 0
					_, err = e.opps.Create(e.ctx, typed)
					requireInvalid(t, err, tc.field)
				})
			}

			t.Run("the open forecast categories are the caller's", func(t *testing.T) {
				require.NoError(t, update(crm.Fields{sales.OpportunityForecastCategory: int32(sales.ForecastCommitted)}))
			})

			t.Run("a plain update cannot set the state", func(t *testing.T) {
				_, err := e.store.Update(e.ctx, crm.Record{Entity: sales.OpportunityEntity,
					Header: crm.Header{ID: o.ID, State: crm.StateCode(sales.OpportunityStateWon)}})
				require.ErrorIs(t, err, crm.ErrValidation)
				got, err := e.opps.Get(e.ctx, o.ID)
				require.NoError(t, err)
				require.True(t, got.IsOpen())
			})

			t.Run("the estimated revenue is locked while it is system-calculated", func(t *testing.T) {
				x := e.opp(t, "Calculated", "300.00 USD")
				x.RevenueSystemCalculated = true
				x, err := e.opps.Update(e.ctx, x)
				require.NoError(t, err, "turning the switch on keeps the estimate")
				require.True(t, x.EstimatedValue.Equal(crm.MustMoney("300.00 USD")))
				x.EstimatedValue = sales.Ptr(crm.MustMoney("400.00 USD"))
				_, err = e.opps.Update(e.ctx, x)
				requireInvalid(t, err, sales.OpportunityEstimatedValue)
				_, err = e.store.Update(e.ctx, crm.Record{Entity: sales.OpportunityEntity, Header: crm.Header{ID: x.ID},
					Fields: crm.Fields{sales.OpportunityEstimatedValue: nil}})
				requireInvalid(t, err, sales.OpportunityEstimatedValue)
				_, err = e.store.Create(e.ctx, crm.Record{Entity: sales.OpportunityEntity, Fields: crm.Fields{
					sales.OpportunityName: "Both", sales.OpportunityRevenueSystem: true,
					sales.OpportunityEstimatedValue: crm.MustMoney("1.00 USD")}})
				requireInvalid(t, err, sales.OpportunityEstimatedValue)

				// Turning it off and setting the estimate in one write is
				// the way back to a user-provided revenue.
				_, err = e.store.Update(e.ctx, crm.Record{Entity: sales.OpportunityEntity, Header: crm.Header{ID: x.ID},
					Fields: crm.Fields{sales.OpportunityRevenueSystem: false, sales.OpportunityEstimatedValue: crm.MustMoney("400.00 USD")}})
				require.NoError(t, err)
			})

			t.Run("winning a system-calculated opportunity takes its locked estimate", func(t *testing.T) {
				x := e.opp(t, "Calculated win", "700.00 USD")
				x.RevenueSystemCalculated = true
				x, err := e.opps.Update(e.ctx, x)
				require.NoError(t, err)
				x, _, err = e.opps.Win(e.ctx, x.ID, x.Version, sales.WinOptions{})
				require.NoError(t, err)
				require.True(t, x.ActualValue.Equal(crm.MustMoney("700.00 USD")))
			})

			t.Run("the originating lead is set on create and cannot change, but may be cleared", func(t *testing.T) {
				newLead := func(name string) crm.Ref {
					rec, err := e.store.Create(e.ctx, crm.Record{Entity: sales.LeadEntity,
						Fields: crm.Fields{sales.LeadSubject: "Interested", sales.LeadLastName: name}})
					require.NoError(t, err)
					return crm.Ref{Entity: sales.LeadEntity, ID: rec.ID}
				}
				first, second := newLead("First"), newLead("Second")
				x, err := e.opps.Create(e.ctx, sales.Opportunity{Name: "From a lead", OriginatingLead: first})
				require.NoError(t, err)
				require.Equal(t, first, x.OriginatingLead)
				x.OriginatingLead = second
				_, err = e.opps.Update(e.ctx, x)
				requireInvalid(t, err, sales.FieldOriginatingLead)
				x.OriginatingLead = first
				x.Description = "an update sending the lead back unchanged is fine"
				x, err = e.opps.Update(e.ctx, x)
				require.NoError(t, err)

				// Deleting the lead removes the link, through the rule.
				require.NoError(t, e.store.Delete(e.ctx, first, storage.AnyVersion))
				x, err = e.opps.Get(e.ctx, x.ID)
				require.NoError(t, err)
				require.True(t, x.OriginatingLead.IsZero())
			})
		})
	}
}

// TestOpportunityImportClosed imports won and lost opportunities as
// another CRM held them: in import mode no event fires and the values
// only closing may write are taken from the data.
func TestOpportunityImportClosed(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newOppEnv(t, b, nil)
			created := time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)
			closed := time.Date(2024, 4, 2, 0, 0, 0, 0, time.UTC)
			imported, err := e.store.Import(e.ctx, []crm.Record{{
				Entity: sales.OpportunityEntity,
				Header: crm.Header{State: crm.StateCode(sales.OpportunityStateWon), CreatedOn: created},
				Fields: crm.Fields{
					sales.OpportunityName:             "Legacy deal",
					sales.OpportunityCustomer:         e.customer.Ref(),
					sales.OpportunityEstimatedValue:   crm.MustMoney("900.00 USD"),
					sales.OpportunityActualValue:      crm.MustMoney("950.00 USD"),
					sales.OpportunityActualCloseDate:  closed,
					sales.OpportunityForecastCategory: int32(sales.ForecastWon),
				},
			}}, storage.ImportOptions{})
			require.NoError(t, err)
			o, err := e.opps.Get(e.ctx, imported[0].Record.ID)
			require.NoError(t, err)

			t.Run("it reads back as imported, with its original dates", func(t *testing.T) {
				require.Equal(t, sales.OpportunityStateWon, o.OpportunityState())
				require.Equal(t, sales.OpportunityStatusWon, o.OpportunityStatus())
				require.Equal(t, created, o.CreatedOn)
				require.Equal(t, closed, o.ActualCloseDate)
				require.True(t, o.ActualValue.Equal(crm.MustMoney("950.00 USD")))
				require.Equal(t, sales.ForecastWon, o.ForecastCategory)
				closes, err := e.opps.Closes(e.ctx, o.ID)
				require.NoError(t, err)
				require.Empty(t, closes, "no event fired: the import records no close activity")
			})

			t.Run("it is read-only afterwards, and reopens like any won opportunity", func(t *testing.T) {
				o.Name = "renamed"
				_, err := e.opps.Update(e.ctx, o)
				require.ErrorIs(t, err, crm.ErrInvalidTransition)
				r, err := e.opps.Reopen(e.ctx, o.ID, o.Version)
				require.NoError(t, err)
				require.Nil(t, r.ActualValue)
			})
		})
	}
}

// TestOpportunityCloseIsAllOrNothing fails every write of a loss (the
// opportunity, the association, the close activity and its completion)
// in turn and checks that nothing of it remains.
func TestOpportunityCloseIsAllOrNothing(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			for n := 1; ; n++ {
				fd := &crmtest.FailingDriver{}
				e := newOppEnv(t, b, func(d driver.Driver) driver.Driver { fd.Driver = d; return fd })
				rival := e.competitor(t, "Rival")
				o := e.opp(t, "Fragile", "10.00 USD")
				fd.FailAt(n)
				_, _, err := e.opps.Lose(e.ctx, o.ID, o.Version, sales.LoseOptions{Competitor: rival.ID})
				fd.FailAt(0)
				if err == nil {
					require.Greater(t, n, 3, "a loss writes the opportunity, the association and the close activity")
					return
				}
				require.ErrorIs(t, err, crmtest.ErrInjected, "write %d", n)
				e.requireStored(t, o, "after failing write %d the opportunity is as it was", n)
				require.Zero(t, e.records(t, activity.OpportunityClose), "write %d", n)
				require.Zero(t, e.records(t, sales.OpportunityCompetitors), "write %d", n)
				require.Less(t, n, 50)
			}
		})
	}
}
