package repl

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// buildHalonsh builds the command once per test binary.
var buildHalonsh = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "halonsh-repl-test")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "halonsh")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/halonsh").CombinedOutput()
	if err != nil {
		return "", &buildError{string(out)}
	}
	return bin, nil
})

type buildError struct{ out string }

func (e *buildError) Error() string { return "go build: " + e.out }

// terminal is a halonsh REPL on a pseudo-terminal.
type terminal struct {
	t      *testing.T
	pty    *os.File
	cmd    *exec.Cmd
	mu     sync.Mutex
	output strings.Builder
	done   chan struct{}
}

func startTerminal(t *testing.T, history string) *terminal {
	t.Helper()
	bin, err := buildHalonsh()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "repl", "--history", history)
	cmd.Env = append(os.Environ(), "TERM=xterm")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Fatal(err)
	}
	term := &terminal{t: t, pty: f, cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(term.done)
		r := bufio.NewReader(f)
		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			term.mu.Lock()
			term.output.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		f.Close()
	})
	term.waitFor("hsl> ")
	return term
}

func (term *terminal) send(s string) {
	term.t.Helper()
	if _, err := io.WriteString(term.pty, s); err != nil {
		term.t.Fatal(err)
	}
}

// waitFor waits until the output since the start contains want.
func (term *terminal) waitFor(want string) {
	term.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		term.mu.Lock()
		got := term.output.String()
		term.mu.Unlock()
		if strings.Contains(got, want) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	term.mu.Lock()
	defer term.mu.Unlock()
	term.t.Fatalf("terminal output lacks %q; got:\n%s", want, term.output.String())
}

func TestTerminalSession(t *testing.T) {
	history := filepath.Join(t.TempDir(), "history")
	term := startTerminal(t, history)

	// A value is printed and a variable is kept.
	term.send("$base = 40\r")
	term.send("$base + 2\r")
	term.waitFor("42")

	// Input continues while a bracket is open.
	term.send("function add($a, $b) {\r")
	term.waitFor("...> ")
	term.send("return $a + $b;\r")
	term.send("}\r")
	term.send("add(1, 2) * 100\r")
	term.waitFor("300")

	// An error shows its column and the session goes on.
	term.send("$x = 1 / 0;\r")
	term.waitFor("repl:1:8: division by zero")
	term.send("\"still \" . $base\r")
	term.waitFor(`"still 40"`)

	// Tab completes a builtin name.
	term.send("str_repea\t(\"ab\", 3)\r")
	term.waitFor(`"ababab"`)

	// Ctrl-C stops a running script and keeps the session.
	term.send("$n = 0; forever { $n++; }\r")
	time.Sleep(300 * time.Millisecond)
	term.send("\x03")
	term.waitFor("interrupted")
	term.send("\"after \" . $base\r")
	term.waitFor(`"after 40"`)

	term.send(":quit\r")
	select {
	case <-term.done:
	case <-time.After(10 * time.Second):
		t.Fatal(":quit did not end the REPL")
	}

	data, err := os.ReadFile(history)
	if err != nil {
		t.Fatalf("history file: %v", err)
	}
	if !strings.Contains(string(data), "$base + 2") {
		t.Errorf("history lacks an entered line:\n%s", data)
	}
}

func TestTerminalLoad(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "lib.hsl")
	if err := os.WriteFile(script, []byte("function greet($n) { return \"hello \" . $n; }\n$loaded = true;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	term := startTerminal(t, filepath.Join(dir, "history"))
	term.send(":load " + script + "\r")
	term.send("greet(\"ops\")\r")
	term.waitFor(`"hello ops"`)
	term.send(":reset\r")
	term.waitFor("session reset")
	term.send("greet(\"ops\")\r")
	term.waitFor("greet")
	term.send(":help\r")
	term.waitFor(":load FILE")
}
