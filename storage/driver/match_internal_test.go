package driver

import (
	"strings"
	"testing"

	"github.com/crmkit/crmkit/crm"
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
		{crm.MustMoney("1.5 USD"), crm.MustMoney("1.50 USD"), true},
		{crm.MustMoney("1.5 USD"), crm.MustMoney("1.5 EUR"), false},
		{crm.Ref{Entity: "account", ID: crm.ID{1}}, crm.Ref{Entity: "account", ID: crm.ID{1}}, true},
		{"a", "A", false},
		{nil, nil, true},
		{nil, "a", false},
	} {
		require.Equal(t, c.same, crm.SameValue(c.a, c.b), "%v vs %v", c.a, c.b)
	}
}
