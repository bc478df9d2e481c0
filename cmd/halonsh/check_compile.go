package main

import (
	"strings"

	"github.com/halonsh/halonsh/lang/compile"
	"github.com/halonsh/halonsh/mta/hooks"
)

// compileCheck compiles a parsed file the way it would run: as a plain
// script or as a hook of the named context. Without a context, a file
// that compiles only as a post- or pre-delivery hook is valid too, so
// `halonsh check scripts/*.hsl` covers hook scripts. When a file compiles
// as nothing, the plain error is reported, or the post-delivery one when
// the plain error is about a name that only hooks define.
func compileCheck(name string, src []byte, hookContext string) error {
	if hookContext != "" {
		kind, err := hooks.ParseKind(hookContext)
		if err != nil {
			return err
		}
		_, err = hooks.Compile(newLibrary(), kind, name, src)
		return err
	}

	_, plainErr := compile.File(name, src, runOptions(name))
	if plainErr == nil {
		return nil
	}
	_, postErr := hooks.Compile(newLibrary(), hooks.PostDelivery, name, src)
	if postErr == nil {
		return nil
	}
	if _, preErr := hooks.Compile(newLibrary(), hooks.PreDelivery, name, src); preErr == nil {
		return nil
	}
	if mentionsHookName(plainErr.Error()) {
		return postErr
	}
	return plainErr
}

// hookNames are defined only in the queue hook contexts.
var hookNames = []string{"Try()", "Queue()", "Bounce()", "Delete()", "Default()", "SetDSN()", "SetMetaData()", "GetMetaData()", "$message", "$context"}

func mentionsHookName(msg string) bool {
	for _, name := range hookNames {
		if strings.Contains(msg, name) {
			return true
		}
	}
	return false
}
