package compile_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/halonsh/halonsh/lang/compile"
	"github.com/halonsh/halonsh/lang/vm"
)

func lib() *vm.Library {
	l := vm.NewLibrary()
	l.Define("length", func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		if a := args[0].Array(); a != nil {
			return vm.Int(a.Len()), nil
		}
		return vm.Int(len(args[0].Str())), nil
	})
	return l
}

// runDir writes files into a temporary directory, compiles main.hsl and
// runs it, returning the output or the compile or runtime error.
func runDir(t *testing.T, files map[string]string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	main := filepath.Join(dir, "main.hsl")
	prog, err := compile.File(main, []byte(files["main.hsl"]), &compile.Options{Library: lib()})
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	err = prog.Run(context.Background(), &vm.RunOptions{Out: &out})
	return strings.TrimSuffix(out.String(), "\n"), err
}

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		src  string
		want string
	}{
		{"echo $nope;", "main.hsl:1:6: undefined variable $nope"},
		{"nope();", "main.hsl:1:1: undefined function nope()"},
		{"function f($a, $b) {}\nf(1);", "main.hsl:2:2: f(): expected 2 arguments, got 1"},
		{"function f($a) {}\nf(1, 2);", "f(): expected 1 argument, got 2"},
		{"break;", "main.hsl:1:1: break outside a loop or switch"},
		{"while (true) { function f() { continue; } break; }", "continue outside a loop"},
		{"function f() {}\nfunction f() {}", "function f is declared twice"},
		{"function f() { $x = 1; global $x; }", "global $x conflicts with the local variable $x"},
		{"class C { $a; function a() {} }", "class C has a method and a variable named a"},
		{"class C { private static $s = 1; }\necho C::$s;", "cannot access private static variable C::$s"},
		{"function f($a = $b) {}", "a parameter default must be a constant expression"},
		{"if (false) { nope(); }", "undefined function nope()"},
		{`echo cache ["tll" => 1] length("x");`, `unknown cache option "tll"`},
		{`$x = #/a(?R)/;`, "recursion is not supported"},
		{"function f() { return $this; }", "main.hsl:1:23: $this is only valid inside class methods"},
	}
	for _, c := range cases {
		_, err := runDir(t, map[string]string{"main.hsl": c.src})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.src, err, c.want)
		}
	}
}

func TestIncludeAndOnce(t *testing.T) {
	out, err := runDir(t, map[string]string{
		"main.hsl": `include "lib.hsl"; include_once "lib.hsl"; include_once "./lib.hsl"; echo $n;`,
		"lib.hsl":  `$n = ($n ?? 0) + 1;`,
	})
	if err != nil || out != "1" {
		t.Fatalf("output %q, error %v", out, err)
	}
}

func TestIncludeCycle(t *testing.T) {
	_, err := runDir(t, map[string]string{
		"main.hsl": `include "a.hsl";`,
		"a.hsl":    `include "b.hsl";`,
		"b.hsl":    `include "a.hsl";`,
	})
	if err == nil || !strings.Contains(err.Error(), "include cycle") {
		t.Fatalf("error %v", err)
	}
}

func TestIncludeMissing(t *testing.T) {
	_, err := runDir(t, map[string]string{"main.hsl": `include "gone.hsl";`})
	if err == nil || !strings.Contains(err.Error(), "main.hsl:1:9: cannot read") {
		t.Fatalf("error %v", err)
	}
}

func TestImportRunsModuleOnceFirst(t *testing.T) {
	out, err := runDir(t, map[string]string{
		"main.hsl": `echo "main";
import { greet, $count } from "m.hsl";
import { greet as hello } from "m.hsl";
import * as m from "m.hsl";
echo greet() . hello() . $count . m::$count;`,
		"m.hsl": `echo "module"; $count = 1; function greet() { global $count; $count += 1; return "g"; }`,
	})
	if err != nil {
		t.Fatal(err)
	}
	if out != "module\nmain\ngg33" {
		t.Fatalf("output %q", out)
	}
}

// A top-level return ends only its own module's code: the importing
// script still runs.
func TestReturnInModuleEndsOnlyModule(t *testing.T) {
	out, err := runDir(t, map[string]string{
		"main.hsl": `import { f } from "m.hsl"; echo "main " . f(); return; echo "unreached";`,
		"m.hsl":    `function f() { return "f"; } echo "module"; return; echo "unreached";`,
	})
	if err != nil {
		t.Fatal(err)
	}
	if out != "module\nmain f" {
		t.Fatalf("output %q, want %q", out, "module\nmain f")
	}
}

func TestImportErrors(t *testing.T) {
	cases := []struct {
		files map[string]string
		want  string
	}{
		{map[string]string{"main.hsl": `import { nope } from "m.hsl";`, "m.hsl": `$x = 1;`}, "has no function or class nope"},
		{map[string]string{"main.hsl": `import { f } from "a.hsl";`, "a.hsl": `import { g } from "main.hsl"; function f() {}`}, "import cycle"},
		{map[string]string{"main.hsl": `import { f } from "../x.hsl";`}, `path "../x.hsl" escapes the script root`},
		{map[string]string{"main.hsl": `include "./../x.hsl";`}, `path "./../x.hsl" escapes the script root`},
		{map[string]string{"main.hsl": `include "sub/../../x.hsl";`}, `escapes the script root`},
		{map[string]string{"main.hsl": `import $d from "d.json"; $d = 1;`, "d.json": `{}`}, "cannot assign to read-only variable $d"},
	}
	for _, c := range cases {
		_, err := runDir(t, c.files)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.files["main.hsl"], err, c.want)
		}
	}
}

// A relative path may climb out of a subdirectory while it stays under
// the script root.
func TestRelativeIncludeInsideRoot(t *testing.T) {
	out, err := runDir(t, map[string]string{"main.hsl": `include "./sub/a.hsl";`, "sub/a.hsl": `include "../b.hsl";`, "b.hsl": `echo "b";`})
	if err != nil || out != "b" {
		t.Errorf("output %q, error %v; want b", out, err)
	}
}

func TestDataImports(t *testing.T) {
	out, err := runDir(t, map[string]string{
		"main.hsl": `import $j from "d.json"; import $t from "t.txt"; import $l from "txt!t.txt" with ["array" => true];
echo $j["a"][1] . "|" . $t . "|" . length($l);`,
		"d.json": "{\n // comment\n \"a\": [1, 2] /* more */\n}",
		"t.txt":  "x\r\ny\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	if out != "2|x\r\ny\n|2" {
		t.Fatalf("output %q", out)
	}
}

func TestConstantFolding(t *testing.T) {
	out, err := runDir(t, map[string]string{"main.hsl": `echo -2 ** 2; echo 2 ** 3 ** 2; echo (1 + 2) * 3 - 4 / 2;`})
	if err != nil || out != "-4\n512\n7" {
		t.Fatalf("output %q, error %v", out, err)
	}
}

func TestConditionJumps(t *testing.T) {
	out, err := runDir(t, map[string]string{"main.hsl": `
function t($x) { echo "t$x"; return true; }
function f($x) { echo "f$x"; return false; }
if (f(1) or t(2)) { echo "a"; }
if (t(3) and f(4)) { echo "no"; } else { echo "b"; }
if (!(f(5) and t(6))) { echo "c"; }
if (not t(7) or (f(8) or t(9))) { echo "d"; }
$n = 0;
while ($n < 3 and t($n)) { $n++; }
echo (f(10) or f(11)) ? "yes" : "e";
`})
	want := "f1\nt2\na\nt3\nf4\nb\nf5\nc\nt7\nf8\nt9\nd\nt0\nt1\nt2\nf10\nf11\ne"
	if err != nil || out != want {
		t.Fatalf("output %q, error %v\nwant %q", out, err, want)
	}
}

// One compile reports every independent error of a file, in source order,
// and errors.As still finds each one.
func TestSeveralCompileErrors(t *testing.T) {
	src := "echo $u1;\nif (true) { $b = nofunc(); }\necho $u2;\nfunction f() { return g(); }\n"
	_, err := compile.File("m.hsl", []byte(src), nil)
	want := []string{
		"m.hsl:1:6: undefined variable $u1",
		"m.hsl:2:18: undefined function nofunc()",
		"m.hsl:3:6: undefined variable $u2",
		"m.hsl:4:23: undefined function g()",
	}
	var list compile.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error %v (%T), want an ErrorList", err, err)
	}
	if got := err.Error(); got != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	var first *compile.Error
	if !errors.As(err, &first) || first.Pos.Line != 1 {
		t.Errorf("errors.As found %v, want the first error", first)
	}

	// A single error stays a plain *Error.
	_, err = compile.File("one.hsl", []byte("nofunc();\n"), nil)
	if _, ok := err.(*compile.Error); !ok {
		t.Errorf("one error gave %T, want *Error", err)
	}
}
