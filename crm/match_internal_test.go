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

func TestSameValueComparesByValue(t *testing.T) {
	for _, c := range []struct {
		a, b any
		same bool
	}{
		{MustMoney("1.5 USD"), MustMoney("1.50 USD"), true},
		{MustMoney("1.5 USD"), MustMoney("1.5 EUR"), false},
		{Ref{Entity: "account", ID: ID{1}}, Ref{Entity: "account", ID: ID{1}}, true},
		{"a", "A", false},
		{nil, nil, true},
		{nil, "a", false},
	} {
		require.Equal(t, c.same, SameValue(c.a, c.b), "%v vs %v", c.a, c.b)
	}
}
