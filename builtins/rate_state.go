package builtins

import (
	"sort"
	"time"
)

// RateCounter is the state of one rate() key, for the hook tester and
// the control API.
type RateCounter struct {
	Namespace string `json:"namespace"`
	Entry     string `json:"entry"`
	// Events is the number of events inside Interval, the longest window
	// the key was queried with.
	Events   int           `json:"events"`
	Interval time.Duration `json:"-"`
}

// Counters returns every key of the store with events in its window,
// ordered by namespace and entry.
func (s *RateStore) Counters() []RateCounter {
	var out []RateCounter
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		now := s.clock()
		for key, c := range sh.counters {
			if n := c.countSince(now - c.span); n > 0 {
				out = append(out, RateCounter{Namespace: key.namespace, Entry: key.entry, Events: n, Interval: c.span})
			}
		}
		sh.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Entry < out[j].Entry
	})
	return out
}

// RateCounters returns the counters of the process-wide store that rate()
// uses.
func RateCounters() []RateCounter { return defaultRateStore.Counters() }

// ResetRates empties the process-wide rate() store. Runs in progress may
// still count against the old store; the hook tester calls it between
// test files, when no script runs.
func ResetRates() { defaultRateStore = NewRateStore() }
