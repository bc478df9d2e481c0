package main

import (
	"github.com/halonsh/halonsh/builtins"
	"github.com/halonsh/halonsh/lang/vm"
)

// installBuiltins adds the standard library.
func installBuiltins(lib *vm.Library) { builtins.Install(lib) }
