package sales_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/activity"
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/internal/crmtest"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
)

// qualifiedEntities are what a qualification may create: after a failed
// one, none has more records than before.
var qualifiedEntities = []string{sales.AccountEntity, sales.ContactEntity, sales.OpportunityEntity, sales.StageHistoryEntity, activity.PointerEntity}

func qualifyCounts(t *testing.T, ctx context.Context, st *storage.Store) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, e := range qualifiedEntities {
		out[e] = qualifyCount(t, ctx, st, e)
	}
	return out
}

// TestQualifyIsAtomic fails the 1st, 2nd, ... write of a qualification
// that creates an account, a contact (with the account's primary-contact
// update) and an opportunity (with the visit of the Qualify stage) and
// qualifies the lead, and checks that each
// failure leaves everything as it was; then that it succeeds with no
// failure.
func TestQualifyIsAtomic(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := crm.AsSystem(context.Background())
			var fd *crmtest.FailingDriver
			st := b.store(t, func(d driver.Driver) driver.Driver { fd = crmtest.NewFailingDriver(d); return fd })
			leads := sales.NewLeads(st)
			l, err := leads.Create(ctx, fullLead())
			require.NoError(t, err)
			// An activity regarding the lead, so that the counts start above
			// zero where a qualification could touch them.
			_, err = activity.New(st).Create(ctx, activity.Activity{Type: activity.Task, Subject: "Call back", Regarding: l.Ref()})
			require.NoError(t, err)
			before := qualifyCounts(t, ctx, st)

			for n := 1; ; n++ {
				fd.FailAt(n)
				res, err := leads.Qualify(ctx, l.ID, l.Version, qualifyAll)
				writes := fd.Writes()
				fd.FailAt(0)
				if err == nil {
					require.Equal(t, 7, n, "the account, the contact, the account's primary contact, the opportunity, its Qualify visit, the lead: 6 writes")
					require.Equal(t, 6, writes)
					require.Len(t, res.Created, 3)
					break
				}
				require.ErrorIs(t, err, crmtest.ErrInjected, "write %d", n)
				require.Equal(t, before, qualifyCounts(t, ctx, st), "write %d failed: nothing is left", n)
				got, err := leads.Get(ctx, l.ID)
				require.NoError(t, err)
				require.Equal(t, l, got, "write %d failed: the lead is unchanged", n)
			}
			after := qualifyCounts(t, ctx, st)
			for _, e := range []string{sales.AccountEntity, sales.ContactEntity, sales.OpportunityEntity, sales.StageHistoryEntity} {
				require.Equal(t, before[e]+1, after[e], e)
			}
			require.Equal(t, before[activity.PointerEntity], after[activity.PointerEntity])
		})
	}
}

// TestConcurrentQualify qualifies one lead from two goroutines at once,
// again and again: exactly one succeeds, and exactly one account, contact
// and opportunity exist for the lead.
func TestConcurrentQualify(t *testing.T) {
	const rounds = 5
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := crm.AsSystem(context.Background())
			st := b.store(t, nil, storage.WithRetries(5))
			leads := sales.NewLeads(st)
			for round := range rounds {
				l := fullLead()
				l.CompanyName = l.CompanyName + string(rune('A'+round))
				l.Email = string(rune('a'+round)) + l.Email
				l, err := leads.Create(ctx, l)
				require.NoError(t, err)
				for _, version := range []int64{l.Version, storage.AnyVersion} {
					requireOneWins(t, fmt.Sprintf("round %d", round), func() error {
						_, err := leads.Qualify(ctx, l.ID, version, qualifyAll)
						return err
					})
					for _, e := range []string{sales.AccountEntity, sales.ContactEntity, sales.OpportunityEntity} {
						n, err := st.Count(ctx, crm.Query{Entity: e, Where: crm.Eq(sales.FieldOriginatingLead, l.ID)})
						require.NoError(t, err)
						require.EqualValues(t, 1, n, "round %d: one %s", round, e)
					}
					got, err := leads.Get(ctx, l.ID)
					require.NoError(t, err)
					require.Equal(t, sales.LeadStateQualified, got.LeadState())
					if version != storage.AnyVersion {
						// Again with AnyVersion: the loser reads a qualified lead.
						got, err = leads.Reactivate(ctx, l.ID, got.Version)
						require.NoError(t, err)
						l = got
						// The lead's existing account and contact are attached
						// the second time: delete the opportunity so that one
						// new opportunity is all a success makes.
						require.NoError(t, st.Delete(ctx, got.QualifyingOpportunity, storage.AnyVersion))
						require.NoError(t, st.Delete(ctx, got.ParentContact, storage.AnyVersion))
						require.NoError(t, st.Delete(ctx, got.ParentAccount, storage.AnyVersion))
					}
				}
			}
		})
	}
}
