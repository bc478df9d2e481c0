package vm_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/halonsh/halonsh/builtins"
	"github.com/halonsh/halonsh/lang/compile"
	"github.com/halonsh/halonsh/lang/vm"
)

func testLibrary() *vm.Library {
	lib := vm.NewLibrary()
	builtins.Install(lib)
	return lib
}

// mustCompile compiles src as test.hsl with the standard library and the
// extra builtins of lib (nil for none).
func mustCompile(t testing.TB, src string, opts *compile.Options) *vm.Program {
	t.Helper()
	if opts == nil {
		opts = &compile.Options{}
	}
	if opts.Library == nil {
		opts.Library = testLibrary()
	}
	prog, err := compile.File("test.hsl", []byte(src), opts)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return prog
}

// run runs prog once and returns its echo output.
func run(t testing.TB, prog *vm.Program, opts *vm.RunOptions) (string, error) {
	t.Helper()
	var out bytes.Buffer
	if opts == nil {
		opts = &vm.RunOptions{}
	}
	opts.Out = &out
	err := prog.Run(context.Background(), opts)
	return strings.TrimSuffix(out.String(), "\n"), err
}
