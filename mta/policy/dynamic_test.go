package policy

import (
	"sync"
	"testing"
	"time"
)

// backoffRequest is the dynamic policy of the post-delivery backoff
// example: 10 pickups per 60 s for one MX, per source IP, for 300 s.
func backoffRequest(mx string) PolicyRequest {
	return PolicyRequest{
		Fields:    []string{"localip", "remotemx"},
		Condition: map[string][]string{"remotemx": {mx}},
		Limits:    Limits{Rate: Rate{Count: 10, Interval: 60 * time.Second}},
		TTL:       300 * time.Second,
	}
}

func TestScenarioCBackoff(t *testing.T) {
	e, clock := newTestEngine(t, "scenario-a.yaml")
	mx1 := entry("10.0.0.1", "mx1.example.net")
	other := entry("10.0.0.1", "mx2.example.net")

	// C2: at t = 10 s the policy is added and expires at t = 310 s.
	clock.Set(t0.Add(10 * time.Second))
	c, created, err := e.AddPolicy(backoffRequest("mx1.example.net"))
	if err != nil || !created {
		t.Fatalf("AddPolicy: created=%v err=%v", created, err)
	}
	if c.Policy().ID != "A" {
		t.Errorf("policy = %q, want A", c.Policy().ID)
	}
	if want := t0.Add(310 * time.Second); !c.Expires.Equal(want) {
		t.Errorf("expires %v, want %v", c.Expires.Sub(t0), want.Sub(t0))
	}
	if got := c.String(); got != "remotemx=mx1.example.net" {
		t.Errorf("condition = %q", got)
	}

	// C3: the same call again updates the one policy; expiry moves only
	// when the call runs again, which the script's cache prevents.
	list := e.DynamicPolicies()
	if len(list) != 1 || list[0].ID != c.ID {
		t.Fatalf("dynamic policies = %d, want the one added", len(list))
	}
	if got := list[0].Remaining(clock.Now()); got != 300*time.Second {
		t.Errorf("remaining TTL = %v, want 300s", got)
	}

	// C5: 10 pickups per 60 s for mx1 from 10.0.0.1; mx2 keeps 10 per s.
	picked := 0
	for s := 10; s < 70; s++ {
		clock.Set(t0.Add(time.Duration(s) * time.Second))
		for range 3 {
			if l, _, ok := e.Pickup(mx1); ok {
				picked++
				l.Release()
			}
		}
	}
	if picked != 10 {
		t.Errorf("mx1 pickups from t=10 s to 69 s: %d, want 10", picked)
	}
	l, r, ok := e.Pickup(mx1)
	if ok {
		l.Release()
		t.Fatal("11th pickup inside the 60 s window granted")
	}
	if r.Reason != ReasonRate || r.Condition == nil || r.Condition.ID != c.ID {
		t.Errorf("refusal %q by condition %v, want rate by the dynamic condition", r.Reason, r.Condition)
	}
	if want := t0.Add(70 * time.Second); !r.Until.Equal(want) {
		t.Errorf("until %v, want %v", r.Until.Sub(t0), want.Sub(t0))
	}
	n := 0
	for range 20 {
		if l, _, ok := e.Pickup(other); ok {
			n++
			l.Release()
		}
	}
	if n != 10 {
		t.Errorf("mx2 pickups in one second: %d, want the default 10", n)
	}
	// Another source IP has its own 10-per-60-s window for mx1.
	if _, _, ok := e.Pickup(entry("10.0.0.2", "mx1.example.net")); !ok {
		t.Error("10.0.0.2 to mx1 refused; each source IP has its own window")
	}

	// C6: at t = 310 s the policy has expired and the default applies.
	clock.Set(t0.Add(310 * time.Second))
	if got := len(e.DynamicPolicies()); got != 0 {
		t.Errorf("dynamic policies at expiry: %d, want 0", got)
	}
	n = 0
	for range 20 {
		if l, _, ok := e.Pickup(mx1); ok {
			n++
			l.Release()
		}
	}
	if n != 10 {
		t.Errorf("mx1 pickups after expiry: %d, want the default 10 per second", n)
	}

	// C7: a new call after expiry adds a new policy with a new id.
	clock.Set(t0.Add(321 * time.Second))
	c2, created, err := e.AddPolicy(backoffRequest("mx1.example.net"))
	if err != nil || !created || c2.ID == c.ID {
		t.Fatalf("AddPolicy after expiry: created=%v id=%q (old %q) err=%v", created, c2.ID, c.ID, err)
	}
	if want := t0.Add(621 * time.Second); !c2.Expires.Equal(want) {
		t.Errorf("new policy expires %v, want %v", c2.Expires.Sub(t0), want.Sub(t0))
	}
}

func TestDynamicPolicyRollupNormalised(t *testing.T) {
	// C8: a condition naming one Google host applies to the #gsuite key.
	e, _ := newTestEngine(t, "scenario-a.yaml")
	c, _, err := e.AddPolicy(backoffRequest("alt1.aspmx.l.google.com"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.String(); got != "remotemx=#gsuite" {
		t.Errorf("condition = %q, want remotemx=#gsuite", got)
	}
	x := e.Explain(entry("10.0.0.1", "aspmx.l.google.com"))
	pe := x.Policies[0]
	if pe.Condition != c || pe.Limits.Rate != (Rate{10, time.Minute}) {
		t.Errorf("google key condition %v limits %v, want the dynamic 10/60", pe.Condition, pe.Limits)
	}
	// The same call for another Google host is the same identity.
	c2, created, err := e.AddPolicy(backoffRequest("mx.smtp.goog"))
	if err != nil || created || c2.ID != c.ID {
		t.Errorf("second Google host: created=%v id=%q, want an update of %q", created, c2.ID, c.ID)
	}
}

func TestDynamicPolicyUpdate(t *testing.T) {
	e, clock := newTestEngine(t, "scenario-a.yaml")
	req := backoffRequest("mx1.example.net")
	c, _, _ := e.AddPolicy(req)

	clock.Advance(100 * time.Second)
	req.Limits = Limits{Concurrency: 1, Tags: []string{"backoff"}}
	req.TTL = 50 * time.Second
	req.KeepExisting = true
	kept, created, err := e.AddPolicy(req)
	if err != nil || created || kept != c {
		t.Fatalf("KeepExisting: created=%v same=%v err=%v, want the existing condition unchanged", created, kept == c, err)
	}
	if kept.Limits.Concurrency != 0 || !kept.Expires.Equal(t0.Add(300*time.Second)) {
		t.Errorf("KeepExisting changed the condition: %v, expires %v", kept.Limits, kept.Expires.Sub(t0))
	}

	req.KeepExisting = false
	updated, created, err := e.AddPolicy(req)
	if err != nil || created || updated.ID != c.ID {
		t.Fatalf("update: created=%v id=%q err=%v, want an update of %q", created, updated.ID, err, c.ID)
	}
	if updated.Limits.Concurrency != 1 {
		t.Errorf("update: limits %v, want concurrency 1", updated.Limits)
	}
	if !updated.Expires.Equal(t0.Add(150 * time.Second)) {
		t.Errorf("update: expires %v, want 150s", updated.Expires.Sub(t0))
	}
	// The update takes effect at the next decision.
	l, _, ok := e.Pickup(entry("10.0.0.1", "mx1.example.net"))
	if !ok {
		t.Fatal("first pickup refused")
	}
	if got := l.Tags(); len(got) != 1 || got[0] != "backoff" {
		t.Errorf("lease tags = %v, want [backoff]", got)
	}
	if _, r, ok := e.Pickup(entry("10.0.0.1", "mx1.example.net")); ok || r.Reason != ReasonConcurrency {
		t.Errorf("second pickup: ok=%v reason=%q, want refused for concurrency", ok, r.Reason)
	}

	if !e.Delete(c.ID) {
		t.Fatal("Delete of a live id returned false")
	}
	if e.Delete(c.ID) {
		t.Error("second Delete returned true")
	}
	if _, _, ok := e.Pickup(entry("10.0.0.1", "mx1.example.net")); !ok {
		t.Error("pickup after delete refused; the default allows 5")
	}
}

func TestDynamicPolicyErrors(t *testing.T) {
	e, _ := newTestEngine(t, "scenario-a.yaml")
	cases := []struct {
		name string
		req  PolicyRequest
		want string
	}{
		{"unknown field set", PolicyRequest{Fields: []string{"remotemx"}, Limits: Limits{Concurrency: 1}, TTL: time.Second},
			"fields: no configured policy has the fields [remotemx]"},
		{"unknown field", PolicyRequest{Fields: []string{"localip", "remotmx"}, Limits: Limits{Concurrency: 1}, TTL: time.Second},
			`fields: unknown field "remotmx"`},
		{"condition outside fields", PolicyRequest{Fields: []string{"localip", "remotemx"}, Condition: map[string][]string{"jobid": {"x"}}, Limits: Limits{Concurrency: 1}, TTL: time.Second},
			"condition.jobid: field is not one of the policy's fields"},
		{"no limit", PolicyRequest{Fields: []string{"localip", "remotemx"}, TTL: time.Second},
			"policy: no limit set: give at least one of concurrency, rate and connectinterval"},
		{"zero ttl", PolicyRequest{Fields: []string{"localip", "remotemx"}, Limits: Limits{Concurrency: 1}},
			"ttl must be positive, got 0s"},
		{"bad network", PolicyRequest{Fields: []string{"localip", "remotemx"}, Condition: map[string][]string{"localip": {"10.0.0.0/33"}}, Limits: Limits{Concurrency: 1}, TTL: time.Second},
			`condition.localip: invalid IP network "10.0.0.0/33"`},
		{"unknown rollup", PolicyRequest{Fields: []string{"localip", "remotemx"}, Condition: map[string][]string{"remotemx": {"#gsuit"}}, Limits: Limits{Concurrency: 1}, TTL: time.Second},
			`condition.remotemx: unknown rollup or list "#gsuit"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := e.AddPolicy(c.req)
			if err == nil || err.Error() != c.want {
				t.Errorf("error = %v, want %q", err, c.want)
			}
		})
	}
	if n := len(e.DynamicPolicies()); n != 0 {
		t.Errorf("%d dynamic policies after failed calls, want 0", n)
	}
}

func TestDynamicPolicyConcurrentAdds(t *testing.T) {
	// C9: concurrent identical calls leave exactly one policy.
	e, _ := newTestEngine(t, "scenario-a.yaml")
	var wg sync.WaitGroup
	ids := make([]string, 11)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, _, err := e.AddPolicy(backoffRequest("mx1.example.net"))
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = c.ID
		}()
	}
	wg.Wait()
	if n := len(e.DynamicPolicies()); n != 1 {
		t.Fatalf("%d dynamic policies, want 1", n)
	}
	for _, id := range ids {
		if id != ids[0] {
			t.Errorf("ids differ: %q and %q", id, ids[0])
		}
	}
}

func TestDynamicNewestFirst(t *testing.T) {
	e, _ := newTestEngine(t, "scenario-a.yaml")
	broad := PolicyRequest{Fields: []string{"remotemx", "localip"}, Limits: Limits{Concurrency: 2}, TTL: time.Hour}
	narrow := backoffRequest("mx1.example.net")
	e.AddPolicy(narrow)
	b, _, err := e.AddPolicy(broad)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Explain(entry("10.0.0.1", "mx1.example.net")).Policies[0].Condition; got != b {
		t.Errorf("condition = %v, want the newest dynamic condition %v", got, b)
	}
	// The empty condition matches every key, the Google rollup included.
	if got := e.Explain(entry("10.0.0.1", "aspmx.l.google.com")).Policies[0].Condition; got != b {
		t.Errorf("google condition = %v, want the empty dynamic condition", got)
	}
}

func TestDynamicSuspend(t *testing.T) {
	e, clock := newTestEngine(t, "scenario-a.yaml")
	s, created, err := e.AddSuspend(SuspendRequest{
		Fields: map[string][]string{"remotemx": {"*.protection.outlook.com"}},
		Tag:    "o365-down",
		TTL:    60 * time.Second,
	})
	if err != nil || !created {
		t.Fatalf("AddSuspend: created=%v err=%v", created, err)
	}
	o365 := entry("10.0.0.1", "contoso-com.mail.protection.outlook.com")
	_, r, ok := e.Pickup(o365)
	if ok || r.Reason != ReasonSuspend || r.Suspend != s || !r.Until.Equal(t0.Add(time.Minute)) {
		t.Fatalf("pickup: ok=%v reason=%q until=%v, want the suspend until 60 s", ok, r.Reason, r.Until.Sub(t0))
	}
	if _, _, ok := e.Pickup(entry("10.0.0.1", "aspmx.l.google.com")); !ok {
		t.Error("unsuspended entry refused")
	}

	// Refresh with update: new tag, expiry moves.
	clock.Advance(30 * time.Second)
	s2, created, _ := e.AddSuspend(SuspendRequest{
		Fields: map[string][]string{"remotemx": {"*.PROTECTION.outlook.com"}},
		Tag:    "still-down",
		TTL:    60 * time.Second,
	})
	if created || s2.ID != s.ID {
		t.Errorf("refresh: created=%v id=%q, want an update of %q", created, s2.ID, s.ID)
	}
	if s2.Tag != "still-down" {
		t.Errorf("refresh: tag %q, want still-down", s2.Tag)
	}
	if !s2.Expires.Equal(t0.Add(90 * time.Second)) {
		t.Errorf("refresh: expires %v, want 90s", s2.Expires.Sub(t0))
	}

	// A rollup reference matches what any policy rolls up.
	g, _, err := e.AddSuspend(SuspendRequest{Fields: map[string][]string{"remotemx": {"#gsuite"}}, TTL: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, r, ok := e.Pickup(entry("10.0.0.1", "alt2.aspmx.l.google.com")); ok || r.Suspend != g {
		t.Errorf("#gsuite suspend: ok=%v suspend=%v", ok, r.Suspend)
	}
	if _, _, err := e.AddSuspend(SuspendRequest{Fields: map[string][]string{"remotemx": {"#nope"}}, TTL: time.Second}); err == nil {
		t.Error("suspend on an unknown rollup accepted")
	}

	clock.Advance(61 * time.Second)
	if _, _, ok := e.Pickup(o365); !ok {
		t.Error("pickup after the suspend expired refused")
	}
	if n := len(e.DynamicSuspends()); n != 0 {
		t.Errorf("%d suspends after expiry, want 0", n)
	}
}

func TestReloadKeepsCountersAndDynamic(t *testing.T) {
	e, _ := newTestEngine(t, "scenario-a.yaml")
	c, _, _ := e.AddPolicy(backoffRequest("mx1.example.net"))
	for range 5 {
		mustPickup(t, e, entry("10.0.0.1", "mx.example.com"))
	}

	if err := e.ReloadFiles("testdata/does-not-exist.yaml"); err == nil {
		t.Fatal("reload of a missing file succeeded")
	}
	if err := e.ReloadFiles("testdata/invalid.yaml"); err == nil {
		t.Fatal("reload of an invalid file succeeded")
	}
	if got := len(e.Config().Policies); got != 1 {
		t.Fatalf("after failed reloads: %d policies, want the running 1", got)
	}

	if err := e.ReloadFiles("testdata/scenario-a.yaml", "testdata/scenario-b.yaml"); err != nil {
		t.Fatal(err)
	}
	if got := len(e.Config().Policies); got != 2 {
		t.Fatalf("after reload: %d policies, want 2", got)
	}
	// In-flight counts survive: the key is still at its limit of 5.
	if _, r, ok := e.Pickup(entry("10.0.0.1", "mx.example.com")); ok || r.Reason != ReasonConcurrency {
		t.Errorf("after reload: ok=%v reason=%q, want concurrency", ok, r.Reason)
	}
	list := e.DynamicPolicies()
	if len(list) != 1 || list[0].ID != c.ID || list[0].Policy().ID != "A" {
		t.Errorf("dynamic policies after reload: %v", list)
	}
}
