package sales_test

// BenchmarkQualify qualifies one lead end to end, as Leads.Qualify does
// for a caller: the QualifyLead operation with duplicate detection (two
// queries), an account, a contact (made the account's primary contact),
// an opportunity in the default process's Develop stage with the lead's
// Qualify visit in the stage history, and the lead's state change, in one
// transaction (impl=qualify). Beside it, impl=bare makes the same six
// writes with the same fields inside the same named operation, written
// out by hand with nothing else: no lock of the lead first, no duplicate
// queries, no field map. Each iteration qualifies its own lead, created
// before the timer starts, with a company name and email of its own, so
// no duplicate is found; the tables grow by four records an iteration.
// Run it with:
//
//	go test -run '^$' -bench Qualify -count 6 ./sales/ > qualify.txt
//	benchstat -col /impl qualify.txt

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/memory"
	"github.com/crmkit/crmkit/storage/sqlstore/sqlite"
)

func BenchmarkQualify(b *testing.B) {
	for _, db := range []struct {
		name string
		open func(b *testing.B, reg *crm.Registry) *storage.Store
	}{
		{"memory", func(b *testing.B, reg *crm.Registry) *storage.Store { return memory.Open(reg) }},
		{"sqlite", func(b *testing.B, reg *crm.Registry) *storage.Store {
			d, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "qualify.db"), reg)
			require.NoError(b, err)
			b.Cleanup(func() { _ = d.Close() })
			return storage.New(d, reg)
		}},
	} {
		for _, impl := range []struct {
			name    string
			qualify func(ctx context.Context, st *storage.Store, leads *sales.Leads, l sales.Lead) error
		}{
			{"qualify", func(ctx context.Context, _ *storage.Store, leads *sales.Leads, l sales.Lead) error {
				_, err := leads.Qualify(ctx, l.ID, l.Version, qualifyAll)
				return err
			}},
			{"bare", qualifyBare},
		} {
			b.Run("db="+db.name+"/impl="+impl.name, func(b *testing.B) {
				reg := crm.NewRegistry()
				require.NoError(b, sales.Register(reg))
				st := db.open(b, reg)
				leads := sales.NewLeads(st)
				ctx := crm.AsSystem(context.Background())
				todo := make([]sales.Lead, b.N)
				for i := range todo {
					l := fullLead()
					l.CompanyName = fmt.Sprintf("Company %d", i)
					l.Email = fmt.Sprintf("buyer%d@example.com", i)
					var err error
					todo[i], err = leads.Create(ctx, l)
					require.NoError(b, err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					if err := impl.qualify(ctx, st, leads, todo[i]); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// qualifyBare writes what Leads.Qualify writes for l and qualifyAll, by
// hand.
func qualifyBare(ctx context.Context, st *storage.Store, _ *sales.Leads, l sales.Lead) error {
	return st.Execute(ctx, sales.MessageQualifyLead, nil, func(ctx context.Context, _ *storage.Execution) error {
		origin := l.Ref()
		addr := func(f crm.Fields) crm.Fields {
			f[sales.AccountLine1], f[sales.AccountCity], f[sales.AccountStateOrProvince] = l.Address.Line1, l.Address.City, l.Address.StateOrProvince
			f[sales.AccountPostalCode], f[sales.AccountCountry] = l.Address.PostalCode, l.Address.Country
			return f
		}
		acct, err := st.Create(ctx, crm.Record{Entity: sales.AccountEntity, Fields: addr(crm.Fields{
			sales.AccountName: l.CompanyName, sales.AccountTelephone: l.Telephone, sales.AccountWebsite: l.Website,
			sales.AccountIndustry: int32(l.Industry), sales.AccountRevenue: *l.Revenue,
			sales.AccountNumberOfEmployees: *l.NumberOfEmployees, sales.FieldOriginatingLead: origin})})
		if err != nil {
			return err
		}
		account := sales.AccountRef(acct.ID)
		c, err := st.Create(ctx, crm.Record{Entity: sales.ContactEntity, Fields: addr(crm.Fields{
			sales.ContactFirstName: l.FirstName, sales.ContactLastName: l.LastName, sales.ContactJobTitle: l.JobTitle,
			sales.ContactEmail: l.Email, sales.ContactTelephone: l.Telephone, sales.ContactMobilePhone: l.MobilePhone,
			sales.ContactParentCustomer: account, sales.FieldOriginatingLead: origin})})
		if err != nil {
			return err
		}
		contact := sales.ContactRef(c.ID)
		if _, err := st.Update(ctx, crm.Record{Entity: sales.AccountEntity, Header: crm.Header{ID: acct.ID},
			Fields: crm.Fields{sales.AccountPrimaryContact: contact}}); err != nil {
			return err
		}
		now := st.Now(ctx)
		opp, err := st.Create(ctx, crm.Record{Entity: sales.OpportunityEntity, Fields: crm.Fields{
			sales.OpportunityName: l.Subject, sales.OpportunityEstimatedValue: *l.EstimatedAmount,
			sales.OpportunityEstimatedCloseDate: l.EstimatedCloseDate, sales.OpportunityBudgetAmount: *l.BudgetAmount,
			sales.OpportunityBudgetStatus: int32(*l.BudgetStatus), sales.OpportunityPurchaseTimeframe: int32(*l.PurchaseTimeframe),
			sales.OpportunityPurchaseProcess: int32(*l.PurchaseProcess), sales.OpportunityNeed: int32(*l.Need),
			sales.OpportunityRating: int32(l.Rating), sales.OpportunityDescription: l.Description,
			sales.OpportunityCustomer: account, sales.OpportunityParentAccount: account, sales.OpportunityParentContact: contact,
			sales.FieldOriginatingLead: origin, sales.OpportunitySalesStage: int32(sales.SalesStageDevelop),
			sales.OpportunityStepName: "2-Develop", sales.OpportunityProbability: int64(40), sales.OpportunityStageStartedOn: now}})
		if err != nil {
			return err
		}
		if _, err := st.Create(ctx, crm.Record{Entity: sales.StageHistoryEntity, Fields: crm.Fields{
			sales.StageHistoryOpportunity: crm.Ref{Entity: sales.OpportunityEntity, ID: opp.ID},
			sales.StageHistoryStage:       int32(sales.SalesStageQualify), sales.StageHistoryStepName: "1-Qualify",
			sales.StageHistoryEnteredOn: l.CreatedOn, sales.StageHistoryLeftOn: now,
			sales.StageHistoryDays:      decimal.NewFromInt(now.Sub(l.CreatedOn).Microseconds()).DivRound(decimal.NewFromInt(86_400_000_000), 4),
			sales.StageHistoryDirection: int32(sales.StageForward)}}); err != nil {
			return err
		}
		_, err = st.ChangeState(ctx, origin, storage.StateChange{Event: sales.EventQualify, Version: l.Version, Fields: crm.Fields{
			sales.LeadQualifyingOpportunity: crm.Ref{Entity: sales.OpportunityEntity, ID: opp.ID},
			sales.LeadCustomer:              account, sales.LeadParentAccount: account, sales.LeadParentContact: contact}})
		return err
	})
}
