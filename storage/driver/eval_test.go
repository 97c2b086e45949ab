package driver_test

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

func TestMatchLike(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"%", "", true},
		{"%", "anything", true},
		{"%%", "x", true},
		{"abc", "abc", true},
		{"abc", "ABC", true},
		{"ABC", "abc", true},
		{"abc", "abcd", false},
		{"a%", "abc", true},
		{"a%", "ba", false},
		{"%c", "abc", true},
		{"%b%", "abc", true},
		{"%b%", "ac", false},
		{"a_c", "abc", true},
		{"a_c", "ac", false},
		{"a_c", "abbc", false},
		{"_", "é", true},
		{"__", "é", false},
		{"caf_", "café", true},
		{"CAFÉ", "café", false},
		{"café", "CAFÉ", false},
		{"CAFé", "café", true},
		{`100\%`, "100%", true},
		{`100\%`, "1000", false},
		{`a\_c`, "a_c", true},
		{`a\_c`, "abc", false},
		{`a\\c`, `a\c`, true},
		{`a\`, `a\`, true},
		{`\a`, "a", true},
		{"%a%a%a%", "aaa", true},
		{"%a%a%a%", "aa", false},
		{"a%b%c", "aXbYc", true},
		{"a%b%c", "aXbYcZ", false},
		{"%ß%", "STRASSE", false},
		{"%e", "é", false},
		{"line_break", "line\nbreak", true},
		// Backtracking over many %s must stay cheap: an exponential
		// matcher would take minutes on these.
		{strings.Repeat("%a", 16) + "%b", strings.Repeat("a", 64), false},
		{strings.Repeat("%a", 16) + "%", strings.Repeat("a", 64), true},
		{strings.Repeat("%_", 16) + "b", strings.Repeat("a", 64) + "b", true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" vs "+tt.s, func(t *testing.T) {
			require.Equal(t, tt.want, driver.MatchLike(tt.pattern, tt.s))
		})
	}
}

// likeRegexp is a reference LIKE built on regexp: both sides folded with
// FoldText (ASCII only), % as any run, _ as one character, \ escaping the
// next character (a trailing \ is itself).
func likeRegexp(pattern, s string) bool {
	var b strings.Builder
	b.WriteString(`^(?s)`)
	p := []rune(driver.FoldText(pattern))
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '%':
			b.WriteString(`.*`)
		case '_':
			b.WriteString(`.`)
		case '\\':
			if i+1 < len(p) {
				i++
			}
			b.WriteString(regexp.QuoteMeta(string(p[i])))
		default:
			b.WriteString(regexp.QuoteMeta(string(p[i])))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String()).MatchString(driver.FoldText(s))
}

func FuzzMatchLike(f *testing.F) {
	seeds := [][2]string{
		{"a%", "abc"}, {"%B_", "xxbc"}, {`\%%`, "%x"}, {`a\`, `a\`}, {"_é%", "xÉé"},
		{"%a%a", "aaaa"}, {"ABC", "abc"}, {strings.Repeat("%a", 12) + "%b", strings.Repeat("a", 40)}, {"É", "é"}, {"%%_%", ""}, {`\\%`, `\x`}, {"a_b", "a\nb"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if !utf8.ValidString(pattern) || !utf8.ValidString(s) || len(pattern) > 200 || len(s) > 200 {
			return // text fields hold valid UTF-8 only
		}
		require.Equal(t, likeRegexp(pattern, s), driver.MatchLike(pattern, s), "pattern %q, text %q", pattern, s)
		// A begins-with on any text matches that text literally.
		require.True(t, driver.MatchLike(driver.EscapeLike(s)+"%", s+pattern))
	})
}

func TestFoldText(t *testing.T) {
	require.Equal(t, "hello world", driver.FoldText("Hello WORLD"))
	require.Equal(t, "already", driver.FoldText("already"))
	require.Equal(t, "élan Élan straße strasse", driver.FoldText("élan ÉLAN straße STRASSE"), "only ASCII letters fold")
	require.Equal(t, "ÀÉÎ", driver.FoldText("ÀÉÎ"), "non-ASCII letters are untouched")
	require.Equal(t, "k", driver.FoldText("K"), "ASCII K folds, the Kelvin sign does not")
	require.Equal(t, "\u212a", driver.FoldText("\u212a"))
	require.Equal(t, "[\\]^_`", driver.FoldText("[\\]^_`"), "characters between the letters are kept")
}

func TestCompareKeys(t *testing.T) {
	idLow := crm.ID{0x01}
	idHigh := crm.ID{0x02}
	t0 := date(2024, 1, 1)
	tests := []struct {
		name string
		a, b any
		want int
	}{
		{"nil equals nil", nil, nil, 0},
		{"nil comes first", nil, "a", -1},
		{"nil comes first on the right", int64(1), nil, 1},
		{"text ignores ASCII case", "apple", "APPLE", 0},
		{"text orders folded", "B", "a", 1},
		{"text keeps non-ASCII case", "É", "é", -1},
		{"text orders by bytes of the folded form", "z", "é", -1},
		{"integers", int64(-5), int64(3), -1},
		{"choices", int32(4), int32(4), 0},
		{"decimals by value", dec("1.50"), dec("1.5"), 0},
		{"decimals", dec("-1"), dec("0.001"), -1},
		{"false before true", false, true, -1},
		{"true after false", true, false, 1},
		{"bools equal", true, true, 0},
		{"times", t0.Add(time.Microsecond), t0, 1},
		{"times by instant", t0, t0.In(time.FixedZone("X", 3600)), 0},
		{"ids by bytes", idLow, idHigh, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, driver.CompareKeys(tt.a, tt.b))
			require.Equal(t, -tt.want, driver.CompareKeys(tt.b, tt.a), "the order is antisymmetric")
		})
	}
}

func TestPlanMatch(t *testing.T) {
	reg := testRegistry(t)
	now := date(2024, 6, 15)
	parent := crm.Record{Entity: "account", Header: crm.Header{ID: crm.NewID()}, Fields: crm.Fields{"name": "Paris Bank", "industry": int32(1)}}
	child := crm.Record{Entity: "account", Header: crm.Header{ID: crm.NewID()}, Fields: crm.Fields{
		"name": "Branch", "employees": int64(10), "revenue": crm.MustMoney("100.00 USD"),
		"parentaccountid": parent.Ref(), "lastcontacted": time.Date(2024, 6, 15, 9, 0, 0, 0, time.UTC),
	}}
	resolve := func(entity string, id crm.ID) (driver.Row, bool, error) {
		if entity == "account" && id == parent.ID {
			return driver.RecordRow(&parent), true, nil
		}
		return nil, false, nil
	}
	tests := []struct {
		name  string
		where crm.Filter
		want  bool
	}{
		{"no filter matches everything", nil, true},
		{"eq", crm.Eq("employees", 10), true},
		{"ne", crm.Ne("employees", 10), false},
		{"null never compares", crm.Ne("score", dec("1")), false},
		{"null never matches not-in", crm.NotIn("industry", 2), false},
		{"null never matches not-like", crm.Where("accountnumber", crm.OpNotLike, "x"), false},
		{"null operator", crm.IsNull("score"), true},
		{"not-null operator", crm.NotNull("score"), false},
		{"money in its currency", crm.Ge("revenue", crm.MustMoney("100 USD")), true},
		{"money in another currency never matches", crm.Ne("revenue", crm.MustMoney("1 EUR")), false},
		{"text ignores case", crm.Eq("name", "BRANCH"), true},
		{"in", crm.In("employees", 1, 10), true},
		{"not in", crm.NotIn("employees", 1, 10), false},
		{"begins-with", crm.BeginsWith("name", "bra"), true},
		{"today", crm.Where("lastcontacted", crm.OpToday), true},
		{"yesterday", crm.Where("lastcontacted", crm.OpYesterday), false},
		{"empty and matches", crm.And(), true},
		{"empty or matches nothing", crm.Or(), false},
		{"or of one true", crm.Or(crm.Eq("employees", 1), crm.Eq("employees", 10)), true},
		{"and of one false", crm.And(crm.Eq("employees", 10), crm.Eq("name", "x")), false},
		{"related record matches", crm.Through("parentaccountid", "", crm.BeginsWith("name", "paris")), true},
		{"related record does not match", crm.Through("parentaccountid", "account", crm.Eq("industry", 2)), false},
		{"no related record never matches", crm.Through("primarycontactid", "", nil), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := plan(t, reg, tt.where, now)
			got, err := p.Match(child, resolve)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
	t.Run("a related record that does not exist never matches", func(t *testing.T) {
		orphan := child.Clone()
		orphan.Fields["parentaccountid"] = crm.Ref{Entity: "account", ID: crm.NewID()}
		got, err := plan(t, reg, crm.Through("parentaccountid", "", nil), now).Match(orphan, resolve)
		require.NoError(t, err)
		require.False(t, got)
	})
	t.Run("compare sorts by the plan's order, nulls first", func(t *testing.T) {
		p, err := driver.PlanQuery(reg, crm.Query{Entity: "account", OrderBy: []crm.Order{crm.Asc("employees")}}, now, nil, driver.Principal{})
		require.NoError(t, err)
		require.Equal(t, 1, p.Compare(child, parent))
		require.Equal(t, -1, p.Compare(parent, child))
		require.Equal(t, 0, p.Compare(child, child))
		desc, err := driver.PlanQuery(reg, crm.Query{Entity: "account", OrderBy: []crm.Order{crm.Desc("employees")}}, now, nil, driver.Principal{})
		require.NoError(t, err)
		require.Equal(t, -1, desc.Compare(child, parent), "descending puts nulls last")
	})
}

func BenchmarkMatchLike(b *testing.B) {
	text := strings.Repeat("a", 200)
	for _, bench := range []struct{ name, pattern string }{
		{"prefix", "aaa%"},
		{"contains", "%aab%"},
		{"many runs", strings.Repeat("%a", 20) + "%b"},
	} {
		b.Run(bench.name, func(b *testing.B) {
			for b.Loop() {
				driver.MatchLike(bench.pattern, text)
			}
		})
	}
}
