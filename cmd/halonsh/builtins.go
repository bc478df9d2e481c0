package main

import "github.com/halonsh/halonsh/lang/vm"

// installBuiltins adds the standard library.
// TODO: call builtins.Install(lib) once package builtins builds (its
// go.sum entries for golang.org/x/text are missing).
func installBuiltins(lib *vm.Library) {}
