package sqlstore

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/dialect"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/pgdialect"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/sqlitedialect"
)

// layoutEntity has a field of every type an INSERT encodes, and the
// registry it lives in.
func layoutEntity(t *testing.T) *crm.Entity {
	t.Helper()
	reg := crm.NewRegistry()
	require.NoError(t, reg.Register(
		&crm.Entity{Name: "lx_account", PrimaryName: "name", Fields: []crm.Field{{Name: "name", Type: crm.TypeText}}},
		&crm.Entity{Name: "lx_thing", PrimaryName: "name", Fields: []crm.Field{
			{Name: "name", Type: crm.TypeText},
			{Name: "count", Type: crm.TypeInteger},
			{Name: "kind", Type: crm.TypeChoice, Options: []crm.Option{{Value: 1}, {Value: 100_000_000}}},
			{Name: "flag", Type: crm.TypeBool},
			{Name: "at", Type: crm.TypeTime},
			{Name: "day", Type: crm.TypeTime, DateOnly: true},
			{Name: "ratio", Type: crm.TypeDecimal, Precision: 4},
			{Name: "huge", Type: crm.TypeDecimal, Precision: 10, Max: ptr(decimal.New(1, 25))},
			{Name: "price", Type: crm.TypeMoney},
			{Name: "account", Type: crm.TypeLookup, Targets: []string{"lx_account"}},
			{Name: "regarding", Type: crm.TypeLookup, Targets: []string{"lx_account", "lx_thing"}},
		}},
	))
	e, err := reg.Entity("lx_thing")
	require.NoError(t, err)
	return e
}

func ptr[T any](v T) *T { return &v }

// TestLayoutEncodesAsAppendColumn: a table's column layout gives, for
// every field type, header field and dialect, the parameters the general
// encoder gives, also for rows that share boxed values and lookup IDs
// encoded into one statement; and fails where it fails.
func TestLayoutEncodesAsAppendColumn(t *testing.T) {
	e := layoutEntity(t)
	user, team, bu, acct := crm.NewID(), crm.NewID(), crm.NewID(), crm.NewID()
	now := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	full := crm.Record{Entity: e.Name,
		Header: crm.Header{ID: crm.NewID(), Version: 3, Owner: crm.Ref{Entity: crm.TeamEntity, ID: team},
			CreatedOn: now, CreatedBy: user, ModifiedOn: now.Add(time.Second), ModifiedBy: user, State: 1, Status: 2,
			BusinessUnit: bu, OverriddenCreatedOn: now.Add(time.Hour)},
		Fields: crm.Fields{"name": "x", "count": int64(1 << 40), "kind": int32(100_000_000), "flag": true,
			"at": now, "day": time.Date(1980, 1, 2, 0, 0, 0, 0, time.UTC), "ratio": decimal.New(12345, -4),
			"huge":    decimal.RequireFromString("12345678901234567890.0123456789"),
			"price":   crm.NewMoney(decimal.New(1999, -2), "EUR"),
			"account": crm.Ref{Entity: "lx_account", ID: acct}, "regarding": crm.Ref{Entity: "lx_thing", ID: crm.NewID()}}}
	empty := crm.Record{Entity: e.Name, Header: crm.Header{ID: crm.NewID(), Version: 1,
		Owner: crm.Ref{Entity: crm.UserEntity, ID: user}, CreatedOn: now, CreatedBy: user, ModifiedOn: now, ModifiedBy: user},
		Fields: crm.Fields{}}
	other := full
	other.ID = crm.NewID()
	other.Fields = full.Fields.Clone()
	other.Fields["account"] = crm.Ref{Entity: "lx_account", ID: crm.NewID()}
	other.Fields["flag"] = false
	recs := []crm.Record{full, empty, other, full}

	for _, spec := range []*dialect.Spec{sqlitedialect.Spec(), pgdialect.Spec()} {
		t.Run(spec.Flavor.String(), func(t *testing.T) {
			d := &Driver{dialect: Dialect{spec}, flavor: spec.Flavor}
			tb, err := d.buildTable(e)
			require.NoError(t, err)

			var want []any
			for i := range recs {
				for _, c := range tb.cols {
					want, err = d.appendColumn(want, c, &recs[i])
					require.NoError(t, err)
				}
			}
			var b argBuf
			for i := range recs {
				for _, enc := range tb.layout {
					require.NoError(t, enc(&b, &recs[i]))
				}
			}
			require.Equal(t, want, b.args, "one statement of every row")

			b.resetStatement()
			require.Empty(t, b.args)
			require.NoError(t, tb.layout[0](&b, &recs[0]))
			require.Equal(t, want[:1], b.args, "a buffer reset for the next statement")
		})

		t.Run(spec.Flavor.String()+"/wrong values fail as appendColumn fails", func(t *testing.T) {
			d := &Driver{dialect: Dialect{spec}, flavor: spec.Flavor}
			tb, err := d.buildTable(e)
			require.NoError(t, err)
			bad := map[string]any{
				"name": 1, "count": "1", "flag": "yes", "at": "now", "ratio": 1.5, "price": decimal.New(1, 0),
				"account": crm.Ref{Entity: "lx_thing", ID: acct}, "regarding": acct,
				"day": time.Date(20000, 1, 1, 0, 0, 0, 0, time.UTC),
			}
			for name, v := range bad {
				rec := empty
				rec.Fields = crm.Fields{name: v}
				c := tb.byName[name]
				_, werr := d.appendColumn(nil, c, &rec)
				require.Error(t, werr, name)
				var b argBuf
				var gerr error
				for i, enc := range tb.layout {
					if tb.cols[i] == c {
						gerr = enc(&b, &rec)
					}
				}
				require.EqualError(t, gerr, werr.Error(), name)
			}
		})
	}
}

// TestCopyDecimal: a COPY row takes a decimal in the dialect's form for
// it (on PostgreSQL a pgtype.Numeric), of the same value, and refuses
// one out of reach as a statement's parameter does; a statement's
// parameter keeps its text.
func TestCopyDecimal(t *testing.T) {
	e := layoutEntity(t)
	d := &Driver{dialect: Dialect{pgdialect.Spec()}, flavor: dialect.Postgres}
	tb, err := d.buildTable(e)
	require.NoError(t, err)
	c := tb.byName["ratio"]
	for _, s := range []string{"0", "-0.0001", "12.5", "1999.99", "-12345678901234567890.0123456789", "1E+20"} {
		x := decimal.RequireFromString(s)
		copied, err := (&argBuf{copy: true}).decimal(d, c, x)
		require.NoError(t, err)
		n, ok := copied.(pgtype.Numeric)
		require.True(t, ok, "%T", copied)
		require.True(t, decimal.NewFromBigInt(n.Int, n.Exp).Equal(x), "%s came out as %v", s, n)
		param, err := (&argBuf{}).decimal(d, c, x)
		require.NoError(t, err)
		require.Equal(t, x.String(), param)
	}
	far := decimal.New(1, -crm.DecimalDigits-1)
	_, copyErr := (&argBuf{copy: true}).decimal(d, c, far)
	_, paramErr := (&argBuf{}).decimal(d, c, far)
	require.Error(t, copyErr)
	require.Equal(t, paramErr, copyErr)
}
