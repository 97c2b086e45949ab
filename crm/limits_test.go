package crm_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
)

func TestValueLimits(t *testing.T) {
	reg := limitsRegistry(t)
	gauge := entity(t, reg, "gauge")
	huge := time.Unix(math.MaxInt64/2, 0) // far beyond any calendar a store keeps
	emoji := "😀"                          // one character, two UTF-16 code units

	tests := []struct {
		name   string
		field  string
		value  any
		want   any    // canonical value stored, when valid
		reason string // part of the reason, when invalid
	}{
		{"160 ASCII characters fit a 160-character field", "name", strings.Repeat("x", 160), strings.Repeat("x", 160), ""},
		{"80 emoji fit a 160-character field", "name", strings.Repeat(emoji, 80), strings.Repeat(emoji, 80), ""},
		{"160 emoji are 320 UTF-16 code units, as Dynamics counts", "name", strings.Repeat(emoji, 160), nil, "is 320 characters, longer than the maximum 160"},
		{"81 emoji overflow a 160-character field by one unit", "name", strings.Repeat(emoji, 81), nil, "is 162 characters"},
		{"characters of the Basic Multilingual Plane count one", "name", strings.Repeat("€", 160), strings.Repeat("€", 160), ""},

		{"an integer minimum alone is kept", "atleastten", 9, nil, "outside 10..2147483647"},
		{"an integer minimum alone keeps the default maximum", "atleastten", int64(1) << 31, nil, "outside 10..2147483647"},
		{"an integer maximum alone is kept", "atmostten", 11, nil, "outside -2147483648..10"},
		{"an integer maximum alone keeps the default minimum", "atmostten", -int64(1)<<31 - 1, nil, "outside -2147483648..10"},
		{"an integer within a one-sided range is kept", "atmostten", -5, int64(-5), ""},

		{"a decimal's trailing zeros are not places", "level", dec("1.250"), dec("1.25"), ""},
		{"a decimal maximum alone is kept", "level", dec("5.01"), nil, "outside -100000000000..5"},
		{"a decimal with a huge exponent is refused before rounding", "level", dec("1e3000000"), nil, "is out of range"},
		{"a negative decimal with a huge exponent is refused", "level", dec("-1e3000000"), nil, "is out of range"},
		{"a decimal finer than 10^-40 is refused before rounding", "level", dec("1e-3000000"), nil, "is out of range"},
		{"a decimal at 10^40 is refused", "level", dec("1e40"), nil, "is out of range"},
		{"zero with a huge exponent is zero", "level", dec("0e-3000000"), dec("0"), ""},
		{"trailing zeros beyond 40 places are not places", "level", dec("1." + strings.Repeat("0", 60)), dec("1"), ""},
		{"money with a huge exponent is refused before rounding", "amount", crm.Money{Amount: dec("1e3000000"), Currency: "USD"}, nil, "is out of range"},
		{"money finer than 10^-40 is refused", "amount", crm.Money{Amount: dec("1e-3000000"), Currency: "USD"}, nil, "is out of range"},
		{"money zero with a huge exponent is zero", "amount", crm.Money{Amount: dec("0e3000000"), Currency: "USD"}, crm.MustMoney("0.00 USD"), ""},

		{"1753-01-01 exactly is the earliest time", "seenon", crm.EarliestTime, crm.EarliestTime, ""},
		{"the last microsecond of 9999 is the latest time", "seenon", crm.LatestTime, crm.LatestTime, ""},
		{"nanoseconds after the latest microsecond are truncated into range", "seenon", crm.LatestTime.Add(999), crm.LatestTime, ""},
		{"a time after 9999 is refused", "seenon", crm.LatestTime.Add(time.Microsecond), nil, "after 9999-12-31"},
		{"a time in year 300000 is refused", "seenon", time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC), nil, "after 9999-12-31"},
		{"a time near the end of int64 seconds is refused", "seenon", huge, nil, "after 9999-12-31"},
		{"a time far before year 1 is refused", "seenon", time.Unix(math.MinInt64/2, 0), nil, "before 1753-01-01"},
		{"the range is checked in UTC", "seenon", time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("", -2*3600)), nil, "after 9999-12-31"},
		{"a date-only 9999-12-31 is kept", "bornon", time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("", -2*3600)), date(9999, 12, 31), ""},
		{"a date-only year 10000 is refused", "bornon", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), nil, "after 9999-12-31"},
		{"a date-only 1753-01-01 is kept", "bornon", crm.EarliestTime, crm.EarliestTime, ""},

		{"a choice beyond int32 does not wrap onto an option", "kind", int64(1) << 32, nil, "is not an option"},
		{"a choice beyond int32 plus one does not wrap onto an option", "kind", int64(1)<<32 + 1, nil, "is not an option"},
		{"a negative choice beyond int32 does not wrap", "kind", -int64(1) << 32, nil, "is not an option"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := gauge.CheckCreate(crm.Fields{tt.field: tt.value})
			if tt.reason != "" {
				require.Error(t, err)
				require.Contains(t, validationFields(t, err)[tt.field], tt.reason)
				return
			}
			require.NoError(t, err)
			require.True(t, crm.SameValue(tt.want, got[tt.field]), "got %v, want %v", got[tt.field], tt.want)
			_, err = gauge.CheckUpdate(crm.Fields{tt.field: tt.value})
			require.NoError(t, err, "an update takes what a create takes")
		})
	}
}

func TestRegistryRefusesBoundsNoStoreHolds(t *testing.T) {
	for _, tt := range []struct {
		name   string
		field  crm.Field
		reason string
	}{
		{"a decimal maximum beyond 38 digits", crm.Field{Name: "x", Type: crm.TypeDecimal, Precision: 10, Max: decPtr("1e28")}, "max 10000000000000000000000000000 is beyond the 38 digits a decimal field holds at 10 places"},
		{"a decimal minimum beyond 38 digits", crm.Field{Name: "x", Type: crm.TypeDecimal, Min: decPtr("-1e38")}, "min -100000000000000000000000000000000000000 is beyond the 38 digits"},
		{"a money maximum beyond the range of money", crm.Field{Name: "x", Type: crm.TypeMoney, Max: decPtr("922337203685478")}, "outside -922337203685477..922337203685477"},
		{"a bound with a huge exponent, before any arithmetic", crm.Field{Name: "x", Type: crm.TypeInteger, Min: decPtr("1e3000000"), Max: decPtr("1e3000001")}, "min is out of range"},
		{"a bound finer than 10^-40", crm.Field{Name: "x", Type: crm.TypeDecimal, Min: decPtr("1e-3000000")}, "min is out of range"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := crm.NewRegistry().Register(&crm.Entity{Name: "thing", Fields: []crm.Field{tt.field}})
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.reason)
		})
	}
	t.Run("the widest bounds every store keeps are taken", func(t *testing.T) {
		require.NoError(t, crm.NewRegistry().Register(&crm.Entity{Name: "thing", Fields: []crm.Field{
			{Name: "d", Type: crm.TypeDecimal, Precision: 10, Min: decPtr("-9999999999999999999999999999.9999999999"), Max: decPtr("9999999999999999999999999999.9999999999")},
			{Name: "p", Type: crm.TypeDecimal, Max: decPtr("999999999999999999999999999999999999")},
			{Name: "m", Type: crm.TypeMoney, Min: decPtr("-922337203685477"), Max: decPtr("922337203685477")},
		}}))
	})
}
