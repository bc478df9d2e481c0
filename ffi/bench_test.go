package ffi_test

import (
	"context"
	"math"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ebitengine/purego"

	"github.com/halonsh/halonsh/ffi"
	"github.com/halonsh/halonsh/lang/compile"
	"github.com/halonsh/halonsh/lang/vm"
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
		defer reportCPU(b)()
		for b.Loop() {
			purego.SyscallN(abs, ^uintptr(6))
		}
	})
	// The bare call through the register trampoline, where it exists.
	b.Run("abs-registers", func(b *testing.B) {
		abs := ffi.RegisterCaller(libc.Lookup("abs"))
		if abs == nil {
			b.Skip("no register call trampoline on " + runtime.GOARCH)
		}
		if got := int32(abs(uint64(^uint32(6)))); got != 7 {
			b.Fatalf("abs(-7) = %d through the trampoline, want 7", got)
		}
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			abs(uint64(^uint32(6)))
		}
	})
	b.Run("abs", func(b *testing.B) {
		abs := declare(b, libc, "abs", ffi.Sint32, ffi.Sint32)
		args := []ffi.Arg{ffi.NumberArg(-7)}
		b.ReportAllocs()
		defer reportCPU(b)()
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
		defer reportCPU(b)()
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
		defer reportCPU(b)()
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
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := pow.Call(nil, args); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// processCPUTime returns the user and system CPU time the process has used.
// On a shared machine it is steadier than wall time, because waiting for a
// core does not count.
func processCPUTime() time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

// reportCPU starts measuring CPU time. The function it returns reports the
// CPU time per operation as the metric cpu-ns/op.
func reportCPU(b *testing.B) func() {
	start := processCPUTime()
	return func() {
		b.ReportMetric(float64((processCPUTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkScriptCall measures a call from HSL: an FFI call against a Go
// builtin that does the same work, side by side. Each script runs a loop
// of callsPerRun calls. The ns/call and cpu-ns/call metrics are the wall
// and CPU time of one loop iteration, loop included; empty-loop gives the
// loop's own share.
func BenchmarkScriptCall(b *testing.B) {
	const callsPerRun = 1000
	loop := func(body string) string {
		return `
$libc = FFI("libc.so.6");
$strlen = $libc->func("strlen", [FFI::type("pointer")], FFI::type("uint64"));
$abs = $libc->func("abs", [FFI::type("sint32")], FFI::type("sint32"));
$pow = FFI("libm.so.6")->func("pow", [FFI::type("double"), FFI::type("double")], FFI::type("double"));
$s = "hello, world";
$go_abs = go_abs;
for ($i = 0; $i < ` + strconv.Itoa(callsPerRun) + `; $i++) { ` + body + ` }`
	}
	cases := []struct{ name, body string }{
		{"empty-loop", ``},
		{"builtin-strlen", `go_strlen($s);`},
		{"ffi-strlen", `$strlen($s);`},
		{"builtin-abs", `go_abs(-7);`},
		{"builtin-abs-variable", `$go_abs(-7);`},
		{"ffi-abs", `$abs(-7);`},
		{"builtin-pow", `go_pow(2, 10);`},
		{"ffi-pow", `$pow(2, 10);`},
	}

	lib := vm.NewLibrary()
	ffi.Install(lib, ffi.Config{Enabled: true})
	lib.Define("go_strlen", func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		return vm.Int(len(args[0].Str())), nil
	})
	lib.Define("go_abs", func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		return vm.Number(math.Abs(args[0].Num())), nil
	})
	lib.Define("go_pow", func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		return vm.Number(math.Pow(args[0].Num(), args[1].Num())), nil
	})

	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			prog, err := compile.File("bench.hsl", []byte(loop(tc.body)), &compile.Options{Library: lib})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			cpuStart := processCPUTime()
			for b.Loop() {
				if err := prog.Run(context.Background(), nil); err != nil {
					b.Fatal(err)
				}
			}
			calls := float64(b.N * callsPerRun)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/calls, "ns/call")
			b.ReportMetric(float64((processCPUTime()-cpuStart).Nanoseconds())/calls, "cpu-ns/call")
		})
	}
}
