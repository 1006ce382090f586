//go:build race

package numbering

// raceEnabled reports whether the race detector is on: the tests that parse
// with the library check fewer numbers under it.
const raceEnabled = true
