package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCheckForTest(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runCheck(args, &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

func writeScript(t *testing.T, dir, name, src string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckValidFiles(t *testing.T) {
	dir := t.TempDir()
	a := writeScript(t, dir, "a.hsl", "echo \"hello\";\n")
	b := writeScript(t, dir, "b.hsl", "function f($x) { return $x * 2 }\necho f(2);\n")

	out, errOut, code := runCheckForTest(t, a, b)
	if code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	if out != "" || errOut != "" {
		t.Errorf("stdout %q, stderr %q, want both empty", out, errOut)
	}
}

func TestCheckReportsEveryFile(t *testing.T) {
	dir := t.TempDir()
	good := writeScript(t, dir, "good.hsl", "echo 1;\n")
	bad1 := writeScript(t, dir, "bad1.hsl", "echo 1;\n}\n")
	bad2 := writeScript(t, dir, "bad2.hsl", "$x = ;\n")

	_, errOut, code := runCheckForTest(t, bad1, good, bad2)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	want := bad1 + ":2:1: syntax error: unexpected '}', expected expression\n" +
		bad2 + ":1:6: syntax error: unexpected ';', expected expression\n"
	if errOut != want {
		t.Errorf("stderr = %q, want %q", errOut, want)
	}
}

func TestCheckMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.hsl")
	_, errOut, code := runCheckForTest(t, missing)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if !strings.Contains(errOut, "none.hsl") {
		t.Errorf("stderr %q does not name the file", errOut)
	}
}

func TestCheckNoArguments(t *testing.T) {
	_, errOut, code := runCheckForTest(t)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if !strings.Contains(errOut, "Usage: halonsh check") {
		t.Errorf("stderr %q lacks the usage text", errOut)
	}
}

func TestCheckHelp(t *testing.T) {
	out, errOut, code := runCheckForTest(t, "--help")
	if code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	for _, want := range []string{"Usage: halonsh check [flags] FILE...", "-ast"} {
		if !strings.Contains(out, want) {
			t.Errorf("help on stdout lacks %q:\n%s", want, out)
		}
	}
	if errOut != "" {
		t.Errorf("help wrote to stderr: %q", errOut)
	}
}

func TestCheckDumpsAST(t *testing.T) {
	path := writeScript(t, t.TempDir(), "a.hsl", "echo $x;\n")
	out, _, code := runCheckForTest(t, "--ast", path)
	if code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
	want := "File Name=\"" + path + "\"\n  Stmts: EchoStmt @1:1\n    Value: Variable @1:6 Name=\"x\"\n"
	if out != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}
}
