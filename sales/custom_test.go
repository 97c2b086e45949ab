package sales_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/internal/stores"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/sqlstore"
	"github.com/crmkit/crmkit/storage/sqlstore/postgres"
	"github.com/crmkit/crmkit/storage/sqlstore/sqlite"
)

// A host's custom fields on contact, as a host would add them.
const (
	loyaltyPoints = "new_loyaltypoints" // a custom whole number
	tier          = "new_tier"          // a custom option set
	tierBronze    = int32(100_000_000)
	tierGold      = int32(100_000_001)
	nickname      = "new_nickname" // added to the running store
)

func TestCustomFieldsThroughContacts(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := crm.AsSystem(context.Background())
			reg := crm.NewRegistry()
			require.NoError(t, sales.Register(reg))
			require.NoError(t, reg.AddFields(sales.ContactEntity,
				crm.Field{Name: loyaltyPoints, Label: "Loyalty Points", Type: crm.TypeInteger},
				crm.Field{Name: tier, Label: "Tier", Type: crm.TypeChoice, Options: []crm.Option{
					{Value: tierBronze, Label: "Bronze"}, {Value: tierGold, Label: "Gold"}}},
			))
			st := storage.New(b.open(t, reg), reg)
			contacts := sales.NewContacts(st)
			for _, c := range []sales.Contact{
				{LastName: "Ada", Extra: crm.Fields{loyaltyPoints: int64(300), tier: tierGold}},
				{LastName: "Bob", Extra: crm.Fields{loyaltyPoints: int64(100), tier: tierBronze}},
				{LastName: "Cy", Extra: crm.Fields{loyaltyPoints: int64(200), tier: tierGold}},
				{LastName: "Dee"},
			} {
				_, err := contacts.Create(ctx, c)
				require.NoError(t, err)
			}

			t.Run("custom fields are set on create and read back typed", func(t *testing.T) {
				page, err := contacts.Search(ctx, crm.Query{Entity: sales.ContactEntity, Where: crm.Eq(sales.ContactLastName, "Ada")})
				require.NoError(t, err)
				require.Len(t, page.Records, 1)
				require.Equal(t, crm.Fields{loyaltyPoints: int64(300), tier: tierGold}, page.Records[0].Extra)
			})
			t.Run("custom fields survive a typed read-modify-write", func(t *testing.T) {
				page, err := contacts.Search(ctx, crm.Query{Entity: sales.ContactEntity, Where: crm.Eq(sales.ContactLastName, "Bob")})
				require.NoError(t, err)
				bob := page.Records[0]
				bob.JobTitle = "Buyer"
				bob, err = contacts.Update(ctx, bob)
				require.NoError(t, err)
				require.Equal(t, int64(100), bob.Extra[loyaltyPoints])
				bob.Extra[loyaltyPoints] = int64(150)
				bob, err = contacts.Update(ctx, bob)
				require.NoError(t, err)
				got, err := contacts.Get(ctx, bob.ID)
				require.NoError(t, err)
				require.Equal(t, "Buyer", got.JobTitle)
				require.Equal(t, crm.Fields{loyaltyPoints: int64(150), tier: tierBronze}, got.Extra)
			})
			t.Run("custom fields are queried and sorted on", func(t *testing.T) {
				page, err := contacts.Search(ctx, crm.Query{Entity: sales.ContactEntity,
					Where: crm.Eq(tier, tierGold), OrderBy: []crm.Order{crm.Asc(loyaltyPoints)}})
				require.NoError(t, err)
				var names []string
				for _, c := range page.Records {
					names = append(names, c.LastName)
				}
				require.Equal(t, []string{"Cy", "Ada"}, names)
				n, err := contacts.Count(ctx, crm.Query{Entity: sales.ContactEntity, Where: crm.Where(loyaltyPoints, crm.OpGt, int64(120))})
				require.NoError(t, err)
				require.EqualValues(t, 3, n)
			})
			t.Run("custom fields are aggregated on", func(t *testing.T) {
				rows, err := st.Aggregate(ctx, crm.Aggregation{Entity: sales.ContactEntity,
					GroupBy:  []crm.GroupBy{{Field: tier}},
					Measures: []crm.Measure{{Alias: "points", Func: crm.AggSum, Field: loyaltyPoints}, {Alias: "n", Func: crm.AggCount}}})
				require.NoError(t, err)
				require.Len(t, rows, 3, "no tier, bronze and gold")
				require.Nil(t, rows[0][tier])
				require.Equal(t, []int64{1, 1, 2}, []int64{rows[0].Int("n"), rows[1].Int("n"), rows[2].Int("n")})
				require.Equal(t, int64(150), rows[1].Int("points"))
				require.Equal(t, int64(500), rows[2].Int("points"))
			})
			t.Run("a field added to the running store is writable through Contacts at once", func(t *testing.T) {
				require.NoError(t, st.AddFields(ctx, sales.ContactEntity, crm.Field{Name: nickname, Type: crm.TypeText}))
				c, err := contacts.Create(ctx, sales.Contact{LastName: "Eve", Extra: crm.Fields{nickname: "E", tier: tierBronze}})
				require.NoError(t, err)
				got, err := contacts.Get(ctx, c.ID)
				require.NoError(t, err)
				require.Equal(t, crm.Fields{nickname: "E", tier: tierBronze}, got.Extra)
			})
			t.Run("a value the custom field refuses fails like a declared one's", func(t *testing.T) {
				_, err := contacts.Create(ctx, sales.Contact{LastName: "Bad", Extra: crm.Fields{tier: int32(3)}})
				requireInvalid(t, err, tier)
			})
		})
	}
}

// The database keeps the metadata of what it stores: a process that opens
// it with the sales entities alone learns the host's custom fields.
func TestCustomFieldsKeptInTheDatabase(t *testing.T) {
	type opener func(t *testing.T, reg *crm.Registry) *sqlstore.Driver
	dir := t.TempDir()
	for name, open := range map[string]func(t *testing.T) opener{
		"sqlite": func(t *testing.T) opener {
			path := filepath.Join(dir, "kept.db")
			return func(t *testing.T, reg *crm.Registry) *sqlstore.Driver {
				d, err := sqlite.Open(context.Background(), path, reg)
				require.NoError(t, err)
				return d
			}
		},
		"postgres": func(t *testing.T) opener {
			dsn, schema := stores.PostgresSchema(t, "crmkit_kept_")
			return func(t *testing.T, reg *crm.Registry) *sqlstore.Driver {
				d, err := postgres.Open(context.Background(), dsn, reg, sqlstore.WithSchema(schema))
				require.NoError(t, err)
				return d
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			open := open(t)
			ctx := crm.AsSystem(context.Background())

			host := crm.NewRegistry()
			require.NoError(t, sales.Register(host))
			require.NoError(t, host.AddFields(sales.ContactEntity,
				crm.Field{Name: loyaltyPoints, Type: crm.TypeInteger},
				crm.Field{Name: tier, Type: crm.TypeChoice, Options: []crm.Option{{Value: tierBronze, Label: "Bronze"}, {Value: tierGold, Label: "Gold"}}},
			))
			d := open(t, host)
			st := storage.New(d, host)
			require.NoError(t, st.AddFields(ctx, sales.ContactEntity, crm.Field{Name: nickname, Type: crm.TypeText}))
			contacts := sales.NewContacts(st)
			ada, err := contacts.Create(ctx, sales.Contact{LastName: "Ada", Extra: crm.Fields{loyaltyPoints: int64(300), tier: tierGold, nickname: "A"}})
			require.NoError(t, err)
			_, err = contacts.Create(ctx, sales.Contact{LastName: "Bob", Extra: crm.Fields{loyaltyPoints: int64(100)}})
			require.NoError(t, err)
			require.NoError(t, d.Close())

			plain := crm.NewRegistry()
			require.NoError(t, sales.Register(plain))
			d = open(t, plain)
			defer func() { _ = d.Close() }()
			st = storage.New(d, plain)
			e, err := plain.Entity(sales.ContactEntity)
			require.NoError(t, err)
			f, ok := e.Field(tier)
			require.True(t, ok, "opening the database taught the registry the custom fields")
			require.Equal(t, "Gold", must(f.OptionLabel(tierGold)))

			rec, err := st.Get(ctx, sales.ContactEntity, ada.ID)
			require.NoError(t, err)
			require.Equal(t, int64(300), rec.Fields[loyaltyPoints])
			require.Equal(t, tierGold, rec.Fields[tier])
			require.Equal(t, "A", rec.Fields[nickname])

			page, err := st.Query(ctx, crm.Query{Entity: sales.ContactEntity, Where: crm.NotNull(loyaltyPoints), OrderBy: []crm.Order{crm.Asc(loyaltyPoints)}})
			require.NoError(t, err)
			require.Len(t, page.Records, 2)
			require.Equal(t, "Bob", page.Records[0].Fields[sales.ContactLastName])
			got, err := sales.NewContacts(st).Get(ctx, ada.ID)
			require.NoError(t, err)
			require.Equal(t, crm.Fields{loyaltyPoints: int64(300), tier: tierGold, nickname: "A"}, got.Extra)
		})
	}
}

func must[T any](v T, ok bool) T {
	if !ok {
		panic("not found")
	}
	return v
}
