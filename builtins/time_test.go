package builtins

import (
	"testing"
	"time"

	"github.com/halonsh/halonsh/lang/vm"
)

func TestTimeBuiltins(t *testing.T) {
	fixed := time.Date(2026, 12, 4, 21, 30, 15, 500_000_000, time.UTC)
	now = func() time.Time { return fixed }
	defer func() { now = vm.Now }()

	s, n := vStr, vNum
	utc := vAssoc("local", false)
	runBuiltinCases(t, []builtinCase{
		{name: "time", want: "1796419815.5"},
		{name: "time", args: []vm.Value{n(1)}, errPart: "expected 0 arguments, got 1"},

		{name: "strftime", args: []vm.Value{s("%Y-%m-%d %H:%M:%S"), n(1234567890), utc}, want: `"2009-02-13 23:31:30"`},
		{name: "strftime", args: []vm.Value{s("%Y-%m-%d %H:%M:%S"), n(1234567890.9), utc}, want: `"2009-02-13 23:31:30"`},
		{name: "strftime", args: []vm.Value{s("%Y-%m-%d %H:%M:%S"), n(-0.5), utc}, want: `"1969-12-31 23:59:59"`},
		{name: "strftime", args: []vm.Value{s("%H:%M:%S"), vm.None, utc}, errPart: "argument 2 (time) must be a number, got none"},
		{name: "strftime", args: []vm.Value{s("%F"), s("86400"), utc}, want: `"1970-01-02"`},
		{name: "strftime", args: []vm.Value{s("%T"), n(0), vAssoc("local", 1)}, want: `"` + time.Unix(0, 0).Format("15:04:05") + `"`},
		{name: "strftime", args: []vm.Value{s("%F %T"), n(1e300)}, errPart: "out of range"},
		{name: "strftime", args: []vm.Value{s("%F"), n(0), vAssoc("local", "no")}, errPart: `option "local" must be a boolean, got string`},

		{name: "strptime", args: []vm.Value{s("2009-02-13 23:31:30"), s("%Y-%m-%d %H:%M:%S"), utc}, want: "1234567890"},
		{name: "strptime", args: []vm.Value{s("13:58:38"), s("%H:%M:%S"), utc}, want: "1796392718"},
		{name: "strptime", args: []vm.Value{s("2009-02-13 23:31:30 +0100"), s("%Y-%m-%d %H:%M:%S %z")}, want: "1234564290"},
		{name: "strptime", args: []vm.Value{s("garbage"), s("%Y"), utc}, want: "none"},
		{name: "strptime", args: []vm.Value{s("2009")}, errPart: "expected 2 to 3 arguments, got 1"},

		{name: "strpduration", args: []vm.Value{s("1h30m")}, want: "5400"},
		{name: "strpduration", args: []vm.Value{s("90")}, want: "90"},
		{name: "strpduration", args: []vm.Value{s("1d2h3m4s")}, want: "93784"},
		{name: "strpduration", args: []vm.Value{s("1.5h")}, want: "5400"},
		{name: "strpduration", args: []vm.Value{s("2m10s")}, want: "130"},
		{name: "strpduration", args: []vm.Value{n(30)}, want: "30"},
		{name: "strpduration", args: []vm.Value{s("")}, want: "none"},
		{name: "strpduration", args: []vm.Value{s("1h30")}, want: "none"},
		{name: "strpduration", args: []vm.Value{s("h")}, want: "none"},
		{name: "strpduration", args: []vm.Value{s("1w")}, want: "none"},
		{name: "strpduration", args: []vm.Value{s("1 h")}, want: "none"},
		{name: "strpduration", args: []vm.Value{s("1..5s")}, want: "none"},
	})
}

func TestUptimeIncreases(t *testing.T) {
	first, err := callBuiltin(t, "uptime")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond)
	second, err := callBuiltin(t, "uptime")
	if err != nil {
		t.Fatal(err)
	}
	if first.Num() <= 0 {
		t.Errorf("uptime() = %v, want a positive number", first.Num())
	}
	if second.Num() <= first.Num() {
		t.Errorf("uptime() went from %v to %v, want an increase", first.Num(), second.Num())
	}
}

func TestTimeLocalAddsZoneOffset(t *testing.T) {
	fixed := time.Date(2026, 12, 4, 21, 30, 15, 0, time.UTC)
	now = func() time.Time { return fixed }
	defer func() { now = vm.Now }()
	saved := time.Local
	time.Local = time.FixedZone("X", 2*3600)
	defer func() { time.Local = saved }()

	got, err := callBuiltin(t, "timelocal")
	if err != nil {
		t.Fatal(err)
	}
	if want := float64(fixed.Unix() + 7200); got.Num() != want {
		t.Errorf("timelocal() = %v, want %v (time() plus two hours)", got.Num(), want)
	}
	local, err := callBuiltin(t, "strftime", vStr("%H:%M %z"), vNum(float64(fixed.Unix())))
	if err != nil {
		t.Fatal(err)
	}
	if local.Str() != "23:30 +0200" {
		t.Errorf("strftime in the local zone = %q, want 23:30 +0200", local.Str())
	}
}
