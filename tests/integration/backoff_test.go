package integration

import (
	"fmt"
	"github.com/halonsh/halonsh/builtins"
	"github.com/halonsh/halonsh/lang/vm"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// copyScript copies a file of the repository's scripts directory into dir.
func copyScript(t *testing.T, name, dir string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "scripts", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBackoffHookSlowsFailingMX runs the shipped post-delivery backoff
// script and policy file. One domain's MX replies 421 to every RCPT TO:
// after its 11th failure within 60 s the script adds a dynamic policy of
// 10 per 60 s for that MX, and attempts to it stop, while the other
// domains keep the default rate of 10 per second.
func TestBackoffHookSlowsFailingMX(t *testing.T) {
	const domains, perDomain, defaultRate = 3, 100, 10

	// rate() counters and cache entries are process-wide, like in a
	// real MTA; start from none so a repeated run (-count) sees what a
	// fresh process sees.
	vm.ResetSharedState()
	builtins.ResetRates()

	dnsAddr := startDNS(t, domains)
	sinks, port := startSinks(t, domains, nil)
	sinks[0].reply = func(string) *smtp.SMTPError {
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "try later"}
	}
	extra := "scripting:\n  hooks:\n    postdelivery: postdelivery-backoff.hsl\n"
	dir := mtaConfig(t, dnsAddr, port, extra, "")
	copyScript(t, "smtpd-policy.yaml", dir)
	copyScript(t, "postdelivery-backoff.hsl", dir)
	srv := startMTA(t, dir, nil)

	var msgs []testMessage
	for i := range domains * perDomain {
		id := fmt.Sprintf("b%04d", i)
		msgs = append(msgs, testMessage{from: "s@origin.test", to: id + "@" + domainName(i%domains), body: messageBody(id, 256)})
	}
	inject(t, srv.Addrs()[0].String(), msgs, 6)

	waitUntil(t, 20*time.Second, "the backoff policy", func() bool { return len(srv.Policy().DynamicPolicies()) > 0 })
	added := time.Now()
	failedAtPolicy := sinkRcpts(sinks[0])
	time.Sleep(5 * time.Second)

	dyn := srv.Policy().DynamicPolicies()
	if len(dyn) != 1 {
		t.Fatalf("%d dynamic policies, want exactly one", len(dyn))
	}
	if got := dyn[0].String(); got != "remotemx="+"mx."+domainName(0) {
		t.Errorf("dynamic condition %q, want remotemx=mx.%s", got, domainName(0))
	}
	if rate := dyn[0].Limits.Rate.String(); rate != "10/60" {
		t.Errorf("dynamic rate %s, want 10/60", rate)
	}
	if tags := dyn[0].Limits.Tags; len(tags) != 1 || tags[0] != "backoff" {
		t.Errorf("dynamic tags %v, want [backoff]", tags)
	}
	if ttl := dyn[0].Expires.Sub(dyn[0].Created); ttl != 300*time.Second {
		t.Errorf("dynamic policy TTL %v, want 5m", ttl)
	}

	// Once the policy is in force its window already holds more than 10
	// failures, so no attempt may start until they age out after 60 s.
	failed := sinkRcpts(sinks[0])
	t.Logf("421 destination: %d attempts before the policy, %d after it in %v", failedAtPolicy, failed-failedAtPolicy, time.Since(added))
	if extra := failed - failedAtPolicy; extra > 5 {
		t.Errorf("%d attempts to the failing MX after its backoff policy, want only those already picked up (at most its concurrency 5)", extra)
	}

	// The other destinations keep the default 10 per second. The bound is
	// loose on purpose: a busy CI machine delays attempts and the 5 s
	// window starts at an arbitrary phase of the rate window, and what
	// matters is that they are not held to the failing MX's 10 per minute
	// (at most 10 in these 5 s).
	for i := 1; i < domains; i++ {
		n := 0
		for _, r := range sinks[i].snapshot() {
			if r.at.After(added) && r.at.Before(added.Add(5*time.Second)) {
				n++
			}
		}
		if min := defaultRate * 5 * 6 / 10; n < min {
			t.Errorf("%s: %d deliveries in the 5 s after the backoff, want at least %d of its %d per second", domainName(i), n, min, defaultRate)
		}
	}
}

func sinkRcpts(s *sink) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rcpts
}
