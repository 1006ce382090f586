package benchcpu

import (
	"syscall"
	"time"
	"unsafe"
)

const clockThreadCPUTime = 3 // CLOCK_THREAD_CPUTIME_ID

// ThreadTime returns the CPU time the calling OS thread has used, and true;
// false where the platform cannot tell. Call runtime.LockOSThread first so
// the goroutine stays on one thread. Unlike wall time, it does not count the
// time the thread waits while other processes run, so on a busy machine it
// measures what the measured code itself costs.
func ThreadTime() (time.Duration, bool) {
	var ts syscall.Timespec
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
