package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCustomFields(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	require.Equal(t, `gold members by points:
  Ada Lovelace: 1200 points
  Grace Hopper: 800 points
Silver tier holds 300 points
Gold tier holds 2000 points
added loy_nickname to the running store (schema version 2)
a process without the host's code learns loy_points, loy_tier, loy_nickname
and reads Ada Lovelace, Analyst: 1200 points, nickname Countess
`, out.String())
}
