package vm_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/halonsh/halonsh/lang/compile"
	"github.com/halonsh/halonsh/lang/vm"
)

// `$x + literal` compiles to one instruction with the literal as operand.
// It must give the same result or error as `$x + $y` for every type of $x.
func TestAddLiteralMatchesAddVariable(t *testing.T) {
	operands := map[string]vm.Value{
		"integer":  vm.Int(41),
		"fraction": vm.Number(2.5),
		"numeric":  vm.String("3"),
		"text":     vm.String("abc"),
		"none":     vm.None,
		"boolean":  vm.True,
		"list":     vm.ArrayValue(vm.NewList([]vm.Value{vm.Int(1)})),
	}
	literals := []string{"1", "-1", "0.5", "1000000000000000000000"}
	predefined := []compile.Predefined{{Name: "x"}, {Name: "y"}}
	for _, lit := range literals {
		fused := mustCompile(t, "echo $x + "+lit+";", &compile.Options{Predefined: predefined})
		plain := mustCompile(t, "echo $x + $y;", &compile.Options{Predefined: predefined})
		y := mustEval(t, lit)
		for name, x := range operands {
			globals := map[string]vm.Value{"x": x, "y": y}
			gotOut, gotErr := run(t, fused, &vm.RunOptions{Globals: globals})
			wantOut, wantErr := run(t, plain, &vm.RunOptions{Globals: globals})
			if gotOut != wantOut {
				t.Errorf("%s + %s printed %q, want %q", name, lit, gotOut, wantOut)
			}
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Errorf("%s + %s failed with %v, want %v", name, lit, gotErr, wantErr)
			}
		}
	}
}

// mustEval returns the value of one HSL expression.
func mustEval(t *testing.T, expr string) vm.Value {
	t.Helper()
	prog := mustCompile(t, "$r = "+expr+";", nil)
	var v vm.Value
	err := prog.Run(context.Background(), &vm.RunOptions{Inspect: func(global func(string) (vm.Value, bool)) {
		v, _ = global("r")
	}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A top-level return inside a try block ends the run, and the next run of
// the same program starts with no handler left over.
func TestReturnInsideTryEndsRun(t *testing.T) {
	prog := mustCompile(t, `try { echo "in"; return; } catch ($e) { echo "caught"; } echo "after";`, nil)
	for i := range 3 {
		out, err := run(t, prog, nil)
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if out != "in" {
			t.Fatalf("run %d printed %q, want %q", i, out, "in")
		}
	}
}

// Every run starts from the program's initial globals, whatever the
// previous run on the same pooled state assigned.
func TestRunStartsWithFreshGlobals(t *testing.T) {
	prog := mustCompile(t, `echo isset($g) ? "set" : "unset"; $g = 1;`, nil)
	for i := range 3 {
		var out bytes.Buffer
		if err := prog.Run(context.Background(), &vm.RunOptions{Out: &out}); err != nil {
			t.Fatal(err)
		}
		if got := out.String(); got != "unset\n" {
			t.Fatalf("run %d printed %q, want %q", i, got, "unset\n")
		}
	}
}

func TestRunWithBindsGlobals(t *testing.T) {
	prog := mustCompile(t, `echo $a . " " . $b;`, &compile.Options{Predefined: []compile.Predefined{{Name: "a"}, {Name: "b"}}})
	slotA, okA := prog.GlobalSlot("a")
	slotB, okB := prog.GlobalSlot("b")
	if !okA || !okB {
		t.Fatal("predefined globals have no slot")
	}
	var out bytes.Buffer
	err := prog.RunWith(context.Background(), &out, vm.Binding{Slot: slotA, Value: vm.Int(1)}, vm.Binding{Slot: slotB, Value: vm.String("x")})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "1 x\n" {
		t.Fatalf("printed %q, want %q", got, "1 x\n")
	}

	// The next run on the same pooled state must not see the bindings.
	out.Reset()
	err = prog.RunWith(context.Background(), &out)
	if err == nil || !strings.Contains(err.Error(), "undefined variable $a") {
		t.Fatalf("run without bindings: error %v, output %q", err, out.String())
	}
}

func TestRunWithRejectsBadSlot(t *testing.T) {
	prog := mustCompile(t, `echo 1;`, nil)
	err := prog.RunWith(context.Background(), nil, vm.Binding{Slot: 5, Value: vm.Int(1)})
	if err == nil || !strings.Contains(err.Error(), "slot 5 out of range") {
		t.Fatalf("error %v", err)
	}
	err = prog.RunWith(context.Background(), nil, vm.Binding{Slot: -1, Value: vm.Int(1)})
	if err == nil || !strings.Contains(err.Error(), "slot -1 out of range") {
		t.Fatalf("error %v", err)
	}
}

// A nil writer discards echo output.
func TestRunWithNilWriter(t *testing.T) {
	prog := mustCompile(t, `echo 1;`, nil)
	if err := prog.RunWith(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
}

// A Go panic during a run, here in the host's Inspect callback, becomes a
// fatal script error, and later runs of the program still work.
func TestPanicInRunBecomesError(t *testing.T) {
	prog := mustCompile(t, `echo "ok";`, nil)
	err := prog.Run(context.Background(), &vm.RunOptions{Inspect: func(func(string) (vm.Value, bool)) {
		panic("inspect failed")
	}})
	var e *vm.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v, want a *vm.Error", err)
	}
	if !strings.Contains(e.Message, "internal error: inspect failed") {
		t.Errorf("message %q", e.Message)
	}
	if !e.Fatal {
		t.Error("the error is not fatal")
	}
	for i := range 3 {
		out, err := run(t, prog, nil)
		if err != nil || out != "ok" {
			t.Fatalf("run %d after the panic: output %q, error %v", i, out, err)
		}
	}
}
