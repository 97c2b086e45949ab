package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/sqlstore"
)

// itemRegistry registers "item", with the given alternate keys.
func itemRegistry(t *testing.T, keys ...crm.Key) *crm.Registry {
	t.Helper()
	reg := crm.NewRegistry()
	require.NoError(t, reg.Register(&crm.Entity{Name: "item", PrimaryName: "sku", Keys: keys, Fields: []crm.Field{
		{Name: "sku", Type: crm.TypeText, MaxLength: 40},
		{Name: "code", Type: crm.TypeInteger},
	}}))
	return reg
}

// TestKeysAddedOnOpen checks that a key declared after the table exists
// is indexed by the migration on open, is kept in the metadata table, and
// that data which breaks it fails the open.
func TestKeysAddedOnOpen(t *testing.T) {
	for _, o := range dialects(t) {
		t.Run(o.name, func(t *testing.T) {
			o.raw(t) // skips PostgreSQL without a DSN
			ctx := crm.AsSystem(context.Background())
			reg := itemRegistry(t)
			d := o.open(t, reg)
			s := storage.New(d, reg)
			_, err := s.CreateMany(ctx, []crm.Record{
				{Entity: "item", Fields: crm.Fields{"sku": "A", "code": 1}},
				{Entity: "item", Fields: crm.Fields{"sku": "a", "code": 2}},
			})
			require.NoError(t, err)
			version := d.SchemaVersion()

			reg = itemRegistry(t, crm.Key{Name: "code", Fields: []string{"code"}})
			d = o.open(t, reg)
			require.Equal(t, version+1, d.SchemaVersion(), "the key's index is a migration")
			s = storage.New(d, reg)
			_, err = s.Create(ctx, crm.Record{Entity: "item", Fields: crm.Fields{"sku": "B", "code": 1}})
			require.ErrorIs(t, err, crm.ErrDuplicate)
			var dup *crm.DuplicateKeyError
			require.ErrorAs(t, err, &dup, "an index on columns alone is named too: %v", err)
			require.Equal(t, "code", dup.Key)
			got, err := s.GetByKey(ctx, "item", "code", 2)
			require.NoError(t, err)
			require.Equal(t, "a", got.Fields.String("sku"))

			learned := crm.NewRegistry()
			d = o.open(t, learned)
			require.Equal(t, version+1, d.SchemaVersion(), "nothing left to migrate")
			e, err := learned.Entity("item")
			require.NoError(t, err)
			require.Equal(t, []crm.Key{{Name: "code", Fields: []string{"code"}}}, e.Keys, "keys are kept with the metadata")
			_, err = storage.New(d, learned).GetByKey(ctx, "item", "code", 1)
			require.NoError(t, err)

			// "A" and "a" are one value of a text key: the index cannot be
			// built, and the open says why.
			reg = itemRegistry(t, crm.Key{Name: "code", Fields: []string{"code"}}, crm.Key{Name: "sku", Fields: []string{"sku"}})
			var opts []sqlstore.Option
			if schema, _, ok := strings.Cut(o.table, "."); ok {
				opts = append(opts, sqlstore.WithSchema(schema))
			}
			_, err = sqlstore.New(context.Background(), o.raw(t), d.Dialect(), reg, opts...)
			require.ErrorIs(t, err, crm.ErrDuplicate)
		})
	}
}
