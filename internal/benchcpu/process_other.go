//go:build !unix

package benchcpu

import "time"

// ProcessTime returns the user plus system CPU time the process has used;
// on this platform it cannot tell and returns zero.
func ProcessTime() time.Duration { return 0 }
