package builtins

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a manually advanced clock for RateStore tests.
type fakeClock struct{ now atomic.Int64 }

func (c *fakeClock) read() time.Duration     { return time.Duration(c.now.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.now.Add(int64(d)) }
func (c *fakeClock) set(d time.Duration)     { c.now.Store(int64(d)) }
func newFakeRateStore() (*RateStore, *fakeClock) {
	clock := &fakeClock{}
	clock.set(time.Hour) // start away from zero so windows reaching back stay positive
	return newRateStoreWithClock(clock.read), clock
}

func TestRateExactAtLimit(t *testing.T) {
	s, clock := newFakeRateStore()

	for i := 0; i < 10; i++ {
		if !s.Take("ns", "k", 10, time.Minute) {
			t.Fatalf("event %d refused, want accepted", i+1)
		}
		clock.advance(time.Second)
	}
	if s.Take("ns", "k", 10, time.Minute) {
		t.Fatal("11th event in the window accepted, want refused")
	}
	if got := s.Count("ns", "k", time.Minute); got != 10 {
		t.Fatalf("count = %d, want 10", got)
	}

	// The window is (now - 60 s, now]. The first event, at 0 s, is still
	// inside at 59 s and has just left at 60 s.
	clock.set(time.Hour + 59*time.Second)
	if s.Take("ns", "k", 10, time.Minute) {
		t.Fatal("event at 59 s accepted while 10 events are in the window")
	}
	clock.set(time.Hour + 60*time.Second)
	if !s.Take("ns", "k", 10, time.Minute) {
		t.Fatal("event at 60 s refused although the oldest event aged out")
	}
	if s.Take("ns", "k", 10, time.Minute) {
		t.Fatal("second event at 60 s accepted, only one slot was freed")
	}
}

func TestRateRefusedNotRecorded(t *testing.T) {
	s, _ := newFakeRateStore()

	var got string
	for i := 0; i < 5; i++ {
		if s.Take("refused", "k", 2, time.Hour) {
			got += "T"
		} else {
			got += "F"
		}
	}
	if got != "TTFFF" {
		t.Fatalf("results = %s, want TTFFF", got)
	}
	if n := s.Count("refused", "k", time.Hour); n != 2 {
		t.Fatalf("count = %d, want 2", n)
	}
	if !s.Take("refused", "k", 3, time.Hour) {
		t.Fatal("raising the limit did not admit a third event")
	}
}

func TestRateKeysIndependent(t *testing.T) {
	s, _ := newFakeRateStore()

	if !s.Take("login", "alice", 1, time.Minute) {
		t.Fatal("first alice event refused")
	}
	if s.Take("login", "alice", 1, time.Minute) {
		t.Fatal("second alice event accepted")
	}
	if !s.Take("login", "bob", 1, time.Minute) {
		t.Fatal("bob refused because of alice")
	}
	if !s.Take("other", "alice", 1, time.Minute) {
		t.Fatal("namespace other refused because of login")
	}
	// The key is the pair, not the concatenation.
	if !s.Take("a\x00b", "c", 1, time.Minute) || !s.Take("a", "b\x00c", 1, time.Minute) {
		t.Fatal("keys that concatenate alike share a counter")
	}
}

func TestRateCountUnknownKey(t *testing.T) {
	s, _ := newFakeRateStore()
	if n := s.Count("none", "none", time.Minute); n != 0 {
		t.Fatalf("count of unknown key = %d, want 0", n)
	}
	if s.Len() != 0 {
		t.Fatalf("Count created a counter: Len = %d", s.Len())
	}
}

func TestRateMixedIntervals(t *testing.T) {
	s, clock := newFakeRateStore()

	// Events recorded through a short window stay visible to a longer one.
	for i := 0; i < 3; i++ {
		s.Take("mix", "k", 100, time.Hour)
		clock.advance(10 * time.Minute)
	}
	s.Take("mix", "k", 100, time.Second)
	if n := s.Count("mix", "k", time.Hour); n != 4 {
		t.Fatalf("hour count = %d, want 4", n)
	}
	if n := s.Count("mix", "k", time.Second); n != 1 {
		t.Fatalf("second count = %d, want 1", n)
	}
}

func TestRateIdleCountersDropped(t *testing.T) {
	s, clock := newFakeRateStore()

	for i := 0; i < 1000; i++ {
		s.Take("idle", fmt.Sprint(i), 1, time.Second)
	}
	clock.advance(2 * time.Second)

	// Spread traffic over 1000 other keys so that every shard performs
	// enough operations to sweep at least once.
	for i := 0; i < 4*rateShardCount*rateSweepMin; i++ {
		s.Take("busy", fmt.Sprint(i%1000), 1_000_000, time.Second)
	}
	if n := s.Len(); n != 1000 {
		t.Fatalf("Len = %d after the idle counters aged out, want the 1000 busy ones", n)
	}
	for i := 0; i < 1000; i++ {
		if n := s.Count("idle", fmt.Sprint(i), time.Second); n != 0 {
			t.Fatalf("idle key %d still counts %d events", i, n)
		}
	}
}

func TestRateCompactionKeepsOrder(t *testing.T) {
	s, clock := newFakeRateStore()

	// Push many events through a small window so prune compacts repeatedly.
	accepted := 0
	for i := 0; i < 5000; i++ {
		if s.Take("compact", "k", 50, time.Second) {
			accepted++
		}
		clock.advance(10 * time.Millisecond)
	}
	// 50 events per second over 50 seconds.
	if accepted != 2500 {
		t.Fatalf("accepted = %d, want 2500", accepted)
	}
	// Events were accepted from 49.00 s to 49.49 s. At 50.00 s the one at
	// 49.00 s has just left the window (49.00 s, 50.00 s].
	if n := s.Count("compact", "k", time.Second); n != 49 {
		t.Fatalf("count = %d, want 49", n)
	}
}

func TestRateConcurrentExact(t *testing.T) {
	s := NewRateStore()

	const goroutines = 100
	var accepted atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				if s.Take("race", "k", 777, time.Hour) {
					accepted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := accepted.Load(); n != 777 {
		t.Fatalf("accepted = %d across goroutines, want exactly 777", n)
	}
	if n := s.Count("race", "k", time.Hour); n != 777 {
		t.Fatalf("count = %d, want 777", n)
	}
}

func BenchmarkRateStoreTake(b *testing.B) {
	s := NewRateStore()
	for b.Loop() {
		s.Take("bench", "k", 1<<30, time.Millisecond)
	}
}

// BenchmarkRate measures rate() on the process-wide store: the Go entry
// point alone, and the builtin called from an HSL loop, each with one
// goroutine and with 1,000 goroutines on one key and on a key each.
func BenchmarkRate(b *testing.B) {
	b.Run("store/uncontended", func(b *testing.B) {
		s := NewRateStore()
		reportCPUPerOp(b, func() {
			for b.Loop() {
				s.Take("bench", "k", 1<<30, time.Hour)
			}
		})
	})
	// With a window of 1 ns every earlier event has aged out, so this is the
	// cost of a call on a key with a short history.
	b.Run("store/uncontended-short-history", func(b *testing.B) {
		s := NewRateStore()
		reportCPUPerOp(b, func() {
			for b.Loop() {
				s.Take("bench", "k", 1<<30, time.Nanosecond)
			}
		})
	})
	b.Run("store/1000-goroutines-one-key", func(b *testing.B) {
		s := NewRateStore()
		b.SetParallelism(parallelismFor(1000))
		reportCPUPerOp(b, func() {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					s.Take("bench", "k", 1<<30, time.Hour)
				}
			})
		})
	})
	b.Run("store/1000-goroutines-own-keys", func(b *testing.B) {
		s := NewRateStore()
		var next atomic.Int64
		b.SetParallelism(parallelismFor(1000))
		reportCPUPerOp(b, func() {
			b.RunParallel(func(pb *testing.PB) {
				key := fmt.Sprint(next.Add(1))
				for pb.Next() {
					s.Take("bench", key, 1<<30, time.Hour)
				}
			})
		})
	})

	// The window is long and the limit high, so every call records an
	// event, as the worst case does.
	b.Run("hsl/uncontended", func(b *testing.B) {
		benchScriptCalls(b, `rate("bench-hsl", "k", 1000000000, 3600)`, 1)
	})
	b.Run("hsl/1000-goroutines-one-key", func(b *testing.B) {
		benchScriptCalls(b, `rate("bench-hsl", "k", 1000000000, 3600)`, 1000)
	})
}
