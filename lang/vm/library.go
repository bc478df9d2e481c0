package vm

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"time"
)

// BuiltinFunc is the Go implementation of a builtin or host function. It
// receives the call context and the evaluated arguments (the slice is only
// valid during the call) and returns the result, or an error that becomes
// a catchable runtime error of the script at the call's position.
type BuiltinFunc func(c *Call, args []Value) (Value, error)

// MethodFunc implements a method of a builtin class; this is the receiver.
type MethodFunc func(c *Call, this *Object, args []Value) (Value, error)

// Library is a registry of builtin functions and classes that a program is
// compiled against. Names are resolved at compile time, so a Library must
// be complete before compiling and must not change afterwards; it is then
// safe for concurrent use.
//
// A host builds one base Library with the standard library and, per
// context (a hook type), an Extend-ed child with its context functions.
type Library struct {
	parent  *Library
	funcs   map[string]*Function
	classes map[string]*Class
}

// NewLibrary returns a library holding only the Exception class.
func NewLibrary() *Library {
	l := &Library{funcs: map[string]*Function{}, classes: map[string]*Class{}}
	l.DefineClass(ExceptionClass)
	return l
}

// Extend returns a child library that also resolves every name of l.
// Names defined in the child shadow those of l.
func (l *Library) Extend() *Library {
	return &Library{parent: l, funcs: map[string]*Function{}, classes: map[string]*Class{}}
}

// Define registers the builtin function name. Defining a name twice
// replaces the earlier function.
func (l *Library) Define(name string, fn BuiltinFunc) {
	l.funcs[name] = &Function{builtin: &builtin{name: name, fn: fn}}
}

// MarkRunStart records that the builtin name reads Call.RunStart; call it
// before compiling, like Define. A clock read (time.Now, about 60 ns on a
// 2-core development VM) is a large share of a small run, so a run records
// its start only when the program's code refers to a marked builtin. It
// returns false when name is not a builtin function of l itself.
func (l *Library) MarkRunStart(name string) bool {
	f, ok := l.funcs[name]
	if !ok || f.builtin == nil {
		return false
	}
	f.builtin.runStart = true
	return true
}

// DefineClass registers a builtin class under cls.Name: `Name(args)` calls
// cls.New, `Name::f(args)` calls cls.Statics["f"].
func (l *Library) DefineClass(cls *Class) {
	l.classes[cls.Name] = cls
	l.funcs[cls.Name] = &Function{class: cls}
}

// Func returns the function value of a builtin or class name.
func (l *Library) Func(name string) (Value, bool) {
	for x := l; x != nil; x = x.parent {
		if f, ok := x.funcs[name]; ok {
			return FunctionValue(f), true
		}
	}
	return None, false
}

// Class returns the builtin class name.
func (l *Library) Class(name string) (*Class, bool) {
	for x := l; x != nil; x = x.parent {
		if c, ok := x.classes[name]; ok {
			return c, true
		}
	}
	return nil, false
}

// Names returns every function and class name, sorted.
func (l *Library) Names() []string {
	seen := map[string]bool{}
	for x := l; x != nil; x = x.parent {
		for n := range x.funcs {
			seen[n] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Call is the context of one builtin call. It is valid only during that
// call: do not keep it.
type Call struct {
	th   *thread
	name string
}

// Name returns the name of the builtin being called (for a method,
// "Class->method").
func (c *Call) Name() string { return c.name }

// Context returns the run's context; long operations (DNS, HTTP, waits)
// must honour its cancellation.
func (c *Call) Context() context.Context { return c.th.ctx }

// Host returns the opaque per-run host value given in RunOptions.Host.
func (c *Call) Host() any { return c.th.host }

// Out returns the run's echo writer (never nil).
func (c *Call) Out() io.Writer { return c.th.out }

// Pos returns the source position of the call.
func (c *Call) Pos() Pos { return c.th.currentPos() }

// RunStart returns when the current run began (with a monotonic clock
// reading, so time.Since measures elapsed time even if the wall clock
// steps). The builtin must be marked with Library.MarkRunStart.
//
// NOTE: a function value that reaches the run only from the host (through
// RunOptions.Globals or Bind) is not seen when the program is built. For
// such a call the start is taken at the first RunStart call of the run.
func (c *Call) RunStart() time.Time {
	if c.th.start.IsZero() {
		c.th.start = time.Now()
	}
	return c.th.start
}

// Root returns the script root of the program: the directory that `file:`
// paths and plain relative paths resolve from.
func (c *Call) Root() string { return c.th.prog.Root() }

// Global returns a global variable of the main script by name (without
// `$`), for example a host variable.
func (c *Call) Global(name string) (Value, bool) { return c.th.global(name) }

// Owner returns a value identifying the run, the same for every call of
// that run; the lock table uses it for re-entrancy.
func (c *Call) Owner() any { return c.th.owner() }

// RunValue returns per-run data a builtin stored with SetRunValue under key.
func (c *Call) RunValue(key any) any { return c.th.runValues[key] }

// SetRunValue stores per-run data for builtins (for example an FFI
// session); it is dropped when the run ends.
func (c *Call) SetRunValue(key, v any) {
	if c.th.runValues == nil {
		c.th.runValues = map[any]any{}
	}
	c.th.runValues[key] = v
}

// Call calls an HSL function value (a user function, closure, bound method,
// builtin or class) with args and returns its result. An exception thrown
// by the callee comes back as an *Error; return it unchanged so it
// propagates to the script.
func (c *Call) Call(fn Value, args ...Value) (Value, error) {
	return c.th.callValue(fn, args)
}

// CallHoldingKey calls fn like Call, marking the run as inside a callback
// that holds the shared-memory lock of key (the memory_* callbacks). While
// the mark is set, a `barrier` on any other key raises a runtime error,
// because two runs locking two keys in opposite order would deadlock. The
// mark nests and is restored when fn returns or throws.
func (c *Call) CallHoldingKey(key string, fn Value, args ...Value) (Value, error) {
	th := c.th
	outerKey, outerHeld := th.heldKey, th.keyHeld
	th.heldKey, th.keyHeld = key, true
	defer func() { th.heldKey, th.keyHeld = outerKey, outerHeld }()
	return th.callValue(fn, args)
}

// HeldKey returns the key of the innermost CallHoldingKey callback the run
// is executing; ok is false outside such callbacks.
func (c *Call) HeldKey() (key string, ok bool) { return c.th.heldKey, c.th.keyHeld }

// Errorf returns a runtime error whose message starts with the builtin's
// name: c.Errorf("invalid mode %q", m) gives `fopen(): invalid mode "x"`.
func (c *Call) Errorf(format string, args ...any) error {
	return &Error{Message: c.name + "(): " + fmt.Sprintf(format, args...)}
}

// ArgError returns the error for an argument of the wrong type:
// `str_split(): argument 2 (delimiter) must be a string, got array`. i is
// 0-based; want is the expected type phrase.
func (c *Call) ArgError(i int, param, want string, got Value) error {
	return c.Errorf("argument %d (%s) must be %s, got %s", i+1, param, want, got.TypeName())
}

// Arity checks the argument count: `f(): expected 1 to 2 arguments, got 3`.
// max < 0 means no maximum.
func (c *Call) Arity(args []Value, min, max int) error {
	n := len(args)
	if n >= min && (max < 0 || n <= max) {
		return nil
	}
	return c.Errorf("%s", arityMessage(min, max, n))
}

func arityMessage(min, max, n int) string {
	switch {
	case max < 0:
		return fmt.Sprintf("expected at least %d argument%s, got %d", min, plural(min), n)
	case min == max:
		return fmt.Sprintf("expected %d argument%s, got %d", min, plural(min), n)
	}
	return fmt.Sprintf("expected %d to %d arguments, got %d", min, max, n)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// StringArg returns args[i] as a string; param names it in the error.
func (c *Call) StringArg(args []Value, i int, param string) (string, error) {
	if i >= len(args) || args[i].kind != KindString {
		return "", c.ArgError(i, param, "a string", argAt(args, i))
	}
	return args[i].str(), nil
}

// NumberArg returns args[i] as a number.
func (c *Call) NumberArg(args []Value, i int, param string) (float64, error) {
	if i >= len(args) || args[i].kind != KindNumber {
		return 0, c.ArgError(i, param, "a number", argAt(args, i))
	}
	return args[i].num(), nil
}

// IntArg returns args[i] as a number truncated toward zero; it must fit an
// int.
func (c *Call) IntArg(args []Value, i int, param string) (int, error) {
	f, err := c.NumberArg(args, i, param)
	if err != nil {
		return 0, err
	}
	if f != f || math.Abs(f) > 1<<53 {
		return 0, c.Errorf("argument %d (%s) is out of range", i+1, param)
	}
	return int(f), nil
}

// BoolArg returns args[i] as a boolean (it must be a boolean).
func (c *Call) BoolArg(args []Value, i int, param string) (bool, error) {
	if i >= len(args) || args[i].kind != KindBool {
		return false, c.ArgError(i, param, "a boolean", argAt(args, i))
	}
	return args[i].u != 0, nil
}

// ArrayArg returns args[i] as an array. The array may be shared: Clone it
// before changing it.
func (c *Call) ArrayArg(args []Value, i int, param string) (*Array, error) {
	if i >= len(args) || args[i].kind != KindArray {
		return nil, c.ArgError(i, param, "an array", argAt(args, i))
	}
	return (*Array)(args[i].p), nil
}

// FunctionArg returns args[i], which must be a function value, for Call.
func (c *Call) FunctionArg(args []Value, i int, param string) (Value, error) {
	if i >= len(args) || args[i].kind != KindFunction {
		return None, c.ArgError(i, param, "a function", argAt(args, i))
	}
	return args[i], nil
}

// ObjectArg returns args[i] as an object of class cls (any class when cls
// is nil).
func (c *Call) ObjectArg(args []Value, i int, param string, cls *Class) (*Object, error) {
	if i < len(args) && args[i].kind == KindObject {
		o := (*Object)(args[i].p)
		if cls == nil || o.class == cls {
			return o, nil
		}
	}
	want := "an object"
	if cls != nil {
		want = "a " + cls.Name + " object"
	}
	return nil, c.ArgError(i, param, want, argAt(args, i))
}

// OptArg reports whether the optional argument i was given (present and
// not none).
func OptArg(args []Value, i int) bool {
	return i < len(args) && args[i].kind != KindNone
}

func argAt(args []Value, i int) Value {
	if i < len(args) {
		return args[i]
	}
	return None
}

// Invoke calls the builtin name outside any script run, for example to
// decode a data import at compile time. The call has a background
// context, no host value and discards echo output.
func (l *Library) Invoke(name string, args ...Value) (Value, error) {
	fv, ok := l.Func(name)
	if !ok || fv.Function().builtin == nil {
		return None, Errorf("%s(): no such builtin", name)
	}
	th := &thread{
		ctx:    context.Background(),
		out:    io.Discard,
		limits: Limits{}.withDefaults(),
		stack:  make([]Value, 64),
		calls:  make([]Call, 2),
	}
	th.memBudget = memoryInterval(th.limits.MaxMemory)
	b := fv.Function().builtin
	return th.callBuiltin(b.name, b.fn, args)
}
