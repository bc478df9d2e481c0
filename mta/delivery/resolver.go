package delivery

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// ResolverConfig configures a Resolver.
type ResolverConfig struct {
	// Servers lists the DNS servers as host:port, tried in order.
	Servers []string
	// Timeout bounds one query to one server; 0 means 5 s.
	Timeout time.Duration
	// MaxTTL caps how long an answer is cached; 0 means 1 h.
	MaxTTL time.Duration
	// NegativeTTL is how long a "no such name" or "no data" answer is
	// cached when it carries no SOA record; 0 means 60 s.
	NegativeTTL time.Duration
	// MaxEntries bounds the cached answers; 0 means 10,000. When the cache
	// is full, expired answers go first, then arbitrary ones.
	MaxEntries int
}

// Resolver looks up MX and address records through fixed DNS servers and
// caches the answers for their TTL. Concurrent lookups of the same name and
// type share one query. It is safe for concurrent use.
type Resolver struct {
	cfg    ResolverConfig
	udp    *dns.Client
	tcp    *dns.Client
	seed   maphash.Seed
	shards [cacheShards]cacheShard
	now    func() time.Time
	// perShard is the share of MaxEntries of one shard.
	perShard int
}

const cacheShards = 64

type cacheShard struct {
	mu sync.Mutex
	m  map[cacheKey]*cacheEntry
}

type cacheKey struct {
	name  string
	qtype uint16
}

// cacheEntry is one answer, or a lookup in flight until ready is closed.
type cacheEntry struct {
	ready   chan struct{}
	expires time.Time
	rrs     []dns.RR
	err     *AttemptError
}

// NewResolver returns a resolver that queries cfg.Servers.
func NewResolver(cfg ResolverConfig) (*Resolver, error) {
	if len(cfg.Servers) == 0 {
		return nil, errors.New("delivery: resolver needs at least one DNS server")
	}
	for _, s := range cfg.Servers {
		if _, err := netip.ParseAddrPort(s); err != nil {
			return nil, fmt.Errorf("delivery: DNS server %q: want IP:port", s)
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.MaxTTL <= 0 {
		cfg.MaxTTL = time.Hour
	}
	if cfg.NegativeTTL <= 0 {
		cfg.NegativeTTL = time.Minute
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = 10000
	}

	r := &Resolver{
		cfg:  cfg,
		udp:  &dns.Client{Net: "udp", Timeout: cfg.Timeout},
		tcp:  &dns.Client{Net: "tcp", Timeout: cfg.Timeout},
		seed: maphash.MakeSeed(),
		now:  time.Now,
		// Rounded up, so a small limit still caches something per shard.
		perShard: (cfg.MaxEntries + cacheShards - 1) / cacheShards,
	}
	for i := range r.shards {
		r.shards[i].m = make(map[cacheKey]*cacheEntry)
	}
	return r, nil
}

// MX is one mail exchanger of a domain.
type MX struct {
	Host       string
	Preference uint16
	// Implicit marks the domain itself standing in for a missing MX.
	Implicit bool
}

// Host is a mail exchanger with its addresses.
type Host struct {
	MX
	Addrs []netip.Addr
}

// LookupMX returns the mail exchangers of domain, lowest preference first
// (ties in name order, so the order is stable between calls). A domain with
// no MX records gets an implicit MX: the domain itself. A null MX fails
// with DNSNullMX and a domain that does not exist with DNSNXDomain, both
// permanent.
func (r *Resolver) LookupMX(ctx context.Context, domain string) ([]MX, error) {
	domain = normalizeName(domain)
	rrs, aerr := r.lookup(ctx, domain, dns.TypeMX)
	if aerr != nil && aerr.DNS == DNSNoData {
		return []MX{{Host: domain, Implicit: true}}, nil
	}
	if aerr != nil {
		return nil, aerr
	}

	var mxs []MX
	for _, rr := range rrs {
		if mx, ok := rr.(*dns.MX); ok {
			mxs = append(mxs, MX{Host: normalizeName(mx.Mx), Preference: mx.Preference})
		}
	}
	if len(mxs) == 0 {
		return []MX{{Host: domain, Implicit: true}}, nil
	}
	if len(mxs) == 1 && (mxs[0].Host == "" || mxs[0].Host == ".") {
		return nil, &AttemptError{Type: ErrorDNS, DNS: DNSNullMX, State: StateConnect,
			Message: fmt.Sprintf("%s accepts no mail (null MX)", domain)}
	}
	slices.SortFunc(mxs, func(a, b MX) int {
		return cmp.Or(cmp.Compare(a.Preference, b.Preference), strings.Compare(a.Host, b.Host))
	})
	return mxs, nil
}

// LookupAddrs returns the IPv4 and IPv6 addresses of host, IPv4 first. An
// IP address literal is returned as it is.
func (r *Resolver) LookupAddrs(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{ip}, nil
	}
	host = normalizeName(host)

	var addrs []netip.Addr
	var firstErr *AttemptError
	for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
		rrs, aerr := r.lookup(ctx, host, qtype)
		if aerr != nil {
			if firstErr == nil || firstErr.DNS == DNSNoData {
				firstErr = aerr
			}
			continue
		}
		for _, rr := range rrs {
			switch v := rr.(type) {
			case *dns.A:
				if ip, ok := netip.AddrFromSlice(v.A.To4()); ok {
					addrs = append(addrs, ip)
				}
			case *dns.AAAA:
				if ip, ok := netip.AddrFromSlice(v.AAAA.To16()); ok {
					addrs = append(addrs, ip)
				}
			}
		}
	}
	if len(addrs) > 0 {
		return addrs, nil
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, &AttemptError{Type: ErrorDNS, DNS: DNSNoData, State: StateConnect,
		Message: fmt.Sprintf("%s has no A or AAAA records", host)}
}

// Resolve returns the mail exchangers of domain with their addresses,
// lowest preference first. Hosts whose addresses cannot be found are left
// out; when none is left, the error of the first host is returned.
func (r *Resolver) Resolve(ctx context.Context, domain string) ([]Host, error) {
	mxs, err := r.LookupMX(ctx, domain)
	if err != nil {
		return nil, err
	}

	var hosts []Host
	var firstErr error
	for _, mx := range mxs {
		addrs, err := r.LookupAddrs(ctx, mx.Host)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		hosts = append(hosts, Host{MX: mx, Addrs: addrs})
	}
	if len(hosts) == 0 {
		return nil, firstErr
	}
	return hosts, nil
}

func normalizeName(s string) string {
	return strings.ToLower(strings.TrimSuffix(s, "."))
}

// lookup returns the answer records for name and qtype from the cache or
// the servers. A negative answer is an *AttemptError with DNSNXDomain or
// DNSNoData.
func (r *Resolver) lookup(ctx context.Context, name string, qtype uint16) ([]dns.RR, *AttemptError) {
	key := cacheKey{name, qtype}
	sh := &r.shards[maphash.String(r.seed, name)%cacheShards]

	for {
		sh.mu.Lock()
		e, ok := sh.m[key]
		if ok {
			select {
			case <-e.ready:
				if r.now().Before(e.expires) {
					sh.mu.Unlock()
					return e.rrs, e.err
				}
				// Expired: fall through and replace it.
			default:
				// Another goroutine is querying: wait for its answer.
				sh.mu.Unlock()
				select {
				case <-e.ready:
					continue
				case <-ctx.Done():
					return nil, contextError(ctx, name)
				}
			}
		}
		if !ok && len(sh.m) >= r.perShard {
			r.evict(sh)
		}
		e = &cacheEntry{ready: make(chan struct{})}
		sh.m[key] = e
		sh.mu.Unlock()

		rrs, ttl, aerr := r.query(ctx, name, qtype)
		e.rrs, e.err = rrs, aerr
		e.expires = r.now().Add(ttl)
		if aerr != nil && aerr.Temporary {
			// Temporary failures are not cached; waiters still get this
			// one answer.
			sh.mu.Lock()
			if sh.m[key] == e {
				delete(sh.m, key)
			}
			sh.mu.Unlock()
		}
		close(e.ready)
		return rrs, aerr
	}
}

// evict makes room in a full shard: it drops the expired answers, or
// else one answer chosen by map order. Lookups in flight stay. Called
// with sh.mu held.
func (r *Resolver) evict(sh *cacheShard) {
	now := r.now()
	var victim cacheKey
	found := false
	for k, e := range sh.m {
		select {
		case <-e.ready:
		default:
			continue
		}
		if !now.Before(e.expires) {
			delete(sh.m, k)
			continue
		}
		if !found {
			victim, found = k, true
		}
	}
	if len(sh.m) >= r.perShard && found {
		delete(sh.m, victim)
	}
}

func contextError(ctx context.Context, name string) *AttemptError {
	return &AttemptError{Type: ErrorDNS, DNS: DNSOther, Temporary: true, State: StateConnect,
		Message: fmt.Sprintf("lookup of %s: %v", name, ctx.Err())}
}

// query sends the query to the servers in turn and returns the records
// with their cache lifetime.
func (r *Resolver) query(ctx context.Context, name string, qtype uint16) ([]dns.RR, time.Duration, *AttemptError) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = true
	m.SetEdns0(1232, false)

	var lastErr error
	for _, server := range r.cfg.Servers {
		resp, _, err := r.udp.ExchangeContext(ctx, m, server)
		if err == nil && resp.Truncated {
			resp, _, err = r.tcp.ExchangeContext(ctx, m, server)
		}
		if err != nil {
			lastErr = err
			if ctx.Err() != nil {
				break
			}
			continue
		}

		switch resp.Rcode {
		case dns.RcodeSuccess:
			var rrs []dns.RR
			for _, rr := range resp.Answer {
				if rr.Header().Rrtype == qtype {
					rrs = append(rrs, rr)
				}
			}
			if len(rrs) == 0 {
				return nil, r.negativeTTL(resp), &AttemptError{Type: ErrorDNS, DNS: DNSNoData, State: StateConnect,
					Message: fmt.Sprintf("%s has no %s records", name, dns.TypeToString[qtype])}
			}
			return rrs, r.answerTTL(rrs), nil
		case dns.RcodeNameError:
			return nil, r.negativeTTL(resp), &AttemptError{Type: ErrorDNS, DNS: DNSNXDomain, State: StateConnect,
				Message: fmt.Sprintf("%s does not exist (NXDOMAIN)", name)}
		default:
			lastErr = fmt.Errorf("server %s answered %s", server, dns.RcodeToString[resp.Rcode])
		}
	}
	return nil, 0, &AttemptError{Type: ErrorDNS, DNS: DNSOther, Temporary: true, State: StateConnect,
		Message: fmt.Sprintf("lookup of %s %s failed: %v", name, dns.TypeToString[qtype], lastErr)}
}

// answerTTL is the smallest TTL of the records, capped by MaxTTL.
func (r *Resolver) answerTTL(rrs []dns.RR) time.Duration {
	ttl := r.cfg.MaxTTL
	for _, rr := range rrs {
		ttl = min(ttl, time.Duration(rr.Header().Ttl)*time.Second)
	}
	return ttl
}

// negativeTTL follows RFC 2308: the smaller of the SOA's TTL and its
// minimum field, or NegativeTTL when the answer has no SOA.
func (r *Resolver) negativeTTL(resp *dns.Msg) time.Duration {
	for _, rr := range resp.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			return min(r.cfg.MaxTTL, time.Duration(min(soa.Hdr.Ttl, soa.Minttl))*time.Second)
		}
	}
	return r.cfg.NegativeTTL
}
