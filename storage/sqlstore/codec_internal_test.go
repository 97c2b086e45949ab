package sqlstore

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// TestScaledInt64MatchesBigInt: the int64 fast path of encodeScaled gives
// the big.Int path's answer whenever it gives one, and gives one for the
// everyday values.
func TestScaledInt64MatchesBigInt(t *testing.T) {
	values := []string{
		"0", "1", "-1", "0.0001", "-0.0001", "12.5", "1234.5678", "-99.99",
		"1000", "1e3", "1.00000", "12345678901234.5678", "922337203685477.5807",
		"922337203685477.5808", "-922337203685477.5808", "-922337203685477.5809",
		"0.00001", "1.23456", "1e-30", "1e30", "123456789012345678901234567890",
		"9007199254740993", "9007199254740993.0001",
	}
	for _, scale := range []int32{0, 2, 4, 10} {
		for _, s := range values {
			d := decimal.RequireFromString(s)
			n := d.Shift(scale)
			got, ok := scaledInt64(scale, d)
			if !ok {
				if n.IsInteger() && n.BigInt().IsInt64() && n.BigInt().Int64() < 1e15 && n.BigInt().Int64() > -1e15 {
					t.Errorf("%s at scale %d: fast path declined %s", s, scale, n)
				}
				continue
			}
			require.True(t, n.IsInteger(), "%s at scale %d", s, scale)
			require.True(t, n.BigInt().IsInt64(), "%s at scale %d", s, scale)
			require.Equal(t, n.BigInt().Int64(), got, "%s at scale %d", s, scale)
		}
	}
}
