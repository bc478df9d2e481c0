package logbuf

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLinesReachTheFileWithinTheInterval(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := New(f, 20*time.Millisecond)
	defer w.Close()

	fmt.Fprintln(w, "first line")
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if string(b) == "first line\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("file holds %q five seconds after the write", b)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCloseFlushes(t *testing.T) {
	var out bytes.Buffer
	w := New(&out, time.Hour)
	fmt.Fprintln(w, "kept")
	if out.Len() != 0 {
		t.Fatalf("written before any flush: %q", out.String())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "kept\n" {
		t.Errorf("after Close: %q", out.String())
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// Concurrent writers each write whole lines, and a line longer than the
// buffer arrives intact.
func TestConcurrentLinesStayWhole(t *testing.T) {
	var out bytes.Buffer
	w := New(&out, time.Millisecond)
	long := strings.Repeat("x", 100<<10)

	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				fmt.Fprintf(w, "writer %d line %d %s\n", g, i, strings.Repeat("y", i%300))
			}
		}()
	}
	fmt.Fprintln(w, long)
	wg.Wait()
	w.Close()

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 8*500+1 {
		t.Fatalf("%d lines, want %d", len(lines), 8*500+1)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		if l == long {
			seen["long"] = true
			continue
		}
		var g, i int
		var pad string
		if n, _ := fmt.Sscanf(l, "writer %d line %d %s", &g, &i, &pad); n < 2 || len(pad) != i%300 {
			t.Fatalf("mangled line %.80q", l)
		}
		seen[fmt.Sprint(g, i)] = true
	}
	if len(seen) != 8*500+1 {
		t.Errorf("%d distinct lines, want %d", len(seen), 8*500+1)
	}
}

type failing struct{}

func (failing) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorIsReported(t *testing.T) {
	w := New(failing{}, time.Hour)
	fmt.Fprintln(w, "lost")
	if err := w.Flush(); err == nil || err.Error() != "disk full" {
		t.Fatalf("Flush = %v, want disk full", err)
	}
	if _, err := w.Write([]byte("more\n")); err == nil {
		t.Error("Write after a failed flush succeeded")
	}
}
