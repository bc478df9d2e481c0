package hooks

import (
	"github.com/halonsh/halonsh/lang/compile"
	"github.com/halonsh/halonsh/lang/vm"
)

// compileScript compiles a hook script with the context's library. The
// queue contexts' $arguments and $message are read-only; $context is
// writable and carries data from pre- to post-delivery.
// root is the script root for include, import and File paths; "" means
// the script's own directory.
func compileScript(lib *vm.Library, root, filename string, src []byte) (*vm.Program, error) {
	return compile.File(filename, src, &compile.Options{
		Root:    root,
		Library: lib,
		Predefined: []compile.Predefined{
			{Name: "arguments", ReadOnly: true},
			{Name: "message", ReadOnly: true},
			{Name: "context"},
		},
	})
}
