package main

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// The sink holds each message for its delay, counts the open session in
// the peak, and then accepts the message.
func TestSinkHoldsThenAccepts(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "slowsink")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	cmd := exec.Command(bin, "-listen", addr, "-delay", "300ms")
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stdout)

	var c *smtp.Client
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err = smtp.Dial(addr); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := c.SendMail("s@x.test", []string{"r@y.test"}, strings.NewReader("Subject: x\r\n\r\nbody\r\n")); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("message accepted after %v, before the 300ms delay", d)
	}
	c.Quit()

	for lines.Scan() {
		if strings.Contains(lines.Text(), "peak=1 received=1") {
			return
		}
	}
	t.Fatal("the sink never reported peak=1 received=1")
}

func TestNonLoopbackRefused(t *testing.T) {
	out, err := exec.Command("go", "run", ".", "-listen", "0.0.0.0:2726").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "want a loopback address") {
		t.Errorf("listening on 0.0.0.0: err %v, output %q", err, out)
	}
}
