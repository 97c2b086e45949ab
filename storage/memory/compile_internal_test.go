package memory

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/storagetest"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// TestCompiledMatchesPlan checks the compiled matcher against crm.Plan's
// Match, the reference semantics, on random records and conditions built
// from a small alphabet full of traps: ASCII letters in both cases,
// non-ASCII letters, LIKE wildcards and escapes.
func TestCompiledMatchesPlan(t *testing.T) {
	reg := storagetest.Schema()
	e, err := reg.Entity("account")
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(7, 11))
	alphabet := []string{"a", "A", "b", "B", "z", "Z", "é", "É", "%", "_", `\`, " ", "0"}
	text := func(max int) string {
		var b strings.Builder
		for range r.IntN(max + 1) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	currencies := []crm.Currency{"USD", "EUR"}
	value := func(field string) any {
		if r.IntN(5) == 0 {
			return nil
		}
		switch field {
		case "name", "city":
			return text(4)
		case "numberofemployees":
			return int64(r.IntN(7) - 3)
		case "rating":
			return decimal.New(int64(r.IntN(7)-3), -int32(r.IntN(3)))
		case "creditlimit":
			return crm.Money{Amount: decimal.NewFromInt(int64(r.IntN(5))), Currency: currencies[r.IntN(2)]}
		case "creditonhold":
			return r.IntN(2) == 0
		case "lastcontactedon":
			return time.Date(2026, 3, 1+r.IntN(3), r.IntN(3), 0, 0, 0, time.UTC)
		case "category":
			return int32(1 + r.IntN(2))
		case "parentaccountid":
			return crm.Ref{Entity: "account", ID: crm.ID{byte(r.IntN(3))}}
		}
		panic(field)
	}
	fields := []string{"name", "city", "numberofemployees", "rating", "creditlimit", "creditonhold", "lastcontactedon", "category", "parentaccountid"}
	ops := []crm.Operator{crm.OpEq, crm.OpNe, crm.OpLt, crm.OpLe, crm.OpGt, crm.OpGe, crm.OpIn, crm.OpNotIn,
		crm.OpLike, crm.OpNotLike, crm.OpBeginsWith, crm.OpEndsWith, crm.OpNull, crm.OpNotNull, crm.OpBetween}
	recs := make([]crm.Record, 200)
	for i := range recs {
		recs[i] = crm.Record{Entity: "account", Header: crm.Header{ID: crm.ID{byte(i % 3)}, Version: int64(i % 4)}, Fields: crm.Fields{}}
		for _, f := range fields {
			if v := value(f); v != nil {
				recs[i].Fields[f] = v
			}
		}
	}
	condition := func() crm.Filter {
		for {
			f := fields[r.IntN(len(fields))]
			op := ops[r.IntN(len(ops))]
			var vals []any
			switch op {
			case crm.OpNull, crm.OpNotNull:
			case crm.OpIn, crm.OpNotIn:
				for range 1 + r.IntN(3) {
					vals = append(vals, value(f))
				}
			case crm.OpBetween:
				vals = []any{value(f), value(f)}
			case crm.OpLike, crm.OpNotLike, crm.OpBeginsWith, crm.OpEndsWith:
				vals = []any{text(4)}
			default:
				vals = []any{value(f)}
			}
			c := crm.Where(f, op, vals...)
			if _, err := reg.PlanQuery(crm.Query{Entity: "account", Where: c}, time.Time{}); err == nil {
				return c
			}
		}
	}
	checked := 0
	for i := range 1500 {
		var where crm.Filter = condition()
		if i%3 == 0 {
			where = crm.Group{Or: i%2 == 0, Filters: []crm.Filter{where, condition(), condition()}}
		}
		p, err := reg.PlanQuery(crm.Query{Entity: "account", Where: where}, time.Time{})
		require.NoError(t, err)
		m, ok := compile(e, p.Where)
		require.True(t, ok, "every plain filter compiles")
		for _, rec := range recs {
			want, err := p.Match(rec, nil)
			if err != nil || want != m(&rec) {
				t.Fatalf("%v on %v: plan says %v (err %v), compiled says %v", p.Where, rec.Fields, want, err, !want)
			}
			checked++
		}
	}
	require.Equal(t, 1500*len(recs), checked)
}

func TestCompareFoldedAndLike(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{"", ""}, {"a", ""}, {"", "a"}, {"ABC", "abc"}, {"abc", "ABD"}, {"Émile", "émile"}, {"Zeta", "émile"}, {"ab", "abc"},
	} {
		want := strings.Compare(crm.FoldText(c.a), crm.FoldText(c.b))
		require.Equal(t, want, compareFolded(c.a, crm.FoldText(c.b)), "%q vs %q", c.a, c.b)
	}
	for _, c := range []struct{ p, s string }{
		{`50\% OFF\_%`, "50% off_deal"}, {"%", ""}, {"_", ""}, {`\`, `\`}, {`a\`, `A\`}, {"%É%", "émile"}, {"%É%", "Émile"},
		{"_mile", "Émile"}, {"%%a%%", "BAB"}, {`\\%`, `\x`}, {`%\_`, "a_"}, {`%\_`, "ab"},
	} {
		require.Equal(t, crm.MatchLike(c.p, c.s), likeFolded(crm.FoldText(c.p), c.s), "%q like %q", c.s, c.p)
	}
}

// TestIndexFollowsWrites checks the text index against a full scan after
// random creates, updates and deletes, committed and rolled back, and
// inside a transaction that has not committed yet.
func TestIndexFollowsWrites(t *testing.T) {
	ctx := context.Background()
	store := storage.New(New(), storagetest.Schema())
	r := rand.New(rand.NewPCG(3, 5))
	cities := []any{"Paris", "paris", "PARIS", "Lyon", "lyon", nil}
	var ids []crm.ID
	check := func(ctx context.Context, step int) {
		t.Helper()
		want := map[string]int64{}
		for rec, err := range store.Iterate(ctx, crm.Query{Entity: "contact"}) {
			require.NoError(t, err)
			if c, ok := rec.Fields["city"].(string); ok {
				want[crm.FoldText(c)]++
			}
		}
		for _, city := range []string{"PARIS", "lyon", "nowhere"} {
			n, err := store.Count(ctx, crm.Query{Entity: "contact", Where: crm.And(crm.Eq("city", city), crm.NotNull("lastname"))})
			require.NoError(t, err)
			require.Equal(t, want[crm.FoldText(city)], n, "step %d: city %s", step, city)
		}
	}
	write := func(ctx context.Context) error {
		switch op := r.IntN(3); {
		case op == 0 || len(ids) == 0:
			rec, err := store.Create(ctx, crm.Record{Entity: "contact", Fields: crm.Fields{"lastname": "x", "city": cities[r.IntN(len(cities))]}})
			if err == nil {
				ids = append(ids, rec.ID)
			}
			return err
		case op == 1:
			_, err := store.Update(ctx, crm.Record{Entity: "contact", Header: crm.Header{ID: ids[r.IntN(len(ids))]},
				Fields: crm.Fields{"city": cities[r.IntN(len(cities))]}})
			if errors.Is(err, crm.ErrNotFound) {
				return nil // deleted in a step that committed
			}
			return err
		default:
			err := store.Delete(ctx, crm.Ref{Entity: "contact", ID: ids[r.IntN(len(ids))]}, 0)
			if errors.Is(err, crm.ErrNotFound) {
				return nil
			}
			return err
		}
	}
	check(ctx, -1) // builds the index while the table is empty
	for step := range 300 {
		rollback := r.IntN(4) == 0
		err := store.InTx(ctx, func(ctx context.Context) error {
			for range 1 + r.IntN(3) {
				if err := write(ctx); err != nil {
					return err
				}
			}
			check(ctx, step) // the transaction's own view
			if rollback {
				return errRollback
			}
			return nil
		})
		if rollback {
			require.ErrorIs(t, err, errRollback)
		} else {
			require.NoError(t, err)
		}
		check(ctx, step)
	}
}

var errRollback = errors.New("roll back")
