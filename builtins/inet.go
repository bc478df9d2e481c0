package builtins

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/halonsh/halonsh/lang/vm"
)

// inetIncludes reports whether ip lies in network, which is one address, a
// CIDR prefix ("10.0.0.0/8") or an inclusive range ("10.0.0.1-10.0.0.9").
// ok is false when either argument cannot be parsed. Addresses of different
// families never match, so "::ffff:10.0.0.1" is not in 10.0.0.0/8.
func inetIncludes(ip, network string) (included, ok bool) {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false, false
	}

	if strings.Contains(network, "/") {
		prefix, err := netip.ParsePrefix(network)
		if err != nil {
			return false, false
		}
		return prefix.Contains(addr), true
	}

	if first, last, isRange := strings.Cut(network, "-"); isRange {
		low, err1 := netip.ParseAddr(strings.TrimSpace(first))
		high, err2 := netip.ParseAddr(strings.TrimSpace(last))
		if err1 != nil || err2 != nil {
			return false, false
		}
		if low.BitLen() != addr.BitLen() || high.BitLen() != addr.BitLen() {
			return false, true
		}
		return low.Compare(addr) <= 0 && addr.Compare(high) <= 0, true
	}

	single, err := netip.ParseAddr(network)
	if err != nil {
		return false, false
	}
	return single == addr, true
}

// inetPton converts an address in text form to its 4 or 16 network-order
// bytes.
func inetPton(ip string) ([]byte, bool) {
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Zone() != "" {
		return nil, false
	}
	return addr.AsSlice(), true
}

// inetNtop converts 4 or 16 bytes to text; IPv6 follows RFC 5952 and shows
// IPv4-mapped addresses as "::ffff:a.b.c.d".
func inetNtop(raw []byte) (string, bool) {
	addr, ok := netip.AddrFromSlice(raw)
	if !ok {
		return "", false
	}
	return addr.String(), true
}

// inetReverse builds the reverse DNS name of ip: the octets (IPv4) or the
// nibbles (IPv6) in reverse order, under in-addr.arpa or ip6.arpa, or under
// zone when it is not empty.
func inetReverse(ip, zone string) (string, bool) {
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Zone() != "" {
		return "", false
	}

	var b strings.Builder
	raw := addr.AsSlice()
	suffix := "in-addr.arpa"
	if addr.Is4() {
		for i := len(raw) - 1; i >= 0; i-- {
			b.WriteString(strconv.Itoa(int(raw[i])))
			b.WriteByte('.')
		}
	} else {
		suffix = "ip6.arpa"
		const digits = "0123456789abcdef"
		for i := len(raw) - 1; i >= 0; i-- {
			b.WriteByte(digits[raw[i]&0x0f])
			b.WriteByte('.')
			b.WriteByte(digits[raw[i]>>4])
			b.WriteByte('.')
		}
	}

	if zone != "" {
		suffix = strings.TrimPrefix(zone, ".")
	}
	b.WriteString(suffix)
	return b.String(), true
}

// domainIncludes reports whether subdomain is domain or lies below it,
// ignoring case and trailing dots. A domain written with a leading dot
// (".example.com") matches strict subdomains only.
func domainIncludes(subdomain, domain string) bool {
	sub := strings.ToLower(strings.TrimRight(subdomain, "."))
	parent := strings.ToLower(strings.TrimRight(domain, "."))

	strict := strings.HasPrefix(parent, ".")
	parent = strings.TrimPrefix(parent, ".")
	if parent == "" {
		return false
	}

	if sub == parent {
		return !strict
	}
	return strings.HasSuffix(sub, "."+parent)
}

func init() {
	registerFuncs(map[string]vm.BuiltinFunc{
		"inet_includes":   builtinInetIncludes,
		"inet_pton":       builtinInetPton,
		"inet_ntop":       builtinInetNtop,
		"inet_reverse":    builtinInetReverse,
		"domain_includes": builtinDomainIncludes,
	})
	registerAlias("in_network", "inet_includes")
	registerAlias("is_subdomain", "domain_includes")
}

func builtinInetIncludes(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	ip, err := a.str(0, "ip")
	if err != nil {
		return vm.None, err
	}
	network, err := a.str(1, "network")
	if err != nil {
		return vm.None, err
	}
	included, ok := inetIncludes(ip, network)
	if !ok {
		return vm.None, nil
	}
	return vm.Bool(included), nil
}

func builtinInetPton(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	ip, err := newLibArgs(c, args).str(0, "ip")
	if err != nil {
		return vm.None, err
	}
	raw, ok := inetPton(ip)
	if !ok {
		return vm.None, nil
	}
	return vm.Bytes(raw), nil
}

func builtinInetNtop(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	raw, err := newLibArgs(c, args).str(0, "ip")
	if err != nil {
		return vm.None, err
	}
	text, ok := inetNtop([]byte(raw))
	if !ok {
		return vm.None, nil
	}
	return vm.String(text), nil
}

func builtinInetReverse(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	ip, err := a.str(0, "ip")
	if err != nil {
		return vm.None, err
	}
	zone := ""
	if a.has(1) {
		if zone, err = a.str(1, "zone"); err != nil {
			return vm.None, err
		}
	}
	name, ok := inetReverse(ip, zone)
	if !ok {
		return vm.None, nil
	}
	return vm.String(name), nil
}

// builtinDomainIncludes is domain_includes(subdomain, domain [, options]);
// no options are defined yet, so the array is only type-checked.
func builtinDomainIncludes(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 3); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	sub, err := a.str(0, "subdomain")
	if err != nil {
		return vm.None, err
	}
	domain, err := a.str(1, "domain")
	if err != nil {
		return vm.None, err
	}
	if _, err := a.options(2); err != nil {
		return vm.None, err
	}
	return vm.Bool(domainIncludes(sub, domain)), nil
}
