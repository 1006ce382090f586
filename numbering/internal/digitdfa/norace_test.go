//go:build !race

package digitdfa

// raceEnabled reports whether the race detector is on: the library-pattern
// test matches fewer strings under it.
const raceEnabled = false
