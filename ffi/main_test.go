package ffi_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/halonsh/halonsh/ffi"
)

// testLibraryPath is the shared library built from testdata/ffitest.c for
// this test binary.
var testLibraryPath string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "ffitest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)

	testLibraryPath = filepath.Join(dir, "libffitest.so")
	cmd := exec.Command("gcc", "-shared", "-fPIC", "-O1", "-Wall", "-Werror",
		"-o", testLibraryPath, filepath.Join("testdata", "ffitest.c"), "-lpthread")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building testdata/ffitest.c with gcc: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// openTestLibrary opens the library built from testdata/ffitest.c.
func openTestLibrary(t testing.TB) *ffi.Library {
	t.Helper()
	lib, err := ffi.OpenLibrary(testLibraryPath)
	if err != nil {
		t.Fatalf("opening %s: %v", testLibraryPath, err)
	}
	return lib
}

// declare looks up and declares a function, failing the test when the
// symbol is missing or the signature is rejected.
func declare(t testing.TB, lib *ffi.Library, name string, ret ffi.Type, params ...ffi.Type) *ffi.Function {
	t.Helper()
	f, err := lib.Func(name, params, ret)
	if err != nil {
		t.Fatalf("declaring %s: %v", name, err)
	}
	if f == nil {
		t.Fatalf("symbol %s not found in %s", name, lib.Path())
	}
	return f
}

// call calls f and fails the test on an error.
func call(t testing.TB, f *ffi.Function, args ...ffi.Arg) *ffi.Value {
	t.Helper()
	v, err := f.Call(nil, args)
	if err != nil {
		t.Fatalf("calling %s: %v", f.Name(), err)
	}
	return v
}

func num(x float64) ffi.Arg { return ffi.NumberArg(x) }

func str(s string) ffi.Arg { return ffi.StringArg(s) }

func val(v *ffi.Value) ffi.Arg { return ffi.ValueArg(v) }
