package integration

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// buildHalonsh compiles the halonsh command into a temporary directory.
func buildHalonsh(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "halonsh")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/halonsh/halonsh/cmd/halonsh")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// serveProcess is a running `halonsh serve`.
type serveProcess struct {
	cmd *exec.Cmd
	log *lockedBuffer
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (p *serveProcess) logBytes() []byte {
	p.log.mu.Lock()
	defer p.log.mu.Unlock()
	return bytes.Clone(p.log.b.Bytes())
}

func startServe(t *testing.T, bin, dir, spoolDir, addr string) *serveProcess {
	t.Helper()
	p := &serveProcess{log: &lockedBuffer{}}
	p.cmd = exec.Command(bin, "serve", "--config", dir, "--spool", spoolDir, "--log-level", "warn")
	p.cmd.Stdout = p.log
	p.cmd.Stderr = p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	waitUntil(t, 30*time.Second, "halonsh serve to listen", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return p
}

// TestKillNineLosesNothing kills `halonsh serve` with SIGKILL while mail
// flows in and out, starts it again on the same spool, and checks that
// every message it had accepted with 250 is delivered. A message delivered
// but not yet marked in the spool at the kill arrives twice, so the test
// counts duplicates and bounds them by the attempts that can be in flight.
func TestKillNineLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the halonsh binary")
	}
	const domains, total, concurrency = 5, 1500, 4
	bin := buildHalonsh(t)
	dnsAddr := startDNS(t, domains)
	sinks, sinkPort := startSinks(t, domains, nil)
	for _, s := range sinks {
		s.delay = 2 * time.Millisecond
	}
	port := freePort(t)
	policyFile := fmt.Sprintf("policies:\n  - id: per-domain\n    fields: [recipientdomain]\n    default: {concurrency: %d}\n", concurrency)
	dir := mtaConfig(t, dnsAddr, sinkPort, "", policyFile)
	cfgPath := filepath.Join(dir, "smtpd.yaml")
	cfg, _ := os.ReadFile(cfgPath)
	cfg = bytes.Replace(cfg, []byte("port: 0"), []byte(fmt.Sprintf("port: %d", port)), 1)
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	spoolDir := filepath.Join(dir, "spool")
	addr := fmt.Sprintf("127.0.0.1:%d", port)

	first := startServe(t, bin, dir, spoolDir, addr)

	// Inject in the background; the sessions end with an error at the kill.
	var mu sync.Mutex
	accepted := map[string]bool{}
	var wg sync.WaitGroup
	for s := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := smtp.Dial(addr)
			if err != nil {
				return
			}
			defer c.Close()
			for i := s; i < total; i += 8 {
				to := fmt.Sprintf("k%04d@%s", i, domainName(i%domains))
				if c.SendMail("s@origin.test", []string{to}, bytes.NewReader(messageBody(to, 2048))) != nil {
					return
				}
				mu.Lock()
				accepted[to] = true
				mu.Unlock()
			}
		}()
	}

	waitUntil(t, time.Minute, "deliveries under way", func() bool { return totalReceived(sinks) >= total/4 })
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.cmd.Wait()
	wg.Wait()
	mu.Lock()
	n := len(accepted)
	mu.Unlock()
	receivedAtKill := totalReceived(sinks)
	t.Logf("killed with %d messages accepted and %d received", n, receivedAtKill)
	if n == 0 || n == total {
		t.Fatalf("%d of %d accepted at the kill; the kill must fall during injection", n, total)
	}

	second := startServe(t, bin, dir, spoolDir, addr)
	waitUntil(t, time.Minute, "every accepted message", func() bool {
		got := map[string]bool{}
		for _, s := range sinks {
			for _, r := range s.snapshot() {
				got[r.to] = true
			}
		}
		for to := range accepted {
			if !got[to] {
				return false
			}
		}
		return true
	})

	// Entries whose attempt the kill cut short wait one retry interval
	// (1s here) before they go again, and then leave the spool.
	queueDir := filepath.Join(spoolDir, "queue")
	waitUntil(t, 30*time.Second, "an empty spool", func() bool {
		left, _ := os.ReadDir(queueDir)
		return len(left) == 0
	})

	copies := map[string]int{}
	for _, s := range sinks {
		for _, r := range s.snapshot() {
			copies[r.to]++
		}
	}
	duplicates := 0
	for _, c := range copies {
		duplicates += c - 1
	}
	t.Logf("after the restart: %d distinct messages received, %d duplicates", len(copies), duplicates)
	if limit := domains * concurrency; duplicates > limit {
		t.Errorf("%d duplicates, more than the %d attempts that can be in flight", duplicates, limit)
	}

	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := second.cmd.Wait(); err != nil {
		t.Errorf("halonsh serve after SIGTERM: %v\n%s", err, second.logBytes())
	}
}

// TestCrashedAttemptWaits kills `halonsh serve` while an attempt waits
// for the server's reply to the message, as a crash in a hook would. After
// the restart the entry must count that attempt as failed and wait its
// retry interval instead of running again at once. A clean stop afterwards
// must leave no journal behind.
func TestCrashedAttemptWaits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the halonsh binary")
	}
	bin := buildHalonsh(t)
	dnsAddr := startDNS(t, 1)
	sinks, sinkPort := startSinks(t, 1, nil)
	sinks[0].delay = 20 * time.Second
	port := freePort(t)
	dir := mtaConfig(t, dnsAddr, sinkPort, "", "")
	cfgPath := filepath.Join(dir, "smtpd.yaml")
	cfg, _ := os.ReadFile(cfgPath)
	cfg = bytes.Replace(cfg, []byte("port: 0"), []byte(fmt.Sprintf("port: %d", port)), 1)
	cfg = bytes.Replace(cfg, []byte(`intervals: "1s"`), []byte(`intervals: "1h"`), 1)
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	spoolDir := filepath.Join(dir, "spool")
	addr := fmt.Sprintf("127.0.0.1:%d", port)

	first := startServe(t, bin, dir, spoolDir, addr)
	to := "stuck@" + domainName(0)
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail("s@origin.test", []string{to}, bytes.NewReader(messageBody(to, 512))); err != nil {
		t.Fatal(err)
	}
	c.Close()
	rcpts := func() int {
		sinks[0].mu.Lock()
		defer sinks[0].mu.Unlock()
		return sinks[0].rcpts
	}
	waitUntil(t, 30*time.Second, "the attempt at the sink", func() bool { return rcpts() == 1 })
	first.cmd.Process.Signal(syscall.SIGKILL)
	first.cmd.Wait()

	second := startServe(t, bin, dir, spoolDir, addr)
	waitUntil(t, 10*time.Second, "the interrupted attempt in the log", func() bool {
		return bytes.Contains(second.logBytes(), []byte("counted as a failed attempt"))
	})
	time.Sleep(2 * time.Second)
	if n := rcpts(); n != 1 {
		t.Errorf("the sink saw %d attempts, want the entry waiting its 1h retry interval after the restart", n)
	}
	if !bytes.Contains(second.logBytes(), []byte("retry=1")) {
		t.Errorf("log does not give the new retry count:\n%s", second.logBytes())
	}

	second.cmd.Process.Signal(syscall.SIGTERM)
	if err := second.cmd.Wait(); err != nil {
		t.Errorf("halonsh serve after SIGTERM: %v", err)
	}
	if _, err := os.Stat(filepath.Join(spoolDir, "attempts.journal")); !os.IsNotExist(err) {
		t.Errorf("attempt journal after a clean stop: %v, want it removed", err)
	}
}
