package builtins

import (
	"hash/maphash"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/halonsh/halonsh/lang/vm"
)

func init() {
	registerFuncs(map[string]vm.BuiltinFunc{"rate": builtinRate})
}

// builtinRate is rate(namespace, entry, count, interval [, options]).
// With count > 0 it records an event and returns true unless count events
// already lie in the last interval seconds, in which case it returns false
// and records nothing. With count 0 it returns the number of events in the
// window. The sync option is accepted; without a cluster it has no effect.
func builtinRate(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 4, 5); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	namespace, err := a.str(0, "namespace")
	if err != nil {
		return vm.None, err
	}
	entry, err := a.str(1, "entry")
	if err != nil {
		return vm.None, err
	}
	count, err := a.integer(2, "count")
	if err != nil {
		return vm.None, err
	}
	seconds, err := a.num(3, "interval")
	if err != nil {
		return vm.None, err
	}
	opts, err := a.options(4)
	if err != nil {
		return vm.None, err
	}
	if _, err := opts.boolean("sync", true); err != nil {
		return vm.None, err
	}

	if count < 0 {
		return vm.None, c.Errorf("argument 3 (count) must not be negative, got %d", count)
	}
	if !(seconds > 0) || seconds > maxRateInterval.Seconds() {
		return vm.None, c.Errorf("argument 4 (interval) must be a positive number of seconds, got %s", vm.FormatNumber(seconds))
	}
	interval := time.Duration(math.Ceil(seconds * float64(time.Second)))

	if count == 0 {
		return vm.Int(defaultRateStore.Count(namespace, entry, interval)), nil
	}
	limit := int(min(count, math.MaxInt32))
	return vm.Bool(defaultRateStore.Take(namespace, entry, limit, interval)), nil
}

// maxRateInterval keeps the window within time.Duration.
const maxRateInterval = 100 * 365 * 24 * time.Hour

// rateShardCount splits the rate() counters over independent locks so that
// runs counting different keys rarely wait for each other. A power of two,
// so the shard index is a mask of the key hash.
const rateShardCount = 64

// rateSweepMin is the least number of operations a shard performs between
// sweeps that drop idle counters. A sweep walks the whole shard, so sweeps
// also wait for twice the shard's size in operations, which keeps the
// amortised cost per operation constant.
const rateSweepMin = 256

// RateStore holds the sliding-window counters behind rate(). One store is
// shared by every run in the process; all methods are safe for concurrent
// use and atomic per (namespace, entry).
//
// Each counter keeps the time of every accepted event inside its window,
// so the limit is exact. With a limit of 10 per 60 s, the eleventh event
// inside any 60-second window is rejected. A slot frees up the moment the
// oldest event is more than 60 s old. Memory per counter is therefore
// bounded by the largest limit used with it.
type RateStore struct {
	seed   maphash.Seed
	clock  func() time.Duration
	shards [rateShardCount]rateShard
}

type rateShard struct {
	mu       sync.Mutex
	counters map[rateKey]*rateCounter
	ops      int

	// Pad the shard to its own cache lines so that neighbouring locks do
	// not contend through false sharing.
	_ [40]byte
}

type rateKey struct {
	namespace, entry string
}

// rateCounter is the event history of one key.
type rateCounter struct {
	// events[head:] are the accepted event times in ascending order.
	events []time.Duration
	head   int

	// span is the longest interval this key was queried with. Events older
	// than span can never be counted again and are dropped.
	span time.Duration
}

var processStart = time.Now()

// monotonicNow returns the time since process start on the monotonic clock,
// so a wall-clock step never moves a rate window. Under a simulated script
// clock (vm.SetClock, used by the hook tester) it follows that clock
// instead, counted from the Unix epoch so it stays positive.
func monotonicNow() time.Duration {
	if vm.ClockSet() {
		return vm.Now().Sub(time.Unix(0, 0))
	}
	return time.Since(processStart)
}

// NewRateStore returns an empty store that reads the monotonic clock.
func NewRateStore() *RateStore {
	return newRateStoreWithClock(monotonicNow)
}

// newRateStoreWithClock lets tests drive the window with a fake clock. The
// clock must never go backwards.
func newRateStoreWithClock(clock func() time.Duration) *RateStore {
	s := &RateStore{seed: maphash.MakeSeed(), clock: clock}
	for i := range s.shards {
		s.shards[i].counters = make(map[rateKey]*rateCounter)
	}
	return s
}

// defaultRateStore is the process-wide store that rate() uses.
var defaultRateStore = NewRateStore()

func (s *RateStore) shard(key rateKey) *rateShard {
	// Mixing the two hashes with a multiply keeps ("ab", "c") and
	// ("a", "bc") apart without building a joined string.
	h := maphash.String(s.seed, key.namespace)*0x9e3779b97f4a7c15 ^ maphash.String(s.seed, key.entry)
	return &s.shards[(h>>32)&(rateShardCount-1)]
}

// Take records an event for (namespace, entry) if fewer than limit events
// were recorded in the last interval, and reports whether it did. A refused
// event is not recorded. limit must be at least 1 and interval positive.
func (s *RateStore) Take(namespace, entry string, limit int, interval time.Duration) bool {
	key := rateKey{namespace, entry}
	sh := s.shard(key)

	sh.mu.Lock()
	defer sh.mu.Unlock()

	// Reading the clock under the lock keeps each counter's events in
	// ascending order even when many goroutines race for one key.
	now := s.clock()
	sh.maybeSweep(now)

	c := sh.counters[key]
	if c == nil {
		c = &rateCounter{span: interval}
		sh.counters[key] = c
	}
	if interval > c.span {
		c.span = interval
	}
	c.prune(now)

	if c.countSince(now-interval) >= limit {
		return false
	}
	c.events = append(c.events, now)
	return true
}

// Count returns the number of events of (namespace, entry) recorded in the
// last interval without recording one.
func (s *RateStore) Count(namespace, entry string, interval time.Duration) int {
	key := rateKey{namespace, entry}
	sh := s.shard(key)

	sh.mu.Lock()
	defer sh.mu.Unlock()

	c := sh.counters[key]
	if c == nil {
		return 0
	}
	return c.countSince(s.clock() - interval)
}

// Len returns the number of counters currently kept, idle ones included
// until the next sweep of their shard.
func (s *RateStore) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.counters)
		sh.mu.Unlock()
	}
	return n
}

// countSince returns the number of events strictly after start, that is in
// the window (start, now].
func (c *rateCounter) countSince(start time.Duration) int {
	live := c.events[c.head:]
	first := sort.Search(len(live), func(i int) bool { return live[i] > start })
	return len(live) - first
}

// prune drops events that no window of this key can reach any more and
// compacts the backing slice once most of it is dead.
func (c *rateCounter) prune(now time.Duration) {
	oldest := now - c.span
	for c.head < len(c.events) && c.events[c.head] <= oldest {
		c.head++
	}

	if c.head == len(c.events) {
		c.events = c.events[:0]
		c.head = 0
		return
	}
	if c.head >= 32 && c.head*2 >= len(c.events) {
		n := copy(c.events, c.events[c.head:])
		c.events = c.events[:n]
		c.head = 0
	}
}

// idle reports whether every event of the counter has left its window.
func (c *rateCounter) idle(now time.Duration) bool {
	return c.head == len(c.events) || c.events[len(c.events)-1] <= now-c.span
}

// maybeSweep drops the idle counters of the shard once enough operations
// have passed since the last sweep. The caller holds the shard lock.
func (sh *rateShard) maybeSweep(now time.Duration) {
	sh.ops++
	if sh.ops < rateSweepMin || sh.ops < 2*len(sh.counters) {
		return
	}
	sh.ops = 0

	for key, c := range sh.counters {
		if c.idle(now) {
			delete(sh.counters, key)
		}
	}
}
