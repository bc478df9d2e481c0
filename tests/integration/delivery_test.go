package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/halonsh/halonsh/mta/policy"
	"github.com/halonsh/halonsh/mta/queue"
)

// TestDeliverAllOnce sends 5,000 messages to 50 domains, each domain with
// its own MX address, and checks that every message arrives exactly once,
// at its own domain's MX, with its envelope and body intact.
func TestDeliverAllOnce(t *testing.T) {
	const domains, total = 50, 5000
	dnsAddr := startDNS(t, domains)
	sinks, port := startSinks(t, domains, nil)
	policyFile := `policies:
  - id: per-domain
    fields: [recipientdomain]
    default:
      concurrency: 10
`
	srv := startMTA(t, mtaConfig(t, dnsAddr, port, "", policyFile), nil)

	msgs := make([]testMessage, total)
	for i := range msgs {
		id := fmt.Sprintf("m%04d", i)
		msgs[i] = testMessage{
			from: fmt.Sprintf("sender%d@origin.test", i%7),
			to:   fmt.Sprintf("%s@%s", id, domainName(i%domains)),
			body: messageBody(id, 1024+i%512),
		}
	}
	began := time.Now()
	accepted := inject(t, srv.Addrs()[0].String(), msgs, 20)
	t.Logf("injected %d messages in %v", len(accepted), time.Since(began))
	if len(accepted) != total {
		t.Fatalf("%d of %d messages accepted", len(accepted), total)
	}
	waitUntil(t, 2*time.Minute, "every message at its sink", func() bool { return totalReceived(sinks) >= total })
	t.Logf("delivered %d messages %v after the injection began", total, time.Since(began))
	time.Sleep(200 * time.Millisecond) // let a duplicate, if any, arrive too

	want := map[string]testMessage{}
	for _, m := range msgs {
		want[m.to] = m
	}
	seen := map[string]int{}
	for i, s := range sinks {
		for _, r := range s.snapshot() {
			seen[r.to]++
			m, ok := want[r.to]
			if !ok {
				t.Errorf("sink %s received an unknown recipient %q", s.addr, r.to)
				continue
			}
			if got := r.to[len(r.to)-len(domainName(i)):]; got != domainName(i) {
				t.Errorf("%s delivered to the MX of %s", r.to, domainName(i))
			}
			if r.from != m.from {
				t.Errorf("%s: sender %q, want %q", r.to, r.from, m.from)
			}
			hdr, data, ok := splitReceived(r.data)
			if !ok {
				t.Errorf("%s: no Received header at the top", r.to)
			} else if !strings.Contains(hdr, "for <"+r.to+">;") {
				t.Errorf("%s: Received header %q does not name the recipient", r.to, hdr)
			}
			if bodyHash(data) != bodyHash(m.body) {
				t.Errorf("%s: body of %d bytes differs from the %d bytes sent", r.to, len(data), len(m.body))
			}
		}
	}
	missing, doubled := 0, 0
	for _, m := range msgs {
		switch n := seen[m.to]; {
		case n == 0:
			missing++
		case n > 1:
			doubled++
		}
	}
	if missing != 0 || doubled != 0 {
		t.Errorf("%d messages missing, %d delivered more than once", missing, doubled)
	}
	if s := srv.Queue().Stats(); s.Delivered != total {
		t.Errorf("queue counted %d deliveries, want %d", s.Delivered, total)
	}
}

// TestConcurrencyLimitPerSubqueue holds every delivery at the sinks for a
// while and checks that no domain's sub-queue has more transactions open
// than its concurrency, while each does reach it.
func TestConcurrencyLimitPerSubqueue(t *testing.T) {
	const domains, perDomain = 4, 60
	dnsAddr := startDNS(t, domains)
	sinks, port := startSinks(t, domains, nil)
	for _, s := range sinks {
		s.delay = 20 * time.Millisecond
	}
	policyFile := fmt.Sprintf(`policies:
  - id: per-domain
    fields: [recipientdomain]
    conditions:
      - if: {recipientdomain: %s}
        then: {concurrency: 2}
    default:
      concurrency: 5
`, domainName(0))
	srv := startMTA(t, mtaConfig(t, dnsAddr, port, "", policyFile), nil)

	var msgs []testMessage
	for i := range domains * perDomain {
		id := fmt.Sprintf("c%04d", i)
		msgs = append(msgs, testMessage{from: "s@origin.test", to: id + "@" + domainName(i%domains), body: messageBody(id, 512)})
	}
	inject(t, srv.Addrs()[0].String(), msgs, 10)
	waitUntil(t, time.Minute, "all deliveries", func() bool { return totalReceived(sinks) >= len(msgs) })

	for i, s := range sinks {
		limit := 5
		if i == 0 {
			limit = 2
		}
		if peak := s.peakActive(); peak != limit {
			t.Errorf("%s: peak %d transactions at once, want exactly its concurrency %d", domainName(i), peak, limit)
		}
	}
}

// TestRateLimitWithinFivePercent queues a backlog for three domains under
// a suspend, lifts it, and counts deliveries over 30 s of queue time on a
// clock running 10 times faster than the wall clock. Each domain must get
// its rate, 50 per 5 s, within 5%, and the resume must not burst past it.
func TestRateLimitWithinFivePercent(t *testing.T) {
	const domains, count, interval, window = 3, 50, 5 * time.Second, 30 * time.Second
	clock := queue.NewScaledClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 10)
	dnsAddr := startDNS(t, domains)
	sinks, port := startSinks(t, domains, clock.Now)
	policyFile := fmt.Sprintf(`policies:
  - id: per-domain
    fields: [recipientdomain]
    default:
      concurrency: 10
      rate: "%d/%s"
`, count, interval)
	srv := startMTA(t, mtaConfig(t, dnsAddr, port, "", policyFile), clock)

	suspend, _, err := srv.Policy().AddSuspend(policy.SuspendRequest{
		Fields: map[string][]string{"recipientdomain": {"*.test"}}, Tag: "backlog", TTL: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := float64(count) * float64(window/interval)
	perDomain := int(want) + 2*count // the backlog outlasts the window
	var msgs []testMessage
	for i := range domains * perDomain {
		id := fmt.Sprintf("r%05d", i)
		msgs = append(msgs, testMessage{from: "s@origin.test", to: id + "@" + domainName(i%domains), body: messageBody(id, 256)})
	}
	inject(t, srv.Addrs()[0].String(), msgs, 10)
	if n := totalReceived(sinks); n != 0 {
		t.Fatalf("%d messages delivered while suspended", n)
	}

	start := clock.Now()
	srv.Policy().Delete(suspend.ID)
	srv.Queue().PolicyChanged()
	end := start.Add(window)
	waitUntil(t, 2*window, "the measurement window", func() bool { return clock.Now().After(end.Add(time.Second)) })

	for i, s := range sinks {
		n, first := 0, 0
		for _, r := range s.snapshot() {
			if !r.at.Before(start) && r.at.Before(end) {
				n++
			}
			if !r.at.Before(start) && r.at.Before(start.Add(interval)) {
				first++
			}
		}
		t.Logf("%s: %d deliveries in %v of queue time, %d in the first %v", domainName(i), n, window, first, interval)
		if dev := (float64(n) - want) / want; dev > 0.05 || dev < -0.05 {
			t.Errorf("%s: %d deliveries in %v, want %.0f within 5%%", domainName(i), n, window, want)
		}
		// The rate window is sliding: the first interval after the resume
		// gets at most the limit, however large the backlog.
		if first > count {
			t.Errorf("%s: %d deliveries in the first %v after the resume, above the limit %d", domainName(i), first, interval, count)
		}
	}
}

// TestSuspendStopsOnlyItsSubqueue suspends one domain: the others are
// delivered while it waits; it is delivered when its suspend expires. A
// second domain's suspend is removed before its expiry and pickup resumes
// at once.
func TestSuspendStopsOnlyItsSubqueue(t *testing.T) {
	const domains, perDomain = 3, 20
	dnsAddr := startDNS(t, domains)
	sinks, port := startSinks(t, domains, nil)
	srv := startMTA(t, mtaConfig(t, dnsAddr, port, "", ""), nil)

	_, _, err := srv.Policy().AddSuspend(policy.SuspendRequest{
		Fields: map[string][]string{"recipientdomain": {domainName(1)}}, TTL: 3 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	removed, _, err := srv.Policy().AddSuspend(policy.SuspendRequest{
		Fields: map[string][]string{"remotemx": {"mx." + domainName(2)}}, TTL: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	suspendedAt := time.Now()

	var msgs []testMessage
	for i := range domains * perDomain {
		id := fmt.Sprintf("s%04d", i)
		msgs = append(msgs, testMessage{from: "s@origin.test", to: id + "@" + domainName(i%domains), body: messageBody(id, 256)})
	}
	inject(t, srv.Addrs()[0].String(), msgs, 5)

	waitUntil(t, 30*time.Second, "the unsuspended domain", func() bool { return sinks[0].count() == perDomain })
	if n := sinks[1].count(); n != 0 {
		t.Errorf("%s: %d delivered while suspended", domainName(1), n)
	}
	if n := sinks[2].count(); n != 0 {
		t.Errorf("%s: %d delivered while suspended", domainName(2), n)
	}
	if info := entryFor(srv.Queue(), "@"+domainName(2)); info == nil || info.Refusal == nil || info.Refusal.Reason != "suspend" {
		t.Errorf("a %s entry is not shown waiting on its suspend: %+v", domainName(2), info)
	}

	if !srv.Policy().Delete(removed.ID) {
		t.Fatal("suspend not found for removal")
	}
	srv.Queue().PolicyChanged()
	waitUntil(t, 5*time.Second, "pickup after the suspend was removed", func() bool { return sinks[2].count() == perDomain })
	if n := sinks[1].count(); n != 0 && time.Since(suspendedAt) < 3*time.Second {
		t.Errorf("%s: %d delivered before its suspend expired", domainName(1), n)
	}

	waitUntil(t, 10*time.Second, "pickup after the suspend expired", func() bool { return sinks[1].count() == perDomain })
	first := sinks[1].snapshot()[0].at
	if first.Sub(suspendedAt) < 3*time.Second {
		t.Errorf("%s: first delivery %v after the suspend started, before its 3s TTL", domainName(1), first.Sub(suspendedAt))
	}
}

func entryFor(q *queue.Queue, suffix string) *queue.EntryInfo {
	for _, e := range q.Snapshot() {
		if len(e.Message.Recipient) >= len(suffix) && e.Message.Recipient[len(e.Message.Recipient)-len(suffix):] == suffix {
			return &e
		}
	}
	return nil
}
