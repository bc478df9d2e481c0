package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeHook(t *testing.T, name, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckHookWithoutContext(t *testing.T) {
	path := writeHook(t, "hook.hsl", `if ($arguments["attempt"]["result"]["code"] >= 500) { Bounce(); } Default();`)
	var stdout, stderr bytes.Buffer
	if code := runCheck([]string{path}, &stdout, &stderr); code != 0 {
		t.Errorf("exit %d for a valid post-delivery hook: %s", code, stderr.String())
	}
}

func TestCheckHookErrorNamesHookProblem(t *testing.T) {
	path := writeHook(t, "hook.hsl", "Queue([\"delay\" => 5]);\nundefined_thing();\n")
	var stdout, stderr bytes.Buffer
	if code := runCheck([]string{path}, &stdout, &stderr); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(stderr.String(), "hook.hsl:2:") || !strings.Contains(stderr.String(), "undefined_thing") {
		t.Errorf("stderr = %q, want the hook's real error at line 2", stderr.String())
	}
}

func TestCheckKnowsFFI(t *testing.T) {
	path := writeHook(t, "ffi.hsl", `$abs = FFI("libc.so.6")->func("abs", [FFI::type("sint32")], FFI::type("sint32"));`)
	var stdout, stderr bytes.Buffer
	if code := runCheck([]string{path}, &stdout, &stderr); code != 0 {
		t.Errorf("exit %d for a script using FFI: %s", code, stderr.String())
	}
}
