package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/sqlstore"
	"github.com/crmkit/crmkit/storage/sqlstore/postgres"
	"github.com/crmkit/crmkit/storage/sqlstore/sqlite"
	"github.com/crmkit/crmkit/storage/storagetest"
)

func TestConformanceSQLite(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, reg *crm.Registry) driver.Driver {
		return sqliteOpener(t).open(t, reg)
	})
}

func TestConformancePostgres(t *testing.T) {
	requirePostgres(t, postgresDSN())
	storagetest.Run(t, func(t *testing.T, reg *crm.Registry) driver.Driver {
		return postgresOpener(t).open(t, reg)
	})
}

func TestDriverContract(t *testing.T) {
	for _, o := range dialects(t) {
		t.Run(o.name, func(t *testing.T) {
			o.raw(t) // skips PostgreSQL without a DSN
			reg := testRegistry(t)
			d := o.open(t, reg)
			s := storage.New(d, reg)
			ctx := crm.AsSystem(context.Background())
			acc, err := s.Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": "a"}})
			require.NoError(t, err)
			e, err := reg.Entity("account")
			require.NoError(t, err)

			t.Run("a stale version is a conflict, a missing record not found", func(t *testing.T) {
				tx, err := d.Begin(ctx)
				require.NoError(t, err)
				defer func() { _ = tx.Rollback() }()
				rec := acc.Clone()
				rec.Version = 3
				require.ErrorIs(t, tx.Update(ctx, e, rec, 2), crm.ErrConflict)
				require.ErrorIs(t, tx.Delete(ctx, e, acc.ID, 7), crm.ErrConflict)
				require.ErrorIs(t, tx.Delete(ctx, e, crm.NewID(), 1), crm.ErrNotFound)
				rec.ID = crm.NewID()
				require.ErrorIs(t, tx.Update(ctx, e, rec, 2), crm.ErrNotFound)
			})
			t.Run("an existing id is a duplicate", func(t *testing.T) {
				_, err := s.Create(ctx, crm.Record{Entity: "account", Header: crm.Header{ID: acc.ID}, Fields: crm.Fields{"name": "b"}})
				require.ErrorIs(t, err, crm.ErrDuplicate)
			})
			t.Run("a bulk insert spans several batches", func(t *testing.T) {
				recs := make([]crm.Record, 1234)
				for i := range recs {
					recs[i] = crm.Record{Entity: "contact", Fields: crm.Fields{"lastname": fmt.Sprint("bulk ", i), "accountid": acc.Ref()}}
				}
				_, err := s.CreateMany(ctx, recs)
				require.NoError(t, err)
				n, err := s.Count(ctx, crm.Query{Entity: "contact", Where: crm.BeginsWith("lastname", "bulk ")})
				require.NoError(t, err)
				require.EqualValues(t, 1234, n)
			})
			t.Run("a cancelled context stops reads and writes", func(t *testing.T) {
				cctx, cancel := context.WithCancel(ctx)
				cancel()
				_, err := s.Get(cctx, "account", acc.ID)
				require.ErrorIs(t, err, context.Canceled)
				_, err = s.Create(cctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": "c"}})
				require.ErrorIs(t, err, context.Canceled)
			})
			t.Run("a select stopped early releases its rows", func(t *testing.T) {
				p, err := driver.PlanQuery(reg, crm.Query{Entity: "contact"}, crm.NormalizeTime(acc.CreatedOn), nil, driver.Principal{})
				require.NoError(t, err)
				for range 3 {
					for _, err := range d.Select(ctx, p) {
						require.NoError(t, err)
						break
					}
				}
				_, err = s.Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": "after"}})
				require.NoError(t, err)
			})
		})
	}
}

// TestCallerTransaction: a host writes its own table and creates crmkit
// records in one *sql.Tx it holds; they commit or roll back together.
func TestCallerTransaction(t *testing.T) {
	for _, o := range dialects(t) {
		t.Run(o.name, func(t *testing.T) {
			o.raw(t) // skips PostgreSQL without a DSN
			reg := testRegistry(t)
			d := o.open(t, reg)
			db := d.DB()
			ctx := crm.AsSystem(context.Background())
			_, err := db.ExecContext(ctx, "CREATE TABLE "+o.table+" (id integer PRIMARY KEY, note text)")
			require.NoError(t, err)
			count := func(name string) (host, crmRecs int64) {
				t.Helper()
				require.NoError(t, db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+o.table+" WHERE note = '"+name+"'").Scan(&host))
				n, err := storage.New(d, reg).Count(ctx, crm.Query{Entity: "account", Where: crm.Eq("name", name)})
				require.NoError(t, err)
				return host, n
			}
			run := func(name string, id int, commit bool) {
				t.Helper()
				tx, err := db.BeginTx(ctx, nil)
				require.NoError(t, err)
				_, err = tx.ExecContext(ctx, "INSERT INTO "+o.table+" (id, note) VALUES ("+fmt.Sprint(id)+", '"+name+"')")
				require.NoError(t, err)
				s := storage.New(d.WithTx(tx), reg)
				acc, err := s.Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": name}})
				require.NoError(t, err)
				_, err = s.Create(ctx, crm.Record{Entity: "contact", Fields: crm.Fields{"lastname": name, "accountid": acc.Ref()}})
				require.NoError(t, err)
				// crmkit's own failed transaction rolls back its savepoint only.
				err = s.InTx(ctx, func(ctx context.Context) error {
					if _, err := s.Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": name}}); err != nil {
						return err
					}
					return errors.New("changed my mind")
				})
				require.Error(t, err)
				got, err := s.Get(ctx, "account", acc.ID)
				require.NoError(t, err, "reads go through the caller's transaction")
				require.Equal(t, acc, got)
				if commit {
					require.NoError(t, tx.Commit())
				} else {
					require.NoError(t, tx.Rollback())
				}
			}
			t.Run("rollback removes both", func(t *testing.T) {
				run("rolled back", 1, false)
				host, n := count("rolled back")
				require.Zero(t, host)
				require.Zero(t, n)
			})
			t.Run("commit keeps both", func(t *testing.T) {
				run("committed", 2, true)
				host, n := count("committed")
				require.EqualValues(t, 1, host)
				require.EqualValues(t, 1, n, "the failed inner transaction left nothing")
			})
		})
	}
}

func TestMigrations(t *testing.T) {
	for _, o := range dialects(t) {
		t.Run(o.name, func(t *testing.T) {
			o.raw(t) // skips PostgreSQL without a DSN
			ctx := crm.AsSystem(context.Background())
			reg := testRegistry(t)

			t.Run("running them twice changes nothing", func(t *testing.T) {
				d1 := o.open(t, reg)
				require.Equal(t, 1, d1.SchemaVersion())
				d2 := o.open(t, reg)
				require.Equal(t, 1, d2.SchemaVersion())
			})
			t.Run("two drivers migrating at once agree", func(t *testing.T) {
				v1 := crm.NewRegistry()
				require.NoError(t, v1.Register(&crm.Entity{Name: "concurrent", Fields: []crm.Field{{Name: "name", Type: crm.TypeText}}}))
				var wg sync.WaitGroup
				versions := make([]int, 4)
				for i := range versions {
					wg.Go(func() { versions[i] = o.open(t, v1, sqlstore.WithTablePrefix("race_")).SchemaVersion() })
				}
				wg.Wait()
				require.Equal(t, []int{1, 1, 1, 1}, versions)
			})
			t.Run("an upgrade adds a field and an entity", func(t *testing.T) {
				old := crm.NewRegistry()
				require.NoError(t, old.Register(&crm.Entity{Name: "lead", Fields: []crm.Field{{Name: "subject", Type: crm.TypeText}}}))
				d := o.open(t, old, sqlstore.WithTablePrefix("up_"))
				require.Equal(t, 1, d.SchemaVersion())
				lead, err := storage.New(d, old).Create(ctx, crm.Record{Entity: "lead", Fields: crm.Fields{"subject": "old"}})
				require.NoError(t, err)

				grown := crm.NewRegistry()
				require.NoError(t, grown.Register(
					&crm.Entity{Name: "lead", Fields: []crm.Field{
						{Name: "subject", Type: crm.TypeText},
						{Name: "budget", Type: crm.TypeMoney},
						{Name: "parentleadid", Type: crm.TypeLookup, Targets: []string{"lead"}},
					}},
					&crm.Entity{Name: "campaign", Fields: []crm.Field{{Name: "name", Type: crm.TypeText}}},
				))
				d = o.open(t, grown, sqlstore.WithTablePrefix("up_"))
				require.Equal(t, 2, d.SchemaVersion())
				s := storage.New(d, grown)
				got, err := s.Get(ctx, "lead", lead.ID)
				require.NoError(t, err)
				require.Equal(t, crm.Fields{"subject": "old"}, got.Fields)
				_, err = s.Update(ctx, crm.Record{Entity: "lead", Header: crm.Header{ID: lead.ID}, Fields: crm.Fields{"budget": crm.MustMoney("10.50 EUR")}})
				require.NoError(t, err)
				_, err = s.Create(ctx, crm.Record{Entity: "campaign", Fields: crm.Fields{"name": "spring"}})
				require.NoError(t, err)
				require.Equal(t, 2, o.open(t, grown, sqlstore.WithTablePrefix("up_")).SchemaVersion())
				require.Equal(t, 2, o.open(t, old, sqlstore.WithTablePrefix("up_")).SchemaVersion(), "an older registry finds its tables")
			})
			t.Run("an upgrade adds the owning business unit to a database from before it", func(t *testing.T) {
				reg := crm.NewRegistry()
				require.NoError(t, reg.Register(&crm.Entity{Name: "lead", Fields: []crm.Field{{Name: "subject", Type: crm.TypeText}}}))
				d := o.open(t, reg, sqlstore.WithTablePrefix("bu_"))
				require.Equal(t, 1, d.SchemaVersion())
				old, err := storage.New(d, reg).Create(ctx, crm.Record{Entity: "lead", Fields: crm.Fields{"subject": "old"}})
				require.NoError(t, err)

				// Take the database back to the release before the
				// header had the column: no column, no index, and a
				// recorded model without it.
				db := o.raw(t)
				qualify := func(name string) string {
					if o.name == "sqlite" {
						return `"` + name + `"`
					}
					return `"` + schemaOf(o) + `"."` + name + `"`
				}
				for _, q := range []string{
					"DROP INDEX " + qualify("bu_lead_owningbusinessunit_idx"),
					"ALTER TABLE " + qualify("bu_lead") + " DROP COLUMN owningbusinessunit",
				} {
					_, err := db.ExecContext(ctx, q)
					require.NoError(t, err, q)
				}
				var raw string
				require.NoError(t, db.QueryRowContext(ctx, "SELECT model FROM "+qualify("bu_crmkit_schema_version")+" WHERE version = 1").Scan(&raw))
				var model map[string]map[string]string
				require.NoError(t, json.Unmarshal([]byte(raw), &model))
				require.Contains(t, model["bu_lead"], crm.FieldBusinessUnit)
				delete(model["bu_lead"], crm.FieldBusinessUnit)
				js, err := json.Marshal(model)
				require.NoError(t, err)
				ph := "?"
				if o.name != "sqlite" {
					ph = "$1"
				}
				_, err = db.ExecContext(ctx, "UPDATE "+qualify("bu_crmkit_schema_version")+" SET model = "+ph+" WHERE version = 1", string(js))
				require.NoError(t, err)

				d = o.open(t, reg, sqlstore.WithTablePrefix("bu_"))
				require.Equal(t, 2, d.SchemaVersion(), "the upgrade is a new schema version")
				s := storage.New(d, reg)
				got, err := s.Get(ctx, "lead", old.ID)
				require.NoError(t, err)
				require.Equal(t, old, got, "an old row reads with no business unit")
				require.Equal(t, crm.NilID, got.BusinessUnit)
				unit := crm.NewID()
				rec, err := s.Create(crm.WithScope(ctx, crm.Scope{Caller: crm.SystemUserID, BusinessUnit: unit}), crm.Record{Entity: "lead", Fields: crm.Fields{"subject": "new"}})
				require.NoError(t, err)
				got, err = s.Get(ctx, "lead", rec.ID)
				require.NoError(t, err)
				require.Equal(t, unit, got.BusinessUnit)
				n, err := s.Count(ctx, crm.Query{Entity: "lead", Where: crm.Eq(crm.FieldBusinessUnit, unit)})
				require.NoError(t, err)
				require.EqualValues(t, 1, n, "the new column is queryable")
				require.Equal(t, 2, o.open(t, reg, sqlstore.WithTablePrefix("bu_")).SchemaVersion())
			})
			t.Run("a changed field type is refused", func(t *testing.T) {
				changed := crm.NewRegistry()
				require.NoError(t, changed.Register(&crm.Entity{Name: "lead", Fields: []crm.Field{{Name: "subject", Type: crm.TypeInteger}}}))
				var err error
				if o.name == "sqlite" {
					_, err = sqlstore.New(ctx, o.raw(t), sqlite.Dialect(), changed, sqlstore.WithTablePrefix("up_"))
				} else {
					_, err = sqlstore.New(ctx, o.raw(t), postgres.Dialect(), changed, sqlstore.WithTablePrefix("up_"), sqlstore.WithSchema(schemaOf(o)))
				}
				require.ErrorContains(t, err, "changing a field's type is not supported")
			})
		})
	}
}

func schemaOf(o opener) string {
	s, _, _ := cutDot(o.table)
	return s
}

func cutDot(s string) (string, string, bool) {
	for i := range s {
		if s[i] == '.' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// TestIsolation: two prefixes (or schemas) in one database are two stores.
func TestIsolation(t *testing.T) {
	for _, o := range dialects(t) {
		t.Run(o.name, func(t *testing.T) {
			o.raw(t) // skips PostgreSQL without a DSN
			ctx := crm.AsSystem(context.Background())
			reg := testRegistry(t)
			a := storage.New(o.open(t, reg, sqlstore.WithTablePrefix("crm_")), reg)
			b := storage.New(o.open(t, reg, sqlstore.WithTablePrefix("other_")), reg)
			_, err := a.Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": "only in a"}})
			require.NoError(t, err)
			na, err := a.Count(ctx, crm.Query{Entity: "account"})
			require.NoError(t, err)
			nb, err := b.Count(ctx, crm.Query{Entity: "account"})
			require.NoError(t, err)
			require.EqualValues(t, 1, na)
			require.Zero(t, nb)
			var tables int
			q := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'crm_account'"
			if o.name == "postgres" {
				q = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '" + schemaOf(o) + "' AND table_name = 'crm_account'"
			}
			require.NoError(t, o.raw(t).QueryRowContext(ctx, q).Scan(&tables))
			require.Equal(t, 1, tables)
		})
	}
}

// TestInjection: values that look like SQL are stored and matched as the
// text they are.
func TestInjection(t *testing.T) {
	evil := []string{
		`'; DROP TABLE account; --`,
		`" OR 1=1 --`,
		`\'; SELECT 1; --`,
		`Robert'); DELETE FROM contact WHERE ('1'='1`,
		`%' OR '1'='1`,
		"$1 ?1 ? :name @x",
	}
	for _, o := range dialects(t) {
		t.Run(o.name, func(t *testing.T) {
			o.raw(t) // skips PostgreSQL without a DSN
			ctx := crm.AsSystem(context.Background())
			reg := testRegistry(t)
			s := storage.New(o.open(t, reg), reg)
			for _, v := range evil {
				rec, err := s.Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": v}})
				require.NoError(t, err)
				got, err := s.Get(ctx, "account", rec.ID)
				require.NoError(t, err)
				require.Equal(t, v, got.Fields["name"])
				for _, w := range []crm.Filter{crm.Eq("name", v), crm.In("name", v, "x"), crm.BeginsWith("name", v), crm.Like("name", driver.EscapeLike(v))} {
					n, err := s.Count(ctx, crm.Query{Entity: "account", Where: w})
					require.NoError(t, err)
					require.EqualValues(t, 1, n, "%v", w)
				}
			}
			n, err := s.Count(ctx, crm.Query{Entity: "account"})
			require.NoError(t, err)
			require.EqualValues(t, len(evil), n)
		})
	}
}

// TestOpenMemory: ":memory:" is one private database behind one connection.
func TestOpenMemory(t *testing.T) {
	ctx := crm.AsSystem(context.Background())
	reg := testRegistry(t)
	d, err := sqlite.Open(ctx, ":memory:", reg)
	require.NoError(t, err)
	defer func() { require.NoError(t, d.Close()) }()
	s := storage.New(d, reg)
	rec, err := s.Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": "in memory"}})
	require.NoError(t, err)
	got, err := s.Get(ctx, "account", rec.ID)
	require.NoError(t, err)
	require.Equal(t, rec, got)
}

func TestNewRefusesBadOptions(t *testing.T) {
	ctx := crm.AsSystem(context.Background())
	db, err := sql.Open("sqlite", ":memory:")
	require.NoError(t, err)
	defer db.Close()
	reg := testRegistry(t)
	_, err = sqlstore.New(ctx, db, sqlite.Dialect(), reg, sqlstore.WithTablePrefix(`x"; drop`))
	require.Error(t, err)
	_, err = sqlstore.New(ctx, db, sqlite.Dialect(), reg, sqlstore.WithSchema("crm"))
	require.Error(t, err)
	_, err = sqlstore.New(ctx, db, sqlstore.Dialect{}, reg)
	require.Error(t, err)
}

// TestBulkInsertParameterLimits: a wide entity's bulk insert splits into
// statements under the dialect's parameter limit.
func TestBulkInsertParameterLimits(t *testing.T) {
	fields := make([]crm.Field, 120)
	for i := range fields {
		fields[i] = crm.Field{Name: fmt.Sprintf("f%03d", i), Type: crm.TypeText}
	}
	for _, o := range dialects(t) {
		t.Run(o.name, func(t *testing.T) {
			o.raw(t) // skips PostgreSQL without a DSN
			reg := crm.NewRegistry()
			require.NoError(t, reg.Register(&crm.Entity{Name: "wide", Fields: fields}))
			s := storage.New(o.open(t, reg, sqlstore.WithBatchRows(1000)), reg)
			recs := make([]crm.Record, 700) // 700 rows × 129 columns is past both limits
			for i := range recs {
				f := crm.Fields{}
				for _, fd := range fields {
					f[fd.Name] = fmt.Sprint(i)
				}
				recs[i] = crm.Record{Entity: "wide", Fields: f}
			}
			_, err := s.CreateMany(crm.AsSystem(context.Background()), recs)
			require.NoError(t, err)
			n, err := s.Count(context.Background(), crm.Query{Entity: "wide", Where: crm.Eq("f119", "699")})
			require.NoError(t, err)
			require.EqualValues(t, 1, n)
		})
	}
}

func TestOpenSQLiteURI(t *testing.T) {
	ctx := crm.AsSystem(context.Background())
	reg := testRegistry(t)
	uri := "file:" + filepath.Join(t.TempDir(), "uri.db") + "?cache=private"
	d, err := sqlite.Open(ctx, uri, reg)
	require.NoError(t, err)
	defer func() { require.NoError(t, d.Close()) }()
	_, err = storage.New(d, reg).Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": "uri"}})
	require.NoError(t, err)
	var mode string
	require.NoError(t, d.DB().QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode))
	require.Equal(t, "wal", mode)
	var fk int
	require.NoError(t, d.DB().QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk))
	require.Equal(t, 1, fk)
}

// TestFailedInsertLeavesNothing: a bulk create that hits an existing ID in
// a late batch poisons the transaction it ran in: InTx rolls it back and
// reports storage.ErrRolledBack with the duplicate, nothing the transaction
// wrote is stored, and the driver is usable afterwards, on both dialects.
func TestFailedInsertLeavesNothing(t *testing.T) {
	for _, o := range dialects(t) {
		t.Run(o.name, func(t *testing.T) {
			o.raw(t) // skips PostgreSQL without a DSN
			ctx := crm.AsSystem(context.Background())
			reg := testRegistry(t)
			s := storage.New(o.open(t, reg, sqlstore.WithBatchRows(3)), reg)
			existing, err := s.Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": "existing"}})
			require.NoError(t, err)
			err = s.InTx(ctx, func(ctx context.Context) error {
				if _, err := s.Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": "before"}}); err != nil {
					return err
				}
				recs := make([]crm.Record, 10)
				for i := range recs {
					recs[i] = crm.Record{Entity: "account", Fields: crm.Fields{"name": "bulk"}}
				}
				recs[8].ID = existing.ID
				_, err := s.CreateMany(ctx, recs)
				require.ErrorIs(t, err, crm.ErrDuplicate)
				return nil // the failed write poisons the transaction all the same
			})
			require.ErrorIs(t, err, storage.ErrRolledBack)
			require.ErrorIs(t, err, crm.ErrDuplicate)
			for name, want := range map[string]int64{"existing": 1, "before": 0, "bulk": 0} {
				n, err := s.Count(ctx, crm.Query{Entity: "account", Where: crm.Eq("name", name)})
				require.NoError(t, err)
				require.Equal(t, want, n, name)
			}
			_, err = s.Create(ctx, crm.Record{Entity: "account", Fields: crm.Fields{"name": "after"}})
			require.NoError(t, err, "the driver is usable after the rollback")
			n, err := s.Count(ctx, crm.Query{Entity: "account", Where: crm.Eq("name", "after")})
			require.NoError(t, err)
			require.Equal(t, int64(1), n)
		})
	}
}
