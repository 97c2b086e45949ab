package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
)

// accountsReport looks at the accounts through their deals, and at
// parent companies through their subsidiaries: conditions on the records
// that point at an account (crm.Any, crm.None) and on its place in the
// hierarchy of parent accounts (crm.Under, crm.EqOrUnder).
func accountsReport(ctx context.Context, st *storage.Store, say func(string, ...any)) error {
	won := crm.Eq(crm.FieldState, stateWon)
	names := func(where crm.Filter) ([]crm.Record, error) {
		page, err := st.Query(ctx, crm.Query{Entity: sales.AccountEntity, Where: where,
			OrderBy: []crm.Order{crm.Asc(sales.AccountName)}})
		return page.Records, err
	}

	say("== Accounts, by the deals that point at them")
	// The GTK 500 is the premium product: few accounts bought it. The
	// condition looks down from the account to its deals, and up from
	// each deal to its product.
	premium, err := names(crm.Any(opportunity, oppAccount,
		crm.And(won, crm.Through(oppProduct, product, crm.Eq(name, premiumProduct)))))
	if err != nil {
		return err
	}
	say("%s", accountsLine("won a "+premiumProduct+" deal", accountNames(premium)))
	// An account with no win in the last month of the data.
	quiet, err := names(crm.None(opportunity, oppAccount,
		crm.And(won, crm.Ge(oppCloseDate, quietSince))))
	if err != nil {
		return err
	}
	say("%s", accountsLine("no win since "+quietSince.Format(time.DateOnly), accountNames(quiet)))

	// A parent company is an account some account points at as its
	// parent; its group is itself and every account under it, at any
	// depth, which one condition on the deal's account selects.
	say("== Won revenue of parent companies with their subsidiaries")
	parents, err := names(crm.Any(sales.AccountEntity, sales.AccountParent, nil))
	if err != nil {
		return err
	}
	for _, p := range parents {
		subsidiaries, err := st.Count(ctx, crm.Query{Entity: sales.AccountEntity, Where: crm.Under(p.ID)})
		if err != nil {
			return err
		}
		rows, err := st.Aggregate(ctx, crm.Aggregation{Entity: opportunity,
			Where: crm.And(won, crm.Through(oppAccount, sales.AccountEntity, crm.EqOrUnder(p.ID))),
			Measures: []crm.Measure{{Alias: "revenue", Func: crm.AggSum, Field: oppCloseValue},
				{Alias: "deals", Func: crm.AggCount}}})
		if err != nil {
			return err
		}
		say("%s", groupLine(p.Fields.String(sales.AccountName), subsidiaries, money(rows[0], "revenue"), rows[0].Int("deals")))
	}
	return nil
}

// cycleReport measures how long won deals took, from engage date to
// close date, by regional office (crm.DaysBetween in a measure and in a
// condition, crm.ValueOf comparing the two dates of each deal), then
// saves that report as JSON, loads it back and runs it again, as a saved
// view would be.
func cycleReport(ctx context.Context, st *storage.Store, say func(string, ...any)) error {
	won := crm.Eq(crm.FieldState, stateWon)
	cycle := crm.DaysBetween(oppEngageDate, oppCloseDate)
	byOffice := crm.Aggregation{Entity: opportunity,
		Where: won,
		GroupBy: []crm.GroupBy{{Alias: "office", Label: true, Field: managerOffice,
			Path: []crm.Link{{Lookup: oppAgent}, {Lookup: agentManager}}}},
		Measures: []crm.Measure{
			{Alias: "days", Func: crm.AggAvg, Diff: cycle},
			{Alias: "fastest", Func: crm.AggMin, Diff: cycle},
			{Alias: "slowest", Func: crm.AggMax, Diff: cycle},
			{Alias: "deals", Func: crm.AggCount}},
		OrderBy: []crm.Order{crm.Desc("days")},
	}
	officeLines := func(a crm.Aggregation) ([]string, error) {
		rows, err := st.Aggregate(ctx, a)
		if err != nil {
			return nil, err
		}
		lines := make([]string, len(rows))
		for i, r := range rows {
			days, _ := r.Decimal("days")
			lines[i] = cycleLine(r.Label("office"), days, r.Int("fastest"), r.Int("slowest"), r.Int("deals"))
		}
		return lines, nil
	}

	say("== Days from engage to close of won deals, by regional office")
	lines, err := officeLines(byOffice)
	if err != nil {
		return err
	}
	for _, l := range lines {
		say("%s", l)
	}
	slow, err := st.Count(ctx, crm.Query{Entity: opportunity, Where: crm.And(won, cycle.Gt(slowDays))})
	if err != nil {
		return err
	}
	say("  won deals that took more than %d days: %d", slowDays, slow)
	// A check of the source the store makes, comparing two fields of
	// each deal: none closed before it was engaged.
	early, err := st.Count(ctx, crm.Query{Entity: opportunity, Where: crm.Lt(oppCloseDate, crm.ValueOf(oppEngageDate))})
	if err != nil {
		return err
	}
	say("  deals closed before they were engaged: %d", early)

	say("== The office report, saved as JSON, loaded back and run again")
	saved, err := json.Marshal(byOffice)
	if err != nil {
		return err
	}
	say("%s", saved)
	var loaded crm.Aggregation
	if err := json.Unmarshal(saved, &loaded); err != nil {
		return err
	}
	// Checked where it is loaded, against the metadata of the store that
	// will run it, before anything is read.
	if err := st.CheckAggregation(ctx, loaded); err != nil {
		return err
	}
	again, err := officeLines(loaded)
	if err != nil {
		return err
	}
	if !slices.Equal(again, lines) {
		return fmt.Errorf("the saved report gives other figures:\n%s", strings.Join(again, "\n"))
	}
	for _, l := range again {
		say("%s", l)
	}
	return nil
}

// The accounts and cycle sections' thresholds.
var (
	premiumProduct = "GTK 500"
	quietSince     = time.Date(2017, 12, 1, 0, 0, 0, 0, time.UTC)
	slowDays       = int64(90)
)

func accountNames(recs []crm.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Fields.String(sales.AccountName)
	}
	return out
}

func accountsLine(what string, accounts []string) string {
	return fmt.Sprintf("  %s (%s): %s", what, plural(len(accounts), "account"), strings.Join(accounts, ", "))
}

func groupLine(parent string, subsidiaries int64, revenue string, deals int64) string {
	return fmt.Sprintf("  %-16s and %-15s %16s in %3d deals", parent, plural(int(subsidiaries), "subsidiary", "subsidiaries"), revenue, deals)
}

func cycleLine(office string, days decimal.Decimal, fastest, slowest, deals int64) string {
	return fmt.Sprintf("  %-8s %5s days on average, %d to %d, over %4d deals", office, days.StringFixed(1), fastest, slowest, deals)
}
