// Package e2e tests the control plane from the outside: a real
// `halonsh serve` process, `halonsh ctl`, and the web view in headless
// Chromium, all on 127.0.0.1.
package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
)

var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "halonsh-e2e")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "halonsh")
	out, err := exec.Command("go", "build", "-o", bin, "../../cmd/halonsh").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func halonsh(t *testing.T) string {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
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

// sink is an SMTP server on 127.0.0.1 that records the time of every
// accepted recipient, or answers RCPT TO with 421 when deferring.
type sink struct {
	defer_ bool
	mu     sync.Mutex
	times  []time.Time
	port   int
}

func startSink(t *testing.T, deferAll bool) *sink {
	t.Helper()
	s := &sink{defer_: deferAll}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = l.Addr().(*net.TCPAddr).Port
	srv := gosmtp.NewServer(s)
	srv.Domain = "sink.test"
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *sink) NewSession(*gosmtp.Conn) (gosmtp.Session, error) { return &sinkSession{s: s}, nil }

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.times)
}

type sinkSession struct {
	s     *sink
	rcpts int
}

func (ss *sinkSession) Mail(string, *gosmtp.MailOptions) error { return nil }
func (ss *sinkSession) Rcpt(string, *gosmtp.RcptOptions) error {
	if ss.s.defer_ {
		return &gosmtp.SMTPError{Code: 421, EnhancedCode: gosmtp.EnhancedCode{4, 7, 0}, Message: "try again later"}
	}
	ss.rcpts++
	return nil
}
func (ss *sinkSession) Data(r io.Reader) error {
	_, _ = io.Copy(io.Discard, r)
	ss.s.mu.Lock()
	for i := 0; i < ss.rcpts; i++ {
		ss.s.times = append(ss.s.times, time.Now())
	}
	ss.s.mu.Unlock()
	ss.rcpts = 0
	return nil
}
func (ss *sinkSession) Reset()        { ss.rcpts = 0 }
func (ss *sinkSession) Logout() error { return nil }

// mta is a `halonsh serve` process.
type mta struct {
	smtpAddr string
	apiURL   string
	token    string
	dir      string
	// caCert is the CA file ctl trusts for an HTTPS API.
	caCert string
}

// startServe writes a configuration that relays to the sink's port,
// starts `halonsh serve`, and waits for its SMTP listener and API.
func startServe(t *testing.T, sinkPort int, policy string) *mta {
	t.Helper()
	return startServeWith(t, sinkPort, policy, "", "http")
}

// startServeWith is startServe with extra lines for the api section
// (indented by four spaces) and the API's URL scheme.
func startServeWith(t *testing.T, sinkPort int, policy, apiExtra, scheme string) *mta {
	t.Helper()
	dir := t.TempDir()
	smtpPort, apiPort := freePort(t), freePort(t)
	cfg := fmt.Sprintf(`servers:
  - id: inbound
    listeners:
      - address: 127.0.0.1
        port: %d
    transport: relay
api:
  address: 127.0.0.1:%d
  tokenfile: api-token
%s
transportgroups:
  - id: default
    retry:
      intervals: "1h"
      count: 10
    session:
      tls: disabled
    transports:
      - id: relay
        connection:
          server: 127.0.0.1
          port: %d
`, smtpPort, apiPort, apiExtra, sinkPort)
	files := map[string]string{"smtpd.yaml": cfg, "smtpd-policy.yaml": policy}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	cmd := exec.Command(halonsh(t), "serve", "--config", dir, "--spool", filepath.Join(dir, "spool"))
	logFile, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logFile.Close()
		if t.Failed() {
			data, _ := os.ReadFile(logFile.Name())
			t.Logf("halonsh serve log:\n%s", data)
		}
	})

	m := &mta{smtpAddr: fmt.Sprintf("127.0.0.1:%d", smtpPort), apiURL: fmt.Sprintf("%s://127.0.0.1:%d", scheme, apiPort), dir: dir}
	deadline := time.Now().Add(20 * time.Second)
	for {
		token, err := os.ReadFile(filepath.Join(dir, "api-token"))
		c, derr := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", apiPort))
		if err == nil && derr == nil {
			c.Close()
			m.token = strings.TrimSpace(string(token))
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("halonsh serve did not start its API: %v %v", err, derr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// inject sends messages through the MTA's SMTP listener.
func (m *mta) inject(t *testing.T, recipients []string) {
	t.Helper()
	for i, to := range recipients {
		body := fmt.Sprintf("Subject: e2e %d\r\n\r\nmessage %d\r\n", i, i)
		if err := smtp.SendMail(m.smtpAddr, nil, "sender@origin.test", []string{to}, []byte(body)); err != nil {
			t.Fatalf("inject %s: %v", to, err)
		}
	}
}

// ctl runs `halonsh ctl` against the MTA and returns its output.
func (m *mta) ctl(t *testing.T, args ...string) string {
	t.Helper()
	base := []string{"ctl", "--api", m.apiURL}
	if m.caCert != "" {
		base = append(base, "--cacert", m.caCert)
	}
	cmd := exec.Command(halonsh(t), append(base, args...)...)
	cmd.Env = append(os.Environ(), "HALONSH_API_TOKEN="+m.token)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("halonsh ctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// firstLine returns the first line of s that contains want.
func firstLine(s, want string) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if strings.Contains(sc.Text(), want) {
			return sc.Text()
		}
	}
	return ""
}
