package smtpd

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-smtp"
)

// BenchmarkInbound measures accepted messages per second: 20 persistent
// client sessions on 127.0.0.1 send 4 KiB messages to the server, which
// stores each in a real spool and replies 250 once it is durable. The
// clients run in the same process.
func BenchmarkInbound(b *testing.B) {
	body := "Subject: bench\r\n\r\n" + strings.Repeat(strings.Repeat("0123456789abcdef", 4)+"\r\n", 62)
	for _, sessions := range []int{1, 20} {
		b.Run(fmt.Sprintf("sessions=%d", sessions), func(b *testing.B) {
			backend := newSpoolBackend(b)
			_, addr := startServer(b, Config{}, backend)

			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for range sessions {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, err := smtp.Dial(addr)
					if err != nil {
						b.Error(err)
						return
					}
					defer c.Close()
					for next.Add(1) <= int64(b.N) {
						if err := c.SendMail("s@bench.test", []string{"r@bench.test"}, strings.NewReader(body)); err != nil {
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
