package ffi_test

import (
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halonsh/halonsh/ffi"
)

func TestLibcStrlenAndAbs(t *testing.T) {
	libc, err := ffi.OpenLibrary("libc.so.6")
	if err != nil {
		t.Fatal(err)
	}

	strlen := declare(t, libc, "strlen", ffi.Uint64, ffi.Pointer)
	if got := call(t, strlen, str("hello")).Number(); got != 5 {
		t.Errorf("strlen(\"hello\") = %v, want 5", got)
	}
	if got := call(t, strlen, str("")).Number(); got != 0 {
		t.Errorf("strlen(\"\") = %v, want 0", got)
	}
	if got := call(t, strlen, str("ab\x00cd")).Number(); got != 2 {
		t.Errorf("strlen stops at NUL: got %v, want 2", got)
	}

	abs := declare(t, libc, "abs", ffi.Sint32, ffi.Sint32)
	v := call(t, abs, num(-7))
	if v.Type() != ffi.Sint32 {
		t.Errorf("abs result type = %s, want sint32", v.Type())
	}
	if got := v.Number(); got != 7 {
		t.Errorf("abs(-7) = %v, want 7", got)
	}
}

func TestLibcSnprintfIntoAllocatedBuffer(t *testing.T) {
	libc, err := ffi.OpenLibrary("libc.so.6")
	if err != nil {
		t.Fatal(err)
	}
	snprintf := declare(t, libc, "snprintf", ffi.Sint32,
		ffi.Pointer, ffi.Uint64, ffi.Pointer, ffi.Variadic)

	buf, err := ffi.Allocate(64)
	if err != nil {
		t.Fatal(err)
	}
	name, err := ffi.CString("n")
	if err != nil {
		t.Fatal(err)
	}
	n, err := ffi.NewNumber(ffi.Sint32, num(42))
	if err != nil {
		t.Fatal(err)
	}
	big, err := ffi.NewNumber(ffi.Sint64, ffi.PairArg(0x7fffffff, 0xffffffff))
	if err != nil {
		t.Fatal(err)
	}

	written := call(t, snprintf, val(buf), num(64), str("%s=%d %lld"), val(name), val(n), val(big))
	want := "n=42 9223372036854775807"
	if got := written.Number(); got != float64(len(want)) {
		t.Errorf("snprintf returned %v, want %d", got, len(want))
	}
	got, err := ffi.ReadString(buf, -1)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("buffer = %q, want %q", got, want)
	}
}

func TestLibmPow(t *testing.T) {
	libm, err := ffi.OpenLibrary("libm.so.6")
	if err != nil {
		t.Fatal(err)
	}
	pow := declare(t, libm, "pow", ffi.Double, ffi.Double, ffi.Double)

	if got := call(t, pow, num(2), num(10)).Number(); got != 1024 {
		t.Errorf("pow(2, 10) = %v, want 1024", got)
	}
	if got := call(t, pow, num(2), num(0.5)).Number(); got != math.Sqrt2 {
		t.Errorf("pow(2, 0.5) = %v, want %v", got, math.Sqrt2)
	}

	powf := declare(t, libm, "powf", ffi.Float, ffi.Float, ffi.Float)
	if got := call(t, powf, num(1.5), num(2)).Number(); got != 2.25 {
		t.Errorf("powf(1.5, 2) = %v, want 2.25", got)
	}
}

func TestIdentityEveryType(t *testing.T) {
	lib := openTestLibrary(t)
	tests := []struct {
		fn   string
		typ  ffi.Type
		arg  float64
		want float64
	}{
		{"id_u8", ffi.Uint8, 255, 255},
		{"id_u8", ffi.Uint8, 300, 44},
		{"id_u8", ffi.Uint8, -1, 255},
		{"id_u8", ffi.Uint8, 7.9, 7},
		{"id_s8", ffi.Sint8, -128, -128},
		{"id_s8", ffi.Sint8, 200, -56},
		{"id_s8", ffi.Sint8, -7.9, -7},
		{"id_u16", ffi.Uint16, -1, 65535},
		{"id_u16", ffi.Uint16, 65536 + 3, 3},
		{"id_s16", ffi.Sint16, 40000, -25536},
		{"id_s16", ffi.Sint16, -32768, -32768},
		{"id_u32", ffi.Uint32, 1<<32 + 5, 5},
		{"id_u32", ffi.Uint32, -1, 1<<32 - 1},
		{"id_s32", ffi.Sint32, 1 << 31, -(1 << 31)},
		{"id_s32", ffi.Sint32, -123456, -123456},
		{"id_u64", ffi.Uint64, -1, 1 << 64},
		{"id_u64", ffi.Uint64, 1 << 53, 1 << 53},
		{"id_s64", ffi.Sint64, -1, -1},
		{"id_s64", ffi.Sint64, 1 << 63, -(1 << 63)},
		{"id_s64", ffi.Sint64, -(1 << 62), -(1 << 62)},
		{"id_float", ffi.Float, 1.5, 1.5},
		{"id_float", ffi.Float, 0.1, float64(float32(0.1))},
		{"id_double", ffi.Double, 0.1, 0.1},
		{"id_double", ffi.Double, -1e300, -1e300},
		{"id_pointer", ffi.Pointer, 0, 0},
	}
	for _, tt := range tests {
		f := declare(t, lib, tt.fn, tt.typ, tt.typ)
		var arg ffi.Arg
		if tt.typ == ffi.Pointer {
			arg = ffi.NoneArg()
		} else {
			arg = num(tt.arg)
		}
		v, err := f.Call(nil, []ffi.Arg{arg})
		if err != nil {
			t.Errorf("%s(%v): %v", tt.fn, tt.arg, err)
			continue
		}
		if tt.typ == ffi.Pointer {
			if v != nil {
				t.Errorf("%s(NULL) = %v, want nil", tt.fn, v)
			}
			continue
		}
		if v.Type() != tt.typ {
			t.Errorf("%s result type = %s, want %s", tt.fn, v.Type(), tt.typ)
		}
		if got := v.Number(); got != tt.want {
			t.Errorf("%s(%v) = %v, want %v", tt.fn, tt.arg, got, tt.want)
		}
	}
}

func TestSixtyFourBitExactValues(t *testing.T) {
	lib := openTestLibrary(t)
	idU64 := declare(t, lib, "id_u64", ffi.Uint64, ffi.Uint64)
	idS64 := declare(t, lib, "id_s64", ffi.Sint64, ffi.Sint64)

	v := call(t, idU64, ffi.PairArg(0xffffffff, 0xfffffffe))
	high, low, err := v.Number64()
	if err != nil {
		t.Fatal(err)
	}
	if high != 0xffffffff || low != 0xfffffffe {
		t.Errorf("id_u64 pair = [%#x, %#x], want [0xffffffff, 0xfffffffe]", high, low)
	}

	v = call(t, idS64, num(-2))
	high, low, err = v.Number64()
	if err != nil {
		t.Fatal(err)
	}
	if high != 0xffffffff || low != 0xfffffffe {
		t.Errorf("id_s64(-2) halves = [%#x, %#x], want two's complement [0xffffffff, 0xfffffffe]", high, low)
	}

	small, err := ffi.NewNumber(ffi.Uint8, num(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := small.Number64(); err == nil {
		t.Error("Number64 of a uint8 value succeeded, want an error")
	}
}

func TestValueArgumentOfDeclaredType(t *testing.T) {
	lib := openTestLibrary(t)
	idS16 := declare(t, lib, "id_s16", ffi.Sint16, ffi.Sint16)

	v, err := ffi.NewNumber(ffi.Sint16, num(-5))
	if err != nil {
		t.Fatal(err)
	}
	if got := call(t, idS16, val(v)).Number(); got != -5 {
		t.Errorf("id_s16(FFIValue -5) = %v, want -5", got)
	}

	wrong, err := ffi.NewNumber(ffi.Sint32, num(-5))
	if err != nil {
		t.Fatal(err)
	}
	_, err = idS16.Call(nil, []ffi.Arg{val(wrong)})
	wantError(t, err, "id_s16(): argument 1: expected number or FFIValue of type sint16, got FFIValue of type sint32")
}

func TestManyArgumentsAndMixedRegisters(t *testing.T) {
	lib := openTestLibrary(t)

	sumInts := declare(t, lib, "sum_ints", ffi.Sint64,
		ffi.Sint8, ffi.Uint8, ffi.Sint16, ffi.Uint16, ffi.Sint32, ffi.Uint32, ffi.Sint64, ffi.Uint64)
	got := call(t, sumInts, num(-1), num(-1), num(-1), num(-1), num(-1), num(-1), num(-1), num(1)).Number()
	want := float64(-1 + 255 - 1 + 65535 - 1 + 4294967295 - 1 + 1)
	if got != want {
		t.Errorf("sum_ints = %v, want %v", got, want)
	}

	mixed := declare(t, lib, "mixed", ffi.Double, ffi.Sint32, ffi.Double, ffi.Float, ffi.Sint64, ffi.Double)
	if got := call(t, mixed, num(1), num(0.5), num(0.25), num(-10), num(100)).Number(); got != 91.75 {
		t.Errorf("mixed = %v, want 91.75", got)
	}

	params := make([]ffi.Type, 12)
	args := make([]ffi.Arg, 12)
	wantSum := 0.0
	for i := range params {
		params[i] = ffi.Sint64
		args[i] = num(float64(i + 1))
		wantSum += float64((i + 1) * (i + 1))
	}
	sum12 := declare(t, lib, "sum12", ffi.Sint64, params...)
	if got := call(t, sum12, args...).Number(); got != wantSum {
		t.Errorf("sum12 = %v, want %v", got, wantSum)
	}

	doubles := make([]ffi.Type, 10)
	for i := range doubles {
		doubles[i] = ffi.Double
	}
	sum10 := declare(t, lib, "sum10_doubles", ffi.Double, doubles...)
	args = args[:10]
	wantSum = 0
	for i := range args {
		args[i] = num(float64(i) + 0.5)
		wantSum += (float64(i) + 0.5) * float64(i+1)
	}
	if got := call(t, sum10, args...).Number(); got != wantSum {
		t.Errorf("sum10_doubles = %v, want %v", got, wantSum)
	}
}

func TestVoidFunctions(t *testing.T) {
	lib := openTestLibrary(t)
	touch := declare(t, lib, "touch", ffi.Void)
	touched := declare(t, lib, "touched", ffi.Sint32)

	before := call(t, touched).Number()
	if v := call(t, touch); v != nil {
		t.Errorf("touch() returned %v, want nil for void", v)
	}
	call(t, touch)
	if got := call(t, touched).Number(); got != before+2 {
		t.Errorf("touched() = %v, want %v", got, before+2)
	}
}

func TestOutParametersByRef(t *testing.T) {
	lib := openTestLibrary(t)
	divmod := declare(t, lib, "divmod", ffi.Sint32, ffi.Sint32, ffi.Sint32, ffi.Pointer, ffi.Pointer)

	quotient, err := ffi.NewNumber(ffi.Sint32, num(0))
	if err != nil {
		t.Fatal(err)
	}
	remainder, err := ffi.NewNumber(ffi.Sint32, num(0))
	if err != nil {
		t.Fatal(err)
	}
	qref, err := ffi.ByRef(quotient)
	if err != nil {
		t.Fatal(err)
	}
	rref, err := ffi.ByRef(remainder)
	if err != nil {
		t.Fatal(err)
	}

	if status := call(t, divmod, num(-17), num(5), val(qref), val(rref)).Number(); status != 0 {
		t.Fatalf("divmod status = %v, want 0", status)
	}
	if got := quotient.Number(); got != -3 {
		t.Errorf("quotient = %v, want -3", got)
	}
	if got := remainder.Number(); got != -2 {
		t.Errorf("remainder = %v, want -2", got)
	}

	// The same through allocated memory and Deref.
	buf, err := ffi.Allocate(8)
	if err != nil {
		t.Fatal(err)
	}
	second, err := ffi.Offset(buf, 4)
	if err != nil {
		t.Fatal(err)
	}
	call(t, divmod, num(23), num(4), val(buf), val(second))
	q, err := ffi.Deref(buf, ffi.Sint32)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ffi.Deref(second, ffi.Sint32)
	if err != nil {
		t.Fatal(err)
	}
	if q.Number() != 5 || r.Number() != 3 {
		t.Errorf("divmod(23, 4) through memory = %v, %v, want 5, 3", q.Number(), r.Number())
	}
}

func TestPointerOutParameterAndAttach(t *testing.T) {
	lib := openTestLibrary(t)
	makeGreeting := declare(t, lib, "make_greeting", ffi.Void, ffi.Pointer, ffi.Pointer)

	out := ffi.NullPointer()
	ref, err := ffi.ByRef(out)
	if err != nil {
		t.Fatal(err)
	}
	call(t, makeGreeting, str("world"), val(ref))
	if out.IsNull() {
		t.Fatal("make_greeting left the out-pointer NULL")
	}
	got, err := ffi.ReadString(out, -1)
	if err != nil {
		t.Fatal(err)
	}
	if got != "hello, world" {
		t.Errorf("greeting = %q, want %q", got, "hello, world")
	}

	// The string was malloc'd by C: the value takes it over and frees it.
	if err := ffi.Attach(out, nil); err != nil {
		t.Fatal(err)
	}
	if !out.Owns() {
		t.Error("Owns() = false after Attach")
	}
	if err := ffi.Attach(out, nil); err == nil {
		t.Error("attaching an owning value twice succeeded, want an error")
	}
	ffi.Detach(out)
	if out.Owns() {
		t.Error("Owns() = true after Detach")
	}
	libc, err := ffi.OpenLibrary("libc.so.6")
	if err != nil {
		t.Fatal(err)
	}
	call(t, declare(t, libc, "free", ffi.Void, ffi.Pointer), val(out))
}

func TestStringResults(t *testing.T) {
	lib := openTestLibrary(t)

	version := call(t, declare(t, lib, "version_string", ffi.Pointer))
	got, err := ffi.ReadString(version, -1)
	if err != nil {
		t.Fatal(err)
	}
	if got != "ffitest 1.0" {
		t.Errorf("version_string() = %q, want %q", got, "ffitest 1.0")
	}
	if version.Owns() {
		t.Error("a returned pointer owns its memory, want not owning")
	}
	prefix, err := ffi.ReadString(version, 7)
	if err != nil {
		t.Fatal(err)
	}
	if prefix != "ffitest" {
		t.Errorf("ReadString with size 7 = %q, want %q", prefix, "ffitest")
	}

	maybeNull := declare(t, lib, "maybe_null", ffi.Pointer, ffi.Sint32)
	if v := call(t, maybeNull, num(1)); v != nil {
		t.Errorf("maybe_null(1) = %v, want nil for NULL", v)
	}
	if v := call(t, maybeNull, num(0)); v == nil || v.IsNull() {
		t.Errorf("maybe_null(0) = %v, want a pointer", v)
	}
}

func TestStringArgumentsOfEveryLength(t *testing.T) {
	lib := openTestLibrary(t)
	join3 := declare(t, lib, "join3", ffi.Pointer, ffi.Pointer, ffi.Pointer, ffi.Pointer)
	freeString := declare(t, lib, "free_string", ffi.Void, ffi.Pointer)

	// Lengths around 256 bytes, the buffer a call keeps for short strings,
	// so that some strings share it and others get memory of their own.
	lengths := [][3]int{{0, 0, 0}, {1, 2, 3}, {100, 100, 50}, {100, 100, 56}, {255, 1, 0}, {256, 0, 0}, {10, 300, 10}, {5000, 5000, 5000}}
	for _, n := range lengths {
		parts := [3]string{strings.Repeat("a", n[0]), strings.Repeat("b", n[1]), strings.Repeat("c", n[2])}
		p := call(t, join3, str(parts[0]), str(parts[1]), str(parts[2]))
		got, err := ffi.ReadString(p, -1)
		if err != nil {
			t.Fatal(err)
		}
		if want := parts[0] + parts[1] + parts[2]; got != want {
			t.Errorf("join3 of lengths %v returned %d bytes, want %d: %.40q...", n, len(got), len(want), got)
		}
		call(t, freeString, val(p))
	}
}

func TestSharedFunctionConcurrentCalls(t *testing.T) {
	lib := openTestLibrary(t)
	join3 := declare(t, lib, "join3", ffi.Pointer, ffi.Pointer, ffi.Pointer, ffi.Pointer)
	freeString := declare(t, lib, "free_string", ffi.Void, ffi.Pointer)

	// Calls of one function from several goroutines use frames of their
	// own, so no call sees the temporary strings of another.
	const workers, rounds = 4, 200
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			short := strconv.Itoa(w)
			long := strings.Repeat(short, 300)
			for r := range rounds {
				p, err := join3.Call(nil, []ffi.Arg{str(short), str(long), str(strconv.Itoa(r))})
				if err != nil {
					errs <- err
					return
				}
				got, err := ffi.ReadString(p, -1)
				if err != nil {
					errs <- err
					return
				}
				if want := short + long + strconv.Itoa(r); got != want {
					errs <- fmt.Errorf("worker %d round %d: join3 returned %.20q..., want %.20q...", w, r, got, want)
					return
				}
				if _, err := freeString.Call(nil, []ffi.Arg{val(p)}); err != nil {
					errs <- err
					return
				}
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

func TestAttachedDestructorRunsOnCollection(t *testing.T) {
	lib := openTestLibrary(t)
	upperCopy := declare(t, lib, "upper_copy", ffi.Pointer, ffi.Pointer)
	freeString := declare(t, lib, "free_string", ffi.Void, ffi.Pointer)
	freedCount := declare(t, lib, "freed_string_count", ffi.Sint32)

	before := call(t, freedCount).Number()
	func() {
		p := call(t, upperCopy, str("abc"))
		s, err := ffi.ReadString(p, -1)
		if err != nil {
			t.Fatal(err)
		}
		if s != "ABC" {
			t.Errorf("upper_copy(\"abc\") = %q, want ABC", s)
		}
		if err := ffi.Attach(p, freeString); err != nil {
			t.Fatal(err)
		}
		kept := call(t, upperCopy, str("kept"))
		if err := ffi.Attach(kept, freeString); err != nil {
			t.Fatal(err)
		}
		ffi.Detach(kept)
	}()

	// Cleanups run on their own goroutine after a collection finds the
	// value unreachable; a few collections let the queue drain.
	var after float64
	for range 100 {
		runtime.GC()
		time.Sleep(time.Millisecond) // lets the cleanup goroutine run
		after = call(t, freedCount).Number()
		if after > before {
			break
		}
	}
	if after != before+1 {
		t.Errorf("free_string calls after collection = %v, want %v (the attached string only)", after-before, 1)
	}
}

func TestStructThroughMemory(t *testing.T) {
	lib := openTestLibrary(t)
	pointSum := declare(t, lib, "point_sum", ffi.Double, ffi.Pointer)
	pointScale := declare(t, lib, "point_scale", ffi.Void, ffi.Pointer, ffi.Sint32)

	p, err := ffi.Allocate(16)
	if err != nil {
		t.Fatal(err)
	}
	x, err := ffi.NewNumber(ffi.Sint32, num(3))
	if err != nil {
		t.Fatal(err)
	}
	y, err := ffi.NewNumber(ffi.Double, num(0.5))
	if err != nil {
		t.Fatal(err)
	}
	writeField(t, p, 0, x)
	writeField(t, p, 8, y)

	if got := call(t, pointSum, val(p)).Number(); got != 3.5 {
		t.Errorf("point_sum = %v, want 3.5", got)
	}
	call(t, pointScale, val(p), num(4))

	yField, err := ffi.Offset(p, 8)
	if err != nil {
		t.Fatal(err)
	}
	scaledY, err := ffi.Deref(yField, ffi.Double)
	if err != nil {
		t.Fatal(err)
	}
	scaledX, err := ffi.Deref(p, ffi.Sint32)
	if err != nil {
		t.Fatal(err)
	}
	if scaledX.Number() != 12 || scaledY.Number() != 2 {
		t.Errorf("scaled point = {%v, %v}, want {12, 2}", scaledX.Number(), scaledY.Number())
	}

	back, err := ffi.Offset(yField, -8)
	if err != nil {
		t.Fatal(err)
	}
	if back.Address() != p.Address() {
		t.Errorf("Offset(Offset(p, 8), -8) = %#x, want %#x", back.Address(), p.Address())
	}
}

// writeField copies the C bytes of v into the struct at p+offset.
func writeField(t *testing.T, p *ffi.Value, offset int64, v *ffi.Value) {
	t.Helper()
	ref, err := ffi.ByRef(v)
	if err != nil {
		t.Fatal(err)
	}
	bytes, err := ffi.ReadString(ref, v.Type().Size())
	if err != nil {
		t.Fatal(err)
	}
	field, err := ffi.Offset(p, offset)
	if err != nil {
		t.Fatal(err)
	}
	if err := ffi.Memcpy(field, bytes); err != nil {
		t.Fatal(err)
	}
}

func TestVariadicArguments(t *testing.T) {
	lib := openTestLibrary(t)
	sumVarargs := declare(t, lib, "sum_varargs", ffi.Sint64, ffi.Sint32, ffi.Variadic)

	args := []ffi.Arg{num(20)}
	want := 0.0
	for i := range 20 {
		v, err := ffi.NewNumber(ffi.Sint64, num(float64(i*1000)))
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, val(v))
		want += float64(i * 1000)
	}
	if got := call(t, sumVarargs, args...).Number(); got != want {
		t.Errorf("sum_varargs of 20 values = %v, want %v", got, want)
	}

	_, err := sumVarargs.Call(nil, []ffi.Arg{num(1), num(5)})
	wantError(t, err, "sum_varargs(): argument 2: expected FFIValue for variadic argument, got number")
	_, err = sumVarargs.Call(nil, nil)
	wantError(t, err, "sum_varargs(): expected at least 1 argument, got 0")
}

func TestVariadicFloatingPointOnAMD64(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the restriction applies to amd64 only")
	}
	libc, err := ffi.OpenLibrary("libc.so.6")
	if err != nil {
		t.Fatal(err)
	}
	snprintf := declare(t, libc, "snprintf", ffi.Sint32, ffi.Pointer, ffi.Uint64, ffi.Pointer, ffi.Variadic)
	buf, err := ffi.Allocate(32)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ffi.NewNumber(ffi.Double, num(1.5))
	if err != nil {
		t.Fatal(err)
	}
	_, err = snprintf.Call(nil, []ffi.Arg{val(buf), num(32), str("%f"), val(d)})
	wantError(t, err, "snprintf(): argument 4: double variadic arguments are not supported on amd64")
}

func TestCallErrors(t *testing.T) {
	lib := openTestLibrary(t)
	idS32 := declare(t, lib, "id_s32", ffi.Sint32, ffi.Sint32)
	idPointer := declare(t, lib, "id_pointer", ffi.Pointer, ffi.Pointer)

	_, err := idS32.Call(nil, nil)
	wantError(t, err, "id_s32(): expected 1 argument, got 0")
	_, err = idS32.Call(nil, []ffi.Arg{num(1), num(2)})
	wantError(t, err, "id_s32(): expected 1 argument, got 2")
	_, err = idS32.Call(nil, []ffi.Arg{str("7")})
	wantError(t, err, "id_s32(): argument 1: expected number, got string")
	_, err = idS32.Call(nil, []ffi.Arg{num(math.NaN())})
	wantError(t, err, "id_s32(): argument 1: NaN cannot be converted to sint32")
	_, err = idS32.Call(nil, []ffi.Arg{num(math.Inf(-1))})
	wantError(t, err, "id_s32(): argument 1: -Inf cannot be converted to sint32")
	_, err = idS32.Call(nil, []ffi.Arg{ffi.OtherArg("boolean")})
	wantError(t, err, "id_s32(): argument 1: expected number, got boolean")
	_, err = idS32.Call(nil, []ffi.Arg{ffi.PairArg(0, 1)})
	wantError(t, err, "id_s32(): argument 1: a [high, low] pair needs a 64-bit integer type, got sint32")
	_, err = idPointer.Call(nil, []ffi.Arg{num(1)})
	wantError(t, err, "id_pointer(): argument 1: expected FFIValue of type pointer, string or none, got number")
}

func TestDeclarationErrors(t *testing.T) {
	lib := openTestLibrary(t)

	_, err := lib.Func("id_s32", []ffi.Type{ffi.Void}, ffi.Sint32)
	wantError(t, err, "id_s32(): argument 1: type void is not allowed for an argument")
	_, err = lib.Func("sum_varargs", []ffi.Type{ffi.Variadic, ffi.Sint32}, ffi.Sint64)
	wantError(t, err, "sum_varargs(): argument 1: \"...\" must be the last argument type")
	_, err = lib.Func("id_s32", []ffi.Type{ffi.Sint32}, ffi.Variadic)
	wantError(t, err, "id_s32(): type ... is not allowed as the return type")

	many := make([]ffi.Type, ffi.MaxArguments+1)
	for i := range many {
		many[i] = ffi.Sint32
	}
	_, err = lib.Func("sum12", many, ffi.Sint64)
	wantError(t, err, "sum12(): 33 arguments declared, at most 32 are supported")

	f, err := lib.Func("no_such_function", nil, ffi.Void)
	if f != nil || err != nil {
		t.Errorf("Func of a missing symbol = %v, %v; want nil, nil", f, err)
	}
	if v := lib.Symbol("no_such_symbol"); v != nil {
		t.Errorf("Symbol of a missing symbol = %v, want nil", v)
	}
}

func TestGlobalSymbol(t *testing.T) {
	lib := openTestLibrary(t)
	counter := lib.Symbol("ffitest_counter")
	if counter == nil {
		t.Fatal("symbol ffitest_counter not found")
	}
	v, err := ffi.Deref(counter, ffi.Sint32)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Number(); got != 42 {
		t.Errorf("*ffitest_counter = %v, want 42", got)
	}
}

func TestMissingLibrary(t *testing.T) {
	_, err := ffi.OpenLibrary("libdoesnotexist.so.9")
	if err == nil {
		t.Fatal("opening a missing library succeeded")
	}
	if !strings.Contains(err.Error(), "libdoesnotexist.so.9") {
		t.Errorf("error %q does not name the library", err)
	}

	a, err := ffi.OpenLibrary("libm.so.6")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ffi.OpenLibrary("libm.so.6")
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("opening the same library twice returned two Library values, want one shared")
	}
}

func wantError(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Errorf("no error, want %q", want)
		return
	}
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

// A variadic function declared with the fixed types of one call takes a
// double on every target, because the call then sets the vector register
// count that variadic callees read on amd64.
func TestVariadicDeclaredWithFixedDouble(t *testing.T) {
	libc, err := ffi.OpenLibrary("libc.so.6")
	if err != nil {
		t.Fatal(err)
	}
	snprintf := declare(t, libc, "snprintf", ffi.Sint32, ffi.Pointer, ffi.Uint64, ffi.Pointer, ffi.Double)
	buf, err := ffi.Allocate(32)
	if err != nil {
		t.Fatal(err)
	}
	n := call(t, snprintf, val(buf), num(32), str("pi=%.3f"), num(3.14159))
	if n.Number() != 8 {
		t.Errorf("snprintf returned %v, want 8", n.Number())
	}
	got, err := ffi.ReadString(buf, -1)
	if err != nil {
		t.Fatal(err)
	}
	if got != "pi=3.142" {
		t.Errorf("snprintf wrote %q, want pi=3.142", got)
	}
}
