//go:build race

package sales_test

// raceEnabled: the race detector slows SQLite (compiled Go) tenfold and
// more, so the largest tests shrink under it.
const raceEnabled = true
