//go:build unix

package benchcpu

import (
	"syscall"
	"time"
)

// ProcessTime returns the user plus system CPU time the process has used
// (zero where the platform cannot tell).
func ProcessTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
