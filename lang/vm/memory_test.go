package vm_test

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/halonsh/halonsh/lang/compile"
	"github.com/halonsh/halonsh/lang/vm"
)

// memoryLimitOptions compiles with a memory limit of mib MiB.
func memoryLimitOptions(mib int64) *compile.Options {
	return &compile.Options{Limits: vm.Limits{MaxMemory: mib << 20}}
}

func TestMemoryLimitCountsManySmallValues(t *testing.T) {
	// Each string is far below the limit; together they pass it after
	// about 640 iterations of 100 kB.
	src := `
$a = [];
try {
	for ($i = 0; $i < 100000; $i++) { $a[] = str_repeat("x", 100000) . $i; }
	echo "no error";
} catch ($e) {
	echo $e->message();
	echo $i;
}
`
	i := memoryLimitAt(t, mustCompile(t, src, memoryLimitOptions(64)), nil)
	// 64 MiB hold 671 strings of 100 kB; the check may see the excess up
	// to one interval (16 MiB, 167 strings) late.
	if i < 600 || i > 900 {
		t.Fatalf("error at iteration %d, want between 600 and 900", i)
	}
}

// memoryLimitAt runs a script that catches the memory limit error and
// then echoes a count, and returns that count.
func memoryLimitAt(t *testing.T, prog *vm.Program, opts *vm.RunOptions) int {
	t.Helper()
	out, err := run(t, prog, opts)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	lines := strings.Split(out, "\n")
	if len(lines) != 2 || lines[0] != "memory limit exceeded" {
		t.Fatalf("output %q, want the memory limit error and a count", out)
	}
	n, err := strconv.Atoi(lines[1])
	if err != nil {
		t.Fatalf("count %q: %v", lines[1], err)
	}
	return n
}

func TestMemoryLimitErrorPosition(t *testing.T) {
	src := "$a = [];\nforever {\n  $a[] = str_repeat(\"x\", 100000);\n}\n"
	prog := mustCompile(t, src, memoryLimitOptions(8))
	_, err := run(t, prog, nil)
	var e *vm.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v, want a script error", err)
	}
	if e.Message != "memory limit exceeded" {
		t.Fatalf("message %q", e.Message)
	}
	if e.Fatal {
		t.Fatal("memory limit error is fatal, want catchable")
	}
	if e.Pos.Line != 3 {
		t.Fatalf("position %v, want line 3", e.Pos)
	}
}

func TestMemoryLimitFromRunOptions(t *testing.T) {
	// The program's limit is the default 256 MiB; the run lowers it.
	src := "$a = [];\ntry { forever { $a[] = str_repeat(\"x\", 100000); } } catch ($e) { echo $e->message(); echo length($a); }\n"
	n := memoryLimitAt(t, mustCompile(t, src, nil), &vm.RunOptions{Limits: vm.Limits{MaxMemory: 8 << 20}})
	// 8 MiB hold 83 strings of 100 kB, and the check may come one
	// interval (2 MiB, 20 strings) late.
	if n < 80 || n > 110 {
		t.Fatalf("error after %d strings, want between 80 and 110", n)
	}
}

func TestMemoryLimitCountsNestedBuiltinResults(t *testing.T) {
	// Each json_decode result is a one-element array around a 10,000
	// element array of about 240 kB, so 8 MiB hold about 35 of them.
	src := `
$row = [];
for ($i = 0; $i < 10000; $i++) { $row[] = $i; }
$json = json_encode([$row]);
$keep = [];
try {
	for ($i = 0; $i < 1000; $i++) { $keep[] = json_decode($json); }
	echo "no error";
} catch ($e) {
	echo $e->message();
	echo $i;
}
`
	i := memoryLimitAt(t, mustCompile(t, src, memoryLimitOptions(8)), nil)
	// One interval (2 MiB) late is about 9 more results.
	if i < 30 || i > 50 {
		t.Fatalf("error at iteration %d, want between 30 and 50", i)
	}
}

func TestMemoryLimitIgnoresDroppedValues(t *testing.T) {
	// 2,000 strings of 100 kB are 200 MB built in all, but the loop
	// holds at most two of them at a time.
	src := `
$n = 0;
for ($i = 0; $i < 2000; $i++) {
	$s = str_repeat("y", 100000) . $i;
	$parts = [$s, $s . "!"];
	$n += length($parts[1]);
}
echo $n > 200000000 ? "ok" : "short";
`
	prog := mustCompile(t, src, memoryLimitOptions(4))
	out, err := run(t, prog, nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if out != "ok" {
		t.Fatalf("output %q", out)
	}
}

func TestMemoryLimitCountsSharedStorageOnce(t *testing.T) {
	// $row is a 10,000-element array (about 240 kB) and $s a 100 kB
	// string. Counted per reference, 1,000 references of each would be
	// about 340 MB; they share storage, so the run holds well under 4 MiB.
	// The last loop builds 10 MB of strings it drops at once, so the
	// limit is measured several times while the references are held.
	src := `
$row = [];
for ($i = 0; $i < 10000; $i++) { $row[] = $i; }
$s = str_repeat("z", 100000);
$rows = [];
$strs = [];
for ($i = 0; $i < 1000; $i++) { $rows[] = $row; $strs[] = $s; }
$copy = $rows;
for ($i = 0; $i < 100; $i++) { $t = str_repeat("t", 100000); }
echo length($rows) + length($strs) + length($copy);
`
	prog := mustCompile(t, src, memoryLimitOptions(4))
	out, err := run(t, prog, nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if out != "3000" {
		t.Fatalf("output %q", out)
	}
}

func TestMemoryLimitCountsCopiedArrays(t *testing.T) {
	// Changing a copy of a shared array copies its storage: each of the
	// 1,000 changed copies of a 240 kB array is memory of its own.
	src := `
$row = [];
for ($i = 0; $i < 10000; $i++) { $row[] = $i; }
$rows = [];
try {
	for ($i = 0; $i < 1000; $i++) { $copy = $row; $copy[] = $i; $rows[] = $copy; }
	echo "no error";
} catch ($e) {
	echo $e->message();
}
`
	prog := mustCompile(t, src, memoryLimitOptions(16))
	out, err := run(t, prog, nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if out != "memory limit exceeded" {
		t.Fatalf("output %q", out)
	}
}

func TestMemoryLimitCountsObjectsAndClosures(t *testing.T) {
	for _, tc := range []struct {
		name, src string
	}{
		{"object property", `
class Box { $items = []; function add($x) { $this->items[] = $x; } }
$b = Box();
forever { $b->add(str_repeat("o", 100000)); }
`},
		{"closure capture", `
function keeper() {
	$kept = [];
	return function ($x) closure ($kept) { $kept[] = $x; return length($kept); };
}
$keep = keeper();
forever { $keep(str_repeat("c", 100000)); }
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prog := mustCompile(t, "try {"+tc.src+"} catch ($e) { echo $e->message(); }", memoryLimitOptions(8))
			out, err := run(t, prog, nil)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if out != "memory limit exceeded" {
				t.Fatalf("output %q", out)
			}
		})
	}
}

func TestMemoryLimitWalksCyclesAndNesting(t *testing.T) {
	// An object that references itself, a closure that captures itself
	// and an array nested 1,000 deep must not stop the walk, which the
	// 20 MB of dropped strings start several times.
	cycles := `
class Node { $next = none; }
$n = Node();
$n->next = $n;
$f = function () closure ($f) { return 1; };
$deep = ["bottom"];
for ($i = 0; $i < 1000; $i++) { $deep = [$deep]; }
for ($i = 0; $i < 200; $i++) { $t = str_repeat("t", 100000); }
echo "ok";
`
	prog := mustCompile(t, cycles, memoryLimitOptions(4))
	out, err := run(t, prog, nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if out != "ok" {
		t.Fatalf("output %q", out)
	}

	// 3 MB at the bottom of the nesting and 3 MB at the top pass 4 MiB
	// only when the walk reaches the bottom.
	deep := `
$deep = [str_repeat("d", 3000000)];
for ($i = 0; $i < 1000; $i++) { $deep = [$deep]; }
try {
	$top = str_repeat("t", 3000000);
	echo "no error";
} catch ($e) {
	echo $e->message();
}
`
	prog = mustCompile(t, deep, memoryLimitOptions(4))
	out, err = run(t, prog, nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if out != "memory limit exceeded" {
		t.Fatalf("output %q", out)
	}
}

func TestMemoryLimitConcurrentRunsShareCache(t *testing.T) {
	// Every run holds 50 references to one cached array that all runs
	// share, and its dropped strings start a walk every few iterations,
	// so the runs walk the shared array at the same time.
	src := `
function load() { $a = []; for ($i = 0; $i < 1000; $i++) { $a[] = "v" . $i; } return $a; }
$list = cache ["ttl" => 60, "namespace" => "memory-limit-test"] load();
$keep = [];
for ($i = 0; $i < 50; $i++) { $keep[] = $list; $t = str_repeat("t", 100000); }
echo length($keep) * length($keep[49]);
`
	prog := mustCompile(t, src, memoryLimitOptions(1))

	const runs = 16
	var wg sync.WaitGroup
	errs := make([]error, runs)
	outs := make([]string, runs)
	for g := range runs {
		wg.Go(func() {
			outs[g], errs[g] = run(t, prog, nil)
		})
	}
	wg.Wait()

	for g := range runs {
		if errs[g] != nil {
			t.Fatalf("run %d: %v", g, errs[g])
		}
		if outs[g] != "50000" {
			t.Fatalf("run %d: output %q", g, outs[g])
		}
	}
}

// BenchmarkHeldValues builds large arrays under the default memory
// limit, so the memory walks run several times while the arrays grow. The
// cases are 500,000 small arrays and 1,000,000 strings of about 70 bytes.
func BenchmarkHeldValues(b *testing.B) {
	for _, bc := range []struct{ name, src string }{
		{"arrays", `$a = []; for ($i = 0; $i < 500000; $i++) { $a[] = [$i, "x" . $i]; } echo length($a);`},
		{"strings", `$a = []; for ($i = 0; $i < 1000000; $i++) { $a[] = "a line of text that is longer than the sixty-four bytes: " . $i; } echo length($a);`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			prog := mustCompile(b, bc.src, &compile.Options{Limits: vm.Limits{MaxInstructions: 1 << 40}})
			for b.Loop() {
				if _, err := run(b, prog, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
