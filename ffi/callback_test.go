package ffi_test

import (
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/halonsh/halonsh/ffi"
)

// newCallback creates a callback in session s and fails the test on error.
func newCallback(t *testing.T, s *ffi.Session, params []ffi.Type, ret ffi.Type, fn ffi.CallbackFunc) *ffi.Value {
	t.Helper()
	cb, err := ffi.NewCallback(s, params, ret, fn)
	if err != nil {
		t.Fatal(err)
	}
	return cb
}

func sessionCall(t *testing.T, s *ffi.Session, f *ffi.Function, args ...ffi.Arg) *ffi.Value {
	t.Helper()
	v, err := f.Call(s, args)
	if err != nil {
		t.Fatalf("calling %s: %v", f.Name(), err)
	}
	return v
}

func TestCallbackIntegers(t *testing.T) {
	lib := openTestLibrary(t)
	apply := declare(t, lib, "apply", ffi.Sint32, ffi.Pointer, ffi.Sint32, ffi.Sint32)
	s := ffi.NewSession()

	var gotTypes []ffi.Type
	sub := newCallback(t, s, []ffi.Type{ffi.Sint32, ffi.Sint32}, ffi.Sint32, func(args []*ffi.Value) (ffi.Arg, error) {
		gotTypes = []ffi.Type{args[0].Type(), args[1].Type()}
		return num(args[0].Number() - args[1].Number()), nil
	})

	if got := sessionCall(t, s, apply, val(sub), num(2), num(30)).Number(); got != -28 {
		t.Errorf("apply(sub, 2, 30) = %v, want -28", got)
	}
	if len(gotTypes) != 2 || gotTypes[0] != ffi.Sint32 || gotTypes[1] != ffi.Sint32 {
		t.Errorf("callback argument types = %v, want [sint32 sint32]", gotTypes)
	}
}

func TestCallbackPointerResult(t *testing.T) {
	lib := openTestLibrary(t)
	applyPointer := declare(t, lib, "apply_pointer", ffi.Pointer, ffi.Pointer, ffi.Pointer)
	s := ffi.NewSession()

	identity := newCallback(t, s, []ffi.Type{ffi.Pointer}, ffi.Pointer, func(args []*ffi.Value) (ffi.Arg, error) {
		return val(args[0]), nil
	})
	buf, err := ffi.CString("payload")
	if err != nil {
		t.Fatal(err)
	}
	v := sessionCall(t, s, applyPointer, val(identity), val(buf))
	if v == nil || v.Address() != buf.Address() {
		t.Fatalf("apply_pointer(identity, p) = %v, want %#x", v, buf.Address())
	}

	null := newCallback(t, s, []ffi.Type{ffi.Pointer}, ffi.Pointer, func(args []*ffi.Value) (ffi.Arg, error) {
		return ffi.NoneArg(), nil
	})
	if v := sessionCall(t, s, applyPointer, val(null), val(buf)); v != nil {
		t.Errorf("apply_pointer(returns none) = %v, want nil", v)
	}
}

func TestCallbackMixedArguments(t *testing.T) {
	lib := openTestLibrary(t)
	applyMixed := declare(t, lib, "apply_mixed", ffi.Sint64, ffi.Pointer)
	s := ffi.NewSession()

	var got [4]float64
	cb := newCallback(t, s, []ffi.Type{ffi.Sint8, ffi.Double, ffi.Uint16, ffi.Float}, ffi.Sint64,
		func(args []*ffi.Value) (ffi.Arg, error) {
			for i, a := range args {
				got[i] = a.Number()
			}
			return num(1234), nil
		})

	if result := sessionCall(t, s, applyMixed, val(cb)).Number(); result != 1234 {
		t.Errorf("apply_mixed result = %v, want 1234", result)
	}
	if want := [4]float64{-3, 2.5, 65535, 0.25}; got != want {
		t.Errorf("callback arguments = %v, want %v", got, want)
	}
}

func TestCallbackCalledManyTimes(t *testing.T) {
	lib := openTestLibrary(t)
	repeat := declare(t, lib, "repeat", ffi.Sint64, ffi.Pointer, ffi.Sint32)
	s := ffi.NewSession()

	calls := 0
	cb := newCallback(t, s, []ffi.Type{ffi.Sint32, ffi.Sint32}, ffi.Sint32, func(args []*ffi.Value) (ffi.Arg, error) {
		calls++
		return num(args[0].Number()), nil
	})
	if got := sessionCall(t, s, repeat, val(cb), num(1000)).Number(); got != 999*1000/2 {
		t.Errorf("repeat = %v, want %v", got, 999*1000/2)
	}
	if calls != 1000 {
		t.Errorf("callback ran %d times, want 1000", calls)
	}
}

func TestCallbackErrorRaisedAfterCall(t *testing.T) {
	lib := openTestLibrary(t)
	repeat := declare(t, lib, "repeat", ffi.Sint64, ffi.Pointer, ffi.Sint32)
	s := ffi.NewSession()

	boom := errors.New("boom")
	calls := 0
	cb := newCallback(t, s, []ffi.Type{ffi.Sint32, ffi.Sint32}, ffi.Sint32, func(args []*ffi.Value) (ffi.Arg, error) {
		calls++
		if args[0].Number() == 2 {
			return ffi.Arg{}, boom
		}
		return num(1), nil
	})

	_, err := repeat.Call(s, []ffi.Arg{val(cb), num(5)})
	if !errors.Is(err, boom) {
		t.Fatalf("error = %v, want the callback's error", err)
	}
	if calls != 5 {
		t.Errorf("callback ran %d times, want 5: C continues after the error", calls)
	}

	// The error is consumed: the next call succeeds.
	if got := sessionCall(t, s, repeat, val(cb), num(2)).Number(); got != 2 {
		t.Errorf("repeat after an error = %v, want 2", got)
	}
}

func TestCallbackBadResult(t *testing.T) {
	lib := openTestLibrary(t)
	apply := declare(t, lib, "apply", ffi.Sint32, ffi.Pointer, ffi.Sint32, ffi.Sint32)
	s := ffi.NewSession()

	cb := newCallback(t, s, []ffi.Type{ffi.Sint32, ffi.Sint32}, ffi.Sint32, func(args []*ffi.Value) (ffi.Arg, error) {
		return str("seven"), nil
	})
	_, err := apply.Call(s, []ffi.Arg{val(cb), num(1), num(2)})
	wantError(t, err, "apply(): callback result: expected number, got string")
}

func TestCallbackOutsideItsSession(t *testing.T) {
	lib := openTestLibrary(t)
	apply := declare(t, lib, "apply", ffi.Sint32, ffi.Pointer, ffi.Sint32, ffi.Sint32)
	owner := ffi.NewSession()

	ran := false
	cb := newCallback(t, owner, []ffi.Type{ffi.Sint32, ffi.Sint32}, ffi.Sint32, func(args []*ffi.Value) (ffi.Arg, error) {
		ran = true
		return num(99), nil
	})

	// A call made by another session: the callback returns zero to C.
	other := ffi.NewSession()
	if got := sessionCall(t, other, apply, val(cb), num(1), num(2)).Number(); got != 0 {
		t.Errorf("callback from another session returned %v to C, want 0", got)
	}

	owner.End()
	if got := sessionCall(t, owner, apply, val(cb), num(1), num(2)).Number(); got != 0 {
		t.Errorf("callback after End returned %v to C, want 0", got)
	}
	if ran {
		t.Error("the callback ran outside a call of its live session")
	}
}

func TestCallbackFromAnotherThread(t *testing.T) {
	lib := openTestLibrary(t)
	applyInThread := declare(t, lib, "apply_in_thread", ffi.Sint32, ffi.Pointer)
	s := ffi.NewSession()

	ran := false
	cb := newCallback(t, s, []ffi.Type{ffi.Sint32, ffi.Sint32}, ffi.Sint32, func(args []*ffi.Value) (ffi.Arg, error) {
		ran = true
		return num(99), nil
	})
	if got := sessionCall(t, s, applyInThread, val(cb)).Number(); got != 0 {
		t.Errorf("callback from another thread returned %v to C, want 0", got)
	}
	if ran {
		t.Error("the callback ran on a thread other than the one making the C call")
	}
}

func TestCallbackSignatureErrors(t *testing.T) {
	s := ffi.NewSession()
	noop := func(args []*ffi.Value) (ffi.Arg, error) { return ffi.NoneArg(), nil }

	_, err := ffi.NewCallback(s, []ffi.Type{ffi.Sint32}, ffi.Double, noop)
	wantError(t, err, "type double is not allowed as a callback return type")
	_, err = ffi.NewCallback(s, []ffi.Type{ffi.Variadic}, ffi.Void, noop)
	wantError(t, err, "argument 1: type ... is not allowed in a callback")

	seven := []ffi.Type{ffi.Pointer, ffi.Pointer, ffi.Pointer, ffi.Pointer, ffi.Pointer, ffi.Pointer, ffi.Pointer}
	_, err = ffi.NewCallback(s, seven, ffi.Void, noop)
	wantError(t, err, "a callback takes at most 6 integer or pointer and 8 float or double arguments")

	_, err = ffi.NewCallback(nil, nil, ffi.Void, noop)
	wantError(t, err, "callbacks need a session")
}

func TestCallbackSlotsReused(t *testing.T) {
	lib := openTestLibrary(t)
	apply := declare(t, lib, "apply", ffi.Sint32, ffi.Pointer, ffi.Sint32, ffi.Sint32)
	s := ffi.NewSession()
	add := func(args []*ffi.Value) (ffi.Arg, error) {
		return num(args[0].Number() + args[1].Number()), nil
	}
	params := []ffi.Type{ffi.Sint32, ffi.Sint32}

	// Hold every slot, so the next callback fails.
	var held []*ffi.Value
	var err error
	for range ffi.CallbackSlots + 1 {
		var cb *ffi.Value
		cb, err = ffi.NewCallback(s, params, ffi.Sint32, add)
		if err != nil {
			break
		}
		held = append(held, cb)
	}
	if err == nil {
		t.Fatalf("created %d callbacks, want an error after %d", len(held), ffi.CallbackSlots)
	}
	if len(held) > ffi.CallbackSlots {
		t.Fatalf("created %d callbacks, more than the %d slots", len(held), ffi.CallbackSlots)
	}

	// A held callback still works.
	if got := sessionCall(t, s, apply, val(held[len(held)-1]), num(20), num(22)).Number(); got != 42 {
		t.Errorf("apply(add, 20, 22) = %v, want 42", got)
	}

	// Dropping them returns the slots once they are collected.
	held = nil
	var cb *ffi.Value
	for range 100 {
		runtime.GC()
		time.Sleep(time.Millisecond) // lets the cleanup goroutine run
		cb, err = ffi.NewCallback(s, params, ffi.Sint32, add)
		if err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("no slot free after the callbacks were collected: %v", err)
	}
	if got := sessionCall(t, s, apply, val(cb), num(1), num(2)).Number(); got != 3 {
		t.Errorf("apply with a reused slot = %v, want 3", got)
	}
}

func TestConcurrentSessions(t *testing.T) {
	lib := openTestLibrary(t)
	repeat := declare(t, lib, "repeat", ffi.Sint64, ffi.Pointer, ffi.Sint32)
	upperCopy := declare(t, lib, "upper_copy", ffi.Pointer, ffi.Pointer)

	const workers, rounds = 4, 50
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			s := ffi.NewSession()
			calls := 0
			cb, err := ffi.NewCallback(s, []ffi.Type{ffi.Sint32, ffi.Sint32}, ffi.Sint32, func(args []*ffi.Value) (ffi.Arg, error) {
				calls++
				return num(float64(w)), nil
			})
			if err != nil {
				errs <- err
				return
			}
			for range rounds {
				v, err := repeat.Call(s, []ffi.Arg{val(cb), num(10)})
				if err != nil {
					errs <- err
					return
				}
				if got := v.Number(); got != float64(10*w) {
					errs <- fmt.Errorf("worker %d: repeat = %v, want %d", w, got, 10*w)
					return
				}
				p, err := upperCopy.Call(s, []ffi.Arg{str("abc")})
				if err != nil {
					errs <- err
					return
				}
				if err := ffi.Attach(p, nil); err != nil {
					errs <- err
					return
				}
			}
			if calls != 10*rounds {
				errs <- fmt.Errorf("worker %d: callback ran %d times, want %d", w, calls, 10*rounds)
				return
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestCallbackGrowingGoroutineStack(t *testing.T) {
	lib := openTestLibrary(t)
	apply := declare(t, lib, "apply", ffi.Sint32, ffi.Pointer, ffi.Sint32, ffi.Sint32)
	s := ffi.NewSession()

	// The callback recurses with large frames, so the runtime moves the
	// goroutine stack to a bigger one while C waits for the callback. The
	// C call's result must still arrive.
	const depth = 64
	cb := newCallback(t, s, []ffi.Type{ffi.Sint32, ffi.Sint32}, ffi.Sint32, func(args []*ffi.Value) (ffi.Arg, error) {
		return num(args[0].Number()*args[1].Number() + float64(recurseOnStack(depth))), nil
	})
	for i := range 20 {
		result := make(chan error)
		go func() { // a new goroutine starts with a small stack
			v, err := apply.Call(s, []ffi.Arg{val(cb), num(float64(i)), num(3)})
			if err == nil && v.Number() != float64(3*i+depth) {
				err = fmt.Errorf("apply(cb, %d, 3) = %v, want %d", i, v.Number(), 3*i+depth)
			}
			result <- err
		}()
		if err := <-result; err != nil {
			t.Fatal(err)
		}
	}
}

// recurseOnStack calls itself n times with a 1 KiB frame each and returns n.
//
//go:noinline
func recurseOnStack(n int) int {
	var frame [1024]byte
	frame[n%len(frame)] = 1
	if n == 0 {
		return int(frame[0]) - 1
	}
	return recurseOnStack(n-1) + int(frame[n%len(frame)])
}
