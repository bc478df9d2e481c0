package vm_test

import (
	"math"
	"strconv"
	"testing"

	"github.com/halonsh/halonsh/lang/vm"
)

// The integer fast path of the number display form must agree with
// strconv on every digit count and at the powers of ten where the digit
// pairs change.
func TestFormatNumberIntegers(t *testing.T) {
	var cases []float64
	for p := 1.0; p <= 1e15; p *= 10 {
		cases = append(cases, p-1, p, p+1, 2*p-1, 5*p+7)
	}
	for n := 0.0; n < 1000; n++ {
		cases = append(cases, n)
	}
	cases = append(cases, 1e15-1, 123456789012345, 4294967295, 4294967296)
	for _, f := range cases {
		want := strconv.FormatInt(int64(f), 10)
		if got := vm.FormatNumber(f); got != want {
			t.Errorf("FormatNumber(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestFormatNumberOutsideFastPath(t *testing.T) {
	cases := []struct {
		in   float64
		want string
	}{
		{1e15, "1000000000000000"},
		{-42, "-42"},
		{math.Copysign(0, -1), "0"},
		{2.5, "2.5"},
		{math.NaN(), "nan"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
	}
	for _, c := range cases {
		if got := vm.FormatNumber(c.in); got != c.want {
			t.Errorf("FormatNumber(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}
