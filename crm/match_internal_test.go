package crm

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCompareTextIsCompareOfFoldedText(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{"", ""}, {"a", ""}, {"", "a"}, {"ABC", "abc"}, {"abc", "ABD"}, {"Émile", "émile"}, {"Zeta", "émile"}, {"ab", "abc"},
	} {
		want := strings.Compare(FoldText(c.a), FoldText(c.b))
		require.Equal(t, want, compareText(c.a, c.b), "%q vs %q", c.a, c.b)
	}
}
