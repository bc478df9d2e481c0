package vm_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/halonsh/halonsh/lang/compile"
	"github.com/halonsh/halonsh/lang/vm"
)

// The workloads of the VM benchmark kit (testdata/bench): each script
// echoes a checksum that the benchmark verifies.
var workloads = []struct {
	name string
	want string
}{
	{"fib", "196418"},
	{"loop", "50000005000000"},
	{"strbuild", "500000"},
	{"strconcat", "100000"},
	{"map", "19999900000"},
	{"array", "499999500000"},
	{"closure", "500000500000"},
	{"policy", ""},
}

func BenchmarkWorkload(b *testing.B) {
	for _, w := range workloads {
		b.Run(w.name, func(b *testing.B) {
			src, err := os.ReadFile(filepath.Join("testdata", "bench", w.name+".hsl"))
			if err != nil {
				b.Fatal(err)
			}
			prog := mustCompile(b, string(src), &compile.Options{Limits: vm.Limits{MaxInstructions: 1 << 40}})
			var out bytes.Buffer
			opts := &vm.RunOptions{Out: &out}
			b.ResetTimer()
			for b.Loop() {
				out.Reset()
				if err := prog.Run(context.Background(), opts); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			got := strings.TrimSpace(out.String())
			if w.want != "" && got != w.want {
				b.Fatalf("checksum %s, want %s", got, w.want)
			}
		})
	}
}

// BenchmarkCompile compiles the kit's ~190-line hook-like script.
func BenchmarkCompile(b *testing.B) {
	src, err := os.ReadFile(filepath.Join("testdata", "bench", "compile.hsl"))
	if err != nil {
		b.Fatal(err)
	}
	lib := testLibrary()
	for b.Loop() {
		if _, err := compile.File("compile.hsl", src, &compile.Options{Library: lib}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInvoke runs a precompiled `echo $a + 1;` with fresh globals per
// run, the shape of a hook called once per delivery attempt. Besides the
// wall-clock ns/op it reports cpu-ns/op, the process's CPU time per run,
// which other processes on a busy machine inflate far less.
func BenchmarkInvoke(b *testing.B) {
	prog := mustCompile(b, "echo $a + 1;", &compile.Options{Predefined: []compile.Predefined{{Name: "a"}}})
	var out bytes.Buffer
	out.Grow(64)
	slot, _ := prog.GlobalSlot("a")
	bind := []vm.Binding{{Slot: slot}}
	opts := &vm.RunOptions{Out: &out, Bind: bind}
	i := 0
	b.ReportAllocs()
	cpuStart, cpuOK := processCPUTime()
	for b.Loop() {
		out.Reset()
		bind[0].Value = vm.Int(i)
		if err := prog.Run(context.Background(), opts); err != nil {
			b.Fatal(err)
		}
		i++
	}
	if cpuEnd, ok := processCPUTime(); cpuOK && ok {
		b.ReportMetric(float64((cpuEnd-cpuStart).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
	if got, want := strings.TrimSpace(out.String()), strconv.Itoa(i); got != want {
		b.Fatalf("output %q, want %q", got, want)
	}
}

// BenchmarkInvokeWith is BenchmarkInvoke through Program.RunWith, with
// the binding in a local array instead of RunOptions.
func BenchmarkInvokeWith(b *testing.B) {
	prog := mustCompile(b, "echo $a + 1;", &compile.Options{Predefined: []compile.Predefined{{Name: "a"}}})
	var out bytes.Buffer
	out.Grow(64)
	slot, _ := prog.GlobalSlot("a")
	i := 0
	b.ReportAllocs()
	cpuStart, cpuOK := processCPUTime()
	for b.Loop() {
		out.Reset()
		if err := prog.RunWith(context.Background(), &out, vm.Binding{Slot: slot, Value: vm.Int(i)}); err != nil {
			b.Fatal(err)
		}
		i++
	}
	if cpuEnd, ok := processCPUTime(); cpuOK && ok {
		b.ReportMetric(float64((cpuEnd-cpuStart).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
	if got, want := strings.TrimSpace(out.String()), strconv.Itoa(i); got != want {
		b.Fatalf("output %q, want %q", got, want)
	}
}

// BenchmarkAppendString shows that `$s .= "x"` costs the same per append
// whatever the string's length: the time per append stays flat from 1,000
// to 1,000,000 appends.
func BenchmarkAppendString(b *testing.B) {
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			src := `function main() { $s = ""; for ($i = 0; $i < ` + strconv.Itoa(n) + `; $i++) { $s .= "hello"; } return length($s); } echo main();`
			benchAppend(b, src, n)
		})
		// The same at the top level, where $s is a global.
		b.Run("global/"+strconv.Itoa(n), func(b *testing.B) {
			src := `$s = ""; for ($i = 0; $i < ` + strconv.Itoa(n) + `; $i++) { $s = $s . "hello"; } echo length($s);`
			benchAppend(b, src, n)
		})
	}
}

// benchAppend runs src, which makes n appends, and reports the time per
// append.
func benchAppend(b *testing.B, src string, n int) {
	prog := mustCompile(b, src, &compile.Options{Limits: vm.Limits{MaxInstructions: 1 << 40}})
	opts := &vm.RunOptions{Out: io.Discard}
	for b.Loop() {
		if err := prog.Run(context.Background(), opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/append")
}

// Appending to a string at the top level, where it is a global, must not
// copy the whole string each time: 20,000 appends of 10 bytes allocate a
// few times the final 200 kB, where copying would allocate 2 GB.
func TestGlobalAppendIsLinear(t *testing.T) {
	for _, stmt := range []string{`$s .= "abcdefghij";`, `$s = $s . "abcdefghij";`, `$a["k"] .= "abcdefghij";`} {
		src := `$s = ""; $a = ["k" => ""]; for ($i = 0; $i < 20000; $i++) { ` + stmt + ` } echo length($s) + length($a["k"]);`
		prog := mustCompile(t, src, nil)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		out, err := run(t, prog, nil)
		runtime.ReadMemStats(&after)
		if err != nil || out != "200000" {
			t.Fatalf("%s: output %q, error %v", stmt, out, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 20<<20 {
			t.Errorf("%s: %d bytes allocated for a 200,000-byte string", stmt, alloc)
		}
	}
}
