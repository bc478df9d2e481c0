// Package builtins is the HSL standard library: one file per group of
// functions (array, string, pcre, json, time, crypto, dns, ...).
//
// # Registering a group
//
// A file contributes its functions and classes from an init function, so
// that adding a group never means editing another file:
//
//	func init() {
//		registerFuncs(map[string]vm.BuiltinFunc{
//			"str_repeat": builtinStrRepeat,
//			...
//		})
//		registerClass(mapClass)
//		registerInstaller(defineCrypto) // for groups that need the *vm.Library
//		registerAlias("strlen", "length")
//	}
//
// Install then puts every registered function, class and alias into a
// library. A name registered twice panics at start-up, so two groups can
// never silently replace each other's function. Aliases are resolved
// after everything else, so an alias may name a function of any group,
// including one defined by an installer.
//
// Every builtin follows the argument rules of libArgs (misc_args.go):
// counts are checked with vm.Call.Arity, and a wrong type is a runtime
// error naming the function, the argument position and the parameter,
// such as `str_split(): argument 2 (delimiter) must be a string, got array`.
package builtins

import (
	"fmt"
	"sort"

	"github.com/halonsh/halonsh/lang/vm"
)

var (
	registeredFuncs      = map[string]vm.BuiltinFunc{}
	registeredClasses    = map[string]*vm.Class{}
	registeredAliases    = map[string]string{}
	registeredInstallers []func(*vm.Library)
)

// registerFuncs adds builtin functions by name. It panics when a name is
// already registered as a function, class or alias.
func registerFuncs(funcs map[string]vm.BuiltinFunc) {
	for name, fn := range funcs {
		checkUnregistered(name)
		registeredFuncs[name] = fn
	}
}

// registerClass adds a builtin class under its name.
func registerClass(cls *vm.Class) {
	checkUnregistered(cls.Name)
	registeredClasses[cls.Name] = cls
}

// registerAlias makes oldName call the builtin registered as name.
func registerAlias(oldName, name string) {
	checkUnregistered(oldName)
	registeredAliases[oldName] = name
}

// registerInstaller adds a function that defines builtins on the library
// itself, for groups that build their definitions at install time.
func registerInstaller(install func(*vm.Library)) {
	registeredInstallers = append(registeredInstallers, install)
}

func checkUnregistered(name string) {
	_, isFunc := registeredFuncs[name]
	_, isClass := registeredClasses[name]
	_, isAlias := registeredAliases[name]
	if isFunc || isClass || isAlias {
		panic(fmt.Sprintf("builtins: %s is registered twice", name))
	}
}

// Install defines the whole standard library on lib: every registered
// function, class and installer, then the compatibility aliases. An alias
// whose function no group defines is skipped (a test reports it).
func Install(lib *vm.Library) {
	for _, name := range sortedKeys(registeredFuncs) {
		lib.Define(name, registeredFuncs[name])
	}
	for _, name := range sortedKeys(registeredClasses) {
		lib.DefineClass(registeredClasses[name])
	}
	for _, install := range registeredInstallers {
		install(lib)
	}

	for _, oldName := range sortedKeys(registeredAliases) {
		name := registeredAliases[oldName]
		if fn, ok := registeredFuncs[name]; ok {
			lib.Define(oldName, fn)
			continue
		}
		fn, ok := lib.Func(name)
		if !ok {
			// TestAliasTargetsExist reports this; a missing alias must not
			// take the rest of the library down.
			continue
		}
		target := fn
		lib.Define(oldName, func(c *vm.Call, args []vm.Value) (vm.Value, error) {
			return c.Call(target, args...)
		})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
