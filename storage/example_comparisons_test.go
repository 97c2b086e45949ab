package storage_test

import (
	"context"
	"fmt"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/memory"
)

// Opportunities closed late: the actual close date compared with the
// estimated one on the same record (crm.ValueOf), how many days late
// (crm.DaysBetween), and the average days from creation to close per
// rating, computed by the store. The rating is given by its label.
func ExampleStore_closedLate() {
	ctx := crm.AsSystem(context.Background())
	reg := crm.NewRegistry()
	err := reg.Register(&crm.Entity{Name: "opportunity", PrimaryName: "name", Fields: []crm.Field{
		{Name: "name", Type: crm.TypeText},
		{Name: "estimatedclosedate", Type: crm.TypeTime, DateOnly: true},
		{Name: "actualclosedate", Type: crm.TypeTime, DateOnly: true},
		{Name: "opportunityratingcode", Type: crm.TypeChoice, Options: []crm.Option{
			{Value: 1, Label: "Hot"}, {Value: 2, Label: "Warm"}, {Value: 3, Label: "Cold"}}},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	clock := crm.NewManualClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	store := memory.Open(reg, storage.WithClock(clock))
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	for _, o := range []struct {
		name, est, actual string
		rating            int
	}{
		{"Contoso renewal", "2026-02-01", "2026-01-28", 1},
		{"Fabrikam rollout", "2026-02-15", "2026-03-20", 1},
		{"Tailspin pilot", "2026-03-01", "2026-03-04", 2},
		{"Northwind upgrade", "2026-04-01", "", 3},
	} {
		fields := crm.Fields{"name": o.name, "estimatedclosedate": day(o.est), "opportunityratingcode": o.rating}
		if o.actual != "" {
			fields["actualclosedate"] = day(o.actual)
		}
		if _, err := store.Create(ctx, crm.Record{Entity: "opportunity", Fields: fields}); err != nil {
			fmt.Println(err)
			return
		}
	}

	late, err := store.Query(ctx, crm.Query{Entity: "opportunity",
		Where:   crm.Gt("actualclosedate", crm.ValueOf("estimatedclosedate")),
		OrderBy: []crm.Order{crm.Asc("name")}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range late.Records {
		fmt.Println("late:", r.Fields["name"])
	}

	weeksLate, err := store.Count(ctx, crm.Query{Entity: "opportunity", Where: crm.And(
		crm.DaysBetween("estimatedclosedate", "actualclosedate").Gt(7),
		crm.Eq("opportunityratingcode", "hot"))})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("hot and more than a week late:", weeksLate)

	rows, err := store.Aggregate(ctx, crm.Aggregation{Entity: "opportunity",
		GroupBy: []crm.GroupBy{{Field: "opportunityratingcode", Alias: "rating"}},
		Measures: []crm.Measure{{Alias: "days", Func: crm.AggAvg,
			Diff: crm.DaysBetween(crm.FieldCreatedOn, "actualclosedate")}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	opportunity, _ := reg.Entity("opportunity")
	f, _ := opportunity.Field("opportunityratingcode")
	for _, row := range rows {
		days, ok := row.Decimal("days")
		if !ok {
			fmt.Printf("%s: not closed\n", row.ChoiceLabel("rating", f))
			continue
		}
		fmt.Printf("%s: %s days to close on average\n", row.ChoiceLabel("rating", f), days)
	}

	_, err = store.Count(ctx, crm.Query{Entity: "opportunity", Where: crm.Eq("opportunityratingcode", "Lukewarm")})
	fmt.Println(err)
	// Output:
	// late: Fabrikam rollout
	// late: Tailspin pilot
	// hot and more than a week late: 1
	// Hot: 48.5 days to close on average
	// Warm: 58 days to close on average
	// Cold: not closed
	// count opportunity: query: validation failed: invalid opportunity: opportunityratingcode eq: value 1 "Lukewarm" is not the label of an option of opportunityratingcode
}
