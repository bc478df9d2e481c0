package main

import (
	"bufio"
	"os"

	"github.com/halonsh/halonsh/lang/vm"
)

// newLibrary returns the builtins scripts run with.
func newLibrary() *vm.Library {
	lib := vm.NewLibrary()
	installBuiltins(lib)
	return lib
}

func bufferedStdout() *bufio.Writer { return bufio.NewWriterSize(os.Stdout, 64<<10) }
