package builtins

import (
	"context"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// startDNSServer serves a small zone on 127.0.0.1 over UDP and TCP and
// returns its address. Names not in the zone get NXDOMAIN; "refused.test."
// gets REFUSED; "big.test." TXT answers are too large for UDP.
func startDNSServer(t *testing.T) string {
	t.Helper()
	zone := map[string][]string{
		"mail.test. A":                 {"mail.test. 60 IN A 192.0.2.10", "mail.test. 60 IN A 192.0.2.11"},
		"mail.test. AAAA":              {"mail.test. 60 IN AAAA 2001:db8::10"},
		"test. MX":                     {"test. 60 IN MX 10 mail.test.", "test. 60 IN MX 20 backup.test."},
		"test. TXT":                    {`test. 60 IN TXT "v=spf1 " "-all"`},
		"test. NS":                     {"test. 60 IN NS ns1.test."},
		"www.test. CNAME":              {"www.test. 60 IN CNAME mail.test."},
		"www.test. A":                  {"www.test. 60 IN CNAME mail.test.", "mail.test. 60 IN A 192.0.2.10"},
		"10.2.0.192.in-addr.arpa. PTR": {"10.2.0.192.in-addr.arpa. 60 IN PTR mail.test."},
		"secure.test. A":               {"secure.test. 60 IN A 192.0.2.99"},
		"empty.test. A":                {},
	}
	var big []string
	for i := 0; i < 40; i++ {
		big = append(big, `big.test. 60 IN TXT "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"`)
	}
	zone["big.test. TXT"] = big

	handler := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		key := q.Name + " " + dns.TypeToString[q.Qtype]
		switch {
		case q.Name == "refused.test.":
			m.Rcode = dns.RcodeRefused
		case q.Name == "slow.test.":
			return // never answer
		default:
			records, ok := zone[key]
			if !ok {
				// A known name with another type is NODATA, else NXDOMAIN.
				m.Rcode = dns.RcodeNameError
				for k := range zone {
					if len(k) > len(q.Name) && k[:len(q.Name)+1] == q.Name+" " {
						m.Rcode = dns.RcodeSuccess
					}
				}
			}
			for _, text := range records {
				rr, err := dns.NewRR(text)
				if err != nil {
					t.Errorf("bad test record %q: %v", text, err)
					continue
				}
				m.Answer = append(m.Answer, rr)
			}
		}
		m.AuthenticatedData = q.Name == "secure.test."
		if w.LocalAddr().Network() == "udp" && m.Len() > 512 {
			m.Answer = nil
			m.Truncated = true
		}
		w.WriteMsg(m)
	})

	// UDP and TCP share the port number; retry when the TCP side of a
	// free UDP port is taken.
	var pc net.PacketConn
	var ln net.Listener
	var addr string
	for attempt := 0; ln == nil; attempt++ {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		addr = pc.LocalAddr().String()
		if ln, err = net.Listen("tcp", addr); err != nil {
			pc.Close()
			if attempt == 20 {
				t.Fatal(err)
			}
		}
	}
	udp := &dns.Server{PacketConn: pc, Handler: handler}
	tcp := &dns.Server{Listener: ln, Handler: handler}
	go udp.ActivateAndServe()
	go tcp.ActivateAndServe()
	t.Cleanup(func() {
		udp.Shutdown()
		tcp.Shutdown()
	})
	return addr
}

func TestQueryDNS(t *testing.T) {
	server := startDNSServer(t)
	servers := []string{server}

	cases := []struct {
		name    string
		qtype   uint16
		records []string
		err     string
		dnssec  bool
	}{
		{"mail.test", dns.TypeA, []string{"192.0.2.10", "192.0.2.11"}, "", false},
		{"mail.test.", dns.TypeAAAA, []string{"2001:db8::10"}, "", false},
		{"test", dns.TypeMX, []string{"10 mail.test", "20 backup.test"}, "", false},
		{"test", dns.TypeTXT, []string{"v=spf1 -all"}, "", false},
		{"test", dns.TypeNS, []string{"ns1.test"}, "", false},
		{"www.test", dns.TypeCNAME, []string{"mail.test"}, "", false},
		{"www.test", dns.TypeA, []string{"192.0.2.10"}, "", false},
		{"10.2.0.192.in-addr.arpa", dns.TypePTR, []string{"mail.test"}, "", false},
		{"secure.test", dns.TypeA, []string{"192.0.2.99"}, "", true},
		{"empty.test", dns.TypeA, []string{}, "", false},
		{"mail.test", dns.TypeMX, []string{}, "", false},
		{"missing.test", dns.TypeA, nil, "NXDOMAIN", false},
		{"refused.test", dns.TypeA, nil, "REFUSED", false},
	}
	for _, c := range cases {
		got := queryDNS(context.Background(), c.name, c.qtype, servers, 2*time.Second)
		if got.err != c.err || got.dnssec != c.dnssec || !reflect.DeepEqual(got.records, c.records) {
			t.Errorf("%s %s = %+v, want records %q, error %q, dnssec %v",
				c.name, dns.TypeToString[c.qtype], got, c.records, c.err, c.dnssec)
		}
	}
}

func TestQueryDNSTruncatedRetriesTCP(t *testing.T) {
	server := startDNSServer(t)
	got := queryDNS(context.Background(), "big.test", dns.TypeTXT, []string{server}, 2*time.Second)
	if got.err != "" || len(got.records) != 40 {
		t.Fatalf("big.test TXT = %d records, error %q, want 40 records over TCP", len(got.records), got.err)
	}
}

func TestQueryDNSTimeout(t *testing.T) {
	server := startDNSServer(t)
	start := time.Now()
	got := queryDNS(context.Background(), "slow.test", dns.TypeA, []string{server}, 300*time.Millisecond)
	if got.err != dnsTimeoutError {
		t.Fatalf("slow.test = %+v, want error TIMEOUT", got)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("timeout of 300ms took %v", elapsed)
	}
}

func TestQueryDNSFallsBackToNextServer(t *testing.T) {
	server := startDNSServer(t)

	// A UDP port with nobody reading answers nothing. The query gives it
	// half of the one-second timeout and then asks the working server.
	dead, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()

	got := queryDNS(context.Background(), "mail.test", dns.TypeA, []string{dead.LocalAddr().String(), server}, time.Second)
	if got.err != "" || !reflect.DeepEqual(got.records, []string{"192.0.2.10", "192.0.2.11"}) {
		t.Fatalf("query with a dead first server = %+v, want the answer of the second", got)
	}
}

func TestNormalizeDNSServers(t *testing.T) {
	got := normalizeDNSServers([]string{"192.0.2.1", "192.0.2.2:5353", "2001:db8::1", "[2001:db8::2]:53"})
	want := []string{"192.0.2.1:53", "192.0.2.2:5353", "[2001:db8::1]:53", "[2001:db8::2]:53"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("normalizeDNSServers = %q, want %q", got, want)
	}
}

func TestDNSQueryBuiltin(t *testing.T) {
	server := startDNSServer(t)
	opts := func(extra string) string { return `["servers" => ["` + server + `"]` + extra + `]` }
	runScriptCases(t, []scriptCase{
		{src: `echo dns_query("mail.test", ` + opts("") + `);`, want: "[\"result\"=>[0=>\"192.0.2.10\",1=>\"192.0.2.11\"],\"dnssec\"=>false]\n"},
		{src: `echo dns_query("test", ` + opts(`, "type" => "mx"`) + `)["result"];`, want: "[0=>\"10 mail.test\",1=>\"20 backup.test\"]\n"},
		{src: `echo dns_query("192.0.2.10", ` + opts(`, "type" => "PTR"`) + `)["result"];`, want: "[0=>\"mail.test\"]\n"},
		{src: `echo dns_query("secure.test", ` + opts(`, "extended_result" => true`) + `)["dnssec"];`, want: "true\n"},
		{src: `echo dns_query("missing.test", ` + opts("") + `);`, want: "[\"error\"=>\"NXDOMAIN\",\"dnssec\"=>false]\n"},
		{src: `echo dns_query("slow.test", ` + opts(`, "timeout" => 0.2`) + `)["error"];`, want: "TIMEOUT\n"},
		{src: `echo dns_query("empty.test", ` + opts("") + `)["result"];`, want: "[]\n"},
		{src: `dns_query("test", ["type" => "soa"]);`, err: `dns_query(): option "type" must be one of a, aaaa, mx, txt, cname, ns, ptr, got "soa"`},
		{src: `dns_query("test", ["timeout" => []]);`, err: `dns_query(): option "timeout" must be a number, got array`},
		{src: `dns_query("test", ["servers" => "1.2.3.4"]);`, err: `dns_query(): option "servers" must be an array, got string`},
	})
}
