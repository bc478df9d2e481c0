package queue

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

// blockDomain is an Admission that refuses every pickup for one domain
// with a concurrency refusal, and grants all others.
type blockDomain struct{ domain string }

func (b blockDomain) Acquire(f *Fields) (Grant, *Refusal) {
	if f.RecipientDomain == b.domain {
		return nil, &Refusal{Reason: "concurrency", Key: "per-domain: recipientdomain=" + b.domain}
	}
	return noGrant{}, nil
}

type countingDeliverer struct{ n atomic.Int64 }

func (d *countingDeliverer) Deliver(context.Context, *Attempt) *Result {
	d.n.Add(1)
	return &Result{Delivered: true, SMTP: &SMTPResult{Code: 250, State: "EOD"}}
}

// BenchmarkPickup measures one entry's way through the queue (routing,
// pickup, attempt, removal) while a backlog waits: half of it in the retry
// heap, half in a sub-queue whose pickups are refused. The cost per entry
// should not grow with the backlog.
func BenchmarkPickup(b *testing.B) {
	for _, backlog := range []int{0, 10_000, 1_000_000} {
		b.Run(fmt.Sprintf("backlog=%d", backlog), func(b *testing.B) {
			cfg, err := testConfigB("")
			if err != nil {
				b.Fatal(err)
			}
			del := &countingDeliverer{}
			q, err := New(Options{
				Config: cfg, Store: newMemStore(), Deliverer: del, Router: &mxRouter{},
				Admission: blockDomain{"blocked.test"},
				Logger:    slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError})),
			})
			if err != nil {
				b.Fatal(err)
			}
			q.Start()
			defer q.Stop(context.Background())

			later := time.Now().Add(time.Hour)
			waiting := make([]Message, 0, backlog)
			for i := range backlog {
				m := Message{ID: fmt.Sprintf("w%d", i), TransactionID: fmt.Sprintf("w%d", i), Recipient: "u@blocked.test", TransportID: "mx"}
				if i%2 == 0 {
					m.Recipient = "u@later.test"
					m.NextAttempt = later
				}
				waiting = append(waiting, m)
			}
			q.Add(waiting...)

			msgs := make([]Message, b.N)
			for i := range msgs {
				msgs[i] = Message{ID: fmt.Sprintf("m%d", i), TransactionID: fmt.Sprintf("m%d", i), Recipient: fmt.Sprintf("u@d%d.test", i%100), TransportID: "mx"}
			}
			b.ResetTimer()
			for i := 0; i < len(msgs); i += 1000 {
				q.Add(msgs[i:min(i+1000, len(msgs))]...)
			}
			for del.n.Load() < int64(b.N) {
				time.Sleep(50 * time.Microsecond)
			}
		})
	}
}
