package builtins

// This file translates PCRE pattern syntax into the .NET dialect that
// github.com/dlclark/regexp2 parses, so that HSL patterns keep Perl/PCRE
// meaning on a backtracking engine.
//
// Subjects reach the engine as runes in one of two alphabets:
//
//   - Byte mode (no u flag): byte b < 0x80 is the rune b, and byte b ≥ 0x80
//     is the private-use rune 0xE000+b. Rune indexes then equal byte
//     offsets, high bytes are neither letters, digits, spaces nor cased, and
//     .NET's \d, \w, \s and \b, which follow Unicode, behave like PCRE's
//     ASCII classes without any rewriting.
//   - UTF-8 mode (u flag): the subject is decoded as UTF-8 and an invalid
//     byte b becomes the private-use rune 0xE000+b. PCRE keeps \d, \w, \s
//     and \b ASCII-only in this mode (no UCP), so the translator spells them
//     out as ASCII classes and lookarounds.
//
// The translator also gives every capturing group an explicit number in
// PCRE order, because .NET numbers named groups after unnamed ones, and
// resolves names to numbers itself. It handles the x (extended) and U
// (ungreedy) flags itself because .NET has no U and treats x differently
// inside groups. Constructs the engine cannot run (possessive quantifiers,
// \K, recursion and subroutine calls, branch reset, backtracking verbs)
// are compile errors rather than silent mismatches.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// regexFlags is a set of the pattern flags letters `imsuxUX`.
type regexFlags uint8

const (
	flagCaseless  regexFlags = 1 << iota // i
	flagMultiline                        // m
	flagDotAll                           // s
	flagUTF8                             // u
	flagExtended                         // x
	flagUngreedy                         // U
	flagExtra                            // X
)

// parseRegexFlags reads the flag letters that may follow a pattern's
// closing slash. Each letter may appear once.
func parseRegexFlags(letters string) (regexFlags, error) {
	var flags regexFlags
	for i := 0; i < len(letters); i++ {
		var f regexFlags
		switch letters[i] {
		case 'i':
			f = flagCaseless
		case 'm':
			f = flagMultiline
		case 's':
			f = flagDotAll
		case 'u':
			f = flagUTF8
		case 'x':
			f = flagExtended
		case 'U':
			f = flagUngreedy
		case 'X':
			f = flagExtra
		default:
			return 0, fmt.Errorf("unknown regex flag %q", letters[i])
		}
		if flags&f != 0 {
			return 0, fmt.Errorf("regex flag %q given twice", letters[i])
		}
		flags |= f
	}
	return flags, nil
}

// String returns the flag letters in the canonical order `imsuxUX`.
func (f regexFlags) String() string {
	const letters = "imsuxUX"
	var b strings.Builder
	for i := 0; i < len(letters); i++ {
		if f&(1<<i) != 0 {
			b.WriteByte(letters[i])
		}
	}
	return b.String()
}

// splitDelimitedPattern reads a string pattern of the form /pattern/flags.
// A string that does not start with "/" or whose text after the last "/"
// is not made of flag letters is a pattern without flags, returned whole.
func splitDelimitedPattern(s string) (pattern string, flags regexFlags, err error) {
	if len(s) < 2 || s[0] != '/' {
		return s, 0, nil
	}
	end := strings.LastIndexByte(s, '/')
	if end == 0 {
		return s, 0, nil
	}
	for i := end + 1; i < len(s); i++ {
		if !strings.ContainsRune("imsuxUX", rune(s[i])) {
			return s, 0, nil
		}
	}
	flags, err = parseRegexFlags(s[end+1:])
	if err != nil {
		return "", 0, err
	}
	return s[1:end], flags, nil
}

// pcreSyntax is the result of translating one PCRE pattern.
type pcreSyntax struct {
	// pattern is the .NET-dialect pattern for regexp2.
	pattern string
	// groupCount is the number of capturing groups (group 0 excluded).
	groupCount int
	// groupNames[i] is the name of group i, "" for unnamed groups; index 0
	// is the whole match.
	groupNames []string
}

// pcreError is a syntax error at a byte offset of the pattern.
type pcreError struct {
	offset int
	msg    string
}

func (e *pcreError) Error() string {
	return fmt.Sprintf("%s at offset %d", e.msg, e.offset)
}

// translatePCRE converts pattern, read with flags, into regexp2 syntax.
func translatePCRE(pattern string, flags regexFlags) (*pcreSyntax, error) {
	if flags&flagUTF8 != 0 && !utf8.ValidString(pattern) {
		return nil, errors.New("pattern is not valid UTF-8 although the u flag is set")
	}

	// The first pass only numbers and names the groups, so that
	// backreferences may point forward and \10 can tell a reference from
	// an octal escape as PCRE does.
	first := &pcreTranslator{src: pattern, flags: flags, counting: true}
	if err := first.run(); err != nil {
		return nil, err
	}

	second := &pcreTranslator{
		src:        pattern,
		flags:      flags,
		totalCount: first.groupCount,
		names:      first.names,
	}
	if err := second.run(); err != nil {
		return nil, err
	}

	groupNames := make([]string, first.groupCount+1)
	for name, n := range first.names {
		groupNames[n] = name
	}
	return &pcreSyntax{pattern: second.out.String(), groupCount: first.groupCount, groupNames: groupNames}, nil
}

// pcreTranslator walks a pattern once and writes the regexp2 equivalent.
type pcreTranslator struct {
	src   string
	pos   int
	flags regexFlags // flags in effect at pos (x, U and X are applied here)
	out   strings.Builder

	counting   bool           // first pass: only collect groups
	groupCount int            // capturing groups opened so far
	totalCount int            // all capturing groups (second pass)
	names      map[string]int // group name → number

	stack    []pcreGroupFrame
	canQuant bool // the last item written may take a quantifier
}

type pcreGroupFrame struct {
	savedFlags regexFlags
	lookaround bool
}

func (t *pcreTranslator) fail(offset int, format string, args ...any) error {
	return &pcreError{offset: offset, msg: fmt.Sprintf(format, args...)}
}

func (t *pcreTranslator) utf8Mode() bool { return t.flags&flagUTF8 != 0 }

// maxChar is the largest character value of the pattern alphabet.
func (t *pcreTranslator) maxChar() rune {
	if t.utf8Mode() {
		return utf8.MaxRune
	}
	return 0xFF
}

// nextChar decodes the character at pos: one byte in byte mode, one UTF-8
// sequence in UTF-8 mode.
func (t *pcreTranslator) nextChar() (rune, int) {
	if t.utf8Mode() {
		return utf8.DecodeRuneInString(t.src[t.pos:])
	}
	return rune(t.src[t.pos]), 1
}

func (t *pcreTranslator) run() error {
	for t.pos < len(t.src) {
		if t.flags&flagExtended != 0 && t.skipExtendedSpace() {
			continue
		}

		start := t.pos
		c := t.src[t.pos]
		switch c {
		case '\\':
			t.pos++
			if err := t.escape(start); err != nil {
				return err
			}
		case '[':
			t.pos++
			if err := t.class(start); err != nil {
				return err
			}
		case '(':
			t.pos++
			if err := t.groupOpen(start); err != nil {
				return err
			}
		case ')':
			if len(t.stack) == 0 {
				return t.fail(start, "unmatched closing parenthesis")
			}
			top := t.stack[len(t.stack)-1]
			t.stack = t.stack[:len(t.stack)-1]
			t.flags = top.savedFlags
			t.pos++
			t.out.WriteByte(')')
			t.canQuant = true
		case '|':
			t.pos++
			t.out.WriteByte('|')
			t.canQuant = false
		case '*', '+', '?':
			t.pos++
			if err := t.quantifier(start, string(c)); err != nil {
				return err
			}
		case '{':
			q, n, err := t.braceQuantifier(start)
			if err != nil {
				return err
			}
			if n > 0 {
				t.pos += n
				if err := t.quantifier(start, q); err != nil {
					return err
				}
				continue
			}
			t.pos++
			t.literal('{')
		case '^', '$':
			t.pos++
			t.out.WriteByte(c)
			t.canQuant = false
		case '.':
			t.pos++
			t.out.WriteByte('.')
			t.canQuant = true
		default:
			r, size := t.nextChar()
			t.pos += size
			t.literal(r)
		}
	}

	if len(t.stack) > 0 {
		return t.fail(len(t.src), "missing closing parenthesis")
	}
	return nil
}

// skipExtendedSpace skips white space and #-comments in extended mode and
// reports whether it skipped anything.
func (t *pcreTranslator) skipExtendedSpace() bool {
	c := t.src[t.pos]
	switch {
	case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
		t.pos++
		return true
	case c == '#':
		for t.pos < len(t.src) && t.src[t.pos] != '\n' {
			t.pos++
		}
		return true
	}
	return false
}

// literal writes one pattern character that matches itself.
func (t *pcreTranslator) literal(c rune) {
	t.out.WriteString(t.escapeRune(t.engineRune(c), false))
	t.canQuant = true
}

// engineRune maps a pattern character to the rune the engine matches.
func (t *pcreTranslator) engineRune(c rune) rune {
	if !t.utf8Mode() && c >= 0x80 {
		return 0xE000 + c
	}
	return c
}

// escapeRune spells one engine rune so that regexp2 reads it literally,
// inside or outside a character class.
func (t *pcreTranslator) escapeRune(r rune, inClass bool) string {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
		return string(r)
	case r < 0x20 || r == 0x7F:
		return fmt.Sprintf(`\x%02X`, r)
	case r < 0x80:
		if inClass && !strings.ContainsRune(`\]^-[`, r) {
			return string(r)
		}
		return `\` + string(r)
	case r <= 0xFFFF:
		return fmt.Sprintf(`\u%04X`, r)
	default:
		return string(r)
	}
}

// quantifier writes q (already read) and its lazy or possessive suffix.
func (t *pcreTranslator) quantifier(start int, q string) error {
	if !t.canQuant {
		return t.fail(start, "quantifier does not follow a repeatable item")
	}

	lazy := false
	if t.pos < len(t.src) {
		switch t.src[t.pos] {
		case '?':
			lazy = true
			t.pos++
		case '+':
			return t.fail(t.pos, "possessive quantifiers are not supported (use an atomic group (?>...))")
		}
	}
	if t.flags&flagUngreedy != 0 {
		lazy = !lazy
	}

	t.out.WriteString(q)
	if lazy {
		t.out.WriteByte('?')
	}
	t.canQuant = false
	return nil
}

// braceQuantifier checks for {n}, {n,} or {n,m} at pos and returns its
// text and length; the length is 0 when the brace is a literal, as in
// PCRE. Counts above 65535 or out of order are errors.
func (t *pcreTranslator) braceQuantifier(start int) (string, int, error) {
	rest := t.src[t.pos:]
	end := strings.IndexByte(rest, '}')
	if end < 0 {
		return "", 0, nil
	}
	body := rest[1:end]
	low, high, comma := strings.Cut(body, ",")
	if !isDecimal(low) || (comma && high != "" && !isDecimal(high)) {
		return "", 0, nil
	}

	const maxRepeat = 65535
	lowN, err := strconv.Atoi(low)
	if err != nil || lowN > maxRepeat {
		return "", 0, t.fail(start, "number too big in {} quantifier")
	}
	if high != "" {
		highN, err := strconv.Atoi(high)
		if err != nil || highN > maxRepeat {
			return "", 0, t.fail(start, "number too big in {} quantifier")
		}
		if highN < lowN {
			return "", 0, t.fail(start, "numbers out of order in {} quantifier")
		}
	}
	return rest[:end+1], end + 1, nil
}

func isDecimal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Character class spellings for the shorthand escapes, as rune ranges over
// the pattern alphabet. PCRE's \s includes VT since 8.34.
var (
	digitRanges      = []runeRange{{'0', '9'}}
	wordRanges       = []runeRange{{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}
	spaceRanges      = []runeRange{{'\t', '\r'}, {' ', ' '}}
	hspaceByteRanges = []runeRange{{'\t', '\t'}, {' ', ' '}, {0xA0, 0xA0}}
	hspaceUTFRanges  = []runeRange{{'\t', '\t'}, {' ', ' '}, {0xA0, 0xA0}, {0x1680, 0x1680}, {0x180E, 0x180E},
		{0x2000, 0x200A}, {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000}}
	vspaceByteRanges = []runeRange{{'\n', '\r'}, {0x85, 0x85}}
	vspaceUTFRanges  = []runeRange{{'\n', '\r'}, {0x85, 0x85}, {0x2028, 0x2029}}
)

type runeRange struct{ lo, hi rune }

// shorthandRanges returns the ranges of \d, \w, \s, \h or \v and whether
// the letter names one of them.
func (t *pcreTranslator) shorthandRanges(letter byte) ([]runeRange, bool) {
	switch letter {
	case 'd':
		return digitRanges, true
	case 'w':
		return wordRanges, true
	case 's':
		return spaceRanges, true
	case 'h':
		if t.utf8Mode() {
			return hspaceUTFRanges, true
		}
		return hspaceByteRanges, true
	case 'v':
		if t.utf8Mode() {
			return vspaceUTFRanges, true
		}
		return vspaceByteRanges, true
	}
	return nil, false
}

// complement returns the ranges of the alphabet not in rs (rs sorted and
// disjoint).
func (t *pcreTranslator) complement(rs []runeRange) []runeRange {
	var out []runeRange
	next := rune(0)
	for _, r := range rs {
		if r.lo > next {
			out = append(out, runeRange{next, r.lo - 1})
		}
		next = r.hi + 1
	}
	if next <= t.maxChar() {
		out = append(out, runeRange{next, t.maxChar()})
	}
	return out
}

// writeRanges writes class items for ranges over the pattern alphabet,
// mapped to engine runes. In byte mode a range that crosses 0x80 is split
// because high bytes map to private-use runes.
func (t *pcreTranslator) writeRanges(b *strings.Builder, rs []runeRange) {
	for _, r := range rs {
		if !t.utf8Mode() && r.lo < 0x80 && r.hi >= 0x80 {
			t.writeRange(b, r.lo, 0x7F)
			t.writeRange(b, 0x80, r.hi)
			continue
		}
		t.writeRange(b, r.lo, r.hi)
	}
}

func (t *pcreTranslator) writeRange(b *strings.Builder, lo, hi rune) {
	b.WriteString(t.escapeRune(t.engineRune(lo), true))
	if hi != lo {
		b.WriteByte('-')
		b.WriteString(t.escapeRune(t.engineRune(hi), true))
	}
}

// writeClass writes a bracketed class of ranges, negated when negate.
func (t *pcreTranslator) writeClass(rs []runeRange, negate bool) {
	t.out.WriteByte('[')
	if negate {
		t.out.WriteByte('^')
	}
	t.writeRanges(&t.out, rs)
	t.out.WriteByte(']')
	t.canQuant = true
}

const asciiWordClass = `[0-9A-Z_a-z]`

// escape translates the escape sequence after the backslash at start,
// outside a character class.
func (t *pcreTranslator) escape(start int) error {
	if t.pos >= len(t.src) {
		return t.fail(start, `\ at end of pattern`)
	}
	c := t.src[t.pos]
	t.pos++

	switch c {
	case 'd', 'w', 's', 'D', 'W', 'S':
		if !t.utf8Mode() {
			// Only ASCII and private-use runes reach the engine, so the
			// engine's Unicode classes match exactly the ASCII set.
			t.out.WriteByte('\\')
			t.out.WriteByte(c)
			t.canQuant = true
			return nil
		}
		rs, _ := t.shorthandRanges(c | 0x20)
		t.writeClass(rs, c < 'a')
	case 'h', 'v', 'H', 'V':
		rs, _ := t.shorthandRanges(c | 0x20)
		t.writeClass(rs, c < 'a')
	case 'R':
		if t.utf8Mode() {
			t.out.WriteString(`(?:\r\n|[\n\x0B\f\r\u0085\u2028\u2029])`)
		} else {
			t.out.WriteString(`(?:\r\n|[\n\x0B\f\r\uE085])`)
		}
		t.canQuant = true
	case 'N':
		if t.pos < len(t.src) && t.src[t.pos] == '{' {
			return t.fail(start, `\N{name} is not supported`)
		}
		t.out.WriteString(`[^\n]`)
		t.canQuant = true
	case 'b', 'B':
		if !t.utf8Mode() {
			t.out.WriteByte('\\')
			t.out.WriteByte(c)
		} else if c == 'b' {
			t.out.WriteString(`(?:(?<=` + asciiWordClass + `)(?!` + asciiWordClass + `)|(?<!` + asciiWordClass + `)(?=` + asciiWordClass + `))`)
		} else {
			t.out.WriteString(`(?:(?<=` + asciiWordClass + `)(?=` + asciiWordClass + `)|(?<!` + asciiWordClass + `)(?!` + asciiWordClass + `))`)
		}
		t.canQuant = false
	case 'A', 'z', 'Z', 'G':
		t.out.WriteByte('\\')
		t.out.WriteByte(c)
		t.canQuant = false
	case 'Q':
		t.quoted()
	case 'E':
		// A \E without \Q is ignored, as in PCRE.
	case 'K':
		return t.fail(start, `\K is not supported`)
	case 'C', 'X':
		return t.fail(start, `\%c is not supported`, c)
	case 'g':
		return t.gReference(start)
	case 'k':
		return t.kReference(start)
	case 'p', 'P':
		text, err := t.property(start, c)
		if err != nil {
			return err
		}
		t.out.WriteString(text)
		t.canQuant = true
	case '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return t.digitEscape(start)
	default:
		r, err := t.characterEscape(start, c, false)
		if err != nil {
			return err
		}
		t.literal(r)
	}
	return nil
}

// quoted copies the text after \Q up to \E (or the end) as literals.
func (t *pcreTranslator) quoted() {
	for t.pos < len(t.src) {
		if strings.HasPrefix(t.src[t.pos:], `\E`) {
			t.pos += 2
			return
		}
		r, size := t.nextChar()
		t.pos += size
		t.literal(r)
	}
}

// characterEscape reads an escape that stands for one character: c is the
// byte after the backslash, already consumed.
func (t *pcreTranslator) characterEscape(start int, c byte, inClass bool) (rune, error) {
	switch c {
	case 'a':
		return 0x07, nil
	case 'e':
		return 0x1B, nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'b':
		if inClass {
			return 0x08, nil
		}
	case '0':
		return t.octalDigits(0, 2)
	case 'o':
		return t.bracedNumber(start, 8)
	case 'x':
		if t.pos < len(t.src) && t.src[t.pos] == '{' {
			return t.bracedNumber(start, 16)
		}
		v := 0
		for i := 0; i < 2 && t.pos < len(t.src) && isHexDigit(t.src[t.pos]); i++ {
			v = v*16 + hexValue(t.src[t.pos])
			t.pos++
		}
		return rune(v), nil
	case 'c':
		if t.pos >= len(t.src) || t.src[t.pos] < 0x20 || t.src[t.pos] > 0x7E {
			return 0, t.fail(start, `\c must be followed by a printable ASCII character`)
		}
		v := t.src[t.pos]
		t.pos++
		if v >= 'a' && v <= 'z' {
			v -= 'a' - 'A'
		}
		return rune(v ^ 0x40), nil
	}

	if isASCIIAlnum(c) {
		if t.flags&flagExtra != 0 {
			return 0, t.fail(start, `unrecognized character follows \ (\%c)`, c)
		}
		return rune(c), nil
	}

	// Any other character after a backslash stands for itself; in UTF-8
	// mode it may be a multi-byte sequence.
	t.pos--
	r, size := t.nextChar()
	t.pos += size
	return r, nil
}

func (t *pcreTranslator) octalDigits(v rune, max int) (rune, error) {
	for i := 0; i < max && t.pos < len(t.src) && t.src[t.pos] >= '0' && t.src[t.pos] <= '7'; i++ {
		v = v*8 + rune(t.src[t.pos]-'0')
		t.pos++
	}
	if v > t.maxChar() {
		return 0, t.fail(t.pos, "octal value is greater than \\377 in byte mode")
	}
	return v, nil
}

// bracedNumber reads {digits} in base 8 or 16 after \o or \x.
func (t *pcreTranslator) bracedNumber(start int, base int) (rune, error) {
	if t.pos >= len(t.src) || t.src[t.pos] != '{' {
		return 0, t.fail(start, "missing opening brace after \\o")
	}
	end := strings.IndexByte(t.src[t.pos:], '}')
	if end < 0 {
		return 0, t.fail(start, "missing closing brace in character value")
	}
	digits := t.src[t.pos+1 : t.pos+end]
	t.pos += end + 1
	v, err := strconv.ParseUint(digits, base, 32)
	if err != nil || digits == "" {
		return 0, t.fail(start, "invalid character value %q", digits)
	}
	if rune(v) > t.maxChar() {
		return 0, t.fail(start, "character value %s is too large (use the u flag for code points above 0xFF)", digits)
	}
	if v >= 0xD800 && v <= 0xDFFF {
		return 0, t.fail(start, "character value %s is a surrogate", digits)
	}
	return rune(v), nil
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	default:
		return int(c-'A') + 10
	}
}

func isASCIIAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// digitEscape handles \1…\9 and longer numbers as PCRE reads them. The
// number is a backreference when it is below 10, starts with 8 or 9, or
// names an existing group. Otherwise it is up to three octal digits.
func (t *pcreTranslator) digitEscape(start int) error {
	t.pos-- // back to the first digit
	end := t.pos
	for end < len(t.src) && t.src[end] >= '0' && t.src[end] <= '9' {
		end++
	}
	digits := t.src[t.pos:end]
	n, _ := strconv.Atoi(digits)
	if len(digits) > 9 {
		n = 1 << 30
	}

	if n < 10 || digits[0] == '8' || digits[0] == '9' || n <= t.groupTotal() {
		t.pos = end
		return t.backReference(start, n)
	}

	r, err := t.octalDigits(0, 3)
	if err != nil {
		return err
	}
	t.literal(r)
	return nil
}

// groupTotal is the number of capturing groups in the whole pattern, or
// an upper bound while the first pass counts them.
func (t *pcreTranslator) groupTotal() int {
	if t.counting {
		return 1 << 30
	}
	return t.totalCount
}

func (t *pcreTranslator) backReference(start, n int) error {
	if !t.counting && (n < 1 || n > t.totalCount) {
		return t.fail(start, "reference to non-existent group %d", n)
	}
	t.out.WriteString(`\k<` + strconv.Itoa(n) + `>`)
	t.canQuant = true
	return nil
}

func (t *pcreTranslator) namedReference(start int, name string) error {
	if t.counting {
		t.out.WriteString(`\k<0>`)
		t.canQuant = true
		return nil
	}
	n, ok := t.names[name]
	if !ok {
		return t.fail(start, "reference to non-existent group %q", name)
	}
	return t.backReference(start, n)
}

// gReference handles \gN, \g{N}, \g{-N}, \g-N and \g{name}. The
// subroutine forms \g<…> and \g'…' are not supported.
func (t *pcreTranslator) gReference(start int) error {
	if t.pos >= len(t.src) {
		return t.fail(start, `\g is not followed by a group number or name`)
	}
	var ref string
	switch t.src[t.pos] {
	case '<', '\'':
		return t.fail(start, "subroutine calls are not supported")
	case '{':
		end := strings.IndexByte(t.src[t.pos:], '}')
		if end < 0 {
			return t.fail(start, `missing closing brace after \g{`)
		}
		ref = t.src[t.pos+1 : t.pos+end]
		t.pos += end + 1
	default:
		end := t.pos
		if end < len(t.src) && (t.src[end] == '-' || t.src[end] == '+') {
			end++
		}
		for end < len(t.src) && t.src[end] >= '0' && t.src[end] <= '9' {
			end++
		}
		ref = t.src[t.pos:end]
		t.pos = end
	}

	if n, err := strconv.Atoi(ref); err == nil {
		if strings.HasPrefix(ref, "-") {
			n = t.groupCount + 1 + n
		} else if strings.HasPrefix(ref, "+") {
			return t.fail(start, "forward relative references are not supported")
		}
		return t.backReference(start, n)
	}
	if !isGroupName(ref) {
		return t.fail(start, `invalid group reference \g{%s}`, ref)
	}
	return t.namedReference(start, ref)
}

// kReference handles \k<name>, \k'name' and \k{name}.
func (t *pcreTranslator) kReference(start int) error {
	if t.pos >= len(t.src) {
		return t.fail(start, `\k is not followed by a group name`)
	}
	closer := map[byte]byte{'<': '>', '\'': '\'', '{': '}'}[t.src[t.pos]]
	if closer == 0 {
		return t.fail(start, `\k is not followed by <name>, 'name' or {name}`)
	}
	end := strings.IndexByte(t.src[t.pos+1:], closer)
	if end < 0 {
		return t.fail(start, `unterminated group name after \k`)
	}
	name := t.src[t.pos+1 : t.pos+1+end]
	t.pos += end + 2
	if !isGroupName(name) {
		return t.fail(start, "invalid group name %q", name)
	}
	return t.namedReference(start, name)
}

func isGroupName(s string) bool {
	if s == "" || len(s) > 32 || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isASCIIAlnum(c) && c != '_' {
			return false
		}
	}
	return true
}

// property reads \p{Name}, \p{^Name} or \pL after the backslash and
// returns the regexp2 spelling.
func (t *pcreTranslator) property(start int, c byte) (string, error) {
	if t.pos >= len(t.src) {
		return "", t.fail(start, `\%c is not followed by a property name`, c)
	}
	var name string
	if t.src[t.pos] == '{' {
		end := strings.IndexByte(t.src[t.pos:], '}')
		if end < 0 {
			return "", t.fail(start, `missing closing brace after \%c{`, c)
		}
		name = t.src[t.pos+1 : t.pos+end]
		t.pos += end + 1
	} else {
		name = t.src[t.pos : t.pos+1]
		t.pos++
	}
	if strings.HasPrefix(name, "^") {
		name = name[1:]
		c ^= 'p' ^ 'P'
	}
	if name == "" {
		return "", t.fail(start, "empty property name")
	}
	for i := 0; i < len(name); i++ {
		if !isASCIIAlnum(name[i]) && name[i] != '_' && name[i] != '&' {
			return "", t.fail(start, "invalid property name %q", name)
		}
	}
	if name == "L&" {
		name = "L"
	}
	return `\` + string(c) + `{` + name + `}`, nil
}

// groupOpen translates everything from "(" up to the start of the group's
// body.
func (t *pcreTranslator) groupOpen(start int) error {
	rest := t.src[t.pos:]
	frame := pcreGroupFrame{savedFlags: t.flags}

	switch {
	case strings.HasPrefix(rest, "*"):
		return t.fail(start, "backtracking control verbs such as (*VERB) are not supported")
	case !strings.HasPrefix(rest, "?"):
		return t.capture(frame, "")
	}

	t.pos++ // the "?"
	rest = rest[1:]
	switch {
	case strings.HasPrefix(rest, "#"):
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return t.fail(start, "missing ) after comment")
		}
		t.pos += end + 1
		return nil
	case strings.HasPrefix(rest, ":"), strings.HasPrefix(rest, ">"):
		t.pos++
		t.open(frame, "(?"+rest[:1])
	case strings.HasPrefix(rest, "="), strings.HasPrefix(rest, "!"):
		t.pos++
		frame.lookaround = true
		t.open(frame, "(?"+rest[:1])
	case strings.HasPrefix(rest, "<="), strings.HasPrefix(rest, "<!"):
		t.pos += 2
		frame.lookaround = true
		t.open(frame, "(?"+rest[:2])
	case strings.HasPrefix(rest, "|"):
		return t.fail(start, "branch reset groups (?|...) are not supported")
	case strings.HasPrefix(rest, "P<"):
		t.pos++
		fallthrough
	case strings.HasPrefix(rest, "<"), strings.HasPrefix(rest, "'"):
		closer := byte('>')
		if t.src[t.pos] == '\'' {
			closer = '\''
		}
		end := strings.IndexByte(t.src[t.pos+1:], closer)
		if end < 0 {
			return t.fail(start, "unterminated group name")
		}
		name := t.src[t.pos+1 : t.pos+1+end]
		t.pos += end + 2
		if !isGroupName(name) {
			return t.fail(start, "invalid group name %q", name)
		}
		return t.capture(frame, name)
	case strings.HasPrefix(rest, "P="):
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return t.fail(start, "missing ) after (?P=")
		}
		name := rest[2:end]
		t.pos += end + 1
		return t.namedReference(start, name)
	case strings.HasPrefix(rest, "P>"), strings.HasPrefix(rest, "&"), strings.HasPrefix(rest, "R"),
		len(rest) > 0 && (rest[0] == '+' || rest[0] == '-' && len(rest) > 1 && rest[1] >= '0' && rest[1] <= '9' || rest[0] >= '0' && rest[0] <= '9'):
		return t.fail(start, "recursion and subroutine calls are not supported")
	case strings.HasPrefix(rest, "("):
		return t.conditional(start, frame)
	default:
		return t.inlineFlags(start, frame)
	}
	return nil
}

func (t *pcreTranslator) open(frame pcreGroupFrame, text string) {
	t.stack = append(t.stack, frame)
	t.out.WriteString(text)
	t.canQuant = false
}

func (t *pcreTranslator) capture(frame pcreGroupFrame, name string) error {
	t.groupCount++
	if name != "" && t.counting {
		if t.names == nil {
			t.names = map[string]int{}
		}
		if _, dup := t.names[name]; dup {
			return t.fail(t.pos, "two named groups have the same name %q", name)
		}
		t.names[name] = t.groupCount
	}
	t.open(frame, "(?<"+strconv.Itoa(t.groupCount)+">")
	return nil
}

// conditional translates (?(condition)yes|no). The condition is a group
// number, a relative number, a <name>, 'name' or bare name, or an
// assertion.
func (t *pcreTranslator) conditional(start int, frame pcreGroupFrame) error {
	rest := t.src[t.pos+1:]
	if strings.HasPrefix(rest, "?=") || strings.HasPrefix(rest, "?!") ||
		strings.HasPrefix(rest, "?<=") || strings.HasPrefix(rest, "?<!") {
		// The assertion is parsed as an ordinary group that follows "(?".
		t.open(frame, "(?")
		return nil
	}

	end := strings.IndexByte(rest, ')')
	if end < 0 {
		return t.fail(start, "missing ) after condition")
	}
	cond := rest[:end]
	t.pos += end + 2

	var n int
	switch {
	case cond == "R" || strings.HasPrefix(cond, "R") || cond == "DEFINE":
		return t.fail(start, "recursion conditions and (?(DEFINE)...) are not supported")
	case isDecimal(cond):
		n, _ = strconv.Atoi(cond)
	case len(cond) > 1 && (cond[0] == '+' || cond[0] == '-') && isDecimal(cond[1:]):
		k, _ := strconv.Atoi(cond[1:])
		if cond[0] == '-' {
			n = t.groupCount + 1 - k
		} else {
			n = t.groupCount + k
		}
	default:
		name := cond
		if len(name) >= 2 && (name[0] == '<' && name[len(name)-1] == '>' || name[0] == '\'' && name[len(name)-1] == '\'') {
			name = name[1 : len(name)-1]
		}
		if !isGroupName(name) {
			return t.fail(start, "invalid condition %q", cond)
		}
		if !t.counting {
			var ok bool
			if n, ok = t.names[name]; !ok {
				return t.fail(start, "reference to non-existent group %q", name)
			}
		}
	}

	if t.counting {
		n = 1
	} else if n < 1 || n > t.totalCount {
		return t.fail(start, "reference to non-existent group %d", n)
	}
	t.open(frame, "(?("+strconv.Itoa(n)+")")
	return nil
}

// inlineFlags handles (?flags) and (?flags:...). The letters i, m and s
// pass to the engine; x, U and X are applied by the translator.
func (t *pcreTranslator) inlineFlags(start int, frame pcreGroupFrame) error {
	on := true
	var set, clear regexFlags
	if t.pos < len(t.src) && t.src[t.pos] == '^' {
		clear = flagCaseless | flagMultiline | flagDotAll | flagExtended
		t.pos++
	}

	for t.pos < len(t.src) {
		c := t.src[t.pos]
		t.pos++

		var f regexFlags
		switch c {
		case ')', ':':
			t.applyInlineFlags(set, clear)
			engine := engineFlagText(set, clear)
			if c == ')' {
				if engine != "" {
					t.out.WriteString("(?" + engine + ")")
				}
				return nil
			}
			t.open(frame, "(?"+engine+":")
			return nil
		case '-':
			if !on {
				return t.fail(start, "invalid inline flags")
			}
			on = false
			continue
		case 'i':
			f = flagCaseless
		case 'm':
			f = flagMultiline
		case 's':
			f = flagDotAll
		case 'x':
			f = flagExtended
		case 'U':
			f = flagUngreedy
		case 'X':
			f = flagExtra
		default:
			return t.fail(start, "unrecognized character %q after (? or (?-", c)
		}
		if on {
			set |= f
			clear &^= f
		} else {
			clear |= f
			set &^= f
		}
	}
	return t.fail(start, "missing ) after inline flags")
}

func (t *pcreTranslator) applyInlineFlags(set, clear regexFlags) {
	t.flags = (t.flags | set) &^ clear
}

// engineFlagText spells the i, m and s parts of an inline flag change in
// .NET syntax, e.g. "i-s".
func engineFlagText(set, clear regexFlags) string {
	letters := func(f regexFlags) string {
		var b strings.Builder
		if f&flagCaseless != 0 {
			b.WriteByte('i')
		}
		if f&flagMultiline != 0 {
			b.WriteByte('m')
		}
		if f&flagDotAll != 0 {
			b.WriteByte('s')
		}
		return b.String()
	}
	text := letters(set)
	if off := letters(clear); off != "" {
		text += "-" + off
	}
	return text
}

// class translates a bracketed character class; start is the offset of
// "[", already consumed.
func (t *pcreTranslator) class(start int) error {
	negate := false
	if t.pos < len(t.src) && t.src[t.pos] == '^' {
		negate = true
		t.pos++
	}

	var ranges []runeRange
	var extra []string // engine escapes kept as text, such as \p{L}
	first := true
	for {
		if t.pos >= len(t.src) {
			return t.fail(start, "missing terminating ] for character class")
		}
		c := t.src[t.pos]
		if c == ']' && !first {
			t.pos++
			break
		}
		first = false

		itemStart := t.pos
		lo, set, text, err := t.classItem(start)
		if err != nil {
			return err
		}
		if set != nil || text != "" {
			ranges = append(ranges, set...)
			if text != "" {
				extra = append(extra, text)
			}
			continue
		}
		if lo < 0 {
			continue // an empty \Q\E or a lone \E
		}

		// A hyphen between two single characters makes a range.
		if t.pos+1 < len(t.src) && t.src[t.pos] == '-' && t.src[t.pos+1] != ']' {
			save := t.pos
			t.pos++
			hi, hiSet, hiText, err := t.classItem(start)
			if err != nil {
				return err
			}
			if hiSet == nil && hiText == "" && hi >= 0 {
				if hi < lo {
					return t.fail(itemStart, "range out of order in character class")
				}
				ranges = append(ranges, runeRange{lo, hi})
				continue
			}
			// "a-\d": the hyphen is a literal.
			t.pos = save
		}
		ranges = append(ranges, runeRange{lo, lo})
	}

	t.canQuant = true
	if len(ranges) == 0 && len(extra) == 0 {
		// Only an empty \Q\E makes an empty class: it matches nothing,
		// or any character when negated.
		if negate {
			t.out.WriteString(`[\s\S]`)
		} else {
			t.out.WriteString(`(?!)`)
		}
		return nil
	}

	t.out.WriteByte('[')
	if negate {
		t.out.WriteByte('^')
	}
	t.writeRanges(&t.out, ranges)
	for _, e := range extra {
		t.out.WriteString(e)
	}
	t.out.WriteByte(']')
	return nil
}

// classItem reads one item of a character class: a single character
// (returned as c ≥ 0), a set of ranges, or engine text. c is −1 when the
// item produced nothing.
func (t *pcreTranslator) classItem(classStart int) (c rune, set []runeRange, text string, err error) {
	start := t.pos
	if strings.HasPrefix(t.src[t.pos:], "[:") {
		if end := strings.Index(t.src[t.pos:], ":]"); end > 2 {
			name := t.src[t.pos+2 : t.pos+end]
			t.pos += end + 2
			rs, err := t.posixClass(start, name)
			return -1, rs, "", err
		}
	}
	if strings.HasPrefix(t.src[t.pos:], "[.") || strings.HasPrefix(t.src[t.pos:], "[=") {
		return -1, nil, "", t.fail(start, "POSIX collating elements are not supported")
	}

	if t.src[t.pos] != '\\' {
		r, size := t.nextChar()
		t.pos += size
		return r, nil, "", nil
	}

	t.pos++
	if t.pos >= len(t.src) {
		return -1, nil, "", t.fail(start, `\ at end of pattern`)
	}
	e := t.src[t.pos]
	t.pos++
	switch e {
	case 'd', 'w', 's', 'h', 'v':
		rs, _ := t.shorthandRanges(e)
		return -1, rs, "", nil
	case 'D', 'W', 'S', 'H', 'V':
		rs, _ := t.shorthandRanges(e | 0x20)
		return -1, t.complement(rs), "", nil
	case 'p', 'P':
		text, err := t.property(start, e)
		return -1, nil, text, err
	case 'Q':
		// Only a single quoted character is supported inside a class
		// item; longer \Q…\E text in a class adds each character.
		end := strings.Index(t.src[t.pos:], `\E`)
		quoted := t.src[t.pos:]
		if end >= 0 {
			quoted = quoted[:end]
			t.pos += end + 2
		} else {
			t.pos = len(t.src)
		}
		var rs []runeRange
		for i := 0; i < len(quoted); {
			var r rune
			size := 1
			if t.utf8Mode() {
				r, size = utf8.DecodeRuneInString(quoted[i:])
			} else {
				r = rune(quoted[i])
			}
			rs = append(rs, runeRange{r, r})
			i += size
		}
		if len(rs) == 0 {
			return -1, nil, "", nil
		}
		return -1, rs, "", nil
	case 'E':
		return -1, nil, "", nil
	case 'R', 'X', 'N', 'B', 'K', 'C', 'g', 'k':
		return -1, nil, "", t.fail(start, `\%c is not allowed in a character class`, e)
	case '1', '2', '3', '4', '5', '6', '7':
		r, err := t.octalDigits(rune(e-'0'), 2)
		return r, nil, "", err
	}
	r, err := t.characterEscape(start, e, true)
	return r, nil, "", err
}

var posixClasses = map[string][]runeRange{
	"alnum":  {{'0', '9'}, {'A', 'Z'}, {'a', 'z'}},
	"alpha":  {{'A', 'Z'}, {'a', 'z'}},
	"ascii":  {{0, 0x7F}},
	"blank":  {{'\t', '\t'}, {' ', ' '}},
	"cntrl":  {{0, 0x1F}, {0x7F, 0x7F}},
	"digit":  {{'0', '9'}},
	"graph":  {{'!', '~'}},
	"lower":  {{'a', 'z'}},
	"print":  {{' ', '~'}},
	"punct":  {{'!', '/'}, {':', '@'}, {'[', '`'}, {'{', '~'}},
	"space":  {{'\t', '\r'}, {' ', ' '}},
	"upper":  {{'A', 'Z'}},
	"word":   {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}},
	"xdigit": {{'0', '9'}, {'A', 'F'}, {'a', 'f'}},
}

// posixClass returns the ranges of [:name:] or [:^name:] (ASCII, as PCRE
// without UCP). Under the i flag, [:upper:] and [:lower:] match both cases.
func (t *pcreTranslator) posixClass(start int, name string) ([]runeRange, error) {
	negate := strings.HasPrefix(name, "^")
	name = strings.TrimPrefix(name, "^")
	rs, ok := posixClasses[name]
	if !ok {
		return nil, t.fail(start, "unknown POSIX class name %q", name)
	}
	if t.flags&flagCaseless != 0 && (name == "upper" || name == "lower") {
		rs = posixClasses["alpha"]
	}
	if negate {
		return t.complement(rs), nil
	}
	return rs, nil
}
