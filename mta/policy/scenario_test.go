package policy

import (
	"os"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// newTestEngine loads the files from testdata into one engine on a fake
// clock standing at t0.
func newTestEngine(t *testing.T, files ...string) (*Engine, *FakeClock) {
	t.Helper()
	var paths []string
	for _, f := range files {
		paths = append(paths, "testdata/"+f)
	}
	cfg, err := LoadFiles(paths...)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	clock := NewFakeClock(t0)
	return New(cfg, WithClock(clock)), clock
}

func entry(localip, remotemx string) *Entry {
	return &Entry{LocalIP: localip, RemoteMX: remotemx}
}

func mustPickup(t *testing.T, e *Engine, en *Entry) Lease {
	t.Helper()
	l, r, ok := e.Pickup(en)
	if !ok {
		t.Fatalf("pickup of %+v refused: %s", *en, r.Reason)
	}
	return l
}

func TestScenarioAKeys(t *testing.T) {
	e, _ := newTestEngine(t, "scenario-a.yaml")
	cases := []struct {
		name        string
		localip, mx string
		key         string
		condition   int // -1: default
		concurrency int
		rate        Rate
	}{
		{"A1 google mx", "10.0.0.1", "alt1.aspmx.l.google.com", "A: localip=10.0.0.1,remotemx=#gsuite", 0, 10, Rate{50, time.Second}},
		{"A2 case folded", "10.0.0.1", "ASPMX.L.GOOGLE.COM", "A: localip=10.0.0.1,remotemx=#gsuite", 0, 10, Rate{50, time.Second}},
		{"A3 smtp.goog", "10.0.0.1", "mx.smtp.goog", "A: localip=10.0.0.1,remotemx=#gsuite", 0, 10, Rate{50, time.Second}},
		{"A4 other source", "10.0.0.2", "aspmx.l.google.com", "A: localip=10.0.0.2,remotemx=#gsuite", 0, 10, Rate{50, time.Second}},
		{"A5 apex not rolled", "10.0.0.1", "google.com", "A: localip=10.0.0.1,remotemx=google.com", -1, 5, Rate{10, time.Second}},
		{"A6 other mx", "10.0.0.1", "mx.example.com", "A: localip=10.0.0.1,remotemx=mx.example.com", -1, 5, Rate{10, time.Second}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := e.Explain(entry(c.localip, c.mx))
			if len(x.Policies) != 1 {
				t.Fatalf("got %d policies, want 1", len(x.Policies))
			}
			pe := x.Policies[0]
			if pe.Key != c.key {
				t.Errorf("key = %q, want %q", pe.Key, c.key)
			}
			switch {
			case c.condition < 0 && (pe.Condition != nil || !pe.Default):
				t.Errorf("condition = %v, want the default", pe.Condition)
			case c.condition >= 0 && (pe.Condition == nil || pe.Condition.Index != c.condition):
				t.Errorf("condition = %v, want index %d", pe.Condition, c.condition)
			}
			if pe.Limits == nil {
				t.Fatal("no limits")
			}
			if pe.Limits.Concurrency != c.concurrency {
				t.Errorf("concurrency = %d, want %d", pe.Limits.Concurrency, c.concurrency)
			}
			if pe.Limits.Rate != c.rate {
				t.Errorf("rate = %v, want %v", pe.Limits.Rate, c.rate)
			}
		})
	}
}

func TestScenarioAConcurrency(t *testing.T) {
	e, _ := newTestEngine(t, "scenario-a.yaml")
	hosts := []string{"alt1.aspmx.l.google.com", "alt2.aspmx.l.google.com", "aspmx.l.google.com", "mx.smtp.goog"}

	// A7: 100 ready entries, attempts held open: exactly 10 start.
	var held []Lease
	var refusal Refusal
	for i := range 100 {
		l, r, ok := e.Pickup(entry("10.0.0.1", hosts[i%len(hosts)]))
		if ok {
			held = append(held, l)
			continue
		}
		if refusal.Reason == ReasonNone {
			refusal = r
		}
	}
	if len(held) != 10 {
		t.Fatalf("picked up %d, want 10", len(held))
	}
	if refusal.Reason != ReasonConcurrency {
		t.Errorf("11th refused for %q, want concurrency", refusal.Reason)
	}
	if got := refusal.SubQueue.Key(); got != "A: localip=10.0.0.1,remotemx=#gsuite" {
		t.Errorf("refusal key = %q", got)
	}
	if !refusal.Until.IsZero() {
		t.Errorf("concurrency refusal until %v, want zero (waits for a release)", refusal.Until)
	}

	// Releasing one lets exactly one more start.
	held[0].Release()
	held[0].Release() // a second release must not free another slot
	if _, _, ok := e.Pickup(entry("10.0.0.1", hosts[1])); !ok {
		t.Fatal("pickup after release refused")
	}
	if _, r, ok := e.Pickup(entry("10.0.0.1", hosts[2])); ok || r.Reason != ReasonConcurrency {
		t.Fatalf("second pickup after one release: ok=%v reason=%q, want a concurrency refusal", ok, r.Reason)
	}

	// A9: mx.example.com gets its own 5, independent of the Google key.
	n := 0
	for range 20 {
		if _, _, ok := e.Pickup(entry("10.0.0.1", "mx.example.com")); ok {
			n++
		}
	}
	if n != 5 {
		t.Errorf("mx.example.com in flight = %d, want 5", n)
	}
	// The Google key of 10.0.0.2 is untouched by both.
	if _, _, ok := e.Pickup(entry("10.0.0.2", hosts[0])); !ok {
		t.Error("10.0.0.2 google pickup refused")
	}
}

func TestScenarioAHeadOfLine(t *testing.T) {
	e, _ := newTestEngine(t, "scenario-a.yaml")
	// A9: with mx.example.com at its limit, Google entries still get 10.
	for range 20 {
		e.Pickup(entry("10.0.0.1", "mx.example.com"))
	}
	n := 0
	for range 20 {
		if _, _, ok := e.Pickup(entry("10.0.0.1", "aspmx.l.google.com")); ok {
			n++
		}
	}
	if n != 10 {
		t.Errorf("google in flight = %d, want 10", n)
	}
}

func TestScenarioARate(t *testing.T) {
	e, clock := newTestEngine(t, "scenario-a.yaml")
	// A8: 200 entries, attempts finish at once, a decision round every
	// 0.1 s from t = 0 to 3.9 s.
	pending := 200
	var times []time.Duration
	for step := range 40 {
		at := time.Duration(step) * 100 * time.Millisecond
		clock.Set(t0.Add(at))
		for pending > 0 {
			l, r, ok := e.Pickup(entry("10.0.0.1", "aspmx.l.google.com"))
			if !ok {
				if r.Reason != ReasonRate {
					t.Fatalf("t=%v: refused for %q, want rate", at, r.Reason)
				}
				want := t0.Add(at.Truncate(time.Second) + time.Second)
				if !r.Until.Equal(want) {
					t.Fatalf("t=%v: until %v, want %v", at, r.Until.Sub(t0), want.Sub(t0))
				}
				break
			}
			l.Release()
			times = append(times, at)
			pending--
		}
	}
	per := map[time.Duration]int{}
	for _, at := range times {
		per[at]++
	}
	for _, s := range []time.Duration{0, time.Second, 2 * time.Second, 3 * time.Second} {
		if per[s] != 50 {
			t.Errorf("pickups at t=%v: %d, want 50", s, per[s])
		}
	}
	if len(per) != 4 {
		t.Errorf("pickups at %d distinct times, want 4: %v", len(per), per)
	}
	// No window of one second holds more than 50.
	for i := range times {
		j := i
		for j < len(times) && times[j]-times[i] < time.Second {
			j++
		}
		if j-i > 50 {
			t.Fatalf("%d pickups in the second from t=%v", j-i, times[i])
		}
	}
}

func TestScenarioBKeys(t *testing.T) {
	e, _ := newTestEngine(t, "scenario-b.yaml")
	b := func(mx, ip string) *Entry {
		return &Entry{LocalIP: "10.0.0.1", RemoteMX: mx, RemoteIP: ip}
	}
	x1 := e.Explain(b("contoso-com.mail.protection.outlook.com", "52.101.1.1")).Policies[0]
	if want := "B: localip=10.0.0.1,remotemx=#o365,remoteip=52.101.1.1"; x1.Key != want {
		t.Errorf("B1 key = %q, want %q", x1.Key, want)
	}
	if x1.Limits == nil || x1.Limits.Concurrency != 10 || x1.Limits.Rate != (Rate{30, time.Second}) {
		t.Errorf("B1 limits = %v, want concurrency 10 rate 30/1", x1.Limits)
	}
	x2 := e.Explain(b("fabrikam-com.mail.protection.outlook.com", "52.101.1.1")).Policies[0]
	if x2.Key != x1.Key {
		t.Errorf("B2 key = %q, want B1's %q", x2.Key, x1.Key)
	}
	x3 := e.Explain(b("contoso-com.mail.protection.outlook.com", "52.101.2.2")).Policies[0]
	if x3.Key == x1.Key {
		t.Errorf("B3 key = B1 key %q, want a key of its own", x3.Key)
	}
	x4 := e.Explain(b("mx.example.com", "192.0.2.5")).Policies[0]
	if x4.Limits != nil || x4.Condition != nil || x4.Default {
		t.Errorf("B4 limits = %v, want none", x4.Limits)
	}

	// B4 is not limited: any number of attempts start.
	for i := range 100 {
		if _, r, ok := e.Pickup(b("mx.example.com", "192.0.2.5")); !ok {
			t.Fatalf("B4 pickup %d refused for %q", i, r.Reason)
		}
	}

	// B5: 15 as B1 and 15 as B2 held open: 10 in flight in total.
	n := 0
	for i := range 30 {
		mx := "contoso-com.mail.protection.outlook.com"
		if i%2 == 1 {
			mx = "fabrikam-com.mail.protection.outlook.com"
		}
		if _, _, ok := e.Pickup(b(mx, "52.101.1.1")); ok {
			n++
		}
	}
	if n != 10 {
		t.Errorf("B5 in flight = %d, want 10", n)
	}
}

func TestScenarioBWithA(t *testing.T) {
	// B6: both policies apply; policy A keys on the MX host, policy B on
	// the remote IP.
	e, _ := newTestEngine(t, "scenario-a.yaml", "scenario-b.yaml")
	contoso := &Entry{LocalIP: "10.0.0.1", RemoteMX: "contoso-com.mail.protection.outlook.com", RemoteIP: "52.101.1.1"}
	fabrikam := &Entry{LocalIP: "10.0.0.1", RemoteMX: "fabrikam-com.mail.protection.outlook.com", RemoteIP: "52.101.1.1"}
	tailspin := &Entry{LocalIP: "10.0.0.1", RemoteMX: "tailspin-com.mail.protection.outlook.com", RemoteIP: "52.101.1.1"}

	x := e.Explain(contoso)
	if want := "A: localip=10.0.0.1,remotemx=contoso-com.mail.protection.outlook.com"; x.Policies[0].Key != want {
		t.Errorf("policy A key = %q, want %q", x.Policies[0].Key, want)
	}

	count := func(en *Entry, tries int) (int, Refusal) {
		n := 0
		var last Refusal
		for range tries {
			if _, r, ok := e.Pickup(en); ok {
				n++
			} else {
				last = r
			}
		}
		return n, last
	}
	if n, r := count(contoso, 8); n != 5 || r.Reason != ReasonConcurrency || r.Policy.ID != "A" {
		t.Errorf("contoso: %d in flight, refused by %v for %q; want 5, policy A, concurrency", n, r.Policy, r.Reason)
	}
	if n, _ := count(fabrikam, 8); n != 5 {
		t.Errorf("fabrikam: %d in flight, want 5", n)
	}
	// The shared remote IP now holds 10: policy B refuses the next one
	// although tailspin's policy A key is empty.
	n, r := count(tailspin, 3)
	if n != 0 || r.Reason != ReasonConcurrency || r.Policy.ID != "B" {
		t.Errorf("tailspin: %d in flight, refused by %v for %q; want 0, policy B, concurrency", n, r.Policy, r.Reason)
	}
}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}

func TestExampleFilesLoad(t *testing.T) {
	cfg, err := LoadFiles("../../scripts/smtpd-policy.yaml", "../../scripts/smtpd-suspend.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Policies) != 2 || len(cfg.Suspends) != 1 {
		t.Fatalf("got %d policies and %d suspends, want 2 and 1", len(cfg.Policies), len(cfg.Suspends))
	}
	e := New(cfg, WithClock(NewFakeClock(t0)))
	if _, r, ok := e.Pickup(&Entry{LocalIP: "10.0.0.1", RemoteMX: "mx1.blocked.example"}); ok || r.Reason != ReasonSuspend || r.Suspend.Tag != "maintenance" {
		t.Errorf("pickup to a suspended MX: ok=%v reason=%q, want the maintenance suspend", ok, r.Reason)
	}
}
