package policy

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var discardLogger = slog.New(slog.DiscardHandler)

const stressConfig = `
policies:
  - id: per-mx
    fields: [localip, remotemx]
    default: {concurrency: 3}
  - id: per-domain
    fields: [remotemx]
    default: {concurrency: 5}
  - id: global
    default: {concurrency: 40}
`

// TestConcurrencyNeverExceeded runs 10,000 goroutines that pick up and
// release at random while others sweep and reload, and checks after every
// grant that no key holds more attempts than its concurrency.
func TestConcurrencyNeverExceeded(t *testing.T) {
	cfg, err := Load("stress.yaml", []byte(stressConfig))
	if err != nil {
		t.Fatal(err)
	}
	e := New(cfg, WithClock(NewFakeClock(t0)), WithLogger(discardLogger))

	const ips, mxs = 4, 3
	var perMX [ips][mxs]atomic.Int32
	var perDomain [mxs]atomic.Int32
	var global atomic.Int32
	var violations, grants atomic.Int64

	stop := make(chan struct{})
	var background sync.WaitGroup
	background.Add(2)
	go func() {
		defer background.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
				e.Sweep()
			}
		}
	}()
	go func() {
		defer background.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				next, err := Load("stress.yaml", []byte(stressConfig))
				if err != nil {
					t.Error(err)
					return
				}
				e.Reload(next)
			}
		}
	}()

	var entries [ips][mxs]Entry
	for ip := range ips {
		for mx := range mxs {
			entries[ip][mx] = Entry{LocalIP: fmt.Sprintf("10.0.0.%d", ip), RemoteMX: fmt.Sprintf("mx%d.example.com", mx)}
		}
	}

	var wg sync.WaitGroup
	for g := range 10000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for range 4 {
				ip, mx := rng.IntN(ips), rng.IntN(mxs)
				l, _, ok := e.Pickup(&entries[ip][mx])
				if !ok {
					continue
				}
				grants.Add(1)
				a := perMX[ip][mx].Add(1)
				b := perDomain[mx].Add(1)
				c := global.Add(1)
				if a > 3 || b > 5 || c > 40 {
					violations.Add(1)
				}
				if rng.IntN(2) == 0 {
					runtime.Gosched() // hold the slot while others run
				}
				perMX[ip][mx].Add(-1)
				perDomain[mx].Add(-1)
				global.Add(-1)
				l.Release()
			}
		}()
	}
	wg.Wait()
	close(stop)
	background.Wait()

	if v := violations.Load(); v > 0 {
		t.Errorf("%d grants exceeded a concurrency limit", v)
	}
	if grants.Load() == 0 {
		t.Error("no pickup was granted")
	}
	for _, s := range e.SubQueues() {
		if s.InFlight != 0 {
			t.Errorf("%s: %d in flight after every release", s.Key, s.InFlight)
		}
	}
	t.Logf("%d grants", grants.Load())
}

// TestRateAccuracy drives each rate with far more demand than it allows
// over a simulated minute and checks the admitted count against the
// configured rate, and that no window ever holds more than the limit.
func TestRateAccuracy(t *testing.T) {
	cases := []struct {
		rate string
		want int // admitted in 60 s
	}{
		{"100", 6000},
		{"50/10", 300},
		{"7/1.5", 280},
		{"1000/60", 1000},
	}
	for _, c := range cases {
		t.Run(c.rate, func(t *testing.T) {
			yaml := "policies:\n  - fields: [remotemx]\n    default: {rate: \"" + c.rate + "\"}\n"
			cfg, err := Load("rate.yaml", []byte(yaml))
			if err != nil {
				t.Fatal(err)
			}
			r := cfg.Policies[0].Default.Rate
			clock := NewFakeClock(t0)
			e := New(cfg, WithClock(clock))
			en := entry("10.0.0.1", "mx.example.com")

			rng := rand.New(rand.NewPCG(1, 2))
			var admitted []time.Duration
			for at := time.Duration(0); at < time.Minute; at += time.Duration(rng.IntN(8000)) * time.Microsecond {
				clock.Set(t0.Add(at))
				if l, _, ok := e.Pickup(en); ok {
					admitted = append(admitted, at)
					l.Release()
				}
			}

			got := len(admitted)
			if diff := float64(got-c.want) / float64(c.want); diff > 0.01 || diff < -0.01 {
				t.Errorf("admitted %d in 60 s, want %d ± 1%%", got, c.want)
			}
			for i := range admitted {
				j := i
				for j < len(admitted) && admitted[j]-admitted[i] < r.Interval {
					j++
				}
				if j-i > r.Count {
					t.Fatalf("%d events in the window from %v, limit %d", j-i, admitted[i], r.Count)
				}
			}
		})
	}
}
