package vm_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halonsh/halonsh/lang/compile"
	"github.com/halonsh/halonsh/lang/vm"
)

func TestConcurrentRunsOfOneProgram(t *testing.T) {
	src := `
function build($n) {
	$a = [];
	for ($i = 0; $i < $n; $i++) { $a[] = $i * $n; }
	return $a;
}
function sum($a) { $s = 0; foreach ($a as $v) { $s += $v; } return $s; }
$parts = build($n);
$label = "";
foreach ($parts as $k => $v) { if ($k < 3) { $label .= "$v,"; } }
echo sum($parts) . ":" . $label;
`
	prog := mustCompile(t, src, &compile.Options{Predefined: []compile.Predefined{{Name: "n", ReadOnly: true}}})

	const runs = 1000
	var wg sync.WaitGroup
	errs := make([]error, runs)
	outs := make([]string, runs)
	for g := 0; g < runs; g++ {
		wg.Go(func() {
			n := g%50 + 1
			outs[g], errs[g] = run(t, prog, &vm.RunOptions{Globals: map[string]vm.Value{"n": vm.Int(n)}})
		})
	}
	wg.Wait()

	for g := 0; g < runs; g++ {
		n := g%50 + 1
		sum := n * n * (n - 1) / 2
		var label strings.Builder
		for i := 0; i < min(n, 3); i++ {
			fmt.Fprintf(&label, "%d,", i*n)
		}
		want := strconv.Itoa(sum) + ":" + label.String()
		if errs[g] != nil {
			t.Fatalf("run %d: %v", g, errs[g])
		}
		if outs[g] != want {
			t.Fatalf("run %d (n=%d): output %q, want %q", g, n, outs[g], want)
		}
	}
}

// allocatedDuring returns the bytes allocated while fn ran.
func allocatedDuring(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestCopyOnWriteMillionElements(t *testing.T) {
	const n = 1_000_000
	vals := make([]vm.Value, n)
	for i := range vals {
		vals[i] = vm.Int(i)
	}
	big := vm.ArrayValue(vm.NewList(vals))
	arraySize := uint64(n) * 24 // bytes of one copy of the elements

	opts := &compile.Options{Predefined: []compile.Predefined{{Name: "big", ReadOnly: true}}}
	passAndAssign := mustCompile(t, `
function same($a) { $b = $a; return $b; }
$x = $big;
$y = same($x);
$z = [$y];
echo length($z[0]);
`, opts)
	var out string
	var err error
	bytes := allocatedDuring(func() {
		out, err = run(t, passAndAssign, &vm.RunOptions{Globals: map[string]vm.Value{"big": big}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if out != "1000000" {
		t.Fatalf("output %q, want 1000000", out)
	}
	if bytes > arraySize/10 {
		t.Fatalf("passing and assigning allocated %d bytes; a copy of the array is %d bytes", bytes, arraySize)
	}

	write := mustCompile(t, `
$x = $big;
$x[0] = "changed";
echo $x[0] . " " . $big[0] . " " . length($x);
`, opts)
	bytes = allocatedDuring(func() {
		out, err = run(t, write, &vm.RunOptions{Globals: map[string]vm.Value{"big": big}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if out != "changed 0 1000000" {
		t.Fatalf("output %q, want %q", out, "changed 0 1000000")
	}
	if bytes < arraySize {
		t.Fatalf("writing allocated only %d bytes; the write must copy the %d-byte array", bytes, arraySize)
	}
	if v, _ := big.Array().GetInt(0); v.Num() != 0 {
		t.Fatalf("the host's array changed: element 0 is %v", v)
	}
}

func TestInstructionLimit(t *testing.T) {
	prog := mustCompile(t, `try { forever { } } catch ($e) { echo "caught"; }`,
		&compile.Options{Limits: vm.Limits{MaxInstructions: 10_000}})
	out, err := run(t, prog, nil)
	var e *vm.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v, want *vm.Error", err)
	}
	if e.Message != "instruction limit exceeded" {
		t.Fatalf("message %q", e.Message)
	}
	if out != "" {
		t.Fatalf("the limit was caught: output %q", out)
	}
}

// The limit is reported at the loop that ran out, not at the statement
// before it.
func TestInstructionLimitPosition(t *testing.T) {
	prog := mustCompile(t, "$i = 0;\nwhile (true) {\n    $i++;\n}\n",
		&compile.Options{Limits: vm.Limits{MaxInstructions: 10_000}})
	_, err := run(t, prog, nil)
	var e *vm.Error
	if !errors.As(err, &e) || e.Message != "instruction limit exceeded" {
		t.Fatalf("error %v, want the instruction limit", err)
	}
	if e.Pos.Line != 2 {
		t.Errorf("reported at %v, want line 2, the while loop", e.Pos)
	}
}

func TestCallDepthLimit(t *testing.T) {
	prog := mustCompile(t, `
function down($n) { return down($n + 1); }
try { down(0); } catch ($e) { echo $e->message(); }
down(0);
`, nil)
	out, err := run(t, prog, nil)
	if out != "maximum call depth 256 exceeded" {
		t.Fatalf("caught output %q", out)
	}
	if err == nil || !strings.Contains(err.Error(), "maximum call depth 256 exceeded") {
		t.Fatalf("uncaught error %v", err)
	}

	_, err = run(t, prog, &vm.RunOptions{Limits: vm.Limits{MaxCallDepth: 10}})
	if err == nil || !strings.Contains(err.Error(), "maximum call depth 10 exceeded") {
		t.Fatalf("error with depth 10: %v", err)
	}
}

func TestRecursionWithinDepth(t *testing.T) {
	prog := mustCompile(t, `function f($n) { return $n == 0 ? 0 : 1 + f($n - 1); } echo f(250);`, nil)
	out, err := run(t, prog, nil)
	if err != nil || out != "250" {
		t.Fatalf("output %q, error %v", out, err)
	}
}

func TestMemoryLimit(t *testing.T) {
	opts := &compile.Options{Limits: vm.Limits{MaxMemory: 1 << 20}}
	for _, src := range []string{
		`$s = "x" * 2000000;`,
		`$s = "x"; forever { $s .= $s; }`,
		`$a = []; forever { $a[] = 1; }`,
	} {
		prog := mustCompile(t, "try { "+src+" } catch ($e) { echo $e->message(); }", opts)
		out, err := run(t, prog, nil)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if out != "memory limit exceeded" {
			t.Fatalf("%s: output %q", src, out)
		}
	}
}

func TestRuntimeErrorPosition(t *testing.T) {
	prog := mustCompile(t, "function f($x) {\n  $y = 1;\n  return $x / 0;\n}\necho f(2);\n", nil)
	_, err := run(t, prog, nil)
	var e *vm.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v", err)
	}
	if got := e.Error(); got != "test.hsl:3:13: division by zero" {
		t.Fatalf("error %q", got)
	}
	if len(e.Stack) != 2 {
		t.Fatalf("stack %+v", e.Stack)
	}
	if e.Stack[0].Func != "f" || e.Stack[0].Pos.Line != 3 {
		t.Fatalf("innermost frame %+v", e.Stack[0])
	}
	if e.Stack[1].Func != "<main>" || e.Stack[1].Pos.Line != 5 {
		t.Fatalf("outer frame %+v", e.Stack[1])
	}
}

func TestCompileErrorPosition(t *testing.T) {
	_, err := compile.File("test.hsl", []byte("$a = 1;\necho $b;\n"), &compile.Options{Library: testLibrary()})
	if err == nil || err.Error() != "test.hsl:2:6: undefined variable $b" {
		t.Fatalf("error %v", err)
	}
}

func TestBuiltinPanicBecomesError(t *testing.T) {
	lib := testLibrary().Extend()
	lib.Define("explode", func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		var m map[string]int
		m["x"] = 1 // nil map write panics
		return vm.None, nil
	})
	prog := mustCompile(t, `try { explode(); } catch ($e) { echo "caught"; } explode();`, &compile.Options{Library: lib})
	out, err := run(t, prog, nil)
	if out != "caught" {
		t.Fatalf("output %q", out)
	}
	if err == nil || !strings.Contains(err.Error(), "explode(): internal error") {
		t.Fatalf("error %v", err)
	}
}

func TestHaltEndsRun(t *testing.T) {
	lib := testLibrary().Extend()
	lib.Define("Accept", func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		return vm.None, vm.ErrHalt
	})
	prog := mustCompile(t, `echo "before"; try { Accept(); } catch ($e) { echo "caught"; } echo "after";`, &compile.Options{Library: lib})
	out, err := run(t, prog, nil)
	if err != nil || out != "before" {
		t.Fatalf("output %q, error %v", out, err)
	}
}

func TestContextCancelStopsRun(t *testing.T) {
	prog := mustCompile(t, `forever { }`, &compile.Options{Limits: vm.Limits{MaxInstructions: 1 << 50}})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := prog.Run(ctx, nil)
	if err == nil || !strings.Contains(err.Error(), "run canceled") {
		t.Fatalf("error %v", err)
	}
}

func TestBarrierSerializesRuns(t *testing.T) {
	key := fmt.Sprintf("barrier-test-%d", time.Now().UnixNano())
	prog := mustCompile(t, `barrier $key => $n { $v = $n ?? 0; $n = $v + 1; }`,
		&compile.Options{Predefined: []compile.Predefined{{Name: "key"}}})
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := run(t, prog, &vm.RunOptions{Globals: map[string]vm.Value{"key": vm.String(key)}}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	v, ok := vm.SharedMemory().Load(key)
	if !ok || v.Num() != 50 {
		t.Fatalf("stored %v (present %v), want 50", v, ok)
	}
}

func TestCacheRunsMissOnce(t *testing.T) {
	lib := testLibrary().Extend()
	var calls atomic.Int32
	lib.Define("slow_lookup", func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		calls.Add(1)
		time.Sleep(20 * time.Millisecond)
		return vm.String("v:" + args[0].String()), nil
	})
	prog := mustCompile(t, `echo cache ["ttl" => 60, "namespace" => "single-flight"] slow_lookup("k");`, &compile.Options{Library: lib})
	var wg sync.WaitGroup
	outs := make([]string, 20)
	for i := range outs {
		wg.Go(func() {
			var err error
			if outs[i], err = run(t, prog, nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("the function ran %d times, want 1", n)
	}
	for i, o := range outs {
		if o != "v:k" {
			t.Fatalf("run %d output %q", i, o)
		}
	}
}

func TestAppendStringKeepsCopiesIntact(t *testing.T) {
	prog := mustCompile(t, `
$a = "x" * 70;
$a .= "y";
$b = $a;
$a .= "1";
$b .= "2";
echo length($a) . substr_tail($a) . substr_tail($b);
function substr_tail($s) { return $s[length($s) - 2:]; }
`, nil)
	out, err := run(t, prog, nil)
	if err != nil || out != "72y1y2" {
		t.Fatalf("output %q, error %v", out, err)
	}
}

func TestCachePerMessageLivesInRun(t *testing.T) {
	lib := testLibrary().Extend()
	var calls atomic.Int32
	lib.Define("count_call", func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		return vm.Int(int(calls.Add(1))), nil
	})
	prog := mustCompile(t, `
$a = cache ["per_message" => true] count_call();
$b = cache ["per_message" => true] count_call();
echo "$a $b";`, &compile.Options{Library: lib})
	for want, run0 := range []string{"1 1", "2 2"} {
		out, err := run(t, prog, nil)
		if err != nil || out != run0 {
			t.Fatalf("run %d: output %q, error %v", want, out, err)
		}
	}
}

func TestCacheOptionsTTLAndSize(t *testing.T) {
	lib := testLibrary().Extend()
	var calls atomic.Int32
	lib.Define("tick", func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		calls.Add(1)
		return args[0], nil
	})
	prog := mustCompile(t, `
$ns = "size-test";
foreach ([1, 2, 3, 1] as $k) { cache ["size" => 2, "namespace" => $ns] tick($k); }
echo cache ["ttl" => 0, "namespace" => $ns] tick(9);
echo cache ["ttl_override" => ["x" => 0], "namespace" => $ns] tick("x");
`, &compile.Options{Library: lib})
	out, err := run(t, prog, nil)
	if err != nil || out != "9\nx" {
		t.Fatalf("output %q, error %v", out, err)
	}
	// 1, 2, 3 miss; 1 was evicted by 3 (size 2, LRU) so it misses again;
	// ttl 0 and the override to 0 store nothing but still call.
	if n := calls.Load(); n != 6 {
		t.Fatalf("tick ran %d times, want 6", n)
	}
}
