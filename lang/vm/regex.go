package vm

import (
	"container/list"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// Regex is a compiled regular expression: a `#/…/flags` literal, a
// pcre_compile() result or a string pattern. Without the `u` flag the
// pattern and the subject are matched byte by byte (each byte is one
// character); with `u` both are UTF-8.
type Regex struct {
	Pattern string // as written, without delimiters
	Flags   string
	re      *regexp2.Regexp
	// engine is the installed regex engine's compiled form, when one is
	// installed; it decides matches instead of re.
	engine RegexMatcher
}

// RegexMatcher is a pattern compiled by an installed regex engine.
type RegexMatcher interface {
	MatchString(s string) (bool, error)
}

// regexEngine, when set, compiles every pattern of regex literals, `=~`,
// `!~` and pcre_compile, so that they match exactly as the pcre_*
// functions of the standard library do.
var regexEngine atomic.Pointer[func(pattern, flags string) (RegexMatcher, error)]

// SetRegexEngine installs the compiler behind regex literals and `=~`;
// the standard library calls it from its Install. It affects programs
// compiled afterwards, and pattern strings matched from then on.
func SetRegexEngine(compile func(pattern, flags string) (RegexMatcher, error)) {
	regexEngine.Store(&compile)
}

// String returns the display form `/pattern/flags`.
func (r *Regex) String() string { return "/" + r.Pattern + "/" + r.Flags }

// Regexp returns the compiled engine expression, nil when an installed
// regex engine compiled the pattern. Pass it subjects made with Runes.
func (r *Regex) Regexp() *regexp2.Regexp { return r.re }

// Unicode reports whether the `u` flag is set.
func (r *Regex) Unicode() bool { return strings.IndexByte(r.Flags, 'u') >= 0 }

// Runes converts a subject to the engine's characters: bytes one to one,
// or UTF-8 code points with the `u` flag. Match offsets then count bytes
// (without `u`) or code points.
func (r *Regex) Runes(s string) []rune {
	if r.Unicode() {
		return []rune(s)
	}
	out := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		out[i] = rune(s[i])
	}
	return out
}

// MatchString reports whether the pattern matches anywhere in s.
func (r *Regex) MatchString(s string) (bool, error) {
	if r.engine != nil {
		return r.engine.MatchString(s)
	}
	m, err := r.re.FindRunesMatch(r.Runes(s))
	if err != nil {
		return false, err
	}
	return m != nil, nil
}

// CompileRegex compiles a PCRE-style pattern with flags from "imsuxUX".
// Constructs the engine lacks (possessive quantifiers, \K, recursion)
// are errors.
func CompileRegex(pattern, flags string) (*Regex, error) {
	if compile := regexEngine.Load(); compile != nil {
		m, err := (*compile)(pattern, flags)
		if err != nil {
			return nil, Errorf("invalid regex: %s", err.Error())
		}
		return &Regex{Pattern: pattern, Flags: flags, engine: m}, nil
	}
	var opts regexp2.RegexOptions
	for i := 0; i < len(flags); i++ {
		switch flags[i] {
		case 'i':
			opts |= regexp2.IgnoreCase
		case 'm':
			opts |= regexp2.Multiline
		case 's':
			opts |= regexp2.Singleline
		case 'x':
			opts |= regexp2.IgnorePatternWhitespace
		case 'u', 'X':
		case 'U':
			// Handled by swapping lazy and greedy quantifiers below.
		default:
			return nil, Errorf("invalid regex flag %q", flags[i])
		}
	}
	src, err := translatePattern(pattern, strings.IndexByte(flags, 'u') >= 0, strings.IndexByte(flags, 'U') >= 0)
	if err != nil {
		return nil, err
	}
	re, err := regexp2.Compile(src, opts)
	if err != nil {
		return nil, Errorf("invalid regex: %s", err.Error())
	}
	return &Regex{Pattern: pattern, Flags: flags, re: re}, nil
}

// translatePattern rewrites PCRE syntax the engine spells differently:
// (?P<n> becomes (?<n>, and with U the greediness of quantifiers is
// swapped. Without u, non-ASCII bytes become one character each.
func translatePattern(p string, unicode, ungreedy bool) (string, error) {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			switch p[i+1] {
			case 'K':
				return "", Errorf("invalid regex: \\K is not supported")
			}
			b.WriteByte(c)
			i++
			writePatternByte(&b, p[i], unicode)
			continue
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			if i+1 < len(p) && p[i+1] == ']' {
				b.WriteString("[]")
				i++
				continue
			}
		case c == '(' && strings.HasPrefix(p[i:], "(?P<"):
			b.WriteString("(?<")
			i += 3
			continue
		case c == '(' && (strings.HasPrefix(p[i:], "(?R)") || strings.HasPrefix(p[i:], "(?0)")):
			return "", Errorf("invalid regex: recursion is not supported")
		case c == '*' || c == '+' || c == '?' || c == '}':
			if c == '?' && i > 0 && p[i-1] == '(' {
				break
			}
			b.WriteByte(c)
			next := byte(0)
			if i+1 < len(p) {
				next = p[i+1]
			}
			if next == '+' {
				return "", Errorf("invalid regex: possessive quantifiers are not supported")
			}
			if ungreedy {
				if next == '?' {
					i++ // lazy becomes greedy
				} else {
					b.WriteByte('?')
				}
			}
			continue
		}
		writePatternByte(&b, c, unicode)
	}
	return b.String(), nil
}

func writePatternByte(b *strings.Builder, c byte, unicode bool) {
	if c < utf8.RuneSelf || unicode {
		b.WriteByte(c)
		return
	}
	b.WriteRune(rune(c))
}

// patternCache keeps string patterns compiled on use (LRU, 1,000 entries).
var patternCache = struct {
	sync.Mutex
	order *list.List
	items map[string]*list.Element
}{order: list.New(), items: map[string]*list.Element{}}

type cachedPattern struct {
	src string
	re  *Regex
}

// PatternOf returns the regex for a value used as a pattern: a regex value
// itself, or a string read as `/pattern/flags` when it has that shape and
// as a whole pattern otherwise. Compiled string patterns are cached.
func PatternOf(v Value) (*Regex, error) {
	if v.kind == KindRegex {
		return (*Regex)(v.p), nil
	}
	if v.kind != KindString {
		return nil, Errorf("invalid pattern: expected a regex or string, got %s", v.TypeName())
	}
	s := v.str()
	patternCache.Lock()
	if el, ok := patternCache.items[s]; ok {
		patternCache.order.MoveToFront(el)
		re := el.Value.(*cachedPattern).re
		patternCache.Unlock()
		return re, nil
	}
	patternCache.Unlock()

	pattern, flags := SplitPattern(s)
	re, err := CompileRegex(pattern, flags)
	if err != nil {
		return nil, err
	}

	patternCache.Lock()
	defer patternCache.Unlock()
	if _, ok := patternCache.items[s]; !ok {
		patternCache.items[s] = patternCache.order.PushFront(&cachedPattern{src: s, re: re})
		if patternCache.order.Len() > 1000 {
			old := patternCache.order.Back()
			patternCache.order.Remove(old)
			delete(patternCache.items, old.Value.(*cachedPattern).src)
		}
	}
	return re, nil
}

// SplitPattern splits "/pattern/flags" into its parts; any other string is
// a pattern without flags.
func SplitPattern(s string) (pattern, flags string) {
	if len(s) >= 2 && s[0] == '/' {
		end := strings.LastIndexByte(s, '/')
		if end > 0 {
			fl := s[end+1:]
			if strings.Trim(fl, "imsuxUX") == "" {
				return s[1:end], fl
			}
		}
	}
	return s, ""
}
