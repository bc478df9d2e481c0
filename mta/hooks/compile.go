package hooks

import (
	"github.com/halonsh/halonsh/lang/compile"
	"github.com/halonsh/halonsh/lang/vm"
)

// compileScript compiles a hook script with the context's library. The
// queue contexts' $arguments and $message are read-only; $context is
// writable and carries data from pre- to post-delivery.
func compileScript(lib *vm.Library, filename string, src []byte) (*vm.Program, error) {
	return compile.File(filename, src, &compile.Options{
		Library: lib,
		Predefined: []compile.Predefined{
			{Name: "arguments", ReadOnly: true},
			{Name: "message", ReadOnly: true},
			{Name: "context"},
		},
	})
}
