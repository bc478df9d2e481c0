package builtins

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/halonsh/halonsh/lang/vm"
)

// Helpers for calling builtins directly from Go tests. Builtins that call
// back into HSL functions are tested through scripts instead.

func vStr(s string) vm.Value  { return vm.String(s) }
func vNum(f float64) vm.Value { return vm.Number(f) }

// vList returns a list of the values.
func vList(vals ...vm.Value) vm.Value {
	return vm.ArrayValue(vm.NewList(vals))
}

// vAssoc returns an array of key/value pairs: vAssoc("a", 1, 5, "x").
// String and number keys follow the HSL key rules.
func vAssoc(pairs ...any) vm.Value {
	arr := vm.NewArray(0)
	for i := 0; i+1 < len(pairs); i += 2 {
		key, err := vm.ToKey(goValue(pairs[i]))
		if err != nil {
			panic(err)
		}
		arr.Set(key, goValue(pairs[i+1]))
	}
	return vm.ArrayValue(arr)
}

// goValue converts Go test data to a value: string, float64, int, bool,
// nil (none) or a vm.Value.
func goValue(x any) vm.Value {
	switch x := x.(type) {
	case vm.Value:
		return x
	case string:
		return vm.String(x)
	case float64:
		return vm.Number(x)
	case int:
		return vm.Int(x)
	case bool:
		return vm.Bool(x)
	case nil:
		return vm.None
	}
	panic("unsupported test value")
}

// show returns a value's display form with top-level strings quoted, so
// that "1" and 1 differ in failure messages. Quoting escapes every byte
// outside printable ASCII as \xHH (or \n, \t, ...), so expectations
// spell non-ASCII text byte by byte.
func show(v vm.Value) string {
	if v.Kind() == vm.KindString {
		return quoteBytes(v.Str())
	}
	return v.String()
}

func quoteBytes(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			b.WriteString(`\"`)
		case c >= 0x80:
			b.WriteString(`\x` + strconv.FormatUint(uint64(c)|0x100, 16)[1:])
		default:
			q := strconv.QuoteRune(rune(c))
			b.WriteString(q[1 : len(q)-1])
		}
	}
	b.WriteByte('"')
	return b.String()
}

var (
	invokeLibraryOnce sync.Once
	invokeLibrary     *vm.Library
)

// callBuiltin calls a builtin outside a script through
// vm.Library.Invoke, so errors carry the function name as in a run.
func callBuiltin(t *testing.T, name string, args ...vm.Value) (vm.Value, error) {
	t.Helper()
	invokeLibraryOnce.Do(func() {
		invokeLibrary = vm.NewLibrary()
		Install(invokeLibrary)
	})
	if _, ok := registeredFuncs[name]; !ok {
		t.Fatalf("builtin %s is not registered", name)
	}
	return invokeLibrary.Invoke(name, args...)
}

// builtinCase is one call and its expected result: want is the show()
// form of the result, or errPart a substring of the expected error.
type builtinCase struct {
	name    string
	args    []vm.Value
	want    string
	errPart string
}

func runBuiltinCases(t *testing.T, cases []builtinCase) {
	t.Helper()
	for _, tc := range cases {
		got, err := callBuiltin(t, tc.name, tc.args...)
		call := tc.name + "(" + showArgs(tc.args) + ")"
		if tc.errPart != "" {
			if err == nil {
				t.Errorf("%s = %s, want an error containing %q", call, show(got), tc.errPart)
			} else if !strings.Contains(err.Error(), tc.errPart) {
				t.Errorf("%s: error %q, want one containing %q", call, err, tc.errPart)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: unexpected error %v", call, err)
			continue
		}
		if show(got) != tc.want {
			t.Errorf("%s = %s, want %s", call, show(got), tc.want)
		}
	}
}

func showArgs(args []vm.Value) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = show(a)
	}
	return strings.Join(parts, ", ")
}
