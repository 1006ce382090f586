//go:build !linux

package benchcpu

import "time"

// ThreadTime returns the CPU time the calling OS thread has used; on this
// platform it cannot tell and returns false.
func ThreadTime() (time.Duration, bool) { return 0, false }
