// Command month-end follows the sales team of Northwind Storage, which sells
// cloud storage by the gigabyte, through the last day of March, James in
// Los Angeles and Aroha in Auckland. The overnight import is refused until
// it names who acts; accounts in euros and dollars carry the day's exchange
// rate and their revenue in US dollars, the base currency; a price of
// 0.0125 USD per gigabyte is kept exactly. An account's primary contact
// must work for it, whichever door the write comes through. Contoso Europe
// is merged into Contoso Ltd by an operation the host names "Merge", which
// moves contacts and subscriptions and deactivates the account as one
// unit: hooks registered for the message refuse a bad request before it
// starts and stop a merge finance has not approved, leaving nothing
// written, and a hook filtering on a contact's company hears of each move
// and of nothing else. At month end, "created this month" means April for
// Aroha and March for James; the store totals revenue across currencies,
// and a new euro rate changes no stored amount.
//
// It runs with no set-up, on SQLite in a temporary directory:
//
//	go run ./examples/month-end
//
// and exits non-zero if anything unexpected happens. The clock is fixed, so
// the output is the same on every run.
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	_ "time/tzdata" // zone rules that do not depend on the host

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/sqlstore/sqlite"
)

// The host's own entity: a storage subscription, priced per gigabyte.
const (
	subscription = "nw_subscription"
	subName      = "nw_name"
	subAccount   = "nw_accountid"
	subPrice     = "nw_pricepergb"
	subGigabytes = "nw_gigabytes"
)

// merge is the message name of the host's merge operation, as in Dynamics.
const merge = "Merge"

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "month-end:", err)
		os.Exit(1)
	}
}

// register declares what the store holds: money with US dollars as the
// base currency and unit prices to four places, the sales entities, and
// the host's subscriptions.
func register() (*crm.Registry, error) {
	reg := crm.NewRegistry()
	// The base currency is set before any entity with money fields.
	if err := errors.Join(reg.SetPricingPrecision(4), reg.SetBaseCurrency("USD")); err != nil {
		return nil, err
	}
	if err := sales.Register(reg); err != nil {
		return nil, err
	}
	return reg, reg.Register(&crm.Entity{Name: subscription, Label: "Subscription", PrimaryName: subName,
		Fields: []crm.Field{
			{Name: subName, Label: "Name", Type: crm.TypeText, Required: true},
			{Name: subAccount, Label: "Account", Type: crm.TypeLookup, Targets: []string{sales.AccountEntity}},
			{Name: subPrice, Label: "Price per GB", Type: crm.TypeMoney, Required: true, MoneyPrecision: crm.PrecisionPricing},
			{Name: subGigabytes, Label: "Gigabytes", Type: crm.TypeInteger},
		}})
}

// story carries what every chapter needs.
type story struct {
	out         io.Writer
	clock       *crm.ManualClock
	st          *storage.Store
	accounts    *sales.Accounts
	contacts    *sales.Contacts
	nobody      context.Context // names no caller
	james       context.Context // in Los Angeles
	aroha       context.Context // in Auckland
	la, akl     *time.Location
	acc         map[string]sales.Account
	con         map[string]sales.Contact
	euro        crm.ID // the euro's currency record
	preChecks   int    // runs of the Merge pre-validation hook
	preChecksTx bool   // whether the last one ran in a transaction
	moves       int    // contact moves the filtering hook heard of
	failed      error  // the first claim that did not hold
}

func (s *story) say(format string, args ...any) { fmt.Fprintf(s.out, format+"\n", args...) }

// check records the claim as failed unless ok, and returns ok.
func (s *story) check(ok bool, format string, args ...any) bool {
	if !ok && s.failed == nil {
		s.failed = fmt.Errorf("unexpected: "+format, args...)
	}
	return ok
}

func run(ctx context.Context, out io.Writer) (err error) {
	dir, err := os.MkdirTemp("", "crmkit-month-end-")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	reg, err := register()
	if err != nil {
		return err
	}
	d, err := sqlite.Open(crm.AsSystem(ctx), filepath.Join(dir, "crm.db"), reg)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, d.Close()) }()
	clock := crm.NewManualClock(time.Date(2026, 3, 31, 2, 0, 0, 0, time.UTC))
	st := storage.New(d, reg, storage.WithClock(clock))
	la, laErr := time.LoadLocation("America/Los_Angeles")
	akl, aklErr := time.LoadLocation("Pacific/Auckland")
	if err := errors.Join(laErr, aklErr); err != nil {
		return err
	}
	s := &story{out: out, clock: clock, st: st, accounts: sales.NewAccounts(st), contacts: sales.NewContacts(st),
		nobody: ctx, la: la, akl: akl, acc: map[string]sales.Account{}, con: map[string]sales.Contact{},
		james: crm.WithScope(ctx, crm.Scope{Caller: crm.NewID(), Location: la}),
		aroha: crm.WithScope(ctx, crm.Scope{Caller: crm.NewID(), Location: akl})}
	if err := s.hooks(); err != nil {
		return err
	}
	for _, chapter := range []struct {
		hour  int // of 31 March, UTC
		title string
		run   func() error
	}{
		{2, "The overnight import", s.importAccounts},
		{16, "Pricing", s.pricing},
		{16, "Primary contacts", s.primaryContacts},
		{17, "The merge", s.merge},
		{20, "Month end", s.monthEnd},
	} {
		clock.Set(time.Date(2026, 3, 31, chapter.hour, 0, 0, 0, time.UTC))
		s.say("== %02d:00 UTC: %s", chapter.hour, chapter.title)
		if err := errors.Join(chapter.run(), s.failed); err != nil {
			return fmt.Errorf("%s: %w", strings.ToLower(chapter.title), err)
		}
	}
	return nil
}

// importAccounts loads accounts and contacts as the system user, once the
// job says who acts.
func (s *story) importAccounts() error {
	_, err := s.accounts.Create(s.nobody, sales.Account{Name: "Contoso Ltd"})
	if !s.check(errors.Is(err, crm.ErrNoCaller), "a write naming no caller was accepted: %v", err) {
		return nil
	}
	s.say("the import job names no caller: %v", err)
	ctx := crm.AsSystem(s.nobody)
	// 0.8 euros buy one dollar today.
	eur, err := s.st.Create(ctx, crm.Record{Entity: crm.CurrencyEntity, Fields: crm.Fields{crm.FieldISOCurrencyCode: "EUR",
		crm.FieldCurrencyName: "Euro", crm.FieldExchangeRate: decimal.RequireFromString("0.8")}})
	if err != nil {
		return err
	}
	s.euro = eur.ID
	for _, a := range []sales.Account{
		{Name: "Contoso Ltd", Revenue: sales.Ptr(crm.MustMoney("2000000.00 USD"))},
		{Name: "Contoso Europe", Revenue: sales.Ptr(crm.MustMoney("400000.00 EUR"))},
		{Name: "Fabrikam GmbH", Revenue: sales.Ptr(crm.MustMoney("1200000.00 EUR"))},
	} {
		if a, err = s.accounts.Create(ctx, a); err != nil {
			return err
		}
		s.acc[a.Name] = a
		s.say("  %s: revenue %s = %s at rate %s", a.Name, a.Revenue, a.RevenueBase, a.ExchangeRate)
	}
	s.check(s.acc["Fabrikam GmbH"].RevenueBase.Equal(crm.MustMoney("1500000 USD")), "Fabrikam's revenue in dollars")
	for _, p := range [][3]string{{"Ana", "Souza", "Contoso Ltd"}, {"Kenji", "Sato", "Contoso Europe"},
		{"Marta", "Ruiz", "Contoso Europe"}, {"Lena", "Vogel", "Fabrikam GmbH"}} {
		c, err := s.contacts.Create(ctx, sales.Contact{FirstName: p[0], LastName: p[1], ParentCustomer: s.acc[p[2]].Ref()})
		if err != nil {
			return err
		}
		s.con[c.FullName] = c
	}
	s.say("imported %d accounts and %d contacts as the system user", len(s.acc), len(s.con))
	return nil
}

// pricing signs two subscriptions: unit prices keep four places, exactly.
func (s *story) pricing() error {
	for _, sub := range []struct {
		name, account, price string
		gb                   int64
	}{{"Archive US", "Contoso Ltd", "0.0125 USD", 40_000}, {"Backup EU", "Contoso Europe", "0.0115 EUR", 8_000}} {
		rec, err := s.st.Create(s.james, crm.Record{Entity: subscription, Fields: crm.Fields{subName: sub.name,
			subAccount: s.acc[sub.account].Ref(), subPrice: crm.MustMoney(sub.price), subGigabytes: sub.gb}})
		if err != nil {
			return err
		}
		price, _ := rec.Fields[subPrice].(crm.Money)
		s.check(price.Equal(crm.MustMoney(sub.price)), "price %s stored as %s", sub.price, price)
		s.say("%s for %s: %d GB at %s per GB (= %s), %s a month",
			sub.name, sub.account, sub.gb, price, rec.Fields[crm.BaseField(subPrice)], price.Mul(decimal.NewFromInt(sub.gb)).Round())
	}
	_, err := s.st.Create(s.james, crm.Record{Entity: subscription, Fields: crm.Fields{subName: "Too fine",
		subPrice: crm.MustMoney("0.01255 USD")}})
	if s.check(errors.Is(err, crm.ErrValidation), "a fifth decimal place was accepted: %v", err) {
		s.say("a price of 0.01255 USD is refused, never rounded: %v", fieldReasons(err))
	}
	return nil
}

// primaryContacts tries to make Kenji, who works for Contoso Europe, the
// primary contact of Contoso Ltd, through each door a write can take.
func (s *story) primaryContacts() error {
	contoso, kenji := s.acc["Contoso Ltd"], s.con["Kenji Sato"]
	withKenji := contoso
	withKenji.PrimaryContact = kenji.Ref()
	_, viaService := s.accounts.SetPrimaryContact(s.james, contoso.ID, contoso.Version, kenji.ID)
	_, viaTable := s.accounts.Table().Update(s.james, withKenji)
	_, viaStore := s.st.Update(s.james, crm.Record{Entity: sales.AccountEntity, Header: contoso.Header,
		Fields: crm.Fields{sales.AccountPrimaryContact: kenji.Ref()}})
	s.say("James makes Kenji Sato (Contoso Europe) primary contact of Contoso Ltd:")
	for _, door := range []struct {
		name string
		err  error
	}{{"the service, sales.Accounts", viaService}, {"a typed storage.Table", viaTable}, {"the generic storage.Store", viaStore}} {
		var verr *crm.ValidationError
		if s.check(errors.As(door.err, &verr) && verr.Has(sales.AccountPrimaryContact), "%s accepted it: %v", door.name, door.err) {
			s.say("  through %s: refused: %v", door.name, fieldReasons(door.err))
		}
	}
	got, err := s.accounts.Get(s.james, contoso.ID)
	s.check(err == nil && got.Version == contoso.Version && got.PrimaryContact.IsZero(), "Contoso Ltd changed: %v", err)
	return err
}

// hooks registers the host's hooks: two on the Merge message, by name, and
// one on contacts that runs only when a contact's company changes.
func (s *story) hooks() error {
	return errors.Join(
		// Pre-validation: a cheap look at the request, before the
		// operation's transaction begins.
		s.st.HookMessage(merge, storage.PreValidation, func(_ context.Context, x *storage.Execution) error {
			s.preChecks, s.preChecksTx = s.preChecks+1, x.InTransaction
			if target, sub := x.Inputs["target"], x.Inputs["subordinate"]; target == nil || target == sub {
				return errors.New("merge an account into another one")
			}
			return nil
		}),
		// Post-operation, in the transaction: finance sees the inputs and
		// every record the merge wrote, and may undo all of it.
		s.st.HookMessage(merge, storage.PostOperation, func(_ context.Context, x *storage.Execution) error {
			var touched []string
			billing := 0
			for _, w := range x.Writes() {
				touched = append(touched, w.Entity.Name+" "+w.Target.Fields.String(w.Entity.PrimaryName))
				if w.Entity.Name == subscription {
					billing++
				}
			}
			approver, _ := x.Inputs["approvedby"].(string)
			s.say("  finance's hook sees %s (approved by %s, %d moved) write %s",
				x.Message, cmp.Or(approver, "nobody"), x.Outputs["moved"], strings.Join(touched, ", "))
			if billing > 0 && approver == "" {
				return fmt.Errorf("moving %d subscription(s) changes who is billed: finance must approve", billing)
			}
			return nil
		}),
		// Filtering attributes: the account team hears, once committed, of
		// a contact that changes company, and of no other change.
		s.st.HookFields(sales.ContactEntity, storage.OpUpdate, storage.AfterCommit, []string{sales.ContactParentCustomer},
			func(_ context.Context, ev *storage.Event) error {
				s.moves++
				s.say("  account team told: %s changed company (by %s)", ev.Target.Fields.String(sales.ContactFullName), ev.Message)
				return nil
			}),
	)
}

// mergeAccounts is the host's Merge operation: the subordinate's contacts
// and subscriptions move to the target, and the subordinate is deactivated
// with a note saying where it went, in the same write. It is one unit.
func (s *story) mergeAccounts(ctx context.Context, inputs map[string]any) error {
	return s.st.Execute(ctx, merge, inputs, func(ctx context.Context, x *storage.Execution) error {
		target, sub := x.Inputs["target"].(crm.Ref), x.Inputs["subordinate"].(crm.Ref)
		contacts, err := s.accounts.Contacts(ctx, sub.ID)
		if err != nil {
			return err
		}
		subs, err := s.st.Query(ctx, crm.Query{Entity: subscription, Where: crm.Eq(subAccount, sub.ID)})
		if err != nil {
			return err
		}
		moves := make([]crm.Record, 0, len(contacts)+len(subs.Records))
		for _, c := range contacts {
			moves = append(moves, crm.Record{Entity: sales.ContactEntity, Header: c.Header, Fields: crm.Fields{sales.ContactParentCustomer: target}})
		}
		for _, r := range subs.Records {
			moves = append(moves, crm.Record{Entity: subscription, Header: r.Header, Fields: crm.Fields{subAccount: target}})
		}
		for _, m := range moves {
			if _, err := s.st.Update(ctx, m); err != nil {
				return err
			}
		}
		names, err := s.st.Names(ctx, target)
		if err != nil {
			return err
		}
		x.Outputs["moved"] = len(moves)
		_, err = s.st.ChangeState(ctx, sub, storage.StateChange{Event: sales.EventDeactivate, Version: storage.AnyVersion,
			Fields: crm.Fields{sales.AccountDescription: "Merged into " + names[target]}})
		return err
	})
}

func (s *story) merge() error {
	contoso, europe := s.acc["Contoso Ltd"], s.acc["Contoso Europe"]
	err := s.mergeAccounts(s.james, map[string]any{"target": contoso.Ref(), "subordinate": contoso.Ref()})
	if s.check(err != nil && s.preChecks == 1 && !s.preChecksTx, "a merge into itself was not refused before it began: %v", err) {
		s.say("merging Contoso Ltd into itself is refused before any transaction begins: %v", err)
	}

	s.say("James merges Contoso Europe into Contoso Ltd:")
	inputs := map[string]any{"target": contoso.Ref(), "subordinate": europe.Ref()}
	err = s.mergeAccounts(s.james, inputs)
	if !s.check(err != nil && strings.Contains(err.Error(), "finance must approve"), "an unapproved merge went through: %v", err) {
		return nil
	}
	s.say("  refused: %v", err)
	left, err1 := s.accounts.Contacts(s.james, europe.ID)
	still, err2 := s.accounts.Get(s.james, europe.ID)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	if s.check(len(left) == 2 && still.IsActive() && still.Version == europe.Version && s.moves == 0, "the refused merge wrote") {
		s.say("  nothing written: Contoso Europe is %s, version %d, with %d contacts", still.AccountState(), still.Version, len(left))
	}

	s.say("James asks finance, and merges again:")
	inputs["approvedby"] = "Priya"
	if err := s.mergeAccounts(s.james, inputs); err != nil {
		return err
	}
	merged, err := s.accounts.Get(s.james, europe.ID)
	if err != nil {
		return err
	}
	if s.check(!merged.IsActive() && merged.Version == europe.Version+1 && s.moves == 2, "merged: %v", merged.Header) {
		s.say("Contoso Europe is %s, %q: version %d to %d, one write for the state and the note",
			merged.AccountState(), merged.Description, europe.Version, merged.Version)
	}
	// Inactive is read-only: a plain update is refused until it is activated.
	merged.Telephone = "+44 20 7946 0000"
	_, err = s.accounts.Update(s.james, merged)
	var terr *crm.TransitionError
	if s.check(errors.As(err, &terr), "an inactive account took an update: %v", err) {
		s.say("a plain update of the merged account is refused: %v", terr)
	}

	// A new job title is not a new company: the team is not told.
	kenji, err := s.contacts.Get(s.james, s.con["Kenji Sato"].ID)
	if err != nil {
		return err
	}
	kenji.JobTitle = "Head of IT, EMEA"
	if kenji, err = s.contacts.Update(s.james, kenji); err != nil {
		return err
	}
	if s.check(s.moves == 2, "the filtering hook ran for a job title") {
		s.say("Kenji's new job title: the account team is not told")
	}
	// Kenji works for Contoso Ltd now: the rule lets him be its primary contact.
	a, err := s.accounts.SetPrimaryContact(s.james, contoso.ID, storage.AnyVersion, kenji.ID)
	if err != nil {
		return err
	}
	s.say("%s, %s, is now primary contact of %s", kenji.FullName, kenji.JobTitle, a.Name)
	return nil
}

func (s *story) monthEnd() error {
	// Aroha starts her day in Auckland, where it is 1 April already.
	a, err := s.accounts.Create(s.aroha, sales.Account{Name: "Kiwi Backup Ltd", CustomerType: sales.CustomerTypeProspect})
	if err != nil {
		return err
	}
	s.say("Aroha adds %s on %s, Auckland time", a.Name, a.CreatedOn.In(s.akl).Format("Mon 2 Jan 15:04"))
	// One query, two time zones: "this month" is April in Auckland.
	thisMonth := crm.Query{Where: crm.Where(crm.FieldCreatedOn, crm.OpThisMonth), OrderBy: []crm.Order{crm.Asc(sales.AccountName)}}
	for _, who := range []struct {
		name string
		ctx  context.Context
		loc  *time.Location
		want int
	}{{"James", s.james, s.la, 4}, {"Aroha", s.aroha, s.akl, 1}} {
		page, err := s.accounts.Search(who.ctx, thisMonth)
		if err != nil {
			return err
		}
		var names []string
		for _, a := range page.Records {
			names = append(names, a.Name)
		}
		s.check(len(names) == who.want, "%s sees %v", who.name, names)
		s.say("accounts created this month for %s (%s): %s", who.name, s.clock.Now().In(who.loc).Format("Mon 2 Jan"), strings.Join(names, ", "))
	}

	// The revenue of active accounts, in dollars, totalled by the store.
	total := func() (crm.Money, error) {
		rows, err := s.st.Aggregate(s.james, crm.Aggregation{Entity: sales.AccountEntity,
			Where:    crm.Eq(crm.FieldState, sales.AccountStateActive),
			Measures: []crm.Measure{{Alias: "total", Func: crm.AggSum, Field: crm.BaseField(sales.AccountRevenue)}}})
		if err != nil || !s.check(len(rows) == 1, "%d rows", len(rows)) {
			return crm.Money{}, err
		}
		m, _ := rows[0].Money("total")
		return m, nil
	}
	before, err := total()
	if err != nil {
		return err
	}
	s.check(before.Equal(crm.MustMoney("3500000 USD")), "the total is %s", before)
	s.say("revenue of the active accounts, dollars and euros together: %s", before)

	// The euro moves; stored amounts keep the rate they were converted at.
	if _, err := s.st.Update(s.james, crm.Record{Entity: crm.CurrencyEntity, Header: crm.Header{ID: s.euro, Version: storage.AnyVersion},
		Fields: crm.Fields{crm.FieldExchangeRate: decimal.RequireFromString("0.75")}}); err != nil {
		return err
	}
	after, err := total()
	if err != nil {
		return err
	}
	fabrikam, err := s.accounts.Get(s.james, s.acc["Fabrikam GmbH"].ID)
	if err != nil {
		return err
	}
	s.check(after.Equal(before) && fabrikam.RevenueBase.Equal(crm.MustMoney("1500000 USD")), "the new rate changed stored amounts")
	s.say("the euro moves to 0.75: Fabrikam stays at %s (rate %s), the total at %s", fabrikam.RevenueBase, fabrikam.ExchangeRate, after)

	// A change of Fabrikam's revenue converts it at the new rate.
	fabrikam.Revenue = sales.Ptr(crm.MustMoney("1260000.00 EUR"))
	if fabrikam, err = s.accounts.Update(s.james, fabrikam); err != nil {
		return err
	}
	s.check(fabrikam.RevenueBase.Equal(crm.MustMoney("1680000 USD")), "the revised revenue is %s in dollars", fabrikam.RevenueBase)
	s.say("Fabrikam's revenue revised to %s: at %s, %s", fabrikam.Revenue, fabrikam.ExchangeRate, fabrikam.RevenueBase)
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
