package driver_test

import (
	"fmt"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// A query can reach through a lookup: here, contacts named D-something
// whose parent account is in Paris. PlanQuery checks it against
// the metadata, and the plan says which records match: what every adapter
// must answer.
func ExamplePlanQuery() {
	reg := crm.NewRegistry()
	_ = reg.Register(
		&crm.Entity{Name: "account", Fields: []crm.Field{
			{Name: "name", Type: crm.TypeText, Required: true},
			{Name: "address1_city", Type: crm.TypeText},
		}},
		&crm.Entity{Name: "contact", Fields: []crm.Field{
			{Name: "lastname", Type: crm.TypeText, Required: true},
			{Name: "parentcustomerid", Type: crm.TypeLookup, Targets: []string{"account", "contact"}},
		}},
	)
	paris := crm.Record{Entity: "account", Header: crm.Header{ID: crm.NewID()},
		Fields: crm.Fields{"name": "Alpine Ski House", "address1_city": "Paris"}}
	oslo := crm.Record{Entity: "account", Header: crm.Header{ID: crm.NewID()},
		Fields: crm.Fields{"name": "Northwind", "address1_city": "Oslo"}}
	accounts := map[crm.ID]crm.Record{paris.ID: paris, oslo.ID: oslo}
	resolve := func(entity string, id crm.ID) (driver.Row, bool, error) {
		r, ok := accounts[id]
		return driver.RecordRow(&r), ok && entity == "account", nil
	}

	q := crm.Query{
		Entity: "contact",
		Where: crm.And(
			crm.BeginsWith("lastname", "d"),
			crm.Through("parentcustomerid", "account", crm.Eq("address1_city", "paris")),
		),
		OrderBy: []crm.Order{crm.Asc("lastname")},
	}
	plan, err := driver.PlanQuery(reg, q, time.Now(), nil, driver.Principal{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range []crm.Record{
		{Entity: "contact", Fields: crm.Fields{"lastname": "Davolio", "parentcustomerid": paris.Ref()}},
		{Entity: "contact", Fields: crm.Fields{"lastname": "Dodsworth", "parentcustomerid": oslo.Ref()}},
		{Entity: "contact", Fields: crm.Fields{"lastname": "Fuller", "parentcustomerid": paris.Ref()}},
	} {
		ok, _ := plan.Match(c, resolve)
		fmt.Println(c.Fields["lastname"], ok)
	}

	q.Where = crm.Through("parentcustomerid", "account", crm.Eq("city", "Paris"))
	_, err = driver.PlanQuery(reg, q, time.Now(), nil, driver.Principal{})
	fmt.Println(err)
	// Output:
	// Davolio true
	// Dodsworth false
	// Fuller false
	// query: validation failed: invalid contact: parentcustomerid.city is not a field of account
}
