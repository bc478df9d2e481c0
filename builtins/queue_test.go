package builtins

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// recordingQueue is a QueueHost that records what the builtins pass and
// answers from a table, so the tests check the conversion from HSL values
// to the host interface. The policy engine's own rules are tested in its
// package.
type recordingQueue struct {
	policies []DynamicPolicy
	suspends []DynamicSuspend
	updates  []bool
	deleted  []string
	fail     error
}

func (q *recordingQueue) AddPolicy(p DynamicPolicy, update bool) (string, error) {
	if q.fail != nil {
		return "", q.fail
	}
	q.policies = append(q.policies, p)
	q.updates = append(q.updates, update)
	return "policy-1", nil
}

func (q *recordingQueue) AddSuspend(s DynamicSuspend, update bool) (string, error) {
	if q.fail != nil {
		return "", q.fail
	}
	q.suspends = append(q.suspends, s)
	q.updates = append(q.updates, update)
	return "suspend-1", nil
}

func (q *recordingQueue) DeleteDynamic(id string) bool {
	q.deleted = append(q.deleted, id)
	return id == "policy-1"
}

func (q *recordingQueue) ListDynamic() []DynamicEntry { return nil }

func (q *recordingQueue) Quota(name string) QuotaUsage {
	if name == "tenant" {
		return QuotaUsage{Count: 3, Bytes: 4096}
	}
	return QuotaUsage{}
}

// queueProvider carries a queue the way a hook context does.
type queueProvider struct{ q QueueHost }

func (p queueProvider) QueueHost() QueueHost { return p.q }

func TestQueuePolicyPassesRequest(t *testing.T) {
	q := &recordingQueue{}
	out, err := runLibScript(t, `
		echo queue_policy(["localip", "remotemx"], ["remotemx" => "mx1.example.net"],
			["rate" => [10, 60], "concurrency" => "2", "tag" => "backoff",
			 "properties" => ["reason" => "421", "n" => 5]], 300);
		echo PickupPolicy(["remotemx"], ["remotemx" => ["#gsuite", "*.example.com"]],
			["rate" => "5/1m", "connectinterval" => 0.5, "tags" => ["a", "b"]], "3600", ["update" => false]);
	`, scriptRun{host: q})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[\"id\"=>\"policy-1\"]\ntrue\n"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
	if len(q.policies) != 2 {
		t.Fatalf("host got %d policies, want 2", len(q.policies))
	}

	want := DynamicPolicy{
		Fields:    []string{"localip", "remotemx"},
		Condition: map[string][]string{"remotemx": {"mx1.example.net"}},
		Limits: PolicyLimits{Concurrency: 2, RateCount: 10, RateInterval: time.Minute,
			Tags: []string{"backoff"}, Properties: map[string]string{"reason": "421", "n": "5"}},
		TTL: 300 * time.Second,
	}
	if !reflect.DeepEqual(q.policies[0], want) {
		t.Errorf("first policy = %+v\nwant %+v", q.policies[0], want)
	}
	want = DynamicPolicy{
		Fields:    []string{"remotemx"},
		Condition: map[string][]string{"remotemx": {"#gsuite", "*.example.com"}},
		Limits: PolicyLimits{RateCount: 5, RateInterval: time.Minute, ConnectInterval: 500 * time.Millisecond,
			Tags: []string{"a", "b"}},
		TTL: time.Hour,
	}
	if !reflect.DeepEqual(q.policies[1], want) {
		t.Errorf("second policy = %+v\nwant %+v", q.policies[1], want)
	}
	if !reflect.DeepEqual(q.updates, []bool{true, false}) {
		t.Errorf("update flags = %v, want [true false]", q.updates)
	}
}

func TestQueuePolicyRateForms(t *testing.T) {
	cases := []struct {
		rate     string
		count    int
		interval time.Duration
	}{
		{`10`, 10, time.Second},
		{`"10"`, 10, time.Second},
		{`"10/30"`, 10, 30 * time.Second},
		{`"10/30s"`, 10, 30 * time.Second},
		{`"3/2h"`, 3, 2 * time.Hour},
		{`"1/1d"`, 1, 24 * time.Hour},
		{`[5, "60"]`, 5, time.Minute},
	}
	for _, c := range cases {
		q := &recordingQueue{}
		_, err := runLibScript(t, `queue_policy(["remotemx"], [], ["rate" => `+c.rate+`], 60);`, scriptRun{host: q})
		if err != nil {
			t.Errorf("rate %s: %v", c.rate, err)
			continue
		}
		if len(q.policies) != 1 {
			t.Errorf("rate %s: host got %d policies", c.rate, len(q.policies))
			continue
		}
		if l := q.policies[0].Limits; l.RateCount != c.count || l.RateInterval != c.interval {
			t.Errorf("rate %s = %d per %v, want %d per %v", c.rate, l.RateCount, l.RateInterval, c.count, c.interval)
		}
	}
}

func TestQueuePolicyRejectedValues(t *testing.T) {
	// Values that are well typed but invalid give none (false for the 5.2
	// name) without reaching the host.
	calls := []string{
		`queue_policy(["remotemx"], [], ["concurrency" => 0], 60)`,
		`queue_policy(["remotemx"], [], ["concurrency" => 1.5], 60)`,
		`queue_policy(["remotemx"], [], ["rate" => "ten"], 60)`,
		`queue_policy(["remotemx"], [], ["rate" => [0, 60]], 60)`,
		`queue_policy(["remotemx"], [], ["rate" => [1, 0]], 60)`,
		`queue_policy(["remotemx"], [], ["rate" => "1/x"], 60)`,
		`queue_policy(["remotemx"], [], ["tag" => "only a tag"], 60)`,
		`queue_policy(["remotemx"], [], ["concurrency" => 1], 0)`,
		`queue_policy(["remotemx"], [], ["concurrency" => 1], -5)`,
		`queue_policy([], [], ["concurrency" => 1], 60)`,
		`queue_policy(["remotemx"], ["localip" => "10.0.0.1"], ["concurrency" => 1], 60)`,
		`queue_suspend([], 60)`,
		`queue_suspend(["remotemx" => "x"], 0)`,
	}
	for _, call := range calls {
		q := &recordingQueue{}
		out, err := runLibScript(t, `echo `+call+` === none ? "none" : "value";`, scriptRun{host: q})
		if err != nil || out != "none\n" {
			t.Errorf("%s = %q, %v; want none", call, out, err)
		}
		if len(q.policies)+len(q.suspends) != 0 {
			t.Errorf("%s reached the host", call)
		}

		pickup := strings.Replace(strings.Replace(call, "queue_policy(", "PickupPolicy(", 1), "queue_suspend(", "PickupSuspend(", 1)
		out, err = runLibScript(t, `echo `+pickup+`;`, scriptRun{host: q})
		if err != nil || out != "false\n" {
			t.Errorf("%s = %q, %v; want false", pickup, out, err)
		}
	}

	// A host error is reported the same way.
	q := &recordingQueue{fail: errors.New("no policy with fields remotemx")}
	out, err := runLibScript(t, `echo queue_policy(["remotemx"], [], ["concurrency" => 1], 60) === none ? "none" : "value"; echo PickupSuspend(["remotemx" => "x"], 60);`, scriptRun{host: q})
	if err != nil || out != "none\nfalse\n" {
		t.Errorf("host error gave %q, %v", out, err)
	}
}

func TestQueueTypeErrors(t *testing.T) {
	q := &recordingQueue{}
	cases := []struct{ call, err string }{
		{`queue_policy("remotemx", [], ["concurrency" => 1], 60)`, "queue_policy(): argument 1 (fields) must be an array, got string"},
		{`queue_policy(["remotemx"], [], ["concurrency" => []], 60)`, `queue_policy(): policy "concurrency" must be a number, got array`},
		{`queue_policy(["remotemx"], [], ["rate" => true], 60)`, `queue_policy(): policy "rate" must be a number, a string or [count, interval], got boolean`},
		{`queue_policy(["remotemx"], [], ["concurrency" => 1], [])`, "queue_policy(): argument 4 (ttl) must be a number, got array"},
		{`queue_policy(["remotemx"], [], ["concurrency" => 1], 60, ["update" => "no"])`, `queue_policy(): option "update" must be a boolean, got string`},
		{`queue_policy(["remotemx"], ["remotemx" => true], ["concurrency" => 1], 60)`, `queue_policy(): condition "remotemx" must be a string or an array, got boolean`},
		{`queue_policy([[]], [], ["concurrency" => 1], 60)`, "queue_policy(): fields must contain strings, got array"},
		{`queue_suspend(["remotemx" => "x"], 60, ["tag" => []])`, `queue_suspend(): option "tag" must be a string, got array`},
		{`queue_policy(["remotemx"], [], ["concurrency" => 1])`, "queue_policy(): expected 4 to 5 arguments, got 3"},
	}
	for _, c := range cases {
		_, err := runLibScript(t, c.call+";", scriptRun{host: q})
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: error %v, want %q", c.call, err, c.err)
		}
	}
}

func TestQueueSuspendDeleteQuota(t *testing.T) {
	q := &recordingQueue{}
	out, err := runLibScript(t, `
		echo queue_suspend(["remotemx" => "*.example.com", "localip" => ["10.0.0.1", "10.0.0.2"]], 600, ["tag" => "maintenance"]);
		echo queue_policy_delete("policy-1");
		echo queue_policy_delete("nope");
		echo queue_quota("tenant");
		echo queue_quota("unknown");
	`, scriptRun{host: queueProvider{q}})
	if err != nil {
		t.Fatal(err)
	}
	want := "[\"id\"=>\"suspend-1\"]\ntrue\nfalse\n[\"count\"=>3,\"bytes\"=>4096]\n[\"count\"=>0,\"bytes\"=>0]\n"
	if out != want {
		t.Errorf("output %q, want %q", out, want)
	}
	wantSuspend := DynamicSuspend{
		Fields: map[string][]string{"remotemx": {"*.example.com"}, "localip": {"10.0.0.1", "10.0.0.2"}},
		Tag:    "maintenance",
		TTL:    10 * time.Minute,
	}
	if len(q.suspends) != 1 || !reflect.DeepEqual(q.suspends[0], wantSuspend) {
		t.Errorf("suspends = %+v, want %+v", q.suspends, wantSuspend)
	}
	if !reflect.DeepEqual(q.deleted, []string{"policy-1", "nope"}) {
		t.Errorf("deleted = %q", q.deleted)
	}
}

func TestQueueWithoutHost(t *testing.T) {
	for _, call := range []string{
		`queue_policy(["remotemx"], [], ["concurrency" => 1], 60)`,
		`PickupPolicy(["remotemx"], [], ["concurrency" => 1], 60)`,
		`queue_suspend(["remotemx" => "x"], 60)`,
		`PickupSuspend(["remotemx" => "x"], 60)`,
		`queue_policy_delete("x")`,
		`queue_quota("x")`,
	} {
		name := call[:strings.IndexByte(call, '(')]
		_, err := runLibScript(t, call+";", scriptRun{})
		if err == nil || !strings.Contains(err.Error(), name+"(): no queue attached") {
			t.Errorf("%s without a queue: %v", name, err)
		}
		_, err = runLibScript(t, call+";", scriptRun{host: queueProvider{nil}})
		if err == nil || !strings.Contains(err.Error(), "no queue attached") {
			t.Errorf("%s with a provider of no queue: %v", name, err)
		}
	}
}
