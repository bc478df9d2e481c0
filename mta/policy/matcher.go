package policy

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unsafe"

	"github.com/dlclark/regexp2"
)

// regexTimeout bounds one regex match, so a backtracking pattern cannot
// stall pickup decisions. A match that times out counts as no match.
const regexTimeout = 50 * time.Millisecond

type matchKind uint8

const (
	matchExact    matchKind = iota // value equals (case-folded for host fields)
	matchWildcard                  // "*.domain": value ends in ".domain"
	matchRegex                     // "/re/flags": regex search
	matchPrefix                    // IP address or network
	matchRollup                    // "#name" in a suspend: some policy rolls the value up to #name
)

// matcher is one compiled matcher item.
type matcher struct {
	kind   matchKind
	text   string // as written, for display; list items keep their own text
	value  string // exact value, wildcard suffix (".domain") or rollup name
	re     *regexp2.Regexp
	prefix netip.Prefix
}

// matcherSet is an ordered list of matchers with indexes for the fast
// kinds. first returns the lowest index that matches, so "first match in
// file order" holds across all kinds.
type matcherSet struct {
	field  Field
	items  []matcher
	exact  map[string]int32
	suffix map[string]int32
	addrs  map[netip.Addr]int32
	slow   []int32 // regexes, networks and rollup references, in order

	// suffixLens has bit n set when suffix holds a suffix of n bytes
	// (n < 256), so first hashes only suffixes of lengths that occur.
	suffixLens [4]uint64
	longSuffix bool // suffix holds one of 256 bytes or more
	// minSuffix and maxSuffix bound the suffix lengths, so first looks
	// for dots only where a suffix can start.
	minSuffix, maxSuffix int
}

func newMatcherSet(f Field) *matcherSet {
	return &matcherSet{field: f}
}

func (s *matcherSet) add(m matcher) {
	i := int32(len(s.items))
	s.items = append(s.items, m)
	switch {
	case m.kind == matchExact:
		if s.exact == nil {
			s.exact = make(map[string]int32)
		}
		if _, dup := s.exact[m.value]; !dup {
			s.exact[m.value] = i
		}
	case m.kind == matchWildcard:
		if s.suffix == nil {
			s.suffix = make(map[string]int32)
		}
		if _, dup := s.suffix[m.value]; !dup {
			s.suffix[m.value] = i
		}
		if s.maxSuffix == 0 || len(m.value) < s.minSuffix {
			s.minSuffix = len(m.value)
		}
		s.maxSuffix = max(s.maxSuffix, len(m.value))
		if n := len(m.value); n < 256 {
			s.suffixLens[n/64] |= 1 << (n % 64)
		} else {
			s.longSuffix = true
		}
	case m.kind == matchPrefix && m.prefix.IsSingleIP():
		if s.addrs == nil {
			s.addrs = make(map[netip.Addr]int32)
		}
		if _, dup := s.addrs[m.prefix.Addr()]; !dup {
			s.addrs[m.prefix.Addr()] = i
		}
	default:
		s.slow = append(s.slow, i)
	}
}

// onlyExact reports whether every item is an exact value, so that the
// exact index alone decides a match.
func (s *matcherSet) onlyExact() bool {
	return len(s.items) == len(s.exact) && len(s.items) > 0
}

// first returns the index of the first item matching v, or -1. v is the
// value as stored in keys (lower case for host and IP fields). A value
// produced by a rollup ("#name") matches only exact items.
func (s *matcherSet) first(v string, rolled bool, ctx *matchContext) int32 {
	best := int32(-1)
	if i, ok := s.exact[v]; ok {
		best = i
	}
	if rolled {
		return best
	}

	if s.suffix != nil {
		for j := max(0, len(v)-s.maxSuffix); j <= len(v)-s.minSuffix; j++ {
			if v[j] != '.' {
				continue
			}
			if n := len(v) - j; n < 256 && s.suffixLens[n/64]&(1<<(n%64)) == 0 || n >= 256 && !s.longSuffix {
				continue
			}
			if i, ok := s.suffix[v[j:]]; ok && (best < 0 || i < best) {
				best = i
			}
		}
	}

	var addr netip.Addr
	haveAddr := false
	if s.field.isIP() && (s.addrs != nil || len(s.slow) > 0) {
		if a, err := netip.ParseAddr(v); err == nil {
			addr, haveAddr = a.Unmap(), true
		}
	}
	if haveAddr && s.addrs != nil {
		if i, ok := s.addrs[addr]; ok && (best < 0 || i < best) {
			best = i
		}
	}

	for _, i := range s.slow {
		if best >= 0 && i > best {
			break
		}
		m := &s.items[i]
		switch m.kind {
		case matchPrefix:
			if haveAddr && m.prefix.Contains(addr) {
				return i
			}
		case matchRegex:
			if ok, err := m.re.MatchString(v); err == nil && ok {
				return i
			}
		case matchRollup:
			if ctx != nil && ctx.rollsUpTo(s.field, v, m.value) {
				return i
			}
		}
	}
	return best
}

// matchContext gives rollup references in suspends access to the
// policies' rollups.
type matchContext struct {
	policies []*Policy
}

// rollsUpTo reports whether any policy rolls the raw value v of field f up
// to the rollup named name.
func (c *matchContext) rollsUpTo(f Field, v, name string) bool {
	for _, p := range c.policies {
		r := p.rollups[f]
		if r == nil {
			continue
		}
		if got, ok := r.apply(v); ok && got[1:] == name {
			return true
		}
	}
	return false
}

// matcherScope is the set of lists and rollups a matcher may reference.
type matcherScope struct {
	lists   map[string]*valueList
	rollups *rollupSet // the policy's rollups of this field, for "#name" in conditions
	// suspendRollups lists the rollup names any policy defines for the
	// field, for "#name" in suspends.
	suspendRollups map[string]bool
	inRollup       bool // items of a rollup may not reference rollups
	inList         bool // list items may not reference lists
}

// valueList is a named list from the top-level "lists" key. Its items are
// compiled per use, because the field decides how an item reads.
type valueList struct {
	name  string
	items []listItem
}

type listItem struct {
	text      string
	line, col int
}

// compileMatcher compiles one matcher string for field f and appends the
// resulting items to set. A list reference adds every item of the list.
func compileMatcher(set *matcherSet, f Field, text string, scope *matcherScope) error {
	switch {
	case strings.HasPrefix(text, "@"):
		if scope.inList {
			return fmt.Errorf("list reference %q inside a list is not allowed", text)
		}
		list := scope.lists[text[1:]]
		if list == nil {
			return fmt.Errorf("unknown list %q", text)
		}
		inner := *scope
		inner.inList = true
		for _, item := range list.items {
			if err := compileMatcher(set, f, item.text, &inner); err != nil {
				return fmt.Errorf("list %q: %w", text, err)
			}
		}
		return nil

	case strings.HasPrefix(text, "#"):
		name := text[1:]
		switch {
		case scope.inRollup:
			return fmt.Errorf("rollup reference %q inside a rollup is not allowed", text)
		case scope.suspendRollups != nil:
			if !scope.suspendRollups[name] {
				return fmt.Errorf("no policy defines rollup %q for %s", text, f)
			}
			set.add(matcher{kind: matchRollup, text: text, value: name})
			return nil
		case scope.rollups == nil || !scope.rollups.has(name):
			return fmt.Errorf("unknown rollup or list %q", text)
		}
		set.add(matcher{kind: matchExact, text: text, value: text})
		return nil

	case strings.HasPrefix(text, "&"):
		if f != Grouping {
			return fmt.Errorf("grouping reference %q is only valid for the grouping field", text)
		}
		set.add(matcher{kind: matchExact, text: text, value: text})
		return nil

	case len(text) >= 2 && text[0] == '/' && strings.LastIndexByte(text, '/') > 0:
		if f.isIP() {
			return fmt.Errorf("regex %q is not valid for the IP field %s", text, f)
		}
		re, err := compileRegex(text)
		if err != nil {
			return err
		}
		set.add(matcher{kind: matchRegex, text: text, re: re})
		return nil

	case strings.HasPrefix(text, "*."):
		if !f.isHost() {
			return fmt.Errorf("wildcard %q is only valid for remotemx and recipientdomain", text)
		}
		suffix := strings.ToLower(strings.TrimSuffix(text[1:], "."))
		if len(suffix) < 2 || strings.ContainsAny(suffix[1:], "*") {
			return fmt.Errorf("invalid wildcard %q", text)
		}
		set.add(matcher{kind: matchWildcard, text: text, value: suffix})
		return nil

	case f.isIP():
		p, err := parseIPMatcher(text)
		if err != nil {
			return err
		}
		set.add(matcher{kind: matchPrefix, text: text, prefix: p})
		return nil
	}

	set.add(matcher{kind: matchExact, text: text, value: normalizeValue(f, text)})
	return nil
}

// parseIPMatcher reads an address or a network in CIDR form.
func parseIPMatcher(text string) (netip.Prefix, error) {
	if strings.Contains(text, "/") {
		p, err := netip.ParsePrefix(text)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("invalid IP network %q", text)
		}
		if p.Addr().Is4In6() {
			bits := p.Bits() - 96
			if bits < 0 {
				return netip.Prefix{}, fmt.Errorf("invalid IP network %q", text)
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), bits)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(text)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid IP address %q", text)
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// compileRegex compiles "/pattern/flags" with PCRE semantics. Flags: i
// (caseless), m (multiline), s (dot matches newline), x (extended), u
// (accepted; patterns already match UTF-8).
func compileRegex(text string) (*regexp2.Regexp, error) {
	end := strings.LastIndexByte(text, '/')
	pattern, flags := text[1:end], text[end+1:]
	opts := regexp2.RegexOptions(0)
	for _, c := range flags {
		switch c {
		case 'i':
			opts |= regexp2.IgnoreCase
		case 'm':
			opts |= regexp2.Multiline
		case 's':
			opts |= regexp2.Singleline
		case 'x':
			opts |= regexp2.IgnorePatternWhitespace
		case 'u':
		default:
			return nil, fmt.Errorf("invalid regex %q: unsupported flag %q", text, c)
		}
	}
	re, err := regexp2.Compile(pattern, opts)
	if err != nil {
		return nil, fmt.Errorf("invalid regex %q: %v", text, err)
	}
	re.MatchTimeout = regexTimeout
	return re, nil
}

// normalizeValue returns v as keys store it: lower case for host and IP
// fields, without a final dot for host fields.
func normalizeValue(f Field, v string) string {
	if f.isHost() {
		v = strings.TrimSuffix(v, ".")
	}
	if f.foldsCase() {
		return lowerASCII(v)
	}
	return v
}

// lowerASCII lowers ASCII letters, returning s itself when it has none.
// It tests eight bytes at a time, because most values are already lower
// case and the test runs on every pickup.
func lowerASCII(s string) string {
	if len(s) >= 8 {
		b := unsafe.Slice(unsafe.StringData(s), len(s))
		for i := 0; i < len(b); i += 8 {
			// The last word overlaps the one before when len(b) is not
			// a multiple of eight.
			w := binary.LittleEndian.Uint64(b[min(i, len(b)-8):])
			if hasUpperASCII(w) {
				return strings.ToLower(s)
			}
		}
		return s
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// hasUpperASCII reports whether any byte of w is in 'A'..'Z'. Adding
// 0x3f sets a byte's top bit from 'A' (0x41) up, and adding 0x25 sets it
// from past 'Z' (0x5b) up. The top bits are cleared first, so no sum
// carries into the next byte, and bytes of 0x80 and above are excluded.
func hasUpperASCII(w uint64) bool {
	const ones, tops = 0x0101010101010101, 0x8080808080808080
	low := w &^ tops
	return (low+0x3f*ones)&^(low+0x25*ones)&^w&tops != 0
}
