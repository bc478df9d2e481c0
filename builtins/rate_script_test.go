package builtins

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/halonsh/halonsh/lang/vm"
)

func TestRateBuiltin(t *testing.T) {
	ns := t.Name()
	runScriptCases(t, []scriptCase{
		{src: fmt.Sprintf(`$r = ""; $i = 0; while ($i < 4) { $r .= rate("%s", "a", 3, 60) ? "T" : "F"; $i += 1; } echo $r; echo rate("%s", "a", 0, 60);`, ns, ns), want: "TTTF\n3\n"},
		{src: fmt.Sprintf(`echo rate("%s", 5, "2", "60", ["sync" => false]); echo rate("%s", "5", 0, 60);`, ns, ns), want: "true\n1\n"},
		{src: fmt.Sprintf(`echo rate("%s", "new", 0, 60);`, ns), want: "0\n"},
		{src: fmt.Sprintf(`rate("%s", "x", -1, 60);`, ns), err: "rate(): argument 3 (count) must not be negative, got -1"},
		{src: fmt.Sprintf(`rate("%s", "x", 1, 0);`, ns), err: "rate(): argument 4 (interval) must be a positive number of seconds, got 0"},
		{src: fmt.Sprintf(`rate("%s", "x", 1, -3);`, ns), err: "rate(): argument 4 (interval)"},
		{src: fmt.Sprintf(`rate("%s", [], 1, 60);`, ns), err: "rate(): argument 2 (entry) must be a string, got array"},
		{src: fmt.Sprintf(`rate("%s", "x", "many", 60);`, ns), err: "rate(): argument 3 (count) must be a number, got string"},
		{src: fmt.Sprintf(`rate("%s", "x", 1, 60, ["sync" => "yes"]);`, ns), err: `rate(): option "sync" must be a boolean, got string`},
		{src: `rate("a", "b", 1);`, err: "rate(): expected 4 to 5 arguments, got 3"},
	})
}

func TestRateSharedAcrossRuns(t *testing.T) {
	// 50 concurrent runs each try 10 events against a limit of 123: exactly
	// 123 succeed, whatever the interleaving.
	prog := compileLibScript(t, fmt.Sprintf(`
		$i = 0;
		while ($i < 10) {
			if (rate("%s", "k", 123, 3600)) echo "T";
			$i += 1;
		}`, t.Name()), "")

	var accepted atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 50; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out countingWriter
			if err := prog.Run(context.Background(), &vm.RunOptions{Out: &out}); err != nil {
				t.Error(err)
			}
			accepted.Add(int64(out.n / 2)) // "T\n" per accepted event
		}()
	}
	wg.Wait()
	if n := accepted.Load(); n != 123 {
		t.Fatalf("accepted %d events across runs, want 123", n)
	}
}

// countingWriter counts the bytes written to it.
type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	return len(p), nil
}
