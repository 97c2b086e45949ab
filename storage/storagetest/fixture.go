package storagetest

import (
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/stretchr/testify/require"
)

// The query fixture: nine accounts whose IDs are testID(1) to testID(9) in
// this order, four contacts and six tasks. Every query test states its
// expected rows by hand from this table.
//
//	#  name          city    emp      rating creditlimit  hold  lastcontactedon         foundedon   cat parent
//	1  Alpha         Paris   10       1.50   1000.00 USD  true  2026-03-15 09:30        2001-05-20  1
//	2  beta          paris   250      3.25   5000.50 USD  false 2026-03-14 23:59:59.999999 1999-12-31 2 Alpha
//	3  Gamma         London  -        4.75   200.00 EUR   -     2026-03-16 08:00        2026-03-15  1
//	4  delta         Berlin  0        -      -            false 2026-02-10 10:00        -           -
//	5  Epsilon       -       -5       0.00   0.00 USD     true  2025-07-04 15:00        2026-03-01  2
//	6  50% off_deal  Paris   42       2.00   42.42 USD    -     -                       -           -
//	7  Back\slash    Rome    42       9.99   1000.00 EUR  true  2026-03-10 00:00        2026-03-20  1
//	8  Zeta          london  1000000  -1.25  -10.00 USD   false 2026-03-15 11:30        2020-02-29  2   Gamma
//	9  Émile         Zürich  7        -      -            -     2026-04-02 09:00        -           -
//
// Alpha's primary contact is Ann Lee, Gamma's is Bob Ray.
type fixture struct {
	accounts map[string]crm.Record // by name
	contacts map[string]crm.Record // by last name
}

func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

func day(y int, m time.Month, d int) time.Time { return utc(y, m, d, 0, 0) }

func (e *env) loadFixture() fixture {
	e.t.Helper()
	f := fixture{accounts: map[string]crm.Record{}, contacts: map[string]crm.Record{}}
	rows := []crm.Fields{
		{"name": "Alpha", "city": "Paris", "numberofemployees": 10, "rating": dec("1.50"), "creditlimit": money("1000.00 USD"),
			"creditonhold": true, "lastcontactedon": utc(2026, 3, 15, 9, 30), "foundedon": day(2001, 5, 20), "category": 1},
		{"name": "beta", "city": "paris", "numberofemployees": 250, "rating": dec("3.25"), "creditlimit": money("5000.50 USD"),
			"creditonhold": false, "lastcontactedon": time.Date(2026, 3, 14, 23, 59, 59, 999999000, time.UTC), "foundedon": day(1999, 12, 31),
			"category": 2, "parentaccountid": crm.Ref{Entity: account, ID: testID(1)}},
		{"name": "Gamma", "city": "London", "rating": dec("4.75"), "creditlimit": money("200.00 EUR"),
			"lastcontactedon": utc(2026, 3, 16, 8, 0), "foundedon": day(2026, 3, 15), "category": 1},
		{"name": "delta", "city": "Berlin", "numberofemployees": 0, "creditonhold": false, "lastcontactedon": utc(2026, 2, 10, 10, 0)},
		{"name": "Epsilon", "numberofemployees": -5, "rating": dec("0.00"), "creditlimit": money("0.00 USD"), "creditonhold": true,
			"lastcontactedon": utc(2025, 7, 4, 15, 0), "foundedon": day(2026, 3, 1), "category": 2},
		{"name": "50% off_deal", "city": "Paris", "numberofemployees": 42, "rating": dec("2.00"), "creditlimit": money("42.42 USD")},
		{"name": `Back\slash`, "city": "Rome", "numberofemployees": 42, "rating": dec("9.99"), "creditlimit": money("1000.00 EUR"),
			"creditonhold": true, "lastcontactedon": utc(2026, 3, 10, 0, 0), "foundedon": day(2026, 3, 20), "category": 1},
		{"name": "Zeta", "city": "london", "numberofemployees": 1000000, "rating": dec("-1.25"), "creditlimit": money("-10.00 USD"),
			"creditonhold": false, "lastcontactedon": utc(2026, 3, 15, 11, 30), "foundedon": day(2020, 2, 29), "category": 2,
			"parentaccountid": crm.Ref{Entity: account, ID: testID(3)}},
		{"name": "Émile", "city": "Zürich", "numberofemployees": 7, "lastcontactedon": utc(2026, 4, 2, 9, 0)},
	}
	for i, fields := range rows {
		rec := e.createWithID(account, testID(i+1), fields)
		f.accounts[rec.Fields.String("name")] = rec
	}
	contacts := []crm.Fields{
		{"firstname": "Ann", "lastname": "Lee", "city": "Paris", "parentcustomerid": f.accounts["Alpha"].Ref()},
		{"firstname": "Bob", "lastname": "Ray", "city": "London", "parentcustomerid": f.accounts["beta"].Ref()},
		{"firstname": "Cy", "lastname": "Kim", "city": "Rome", "parentcustomerid": crm.Ref{Entity: contact, ID: testID(101)}},
		{"firstname": "Di", "lastname": "Fox"},
	}
	for i, fields := range contacts {
		rec := e.createWithID(contact, testID(101+i), fields)
		f.contacts[rec.Fields.String("lastname")] = rec
	}
	tasks := []crm.Fields{
		{"subject": "Call Ann", "regardingobjectid": f.contacts["Lee"].Ref()},
		{"subject": "Call Bob", "regardingobjectid": f.contacts["Ray"].Ref()},
		{"subject": "Review Alpha", "regardingobjectid": f.accounts["Alpha"].Ref()},
		{"subject": "Unrelated"},
		{"subject": "Call Cy", "regardingobjectid": f.contacts["Kim"].Ref()},
		{"subject": "Call Di", "regardingobjectid": f.contacts["Fox"].Ref()},
	}
	for i, fields := range tasks {
		e.createWithID(task, testID(201+i), fields)
	}
	for acc, con := range map[string]string{"Alpha": "Lee", "Gamma": "Ray"} {
		rec, err := e.store.Update(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: f.accounts[acc].ID},
			Fields: crm.Fields{"primarycontactid": f.contacts[con].ID}})
		require.NoError(e.t, err)
		f.accounts[acc] = rec
	}
	return f
}
