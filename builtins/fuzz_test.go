package builtins

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzTranslatePCRE checks that the translator never panics and that
// every pattern it accepts compiles in the engine (compilePCRE reports an
// engine error as "unsupported pattern").
func FuzzTranslatePCRE(f *testing.F) {
	for _, seed := range []string{
		`(\d+)-(\d+)`, `(?<n>a)\k<n>`, `[[:alpha:]\d-]+`, `a{2,3}?`, `\Qa.b\E`, `(?i:x)(?-i)y`,
		`(a)?(?(1)b|c)`, `[^\x00-\x7f]`, `\x{e9}\o{101}\cA`, `(?#c)\R\h\v\N`, `[]a]`, `\g{-1}(x)`,
	} {
		f.Add(seed, "")
		f.Add(seed, "iu")
		f.Add(seed, "xU")
	}
	f.Fuzz(func(t *testing.T, pattern, flagText string) {
		flags, err := parseRegexFlags(flagText)
		if err != nil {
			return
		}
		re, err := compilePCRE(pattern, flags)
		if err != nil {
			if strings.Contains(err.Error(), "unsupported pattern") && !strings.Contains(pattern, `\p`) && !strings.Contains(pattern, `\P`) {
				t.Fatalf("/%s/%s: translated to a pattern the engine rejects: %v", pattern, flagText, err)
			}
			return
		}
		// Matching must not fail on any subject.
		if err := re.FindEach(pattern+"\xff\xc3\xa9 ab12", 10, func(*pcreMatch) (bool, error) { return true, nil }); err != nil {
			t.Fatalf("/%s/%s: match error %v", pattern, flagText, err)
		}
	})
}

// FuzzDecodeJSON checks json_decode's decoder against encoding/json on
// valid UTF-8 input: both accept or both reject, except for numbers
// beyond the float64 range, which only json_decode rejects.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"a":[1,2,{"b":null}],"c":"\u00e9\n"}`, `[]`, `"x"`, `-0.5e-3`, `[1,]`, `{"a" 1}`, `01`, `"\ud800"`, ` true `, `1e400`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		_, ok := decodeJSON(text, false)
		if !utf8.ValidString(text) {
			return
		}
		var v any
		stdErr := json.Unmarshal([]byte(text), &v)
		if ok && stdErr != nil {
			t.Fatalf("%q: json_decode accepts, encoding/json rejects: %v", text, stdErr)
		}
		if !ok && stdErr == nil && json.Valid([]byte(text)) && !strings.ContainsAny(text, "eE") {
			t.Fatalf("%q: json_decode rejects valid JSON", text)
		}
	})
}

// FuzzTimeFormats checks that strftime and strptime never panic and that
// a strftime result in the numeric C-locale layout parses back to the same
// second.
func FuzzTimeFormats(f *testing.F) {
	f.Add("%Y-%m-%d %H:%M:%S", "2009-02-13 23:31:30", int64(1234567890))
	f.Add("%a %b %e %T %z", "Fri Feb 13 23:31:30 +0100", int64(-1))
	f.Add("%-d%%%", "%%", int64(86400*365*300))
	f.Fuzz(func(t *testing.T, format, input string, unix int64) {
		if unix > 1<<40 || unix < -(1<<40) {
			return
		}
		ts := time.Unix(unix, 0).UTC()
		formatted := formatStrftime(format, ts)
		parseStrptime(input, format, ts, time.UTC)

		const layout = "%Y-%m-%d %H:%M:%S"
		if ts.Year() >= 0 && ts.Year() <= 9999 {
			back, ok := parseStrptime(formatStrftime(layout, ts), layout, ts, time.UTC)
			if !ok || back != unix {
				t.Fatalf("%d formatted as %q parsed back to %d, %v", unix, formatted, back, ok)
			}
		}
	})
}

// FuzzCSVRoundTrip checks that an encoded row decodes to the same fields.
func FuzzCSVRoundTrip(f *testing.F) {
	f.Add("a", "b,c", "say \"hi\"\r\nnext")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		row := encodeCSVRow([]string{a, b, c}, ',')
		rows, err := parseCSV(row, ',')
		if err != nil {
			t.Fatalf("%q: %v", row, err)
		}
		if len(rows) != 1 || len(rows[0]) != 3 || rows[0][0] != a || rows[0][1] != b || rows[0][2] != c {
			t.Fatalf("%q decoded to %q, want [%q %q %q]", row, rows, a, b, c)
		}
	})
}
