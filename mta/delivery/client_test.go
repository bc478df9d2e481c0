package delivery

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// testbed is a DNS server and sinks on 127.0.0.x sharing one port.
type testbed struct {
	dns    *dnsZone
	port   int
	client *Client
}

func newTestbed(t *testing.T, cfg Config) *testbed {
	t.Helper()
	z := startDNS(t)
	r, err := NewResolver(ResolverConfig{Servers: []string{z.addr}, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Resolver = r
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := NewClient(cfg)
	t.Cleanup(func() { c.Close() })
	return &testbed{dns: z, client: c}
}

// sinkAt starts a sink on ip, on the testbed's port (chosen by the first
// sink).
func (tb *testbed) sinkAt(t *testing.T, ip string, tlsConf *tls.Config) *sink {
	t.Helper()
	s := startSink(t, ip, tb.port, tlsConf)
	if tb.port == 0 {
		tb.port = portOf(s.addr)
	}
	return s
}

func (tb *testbed) deliver(t *testing.T, req *Request) []Attempt {
	t.Helper()
	if req.Port == 0 {
		req.Port = tb.port
	}
	if req.Data == nil {
		req.Data = strings.NewReader("Subject: test\r\n\r\nbody\r\n")
	}
	if req.Sender == "" {
		req.Sender = "sender@origin.test"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return tb.client.Deliver(ctx, req)
}

func TestDeliverViaMX(t *testing.T) {
	tb := newTestbed(t, Config{HELO: "out.test"})
	s := tb.sinkAt(t, "127.0.0.2", nil)
	tb.dns.add(t,
		"example.test. 300 IN MX 10 mx1.example.test.",
		"mx1.example.test. 300 IN A 127.0.0.2",
	)

	body := "Subject: hello\r\n\r\nline one\r\n.line with a dot\r\n"
	at := tb.deliver(t, &Request{Recipients: []string{"user@example.test"}, Domain: "example.test", Data: strings.NewReader(body)})
	if len(at) != 1 {
		t.Fatalf("got %d attempts, want 1", len(at))
	}
	a := at[0]
	if !a.Delivered() {
		t.Fatalf("not delivered: %v", a.String())
	}
	if a.Result.State != StateEOD || a.Result.Code != 250 || a.Result.Enhanced != [3]int{2, 0, 0} {
		t.Errorf("Result = %+v, want 250 2.0.0 at EOD", a.Result)
	}
	if a.Connection == nil {
		t.Fatal("Connection is nil")
	}
	if a.Connection.RemoteMX != "mx1.example.test" || a.Connection.RemoteIP != "127.0.0.2" {
		t.Errorf("Connection = %+v, want mx1.example.test at 127.0.0.2", a.Connection)
	}
	if a.Connection.LocalIP == "" || a.Connection.HELO != "out.test" {
		t.Errorf("Connection local side = %q, HELO %q", a.Connection.LocalIP, a.Connection.HELO)
	}
	if len(a.Connection.RemoteGreeting) == 0 || !strings.Contains(a.Connection.RemoteGreeting[0], "sink.test") {
		t.Errorf("RemoteGreeting = %q", a.Connection.RemoteGreeting)
	}
	if a.Duration <= 0 {
		t.Errorf("Duration = %v", a.Duration)
	}

	got := s.received()
	if len(got) != 1 {
		t.Fatalf("sink received %d messages, want 1", len(got))
	}
	if got[0].from != "sender@origin.test" || len(got[0].to) != 1 || got[0].to[0] != "user@example.test" {
		t.Errorf("envelope = %q -> %q", got[0].from, got[0].to)
	}
	if got[0].data != body {
		t.Errorf("body = %q, want %q", got[0].data, body)
	}
}

func TestMXFallbackOnConnectionFailure(t *testing.T) {
	tb := newTestbed(t, Config{})
	s := tb.sinkAt(t, "127.0.0.3", nil)
	// mx-dead has no listener: the connection is refused.
	tb.dns.add(t,
		"fallback.test. 300 IN MX 20 mx-ok.fallback.test.",
		"fallback.test. 300 IN MX 10 mx-dead.fallback.test.",
		"mx-dead.fallback.test. 300 IN A 127.0.0.5",
		"mx-ok.fallback.test. 300 IN A 127.0.0.3",
	)

	a := tb.deliver(t, &Request{Recipients: []string{"u@fallback.test"}, Domain: "fallback.test"})[0]
	if !a.Delivered() {
		t.Fatalf("not delivered: %v", a.String())
	}
	if a.Connection.RemoteMX != "mx-ok.fallback.test" {
		t.Errorf("RemoteMX = %q, want the preference 20 host after the 10 failed", a.Connection.RemoteMX)
	}
	if len(s.received()) != 1 {
		t.Errorf("sink received %d messages, want 1", len(s.received()))
	}
}

func TestAllMXDownIsTemporary(t *testing.T) {
	tb := newTestbed(t, Config{})
	tb.dns.add(t,
		"down.test. 300 IN MX 10 mx.down.test.",
		"mx.down.test. 300 IN A 127.0.0.6",
	)
	a := tb.deliver(t, &Request{Recipients: []string{"u@down.test"}, Domain: "down.test", Port: 2})[0]
	if a.Error == nil {
		t.Fatalf("Error is nil; result %v", a.String())
	}
	if a.Error.Type != ErrorNetwork || !a.Error.Temporary || a.Error.State != StateConnect {
		t.Errorf("Error = %+v, want a temporary network error in CONNECT", a.Error)
	}
	if a.Connection != nil {
		t.Errorf("Connection = %+v, want nil when no connection was made", a.Connection)
	}
}

func TestImplicitMX(t *testing.T) {
	tb := newTestbed(t, Config{})
	s := tb.sinkAt(t, "127.0.0.4", nil)
	tb.dns.add(t, "nomx.test. 300 IN A 127.0.0.4")

	mxs, err := tb.client.cfg.Resolver.LookupMX(context.Background(), "nomx.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(mxs) != 1 || !mxs[0].Implicit || mxs[0].Host != "nomx.test" {
		t.Errorf("LookupMX = %+v, want the implicit MX nomx.test", mxs)
	}
	a := tb.deliver(t, &Request{Recipients: []string{"u@nomx.test"}, Domain: "nomx.test"})[0]
	if !a.Delivered() {
		t.Fatalf("not delivered: %v", a.String())
	}
	if len(s.received()) != 1 {
		t.Errorf("sink received %d messages, want 1", len(s.received()))
	}
}

func TestPermanentDNSFailures(t *testing.T) {
	tb := newTestbed(t, Config{})
	tb.dns.add(t, "nullmx.test. 300 IN MX 0 .")

	cases := []struct {
		domain string
		kind   DNSErrorKind
	}{
		{"nullmx.test", DNSNullMX},
		{"missing.test", DNSNXDomain},
	}
	for _, c := range cases {
		a := tb.deliver(t, &Request{Recipients: []string{"u@" + c.domain}, Domain: c.domain})[0]
		if a.Error == nil {
			t.Errorf("%s: Error is nil", c.domain)
			continue
		}
		if a.Error.Type != ErrorDNS || a.Error.DNS != c.kind {
			t.Errorf("%s: Error = %+v, want dns %s", c.domain, a.Error, c.kind)
		}
		if a.Error.Temporary {
			t.Errorf("%s: error is temporary, want permanent", c.domain)
		}
	}
}

func TestFixedNextHop(t *testing.T) {
	tb := newTestbed(t, Config{})
	s := tb.sinkAt(t, "127.0.0.7", nil)

	before := tb.dns.queries.Load()
	a := tb.deliver(t, &Request{Recipients: []string{"u@anything.test"}, NextHop: fmt.Sprintf("127.0.0.7:%d", tb.port)})[0]
	if !a.Delivered() {
		t.Fatalf("not delivered: %v", a.String())
	}
	if n := tb.dns.queries.Load() - before; n != 0 {
		t.Errorf("a next hop IP made %d DNS queries, want 0", n)
	}
	if a.Connection.RemotePort != tb.port {
		t.Errorf("RemotePort = %d, want %d", a.Connection.RemotePort, tb.port)
	}
	if len(s.received()) != 1 {
		t.Errorf("sink received %d messages, want 1", len(s.received()))
	}
}

// forBothModes runs f with and without SMTP pipelining, so that both
// transaction paths meet the same server.
func forBothModes(t *testing.T, f func(t *testing.T, pipelining bool)) {
	t.Run("pipelined", func(t *testing.T) { f(t, true) })
	t.Run("sequential", func(t *testing.T) { f(t, false) })
}

func withPipelining(cfg Config, on bool) Config {
	cfg.NoPipelining = !on
	return cfg
}

func TestRecipientAndDataReplies(t *testing.T) {
	forBothModes(t, func(t *testing.T, pipelining bool) {
		tb := newTestbed(t, withPipelining(Config{}, pipelining))
		s := tb.sinkAt(t, "127.0.0.8", nil)
		s.rcptReply["bad@replies.test"] = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		hop := fmt.Sprintf("127.0.0.8:%d", tb.port)

		at := tb.deliver(t, &Request{Recipients: []string{"good@replies.test", "bad@replies.test"}, NextHop: hop})
		if !at[0].Delivered() {
			t.Errorf("good recipient: %v", at[0].String())
		}
		bad := at[1].Result
		if bad == nil || bad.Code != 550 || bad.State != StateRcpt || bad.Enhanced != [3]int{5, 1, 1} {
			t.Fatalf("bad recipient: %v, want 550 5.1.1 in RCPT", at[1].String())
		}
		if len(bad.Lines) != 1 || bad.Lines[0] != "no such user" {
			t.Errorf("Lines = %q", bad.Lines)
		}
		if at[1].Temporary() {
			t.Error("550 reported as temporary")
		}

		s.dataReply = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "try later"}
		a := tb.deliver(t, &Request{Recipients: []string{"good@replies.test"}, NextHop: hop})[0]
		if a.Result == nil || a.Result.Code != 421 || a.Result.State != StateEOD || a.Result.Enhanced != [3]int{4, 7, 0} {
			t.Fatalf("end of data: %v, want 421 4.7.0 at EOD", a.String())
		}
		if !a.Temporary() {
			t.Error("421 not reported as temporary")
		}
		if got := a.Result.String(); got != "421 4.7.0 try later" {
			t.Errorf("Result.String() = %q", got)
		}
	})
}

func TestConnectionReuse(t *testing.T) {
	forBothModes(t, func(t *testing.T, pipelining bool) {
		tb := newTestbed(t, withPipelining(Config{MaxMessagesPerConn: 3}, pipelining))
		s := tb.sinkAt(t, "127.0.0.9", nil)
		hop := fmt.Sprintf("127.0.0.9:%d", tb.port)

		var ids []string
		for i := range 4 {
			a := tb.deliver(t, &Request{Recipients: []string{fmt.Sprintf("u%d@reuse.test", i)}, NextHop: hop})[0]
			if !a.Delivered() {
				t.Fatalf("message %d: %v", i, a.String())
			}
			ids = append(ids, a.Connection.ID)
			if want := i%3 + 1; a.Connection.Transactions != want {
				t.Errorf("message %d: Transactions = %d, want %d", i, a.Connection.Transactions, want)
			}
		}
		if ids[0] != ids[1] || ids[1] != ids[2] {
			t.Errorf("connection ids %q: the first three messages did not share a connection", ids)
		}
		if ids[3] == ids[0] {
			t.Error("the fourth message reused a connection past MaxMessagesPerConn")
		}
		if n := s.connections(); n != 2 {
			t.Errorf("sink saw %d connections, want 2", n)
		}
	})
}

// A request's MaxReuse overrides the client's limit, per transaction.
func TestRequestMaxReuse(t *testing.T) {
	tb := newTestbed(t, Config{MaxMessagesPerConn: 100})
	s := tb.sinkAt(t, "127.0.0.45", nil)
	hop := fmt.Sprintf("127.0.0.45:%d", tb.port)

	for i := range 4 {
		a := tb.deliver(t, &Request{Recipients: []string{fmt.Sprintf("u%d@reuse.test", i)}, NextHop: hop, MaxReuse: 2})[0]
		if !a.Delivered() {
			t.Fatalf("message %d: %v", i, a.String())
		}
		if want := i%2 + 1; a.Connection.Transactions != want {
			t.Errorf("message %d: Transactions = %d, want %d", i, a.Connection.Transactions, want)
		}
	}
	if n := s.connections(); n != 2 {
		t.Errorf("sink saw %d connections, want 2 for four messages at two per connection", n)
	}
}

func TestDeadPooledConnectionRedialed(t *testing.T) {
	forBothModes(t, func(t *testing.T, pipelining bool) {
		tb := newTestbed(t, withPipelining(Config{}, pipelining))
		s := tb.sinkAt(t, "127.0.0.10", nil)
		hop := fmt.Sprintf("127.0.0.10:%d", tb.port)

		if a := tb.deliver(t, &Request{Recipients: []string{"u@dead.test"}, NextHop: hop})[0]; !a.Delivered() {
			t.Fatal(a.String())
		}
		// The server drops every connection, including the pooled one.
		s.srv.Close()
		s2 := startSink(t, "127.0.0.10", tb.port, nil)

		a := tb.deliver(t, &Request{Recipients: []string{"u@dead.test"}, NextHop: hop})[0]
		if !a.Delivered() {
			t.Fatalf("after the pooled connection died: %v", a.String())
		}
		if a.Connection.Transactions != 1 {
			t.Errorf("Transactions = %d, want 1 on a new connection", a.Connection.Transactions)
		}
		if len(s2.received()) != 1 {
			t.Errorf("new sink received %d messages, want 1", len(s2.received()))
		}
	})
}

func TestSourceIP(t *testing.T) {
	tb := newTestbed(t, Config{})
	s := tb.sinkAt(t, "127.0.0.11", nil)
	src := Source{ID: "pool-a", IP: netip.MustParseAddr("127.0.0.42"), HELO: "a.out.test"}

	a := tb.deliver(t, &Request{Recipients: []string{"u@src.test"}, NextHop: fmt.Sprintf("127.0.0.11:%d", tb.port), Source: src})[0]
	if !a.Delivered() {
		t.Fatal(a.String())
	}
	if a.Connection.LocalIP != "127.0.0.42" || a.Connection.LocalIPID != "pool-a" || a.Connection.HELO != "a.out.test" {
		t.Errorf("Connection = %+v", a.Connection)
	}
	got := s.received()
	if len(got) != 1 || !strings.HasPrefix(got[0].remote, "127.0.0.42:") {
		t.Errorf("sink saw the client at %v, want 127.0.0.42", got)
	}
}

func TestIPFamilyMismatch(t *testing.T) {
	tb := newTestbed(t, Config{})
	a := tb.deliver(t, &Request{Recipients: []string{"u@v6.test"}, NextHop: "[::1]:25", Source: Source{IP: netip.MustParseAddr("127.0.0.1")}})[0]
	if a.Error == nil || a.Error.DNS != DNSIPFamily {
		t.Errorf("IPv6 next hop from an IPv4 source: %v, want an ipfamily error", a.String())
	}
}

func TestStartTLS(t *testing.T) {
	forBothModes(t, func(t *testing.T, pipelining bool) {
		cert, roots := selfSigned(t, "mx.tls.test")
		tb := newTestbed(t, withPipelining(Config{}, pipelining))
		s := tb.sinkAt(t, "127.0.0.12", &tls.Config{Certificates: []tls.Certificate{cert}})
		tb.dns.add(t,
			"tls.test. 300 IN MX 10 mx.tls.test.",
			"mx.tls.test. 300 IN A 127.0.0.12",
		)
		req := func(mode TLSMode, conf *tls.Config) *Request {
			return &Request{Recipients: []string{"u@tls.test"}, Domain: "tls.test", TLS: mode, TLSConfig: conf}
		}

		a := tb.deliver(t, req(TLSOptional, nil))[0]
		if !a.Delivered() {
			t.Fatalf("optional TLS: %v", a.String())
		}
		ti := a.Connection.TLS
		if !ti.Started || ti.Protocol != "TLSv1.3" || ti.Cipher == "" || ti.KeySize == 0 {
			t.Errorf("TLS = %+v, want a TLSv1.3 session with a cipher and key size", ti)
		}
		if len(a.Connection.RemoteGreeting) == 0 {
			t.Error("RemoteGreeting lost after STARTTLS")
		}

		a = tb.deliver(t, req(TLSRequireVerify, nil))[0]
		if a.Error == nil || a.Error.Type != ErrorTLS {
			t.Errorf("require_verify with an untrusted certificate: %v, want a TLS error", a.String())
		}

		a = tb.deliver(t, req(TLSRequireVerify, &tls.Config{RootCAs: roots}))[0]
		if !a.Delivered() || !a.Connection.TLS.Verified {
			t.Errorf("require_verify with the certificate trusted: %v, TLS %+v", a.String(), a.Connection)
		}

		a = tb.deliver(t, req(TLSDisabled, nil))[0]
		if !a.Delivered() || a.Connection.TLS.Started {
			t.Errorf("TLS disabled: %v, started %v", a.String(), a.Connection != nil && a.Connection.TLS.Started)
		}
		if n := len(s.received()); n != 3 {
			t.Errorf("sink received %d messages, want 3", n)
		}
	})
}

func TestRequireTLSWithoutOffer(t *testing.T) {
	tb := newTestbed(t, Config{})
	s := tb.sinkAt(t, "127.0.0.13", nil)
	a := tb.deliver(t, &Request{Recipients: []string{"u@plain.test"}, NextHop: fmt.Sprintf("127.0.0.13:%d", tb.port), TLS: TLSRequire})[0]
	if a.Error == nil || a.Error.Type != ErrorTLS || a.Error.State != StateStartTLS {
		t.Errorf("require against a server without STARTTLS: %v, want a TLS error in STARTTLS", a.String())
	}
	if len(s.received()) != 0 {
		t.Error("message sent in plain text despite the require policy")
	}
}

func TestStateTimeouts(t *testing.T) {
	tb := newTestbed(t, Config{})
	silent := silentListener(t, "127.0.0.14")
	start := time.Now()
	a := tb.deliver(t, &Request{Recipients: []string{"u@slow.test"}, NextHop: silent, Timeouts: Timeouts{Greeting: 300 * time.Millisecond}})[0]
	if a.Error == nil || a.Error.State != StateBanner || !a.Error.Temporary {
		t.Errorf("silent server: %v, want a temporary error in BANNER", a.String())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("greeting timeout of 300ms took %v", d)
	}

	s := tb.sinkAt(t, "127.0.0.15", nil)
	s.dataDelay = 2 * time.Second
	a = tb.deliver(t, &Request{Recipients: []string{"u@slow.test"}, NextHop: fmt.Sprintf("127.0.0.15:%d", tb.port), Timeouts: Timeouts{EOD: 300 * time.Millisecond}})[0]
	if a.Error == nil || a.Error.State != StateEOD || a.Error.Type != ErrorNetwork {
		t.Errorf("slow end of data: %v, want a network error in EOD", a.String())
	}
}

func TestResolverCachesByTTL(t *testing.T) {
	z := startDNS(t)
	z.add(t,
		"cache.test. 60 IN MX 10 mx.cache.test.",
		"mx.cache.test. 60 IN A 127.0.0.16",
	)
	r, err := NewResolver(ResolverConfig{Servers: []string{z.addr}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var mu sync.Mutex
	r.now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	advance := func(d time.Duration) {
		mu.Lock()
		now = now.Add(d)
		mu.Unlock()
	}

	ctx := context.Background()
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.Resolve(ctx, "cache.test"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// One MX query, and A and AAAA for the host.
	if n := z.queries.Load(); n != 3 {
		t.Errorf("50 concurrent lookups made %d queries, want 3", n)
	}

	advance(59 * time.Second)
	r.Resolve(ctx, "cache.test")
	if n := z.queries.Load(); n != 3 {
		t.Errorf("a lookup within the TTL made %d queries in total, want 3", n)
	}

	advance(2 * time.Second)
	hosts, err := r.Resolve(ctx, "cache.test")
	if err != nil {
		t.Fatal(err)
	}
	if n := z.queries.Load(); n <= 3 {
		t.Errorf("a lookup past the TTL made no new query")
	}
	if len(hosts) != 1 || hosts[0].Addrs[0] != netip.MustParseAddr("127.0.0.16") {
		t.Errorf("Resolve = %+v", hosts)
	}
}

func TestMXOrderByPreference(t *testing.T) {
	z := startDNS(t)
	z.add(t,
		"order.test. 300 IN MX 30 c.order.test.",
		"order.test. 300 IN MX 10 b.order.test.",
		"order.test. 300 IN MX 10 a.order.test.",
		"order.test. 300 IN MX 20 d.order.test.",
	)
	r, _ := NewResolver(ResolverConfig{Servers: []string{z.addr}})
	mxs, err := r.LookupMX(context.Background(), "ORDER.test.")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range mxs {
		got = append(got, fmt.Sprintf("%d %s", m.Preference, m.Host))
	}
	want := "10 a.order.test,10 b.order.test,20 d.order.test,30 c.order.test"
	if strings.Join(got, ",") != want {
		t.Errorf("LookupMX = %s, want %s", strings.Join(got, ","), want)
	}
}

func TestParallelDeliveriesShareNothing(t *testing.T) {
	tb := newTestbed(t, Config{})
	var sinks []*sink
	for i := range 5 {
		ip := fmt.Sprintf("127.0.0.%d", 20+i)
		sinks = append(sinks, tb.sinkAt(t, ip, nil))
		tb.dns.add(t,
			fmt.Sprintf("d%d.test. 300 IN MX 10 mx.d%d.test.", i, i),
			fmt.Sprintf("mx.d%d.test. 300 IN A %s", i, ip),
		)
	}

	const perDomain = 40
	var wg sync.WaitGroup
	for i := range 5 * perDomain {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := fmt.Sprintf("d%d.test", i%5)
			a := tb.deliver(t, &Request{Recipients: []string{fmt.Sprintf("u%d@%s", i, d)}, Domain: d,
				Data: strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\n%d\r\n", i, i))})[0]
			if !a.Delivered() {
				t.Errorf("message %d: %v", i, a.String())
			}
		}()
	}
	wg.Wait()

	for i, s := range sinks {
		got := s.received()
		if len(got) != perDomain {
			t.Errorf("sink %d received %d messages, want %d", i, len(got), perDomain)
		}
		seen := map[string]bool{}
		for _, m := range got {
			if seen[m.to[0]] {
				t.Errorf("sink %d received %s twice", i, m.to[0])
			}
			seen[m.to[0]] = true
			if !strings.HasSuffix(m.to[0], fmt.Sprintf("@d%d.test", i)) {
				t.Errorf("sink %d received mail for %s", i, m.to[0])
			}
			if want := strings.TrimPrefix(strings.Split(m.to[0], "@")[0], "u"); !strings.Contains(m.data, want) {
				t.Errorf("body of %s is %q", m.to[0], m.data)
			}
		}
	}
	if idle := tb.client.pool.idleCount(); idle == 0 || idle > 5*64 {
		t.Errorf("%d idle connections after the run", idle)
	}
}

func TestDSNParametersForwarded(t *testing.T) {
	forBothModes(t, func(t *testing.T, pipelining bool) {
		tb := newTestbed(t, withPipelining(Config{}, pipelining))
		s := tb.sinkAt(t, "127.0.0.30", nil)
		at := tb.deliver(t, &Request{
			Recipients: []string{"a@dsn.test", "b@dsn.test"},
			NextHop:    fmt.Sprintf("127.0.0.30:%d", tb.port),
			EnvID:      "env-1",
			Ret:        "hdrs",
			RcptDSN:    []RcptDSN{{Notify: []string{"failure", "delay"}, ORcpt: "orig@dsn.test"}},
		})
		if !at[0].Delivered() || !at[1].Delivered() {
			t.Fatalf("not delivered: %v, %v", at[0].String(), at[1].String())
		}
		got := s.received()
		if len(got) != 1 {
			t.Fatalf("sink received %d messages, want 1", len(got))
		}
		m := got[0]
		if m.envID != "env-1" || m.ret != "HDRS" {
			t.Errorf("MAIL FROM parameters: ENVID %q RET %q, want env-1 and HDRS", m.envID, m.ret)
		}
		if m.notify["a@dsn.test"] != "FAILURE,DELAY" || m.orcpt["a@dsn.test"] != "orig@dsn.test" {
			t.Errorf("RCPT parameters of a@dsn.test: NOTIFY %q ORCPT %q", m.notify["a@dsn.test"], m.orcpt["a@dsn.test"])
		}
		if n := m.notify["b@dsn.test"]; n != "" {
			t.Errorf("b@dsn.test got NOTIFY %q, want none", n)
		}
	})
}

func TestMXIncludeExclude(t *testing.T) {
	tb := newTestbed(t, Config{})
	first := tb.sinkAt(t, "127.0.0.31", nil)
	second := tb.sinkAt(t, "127.0.0.32", nil)
	tb.dns.add(t,
		"filter.test. 300 IN MX 10 mx1.filter.test.",
		"filter.test. 300 IN MX 20 mx2.other.test.",
		"mx1.filter.test. 300 IN A 127.0.0.31",
		"mx2.other.test. 300 IN A 127.0.0.32",
	)

	a := tb.deliver(t, &Request{Recipients: []string{"u@filter.test"}, Domain: "filter.test", MXExclude: []string{"*.filter.test"}})[0]
	if !a.Delivered() || a.Connection.RemoteMX != "mx2.other.test" {
		t.Errorf("excluding *.filter.test: %v via %+v, want mx2.other.test", a.String(), a.Connection)
	}
	a = tb.deliver(t, &Request{Recipients: []string{"u@filter.test"}, Domain: "filter.test", MXInclude: []string{"MX1.filter.test"}})[0]
	if !a.Delivered() || a.Connection.RemoteMX != "mx1.filter.test" {
		t.Errorf("including mx1.filter.test: %v", a.String())
	}
	a = tb.deliver(t, &Request{Recipients: []string{"u@filter.test"}, Domain: "filter.test", MXInclude: []string{"*.nowhere.test"}})[0]
	if a.Error == nil || a.Error.DNS != DNSExcluded {
		t.Errorf("including no host: %v, want an excluded error", a.String())
	}
	if len(first.received()) != 1 || len(second.received()) != 1 {
		t.Errorf("sinks received %d and %d messages, want 1 each", len(first.received()), len(second.received()))
	}
}

func TestHasIdleAfterDelivery(t *testing.T) {
	tb := newTestbed(t, Config{})
	tb.sinkAt(t, "127.0.0.46", nil)
	hop := fmt.Sprintf("127.0.0.46:%d", tb.port)

	if tb.client.HasIdle("127.0.0.46", "127.0.0.46", "") {
		t.Fatal("HasIdle before any connection")
	}
	src := Source{IP: netip.MustParseAddr("127.0.0.1")}
	if a := tb.deliver(t, &Request{Recipients: []string{"u@idle.test"}, NextHop: hop, Source: src})[0]; !a.Delivered() {
		t.Fatal(a.String())
	}
	if !tb.client.HasIdle("127.0.0.46", "127.0.0.46", "") {
		t.Error("no idle connection after a delivery")
	}
	if !tb.client.HasIdle("127.0.0.46", "127.0.0.46", "127.0.0.1") {
		t.Error("no idle connection from source 127.0.0.1")
	}
	if tb.client.HasIdle("127.0.0.46", "127.0.0.46", "127.0.0.2") {
		t.Error("idle connection reported for another source address")
	}
	if tb.client.HasIdle("127.0.0.46", "127.0.0.47", "") {
		t.Error("idle connection reported for another remote address")
	}
	if tb.client.HasIdle("127.0.0.46", "not an address", "") {
		t.Error("idle connection reported for an invalid address")
	}
}

// The cache holds at most MaxEntries answers, rounded up to a whole
// number per shard, however many names are looked up.
func TestResolverCacheBounded(t *testing.T) {
	z := startDNS(t)
	for i := range 300 {
		z.add(t, fmt.Sprintf("h%d.bound.test. 3600 IN A 127.0.0.17", i))
	}
	r, err := NewResolver(ResolverConfig{Servers: []string{z.addr}, MaxEntries: 64})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 300 {
		if _, err := r.LookupAddrs(ctx, fmt.Sprintf("h%d.bound.test", i)); err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for i := range r.shards {
		n := len(r.shards[i].m)
		if n > r.perShard {
			t.Errorf("shard %d holds %d answers, more than its %d", i, n, r.perShard)
		}
		total += n
	}
	if total > 64 {
		t.Errorf("cache holds %d answers, want at most 64", total)
	}
}
