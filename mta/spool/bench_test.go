package spool

import (
	"bytes"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkCommit measures durable message writes (4 KiB of data, one
// recipient) with several concurrent writers, for both sync modes. The
// msgs/s metric is the spool's acceptance rate; batch is the mean number of
// durability requests one sync round served.
func BenchmarkCommit(b *testing.B) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 256)
	for _, sm := range syncModes {
		for _, writers := range []int{1, 16, 256} {
			b.Run(fmt.Sprintf("%s/writers=%d", sm.name, writers), func(b *testing.B) {
				s, _, err := Open(b.TempDir(), Options{Sync: sm.mode, Logger: slog.New(slog.DiscardHandler)})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()

				var next atomic.Int64
				var wg sync.WaitGroup
				b.ResetTimer()
				for range writers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for next.Add(1) <= int64(b.N) {
							w, err := s.Create("")
							if err != nil {
								b.Error(err)
								return
							}
							w.Write(data)
							if err := w.Commit(&Message{Sender: "s@example.org", Recipients: []Recipient{{Address: "r@example.com"}}}); err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				b.StopTimer()

				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
				rounds, served := s.SyncStats()
				if rounds > 0 {
					b.ReportMetric(float64(served)/float64(rounds), "batch")
				}
			})
		}
	}
}

// BenchmarkDeliveredRemove measures the final update of a one-recipient
// message: the removal of its file, made durable.
func BenchmarkDeliveredRemove(b *testing.B) {
	for _, writers := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s, _, err := Open(b.TempDir(), Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			// The messages to remove are stored by 64 writers, so that the
			// untimed setup does not take longer than the measurement.
			ids := make([]string, b.N)
			var fill atomic.Int64
			var setup sync.WaitGroup
			for range 64 {
				setup.Add(1)
				go func() {
					defer setup.Done()
					for {
						i := fill.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						w, _ := s.Create("")
						w.Write([]byte("x"))
						m := &Message{Recipients: []Recipient{{Address: "r@example.com"}}}
						if err := w.Commit(m); err != nil {
							b.Error(err)
							return
						}
						ids[i] = m.ID
					}
				}()
			}
			setup.Wait()

			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						if err := s.Update(ids[i], Recipient{Queue: 0, Status: StatusDelivered}); err != nil {
							b.Error(err)
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
