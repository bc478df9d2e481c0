package delivery

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// TLSMode is the STARTTLS policy of an attempt. The names are those of the
// pre-delivery Try() option "tls".
type TLSMode string

const (
	// TLSDisabled never starts TLS.
	TLSDisabled TLSMode = "disabled"
	// TLSOptional starts TLS when offered and does not verify the peer.
	TLSOptional TLSMode = "optional"
	// TLSOptionalVerify starts TLS when offered and fails the attempt
	// when the peer's certificate does not verify.
	TLSOptionalVerify TLSMode = "optional_verify"
	// TLSRequire fails the attempt when TLS is not offered; it does not
	// verify the peer.
	TLSRequire TLSMode = "require"
	// TLSRequireVerify fails the attempt unless TLS is offered and the
	// peer's certificate verifies for the MX name.
	TLSRequireVerify TLSMode = "require_verify"
)

// ParseTLSMode checks a TLS policy name; the empty string is TLSOptional.
func ParseTLSMode(s string) (TLSMode, error) {
	switch m := TLSMode(s); m {
	case "":
		return TLSOptional, nil
	case TLSDisabled, TLSOptional, TLSOptionalVerify, TLSRequire, TLSRequireVerify:
		return m, nil
	}
	return "", fmt.Errorf("invalid TLS mode %q: want disabled, optional, optional_verify, require or require_verify", s)
}

func (m TLSMode) verify() bool   { return m == TLSOptionalVerify || m == TLSRequireVerify }
func (m TLSMode) required() bool { return m == TLSRequire || m == TLSRequireVerify }

// Timeouts bounds each SMTP state. A zero field takes its value from
// DefaultTimeouts.
type Timeouts struct {
	Connect  time.Duration // TCP connection
	Greeting time.Duration // the server's banner
	Helo     time.Duration // EHLO or HELO reply
	StartTLS time.Duration // STARTTLS reply and TLS handshake
	Mail     time.Duration // MAIL FROM reply
	Rcpt     time.Duration // each RCPT TO reply
	Data     time.Duration // DATA reply (354)
	// DataBlock bounds each write of the message data.
	DataBlock time.Duration
	// EOD bounds the reply after the final dot.
	EOD  time.Duration
	Rset time.Duration
	Quit time.Duration
}

// DefaultTimeouts returns the timeouts of RFC 5321 section 4.5.3.2, with 30
// seconds to connect and 2 minutes for STARTTLS, RSET and QUIT.
func DefaultTimeouts() Timeouts {
	return Timeouts{
		Connect:   30 * time.Second,
		Greeting:  5 * time.Minute,
		Helo:      5 * time.Minute,
		StartTLS:  2 * time.Minute,
		Mail:      5 * time.Minute,
		Rcpt:      5 * time.Minute,
		Data:      2 * time.Minute,
		DataBlock: 3 * time.Minute,
		EOD:       10 * time.Minute,
		Rset:      2 * time.Minute,
		Quit:      2 * time.Minute,
	}
}

func (t Timeouts) withDefaults() Timeouts {
	d := DefaultTimeouts()
	pick := func(v, def time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return def
	}
	return Timeouts{
		Connect:   pick(t.Connect, d.Connect),
		Greeting:  pick(t.Greeting, d.Greeting),
		Helo:      pick(t.Helo, d.Helo),
		StartTLS:  pick(t.StartTLS, d.StartTLS),
		Mail:      pick(t.Mail, d.Mail),
		Rcpt:      pick(t.Rcpt, d.Rcpt),
		Data:      pick(t.Data, d.Data),
		DataBlock: pick(t.DataBlock, d.DataBlock),
		EOD:       pick(t.EOD, d.EOD),
		Rset:      pick(t.Rset, d.Rset),
		Quit:      pick(t.Quit, d.Quit),
	}
}

// Source is a local address to connect from.
type Source struct {
	// ID is the configured name of the address (the hook's localipid).
	ID string
	// IP is the address to bind; the zero value lets the system choose.
	IP netip.Addr
	// HELO is the name sent in EHLO; empty means Config.HELO.
	HELO string
}

// Request is one delivery: a message for one or more recipients of the
// same destination.
type Request struct {
	Sender     string
	Recipients []string
	// Data is the message; it is read once, after the server accepted
	// DATA, so a failure before that leaves it unread.
	Data io.Reader
	// Size is the message length, sent as the SIZE parameter when the
	// server supports it; 0 when unknown.
	Size int64

	// Exactly one of Hosts, NextHop and Domain picks the destination, in
	// that order of precedence. Hosts are tried as given; NextHop is
	// "host" or "host:port" (a name is looked up for A/AAAA records, not
	// MX); Domain is looked up for MX records.
	Hosts   []Host
	NextHop string
	Domain  string
	// Port is the server port for Hosts and Domain, and for a NextHop
	// without one; 0 means 25.
	Port int

	// MXInclude and MXExclude filter the MX hosts of Domain by name. An
	// entry is a host name or "*.domain" for any name under domain. With
	// MXInclude set only matching hosts are tried; MXExclude drops
	// matching hosts. When no host is left the attempt fails with
	// DNSExcluded.
	MXInclude []string
	MXExclude []string

	// EnvID and Ret are the DSN parameters of MAIL FROM (RFC 3461), and
	// RcptDSN holds those of each RCPT TO in the order of Recipients
	// (nil or shorter means none). They are sent only to a server that
	// announces DSN.
	EnvID   string
	Ret     string
	RcptDSN []RcptDSN

	// MaxReuse ends the connection after this many transactions, this one
	// included; 0 means Config.MaxMessagesPerConn.
	MaxReuse int

	Source Source
	TLS    TLSMode
	// TLSConfig is the base TLS configuration: root CAs, client
	// certificate, versions. Its ServerName is set to the MX name and its
	// verification follows TLS.
	TLSConfig *tls.Config
	Timeouts  Timeouts
}

// RcptDSN holds the DSN parameters of one recipient (RFC 3461).
type RcptDSN struct {
	// Notify lists NEVER, or any of SUCCESS, FAILURE and DELAY.
	Notify []string
	// ORcpt is the original recipient address (type rfc822).
	ORcpt string
}

// Config configures a Client.
type Config struct {
	// Resolver looks up MX and address records; required unless every
	// request names Hosts or an IP next hop.
	Resolver *Resolver
	// HELO is the default EHLO name; empty means "localhost".
	HELO string
	// MaxMessagesPerConn ends a connection after this many transactions;
	// 0 means 100.
	MaxMessagesPerConn int
	// IdleTimeout closes a pooled connection after this long unused; 0
	// means 10 s, and a negative value turns reuse off.
	IdleTimeout time.Duration
	// MaxIdlePerKey bounds the idle connections kept per destination; 0
	// means 64.
	MaxIdlePerKey int
	// NoPipelining sends one command per round trip even to a server
	// that offers PIPELINING (RFC 2920).
	NoPipelining bool
	// Logger receives connection events at debug level; nil means
	// slog.Default().
	Logger *slog.Logger
}

// Client delivers messages. It is safe for concurrent use; every Deliver
// runs on its caller's goroutine.
type Client struct {
	cfg  Config
	log  *slog.Logger
	pool *pool

	connSeq atomicCounter
	stop    chan struct{}
	wg      sync.WaitGroup
}

// NewClient returns a client; call Close to end its pooled connections.
func NewClient(cfg Config) *Client {
	if cfg.HELO == "" {
		cfg.HELO = "localhost"
	}
	if cfg.MaxMessagesPerConn <= 0 {
		cfg.MaxMessagesPerConn = 100
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 10 * time.Second
	}
	if cfg.MaxIdlePerKey <= 0 {
		cfg.MaxIdlePerKey = 64
	}
	c := &Client{cfg: cfg, log: cfg.Logger, stop: make(chan struct{})}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.pool = newPool(cfg.IdleTimeout, cfg.MaxIdlePerKey)
	if cfg.IdleTimeout > 0 {
		c.wg.Add(1)
		go c.sweep()
	}
	return c
}

// Close ends the idle connections with QUIT and stops the pool's sweeper.
// Deliveries still running finish and close their connections.
func (c *Client) Close() error {
	close(c.stop)
	c.wg.Wait()
	for _, sc := range c.pool.drain() {
		sc.quit()
	}
	return nil
}

// sweep closes idle connections past their idle timeout.
func (c *Client) sweep() {
	defer c.wg.Done()
	t := time.NewTicker(max(c.cfg.IdleTimeout/2, 100*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case now := <-t.C:
			for _, sc := range c.pool.expired(now) {
				go sc.quit()
			}
		}
	}
}

// HasIdle reports whether an open connection to remoteIP, reached as mx,
// waits in the pool, so that the next attempt there will probably reuse
// it rather than connect. An empty localIP matches any source address.
// Another attempt may take the connection first.
func (c *Client) HasIdle(mx, remoteIP, localIP string) bool {
	remote, err := netip.ParseAddr(remoteIP)
	if err != nil {
		return false
	}
	var local netip.Addr
	if localIP != "" {
		if local, err = netip.ParseAddr(localIP); err != nil {
			return false
		}
	}
	return c.pool.hasIdle(mx, remote.Unmap(), local.Unmap(), time.Now())
}

// Deliver makes one attempt for every recipient of req and returns their
// outcomes in the order of req.Recipients.
func (c *Client) Deliver(ctx context.Context, req *Request) []Attempt {
	start := time.Now()
	attempts := make([]Attempt, len(req.Recipients))
	for i, r := range req.Recipients {
		attempts[i].Recipient = r
	}
	finish := func() []Attempt {
		d := time.Since(start)
		for i := range attempts {
			attempts[i].Duration = d
		}
		return attempts
	}
	failAll := func(err *AttemptError, conn *Connection) []Attempt {
		for i := range attempts {
			if attempts[i].Result == nil && attempts[i].Error == nil {
				attempts[i].Error = err
				attempts[i].Connection = conn
			}
		}
		return finish()
	}

	if len(req.Recipients) == 0 {
		return attempts
	}
	tlsMode, err := ParseTLSMode(string(req.TLS))
	if err != nil {
		return failAll(&AttemptError{Type: ErrorConfig, State: StateConnect, Message: err.Error()}, nil)
	}

	hosts, port, aerr := c.route(ctx, req)
	if aerr != nil {
		return failAll(aerr, nil)
	}
	hosts, aerr = filterFamily(hosts, req.Source.IP)
	if aerr != nil {
		return failAll(aerr, nil)
	}

	helo := req.Source.HELO
	if helo == "" {
		helo = c.cfg.HELO
	}
	timeouts := req.Timeouts.withDefaults()

	// Try each address of each host until one takes the transaction.
	var last *failure
	for _, h := range hosts {
		for _, ip := range h.Addrs {
			key := poolKey{local: req.Source.IP, mx: h.Host, remote: netip.AddrPortFrom(ip, uint16(port)), tls: tlsMode, helo: helo}
			sc, reused, f := c.connect(ctx, key, req, timeouts)
			if f != nil {
				last = f
				continue
			}

			if !c.transaction(ctx, sc, req, attempts, timeouts) && reused {
				// The pooled connection had died while idle; a fresh
				// connection to the same address gets the attempt.
				sc, f = c.dial(ctx, key, req, timeouts)
				if f != nil {
					last = f
					continue
				}
				c.transaction(ctx, sc, req, attempts, timeouts)
			}
			return finish()
		}
	}

	if last == nil {
		last = &failure{err: &AttemptError{Type: ErrorDNS, DNS: DNSNoData, State: StateConnect, Message: "no address to connect to"}}
	}
	if last.reply != nil {
		for i := range attempts {
			attempts[i].Result = last.reply
			attempts[i].Connection = last.conn
		}
		return finish()
	}
	return failAll(last.err, last.conn)
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// route returns the hosts to try and the port.
func (c *Client) route(ctx context.Context, req *Request) ([]Host, int, *AttemptError) {
	port := req.Port
	if port == 0 {
		port = 25
	}

	switch {
	case len(req.Hosts) > 0:
		return req.Hosts, port, nil

	case req.NextHop != "":
		host := req.NextHop
		if h, p, err := net.SplitHostPort(req.NextHop); err == nil {
			n, perr := strconv.Atoi(p)
			if perr != nil || n <= 0 || n > 65535 {
				return nil, 0, &AttemptError{Type: ErrorConfig, State: StateConnect, Message: fmt.Sprintf("invalid next hop port in %q", req.NextHop)}
			}
			host, port = h, n
		}
		if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
			return []Host{{MX: MX{Host: ip.String()}, Addrs: []netip.Addr{ip}}}, port, nil
		}
		if c.cfg.Resolver == nil {
			return nil, 0, &AttemptError{Type: ErrorConfig, State: StateConnect, Message: "next hop " + host + " needs a resolver"}
		}
		addrs, err := c.cfg.Resolver.LookupAddrs(ctx, host)
		if err != nil {
			return nil, 0, asAttemptError(err)
		}
		return []Host{{MX: MX{Host: normalizeName(host)}, Addrs: addrs}}, port, nil

	case req.Domain != "":
		if c.cfg.Resolver == nil {
			return nil, 0, &AttemptError{Type: ErrorConfig, State: StateConnect, Message: "MX lookup of " + req.Domain + " needs a resolver"}
		}
		hosts, err := c.cfg.Resolver.Resolve(ctx, req.Domain)
		if err != nil {
			return nil, 0, asAttemptError(err)
		}
		hosts = filterMX(hosts, req.MXInclude, req.MXExclude)
		if len(hosts) == 0 {
			return nil, 0, &AttemptError{Type: ErrorDNS, DNS: DNSExcluded, State: StateConnect,
				Message: fmt.Sprintf("every MX host of %s is excluded by mx_include or mx_exclude", req.Domain)}
		}
		return hosts, port, nil
	}
	return nil, 0, &AttemptError{Type: ErrorConfig, State: StateConnect, Message: "request names no destination: set Hosts, NextHop or Domain"}
}

func asAttemptError(err error) *AttemptError {
	var aerr *AttemptError
	if errors.As(err, &aerr) {
		return aerr
	}
	return &AttemptError{Type: ErrorDNS, DNS: DNSOther, Temporary: true, State: StateConnect, Message: err.Error()}
}

// filterFamily keeps the addresses a connection from src can reach.
func filterFamily(hosts []Host, src netip.Addr) ([]Host, *AttemptError) {
	if !src.IsValid() {
		return hosts, nil
	}
	var out []Host
	for _, h := range hosts {
		var addrs []netip.Addr
		for _, a := range h.Addrs {
			if a.Unmap().Is4() == src.Unmap().Is4() {
				addrs = append(addrs, a)
			}
		}
		if len(addrs) > 0 {
			out = append(out, Host{MX: h.MX, Addrs: addrs})
		}
	}
	if len(out) == 0 {
		return nil, &AttemptError{Type: ErrorDNS, DNS: DNSIPFamily, Temporary: true, State: StateConnect,
			Message: fmt.Sprintf("no destination address of the IP family of source %s", src)}
	}
	return out, nil
}

// filterMX keeps the hosts that include lists (when not empty) and that
// exclude does not list.
func filterMX(hosts []Host, include, exclude []string) []Host {
	if len(include) == 0 && len(exclude) == 0 {
		return hosts
	}
	var out []Host
	for _, h := range hosts {
		if len(include) > 0 && !matchHost(h.Host, include) {
			continue
		}
		if matchHost(h.Host, exclude) {
			continue
		}
		out = append(out, h)
	}
	return out
}

// matchHost reports whether host is one of patterns: an exact name, or
// "*.domain" for any name under domain. Names compare without case.
func matchHost(host string, patterns []string) bool {
	host = normalizeName(host)
	for _, p := range patterns {
		p = normalizeName(p)
		if suffix, ok := strings.CutPrefix(p, "*."); ok {
			if strings.HasSuffix(host, "."+suffix) {
				return true
			}
			continue
		}
		if host == p {
			return true
		}
	}
	return false
}
