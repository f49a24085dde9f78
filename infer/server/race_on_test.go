//go:build race

package server

// raceEnabled is true under -race, whose instrumentation slows the HTTP side enough to hide
// inference costs from throughput comparisons.
const raceEnabled = true
