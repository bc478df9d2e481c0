package repl

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/halonsh/halonsh/builtins"
	"github.com/halonsh/halonsh/lang/vm"
)

func newSession(out *bytes.Buffer) *Session {
	lib := vm.NewLibrary()
	builtins.Install(lib)
	return NewSession(lib, out, nil)
}

func eval(t *testing.T, s *Session, src string) Result {
	t.Helper()
	res, err := s.Eval(context.Background(), "repl", src)
	if err != nil {
		t.Fatalf("Eval(%q): %v", src, err)
	}
	return res
}

func TestSessionKeepsVariables(t *testing.T) {
	var out bytes.Buffer
	s := newSession(&out)
	eval(t, s, "$a = 20;")
	res := eval(t, s, "$a + 22")
	if !res.HasValue || res.Value.String() != "42" {
		t.Errorf("value = %v (has %v), want 42", res.Value, res.HasValue)
	}
}

func TestSessionKeepsFunctions(t *testing.T) {
	var out bytes.Buffer
	s := newSession(&out)
	eval(t, s, "function twice($x) { return $x * 2; }")
	eval(t, s, "class Box { constructor($v) { $this->v = $v; } function get() { return $this->v; } }")
	res := eval(t, s, "twice(Box(21)->get())")
	if res.Value.String() != "42" {
		t.Errorf("value = %v, want 42", res.Value)
	}

	// Redefining replaces the earlier declaration.
	eval(t, s, "function twice($x) { return $x * 3; }")
	if res := eval(t, s, "twice(2)"); res.Value.String() != "6" {
		t.Errorf("after redefinition: %v, want 6", res.Value)
	}
}

func TestSessionEcho(t *testing.T) {
	var out bytes.Buffer
	s := newSession(&out)
	res := eval(t, s, `echo "hi";`)
	if res.HasValue {
		t.Errorf("echo statement printed a value: %v", res.Value)
	}
	if out.String() != "hi\n" {
		t.Errorf("echo output = %q", out.String())
	}
}

func TestSessionAssignmentPrintsNothing(t *testing.T) {
	var out bytes.Buffer
	s := newSession(&out)
	if res := eval(t, s, "$x = 5"); res.HasValue {
		t.Errorf("assignment printed %v", res.Value)
	}
}

func TestSessionIncomplete(t *testing.T) {
	var out bytes.Buffer
	s := newSession(&out)
	for _, src := range []string{"if (true) {", "$a = [1,", "echo \"abc", "/* note", "$a = 1 +"} {
		if _, err := s.Eval(context.Background(), "repl", src); !errors.Is(err, ErrIncomplete) {
			t.Errorf("Eval(%q) = %v, want ErrIncomplete", src, err)
		}
	}
}

func TestSessionErrorColumns(t *testing.T) {
	var out bytes.Buffer
	s := newSession(&out)
	eval(t, s, "$n = 0;")

	// The final expression is rewritten to capture its value; the column
	// must still be the one the user typed.
	_, err := s.Eval(context.Background(), "repl", "1 / $n")
	if err == nil || !strings.HasPrefix(err.Error(), "repl:1:3:") {
		t.Errorf("runtime error = %v, want it at repl:1:3", err)
	}
	_, err = s.Eval(context.Background(), "repl", "$a = (1 + ;")
	if err == nil || !strings.HasPrefix(err.Error(), "repl:1:11:") {
		t.Errorf("syntax error = %v, want it at repl:1:11", err)
	}
}

func TestSessionRuntimeErrorKeepsEarlierChanges(t *testing.T) {
	var out bytes.Buffer
	s := newSession(&out)
	if _, err := s.Eval(context.Background(), "repl", "$kept = 1; $x = 1 / 0;"); err == nil {
		t.Fatal("no error for a division by zero")
	}
	if res := eval(t, s, "$kept"); res.Value.String() != "1" {
		t.Errorf("$kept = %v, want 1", res.Value)
	}
}

func TestSessionReset(t *testing.T) {
	var out bytes.Buffer
	s := newSession(&out)
	eval(t, s, "$a = 1; function f() { return 1; }")
	s.Reset()
	if _, err := s.Eval(context.Background(), "repl", "$a"); err == nil {
		t.Error("$a still defined after Reset")
	}
	if _, err := s.Eval(context.Background(), "repl", "f()"); err == nil {
		t.Error("f still defined after Reset")
	}
}

func TestSessionNames(t *testing.T) {
	var out bytes.Buffer
	s := newSession(&out)
	eval(t, s, "$mailbox = 1; function greet() { return 1; }")
	names := strings.Join(s.Names(), " ")
	for _, want := range []string{"$mailbox", "greet", "str_replace", "json_encode"} {
		if !strings.Contains(" "+names+" ", " "+want+" ") {
			t.Errorf("Names() lacks %s", want)
		}
	}
}
