package hooktest

import (
	"github.com/halonsh/halonsh/builtins"
	"github.com/halonsh/halonsh/lang/vm"
	"github.com/halonsh/halonsh/mta/policy"
)

// useClock makes the process-wide script state (rate(), the cache
// statement, time()) follow the simulated clock, so that a five-minute
// cache TTL or a 60-second rate window passes in simulated time.
func useClock(clock *policy.FakeClock) {
	vm.SetClock(clock.Now)
}

// ResetSharedState empties the process-wide script state (memory store,
// rate counters, caches) so that each test file starts clean.
func ResetSharedState() {
	vm.ResetSharedState()
	builtins.ResetRates()
}
