// Command quickstart is crmkit's first story: a sales team loads its
// accounts, with their parent companies, adds the people it deals with,
// finds them again, and sees crmkit catch a bad entry and a lost update
// before they reach the data. It runs with no set-up:
//
//	go run ./examples/quickstart
//
// and exits non-zero if anything unexpected happens. The clock is fixed, so
// the output is the same on every run.
package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
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

// accountsCSV is a slice of Maven Analytics' "CRM Sales Opportunities"
// accounts (public domain): 15 companies, some of them subsidiaries of
// others. Revenue is in millions of USD.
//
//go:embed accounts.csv
var accountsCSV []byte

func main() {
	dsn := "" // SQLite in a temporary file
	if len(os.Args) > 1 {
		dsn = os.Args[1] // a PostgreSQL connection string
	}
	if err := run(context.Background(), os.Stdout, dsn); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// openStore opens the store the story runs on, with the sales entities
// registered: an embedded SQLite database in a temporary file when dsn is
// empty, else the PostgreSQL database dsn names, in a schema of the
// story's own that is dropped at the end. It is the one place that knows
// which storage adapter is used; close undoes what it set up.
func openStore(ctx context.Context, clock crm.Clock, dsn string) (st *storage.Store, close func() error, err error) {
	reg := crm.NewRegistry()
	if err := sales.Register(reg); err != nil {
		return nil, nil, err
	}
	if dsn == "" {
		dir, err := os.MkdirTemp("", "crmkit-quickstart-")
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
	schema := "crmkit_quickstart_" + strings.ReplaceAll(crm.NewID().String()[24:], "-", "")
	d, err := postgres.Open(ctx, dsn, reg, sqlstore.WithSchema(schema))
	if err != nil {
		return nil, nil, err
	}
	return storage.New(d, reg, storage.WithClock(clock)), func() error {
		_, dropErr := d.DB().ExecContext(context.WithoutCancel(ctx), "DROP SCHEMA "+schema+" CASCADE")
		return errors.Join(dropErr, d.Close())
	}, nil
}

// story carries what every chapter needs.
type story struct {
	ctx      context.Context
	out      io.Writer
	clock    *crm.ManualClock
	accounts *sales.Accounts
	contacts *sales.Contacts
	byName   map[string]sales.Account
}

func (s *story) say(format string, args ...any) { fmt.Fprintf(s.out, format+"\n", args...) }

// run tells the story on the store dsn names (see openStore).
func run(ctx context.Context, out io.Writer, dsn string) (err error) {
	clock := crm.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	st, closeStore, err := openStore(ctx, clock, dsn)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer func() { err = errors.Join(err, closeStore()) }()

	// Everything this story does is done by Maria, a sales manager.
	ctx = crm.WithCaller(ctx, crm.NewID())
	s := &story{ctx: ctx, out: out, clock: clock,
		accounts: sales.NewAccounts(st), contacts: sales.NewContacts(st), byName: map[string]sales.Account{}}
	for _, chapter := range []struct {
		title string
		run   func() error
	}{
		{"Import accounts", s.importAccounts},
		{"Add contacts", s.addContacts},
		{"Search", s.search},
		{"Catch a bad entry", s.validation},
		{"Catch a lost update", s.conflict},
		{"Deactivate and reactivate", s.lifecycle},
		{"Delete", s.delete},
	} {
		s.say("== %s", chapter.title)
		if err := chapter.run(); err != nil {
			return fmt.Errorf("%s: %w", strings.ToLower(chapter.title), err)
		}
		s.clock.Advance(time.Hour)
	}
	return nil
}

// sectors maps the data set's sectors to Dynamics' industry codes.
var sectors = map[string]sales.Industry{
	"technolgy":          sales.IndustryDurableManufacturing, // sic
	"software":           sales.IndustryBusinessServices,
	"medical":            sales.IndustryDoctorsOffices,
	"telecommunications": sales.IndustryUtility,
	"finance":            sales.IndustryFinancial,
	"retail":             sales.IndustryNonDurableRetail,
}

// importAccounts loads the embedded accounts in one transaction: all of
// them or none. Parents go first, so that subsidiaries can point at them.
func (s *story) importAccounts() error {
	rows, err := csv.NewReader(bytes.NewReader(accountsCSV)).ReadAll()
	if err != nil {
		return fmt.Errorf("read accounts.csv: %w", err)
	}
	rows = rows[1:] // header
	err = s.accounts.Table().Store().InTx(s.ctx, func(ctx context.Context) error {
		for _, parents := range []bool{true, false} {
			for _, r := range rows {
				name, sector, revenue, employees, country, parent := r[0], r[1], r[3], r[4], r[5], r[6]
				if (parent == "") != parents {
					continue
				}
				millions, err := decimal.NewFromString(revenue)
				if err != nil {
					return fmt.Errorf("account %s: revenue %q: %w", name, revenue, err)
				}
				staff, err := strconv.ParseInt(employees, 10, 64)
				if err != nil {
					return fmt.Errorf("account %s: employees %q: %w", name, employees, err)
				}
				a := sales.Account{
					Name:              name,
					Industry:          sectors[sector],
					CustomerType:      sales.CustomerTypeProspect,
					Revenue:           sales.Ptr(crm.NewMoney(millions.Shift(6), "USD")),
					NumberOfEmployees: &staff,
					Address:           sales.Address{Country: country},
				}
				if parent != "" {
					a.ParentAccount = s.byName[parent].Ref()
					a.Ownership = sales.OwnershipSubsidiary
				}
				if a, err = s.accounts.Create(ctx, a); err != nil {
					return err
				}
				s.byName[name] = a
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.say("imported %d accounts in one transaction", len(s.byName))
	acme := s.byName["Acme Corporation"]
	kids, err := s.accounts.Children(s.ctx, acme.ID)
	if err != nil {
		return err
	}
	s.say("%s (revenue %s) has %d sub-accounts:", acme.Name, acme.Revenue, len(kids))
	for _, k := range kids {
		s.say("  - %s, %d employees, %s", k.Name, *k.NumberOfEmployees, k.Industry)
	}
	// The hierarchy cannot loop: Acme cannot become a subsidiary of its
	// own subsidiary.
	acme.ParentAccount = kids[0].Ref()
	_, err = s.accounts.Update(s.ctx, acme)
	if !errors.Is(err, crm.ErrValidation) {
		return fmt.Errorf("a hierarchy cycle was not refused: %v", err)
	}
	s.say("making %s a subsidiary of %s is refused: %v", acme.Name, kids[0].Name, fieldReasons(err))
	return nil
}

// people are the contacts the team adds: first name, last name, job title,
// company.
var people = [][4]string{
	{"Maria", "Lopez", "CFO", "Acme Corporation"},
	{"Tom", "Baker", "Buyer", "Acme Corporation"},
	{"Ann", "Chen", "CTO", "Bluth Company"},
	{"Wanjiru", "Kamau", "Head of Procurement", "Betatech"},
	{"Kenji", "Sato", "IT Director", "Ganjaflex"},
	{"Luca", "Bianchi", "Owner", "Genco Pura Olive Oil Company"},
	{"Sam", "Adams", "Analyst", "Sonron"},
	{"Eve", "Moss", "Operations", "Sonron"},
}

func (s *story) addContacts() error {
	for _, p := range people {
		c, err := s.contacts.Create(s.ctx, sales.Contact{
			FirstName: p[0], LastName: p[1], JobTitle: p[2], ParentCustomer: s.byName[p[3]].Ref()})
		if err != nil {
			return err
		}
		if c.JobTitle == "CFO" || c.JobTitle == "IT Director" {
			a, err := s.accounts.SetPrimaryContact(s.ctx, c.ParentCustomer.ID, storage.AnyVersion, c.ID)
			if err != nil {
				return err
			}
			s.byName[a.Name] = a
			s.say("added %s, %s at %s (primary contact)", c.FullName, c.JobTitle, a.Name)
			continue
		}
		s.say("added %s, %s at %s", c.FullName, c.JobTitle, p[3])
	}
	// A primary contact must work for the account.
	sonronContacts, err := s.accounts.Contacts(s.ctx, s.byName["Sonron"].ID)
	if err != nil {
		return err
	}
	_, err = s.accounts.SetPrimaryContact(s.ctx, s.byName["Golddex"].ID, storage.AnyVersion, sonronContacts[0].ID)
	if !errors.Is(err, crm.ErrValidation) {
		return fmt.Errorf("a primary contact from another company was not refused: %v", err)
	}
	s.say("making %s primary contact of Golddex is refused: %v", sonronContacts[0].FullName, fieldReasons(err))
	return nil
}

func (s *story) search() error {
	// Contacts of companies based in the United States, by last name,
	// three to a page.
	q := crm.Query{
		Where:   crm.Through(sales.ContactParentCustomer, sales.AccountEntity, crm.Eq(sales.AccountCountry, "united states")),
		OrderBy: []crm.Order{crm.Asc(sales.ContactLastName)},
		Limit:   3,
	}
	s.say("contacts at companies in the United States, by last name:")
	for n := 1; ; n++ {
		page, err := s.contacts.Search(s.ctx, q)
		if err != nil {
			return err
		}
		names := make([]string, len(page.Records))
		for i, c := range page.Records {
			names[i] = c.FullName
		}
		s.say("  page %d: %s", n, strings.Join(names, ", "))
		if !page.More {
			break
		}
		q.After = page.Next
	}
	// Big telecoms: revenue over 1,500 million USD, largest first.
	page, err := s.accounts.Search(s.ctx, crm.Query{
		Where: crm.And(
			crm.Eq(sales.AccountIndustry, sales.IndustryUtility),
			crm.Gt(sales.AccountRevenue, crm.MustMoney("1500000000 USD"))),
		OrderBy: []crm.Order{crm.Desc(sales.AccountRevenue)},
	})
	if err != nil {
		return err
	}
	s.say("%s accounts with revenue over 1,500 million USD:", sales.IndustryUtility)
	for _, a := range page.Records {
		s.say("  - %s: %s", a.Name, a.Revenue)
	}
	return nil
}

func (s *story) validation() error {
	_, err := s.contacts.Create(s.ctx, sales.Contact{FirstName: "Nameless", ParentCustomer: s.byName["Golddex"].Ref()})
	if !errors.Is(err, crm.ErrValidation) {
		return fmt.Errorf("a contact without a last name was not refused: %v", err)
	}
	s.say("a contact without a last name is refused: %v", fieldReasons(err))
	_, err = s.accounts.Create(s.ctx, sales.Account{
		Name:              strings.Repeat("Very Long Name ", 11),
		NumberOfEmployees: sales.Ptr[int64](-5),
	})
	if !errors.Is(err, crm.ErrValidation) {
		return fmt.Errorf("a bad account was not refused: %v", err)
	}
	s.say("a bad account is refused, every problem at once: %v", fieldReasons(err))
	n, err := s.accounts.Count(s.ctx, crm.Query{})
	if err != nil {
		return err
	}
	s.say("still %d accounts: nothing was stored", n)
	return nil
}

func (s *story) conflict() error {
	page, err := s.contacts.Search(s.ctx, crm.Query{Where: crm.Eq(sales.ContactLastName, "Chen")})
	if err != nil || len(page.Records) != 1 {
		return fmt.Errorf("find Ann Chen: %d found, %w", len(page.Records), err)
	}
	// Two colleagues open Ann's record at the same time.
	mine, theirs := page.Records[0], page.Records[0]
	mine.MobilePhone = "+1 555 0101"
	if _, err := s.contacts.Update(s.ctx, mine); err != nil {
		return err
	}
	s.say("colleague 1 saves Ann's mobile phone")
	theirs.JobTitle = "CTO and co-founder"
	_, err = s.contacts.Update(s.ctx, theirs)
	if !errors.Is(err, crm.ErrConflict) {
		return fmt.Errorf("a stale update was not refused: %v", err)
	}
	s.say("colleague 2 saves from the same version: refused with a version conflict, nothing overwritten")
	fresh, err := s.contacts.Get(s.ctx, theirs.ID)
	if err != nil {
		return err
	}
	fresh.JobTitle = "CTO and co-founder"
	if fresh, err = s.contacts.Update(s.ctx, fresh); err != nil {
		return err
	}
	s.say("colleague 2 re-reads and saves: %s, %s, %s (version %d): nothing lost",
		fresh.FullName, fresh.JobTitle, fresh.MobilePhone, fresh.Version)
	return nil
}

func (s *story) lifecycle() error {
	a := s.byName["Genco Pura Olive Oil Company"]
	a, err := s.accounts.Deactivate(s.ctx, a.ID, storage.AnyVersion)
	if err != nil {
		return err
	}
	s.say("%s deactivated: state %s, status reason %s", a.Name, a.AccountState(), a.AccountStatus())
	if _, err := s.accounts.Deactivate(s.ctx, a.ID, a.Version); !errors.Is(err, crm.ErrInvalidTransition) {
		return fmt.Errorf("deactivating twice was not refused: %v", err)
	}
	s.say("deactivating it again is refused: it is already Inactive")
	active, err := s.accounts.Search(s.ctx, crm.Query{Where: crm.Eq(crm.FieldState, sales.AccountStateActive)})
	if err != nil {
		return err
	}
	s.say("%d active accounts", len(active.Records))
	if a, err = s.accounts.Activate(s.ctx, a.ID, a.Version); err != nil {
		return err
	}
	s.say("%s reactivated: state %s (version %d, modified %s)", a.Name, a.AccountState(), a.Version, a.ModifiedOn.Format(time.DateTime))
	return nil
}

func (s *story) delete() error {
	sonron := s.byName["Sonron"]
	contacts, err := s.accounts.Contacts(s.ctx, sonron.ID)
	if err != nil {
		return err
	}
	kids, err := s.accounts.Children(s.ctx, sonron.ID)
	if err != nil {
		return err
	}
	if err := s.accounts.Delete(s.ctx, sonron.ID, storage.AnyVersion); err != nil {
		return err
	}
	left, err := s.contacts.Count(s.ctx, crm.Query{})
	if err != nil {
		return err
	}
	s.say("deleted %s: its %d contacts went with it (%d contacts left)", sonron.Name, len(contacts), left)
	for _, k := range kids {
		k, err := s.accounts.Get(s.ctx, k.ID)
		if err != nil {
			return err
		}
		s.say("  %s stays, now without a parent account: %t", k.Name, k.ParentAccount.IsZero())
	}
	return nil
}

// fieldReasons lists the bad fields of a validation error.
func fieldReasons(err error) string {
	var verr *crm.ValidationError
	if !errors.As(err, &verr) {
		return err.Error()
	}
	parts := make([]string, len(verr.Fields))
	for i, f := range verr.Fields {
		parts[i] = f.String()
	}
	return strings.Join(parts, "; ")
}
