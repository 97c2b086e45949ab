package sales_test

// BenchmarkQualify qualifies one lead end to end, as Leads.Qualify does
// for a caller: the QualifyLead operation with duplicate detection (two
// queries), an account, a contact (made the account's primary contact),
// an opportunity and the lead's state change, in one transaction. Each
// iteration qualifies its own lead, created before the timer starts,
// with a company name and email of its own, so no duplicate is found;
// the tables grow by three records an iteration. Run it with:
//
//	go test -run '^$' -bench Qualify -count 6 ./sales/ > qualify.txt
//	benchstat qualify.txt

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

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
		b.Run("db="+db.name, func(b *testing.B) {
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
			opts := sales.QualifyOptions{CreateAccount: true, CreateContact: true, CreateOpportunity: true}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if _, err := leads.Qualify(ctx, todo[i].ID, todo[i].Version, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
