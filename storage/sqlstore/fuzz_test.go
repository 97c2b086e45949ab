package sqlstore_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/memory"
)

// fuzzSeeds are the values an attacker or an unlucky user would try first:
// SQL that must stay text, LIKE wildcards and escapes, quotes, placeholders,
// NUL and other control bytes, non-ASCII case pairs and invalid UTF-8.
var fuzzSeeds = []string{
	"", "a", "A", "Smith", "'; DROP TABLE fz_note; --", `"; DROP TABLE fz_note; --`,
	"Robert'); DROP TABLE Students;--", "' OR '1'='1", `" OR 1=1 --`, "1; SELECT pg_sleep(10)", "' UNION SELECT * FROM crmkit_schema_version --",
	"%", "_", `\`, `\\`, `%_%`, `\%`, `\_`, `a\`, `100%`, `50_50`, `C:\temp\_new%`, "a' || 'b", "$1", "?", ":name", "@p1", "/*", "*/", "--",
	"E'\\x41'", "\x00", "a\x00b", "\t\n\r", "é", "É", "ÄÖÜ", "äöü", "İ", "ı", "ß", "ẞ", "ǅ", "日本語", "🙂", "\u200b",
	"\xff", "a\xc3", "\xed\xa0\x80", strings.Repeat("x", 1000), strings.Repeat("%", 40) + "b", strings.Repeat("_", 30),
}

const fuzzEntity = "fz_note"

func fuzzRegistry(t testing.TB) *crm.Registry {
	t.Helper()
	reg := crm.NewRegistry()
	require.NoError(t, reg.Register(&crm.Entity{Name: fuzzEntity, PrimaryName: "body", Fields: []crm.Field{
		{Name: "body", Type: crm.TypeText, MaxLength: 1000},
		{Name: "tag", Type: crm.TypeInteger, Required: true},
	}}))
	return reg
}

// FuzzQueryValues stores fuzzed text in SQLite and queries it back with
// fuzzed values through every text operator: a value is always stored and
// matched literally, as the memory store (the reference semantics) does, so
// that no input can change the SQL the adapter runs.
func FuzzQueryValues(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, s)
		f.Add(s, fuzzSeeds[(i+7)%len(fuzzSeeds)])
		f.Add(strings.ToUpper(s)+"tail", s)
	}
	ctx := crm.AsSystem(context.Background())
	reg := fuzzRegistry(f)
	clock := crm.NewManualClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	ref := storage.New(memory.New(), reg, storage.WithClock(clock))
	lite := storage.New(verifySQLite(f, reg), reg, storage.WithClock(clock))
	var tags atomic.Int64

	f.Fuzz(func(t *testing.T, stored, value string) {
		tag := tags.Add(1)
		rec := crm.Record{Entity: fuzzEntity, Header: crm.Header{ID: crm.NewID()}, Fields: crm.Fields{"body": stored, "tag": tag}}
		_, refErr := ref.Create(ctx, rec)
		_, err := lite.Create(ctx, rec)
		if refErr != nil {
			// Invalid UTF-8 or too long: refused before any SQL, alike.
			require.ErrorIs(t, refErr, crm.ErrValidation)
			require.ErrorIs(t, err, crm.ErrValidation, "sqlite must refuse %q as the reference does", stored)
		} else {
			require.NoError(t, err, "sqlite create %q", stored)
			got, err := lite.Get(ctx, fuzzEntity, rec.ID)
			require.NoError(t, err)
			if stored == "" {
				require.Nil(t, got.Fields["body"], "an empty text is null")
			} else {
				require.Equal(t, stored, got.Fields["body"], "the text comes back byte for byte")
			}
		}

		own := crm.Eq("tag", tag)
		var conds []crm.Filter
		for _, v := range []string{value, stored} {
			conds = append(conds,
				crm.Eq("body", v), crm.Ne("body", v), crm.Lt("body", v), crm.Ge("body", v),
				crm.Like("body", v), crm.Where("body", crm.OpNotLike, v), crm.Like("body", driver.EscapeLike(v)),
				crm.BeginsWith("body", v), crm.Where("body", crm.OpNotBeginWith, v),
				crm.Where("body", crm.OpEndsWith, v), crm.Where("body", crm.OpNotEndWith, v),
				crm.In("body", v, "Smith"), crm.NotIn("body", v),
			)
		}
		for _, c := range conds {
			// Over the whole table (every earlier input too) and over this
			// input's record alone.
			for _, where := range []crm.Filter{c, crm.And(own, c)} {
				q := crm.Query{Entity: fuzzEntity, Where: where, OrderBy: []crm.Order{crm.Asc("body")}}
				want, wantErr := fuzzIDs(ctx, ref, q)
				got, err := fuzzIDs(ctx, lite, q)
				desc := diffDescribeQuery(q)
				if wantErr != nil {
					require.ErrorIs(t, wantErr, crm.ErrValidation, "reference: %s", desc)
					require.ErrorIs(t, err, crm.ErrValidation, "sqlite must refuse %s as the reference does", desc)
					continue
				}
				require.NoError(t, err, "sqlite: %s", desc)
				require.Equal(t, want, got, "sqlite answers %s unlike the reference", desc)
			}
		}
		if refErr == nil && stored != "" && utf8.ValidString(stored) {
			// The value itself, escaped, always finds its own record.
			for _, c := range []crm.Filter{crm.Eq("body", stored), crm.Like("body", driver.EscapeLike(stored)),
				crm.BeginsWith("body", stored), crm.Where("body", crm.OpEndsWith, stored), crm.In("body", stored)} {
				n, err := lite.Count(ctx, crm.Query{Entity: fuzzEntity, Where: crm.And(own, c)})
				require.NoError(t, err)
				require.EqualValues(t, 1, n, "%s finds its own record", diffDescribeFilter(c))
			}
		}
		n, err := lite.Count(ctx, crm.Query{Entity: fuzzEntity})
		require.NoError(t, err, "the table is still there")
		m, err := ref.Count(ctx, crm.Query{Entity: fuzzEntity})
		require.NoError(t, err)
		require.Equal(t, m, n, "no input adds or removes records")
	})
}

func fuzzIDs(ctx context.Context, s *storage.Store, q crm.Query) ([]crm.ID, error) {
	var ids []crm.ID
	for rec, err := range s.Iterate(ctx, q) {
		if err != nil {
			return nil, err
		}
		ids = append(ids, rec.ID)
	}
	return ids, nil
}
