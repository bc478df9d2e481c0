package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runPolicyForTest(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runPolicy(args, &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

func TestPolicyCheckExample(t *testing.T) {
	out, errOut, code := runPolicyForTest(t, "check", "../../scripts/smtpd-policy.yaml", "../../scripts/smtpd-suspend.yaml")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"policies: 2",
		"per-mx: fields localip, remotemx (rollups gsuite); 1 condition; default concurrency 5, rate 10 per 1s",
		"o365: fields localip, remotemx (rollups o365), remoteip; 1 condition; no default",
		"suspends[0]: remotemx=*.blocked.example (tag maintenance)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestPolicyCheckInvalid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "smtpd-policy.yaml")
	if err := os.WriteFile(path, []byte("policies:\n  - fields: [localip]\n    default:\n      rate: ten\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runPolicyForTest(t, "check", path)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	want := path + `:4:13: policies[0].default.rate: expected N or "N/interval", got "ten"` + "\n"
	if errOut != want {
		t.Errorf("stderr = %q, want %q", errOut, want)
	}
}

func TestPolicyMatchText(t *testing.T) {
	out, errOut, code := runPolicyForTest(t, "match", "../../scripts/smtpd-policy.yaml", "localip=10.0.0.1", "remotemx=alt1.aspmx.l.google.com")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	want := `per-mx: localip=10.0.0.1,remotemx=#gsuite
  condition: conditions[0] remotemx=#gsuite
  concurrency: 10
  rate: 50 per 1s
  tags: google
o365: localip=10.0.0.1,remotemx=alt1.aspmx.l.google.com,remoteip=
  not limited: no condition matches and the policy has no default
`
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}

func TestPolicyMatchJSON(t *testing.T) {
	out, errOut, code := runPolicyForTest(t, "match", "../../scripts/smtpd-policy.yaml", "../../scripts/smtpd-suspend.yaml",
		"localip=10.0.0.1", "remotemx=mx.blocked.example", "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var r matchReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if len(r.Suspends) != 1 || r.Suspends[0].Tag != "maintenance" {
		t.Errorf("suspends = %+v, want the maintenance suspend", r.Suspends)
	}
	if len(r.Policies) != 2 {
		t.Fatalf("%d policies, want 2", len(r.Policies))
	}
	p := r.Policies[0]
	if p.Key != "per-mx: localip=10.0.0.1,remotemx=mx.blocked.example" || !p.Default || p.Limits == nil || p.Limits.Concurrency != 5 {
		t.Errorf("per-mx = %+v", p)
	}
	if r.Policies[1].Limited {
		t.Errorf("o365 limited: %+v", r.Policies[1])
	}
}

func TestPolicyUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"match", "../../scripts/smtpd-policy.yaml", "remotmx=x"}, `halonsh policy match: unknown field "remotmx"`},
		{[]string{"match", "localip=10.0.0.1"}, "halonsh policy match: name at least one policy file"},
		{[]string{"check"}, "halonsh policy check: name at least one policy file"},
		{[]string{"lint"}, `halonsh policy: unknown subcommand "lint"; use check or match`},
	}
	for _, c := range cases {
		_, errOut, code := runPolicyForTest(t, c.args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", c.args, code)
		}
		if !strings.Contains(errOut, c.want) {
			t.Errorf("%v: stderr %q, want %q", c.args, errOut, c.want)
		}
	}
	if out, _, code := runPolicyForTest(t, "check", "--help"); code != 0 || !strings.Contains(out, "Usage: halonsh policy check") {
		t.Errorf("--help: exit %d, output %q", code, out)
	}
}
