package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/internal/textfmt"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
)

// sectorThreshold is the won revenue a sector must reach to be reported.
var sectorThreshold = crm.MustMoney("1000000 USD")

// storeCounts prints what the store holds after the loads, counted by
// the store.
func storeCounts(ctx context.Context, st *storage.Store, say func(string, ...any)) error {
	var parts []string
	for _, e := range []struct{ entity, label string }{
		{office, "offices"}, {manager, "managers"}, {agent, "agents"}, {product, "products"},
		{sales.AccountEntity, "accounts"}, {opportunity, "opportunities"},
	} {
		n, err := st.Count(ctx, crm.Query{Entity: e.entity})
		if err != nil {
			return err
		}
		parts = append(parts, fmt.Sprintf("%d %s", n, e.label))
	}
	say("the store holds %s", strings.Join(parts, ", "))
	// Agents no opportunity points at.
	idle, err := st.Query(ctx, crm.Query{Entity: agent, Where: crm.None(opportunity, oppAgent, nil), OrderBy: []crm.Order{crm.Asc(name)}})
	if err != nil {
		return err
	}
	names := make([]string, len(idle.Records))
	for i, r := range idle.Records {
		names[i] = r.Fields.String(name)
	}
	say("agents without deals: %s", strings.Join(names, ", "))

	// A deal's creation date is its engage date; deals never engaged
	// were created by the import.
	years, err := st.Aggregate(ctx, crm.Aggregation{Entity: opportunity,
		GroupBy:  []crm.GroupBy{{Alias: "year", Field: crm.FieldCreatedOn, Date: crm.ByYear}},
		Measures: []crm.Measure{{Alias: "deals", Func: crm.AggCount}}})
	if err != nil {
		return err
	}
	parts = parts[:0]
	for _, r := range years {
		parts = append(parts, fmt.Sprintf("%d in %d", r.Int("deals"), r.Time("year").Year()))
	}
	say("opportunities by creation year (the engage date, else the import): %s", strings.Join(parts, ", "))

	// Won deals were created closed, and closed deals are read-only.
	deal, err := st.GetByKey(ctx, opportunity, nameKey, "1C1I7A6R")
	if err != nil {
		return err
	}
	_, err = st.Update(ctx, crm.Record{Entity: opportunity, Header: deal.Header,
		Fields: crm.Fields{oppCloseValue: crm.MustMoney("2000 USD")}})
	var terr *crm.TransitionError
	if !errors.As(err, &terr) {
		return fmt.Errorf("a won deal took an update: %v", err)
	}
	say("deal %s, imported won, refuses an update: %v", deal.Fields.String(name), terr)
	return nil
}

// report prints the pipeline report: every figure is an aggregate the
// store computes (Store.Aggregate), in one statement on a SQL store.
func report(ctx context.Context, st *storage.Store, say func(string, ...any)) error {
	agg := func(a crm.Aggregation) ([]crm.AggregateRow, error) {
		a.Entity = opportunity
		return st.Aggregate(ctx, a)
	}
	won := crm.Eq(crm.FieldState, stateWon)
	wonRevenue := crm.Measure{Alias: "revenue", Func: crm.AggSum, Field: oppCloseValue}
	deals := crm.Measure{Alias: "deals", Func: crm.AggCount}

	say("== Pipeline by stage")
	rows, err := agg(crm.Aggregation{
		GroupBy: []crm.GroupBy{{Alias: "stage", Field: crm.FieldStatus, Label: true}},
		Measures: []crm.Measure{deals,
			{Alias: "accounts", Func: crm.AggCountDistinct, Field: oppAccount},
			{Alias: "value", Func: crm.AggSum, Field: oppCloseValue}},
	})
	if err != nil {
		return err
	}
	say("%s", stageLine("stage", "deals", "accounts", "close value"))
	for _, r := range rows {
		say("%s", stageLine(r.Label("stage"), r.Int("deals"), r.Int("accounts"), money(r, "value")))
	}
	rows, err = agg(crm.Aggregation{Measures: []crm.Measure{deals,
		{Alias: "accounts", Func: crm.AggCountDistinct, Field: oppAccount},
		{Alias: "value", Func: crm.AggSum, Field: oppCloseValue}}})
	if err != nil {
		return err
	}
	say("%s", stageLine("total", rows[0].Int("deals"), rows[0].Int("accounts"), money(rows[0], "value")))

	// The office is a field of the agent's manager: two lookups away.
	say("== Won revenue by regional office (deal → agent → manager → office)")
	rows, err = agg(crm.Aggregation{
		Where: won,
		GroupBy: []crm.GroupBy{{Alias: "office", Label: true, Field: managerOffice,
			Path: []crm.Link{{Lookup: oppAgent}, {Lookup: agentManager}}}},
		Measures: []crm.Measure{wonRevenue, deals,
			{Alias: "agents", Func: crm.AggCountDistinct, Field: oppAgent},
			{Alias: "average", Func: crm.AggAvg, Field: oppCloseValue}},
		OrderBy: []crm.Order{crm.Desc("revenue")},
	})
	if err != nil {
		return err
	}
	for _, r := range rows {
		say("%s", officeLine(r.Label("office"), money(r, "revenue"), r.Int("deals"), r.Int("agents"), money(r, "average")))
	}

	say("== Top 5 agents by won revenue")
	rows, err = agg(crm.Aggregation{
		Where: won,
		GroupBy: []crm.GroupBy{{Alias: "agent", Field: oppAgent, Label: true},
			{Alias: "manager", Field: agentManager, Label: true, Path: []crm.Link{{Lookup: oppAgent}}}},
		Measures: []crm.Measure{wonRevenue, deals},
		OrderBy:  []crm.Order{crm.Desc("revenue")},
		Limit:    5,
	})
	if err != nil {
		return err
	}
	for i, r := range rows {
		say("%s", agentLine(i+1, r.Label("agent"), r.Label("manager"), money(r, "revenue"), r.Int("deals")))
	}

	say("== Won revenue by close month")
	rows, err = agg(crm.Aggregation{
		Where:    won,
		GroupBy:  []crm.GroupBy{{Alias: "month", Field: oppCloseDate, Date: crm.ByMonth}},
		Measures: []crm.Measure{wonRevenue, deals},
	})
	if err != nil {
		return err
	}
	for _, r := range rows {
		say("%s", monthLine(r.Time("month").Format("2006-01"), money(r, "revenue"), r.Int("deals")))
	}

	// A win rate is two counts: the store counts won and lost deals by
	// product, and the program divides.
	say("== Win rate by product (closed deals)")
	rows, err = agg(crm.Aggregation{
		Where:    crm.In(crm.FieldState, stateWon, stateLost),
		GroupBy:  []crm.GroupBy{{Alias: "product", Field: oppProduct, Label: true}, {Alias: "state", Field: crm.FieldState}},
		Measures: []crm.Measure{deals},
	})
	if err != nil {
		return err
	}
	type tally struct{ won, closed int64 }
	var order []string
	rates := map[string]*tally{}
	for _, r := range rows {
		p := r.Label("product")
		if rates[p] == nil {
			rates[p] = &tally{}
			order = append(order, p)
		}
		if s, _ := r.Choice("state"); crm.StateCode(s) == stateWon {
			rates[p].won += r.Int("deals")
		}
		rates[p].closed += r.Int("deals")
	}
	// Seven rows, best rate first.
	slices.SortStableFunc(order, func(a, b string) int {
		return cmp.Compare(rates[b].won*rates[a].closed, rates[a].won*rates[b].closed)
	})
	for _, p := range order {
		say("%s", rateLine(p, rates[p].won, rates[p].closed))
	}

	// The sector is a custom field of the deal's account; Having keeps
	// the sectors above the threshold.
	say("== Sectors with won revenue of %s or more", formatMoney(sectorThreshold))
	rows, err = agg(crm.Aggregation{
		Where: won,
		GroupBy: []crm.GroupBy{{Alias: "sector", Field: accountSector, Label: true,
			Path: []crm.Link{{Lookup: oppAccount, Entity: sales.AccountEntity}}}},
		Measures: []crm.Measure{wonRevenue, deals, {Alias: "accounts", Func: crm.AggCountDistinct, Field: oppAccount}},
		Having:   []crm.Condition{crm.Ge("revenue", sectorThreshold)},
		OrderBy:  []crm.Order{crm.Desc("revenue")},
	})
	if err != nil {
		return err
	}
	for _, r := range rows {
		say("%s", sectorLine(r.Label("sector"), money(r, "revenue"), r.Int("deals"), r.Int("accounts")))
	}
	return nil
}

// The report's lines, one function each, so that the test formats the
// figures it computes from the files as the report does.

func stageLine(stage string, deals, accounts, value any) string {
	return fmt.Sprintf("  %-12s %6v %9v %18v", stage, deals, accounts, value)
}

func officeLine(office, revenue string, deals, agents int64, average string) string {
	return fmt.Sprintf("  %-8s %16s in %4d deals by %2d agents, %s a deal", office, revenue, deals, agents, average)
}

func agentLine(rank int, agent, manager, revenue string, deals int64) string {
	return fmt.Sprintf("  %d. %-18s %16s in %3d deals (%s's team)", rank, agent, revenue, deals, manager)
}

func monthLine(month, revenue string, deals int64) string {
	return fmt.Sprintf("  %s %16s in %3d deals", month, revenue, deals)
}

func rateLine(product string, won, closed int64) string {
	rate := decimal.NewFromInt(won*100).DivRound(decimal.NewFromInt(closed), 1)
	return fmt.Sprintf("  %-14s %5s%% of %4d closed deals won", product, rate.StringFixed(1), closed)
}

func sectorLine(sector, revenue string, deals, accounts int64) string {
	return fmt.Sprintf("  %-12s %16s in %3d deals with %2d accounts", sector, revenue, deals, accounts)
}

// money formats the money measure at alias, or "-" when it is null.
func money(r crm.AggregateRow, alias string) string {
	m, ok := r.Money(alias)
	if !ok {
		return "-"
	}
	return formatMoney(m)
}

// formatMoney writes an amount with its currency's places and thousands
// separators: 1,234,567.00 USD.
func formatMoney(m crm.Money) string {
	return textfmt.Thousands(m.Amount.StringFixed(m.Currency.Precision())) + " " + string(m.Currency)
}
