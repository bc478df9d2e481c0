package builtins

import (
	"testing"

	"github.com/halonsh/halonsh/lang/vm"
)

func TestCSVBuiltins(t *testing.T) {
	s, n, l := vStr, vNum, vList
	noHeader := vAssoc("header", false)
	boolSchema := vAssoc("schema", vAssoc("enabled", vAssoc("type", "boolean", "true", l(s("yes")), "false", l(s("no")))))
	runBuiltinCases(t, []builtinCase{
		{name: "csv_encode", args: []vm.Value{l(s("a"), n(1.5), vm.True, vm.None)}, want: `"a,1.5,true,none"`},
		{name: "csv_encode", args: []vm.Value{l(s("a,b"), s(`say "hi"`), s("x\ny"))}, want: `"\"a,b\",\"say \"\"hi\"\"\",\"x\ny\""`},
		{name: "csv_encode", args: []vm.Value{l(s("a;b"), s("c")), vAssoc("delimiter", ";")}, want: `"\"a;b\";c"`},
		{name: "csv_encode", args: []vm.Value{l()}, want: `""`},
		{name: "csv_encode", args: []vm.Value{l(s("a")), vAssoc("delimiter", ";;")}, errPart: `option "delimiter" must be one byte`},
		{name: "csv_encode", args: []vm.Value{s("a")}, errPart: "argument 1 (values) must be an array, got string"},

		{name: "csv_decode", args: []vm.Value{s("name,age\nann,31\nbob,42\n")}, want: `[0=>["name"=>"ann","age"=>"31"],1=>["name"=>"bob","age"=>"42"]]`},
		{name: "csv_decode", args: []vm.Value{s("a,b\r\n1,2"), noHeader}, want: `[0=>[0=>"a",1=>"b"],1=>[0=>"1",1=>"2"]]`},
		{name: "csv_decode", args: []vm.Value{s("a;b\n\"x;y\";\"multi\nline\""), vAssoc("delimiter", ";")}, want: "[0=>[\"a\"=>\"x;y\",\"b\"=>\"multi\nline\"]]"},
		{name: "csv_decode", args: []vm.Value{s("")}, want: `[]`},
		{name: "csv_decode", args: []vm.Value{s("a,b\n")}, want: `[]`},
		{name: "csv_decode", args: []vm.Value{s("a,b\n1,2,3\n")}, want: "none"},
		{name: "csv_decode", args: []vm.Value{s("1,2\n3\n"), noHeader}, want: "none"},
		{name: "csv_decode", args: []vm.Value{s("a\n\"open\n")}, want: "none"},
		{name: "csv_decode", args: []vm.Value{s("enabled\nyes\nno"), boolSchema}, want: `[0=>["enabled"=>true],1=>["enabled"=>false]]`},
		{name: "csv_decode", args: []vm.Value{s("enabled\nmaybe"), boolSchema}, want: "none"},
		{name: "csv_decode", args: []vm.Value{s("n,m\n1.5,0x10\n,-2"), vAssoc("schema", vAssoc("n", vAssoc("type", "number", "nullable", true), "m", vAssoc("type", "number")))},
			want: `[0=>["n"=>1.5,"m"=>16],1=>["n"=>none,"m"=>-2]]`},
		{name: "csv_decode", args: []vm.Value{s("n\nabc"), vAssoc("schema", vAssoc("n", vAssoc("type", "number")))}, want: "none"},
		{name: "csv_decode", args: []vm.Value{s("x,NULL\n-,y"), vAssoc("header", false, "schema", vAssoc(0, vAssoc("nullable", l(s("-"))), 1, vAssoc("nullable", l(s("NULL")))))},
			want: `[0=>[0=>"x",1=>none],1=>[0=>none,1=>"y"]]`},
		{name: "csv_decode", args: []vm.Value{s("b\ntrue\nfalse"), vAssoc("schema", vAssoc("b", vAssoc("type", "boolean")))}, want: `[0=>["b"=>true],1=>["b"=>false]]`},
		{name: "csv_decode", args: []vm.Value{s("a\n1"), vAssoc("schema", vAssoc("a", vAssoc("type", "date")))}, errPart: `type must be "string", "number" or "boolean"`},
		{name: "csv_decode", args: []vm.Value{s("a\n1"), vAssoc("schema", vAssoc("a", "number"))}, errPart: `schema "a" must be an array, got string`},
		{name: "csv_decode", args: []vm.Value{s("a\n1"), vAssoc("header", "yes")}, errPart: `option "header" must be a boolean, got string`},
	})
}

func TestPackBuiltins(t *testing.T) {
	s, n, l := vStr, vNum, vList
	runBuiltinCases(t, []builtinCase{
		{name: "pack", args: []vm.Value{s("a32"), s("short key")}, want: `"short key` + repeatText(`\x00`, 23) + `"`},
		{name: "pack", args: []vm.Value{s("nC"), n(258), s("7")}, want: `"\x01\x02\a"`},
		{name: "pack", args: []vm.Value{s("N"), s("x")}, want: "none"},
		{name: "pack", args: []vm.Value{s("N"), l()}, want: "none"},
		{name: "pack", args: []vm.Value{s("a"), n(42)}, want: `"4"`},
		{name: "pack", args: []vm.Value{s("q"), n(1)}, want: "none"},
		{name: "pack", args: nil, errPart: "expected at least 1 argument, got 0"},
		{name: "unpack", args: []vm.Value{s("N*"), s("\x0a\x00\x00\x01")}, want: `[0=>167772161]`},
		{name: "unpack", args: []vm.Value{s("a2Z*"), s("abcd\x00e")}, want: `[0=>"ab",1=>"cd"]`},
		{name: "unpack", args: []vm.Value{s("C"), s("ab"), n(1)}, want: `[0=>98]`},
		{name: "unpack", args: []vm.Value{s("C"), s("ab"), n(2)}, want: "none"},
		{name: "unpack", args: []vm.Value{s("C"), s("ab"), n(-1)}, want: "none"},
		{name: "unpack", args: []vm.Value{s("N"), s("ab")}, want: "none"},
	})
}

func repeatText(s string, n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += s
	}
	return out
}
