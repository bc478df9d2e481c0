package policy

import (
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// stepClock advances ten microseconds on every reading, so a benchmark
// moves through time without a lock around the clock.
type stepClock struct{ n atomic.Int64 }

func (c *stepClock) Now() time.Time {
	return t0.Add(time.Duration(c.n.Add(1)) * 10 * time.Microsecond)
}

const (
	benchSources    = 100
	benchHosts      = 1000
	benchConditions = 1000
	benchDynamic    = 1000
)

// benchConfig has the Google rollup policy with 1,000 static conditions,
// each on one MX host, and a per-source policy.
func benchConfig(tb testing.TB) *Config {
	var b strings.Builder
	b.WriteString(`policies:
  - id: per-mx
    fields:
      - localip
      - remotemx:
          gsuite: ['*.google.com', '*.googlemail.com', '*.smtp.goog']
    conditions:
      - if: {remotemx: '#gsuite'}
        then: {concurrency: 10, rate: 50}
`)
	for i := range benchConditions - 1 {
		fmt.Fprintf(&b, "      - if: {remotemx: mx%d.cond.example}\n        then: {concurrency: 100000, rate: 1000, tag: c%d}\n", i, i)
	}
	b.WriteString(`    default: {concurrency: 100000, rate: 1000}
  - id: per-source
    fields: [localip]
    default: {concurrency: 1000000}
`)
	cfg, err := Load("bench.yaml", []byte(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// benchEngine returns an engine with 1,000 dynamic policies and 100,000
// live per-mx sub-queues (100 source IPs × 1,000 MX hosts), and the
// entries that address them. A third of the hosts match a static
// condition, a third a dynamic one, the rest the default.
func benchEngine(tb testing.TB) (*Engine, []Entry) {
	return benchEngineSized(tb, benchSources)
}

// benchEngineSized is benchEngine with sources × 1,000 sub-queues.
func benchEngineSized(tb testing.TB, sources int) (*Engine, []Entry) {
	entries := benchEntries(sources)
	return benchEngineFor(tb, entries), entries
}

// benchEntries returns sources × 1,000 entries, one per per-mx key.
func benchEntries(sources int) []Entry {
	entries := make([]Entry, 0, sources*benchHosts)
	for h := range benchHosts {
		var mx string
		switch h % 3 {
		case 0:
			mx = fmt.Sprintf("mx%d.cond.example", h/3)
		case 1:
			mx = fmt.Sprintf("mx%d.dyn.example", h/3)
		default:
			mx = fmt.Sprintf("mx%d.default.example", h/3)
		}
		for s := range sources {
			entries = append(entries, Entry{LocalIP: fmt.Sprintf("10.0.%d.%d", s/256, s%256), RemoteMX: mx})
		}
	}
	// Spread consecutive entries over sources and hosts alike, as a
	// scheduler walking many sub-queues would.
	for i := range entries {
		j := (i * 7919) % len(entries)
		entries[i], entries[j] = entries[j], entries[i]
	}
	return entries
}

// benchEngineFor returns an engine with the bench configuration, 1,000
// dynamic policies, and one sub-queue per entry, made by one pickup each.
func benchEngineFor(tb testing.TB, entries []Entry) *Engine {
	e := New(benchConfig(tb), WithClock(&stepClock{}), WithLogger(discardLogger))
	for i := range benchDynamic {
		_, _, err := e.AddPolicy(PolicyRequest{
			Fields:    []string{"localip", "remotemx"},
			Condition: map[string][]string{"remotemx": {fmt.Sprintf("mx%d.dyn.example", i)}},
			Limits:    Limits{Concurrency: 100000, Rate: Rate{1000, time.Second}},
			TTL:       time.Hour,
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	for i := range entries {
		l, r, ok := e.Pickup(&entries[i])
		if !ok {
			tb.Fatalf("warm-up pickup refused: %s", r.Reason)
		}
		l.Release()
	}
	return e
}

// BenchmarkPickup measures one pickup decision (suspend check, key
// building, limits, acquire) plus its release, with 100,000 live
// sub-queues, 1,000 static conditions and 1,000 dynamic policies.
//
// The 1k case keeps every sub-queue in the CPU caches; the 100k case
// shows the cost of cache misses on the sub-queue map and entries.
func BenchmarkPickup(b *testing.B) {
	for _, sources := range []int{1, benchSources} {
		b.Run(fmt.Sprintf("subqueues=%dk", sources), func(b *testing.B) {
			e, entries := benchEngineSized(b, sources)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPUTime()
			n := 0
			for i := 0; b.Loop(); i++ {
				l, _, ok := e.Pickup(&entries[i%len(entries)])
				if !ok {
					b.Fatal("refused")
				}
				l.Release()
				n++
			}
			reportCPU(b, cpu, n)
		})
	}
}

// reportCPU adds the process CPU time per operation since start as the
// metric cpu-ns/op.
func reportCPU(b *testing.B, start time.Duration, ops int) {
	if ops > 0 {
		b.ReportMetric(float64(processCPUTime()-start)/float64(ops), "cpu-ns/op")
	}
}

// BenchmarkPickupParallel is BenchmarkPickup from GOMAXPROCS goroutines.
func BenchmarkPickupParallel(b *testing.B) {
	e, entries := benchEngine(b)
	var next, ops atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPUTime()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(7777))
		for pb.Next() {
			ops.Add(1)
			i++
			l, _, ok := e.Pickup(&entries[i%len(entries)])
			if !ok {
				b.Fatal("refused")
			}
			l.Release()
		}
	})
	reportCPU(b, cpu, int(ops.Load()))
}

// BenchmarkPickupRefused measures a decision refused for concurrency.
func BenchmarkPickupRefused(b *testing.B) {
	e, entries := benchEngine(b)
	google := &Entry{LocalIP: "10.0.0.1", RemoteMX: "aspmx.l.google.com"}
	for range 10 {
		e.Pickup(google)
	}
	_ = entries
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPUTime()
	n := 0
	for b.Loop() {
		if _, _, ok := e.Pickup(google); ok {
			b.Fatal("granted")
		}
		n++
	}
	reportCPU(b, cpu, n)
}

// BenchmarkPickupSuspends is BenchmarkPickup at 100k sub-queues with
// 1,000 dynamic suspends on exact MX hosts and one wildcard suspend in
// force, none of which matches the entries picked up.
func BenchmarkPickupSuspends(b *testing.B) {
	e, entries := benchEngine(b)
	for i := range 1000 {
		_, _, err := e.AddSuspend(SuspendRequest{
			Fields: map[string][]string{"remotemx": {fmt.Sprintf("mx%d.suspended.example", i)}},
			TTL:    time.Hour,
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if _, _, err := e.AddSuspend(SuspendRequest{Fields: map[string][]string{"remotemx": {"*.suspended.example"}}, TTL: time.Hour}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPUTime()
	n := 0
	for i := 0; b.Loop(); i++ {
		l, _, ok := e.Pickup(&entries[i%len(entries)])
		if !ok {
			b.Fatal("refused")
		}
		l.Release()
		n++
	}
	reportCPU(b, cpu, n)
}

// BenchmarkConditionLookup measures finding the limits of a key after the
// cache was invalidated, as happens once per key after a dynamic policy
// changes: 2,000 conditions, indexed.
func BenchmarkConditionLookup(b *testing.B) {
	e, entries := benchEngine(b)
	st := e.state.Load()
	ps := st.policies[0]
	keys := make([][numFields]string, 1000)
	rolled := make([][numFields]bool, 1000)
	for i := range keys {
		buildKey(nil, ps.p, &entryValues{en: &entries[i]}, &keys[i], &rolled[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPUTime()
	n := 0
	for i := 0; b.Loop(); i++ {
		ps.lookup(&keys[i%len(keys)], &rolled[i%len(keys)], 0)
		n++
	}
	reportCPU(b, cpu, n)
}

// BenchmarkSubQueueMemory reports the heap bytes per live sub-queue,
// including its map entry, interned key and rate window, and the
// configuration and dynamic policies spread over the 100,000 sub-queues.
// The entries themselves are allocated before the first reading.
func BenchmarkSubQueueMemory(b *testing.B) {
	entries := benchEntries(benchSources)
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		e := benchEngineFor(b, entries)
		// A second round of pickups gives every key two rate events.
		for i := range entries {
			l, _, _ := e.Pickup(&entries[i])
			l.Release()
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		n := e.Len()
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "B/subqueue")
		b.ReportMetric(float64(n), "subqueues")
		runtime.KeepAlive(e)
	}
}
