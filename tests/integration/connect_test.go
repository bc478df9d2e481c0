package integration

import (
	"fmt"
	"testing"
	"time"
)

// TestConnectIntervalSparesReuse checks that a policy's connect interval
// spaces out new connections only. With one new connection an hour and
// concurrency 1, every message after the first goes over the connection
// the first one opened, at once, instead of waiting an hour.
func TestConnectIntervalSparesReuse(t *testing.T) {
	const total = 10
	dnsAddr := startDNS(t, 1)
	sinks, port := startSinks(t, 1, nil)
	policyFile := `policies:
  - id: per-domain
    fields: [recipientdomain]
    default:
      concurrency: 1
      connectinterval: 1h
`
	srv := startMTA(t, mtaConfig(t, dnsAddr, port, "", policyFile), nil)

	msgs := make([]testMessage, total)
	for i := range msgs {
		id := fmt.Sprintf("ci%02d", i)
		msgs[i] = testMessage{from: "sender@origin.test", to: id + "@" + domainName(0), body: messageBody(id, 512)}
	}
	// One at a time, so each pickup finds the connection parked.
	for i := range msgs {
		if got := inject(t, srv.Addrs()[0].String(), msgs[i:i+1], 1); len(got) != 1 {
			t.Fatalf("message %d not accepted", i)
		}
		waitUntil(t, 20*time.Second, fmt.Sprintf("message %d at the sink", i), func() bool { return sinks[0].count() >= i+1 })
	}
	if n := sinks[0].count(); n != total {
		t.Errorf("sink received %d messages, want %d", n, total)
	}
}
