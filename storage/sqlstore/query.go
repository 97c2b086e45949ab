package sqlstore

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/dialect"
)

// builder compiles plans to SQL. Values only ever become parameters;
// identifiers come from the table model.
type builder struct {
	d       *Driver
	args    []any
	aliases int
	err     error
}

func (d *Driver) newBuilder() *builder { return &builder{d: d} }

// arg binds v and returns its placeholder. A statement that would bind
// more values than the database takes fails with a validation error
// before it is sent. The planner's limits (crm.MaxConditions, lists bound
// as one value) keep queries below it; this is the guard behind them.
func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	if n := len(b.args); n == b.d.maxParams()+1 {
		b.fail(crm.Invalid("", "where", fmt.Sprintf("binds more than the %d values a %s statement takes", n-1, b.d.dialect)))
	}
	return b.d.ph(len(b.args))
}

func (b *builder) fail(err error) string {
	if b.err == nil {
		b.err = err
	}
	return "1=0"
}

const (
	sqlTrue  = "1=1"
	sqlFalse = "1=0"
)

// filter compiles f on the table tb aliased a.
func (b *builder) filter(tb *table, a string, f crm.Filter) string {
	switch f := f.(type) {
	case nil:
		return sqlTrue
	case crm.Condition:
		return b.condition(tb, a, f)
	case crm.DiffCondition:
		return b.diffCondition(tb, a, f)
	case crm.Group:
		if len(f.Filters) == 0 {
			if f.Or {
				return sqlFalse
			}
			return sqlTrue
		}
		filters := f.Filters
		if len(filters) > 8 {
			filters = mergeLists(tb, f)
		}
		parts := make([]string, len(filters))
		for i, sub := range filters {
			parts[i] = "(" + b.filter(tb, a, sub) + ")"
		}
		if f.Or {
			return joinBalanced(parts, " OR ")
		}
		return joinBalanced(parts, " AND ")
	case crm.Related:
		c, ok := tb.byName[f.Lookup]
		if !ok || c.f.Type != crm.TypeLookup {
			return b.fail(fmt.Errorf("sqlstore: %s is not a lookup of %s", f.Lookup, tb.entity.Name))
		}
		target, ok := b.d.tables()[f.Entity]
		if !ok {
			return b.fail(fmt.Errorf("sqlstore: entity %q: %w", f.Entity, crm.ErrNotFound))
		}
		b.aliases++
		ta := "t" + strconv.Itoa(b.aliases)
		s := "EXISTS (SELECT 1 FROM " + target.ref + " " + ta + " WHERE " + ta + ".id = " + a + "." + quote(c.name)
		if c.extra != "" {
			s += " AND " + a + "." + quote(c.extra) + " = " + b.arg(f.Entity)
		} else if c.target != f.Entity {
			return sqlFalse
		}
		return s + " AND (" + b.filter(target, ta, f.Where) + "))"
	case crm.Exists:
		return b.exists(tb, a, f)
	}
	return b.fail(fmt.Errorf("sqlstore: filter of unknown type %T", f))
}

// mergeLists rewrites the Eq conditions of an Or that share a field as
// one In, and the Ne conditions of an And as one NotIn: the same rows
// (none of them matches a null), one list, which a long list binds as one
// parameter. SQLite compiles a statement in time that grows with the
// square of its parameters: an Or of 3,000 equalities took it seconds.
// Conditions on types a list does not take stay as they are.
func mergeLists(tb *table, g crm.Group) []crm.Filter {
	op, list := crm.OpEq, crm.OpIn
	if !g.Or {
		op, list = crm.OpNe, crm.OpNotIn
	}
	at := map[string]int{} // field → index in out of its list
	out := make([]crm.Filter, 0, len(g.Filters))
	for _, f := range g.Filters {
		c, ok := f.(crm.Condition)
		if !ok || c.Op != op || len(c.Values) != 1 || !listable(tb, c.Field) || isFieldValue(c.Values[0]) {
			out = append(out, f)
			continue
		}
		i, seen := at[c.Field]
		if !seen {
			at[c.Field] = len(out)
			out = append(out, c)
			continue
		}
		m := out[i].(crm.Condition)
		if m.Op == op { // the first condition on the field becomes a list
			m = crm.Condition{Field: m.Field, Op: list, Values: []any{m.Values[0]}}
		}
		m.Values = append(m.Values, c.Values[0])
		out[i] = m
	}
	return out
}

// listable reports whether In and NotIn compile for the field: the types
// whose lists inList binds as one parameter, and a lookup to one entity
// (an equality on a lookup to several compares the entity too).
func listable(tb *table, field string) bool {
	c, ok := tb.byName[field]
	if !ok {
		return false
	}
	switch c.f.Type {
	case crm.TypeText, crm.TypeInteger, crm.TypeChoice, crm.TypeDecimal, crm.TypeID:
		return true
	case crm.TypeLookup:
		return c.extra == ""
	}
	return false
}

// joinBalanced joins parts, each in parentheses already, with op as a
// balanced tree of parentheses: a chain of thousands of conditions then
// nests log2(n) deep, where SQLite parses "a OR b OR c ..." as a tree as
// deep as the chain is long and refuses one deeper than 1000. The parts
// stay in order, as SQLite binds its anonymous parameters in order.
func joinBalanced(parts []string, op string) string {
	if len(parts) <= 8 {
		return strings.Join(parts, op)
	}
	mid := len(parts) / 2
	return "(" + joinBalanced(parts[:mid], op) + ")" + op + "(" + joinBalanced(parts[mid:], op) + ")"
}

var opSQL = map[crm.Operator]string{
	crm.OpEq: "=", crm.OpNe: "<>", crm.OpLt: "<", crm.OpLe: "<=", crm.OpGt: ">", crm.OpGe: ">=",
}

func (b *builder) condition(tb *table, a string, cond crm.Condition) string {
	c, ok := tb.byName[cond.Field]
	if !ok {
		return b.fail(fmt.Errorf("sqlstore: %s is not a field of %s", cond.Field, tb.entity.Name))
	}
	ref := a + "." + quote(c.name)
	switch cond.Op {
	case crm.OpUnder, crm.OpNotUnder, crm.OpAbove:
		return b.hierarchy(tb, a, cond)
	case crm.OpNull:
		return ref + " IS NULL"
	case crm.OpNotNull:
		return ref + " IS NOT NULL"
	case crm.OpEq, crm.OpNe, crm.OpLt, crm.OpLe, crm.OpGt, crm.OpGe:
		if len(cond.Values) != 1 {
			return b.fail(fmt.Errorf("sqlstore: %s %s wants one value", cond.Field, cond.Op))
		}
		if fv, ok := cond.Values[0].(crm.FieldValue); ok {
			return b.compareFields(tb, a, c, cond.Op, fv.Field)
		}
		if m, ok := cond.Values[0].(crm.Money); ok && c.f.Type == crm.TypeMoney {
			// A money condition matches amounts in its own currency only.
			return a + "." + quote(c.extra) + " = " + b.arg(string(m.Currency)) +
				" AND " + b.compare(c, ref, cond.Op, m.Amount)
		}
		if r, ok := cond.Values[0].(crm.Ref); ok && c.extra != "" {
			// A lookup to several entities: IDs are unique per entity.
			same := a + "." + quote(c.extra) + " = " + b.arg(r.Entity) + " AND " + b.compare(c, ref, crm.OpEq, r.ID)
			if cond.Op == crm.OpEq {
				return same
			}
			return ref + " IS NOT NULL AND NOT (" + same + ")"
		}
		return b.compare(c, ref, cond.Op, cond.Values[0])
	case crm.OpIn, crm.OpNotIn:
		if n := len(cond.Values); n > b.d.maxListParams() || len(b.args)+n > listParamBudget {
			return b.inList(c, ref, cond)
		}
		lhs := b.keyExpr(c, ref)
		var ph []string
		for _, v := range cond.Values {
			p, ok := b.keyArg(c, v)
			if b.err != nil {
				return sqlFalse
			}
			if ok {
				ph = append(ph, p)
			}
		}
		if len(ph) == 0 { // no value the column can hold
			return noValues(ref, cond.Op)
		}
		op := " IN ("
		if cond.Op == crm.OpNotIn {
			op = " NOT IN ("
		}
		return lhs + op + strings.Join(ph, ", ") + ")"
	case crm.OpLike, crm.OpNotLike:
		s, ok := cond.Values[0].(string)
		if !ok || c.f.Type != crm.TypeText {
			return b.fail(fmt.Errorf("sqlstore: %s %s wants text", cond.Field, cond.Op))
		}
		pattern := likePattern(s)
		if b.d.flavor == dialect.SQLite && len(pattern) > maxLikeSQLite {
			return b.longLike(tb.entity.Name, c, ref, cond.Op, pattern)
		}
		op := " LIKE "
		if cond.Op == crm.OpNotLike {
			op = " NOT LIKE "
		}
		return b.keyExpr(c, ref) + op + b.arg(pattern) + ` ESCAPE '\'`
	}
	return b.fail(fmt.Errorf("sqlstore: operator %s is not lowered by the planner", cond.Op))
}

// maxListParams returns the longest In or NotIn list bound one parameter
// a value; a longer one is bound as a single parameter (inList), whatever
// its length. Measured on a 20,000-row indexed table, one parameter beats
// a parameter a value on PostgreSQL from about 64 values, on SQLite
// between 256 and 1,024.
func (d *Driver) maxListParams() int {
	if d.flavor == dialect.Postgres {
		return 64
	}
	return 512
}

// listParamBudget caps the parameters a statement's lists take one a
// value: past it every list goes as one parameter, so that a filter of
// many short lists stays below the parameter limit. The planner's
// crm.MaxConditions bounds the rest.
const listParamBudget = 1_000

// noValues is an In or NotIn whose list holds no value the column can:
// In matches nothing, NotIn every non-null value.
func noValues(ref string, op crm.Operator) string {
	if op == crm.OpIn {
		return sqlFalse
	}
	return ref + " IS NOT NULL"
}

// inList compiles an In or NotIn with its whole list bound as one
// parameter, so that no list meets the statement's parameter limit:
// PostgreSQL compares with "= ANY" or "<> ALL" of a typed array, SQLite
// with the values of a JSON array (IDs as hex, undone by unhex). Like the
// memory store's matcher, neither matches a null column: the list is never
// empty here, and a null compared with it is null.
func (b *builder) inList(c *column, ref string, cond crm.Condition) string {
	pg := b.d.flavor == dialect.Postgres
	var vals []any
	var typ string // PostgreSQL's array type
	switch c.f.Type {
	case crm.TypeText:
		typ = "text[]"
		for _, v := range cond.Values {
			s, ok := v.(string)
			if !ok {
				return b.fail(fmt.Errorf("sqlstore: %s: want text, got %T", c.f.Name, v))
			}
			vals = append(vals, driver.FoldText(s))
		}
	case crm.TypeDecimal, crm.TypeMoney:
		typ = "numeric[]"
		for _, v := range cond.Values {
			x, ok := v.(decimal.Decimal)
			if !ok {
				return b.fail(fmt.Errorf("sqlstore: %s: want a decimal, got %T", c.f.Name, v))
			}
			if pg {
				vals = append(vals, x.String())
				continue
			}
			n := x.Shift(c.scale)
			if !n.IsInteger() {
				continue // equals no stored value
			}
			if enc, ok := scaledValue(c, n.BigInt()); ok {
				vals = append(vals, enc)
			}
		}
	case crm.TypeLookup, crm.TypeID:
		typ = "uuid[]"
		for _, v := range cond.Values {
			var id crm.ID
			switch x := v.(type) {
			case crm.ID:
				id = x
			case crm.Ref:
				id = x.ID
			default:
				return b.fail(fmt.Errorf("sqlstore: %s: want an ID, got %T", c.f.Name, v))
			}
			if pg {
				vals = append(vals, id.String())
			} else {
				vals = append(vals, hex.EncodeToString(id[:]))
			}
		}
	case crm.TypeInteger, crm.TypeChoice:
		typ = "int8[]"
		for _, v := range cond.Values {
			enc, err := b.d.encode(c, v)
			if err != nil {
				return b.fail(err)
			}
			vals = append(vals, enc[0])
		}
	default:
		return b.fail(fmt.Errorf("sqlstore: %s %s is not for %s fields", c.f.Name, cond.Op, c.f.Type))
	}
	if len(vals) == 0 {
		return noValues(ref, cond.Op)
	}
	lhs := b.keyExpr(c, ref)
	if pg {
		list := b.arg(pgArray(vals)) + "::" + typ
		if cond.Op == crm.OpNotIn {
			return lhs + " <> ALL (" + list + ")"
		}
		return lhs + " = ANY (" + list + ")"
	}
	js, err := json.Marshal(vals)
	if err != nil {
		return b.fail(fmt.Errorf("sqlstore: %s: %w", c.f.Name, err))
	}
	value := "value"
	if c.f.Type == crm.TypeLookup || c.f.Type == crm.TypeID {
		value = "unhex(value)"
	}
	op := " IN "
	if cond.Op == crm.OpNotIn {
		op = " NOT IN "
	}
	return lhs + op + "(SELECT " + value + " FROM json_each(" + b.arg(string(js)) + "))"
}

// maxLikeSQLite is SQLITE_MAX_LIKE_PATTERN_LENGTH: SQLite refuses a
// longer LIKE pattern.
const maxLikeSQLite = 50_000

// longLike compiles a LIKE pattern too long for SQLite. Runs of % are
// one %; a pattern that wants more characters than the field holds
// matches no value; what is left is a literal, with or without a leading
// or trailing %, compared as text. Another pattern that long fails with a
// validation error.
func (b *builder) longLike(entity string, c *column, ref string, op crm.Operator, pattern string) string {
	lp := parseLike(pattern)
	expr := ""
	lhs := b.keyExpr(c, ref)
	n := strconv.Itoa(utf8.RuneCountInString(lp.literal))
	switch {
	case lp.chars > c.f.MaxLen():
		expr = sqlFalse
	case len(lp.pattern) <= maxLikeSQLite:
		expr = lhs + " LIKE " + b.arg(lp.pattern) + ` ESCAPE '\'`
	case !lp.simple:
		return b.fail(crm.Invalid(entity, c.f.Name, fmt.Sprintf("%s: a pattern of %d bytes with wildcards inside is longer than the %d SQLite takes",
			op, len(pattern), maxLikeSQLite)))
	case lp.lead && lp.trail:
		expr = "instr(" + lhs + ", " + b.arg(lp.literal) + ") > 0"
	case lp.lead:
		expr = "substr(" + lhs + ", -" + n + ") = " + b.arg(lp.literal) + " AND length(" + lhs + ") >= " + n
	case lp.trail:
		expr = "substr(" + lhs + ", 1, " + n + ") = " + b.arg(lp.literal)
	default:
		expr = lhs + " = " + b.arg(lp.literal)
	}
	if op == crm.OpNotLike {
		// NOT LIKE leaves nulls out, and so does NOT of a comparison
		// with null.
		return ref + " IS NOT NULL AND NOT (" + expr + ")"
	}
	return ref + " IS NOT NULL AND (" + expr + ")"
}

// likeShape is a LIKE pattern as likePattern writes it, taken apart.
type likeShape struct {
	pattern string // the pattern with each run of % made one %
	chars   int    // the fewest characters a matching value has
	literal string // the pattern's literal characters, unescaped
	// simple: its only wildcards are a leading % (lead) and a trailing
	// one (trail).
	simple, lead, trail bool
}

func parseLike(p string) likeShape {
	var pat, lit strings.Builder
	var l likeShape
	lastPct, sawChar, inner, any := false, false, false, false
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '%' {
			if !lastPct {
				pat.WriteByte('%')
				l.lead = l.lead || !sawChar
			}
			lastPct = true
			continue
		}
		inner = inner || (lastPct && sawChar)
		lastPct, sawChar = false, true
		switch {
		case c == '_':
			any = true
			l.chars++
			pat.WriteByte(c)
			continue
		case c == '\\' && i+1 < len(p):
			pat.WriteByte(c)
			i++
			c = p[i]
		}
		pat.WriteByte(c)
		lit.WriteByte(c)
		if utf8.RuneStart(c) {
			l.chars++
		}
	}
	l.trail = lastPct && sawChar
	l.simple = !inner && !any
	l.pattern, l.literal = pat.String(), lit.String()
	return l
}

// likePattern rewrites a crm LIKE pattern, folded, with every literal
// escaped the one way both databases read. driver.MatchLike takes a trailing
// lone backslash as a literal; here it becomes "\\". The special
// characters are ASCII, so a byte-wise walk keeps UTF-8 intact.
func likePattern(p string) string {
	p = driver.FoldText(p)
	var sb strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch c {
		case '%', '_':
			sb.WriteByte(c)
			continue
		case '\\':
			if i+1 < len(p) {
				i++
				c = p[i]
			}
		}
		if c == '%' || c == '_' || c == '\\' {
			sb.WriteByte('\\')
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// keyExpr is the SQL that a column sorts and compares by: folded text,
// otherwise the column (a money's amount, a lookup's ID).
func (b *builder) keyExpr(c *column, ref string) string {
	if c.f.Type == crm.TypeText {
		return "lower(" + ref + ")"
	}
	return ref
}

// keyArg binds a sort key of c's field; ok is false for a decimal the
// column cannot hold exactly, which equals no stored value.
func (b *builder) keyArg(c *column, v any) (string, bool) {
	switch c.f.Type {
	case crm.TypeText:
		s, ok := v.(string)
		if !ok {
			return b.fail(fmt.Errorf("sqlstore: %s: want text, got %T", c.f.Name, v)), false
		}
		return b.arg(driver.FoldText(s)), true
	case crm.TypeDecimal, crm.TypeMoney:
		x, ok := v.(decimal.Decimal)
		if !ok {
			return b.fail(fmt.Errorf("sqlstore: %s: want a decimal, got %T", c.f.Name, v)), false
		}
		if b.d.flavor == dialect.Postgres {
			return b.arg(x.String()) + "::numeric", true
		}
		n := x.Shift(c.scale)
		if !n.IsInteger() {
			return "", false
		}
		enc, ok := scaledValue(c, n.BigInt())
		if !ok {
			return "", false
		}
		return b.arg(enc), true
	case crm.TypeLookup, crm.TypeID:
		switch id := v.(type) {
		case crm.ID:
			return b.arg(b.d.encodeID(id)), true
		case crm.Ref:
			return b.arg(b.d.encodeID(id.ID)), true
		}
		return b.fail(fmt.Errorf("sqlstore: %s: want an ID, got %T", c.f.Name, v)), false
	}
	vals, err := b.d.encode(c, v)
	if err != nil {
		return b.fail(err), false
	}
	return b.arg(vals[0]), true
}

// compare compiles "column op key" with driver.CompareKeys' meaning for a
// non-null column; a null column never matches.
func (b *builder) compare(c *column, ref string, op crm.Operator, key any) string {
	if (c.f.Type == crm.TypeDecimal || c.f.Type == crm.TypeMoney) && b.d.flavor == dialect.SQLite {
		x, ok := key.(decimal.Decimal)
		if !ok {
			return b.fail(fmt.Errorf("sqlstore: %s: want a decimal, got %T", c.f.Name, key))
		}
		return b.compareScaled(c, ref, op, x)
	}
	p, _ := b.keyArg(c, key)
	if b.err != nil {
		return sqlFalse
	}
	return b.keyExpr(c, ref) + " " + opSQL[op] + " " + p
}

// compareScaled compares a SQLite scaled column with a bound that may have
// more places than the column keeps, or lie outside its range: the bound
// is moved to the nearest value the column can hold that keeps the
// comparison's meaning.
func (b *builder) compareScaled(c *column, ref string, op crm.Operator, x decimal.Decimal) string {
	n := x.Shift(c.scale)
	exact := n.IsInteger()
	var bound *big.Int
	switch op {
	case crm.OpEq:
		if !exact {
			return sqlFalse
		}
		bound = n.BigInt()
	case crm.OpNe:
		if !exact {
			return ref + " IS NOT NULL"
		}
		bound = n.BigInt()
	case crm.OpLt, crm.OpGe:
		bound = n.Ceil().BigInt() // v < 1.5 ⇔ v < 2 for whole v
	case crm.OpLe, crm.OpGt:
		bound = n.Floor().BigInt() // v <= 1.5 ⇔ v <= 1
	}
	enc, ok := scaledValue(c, bound)
	if !ok {
		// Beyond what the column holds: every stored value is on one side.
		above := bound.Sign() > 0
		switch {
		case op == crm.OpNe,
			above && (op == crm.OpLt || op == crm.OpLe),
			!above && (op == crm.OpGt || op == crm.OpGe):
			return ref + " IS NOT NULL"
		}
		return sqlFalse
	}
	return ref + " " + opSQL[op] + " " + b.arg(enc)
}

// orderBy compiles the plan's sort: ascending with nulls first, descending
// with nulls last, as driver.CompareKeys orders.
func (b *builder) orderBy(tb *table, a string, orders []crm.Order) string {
	parts := make([]string, len(orders))
	for i, o := range orders {
		c := tb.byName[o.Field]
		if c == nil {
			return b.fail(fmt.Errorf("sqlstore: %s is not a field of %s", o.Field, tb.entity.Name))
		}
		dir := " ASC NULLS FIRST"
		if o.Desc {
			dir = " DESC NULLS LAST"
		}
		parts[i] = b.keyExpr(c, a+"."+quote(c.name)) + dir
	}
	return strings.Join(parts, ", ")
}

// after compiles "the row sorts after the cursor" (driver.Plan.IsAfter) as an
// OR chain: the first i keys equal and key i beyond the cursor's. Each
// alternative binds its own values, in the order they appear.
func (b *builder) after(tb *table, a string, p *driver.Plan) string {
	cols := make([]*column, len(p.OrderBy))
	for i, o := range p.OrderBy {
		if cols[i] = tb.byName[o.Field]; cols[i] == nil {
			return b.fail(fmt.Errorf("sqlstore: %s is not a field of %s", o.Field, tb.entity.Name))
		}
	}
	ref := func(i int) string { return a + "." + quote(cols[i].name) }
	var alts []string
	for i, o := range p.OrderBy {
		key := p.After[i]
		if key == nil && o.Desc {
			continue // nothing sorts after null, descending
		}
		var parts []string
		for j := range i {
			if p.After[j] == nil {
				parts = append(parts, ref(j)+" IS NULL")
			} else {
				parts = append(parts, "("+b.compare(cols[j], ref(j), crm.OpEq, p.After[j])+")")
			}
		}
		switch {
		case key == nil:
			parts = append(parts, ref(i)+" IS NOT NULL")
		case !o.Desc:
			parts = append(parts, "("+b.compare(cols[i], ref(i), crm.OpGt, key)+")")
		default:
			parts = append(parts, "("+ref(i)+" IS NULL OR "+b.compare(cols[i], ref(i), crm.OpLt, key)+")")
		}
		alts = append(alts, "("+strings.Join(parts, " AND ")+")")
	}
	if len(alts) == 0 {
		return sqlFalse
	}
	return strings.Join(alts, " OR ")
}

// timeFromSQLite parses the day, month or year strftime gave a group.
func timeFromSQLite(s string, g crm.DateGrouping) (time.Time, error) {
	layout := map[crm.DateGrouping]string{crm.ByDay: "2006-01-02", crm.ByMonth: "2006-01", crm.ByYear: "2006"}[g]
	return time.ParseInLocation(layout, s, time.UTC)
}

// pgArray turns the values of one list, all of one type, into the Go
// slice pgx sends as a PostgreSQL array.
func pgArray(vals []any) any {
	if _, ok := vals[0].(int64); ok {
		out := make([]int64, len(vals))
		for i, v := range vals {
			out[i] = v.(int64)
		}
		return out
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = v.(string)
	}
	return out
}

// isFieldValue reports whether a condition value is another field of the
// row (crm.ValueOf), which no list holds.
func isFieldValue(v any) bool { _, ok := v.(crm.FieldValue); return ok }
