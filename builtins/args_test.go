package builtins

import (
	"strings"
	"testing"

	"github.com/halonsh/halonsh/lang/vm"
)

// Tests of the argument rules every builtin follows (misc_args.go).

func TestArgStringRule(t *testing.T) {
	a := newLibArgs(&vm.Call{}, []vm.Value{vStr("x"), vNum(1.5), vNum(-0), vm.True, vList(), vm.None})
	for i, want := range []string{"x", "1.5", "0"} {
		got, err := a.str(i, "p")
		if err != nil || got != want {
			t.Errorf("str(%d) = %q, %v; want %q", i, got, err, want)
		}
	}
	for i, kind := range map[int]string{3: "boolean", 4: "array", 5: "none"} {
		_, err := a.str(i, "p")
		want := "argument " + string(rune('1'+i)) + " (p) must be a string, got " + kind
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("str(%d) error = %v, want %q", i, err, want)
		}
	}
}

func TestArgNumberRule(t *testing.T) {
	accepted := map[string]float64{"3600": 3600, " 12 ": 12, "0x1A": 26, "-5": -5, "1e3": 1000, ".5": 0.5, "5.": 5, "+2": 2}
	for text, want := range accepted {
		got, err := newLibArgs(&vm.Call{}, []vm.Value{vStr(text)}).num(0, "n")
		if err != nil || got != want {
			t.Errorf("num(%q) = %v, %v; want %v", text, got, err, want)
		}
	}
	for _, text := range []string{"12abc", "", "abc", "1e", "0x", "--1", "1 2"} {
		_, err := newLibArgs(&vm.Call{}, []vm.Value{vStr(text)}).num(0, "n")
		if err == nil || !strings.Contains(err.Error(), "argument 1 (n) must be a number, got string") {
			t.Errorf("num(%q) error = %v, want a type error", text, err)
		}
	}
	for _, v := range []vm.Value{vm.True, vm.None, vList()} {
		if _, err := newLibArgs(&vm.Call{}, []vm.Value{v}).num(0, "n"); err == nil {
			t.Errorf("num(%s) accepted, want a type error", show(v))
		}
	}
	if _, err := newLibArgs(&vm.Call{}, []vm.Value{vNum(1e300)}).integer(0, "n"); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("integer(1e300) error = %v, want out of range", err)
	}
	if n, err := newLibArgs(&vm.Call{}, []vm.Value{vNum(-2.9)}).integer(0, "n"); err != nil || n != -2 {
		t.Errorf("integer(-2.9) = %d, %v; want -2 (truncated toward zero)", n, err)
	}
}

func TestArgBooleanRule(t *testing.T) {
	for _, tc := range []struct {
		v    vm.Value
		want bool
	}{{vm.True, true}, {vm.False, false}, {vNum(0), false}, {vNum(2), true}} {
		got, err := newLibArgs(&vm.Call{}, []vm.Value{tc.v}).boolean(0, "b")
		if err != nil || got != tc.want {
			t.Errorf("boolean(%s) = %v, %v; want %v", show(tc.v), got, err, tc.want)
		}
	}
	for _, v := range []vm.Value{vStr("true"), vm.None, vList()} {
		if _, err := newLibArgs(&vm.Call{}, []vm.Value{v}).boolean(0, "b"); err == nil {
			t.Errorf("boolean(%s) accepted, want a type error", show(v))
		}
	}
}

func TestOptionRules(t *testing.T) {
	opts, err := newLibArgs(&vm.Call{}, []vm.Value{vAssoc("known", "7", "unknown", vList(), "off", nil)}).options(0)
	if err != nil {
		t.Fatal(err)
	}
	if n, set, err := opts.num("known", 1); err != nil || !set || n != 7 {
		t.Errorf(`num("known") = %v, %v, %v; want 7 from the numeric string`, n, set, err)
	}
	if n, set, err := opts.num("absent", 1); err != nil || set || n != 1 {
		t.Errorf(`num("absent") = %v, %v, %v; want the default`, n, set, err)
	}
	if b, err := opts.boolean("off", true); err != nil || !b {
		t.Errorf(`boolean("off") with a none value = %v, %v; want the default`, b, err)
	}
	if _, err := opts.boolean("unknown", false); err == nil || !strings.Contains(err.Error(), `option "unknown" must be a boolean, got array`) {
		t.Errorf(`boolean("unknown") error = %v`, err)
	}

	empty, err := newLibArgs(&vm.Call{}, nil).options(0)
	if err != nil {
		t.Fatal(err)
	}
	if s, _, err := empty.str("x", "d"); err != nil || s != "d" {
		t.Errorf("absent options array: str = %q, %v; want the default", s, err)
	}
	if _, err := newLibArgs(&vm.Call{}, []vm.Value{vStr("x")}).options(0); err == nil || !strings.Contains(err.Error(), "argument 1 (options) must be an array, got string") {
		t.Errorf("options of a string: error = %v", err)
	}
}
