package parser

import (
	"bytes"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
)

// hookScript builds a realistic post-delivery hook of at least minLines
// lines: testdata/hook-header.hsl, then testdata/hook-block.hsl repeated
// with numbered names.
func hookScript(tb testing.TB, minLines int) []byte {
	tb.Helper()
	header, err := os.ReadFile("testdata/hook-header.hsl")
	if err != nil {
		tb.Fatal(err)
	}
	block, err := os.ReadFile("testdata/hook-block.hsl")
	if err != nil {
		tb.Fatal(err)
	}

	b := bytes.NewBuffer(header)
	for i := 1; bytes.Count(b.Bytes(), []byte("\n")) < minLines; i++ {
		fmt.Fprintf(b, string(block), i)
	}
	return b.Bytes()
}

func TestHookScriptParses(t *testing.T) {
	src := hookScript(t, 2000)
	if _, err := ParseFile("hook.hsl", src); err != nil {
		t.Fatal(err)
	}
}

// processCPUTime returns the user and system CPU time of this process so
// far, garbage collector threads included.
func processCPUTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPUThroughput adds a cpu-MB/s metric: bytes processed per second of
// CPU time. On a shared machine the wall-clock MB/s depends on how much CPU
// other processes take; the CPU-time figure does much less.
func reportCPUThroughput(b *testing.B, start time.Duration, bytesPerOp int) {
	cpu := processCPUTime(b) - start
	if cpu > 0 {
		b.ReportMetric(float64(bytesPerOp)*float64(b.N)/cpu.Seconds()/1e6, "cpu-MB/s")
	}
}

// BenchmarkParse parses a 2,000-line hook script; the MB/s column is the
// parser throughput.
func BenchmarkParse(b *testing.B) {
	src := hookScript(b, 2000)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	start := processCPUTime(b)
	for b.Loop() {
		if _, err := ParseFile("hook.hsl", src); err != nil {
			b.Fatal(err)
		}
	}
	reportCPUThroughput(b, start, len(src))
}

// BenchmarkLex measures the scanner alone on the same script.
func BenchmarkLex(b *testing.B) {
	src := hookScript(b, 2000)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	start := processCPUTime(b)
	for b.Loop() {
		if _, err := newScanner("hook.hsl", string(src), 1, 1).tokenize(); err != nil {
			b.Fatal(err)
		}
	}
	reportCPUThroughput(b, start, len(src))
}
