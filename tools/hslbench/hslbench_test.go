package hslbench

import (
	"bytes"
	"strconv"
	"sync"
	"testing"
)

func TestRunWithGlobals(t *testing.T) {
	p, err := Compile("invoke.hsl", []byte("echo $a + 1;"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for i := range 3 {
		out.Reset()
		if err := p.Run(map[string]any{"a": i}, &out); err != nil {
			t.Fatal(err)
		}
		if want := string(rune('1'+i)) + "\n"; out.String() != want {
			t.Fatalf("run %d printed %q, want %q", i, out.String(), want)
		}
	}
	out.Reset()
	if err := p.Run(map[string]any{"a": "41"}, &out); err != nil {
		t.Fatal(err)
	}
	if want := "42\n"; out.String() != want {
		t.Fatalf("string global printed %q, want %q", out.String(), want)
	}
	if err := p.Run(map[string]any{"a": 1.5}, &out); err == nil {
		t.Fatal("a float global was accepted")
	}
	if err := p.Run(map[string]any{"zz": 1}, &out); err == nil {
		t.Fatal("an undeclared global was accepted")
	}
	if err := p.Run(map[string]any{"a": 1, "zz": 1}, &out); err == nil {
		t.Fatal("an undeclared global next to a declared one was accepted")
	}
}

func TestRunWithoutGlobals(t *testing.T) {
	p, err := Compile("plain.hsl", []byte(`echo isset($a) ? "set" : "unset";`))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := p.Run(nil, &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "unset\n" {
		t.Fatalf("printed %q, want %q", out.String(), "unset\n")
	}
}

// Runs of one P on several goroutines each see their own $a.
func TestRunConcurrently(t *testing.T) {
	p, err := Compile("invoke.hsl", []byte("echo $a + 1;"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			var out bytes.Buffer
			for i := g * 1000; i < g*1000+500; i++ {
				out.Reset()
				if err := p.Run(map[string]any{"a": i}, &out); err != nil {
					errs <- err
					return
				}
				if got, want := out.String(), strconv.Itoa(i+1)+"\n"; got != want {
					errs <- &mismatch{got, want}
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

type mismatch struct{ got, want string }

func (m *mismatch) Error() string {
	return "printed " + strconv.Quote(m.got) + ", want " + strconv.Quote(m.want)
}

func TestCompileError(t *testing.T) {
	if _, err := Compile("bad.hsl", []byte("echo $nope;")); err == nil {
		t.Fatal("compiled a read of an undefined variable")
	}
}

// BenchmarkRunInvoke is the invoke workload's loop in the benchmark kit:
// a new globals map per call and the echoed number read back.
func BenchmarkRunInvoke(b *testing.B) {
	p, err := Compile("invoke.hsl", []byte("echo $a + 1;"))
	if err != nil {
		b.Fatal(err)
	}
	var out bytes.Buffer
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		if err := p.Run(map[string]any{"a": i}, &out); err != nil {
			b.Fatal(err)
		}
		if n, err := strconv.Atoi(string(bytes.TrimSpace(out.Bytes()))); err != nil || n != i+1 {
			b.Fatalf("printed %q after a = %d", out.String(), i)
		}
		i++
	}
}
