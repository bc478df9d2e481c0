package builtins

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
)

// testPackSource makes a packSource from Go strings and float64s.
func testPackSource(args ...any) packSource {
	return packSource{
		n: len(args),
		str: func(i int) (string, bool) {
			s, ok := args[i].(string)
			return s, ok
		},
		num: func(i int) (float64, bool) {
			f, ok := args[i].(float64)
			return f, ok
		},
	}
}

func TestPackBytes(t *testing.T) {
	tests := []struct {
		format string
		args   []any
		want   string
		ok     bool
	}{
		{"a5", []any{"ab"}, "ab\x00\x00\x00", true},
		{"a2", []any{"abcdef"}, "ab", true},
		{"a*", []any{"abc"}, "abc", true},
		{"a", []any{"xyz"}, "x", true},
		{"Z4", []any{"abcdef"}, "abc\x00", true},
		{"Z4", []any{"a"}, "a\x00\x00\x00", true},
		{"Z*", []any{"ab"}, "ab\x00", true},
		{"H4", []any{"0aFf"}, "\x0a\xff", true},
		{"H*", []any{"abc"}, "\xab\xc0", true},
		{"H3", []any{"ab"}, "", false},
		{"H2", []any{"zz"}, "", false},
		{"C3", []any{1.0, 255.0, 256.0}, "\x01\xff\x00", true},
		{"C", []any{-1.0}, "\xff", true},
		{"C", []any{2.9}, "\x02", true},
		{"n", []any{0x1234 * 1.0}, "\x12\x34", true},
		{"v", []any{0x1234 * 1.0}, "\x34\x12", true},
		{"N", []any{167772161.0}, "\x0a\x00\x00\x01", true},
		{"V", []any{167772161.0}, "\x01\x00\x00\x0a", true},
		{"N", []any{-1.0}, "\xff\xff\xff\xff", true},
		{"N", []any{4294967296.0 + 5}, "\x00\x00\x00\x05", true},
		{"N", []any{math.NaN()}, "\x00\x00\x00\x00", true},
		{"e", []any{1.5}, "\x00\x00\x00\x00\x00\x00\xf8\x3f", true},
		{"E", []any{1.5}, "\x3f\xf8\x00\x00\x00\x00\x00\x00", true},
		{"C*", []any{1.0, 2.0, 3.0}, "\x01\x02\x03", true},
		{"x3C", []any{7.0}, "\x00\x00\x00\x07", true},
		{"", nil, "", true},
		// Errors: unknown code, too few, too many, wrong type.
		{"q", []any{1.0}, "", false},
		{"c", []any{1.0}, "", false},
		{"C2", []any{1.0}, "", false},
		{"C", []any{1.0, 2.0}, "", false},
		{"C", []any{"1"}, "", false},
		{"a", []any{1.0}, "", false},
		{"a", nil, "", false},
		{"x*", nil, "", false},
	}
	for _, tc := range tests {
		got, ok := packBytes(tc.format, testPackSource(tc.args...))
		if ok != tc.ok || (ok && string(got) != tc.want) {
			t.Errorf("pack(%q, %v) = %q, %v; want %q, %v", tc.format, tc.args, got, ok, tc.want, tc.ok)
		}
	}
}

func TestUnpackBytes(t *testing.T) {
	tests := []struct {
		format, data string
		offset       int
		want         string // fmt %v of the values
		ok           bool
	}{
		{"N*", "\x0a\x00\x00\x01", 0, "[167772161]", true},
		{"N", "\x0a\x00\x00", 0, "", false},
		{"n2", "\x00\x01\x00\x02", 0, "[1 2]", true},
		{"v", "\x01\x00", 0, "[1]", true},
		{"V", "\x01\x00\x00\x00", 0, "[1]", true},
		{"c2C", "\xff\x7f\xff", 0, "[-1 127 255]", true},
		{"C*", "\x01\x02\x03", 1, "[2 3]", true},
		{"a3a*", "abcdef", 0, "[abc def]", true},
		{"Z5", "ab\x00cd", 0, "[ab]", true},
		{"Z*C", "ab\x00\x07", 0, "[ab 7]", true},
		{"H*", "\xab\x0f", 0, "[ab0f]", true},
		{"H3", "\xab\x0f", 0, "[ab0]", true},
		{"x2C", "\x00\x00\x09", 0, "[9]", true},
		{"e", "\x00\x00\x00\x00\x00\x00\xf8\x3f", 0, "[1.5]", true},
		{"E", "\x3f\xf8\x00\x00\x00\x00\x00\x00", 0, "[1.5]", true},
		{"N*", "\x00\x00\x00\x01\x02", 0, "[1]", true},
		{"C", "", 0, "", false},
		{"C", "a", 2, "", false},
		{"C", "a", -1, "", false},
		{"q", "a", 0, "", false},
		{"a4", "abc", 0, "", false},
	}
	for _, tc := range tests {
		values, ok := unpackBytes(tc.format, tc.data, tc.offset)
		var parts []string
		for _, v := range values {
			if f, isNum := v.(float64); isNum {
				parts = append(parts, strconv.FormatFloat(f, 'f', -1, 64))
			} else {
				parts = append(parts, fmt.Sprint(v))
			}
		}
		got := "[" + strings.Join(parts, " ") + "]"
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("unpack(%q, %q, %d) = %s, %v; want %s, %v", tc.format, tc.data, tc.offset, got, ok, tc.want, tc.ok)
		}
	}
}
