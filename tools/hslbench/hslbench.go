// Package hslbench adapts the HSL compiler and VM to the in-process API of
// the VM benchmark kit: compile once, run many times.
//
// The kit calls Compile(name, src) once per workload and P.Run(globals,
// out) per timed run; globals hold Go int or string values for
// predefined variables.
package hslbench

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/halonsh/halonsh/builtins"
	"github.com/halonsh/halonsh/lang/compile"
	"github.com/halonsh/halonsh/lang/vm"
)

// Globals the kit passes; declaring them lets the invoke workload read $a.
var predefined = []compile.Predefined{{Name: "a"}}

var library = sync.OnceValue(func() *vm.Library {
	lib := vm.NewLibrary()
	builtins.Install(lib)
	return lib
})

// P is a compiled program.
type P struct {
	prog *vm.Program
	// globals are the predefined variables with their slots, resolved
	// once at compile time so a run binds them without a name lookup in
	// the program.
	globals []global
}

type global struct {
	name string
	slot int
}

// Compile parses and compiles one HSL script. The loop workload runs
// 10,000,000 iterations, so the instruction limit is raised above the
// default of 100,000,000.
func Compile(name string, src []byte) (P, error) {
	prog, err := compile.File(name, src, &compile.Options{
		Library:    library(),
		Predefined: predefined,
		Limits:     vm.Limits{MaxInstructions: 1 << 40},
	})
	if err != nil {
		return P{}, err
	}
	p := P{prog: prog}
	for _, d := range predefined {
		if slot, ok := prog.GlobalSlot(d.Name); ok {
			p.globals = append(p.globals, global{name: d.Name, slot: slot})
		}
	}
	return p, nil
}

// Run executes the program once with the given globals, writing echo
// output to out. It is safe for concurrent use, and a run of the invoke
// workload allocates nothing.
func (p P) Run(globals map[string]any, out io.Writer) error {
	// One map lookup per predefined name, which is cheaper than ranging
	// over the map. The bindings stay in this stack array, because
	// Program.RunWith does not retain them.
	var buf [4]vm.Binding
	bind := buf[:0]
	for _, g := range p.globals {
		v, ok := globals[g.name]
		if !ok {
			continue
		}
		val, err := toValue(g.name, v)
		if err != nil {
			return err
		}
		bind = append(bind, vm.Binding{Slot: g.slot, Value: val})
	}
	if len(bind) != len(globals) {
		return p.undeclared(globals)
	}
	return p.prog.RunWith(context.Background(), out, bind...)
}

// toValue converts a global of the kit (a Go int or string) to an HSL
// value.
func toValue(name string, v any) (vm.Value, error) {
	switch x := v.(type) {
	case int:
		return vm.Int(x), nil
	case string:
		return vm.String(x), nil
	}
	return vm.None, fmt.Errorf("hslbench: global %s has unsupported type %T", name, v)
}

// undeclared returns the error for a global that the program does not
// declare.
func (p P) undeclared(globals map[string]any) error {
	for name := range globals {
		if !p.declares(name) {
			return fmt.Errorf("hslbench: global %s is not declared", name)
		}
	}
	return fmt.Errorf("hslbench: %d globals given, %d declared", len(globals), len(p.globals))
}

func (p P) declares(name string) bool {
	for _, g := range p.globals {
		if g.name == name {
			return true
		}
	}
	return false
}
