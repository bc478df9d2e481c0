package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkDeliver measures 4 KiB deliveries to a go-smtp sink on
// 127.0.0.1 from several goroutines, with connection reuse and with a new
// connection per message.
func BenchmarkDeliver(b *testing.B) {
	body := "Subject: bench\r\n\r\n" + strings.Repeat(strings.Repeat("0123456789abcdef", 4)+"\r\n", 62)
	for _, reuse := range []bool{true, false} {
		for _, workers := range []int{1, 64} {
			b.Run(fmt.Sprintf("reuse=%v/workers=%d", reuse, workers), func(b *testing.B) {
				s := startSink(b, "127.0.0.1", 0, nil)
				cfg := Config{Logger: slog.New(slog.DiscardHandler), MaxMessagesPerConn: 1000}
				if !reuse {
					cfg.IdleTimeout = -1
				}
				c := NewClient(cfg)
				defer c.Close()

				var next atomic.Int64
				var wg sync.WaitGroup
				b.ResetTimer()
				for range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for next.Add(1) <= int64(b.N) {
							a := c.Deliver(context.Background(), &Request{Sender: "s@b.test", Recipients: []string{"r@b.test"},
								NextHop: s.addr, Data: strings.NewReader(body)})[0]
							if !a.Delivered() {
								b.Error(a.String())
								return
							}
						}
					}()
				}
				wg.Wait()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
}

// BenchmarkHeldConnections holds n deliveries open at once against a sink
// that waits before its end-of-data reply, and reports the heap and the
// goroutine count per held delivery while they wait. The sink's side of
// each connection runs in the same process and is included.
func BenchmarkHeldConnections(b *testing.B) {
	for _, n := range []int{1000, 4000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			for range b.N {
				s := startSink(b, "127.0.0.1", 0, nil)
				s.dataDelay = 3 * time.Second
				c := NewClient(Config{Logger: slog.New(slog.DiscardHandler)})

				var before runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				g0 := runtime.NumGoroutine()

				var wg sync.WaitGroup
				var failed atomic.Int64
				for i := range n {
					wg.Add(1)
					go func() {
						defer wg.Done()
						a := c.Deliver(context.Background(), &Request{Sender: "s@b.test", Recipients: []string{fmt.Sprintf("r%d@b.test", i)},
							NextHop: s.addr, Data: strings.NewReader("Subject: x\r\n\r\nx\r\n")})[0]
						if !a.Delivered() {
							failed.Add(1)
						}
					}()
				}
				// Measure while the sink holds every delivery in EOD.
				deadline := time.Now().Add(60 * time.Second)
				for s.open.Load() < int64(n) && time.Now().Before(deadline) {
					time.Sleep(50 * time.Millisecond)
				}
				held := s.open.Load()
				var during runtime.MemStats
				runtime.ReadMemStats(&during)
				goroutines := runtime.NumGoroutine() - g0
				wg.Wait()
				c.Close()

				if failed.Load() > 0 {
					b.Errorf("%d of %d deliveries failed", failed.Load(), n)
				}
				b.ReportMetric(float64(held), "held")
				b.ReportMetric(float64(during.HeapInuse-before.HeapInuse)/float64(n)/1024, "heap-KiB/conn")
				b.ReportMetric(float64(goroutines)/float64(n), "goroutines/conn")
			}
		})
	}
}
