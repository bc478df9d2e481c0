package ffi

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ebitengine/purego"

	"github.com/halonsh/halonsh/lang/vm"
)

// CallbackSlots is the number of C function pointers FFI::callback can hand
// out at once. purego cannot release a callback and allows at most 2000 in
// a process, so the trampolines are made once and a slot is reused after
// the value that owned it is collected.
const CallbackSlots = 1024

// Register limits of a callback: the trampolines read the six integer
// registers that both amd64 and arm64 pass arguments in and the first
// eight vector registers. Arguments passed on the stack are not read.
const (
	maxCallbackIntegers = 6
	maxCallbackFloats   = 8
)

// CallbackFunc runs when C calls a callback. args holds one value per
// declared parameter. The result is converted to the declared return type as
// a call argument would be: a number or an FFIValue of that type, for
// pointers also none. When fn returns an error, C gets the result zero and
// the C call that invoked the callback returns the error.
type CallbackFunc func(args []*Value) (Arg, error)

// CallbackError is the error a callback raised during a C call, returned
// by Function.Call once the call is over.
type CallbackError struct {
	Func string // the C function whose call invoked the callback
	Err  error
}

func (e *CallbackError) Error() string { return e.Func + "(): " + e.Err.Error() }

func (e *CallbackError) Unwrap() error { return e.Err }

// Session is the FFI state of one script run: the callbacks it created and
// the C calls it has in progress. A callback runs only while its session
// is inside a C call, on the thread of that call.
type Session struct {
	depth     atomic.Int32 // C calls in progress
	tid       atomic.Int64 // OS thread of the outermost call, when callbacks exist
	ended     atomic.Bool
	callbacks atomic.Int32

	// pending is the first error a callback raised during the current call.
	// Callbacks that are accepted run on the goroutine of the call, so it
	// needs no lock.
	pending error

	// scriptCalls are the builtin call contexts of the script's C calls in
	// progress, innermost last. A callback runs its HSL function through
	// the innermost one.
	scriptCalls []*vm.Call
}

// NewSession returns the FFI state for a new script run.
func NewSession() *Session { return new(Session) }

// End marks the run as over: its callbacks return zero to C from now on.
func (s *Session) End() { s.ended.Store(true) }

// enter marks the start of a C call. When the session has callbacks, the
// goroutine is locked to its OS thread for the call, so that a callback
// can check it runs on the thread that made the call.
func (s *Session) enter() (locked bool) {
	if s == nil {
		return false
	}
	if s.callbacks.Load() > 0 {
		runtime.LockOSThread()
		locked = true
		if s.depth.Load() == 0 {
			s.tid.Store(int64(syscall.Gettid()))
		}
	}
	s.depth.Add(1)
	return locked
}

// exit ends a C call started by enter and returns the error a callback
// raised during it.
func (s *Session) exit(locked bool) error {
	if s == nil {
		return nil
	}
	if s.depth.Add(-1) == 0 {
		s.tid.Store(0)
	}
	if locked {
		runtime.UnlockOSThread()
	}
	err := s.pending
	s.pending = nil
	return err
}

// acceptCallback returns why a callback of the session must not run now,
// or "" when it may.
func (s *Session) acceptCallback() string {
	switch {
	case s.ended.Load():
		return "its script run has ended"
	case s.depth.Load() == 0:
		return "no C call of its script run is in progress"
	}
	if tid := s.tid.Load(); tid != 0 && tid != int64(syscall.Gettid()) {
		return "it was called from another thread"
	}
	return ""
}

// callback is the script function behind a trampoline slot, with its
// signature and session.
type callback struct {
	session *Session
	params  []Type
	ret     Type
	fn      CallbackFunc
}

// trampolines is the process-wide pool of callback slots.
var trampolines struct {
	mu       sync.Mutex
	created  int   // slots whose trampoline exists, numbered from 0
	free     []int // created slots not in use
	addrs    [CallbackSlots]uintptr
	handlers [CallbackSlots]atomic.Pointer[callback]
}

// NewCallback returns a C function pointer that calls fn with arguments of
// the given types. The value owns its trampoline slot and returns it to
// the pool when collected. Integer and pointer parameters take the integer
// registers (at most six), float and double the vector registers (at most
// eight). The return type is void, an integer type or pointer, because
// purego callbacks cannot return floating-point values.
func NewCallback(s *Session, params []Type, ret Type, fn CallbackFunc) (*Value, error) {
	if s == nil {
		return nil, errors.New("callbacks need a session")
	}
	if err := checkCallbackSignature(params, ret); err != nil {
		return nil, err
	}

	slot, err := acquireSlot()
	if err != nil {
		return nil, err
	}
	trampolines.handlers[slot].Store(&callback{session: s, params: params, ret: ret, fn: fn})
	s.callbacks.Add(1)

	v := newValue(Pointer, uint64(trampolines.addrs[slot]))
	v.own(release{slot: slot})
	return v, nil
}

func checkCallbackSignature(params []Type, ret Type) error {
	integers, floats := 0, 0
	for i, t := range params {
		switch {
		case t.IsFloating():
			floats++
		case t.isValue():
			integers++
		default:
			return fmt.Errorf("argument %d: type %s is not allowed in a callback", i+1, t)
		}
	}
	if integers > maxCallbackIntegers || floats > maxCallbackFloats {
		return fmt.Errorf("a callback takes at most %d integer or pointer and %d float or double arguments", maxCallbackIntegers, maxCallbackFloats)
	}
	if ret != Void && (!ret.isValue() || ret.IsFloating()) {
		return fmt.Errorf("type %s is not allowed as a callback return type", ret)
	}
	return nil
}

// acquireSlot takes a free slot, making its trampoline on first use.
func acquireSlot() (slot int, err error) {
	trampolines.mu.Lock()
	defer trampolines.mu.Unlock()

	if n := len(trampolines.free); n > 0 {
		slot = trampolines.free[n-1]
		trampolines.free = trampolines.free[:n-1]
		return slot, nil
	}
	if trampolines.created == CallbackSlots {
		return 0, fmt.Errorf("too many callbacks: all %d slots are in use", CallbackSlots)
	}

	slot = trampolines.created
	defer func() {
		// purego panics when the process has used up its callbacks, which
		// other code in the process may share.
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot create a callback: %v", r)
		}
	}()
	trampolines.addrs[slot] = purego.NewCallback(trampoline(slot))
	trampolines.created++
	return slot, nil
}

func releaseCallbackSlot(slot int) {
	trampolines.handlers[slot].Store(nil)
	trampolines.mu.Lock()
	trampolines.free = append(trampolines.free, slot)
	trampolines.mu.Unlock()
}

// trampolineFunc receives every register that can hold a callback
// argument. Registers the C caller did not set hold garbage and are not
// read.
type trampolineFunc func(i1, i2, i3, i4, i5, i6 uintptr, f1, f2, f3, f4, f5, f6, f7, f8 float64) uintptr

func trampoline(slot int) trampolineFunc {
	return func(i1, i2, i3, i4, i5, i6 uintptr, f1, f2, f3, f4, f5, f6, f7, f8 float64) uintptr {
		integers := [maxCallbackIntegers]uintptr{i1, i2, i3, i4, i5, i6}
		floats := [maxCallbackFloats]float64{f1, f2, f3, f4, f5, f6, f7, f8}
		return runCallback(slot, &integers, &floats)
	}
}

func runCallback(slot int, integers *[maxCallbackIntegers]uintptr, floats *[maxCallbackFloats]float64) uintptr {
	cb := trampolines.handlers[slot].Load()
	if cb == nil {
		logRejectedCallback(slot, "its value was collected")
		return 0
	}
	if reason := cb.session.acceptCallback(); reason != "" {
		logRejectedCallback(slot, reason)
		return 0
	}

	args := make([]*Value, len(cb.params))
	nextInteger, nextFloat := 0, 0
	for i, t := range cb.params {
		if t.IsFloating() {
			bits := math.Float64bits(floats[nextFloat])
			nextFloat++
			args[i] = newValue(t, t.narrow(bits))
			continue
		}
		args[i] = newValue(t, t.narrow(uint64(integers[nextInteger])))
		nextInteger++
	}

	result, err := cb.call(args)
	if err == nil {
		var word uint64
		word, err = cb.convertResult(result)
		if err == nil {
			return uintptr(word)
		}
	}
	if cb.session.pending == nil {
		cb.session.pending = err
	}
	return 0
}

// call runs the callback function. A Go panic must not unwind through the
// C frames below, so it becomes an error.
func (cb *callback) call(args []*Value) (result Arg, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("callback panicked: %v", r)
		}
	}()
	return cb.fn(args)
}

func (cb *callback) convertResult(result Arg) (uint64, error) {
	switch {
	case cb.ret == Void:
		return 0, nil
	case result.kind == argValue && result.value.typ == cb.ret:
		return result.value.Bits(), nil
	case cb.ret == Pointer && result.kind == argNone:
		return 0, nil
	case cb.ret == Pointer:
		return 0, fmt.Errorf("callback result: expected FFIValue of type pointer or none, got %s", result.typeName())
	case result.kind == argValue:
		return 0, fmt.Errorf("callback result: expected number or FFIValue of type %s, got %s", cb.ret, result.typeName())
	}
	bits, err := convertNumber(cb.ret, result)
	if err != nil {
		return 0, fmt.Errorf("callback result: %w", err)
	}
	return bits, nil
}

// rejectedLog limits the log of rejected callbacks to one line a second,
// because C code may call a stale callback in a loop.
var rejectedLog struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func logRejectedCallback(slot int, reason string) {
	rejectedLog.mu.Lock()
	defer rejectedLog.mu.Unlock()

	now := time.Now()
	if now.Sub(rejectedLog.last) < time.Second {
		rejectedLog.suppressed++
		return
	}
	slog.Error("ffi callback rejected, returning zero to C",
		"slot", slot, "reason", reason, "suppressed", rejectedLog.suppressed)
	rejectedLog.last = now
	rejectedLog.suppressed = 0
}
