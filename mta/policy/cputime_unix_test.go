//go:build unix

package policy

import (
	"syscall"
	"time"
)

// processCPUTime returns the user and system CPU time of the process. On
// a shared machine it measures the work a benchmark does more closely than
// wall time, which also counts time spent waiting for a core.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
