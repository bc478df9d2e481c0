package main

import (
	"github.com/halonsh/halonsh/lang/compile"
	"github.com/halonsh/halonsh/mta/hooks"
)

// compileCheck compiles a parsed file the way it would run: as a plain
// script (hookContext empty) or as a hook of the named context, so
// undefined names, bad imports and other compile errors are reported.
func compileCheck(name string, src []byte, hookContext string) error {
	if hookContext == "" {
		_, err := compile.File(name, src, runOptions(name))
		return err
	}
	kind, err := hooks.ParseKind(hookContext)
	if err != nil {
		return err
	}
	_, err = hooks.Compile(newLibrary(), kind, name, src)
	return err
}
