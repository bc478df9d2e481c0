package vm

import (
	"math"
	"strconv"
	"testing"
)

// appendUint must agree with strconv around every power of ten, up to
// the largest uint64, and append after existing bytes.
func TestAppendUintMatchesStrconv(t *testing.T) {
	cases := []uint64{0, 1, 9, math.MaxUint64, math.MaxUint64 - 1}
	for p := uint64(10); p <= 1e19; p *= 10 {
		cases = append(cases, p-1, p, p+1)
		if p == 1e19 {
			break
		}
	}
	for shift := range 64 {
		cases = append(cases, 1<<shift, 1<<shift-1)
	}
	for _, n := range cases {
		want := "x" + strconv.FormatUint(n, 10)
		if got := string(appendUint([]byte("x"), n)); got != want {
			t.Errorf("appendUint(%d) = %q, want %q", n, got, want)
		}
	}
}
