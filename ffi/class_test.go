package ffi_test

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halonsh/halonsh/ffi"
	"github.com/halonsh/halonsh/lang/compile"
	"github.com/halonsh/halonsh/lang/vm"
)

// runScript compiles src against a library holding only the FFI class
// and strlen_of (the byte length of a string), and runs it. $testlib holds the path of the library built from
// testdata/ffitest.c.
func runScript(t testing.TB, cfg ffi.Config, src string) (string, error) {
	t.Helper()
	lib := vm.NewLibrary()
	ffi.Install(lib, cfg)
	lib.Define("strlen_of", func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		return vm.Int(len(args[0].Str())), nil
	})
	prog, err := compile.File("test.hsl", []byte(src), &compile.Options{
		Library:    lib,
		Predefined: []compile.Predefined{{Name: "testlib", ReadOnly: true}},
	})
	if err != nil {
		t.Fatalf("compiling the script: %v", err)
	}
	var out strings.Builder
	err = prog.Run(context.Background(), &vm.RunOptions{
		Out:     &out,
		Globals: map[string]vm.Value{"testlib": vm.String(testLibraryPath)},
	})
	return out.String(), err
}

var enabled = ffi.Config{Enabled: true}

// wantOutput runs src with FFI enabled and compares its output.
func wantOutput(t *testing.T, src, want string) {
	t.Helper()
	out, err := runScript(t, enabled, src)
	if err != nil {
		t.Fatalf("run failed: %v\noutput so far:\n%s", err, out)
	}
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}

// wantRuntimeError runs src and checks the message of its runtime error.
func wantRuntimeError(t *testing.T, cfg ffi.Config, src, want string) {
	t.Helper()
	_, err := runScript(t, cfg, src)
	var scriptErr *vm.Error
	if !errors.As(err, &scriptErr) {
		t.Fatalf("error = %v, want a runtime error %q", err, want)
	}
	if scriptErr.Message != want {
		t.Errorf("runtime error = %q, want %q", scriptErr.Message, want)
	}
}

func TestScriptLibcAndLibm(t *testing.T) {
	wantOutput(t, `
$libc = FFI("libc.so.6");
$strlen = $libc->func("strlen", [FFI::type("pointer")], FFI::type("uint64"));
echo FFI::number($strlen("hello"));

$snprintf = $libc->func("snprintf",
    [FFI::type("pointer"), FFI::type("uint64"), FFI::type("pointer"), FFI::type("...")],
    FFI::type("sint32"));
$buf = FFI::allocate(64);
$snprintf($buf, 64, "%s=%d", FFI::cstring("n"), FFI::cnumber(FFI::type("sint32"), 42));
echo FFI::string($buf);

$abs = $libc->func("abs", [FFI::type("sint32")], FFI::type("sint32"));
echo FFI::number($abs(-12));

$libm = FFI("libm.so.6");
$pow = $libm->func("pow", [FFI::type("double"), FFI::type("double")], FFI::type("double"));
echo FFI::number($pow(2, 10));
`, "5\nn=42\n12\n1024\n")
}

func TestScriptOutParameter(t *testing.T) {
	out, err := runScript(t, enabled, `
$libc = FFI("libc.so.6");
$gtod = $libc->func("gettimeofday", [FFI::type("pointer"), FFI::type("pointer")], FFI::type("sint32"));
$tv = FFI::allocate(16);
echo FFI::number($gtod($tv, none));
echo FFI::number(FFI::deref($tv, FFI::type("sint64")));
`)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || lines[0] != "0" {
		t.Fatalf("output = %q, want status 0 and the seconds", out)
	}
	seconds, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		t.Fatalf("seconds %q: %v", lines[1], err)
	}
	if now := time.Now().Unix(); seconds < now-60 || seconds > now+60 {
		t.Errorf("gettimeofday seconds = %d, want about %d", seconds, now)
	}
}

func TestScriptTestLibrary(t *testing.T) {
	wantOutput(t, `
$lib = FFI($testlib);
$divmod = $lib->func("divmod",
    [FFI::type("sint32"), FFI::type("sint32"), FFI::type("pointer"), FFI::type("pointer")],
    FFI::type("sint32"));
$q = FFI::cnumber(FFI::type("sint32"), 0);
$r = FFI::cnumber(FFI::type("sint32"), 0);
$divmod(17, 5, FFI::byref($q), FFI::byref($r));
echo FFI::number($q) . " " . FFI::number($r);

$greeting = $lib->func("make_greeting", [FFI::type("pointer"), FFI::type("pointer")], FFI::type("void"));
$out = FFI::nullptr();
$greeting("hsl", FFI::byref($out));
echo FFI::string(FFI::attach($out));

$version = $lib->func("version_string", [], FFI::type("pointer"));
echo FFI::string($version());
echo FFI::string($version(), 7);

$maybe = $lib->func("maybe_null", [FFI::type("sint32")], FFI::type("pointer"));
echo $maybe(1) === none;

$u8 = $lib->func("id_u8", [FFI::type("uint8")], FFI::type("uint8"));
echo FFI::number($u8(300));
$s64 = $lib->func("id_s64", [FFI::type("sint64")], FFI::type("sint64"));
$halves = FFI::number64($s64([4294967295, 4294967294]));
echo $halves[0] . " " . $halves[1];
echo FFI::number($s64(-5));

echo $lib->func("no_such_function", [], FFI::type("void")) === none;
echo FFI::number(FFI::deref($lib->symbol("ffitest_counter"), FFI::type("sint32")));
`, "3 2\nhello, hsl\nffitest 1.0\nffitest\ntrue\n44\n4294967295 4294967294\n-5\ntrue\n42\n")
}

func TestScriptArgumentKinds(t *testing.T) {
	wantOutput(t, `
$lib = FFI($testlib);
$mixed = $lib->func("mixed",
    [FFI::type("sint32"), FFI::type("double"), FFI::type("float"), FFI::type("sint64"), FFI::type("double")],
    FFI::type("double"));
echo FFI::number($mixed(1, 2.5, FFI::cnumber(FFI::type("float"), 0.25), FFI::cnumber(FFI::type("sint64"), 4), 8));

$idFloat = $lib->func("id_float", [FFI::type("float")], FFI::type("float"));
echo FFI::number($idFloat(0.1)) == 0.1;
echo FFI::number($idFloat(0.5));

$s64 = FFI::type("sint64");
$sum12 = $lib->func("sum12", [$s64, $s64, $s64, $s64, $s64, $s64, $s64, $s64, $s64, $s64, $s64, $s64], $s64);
echo FFI::number($sum12(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12));

$join3 = $lib->func("join3", [FFI::type("pointer"), FFI::type("pointer"), FFI::type("pointer")], FFI::type("pointer"));
$free = $lib->func("free_string", [FFI::type("pointer")], FFI::type("void"));
$long = "";
for ($i = 0; $i < 300; $i++) { $long .= "x"; }
$joined = $join3($long, "-", FFI::cstring("end"));
echo strlen_of(FFI::string($joined));
$free($joined);
$joined = $join3("a", "", "b");
echo FFI::string($joined);
$free($joined);
`, "15.75\nfalse\n0.5\n650\n304\nab\n")
}

func TestScriptStructThroughMemory(t *testing.T) {
	wantOutput(t, `
$lib = FFI($testlib);
$sum = $lib->func("point_sum", [FFI::type("pointer")], FFI::type("double"));
$scale = $lib->func("point_scale", [FFI::type("pointer"), FFI::type("sint32")], FFI::type("void"));

$p = FFI::allocate(16);
$x = FFI::cnumber(FFI::type("sint32"), 3);
$y = FFI::cnumber(FFI::type("double"), 0.25);
FFI::memcpy($p, FFI::string(FFI::byref($x), 4));
FFI::memcpy(FFI::offset($p, 8), FFI::string(FFI::byref($y), 8));
echo FFI::number($sum($p));
$scale($p, 4);
echo FFI::number(FFI::deref($p, FFI::type("sint32")));
echo FFI::number(FFI::deref(FFI::offset($p, 8), FFI::type("double")));
`, "3.25\n12\n1\n")
}

func TestScriptValuesDisplayAndIdentity(t *testing.T) {
	wantOutput(t, `
$libc = FFI("libc.so.6");
echo $libc;
echo FFI::type("uint8");
echo FFI::nullptr();
echo FFI::type("uint8") === FFI::type("uint8");
echo FFI::type("uint8") === FFI::type("sint8");
$p = FFI::allocate(4);
echo FFI::memcpy($p, "ab") === $p;
echo FFI::allocate(4) === $p;
echo FFI::number(FFI::nullptr());
$strlen = $libc->func("strlen", [FFI::type("pointer")], FFI::type("uint64"));
echo $strlen;
$copy = $p;
echo $copy === $p;
`, "FFI\nFFIType\nFFIValue\ntrue\nfalse\ntrue\nfalse\n0\nfunction\ntrue\n")
}

func TestScriptCallbacks(t *testing.T) {
	wantOutput(t, `
$lib = FFI($testlib);
$apply = $lib->func("apply",
    [FFI::type("pointer"), FFI::type("sint32"), FFI::type("sint32")], FFI::type("sint32"));
$factor = 10;
$mul = FFI::callback([FFI::type("sint32"), FFI::type("sint32")], FFI::type("sint32"),
    function ($a, $b) closure ($factor) { return FFI::number($a) * FFI::number($b) * $factor; });
echo FFI::number($apply($mul, 6, 7));

$repeat = $lib->func("repeat", [FFI::type("pointer"), FFI::type("sint32")], FFI::type("sint64"));
$calls = 0;
$count = FFI::callback([FFI::type("sint32"), FFI::type("sint32")], FFI::type("sint32"),
    function ($i, $n) closure ($calls) { $calls += 1; return $i; });
echo FFI::number($repeat($count, 100));
echo $calls;

$libc = FFI("libc.so.6");
$qsort = $libc->func("qsort",
    [FFI::type("pointer"), FFI::type("uint64"), FFI::type("uint64"), FFI::type("pointer")], FFI::type("void"));
$cmp = FFI::callback([FFI::type("pointer"), FFI::type("pointer")], FFI::type("sint32"),
    function ($a, $b) {
        return FFI::number(FFI::deref($a, FFI::type("sint32"))) - FFI::number(FFI::deref($b, FFI::type("sint32")));
    });
$data = FFI::allocate(16);
foreach ([40, -3, 12, 7] as $i => $n)
    FFI::memcpy(FFI::offset($data, $i * 4), FFI::string(FFI::byref(FFI::cnumber(FFI::type("sint32"), $n)), 4));
$qsort($data, 4, 4, $cmp);
$sorted = "";
foreach ([0, 1, 2, 3] as $i)
    $sorted .= " " . FFI::number(FFI::deref(FFI::offset($data, $i * 4), FFI::type("sint32")));
echo $sorted;
`, "420\n4950\n100\n -3 7 12 40\n")
}

func TestScriptCallbackException(t *testing.T) {
	wantOutput(t, `
$lib = FFI($testlib);
$repeat = $lib->func("repeat", [FFI::type("pointer"), FFI::type("sint32")], FFI::type("sint64"));
$calls = 0;
$cb = FFI::callback([FFI::type("sint32"), FFI::type("sint32")], FFI::type("sint32"),
    function ($i, $n) closure ($calls) {
        $calls += 1;
        if (FFI::number($i) == 1) throw Exception("stop at 1");
        return 1;
    });
try {
    $repeat($cb, 3);
    echo "not raised";
} catch ($e) {
    echo $e->message();
}
echo $calls;
`, "stop at 1\n3\n")
}

func TestScriptDisabled(t *testing.T) {
	disabled := ffi.Config{}
	wantRuntimeError(t, disabled, `$x = FFI("libc.so.6");`, "FFI(): "+ffi.ErrDisabled.Error())
	wantRuntimeError(t, disabled, `$x = FFI::allocate(8);`, "FFI::allocate(): "+ffi.ErrDisabled.Error())
	for _, hint := range []string{"--no-ffi", "scripting.ffi.libraries"} {
		if !strings.Contains(ffi.ErrDisabled.Error(), hint) {
			t.Errorf("the disabled message %q does not name %s", ffi.ErrDisabled, hint)
		}
	}

	// A script that only mentions FFI still compiles and runs.
	out, err := runScript(t, disabled, `if (false) { $x = FFI("libc.so.6"); } echo "ran";`)
	if err != nil || out != "ran\n" {
		t.Errorf("script mentioning FFI: output %q, error %v; want ran", out, err)
	}
}

func TestScriptAllowList(t *testing.T) {
	listed := ffi.Config{Enabled: true, Libraries: []string{"libm.so.6"}}
	wantRuntimeError(t, listed, `$x = FFI("libc.so.6");`, `FFI(): library "libc.so.6" is not allowed: `+
		`add it to scripting.ffi.libraries in smtpd.yaml, spelled exactly as passed to FFI() `+
		`(a soname and a full path to the same file do not match)`)

	out, err := runScript(t, listed, `
$pow = FFI("libm.so.6")->func("pow", [FFI::type("double"), FFI::type("double")], FFI::type("double"));
echo FFI::number($pow(3, 2));`)
	if err != nil || out != "9\n" {
		t.Errorf("allowed library: output %q, error %v; want 9", out, err)
	}
}

func TestScriptErrors(t *testing.T) {
	tests := []struct {
		src  string
		want string
	}{
		{`FFI("libnope.so.1");`, "FFI(): libnope.so.1: cannot open shared object file: No such file or directory"},
		{`FFI::type("int");`, `FFI::type(): unknown type "int"`},
		{`FFI::deref(FFI::nullptr());`, "FFI::deref(): null pointer"},
		{`FFI::string(FFI::nullptr());`, "FFI::string(): null pointer"},
		{`FFI::memcpy(FFI::nullptr(), "x");`, "FFI::memcpy(): null pointer"},
		{`FFI::allocate(0);`, "FFI::allocate(): size must be from 1 to 67108864 bytes, got 0"},
		{`FFI::cnumber(FFI::type("uint32"), "1");`, "FFI::cnumber(): expected number, got string"},
		{`FFI::number(5);`, "FFI::number(): argument 1 (value) must be an FFIValue, got number"},
		{`FFI::deref(FFI::cnumber(FFI::type("uint8"), 1));`, "FFI::deref(): argument 1 (value) must be an FFIValue of type pointer, got uint8"},
		{`FFI::attach(FFI::allocate(1));`, "FFI::attach(): the value already owns its memory"},
		{`FFI::attach(FFI::cstring("x"), "free");`, "FFI::attach(): argument 2 (destructor) must be an FFIFunction, got string"},
		{`$f = FFI("libc.so.6")->func("strlen", [FFI::type("pointer")], FFI::type("uint64")); $f();`,
			"strlen(): expected 1 argument, got 0"},
		{`$f = FFI("libc.so.6")->func("strlen", [FFI::type("pointer")], FFI::type("uint64")); $f(12);`,
			"strlen(): argument 1: expected FFIValue of type pointer, string or none, got number"},
		{`$f = FFI("libc.so.6")->func("abs", [FFI::type("sint32")], FFI::type("sint32")); $f(true);`,
			"abs(): argument 1: expected number, got boolean"},
		{`$f = FFI("libc.so.6")->func("abs", [FFI::type("sint32")], FFI::type("sint32")); $f(FFI::cnumber(FFI::type("uint8"), 1));`,
			"abs(): argument 1: expected number or FFIValue of type sint32, got FFIValue of type uint8"},
		{`$f = FFI("libc.so.6")->func("strlen", [FFI::type("pointer")], FFI::type("uint64")); $f(FFI::cnumber(FFI::type("uint8"), 1));`,
			"strlen(): argument 1: expected FFIValue of type pointer, string or none, got FFIValue of type uint8"},
		{`$f = FFI("libc.so.6")->func("abs", [FFI::type("sint32")], FFI::type("sint32")); $f([1, 2, 3]);`,
			"abs(): argument 1: expected number, got array"},
		{`$f = FFI("libc.so.6")->func("printf", [FFI::type("pointer"), FFI::type("...")], FFI::type("sint32")); $f("%s", "x");`,
			"printf(): argument 2: expected FFIValue for variadic argument, got string"},
		{`FFI("libc.so.6")->func("abs", [FFI::type("void")], FFI::type("sint32"));`,
			"abs(): argument 1: type void is not allowed for an argument"},
		{`FFI("libc.so.6")->func("abs", ["sint32"], FFI::type("sint32"));`,
			"FFI->func(): argument 2 (arguments): element 1 must be an FFIType, got string"},
		{`FFI::callback([FFI::type("sint32")], FFI::type("double"), function ($x) { return 1; });`,
			"FFI::callback(): type double is not allowed as a callback return type"},
	}
	for _, tt := range tests {
		_, err := runScript(t, enabled, tt.src)
		var scriptErr *vm.Error
		if !errors.As(err, &scriptErr) {
			t.Errorf("%s\nerror = %v, want runtime error %q", tt.src, err, tt.want)
			continue
		}
		if scriptErr.Message != tt.want {
			t.Errorf("%s\nruntime error = %q\nwant            %q", tt.src, scriptErr.Message, tt.want)
		}
	}
}

func TestScriptMemoryOperations(t *testing.T) {
	wantOutput(t, `
$p = FFI::allocate(8);
FFI::memcpy($p, "ab\x00cd");
echo FFI::string($p);
echo strlen_of(FFI::string($p, 5));
echo FFI::string(FFI::offset(FFI::offset($p, 4), -1), 1);
$big = FFI::cnumber(FFI::type("uint64"), [305419896, 2596069104]);
$halves = FFI::number64($big);
echo $halves[0] . " " . $halves[1];
$ptr = FFI::cnumber(FFI::type("pointer"), 4096);
$halves = FFI::number64($ptr);
echo $halves[0] . " " . $halves[1];
echo FFI::number(FFI::cnumber(FFI::type("sint8"), 255));
echo FFI::number(FFI::cnumber(FFI::type("float"), 0.5));
echo FFI::deref(FFI::allocate(8)) === none;
$cell = FFI::cnumber(FFI::type("sint16"), -2);
echo FFI::number(FFI::deref(FFI::byref($cell), FFI::type("uint16")));
`, "ab\n5\nc\n305419896 2596069104\n0 4096\n-1\n0.5\ntrue\n65534\n")
}

func TestScriptAllocationLimit(t *testing.T) {
	small := ffi.Config{Enabled: true, MaxAllocation: 100}
	wantRuntimeError(t, small, `FFI::allocate(101);`, "FFI::allocate(): size must be from 1 to 100 bytes, got 101")
	out, err := runScript(t, small, `echo FFI::number(FFI::deref(FFI::allocate(100), FFI::type("uint8")));`)
	if err != nil || out != "0\n" {
		t.Errorf("allocating the maximum: output %q, error %v; want 0", out, err)
	}
}

func TestScriptErrorsAreCatchable(t *testing.T) {
	wantOutput(t, `
try {
    FFI::deref(FFI::nullptr(), FFI::type("sint32"));
} catch ($e) {
    echo $e->message();
}
echo "after";
`, "FFI::deref(): null pointer\nafter\n")
}

func TestScriptMemoryFreedOnCollection(t *testing.T) {
	lib := openTestLibrary(t)
	freedCount := declare(t, lib, "freed_string_count", ffi.Sint32)
	before := call(t, freedCount).Number()

	src := `
$lib = FFI($testlib);
$upper = $lib->func("upper_copy", [FFI::type("pointer")], FFI::type("pointer"));
$free = $lib->func("free_string", [FFI::type("pointer")], FFI::type("void"));
for ($i = 0; $i < 50; $i++) {
    $s = FFI::attach($upper("abc"), $free);
}
$kept = FFI::detach(FFI::attach($upper("kept"), $free));
echo FFI::string($s);
`
	out, err := runScript(t, enabled, src)
	if err != nil {
		t.Fatal(err)
	}
	if out != "ABC\n" {
		t.Errorf("output = %q, want ABC", out)
	}

	var freed float64
	for range 100 {
		runtime.GC()
		time.Sleep(time.Millisecond) // lets the cleanup goroutine run
		freed = call(t, freedCount).Number() - before
		if freed >= 50 {
			break
		}
	}
	if freed != 50 {
		t.Errorf("free_string ran %v times after the run, want 50 (every attached string but the detached one)", freed)
	}
}

// replHost keeps one FFI session across runs, as the REPL does.
type replHost struct{ session *ffi.Session }

func (h *replHost) FFISession() *ffi.Session { return h.session }

func TestScriptCallbackAcrossRunsWithSessionHost(t *testing.T) {
	lib := vm.NewLibrary()
	ffi.Install(lib, enabled)

	// kept carries $cb from one run to the next, as the REPL carries
	// variables between inputs.
	var kept vm.Value
	compileRun := func(src string, host any) (string, error) {
		prog, err := compile.File("input.hsl", []byte(src), &compile.Options{
			Library:    lib,
			Predefined: []compile.Predefined{{Name: "testlib", ReadOnly: true}, {Name: "cb"}},
		})
		if err != nil {
			t.Fatalf("compiling: %v", err)
		}
		var out strings.Builder
		var cb vm.Value
		err = prog.Run(context.Background(), &vm.RunOptions{
			Out:     &out,
			Host:    host,
			Globals: map[string]vm.Value{"testlib": vm.String(testLibraryPath), "cb": kept},
			Inspect: func(global func(string) (vm.Value, bool)) { cb, _ = global("cb") },
		})
		kept = cb
		return out.String(), err
	}
	first := `$cb = FFI::callback([FFI::type("sint32"), FFI::type("sint32")], FFI::type("sint32"),
    function ($a, $b) { return FFI::number($a) + FFI::number($b); });`
	second := `$apply = FFI($testlib)->func("apply",
    [FFI::type("pointer"), FFI::type("sint32"), FFI::type("sint32")], FFI::type("sint32"));
echo FFI::number($apply($cb, 20, 22));`

	host := &replHost{session: ffi.NewSession()}
	kept = vm.None
	if _, err := compileRun(first, host); err != nil {
		t.Fatal(err)
	}
	out, err := compileRun(second, host)
	if err != nil || out != "42\n" {
		t.Errorf("callback from an earlier run with a shared session: output %q, error %v; want 42", out, err)
	}

	// Without a shared session, the earlier run's callback returns zero.
	kept = vm.None
	if _, err := compileRun(first, nil); err != nil {
		t.Fatal(err)
	}
	out, err = compileRun(second, nil)
	if err != nil || out != "0\n" {
		t.Errorf("callback from an ended run: output %q, error %v; want 0", out, err)
	}
}
