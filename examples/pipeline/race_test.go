//go:build race

package main

// raceEnabled is true when the tests run under the race detector, which
// makes the story ten times slower: the test of the whole file then
// takes its first part.
const raceEnabled = true
