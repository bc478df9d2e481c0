//go:build linux

package ffi_test

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/halonsh/halonsh/ffi"
)

// inaccessiblePage maps one page with no access rights and returns its
// address, so that any read or write there faults with SIGSEGV.
func inaccessiblePage(t *testing.T) uintptr {
	t.Helper()
	page, err := syscall.Mmap(-1, 0, syscall.Getpagesize(), syscall.PROT_NONE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(page) })
	return uintptr(unsafe.Pointer(unsafe.SliceData(page)))
}

// readableThenInaccessible maps two pages, fills the first with 'x' and
// makes the second inaccessible. It returns the address of the first.
func readableThenInaccessible(t *testing.T) uintptr {
	t.Helper()
	size := syscall.Getpagesize()
	pages, err := syscall.Mmap(-1, 0, 2*size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(pages) })
	for i := range size {
		pages[i] = 'x'
	}
	if err := syscall.Mprotect(pages[size:], syscall.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	return uintptr(unsafe.Pointer(unsafe.SliceData(pages)))
}

func pointerTo(t *testing.T, addr uintptr) *ffi.Value {
	t.Helper()
	p, err := ffi.NewNumber(ffi.Pointer, num(float64(addr)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// wantFault checks that err is a *FaultError for op at addr.
func wantFault(t *testing.T, what string, err error, op string, addr uintptr) {
	t.Helper()
	var fault *ffi.FaultError
	if !errors.As(err, &fault) {
		t.Errorf("%s: error = %v, want a *ffi.FaultError", what, err)
		return
	}
	if fault.Op != op {
		t.Errorf("%s: fault operation = %q, want %q", what, fault.Op, op)
	}
	if fault.Addr != addr {
		t.Errorf("%s: fault address = %#x, want %#x", what, fault.Addr, addr)
	}
}

func TestFaultingAccessIsError(t *testing.T) {
	addr := inaccessiblePage(t)
	p := pointerTo(t, addr)

	for _, typ := range []ffi.Type{ffi.Uint8, ffi.Sint16, ffi.Uint32, ffi.Sint64, ffi.Float, ffi.Double, ffi.Pointer} {
		_, err := ffi.Deref(p, typ)
		wantFault(t, "Deref "+typ.String(), err, "read", addr)
	}
	_, err := ffi.ReadString(p, 3)
	wantFault(t, "ReadString with a size", err, "read", addr)
	_, err = ffi.ReadString(p, -1)
	wantFault(t, "ReadString up to NUL", err, "read", addr)
	err = ffi.Memcpy(p, "abc")
	wantFault(t, "Memcpy", err, "write", addr)

	want := fmt.Sprintf("invalid memory address %#x: the write faulted", addr)
	if err == nil || err.Error() != want {
		t.Errorf("Memcpy fault message = %v, want %q", err, want)
	}
}

func TestFaultInsideStringRead(t *testing.T) {
	start := readableThenInaccessible(t)
	p := pointerTo(t, start)
	secondPage := start + uintptr(syscall.Getpagesize())

	_, err := ffi.ReadString(p, -1)
	wantFault(t, "ReadString past the readable page", err, "read", secondPage)

	got, err := ffi.ReadString(p, 4)
	if err != nil || got != "xxxx" {
		t.Errorf("ReadString of readable memory = %q, %v; want xxxx", got, err)
	}
}

func TestFaultRestoresPanicOnFault(t *testing.T) {
	p := pointerTo(t, inaccessiblePage(t))

	for _, setting := range []bool{false, true} {
		debug.SetPanicOnFault(setting)
		if _, err := ffi.Deref(p, ffi.Uint8); err == nil {
			t.Fatal("Deref of an inaccessible page succeeded")
		}
		if got := debug.SetPanicOnFault(false); got != setting {
			t.Errorf("SetPanicOnFault after a fault = %v, want the earlier %v", got, setting)
		}
	}
}

func TestScriptFaultIsRuntimeError(t *testing.T) {
	addr := inaccessiblePage(t)
	pointer := fmt.Sprintf(`FFI::cnumber(FFI::type("pointer"), %d)`, addr)

	tests := []struct {
		src  string
		want string
	}{
		{`echo FFI::string(` + pointer + `);`, "FFI::string(): invalid memory address %#x: the read faulted"},
		{`echo FFI::string(` + pointer + `, 2);`, "FFI::string(): invalid memory address %#x: the read faulted"},
		{`echo FFI::deref(` + pointer + `, FFI::type("sint32"));`, "FFI::deref(): invalid memory address %#x: the read faulted"},
		{`FFI::memcpy(` + pointer + `, "abc");`, "FFI::memcpy(): invalid memory address %#x: the write faulted"},
	}
	for _, tt := range tests {
		wantRuntimeError(t, enabled, tt.src, fmt.Sprintf(tt.want, addr))
	}

	out, err := runScript(t, enabled, `
try {
    FFI::string(`+pointer+`);
} catch ($e) {
    echo "caught";
}
echo "after";`)
	if err != nil || out != "caught\nafter\n" {
		t.Errorf("catching a fault: output %q, error %v; want caught and after", out, err)
	}
}

// wantBounds checks that err is a *BoundsError with the given fields.
func wantBounds(t *testing.T, what string, err error, want ffi.BoundsError) {
	t.Helper()
	var bounds *ffi.BoundsError
	if !errors.As(err, &bounds) {
		t.Errorf("%s: error = %v, want a *ffi.BoundsError", what, err)
		return
	}
	if *bounds != want {
		t.Errorf("%s: error = %+v, want %+v", what, *bounds, want)
	}
}

func TestAllocatedBufferBounds(t *testing.T) {
	p, err := ffi.Allocate(4)
	if err != nil {
		t.Fatal(err)
	}
	offset := func(n int64) *ffi.Value {
		q, err := ffi.Offset(p, n)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}

	err = ffi.Memcpy(p, strings.Repeat("x", 40))
	wantBounds(t, "Memcpy 40 bytes", err, ffi.BoundsError{Op: "write", Size: 40, Offset: 0, BufferSize: 4, Origin: "FFI::allocate"})
	err = ffi.Memcpy(offset(100), "abc")
	wantBounds(t, "Memcpy at offset 100", err, ffi.BoundsError{Op: "write", Size: 3, Offset: 100, BufferSize: 4, Origin: "FFI::allocate"})
	err = ffi.Memcpy(offset(2), "abc")
	wantBounds(t, "Memcpy across the end", err, ffi.BoundsError{Op: "write", Size: 3, Offset: 2, BufferSize: 4, Origin: "FFI::allocate"})
	_, err = ffi.ReadString(p, 5)
	wantBounds(t, "ReadString 5 bytes", err, ffi.BoundsError{Op: "read", Size: 5, Offset: 0, BufferSize: 4, Origin: "FFI::allocate"})
	_, err = ffi.Deref(offset(1), ffi.Uint32)
	wantBounds(t, "Deref uint32 at offset 1", err, ffi.BoundsError{Op: "read", Size: 4, Offset: 1, BufferSize: 4, Origin: "FFI::allocate"})
	_, err = ffi.Deref(offset(-1), ffi.Uint8)
	wantBounds(t, "Deref before the start", err, ffi.BoundsError{Op: "read", Size: 1, Offset: -1, BufferSize: 4, Origin: "FFI::allocate"})

	nested, err := ffi.Offset(offset(3), -2)
	if err != nil {
		t.Fatal(err)
	}
	err = ffi.Memcpy(nested, "abcd")
	wantBounds(t, "Memcpy through an offset of an offset", err, ffi.BoundsError{Op: "write", Size: 4, Offset: 1, BufferSize: 4, Origin: "FFI::allocate"})

	want := "writing 40 bytes at offset 0 overruns the 4-byte buffer from FFI::allocate"
	if err := ffi.Memcpy(p, strings.Repeat("x", 40)); err == nil || err.Error() != want {
		t.Errorf("bounds message = %v, want %q", err, want)
	}
	want = "reading 1 byte at offset -1 starts before the 4-byte buffer from FFI::allocate"
	if _, err := ffi.Deref(offset(-1), ffi.Uint8); err == nil || err.Error() != want {
		t.Errorf("bounds message = %v, want %q", err, want)
	}
}

func TestAllocatedBufferExactFit(t *testing.T) {
	p, err := ffi.Allocate(4)
	if err != nil {
		t.Fatal(err)
	}
	if err := ffi.Memcpy(p, "abcd"); err != nil {
		t.Errorf("Memcpy of exactly 4 bytes: %v", err)
	}
	if got, err := ffi.ReadString(p, 4); err != nil || got != "abcd" {
		t.Errorf("ReadString of exactly 4 bytes = %q, %v; want abcd", got, err)
	}
	last, err := ffi.Offset(p, 3)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := ffi.Deref(last, ffi.Uint8); err != nil || v.Number() != 'd' {
		t.Errorf("Deref of the last byte = %v, %v; want 'd'", v, err)
	}
	end, err := ffi.Offset(p, 4)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ffi.ReadString(end, 0); err != nil || got != "" {
		t.Errorf("ReadString of 0 bytes at the end = %q, %v; want empty", got, err)
	}
}

func TestUnsizedReadStopsAtBufferEnd(t *testing.T) {
	p, err := ffi.Allocate(3)
	if err != nil {
		t.Fatal(err)
	}
	if err := ffi.Memcpy(p, "ab"); err != nil {
		t.Fatal(err)
	}
	if got, err := ffi.ReadString(p, -1); err != nil || got != "ab" {
		t.Errorf("ReadString with a NUL inside = %q, %v; want ab", got, err)
	}

	if err := ffi.Memcpy(p, "abc"); err != nil {
		t.Fatal(err)
	}
	_, err = ffi.ReadString(p, -1)
	wantError(t, err, "no NUL byte from offset 0 to the end of the 3-byte buffer from FFI::allocate (pass a size to read bytes without a NUL)")

	end, err := ffi.Offset(p, 3)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ffi.ReadString(end, -1)
	wantBounds(t, "ReadString at the end", err, ffi.BoundsError{Op: "read", Size: 1, Offset: 3, BufferSize: 3, Origin: "FFI::allocate"})
}

func TestCStringAndByRefBounds(t *testing.T) {
	s, err := ffi.CString("abc")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ffi.ReadString(s, 4); err != nil || got != "abc\x00" {
		t.Errorf("ReadString of the string and its NUL = %q, %v", got, err)
	}
	_, err = ffi.ReadString(s, 5)
	wantBounds(t, "ReadString past the NUL", err, ffi.BoundsError{Op: "read", Size: 5, Offset: 0, BufferSize: 4, Origin: "FFI::cstring"})

	v, err := ffi.NewNumber(ffi.Uint16, num(7))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := ffi.ByRef(v)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ffi.Deref(ref, ffi.Uint32)
	wantBounds(t, "Deref uint32 of a uint16", err, ffi.BoundsError{Op: "read", Size: 4, Offset: 0, BufferSize: 2, Origin: "FFI::byref"})
	err = ffi.Memcpy(ref, "abc")
	wantBounds(t, "Memcpy 3 bytes into a uint16", err, ffi.BoundsError{Op: "write", Size: 3, Offset: 0, BufferSize: 2, Origin: "FFI::byref"})
}

func TestPointerFromCIsUnchecked(t *testing.T) {
	lib := openTestLibrary(t)
	identity := declare(t, lib, "id_pointer", ffi.Pointer, ffi.Pointer)

	small, err := ffi.Allocate(8)
	if err != nil {
		t.Fatal(err)
	}
	if err := ffi.Memcpy(small, "yyyyyyyy"); err != nil {
		t.Fatal(err)
	}
	if _, err := ffi.ReadString(small, 16); err == nil {
		t.Error("ReadString of 16 bytes from an 8-byte allocation succeeded")
	}

	// The same address returned by C has no known size, so the read is not
	// checked. glibc's smallest chunk has 24 usable bytes, so reading 16
	// stays in mapped memory.
	fromC := call(t, identity, val(small))
	got, err := ffi.ReadString(fromC, 16)
	if err != nil {
		t.Fatalf("ReadString of 16 bytes through a pointer from C: %v", err)
	}
	if len(got) != 16 || got[:8] != "yyyyyyyy" {
		t.Errorf("ReadString through a pointer from C = %q, want 16 bytes starting with yyyyyyyy", got)
	}
}

func TestBoundsDropWhenCStoresAnotherAddress(t *testing.T) {
	small, err := ffi.Allocate(4)
	if err != nil {
		t.Fatal(err)
	}
	large, err := ffi.Allocate(64)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := ffi.ByRef(small)
	if err != nil {
		t.Fatal(err)
	}

	// Store the address of large in small's cell, as a C function with a
	// void ** parameter would. small then points at 64 bytes of unknown
	// size, and a 40-byte copy must go through.
	address := large.Address()
	var word [8]byte
	for i := range word {
		word[i] = byte(address >> (8 * i))
	}
	if err := ffi.Memcpy(ref, string(word[:])); err != nil {
		t.Fatal(err)
	}
	if small.Address() != address {
		t.Fatalf("small points at %#x after the store, want %#x", small.Address(), address)
	}
	if err := ffi.Memcpy(small, strings.Repeat("z", 40)); err != nil {
		t.Errorf("Memcpy through the stored address: %v", err)
	}
	if got, err := ffi.ReadString(large, 40); err != nil || got != strings.Repeat("z", 40) {
		t.Errorf("large after the copy = %q, %v", got, err)
	}
}

func TestScriptBoundsErrors(t *testing.T) {
	tests := []struct {
		src  string
		want string
	}{
		{`$b = FFI::allocate(4); FFI::memcpy($b, "` + strings.Repeat("x", 40) + `");`,
			"FFI::memcpy(): writing 40 bytes at offset 0 overruns the 4-byte buffer from FFI::allocate"},
		{`$b = FFI::allocate(4); FFI::memcpy(FFI::offset($b, 100), "abc");`,
			"FFI::memcpy(): writing 3 bytes at offset 100 overruns the 4-byte buffer from FFI::allocate"},
		{`echo FFI::string(FFI::allocate(8), 100);`,
			"FFI::string(): reading 100 bytes at offset 0 overruns the 8-byte buffer from FFI::allocate"},
		{`echo FFI::string(FFI::offset(FFI::allocate(4), 1000000));`,
			"FFI::string(): reading 1 byte at offset 1000000 overruns the 4-byte buffer from FFI::allocate"},
		{`echo FFI::deref(FFI::offset(FFI::allocate(8), 4), FFI::type("uint64"));`,
			"FFI::deref(): reading 8 bytes at offset 4 overruns the 8-byte buffer from FFI::allocate"},
		{`echo FFI::string(FFI::cstring("abc"), 10);`,
			"FFI::string(): reading 10 bytes at offset 0 overruns the 4-byte buffer from FFI::cstring"},
		{`$b = FFI::allocate(2); FFI::memcpy($b, "ab"); echo FFI::string($b);`,
			"FFI::string(): no NUL byte from offset 0 to the end of the 2-byte buffer from FFI::allocate (pass a size to read bytes without a NUL)"},
	}
	for _, tt := range tests {
		wantRuntimeError(t, enabled, tt.src, tt.want)
	}
}
