package builtins

import (
	"strings"
	"testing"
	"time"
)

// firstMatch returns the groups of the first match as strings, with
// "<unset>" for groups that did not take part, or nil for no match.
func firstMatch(t *testing.T, re *pcreRegex, subject string) []string {
	t.Helper()
	var groups []string
	err := re.FindEach(subject, 1, func(m *pcreMatch) (bool, error) {
		for i := 0; i <= re.groupCount; i++ {
			text, ok := m.Group(i)
			if !ok {
				text = "<unset>"
			}
			groups = append(groups, text)
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("match error: %v", err)
	}
	return groups
}

func TestPCREMatchSemantics(t *testing.T) {
	tests := []struct {
		pattern string
		flags   string
		subject string
		want    []string // nil: no match
	}{
		{`(\d+)-(\d+)`, "", "range 12-34 end", []string{"12-34", "12", "34"}},
		{`x(y)`, "", "abc", nil},
		{`^(hello)`, "i", "HELLO world", []string{"HELLO", "HELLO"}},
		{`(?<user>[^@]+)@(?<domain>.+)`, "", "a@b.c", []string{"a@b.c", "a", "b.c"}},
		{`(?P<user>\w+)@(?P=user)`, "", "ab@ab", []string{"ab@ab", "ab"}},
		// Named and unnamed groups are numbered by position, as in PCRE.
		{`(?<a>x)(y)`, "", "xy", []string{"xy", "x", "y"}},
		{`(a)|(b)`, "", "b", []string{"b", "<unset>", "b"}},
		// Lookahead, lookbehind, backreferences, atomic groups.
		{`foo(?=bar)`, "", "foobaz foobar", []string{"foo"}},
		{`(?<!\$)\b\d+`, "", "$12 34", []string{"34"}},
		{`(\w)\1`, "", "abccd", []string{"cc", "c"}},
		{`(\w)\g{-1}`, "", "xyyz", []string{"yy", "y"}},
		{`(?<c>\w)\k<c>`, "", "xyyz", []string{"yy", "y"}},
		{`(?>a+)b`, "", "aaab", []string{"aaab"}},
		{`\d`, "", "٣3", []string{"3"}},
		// Byte mode: high bytes are not word characters and do not fold.
		{`\w+`, "", "\xc3\xa9t\xc3\xa9", []string{"t"}},
		{`\xe9`, "i", "\xc9", nil},
		{`caf\xc3\xa9`, "", "un caf\xc3\xa9", []string{"caf\xc3\xa9"}},
		{`^.$`, "", "\xc3\xa9", nil},
		{`^..$`, "", "\xc3\xa9", []string{"\xc3\xa9"}},
		{`[\x80-\xff]+`, "", "a\xc3\xa9b", []string{"\xc3\xa9"}},
		{`[^a]`, "", "a\xff", []string{"\xff"}},
		// UTF-8 mode: one character per code point, ASCII \w and \b.
		{`^.$`, "u", "\xc3\xa9", []string{"\xc3\xa9"}},
		{`\w+`, "u", "\xc3\xa9t\xc3\xa9", []string{"t"}},
		{`\bt\b`, "u", "\xc3\xa9t\xc3\xa9", []string{"t"}},
		{`\x{e9}`, "iu", "\xc3\x89", []string{"\xc3\x89"}},
		{`[[:alpha:]]+`, "u", "ab\xc3\xa9", []string{"ab"}},
		// Flags.
		{`^b$`, "m", "a\nb\nc", []string{"b"}},
		{`^b$`, "", "a\nb\nc", nil},
		{`a.b`, "s", "a\nb", []string{"a\nb"}},
		{`a.b`, "", "a\nb", nil},
		{`a b # comment
		  c`, "x", "abc", []string{"abc"}},
		{`a+`, "U", "aaa", []string{"a"}},
		{`a+?`, "U", "aaa", []string{"aaa"}},
		{`a(?i)b`, "", "aB", []string{"aB"}},
		{`a(?i:b)c`, "", "aBc", []string{"aBc"}},
		{`a(?i:b)c`, "", "aBC", nil},
		{`(?x) a b`, "", "ab", []string{"ab"}},
		// PCRE-only syntax that the translator rewrites.
		{`\Qa.b\E+`, "", "a.bb", []string{"a.bb"}},
		{`[[:digit:][:upper:]]+`, "", "xA1B2y", []string{"A1B2"}},
		{`[[:^digit:]]+`, "", "12ab3", []string{"ab"}},
		{`\h+`, "", "a \tb", []string{" \t"}},
		{`\R`, "", "a\r\nb", []string{"\r\n"}},
		{`a{,2}`, "", "a{,2}", []string{"a{,2}"}},
		{`a{2}`, "", "aaa", []string{"aa"}},
		{`[]a]+`, "", "x]a]", []string{"]a]"}},
		{`[a-]+`, "", "x-a-", []string{"-a-"}},
		{`[\w-]+`, "", "!a-b!", []string{"a-b"}},
		{`[\d-z]+`, "", "!1-z!", []string{"1-z"}},
		{`[a-z-[aeiou]]+`, "", "b-[a]", []string{"a]"}},
		{`\x41\101\o{102}\cA`, "", "AAB\x01", []string{"AAB\x01"}},
		{`(a)?(?(1)b|c)`, "", "c", []string{"c", "<unset>"}},
		{`(?<n>a)?(?(<n>)b|c)`, "", "ab", []string{"ab", "a"}},
		{`(?#comment)x`, "", "x", []string{"x"}},
		{`a\/b`, "", "a/b", []string{"a/b"}},
		{`\y`, "", "y", []string{"y"}},
		// Unicode properties (UTF-8 mode).
		{`\p{Lu}+`, "u", "ab\xc3\x89T\xc3\xa9", []string{"\xc3\x89T"}},
		{`\pL+`, "u", "1\xc3\xa9a2", []string{"\xc3\xa9a"}},
		{`\P{L}+`, "u", "ab12c", []string{"12"}},
		{`\p{^L}+`, "u", "ab12c", []string{"12"}},
		{`[\p{N}x]+`, "u", "ab1x2c", []string{"1x2"}},
		// Group references in all their spellings.
		{`(a)(b)\g2\g{1}`, "", "abba", []string{"abba", "a", "b"}},
		{`(a)(b)\g-1\g{-2}`, "", "abba", []string{"abba", "a", "b"}},
		{`(?<x>a)\g{x}\k'x'\k{x}`, "", "aaaa", []string{"aaaa", "a"}},
		{`(?'q'a)(?P=q)`, "", "aa", []string{"aa", "a"}},
		{`(a)\10`, "", "a\x08", []string{"a\x08", "a"}},
		// Class items: escapes, octal, quoting, POSIX negation.
		{`[\b]`, "", "a\x08", []string{"\x08"}},
		{`[\101-\103]+`, "", "xABCD", []string{"ABC"}},
		{`[\Q]-\E]+`, "", "a]-]b", []string{"]-]"}},
		{`[\W]+`, "u", "ab\xc3\xa9!c", []string{"\xc3\xa9!"}},
		{`[\S]+`, "", " ab ", []string{"ab"}},
		{`[\D]+`, "", "12ab", []string{"ab"}},
		{`[\H]+`, "", " \tab", []string{"ab"}},
		{`[\D\H]+`, "", "12 ab", []string{"12 ab"}},
		{`[\x{e9}\t]+`, "u", "a\xc3\xa9\tb", []string{"\xc3\xa9\t"}},
		{`[[:^space:]]+`, "", " ab ", []string{"ab"}},
		{`[[:upper:]]+`, "i", "1aB2", []string{"aB"}},
		{`\W+`, "u", "ab\xc3\xa9!c", []string{"\xc3\xa9!"}},
		{`a\Bb`, "u", "ab", []string{"ab"}},
		{`\e\a\f\r`, "", "\x1b\x07\f\r", []string{"\x1b\x07\f\r"}},
		{`\N+`, "", "ab\ncd", []string{"ab"}},
		{`\V+`, "", "ab\ncd", []string{"ab"}},
		{`(?(?=a)ab|cd)`, "", "cd", []string{"cd"}},
		{`(a)?(?(-1)b|c)`, "", "ab", []string{"ab", "a"}},
		{`(?^i:A)(?s-i:.)`, "i", "a\n", []string{"a\n"}},
	}
	for _, tc := range tests {
		flags, err := parseRegexFlags(tc.flags)
		if err != nil {
			t.Fatal(err)
		}
		re, err := compilePCRE(tc.pattern, flags)
		if err != nil {
			t.Errorf("compile /%s/%s: %v", tc.pattern, tc.flags, err)
			continue
		}
		got := firstMatch(t, re, tc.subject)
		if strings.Join(got, "\x00") != strings.Join(tc.want, "\x00") || (got == nil) != (tc.want == nil) {
			t.Errorf("/%s/%s on %q = %q, want %q (engine pattern %s)", tc.pattern, tc.flags, tc.subject, got, tc.want, re.re.String())
		}
	}
}

func TestPCRECompileErrors(t *testing.T) {
	tests := []struct {
		pattern, flags, want string
	}{
		{`a++`, "", "possessive"},
		{`a{3,2}`, "", "numbers out of order"},
		{`a{70000}`, "", "number too big"},
		{`a\Kb`, "", `\K`},
		{`(a(?R))`, "", "recursion"},
		{`(a)(?1)`, "", "recursion"},
		{`(?&n)`, "", "recursion"},
		{`(?|a)`, "", "branch reset"},
		{`(*UTF8)a`, "", "verbs"},
		{`(a`, "", "missing closing parenthesis"},
		{`a)`, "", "unmatched closing parenthesis"},
		{`[a`, "", "missing terminating ]"},
		{`[z-a]`, "", "range out of order"},
		{`*a`, "", "quantifier does not follow"},
		{`a**`, "", "quantifier does not follow"},
		{`\1(a)(b)\3`, "", "non-existent group 3"},
		{`\k<nope>`, "", "non-existent group"},
		{`(?<n>a)(?<n>b)`, "", "same name"},
		{`\y`, "X", "unrecognized character"},
		{`\x{100}`, "", "too large"},
		{`[[:alpah:]]`, "", "unknown POSIX class"},
		{`a\`, "", `\ at end`},
		{`(?z)`, "", "unrecognized character"},
		{"\xff", "u", "not valid UTF-8"},
		{`\g{+1}(a)`, "", "forward relative"},
		{`\g<1>(a)`, "", "subroutine"},
		{`\k`, "", `\k is not followed`},
		{`\k<a`, "", "unterminated group name"},
		{`\p`, "", "property name"},
		{`\p{}`, "", "empty property name"},
		{`\p{L`, "", "missing closing brace"},
		{`[\R]`, "", "not allowed in a character class"},
		{`(?(R)a)`, "", "recursion conditions"},
		{`(?(DEFINE)a)`, "", "DEFINE"},
		{`(?(9)a)`, "", "non-existent group 9"},
		{`(?(<zz>)a)`, "", "non-existent group"},
		{`[[.a.]]`, "", "collating"},
		{`\o{9}`, "", "invalid character value"},
		{`\x{d800}`, "u", "surrogate"},
		{`\cé`, "", "printable ASCII"},
	}
	for _, tc := range tests {
		flags, _ := parseRegexFlags(tc.flags)
		_, err := compilePCRE(tc.pattern, flags)
		if err == nil {
			t.Errorf("compile /%s/%s: no error, want one containing %q", tc.pattern, tc.flags, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("compile /%s/%s: error %q, want one containing %q", tc.pattern, tc.flags, err, tc.want)
		}
	}
}

func TestSplitDelimitedPattern(t *testing.T) {
	tests := []struct {
		in, pattern, flags string
	}{
		{"/hello/i", "hello", "i"},
		{"/a/b/", "a/b", ""},
		{"/a/imsuxUX", "a", "imsuxUX"},
		{"^b", "^b", ""},
		{"/abc", "/abc", ""},
		{"/a/q", "/a/q", ""},
		{"/", "/", ""},
	}
	for _, tc := range tests {
		pattern, flags, err := splitDelimitedPattern(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if pattern != tc.pattern || flags.String() != tc.flags {
			t.Errorf("%q = %q, %q; want %q, %q", tc.in, pattern, flags, tc.pattern, tc.flags)
		}
	}
	if _, _, err := splitDelimitedPattern("/a/ii"); err == nil {
		t.Errorf("/a/ii: want an error for a repeated flag")
	}
}

func TestPCREFindEachEmptyMatches(t *testing.T) {
	re, err := compilePCRE(`a*`, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = re.FindEach("baaac", 0, func(m *pcreMatch) (bool, error) {
		text, _ := m.Group(0)
		got = append(got, text)
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != ",aaa,," {
		t.Errorf("matches of a* in baaac = %q, want [\"\" aaa \"\" \"\"]", got)
	}
}

func TestPCREUTF8Offsets(t *testing.T) {
	flags, _ := parseRegexFlags("u")
	re, err := compilePCRE(`(b+)`, flags)
	if err != nil {
		t.Fatal(err)
	}
	got := firstMatch(t, re, "\xc3\xa9\xe2\x82\xacbb\xff")
	if len(got) != 2 || got[1] != "bb" {
		t.Errorf("groups = %q, want [bb bb]", got)
	}
}

func TestPCREMatchTimeout(t *testing.T) {
	defer func(d time.Duration) { pcreMatchTimeout = d }(pcreMatchTimeout)
	pcreMatchTimeout = 50 * time.Millisecond

	re, err := compilePCRE(`^(a+)+$`, 0)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = re.MatchString(strings.Repeat("a", 40) + "b")
	if err == nil {
		t.Fatal("catastrophic backtracking finished without an error, want a timeout")
	}
	if want := "matching /^(a+)+$/ timed out after 50ms"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("the match took %v, want it stopped near the 50ms timeout", elapsed)
	}
}
