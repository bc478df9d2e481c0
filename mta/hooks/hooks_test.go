package hooks

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halonsh/halonsh/builtins"
	"github.com/halonsh/halonsh/lang/vm"
	"github.com/halonsh/halonsh/mta/policy"
	"github.com/halonsh/halonsh/mta/queue"
)

func stdlib() *vm.Library {
	lib := vm.NewLibrary()
	builtins.Install(lib)
	return lib
}

// quiet drops the log lines of script errors the tests cause on purpose.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func mustCompile(t *testing.T, kind Kind, src string) *Script {
	t.Helper()
	s, err := Compile(stdlib(), kind, "hook.hsl", []byte(src))
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return s
}

func testMessage() queue.Message {
	return queue.Message{
		ID:            "q1",
		TransactionID: "tx-1",
		Sender:        "Alice@Example.org",
		Recipient:     "bob@example.net",
		TransportID:   "mx",
		Size:          2048,
		Metadata:      map[string]string{"campaign": "spring"},
	}
}

func failedAttempt() *queue.Result {
	return &queue.Result{
		SMTP: &queue.SMTPResult{Code: 421, Enhanced: []int{4, 7, 0}, Reason: []string{"try later"}, State: "RCPT"},
		Connection: &queue.ConnectionInfo{
			LocalIP: "10.0.0.1", RemoteIP: "192.0.2.7", RemoteMX: "mx1.example.net", Transactions: 1,
		},
		Duration: 1500 * time.Millisecond,
	}
}

func runPost(t *testing.T, src string, in *queue.PostDelivery) Outcome {
	t.Helper()
	r := &Runner{Post: mustCompile(t, PostDelivery, src), CollectEcho: true, Logger: quiet}
	return r.RunPost(context.Background(), in)
}

func TestPostDeliveryVariables(t *testing.T) {
	out := runPost(t, `
		echo $arguments["attempt"]["result"]["code"];
		echo $arguments["attempt"]["result"]["enhanced"][1];
		echo $arguments["attempt"]["result"]["reason"][0];
		echo $arguments["attempt"]["connection"]["remotemx"];
		echo $arguments["attempt"]["duration"];
		echo $arguments["action"];
		echo $arguments["retry"];
		echo $message["sender"];
		echo $message["senderaddress"]["domain"];
		echo $message["recipient"];
		echo $message["id"]["transaction"];
		echo $message["size"];
	`, &queue.PostDelivery{Message: testMessage(), Retry: 3, Action: "QUEUE", Attempt: failedAttempt()})

	if out.Err != nil {
		t.Fatalf("run: %v", out.Err)
	}
	want := "421\n7\ntry later\nmx1.example.net\n1.5\nQUEUE\n3\nalice@example.org\nExample.org\nbob@example.net\ntx-1\n2048\n"
	if out.Echo != want {
		t.Errorf("echo = %q, want %q", out.Echo, want)
	}
}

func TestPostDeliveryImplicitDefault(t *testing.T) {
	out := runPost(t, `$x = 1;`, &queue.PostDelivery{Message: testMessage(), Action: "QUEUE", Attempt: failedAttempt()})
	if out.Explicit {
		t.Error("Explicit = true for a script without a context function")
	}
	if out.Action.Kind != queue.ActionDefault {
		t.Errorf("action = %v, want DEFAULT", out.Action.Kind)
	}
}

func TestQueueOptionsEndTheRun(t *testing.T) {
	out := runPost(t, `
		try {
			Queue(["delay" => 90, "reason" => "slow down", "increment_retry" => false]);
		} catch ($e) {
			echo "caught";
		}
		echo "after";
	`, &queue.PostDelivery{Message: testMessage(), Action: "QUEUE", Attempt: failedAttempt()})

	if out.Err != nil {
		t.Fatalf("run: %v", out.Err)
	}
	if out.Echo != "" {
		t.Errorf("echo = %q: code after Queue() ran", out.Echo)
	}
	a := out.Action
	if a.Kind != queue.ActionQueue {
		t.Fatalf("action = %v, want QUEUE", a.Kind)
	}
	if !a.DelaySet || a.Delay != 90*time.Second {
		t.Errorf("delay = %v (set %v), want 90s", a.Delay, a.DelaySet)
	}
	if a.Reason != "slow down" {
		t.Errorf("reason = %q", a.Reason)
	}
	if !a.KeepRetry {
		t.Error("KeepRetry = false with increment_retry false")
	}
}

func TestBounceAfterDeliveryIsAnError(t *testing.T) {
	delivered := &queue.Result{SMTP: &queue.SMTPResult{Code: 250, State: "EOD"}, Delivered: true}
	out := runPost(t, `Bounce();`, &queue.PostDelivery{Message: testMessage(), Attempt: delivered})

	if out.Err == nil || !strings.Contains(out.Err.Error(), "Bounce") {
		t.Fatalf("err = %v, want an error naming Bounce", out.Err)
	}
	if out.Action.Kind != queue.ActionDefault {
		t.Errorf("action after a script error = %v, want DEFAULT", out.Action.Kind)
	}
}

func TestPreDeliveryScriptErrorQueues(t *testing.T) {
	r := &Runner{Pre: mustCompile(t, PreDelivery, `$x = 1 / 0;`), CollectEcho: true, Logger: quiet}
	out := r.RunPre(context.Background(), &queue.PreDelivery{Message: testMessage()})

	if out.Err == nil || !strings.Contains(out.Err.Error(), "hook.hsl:1:") {
		t.Fatalf("err = %v, want a positioned script error", out.Err)
	}
	a := out.Action
	if a.Kind != queue.ActionQueue || a.Delay != 300*time.Second || !a.KeepRetry {
		t.Errorf("on-error action = %+v, want Queue with delay 300s and the retry count kept", a)
	}
}

func TestPreDeliveryTryOptions(t *testing.T) {
	r := &Runner{Logger: quiet, Pre: mustCompile(t, PreDelivery, `
		SetMetaData(["route" => "b"]);
		Try(["host" => "192.0.2.9", "port" => 2525, "sourceip" => ["out-2"], "tls" => "require"]);
	`)}
	out := r.RunPre(context.Background(), &queue.PreDelivery{Message: testMessage()})

	if out.Err != nil {
		t.Fatalf("run: %v", out.Err)
	}
	a := out.Action
	if a.Kind != queue.ActionTry {
		t.Fatalf("action = %v, want TRY", a.Kind)
	}
	if a.Try.Host != "192.0.2.9" || a.Try.Port != 2525 || a.Try.TLS != "require" {
		t.Errorf("try options = %+v", a.Try)
	}
	if len(a.Try.SourceIPs) != 1 || a.Try.SourceIPs[0] != "out-2" {
		t.Errorf("source IPs = %v, want [out-2]", a.Try.SourceIPs)
	}
	if a.Metadata["route"] != "b" {
		t.Errorf("metadata = %v, want route=b", a.Metadata)
	}
}

func TestTryRejectsUnknownTLSMode(t *testing.T) {
	r := &Runner{Logger: quiet, Pre: mustCompile(t, PreDelivery, `Try(["tls" => "sometimes"]);`)}
	out := r.RunPre(context.Background(), &queue.PreDelivery{Message: testMessage()})
	if out.Err == nil || !strings.Contains(out.Err.Error(), "sometimes") {
		t.Errorf("err = %v, want an error naming the mode", out.Err)
	}
}

func TestContextFunctionOfOtherContext(t *testing.T) {
	_, err := Compile(stdlib(), PostDelivery, "hook.hsl", []byte(`Try();`))
	if err == nil || !strings.Contains(err.Error(), "Try") {
		t.Errorf("compile error = %v, want one naming Try", err)
	}
}

func TestMetaDataRoundTrip(t *testing.T) {
	out := runPost(t, `
		echo GetMetaData()["campaign"];
		SetMetaData(["campaign" => "summer"]);
		echo GetMetaData()["campaign"];
		Default();
	`, &queue.PostDelivery{Message: testMessage(), Action: "QUEUE", Attempt: failedAttempt()})

	if out.Err != nil {
		t.Fatalf("run: %v", out.Err)
	}
	if out.Echo != "spring\nsummer\n" {
		t.Errorf("echo = %q", out.Echo)
	}
	if out.Action.Metadata["campaign"] != "summer" {
		t.Errorf("metadata = %v, want campaign=summer", out.Action.Metadata)
	}
}

func TestSetMetaDataRejectsNonStrings(t *testing.T) {
	out := runPost(t, `SetMetaData(["n" => 1]);`, &queue.PostDelivery{Message: testMessage(), Action: "QUEUE", Attempt: failedAttempt()})
	if out.Err == nil || !strings.Contains(out.Err.Error(), "SetMetaData") {
		t.Errorf("err = %v, want an error naming SetMetaData", out.Err)
	}
}

func TestQueuePolicyReachesEngine(t *testing.T) {
	cfg, err := policy.Load("policy.yaml", []byte(`
policies:
  - id: per-mx
    fields: [localip, remotemx]
    default: {concurrency: 5}
`))
	if err != nil {
		t.Fatal(err)
	}
	engine := policy.New(cfg)
	r := &Runner{
		Post:        mustCompile(t, PostDelivery, `echo queue_policy(["localip", "remotemx"], ["remotemx" => "mx1.example.net"], ["rate" => [10, 60]], 300)["id"] != "";`),
		Queue:       &PolicyQueue{Engine: engine},
		CollectEcho: true,
		Logger:      quiet,
	}
	out := r.RunPost(context.Background(), &queue.PostDelivery{Message: testMessage(), Action: "QUEUE", Attempt: failedAttempt()})
	if out.Err != nil {
		t.Fatalf("run: %v", out.Err)
	}
	if out.Echo != "true\n" {
		t.Errorf("echo = %q, want the new id", out.Echo)
	}
	conds := engine.DynamicPolicies()
	if len(conds) != 1 {
		t.Fatalf("dynamic policies = %d, want 1", len(conds))
	}
	if got := conds[0].Limits.Rate; got.Count != 10 || got.Interval != time.Minute {
		t.Errorf("rate = %v, want 10/60", got)
	}
}

func TestNoQueueAttached(t *testing.T) {
	out := runPost(t, `queue_suspend(["remotemx" => "mx1.example.net"], 60);`, &queue.PostDelivery{Message: testMessage(), Action: "QUEUE", Attempt: failedAttempt()})
	if out.Err == nil || !strings.Contains(out.Err.Error(), "no queue attached") {
		t.Errorf("err = %v, want \"no queue attached\"", out.Err)
	}
}

func TestContextPassesToPostDelivery(t *testing.T) {
	// No Try(): the implicit end of the script must keep $context too.
	pre := mustCompile(t, PreDelivery, `$context = ["route" => "b"];`)
	post := mustCompile(t, PostDelivery, `echo $context["route"];`)
	r := &Runner{Pre: pre, Post: post, CollectEcho: true, Logger: quiet}

	preOut := r.RunPre(context.Background(), &queue.PreDelivery{Message: testMessage()})
	if preOut.Err != nil {
		t.Fatalf("pre: %v", preOut.Err)
	}
	out := r.RunPost(context.Background(), &queue.PostDelivery{Message: testMessage(), Action: "QUEUE", Attempt: failedAttempt(), Context: preOut.Action.Context})
	if out.Err != nil {
		t.Fatalf("post: %v", out.Err)
	}
	if out.Echo != "b\n" {
		t.Errorf("echo = %q, want b", out.Echo)
	}
}

func TestParseKind(t *testing.T) {
	for _, s := range []string{"postdelivery", "post-delivery"} {
		if k, err := ParseKind(s); err != nil || k != PostDelivery {
			t.Errorf("ParseKind(%q) = %v, %v", s, k, err)
		}
	}
	if _, err := ParseKind("connect"); err == nil {
		t.Error("ParseKind(connect) succeeded")
	}
}

// A hook in a subfolder resolves include paths against the root it is
// compiled in, as serve does with its configuration directory.
func TestCompileInRoot(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "hooks"), 0o755)
	os.WriteFile(filepath.Join(dir, "lib.hsl"), []byte(`function tag() { return "from the root"; }`), 0o644)
	file := filepath.Join(dir, "hooks", "post.hsl")
	src := []byte(`include "lib.hsl"; echo tag();`)

	if _, err := CompileIn(vm.NewLibrary(), PostDelivery, dir, file, src); err != nil {
		t.Errorf("compiled in the root: %v", err)
	}
	if _, err := Compile(vm.NewLibrary(), PostDelivery, file, src); err == nil {
		t.Error("compiled in the script's folder, lib.hsl was found there")
	}
}
