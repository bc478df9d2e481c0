package vm

import (
	"sync/atomic"
	"time"
)

// clock is the process-wide wall clock of script state that expires:
// `cache` entries, rate() windows and time(). A nil pointer means
// time.Now.
var clock atomic.Pointer[func() time.Time]

// Now returns the current time of the process-wide script clock.
func Now() time.Time {
	if f := clock.Load(); f != nil {
		return (*f)()
	}
	return time.Now()
}

// SetClock replaces the process-wide script clock; nil restores the real
// time. The hook tester uses it to run scripts on a simulated clock. It
// affects every run in the process, so a host that serves mail never
// calls it.
func SetClock(now func() time.Time) {
	if now == nil {
		clock.Store(nil)
		return
	}
	clock.Store(&now)
}

// ClockSet reports whether SetClock replaced the real time.
func ClockSet() bool { return clock.Load() != nil }
