package policy

import (
	"strings"
	"testing"
	"unsafe"
)

// TestSubQueueSizeClass checks that SubQueue fills the 320-byte heap size
// class exactly, so every sub-queue starts on a cache line.
func TestSubQueueSizeClass(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the layout is tuned for 64-bit pointers")
	}
	if got := unsafe.Sizeof(SubQueue{}); got != 320 {
		t.Errorf("unsafe.Sizeof(SubQueue{}) = %d, want 320", got)
	}
}

// TestEventRingGrowsOutOfInline checks that a ring keeps its events in
// order while it moves from the inline array to a heap buffer.
func TestEventRingGrowsOutOfInline(t *testing.T) {
	var r eventRing
	rate := Rate{Count: 10, Interval: 1000}
	for i := int64(1); i <= 10; i++ {
		r.push(i, rate)
	}
	if len(r.buf) != 10 {
		t.Fatalf("len(buf) = %d, want 10", len(r.buf))
	}
	for k := 1; k <= 10; k++ {
		got, ok := r.nthNewest(k)
		if !ok || got != int64(11-k) {
			t.Errorf("nthNewest(%d) = %d, %v, want %d, true", k, got, ok, 11-k)
		}
	}
}

// TestEventRingInlineForSmallRate checks that a rate of at most four
// events keeps its window inside the sub-queue.
func TestEventRingInlineForSmallRate(t *testing.T) {
	var r eventRing
	rate := Rate{Count: 3, Interval: 1000}
	for i := int64(1); i <= 5; i++ {
		r.push(i*100, rate)
	}
	if len(r.buf) != 3 || &r.buf[0] != &r.small[0] {
		t.Fatalf("buf has %d events outside the inline array, want 3 inline", len(r.buf))
	}
	// The third newest event is at 300, so the window frees at 1300.
	if at, blocked := r.blocked(rate, 550); !blocked || at != 1300 {
		t.Errorf("blocked(550) = %d, %v, want 1300, true", at, blocked)
	}
}

// TestLowerASCIIEveryByte checks the word-at-a-time test against the
// byte loop for every byte value at every position of a long value.
func TestLowerASCIIEveryByte(t *testing.T) {
	base := []byte("mx1.example.com") // 15 bytes: two overlapping words
	for pos := range base {
		for c := 0; c < 256; c++ {
			b := append([]byte(nil), base...)
			b[pos] = byte(c)
			s := string(b)
			want := s
			if 'A' <= c && c <= 'Z' {
				want = strings.ToLower(s)
			}
			if got := lowerASCII(s); got != want {
				t.Fatalf("lowerASCII(%q) = %q, want %q", s, got, want)
			}
		}
	}
}
