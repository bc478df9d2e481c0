package builtins

import (
	"testing"

	"github.com/halonsh/halonsh/lang/vm"
)

func TestTypeBuiltins(t *testing.T) {
	s, n, l := vStr, vNum, vList
	fn := vm.NewBuiltin("f", nil)
	obj := vm.ObjectValue(vm.NewObject(&vm.Class{Name: "K"}, nil))
	runBuiltinCases(t, []builtinCase{
		{name: "length", args: []vm.Value{l(n(1), n(2), n(3))}, want: "3"},
		{name: "length", args: []vm.Value{vAssoc("a", 1, "b", vList())}, want: "2"},
		{name: "length", args: []vm.Value{s("\xc3\xa9")}, want: "2"},
		{name: "length", args: []vm.Value{s("")}, want: "0"},
		{name: "length", args: []vm.Value{n(5)}, want: "none"},
		{name: "length", args: []vm.Value{vm.None}, want: "none"},
		{name: "length", args: nil, errPart: "expected 1 argument, got 0"},

		{name: "boolean", args: []vm.Value{n(0)}, want: "false"},
		{name: "boolean", args: []vm.Value{s("0")}, want: "true"},
		{name: "boolean", args: []vm.Value{l()}, want: "false"},
		{name: "boolean", args: []vm.Value{fn}, want: "true"},
		{name: "number", args: []vm.Value{s("0x1A")}, want: "26"},
		{name: "number", args: []vm.Value{s("12abc")}, want: "0"},
		{name: "number", args: []vm.Value{vm.True}, want: "1"},
		{name: "number", args: []vm.Value{l(n(1))}, want: "0"},
		{name: "string", args: []vm.Value{n(1.5)}, want: `"1.5"`},
		{name: "string", args: []vm.Value{vm.None}, want: `"none"`},
		{name: "string", args: []vm.Value{l(s("a"))}, want: `"[0=>\"a\"]"`},

		{name: "is_number", args: []vm.Value{n(1)}, want: "true"},
		{name: "is_number", args: []vm.Value{s("1")}, want: "false"},
		{name: "is_string", args: []vm.Value{s("1")}, want: "true"},
		{name: "is_array", args: []vm.Value{l()}, want: "true"},
		{name: "is_boolean", args: []vm.Value{n(0)}, want: "false"},
		{name: "is_function", args: []vm.Value{fn}, want: "true"},
		{name: "is_function", args: []vm.Value{s("str_upper")}, want: "false"},
		{name: "is_object", args: []vm.Value{obj}, want: "true"},
		{name: "is_object", args: []vm.Value{vm.None}, want: "false"},
	})
}
