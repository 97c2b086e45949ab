package sales_test

import (
	"os"
	"testing"

	"github.com/crmkit/crmkit/internal/crmtest"
	"github.com/crmkit/crmkit/sales"
	"github.com/stretchr/testify/require"
)

// TestDocDiagramsAreCurrent redraws the lifecycles from their tables and
// fails if the drawings in doc.go differ: the package doc never lies about
// the state machines.
func TestDocDiagramsAreCurrent(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	drawn := crmtest.Diagrams(string(src))
	lifecycles := []struct {
		name string
		draw func() (string, error)
	}{
		{"account", sales.AccountLifecycle().Mermaid},
		{"contact", sales.ContactLifecycle().Mermaid},
		{"lead", sales.LeadLifecycle().Mermaid},
		{"opportunity", sales.OpportunityLifecycle().Mermaid},
		{"product", sales.ProductLifecycle().Mermaid},
		{"quote", sales.QuoteLifecycle().Mermaid},
		{"order", sales.OrderLifecycle().Mermaid},
		{"invoice", sales.InvoiceLifecycle().Mermaid},
	}
	require.Len(t, drawn, len(lifecycles), "doc.go should show every lifecycle, in this order")
	for i, lc := range lifecycles {
		want, err := lc.draw()
		require.NoError(t, err)
		require.Equal(t, want, drawn[i], "the %s lifecycle in doc.go is out of date; paste:\n%s", lc.name, want)
	}
}
