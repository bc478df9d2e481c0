package builtins

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halonsh/halonsh/lang/vm"
)

// memoryTestKey returns a key unique to the test, because the memory
// store is shared by the whole process.
func memoryTestKey(t *testing.T, name string) string {
	return fmt.Sprintf("%s/%s", t.Name(), name)
}

func TestMemoryBuiltins(t *testing.T) {
	k := memoryTestKey(t, "")
	runScriptCases(t, []scriptCase{
		{src: fmt.Sprintf(`echo memory_store("%s1", [1, "a" => [true, none]]); echo memory_fetch("%s1");`, k, k), want: "false\n[0=>1,\"a\"=>[0=>true,1=>none]]\n"},
		{src: fmt.Sprintf(`echo memory_store("%s2", none); echo memory_exists("%s2") ? "present" : "absent"; echo memory_fetch("%s2");`, k, k, k), want: "false\npresent\nnone\n"},
		{src: fmt.Sprintf(`echo memory_dec("%s3", 2, true); echo memory_exists("%s3") ? "present" : "absent";`, k, k), want: "-2\npresent\n"},
		{src: fmt.Sprintf(`memory_store("%s4", 2); echo memory_dec("%s4", 2, true); echo memory_exists("%s4") ? "present" : "absent";`, k, k, k), want: "0\nabsent\n"},
		{src: fmt.Sprintf(`echo memory_inc("%s5", "2.5");`, k), want: "2.5\n"},
		{src: fmt.Sprintf(`memory_store("%s6", function () {});`, k), err: "memory_store(): cannot store function"},
		{src: fmt.Sprintf(`memory_store("%s7", [Exception("x")]);`, k), err: "memory_store(): cannot store object"},
		{src: fmt.Sprintf(`memory_inc("%s8", []);`, k), err: "memory_inc(): argument 2 (offset) must be a number, got array"},
		{src: `memory_store([], 1);`, err: "memory_store(): argument 1 (key) must be a string, got array"},
		{src: fmt.Sprintf(`memory_update("%s9", 1, "notafunction");`, k), err: "memory_update(): argument 3 (callback) must be a function, got string"},
		{src: fmt.Sprintf(`echo memory_update("%s10", 1, function ($k, $c, $v) { return $c + $v; }, 10); echo memory_fetch("%s10");`, k, k), want: "true\n11\n"},

		// Stored arrays are copies: changing the script's array later does
		// not change the stored one, nor the other way round.
		{src: fmt.Sprintf(`$a = [1]; memory_store("%s11", $a); $a[] = 2; $b = memory_fetch("%s11"); $b[] = 3; echo memory_fetch("%s11"); echo $a;`, k, k, k), want: "[0=>1]\n[0=>1,1=>2]\n"},

		// A callback may use its own key again (the lock is re-entrant).
		{src: fmt.Sprintf(`memory_store("%s12", 1); memory_exists("%s12", function ($k, $v) { memory_store($k, $v + 1); }); echo memory_fetch("%s12");`, k, k, k), want: "2\n"},

		// Another key inside a callback is refused.
		{src: fmt.Sprintf(`memory_store("%s13", 1); memory_exists("%s13", function ($k, $v) { memory_fetch("other"); });`, k, k), err: `memory_fetch(): cannot use key "other" inside a callback for key`},
		{src: fmt.Sprintf(`memory_store("%s14", 1); memory_exists("%s14", function ($k, $v) { memory_inc("other"); });`, k, k), err: `memory_inc(): cannot use key "other"`},

		// barrier follows the same rule: another key is refused with a
		// catchable error, the callback's own key is re-entrant.
		{src: fmt.Sprintf(`memory_store("%s18", 1); memory_exists("%s18", function ($k, $v) { barrier "%s18b" { echo "entered"; } });`, k, k, k), err: fmt.Sprintf(`barrier "%s18b": cannot lock another key inside a memory callback for key "%s18"`, k, k)},
		{src: fmt.Sprintf(`memory_store("%s19", 1); memory_exists("%s19", function ($k, $v) { try { barrier "%s19b" {} } catch ($e) { echo "caught"; } }); echo "after";`, k, k, k), want: "caught\nafter\n"},
		{src: fmt.Sprintf(`memory_store("%s20", 1); memory_exists("%s20", function ($k, $v) { barrier "%s20" => $x { echo $x; } });`, k, k, k), want: "1\n"},
		{src: fmt.Sprintf(`try { memory_exists("%s21", function ($k, $v) { throw "stop"; }); } catch ($e) {} barrier "%s21b" { echo "free"; }`, k, k), want: "free\n"},

		// After the callback returns, other keys are usable again.
		{src: fmt.Sprintf(`memory_store("%s15", 1); memory_exists("%s15", function ($k, $v) {}); echo memory_inc("%s15b");`, k, k, k), want: "1\n"},

		// An exception from a callback propagates and nothing is stored.
		{src: fmt.Sprintf(`memory_store("%s16", "old"); try { memory_store("%s16", "new", function ($k, $v) { throw "stop"; }); } catch ($e) { echo $e; } echo memory_fetch("%s16");`, k, k, k), want: "stop\nold\n"},
		{src: fmt.Sprintf(`try { memory_update("%s17", 1, function ($k, $c, $v) { throw "stop"; }, 0); } catch ($e) { echo $e; } echo memory_exists("%s17") ? "present" : "absent";`, k, k), want: "stop\nabsent\n"},
	})
}

func TestMemoryIncAtomicAcrossRuns(t *testing.T) {
	key := memoryTestKey(t, "counter")
	prog := compileLibScript(t, fmt.Sprintf(`$i = 0; while ($i < 50) { memory_inc("%s"); $i += 1; }`, key), "")

	var wg sync.WaitGroup
	for g := 0; g < 40; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := prog.Run(context.Background(), &vm.RunOptions{}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()

	got, _ := vm.SharedMemory().Load(key)
	if got.Num() != 2000 {
		t.Fatalf("counter = %v after 40 runs of 50 increments, want 2000", got)
	}
}

func TestMemoryUpdateAtomicAcrossRuns(t *testing.T) {
	key := memoryTestKey(t, "list")
	prog := compileLibScript(t, fmt.Sprintf(`
		$i = 0;
		while ($i < 20) {
			memory_update("%s", 1, function ($k, $cur, $v) { $cur[] = $v; return $cur; }, []);
			$i += 1;
		}`, key), "")

	var wg sync.WaitGroup
	for g := 0; g < 10; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := prog.Run(context.Background(), &vm.RunOptions{}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()

	got, _ := vm.SharedMemory().Load(key)
	if got.Array() == nil || got.Array().Len() != 200 {
		t.Fatalf("list has %v, want 200 elements from 10 runs of 20 appends", got)
	}
}

func TestMemoryWaitsForHeldKey(t *testing.T) {
	key := memoryTestKey(t, "held")
	owner := new(int)
	unlock, err := vm.SharedMemory().Lock(context.Background(), owner, key)
	if err != nil {
		t.Fatal(err)
	}

	done := make(chan string, 1)
	go func() {
		out, err := runLibScript(t, fmt.Sprintf(`echo memory_inc("%s");`, key), scriptRun{})
		if err != nil {
			out = err.Error()
		}
		done <- out
	}()

	select {
	case out := <-done:
		t.Fatalf("memory_inc finished while another owner held the key: %q", out)
	case <-time.After(100 * time.Millisecond):
	}
	unlock()
	select {
	case out := <-done:
		if out != "1\n" {
			t.Fatalf("memory_inc after unlock = %q, want 1", out)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("memory_inc still waiting after the key was released")
	}
}

func TestMemoryWaitHonoursCancellation(t *testing.T) {
	key := memoryTestKey(t, "cancel")
	owner := new(int)
	unlock, err := vm.SharedMemory().Lock(context.Background(), owner, key)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = runLibScript(t, fmt.Sprintf(`memory_fetch("%s");`, key), scriptRun{ctx: ctx})
	if err == nil {
		t.Fatal("memory_fetch returned although the key stayed locked and the run was cancelled")
	}
}

// BenchmarkMemoryInc measures memory_inc on the process-wide store: the Go
// path behind the builtin, and the builtin called from an HSL loop, with
// one goroutine and with 1,000 goroutines.
func BenchmarkMemoryInc(b *testing.B) {
	ctx := context.Background()
	b.Run("store/uncontended", func(b *testing.B) {
		owner := new(int)
		reportCPUPerOp(b, func() {
			for b.Loop() {
				addMemoryNumber(ctx, owner, "bench/inc", 1, false)
			}
		})
	})
	b.Run("store/1000-goroutines-one-key", func(b *testing.B) {
		b.SetParallelism(parallelismFor(1000))
		reportCPUPerOp(b, func() {
			b.RunParallel(func(pb *testing.PB) {
				owner := new(int)
				for pb.Next() {
					addMemoryNumber(ctx, owner, "bench/shared", 1, false)
				}
			})
		})
	})
	b.Run("store/1000-goroutines-own-keys", func(b *testing.B) {
		var next atomic.Int64
		b.SetParallelism(parallelismFor(1000))
		reportCPUPerOp(b, func() {
			b.RunParallel(func(pb *testing.PB) {
				owner := new(int)
				key := fmt.Sprintf("bench/own/%d", next.Add(1))
				for pb.Next() {
					addMemoryNumber(ctx, owner, key, 1, false)
				}
			})
		})
	})
	b.Run("hsl/uncontended", func(b *testing.B) {
		benchScriptCalls(b, `memory_inc("bench/hsl")`, 1)
	})
	b.Run("hsl/1000-goroutines-one-key", func(b *testing.B) {
		benchScriptCalls(b, `memory_inc("bench/hsl-shared")`, 1000)
	})
}
