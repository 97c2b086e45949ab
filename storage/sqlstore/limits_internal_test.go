package sqlstore

import (
	"math"
	"testing"
	"time"

	"github.com/crmkit/crmkit/storage/sqlstore/internal/pgdialect"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/sqlitedialect"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
)

// TestEncodersRefuseWhatTheyCannotKeep: the kernel keeps times and decimals
// within its limits before they reach an encoder; should one slip past, the
// encoder fails instead of wrapping the time (year 300000 stored as year
// -284555) or spending seconds on the decimal.
func TestEncodersRefuseWhatTheyCannotKeep(t *testing.T) {
	when := &column{f: &crm.Field{Name: "seenon", Type: crm.TypeTime}}
	amount := &column{f: &crm.Field{Name: "amount", Type: crm.TypeDecimal, Precision: 2}, scale: 2, repr: reprScaled}
	for _, dl := range []Dialect{{sqlitedialect.Spec()}, {pgdialect.Spec()}} {
		d := &Driver{dialect: dl, flavor: dl.Flavor}
		for _, bad := range []time.Time{
			time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Unix(math.MaxInt64/2, 0),
			time.Unix(math.MinInt64/2, 0),
			time.Date(10000, 1, 1, 0, 0, 0, 1000, time.UTC),
		} {
			_, err := d.encode(when, bad)
			require.Error(t, err, "%v %v", dl, bad)
		}
		for _, good := range []time.Time{crm.EarliestTime, crm.LatestTime, crm.LatestTime.Add(crm.TimePrecision), {}} {
			_, err := d.encode(when, good)
			require.NoError(t, err, "%v %v", dl, good)
		}
		for _, bad := range []string{"1e3000000", "-1e3000000", "1e-3000000"} {
			_, err := d.encode(amount, decimal.RequireFromString(bad))
			require.Error(t, err, "%v %s", dl, bad)
		}
		_, err := d.encode(amount, decimal.RequireFromString("12.34"))
		require.NoError(t, err)
	}
}
