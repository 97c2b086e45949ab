package sales_test

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/activity"
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
)

func TestCompetitorCRUD(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newOppEnv(t, b, nil)
			c, err := e.competitors.Create(e.ctx, sales.Competitor{Name: "Fabrikam", Website: "https://fabrikam.example",
				Strengths: "Price", Weaknesses: "Service", ReportedRevenue: sales.Ptr(crm.MustMoney("5000000 USD")),
				ReportingYear: sales.Ptr[int64](2025), ReportingQuarter: sales.Ptr[int64](4),
				WinPercentage: sales.Ptr(decimal.RequireFromString("37.5"))})
			require.NoError(t, err)
			got, err := e.competitors.Get(e.ctx, c.ID)
			require.NoError(t, err)
			require.Equal(t, c, got)
			require.Equal(t, "Price", got.Strengths)

			got.Threats = "New product line"
			got, err = e.competitors.Update(e.ctx, got)
			require.NoError(t, err)
			require.Equal(t, int64(2), got.Version)

			_, err = e.competitors.Create(e.ctx, sales.Competitor{Name: "Bad quarter", ReportingQuarter: sales.Ptr[int64](5)})
			requireInvalid(t, err, sales.CompetitorReportingQuarter)
			_, err = e.competitors.Create(e.ctx, sales.Competitor{})
			requireInvalid(t, err, sales.CompetitorName)

			page, err := e.competitors.Search(e.ctx, crm.Query{Where: crm.BeginsWith(sales.CompetitorName, "Fab")})
			require.NoError(t, err)
			require.Len(t, page.Records, 1)
			n, err := e.competitors.Count(e.ctx, crm.Query{})
			require.NoError(t, err)
			require.Equal(t, int64(1), n)

			// Deleting a competitor removes its associations and unlinks
			// the close activities that named it.
			o := e.opp(t, "Lost to it", "1.00 USD")
			_, closeRef, err := e.opps.Lose(e.ctx, o.ID, o.Version, sales.LoseOptions{Competitor: c.ID})
			require.NoError(t, err)
			require.NoError(t, e.competitors.Delete(e.ctx, c.ID, got.Version))
			require.Zero(t, e.records(t, sales.OpportunityCompetitors))
			closes, err := e.opps.Closes(e.ctx, o.ID)
			require.NoError(t, err)
			require.Equal(t, closeRef.ID, closes[0].ID)
			require.Nil(t, closes[0].Fields[activity.FieldCompetitor])
		})
	}
}

// TestCompetitorsBothDirections queries the opportunity-competitor
// relationship from each side, through the services and crm.ManyToMany's
// Any and None.
func TestCompetitorsBothDirections(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newOppEnv(t, b, nil)
			fab, north := e.competitor(t, "Fabrikam"), e.competitor(t, "Northwind")
			e.competitor(t, "Lonely")
			cards, fleet, solo := e.opp(t, "Cards", "1.00 USD"), e.opp(t, "Fleet", "1.00 USD"), e.opp(t, "Solo", "1.00 USD")
			require.NoError(t, e.opps.AddCompetitor(e.ctx, cards.ID, fab.ID))
			require.NoError(t, e.opps.AddCompetitor(e.ctx, cards.ID, north.ID))
			require.NoError(t, e.opps.AddCompetitor(e.ctx, fleet.ID, fab.ID))

			t.Run("a pair is associated once", func(t *testing.T) {
				require.ErrorIs(t, e.opps.AddCompetitor(e.ctx, cards.ID, fab.ID), crm.ErrDuplicate)
			})

			t.Run("the competitors of an opportunity, by name", func(t *testing.T) {
				cs, err := e.opps.Competitors(e.ctx, cards.ID)
				require.NoError(t, err)
				require.Equal(t, []string{"Fabrikam", "Northwind"}, competitorNames(cs))
				cs, err = e.opps.Competitors(e.ctx, solo.ID)
				require.NoError(t, err)
				require.Empty(t, cs)
			})

			t.Run("the opportunities of a competitor, by name", func(t *testing.T) {
				os, err := e.competitors.Opportunities(e.ctx, fab.ID)
				require.NoError(t, err)
				require.Equal(t, []string{"Cards", "Fleet"}, opportunityNames(os))
			})

			m := crm.ManyToMany{Name: sales.OpportunityCompetitors, Entity1: sales.OpportunityEntity, Entity2: sales.CompetitorEntity}
			t.Run("Any and None cross the relationship in either direction", func(t *testing.T) {
				page, err := e.opps.Search(e.ctx, crm.Query{Where: m.Any(sales.OpportunityEntity, crm.Eq(sales.CompetitorName, "Northwind"))})
				require.NoError(t, err)
				require.Equal(t, []string{"Cards"}, opportunityNames(page.Records))
				page, err = e.opps.Search(e.ctx, crm.Query{Where: m.None(sales.OpportunityEntity, nil),
					OrderBy: []crm.Order{crm.Asc(sales.OpportunityName)}})
				require.NoError(t, err)
				require.Equal(t, []string{"Solo"}, opportunityNames(page.Records))
				cpage, err := e.competitors.Search(e.ctx, crm.Query{Where: m.None(sales.CompetitorEntity, nil)})
				require.NoError(t, err)
				require.Equal(t, []string{"Lonely"}, competitorNames(cpage.Records))
				cpage, err = e.competitors.Search(e.ctx, crm.Query{Where: m.Any(sales.CompetitorEntity, crm.Eq(sales.OpportunityName, "Fleet"))})
				require.NoError(t, err)
				require.Equal(t, []string{"Fabrikam"}, competitorNames(cpage.Records))
			})

			t.Run("removing a competitor ends the association only", func(t *testing.T) {
				require.NoError(t, e.opps.RemoveCompetitor(e.ctx, cards.ID, north.ID))
				require.ErrorIs(t, e.opps.RemoveCompetitor(e.ctx, cards.ID, north.ID), crm.ErrNotFound)
				cs, err := e.opps.Competitors(e.ctx, cards.ID)
				require.NoError(t, err)
				require.Equal(t, []string{"Fabrikam"}, competitorNames(cs))
				_, err = e.competitors.Get(e.ctx, north.ID)
				require.NoError(t, err)
			})
		})
	}
}

func TestCompetitorWinLoss(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newOppEnv(t, b, nil)
			fab, north, idle := e.competitor(t, "Fabrikam"), e.competitor(t, "Northwind"), e.competitor(t, "Idle")
			deal := func(name string, competitors ...sales.Competitor) sales.Opportunity {
				o := e.opp(t, name, "100.00 USD")
				for _, c := range competitors {
					require.NoError(t, e.opps.AddCompetitor(e.ctx, o.ID, c.ID))
				}
				return o
			}
			win := func(o sales.Opportunity) sales.Opportunity {
				out, _, err := e.opps.Win(e.ctx, o.ID, o.Version, sales.WinOptions{})
				require.NoError(t, err)
				return out
			}
			// Fabrikam: won against twice, lost to once (it is associated
			// by the loss), lost once on a canceled deal, open once.
			win(deal("A", fab, north))
			win(deal("B", fab))
			c := deal("C")
			_, _, err := e.opps.Lose(e.ctx, c.ID, c.Version, sales.LoseOptions{Status: sales.OpportunityStatusOutSold, Competitor: fab.ID})
			require.NoError(t, err)
			d := deal("D", fab)
			_, _, err = e.opps.Lose(e.ctx, d.ID, d.Version, sales.LoseOptions{})
			require.NoError(t, err)
			deal("E", fab, north)
			// A deal won, then reopened, counts as open again.
			f := win(deal("F", north))
			_, err = e.opps.Reopen(e.ctx, f.ID, f.Version)
			require.NoError(t, err)

			t.Run("one competitor's figures", func(t *testing.T) {
				wl, err := e.competitors.WinLoss(e.ctx, fab.ID)
				require.NoError(t, err)
				require.Equal(t, sales.WinLoss{Competitor: fab.Ref(), Name: "Fabrikam", Won: 2, Lost: 2, Open: 1}, wl)
				pct, ok := wl.WinPercentage()
				require.True(t, ok)
				require.Equal(t, "50", pct.String())

				wl, err = e.competitors.WinLoss(e.ctx, north.ID)
				require.NoError(t, err)
				require.Equal(t, sales.WinLoss{Competitor: north.Ref(), Name: "Northwind", Won: 1, Lost: 0, Open: 2}, wl)
				pct, ok = wl.WinPercentage()
				require.True(t, ok)
				require.Equal(t, "100", pct.String())
			})

			t.Run("a competitor on no deal has zeros and no percentage", func(t *testing.T) {
				wl, err := e.competitors.WinLoss(e.ctx, idle.ID)
				require.NoError(t, err)
				require.Equal(t, sales.WinLoss{Competitor: idle.Ref(), Name: "Idle"}, wl)
				_, ok := wl.WinPercentage()
				require.False(t, ok)
				_, err = e.competitors.WinLoss(e.ctx, crm.NewID())
				require.ErrorIs(t, err, crm.ErrNotFound)
			})

			t.Run("every competitor's figures in one report, by name", func(t *testing.T) {
				all, err := e.competitors.WinLossAll(e.ctx)
				require.NoError(t, err)
				require.Equal(t, []sales.WinLoss{
					{Competitor: fab.Ref(), Name: "Fabrikam", Won: 2, Lost: 2, Open: 1},
					{Competitor: north.Ref(), Name: "Northwind", Won: 1, Open: 2},
				}, all)
			})

			t.Run("the percentage rounds half away from zero to two places", func(t *testing.T) {
				pct, ok := sales.WinLoss{Won: 2, Lost: 1}.WinPercentage()
				require.True(t, ok)
				require.Equal(t, "66.67", pct.String())
			})
		})
	}
}

func competitorNames(cs []sales.Competitor) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

func opportunityNames(os []sales.Opportunity) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.Name
	}
	return out
}
