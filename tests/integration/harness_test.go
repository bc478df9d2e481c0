// Package integration runs the MTA against real components on 127.0.0.1.
// A miekg/dns server gives every test domain an MX host on its own
// 127.0.0.x address, and go-smtp sinks on those addresses record what they
// receive. The MTA runs in process or as a `halonsh serve` process.
package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/miekg/dns"

	"github.com/halonsh/halonsh/mta/queue"
	"github.com/halonsh/halonsh/mta/server"
)

// domainIP returns the sink address of test domain number i: 127.0.0.10
// and up.
func domainIP(i int) string { return fmt.Sprintf("127.0.0.%d", 10+i) }

func domainName(i int) string { return fmt.Sprintf("d%02d.test", i) }

// startDNS serves MX and A records: domain dNN.test has the MX host
// mx.dNN.test, whose address is domainIP(NN). Other names get NXDOMAIN.
func startDNS(t *testing.T, domains int) string {
	t.Helper()
	records := map[string]string{} // mx host → IP
	for i := range domains {
		records["mx."+domainName(i)+"."] = domainIP(i)
	}

	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		resp := new(dns.Msg)
		resp.SetReply(req)
		resp.Authoritative = true
		q := req.Question[0]
		name := strings.ToLower(q.Name)
		host := "mx." + name
		switch {
		case q.Qtype == dns.TypeMX && records[host] != "":
			resp.Answer = append(resp.Answer, &dns.MX{
				Hdr:        dns.RR_Header{Name: q.Name, Rrtype: dns.TypeMX, Class: dns.ClassINET, Ttl: 300},
				Preference: 10, Mx: host,
			})
		case q.Qtype == dns.TypeA && records[name] != "":
			resp.Answer = append(resp.Answer, &dns.A{
				Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300},
				A:   net.ParseIP(records[name]),
			})
		case records[name] != "" || records[host] != "":
			// The name exists without records of this type (AAAA).
		default:
			resp.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(resp)
	})
	srv := &dns.Server{PacketConn: pc, Handler: handler}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

// received is one message a sink accepted.
type received struct {
	from string
	to   string
	data []byte
	at   time.Time // by the sink's clock, at the end of DATA
}

// sink is a go-smtp server that records every message and the number of
// transactions in progress at once (from MAIL FROM to the end of DATA).
type sink struct {
	addr  string
	clock func() time.Time

	mu       sync.Mutex
	messages []received
	active   int
	peak     int
	// delay is waited before the reply to DATA.
	delay time.Duration
	// reply, when set, returns the reply to each RCPT TO; nil accepts.
	reply func(rcpt string) *smtp.SMTPError
	rcpts int // RCPT TO commands seen

	srv *smtp.Server
}

type sinkSession struct {
	s        *sink
	from     string
	to       []string
	inTx     bool
	accepted bool
}

func (ss *sinkSession) endTx() {
	if ss.inTx {
		ss.s.mu.Lock()
		ss.s.active--
		ss.s.mu.Unlock()
		ss.inTx = false
	}
	ss.from, ss.to = "", nil
}

func (ss *sinkSession) Reset()        { ss.endTx() }
func (ss *sinkSession) Logout() error { ss.endTx(); return nil }

func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	ss.inTx = true
	ss.s.mu.Lock()
	ss.s.active++
	ss.s.peak = max(ss.s.peak, ss.s.active)
	ss.s.mu.Unlock()
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	ss.s.rcpts++
	reply := ss.s.reply
	ss.s.mu.Unlock()
	if reply != nil {
		if err := reply(to); err != nil {
			return err
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.s.delay > 0 {
		time.Sleep(ss.s.delay)
	}
	ss.s.mu.Lock()
	for _, to := range ss.to {
		ss.s.messages = append(ss.s.messages, received{from: ss.from, to: to, data: data, at: ss.s.clock()})
	}
	ss.s.mu.Unlock()
	ss.endTx()
	return nil
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.messages)
}

func (s *sink) snapshot() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.messages...)
}

func (s *sink) peakActive() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

// startSinks starts one sink per domain on domainIP(i), all on the same
// port (the transport's port), and returns them with that port.
func startSinks(t *testing.T, domains int, clock func() time.Time) ([]*sink, int) {
	t.Helper()
	if clock == nil {
		clock = time.Now
	}
	for range 20 {
		first, err := net.Listen("tcp", domainIP(0)+":0")
		if err != nil {
			t.Fatal(err)
		}
		port := first.Addr().(*net.TCPAddr).Port
		listeners := []net.Listener{first}
		for i := 1; i < domains; i++ {
			l, err := net.Listen("tcp", fmt.Sprintf("%s:%d", domainIP(i), port))
			if err != nil {
				break
			}
			listeners = append(listeners, l)
		}
		if len(listeners) < domains {
			for _, l := range listeners {
				l.Close()
			}
			continue // the port was taken on some address; try another
		}

		sinks := make([]*sink, domains)
		for i, l := range listeners {
			s := &sink{addr: l.Addr().String(), clock: clock}
			s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
				return &sinkSession{s: s}, nil
			}))
			s.srv.Domain = "sink.test"
			s.srv.ReadTimeout = 30 * time.Second
			s.srv.WriteTimeout = 30 * time.Second
			s.srv.MaxMessageBytes = 10 << 20
			// Connections cut by a killed MTA are expected here.
			s.srv.ErrorLog = log.New(io.Discard, "", 0)
			go s.srv.Serve(l)
			sinks[i] = s
		}
		t.Cleanup(func() {
			for _, s := range sinks {
				s.srv.Close()
			}
		})
		return sinks, port
	}
	t.Fatal("no port free on every sink address")
	return nil, 0
}

// mtaConfig writes smtpd.yaml and smtpd-policy.yaml into a new directory.
func mtaConfig(t *testing.T, dnsAddr string, sinkPort int, extra, policy string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`servers:
  - id: inbound
    listeners:
      - address: 127.0.0.1
        port: 0
resolver:
  address: %s
  timeout: 2s
queues:
  attemptlog: %s
transportgroups:
  - id: default
    retry:
      intervals: "1s"
      count: 100
    session:
      tls: disabled
    transports:
      - id: mx
        connection:
          port: %d
%s`, dnsAddr, filepath.Join(dir, "attempts.jsonl"), sinkPort, extra)
	if err := os.WriteFile(filepath.Join(dir, "smtpd.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if policy != "" {
		if err := os.WriteFile(filepath.Join(dir, "smtpd-policy.yaml"), []byte(policy), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// startMTA runs the MTA in process and drains it when the test ends.
func startMTA(t *testing.T, dir string, clock queue.Clock) *server.Server {
	t.Helper()
	srv, err := server.New(server.Options{
		ConfigDir: dir,
		SpoolDir:  filepath.Join(dir, "spool"),
		Clock:     clock,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv
}

// testMessage is one message to inject.
type testMessage struct {
	from, to string
	body     []byte
}

func messageBody(id string, size int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Message-ID: <%s@test>\r\nSubject: %s\r\nFrom: sender@origin.test\r\n\r\n", id, id)
	line := strings.Repeat("x", 76) + "\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	return b.Bytes()
}

func bodyHash(b []byte) [32]byte { return sha256.Sum256(b) }

// splitReceived separates the Received header the MTA adds from the
// message as it was sent. ok is false when the data does not start with
// one.
func splitReceived(data []byte) (header string, rest []byte, ok bool) {
	if !bytes.HasPrefix(data, []byte("Received: ")) {
		return "", data, false
	}
	end := 0
	for {
		i := bytes.Index(data[end:], []byte("\r\n"))
		if i < 0 {
			return "", data, false
		}
		end += i + 2
		if end >= len(data) || (data[end] != ' ' && data[end] != '\t') {
			return string(data[:end]), data[end:], true
		}
	}
}

// inject sends the messages over sessions parallel SMTP sessions and
// returns the messages the MTA accepted with 250.
func inject(t *testing.T, addr string, msgs []testMessage, sessions int) []testMessage {
	t.Helper()
	var mu sync.Mutex
	var accepted []testMessage
	var wg sync.WaitGroup
	errs := make(chan error, sessions)
	for s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := smtp.Dial(addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			if err := c.Hello("injector.test"); err != nil {
				errs <- err
				return
			}
			for i := s; i < len(msgs); i += sessions {
				m := msgs[i]
				if err := c.SendMail(m.from, []string{m.to}, bytes.NewReader(m.body)); err != nil {
					errs <- fmt.Errorf("message %d: %w", i, err)
					return
				}
				mu.Lock()
				accepted = append(accepted, m)
				mu.Unlock()
			}
			c.Quit()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("inject: %v", err)
	}
	return accepted
}

func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func totalReceived(sinks []*sink) int {
	n := 0
	for _, s := range sinks {
		n += s.count()
	}
	return n
}
