package parser

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden .ast files under testdata/golden")

// TestGoldenAST parses each testdata/golden/*.hsl and compares the Dump of
// its tree, positions included, with the .ast file beside it. Run with
// -update after an intended change and review the diff.
func TestGoldenAST(t *testing.T) {
	inputs, err := filepath.Glob("testdata/golden/*.hsl")
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatal("no golden inputs under testdata/golden")
	}

	for _, input := range inputs {
		name := filepath.Base(input)
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(input)
			if err != nil {
				t.Fatal(err)
			}
			f, err := ParseFile(name, src)
			if err != nil {
				t.Fatal(err)
			}
			got := Dump(f)

			golden := strings.TrimSuffix(input, ".hsl") + ".ast"
			if *updateGolden {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("tree of %s differs from %s:\n%s", input, golden, lineDiff(string(want), got))
			}
		})
	}
}

// lineDiff returns the first differing line of want and got with a few
// lines of context, enough to locate a change in a long dump.
func lineDiff(want, got string) string {
	wl := strings.Split(want, "\n")
	gl := strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			start := max(0, i-3)
			return "line " + strconv.Itoa(i+1) + ":\ncontext:\n" + strings.Join(gl[start:i], "\n") +
				"\nwant: " + w + "\n got: " + g
		}
	}
	return "(no difference found)"
}
