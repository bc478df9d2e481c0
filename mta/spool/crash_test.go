package spool

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// crashChildEnv names the spool directory when the test binary runs as
// the writer child of TestCrashRecovery.
const crashChildEnv = "HALONSH_SPOOL_CRASH_CHILD_DIR"

// crashBody is the data of a message in the crash test, derived from its
// id so that recovery can check it.
func crashBody(id string) string {
	return "Subject: " + id + "\r\n\r\n" + strings.Repeat(id+"\r\n", 40)
}

// runCrashChild writes messages and updates from several goroutines until
// it is killed, and prints a line for each one only after it returned.
func runCrashChild(dir string) {
	s, _, err := Open(dir, Options{CompactAfter: 3, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	report := func(format string, args ...any) {
		mu.Lock()
		fmt.Fprintf(os.Stdout, format, args...)
		mu.Unlock()
	}

	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				w, err := s.Create("")
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				io.WriteString(w, crashBody(w.ID()))
				m := &Message{Sender: "s@example.org", Recipients: []Recipient{{Address: "a@example.com"}, {Address: "b@example.com"}}}
				if err := w.Commit(m); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				report("ack %s\n", m.ID)

				// A few deferrals of the first recipient, enough to
				// trigger compaction; the second is delivered.
				r := m.Recipients[0]
				for retry := 1; retry <= 4; retry++ {
					r.Retry = retry
					if err := s.Update(m.ID, r); err != nil {
						fmt.Fprintln(os.Stderr, err)
						os.Exit(2)
					}
					report("upd %s %d\n", m.ID, retry)
				}
				d := m.Recipients[1]
				d.Status = StatusDelivered
				if err := s.Update(m.ID, d); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				report("dlv %s\n", m.ID)
			}
		}()
	}
	wg.Wait()
}

func TestCrashRecovery(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		runCrashChild(dir)
		os.Exit(0)
	}

	dir := t.TempDir()
	acked := map[string]bool{}
	retries := map[string]int{}
	delivered := map[string]bool{}

	for round := range 3 {
		killAfter := 100 + rand.IntN(300)
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashRecovery$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}

		// Read acknowledgements; kill the child in the middle of its work
		// after killAfter of them.
		sc := bufio.NewScanner(out)
		lines := 0
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			switch {
			case len(f) == 2 && f[0] == "ack":
				acked[f[1]] = true
			case len(f) == 3 && f[0] == "upd":
				n, _ := strconv.Atoi(f[2])
				retries[f[1]] = max(retries[f[1]], n)
			case len(f) == 2 && f[0] == "dlv":
				delivered[f[1]] = true
			}
			lines++
			if lines == killAfter {
				cmd.Process.Signal(syscall.SIGKILL)
			}
		}
		cmd.Wait()
		if lines < killAfter {
			t.Fatalf("round %d: child stopped after %d lines, before it was killed", round, lines)
		}

		s, msgs, err := Open(dir, Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatalf("round %d: Open: %v", round, err)
		}
		got := byID(msgs)
		for id := range acked {
			m := got[id]
			if delivered[id] {
				// Fully done: the file may be gone or, if the kill came
				// between the record and the removal, still present.
				continue
			}
			if m == nil {
				t.Errorf("round %d: acknowledged message %s lost", round, id)
				continue
			}
			if m.Recipients[0].Retry < retries[id] {
				t.Errorf("round %d: message %s has retry %d, acknowledged %d", round, id, m.Recipients[0].Retry, retries[id])
			}
			if data := readData(t, s, id); data != crashBody(id) {
				t.Errorf("round %d: data of %s damaged", round, id)
			}
		}
		for id, m := range got {
			if delivered[id] && m.Recipients[1].Status != StatusDelivered {
				t.Errorf("round %d: message %s recovered with its delivered recipient queued", round, id)
			}
		}
		quarantined, _ := os.ReadDir(dir + "/quarantine")
		if len(quarantined) != 0 {
			t.Errorf("round %d: %d files quarantined after a crash", round, len(quarantined))
		}
		t.Logf("round %d: killed after %d lines; %d acknowledged so far, %d live after recovery", round, lines, len(acked), len(msgs))
		s.Close()
	}
}
