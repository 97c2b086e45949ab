//go:build !race

package sales_test

const raceEnabled = false
