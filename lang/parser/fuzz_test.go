package parser

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that the parser never panics on any input and that
// every failure is an ErrorList whose positions lie inside the input.
// The seed corpus is the conformance suite, the golden inputs and the
// syntax error cases.
func FuzzParse(f *testing.F) {
	for _, script := range conformanceScripts(f) {
		src, err := os.ReadFile(script)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	golden, err := filepath.Glob("testdata/golden/*.hsl")
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range golden {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, tc := range syntaxErrorCases {
		f.Add([]byte(tc.src))
	}

	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := ParseFile("fuzz.hsl", src)
		if err == nil {
			// The dump walks every node, which catches nil children
			// that the parser should never produce.
			_ = Dump(file)
			return
		}

		var list ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error %T %q is not a non-empty ErrorList", err, err)
		}
		lines := 1
		for _, c := range src {
			if c == '\n' {
				lines++
			}
		}
		for _, e := range list {
			if e.Pos.Line < 1 || e.Pos.Line > lines || e.Pos.Col < 1 {
				t.Fatalf("error position %d:%d outside the input of %d lines: %v", e.Pos.Line, e.Pos.Col, lines, e)
			}
			if e.Pos.File != "fuzz.hsl" {
				t.Fatalf("error names file %q, want fuzz.hsl", e.Pos.File)
			}
		}
	})
}
