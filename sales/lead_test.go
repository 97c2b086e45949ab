package sales_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/activity"
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/internal/crmtest"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/memory"
	"github.com/crmkit/crmkit/storage/storagetest"
)

// leadEnv is an in-memory env with the lead service.
type leadEnv struct {
	*env
	leads *sales.Leads
}

func newLeadEnv(t *testing.T) *leadEnv {
	t.Helper()
	e := newEnv(t)
	return &leadEnv{env: e, leads: sales.NewLeads(e.store)}
}

func (e *leadEnv) lead(t *testing.T, l sales.Lead) sales.Lead {
	t.Helper()
	out, err := e.leads.Create(e.ctx, l)
	require.NoError(t, err)
	return out
}

// qualifyCount counts the records of entity in st.
func qualifyCount(t *testing.T, ctx context.Context, st *storage.Store, entity string) int64 {
	t.Helper()
	n, err := st.Count(ctx, crm.Query{Entity: entity})
	require.NoError(t, err)
	return n
}

// fullLead is a lead with a value in every field the default map reads.
func fullLead() sales.Lead {
	return sales.Lead{
		Subject: "50 orange trucks", FirstName: "Yvonne", MiddleName: "Q.", LastName: "McKay",
		CompanyName: "Fourth Coffee", JobTitle: "Purchasing manager",
		Email: "yvonne@fourthcoffee.example", Telephone: "+1 555 0100", MobilePhone: "+1 555 0101",
		Website: "https://fourthcoffee.example",
		Address: sales.Address{Line1: "1 Main St", City: "Redmond", StateOrProvince: "WA", PostalCode: "98052", Country: "United States"},
		Source:  sales.LeadSourceTradeShow, Rating: sales.RatingHot,
		EstimatedAmount:    sales.Ptr(crm.MustMoney("125000.00 USD")),
		EstimatedCloseDate: crmtest.Date(2026, 6, 30),
		BudgetAmount:       sales.Ptr(crm.MustMoney("150000.00 USD")),
		BudgetStatus:       sales.Ptr(sales.BudgetNoCommittedBudget), // 0 is a value
		PurchaseTimeframe:  sales.Ptr(sales.TimeframeThisQuarter),
		PurchaseProcess:    sales.Ptr(sales.PurchaseCommittee),
		Need:               sales.Ptr(sales.NeedMustHave),
		Revenue:            sales.Ptr(crm.MustMoney("5000000.00 USD")),
		NumberOfEmployees:  sales.Ptr(int64(250)),
		Industry:           sales.IndustryConsulting,
		Description:        "Wants a fleet by summer",
	}
}

var qualifyAll = sales.QualifyOptions{CreateAccount: true, CreateContact: true, CreateOpportunity: true}

func TestLeadCodec(t *testing.T) {
	reg := crm.NewRegistry()
	require.NoError(t, sales.Register(reg))
	storagetest.CheckCodec(t, reg, sales.LeadCodec())
}

func TestLeadCreateGetUpdate(t *testing.T) {
	e := newLeadEnv(t)
	l := e.lead(t, fullLead())
	require.Equal(t, sales.LeadStateOpen, l.LeadState())
	require.Equal(t, sales.LeadStatusNew, l.LeadStatus())
	require.Equal(t, "Yvonne McKay", l.FullName)
	require.True(t, l.IsOpen())

	got, err := e.leads.Get(e.ctx, l.ID)
	require.NoError(t, err)
	require.Equal(t, l, got)
	require.Equal(t, sales.BudgetNoCommittedBudget, *got.BudgetStatus, "0 is a value, not null")

	got.JobTitle = "CFO"
	got.BudgetStatus = nil
	upd, err := e.leads.Update(e.ctx, got)
	require.NoError(t, err)
	require.Equal(t, "CFO", upd.JobTitle)
	require.Nil(t, upd.BudgetStatus)

	_, err = e.leads.Create(e.ctx, sales.Lead{Subject: "No name"})
	requireInvalid(t, err, sales.LeadLastName)

	n, err := e.leads.Count(e.ctx, crm.Query{Where: crm.Eq(sales.LeadCompanyName, "fourth coffee")})
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	page, err := e.leads.Search(e.ctx, crm.Query{Where: crm.Eq(sales.LeadJobTitle, "CFO")})
	require.NoError(t, err)
	require.Len(t, page.Records, 1)
	_, err = e.leads.Search(e.ctx, crm.Query{Entity: sales.AccountEntity})
	require.ErrorIs(t, err, crm.ErrValidation)

	team := crm.Ref{Entity: crm.TeamEntity, ID: crm.NewID()}
	assigned, err := e.leads.Assign(e.ctx, l.ID, upd.Version, team)
	require.NoError(t, err)
	require.Equal(t, team, assigned.Owner)
	require.NoError(t, e.leads.Delete(e.ctx, l.ID, assigned.Version))
	_, err = e.leads.Get(e.ctx, l.ID)
	require.ErrorIs(t, err, crm.ErrNotFound)
}

// TestLeadLifecycle fires every event from every state, through the
// service and through the generic store, and checks where the lead ends
// up or how the event is refused.
func TestLeadLifecycle(t *testing.T) {
	const (
		open         = sales.LeadStateOpen
		qualified    = sales.LeadStateQualified
		disqualified = sales.LeadStateDisqualified
	)
	type door int
	const (
		service door = iota // Leads.Qualify, Disqualify, Reactivate
		generic             // storage.Store.ChangeState, outside any operation
	)
	tests := []struct {
		name   string
		from   sales.LeadState
		event  string
		door   door
		status sales.LeadStatus
		want   sales.LeadStatus // 0: refused
		err    error
	}{
		{name: "qualify an open lead", from: open, event: sales.EventQualify, want: sales.LeadStatusQualified},
		{name: "qualify an open lead outside QualifyLead", from: open, event: sales.EventQualify, door: generic, err: crm.ErrInvalidTransition},
		{name: "qualify with a status reason of another state", from: open, event: sales.EventQualify, status: sales.LeadStatusLost, err: crm.ErrValidation},
		{name: "disqualify an open lead", from: open, event: sales.EventDisqualify, want: sales.LeadStatusLost},
		{name: "disqualify with a status reason", from: open, event: sales.EventDisqualify, status: sales.LeadStatusNoLongerInterested, want: sales.LeadStatusNoLongerInterested},
		{name: "disqualify through the generic store", from: open, event: sales.EventDisqualify, door: generic, status: sales.LeadStatusCanceled, want: sales.LeadStatusCanceled},
		{name: "disqualify with an open status reason", from: open, event: sales.EventDisqualify, status: sales.LeadStatusContacted, err: crm.ErrValidation},
		{name: "reactivate an open lead", from: open, event: sales.EventReactivate, err: crm.ErrInvalidTransition},
		{name: "qualify a qualified lead", from: qualified, event: sales.EventQualify, err: crm.ErrInvalidTransition},
		{name: "qualify a qualified lead outside QualifyLead", from: qualified, event: sales.EventQualify, door: generic, err: crm.ErrInvalidTransition},
		{name: "disqualify a qualified lead", from: qualified, event: sales.EventDisqualify, err: crm.ErrInvalidTransition},
		{name: "reactivate a qualified lead", from: qualified, event: sales.EventReactivate, want: sales.LeadStatusNew},
		{name: "reactivate a qualified lead through the generic store", from: qualified, event: sales.EventReactivate, door: generic, want: sales.LeadStatusNew},
		{name: "qualify a disqualified lead", from: disqualified, event: sales.EventQualify, err: crm.ErrInvalidTransition},
		{name: "disqualify a disqualified lead", from: disqualified, event: sales.EventDisqualify, err: crm.ErrInvalidTransition},
		{name: "reactivate a disqualified lead", from: disqualified, event: sales.EventReactivate, want: sales.LeadStatusNew},
		{name: "an unknown event", from: open, event: "convert", door: generic, err: crm.ErrInvalidTransition},
	}
	e := newLeadEnv(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := e.lead(t, sales.Lead{Subject: "Trucks", LastName: "McKay"})
			var err error
			switch tc.from {
			case qualified:
				_, err = e.leads.Qualify(e.ctx, l.ID, l.Version, sales.QualifyOptions{})
			case disqualified:
				_, err = e.leads.Disqualify(e.ctx, l.ID, l.Version, 0)
			}
			require.NoError(t, err)
			before, err := e.leads.Get(e.ctx, l.ID)
			require.NoError(t, err)
			require.Equal(t, tc.from, before.LeadState())

			var got sales.Lead
			switch {
			case tc.door == generic:
				var rec crm.Record
				rec, err = e.store.ChangeState(e.ctx, before.Ref(), storage.StateChange{Event: tc.event, Status: crm.StatusCode(tc.status), Version: before.Version})
				if err == nil {
					got, err = sales.LeadCodec().Decode(rec)
				}
			case tc.event == sales.EventQualify:
				var res sales.QualifyResult
				res, err = e.leads.Qualify(e.ctx, l.ID, before.Version, sales.QualifyOptions{Status: tc.status})
				got = res.Lead
			case tc.event == sales.EventDisqualify:
				got, err = e.leads.Disqualify(e.ctx, l.ID, before.Version, tc.status)
			default:
				got, err = e.leads.Reactivate(e.ctx, l.ID, before.Version)
			}
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				after, gerr := e.leads.Get(e.ctx, l.ID)
				require.NoError(t, gerr)
				require.Equal(t, before, after, "a refused event changes nothing")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got.LeadStatus())
			require.Equal(t, before.Version+1, got.Version)
		})
	}

	t.Run("the lifecycle table itself refuses what the tests above refuse", func(t *testing.T) {
		lc := sales.LeadLifecycle()
		for _, from := range []sales.LeadState{open, qualified, disqualified} {
			for _, event := range []string{sales.EventQualify, sales.EventDisqualify, sales.EventReactivate} {
				to, err := lc.Fire(sales.LeadEntity, crm.StateCode(from), event)
				allowed := map[sales.LeadState][]string{
					open:         {sales.EventQualify, sales.EventDisqualify},
					qualified:    {sales.EventReactivate},
					disqualified: {sales.EventReactivate},
				}[from]
				want := map[string]sales.LeadState{sales.EventQualify: qualified, sales.EventDisqualify: disqualified, sales.EventReactivate: open}[event]
				if slices.Contains(allowed, event) {
					require.NoError(t, err, "%s from %s", event, from)
					require.Equal(t, crm.StateCode(want), to)
				} else {
					var terr *crm.TransitionError
					require.ErrorAs(t, err, &terr, "%s from %s", event, from)
					require.Equal(t, from.String(), terr.State)
					require.Equal(t, event, terr.Event)
				}
			}
		}
	})
}

func TestLeadReadOnlyUntilReactivated(t *testing.T) {
	e := newLeadEnv(t)
	for _, close := range []struct {
		name string
		do   func(l sales.Lead) (sales.Lead, error)
	}{
		{"qualified", func(l sales.Lead) (sales.Lead, error) {
			res, err := e.leads.Qualify(e.ctx, l.ID, l.Version, sales.QualifyOptions{})
			return res.Lead, err
		}},
		{"disqualified", func(l sales.Lead) (sales.Lead, error) {
			return e.leads.Disqualify(e.ctx, l.ID, l.Version, sales.LeadStatusCannotContact)
		}},
	} {
		t.Run(close.name, func(t *testing.T) {
			l, err := close.do(e.lead(t, sales.Lead{Subject: "Trucks", LastName: "McKay"}))
			require.NoError(t, err)
			l.JobTitle = "CEO"
			_, err = e.leads.Update(e.ctx, l)
			require.ErrorIs(t, err, crm.ErrInvalidTransition, "through the service")
			_, err = e.store.Update(e.ctx, crm.Record{Entity: sales.LeadEntity, Header: crm.Header{ID: l.ID},
				Fields: crm.Fields{sales.LeadJobTitle: "CEO"}})
			require.ErrorIs(t, err, crm.ErrInvalidTransition, "through the generic store")

			l, err = e.leads.Reactivate(e.ctx, l.ID, l.Version)
			require.NoError(t, err)
			l.JobTitle = "CEO"
			l, err = e.leads.Update(e.ctx, l)
			require.NoError(t, err, "editable again once reactivated")
			require.Equal(t, "CEO", l.JobTitle)
		})
	}
}

func TestQualify(t *testing.T) {
	t.Run("creates an account, a contact and an opportunity, mapped and linked", func(t *testing.T) {
		e := newLeadEnv(t)
		var created []crm.Ref
		require.NoError(t, e.store.HookMessage(sales.MessageQualifyLead, storage.PostOperation, func(_ context.Context, x *storage.Execution) error {
			created, _ = x.Outputs[sales.QualifyOutputCreated].([]crm.Ref)
			require.Equal(t, true, x.Inputs[sales.QualifyInputCreateAccount])
			return nil
		}))
		l := e.lead(t, fullLead())
		res, err := e.leads.Qualify(e.ctx, l.ID, l.Version, qualifyAll)
		require.NoError(t, err)
		require.Equal(t, []crm.Ref{res.Account, res.Contact, res.Opportunity}, res.Created)
		require.Equal(t, res.Created, created, "the operation's output, as hooks see it")

		acct, err := e.accounts.Get(e.ctx, res.Account.ID)
		require.NoError(t, err)
		require.Equal(t, "Fourth Coffee", acct.Name)
		require.Equal(t, l.Telephone, acct.Telephone)
		require.Equal(t, l.Website, acct.Website)
		require.Equal(t, l.Address, acct.Address)
		require.Equal(t, sales.IndustryConsulting, acct.Industry)
		require.Equal(t, l.Revenue, acct.Revenue)
		require.Equal(t, l.NumberOfEmployees, acct.NumberOfEmployees)
		require.Equal(t, l.Ref(), acct.OriginatingLead)
		require.Equal(t, res.Contact, acct.PrimaryContact, "the new contact is the new account's primary contact")

		c, err := e.contacts.Get(e.ctx, res.Contact.ID)
		require.NoError(t, err)
		require.Equal(t, "Yvonne McKay", c.FullName)
		require.Equal(t, l.JobTitle, c.JobTitle)
		require.Equal(t, l.Email, c.Email)
		require.Equal(t, l.Telephone, c.Telephone)
		require.Equal(t, l.MobilePhone, c.MobilePhone)
		require.Equal(t, l.Address, c.Address)
		require.Equal(t, acct.Ref(), c.ParentCustomer)
		require.Equal(t, l.Ref(), c.OriginatingLead)

		opp, err := e.store.Get(e.ctx, sales.OpportunityEntity, res.Opportunity.ID)
		require.NoError(t, err)
		f := opp.Fields
		require.Equal(t, "50 orange trucks", f.String(sales.OpportunityName))
		require.Equal(t, acct.Ref(), f.Ref(sales.OpportunityCustomer))
		require.Equal(t, acct.Ref(), f.Ref(sales.OpportunityParentAccount))
		require.Equal(t, c.Ref(), f.Ref(sales.OpportunityParentContact))
		require.Equal(t, l.Ref(), f.Ref(sales.FieldOriginatingLead))
		require.True(t, crm.SameValue(*l.EstimatedAmount, f[sales.OpportunityEstimatedValue]))
		require.True(t, crm.SameValue(*l.BudgetAmount, f[sales.OpportunityBudgetAmount]))
		require.Equal(t, l.EstimatedCloseDate, f.Time(sales.OpportunityEstimatedCloseDate))
		for field, want := range map[string]int32{
			sales.OpportunityBudgetStatus: 0, sales.OpportunityPurchaseTimeframe: 1, sales.OpportunityPurchaseProcess: 1,
			sales.OpportunityNeed: 0, sales.OpportunityRating: 1,
		} {
			v, ok := f.Choice(field)
			require.True(t, ok, field)
			require.Equal(t, want, v, field)
		}
		require.Equal(t, l.Description, f.String(sales.OpportunityDescription))

		q := res.Lead
		require.Equal(t, sales.LeadStateQualified, q.LeadState())
		require.Equal(t, sales.LeadStatusQualified, q.LeadStatus())
		require.Equal(t, res.Opportunity, q.QualifyingOpportunity)
		require.Equal(t, acct.Ref(), q.Customer)
		require.Equal(t, acct.Ref(), q.ParentAccount)
		require.Equal(t, c.Ref(), q.ParentContact)
		require.Equal(t, l.Version+1, q.Version, "the lead is one write")
		stored, err := e.leads.Get(e.ctx, l.ID)
		require.NoError(t, err)
		require.Equal(t, q, stored)
	})

	t.Run("no account for a lead without a company name", func(t *testing.T) {
		e := newLeadEnv(t)
		l := fullLead()
		l.CompanyName = "  "
		l = e.lead(t, l)
		res, err := e.leads.Qualify(e.ctx, l.ID, l.Version, qualifyAll)
		require.NoError(t, err)
		require.True(t, res.Account.IsZero())
		require.Equal(t, []crm.Ref{res.Contact, res.Opportunity}, res.Created)
		require.Zero(t, qualifyCount(t, e.ctx, e.store, sales.AccountEntity))
		opp, err := e.store.Get(e.ctx, sales.OpportunityEntity, res.Opportunity.ID)
		require.NoError(t, err)
		require.Equal(t, res.Contact, opp.Fields.Ref(sales.OpportunityCustomer), "the contact is the customer")
		require.Equal(t, res.Contact, res.Lead.Customer)
	})

	t.Run("attaches to the lead's existing account and contact", func(t *testing.T) {
		e := newLeadEnv(t)
		acme := e.account(t, sales.Account{Name: "Acme"})
		ann := e.contact(t, sales.Contact{LastName: "Ann", ParentCustomer: acme.Ref()})
		l := fullLead()
		l.ParentAccount = acme.Ref()
		l = e.lead(t, l)
		res, err := e.leads.Qualify(e.ctx, l.ID, l.Version, qualifyAll)
		require.NoError(t, err)
		require.Equal(t, acme.Ref(), res.Account)
		require.Len(t, res.Created, 2, "a contact and an opportunity")
		c, err := e.contacts.Get(e.ctx, res.Contact.ID)
		require.NoError(t, err)
		require.Equal(t, acme.Ref(), c.ParentCustomer)
		got, err := e.accounts.Get(e.ctx, acme.ID)
		require.NoError(t, err)
		require.Equal(t, acme, got, "an existing account is left as it is")

		l2 := e.lead(t, sales.Lead{Subject: "More trucks", LastName: "Ann", CompanyName: "Acme"})
		res, err = e.leads.Qualify(e.ctx, l2.ID, l2.Version, sales.QualifyOptions{
			CreateAccount: true, CreateContact: true, CreateOpportunity: true,
			ExistingAccount: sales.AccountRef(acme.ID), ExistingContact: crm.Ref{ID: ann.ID}})
		require.NoError(t, err, "the options name existing records; no duplicate is reported for what is not created")
		require.Equal(t, ann.Ref(), res.Contact)
		require.Equal(t, []crm.Ref{res.Opportunity}, res.Created)

		l3 := e.lead(t, sales.Lead{Subject: "Trucks", LastName: "X"})
		_, err = e.leads.Qualify(e.ctx, l3.ID, l3.Version, sales.QualifyOptions{ExistingAccount: ann.Ref()})
		requireInvalid(t, err, sales.QualifyInputExistingAccount)
	})

	t.Run("an opportunity needs a customer", func(t *testing.T) {
		e := newLeadEnv(t)
		l := e.lead(t, sales.Lead{Subject: "Trucks", LastName: "McKay"})
		_, err := e.leads.Qualify(e.ctx, l.ID, l.Version, sales.QualifyOptions{CreateOpportunity: true})
		requireInvalid(t, err, sales.OpportunityCustomer)
		got, err := e.leads.Get(e.ctx, l.ID)
		require.NoError(t, err)
		require.Equal(t, l, got)

		acme := e.account(t, sales.Account{Name: "Acme"})
		res, err := e.leads.Qualify(e.ctx, l.ID, l.Version, sales.QualifyOptions{CreateOpportunity: true, OpportunityCustomer: acme.Ref()})
		require.NoError(t, err)
		opp, err := e.store.Get(e.ctx, sales.OpportunityEntity, res.Opportunity.ID)
		require.NoError(t, err)
		require.Equal(t, acme.Ref(), opp.Fields.Ref(sales.OpportunityCustomer))
	})

	t.Run("the lead's amounts must be in the opportunity's currency", func(t *testing.T) {
		e := newLeadEnv(t)
		l := e.lead(t, fullLead())
		opts := qualifyAll
		opts.Currency = "EUR"
		_, err := e.leads.Qualify(e.ctx, l.ID, l.Version, opts)
		requireInvalid(t, err, sales.OpportunityEstimatedValue)
		require.Zero(t, qualifyCount(t, e.ctx, e.store, sales.AccountEntity))
		opts.Currency = "USD"
		_, err = e.leads.Qualify(e.ctx, l.ID, l.Version, opts)
		require.NoError(t, err)
	})

	t.Run("a stale version is a conflict", func(t *testing.T) {
		e := newLeadEnv(t)
		l := e.lead(t, fullLead())
		l.JobTitle = "CEO"
		_, err := e.leads.Update(e.ctx, l)
		require.NoError(t, err)
		_, err = e.leads.Qualify(e.ctx, l.ID, l.Version, qualifyAll)
		require.ErrorIs(t, err, crm.ErrConflict)
		require.Zero(t, qualifyCount(t, e.ctx, e.store, sales.AccountEntity))
		_, err = e.leads.Qualify(e.ctx, crm.NewID(), storage.AnyVersion, qualifyAll)
		require.ErrorIs(t, err, crm.ErrNotFound)
	})

	t.Run("a hook sees the operation by name and may stop it", func(t *testing.T) {
		e := newLeadEnv(t)
		stop := errors.New("no trucks this quarter")
		require.NoError(t, e.store.HookMessage(sales.MessageQualifyLead, storage.PreOperation, func(_ context.Context, x *storage.Execution) error {
			if x.Inputs[sales.QualifyInputLead] == nil {
				return errors.New("no lead input")
			}
			return stop
		}))
		l := e.lead(t, fullLead())
		_, err := e.leads.Qualify(e.ctx, l.ID, l.Version, qualifyAll)
		require.ErrorIs(t, err, stop)
		got, err := e.leads.Get(e.ctx, l.ID)
		require.NoError(t, err)
		require.True(t, got.IsOpen())
	})

	t.Run("a hook may change the inputs, and a wrong type is refused", func(t *testing.T) {
		e := newLeadEnv(t)
		var give any = false
		require.NoError(t, e.store.HookMessage(sales.MessageQualifyLead, storage.PreValidation, func(_ context.Context, x *storage.Execution) error {
			x.Inputs[sales.QualifyInputCreateOpportunity] = give
			return nil
		}))
		l := e.lead(t, fullLead())
		res, err := e.leads.Qualify(e.ctx, l.ID, l.Version, qualifyAll)
		require.NoError(t, err)
		require.True(t, res.Opportunity.IsZero(), "the hook turned the opportunity off")
		require.Len(t, res.Created, 2)

		give = "yes"
		l = e.lead(t, sales.Lead{Subject: "Trucks", LastName: "B"})
		_, err = e.leads.Qualify(e.ctx, l.ID, l.Version, sales.QualifyOptions{})
		requireInvalid(t, err, sales.QualifyInputCreateOpportunity)
	})

	t.Run("activities regarding the lead stay with it", func(t *testing.T) {
		e := newLeadEnv(t)
		l := e.lead(t, fullLead())
		acts := activity.New(e.store)
		_, err := acts.Create(e.ctx, activity.Activity{Type: activity.PhoneCall, Subject: "First call", Regarding: l.Ref()})
		require.NoError(t, err)
		_, err = e.leads.Qualify(e.ctx, l.ID, l.Version, qualifyAll)
		require.NoError(t, err)
		n, err := e.store.Count(e.ctx, crm.Query{Entity: activity.PointerEntity, Where: crm.Eq(activity.FieldRegarding, l.Ref())})
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
	})
}

func TestQualifyDuplicates(t *testing.T) {
	e := newLeadEnv(t)
	acme := e.account(t, sales.Account{Name: "Fourth Coffee"})
	yvonne := e.contact(t, sales.Contact{LastName: "McKay", Email: "YVONNE@fourthcoffee.example"})
	l := fullLead()
	l.CompanyName = "  fourth COFFEE "
	l = e.lead(t, l)

	_, err := e.leads.Qualify(e.ctx, l.ID, l.Version, qualifyAll)
	require.ErrorIs(t, err, crm.ErrDuplicate)
	var dup *sales.DuplicateError
	require.ErrorAs(t, err, &dup)
	require.Equal(t, l.Ref(), dup.Lead)
	require.Equal(t, []crm.Ref{acme.Ref()}, dup.Accounts)
	require.Equal(t, []crm.Ref{yvonne.Ref()}, dup.Contacts)
	require.Contains(t, err.Error(), "1 account(s) with its company name and 1 contact(s) with its email address")
	require.EqualValues(t, 1, qualifyCount(t, e.ctx, e.store, sales.AccountEntity), "nothing is written")
	require.EqualValues(t, 1, qualifyCount(t, e.ctx, e.store, sales.ContactEntity))
	require.Zero(t, qualifyCount(t, e.ctx, e.store, sales.OpportunityEntity))

	t.Run("only what would be created is checked", func(t *testing.T) {
		_, err := e.leads.Qualify(e.ctx, l.ID, l.Version, sales.QualifyOptions{CreateContact: true})
		require.ErrorAs(t, err, &dup)
		require.Empty(t, dup.Accounts)
		require.Equal(t, []crm.Ref{yvonne.Ref()}, dup.Contacts)
	})

	t.Run("link to the matches", func(t *testing.T) {
		opts := qualifyAll
		opts.ExistingAccount, opts.ExistingContact = acme.Ref(), yvonne.Ref()
		l := e.lead(t, sales.Lead{Subject: "Again", LastName: "McKay", CompanyName: "Fourth Coffee", Email: yvonne.Email})
		res, err := e.leads.Qualify(e.ctx, l.ID, l.Version, opts)
		require.NoError(t, err)
		require.Equal(t, acme.Ref(), res.Account)
		require.Equal(t, yvonne.Ref(), res.Contact)
		require.Equal(t, []crm.Ref{res.Opportunity}, res.Created)
	})

	t.Run("or create anyway", func(t *testing.T) {
		opts := qualifyAll
		opts.OnDuplicate = sales.CreateDuplicates
		res, err := e.leads.Qualify(e.ctx, l.ID, l.Version, opts)
		require.NoError(t, err)
		require.Len(t, res.Created, 3)
		require.EqualValues(t, 2, qualifyCount(t, e.ctx, e.store, sales.AccountEntity))
	})
}

func TestLeadRules(t *testing.T) {
	e := newLeadEnv(t)
	acme := e.account(t, sales.Account{Name: "Acme"})
	opp, err := e.store.Create(e.ctx, crm.Record{Entity: sales.OpportunityEntity,
		Fields: crm.Fields{sales.OpportunityName: "Trucks", sales.OpportunityCustomer: acme.Ref()}})
	require.NoError(t, err)
	oppRef := crm.Ref{Entity: sales.OpportunityEntity, ID: opp.ID}

	t.Run("the qualifying opportunity is set only by qualifying", func(t *testing.T) {
		_, err := e.leads.Create(e.ctx, sales.Lead{Subject: "T", LastName: "A", QualifyingOpportunity: oppRef})
		requireInvalid(t, err, sales.LeadQualifyingOpportunity)
		l := e.lead(t, sales.Lead{Subject: "T", LastName: "A"})
		l.QualifyingOpportunity = oppRef
		_, err = e.leads.Update(e.ctx, l)
		requireInvalid(t, err, sales.LeadQualifyingOpportunity)
		_, err = e.store.Update(e.ctx, crm.Record{Entity: sales.LeadEntity, Header: crm.Header{ID: l.ID},
			Fields: crm.Fields{sales.LeadQualifyingOpportunity: oppRef}})
		requireInvalid(t, err, sales.LeadQualifyingOpportunity)
		_, err = e.store.ChangeState(e.ctx, l.Ref(), storage.StateChange{Event: sales.EventDisqualify,
			Fields: crm.Fields{sales.LeadQualifyingOpportunity: oppRef}})
		requireInvalid(t, err, sales.LeadQualifyingOpportunity)
	})

	t.Run("a lead with an opportunity cannot be disqualified", func(t *testing.T) {
		l := e.lead(t, fullLead())
		l.CompanyName = "Northwind"
		res, err := e.leads.Qualify(e.ctx, l.ID, l.Version, sales.QualifyOptions{CreateAccount: true, CreateOpportunity: true, OnDuplicate: sales.CreateDuplicates})
		require.NoError(t, err)
		l, err = e.leads.Reactivate(e.ctx, l.ID, res.Lead.Version)
		require.NoError(t, err)
		require.Equal(t, res.Opportunity, l.QualifyingOpportunity, "reactivating keeps the qualifying opportunity")
		_, err = e.leads.Disqualify(e.ctx, l.ID, l.Version, sales.LeadStatusLost)
		requireInvalid(t, err, sales.LeadQualifyingOpportunity)
		_, err = e.store.SetState(e.ctx, l.Ref(), storage.AnyVersion, sales.EventDisqualify, 0)
		requireInvalid(t, err, sales.LeadQualifyingOpportunity)

		// Deleting the opportunity clears the link (even on a qualified
		// lead), and the lead may then be disqualified.
		require.NoError(t, e.store.Delete(e.ctx, res.Opportunity, storage.AnyVersion))
		l, err = e.leads.Get(e.ctx, l.ID)
		require.NoError(t, err)
		require.True(t, l.QualifyingOpportunity.IsZero())
		l, err = e.leads.Disqualify(e.ctx, l.ID, l.Version, sales.LeadStatusLost)
		require.NoError(t, err)
		require.Equal(t, sales.LeadStateDisqualified, l.LeadState())
	})

	t.Run("qualifying again replaces the qualifying opportunity, attached to the first account", func(t *testing.T) {
		l := e.lead(t, sales.Lead{Subject: "T", LastName: "A", CompanyName: "Tailspin"})
		first, err := e.leads.Qualify(e.ctx, l.ID, l.Version, qualifyAll)
		require.NoError(t, err)
		l, err = e.leads.Reactivate(e.ctx, l.ID, first.Lead.Version)
		require.NoError(t, err)
		second, err := e.leads.Qualify(e.ctx, l.ID, l.Version, qualifyAll)
		require.NoError(t, err)
		require.Equal(t, first.Account, second.Account, "the lead's existing account is attached, not duplicated")
		require.Equal(t, first.Contact, second.Contact)
		require.Equal(t, []crm.Ref{second.Opportunity}, second.Created)
		require.Equal(t, second.Opportunity, second.Lead.QualifyingOpportunity)
	})

	t.Run("an import takes the link and the state from the data", func(t *testing.T) {
		_, err := e.store.Import(e.ctx, []crm.Record{{Entity: sales.LeadEntity,
			Header: crm.Header{State: crm.StateCode(sales.LeadStateDisqualified), Status: crm.StatusCode(sales.LeadStatusLost)},
			Fields: crm.Fields{sales.LeadSubject: "Old", sales.LeadLastName: "Imported", sales.LeadQualifyingOpportunity: oppRef}}}, storage.ImportOptions{})
		require.NoError(t, err)
		page, err := e.leads.Search(e.ctx, crm.Query{Where: crm.Eq(sales.LeadLastName, "Imported")})
		require.NoError(t, err)
		require.Len(t, page.Records, 1)
		require.Equal(t, sales.LeadStateDisqualified, page.Records[0].LeadState())
		require.Equal(t, oppRef, page.Records[0].QualifyingOpportunity)
	})
}

// TestQualifyThroughEveryDoor: a lead becomes Qualified only through the
// QualifyLead operation, whichever door a write comes through.
func TestQualifyThroughEveryDoor(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := crm.AsSystem(context.Background())
			st := b.store(t, nil)
			leads := sales.NewLeads(st)
			l, err := leads.Create(ctx, sales.Lead{Subject: "Trucks", LastName: "McKay"})
			require.NoError(t, err)
			qualified := crm.StateCode(sales.LeadStateQualified)

			_, err = st.Update(ctx, crm.Record{Entity: sales.LeadEntity, Header: crm.Header{ID: l.ID, Version: l.Version,
				State: qualified, Status: crm.StatusCode(sales.LeadStatusQualified)}})
			requireInvalid(t, err, crm.FieldStatus)
			l.State, l.Status = qualified, crm.StatusCode(sales.LeadStatusQualified)
			_, err = leads.Update(ctx, l)
			requireInvalid(t, err, crm.FieldStatus)
			_, err = st.SetState(ctx, l.Ref(), storage.AnyVersion, sales.EventQualify, 0)
			require.ErrorIs(t, err, crm.ErrInvalidTransition)
			var terr *crm.TransitionError
			require.ErrorAs(t, err, &terr)
			require.Equal(t, sales.MessageQualifyLead, terr.Operation)
			_, err = leads.Table().SetState(ctx, l.ID, storage.AnyVersion, sales.EventQualify, 0)
			require.ErrorIs(t, err, crm.ErrInvalidTransition)
			err = st.InTx(ctx, func(ctx context.Context) error {
				_, err := st.SetState(ctx, l.Ref(), storage.AnyVersion, sales.EventQualify, 0)
				return err
			})
			require.ErrorIs(t, err, crm.ErrInvalidTransition, "a transaction is not the operation")

			got, err := leads.Get(ctx, l.ID)
			require.NoError(t, err)
			require.True(t, got.IsOpen())
			res, err := leads.Qualify(ctx, l.ID, storage.AnyVersion, sales.QualifyOptions{})
			require.NoError(t, err)
			require.Equal(t, sales.LeadStateQualified, res.Lead.LeadState())
		})
	}
}

func TestLeadFieldMap(t *testing.T) {
	reg := crm.NewRegistry()
	require.NoError(t, sales.Register(reg))
	const custom = "new_region"
	for _, e := range []string{sales.LeadEntity, sales.AccountEntity} {
		require.NoError(t, reg.AddFields(e, crm.Field{Name: custom, Label: "Region", Type: crm.TypeText, MaxLength: 40}))
	}
	require.NoError(t, reg.AddFields(sales.ContactEntity, crm.Field{Name: "new_score", Type: crm.TypeInteger}))
	st := memory.Open(reg)
	ctx := crm.AsSystem(context.Background())
	leads := sales.NewLeads(st)

	t.Run("the default map is valid", func(t *testing.T) {
		before := leads.Mapping()
		require.Equal(t, sales.DefaultLeadMapping(), before)
		for _, m := range before {
			require.NoError(t, leads.MapField(m.Entity, m.From, m.To), "%+v", m)
		}
		require.ElementsMatch(t, before, leads.Mapping(), "mapping an entry again replaces it")
	})

	t.Run("a host maps its custom field", func(t *testing.T) {
		require.NoError(t, leads.MapField(sales.AccountEntity, custom, custom))
		l, err := leads.Create(ctx, sales.Lead{Subject: "T", LastName: "A", CompanyName: "Acme", Extra: crm.Fields{custom: "EMEA"}})
		require.NoError(t, err)
		res, err := leads.Qualify(ctx, l.ID, l.Version, sales.QualifyOptions{CreateAccount: true})
		require.NoError(t, err)
		acct, err := sales.NewAccounts(st).Get(ctx, res.Account.ID)
		require.NoError(t, err)
		require.Equal(t, "EMEA", acct.Extra[custom])
	})

	t.Run("a host replaces a default entry", func(t *testing.T) {
		require.NoError(t, leads.MapField(sales.ContactEntity, sales.LeadEmail3, sales.ContactEmail))
		l, err := leads.Create(ctx, sales.Lead{Subject: "T", LastName: "B", Email: "work@b.example", Email3: "home@b.example"})
		require.NoError(t, err)
		res, err := leads.Qualify(ctx, l.ID, l.Version, sales.QualifyOptions{CreateContact: true})
		require.NoError(t, err)
		c, err := sales.NewContacts(st).Get(ctx, res.Contact.ID)
		require.NoError(t, err)
		require.Equal(t, "home@b.example", c.Email)
	})

	for _, tc := range []struct {
		name                 string
		entity, from, to     string
		notFound             bool
		wantErrMentionsField string
	}{
		{"an entity qualifying does not create", sales.CompetitorEntity, sales.LeadSubject, "name", true, "competitor"},
		{"an unknown lead field", sales.AccountEntity, "new_nothing", sales.AccountName, true, "new_nothing"},
		{"an unknown target field", sales.AccountEntity, sales.LeadSubject, "new_nothing", true, "new_nothing"},
		{"a system field", sales.AccountEntity, sales.LeadSubject, crm.FieldOwner, true, crm.FieldOwner},
		{"types that differ", sales.ContactEntity, sales.LeadSubject, "new_score", false, "new_score"},
		{"a computed target", sales.ContactEntity, sales.LeadLastName, sales.ContactFullName, false, "computed"},
		{"a link the qualification sets", sales.OpportunityEntity, sales.LeadParentAccount, sales.OpportunityParentAccount, false, "sets"},
		{"a stage field the sales process sets", sales.OpportunityEntity, sales.LeadSubject, sales.OpportunityStepName, false, "sets"},
		{"options the target lacks", sales.OpportunityEntity, sales.LeadSourceCode, sales.OpportunityRating, false, "option"},
		{"a lookup to entities the target cannot point at", sales.AccountEntity, sales.LeadParentContact, sales.AccountParent, false, "contact"},
	} {
		t.Run("refused at setup: "+tc.name, func(t *testing.T) {
			before := leads.Mapping()
			err := leads.MapField(tc.entity, tc.from, tc.to)
			require.ErrorIs(t, err, sales.ErrLeadMapping)
			require.Equal(t, tc.notFound, errors.Is(err, crm.ErrNotFound), "%v", err)
			require.Contains(t, err.Error(), tc.wantErrMentionsField)
			require.Equal(t, before, leads.Mapping(), "a refused entry changes nothing")
		})
	}
}
