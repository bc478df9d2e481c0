package builtins

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/halonsh/halonsh/lang/vm"
)

func init() {
	registerFuncs(map[string]vm.BuiltinFunc{"dns_query": builtinDNSQuery})
}

// dnsTypes maps dns_query's type option to the record type.
var dnsTypes = map[string]uint16{
	"a":     dns.TypeA,
	"aaaa":  dns.TypeAAAA,
	"mx":    dns.TypeMX,
	"txt":   dns.TypeTXT,
	"cname": dns.TypeCNAME,
	"ns":    dns.TypeNS,
	"ptr":   dns.TypePTR,
}

// dnsTimeoutError is the error name dns_query reports when no server
// answered in time.
const dnsTimeoutError = "TIMEOUT"

// dnsResolvers holds the servers dns_query asks when the script names
// none: those set with SetDNSServers, else the nameservers of
// /etc/resolv.conf, read once.
var dnsResolvers struct {
	mu      sync.Mutex
	servers []string
	loaded  bool
}

// SetDNSServers sets the servers ("ip" or "ip:port") that dns_query uses
// by default. nil goes back to /etc/resolv.conf.
func SetDNSServers(servers []string) {
	dnsResolvers.mu.Lock()
	defer dnsResolvers.mu.Unlock()
	dnsResolvers.servers = normalizeDNSServers(servers)
	dnsResolvers.loaded = servers != nil
}

func defaultDNSServers() []string {
	dnsResolvers.mu.Lock()
	defer dnsResolvers.mu.Unlock()
	if !dnsResolvers.loaded {
		dnsResolvers.loaded = true
		if conf, err := dns.ClientConfigFromFile("/etc/resolv.conf"); err == nil {
			for _, s := range conf.Servers {
				dnsResolvers.servers = append(dnsResolvers.servers, net.JoinHostPort(s, conf.Port))
			}
		}
		if len(dnsResolvers.servers) == 0 {
			dnsResolvers.servers = []string{"127.0.0.1:53"}
		}
	}
	return dnsResolvers.servers
}

// normalizeDNSServers adds port 53 to servers given without one; IPv6
// addresses may be bare or in brackets.
func normalizeDNSServers(servers []string) []string {
	out := make([]string, 0, len(servers))
	for _, s := range servers {
		if addr, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
			out = append(out, net.JoinHostPort(addr.String(), "53"))
			continue
		}
		out = append(out, s)
	}
	return out
}

// dnsResult is the outcome of one query: the records of the requested
// type, or the name of the error (an rcode name or TIMEOUT), and whether
// the answer carried the AD (authenticated data) bit.
type dnsResult struct {
	records []string
	err     string
	dnssec  bool
}

// queryDNS asks the servers in order until one answers, retrying over TCP
// when a UDP answer is truncated. timeout bounds the whole query; each
// server gets an equal share of the time that is left when its turn comes.
func queryDNS(ctx context.Context, name string, qtype uint16, servers []string, timeout time.Duration) dnsResult {
	deadline := time.Now().Add(timeout)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	query := new(dns.Msg)
	query.SetQuestion(dns.Fqdn(name), qtype)
	query.RecursionDesired = true
	// Setting AD in the query asks the resolver to report whether it
	// validated the answer (RFC 6840 section 5.7).
	query.AuthenticatedData = true

	for i, server := range servers {
		share := time.Until(deadline) / time.Duration(len(servers)-i)
		resp, err := exchangeDNS(ctx, query, server, share)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			continue
		}
		return dnsResultOf(resp, qtype)
	}
	return dnsResult{err: dnsTimeoutError}
}

func exchangeDNS(ctx context.Context, query *dns.Msg, server string, timeout time.Duration) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	client := &dns.Client{Net: "udp", Timeout: timeout}
	resp, _, err := client.ExchangeContext(ctx, query, server)
	if err == nil && resp.Truncated {
		client.Net = "tcp"
		resp, _, err = client.ExchangeContext(ctx, query, server)
	}
	if err == nil && resp == nil {
		err = errors.New("empty DNS response")
	}
	return resp, err
}

// dnsResultOf extracts the records of type qtype from an answer.
func dnsResultOf(resp *dns.Msg, qtype uint16) dnsResult {
	result := dnsResult{dnssec: resp.AuthenticatedData}
	if resp.Rcode != dns.RcodeSuccess {
		name, ok := dns.RcodeToString[resp.Rcode]
		if !ok {
			name = "RCODE" + strconv.Itoa(resp.Rcode)
		}
		result.err = name
		return result
	}

	result.records = []string{}
	for _, rr := range resp.Answer {
		if rr.Header().Rrtype != qtype {
			continue
		}
		switch r := rr.(type) {
		case *dns.A:
			result.records = append(result.records, r.A.String())
		case *dns.AAAA:
			result.records = append(result.records, r.AAAA.String())
		case *dns.MX:
			result.records = append(result.records, strconv.Itoa(int(r.Preference))+" "+strings.TrimSuffix(r.Mx, "."))
		case *dns.TXT:
			result.records = append(result.records, strings.Join(r.Txt, ""))
		case *dns.CNAME:
			result.records = append(result.records, strings.TrimSuffix(r.Target, "."))
		case *dns.NS:
			result.records = append(result.records, strings.TrimSuffix(r.Ns, "."))
		case *dns.PTR:
			result.records = append(result.records, strings.TrimSuffix(r.Ptr, "."))
		}
	}
	return result
}

// builtinDNSQuery is dns_query(host [, options]).
func builtinDNSQuery(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	host, err := a.str(0, "host")
	if err != nil {
		return vm.None, err
	}
	opts, err := a.options(1)
	if err != nil {
		return vm.None, err
	}
	typeName, _, err := opts.str("type", "a")
	if err != nil {
		return vm.None, err
	}
	qtype, ok := dnsTypes[strings.ToLower(typeName)]
	if !ok {
		return vm.None, c.Errorf(`option "type" must be one of a, aaaa, mx, txt, cname, ns, ptr, got %q`, typeName)
	}
	seconds, _, err := opts.num("timeout", 5)
	if err != nil {
		return vm.None, err
	}
	if !(seconds > 0) || seconds > 3600 {
		return vm.None, c.Errorf(`option "timeout" must be from 0 to 3600 seconds, got %s`, vm.FormatNumber(seconds))
	}
	servers := defaultDNSServers()
	if list, err := opts.array("servers"); err != nil {
		return vm.None, err
	} else if list != nil {
		given, err := stringList(c, list, `option "servers"`)
		if err != nil {
			return vm.None, err
		}
		servers = normalizeDNSServers(given)
	}

	// A PTR query for an address asks for its reverse name.
	if qtype == dns.TypePTR {
		if reverse, err := dns.ReverseAddr(host); err == nil {
			host = reverse
		}
	}

	var result dnsResult
	if _, valid := dns.IsDomainName(host); !valid || host == "" {
		result.err = "FORMERR"
	} else {
		result = queryDNS(c.Context(), host, qtype, servers, time.Duration(seconds*float64(time.Second)))
	}

	out := vm.NewArray(2)
	if result.err != "" {
		out.SetStr("error", vm.String(result.err))
	} else {
		records := make([]vm.Value, len(result.records))
		for i, r := range result.records {
			records[i] = vm.String(r)
		}
		out.SetStr("result", vm.ArrayValue(vm.NewList(records)))
	}
	out.SetStr("dnssec", vm.Bool(result.dnssec))
	return vm.ArrayValue(out), nil
}
