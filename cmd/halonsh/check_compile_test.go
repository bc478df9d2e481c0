package main

import (
	"strings"
	"testing"
)

func TestCheckReportsCompileErrors(t *testing.T) {
	path := writeScript(t, t.TempDir(), "a.hsl", "$a = 1;\necho $b;\n")
	_, errOut, code := runCheckForTest(t, path)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if want := path + ":2:6: undefined variable $b"; !strings.Contains(errOut, want) {
		t.Errorf("stderr %q lacks %q", errOut, want)
	}
}

func TestCheckCompilesHookContext(t *testing.T) {
	path := writeScript(t, t.TempDir(), "post.hsl", "echo $arguments[\"attempt\"] ?? \"none\";\n")
	if _, errOut, code := runCheckForTest(t, path); code != 0 {
		t.Fatalf("plain script: exit %d, stderr %q", code, errOut)
	}
	if _, errOut, code := runCheckForTest(t, "--context", "postdelivery", path); code != 0 {
		t.Fatalf("postdelivery: exit %d, stderr %q", code, errOut)
	}
	_, errOut, code := runCheckForTest(t, "--context", "nowhere", path)
	if code != 2 || errOut == "" {
		t.Fatalf("unknown context: exit %d, stderr %q", code, errOut)
	}
}
