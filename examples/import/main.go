// Command import loads a real public dataset into crmkit and prints a
// pipeline report that the store computes.
//
// The data are Maven Analytics' "CRM Sales Opportunities" (public domain,
// see data/SOURCE.md): a fictitious seller of computer hardware, with 85
// client accounts, 35 sales agents under 6 managers in 3 regional offices,
// 7 products and 8,800 opportunities engaged from October 2016 and closed
// by the end of 2017. The files are kept in data/ as published and embedded
// in the program, so it needs nothing but itself.
//
// The host models them as Dynamics customizers would. Accounts are sales
// accounts: revenue, employees, headquarters country and parent company go
// to the account's own fields, the sector and the year established, which
// Dynamics does not have, to custom fields (mv_sector, an option set, and
// mv_yearestablished). Opportunities are not in package sales yet, so the
// host declares its own entities with its prefix mv_: regional offices,
// managers (each in one office), agents (each under one manager),
// products, and opportunities with a lifecycle Open / Won / Lost whose
// status reasons are the dataset's deal stages (Prospecting and Engaging
// while open). Every entity has an alternate key on its natural key: the
// name, or the opportunity's ID in the source system.
//
// The load is one transaction of Store.Import calls by key, in import mode:
// won and lost deals are created closed, and a deal's creation date is its
// engage date where it has one (Dynamics' overriddencreatedon). It runs
// twice, as a migration rerun does: the second run finds every record by
// its key and creates nothing. The source's quirks are handled as a user
// would, and the program says so as it loads:
//
//   - the pipeline names the product "GTX Pro" as "GTXPro": read as GTX Pro;
//   - 1,425 open deals name no account: loaded with none;
//   - the sector "technolgy" and the country "Philipines" are misspelt: the
//     sector maps to the option Technology and the country is corrected to
//     Philippines (the mappings are below, sectors and countries);
//   - 5 agents have no deals: loaded all the same;
//   - revenue is published in millions of US dollars: stored in dollars,
//     exactly (1100.04 is 1,100,040,000.00 USD).
//
// The report is aggregates the store computes in one statement each
// (Store.Aggregate): deals and value by stage, won revenue by regional
// office through two lookups, the top agents, revenue by close month,
// win rates by product and the sectors above a threshold. Then questions
// a pipeline report does not answer, each a query of the store:
//
//   - accounts by the deals that point at them, looking down a lookup
//     (crm.Any, crm.None): the accounts that won a deal of the premium
//     product, and those with no win in the data's last month (the idle
//     agents of the load are found the same way);
//   - parent companies with their subsidiaries, along the hierarchical
//     parent account (crm.Under, crm.EqOrUnder): a parent is an account
//     some account points at, and its group's won revenue is one
//     aggregate of deals whose account is the parent or under it;
//   - the days from engage to close of won deals by regional office, an
//     average, minimum and maximum of crm.DaysBetween, the won deals that
//     took more than 90 days, and, comparing two fields of each deal
//     (crm.ValueOf), the deals closed before they were engaged: none;
//   - that office report saved as JSON, as a saved view is, loaded back,
//     checked against the store's metadata (Store.CheckAggregation) and
//     run again, giving the same figures.
//
// It runs with no set-up, on SQLite in a temporary directory:
//
//	go run ./examples/import
//
// or on PostgreSQL, in a schema of its own that is dropped at the end:
//
//	go run ./examples/import postgres://user@localhost/db
//
// and exits non-zero if anything unexpected happens. The clock is fixed, so
// the output is the same on every run.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/sqlstore"
	"github.com/crmkit/crmkit/storage/sqlstore/postgres"
	"github.com/crmkit/crmkit/storage/sqlstore/sqlite"
)

func main() {
	dsn := "" // SQLite in a temporary file
	if len(os.Args) > 1 {
		dsn = os.Args[1] // a PostgreSQL connection string
	}
	if err := run(context.Background(), os.Stdout, dsn); err != nil {
		fmt.Fprintln(os.Stderr, "import:", err)
		os.Exit(1)
	}
}

// run loads the dataset twice into the store dsn names (see openStore)
// and prints the report.
func run(ctx context.Context, out io.Writer, dsn string) (err error) {
	data, err := readData()
	if err != nil {
		return err
	}
	// The migration runs the morning after the last deal closed.
	clock := crm.NewManualClock(time.Date(2018, 1, 2, 6, 0, 0, 0, time.UTC))
	// An import, and the schema it migrates, acts as the system user.
	ctx = crm.AsSystem(ctx)
	st, closeStore, err := openStore(ctx, clock, dsn)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer func() { err = errors.Join(err, closeStore()) }()
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }

	say("== Load")
	for _, w := range data.warnings {
		say("  %s", w)
	}
	for run := 1; run <= 2; run++ {
		counts, err := load(ctx, st, data)
		if err != nil {
			return fmt.Errorf("load %d: %w", run, err)
		}
		say("load %d, one transaction:", run)
		for _, c := range counts {
			say("  %-14s %5d created, %5d changed, %5d already as loaded", c.entity, c.created, c.changed, c.same)
		}
		clock.Advance(24 * time.Hour)
	}
	if err := storeCounts(ctx, st, say); err != nil {
		return err
	}
	if err := report(ctx, st, say); err != nil {
		return err
	}
	if err := accountsReport(ctx, st, say); err != nil {
		return err
	}
	return cycleReport(ctx, st, say)
}

// The host's entities and fields. Custom names carry the host's prefix
// (mv_, for Maven) and custom option values start at 100,000,000, as in
// Dynamics.
const (
	office      = "mv_office"
	manager     = "mv_manager"
	agent       = "mv_agent"
	product     = "mv_product"
	opportunity = "mv_opportunity"

	name = "mv_name" // the primary name of every host entity

	managerOffice = "mv_officeid"  // manager → regional office
	agentManager  = "mv_managerid" // agent → manager

	productSeries = "mv_series"
	productPrice  = "mv_listprice"

	oppAgent      = "mv_agentid"
	oppProduct    = "mv_productid"
	oppAccount    = "mv_accountid"
	oppEngageDate = "mv_engagedate"
	oppCloseDate  = "mv_closedate"
	oppCloseValue = "mv_closevalue"

	// Custom fields of account.
	accountSector      = "mv_sector"
	accountEstablished = "mv_yearestablished"

	// The alternate keys: every entity is found by its natural key.
	nameKey        = "mv_name"        // of the host's entities
	accountNameKey = "mv_accountname" // of account
)

// Opportunity states and status reasons: the dataset's deal stages.
const (
	stateOpen crm.StateCode = 0
	stateWon  crm.StateCode = 1
	stateLost crm.StateCode = 2

	statusProspecting crm.StatusCode = 1
	statusEngaging    crm.StatusCode = 2
	statusWon         crm.StatusCode = 3
	statusLost        crm.StatusCode = 4
)

// sectorOptions are the sectors of the dataset as an option set, in a
// fixed order: an option's value is published once and never changes.
var sectorOptions = []string{"Retail", "Technology", "Medical", "Marketing", "Finance",
	"Software", "Entertainment", "Telecommunications", "Services", "Employment"}

// register declares what the store holds: the sales entities, account
// extended with the host's fields and key, and the host's own entities.
func register() (*crm.Registry, error) {
	reg := crm.NewRegistry()
	// sales.Register would declare account as it is; a host that adds a
	// key registers the extended metadata instead (fields can be added
	// to a registered entity, keys cannot).
	account := sales.AccountMetadata()
	options := make([]crm.Option, len(sectorOptions))
	for i, label := range sectorOptions {
		options[i] = crm.Option{Value: 100_000_000 + int32(i), Label: label}
	}
	account.Fields = append(account.Fields,
		crm.Field{Name: accountSector, Label: "Sector", Type: crm.TypeChoice, Options: options},
		crm.Field{Name: accountEstablished, Label: "Year Established", Type: crm.TypeInteger, Min: decimalPtr(1800), Max: decimalPtr(2100)},
	)
	account.Keys = append(account.Keys, crm.Key{Name: accountNameKey, Fields: []string{sales.AccountName}})
	if err := reg.Register(account, sales.ContactMetadata()); err != nil {
		return nil, err
	}
	named := func(entity, label string, fields ...crm.Field) *crm.Entity {
		return &crm.Entity{Name: entity, Label: label, PrimaryName: name,
			Fields: append([]crm.Field{{Name: name, Label: "Name", Type: crm.TypeText, MaxLength: 100, Required: true}}, fields...),
			Keys:   []crm.Key{{Name: nameKey, Fields: []string{name}}}}
	}
	opp := named(opportunity, "Opportunity",
		crm.Field{Name: oppAgent, Label: "Sales Agent", Type: crm.TypeLookup, Targets: []string{agent}, Required: true, OnDelete: crm.DeleteRestrict},
		crm.Field{Name: oppProduct, Label: "Product", Type: crm.TypeLookup, Targets: []string{product}, Required: true, OnDelete: crm.DeleteRestrict},
		crm.Field{Name: oppAccount, Label: "Account", Type: crm.TypeLookup, Targets: []string{sales.AccountEntity}},
		crm.Field{Name: oppEngageDate, Label: "Engage Date", Type: crm.TypeTime, DateOnly: true},
		crm.Field{Name: oppCloseDate, Label: "Close Date", Type: crm.TypeTime, DateOnly: true},
		crm.Field{Name: oppCloseValue, Label: "Close Value", Type: crm.TypeMoney, Min: decimalPtr(0)},
	)
	opp.Lifecycle = &crm.Lifecycle{
		Initial: stateOpen,
		States: []crm.State{
			{Code: stateOpen, Name: "Open", DefaultStatus: statusProspecting},
			{Code: stateWon, Name: "Won", DefaultStatus: statusWon, ReadOnly: true},
			{Code: stateLost, Name: "Lost", DefaultStatus: statusLost, ReadOnly: true},
		},
		Statuses: []crm.Status{
			{Code: statusProspecting, Name: "Prospecting", State: stateOpen},
			{Code: statusEngaging, Name: "Engaging", State: stateOpen},
			{Code: statusWon, Name: "Won", State: stateWon},
			{Code: statusLost, Name: "Lost", State: stateLost},
		},
		Transitions: []crm.Transition{
			{Event: "win", From: []crm.StateCode{stateOpen}, To: stateWon},
			{Event: "lose", From: []crm.StateCode{stateOpen}, To: stateLost},
			{Event: "reopen", From: []crm.StateCode{stateWon, stateLost}, To: stateOpen},
		},
	}
	return reg, reg.Register(
		named(office, "Regional Office"),
		named(manager, "Sales Manager",
			crm.Field{Name: managerOffice, Label: "Regional Office", Type: crm.TypeLookup, Targets: []string{office}, Required: true, OnDelete: crm.DeleteRestrict}),
		named(agent, "Sales Agent",
			crm.Field{Name: agentManager, Label: "Manager", Type: crm.TypeLookup, Targets: []string{manager}, Required: true, OnDelete: crm.DeleteRestrict}),
		named(product, "Product",
			crm.Field{Name: productSeries, Label: "Series", Type: crm.TypeText, MaxLength: 20},
			crm.Field{Name: productPrice, Label: "List Price", Type: crm.TypeMoney, Min: decimalPtr(0)}),
		opp,
	)
}

// openStore opens the store the program runs on: an embedded SQLite
// database in a temporary file when dsn is empty, else the PostgreSQL
// database dsn names, in a schema of the program's own that is dropped at
// the end. close undoes what it set up.
func openStore(ctx context.Context, clock crm.Clock, dsn string) (st *storage.Store, close func() error, err error) {
	reg, err := register()
	if err != nil {
		return nil, nil, err
	}
	if dsn == "" {
		dir, err := os.MkdirTemp("", "crmkit-import-")
		if err != nil {
			return nil, nil, err
		}
		d, err := sqlite.Open(ctx, filepath.Join(dir, "crm.db"), reg)
		if err != nil {
			return nil, nil, errors.Join(err, os.RemoveAll(dir))
		}
		return storage.New(d, reg, storage.WithClock(clock)), func() error {
			return errors.Join(d.Close(), os.RemoveAll(dir))
		}, nil
	}
	schema := "crmkit_import_" + strings.ReplaceAll(crm.NewID().String()[24:], "-", "")
	d, err := postgres.Open(ctx, dsn, reg, sqlstore.WithSchema(schema))
	if err != nil {
		return nil, nil, err
	}
	return storage.New(d, reg, storage.WithClock(clock)), func() error {
		_, dropErr := d.DB().ExecContext(context.WithoutCancel(ctx), "DROP SCHEMA "+schema+" CASCADE")
		return errors.Join(dropErr, d.Close())
	}, nil
}

func decimalPtr(n int64) *decimal.Decimal {
	d := decimal.NewFromInt(n)
	return &d
}
