package sqlstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/sqlstore"
	"github.com/crmkit/crmkit/storage/sqlstore/postgres"
	"github.com/crmkit/crmkit/storage/sqlstore/sqlite"
)

func TestAddFieldsOnline(t *testing.T) {
	for _, o := range dialects(t) {
		t.Run(o.name, func(t *testing.T) {
			o.raw(t) // skips PostgreSQL without a DSN
			ctx := crm.AsSystem(context.Background())
			reg := testRegistry(t)
			d := o.open(t, reg)
			s := storage.New(d, reg)
			acc, err := s.Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": "a"}})
			require.NoError(t, err)
			version := d.SchemaVersion()

			t.Run("adding fields while 10 goroutines write loses no write", func(t *testing.T) {
				var (
					written atomic.Int64
					stop    atomic.Bool
					wg      sync.WaitGroup
					errs    = make(chan error, 10)
				)
				for g := range 10 {
					wg.Go(func() {
						for i := 0; !stop.Load(); i++ {
							_, err := s.Create(ctx, crm.Record{Entity: "contact", Fields: crm.Fields{
								"lastname": fmt.Sprintf("w%d-%d", g, i), "accountid": acc.Ref()}})
							if err != nil {
								errs <- err
								return
							}
							written.Add(1)
						}
					})
				}
				for written.Load() < 50 {
					time.Sleep(time.Millisecond)
				}
				require.NoError(t, s.AddFields(ctx, "contact",
					crm.Field{Name: "loyalty", Type: crm.TypeInteger},
					crm.Field{Name: "referrer", Type: crm.TypeLookup, Targets: []string{"account"}},
				))
				c, err := s.Create(ctx, crm.Record{Entity: "contact", Fields: crm.Fields{"lastname": "new", "loyalty": int64(7), "referrer": acc.Ref()}})
				require.NoError(t, err, "the new fields are writable right after")
				at := written.Load()
				for written.Load() < at+50 {
					time.Sleep(time.Millisecond)
				}
				stop.Store(true)
				wg.Wait()
				close(errs)
				for err := range errs {
					require.NoError(t, err)
				}
				n, err := s.Count(ctx, crm.Query{Entity: "contact"})
				require.NoError(t, err)
				require.Equal(t, written.Load()+1, n, "every write that succeeded is stored")

				got, err := s.Get(ctx, "contact", c.ID)
				require.NoError(t, err)
				require.Equal(t, int64(7), got.Fields["loyalty"])
				require.Equal(t, acc.Ref(), got.Fields["referrer"])
				n, err = s.Count(ctx, crm.Query{Entity: "contact", Where: crm.Eq("loyalty", 7)})
				require.NoError(t, err)
				require.EqualValues(t, 1, n)
				require.Equal(t, version+1, d.SchemaVersion(), "the change is a schema version")
			})
			t.Run("an added lookup restricts deletes as declared", func(t *testing.T) {
				gone, err := s.Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": "gone"}})
				require.NoError(t, err)
				require.NoError(t, s.Delete(ctx, gone.Ref(), gone.Version), "nothing restricts deletes of accounts yet")
				require.NoError(t, s.AddFields(ctx, "account", crm.Field{Name: "auditor", Type: crm.TypeLookup, Targets: []string{"account"}, OnDelete: crm.DeleteRestrict}))
				b, err := s.Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": "b"}})
				require.NoError(t, err)
				_, err = s.Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": "c", "auditor": b.Ref()}})
				require.NoError(t, err)
				require.ErrorIs(t, s.Delete(ctx, b.Ref(), b.Version), crm.ErrRestricted)
			})
			t.Run("a field the entity has already changes nothing", func(t *testing.T) {
				err := s.AddFields(ctx, "contact", crm.Field{Name: "loyalty", Type: crm.TypeText})
				require.Error(t, err)
				e, err := reg.Entity("contact")
				require.NoError(t, err)
				f, _ := e.Field("loyalty")
				require.Equal(t, crm.TypeInteger, f.Type)
			})
		})
	}
}

func TestMetadataKeptBesideTheSchema(t *testing.T) {
	for _, o := range dialects(t) {
		t.Run(o.name, func(t *testing.T) {
			o.raw(t) // skips PostgreSQL without a DSN
			ctx := crm.AsSystem(context.Background())
			host := testRegistry(t)
			require.NoError(t, host.RegisterCalculator("double", func(fs crm.Fields) any {
				if n, ok := fs["size"].(int64); ok {
					return 2 * n
				}
				return nil
			}))
			require.NoError(t, host.Register(&crm.Entity{Name: "project", Fields: []crm.Field{
				{Name: "size", Type: crm.TypeInteger},
				{Name: "doubled", Type: crm.TypeInteger, Calculator: "double"},
				{Name: "client", Type: crm.TypeLookup, Targets: []string{"account"}},
			}}))
			require.NoError(t, host.AddFields("contact", crm.Field{Name: "project", Type: crm.TypeLookup, Targets: []string{"project"}}))
			d := o.open(t, host)
			s := storage.New(d, host)
			p, err := s.Create(ctx, crm.Record{Entity: "project", Fields: crm.Fields{"size": int64(4)}})
			require.NoError(t, err)
			c, err := s.Create(ctx, crm.Record{Entity: "contact", Fields: crm.Fields{"lastname": "x", "project": p.Ref()}})
			require.NoError(t, err)
			version := d.SchemaVersion()

			t.Run("a registry that lacks what the database records learns it", func(t *testing.T) {
				plain := testRegistry(t)
				require.NoError(t, plain.RegisterCalculator("double", func(fs crm.Fields) any { return int64(0) }))
				d := o.open(t, plain)
				require.Equal(t, version, d.SchemaVersion(), "learning changes no schema")
				s := storage.New(d, plain)
				got, err := s.Get(ctx, "contact", c.ID)
				require.NoError(t, err)
				require.Equal(t, p.Ref(), got.Fields["project"])
				require.Equal(t, []crm.Relationship{{From: "contact", Field: "project", To: "project"}}, plain.ReferencedBy("project"))
				got, err = s.Get(ctx, "project", p.ID)
				require.NoError(t, err)
				require.Equal(t, int64(8), got.Fields["doubled"])
				_, err = s.Update(ctx, crm.Record{Entity: "project", Header: crm.Header{ID: p.ID}, Fields: crm.Fields{"size": int64(5)}})
				require.NoError(t, err)
				got, err = s.Get(ctx, "project", p.ID)
				require.NoError(t, err)
				require.Equal(t, int64(0), got.Fields["doubled"], "a learned computed field runs this registry's calculator")
			})
			t.Run("a calculator the registry lacks fails the open, naming it", func(t *testing.T) {
				var err error
				if o.name == "sqlite" {
					_, err = sqlstore.New(ctx, o.raw(t), sqlite.Dialect(), testRegistry(t))
				} else {
					_, err = sqlstore.New(ctx, o.raw(t), postgres.Dialect(), testRegistry(t), sqlstore.WithSchema(schemaOf(o)))
				}
				require.ErrorContains(t, err, `calculator "double" is not registered`)
			})
		})
	}
}

func TestAddFieldsAfterALateEntity(t *testing.T) {
	ctx := crm.AsSystem(context.Background())
	reg := testRegistry(t)
	d := sqliteOpener(t).open(t, reg)
	require.NoError(t, reg.Register(&crm.Entity{Name: "late"}), "registered after the driver opened")
	s := storage.New(d, reg)
	require.NoError(t, s.AddFields(ctx, "contact", crm.Field{Name: "extra", Type: crm.TypeBool}))
	_, err := s.Create(ctx, crm.Record{Entity: "contact", Fields: crm.Fields{"lastname": "x", "extra": true}})
	require.NoError(t, err)
}
