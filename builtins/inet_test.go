package builtins

import (
	"bytes"
	"testing"
)

func TestInetIncludes(t *testing.T) {
	cases := []struct {
		ip, network  string
		included, ok bool
	}{
		{"10.1.2.3", "10.0.0.0/8", true, true},
		{"11.1.2.3", "10.0.0.0/8", false, true},
		{"10.0.0.1", "10.0.0.1", true, true},
		{"10.0.0.2", "10.0.0.1", false, true},
		{"10.0.0.5", "10.0.0.1-10.0.0.9", true, true},
		{"10.0.0.9", "10.0.0.1-10.0.0.9", true, true},
		{"10.0.0.10", "10.0.0.1-10.0.0.9", false, true},
		{"2001:db8::1", "2001:db8::/32", true, true},
		{"2001:db9::1", "2001:db8::/32", false, true},
		{"2001:db8::1", "10.0.0.0/8", false, true},
		{"10.0.0.1", "::/0", false, true},
		{"::ffff:10.0.0.1", "10.0.0.0/8", false, true},
		{"10.0.0.1", "2001:db8::1-2001:db8::9", false, true},
		{"not an ip", "10.0.0.0/8", false, false},
		{"10.0.0.1", "10.0.0.0/33", false, false},
		{"10.0.0.1", "garbage", false, false},
		{"10.0.0.1", "10.0.0.1-x", false, false},
	}
	for _, c := range cases {
		included, ok := inetIncludes(c.ip, c.network)
		if included != c.included || ok != c.ok {
			t.Errorf("inetIncludes(%q, %q) = %v, %v, want %v, %v", c.ip, c.network, included, ok, c.included, c.ok)
		}
	}
}

func TestInetPtonNtop(t *testing.T) {
	cases := []struct {
		text string
		raw  []byte
	}{
		{"10.0.0.1", []byte{10, 0, 0, 1}},
		{"2001:db8::1", []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
		{"::ffff:1.2.3.4", []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4}},
		{"::", make([]byte, 16)},
	}
	for _, c := range cases {
		raw, ok := inetPton(c.text)
		if !ok || !bytes.Equal(raw, c.raw) {
			t.Errorf("inetPton(%q) = %v, %v", c.text, raw, ok)
		}
		text, ok := inetNtop(c.raw)
		if !ok || text != c.text {
			t.Errorf("inetNtop(%v) = %q, %v, want %q", c.raw, text, ok, c.text)
		}
	}

	// RFC 5952: lower case, longest zero run compressed.
	if text, _ := inetNtop([]byte{0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}); text != "2001:db8:0:1::1" {
		t.Errorf("inetNtop RFC 5952 form = %q", text)
	}
	for _, bad := range []string{"", "1.2.3", "fe80::1%eth0", "host"} {
		if _, ok := inetPton(bad); ok {
			t.Errorf("inetPton(%q) accepted", bad)
		}
	}
	for _, n := range []int{0, 3, 5, 15, 17} {
		if _, ok := inetNtop(make([]byte, n)); ok {
			t.Errorf("inetNtop of %d bytes accepted", n)
		}
	}
}

func TestInetReverse(t *testing.T) {
	cases := []struct{ ip, zone, want string }{
		{"8.8.4.4", "", "4.4.8.8.in-addr.arpa"},
		{"12.34.56.78", "example.com", "78.56.34.12.example.com"},
		{"12.34.56.78", ".example.com", "78.56.34.12.example.com"},
		{"2001:db8::1", "", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"},
	}
	for _, c := range cases {
		got, ok := inetReverse(c.ip, c.zone)
		if !ok || got != c.want {
			t.Errorf("inetReverse(%q, %q) = %q, %v, want %q", c.ip, c.zone, got, ok, c.want)
		}
	}
	if _, ok := inetReverse("nope", ""); ok {
		t.Error("inetReverse of a host name accepted")
	}
}

func TestDomainIncludes(t *testing.T) {
	cases := []struct {
		sub, domain string
		want        bool
	}{
		{"mx.example.com", "example.com", true},
		{"example.com", "example.com", true},
		{"EXAMPLE.com.", "example.COM", true},
		{"a.b.example.com", "example.com", true},
		{"badexample.com", "example.com", false},
		{"example.com", "mx.example.com", false},
		{"halon.io", ".halon.io", false},
		{"mx.halon.io", ".halon.io", true},
		{"x", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		if got := domainIncludes(c.sub, c.domain); got != c.want {
			t.Errorf("domainIncludes(%q, %q) = %v, want %v", c.sub, c.domain, got, c.want)
		}
	}
}
