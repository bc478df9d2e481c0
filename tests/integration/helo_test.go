package integration

import (
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// heloSink records the EHLO name of every session.
type heloSink struct {
	mu    sync.Mutex
	names []string
}

func (h *heloSink) NewSession(c *smtp.Conn) (smtp.Session, error) {
	h.mu.Lock()
	h.names = append(h.names, c.Hostname())
	h.mu.Unlock()
	return heloSession{}, nil
}

type heloSession struct{}

func (heloSession) Mail(string, *smtp.MailOptions) error { return nil }
func (heloSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (heloSession) Data(r io.Reader) error               { _, err := io.Copy(io.Discard, r); return err }
func (heloSession) Reset()                               {}
func (heloSession) Logout() error                        { return nil }

// TestOutboundEHLOName checks where the EHLO name of an attempt comes
// from: the transport's session.helo when it has one, else the first
// server's hostname, never another transport's name.
func TestOutboundEHLOName(t *testing.T) {
	h := &heloSink{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(h)
	srv.Domain = "sink.test"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	port := ln.Addr().(*net.TCPAddr).Port

	dir := t.TempDir()
	cfg := fmt.Sprintf(`servers:
  - id: inbound
    hostname: mta.example.test
    transport: named
    listeners:
      - address: 127.0.0.1
        port: 0
  - id: second
    transport: plain
    listeners:
      - address: 127.0.0.1
        port: 0
resolver:
  address: 127.0.0.1:1
transportgroups:
  - id: named
    session: {tls: disabled, helo: named.example.test}
    transports:
      - id: named
        connection: {server: 127.0.0.1, port: %d, maxreuse: 1}
  - id: plain
    session: {tls: disabled}
    transports:
      - id: plain
        connection: {server: 127.0.0.1, port: %d, maxreuse: 1}
`, port, port)
	if err := os.WriteFile(filepath.Join(dir, "smtpd.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	mta := startMTA(t, dir, nil)

	// The first listener's mail goes through the transport with a name,
	// the second's through the one without.
	addrs := mta.Addrs()
	for i, id := range []string{"named", "plain"} {
		msgs := []testMessage{{from: "s@origin.test", to: id + "@dest.test", body: messageBody(id, 256)}}
		if got := inject(t, addrs[i].String(), msgs, 1); len(got) != 1 {
			t.Fatalf("message %s not accepted", id)
		}
		waitUntil(t, 20*time.Second, "session "+id, func() bool {
			h.mu.Lock()
			defer h.mu.Unlock()
			return len(h.names) > i
		})
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.names[0] != "named.example.test" {
		t.Errorf("EHLO %q through the transport with session.helo, want named.example.test", h.names[0])
	}
	if h.names[1] != "mta.example.test" {
		t.Errorf("EHLO %q through the transport without session.helo, want the first server's hostname mta.example.test", h.names[1])
	}
}
