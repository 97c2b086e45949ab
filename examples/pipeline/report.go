package main

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/internal/textfmt"
	"github.com/crmkit/crmkit/sales"
)

// report prints the pipeline as the store computes it: every figure is
// one aggregate of the store (one SQL statement), never a loop over
// records.
func (s *story) report() error {
	if err := s.funnel(); err != nil {
		return fmt.Errorf("funnel: %w", err)
	}
	if err := s.openPipeline(); err != nil {
		return fmt.Errorf("open pipeline: %w", err)
	}
	if err := s.stages(); err != nil {
		return fmt.Errorf("stages: %w", err)
	}
	for _, by := range []struct {
		title, field string
		choice       bool
	}{{"origin", fieldOrigin, true}, {"channel", fieldChannel, false}} {
		if err := s.winRateByLead(by.title, by.field, by.choice); err != nil {
			return fmt.Errorf("win rate by %s: %w", by.title, err)
		}
	}
	if err := s.counsellors(); err != nil {
		return fmt.Errorf("counsellors: %w", err)
	}
	if err := s.forecast(); err != nil {
		return fmt.Errorf("forecast: %w", err)
	}
	return s.competition()
}

// funnel counts the leads by state and status reason.
func (s *story) funnel() error {
	rows, err := s.st.Aggregate(s.ctx, crm.Aggregation{Entity: sales.LeadEntity,
		GroupBy:  []crm.GroupBy{{Alias: "status", Field: crm.FieldStatus, Label: true}},
		Measures: []crm.Measure{{Alias: "leads", Func: crm.AggCount}},
		OrderBy:  []crm.Order{crm.Desc("leads")},
	})
	if err != nil {
		return err
	}
	s.say("== Leads by status reason")
	for _, r := range rows {
		s.say("  %-22s %6d", r.Label("status"), r.Int("leads"))
	}
	return nil
}

// openPipeline prints the open deals by stage, with their estimated and
// weighted revenue (estimate × probability).
func (s *story) openPipeline() error {
	rows, err := s.pipeline.Open(s.ctx, sales.ByStage)
	if err != nil {
		return err
	}
	total, err := s.pipeline.Open(s.ctx, sales.Overall)
	if err != nil {
		return err
	}
	s.say("== Open pipeline by stage")
	s.say("  %-10s %6s %22s %22s", "stage", "deals", "estimated", "weighted")
	for _, r := range append(rows, total...) {
		name := "total"
		if r.Stage != nil {
			name = r.Stage.String()
		} else if len(total) > 0 && r.Opportunities != total[0].Opportunities {
			name = "(none)"
		}
		s.say("  %-10s %6d %22s %22s", name, r.Opportunities, formatMoney(r.Value), formatMoney(r.Weighted))
	}
	return nil
}

// stages prints the time deals spent in each stage and how many moved on.
func (s *story) stages() error {
	rows, err := s.pipeline.Stages(s.ctx)
	if err != nil {
		return err
	}
	s.say("== Stages: days spent and share moved on")
	for _, r := range rows {
		s.say("  %-10s %5d visits  %6s days on average  %6s%% moved on", r.Stage, r.Visits,
			r.AverageDays.StringFixed(2), r.ConversionRate().StringFixed(2))
	}
	return nil
}

// winRateByLead prints the win rate of closed deals by a field of the
// lead they came from: the aggregate groups opportunities through their
// originating lead.
func (s *story) winRateByLead(title, field string, choice bool) error {
	rows, err := s.st.Aggregate(s.ctx, crm.Aggregation{Entity: sales.OpportunityEntity,
		Where: crm.In(crm.FieldState, int32(sales.OpportunityStateWon), int32(sales.OpportunityStateLost)),
		GroupBy: []crm.GroupBy{
			{Alias: "by", Field: field, Label: choice, Path: []crm.Link{{Lookup: sales.FieldOriginatingLead}}},
			{Alias: "state", Field: crm.FieldState},
		},
		Measures: []crm.Measure{{Alias: "deals", Func: crm.AggCount}, {Alias: "revenue", Func: crm.AggSum, Field: sales.OpportunityActualValue}},
		OrderBy:  []crm.Order{crm.Asc("by"), crm.Asc("state")},
	})
	if err != nil {
		return err
	}
	type tally struct {
		won, lost int64
		revenue   crm.Money
	}
	var order []string
	by := map[string]*tally{}
	for _, r := range rows {
		k := r.String("by")
		if choice {
			k = r.Label("by")
		}
		if k == "" {
			k = "(none)"
		}
		t := by[k]
		if t == nil {
			t = &tally{}
			by[k], order = t, append(order, k)
		}
		if st, _ := r.Choice("state"); sales.OpportunityState(st) == sales.OpportunityStateWon {
			t.won = r.Int("deals")
			t.revenue, _ = r.Money("revenue")
		} else {
			t.lost = r.Int("deals")
		}
	}
	s.say("== Win rate by lead %s (closed deals)", title)
	for _, k := range order {
		t := by[k]
		s.say("  %-26s %5s%% of %5d won, %22s", k, rate(t.won, t.won+t.lost), t.won+t.lost, formatMoney(t.revenue))
	}
	return nil
}

// counsellors prints each counsellor's win rate, won revenue and days to
// close.
func (s *story) counsellors() error {
	rates, err := s.pipeline.WinRate(s.ctx, sales.ByOwner)
	if err != nil {
		return err
	}
	days, err := s.pipeline.DaysToClose(s.ctx, sales.ByOwner, "")
	if err != nil {
		return err
	}
	s.say("== Counsellors: win rate, won revenue, days from qualification to close")
	for _, r := range rates {
		avg := "-"
		for _, d := range days {
			if d.Owner == r.Owner {
				avg = d.AverageDays.StringFixed(1)
			}
		}
		s.say("  %-12s %5s%% of %4d won, %22s, %5s days", name(r.Owner), r.Rate().StringFixed(2), r.Won+r.Lost,
			formatMoney(r.WonRevenue), avg)
	}
	return nil
}

// forecast prints the quarter's and the next quarter's forecast per
// counsellor: won plus weighted open revenue.
func (s *story) forecast() error {
	rows, err := s.pipeline.Forecast(s.ctx)
	if err != nil {
		return err
	}
	s.say("== Forecast (won + weighted open), as of %s", s.clock.Now().Format("2 January 2006"))
	for _, r := range rows {
		s.say("  %-12s Q%d %d %22s = %22s won + %22s weighted", name(r.Owner), (int(r.Quarter.Month())+2)/3,
			r.Quarter.Year(), formatMoney(r.Forecast), formatMoney(r.Won), formatMoney(r.WeightedOpen))
	}
	return nil
}

// competition prints the win/loss figures against each competitor.
func (s *story) competition() error {
	rows, err := s.competitors.WinLossAll(s.ctx)
	if err != nil {
		return err
	}
	s.say("== Competitors")
	for _, r := range rows {
		pct := "-"
		if p, ok := r.WinPercentage(); ok {
			pct = p.StringFixed(2) + "%"
		}
		s.say("  %-8s won against %d, lost to %d, open %d: we win %s", r.Name, r.Won, r.Lost, r.Open, pct)
	}
	return nil
}

// name returns a counsellor's name.
func name(owner crm.Ref) string {
	for _, c := range counsellors {
		if c.id == owner.ID {
			return c.name
		}
	}
	return owner.ID.String()
}

// rate returns n / of in per cent to one place.
func rate(n, of int64) string {
	if of == 0 {
		return "-"
	}
	return decimal.NewFromInt(n*100).DivRound(decimal.NewFromInt(of), 1).StringFixed(1)
}

// formatMoney writes an amount with its currency's places and thousands
// separators; "-" for none.
func formatMoney(m crm.Money) string {
	if m.Currency == "" {
		return "-"
	}
	return textfmt.Thousands(m.Amount.StringFixed(m.Currency.Precision())) + " " + string(m.Currency)
}
