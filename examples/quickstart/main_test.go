package main

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQuickstart(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testStory(t, "") })
	t.Run("postgres", func(t *testing.T) {
		dsn := os.Getenv("CRMKIT_POSTGRES_DSN")
		if dsn == "" {
			if os.Getenv("CRMKIT_REQUIRE_POSTGRES") == "1" {
				t.Fatal("CRMKIT_REQUIRE_POSTGRES=1 but CRMKIT_POSTGRES_DSN is not set")
			}
			t.Skip("set CRMKIT_POSTGRES_DSN=postgres://... to run the story on PostgreSQL (.ci/start-postgres starts one)")
		}
		testStory(t, dsn)
	})
}

func testStory(t *testing.T, dsn string) {
	var first, second bytes.Buffer
	require.NoError(t, run(context.Background(), &first, dsn))

	t.Run("tells the whole story", func(t *testing.T) {
		for _, line := range []string{
			"imported 15 accounts in one transaction",
			"Acme Corporation (revenue 1100040000.00 USD) has 4 sub-accounts:",
			"making Acme Corporation a subsidiary of Bluth Company is refused: parentaccountid would make the record its own ancestor",
			"  page 1: Sam Adams, Tom Baker, Ann Chen",
			"  page 2: Maria Lopez, Eve Moss",
			"a contact without a last name is refused: lastname is required",
			"still 15 accounts: nothing was stored",
			"colleague 2 saves from the same version: refused with a version conflict, nothing overwritten",
			"Genco Pura Olive Oil Company deactivated: state Inactive, status reason Inactive",
			"deleted Sonron: its 2 contacts went with it (6 contacts left)",
		} {
			require.Contains(t, first.String(), line+"\n")
		}
	})

	t.Run("prints the same on every run", func(t *testing.T) {
		require.NoError(t, run(context.Background(), &second, dsn))
		require.Equal(t, first.String(), second.String())
	})
}
