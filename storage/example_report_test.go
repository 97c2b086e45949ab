package storage_test

import (
	"context"
	"fmt"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/memory"
)

// A report: the top two agents by won revenue, with their names and their
// team's region, in one aggregate. The agent's name comes with the group
// key (GroupBy.Label); the region is a field of the agent's team, reached
// through two lookups (GroupBy.Path); Having drops agents below a
// threshold and OrderBy with Limit keeps the top of the rest.
func ExampleStore_Aggregate_topAgents() {
	ctx := crm.AsSystem(context.Background())
	reg := crm.NewRegistry()
	err := reg.Register(
		&crm.Entity{Name: "team", PrimaryName: "name", Fields: []crm.Field{
			{Name: "name", Type: crm.TypeText, Required: true},
			{Name: "region", Type: crm.TypeText},
		}},
		&crm.Entity{Name: "agent", PrimaryName: "name", Fields: []crm.Field{
			{Name: "name", Type: crm.TypeText, Required: true},
			{Name: "teamid", Type: crm.TypeLookup, Targets: []string{"team"}},
		}},
		&crm.Entity{Name: "deal", Fields: []crm.Field{
			{Name: "agentid", Type: crm.TypeLookup, Targets: []string{"agent"}},
			{Name: "revenue", Type: crm.TypeMoney},
			{Name: "won", Type: crm.TypeBool},
		}},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	store := memory.Open(reg)
	create := func(entity string, fields crm.Fields) crm.Ref {
		rec, err := store.Create(ctx, crm.Record{Entity: entity, Fields: fields})
		if err != nil {
			panic(err)
		}
		return rec.Ref()
	}
	north := create("team", crm.Fields{"name": "Hunters", "region": "North"})
	south := create("team", crm.Fields{"name": "Farmers", "region": "South"})
	ada := create("agent", crm.Fields{"name": "Ada", "teamid": north})
	bo := create("agent", crm.Fields{"name": "Bo", "teamid": south})
	cy := create("agent", crm.Fields{"name": "Cy", "teamid": north})
	for _, d := range []struct {
		agent   crm.Ref
		revenue string
		won     bool
	}{
		{ada, "1200.00 USD", true}, {ada, "800.00 USD", true}, {bo, "2500.00 USD", true},
		{bo, "9000.00 USD", false}, {cy, "300.00 USD", true}, {cy, "450.00 USD", true},
	} {
		create("deal", crm.Fields{"agentid": d.agent, "revenue": crm.MustMoney(d.revenue), "won": d.won})
	}

	rows, err := store.Aggregate(ctx, crm.Aggregation{
		Entity: "deal",
		Where:  crm.Eq("won", true),
		GroupBy: []crm.GroupBy{
			{Alias: "agent", Field: "agentid", Label: true},
			{Alias: "region", Path: []crm.Link{{Lookup: "agentid"}, {Lookup: "teamid"}}, Field: "region"},
		},
		Measures: []crm.Measure{
			{Alias: "revenue", Func: crm.AggSum, Field: "revenue"},
			{Alias: "deals", Func: crm.AggCount},
		},
		Having:  []crm.Condition{crm.Ge("revenue", crm.MustMoney("500 USD"))},
		OrderBy: []crm.Order{crm.Desc("revenue")},
		Limit:   2,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rows {
		revenue, _ := r.Money("revenue")
		fmt.Printf("%s (%s): %s in %d deals\n", r.Label("agent"), r.String("region"), revenue, r.Int("deals"))
	}
	// Output:
	// Bo (South): 2500.00 USD in 1 deals
	// Ada (North): 2000.00 USD in 2 deals
}
