package driver

import (
	"bytes"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/crmkit/crmkit/crm"
	"github.com/shopspring/decimal"
)

// This file defines what a Plan means, record by record. The memory store
// answers queries with it; SQL adapters compile to the same semantics and
// the conformance suite and differential tests hold them to it.

// Resolver returns the record of entity with the given ID, for conditions
// on related records; found is false when there is none.
// Exists conditions read the other way, through Referrers (MatcherWith).
type Resolver func(entity string, id crm.ID) (rec Row, found bool, err error)

// Match reports whether rec satisfies the plan's filter. To test many
// records, compile the filter once with Matcher.
func (p *Plan) Match(rec crm.Record, resolve Resolver) (bool, error) {
	return p.Matcher(resolve)(RecordRow(&rec))
}

// Matcher compiles the plan's filter into a function that tests one record:
// text constants are folded and LIKE patterns parsed once, and testing a
// record allocates nothing, except that hierarchy conditions remember the
// records they walk (so a Matcher is for one goroutine at a time). It is
// the definition of what the filter means, and the memory store's way to
// run it.
func (p *Plan) Matcher(resolve Resolver) Matcher {
	return compile(p.reg, p.Entity, p.Where, sources{resolve: resolve})
}

func compareOp(op crm.Operator, cmp int) bool {
	switch op {
	case crm.OpEq:
		return cmp == 0
	case crm.OpNe:
		return cmp != 0
	case crm.OpLt:
		return cmp < 0
	case crm.OpLe:
		return cmp <= 0
	case crm.OpGt:
		return cmp > 0
	case crm.OpGe:
		return cmp >= 0
	}
	return false
}

// FoldText is the case folding of every text comparison: ASCII letters are
// lowered, every other character is kept. Text orders by the bytes of its
// folded UTF-8 form.
func FoldText(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// CompareKeys orders two sort keys of the same field: nil first, text by
// its folded form, IDs by their bytes. It returns -1, 0 or +1.
func CompareKeys(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case string:
		return compareText(x, b.(string))
	case int64:
		return cmpOrdered(x, b.(int64))
	case int32:
		return cmpOrdered(x, b.(int32))
	case decimal.Decimal:
		return x.Cmp(b.(decimal.Decimal))
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case time.Time:
		return x.Compare(b.(time.Time))
	case crm.ID:
		y := b.(crm.ID)
		return bytes.Compare(x[:], y[:])
	}
	panic(fmt.Sprintf("crm: no order for %T", a))
}

// compareText is strings.Compare(FoldText(a), FoldText(b)) without
// building either folded copy: sorting calls it millions of times.
func compareText(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return cmpOrdered(len(a), len(b))
}

func cmpOrdered[T int | int64 | int32](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// MatchLike reports whether s matches a LIKE pattern: % matches any run of
// characters, _ exactly one, \ makes the next character literal; letters
// match ignoring ASCII case.
//
// It runs in O(len(pattern) * len(s)) time whatever the pattern: the
// memory store runs it on callers' patterns, and a pattern such as
// "%a%a%a%a%a%a%a%b" must not take exponential time.
func MatchLike(pattern, s string) bool {
	return matchLike(likeTokens(FoldText(pattern)), s)
}

// matchLike matches s, folding it as it goes, against a folded pattern.
func matchLike(p []likeToken, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0 // the last % seen, and where in s it began matching
	for si < len(s) {
		sc, w := utf8.DecodeRuneInString(s[si:])
		if 'A' <= sc && sc <= 'Z' {
			sc += 'a' - 'A'
		}
		if pi < len(p) && !p[pi].run && (p[pi].any || p[pi].r == sc) {
			pi, si = pi+1, si+w
			continue
		}
		if pi < len(p) && p[pi].run {
			if pi == len(p)-1 {
				return true // a final % takes the rest
			}
			star, mark = pi, si
			pi++
			continue
		}
		if star < 0 {
			return false
		}
		// Let the last % take one more character and retry from there.
		// Only the last % ever needs to move: an earlier one could only
		// take characters the last one can take as well.
		_, mw := utf8.DecodeRuneInString(s[mark:])
		mark += mw
		pi, si = star+1, mark
	}
	for pi < len(p) && p[pi].run {
		pi++
	}
	return pi == len(p)
}

// likeToken is one element of a LIKE pattern: a run of any characters (%),
// any one character (_), or a literal character.
type likeToken struct {
	run, any bool
	r        rune
}

func likeTokens(p string) []likeToken {
	out := make([]likeToken, 0, len(p))
	for len(p) > 0 {
		pc, n := utf8.DecodeRuneInString(p)
		p = p[n:]
		switch pc {
		case '%':
			if len(out) == 0 || !out[len(out)-1].run {
				out = append(out, likeToken{run: true})
			}
			continue
		case '_':
			out = append(out, likeToken{any: true})
			continue
		case '\\':
			if len(p) > 0 { // a trailing \ stands for itself
				pc, n = utf8.DecodeRuneInString(p)
				p = p[n:]
			}
		}
		out = append(out, likeToken{r: pc})
	}
	return out
}

// Compare orders two records by the plan's sort: -1 when a comes first.
func (p *Plan) Compare(a, b crm.Record) int { return p.CompareRows(RecordRow(&a), RecordRow(&b)) }

// CompareRows is Compare for records read as Rows.
func (p *Plan) CompareRows(a, b Row) int {
	for i, o := range p.OrderBy {
		f := p.orderFields[i]
		c := CompareKeys(SortKey(f, a.Value(o.Field)), SortKey(f, b.Value(o.Field)))
		if o.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// SortKeys appends rec's sort keys to dst, one per OrderBy entry: what
// Compare compares. A store that sorts many records reads each record's
// keys once and orders them with CompareSortKeys, which saves reading
// fields again on every comparison.
func (p *Plan) SortKeys(dst []any, rec Row) []any {
	for i, o := range p.OrderBy {
		dst = append(dst, SortKey(p.orderFields[i], rec.Value(o.Field)))
	}
	return dst
}

// CompareSortKeys orders two records by their SortKeys as Compare orders
// the records themselves.
func (p *Plan) CompareSortKeys(a, b []any) int {
	for i, o := range p.OrderBy {
		c := CompareKeys(a[i], b[i])
		if o.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// IsAfter reports whether rec sorts after the plan's cursor, and so belongs
// to the page it asks for. Without a cursor every record does.
func (p *Plan) IsAfter(rec Row) bool {
	if p.After == nil {
		return true
	}
	for i, o := range p.OrderBy {
		c := CompareKeys(SortKey(p.orderFields[i], rec.Value(o.Field)), p.After[i])
		if o.Desc {
			c = -c
		}
		if c != 0 {
			return c > 0
		}
	}
	return false
}
