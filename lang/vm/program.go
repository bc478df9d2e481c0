package vm

import (
	"context"
	"io"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// Limits bound one run. A zero field means the default.
type Limits struct {
	// MaxInstructions per run (default 100,000,000). Exceeding it ends the
	// run with the uncatchable error "instruction limit exceeded".
	MaxInstructions int64
	// MaxCallDepth is the deepest HSL call nesting (default 256); exceeding
	// it raises the catchable error "maximum call depth 256 exceeded".
	MaxCallDepth int
	// MaxMemory is the bytes (default 256 MiB) of strings, arrays,
	// objects and closures that the run may hold at once, counted from
	// its variables and value stack. Exceeding it raises the catchable
	// error "memory limit exceeded". The VM measures the held size after
	// a budget of new storage that shrinks near the limit to a quarter of
	// it (at most 16 MiB), so a run can pass the limit by that much.
	MaxMemory int64
}

// Default limits.
const (
	DefaultMaxInstructions = 100_000_000
	DefaultMaxCallDepth    = 256
	DefaultMaxMemory       = 256 << 20
)

func (l Limits) withDefaults() Limits {
	if l.MaxInstructions <= 0 {
		l.MaxInstructions = DefaultMaxInstructions
	}
	if l.MaxCallDepth <= 0 {
		l.MaxCallDepth = DefaultMaxCallDepth
	}
	if l.MaxMemory <= 0 {
		l.MaxMemory = DefaultMaxMemory
	}
	return l
}

// Program is a compiled script: the main file with its includes and the
// modules it imports. It is immutable and safe to run from many goroutines
// at once; each Run takes its own state from a pool.
type Program struct {
	main    *Module
	modules []*Module // in run order: dependencies first, main last
	limits  Limits
	statics []Value // initial values of class static variables
	pool    sync.Pool
	idle    atomic.Pointer[thread]
	root    string // script root; empty means the main file's directory
	// runStart is set when code of the program refers to a builtin that
	// reads Call.RunStart, so runs must record their start time.
	runStart bool
	// memInterval is memoryInterval(limits.MaxMemory), the memory budget
	// a run starts with.
	memInterval int64
}

// Module is one compiled file with its own global scope: the main script
// or an imported module.
type Module struct {
	Name    string   // resolved file name
	Init    *Proto   // top-level code
	Globals []string // global variable names by slot
	index   int      // position in Program.modules
	// consts are the initial values of globals, such as data imports
	// (none for ordinary variables, which start unset).
	initial []Value // globals at the start of a run: data imports, else unassigned
	slots   map[string]int
}

func (m *Module) slot(name string) (int, bool) {
	i, ok := m.slots[name]
	return i, ok
}

// ModuleSpec describes a compiled module for NewProgram.
type ModuleSpec struct {
	Name    string
	Init    *Proto
	Globals []string
	// Consts gives globals an initial value (data imports); a missing or
	// undefined entry leaves the global unassigned.
	Consts map[int]Value
}

// NewProgram assembles compiled modules (dependencies first, the main
// script last) into a runnable program. statics are the initial values of
// all class static variables by slot.
func NewProgram(mods []ModuleSpec, statics []Value, limits Limits) *Program {
	p := &Program{limits: limits.withDefaults(), statics: statics}
	p.memInterval = memoryInterval(p.limits.MaxMemory)
	for i, ms := range mods {
		m := &Module{Name: ms.Name, Init: ms.Init, Globals: ms.Globals, index: i,
			initial: make([]Value, len(ms.Globals)), slots: map[string]int{}}
		for j, g := range ms.Globals {
			m.slots[g] = j
			m.initial[j] = undef
		}
		for j, v := range ms.Consts {
			m.initial[j] = v
		}
		p.modules = append(p.modules, m)
	}
	p.main = p.modules[len(p.modules)-1]
	p.runStart = refersToRunStart(p.modules, statics)
	return p
}

// RunOptions are the per-run inputs of Program.Run.
type RunOptions struct {
	// Out receives echo output: the display form and a newline per echo.
	// nil discards it.
	Out io.Writer
	// Globals sets predefined variables of the main script by name
	// (without `$`); the names must have been declared when compiling.
	Globals map[string]Value
	// Bind sets predefined variables by slot (see Program.GlobalSlot);
	// unlike Globals it costs no map lookups.
	Bind []Binding
	// Host is an opaque value for host functions (Call.Host), such as the
	// queue interface of a hook.
	Host any
	// Limits overrides the program's limits when a field is non-zero.
	Limits Limits
	// Inspect, when not nil, is called once as the run ends, whether it
	// succeeded or not, with a lookup of the main script's global
	// variables (false for unknown or unassigned ones). Hosts read values
	// the script left, such as a hook's $context or a REPL's variables;
	// the lookup is valid only during the call.
	Inspect func(global func(name string) (Value, bool))
}

// Binding is a value for the main script's global variable at Slot.
type Binding struct {
	Slot  int
	Value Value
}

// GlobalSlot returns the slot of a global variable of the main script,
// for RunOptions.Bind.
func (p *Program) GlobalSlot(name string) (int, bool) { return p.main.slot(name) }

// SetRoot sets the script root that builtins resolve relative file paths
// from (Call.Root). Call it before the first Run: a Program is shared by
// concurrent runs and SetRoot is not synchronized.
func (p *Program) SetRoot(dir string) { p.root = dir }

// Root returns the script root: the directory given to SetRoot, else the
// directory of the main file, which is also the compiler's default root.
func (p *Program) Root() string {
	if p.root != "" {
		return p.root
	}
	return filepath.Dir(p.main.Name)
}

// Limits returns the limits the program was compiled with.
func (p *Program) Limits() Limits { return p.limits }

// GlobalNames returns the main script's global variable names.
func (p *Program) GlobalNames() []string { return p.main.Globals }

// Run executes the program once, and canceling ctx ends it with an
// uncatchable script error. The error is nil on success, when the script
// returns at top level, and when a builtin ends the run with ErrHalt.
// Otherwise it is an *Error with the position and HSL call stack.
func (p *Program) Run(ctx context.Context, opts *RunOptions) error {
	return p.run(ctx, opts, nil, nil)
}

// RunWith runs the program once like Run, with echo output to out (nil
// discards it) and the main script's globals set from bind. It takes no
// RunOptions, so only out and the bound values escape to the heap. A
// caller can keep bind in a local array, and the call then allocates
// nothing beyond what the script itself allocates.
func (p *Program) RunWith(ctx context.Context, out io.Writer, bind ...Binding) error {
	return p.run(ctx, nil, out, bind)
}

func (p *Program) run(ctx context.Context, opts *RunOptions, out io.Writer, bind []Binding) (err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	// A one-slot cache in front of the pool serves back-to-back runs on
	// one goroutine with two atomic operations.
	th := p.idle.Swap(nil)
	if th == nil {
		th, _ = p.pool.Get().(*thread)
		if th == nil {
			th = newThread(p)
		}
	}

	// A Go panic of the interpreter becomes a script error, so a bug ends
	// one run, not the process. The panicking thread's state is suspect,
	// so the recovery returns before the thread goes back to the pool.
	defer func() {
		if r := recover(); r != nil {
			err = th.recovered(r)
		}
	}()
	err = th.run(ctx, opts, out, bind)
	th.reset()
	if !p.idle.CompareAndSwap(nil, th) {
		p.pool.Put(th)
	}
	return err
}
