package driver

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
)

// KeyString encodes the canonical values of an alternate key's fields
// (crm.Key) as every store compares them: text folded (FoldText, as a SQL
// store's unique index on lower()), decimals by value, times by instant,
// lookups by entity and ID. Two records hold the same key when their
// strings are equal. ok is false when a part is null: a record with a
// null key part is outside the key, as in a SQL unique index.
func KeyString(vals []any) (key string, ok bool) {
	var b strings.Builder
	for _, v := range vals {
		var part string
		switch x := v.(type) {
		case nil:
			return "", false
		case string:
			part = FoldText(x)
		case decimal.Decimal:
			part = x.String() // trailing zeros trimmed: 1.50 is 1.5
		case time.Time:
			part = strconv.FormatInt(x.UnixMicro(), 10)
		case crm.Ref:
			part = x.Entity + "/" + x.ID.String()
		default:
			part = fmt.Sprint(x) // integers and choices
		}
		b.WriteString(strconv.Itoa(len(part)))
		b.WriteByte(':')
		b.WriteString(part)
	}
	return b.String(), true
}
