package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestParseScheduleRepeats(t *testing.T) {
	s, err := ParseSchedule("1m, 5m*2, 1h")
	if err != nil {
		t.Fatal(err)
	}
	want := Schedule{time.Minute, 5 * time.Minute, 5 * time.Minute, time.Hour}
	if len(s) != len(want) {
		t.Fatalf("schedule %v, want %v", s, want)
	}
	for i := range want {
		if s[i] != want[i] {
			t.Errorf("interval %d = %v, want %v", i, s[i], want[i])
		}
	}
	if got := s.Delay(1); got != time.Minute {
		t.Errorf("Delay(1) = %v, want 1m", got)
	}
	if got := s.Delay(3); got != 5*time.Minute {
		t.Errorf("Delay(3) = %v, want 5m", got)
	}
	if got := s.Delay(40); got != time.Hour {
		t.Errorf("Delay(40) = %v, want the last interval 1h", got)
	}
	if got := s.String(); got != "1m, 5m*2, 1h" {
		t.Errorf("String() = %q", got)
	}
}

func TestParseScheduleInvalid(t *testing.T) {
	for _, in := range []string{"", "5x", "1m*0", "1m*x", "-1m", "1m,,2m"} {
		if _, err := ParseSchedule(in); err == nil {
			t.Errorf("ParseSchedule(%q) accepted", in)
		}
	}
}

func TestParseDurationDays(t *testing.T) {
	cases := map[string]time.Duration{"2d": 48 * time.Hour, "1d12h": 36 * time.Hour, "90": 90 * time.Second, "0.5": 500 * time.Millisecond}
	for in, want := range cases {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func TestEmptyFileDefaults(t *testing.T) {
	cfg, err := Parse("smtpd.yaml", nil, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Servers) != 1 || cfg.Servers[0].Listeners[0].HostPort() != "127.0.0.1:2525" {
		t.Errorf("servers = %+v, want one listener on 127.0.0.1:2525", cfg.Servers)
	}
	tr := cfg.DefaultTransport()
	if tr.ID != "mx" || tr.Server != "" {
		t.Errorf("default transport = %+v, want mx by MX lookup", tr)
	}
	if tr.Retry.Count != 30 || tr.OnExpire != "bounce" || tr.Retry.MaxAge != 5*24*time.Hour {
		t.Errorf("default retry = %+v, onexpire %q", tr.Retry, tr.OnExpire)
	}
	if cfg.Spool.Path != "spool" {
		t.Errorf("spool = %+v", cfg.Spool)
	}
}

func TestGroupSettingsInherited(t *testing.T) {
	src := `
transportgroups:
  - id: bulk
    retry:
      intervals: "1m, 5m*2, 1h"
      count: 5
      maxage: 2d
      jitter: 20%
    dsn:
      onexpire: delete
    connection:
      sourceip: [127.0.0.2, {id: second, address: 127.0.0.3}]
    transports:
      - id: relay
        connection:
          server: 127.0.0.1
          port: 2526
      - id: mx
        retry:
          intervals: [{interval: 60}, 10m]
        dsn:
          transport: relay
`
	cfg, err := Parse("smtpd.yaml", []byte(src), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	relay, mx := cfg.Transport("relay"), cfg.Transport("mx")
	if relay == nil || mx == nil {
		t.Fatalf("transports = %v", cfg.Transports)
	}
	if relay.Server != "127.0.0.1" || relay.Port != 2526 {
		t.Errorf("relay next hop = %s:%d", relay.Server, relay.Port)
	}
	if relay.Retry.Intervals.String() != "1m, 5m*2, 1h" || relay.Retry.Count != 5 || relay.Retry.Jitter != 0.2 {
		t.Errorf("relay retry = %+v", relay.Retry)
	}
	if relay.OnExpire != "delete" || relay.DSNTransport != "relay" {
		t.Errorf("relay onexpire %q dsn transport %q", relay.OnExpire, relay.DSNTransport)
	}
	if len(relay.SourceIPs) != 2 || relay.SourceIPs[0].ID != "127.0.0.2" || relay.SourceIPs[1].ID != "second" {
		t.Errorf("relay source IPs = %+v", relay.SourceIPs)
	}
	if mx.Retry.Intervals.String() != "1m, 10m" || mx.Retry.Count != 5 {
		t.Errorf("mx retry = %+v", mx.Retry)
	}
	if mx.DSNTransport != "relay" || mx.Server != "" {
		t.Errorf("mx = %+v", mx)
	}
	if cfg.Servers[0].Transport != "relay" {
		t.Errorf("server transport = %q, want the first transport", cfg.Servers[0].Transport)
	}
}

func TestErrorsNameFileLineKey(t *testing.T) {
	src := `servers:
  - listeners:
      - address: 127.0.0.1
        prot: 25
    transport: nowhere
transportgroups:
  - retry:
      intervals: "1m, 5x"
      count: 0
    transports:
      - id: mx
        session:
          tls: maybe
`
	_, err := Parse("smtpd.yaml", []byte(src), t.TempDir())
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error %v is not an ErrorList", err)
	}
	want := []string{
		`smtpd.yaml:4:9: servers[0].listeners[0].prot: unknown key (did you mean "port"?)`,
		`smtpd.yaml:8:18: transportgroups[0].retry.intervals: invalid duration "5x"`,
		`smtpd.yaml:9:14: transportgroups[0].retry.count: must be at least 1, got 0`,
		`smtpd.yaml:13:16: transportgroups[0].transports[0].session.tls: expected disabled, optional, optional_verify, require or require_verify, got "maybe"`,
	}
	text := err.Error()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("errors lack %q; got:\n%s", w, text)
		}
	}
}

func TestUnknownTransportReference(t *testing.T) {
	src := "servers:\n  - transport: nowhere\n"
	_, err := Parse("smtpd.yaml", []byte(src), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), `smtpd.yaml:2:16: servers[0].transport: unknown transport "nowhere"`) {
		t.Errorf("error = %v", err)
	}
}

func TestYAMLSyntaxErrorHasLine(t *testing.T) {
	_, err := Parse("smtpd.yaml", []byte("spool:\n  path: a\n\tfsync: true\n"), t.TempDir())
	if err == nil || !regexp.MustCompile(`^smtpd\.yaml:\d+: `).MatchString(err.Error()) {
		t.Errorf("error = %v, want smtpd.yaml:LINE: message", err)
	}
}

func TestLoadResolvesHookPaths(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "post.hsl"), []byte("Default();\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := "scripting:\n  hooks:\n    postdelivery: post.hsl\n    predelivery: missing.hsl\n"
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "smtpd.yaml:4:18: scripting.hooks.predelivery: script") {
		t.Fatalf("error = %v, want the missing predelivery script", err)
	}

	src = "scripting:\n  hooks:\n    postdelivery: post.hsl\n"
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Scripting.PostDelivery != filepath.Join(dir, "post.hsl") {
		t.Errorf("postdelivery = %q", cfg.Scripting.PostDelivery)
	}
}

func TestLoadEmbeddedWhenMissing(t *testing.T) {
	cfg, err := Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.File != "(embedded)/smtpd.yaml" || cfg.Servers[0].ID != "inbound" {
		t.Errorf("config from %s, servers %+v", cfg.File, cfg.Servers)
	}
}

func TestAPIRequiresToken(t *testing.T) {
	_, err := Parse("smtpd.yaml", []byte("api:\n  address: 127.0.0.1:8080\n"), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "api.token: missing token") {
		t.Errorf("error = %v", err)
	}
}

func TestResolverAddressNeedsPort(t *testing.T) {
	for _, addr := range []string{"127.0.0.1", "localhost:53", "dns.example"} {
		src := "resolver:\n  address: " + addr + "\n"
		_, err := Parse("smtpd.yaml", []byte(src), t.TempDir())
		want := `smtpd.yaml:2:12: resolver.address: invalid DNS server "` + addr + `": want IP:port`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("address %s: error = %v, want %q", addr, err, want)
		}
	}
	if _, err := Parse("smtpd.yaml", []byte("resolver:\n  address: 127.0.0.1:53\n"), t.TempDir()); err != nil {
		t.Errorf("127.0.0.1:53 refused: %v", err)
	}
}

func TestServerClients(t *testing.T) {
	cfg, err := Parse("smtpd.yaml", []byte("servers:\n  - id: a\n  - id: b\n    clients: [10.1.0.0/16, 192.0.2.7, \"2001:db8::/32\"]\n"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(cfg.Servers[0].Clients); got != "[127.0.0.0/8 ::1/128]" {
		t.Errorf("default clients %s, want the loopback networks", got)
	}
	if got := fmt.Sprint(cfg.Servers[1].Clients); got != "[10.1.0.0/16 192.0.2.7/32 2001:db8::/32]" {
		t.Errorf("clients %s", got)
	}

	for src, want := range map[string]string{
		"servers:\n  - clients: [10.0.0.300]\n": `smtpd.yaml:2:15: servers[0].clients[0]: invalid network "10.0.0.300"`,
		"servers:\n  - clients: []\n":           `smtpd.yaml:2:14: servers[0].clients: empty list`,
	} {
		_, err := Parse("smtpd.yaml", []byte(src), t.TempDir())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", src, err, want)
		}
	}
}

func TestTransportReferenceErrorsGiveTheKeyPath(t *testing.T) {
	src := `transportgroups:
  - dsn: {transport: nosuch}
    transports:
      - id: a
      - id: a
        dsn: {transport: missing}
`
	_, err := Parse("smtpd.yaml", []byte(src), t.TempDir())
	for _, want := range []string{
		`smtpd.yaml:2:22: transportgroups[0].dsn.transport: unknown transport "nosuch"`,
		`smtpd.yaml:6:26: transportgroups[0].transports[1].dsn.transport: unknown transport "missing"`,
		`smtpd.yaml:5:9: transportgroups[0].transports[1]: duplicate transport id "a"`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q; got:\n%v", want, err)
		}
	}
}
