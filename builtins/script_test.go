package builtins

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halonsh/halonsh/lang/compile"
	"github.com/halonsh/halonsh/lang/vm"
)

// Script tests run HSL with the whole standard library (runLibScript in
// misc_script_test.go) for the builtins that call back into scripts or
// need a run: callbacks, sleep and the classes.

func TestArrayCallbacks(t *testing.T) {
	runScriptCases(t, []scriptCase{
		{src: `echo array_map(function ($x) { return $x * 2; }, ["a" => 1, 5 => 2]);`, want: "[\"a\"=>2,5=>4]\n"},
		{src: `echo array_filter(function ($x) { return $x > 1; }, [1, 2, 3]);`, want: "[1=>2,2=>3]\n"},
		{src: `echo array_filter(is_string, [1, "a", none]);`, want: "[1=>\"a\"]\n"},
		{src: `$n = 0; echo array_every(function ($x) closure ($n) { $n++; return $x < 2; }, [1, 5, 0, 0]); echo $n;`, want: "false\n2\n"},
		{src: `echo array_every(function ($x) { return false; }, []);`, want: "true\n"},
		{src: `echo array_find(function ($x) { return $x > 9; }, [1, 2]);`, want: "none\n"},
		{src: `echo array_find(function ($x) { return $x > 1; }, [1, 2, 3]);`, want: "2\n"},
		{src: `echo array_includes(false, [0, none, ""]); echo array_includes("2", [1, 2]); echo array_includes(2, [1, 2]);`, want: "false\nfalse\ntrue\n"},
		{src: `echo array_includes(function ($x) { return $x === "b"; }, ["a", "b"]);`, want: "true\n"},
		{src: `echo array_includes([1, 2], [[1], [1, 2]]);`, want: "true\n"},
		{src: `echo array_reduce(function ($c, $x) { return $c . $x; }, ["a", "b"], ">");`, want: ">ab\n"},
		{src: `echo array_reduce(function ($c, $x) { throw "called"; }, [7]);`, want: "7\n"},
		{src: `echo array_reduce(function ($c, $x) { return 0; }, []);`, err: "array_reduce(): empty array and no initial value"},
		{src: `echo array_sort(function ($a, $b) { return $a < $b; }, ["x" => 3, "y" => 1, 7 => 2]);`, want: "[\"y\"=>1,7=>2,\"x\"=>3]\n"},
		{src: `echo array_sort(function ($a, $b) { return $a > $b; }, [1 => "a", 3 => "c", 2 => "b"], ["keys" => true]);`, want: "[3=>\"c\",2=>\"b\",1=>\"a\"]\n"},
		{src: `echo length(array_sort(function ($a, $b) { return true; }, array_range(0, 50)));`, want: "50\n"},
		{src: `array_sort(function ($a, $b) { return true; }, [1], ["keys" => []]);`, err: `array_sort(): option "keys" must be a boolean, got array`},
		{src: `try { array_map(function ($x) { throw "boom $x"; }, [1, 2]); } catch ($e) { echo $e; }`, want: "boom 1\n"},
		{src: `try { array_sort(function ($a, $b) { throw "cmp"; }, [2, 1]); } catch ($e) { echo $e; }`, want: "cmp\n"},
		{src: `array_map("str_upper", ["a"]);`, err: "array_map(): argument 1 (callback) must be a function, got string"},
		{src: `array_map(str_upper, "abc");`, err: "array_map(): argument 2 (array) must be an array, got string"},
		{src: `echo array_combine(["a", "b", "a"], [1, 2, 3]); echo array_combine(["x", "y"], [1], 0);`, want: "[\"a\"=>3,\"b\"=>2]\n[\"x\"=>1,\"y\"=>0]\n"},
		{src: `array_combine([[1]], [1]);`, err: "invalid array key"},
		{src: `echo array_reverse([5 => "a", "k" => "b", 9 => "c"]);`, want: "[0=>\"c\",\"k\"=>\"b\",1=>\"a\"]\n"},
		{src: `echo array_unique([1, "1", 1, [1], [1], none, none, 0, false]);`, want: "[0=>1,1=>\"1\",3=>[0=>1],5=>none,7=>0,8=>false]\n"},
		{src: `echo array_range(5, 0, -2); echo array_range(0, 1, 0.25);`, want: "[0=>5,1=>3,2=>1]\n[0=>0,1=>0.25,2=>0.5,3=>0.75]\n"},
		{src: `array_range(0, 5, 0);`, err: "array_range(): argument 3 (step) must not be 0"},
		{src: `array_range(0, 1000000000);`, err: "more than 10000000 elements"},
		{src: `$r = array_random(["k" => "v"]); echo $r; echo array_random([]); $s = array_shuffle([1, 2, 3, "x" => 4]); echo length($s); echo array_join(array_sort(function ($a, $b) { return string($a) < string($b); }, array_keys($s)), ",");`, want: "[0=>\"k\",1=>\"v\"]\nnone\n4\n0,1,2,x\n"},
		{src: `echo array_keys(["x" => 1, 5 => 2]); echo array_join([1, [2], none, true], "-");`, want: "[0=>\"x\",1=>5]\n1-[0=>2]-none-true\n"},
	})
}

func TestPCREScripts(t *testing.T) {
	runScriptCases(t, []scriptCase{
		{src: `echo pcre_match(#/(\d+)-(\d+)/, "a 12-34 b");`, want: "[0=>\"12-34\",1=>\"12\",2=>\"34\"]\n"},
		{src: `echo pcre_match("/(?<user>[^@]+)@(?<domain>.+)/", "ann@x.org");`, want: "[0=>\"ann@x.org\",\"user\"=>\"ann\",1=>\"ann\",\"domain\"=>\"x.org\",2=>\"x.org\"]\n"},
		{src: `echo pcre_match(#/(a)|(b)/, "b");`, want: "[0=>\"b\",1=>\"\",2=>\"b\"]\n"},
		{src: `echo pcre_match("x", "abc"); echo pcre_match_all("x", "abc");`, want: "[]\n[]\n"},
		{src: `echo pcre_match_all(#/([a-z])(\d)/, "a1 b2");`, want: "[0=>[0=>\"a1\",1=>\"b2\"],1=>[0=>\"a\",1=>\"b\"],2=>[0=>\"1\",1=>\"2\"]]\n"},
		{src: `echo pcre_match(#/(?<=@)(\w)\1/, "x@aab")[0];`, want: "aa\n"},
		{src: `echo pcre_replace(#/(\w+)@(\w+)/, ''${2}0$1$$3$x'', "ann@host");`, want: "host0ann$$x\n"},
		{src: `echo pcre_replace("o", "0", "foo boo", 2);`, want: "f00 boo\n"},
		{src: `echo pcre_replace(#/\d+/, function ($m) { return number($m[0]) * 2; }, "a1 b22");`, want: "a2 b44\n"},
		{src: `try { pcre_replace("a", function ($m) { throw "no"; }, "a"); } catch ($e) { echo $e; }`, want: "no\n"},
		{src: `echo pcre_replace("x*", "-", "abc");`, want: "-a-b-c-\n"},
		{src: `echo pcre_quote("a.b*c/d#e\x00");`, want: "a\\.b\\*c\\/d\\#e\\000\n"},
		{src: `$q = pcre_quote("1+1=2 (yes)?"); echo pcre_match("/^" . $q . "$/", "1+1=2 (yes)?")[0];`, want: "1+1=2 (yes)?\n"},
		{src: `$re = pcre_compile("/^ok/i"); echo "OK" =~ $re; echo pcre_match($re, "Ok go")[0]; echo $re;`, want: "true\nOk\n/^ok/i\n"},
		{src: `echo length(pcre_match("/^.$/", "\xc3\xa9")); echo length(pcre_match("/^.$/u", "\xc3\xa9"));`, want: "0\n1\n"},
		{src: `pcre_match("(a", "a");`, err: "pcre_match(): invalid pattern /(a/: missing closing parenthesis"},
		{src: `try { pcre_match("a++", "a"); } catch ($e) { echo $e->message(); }`, want: "pcre_match(): invalid pattern /a++/: possessive quantifiers are not supported (use an atomic group (?>...)) at offset 2\n"},
		{src: `pcre_compile("/(x/i");`, err: "pcre_compile(): invalid pattern /(x/i: missing closing parenthesis"},
		{src: `$r = pcre_compile(#/a/i); echo "A" =~ $r;`, want: "true\n"},
		{src: `pcre_match([], "a");`, err: "pcre_match(): argument 1 (pattern) must be a regex or a string, got array"},
	})
}

func TestCollectionScripts(t *testing.T) {
	runScriptCases(t, []scriptCase{
		{src: `$m = Map("string", "number"); echo $m->set("a", 1); echo $m->set("a", "2"); echo $m->get("a"); echo $m->get("b"); echo $m->has("a"); echo $m->delete("a"); echo $m->delete("a"); echo $m->size();`,
			want: "true\nfalse\n2\nnone\ntrue\ntrue\nfalse\n0\n"},
		{src: `$m = Map("number", "string"); $m->set(1.5, "x"); $m->set("2", 7); echo $m->get(1.5) . $m->get(2); echo $m->has(-0) ? "y" : "n";`, want: "x7\nn\n"},
		{src: `$m = Map("string", "any"); $m->merge("n", 2); $m->merge("n", 3); $m->merge("l", [1]); $m->merge("l", [2]); echo $m->get("n"); echo $m->get("l");`, want: "5\n[0=>1,1=>2]\n"},
		{src: `$m = Map("string", "array"); $m->merge("l", 1);`, err: "merged value must be an array, got number"},
		{src: `$m = Map("string", "boolean"); $m->set("a", "x");`, err: "argument 2 (value) must be a boolean, got string"},
		{src: `$m = Map("number", "any"); $m->set("abc", 1);`, err: "argument 1 (key) must be a number, got string"},
		{src: `Map("str", "any");`, err: `argument 1 (keytype) must be one of ["string" "number"], got "str"`},
		{src: `$a = [1]; $m = Map("string", "array"); $m->set("k", $a); $a[] = 2; echo $m->get("k"); $b = $m->get("k"); $b[] = 3; echo $m->get("k");`, want: "[0=>1]\n[0=>1]\n"},
		{src: `$m = Map("string", "any"); $n = $m; $n->set("x", 1); echo $m->size();`, want: "1\n"},
		{src: `$m = Map("string", "number"); $m->set("a", 1); $s = 0; foreach ($m as $k => $v) { $s += $v; echo $k; } foreach ($m->entries() as $e) echo $e;`, want: "a\n[0=>\"a\",1=>1]\n"},
		{src: `$s = Set("number"); echo $s->add(1); echo $s->add("1"); echo $s->has(1); $s->add(2); foreach ($s as $k => $v) echo $k === $v; echo $s->size(); foreach ($s->values() as $i => $v) $t[] = $v; echo length($t); $s->clear(); echo $s->size();`,
			want: "true\nfalse\ntrue\ntrue\ntrue\n2\n2\n0\n"},
	})
}

func TestMiscScripts(t *testing.T) {
	runScriptCases(t, []scriptCase{
		{src: `echo explode(",", "a,b,c", -2); echo implode("+", [1, 2]);`, want: "[0=>\"a,b\",1=>\"c\"]\n1+2\n"},
		{src: `substr([], 1);`, err: "substr(): argument 1 (string) must be a string, got array"},
		{src: `str_split("a,b", [","]);`, err: "str_split(): argument 2 (delimiter) must be a string, got array"},
		{src: `$f = str_split; $f("a");`, err: "str_split(): expected 2 to 3 arguments, got 1"},
		{src: `$v = yaml_decode("a: !Set [x, y, x]\nb: !Other 1", ["tags" => ["!Set" => function ($list) { $s = Set("string"); foreach ($list as $x) $s->add($x); return $s; }]]); echo $v["a"]->size(); echo $v["b"];`, want: "2\n1\n"},
		{src: `try { yaml_decode("!T 1", ["tags" => ["T" => function ($x) { throw "tag $x"; }]]); } catch ($e) { echo $e; }`, want: "tag 1\n"},
		{src: `$t = executiontime(); echo is_number($t) and $t >= 0;`, want: "true\n"},
		{src: `$s = sleep(0.02); echo $s >= 0.02; echo sleep(-1);`, want: "true\n0\n"},
	})
}

func TestSleepHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	out, err := runLibScript(t, `try { sleep(30); } catch ($e) { echo "caught"; } echo "after";`, scriptRun{ctx: ctx})
	elapsed := time.Since(start)
	if elapsed > 5*time.Second {
		t.Errorf("sleep(30) in a cancelled run took %v, want an early wake-up", elapsed)
	}
	if err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("run error = %v, want the cancellation", err)
	}
	if out != "" {
		t.Errorf("the run went on after the cancelled sleep: %q", out)
	}
}

// TestExecutionTimeCountsWholeRun checks that executiontime() measures
// from the start of the run: a host function stalls before the script's
// first executiontime() call, and that time must be included wherever
// the call sits (the VM records the start only for programs that refer
// to executiontime, so each place it can be referred from is covered).
func TestExecutionTimeCountsWholeRun(t *testing.T) {
	const stall = 40 * time.Millisecond
	lib := vm.NewLibrary()
	Install(lib)
	lib.Define("stall", func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		time.Sleep(stall)
		return vm.None, nil
	})
	if lib.MarkRunStart("no_such_builtin") {
		t.Error("MarkRunStart of an undefined name returned true")
	}

	sources := []string{
		`stall(); echo executiontime();`,
		`function f() { return executiontime(); } stall(); echo f();`,
		`$f = function () { return executiontime(); }; stall(); echo $f();`,
		`$f = executiontime; stall(); echo $f();`,
		`class C { function get() { return executiontime(); } } stall(); echo C()->get();`,
		`class C { static function get() { return executiontime(); } } stall(); echo C::get();`,
		`$h = ["f" => executiontime]; stall(); echo $h["f"]();`,
	}
	for _, src := range sources {
		prog, err := compile.File(filepath.Join(t.TempDir(), "test.hsl"), []byte(src), &compile.Options{Library: lib})
		if err != nil {
			t.Fatalf("%s\n  compile: %v", src, err)
		}

		var out bytes.Buffer
		if err := prog.Run(context.Background(), &vm.RunOptions{Out: &out}); err != nil {
			t.Fatalf("%s\n  run: %v", src, err)
		}
		got, err := strconv.ParseFloat(strings.TrimSpace(out.String()), 64)
		if err != nil {
			t.Fatalf("%s\n  executiontime() output %q: %v", src, out.String(), err)
		}
		if got < stall.Seconds() {
			t.Errorf("%s\n  executiontime() = %v, want at least %v (the stall before the call)", src, got, stall.Seconds())
		}
	}
}
