package delivery

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/miekg/dns"
)

// received is one message a sink accepted.
type received struct {
	from   string
	to     []string
	data   string
	remote string // client address

	envID, ret string
	notify     map[string]string // recipient -> NOTIFY values joined by ","
	orcpt      map[string]string
}

// sink is a go-smtp server on 127.0.0.1 that records what it receives and
// how many sessions are open, and answers chosen codes.
type sink struct {
	addr string
	srv  *smtp.Server

	mu       sync.Mutex
	messages []received
	conns    int // connections ever accepted

	open    atomic.Int64
	maxOpen atomic.Int64

	// rcptReply maps a recipient to the reply its RCPT gets.
	rcptReply map[string]*smtp.SMTPError
	// dataReply, when set, answers every message at end of data.
	dataReply *smtp.SMTPError
	// dataDelay holds the reply after end of data.
	dataDelay time.Duration
}

type sinkSession struct {
	s      *sink
	remote string
	from   string
	to     []string

	envID, ret string
	notify     map[string]string
	orcpt      map[string]string
}

func (s *sink) NewSession(c *smtp.Conn) (smtp.Session, error) {
	n := s.open.Add(1)
	for {
		m := s.maxOpen.Load()
		if n <= m || s.maxOpen.CompareAndSwap(m, n) {
			break
		}
	}
	s.mu.Lock()
	s.conns++
	s.mu.Unlock()
	return &sinkSession{s: s, remote: c.Conn().RemoteAddr().String()}, nil
}

func (ss *sinkSession) Mail(from string, opts *smtp.MailOptions) error {
	ss.from, ss.to = from, nil
	ss.envID, ss.ret = "", ""
	ss.notify, ss.orcpt = map[string]string{}, map[string]string{}
	if opts != nil {
		ss.envID, ss.ret = opts.EnvelopeID, string(opts.Return)
	}
	return nil
}

func (ss *sinkSession) Rcpt(to string, opts *smtp.RcptOptions) error {
	if r := ss.s.rcptReply[to]; r != nil {
		return r
	}
	ss.to = append(ss.to, to)
	if opts != nil {
		var n []string
		for _, v := range opts.Notify {
			n = append(n, string(v))
		}
		ss.notify[to] = strings.Join(n, ",")
		ss.orcpt[to] = opts.OriginalRecipient
	}
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	time.Sleep(ss.s.dataDelay)
	if ss.s.dataReply != nil {
		return ss.s.dataReply
	}
	ss.s.mu.Lock()
	ss.s.messages = append(ss.s.messages, received{from: ss.from, to: ss.to, data: string(b), remote: ss.remote,
		envID: ss.envID, ret: ss.ret, notify: ss.notify, orcpt: ss.orcpt})
	ss.s.mu.Unlock()
	return nil
}

func (ss *sinkSession) Reset() {}

func (ss *sinkSession) Logout() error {
	ss.s.open.Add(-1)
	return nil
}

func (s *sink) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.messages...)
}

func (s *sink) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// startSink listens on ip:port (port 0 picks one) and serves until the
// test ends.
func startSink(t testing.TB, ip string, port int, tlsConf *tls.Config) *sink {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("sink on %s:%d: %v", ip, port, err)
	}
	s := &sink{addr: l.Addr().String(), rcptReply: map[string]*smtp.SMTPError{}}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "sink.test"
	s.srv.TLSConfig = tlsConf
	s.srv.EnableDSN = true
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	go s.srv.Serve(l)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// dnsZone is a miekg/dns server on 127.0.0.1 answering from fixed records.
type dnsZone struct {
	addr    string
	mu      sync.Mutex
	records map[string][]dns.RR // key: lower-case FQDN + "/" + type
	nx      map[string]bool
	queries atomic.Int64
}

func startDNS(t testing.TB) *dnsZone {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	z := &dnsZone{addr: pc.LocalAddr().String(), records: map[string][]dns.RR{}, nx: map[string]bool{}}
	srv := &dns.Server{PacketConn: pc, Handler: z}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return z
}

// add adds records in zone-file syntax, such as "a.test. 300 IN MX 10 mx.a.test.".
func (z *dnsZone) add(t testing.TB, lines ...string) {
	t.Helper()
	z.mu.Lock()
	defer z.mu.Unlock()
	for _, l := range lines {
		rr, err := dns.NewRR(l)
		if err != nil {
			t.Fatalf("record %q: %v", l, err)
		}
		k := strings.ToLower(rr.Header().Name) + "/" + dns.TypeToString[rr.Header().Rrtype]
		z.records[k] = append(z.records[k], rr)
	}
}

func (z *dnsZone) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	z.queries.Add(1)
	resp := new(dns.Msg)
	resp.SetReply(req)
	q := req.Question[0]
	name := strings.ToLower(q.Name)

	z.mu.Lock()
	rrs := z.records[name+"/"+dns.TypeToString[q.Qtype]]
	nx := z.nx[name]
	exists := false
	for k := range z.records {
		if strings.HasPrefix(k, name+"/") {
			exists = true
		}
	}
	z.mu.Unlock()

	switch {
	case nx || !exists:
		resp.Rcode = dns.RcodeNameError
	default:
		resp.Answer = append(resp.Answer, rrs...)
	}
	w.WriteMsg(resp)
}

// selfSigned returns a TLS certificate for the given DNS names and a pool
// that trusts it.
func selfSigned(t testing.TB, names ...string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: names[0]},
		DNSNames:              names,
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// silentListener accepts connections and never writes, for timeout tests.
func silentListener(t testing.TB, ip string) string {
	t.Helper()
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return l.Addr().String()
}
