package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/csv"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
)

// files are the dataset as published (see data/SOURCE.md).
//
//go:embed data/*.csv
var files embed.FS

// The source's quirks, and what the import makes of them.
var (
	// products maps the names the pipeline uses to those of products.csv.
	products = map[string]string{"GTXPro": "GTX Pro"}
	// sectors maps the dataset's sectors to the options of mv_sector,
	// the misspelt "technolgy" included.
	sectors = map[string]string{
		"retail": "Retail", "technolgy": "Technology", "medical": "Medical", "marketing": "Marketing",
		"finance": "Finance", "software": "Software", "entertainment": "Entertainment",
		"telecommunications": "Telecommunications", "services": "Services", "employment": "Employment",
	}
	// countries corrects the misspelt office locations.
	countries = map[string]string{"Philipines": "Philippines"}
)

// dataset is the files, read and checked, with their quirks resolved.
type dataset struct {
	teams    []teamRow
	products []productRow
	accounts []accountRow
	deals    []dealRow
	warnings []string // what the import did about the quirks
}

type teamRow struct{ agent, manager, office string }

type productRow struct {
	name, series string
	price        decimal.Decimal // USD
}

type accountRow struct {
	name        string
	sector      int32 // an option of mv_sector
	established int64
	revenue     decimal.Decimal // millions of USD, as published
	employees   int64
	country     string
	parent      string // the parent company's name, or ""
}

type dealRow struct {
	id, agent, product, account string // account "" for none
	state                       crm.StateCode
	status                      crm.StatusCode
	engage, close               time.Time // zero when blank
	value                       *decimal.Decimal
}

// readCSV reads an embedded file, checks its header and returns its rows
// as maps by column name.
func readCSV(file string, header ...string) ([]map[string]string, error) {
	b, err := files.ReadFile("data/" + file)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = len(header)
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if len(rows) == 0 || !slices.Equal(rows[0], header) {
		return nil, fmt.Errorf("read %s: header is not %v", file, header)
	}
	out := make([]map[string]string, len(rows)-1)
	for i, row := range rows[1:] {
		m := make(map[string]string, len(header))
		for j, h := range header {
			m[h] = row[j]
		}
		out[i] = m
	}
	return out, nil
}

// readData reads the four data files. A value it cannot place (an
// unknown product, agent or sector, a bad number) stops it, as it would
// stop a user's import: the quirks it resolves are the known ones.
func readData() (*dataset, error) {
	d := &dataset{}
	teams, err := readCSV("sales_teams.csv", "sales_agent", "manager", "regional_office")
	if err != nil {
		return nil, err
	}
	agents, officeOf := map[string]bool{}, map[string]string{}
	for _, r := range teams {
		t := teamRow{agent: r["sales_agent"], manager: r["manager"], office: r["regional_office"]}
		// The model puts the office on the manager: each is in one.
		if o, ok := officeOf[t.manager]; ok && o != t.office {
			return nil, fmt.Errorf("sales_teams.csv: manager %s is in offices %s and %s", t.manager, o, t.office)
		}
		officeOf[t.manager] = t.office
		d.teams = append(d.teams, t)
		agents[t.agent] = true
	}

	prods, err := readCSV("products.csv", "product", "series", "sales_price")
	if err != nil {
		return nil, err
	}
	productNames := map[string]bool{}
	for _, r := range prods {
		price, err := decimal.NewFromString(r["sales_price"])
		if err != nil {
			return nil, fmt.Errorf("products.csv: %s: price: %w", r["product"], err)
		}
		d.products = append(d.products, productRow{name: r["product"], series: r["series"], price: price})
		productNames[r["product"]] = true
	}

	accounts, err := readCSV("accounts.csv", "account", "sector", "year_established", "revenue", "employees", "office_location", "subsidiary_of")
	if err != nil {
		return nil, err
	}
	accountNames := map[string]bool{}
	fixedSector, fixedCountry := map[string]int{}, map[string]int{}
	for _, r := range accounts {
		a := accountRow{name: r["account"], country: r["office_location"], parent: r["subsidiary_of"]}
		label, ok := sectors[r["sector"]]
		if !ok {
			return nil, fmt.Errorf("accounts.csv: %s: unknown sector %q", a.name, r["sector"])
		}
		if label != titleCase(r["sector"]) {
			fixedSector[r["sector"]]++
		}
		a.sector = 100_000_000 + int32(slices.Index(sectorOptions, label))
		if c, ok := countries[a.country]; ok {
			fixedCountry[a.country]++
			a.country = c
		}
		var errs [3]error
		a.established, errs[0] = strconv.ParseInt(r["year_established"], 10, 64)
		a.revenue, errs[1] = decimal.NewFromString(r["revenue"])
		a.employees, errs[2] = strconv.ParseInt(r["employees"], 10, 64)
		for _, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("accounts.csv: %s: %w", a.name, err)
			}
		}
		d.accounts = append(d.accounts, a)
		accountNames[a.name] = true
	}
	for _, a := range d.accounts {
		if a.parent != "" && !accountNames[a.parent] {
			return nil, fmt.Errorf("accounts.csv: %s: unknown parent %q", a.name, a.parent)
		}
	}

	deals, err := readCSV("sales_pipeline.csv", "opportunity_id", "sales_agent", "product", "account", "deal_stage", "engage_date", "close_date", "close_value")
	if err != nil {
		return nil, err
	}
	renamed, noAccount := map[string]int{}, 0
	withDeals := map[string]bool{}
	for _, r := range deals {
		deal := dealRow{id: r["opportunity_id"], agent: r["sales_agent"], product: r["product"], account: r["account"]}
		if p, ok := products[deal.product]; ok {
			renamed[deal.product]++
			deal.product = p
		}
		switch {
		case !agents[deal.agent]:
			return nil, fmt.Errorf("sales_pipeline.csv: %s: unknown agent %q", deal.id, deal.agent)
		case !productNames[deal.product]:
			return nil, fmt.Errorf("sales_pipeline.csv: %s: unknown product %q", deal.id, deal.product)
		case deal.account != "" && !accountNames[deal.account]:
			return nil, fmt.Errorf("sales_pipeline.csv: %s: unknown account %q", deal.id, deal.account)
		}
		withDeals[deal.agent] = true
		switch r["deal_stage"] {
		case "Prospecting":
			deal.state, deal.status = stateOpen, statusProspecting
		case "Engaging":
			deal.state, deal.status = stateOpen, statusEngaging
		case "Won":
			deal.state, deal.status = stateWon, statusWon
		case "Lost":
			deal.state, deal.status = stateLost, statusLost
		default:
			return nil, fmt.Errorf("sales_pipeline.csv: %s: unknown deal stage %q", deal.id, r["deal_stage"])
		}
		if deal.account == "" {
			noAccount++
		}
		if deal.engage, err = parseDate(r["engage_date"]); err == nil {
			deal.close, err = parseDate(r["close_date"])
		}
		if err != nil {
			return nil, fmt.Errorf("sales_pipeline.csv: %s: %w", deal.id, err)
		}
		if v := r["close_value"]; v != "" {
			value, err := decimal.NewFromString(v)
			if err != nil {
				return nil, fmt.Errorf("sales_pipeline.csv: %s: close value: %w", deal.id, err)
			}
			deal.value = &value
		}
		d.deals = append(d.deals, deal)
	}

	for _, from := range sortedKeys(renamed) {
		d.warnings = append(d.warnings, fmt.Sprintf("product %q (%s) read as %q, its name in products.csv", from, plural(renamed[from], "deal"), products[from]))
	}
	if noAccount > 0 {
		d.warnings = append(d.warnings, fmt.Sprintf("%s name no account: loaded without one", plural(noAccount, "open deal")))
	}
	for _, from := range sortedKeys(fixedSector) {
		d.warnings = append(d.warnings, fmt.Sprintf("sector %q (%s) read as the option %s", from, plural(fixedSector[from], "account"), sectors[from]))
	}
	for _, from := range sortedKeys(fixedCountry) {
		d.warnings = append(d.warnings, fmt.Sprintf("office location %q (%s) corrected to %s", from, plural(fixedCountry[from], "account"), countries[from]))
	}
	idle := 0
	for a := range agents {
		if !withDeals[a] {
			idle++
		}
	}
	if idle > 0 {
		d.warnings = append(d.warnings, fmt.Sprintf("%s no deals: loaded all the same", plural(idle, "agent has", "agents have")))
	}
	d.warnings = append(d.warnings, "revenue is published in millions of USD: stored in USD")
	return d, nil
}

// parseDate reads a date of the data set; "" is none.
func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.DateOnly, s)
}

// plural writes n with the singular noun, or the plural one (the
// singular with an s, unless given).
func plural(n int, noun string, plurals ...string) string {
	if n == 1 {
		return "1 " + noun
	}
	if len(plurals) > 0 {
		return fmt.Sprintf("%d %s", n, plurals[0])
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// loadCount is what one load did to the records of one entity.
type loadCount struct {
	entity                 string
	created, changed, same int
}

// load imports the dataset in one transaction, each entity by its
// alternate key, after the entities it points at: the records imported
// give the IDs the next entity's lookups need.
func load(ctx context.Context, st *storage.Store, d *dataset) ([]loadCount, error) {
	var counts []loadCount
	err := st.InTx(ctx, func(ctx context.Context) error {
		counts = nil
		now := st.Now(ctx) // every write of the transaction is stamped with it
		// imp imports recs by key, counts what it did under label and
		// returns a reference to each record by its natural key.
		imp := func(label, key string, recs []crm.Record, natural func(crm.Record) string) (map[string]crm.Ref, error) {
			out, err := st.Import(ctx, recs, storage.ImportOptions{Key: key})
			if err != nil {
				return nil, err
			}
			if len(counts) == 0 || counts[len(counts)-1].entity != label {
				counts = append(counts, loadCount{entity: label})
			}
			c := &counts[len(counts)-1]
			refs := make(map[string]crm.Ref, len(out))
			for i, o := range out {
				switch {
				case o.Created:
					c.created++
				case o.Record.ModifiedOn.Equal(now):
					// Imported says created or not; a record the
					// import wrote is stamped with its time.
					c.changed++
				default:
					c.same++
				}
				refs[natural(recs[i])] = o.Record.Ref()
			}
			return refs, nil
		}
		byName := func(r crm.Record) string { return r.Fields.String(name) }

		var offices, managers []crm.Record
		seen := map[string]bool{}
		for _, t := range d.teams {
			if !seen["office "+t.office] {
				seen["office "+t.office] = true
				offices = append(offices, crm.Record{Entity: office, Fields: crm.Fields{name: t.office}})
			}
		}
		officeRefs, err := imp("offices", nameKey, offices, byName)
		if err != nil {
			return err
		}
		for _, t := range d.teams {
			if !seen["manager "+t.manager] {
				seen["manager "+t.manager] = true
				managers = append(managers, crm.Record{Entity: manager, Fields: crm.Fields{name: t.manager, managerOffice: officeRefs[t.office]}})
			}
		}
		managerRefs, err := imp("managers", nameKey, managers, byName)
		if err != nil {
			return err
		}
		agents := make([]crm.Record, len(d.teams))
		for i, t := range d.teams {
			agents[i] = crm.Record{Entity: agent, Fields: crm.Fields{name: t.agent, agentManager: managerRefs[t.manager]}}
		}
		agentRefs, err := imp("agents", nameKey, agents, byName)
		if err != nil {
			return err
		}
		prods := make([]crm.Record, len(d.products))
		for i, p := range d.products {
			prods[i] = crm.Record{Entity: product, Fields: crm.Fields{name: p.name, productSeries: p.series,
				productPrice: crm.NewMoney(p.price, "USD")}}
		}
		productRefs, err := imp("products", nameKey, prods, byName)
		if err != nil {
			return err
		}

		// Parent companies first, so that subsidiaries can point at them.
		accountRefs := map[string]crm.Ref{}
		for _, parents := range []bool{true, false} {
			var accs []crm.Record
			for _, a := range d.accounts {
				if (a.parent == "") != parents {
					continue
				}
				f := crm.Fields{
					sales.AccountName:              a.name,
					accountSector:                  a.sector,
					accountEstablished:             a.established,
					sales.AccountRevenue:           crm.NewMoney(a.revenue.Shift(6), "USD"), // millions, exactly
					sales.AccountNumberOfEmployees: a.employees,
					sales.AccountCountry:           a.country,
				}
				if a.parent != "" {
					f[sales.AccountParent] = accountRefs[a.parent]
				}
				accs = append(accs, crm.Record{Entity: sales.AccountEntity, Fields: f})
			}
			refs, err := imp("accounts", accountNameKey, accs, func(r crm.Record) string { return r.Fields.String(sales.AccountName) })
			if err != nil {
				return err
			}
			maps.Copy(accountRefs, refs)
		}

		deals := make([]crm.Record, len(d.deals))
		for i, deal := range d.deals {
			f := crm.Fields{name: deal.id, oppAgent: agentRefs[deal.agent], oppProduct: productRefs[deal.product]}
			if deal.account != "" {
				f[oppAccount] = accountRefs[deal.account]
			}
			if !deal.engage.IsZero() {
				f[oppEngageDate] = deal.engage
			}
			if !deal.close.IsZero() {
				f[oppCloseDate] = deal.close
			}
			if deal.value != nil {
				f[oppCloseValue] = crm.NewMoney(*deal.value, "USD")
			}
			// Created in its stage; created when it was engaged, where
			// the source says (Dynamics' overriddencreatedon).
			deals[i] = crm.Record{Entity: opportunity, Fields: f,
				Header: crm.Header{State: deal.state, Status: deal.status, CreatedOn: deal.engage}}
		}
		_, err = imp("opportunities", nameKey, deals, byName)
		return err
	})
	return counts, err
}
