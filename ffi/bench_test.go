package ffi_test

import (
	"testing"

	"github.com/ebitengine/purego"

	"github.com/halonsh/halonsh/ffi"
)

// BenchmarkCall measures one C call through Function.Call, argument
// conversion and result value included.
func BenchmarkCall(b *testing.B) {
	libc, err := ffi.OpenLibrary("libc.so.6")
	if err != nil {
		b.Fatal(err)
	}
	libm, err := ffi.OpenLibrary("libm.so.6")
	if err != nil {
		b.Fatal(err)
	}
	lib := openTestLibrary(b)

	// The bare purego call, for the overhead of Function.Call on top.
	b.Run("abs-purego", func(b *testing.B) {
		abs := libc.Lookup("abs")
		b.ReportAllocs()
		for b.Loop() {
			purego.SyscallN(abs, ^uintptr(6))
		}
	})
	b.Run("abs", func(b *testing.B) {
		abs := declare(b, libc, "abs", ffi.Sint32, ffi.Sint32)
		args := []ffi.Arg{ffi.NumberArg(-7)}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := abs.Call(nil, args); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("strlen", func(b *testing.B) {
		strlen := declare(b, libc, "strlen", ffi.Uint64, ffi.Pointer)
		args := []ffi.Arg{ffi.StringArg("hello, world")}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := strlen.Call(nil, args); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sum12", func(b *testing.B) {
		params := make([]ffi.Type, 12)
		args := make([]ffi.Arg, 12)
		for i := range params {
			params[i] = ffi.Sint64
			args[i] = ffi.NumberArg(float64(i))
		}
		sum12 := declare(b, lib, "sum12", ffi.Sint64, params...)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := sum12.Call(nil, args); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pow", func(b *testing.B) {
		pow := declare(b, libm, "pow", ffi.Double, ffi.Double, ffi.Double)
		args := []ffi.Arg{ffi.NumberArg(2), ffi.NumberArg(10)}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := pow.Call(nil, args); err != nil {
				b.Fatal(err)
			}
		}
	})
}
