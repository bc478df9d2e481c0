package ffi

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/ebitengine/purego"
)

// MaxArguments is the most arguments one C call can take, fixed and
// variadic together. purego v0.11.3 passes at most 32 words, and every
// type here takes one word on the supported 64-bit targets.
const MaxArguments = 32

// Function is a C function with a declared signature.
type Function struct {
	name     string
	addr     uintptr
	params   []Type // the fixed parameters, without the "..." marker
	variadic bool
	ret      Type

	// floating is set when a fixed parameter or the result is float or
	// double. Such calls, where callRegisters cannot make them, go through
	// purego.RegisterFunc, which sorts arguments into integer and vector
	// registers. Other calls that callRegisters cannot make take the
	// faster purego.SyscallN.
	floating bool

	// registerSlots gives the index in registerCall.words of each
	// parameter, for a function that is not variadic and whose parameters
	// all fit in registers. It is nil for other functions and where
	// registerCalls is not set. registerFloats is the number of vector
	// registers the parameters take.
	registerSlots  []uint8
	registerFloats uint64

	// ownFrame is the frame of one call at a time, made on first use and
	// taken by the call that sets ownFrameBusy (see acquireFrame).
	ownFrame     *frame
	ownFrameBusy atomic.Bool

	registerOnce sync.Once
	callWord     func(...any) uintptr
	callFloat    func(...any) float32
	callDouble   func(...any) float64
}

// NewFunction declares the C function at addr. params may end with
// Variadic. Void is not a parameter type and "..." is not a return type.
// name is used in error messages.
func NewFunction(name string, addr uintptr, params []Type, ret Type) (*Function, error) {
	if addr == 0 {
		return nil, fmt.Errorf("%s(): NULL function address", name)
	}
	f := &Function{name: name, addr: addr, ret: ret}
	for i, t := range params {
		switch {
		case t == Variadic && i == len(params)-1:
			f.variadic = true
			continue
		case t == Variadic:
			return nil, fmt.Errorf("%s(): argument %d: \"...\" must be the last argument type", name, i+1)
		case !t.isValue():
			return nil, fmt.Errorf("%s(): argument %d: type %s is not allowed for an argument", name, i+1, t)
		}
		f.params = append(f.params, t)
		if t.IsFloating() {
			f.floating = true
		}
	}
	if len(f.params) > MaxArguments {
		return nil, fmt.Errorf("%s(): %d arguments declared, at most %d are supported", name, len(f.params), MaxArguments)
	}
	if ret != Void && !ret.isValue() {
		return nil, fmt.Errorf("%s(): type %s is not allowed as the return type", name, ret)
	}
	if ret.IsFloating() {
		f.floating = true
	}
	if registerCalls && !f.variadic {
		f.registerSlots, f.registerFloats = planRegisters(f.params)
	}
	return f, nil
}

// Name returns the C name the function was declared with.
func (f *Function) Name() string { return f.name }

// Params returns the fixed parameter types and whether the function is
// variadic.
func (f *Function) Params() ([]Type, bool) { return f.params, f.variadic }

// Return returns the declared return type.
func (f *Function) Return() Type { return f.ret }

func (f *Function) String() string { return fmt.Sprintf("FFIFunction(%s)", f.name) }

// frame is the scratch space of one call. Frames live in Go heap memory,
// which does not move, because C may read the argument words and temporary
// strings while a callback grows the goroutine stack.
type frame struct {
	registers   registerCall
	words       [MaxArguments]uint64
	syscallArgs [MaxArguments]uintptr // words as passed to purego.SyscallN
	types       [MaxArguments]Type

	// text holds the temporary C strings of string arguments, textUsed
	// bytes of it so far. Strings that do not fit go to temps.
	text     [256]byte
	textUsed int
	temps    [][]byte

	boxed []any
}

var framePool = sync.Pool{New: func() any { return new(frame) }}

// Call converts args by the declared types and calls the C function.
//
// A number parameter accepts a number, a [high, low] pair or an FFIValue
// of exactly the declared type. A pointer parameter accepts an FFIValue of
// type pointer, a string (copied to a NUL-terminated buffer valid during
// the call) or none (NULL). Arguments after "..." must be FFIValues and are
// passed by their own type. The result is nil for void and for a NULL
// pointer, else a value of the return type that owns nothing.
//
// A callback runs only during calls made with the session that created
// it; s may be nil when the call invokes no callback. An error raised by a
// callback during the call is returned once the call is over.
func (f *Function) Call(s *Session, args []Arg) (*Value, error) {
	bits, err := f.invoke(s, args)
	if err != nil || f.resultIsNil(bits) {
		return nil, err
	}
	return newValue(f.ret, bits), nil
}

// resultIsNil reports whether a call that returned bits has no result
// value: void, or a NULL pointer.
func (f *Function) resultIsNil(bits uint64) bool {
	return f.ret == Void || (f.ret == Pointer && bits == 0)
}

// invoke calls the function and returns the bits of its result.
func (f *Function) invoke(s *Session, args []Arg) (uint64, error) {
	if err := f.checkCount(len(args)); err != nil {
		return 0, err
	}
	fr, own := f.acquireFrame()
	defer f.releaseFrame(fr, own)

	for i, arg := range args {
		t, bits, err := f.convertArg(fr, i, arg)
		if err != nil {
			return 0, err
		}
		fr.types[i], fr.words[i] = t, bits
	}
	result, err := f.perform(s, fr, len(args))
	runtime.KeepAlive(args) // the FFIValues and the memory they own stay valid during the call
	return result, err
}

// perform calls the function with the n arguments converted into fr and
// returns the bits of its result.
//
// Where registerCalls is set, a call whose arguments all fit in registers
// goes through callRegisters, which loads them straight from the frame.
// Other calls with float or double arguments or results go through
// purego.RegisterFunc, and the rest through purego.SyscallN.
func (f *Function) perform(s *Session, fr *frame, n int) (uint64, error) {
	floating := f.floating
	if f.variadic {
		for i := len(f.params); i < n; i++ {
			if fr.types[i].IsFloating() {
				floating = true
			}
		}
		if floating {
			if err := f.checkVariadicFloats(fr, n); err != nil {
				return 0, err
			}
		}
	}
	if registerCalls && fr.loadRegisters(f.addr, n) {
		return f.callLoadedRegisters(s, fr)
	}

	var result uint64
	locked := s.enter()
	switch {
	case floating:
		result = f.callRegistered(fr, n)
	default:
		result = f.callSyscall(fr, n)
	}
	if err := s.exit(locked); err != nil {
		return 0, &CallbackError{Func: f.name, Err: err}
	}
	return result, nil
}

// callLoadedRegisters calls the function with the arguments in
// fr.registers and returns the bits of its result.
func (f *Function) callLoadedRegisters(s *Session, fr *frame) (uint64, error) {
	locked := s.enter()
	result := f.callRegisters(fr)
	if err := s.exit(locked); err != nil {
		return 0, &CallbackError{Func: f.name, Err: err}
	}
	return result, nil
}

// acquireFrame returns a frame for one call: the function's own frame when
// no other call of it holds that one, else one from the pool. The own
// frame saves the cost of the pool, and a flag rather than an atomic
// pointer guards it because pointer stores pay for a GC write barrier.
//
// own reports whether fr is the own frame. Only the call that holds the
// own frame may read or write f.ownFrame.
func (f *Function) acquireFrame() (fr *frame, own bool) {
	if f.ownFrameBusy.CompareAndSwap(false, true) {
		if f.ownFrame == nil {
			f.ownFrame = new(frame)
		}
		return f.ownFrame, true
	}
	return framePool.Get().(*frame), false
}

// releaseFrame resets fr and returns it to where acquireFrame took it.
func (f *Function) releaseFrame(fr *frame, own bool) {
	fr.reset()
	if own {
		f.ownFrameBusy.Store(false)
		return
	}
	framePool.Put(fr)
}

func (f *Function) checkCount(n int) error {
	fixed := len(f.params)
	switch {
	case f.variadic && n < fixed:
		return fmt.Errorf("%s(): expected at least %d argument%s, got %d", f.name, fixed, plural(fixed), n)
	case !f.variadic && n != fixed:
		return fmt.Errorf("%s(): expected %d argument%s, got %d", f.name, fixed, plural(fixed), n)
	case n > MaxArguments:
		return fmt.Errorf("%s(): %d arguments given, at most %d are supported", f.name, n, MaxArguments)
	}
	return nil
}

// convertArg returns the C type and bits that argument i passes. A string
// is copied to a temporary C string in fr.
func (f *Function) convertArg(fr *frame, i int, arg Arg) (t Type, bits uint64, err error) {
	if i >= len(f.params) {
		if arg.kind != argValue {
			return 0, 0, fmt.Errorf("%s(): argument %d: expected FFIValue for variadic argument, got %s", f.name, i+1, arg.typeName())
		}
		return arg.value.typ, arg.value.Bits(), nil
	}

	t = f.params[i]
	if t == Pointer {
		switch arg.kind {
		case argNone:
			return t, 0, nil
		case argString:
			return t, uint64(fr.cString(arg.str)), nil
		case argValue:
			if arg.value.typ == Pointer {
				return t, arg.value.Bits(), nil
			}
		}
		return 0, 0, fmt.Errorf("%s(): argument %d: expected FFIValue of type pointer, string or none, got %s", f.name, i+1, arg.typeName())
	}

	if arg.kind == argValue {
		if arg.value.typ != t {
			return 0, 0, fmt.Errorf("%s(): argument %d: expected number or FFIValue of type %s, got %s", f.name, i+1, t, arg.typeName())
		}
		return t, arg.value.Bits(), nil
	}
	bits, err = convertNumber(t, arg)
	if err != nil {
		return 0, 0, fmt.Errorf("%s(): argument %d: %w", f.name, i+1, err)
	}
	return t, bits, nil
}

// cString returns the address of a NUL-terminated copy of s that stays
// valid until fr is reset.
func (fr *frame) cString(s string) uintptr {
	size := len(s) + 1
	if size <= len(fr.text)-fr.textUsed {
		buf := fr.text[fr.textUsed : fr.textUsed+size]
		fr.textUsed += size
		copy(buf, s)
		buf[len(s)] = 0
		return uintptr(unsafe.Pointer(&buf[0]))
	}
	buf := make([]byte, size) // zeroed, so it ends with NUL
	copy(buf, s)
	fr.temps = append(fr.temps, buf)
	return uintptr(unsafe.Pointer(&buf[0]))
}

// loadRegisters places the n converted arguments in fr into the argument
// registers of fr.registers, to call fn. It reports false when they do not
// all fit.
func (fr *frame) loadRegisters(fn uintptr, n int) bool {
	rc := &fr.registers
	integers, floats := 0, 0
	for i := range n {
		if fr.types[i].IsFloating() {
			if floats == floatRegisters {
				return false
			}
			rc.words[integerRegisters+floats] = fr.words[i]
			floats++
			continue
		}
		if integers == integerRegisters {
			return false
		}
		rc.words[integers] = fr.words[i]
		integers++
	}
	rc.fn = fn
	rc.nfloats = uint64(floats)
	return true
}

// planRegisters returns the index in registerCall.words of each of
// params and the number of vector registers they take, or nil when they
// do not all fit in registers.
func planRegisters(params []Type) (slots []uint8, floats uint64) {
	slots = make([]uint8, len(params))
	integers := 0
	for i, t := range params {
		if t.IsFloating() {
			if floats == floatRegisters {
				return nil, 0
			}
			slots[i] = uint8(integerRegisters + floats)
			floats++
			continue
		}
		if integers == integerRegisters {
			return nil, 0
		}
		slots[i] = uint8(integers)
		integers++
	}
	return slots, floats
}

// callRegisters makes the call prepared in fr.registers and returns the
// bits of its result.
func (f *Function) callRegisters(fr *frame) uint64 {
	rc := &fr.registers
	rc.call()
	if f.ret.IsFloating() {
		return f.ret.narrow(rc.f1)
	}
	return f.ret.narrow(rc.r1)
}

// checkVariadicFloats rejects float and double variadic arguments where
// purego cannot pass them. On amd64 a variadic callee learns from register
// AL how many vector registers hold arguments, and purego v0.11.3 always
// sets AL to 0, so the callee would read garbage instead of the numbers.
// callRegisters sets AL, but calls that do not fit in registers go through
// purego, so the rule holds for every call and does not depend on the
// argument count.
func (f *Function) checkVariadicFloats(fr *frame, n int) error {
	if runtime.GOARCH != "amd64" {
		return nil
	}
	for i := len(f.params); i < n; i++ {
		if fr.types[i].IsFloating() {
			return fmt.Errorf("%s(): argument %d: %s variadic arguments are not supported on amd64", f.name, i+1, fr.types[i])
		}
	}
	return nil
}

// reset drops the temporary strings of the last call, so that the frame
// keeps no Go memory reachable.
func (fr *frame) reset() {
	fr.textUsed = 0
	clear(fr.temps)
	fr.temps = fr.temps[:0]
	clear(fr.boxed)
	fr.boxed = fr.boxed[:0]
}

// callSyscall calls a function whose arguments and result all travel in
// integer registers (or on the stack after them).
func (f *Function) callSyscall(fr *frame, n int) uint64 {
	for i := range n {
		fr.syscallArgs[i] = uintptr(fr.words[i])
	}
	r1, _, _ := purego.SyscallN(f.addr, fr.syscallArgs[:n]...)
	runtime.KeepAlive(fr)
	return f.ret.narrow(uint64(r1))
}

// callRegistered calls through purego.RegisterFunc, which places float
// arguments in vector registers. Each argument is boxed as a Go value whose
// type selects its register class: float32 and float64 for the floating
// types, uintptr for the rest.
func (f *Function) callRegistered(fr *frame, n int) uint64 {
	f.registerOnce.Do(func() {
		purego.RegisterFunc(&f.callWord, f.addr)
		purego.RegisterFunc(&f.callFloat, f.addr)
		purego.RegisterFunc(&f.callDouble, f.addr)
	})

	for i := range n {
		switch fr.types[i] {
		case Float:
			fr.boxed = append(fr.boxed, math.Float32frombits(uint32(fr.words[i])))
		case Double:
			fr.boxed = append(fr.boxed, math.Float64frombits(fr.words[i]))
		default:
			fr.boxed = append(fr.boxed, uintptr(fr.words[i]))
		}
	}

	var result uint64
	switch f.ret {
	case Float:
		result = uint64(math.Float32bits(f.callFloat(fr.boxed...)))
	case Double:
		result = math.Float64bits(f.callDouble(fr.boxed...))
	default:
		result = f.ret.narrow(uint64(f.callWord(fr.boxed...)))
	}
	runtime.KeepAlive(fr)
	return result
}

// callDestructor calls a destructor attached with Attach. It runs in a
// cleanup goroutine, outside any session.
func (f *Function) callDestructor(addr uintptr) {
	purego.SyscallN(f.addr, addr)
}
