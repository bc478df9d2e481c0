package parser

import (
	"errors"
	"strings"
	"testing"
)

// syntaxErrorCases are malformed inputs with the exact error each must
// produce, position included (the file name "t.hsl" is left out).
var syntaxErrorCases = []struct {
	src  string
	want string
}{
	{"echo \"abc;\n", "1:6: syntax error: unterminated string"},
	{"echo 1\necho 2;", "2:1: syntax error: unexpected reserved word 'echo', expected ';'"},
	{"echo 1;\n}\n", "2:1: syntax error: unexpected '}', expected expression"},
	{"echo \"${$a[\";\n", "1:7: syntax error: unterminated interpolation '${', expected '}'"},
	{"echo \"${}\";", "1:9: syntax error: unexpected '}', expected expression"},
	{"echo \"${$a +}\";", "1:13: syntax error: unexpected '}', expected expression"},
	{"function if() {}", "1:10: syntax error: unexpected reserved word 'if', expected function name"},
	{"function f($a, $b { }", "1:19: syntax error: unexpected '{', expected ',' or ')'"},
	{"class A { echo 1; }", "1:11: syntax error: unexpected reserved word 'echo', expected class member or '}'"},
	{"class switch {}", "1:7: syntax error: unexpected reserved word 'switch', expected class name"},
	{"$a && $b;", "1:4: syntax error: unexpected '&&', use 'and' instead of '&&'"},
	{"$a || $b;", "1:4: syntax error: unexpected '||', use 'or' instead of '||'"},
	{"$a ??= 1;", "1:4: syntax error: unexpected '??=', HSL has no '??=' operator; write $x = $x ?? value"},
	{"$a &= 1;", "1:4: syntax error: unexpected '&=', HSL has no '&=' operator; write $x = $x & n"},
	{"1e3;", "1:1: syntax error: invalid number literal '1e3'"},
	{"1.2.3;", "1:1: syntax error: invalid number literal '1.2.3'"},
	{"1_;", "1:1: syntax error: invalid number literal '1_'"},
	{"0x;", "1:1: syntax error: invalid number literal '0x'"},
	{"'abc;", "1:1: syntax error: unterminated raw string"},
	{"/* never closed", "1:1: syntax error: unterminated block comment"},
	{"#/abc/g;", "1:7: syntax error: invalid regex flag 'g', expected one of imsuxUX"},
	{"#/abc/ii;", "1:8: syntax error: duplicate regex flag 'i'"},
	{"#abc;", "1:1: syntax error: unexpected '#', expected statement ('#' only starts a regex literal #/.../; comments use // or /* */)"},
	{"echo \"\\d\";", "1:7: syntax error: invalid escape sequence '\\d' (valid escapes are \\\\ \\\" \\$ \\n \\r \\t \\xHH; use a raw string or a regex literal for other backslashes)"},
	{"echo \"\\x4\";", "1:7: syntax error: invalid escape sequence '\\x': expected exactly two hexadecimal digits"},
	{"$a + 1 = 2;", "1:1: syntax error: cannot assign to an operator expression"},
	{"f() = 1;", "1:1: syntax error: cannot assign to a function call"},
	{"$a[] + 1;", "1:4: syntax error: unexpected ']', expected expression (an empty index '[]' appends and may only stand left of '=')"},
	{"isset(f());", "1:7: syntax error: isset() needs a variable, element or property, not a function call"},
	{"[$a, \"k\" => $b] = $x;", "1:6: syntax error: cannot mix keyed and positional items in a destructuring pattern"},
	{"[...$r, $a] = $x;", "1:2: syntax error: rest item ...$r must be the last item of the pattern"},
	{"foreach ($a as 1) {}", "1:16: syntax error: unexpected number 1, expected variable"},
	{"if $a {}", "1:4: syntax error: unexpected variable '$a', expected '('"},
	{"while ($a {}", "1:11: syntax error: unexpected '{', expected ')'"},
	{"switch ($a) { echo 1; }", "1:15: syntax error: unexpected reserved word 'echo', expected 'case', 'default' or '}'"},
	{"switch ($a) { default: default: }", "1:24: syntax error: duplicate 'default' in switch"},
	{"try {} catch {}", "1:14: syntax error: unexpected '{', expected '('"},
	{"import { a } from \"x\" with [];", "1:19: syntax error: only a data import 'import $var from \"file\"' takes 'with' options"},
	{"import { a } from \"$x.hsl\";", "1:19: syntax error: a module path must be a constant string without interpolation"},
	{"import { $a as b } from \"x\";", "1:16: syntax error: variable $a must be imported as a variable, not as 'b'"},
	{"include $x;", "1:9: syntax error: unexpected variable '$x', expected string"},
	{"$o->class;", "1:5: syntax error: unexpected reserved word 'class', expected property name"},
	{"yield 1;", "1:1: syntax error: reserved keyword 'yield' has no meaning yet and cannot be used"},
	{"$o = object;", "1:6: syntax error: reserved keyword 'object' has no meaning yet and cannot be used"},
	{"$c = new Counter();", "1:10: syntax error: unexpected name 'Counter', expected ';' (HSL has no 'new': write Counter(...) to create an object)"},
	{"function f($a = 1, $b) {}", "1:20: syntax error: required parameter $b follows a parameter with a default value"},
	{"function f(...$a, $b) {}", "1:12: syntax error: variadic parameter $a must be the last parameter"},
	{"class A { readonly function f() {} }", "1:11: syntax error: a method cannot be readonly"},
	{"class A { private private $x; }", "1:19: syntax error: duplicate modifier 'private'"},
	{"cache [] $f();", "1:10: syntax error: unexpected variable '$f', expected function name (cache calls a named function)"},
	{"match ($x) { 1 => 2 3 => 4 }", "1:21: syntax error: unexpected number 3, expected ',' or '}'"},
	{"$x = 5 @ 3;", "1:8: syntax error: unexpected character '@'"},
	{"echo é;", "1:6: syntax error: unexpected non-ASCII byte 0xc3; non-ASCII text belongs in strings and comments"},
	{"static $x;", "1:8: syntax error: unexpected variable '$x', expected '::' after 'static'"},
	{"$ = 1;", "1:1: syntax error: unexpected '$', expected a variable name"},
	{"echo [1, 2;", "1:11: syntax error: unexpected ';', expected ',' or ']'"},
	{"function () {}", "1:15: syntax error: unexpected end of file, expected ';'"},
	{"else {}", "1:1: syntax error: unexpected reserved word 'else', expected statement"},
	{"echo ;", "1:6: syntax error: unexpected ';', expected expression"},
	{"for ($i = 0, $j = 0; ;) {}", "1:12: syntax error: unexpected ',', expected ';'"},
	{"$a = array(1, 2;", "1:16: syntax error: unexpected ';', expected ',' or ')'"},
	{"echo 1 ? 2;", "1:11: syntax error: unexpected ';', expected ':'"},
	{"break", "1:6: syntax error: unexpected end of file, expected ';'"},
	{"1 = 2;", "1:1: syntax error: cannot assign to a literal"},
	{"[1] += 1;", "1:1: syntax error: cannot assign to an array literal"},
	{"f = 1;", "1:1: syntax error: cannot assign to function name 'f'"},
	{"ns::f = 1;", "1:1: syntax error: cannot assign to 'ns::f'"},
	{"($a = 1) = 2;", "1:2: syntax error: cannot assign to an assignment"},
	{"($a ?: $b) = 1;", "1:2: syntax error: cannot assign to a conditional expression"},
	{"f()[0] = 1;", "1:1: syntax error: cannot assign to an element of a value that is not a variable"},
	{"-$a = 1;", "1:1: syntax error: cannot assign to an operator expression"},
	{"$a++ = 1;", "1:1: syntax error: cannot assign to an increment or decrement"},
	{"import { a }", "1:13: syntax error: unexpected end of file, expected 'from'"},
	{"import", "1:7: syntax error: unexpected end of file, expected '{', '*' or variable"},
	{"import { a } from", "1:18: syntax error: unexpected end of file, expected string"},
	{"include", "1:8: syntax error: unexpected end of file, expected string"},
	{"import $d from \"x.csv\" with 5;", "1:29: syntax error: unexpected number 5, expected options array after 'with'"},
	{"echo \"abc\" \"a very long string literal that goes on\";", "1:12: syntax error: unexpected string \"a very long string lite..., expected ';'"},
	{"$x = \"${)}\";", "1:9: syntax error: unexpected ')' in interpolation '${', expected '}'"},
	{"function f() { class 5 {} }", "1:22: syntax error: unexpected number 5, expected class name"},
	{"Foo::;", "1:6: syntax error: unexpected ';', expected name or variable after '::'"},
	{"$a[1 2];", "1:6: syntax error: unexpected number 2, expected ']' or ':'"},
	{"[] = $x;", "1:1: syntax error: empty destructuring pattern, expected at least one variable"},
	{"[$a + 1] = $x;", "1:5: syntax error: invalid destructuring item, expected a variable"},
	{"[...f()] = $x;", "1:6: syntax error: invalid rest item, expected '...$name'"},
	{"$a = [1,\n  2\n  3];", "3:3: syntax error: unexpected number 3, expected ',' or ']'"},
	{"if ($a) {\n  echo 1;\n", "3:1: syntax error: unexpected end of file, expected '}'"},
	{"echo \"line\nstill ${$x +} here\";", "2:13: syntax error: unexpected '}', expected expression"},
	{"\techo\t$a\t$b;", "1:10: syntax error: unexpected variable '$b', expected ';'"},
	{"$a = 1;\r\n$b = ;\r\n", "2:6: syntax error: unexpected ';', expected expression"},
}

func TestNestingLimit(t *testing.T) {
	src := "$a = " + strings.Repeat("(", maxDepth+100) + "1" + strings.Repeat(")", maxDepth+100) + ";"
	_, err := ParseFile("t.hsl", []byte(src))
	if err == nil {
		t.Fatal("deeply nested expression parsed, want a nesting error")
	}
	if want := "nesting deeper than 1000 levels"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}

	src = "echo \"" + strings.Repeat("${\"", maxDepth+10) + strings.Repeat("\"}", maxDepth+10) + "\";"
	if _, err := ParseFile("t.hsl", []byte(src)); err == nil || !strings.Contains(err.Error(), "interpolations nested deeper than 1000 levels") {
		t.Errorf("deeply nested interpolation: error %v, want the interpolation nesting error", err)
	}
}

func TestSyntaxErrors(t *testing.T) {
	for _, tc := range syntaxErrorCases {
		_, err := ParseFile("t.hsl", []byte(tc.src))
		if err == nil {
			t.Errorf("ParseFile(%q) succeeded, want %q", tc.src, tc.want)
			continue
		}
		want := "t.hsl:" + tc.want
		if got := err.Error(); got != want {
			t.Errorf("ParseFile(%q)\n got %s\nwant %s", tc.src, got, want)
		}

		var list ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Errorf("ParseFile(%q) error %T is not a non-empty ErrorList", tc.src, err)
			continue
		}
		if strings.Contains(list[0].Msg, "\n") {
			t.Errorf("ParseFile(%q) message spans lines: %q", tc.src, list[0].Msg)
		}
	}
}

func TestErrorListFormat(t *testing.T) {
	list := ErrorList{
		{Pos: Pos{File: "a.hsl", Line: 1, Col: 2}, Msg: "unexpected '}', expected expression"},
		{Pos: Pos{File: "a.hsl", Line: 3, Col: 4}, Msg: "unterminated string"},
	}
	want := "a.hsl:1:2: syntax error: unexpected '}', expected expression\n" +
		"a.hsl:3:4: syntax error: unterminated string"
	if got := list.Error(); got != want {
		t.Errorf("ErrorList.Error() = %q, want %q", got, want)
	}
}

func TestSyntaxErrorRecovery(t *testing.T) {
	src := "echo 1 +;\n" +
		"$a = [1, 2;\n" +
		"function f() {\n" +
		"    $x = ;\n" +
		"    echo \"ok\";\n" +
		"    $y = 1 2;\n" +
		"}\n" +
		"}\n" +
		"if ($a { echo 1; }\n" +
		"for ($i = 0, $j = 0; $i < 1; $i++) { echo 2; }\n" +
		"echo 3;\n"
	want := []string{
		"m.hsl:1:9: syntax error: unexpected ';', expected expression",
		"m.hsl:2:11: syntax error: unexpected ';', expected ',' or ']'",
		"m.hsl:4:10: syntax error: unexpected ';', expected expression",
		"m.hsl:6:12: syntax error: unexpected number 2, expected ';'",
		"m.hsl:8:1: syntax error: unexpected '}', expected expression",
		"m.hsl:9:8: syntax error: unexpected '{', expected ')'",
		"m.hsl:10:12: syntax error: unexpected ',', expected ';'",
	}

	_, err := ParseFile("m.hsl", []byte(src))
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error %v is not an ErrorList", err)
	}
	if len(list) != len(want) {
		t.Errorf("got %d errors, want %d:\n%v", len(list), len(want), err)
	}
	for i := range min(len(list), len(want)) {
		if got := list[i].Error(); got != want[i] {
			t.Errorf("error %d = %q, want %q", i, got, want[i])
		}
	}
}

func TestSyntaxErrorLimit(t *testing.T) {
	src := strings.Repeat("echo ;\n", 3*maxErrors)
	_, err := ParseFile("m.hsl", []byte(src))
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error %v is not an ErrorList", err)
	}
	if len(list) != maxErrors {
		t.Errorf("got %d errors, want the limit of %d", len(list), maxErrors)
	}
	if last := list[len(list)-1]; last.Pos.Line != maxErrors {
		t.Errorf("last error on line %d, want %d", last.Pos.Line, maxErrors)
	}
}
