// Command slowsink is an SMTP server that takes its time: it accepts every
// message but waits before it reads the data, so every delivery holds its
// connection open. It counts the sessions open at once and prints the
// peak, for measuring how many simultaneous outbound connections an MTA
// holds and what they cost it.
//
//	slowsink -listen 127.0.0.1:2726 -delay 10m
//
// It listens on loopback only. Every second it prints the open sessions,
// their peak and the messages received so far; SIGINT or SIGTERM ends it.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emersion/go-smtp"
)

type backend struct {
	delay    time.Duration
	open     atomic.Int64
	peak     atomic.Int64
	received atomic.Int64
}

type session struct{ b *backend }

func (b *backend) NewSession(*smtp.Conn) (smtp.Session, error) {
	n := b.open.Add(1)
	for {
		p := b.peak.Load()
		if n <= p || b.peak.CompareAndSwap(p, n) {
			break
		}
	}
	return &session{b}, nil
}

func (s *session) Mail(string, *smtp.MailOptions) error { return nil }
func (s *session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *session) Reset()                               {}

func (s *session) Data(r io.Reader) error {
	time.Sleep(s.b.delay)
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	s.b.received.Add(1)
	return nil
}

func (s *session) Logout() error {
	s.b.open.Add(-1)
	return nil
}

func main() {
	listen := flag.String("listen", "127.0.0.1:2726", "loopback `address` to listen on")
	delay := flag.Duration("delay", 10*time.Minute, "how long each message waits before its data is read")
	flag.Parse()

	host, _, err := net.SplitHostPort(*listen)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(os.Stderr, "slowsink: -listen %q: want a loopback address and port\n", *listen)
		os.Exit(2)
	}

	b := &backend{delay: *delay}
	srv := smtp.NewServer(b)
	srv.Addr = *listen
	srv.Domain = "slowsink.test"
	srv.ReadTimeout = *delay + time.Minute
	srv.WriteTimeout = time.Minute
	srv.MaxRecipients = 1000
	srv.AllowInsecureAuth = true

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "slowsink:", err)
		os.Exit(1)
	}
	go srv.Serve(ln)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	tick := time.NewTicker(time.Second)
	for {
		select {
		case <-stop:
			ln.Close()
			fmt.Printf("peak=%d received=%d\n", b.peak.Load(), b.received.Load())
			return
		case <-tick.C:
			fmt.Printf("open=%d peak=%d received=%d\n", b.open.Load(), b.peak.Load(), b.received.Load())
		}
	}
}
