package builtins

import (
	"testing"

	"github.com/halonsh/halonsh/lang/vm"
)

func TestMathBuiltins(t *testing.T) {
	s, n := vStr, vNum
	runBuiltinCases(t, []builtinCase{
		{name: "abs", args: []vm.Value{n(-3.5)}, want: "3.5"},
		{name: "abs", args: []vm.Value{s("-4")}, want: "4"},
		{name: "abs", args: []vm.Value{s("four")}, errPart: "argument 1 (number) must be a number, got string"},
		{name: "ceil", args: []vm.Value{n(1.2)}, want: "2"},
		{name: "ceil", args: []vm.Value{n(-1.5)}, want: "-1"},
		{name: "floor", args: []vm.Value{n(1.9)}, want: "1"},
		{name: "floor", args: []vm.Value{n(-1.5)}, want: "-2"},

		{name: "round", args: []vm.Value{n(3.7)}, want: "4"},
		{name: "round", args: []vm.Value{n(-3.7)}, want: "-4"},
		{name: "round", args: []vm.Value{n(2.5)}, want: "3"},
		{name: "round", args: []vm.Value{n(-2.5)}, want: "-3"},
		{name: "round", args: []vm.Value{n(0.5)}, want: "1"},
		{name: "round", args: []vm.Value{n(0.49999999999999994)}, want: "0"},
		{name: "round", args: []vm.Value{n(2.567), n(2)}, want: "2.57"},
		{name: "round", args: []vm.Value{n(1.005), n(2)}, want: "1"},
		{name: "round", args: []vm.Value{n(1.5), n(1)}, want: "1.5"},
		{name: "round", args: []vm.Value{n(0.125), n(2)}, want: "0.13"},
		{name: "round", args: []vm.Value{n(-0.125), n(2)}, want: "-0.13"},
		{name: "round", args: []vm.Value{n(1234.5), n(-2)}, want: "1200"},
		{name: "round", args: []vm.Value{n(1250), n(-2)}, want: "1300"},
		{name: "round", args: []vm.Value{n(-1250), n(-2)}, want: "-1300"},
		{name: "round", args: []vm.Value{n(1e300), n(2)}, want: "1e+300"},
		{name: "round", args: []vm.Value{n(1.23), n(400)}, want: "1.23"},

		{name: "sqrt", args: []vm.Value{n(16)}, want: "4"},
		{name: "sqrt", args: []vm.Value{n(-1)}, want: "nan"},
		{name: "pow", args: []vm.Value{n(3), n(4)}, want: "81"},
		{name: "pow", args: []vm.Value{n(2), n(-1)}, want: "0.5"},
		{name: "log", args: []vm.Value{n(1)}, want: "0"},
		{name: "log", args: []vm.Value{n(0)}, want: "-inf"},
		{name: "log", args: []vm.Value{n(-1)}, want: "nan"},
		{name: "log", args: []vm.Value{n(8), n(2)}, want: "3"},
		{name: "log", args: []vm.Value{n(1000), n(10)}, want: "3"},
		{name: "log", args: []vm.Value{n(100), n(10)}, want: "2"},
		{name: "log", args: []vm.Value{n(125), n(5)}, want: "3.0000000000000004"},
		{name: "log", args: nil, errPart: "expected 1 to 2 arguments, got 0"},
	})
}

func nan() float64 {
	var zero float64
	return zero / zero
}
