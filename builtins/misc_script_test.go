package builtins

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/halonsh/halonsh/lang/compile"
	"github.com/halonsh/halonsh/lang/vm"
)

// scriptRun configures runLibScript.
type scriptRun struct {
	dir  string // directory of the script file; a temporary one when ""
	host any    // vm.RunOptions.Host
	ctx  context.Context
}

// runLibScript compiles src against the whole standard library and runs
// it once, returning the echo output and the run's error.
func runLibScript(t testing.TB, src string, cfg scriptRun) (string, error) {
	t.Helper()
	prog := compileLibScript(t, src, cfg.dir)

	ctx := cfg.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	var out bytes.Buffer
	err := prog.Run(ctx, &vm.RunOptions{Out: &out, Host: cfg.host})
	return out.String(), err
}

func compileLibScript(t testing.TB, src, dir string) *vm.Program {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	lib := vm.NewLibrary()
	Install(lib)
	prog, err := compile.File(filepath.Join(dir, "test.hsl"), []byte(src), &compile.Options{Library: lib})
	if err != nil {
		t.Fatalf("compile: %v\nsource:\n%s", err, src)
	}
	return prog
}

// scriptCase is one line of HSL with its expected echo output, or with a
// substring its runtime error must contain.
type scriptCase struct {
	src  string
	want string
	err  string
}

// runScriptCases runs each case as its own script.
func runScriptCases(t *testing.T, cases []scriptCase) {
	t.Helper()
	for _, c := range cases {
		out, err := runLibScript(t, c.src, scriptRun{})
		switch {
		case c.err != "" && err == nil:
			t.Errorf("%s\n  ran without error, output %q; want an error containing %q", c.src, out, c.err)
		case c.err != "" && !strings.Contains(err.Error(), c.err):
			t.Errorf("%s\n  error %q, want it to contain %q", c.src, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("%s\n  error: %v", c.src, err)
		case c.err == "" && out != c.want:
			t.Errorf("%s\n  output %q, want %q", c.src, out, c.want)
		}
	}
}
