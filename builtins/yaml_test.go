package builtins

import (
	"strings"
	"testing"

	"github.com/halonsh/halonsh/lang/vm"
)

func TestYAMLDecode(t *testing.T) {
	s := vStr
	defer func(limit int) { maxYAMLNodes = limit }(maxYAMLNodes)
	maxYAMLNodes = 10_000
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i, prev := 0, "a"; i < 8; i++ {
		name := string(rune('b' + i))
		bomb += name + ": &" + name + " [" + strings.Repeat("*"+prev+", ", 9) + "*" + prev + "]\n"
		prev = name
	}
	runBuiltinCases(t, []builtinCase{
		{name: "yaml_decode", args: []vm.Value{s("name: mx\nport: 25\nratio: 0.5\ntls: true\nnote: ~\nlist:\n  - a\n  - 2\n")},
			want: `["name"=>"mx","port"=>25,"ratio"=>0.5,"tls"=>true,"note"=>none,"list"=>[0=>"a",1=>2]]`},
		{name: "yaml_decode", args: []vm.Value{s("yes: no\n1: one\n'2': two\n1.5: x\n")}, want: `["yes"=>"no",1=>"one",2=>"two","1.5"=>"x"]`},
		{name: "yaml_decode", args: []vm.Value{s("hex: 0x1F\noct: 0o17\ninf: .inf\nstr: '12'\nnull: null\n")}, want: `["hex"=>31,"oct"=>15,"inf"=>inf,"str"=>"12","none"=>none]`},
		{name: "yaml_decode", args: []vm.Value{s("base: &b {a: 1, b: 2}\nchild:\n  <<: *b\n  b: 3\n")}, want: `["base"=>["a"=>1,"b"=>2],"child"=>["b"=>3,"a"=>1]]`},
		{name: "yaml_decode", args: []vm.Value{s("- &x hello\n- *x\n")}, want: `[0=>"hello",1=>"hello"]`},
		{name: "yaml_decode", args: []vm.Value{s("first: 1\n---\nsecond: 2\n")}, want: `["first"=>1]`},
		{name: "yaml_decode", args: []vm.Value{s("plain text")}, want: `"plain text"`},
		{name: "yaml_decode", args: []vm.Value{s("!Map {a: 1}")}, want: `["a"=>1]`},
		{name: "yaml_decode", args: []vm.Value{s("!Tag 12")}, want: "12"},
		{name: "yaml_decode", args: []vm.Value{s("")}, want: "none"},
		{name: "yaml_decode", args: []vm.Value{s("a: [1, 2")}, want: "none"},
		{name: "yaml_decode", args: []vm.Value{s("a: b: c")}, want: "none"},
		{name: "yaml_decode", args: []vm.Value{s(bomb)}, want: "none"},
		{name: "yaml_decode", args: []vm.Value{s("a: 1"), vAssoc("tags", vAssoc("!Map", "x"))}, errPart: "must be a function, got string"},
	})
}
