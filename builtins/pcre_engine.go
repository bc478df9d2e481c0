package builtins

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// pcreRegex is a compiled PCRE pattern. It is immutable and safe for
// concurrent use.
type pcreRegex struct {
	pattern    string     // the pattern text as written, without delimiters
	flags      regexFlags // the flags it was compiled with
	re         *regexp2.Regexp
	groupCount int
	groupNames []string // groupNames[i] names group i, "" when unnamed
}

// pcreMatchTimeout bounds one search of a pattern, so that catastrophic
// backtracking cannot hold a run forever: the engine does not watch the
// run's context. It equals the default wall-time limit of a hook run.
// Tests lower it.
var pcreMatchTimeout = 60 * time.Second

// compilePCRE compiles pattern with flags.
func compilePCRE(pattern string, flags regexFlags) (*pcreRegex, error) {
	syntax, err := translatePCRE(pattern, flags)
	if err != nil {
		return nil, err
	}

	var options regexp2.RegexOptions
	if flags&flagCaseless != 0 {
		options |= regexp2.IgnoreCase
	}
	if flags&flagMultiline != 0 {
		options |= regexp2.Multiline
	}
	if flags&flagDotAll != 0 {
		options |= regexp2.Singleline
	}
	re, err := regexp2.Compile(syntax.pattern, options)
	if err != nil {
		// The translator accepts only what the engine should parse, so
		// this points at a construct it passes through unchecked (such
		// as an unknown \p{…} name).
		return nil, fmt.Errorf("unsupported pattern: %v", err)
	}
	re.MatchTimeout = pcreMatchTimeout

	return &pcreRegex{
		pattern:    pattern,
		flags:      flags,
		re:         re,
		groupCount: syntax.groupCount,
		groupNames: syntax.groupNames,
	}, nil
}

// String returns the display form /pattern/flags.
func (r *pcreRegex) String() string {
	return "/" + r.pattern + "/" + r.flags.String()
}

// pcreSubject is a subject string prepared for the engine.
type pcreSubject struct {
	text    string
	runes   []rune
	offsets []int // byte offset of each rune index (len(runes)+1 entries); nil when they are equal
}

// prepare converts s to the rune alphabet of the pattern (see
// pcre_syntax.go).
func (r *pcreRegex) prepare(s string) *pcreSubject {
	subject := &pcreSubject{text: s}
	if r.flags&flagUTF8 == 0 {
		runes := make([]rune, len(s))
		for i := 0; i < len(s); i++ {
			b := rune(s[i])
			if b >= 0x80 {
				b += 0xE000
			}
			runes[i] = b
		}
		subject.runes = runes
		return subject
	}

	runes := make([]rune, 0, len(s))
	offsets := make([]int, 0, len(s)+1)
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			c = 0xE000 + rune(s[i])
		}
		runes = append(runes, c)
		offsets = append(offsets, i)
		i += size
	}
	offsets = append(offsets, len(s))
	subject.runes = runes
	subject.offsets = offsets
	return subject
}

func (s *pcreSubject) byteOffset(runeIndex int) int {
	if s.offsets == nil {
		return runeIndex
	}
	return s.offsets[runeIndex]
}

// pcreMatch holds the byte spans of one match: spans[2i] and spans[2i+1]
// delimit group i, both −1 when the group did not take part.
type pcreMatch struct {
	subject *pcreSubject
	spans   []int
}

// Group returns the text of group i and whether it took part.
func (m *pcreMatch) Group(i int) (string, bool) {
	lo, hi := m.spans[2*i], m.spans[2*i+1]
	if lo < 0 {
		return "", false
	}
	return m.subject.text[lo:hi], true
}

// MatchString reports whether s contains a match.
func (r *pcreRegex) MatchString(s string) (bool, error) {
	ok, err := r.re.MatchRunes(r.prepare(s).runes)
	return ok, r.engineError(err)
}

// engineError rewords an error of the engine, which can only be a match
// timeout; the engine's own message would quote the whole subject.
func (r *pcreRegex) engineError(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("matching %s timed out after %v", r, pcreMatchTimeout)
}

// FindEach calls fn for each successive non-overlapping match in s, at
// most limit matches when limit > 0, until fn returns false.
func (r *pcreRegex) FindEach(s string, limit int, fn func(*pcreMatch) (bool, error)) error {
	subject := r.prepare(s)
	m, err := r.re.FindRunesMatch(subject.runes)
	for count := 0; m != nil && err == nil; count++ {
		if limit > 0 && count >= limit {
			return nil
		}
		more, ferr := fn(r.convert(subject, m))
		if ferr != nil || !more {
			return ferr
		}
		m, err = r.re.FindNextMatch(m)
	}
	return r.engineError(err)
}

// convert copies the group positions of m into byte spans.
func (r *pcreRegex) convert(subject *pcreSubject, m *regexp2.Match) *pcreMatch {
	spans := make([]int, 2*(r.groupCount+1))
	for i := 0; i <= r.groupCount; i++ {
		g := m.GroupByNumber(i)
		if g == nil || len(g.Captures) == 0 {
			spans[2*i], spans[2*i+1] = -1, -1
			continue
		}
		spans[2*i] = subject.byteOffset(g.Index)
		spans[2*i+1] = subject.byteOffset(g.Index + g.Length)
	}
	return &pcreMatch{subject: subject, spans: spans}
}
