package server

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const reloadConfig = `servers:
  - listeners: [{address: 127.0.0.1, port: 0}]
resolver:
  address: 127.0.0.1:1
transportgroups:
  - transports:
      - id: relay
        connection: {server: 127.0.0.1, port: 1}
`

func policyWithConcurrency(n string) string {
	return "policies:\n  - id: per-domain\n    fields: [recipientdomain]\n    default: {concurrency: " + n + "}\n"
}

func startServer(t *testing.T, dir string) *Server {
	t.Helper()
	srv, err := New(Options{
		ConfigDir: dir,
		SpoolDir:  filepath.Join(t.TempDir(), "spool"),
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv
}

func concurrency(s *Server) int {
	return s.Policy().Config().Policies[0].Default.Concurrency
}

func TestReloadKeepsRunningConfigOnError(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "smtpd.yaml", reloadConfig)
	writeFile(t, dir, "smtpd-policy.yaml", policyWithConcurrency("5"))
	srv := startServer(t, dir)
	if got := concurrency(srv); got != 5 {
		t.Fatalf("concurrency %d, want 5", got)
	}

	writeFile(t, dir, "smtpd-policy.yaml", policyWithConcurrency("zero"))
	err := srv.Reload()
	if err == nil || !strings.Contains(err.Error(), "smtpd-policy.yaml:4:") {
		t.Errorf("reload of a bad policy file: %v, want an error at smtpd-policy.yaml:4", err)
	}
	if got := concurrency(srv); got != 5 {
		t.Errorf("after a failed reload, concurrency %d, want the running 5", got)
	}

	writeFile(t, dir, "smtpd-policy.yaml", policyWithConcurrency("7"))
	writeFile(t, dir, "smtpd.yaml", reloadConfig+"queues:\n  concurrencyy: 3\n")
	err = srv.Reload()
	if err == nil || !strings.Contains(err.Error(), `smtpd.yaml:10:3: queues.concurrencyy: unknown key (did you mean "concurrency"?)`) {
		t.Errorf("reload of a bad smtpd.yaml: %v", err)
	}
	if got := concurrency(srv); got != 5 {
		t.Errorf("after a failed reload, concurrency %d, want the running 5", got)
	}

	writeFile(t, dir, "bad.hsl", "if (\n")
	writeFile(t, dir, "smtpd.yaml", reloadConfig+"scripting:\n  hooks:\n    postdelivery: bad.hsl\n")
	if err := srv.Reload(); err == nil || !strings.Contains(err.Error(), "bad.hsl") {
		t.Errorf("reload with a script that does not compile: %v, want an error naming bad.hsl", err)
	}
	if got := concurrency(srv); got != 5 {
		t.Errorf("after a failed reload, concurrency %d, want the running 5", got)
	}

	writeFile(t, dir, "smtpd.yaml", reloadConfig+"queues:\n  concurrency: 3\n")
	if err := srv.Reload(); err != nil {
		t.Fatalf("reload of a good configuration: %v", err)
	}
	if got := concurrency(srv); got != 7 {
		t.Errorf("after a good reload, concurrency %d, want 7", got)
	}
	if got := srv.Config().Queues.Concurrency; got != 3 {
		t.Errorf("after a good reload, queues.concurrency %d, want 3", got)
	}
}

func TestNewReportsConfigError(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "smtpd.yaml", "spool:\n  paht: x\n")
	_, err := New(Options{ConfigDir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err == nil || !strings.Contains(err.Error(), "smtpd.yaml:2:3: spool.paht: unknown key") {
		t.Errorf("error = %v", err)
	}
}

// The listener warning compares a reloaded configuration with the
// listeners in use, not with the previous reload.
func TestReloadWarnsAboutUnboundListeners(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "smtpd.yaml", reloadConfig)
	logs := &lockedBuffer{}
	srv, err := New(Options{
		ConfigDir: dir,
		SpoolDir:  filepath.Join(t.TempDir(), "spool"),
		Logger:    slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	warnings := func() int {
		return strings.Count(logs.String(), "changes to servers and spool take effect at the next start")
	}

	writeFile(t, dir, "smtpd.yaml", strings.Replace(reloadConfig, "port: 0}", "port: 2999}", 1))
	if err := srv.Reload(); err != nil {
		t.Fatal(err)
	}
	if warnings() != 1 {
		t.Fatalf("after a port change: %d warnings, want 1\n%s", warnings(), logs.String())
	}

	writeFile(t, dir, "smtpd.yaml", reloadConfig)
	if err := srv.Reload(); err != nil {
		t.Fatal(err)
	}
	if warnings() != 1 {
		t.Errorf("after going back to the running listeners: %d warnings, want still 1", warnings())
	}
}

// lockedBuffer collects log output written from the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
