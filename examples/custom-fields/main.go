// Command custom-fields shows a host extending crmkit's contact with fields
// of its own, as Dynamics customizers add columns to a table: a loyalty
// programme's points (a whole number) and tier (an option set) are
// declared before the store opens, a nickname is added to the running
// store, and all of them are written, queried and read back typed through
// sales.Contacts. A second process that opens the database with the sales
// entities alone learns them from the metadata the database keeps. It runs
// with no set-up, on SQLite in a temporary directory:
//
//	go run ./examples/custom-fields
//
// and exits non-zero if anything unexpected happens.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/sqlstore/sqlite"
)

// The host's fields. Custom names carry the host's prefix, and custom
// option values start at 100,000,000, as in Dynamics.
const (
	points   = "loy_points"
	tier     = "loy_tier"
	nickname = "loy_nickname"

	bronze = int32(100_000_000)
	silver = int32(100_000_001)
	gold   = int32(100_000_002)
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "custom-fields:", err)
		os.Exit(1)
	}
}

// register declares the sales entities and the host's fields on contact.
func register() (*crm.Registry, error) {
	reg := crm.NewRegistry()
	if err := sales.Register(reg); err != nil {
		return nil, err
	}
	err := reg.AddFields(sales.ContactEntity,
		crm.Field{Name: points, Label: "Loyalty Points", Type: crm.TypeInteger, Min: ptr(0)},
		crm.Field{Name: tier, Label: "Loyalty Tier", Type: crm.TypeChoice, Options: []crm.Option{
			{Value: bronze, Label: "Bronze"}, {Value: silver, Label: "Silver"}, {Value: gold, Label: "Gold"}}},
	)
	return reg, err
}

func run(ctx context.Context, out io.Writer) (err error) {
	// The host's set-up acts as the system user: every crmkit write, and
	// every change of the schema, names who acts.
	ctx = crm.AsSystem(ctx)
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	dir, err := os.MkdirTemp("", "crmkit-custom-fields-")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	path := filepath.Join(dir, "crm.db")

	reg, err := register()
	if err != nil {
		return err
	}
	d, err := sqlite.Open(ctx, path, reg)
	if err != nil {
		return err
	}
	st := storage.New(d, reg)
	contacts := sales.NewContacts(st)

	// Custom fields travel in Extra: set on create, read back typed.
	for _, c := range []sales.Contact{
		{FirstName: "Ada", LastName: "Lovelace", Extra: crm.Fields{points: int64(1200), tier: gold}},
		{FirstName: "Alan", LastName: "Turing", Extra: crm.Fields{points: int64(300), tier: silver}},
		{FirstName: "Grace", LastName: "Hopper", Extra: crm.Fields{points: int64(800), tier: gold}},
		{FirstName: "Edsger", LastName: "Dijkstra"},
	} {
		if _, err := contacts.Create(ctx, c); err != nil {
			return errors.Join(err, d.Close())
		}
	}
	page, err := contacts.Search(ctx, crm.Query{Entity: sales.ContactEntity,
		Where: crm.Eq(tier, gold), OrderBy: []crm.Order{crm.Desc(points)}})
	if err != nil {
		return errors.Join(err, d.Close())
	}
	say("gold members by points:")
	for _, c := range page.Records {
		say("  %s: %d points", c.FullName, c.Extra[points])
	}
	rows, err := st.Aggregate(ctx, crm.Aggregation{Entity: sales.ContactEntity, Where: crm.NotNull(tier),
		GroupBy: []crm.GroupBy{{Field: tier}}, Measures: []crm.Measure{{Alias: "points", Func: crm.AggSum, Field: points}}})
	if err != nil {
		return errors.Join(err, d.Close())
	}
	tierField, _ := mustEntity(reg).Field(tier)
	for _, r := range rows {
		v, _ := r.Choice(tier)
		label, _ := tierField.OptionLabel(v)
		say("%s tier holds %d points", label, r.Int("points"))
	}

	// A field added while the store runs: its column is added online and
	// it is writable at once.
	if err := st.AddFields(ctx, sales.ContactEntity, crm.Field{Name: nickname, Label: "Nickname", Type: crm.TypeText, MaxLength: 40}); err != nil {
		return errors.Join(err, d.Close())
	}
	ada, err := contacts.Search(ctx, crm.Query{Entity: sales.ContactEntity, Where: crm.Eq(sales.ContactLastName, "Lovelace")})
	if err != nil || len(ada.Records) != 1 {
		return errors.Join(err, fmt.Errorf("Ada not found"), d.Close())
	}
	c := ada.Records[0]
	c.JobTitle = "Analyst"
	c.Extra[nickname] = "Countess"
	if _, err := contacts.Update(ctx, c); err != nil {
		return errors.Join(err, d.Close())
	}
	say("added %s to the running store (schema version %d)", nickname, d.SchemaVersion())
	if err := d.Close(); err != nil {
		return err
	}

	// Another process knows only the sales entities: opening the database
	// teaches its registry the host's fields.
	plain := crm.NewRegistry()
	if err := sales.Register(plain); err != nil {
		return err
	}
	d, err = sqlite.Open(ctx, path, plain)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, d.Close()) }()
	got, err := sales.NewContacts(storage.New(d, plain)).Get(ctx, c.ID)
	if err != nil {
		return err
	}
	var names []string
	for _, f := range mustEntity(plain).Fields {
		if strings.HasPrefix(f.Name, "loy_") {
			names = append(names, f.Name)
		}
	}
	say("a process without the host's code learns %s", strings.Join(names, ", "))
	say("and reads %s, %s: %d points, nickname %s", got.FullName, got.JobTitle, got.Extra[points], got.Extra[nickname])
	return nil
}

func mustEntity(reg *crm.Registry) *crm.Entity {
	e, err := reg.Entity(sales.ContactEntity)
	if err != nil {
		panic(err)
	}
	return e
}

func ptr(n int64) *decimal.Decimal {
	d := decimal.NewFromInt(n)
	return &d
}
