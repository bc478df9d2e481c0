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
	"sync/atomic"

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
	// idle caches one set of run options for back-to-back runs; concurrent
	// runs allocate their own.
	idle *atomic.Pointer[vm.RunOptions]
	// slotA is the slot of $a, the global of the invoke workload.
	slotA int
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
	slotA, ok := prog.GlobalSlot("a")
	if !ok {
		slotA = -1
	}
	return P{prog: prog, idle: new(atomic.Pointer[vm.RunOptions]), slotA: slotA}, nil
}

// Run executes the program once with the given globals, writing echo
// output to out.
func (p P) Run(globals map[string]any, out io.Writer) error {
	opts := p.idle.Swap(nil)
	if opts == nil {
		opts = &vm.RunOptions{}
	}
	opts.Bind = opts.Bind[:0]
	if v, ok := globals["a"]; ok && len(globals) == 1 && p.slotA >= 0 {
		// The invoke workload's only global: one lookup, no map iteration.
		x, isInt := v.(int)
		if !isInt {
			return fmt.Errorf("hslbench: global a has unsupported type %T", v)
		}
		opts.Bind = append(opts.Bind, vm.Binding{Slot: p.slotA, Value: vm.Int(x)})
		globals = nil
	}
	for k, v := range globals {
		slot, ok := p.prog.GlobalSlot(k)
		if !ok {
			return fmt.Errorf("hslbench: global %s is not declared", k)
		}
		var val vm.Value
		switch x := v.(type) {
		case int:
			val = vm.Int(x)
		case string:
			val = vm.String(x)
		default:
			return fmt.Errorf("hslbench: global %s has unsupported type %T", k, v)
		}
		opts.Bind = append(opts.Bind, vm.Binding{Slot: slot, Value: val})
	}
	opts.Out = out
	err := p.prog.Run(context.Background(), opts)
	opts.Out = nil
	p.idle.Store(opts)
	return err
}
