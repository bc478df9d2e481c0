package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

const deliveryPolicy = `policies:
  - id: per-domain
    fields: [recipientdomain]
    default: {concurrency: 5, rate: 10}
`

func TestCtlPolicyChangesRate(t *testing.T) {
	s := startSink(t, false)
	m := startServe(t, s.port, deliveryPolicy)

	var rcpts []string
	for i := 0; i < 80; i++ {
		rcpts = append(rcpts, fmt.Sprintf("user%d@d0.test", i))
	}
	m.inject(t, rcpts)

	// The default lets ten a second through; wait for that flow.
	deadline := time.Now().Add(30 * time.Second)
	for s.count() < 10 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d deliveries before the policy change", s.count())
		}
		time.Sleep(20 * time.Millisecond)
	}

	out := m.ctl(t, "policy", "add", "--fields", "recipientdomain", "--condition", "recipientdomain=d0.test", "--rate", "1/5", "--ttl", "120", "--tag", "slow")
	if !strings.HasPrefix(out, "added ") {
		t.Fatalf("policy add output: %s", out)
	}
	before := s.count()
	time.Sleep(5 * time.Second)
	after := s.count()

	// At ten a second five seconds would bring about 50 more. Under one per
	// five seconds at most one more pickup fits, plus the attempts already
	// in flight when the policy arrived (at most the concurrency, 5).
	if got := after - before; got > 6 {
		t.Errorf("%d deliveries in the 5 s after lowering the rate to 1/5, want at most 6", got)
	}

	list := m.ctl(t, "policy", "list")
	if line := firstLine(list, "recipientdomain"); !strings.Contains(line, "rate=1/5") {
		t.Errorf("policy list lacks the dynamic policy:\n%s", list)
	}
}

func TestCtlQueueCommands(t *testing.T) {
	s := startSink(t, true)
	m := startServe(t, s.port, deliveryPolicy)
	m.inject(t, []string{"a@d0.test", "b@d0.test", "c@d1.test"})

	// Wait until all three were tried and deferred.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var list struct {
			Total    int `json:"total"`
			Messages []struct {
				ID    string `json:"id"`
				Retry int    `json:"retry"`
			} `json:"messages"`
		}
		if err := json.Unmarshal([]byte(m.ctl(t, "--json", "queue", "list")), &list); err != nil {
			t.Fatal(err)
		}
		deferred := 0
		for _, msg := range list.Messages {
			if msg.Retry > 0 {
				deferred++
			}
		}
		if deferred == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("messages not deferred: %+v", list)
		}
		time.Sleep(100 * time.Millisecond)
	}

	shape := m.ctl(t, "queue", "shape", "--by", "recipientdomain")
	if line := firstLine(shape, "d0.test"); !strings.Contains(line, "2") {
		t.Errorf("shape lacks 2 for d0.test:\n%s", shape)
	}

	list := m.ctl(t, "queue", "list", "--age", "0-5", "--where", "recipientdomain=d1.test")
	line := firstLine(list, "c@d1.test")
	if line == "" {
		t.Fatalf("queue list lacks c@d1.test:\n%s", list)
	}
	id := strings.Fields(line)[0]

	why := m.ctl(t, "queue", "why", id)
	if !strings.Contains(why, "waiting for its retry") || !strings.Contains(why, "421") {
		t.Errorf("queue why:\n%s", why)
	}

	if out := m.ctl(t, "queue", "hold", id); !strings.Contains(out, "hold: 1 of 1 done") {
		t.Errorf("queue hold: %s", out)
	}
	if out := m.ctl(t, "suspend", "add", "--field", "recipientdomain=d0.test", "--ttl", "60", "--tag", "maintenance"); !strings.HasPrefix(out, "added ") {
		t.Errorf("suspend add: %s", out)
	}
	if out := m.ctl(t, "suspend", "list"); !strings.Contains(out, "maintenance") {
		t.Errorf("suspend list: %s", out)
	}
	m.ctl(t, "memory", "set", "limits", `{"d0.test": 5}`)
	if out := m.ctl(t, "memory", "get", "limits"); strings.TrimSpace(out) != `{"d0.test":5}` {
		t.Errorf("memory get: %q", out)
	}
	if out := m.ctl(t, "reload"); !strings.Contains(out, "reloaded") {
		t.Errorf("reload: %s", out)
	}
}
