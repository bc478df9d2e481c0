package parser

import (
	"testing"
)

type parseCase struct {
	name string
	src  string
	want string // sexpr of the parsed file
}

func runParseCases(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseFile("test.hsl", []byte(tc.src))
			if err != nil {
				t.Fatalf("ParseFile(%q): %v", tc.src, err)
			}
			if got := sexpr(f); got != tc.want {
				t.Errorf("ParseFile(%q)\n got %s\nwant %s", tc.src, got, tc.want)
			}
		})
	}
}

func TestParseNumbers(t *testing.T) {
	runParseCases(t, []parseCase{
		{"decimal", "250;", "250"},
		{"leading zeros", "007;", "007"},
		{"fraction", "1.5;", "1.5"},
		{"hexadecimal", "0xfa;", "0xfa"},
		{"octal", "0o372;", "0o372"},
		{"binary", "0b11111010;", "0b11111010"},
		{"separators", "1_000_000;", "1_000_000"},
		{"concat after integer", `5."x";`, `(. 5 "x")`},
	})

	values := map[string]float64{
		"250": 250, "007": 7, "1.5": 1.5, "0xfa": 250, "0XFA": 250, "0o372": 250,
		"0b11111010": 250, "1_000_000": 1e6, "0b0010_0000": 32,
		"0x1_0000_0000_0000_0000": 18446744073709551616,
		"9007199254740993":        9007199254740992,
	}
	for src, want := range values {
		x, err := ParseExpr("n.hsl", []byte(src))
		if err != nil {
			t.Errorf("ParseExpr(%q): %v", src, err)
			continue
		}
		if got := x.(*NumberLit).Value; got != want {
			t.Errorf("value of %s = %v, want %v", src, got, want)
		}
	}
}

func TestParseStrings(t *testing.T) {
	runParseCases(t, []parseCase{
		{"plain", `"hello";`, `"hello"`},
		{"escapes", `"a\\b\"c\$d\ne\rf\tg\x41";`, `"a\\b\"c$d\ne\rf\tgA"`},
		{"multi-line", "\"a\nb\";", `"a\nb"`},
		{"raw empty delimiter", `''raw $x \n'';`, `r"raw $x \\n"`},
		{"raw named delimiter", `'EOT'it's got ''quotes'' inside'EOT';`, `r"it's got ''quotes'' inside"`},
		{"raw regex idiom", `''/[\r\n]/'';`, `r"/[\\r\\n]/"`},
		{"variable", `"a $x b";`, `(interp "a " $x " b")`},
		{"braced variable", `"${a}bc";`, `(interp $a "bc")`},
		{"element stays literal", `"$var[0]";`, `(interp $var "[0]")`},
		{"property stays literal", `"$obj->x";`, `(interp $obj "->x")`},
		{"embedded element", `"key=${$a["key"]}";`, `(interp "key=" {(index $a "key")})`},
		{"embedded call", `"n=${length($a) + 1}";`, `(interp "n=" {(+ (call length $a) 1)})`},
		{"embedded ternary with strings", `"${$n == 1 ? "item" : "items"}";`, `(interp {(? (== $n 1) "item" "items")})`},
		{"embedded method", `"${$h->upper()}";`, `(interp {(call (-> $h upper))})`},
		{"dollar without name", `"costs $5 or $";`, `"costs $5 or $"`},
		{"escaped dollar", `"\$x";`, `"$x"`},
		{"escaped dollar brace", `"\${x}";`, `"${x}"`},
		{"nested interpolation", `"a ${"b ${$x}"} c";`, `(interp "a " {(interp "b " {$x})} " c")`},
		{"raw string in interpolation", `"${f('X'a}b'X')}";`, `(interp {(call f r"a}b")})`},
		{"braces in interpolation", `"${["k" => [1]]["k"][0]}";`, `(interp {(index (index ["k"=>[1]] "k") 0)})`},
		{"regex literal", `#/ab+/i;`, `#/ab+/i`},
		{"regex escaped slash", `#/a\/b\d/;`, `#/a/b\d/`},
		{"regex no flags", `#/^x$/;`, `#/^x$/`},
	})
}

func TestParseArrays(t *testing.T) {
	runParseCases(t, []parseCase{
		{"empty", "[];", "[]"},
		{"implicit keys", "[1, 2, 3];", "[1 2 3]"},
		{"explicit keys", `["a" => 1, 5 => "b"];`, `["a"=>1 5=>"b"]`},
		{"trailing comma", "[1, 2,];", "[1 2]"},
		{"spread then key", `[...$c, "p" => $p];`, `[...$c "p"=>$p]`},
		{"array form", `array("a" => 1, 2);`, `["a"=>1 2]`},
		{"nested", "[[1], [2, [3]]];", "[[1] [2 [3]]]"},
		{"subscript of literal", "[1, 2][0];", "(index [1 2] 0)"},
	})
}

func TestParsePrecedence(t *testing.T) {
	runParseCases(t, []parseCase{
		{"multiplication over addition", "1 + 2 * 3;", "(+ 1 (* 2 3))"},
		{"left associative subtraction", "1 - 2 - 3;", "(- (- 1 2) 3)"},
		{"power right associative", "2 ** 3 ** 2;", "(** 2 (** 3 2))"},
		{"unary minus below power", "-2 ** 2;", "(- (** 2 2))"},
		{"power with unary operand", "2 ** -1;", "(** 2 (- 1))"},
		{"concat below additive", `2 + 2 . "x";`, `(. (+ 2 2) "x")`},
		{"shift below concat", `1 << 2 . 3;`, `(<< 1 (. 2 3))`},
		{"bitwise above comparison", "$f & 4 == 4;", "(== (& $f 4) 4)"},
		{"bit or below xor below and", "1 | 2 ^ 3 & 4;", "(| 1 (^ 2 (& 3 4)))"},
		{"relational above equality", "1 < 2 == 3 > 4;", "(== (< 1 2) (> 3 4))"},
		{"regex match level", `$a =~ #/x/ and $b !~ "y";`, `(and (=~ $a #/x/) (!~ $b "y"))`},
		{"and above or", "$a or $b and $c;", "(or $a (and $b $c))"},
		{"not as unary", "not $a and $b;", "(and (! $a) $b)"},
		{"isset and ternary", `$x = isset($p) and $p["t"] ? "a" : "b";`, `(= $x (? (and (isset $p) (index $p "t")) "a" "b"))`},
		{"coalesce right associative", `$a ?? $b ?? "d";`, `(?? $a (?? $b "d"))`},
		{"coalesce below or", "$a or $b ?? $c;", "(?? (or $a $b) $c)"},
		{"ternary right associative", "$a ? 1 : $b ? 2 : 3;", "(? $a 1 (? $b 2 3))"},
		{"elvis one token", "$a ?: $b;", "(?: $a $b)"},
		{"elvis two tokens", "$a ? : $b;", "(?: $a $b)"},
		{"elvis chain", "$a ?: $b ?: $c;", "(?: $a (?: $b $c))"},
		{"assignment right associative", "$a = $b = 3;", "(= $a (= $b 3))"},
		{"assignment in ternary middle", "$c ? $x = 1 : 2;", "(? $c (= $x 1) 2)"},
		{"parentheses", "(1 + 2) * 3;", "(* (+ 1 2) 3)"},
		{"bitwise not", "~$a & 1;", "(& (~ $a) 1)"},
		{"unsigned shift", "$a >>> 2;", "(>>> $a 2)"},
		{"strict comparisons", "$a === $b !== $c;", "(!== (=== $a $b) $c)"},
		{"modulo and division", "7 % 3 / 2;", "(/ (% 7 3) 2)"},
		{"unary plus", "+$a;", "(+ $a)"},
	})
}

func TestParseAssignments(t *testing.T) {
	runParseCases(t, []parseCase{
		{"compound", `$a += 1; $b .= "x"; $c **= 2; $d %= 3;`, `(+= $a 1) (.= $b "x") (**= $c 2) (%= $d 3)`},
		{"element", `$a["k"]["j"] = 1;`, `(= (index (index $a "k") "j") 1)`},
		{"append", "$a[] = 1;", "(= (index $a) 1)"},
		{"nested append", `$a["x"][] = 1;`, `(= (index (index $a "x")) 1)`},
		{"slice assignment", "$a[1:3] = [9];", "(= (slice $a 1 3 _) [9])"},
		{"property", "$this->n = 0;", "(= (-> $this n) 0)"},
		{"static property", "Counter::$created += 1;", "(+= Counter::$created 1)"},
		{"prefix and postfix", "++$i; $i--; --$a[0]; $o->n++;", "(++pre $i) (post-- $i) (--pre (index $a 0)) (post++ (-> $o n))"},
		{"assignment value", "if (($r = f()) > 5) {}", "(if (> (= $r (call f)) 5) {})"},
		{"destructure positional", `[$a, $b, $c = "z"] = $x;`, `(destructure [$a $b $c="z"] $x)`},
		{"destructure rest", "[$x, ...$rest] = [5, 6];", "(destructure [$x ...$rest] [5 6])"},
		{"destructure keyed", `["code" => $code = 0, "lines" => $l] = $r;`, `(destructure keyed["code"=>$code=0 "lines"=>$l] $r)`},
		{"destructure swap", "[$a, $b] = [$b, $a];", "(destructure [$a $b] [$b $a])"},
	})
}

func TestParsePostfix(t *testing.T) {
	runParseCases(t, []parseCase{
		{"index chain", `$a["x"][0];`, `(index (index $a "x") 0)`},
		{"slice low high", "$s[1:4];", "(slice $s 1 4 _)"},
		{"slice open high", "$s[-3:];", "(slice $s (- 3) _ _)"},
		{"slice open low", "$s[:2];", "(slice $s _ 2 _)"},
		{"slice whole", "$s[:];", "(slice $s _ _ _)"},
		{"slice reverse with scope token", "$s[::-1];", "(slice $s _ _ (- 1))"},
		{"slice step with scope token", "$s[1::2];", "(slice $s 1 _ 2)"},
		{"slice all three", "$s[1:9:2];", "(slice $s 1 9 2)"},
		{"slice empty step", "$s[1:2:];", "(slice $s 1 2 _)"},
		{"slice of string literal", `"Halon"[1:4];`, `(slice "Halon" 1 4 _)`},
		{"method chain", "$c->inc()->get();", "(call (-> (call (-> $c inc)) get))"},
		{"call of element", `$obj["m"]();`, `(call (index $obj "m"))`},
		{"call of parenthesised", "($f)(1);", "(call $f 1)"},
		{"immediate call", `function ($n) { return $n; }("x");`, `(call (function ($n) {(return $n)}) "x")`},
		{"spread arguments", "f(1, ...$a, ...$b,);", "(call f 1 ...$a ...$b)"},
		{"scoped call", "ns::func(1);", "(call ns::func 1)"},
		{"static call", "static::made();", "(call static::made)"},
		{"scoped variable", "ns::$var;", "ns::$var"},
		{"class construct", `Counter("a")->inc();`, `(call (-> (call Counter "a") inc))`},
		{"function value", "$f = strlen;", "(= $f strlen)"},
	})
}

func TestParseSpecialForms(t *testing.T) {
	runParseCases(t, []parseCase{
		{"anonymous function", "$f = function ($a, $b = 2, ...$r) { return $a; };", "(= $f (function ($a $b=2 ...$r) {(return $a)}))"},
		{"closure", "$f = function () closure ($n, $m) { $n += 1; };", "(= $f (function () closure ($n $m) {(+= $n 1)}))"},
		{"closure without captures", "function () closure () {};", "(function () closure () {})"},
		{"match", `match ($x) { 1, 2 => "a", default => "z", };`, `(match $x (1 2 => "a") (default => "z"))`},
		{"match in expression", `$y = match (true) { $a > 1 => 1, default => 0 };`, `(= $y (match true ((> $a 1) => 1) (default => 0)))`},
		{"isset path", `isset($a["k"]["j"]);`, `(isset (index (index $a "k") "j"))`},
		{"isset property", "isset($o->p);", "(isset (-> $o p))"},
		{"unset slice", "unset($a[1:2]);", "(unset (slice $a 1 2 _))"},
		{"unset element", `unset($a["k"]);`, `(unset (index $a "k"))`},
		{"builtin call", "builtin strlen($s);", "(call (builtin strlen) $s)"},
		{"builtin value", "$f = builtin strlen;", "(= $f (builtin strlen))"},
		{"cache", `$l = cache ["ttl" => 300] load("x");`, `(= $l (cache ["ttl"=>300] load "x"))`},
		{"cache builtin", "cache [] builtin dns_query($d);", "(cache [] (builtin dns_query) $d)"},
		{"cache scoped", "cache array() ns::f(1, 2);", "(cache [] ns::f 1 2)"},
		{"none true false", "[none, true, false];", "[none true false]"},
	})
}

func TestParseStatements(t *testing.T) {
	runParseCases(t, []parseCase{
		{"echo", "echo 1;", "(echo 1)"},
		{"if else if", "if ($a) echo 1; else if ($b) echo 2; else { echo 3; }", "(if $a (echo 1) else (if $b (echo 2) else {(echo 3)}))"},
		{"while", "while ($i < 3) $i++;", "(while (< $i 3) (post++ $i))"},
		{"forever", "forever { break; }", "(forever {(break)})"},
		{"for", "for ($i = 0; $i < 3; $i++) continue;", "(for (= $i 0) (< $i 3) (post++ $i) (continue))"},
		{"for empty clauses", "for (;;) { break }", "(for _ _ _ {(break)})"},
		{"foreach value", "foreach ($a as $v) {}", "(foreach $a $v {})"},
		{"foreach key value", "foreach ($a as $k => $v) echo $k;", "(foreach $a $k=>$v (echo $k))"},
		{"switch fallthrough", `switch ($x) { case 1: case 2: echo "a"; break; default: echo "d"; }`,
			`(switch $x (case 1:) (case 2: (echo "a") (break)) (default: (echo "d")))`},
		{"switch default first", `switch ($x) { default: case "a": echo 1 }`, `(switch $x (default:) (case "a": (echo 1)))`},
		{"return bare", "function f() { return; }", "(function f () {(return)})"},
		{"return without semicolon", "function f($x) { return $x * 2 }", "(function f ($x) {(return (* $x 2))})"},
		{"global", "function f() { global $a, $b; }", "(function f () {(global $a $b)})"},
		{"throw", `throw Exception("x");`, `(throw (call Exception "x"))`},
		{"try catch", "try { f(); } catch ($e) { echo $e; }", "(try {(call f)} $e {(echo $e)})"},
		{"barrier", `barrier "counter" => $n { $n = 1; }`, `(barrier "counter" => $n {(= $n 1)})`},
		{"barrier without variable", `barrier "x" . $id { f(); }`, `(barrier (. "x" $id) {(call f)})`},
		{"empty statements", ";;{}", "; ; {}"},
		{"include", `include "file://a.hsl"; include_once 'X'b.hsl'X';`, `(include "file://a.hsl") (include_once r"b.hsl")`},
		{"comments", "// line\necho /* inline */ 1; /* multi\nline */", "(echo 1)"},
		{"crlf line ends", "echo 1;\r\necho 2;\r\n", "(echo 1) (echo 2)"},
	})
}

func TestParseImports(t *testing.T) {
	runParseCases(t, []parseCase{
		{"names", `import { foo, bar as baz, $x, $y as $z } from "module.hsl";`, `(import foo bar as baz $x $y as $z from "module.hsl")`},
		{"trailing comma", `import { a, } from "m.hsl";`, `(import a from "m.hsl")`},
		{"wildcard", `import * as ns from "extras://ns";`, `(import * as ns from "extras://ns")`},
		{"data", `import $config from "inc/config.json";`, `(import $config from "inc/config.json")`},
		{"data with options", `import $lines from "txt!a.txt" with ["array" => true];`, `(import $lines from "txt!a.txt" with ["array"=>true])`},
		{"raw path", `import { a } from ''./a.hsl'';`, `(import a from r"./a.hsl")`},
		{"last before brace", `{ import { a } from "m.hsl" }`, `{(import a from "m.hsl")}`},
	})
}

func TestParseDeclarations(t *testing.T) {
	runParseCases(t, []parseCase{
		{"function", "function add($a, $b = 1) { return $a + $b; }", "(function add ($a $b=1) {(return (+ $a $b))})"},
		{"variadic", "function f(...$rest) {}", "(function f (...$rest) {})"},
		{"trailing comma parameter", "function f($a,) {}", "(function f ($a) {})"},
		{"nested function", "function f() { function g() {} }", "(function f () {(function g () {})})"},
		{"class", `class Counter {
    private $n = 0;
    readonly $name = "c";
    static $created = 0;
    $plain;
    constructor($name = "c") { $this->name = $name; }
    function inc() { $this->n += 1; return $this; }
    static function made() { return static::$created; }
    private static function reset() {}
}`, `(class Counter (var private $n 0) (var readonly $name "c") (var static $created 0) (var $plain) ` +
			`(constructor ($name="c") {(= (-> $this name) $name)}) (method inc () {(+= (-> $this n) 1) (return $this)}) ` +
			`(method static made () {(return static::$created)}) (method private static reset () {}))`},
		{"class in function", "function f() { class A {} }", "(function f () {(class A)})"},
	})
}

// TestParseLibraryIdioms covers constructs that published HSL modules and
// hook scripts use, written afresh for this test.
func TestParseLibraryIdioms(t *testing.T) {
	runParseCases(t, []parseCase{
		{"cache static method", `cache ["ttl" => 0, "argv_filter" => [1],] Store::get($k, none);`,
			`(cache ["ttl"=>0 "argv_filter"=>[1]] Store::get $k none)`},
		{"cache result indexed", `cache [] lookup($d)["result"] ?? [];`, `(?? (index (cache [] lookup $d) "result") [])`},
		{"return multi-line array", "function f() { if (!$x) return [\n\"status\" => \"fail\",\n\"error\" => \"x ($i)\",\n]; }",
			`(function f () {(if (! $x) (return ["status"=>"fail" "error"=>(interp "x (" $i ")")]))})`},
		{"raw string pattern argument", `pcre_match(''^i\s*=\s*([0-9]+)$'', $h);`, `(call pcre_match r"^i\\s*=\\s*([0-9]+)$" $h)`},
		{"static call chain index", `static::taglist($h)["p"];`, `(index (call static::taglist $h) "p")`},
		{"spread carry with match value", `[...$carry, $k => match ($k) { "a" => 1, default => $v }];`,
			`[...$carry $k=>(match $k ("a" => 1) (default => $v))]`},
		{"closure in call argument", "array_reduce(function ($c, $v) closure ($m) { return $c + $v * 256 ** --$m; }, $u, 0);",
			"(call array_reduce (function ($c $v) closure ($m) {(return (+ $c (* $v (** 256 (--pre $m)))))}) $u 0)"},
		{"negative slice bound", `array_join($labels[-$i:], ".");`, `(call array_join (slice $labels (- $i) _ _) ".")`},
		{"elvis after call", `$s = get(str_split($x, ":", 2)[1]) ?: $s;`, `(= $s (?: (call get (index (call str_split $x ":" 2) 1)) $s))`},
		{"regex match in return", `return $tag === "b" or $tag =~ #/^b-.+$/;`, `(return (or (=== $tag "b") (=~ $tag #/^b-.+$/)))`},
		{"header append of pair", `$headers[] = ["X-Seal", "i=$i; cv=$cv;\r\n\tb="];`, `(= (index $headers) ["X-Seal" (interp "i=" $i "; cv=" $cv ";\r\n\tb=")])`},
		{"object method on element", `$mime->getHeaders("ARC-Seal", ["field" => true])[0];`, `(index (call (-> $mime getHeaders) "ARC-Seal" ["field"=>true]) 0)`},
		{"context function call", `Queue($arguments["mail"], ["transportid" => "mx"]);`, `(call Queue (index $arguments "mail") ["transportid"=>"mx"])`},
		{"import from extras", `import { Cassandra } from "extras://cassandra";`, `(import Cassandra from "extras://cassandra")`},
		{"import eml data", `import $mail from "test.eml";`, `(import $mail from "test.eml")`},
	})
}
