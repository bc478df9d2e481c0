package builtins

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/halonsh/halonsh/lang/compile"
	"github.com/halonsh/halonsh/lang/vm"
)

// scriptRun configures runLibScript.
type scriptRun struct {
	dir  string // directory of the script file; a temporary one when ""
	host any    // vm.RunOptions.Host
	ctx  context.Context
}

// runLibScript compiles src against the whole standard library and runs
// it once, returning the echo output and the run's error.
func runLibScript(t testing.TB, src string, cfg scriptRun) (string, error) {
	t.Helper()
	prog := compileLibScript(t, src, cfg.dir)

	ctx := cfg.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	var out bytes.Buffer
	err := prog.Run(ctx, &vm.RunOptions{Out: &out, Host: cfg.host})
	return out.String(), err
}

func compileLibScript(t testing.TB, src, dir string) *vm.Program {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	lib := vm.NewLibrary()
	Install(lib)
	prog, err := compile.File(filepath.Join(dir, "test.hsl"), []byte(src), &compile.Options{Library: lib})
	if err != nil {
		t.Fatalf("compile: %v\nsource:\n%s", err, src)
	}
	return prog
}

// scriptCase is one line of HSL with its expected echo output, or with a
// substring its runtime error must contain.
type scriptCase struct {
	src  string
	want string
	err  string
}

// runScriptCases runs each case as its own script.
func runScriptCases(t *testing.T, cases []scriptCase) {
	t.Helper()
	for _, c := range cases {
		out, err := runLibScript(t, c.src, scriptRun{})
		switch {
		case c.err != "" && err == nil:
			t.Errorf("%s\n  ran without error, output %q; want an error containing %q", c.src, out, c.err)
		case c.err != "" && !strings.Contains(err.Error(), c.err):
			t.Errorf("%s\n  error %q, want it to contain %q", c.src, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("%s\n  error: %v", c.src, err)
		case c.err == "" && out != c.want:
			t.Errorf("%s\n  output %q, want %q", c.src, out, c.want)
		}
	}
}

// scriptLoopCalls is how many times benchScriptCalls' script repeats the
// call per run, so the run's fixed cost is spread thin.
const scriptLoopCalls = 1000

// benchScriptCalls reports the cost of one evaluation of call inside an
// HSL while loop, with goroutines runs going on at once. The loop's own
// cost is included; BenchmarkScriptLoop measures it alone.
func benchScriptCalls(b *testing.B, call string, goroutines int) {
	prog := compileLibScript(b, fmt.Sprintf(`$i = 0; while ($i < %d) { %s; $i += 1; }`, scriptLoopCalls, call), "")
	runs := (b.N + scriptLoopCalls - 1) / scriptLoopCalls

	b.ResetTimer()
	start := processCPUTime()
	if goroutines == 1 {
		for range runs {
			if err := prog.Run(context.Background(), &vm.RunOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(runs) {
					if err := prog.Run(context.Background(), &vm.RunOptions{}); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	calls := float64(runs * scriptLoopCalls)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/calls, "ns/call")
	b.ReportMetric(float64((processCPUTime()-start).Nanoseconds())/calls, "cpu-ns/call")
}

// BenchmarkScriptLoop is the cost of the empty loop that benchScriptCalls
// wraps around each call.
func BenchmarkScriptLoop(b *testing.B) {
	benchScriptCalls(b, `$x = 1`, 1)
}

// parallelismFor returns the b.SetParallelism factor that starts about n
// goroutines.
func parallelismFor(n int) int {
	return max(1, n/runtime.GOMAXPROCS(0))
}

// processCPUTime returns the user and system CPU time the process has
// used.
func processCPUTime() time.Duration {
	var usage syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &usage)
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

// reportCPUPerOp runs body, which performs b.N operations, and reports
// the process CPU time it used per operation as "cpu-ns/op". On a machine
// shared with other work, wall time per operation mostly measures waiting
// for a core; CPU time measures the work, garbage collection included.
func reportCPUPerOp(b *testing.B, body func()) {
	start := processCPUTime()
	body()
	used := processCPUTime() - start
	if b.N > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
