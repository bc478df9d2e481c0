package parser

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// conformanceDir holds the project's HSL conformance cases.
const conformanceDir = "../../tests/conformance/cases"

// conformanceScripts returns every conformance case and helper module.
func conformanceScripts(tb testing.TB) []string {
	tb.Helper()
	var files []string
	for _, pattern := range []string{"*.hsl", "inc/*.hsl"} {
		matches, err := filepath.Glob(filepath.Join(conformanceDir, pattern))
		if err != nil {
			tb.Fatal(err)
		}
		files = append(files, matches...)
	}
	if len(files) == 0 {
		tb.Fatalf("no conformance cases under %s", conformanceDir)
	}
	return files
}

// expectedSyntaxError returns the lines a case's .err file requires when
// that file expects a syntax error, or nil. Most .err files describe
// runtime or compile errors, which the parser must not raise.
func expectedSyntaxError(tb testing.TB, script string) []string {
	tb.Helper()
	data, err := os.ReadFile(strings.TrimSuffix(script, ".hsl") + ".err")
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		tb.Fatal(err)
	}
	if !strings.Contains(string(data), "syntax error") {
		return nil
	}
	var want []string
	for _, line := range strings.Split(string(data), "\n") {
		if line != "" && !strings.HasPrefix(line, "exit:") {
			want = append(want, line)
		}
	}
	return want
}

func TestConformanceCasesParse(t *testing.T) {
	for _, script := range conformanceScripts(t) {
		src, err := os.ReadFile(script)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(script)
		_, err = ParseFile(name, src)

		want := expectedSyntaxError(t, script)
		if want == nil {
			if err != nil {
				t.Errorf("%s: %v", script, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s parsed, want a syntax error containing %q", script, want)
			continue
		}
		for _, line := range want {
			if !strings.Contains(err.Error(), line) {
				t.Errorf("%s: error %q lacks %q", script, err, line)
			}
		}
	}
}
