package builtins

import (
	"testing"

	"github.com/halonsh/halonsh/lang/vm"
)

func TestStringBuiltins(t *testing.T) {
	s, n, l := vStr, vNum, vList
	runBuiltinCases(t, []builtinCase{
		{name: "chr", args: []vm.Value{n(65)}, want: `"A"`},
		{name: "chr", args: []vm.Value{n(0)}, want: `"\x00"`},
		{name: "chr", args: []vm.Value{n(255.9)}, want: `"\xff"`},
		{name: "chr", args: []vm.Value{s("66")}, want: `"B"`},
		{name: "chr", args: []vm.Value{n(256)}, errPart: "between 0 and 255"},
		{name: "chr", args: []vm.Value{n(-1)}, errPart: "between 0 and 255"},
		{name: "chr", args: []vm.Value{l()}, errPart: "argument 1 (number) must be a number, got array"},
		{name: "chr", args: nil, errPart: "expected 1 argument, got 0"},

		{name: "ord", args: []vm.Value{s("A")}, want: "65"},
		{name: "ord", args: []vm.Value{s("\xffx")}, want: "255"},
		{name: "ord", args: []vm.Value{s("")}, want: "none"},
		{name: "ord", args: []vm.Value{n(7)}, want: "55"},

		{name: "str_repeat", args: []vm.Value{s("ab"), n(3)}, want: `"ababab"`},
		{name: "str_repeat", args: []vm.Value{s("ab"), n(2.9)}, want: `"abab"`},
		{name: "str_repeat", args: []vm.Value{s("ab"), n(0)}, want: `""`},
		{name: "str_repeat", args: []vm.Value{s("ab"), n(-3)}, want: `""`},
		{name: "str_repeat", args: []vm.Value{s("ab"), s("2")}, want: `"abab"`},
		{name: "str_repeat", args: []vm.Value{s("ab"), s("x")}, errPart: "argument 2 (multiplier) must be a number, got string"},
		{name: "str_repeat", args: []vm.Value{s("ab"), n(1e12)}, errPart: "memory limit"},

		{name: "str_replace", args: []vm.Value{s("old"), s("new"), s("old mail, old queue")}, want: `"new mail, new queue"`},
		{name: "str_replace", args: []vm.Value{s(""), s("x"), s("abc")}, want: `"abc"`},
		{name: "str_replace", args: []vm.Value{s("aa"), s("b"), s("aaa")}, want: `"ba"`},
		{name: "str_replace", args: []vm.Value{n(1), n(2), n(121)}, want: `"222"`},

		{name: "str_split", args: []vm.Value{s("a,b,,c"), s(",")}, want: `[0=>"a",1=>"b",2=>"",3=>"c"]`},
		{name: "str_split", args: []vm.Value{s("how are you"), s(" "), n(2)}, want: `[0=>"how",1=>"are you"]`},
		{name: "str_split", args: []vm.Value{s("how are you"), s(" "), n(-2)}, want: `[0=>"how are",1=>"you"]`},
		{name: "str_split", args: []vm.Value{s("how are you"), s(" "), n(1)}, want: `[0=>"how are you"]`},
		{name: "str_split", args: []vm.Value{s("how are you"), s(" "), n(-1)}, want: `[0=>"how are you"]`},
		{name: "str_split", args: []vm.Value{s("how are you"), s(" "), n(5)}, want: `[0=>"how",1=>"are",2=>"you"]`},
		{name: "str_split", args: []vm.Value{s(""), s(",")}, want: `[0=>""]`},
		{name: "str_split", args: []vm.Value{s("abc"), s("")}, want: `[0=>"a",1=>"b",2=>"c"]`},
		{name: "str_split", args: []vm.Value{s("abc"), s(""), n(2)}, want: `[0=>"a",1=>"bc"]`},
		{name: "str_split", args: []vm.Value{s("a,b"), l(s(","))}, errPart: "str_split(): argument 2 (delimiter) must be a string, got array"},
		{name: "str_split", args: []vm.Value{s("a")}, errPart: "str_split(): expected 2 to 3 arguments, got 1"},

		{name: "str_find", args: []vm.Value{s("hello"), s("l")}, want: "2"},
		{name: "str_find", args: []vm.Value{s("hello"), s("z")}, want: "-1"},
		{name: "str_find", args: []vm.Value{s("abcabc"), s("b"), n(2)}, want: "4"},
		{name: "str_find", args: []vm.Value{s("abcabc"), s("b"), n(-2)}, want: "4"},
		{name: "str_find", args: []vm.Value{s("abcabc"), s("b"), n(-100)}, want: "1"},
		{name: "str_find", args: []vm.Value{s("abc"), s("a"), n(9)}, want: "-1"},
		{name: "str_find", args: []vm.Value{s("abc"), s(""), n(2)}, want: "2"},
		{name: "str_find", args: []vm.Value{s("abc"), s(""), n(-1)}, want: "2"},
		{name: "str_find", args: []vm.Value{s("abc"), s(""), n(9)}, want: "3"},

		{name: "str_rfind", args: []vm.Value{s("hello"), s("l")}, want: "3"},
		{name: "str_rfind", args: []vm.Value{s("hello"), s("l"), n(2)}, want: "2"},
		{name: "str_rfind", args: []vm.Value{s("hello"), s("l"), n(3)}, want: "-1"},
		{name: "str_rfind", args: []vm.Value{s("hello"), s("z")}, want: "-1"},
		{name: "str_rfind", args: []vm.Value{s("hello"), s("")}, want: "5"},
		{name: "str_rfind", args: []vm.Value{s("ab"), s("abc")}, want: "-1"},

		{name: "str_lower", args: []vm.Value{s("HeLLo 123 \xc3\x89")}, want: `"hello 123 \xc3\x89"`},
		{name: "str_upper", args: []vm.Value{s("mixed Case!")}, want: `"MIXED CASE!"`},

		{name: "str_slice", args: []vm.Value{s("Halon"), n(1), n(3)}, want: `"alo"`},
		{name: "str_slice", args: []vm.Value{s("Halon"), n(2)}, want: `"lon"`},
		{name: "str_slice", args: []vm.Value{s("Halon"), n(-3)}, want: `"lon"`},
		{name: "str_slice", args: []vm.Value{s("Halon"), n(-3), n(2)}, want: `"lo"`},
		{name: "str_slice", args: []vm.Value{s("Halon"), n(1), n(-1)}, want: `"alo"`},
		{name: "str_slice", args: []vm.Value{s("Halon"), n(1), n(-9)}, want: `""`},
		{name: "str_slice", args: []vm.Value{s("Halon"), n(9)}, want: `""`},
		{name: "str_slice", args: []vm.Value{s("Halon"), n(-9), n(2)}, want: `"Ha"`},
		{name: "str_slice", args: []vm.Value{s("Halon"), n(1), n(0)}, want: `""`},
		{name: "str_slice", args: []vm.Value{s("Halon"), n(3), n(99)}, want: `"on"`},

		{name: "str_strip", args: []vm.Value{s("  hi there \t\r\n")}, want: `"hi there"`},
		{name: "str_strip", args: []vm.Value{s("   ")}, want: `""`},
		{name: "str_strip", args: []vm.Value{s("xxhixx"), s("x")}, want: `"hi"`},
		{name: "str_strip", args: []vm.Value{s("\xc3\xa9a\xc3"), s("\xc3")}, want: `"\xa9a"`},
		{name: "str_lstrip", args: []vm.Value{s("  a  ")}, want: `"a  "`},
		{name: "str_rstrip", args: []vm.Value{s("  a  ")}, want: `"  a"`},
		{name: "str_strip", args: []vm.Value{s("\v a \v")}, want: `"\v a \v"`},

		{name: "str_chunk", args: []vm.Value{s("abcdefg"), n(3)}, want: `[0=>"abc",1=>"def",2=>"g"]`},
		{name: "str_chunk", args: []vm.Value{s("abcdefg"), n(3), n(1)}, want: `[0=>"a",1=>"bcd",2=>"efg"]`},
		{name: "str_chunk", args: []vm.Value{s(""), n(3)}, want: `[]`},
		{name: "str_chunk", args: []vm.Value{s("abc"), n(0)}, errPart: "must be positive"},
		{name: "str_chunk", args: []vm.Value{s("abc"), n(2), n(0)}, errPart: "must be positive"},
	})
}
