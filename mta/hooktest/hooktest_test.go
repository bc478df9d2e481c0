package hooktest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halonsh/halonsh/mta/hooks"
	"github.com/halonsh/halonsh/mta/queue"
)

const policyYAML = `
policies:
  - id: A
    fields:
      - localip
      - remotemx:
          gsuite: ['*.google.com', '*.googlemail.com', '*.smtp.goog']
    conditions:
      - if: {remotemx: '#gsuite'}
        then: {concurrency: 10, rate: 50}
    default: {concurrency: 5, rate: 10}
`

// backoffScript is the post-delivery backoff hook of the policy
// scenarios, written out here so the test does not depend on the example
// in scripts/.
const backoffScript = `
if (($arguments["attempt"]["result"]["code"] ?? 0) >= 400) {
    $mx = $arguments["attempt"]["connection"]["remotemx"];
    if (rate("mx-fail", $mx, 10, 60, ["sync" => false]) == false) {
        cache ["ttl" => 300, "size" => 1024]
            queue_policy(["localip", "remotemx"], ["remotemx" => $mx],
                         ["rate" => [10, 60]], 300);
    }
}
`

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func newBackoffSim(t *testing.T) *Simulator {
	t.Helper()
	dir := writeFiles(t, map[string]string{"policy.yaml": policyYAML, "hook.hsl": backoffScript})
	ResetSharedState()
	sim, err := New(Options{Kind: hooks.PostDelivery, Script: filepath.Join(dir, "hook.hsl"), Policy: filepath.Join(dir, "policy.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	return sim
}

func failure(mx string) *Attempt {
	return &Attempt{Attempt: &AttemptResult{Result: queue.Result{
		SMTP:       &queue.SMTPResult{Code: 421, Enhanced: []int{4, 7, 0}, Reason: []string{"try later"}, State: "RCPT"},
		Connection: &queue.ConnectionInfo{LocalIP: "10.0.0.1", RemoteIP: "192.0.2.1", RemoteMX: mx},
	}}}
}

func TestBackoffScenario(t *testing.T) {
	sim := newBackoffSim(t)
	ctx := context.Background()
	mx := "mx1.example.net"

	// Ten failures, one per second: no policy yet.
	for i := 0; i < 10; i++ {
		if r := sim.Attempt(ctx, failure(mx)); r.Error != "" || r.Action != "QUEUE" {
			t.Fatalf("failure %d: %+v", i+1, r)
		}
		sim.Advance(time.Second)
	}
	if n := len(sim.State().Policies); n != 0 {
		t.Fatalf("after ten failures: %d policies, want 0", n)
	}

	// The eleventh, at t = 10 s, adds exactly one policy expiring at 310 s.
	sim.Attempt(ctx, failure(mx))
	st := sim.State()
	if len(st.Policies) != 1 {
		t.Fatalf("after the eleventh failure: %d policies, want 1", len(st.Policies))
	}
	first := st.Policies[0]
	if first.Rate != "10/60" || first.TTL != 300 || first.Condition["remotemx"][0] != mx {
		t.Errorf("policy = %+v, want rate 10/60 for %s with ttl 300", first, mx)
	}

	// One failure a second until t = 300 s: still the same single policy.
	for sec := 11; sec <= 300; sec++ {
		sim.Advance(time.Second)
		sim.Attempt(ctx, failure(mx))
	}
	st = sim.State()
	if len(st.Policies) != 1 || st.Policies[0].ID != first.ID {
		t.Fatalf("at t = 300 s: policies %+v, want only %s", st.Policies, first.ID)
	}

	// At 310 s the policy has expired.
	sim.Advance(10 * time.Second)
	if n := len(sim.State().Policies); n != 0 {
		t.Fatalf("at t = 310 s: %d policies, want 0", n)
	}

	// A quiet minute, then eleven failures add a new policy: the cache
	// entry expired with the policy.
	sim.Advance(61 * time.Second)
	for i := 0; i < 11; i++ {
		sim.Attempt(ctx, failure(mx))
		sim.Advance(time.Second)
	}
	st = sim.State()
	if len(st.Policies) != 1 || st.Policies[0].ID == first.ID {
		t.Fatalf("after the second burst: policies %+v, want one new policy", st.Policies)
	}
}

func TestBackoffRollsUpGoogle(t *testing.T) {
	sim := newBackoffSim(t)
	for i := 0; i < 11; i++ {
		sim.Attempt(context.Background(), failure("alt1.aspmx.l.google.com"))
	}
	st := sim.State()
	if len(st.Policies) != 1 {
		t.Fatalf("policies = %+v, want 1", st.Policies)
	}
	if got := st.Policies[0].Condition["remotemx"]; len(got) != 1 || got[0] != "#gsuite" {
		t.Errorf("condition = %v, want remotemx=#gsuite", got)
	}
}

func TestBackoffConcurrentRuns(t *testing.T) {
	sim := newBackoffSim(t)
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		sim.Attempt(ctx, failure("mx1.example.net"))
	}

	// Eleven runs at once: rate() is atomic and the cache runs one call
	// per key, so exactly one policy results.
	var wg sync.WaitGroup
	for i := 0; i < 11; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sim.runner.RunPost(ctx, &queue.PostDelivery{
				Message: DefaultMessage().queueMessage(),
				Action:  "QUEUE",
				Attempt: &failure("mx1.example.net").Attempt.Result,
			})
		}()
	}
	wg.Wait()
	if n := len(sim.State().Policies); n != 1 {
		t.Fatalf("policies = %d, want 1", n)
	}
}

func TestSuccessCountsNothing(t *testing.T) {
	sim := newBackoffSim(t)
	ok := &Attempt{Attempt: &AttemptResult{Result: queue.Result{
		SMTP:       &queue.SMTPResult{Code: 250, State: "EOD"},
		Connection: &queue.ConnectionInfo{LocalIP: "10.0.0.1", RemoteMX: "mx1.example.net"},
	}}}
	for i := 0; i < 30; i++ {
		if r := sim.Attempt(context.Background(), ok); r.Action != "DELIVERED" {
			t.Fatalf("run %d: action %s, want DELIVERED", i+1, r.Action)
		}
	}
	st := sim.State()
	if len(st.Policies) != 0 || len(st.Rates) != 0 {
		t.Errorf("state after deliveries = %+v, want no policies and no rate events", st)
	}
}

func TestRunTestFileReportsFailures(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"policy.yaml": policyYAML,
		"hook.hsl":    backoffScript + "\necho \"seen\";\n",
		"hook.test.yaml": `
script: hook.hsl
context: postdelivery
policy: policy.yaml
steps:
  - name: wrong action
    attempt: &fail
      attempt:
        result: {code: 421, state: RCPT}
        connection: {localip: 10.0.0.1, remotemx: mx1.example.net}
    expect: {action: BOUNCE, echo: "seen\n"}
  - name: wrong count
    attempt: *fail
    repeat: 10
    expect: {policies: 0}
  - name: wrong echo
    attempt: *fail
    expect: {echo_contains: "never"}
`,
	})

	failures, err := RunTestFile(context.Background(), filepath.Join(dir, "hook.test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var text []string
	for _, f := range failures {
		text = append(text, f.String())
	}
	all := strings.Join(text, "\n")

	for _, want := range []string{
		"step 1 (wrong action), run 1: expected action BOUNCE, got QUEUE",
		"step 2 (wrong count), run 10: expected 0 policies in force, got 1",
		"step 3 (wrong echo), run 1: expected echo containing \"never\"",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("failures lack %q; got:\n%s", want, all)
		}
	}
	if strings.Contains(all, "step 2 (wrong count), run 9:") {
		t.Errorf("run 9 of step 2 failed, but only ten failures within a minute must add nothing:\n%s", all)
	}
}

func TestLoadTestFileErrors(t *testing.T) {
	cases := map[string]string{
		"no script":   "context: postdelivery\nsteps: [{advance: 1s}]\n",
		"bad advance": "script: x.hsl\ncontext: postdelivery\nsteps: [{advance: soon}]\n",
		"both kinds":  "script: x.hsl\ncontext: postdelivery\nsteps: [{advance: 1s, attempt: {}}]\n",
		"unknown key": "script: x.hsl\ncontext: postdelivery\nsteps: [{advance: 1s, expect: {actoin: QUEUE}}]\n",
	}
	for name, text := range cases {
		dir := writeFiles(t, map[string]string{"t.yaml": text})
		if _, err := LoadTestFile(filepath.Join(dir, "t.yaml")); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestReplayFollowsTimestamps(t *testing.T) {
	lines := `{"ts":"2026-03-01T10:00:00Z","retry":0,"expired":false,"action":"QUEUE","attempt":{"result":{"code":421,"state":"RCPT","reason":["busy"]},"connection":{"localip":"10.0.0.1","remoteip":"192.0.2.1","remotemx":"mx1.example.net"},"duration":0.2},"outcome":"QUEUE","delay":60}
{"ts":"2026-03-01T10:00:30Z","retry":1,"expired":false,"action":"QUEUE","attempt":{"result":{"code":421,"state":"RCPT","reason":["busy"]},"connection":{"localip":"10.0.0.1","remoteip":"192.0.2.1","remotemx":"mx1.example.net"},"duration":0.2},"outcome":"QUEUE","delay":60}
`
	attempts, err := ReadReplay("log.jsonl", strings.NewReader(lines))
	if err != nil {
		t.Fatal(err)
	}
	if len(attempts) != 2 || attempts[1].Retry != 1 || attempts[1].Attempt.SMTP.Code != 421 {
		t.Fatalf("attempts = %+v", attempts)
	}
	if got := attempts[1].Time().Sub(attempts[0].Time()); got != 30*time.Second {
		t.Errorf("time between lines = %v, want 30s", got)
	}

	_, err = ReadReplay("log.jsonl", strings.NewReader("{\"ts\":\"2026-03-01T10:00:30Z\"}\n{\"ts\":\"2026-03-01T10:00:00Z\"}\n"))
	if err == nil || !strings.Contains(err.Error(), "log.jsonl:2:") {
		t.Errorf("out-of-order lines: err = %v, want one at log.jsonl:2", err)
	}
}

func TestShippedBackoffTest(t *testing.T) {
	failures, err := RunTestFile(context.Background(), "../../scripts/postdelivery-backoff.test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range failures {
		t.Error(f)
	}
}
