package main

import (
	"bufio"
	"os"

	"github.com/halonsh/halonsh/ffi"
	"github.com/halonsh/halonsh/lang/vm"
)

// ffiConfig is the FFI setting of `halonsh run` and `check`: on, unless
// run's --no-ffi turns it off.
var ffiConfig = ffi.Config{Enabled: true}

// newLibrary returns the builtins scripts run with, FFI included.
func newLibrary() *vm.Library {
	lib := vm.NewLibrary()
	installBuiltins(lib)
	ffi.Install(lib, ffiConfig)
	return lib
}

func bufferedStdout() *bufio.Writer { return bufio.NewWriterSize(os.Stdout, 64<<10) }
