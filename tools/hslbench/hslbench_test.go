package hslbench

import (
	"bytes"
	"testing"
)

func TestRunWithGlobals(t *testing.T) {
	p, err := Compile("invoke.hsl", []byte("echo $a + 1;"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for i := range 3 {
		out.Reset()
		if err := p.Run(map[string]any{"a": i}, &out); err != nil {
			t.Fatal(err)
		}
		if want := string(rune('1'+i)) + "\n"; out.String() != want {
			t.Fatalf("run %d printed %q, want %q", i, out.String(), want)
		}
	}
	if err := p.Run(map[string]any{"a": 1.5}, &out); err == nil {
		t.Fatal("a float global was accepted")
	}
	if err := p.Run(map[string]any{"zz": 1}, &out); err == nil {
		t.Fatal("an undeclared global was accepted")
	}
}

func TestCompileError(t *testing.T) {
	if _, err := Compile("bad.hsl", []byte("echo $nope;")); err == nil {
		t.Fatal("compiled a read of an undefined variable")
	}
}
