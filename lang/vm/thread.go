package vm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"time"
)

// thread is the state of one run: value stack, frames, globals, handlers
// and barriers. Threads are pooled per Program and reused after reset.
type thread struct {
	prog      *Program
	ctx       context.Context
	host      any // RunOptions.Host
	out       io.Writer
	runValues map[any]any
	limits    Limits
	start     time.Time // when the current run began, on the monotonic clock
	// heldKey is the shared-memory key whose callback (Call.CallHoldingKey)
	// the run is executing, when keyHeld is set.
	heldKey string
	keyHeld bool

	stack       []Value
	sp          int // saved stack top while Go code runs
	frames      []frame
	handlers    []handler
	barriers    []barrierRecord
	globals     [][]Value // per module
	statics     []Value
	calls       []Call // builtin call contexts, one per nesting level
	nativeDepth int

	// memBudget is the bytes of new storage the run may still build
	// before checkMemory measures what it holds (see memory.go).
	memBudget int64

	budget  int64 // instructions left before the next limit check
	chunk   int64 // size of the current budget chunk
	used    int64 // instructions counted in earlier budgets
	echoBuf []byte
	highSP  int
	// msgCache holds the run's per_message cache entries.
	msgCache map[string]runCacheEntry
}

type frame struct {
	proto *Proto
	fn    *Function
	pc    int // next instruction; while a callee runs, the return point
	bp    int // first local slot
	this  *Object
	base  bool // entered from Go: its return ends exec
}

type handler struct {
	frame    int // frame index that owns the try
	sp       int
	catchPC  int
	barriers int
}

type barrierRecord struct {
	frame  int
	root   int32 // -1 without a variable
	key    string
	unlock func()
}

func newThread(p *Program) *thread {
	th := &thread{prog: p}
	th.stack = make([]Value, 256)
	th.frames = make([]frame, 0, 16)
	th.calls = make([]Call, 4)
	th.globals = make([][]Value, len(p.modules))
	for i, m := range p.modules {
		th.globals[i] = make([]Value, len(m.Globals))
	}
	return th
}

// reset drops what the finished run left, so the pooled thread keeps no
// value of it reachable. Call contexts stay as they are, because each
// holds only the thread itself and a builtin's name, which callBuiltin
// overwrites.
func (th *thread) reset() {
	if th.highSP < 32 {
		// A loop beats the runtime's clear of a pointer slice for the
		// few slots a short run uses.
		for i := range th.stack[:th.highSP+1] {
			th.stack[i] = Value{}
		}
	} else {
		clear(th.stack[:th.highSP+1])
	}
	th.highSP = 0
	th.sp = 0
	th.frames = th.frames[:0]
	th.handlers = th.handlers[:0]
	th.barriers = th.barriers[:0]
	th.ctx, th.host, th.out = nil, nil, nil
	if th.runValues != nil {
		th.runValues = nil
	}
	if th.msgCache != nil {
		th.msgCache = nil
	}
	th.heldKey, th.keyHeld = "", false
}

func (th *thread) owner() any { return th }

// recovered releases the barriers a run that panicked still holds and
// returns the panic as a fatal script error.
func (th *thread) recovered(r any) error {
	for len(th.barriers) > 0 {
		rec := th.barriers[len(th.barriers)-1]
		th.barriers = th.barriers[:len(th.barriers)-1]
		rec.unlock()
	}
	return &Error{Message: fmt.Sprintf("internal error: %v", r), Pos: th.currentPos(), Fatal: true,
		Err: fmt.Errorf("panic: %v\n%s", r, debug.Stack())}
}

// run sets up and executes one run. The inputs come either in opts
// (Program.Run) or, with opts nil, as out and bind alone
// (Program.RunWith). In separate parameters, escape analysis finds that
// the array behind bind is only read, so a RunWith caller can keep it on
// its stack.
func (th *thread) run(ctx context.Context, opts *RunOptions, out io.Writer, bind []Binding) (err error) {
	p := th.prog
	th.start = time.Time{}
	if p.runStart {
		th.start = time.Now()
	}
	th.ctx = ctx
	th.limits = p.limits
	th.memBudget = p.memInterval
	if opts != nil {
		out, bind = opts.Out, opts.Bind
		th.host = opts.Host
		if opts.Limits != (Limits{}) {
			th.overrideLimits(opts.Limits)
		}
	}
	th.out = out
	if out == nil {
		th.out = io.Discard
	}
	th.used = 0
	th.chunk = min(th.limits.MaxInstructions, budgetChunk)
	th.budget = th.chunk

	for i, m := range p.modules {
		resetGlobals(th.globals[i], m.initial)
	}
	if n := len(p.statics); n > 0 {
		if cap(th.statics) < n {
			th.statics = make([]Value, n)
		}
		th.statics = th.statics[:n]
		copy(th.statics, p.statics)
	}
	main := th.globals[len(th.globals)-1]
	for _, b := range bind {
		if uint(b.Slot) >= uint(len(main)) {
			return fmt.Errorf("run: global slot %d out of range", b.Slot)
		}
		main[b.Slot] = b.Value
	}
	if opts != nil && len(opts.Globals) > 0 {
		if err := th.setGlobals(opts.Globals); err != nil {
			return err
		}
	}

	// Every module's top-level code, dependencies first.
	for _, m := range p.modules {
		// A module's top-level code ends without error at its end and at
		// a top-level return.
		err = th.runTopLevel(m.Init)
		if err != nil {
			if errors.Is(err, ErrHalt) {
				err = nil
			}
			break
		}
	}
	if len(th.barriers) > 0 {
		th.releaseBarriers(0)
	}
	if opts != nil && opts.Inspect != nil {
		opts.Inspect(th.global)
	}
	return err
}

// overrideLimits applies the non-zero fields of a run's limits.
func (th *thread) overrideLimits(l Limits) {
	if l.MaxInstructions > 0 {
		th.limits.MaxInstructions = l.MaxInstructions
	}
	if l.MaxCallDepth > 0 {
		th.limits.MaxCallDepth = l.MaxCallDepth
	}
	if l.MaxMemory > 0 {
		th.limits.MaxMemory = l.MaxMemory
		th.memBudget = memoryInterval(l.MaxMemory)
	}
}

// resetGlobals sets a module's globals to their initial values. Most
// modules have a handful of globals, where a plain loop is cheaper than
// the runtime's typed copy.
func resetGlobals(dst, initial []Value) {
	if len(dst) > 16 {
		copy(dst, initial)
		return
	}
	for i := range dst {
		dst[i] = initial[i]
	}
}

func (th *thread) setGlobals(globals map[string]Value) error {
	main := th.globals[len(th.globals)-1]
	for name, v := range globals {
		slot, ok := th.prog.main.slot(name)
		if !ok {
			return fmt.Errorf("run: global $%s is not declared by the program", name)
		}
		main[slot] = v
	}
	return nil
}

const budgetChunk = 1 << 16

// refill is called when the instruction budget of the current chunk runs
// out: it checks the limit and the context, then grants the next chunk.
func (th *thread) refill(budget int64) error {
	th.used += th.chunk - budget
	if th.used >= th.limits.MaxInstructions {
		return &Error{Message: msgInstructionLimit, Fatal: true}
	}
	if err := th.ctx.Err(); err != nil {
		return &Error{Message: "run canceled: " + err.Error(), Fatal: true, Err: err}
	}
	th.chunk = min(th.limits.MaxInstructions-th.used, budgetChunk)
	th.budget = th.chunk
	return nil
}

// currentPos returns the source position of the innermost HSL frame.
func (th *thread) currentPos() Pos {
	for i := len(th.frames) - 1; i >= 0; i-- {
		return th.framePos(i)
	}
	return Pos{}
}

func (th *thread) framePos(i int) Pos {
	f := &th.frames[i]
	pc := f.pc - 1
	p := f.proto
	if pc < 0 {
		pc = 0
	}
	if pc >= len(p.Lines) {
		return Pos{File: p.File}
	}
	return Pos{File: p.File, Line: int(p.Lines[pc]), Col: int(p.Cols[pc])}
}

func (th *thread) stackTrace() []StackFrame {
	out := make([]StackFrame, 0, len(th.frames))
	for i := len(th.frames) - 1; i >= 0; i-- {
		name := th.frames[i].proto.Name
		if name == "" {
			name = "<anonymous>"
		}
		out = append(out, StackFrame{Func: name, Pos: th.framePos(i)})
	}
	return out
}

func (th *thread) global(name string) (Value, bool) {
	slot, ok := th.prog.main.slot(name)
	if !ok {
		return None, false
	}
	v := th.globals[len(th.globals)-1][slot]
	if v.kind == kindUndef {
		return None, false
	}
	return v, true
}

// ensureStack makes room for n more slots above sp.
func (th *thread) ensureStack(sp, n int) {
	if sp+n <= len(th.stack) {
		return
	}
	size := len(th.stack) * 2
	for size < sp+n {
		size *= 2
	}
	s := make([]Value, size)
	copy(s, th.stack[:sp])
	th.stack = s
}

// callValue calls a function value from Go (a builtin's callback).
func (th *thread) callValue(fn Value, args []Value) (Value, error) {
	if fn.kind != KindFunction {
		return None, Errorf("cannot call %s", fn.TypeName())
	}
	f := (*Function)(fn.p)
	return th.callFunction(f, args)
}

func (th *thread) callFunction(f *Function, args []Value) (Value, error) {
	switch {
	case f.proto != nil:
		return th.callProto(f.proto, f, f.this, args)
	case f.builtin != nil:
		return th.callBuiltin(f.builtin.name, f.builtin.fn, args)
	case f.method != nil:
		name := f.this.class.Name + "->" + f.Name()
		return th.callBuiltin(name, func(c *Call, a []Value) (Value, error) { return f.method(c, f.this, a) }, args)
	case f.class != nil:
		return th.construct(f.class, args)
	}
	return None, Errorf("cannot call this function")
}

// runTopLevel runs a module's top-level code. Code without parameters
// or cells needs no argument binding, so it enters its frame directly.
func (th *thread) runTopLevel(p *Proto) error {
	if len(p.Cells) > 0 || p.NumParams > 0 || len(th.frames) >= th.limits.MaxCallDepth {
		_, err := th.callProto(p, nil, nil, nil)
		return err
	}
	sp := th.sp
	th.ensureStack(sp, p.NumLocals+p.MaxStack+1)
	stack := th.stack
	stack[sp] = None
	bp := sp + 1
	for i := bp; i < bp+p.NumLocals; i++ {
		stack[i] = undef
	}

	// The frame is stored field by field, because copying in a composite
	// literal built on the stack stalled on the literal's own stores.
	n := len(th.frames)
	if n < cap(th.frames) {
		th.frames = th.frames[:n+1]
	} else {
		th.frames = append(th.frames, frame{})
	}
	f := &th.frames[n]
	f.proto, f.fn, f.this = p, nil, nil
	f.pc, f.bp, f.base = 0, bp, true
	_, err := th.exec()
	return err
}

// callProto runs an HSL function to completion from Go.
func (th *thread) callProto(p *Proto, fn *Function, this *Object, args []Value) (Value, error) {
	sp := th.sp
	th.ensureStack(sp, len(args)+1)
	th.stack[sp] = FunctionValue(fn)
	if fn == nil {
		th.stack[sp] = None
	}
	copy(th.stack[sp+1:], args)
	sp += 1 + len(args)
	if err := th.pushFrame(p, fn, this, sp, len(args), true); err != nil {
		return None, err
	}
	return th.exec()
}

// construct creates an object of cls with args.
func (th *thread) construct(cls *Class, args []Value) (Value, error) {
	if cls.user != nil {
		o := &Object{class: cls}
		if err := th.account(objectSize, ObjectValue(o)); err != nil {
			return None, err
		}
		return th.callProto(cls.user.Ctor, nil, o, args)
	}
	if cls.New == nil {
		return None, Errorf("%s cannot be constructed", cls.Name)
	}
	return th.callBuiltin(cls.Name, cls.New, args)
}

// callBuiltin runs Go code with a Call context; a panic becomes a runtime
// error of the script.
func (th *thread) callBuiltin(name string, fn BuiltinFunc, args []Value) (result Value, err error) {
	if th.nativeDepth >= len(th.calls) {
		th.calls = append(th.calls, Call{})
	}
	c := &th.calls[th.nativeDepth]
	c.th, c.name = th, name
	th.nativeDepth++
	defer func() {
		th.nativeDepth--
		if r := recover(); r != nil {
			err = &Error{Message: fmt.Sprintf("%s(): internal error: %v", name, r), Err: fmt.Errorf("panic: %v\n%s", r, debug.Stack())}
		}
	}()
	result, err = fn(c, args)
	if err == nil {
		err = th.accountResult(result)
	}
	return result, err
}

// accountResult accounts the value a builtin returned. A shared array
// comes from elsewhere (an argument, a stored value), so only an unshared
// one counts as built by the call.
func (th *thread) accountResult(v Value) error {
	if v.kind == KindArray && (*Array)(v.p).shared {
		return nil
	}
	return th.accountValue(v)
}

// pushFrame enters p with argc arguments just below sp (the function slot
// below them). It checks arity and depth and prepares the locals.
func (th *thread) pushFrame(p *Proto, fn *Function, this *Object, sp, argc int, base bool) error {
	if len(th.frames) >= th.limits.MaxCallDepth {
		return Errorf("maximum call depth %d exceeded", th.limits.MaxCallDepth)
	}
	bp := sp - argc
	if argc < p.MinArgs || (!p.Variadic && argc > p.NumParams) {
		return th.arityError(p, argc)
	}
	th.ensureStack(sp, p.NumLocals+p.MaxStack+1)
	stack := th.stack
	if p.Variadic {
		fixed := p.NumParams - 1
		var rest []Value
		if argc > fixed {
			rest = make([]Value, argc-fixed)
			copy(rest, stack[bp+fixed:sp])
		}
		for i := argc; i < fixed; i++ {
			stack[bp+i] = p.Defaults[i-p.MinArgs]
		}
		stack[bp+fixed] = ArrayValue(NewList(rest))
	} else {
		for i := argc; i < p.NumParams; i++ {
			stack[bp+i] = p.Defaults[i-p.MinArgs]
		}
	}
	for i := bp; i < bp+p.NumParams; i++ {
		markShared(stack[i])
	}
	for i := bp + p.NumParams; i < bp+p.NumLocals; i++ {
		stack[i] = undef
	}
	for _, slot := range p.Cells {
		c := new(Value)
		*c = stack[bp+int(slot)]
		stack[bp+int(slot)] = Value{kind: kindCell, p: unsafePointer(c)}
	}
	th.frames = append(th.frames, frame{proto: p, fn: fn, bp: bp, this: this, base: base})
	return nil
}

func (th *thread) arityError(p *Proto, argc int) error {
	maxArgs := p.NumParams
	if p.Variadic {
		maxArgs = -1
	}
	name := p.Name
	if name == "" {
		name = "function"
	}
	return Errorf("%s(): %s", name, arityMessage(p.MinArgs, maxArgs, argc))
}

// wrapError turns any error into an *Error with position and stack.
func (th *thread) wrapError(err error) *Error {
	var e *Error
	if !errors.As(err, &e) || e == nil {
		e = &Error{Message: err.Error(), Err: err}
	}
	if errors.Is(err, ErrHalt) {
		// A terminating context function is never an exception: no catch
		// block may stop it from ending the run.
		e.Fatal = true
	}
	if !e.Pos.IsValid() {
		e.Pos = th.currentPos()
	}
	if e.Stack == nil {
		e.Stack = th.stackTrace()
	}
	return e
}

// exceptionValue returns the value a catch block receives for e.
func exceptionValue(e *Error) Value {
	if e.Value.kind != KindNone || e.Err == errThrown {
		return e.Value
	}
	return ObjectValue(NewException(e.Message, e.Pos))
}

var errThrown = errors.New("thrown")

// unwind finds the innermost handler of the current exec level for err.
// It restores frames and stack and returns the handler, or false when
// the error leaves the exec level.
func (th *thread) unwind(e *Error, baseFrame int) (handler, bool) {
	if e.Fatal {
		return handler{}, false
	}
	for len(th.handlers) > 0 {
		h := th.handlers[len(th.handlers)-1]
		if h.frame < baseFrame {
			break
		}
		th.handlers = th.handlers[:len(th.handlers)-1]
		th.releaseBarriers(h.barriers)
		th.frames = th.frames[:h.frame+1]
		return h, true
	}
	return handler{}, false
}

// releaseBarriers leaves every barrier above depth n, writing back each
// bound variable.
func (th *thread) releaseBarriers(n int) {
	for len(th.barriers) > n {
		th.endBarrier()
	}
}

// popFrame drops the innermost frame with its handlers and barriers.
func (th *thread) popFrame() {
	idx := len(th.frames) - 1
	for len(th.handlers) > 0 && th.handlers[len(th.handlers)-1].frame >= idx {
		th.handlers = th.handlers[:len(th.handlers)-1]
	}
	for len(th.barriers) > 0 && th.barriers[len(th.barriers)-1].frame >= idx {
		th.endBarrier()
	}
	th.frames = th.frames[:idx]
}
