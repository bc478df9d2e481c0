package policy

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown rollup", `
policies:
  - fields:
      - localip
      - remotemx:
          gsuite: ['*.google.com']
    conditions:
      - if:
          remotemx: '#gsuit'
        then: {concurrency: 1}
`, []string{`smtpd-policy.yaml:9:21: policies[0].conditions[0].if.remotemx: unknown rollup or list "#gsuit"`}},
		{"unknown field", `
policies:
  - id: a
    fields: [localip]
  - fields:
      - localip
      - remoteip
      - remotmx
`, []string{`smtpd-policy.yaml:8:9: policies[1].fields[2]: unknown field "remotmx"`}},
		{"bad rate", `
policies:
  - fields: [localip]
    default:
      rate: ten
`, []string{`smtpd-policy.yaml:5:13: policies[0].default.rate: expected N or "N/interval", got "ten"`}},
		{"condition field outside policy", `
policies:
  - fields: [localip]
    conditions:
      - if: {jobid: x}
        then: {concurrency: 1}
`, []string{`smtpd-policy.yaml:5:14: policies[0].conditions[0].if.jobid: field is not one of the policy's fields`}},
		{"duplicate field", `
policies:
  - fields: [localip, localip]
`, []string{`smtpd-policy.yaml:3:23: policies[0].fields[1]: duplicate field "localip"`}},
		{"duplicate id", `
policies:
  - id: x
  - id: x
`, []string{`smtpd-policy.yaml:4:9: policies[1].id: duplicate policy id "x" (also policies[0])`}},
		{"empty if", `
policies:
  - fields: [localip]
    conditions:
      - if: {}
        then: {concurrency: 1}
`, []string{`smtpd-policy.yaml:5:13: policies[0].conditions[0].if: empty condition: name at least one field`}},
		{"no limit", `
policies:
  - fields: [localip]
    default: {tag: x}
`, []string{`smtpd-policy.yaml:4:14: policies[0].default: no limit set: give at least one of concurrency, rate and connectinterval`}},
		{"zero concurrency", `
policies:
  - default: {concurrency: 0}
`, []string{`smtpd-policy.yaml:3:28: policies[0].default.concurrency: expected an integer of at least 1, got "0"`}},
		{"negative interval", `
policies:
  - default: {rate: 5/-1}
`, []string{`smtpd-policy.yaml:3:21: policies[0].default.rate: expected N or "N/interval" with a positive interval, got "5/-1"`}},
		{"bad connectinterval", `
policies:
  - default: {connectinterval: 0}
`, []string{`smtpd-policy.yaml:3:32: policies[0].default.connectinterval: expected a positive number of seconds, got "0"`}},
		{"invalid regex", `
policies:
  - fields: [remotemx]
    conditions:
      - if: {remotemx: '/a(b/'}
        then: {concurrency: 1}
`, []string{`smtpd-policy.yaml:5:24: policies[0].conditions[0].if.remotemx: invalid regex "/a(b/": error parsing regexp: missing closing ) in ` + "`a(b`"}},
		{"invalid network", `
policies:
  - fields: [localip]
    conditions:
      - if: {localip: [10.0.0.1, 10.0.0.0/40]}
        then: {concurrency: 1}
`, []string{`smtpd-policy.yaml:5:34: policies[0].conditions[0].if.localip: invalid IP network "10.0.0.0/40"`}},
		{"wildcard on non-domain field", `
policies:
  - fields: [jobid]
    conditions:
      - if: {jobid: '*.x'}
        then: {concurrency: 1}
`, []string{`smtpd-policy.yaml:5:21: policies[0].conditions[0].if.jobid: wildcard "*.x" is only valid for remotemx and recipientdomain`}},
		{"regex on IP field", `
suspends:
  - remoteip: /^10\./
`, []string{`smtpd-policy.yaml:3:15: suspends[0].remoteip: regex "/^10\\./" is not valid for the IP field remoteip`}},
		{"unknown keys", `
policy: []
policies:
  - fields: [localip]
    default: {concurrency: 1, burst: 3}
    limit: 1
`, []string{
			`smtpd-policy.yaml:2:1: policy: unknown key`,
			`smtpd-policy.yaml:6:5: policies[0].limit: unknown key`,
			`smtpd-policy.yaml:5:31: policies[0].default.burst: unknown key`,
		}},
		{"unknown list", `
policies:
  - fields: [remotemx]
    conditions:
      - if: {remotemx: '@google'}
        then: {concurrency: 1}
`, []string{`smtpd-policy.yaml:5:24: policies[0].conditions[0].if.remotemx: unknown list "@google"`}},
		{"empty suspend", `
suspends:
  - tag: x
`, []string{`smtpd-policy.yaml:3:5: suspends[0]: empty suspend: name at least one field`}},
		{"syntax error", "policies:\n  - fields: [a\n", []string{`smtpd-policy.yaml:1: invalid YAML: did not find expected ',' or ']'`}},
		{"not a mapping", "- a\n", []string{`smtpd-policy.yaml:1:1: expected a mapping, got a list`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load("smtpd-policy.yaml", []byte(c.yaml))
			if err == nil {
				t.Fatal("loaded without error")
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error %T, want ErrorList", err)
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func TestLoadCurrentForm(t *testing.T) {
	src := `
version: "6.0"
lists:
  google-mx: ['*.google.com', '*.googlemail.com', '*.smtp.goog']
queues:
  grouping:
    default: recipientdomain
    groupings:
      - id: google
        remotemx: ['@google-mx']
      - id: microsoft
        remotemx: ['*.protection.outlook.com']
policies:
  - id: per-group
    fields: [localip, grouping]
    conditions:
      - if: {grouping: '&google'}
        then:
          concurrency: 4
          rate: 120/60
          properties: {backoff-rate: 10/3600, backoff-ttl: 3600, backoff-suspendable: true}
    default: {concurrency: 2, rate: 30/1m}
  - id: by-list
    fields: [remotemx]
    conditions:
      - if: {remotemx: '@google-mx'}
        then: {connectinterval: 2.5, tags: [a, b], stop: true}
`
	cfg, err := Load("smtpd-policy.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Version != "6.0" {
		t.Errorf("version = %q", cfg.Version)
	}
	e := New(cfg, WithClock(NewFakeClock(t0)))

	x := e.Explain(&Entry{LocalIP: "10.0.0.1", RemoteMX: "alt1.gmail-smtp-in.l.google.com", RecipientDomain: "gmail.com"})
	g := x.Policies[0]
	if g.Key != "per-group: localip=10.0.0.1,grouping=&google" {
		t.Errorf("key = %q", g.Key)
	}
	if g.Limits == nil || g.Limits.Concurrency != 4 || g.Limits.Rate != (Rate{120, time.Minute}) {
		t.Errorf("limits = %v", g.Limits)
	}
	if got := g.Limits.Properties["backoff-suspendable"]; got != "true" {
		t.Errorf("property backoff-suspendable = %q, want \"true\"", got)
	}
	l := x.Policies[1]
	if l.Limits == nil || l.Limits.ConnectInterval != 2500*time.Millisecond || l.Limits.Stop == nil || !*l.Limits.Stop {
		t.Errorf("list condition limits = %v", l.Limits)
	}

	// No grouping matches: the default field's value is the grouping.
	x = e.Explain(&Entry{LocalIP: "10.0.0.1", RemoteMX: "mx.example.org", RecipientDomain: "example.org"})
	if got := x.Policies[0].Key; got != "per-group: localip=10.0.0.1,grouping=example.org" {
		t.Errorf("default grouping key = %q", got)
	}
	if !x.Policies[0].Default || x.Policies[0].Limits.Rate != (Rate{30, time.Minute}) {
		t.Errorf("default limits = %v", x.Policies[0].Limits)
	}
	if x.Policies[1].Limits != nil {
		t.Errorf("by-list limits = %v, want none", x.Policies[1].Limits)
	}
}

func TestMatchers(t *testing.T) {
	src := `
policies:
  - id: p
    fields: [localip, remoteip, remotemx, jobid]
    conditions:
      - if: {remoteip: '2001:db8::/32'}
        then: {concurrency: 1, tag: v6net}
      - if: {localip: 192.0.2.0/24, remotemx: '/^mx[0-9]+\.example\.com$/'}
        then: {concurrency: 2, tag: regex}
      - if: {jobid: Newsletter}
        then: {concurrency: 3, tag: job}
      - if: {jobid: /^news/i}
        then: {concurrency: 4, tag: jobre}
      - if: {remotemx: [a.example.net, '*.example.org']}
        then: {concurrency: 5, tag: names}
`
	cfg, err := Load("m.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	e := New(cfg)
	cases := []struct {
		en  Entry
		tag string
	}{
		{Entry{RemoteIP: "2001:DB8::25"}, "v6net"},
		{Entry{RemoteIP: "2001:db9::25"}, ""},
		{Entry{LocalIP: "192.0.2.9", RemoteMX: "mx12.example.com"}, "regex"},
		{Entry{LocalIP: "192.0.3.9", RemoteMX: "mx12.example.com"}, ""},
		{Entry{LocalIP: "192.0.2.9", RemoteMX: "mail.example.com"}, ""},
		{Entry{JobID: "Newsletter"}, "job"},
		{Entry{JobID: "newsletter"}, "jobre"}, // exact is case-sensitive for jobid
		{Entry{RemoteMX: "A.EXAMPLE.NET."}, "names"},
		{Entry{RemoteMX: "deep.sub.example.org"}, "names"},
		{Entry{RemoteMX: "example.org"}, ""},
	}
	for _, c := range cases {
		pe := e.Explain(&c.en).Policies[0]
		tag := ""
		if pe.Limits != nil {
			tag = pe.Limits.Tags[0]
		}
		if tag != c.tag {
			t.Errorf("%+v: tag %q, want %q", c.en, tag, c.tag)
		}
	}
}

func TestLoadStaticConditionNormalised(t *testing.T) {
	src := `
policies:
  - fields:
      - remotemx:
          ex: ['*.example.com']
    conditions:
      - if: {remotemx: mx1.example.com}
        then: {concurrency: 1}
`
	cfg, err := Load("n.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Policies[0].Conditions[0].String(); got != "remotemx=#ex" {
		t.Errorf("condition = %q, want remotemx=#ex", got)
	}
	pe := New(cfg).Explain(&Entry{RemoteMX: "mx2.example.com"}).Policies[0]
	if pe.Condition == nil {
		t.Error("condition does not apply to the whole #ex key")
	}
}

func TestLoadEmpty(t *testing.T) {
	for _, src := range []string{"", "policies: []\n", "version: '5.2'\n"} {
		cfg, err := Load("e.yaml", []byte(src))
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if _, _, ok := New(cfg).Pickup(&Entry{}); !ok {
			t.Errorf("%q: pickup refused with no policies", src)
		}
	}
}

func TestGlobalPolicy(t *testing.T) {
	cfg, err := Load("g.yaml", []byte("policies:\n  - id: all\n    default: {concurrency: 2}\n"))
	if err != nil {
		t.Fatal(err)
	}
	e := New(cfg)
	x := e.Explain(&Entry{RemoteMX: "a"})
	if x.Policies[0].Key != "all: *" {
		t.Errorf("key = %q, want \"all: *\"", x.Policies[0].Key)
	}
	mustPickup(t, e, &Entry{RemoteMX: "a"})
	mustPickup(t, e, &Entry{RemoteMX: "b"})
	if _, _, ok := e.Pickup(&Entry{RemoteMX: "c"}); ok {
		t.Error("third pickup granted under a global concurrency of 2")
	}
}

func TestConnectInterval(t *testing.T) {
	cfg, err := Load("c.yaml", []byte("policies:\n  - fields: [remotemx]\n    default: {connectinterval: 10}\n"))
	if err != nil {
		t.Fatal(err)
	}
	clock := NewFakeClock(t0)
	e := New(cfg, WithClock(clock))
	en := &Entry{RemoteMX: "mx"}
	mustPickup(t, e, en)
	_, r, ok := e.Pickup(en)
	if ok || r.Reason != ReasonConnectInterval || !r.Until.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("second connection: ok=%v reason=%q until=%v", ok, r.Reason, r.Until.Sub(t0))
	}
	if _, _, ok := e.PickupOnConnection(en); !ok {
		t.Error("attempt on an open connection refused by the connect interval")
	}
	clock.Advance(10 * time.Second)
	mustPickup(t, e, en)
}

func TestSweep(t *testing.T) {
	e, clock := newTestEngine(t, "scenario-a.yaml")
	held := mustPickup(t, e, entry("10.0.0.1", "aspmx.l.google.com"))
	done := mustPickup(t, e, entry("10.0.0.1", "mx.example.com"))
	done.Release()
	if e.Len() != 2 {
		t.Fatalf("live sub-queues = %d, want 2", e.Len())
	}
	if n := e.Sweep(); n != 0 {
		t.Errorf("sweep inside the rate window dropped %d", n)
	}
	clock.Advance(time.Second)
	if n := e.Sweep(); n != 1 {
		t.Errorf("sweep dropped %d, want the idle one", n)
	}
	held.Release()
	if n := e.Sweep(); n != 1 || e.Len() != 0 {
		t.Errorf("sweep after release dropped %d, %d left", n, e.Len())
	}
}

func FuzzLoad(f *testing.F) {
	for _, name := range []string{"testdata/scenario-a.yaml", "testdata/scenario-b.yaml", "testdata/invalid.yaml", "../../scripts/smtpd-policy.yaml", "../../scripts/smtpd-suspend.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("lists: {a: ['@a']}\npolicies:\n  - fields: [{remotemx: {r: ['@a', '/x/']}}]\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("queues: {grouping: {default: remotemx, groupings: [{id: g, remoteip: [10.0.0.0/8]}]}}\n"))
	f.Add([]byte("policies:\n  - default: {rate: [1, 2], properties: {a: {b: c}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Load("fuzz.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Errorf("error without the file name: %v", err)
			}
			return
		}
		e := New(cfg, WithLogger(discardLogger))
		en := &Entry{LocalIP: "10.0.0.1", RemoteMX: "aspmx.l.google.com", RemoteIP: "192.0.2.1", RecipientDomain: "example.com"}
		if l, _, ok := e.Pickup(en); ok {
			l.Release()
		}
		e.Explain(en)
	})
}

func TestCounters(t *testing.T) {
	e, clock := newTestEngine(t, "scenario-a.yaml", "../../../scripts/smtpd-suspend.yaml")
	google := entry("10.0.0.1", "aspmx.l.google.com")
	var held []Lease
	for range 12 {
		if l, _, ok := e.Pickup(google); ok {
			held = append(held, l)
		}
	}
	e.Pickup(entry("10.0.0.1", "mx.blocked.example"))

	picked, refused := e.Counts()
	if picked != 10 {
		t.Errorf("picked %d, want 10", picked)
	}
	if refused[ReasonConcurrency] != 2 {
		t.Errorf("refused for concurrency %d, want 2", refused[ReasonConcurrency])
	}
	if refused[ReasonSuspend] != 1 {
		t.Errorf("refused for a suspend %d, want 1", refused[ReasonSuspend])
	}

	clock.Advance(300 * time.Millisecond)
	stats := e.SubQueues()
	if len(stats) != 1 {
		t.Fatalf("%d sub-queues, want 1", len(stats))
	}
	s := stats[0]
	if s.Key != "A: localip=10.0.0.1,remotemx=#gsuite" {
		t.Errorf("key = %q", s.Key)
	}
	if s.InFlight != 10 {
		t.Errorf("in flight = %d, want 10", s.InFlight)
	}
	if s.RateEvents != 10 {
		t.Errorf("rate events = %d, want 10", s.RateEvents)
	}
	if s.Picked != 10 {
		t.Errorf("picked = %d, want 10", s.Picked)
	}
	if s.Refused[ReasonConcurrency] != 2 {
		t.Errorf("refused for concurrency = %d, want 2", s.Refused[ReasonConcurrency])
	}
	if len(s.Values) != 2 || s.Values[1] != "#gsuite" {
		t.Errorf("values = %q", s.Values)
	}
	for _, l := range held {
		l.Release()
	}
	clock.Advance(time.Second)
	if s := e.SubQueues()[0]; s.InFlight != 0 || s.RateEvents != 0 {
		t.Errorf("after release and a second: in flight %d, rate events %d", s.InFlight, s.RateEvents)
	}
}

func TestSuspendIndex(t *testing.T) {
	e, _ := newTestEngine(t, "scenario-a.yaml")
	for i := range 200 {
		_, _, err := e.AddSuspend(SuspendRequest{
			Fields: map[string][]string{"remotemx": {fmt.Sprintf("mx%d.example.com", i)}, "localip": {"10.0.0.1"}},
			Tag:    fmt.Sprint(i),
			TTL:    time.Hour,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	wild, _, _ := e.AddSuspend(SuspendRequest{Fields: map[string][]string{"remotemx": {"*.example.org"}}, TTL: time.Hour})

	if _, r, ok := e.Pickup(entry("10.0.0.1", "MX150.example.com")); ok || r.Suspend == nil || r.Suspend.Tag != "150" {
		t.Errorf("mx150 from 10.0.0.1: ok=%v suspend=%v, want tag 150", ok, r.Suspend)
	}
	if _, _, ok := e.Pickup(entry("10.0.0.2", "mx150.example.com")); !ok {
		t.Error("mx150 from 10.0.0.2 refused; the suspend names 10.0.0.1 only")
	}
	if _, r, ok := e.Pickup(entry("10.0.0.2", "a.example.org")); ok || r.Suspend != wild {
		t.Errorf("a.example.org: ok=%v suspend=%v, want the wildcard suspend", ok, r.Suspend)
	}
	if x := e.Explain(entry("10.0.0.1", "mx7.example.com")); x.Allowed || len(x.Suspends) != 1 || x.Reason != ReasonSuspend {
		t.Errorf("explain: allowed=%v suspends=%d reason=%q", x.Allowed, len(x.Suspends), x.Reason)
	}
}

func TestShardHashCollision(t *testing.T) {
	p := &Policy{ID: "p"}
	sh := &shard{}
	keys := []string{"a", "b", strings.Repeat("long key ", 10)}
	var qs []*SubQueue
	for i, k := range keys {
		q := newSubQueue([]byte(k), 7, uint64(i), p)
		sh.insert(q)
		qs = append(qs, q)
	}
	for i, k := range keys {
		if got := sh.get(7, []byte(k)); got != qs[i] {
			t.Errorf("get(%q) = %v, want sub-queue %d", k, got, i)
		}
	}
	if sh.get(7, []byte("c")) != nil {
		t.Error("get of an absent key with a colliding hash found one")
	}
	sh.remove(qs[1])
	if sh.get(7, []byte("b")) != nil || sh.get(7, []byte("a")) != qs[0] || sh.get(7, []byte(keys[2])) != qs[2] {
		t.Error("remove from the middle of a probe sequence broke it")
	}
	sh.remove(qs[2])
	sh.remove(qs[0])
	if sh.live != 0 {
		t.Errorf("%d live sub-queues after removing every one", sh.live)
	}
}

// TestShardGrowAndCompact fills one shard past several table sizes,
// removes most keys and checks that every remaining key is still found
// after the table shrinks.
func TestShardGrowAndCompact(t *testing.T) {
	p := &Policy{ID: "p"}
	sh := &shard{}
	var qs []*SubQueue
	for i := range 5000 {
		k := fmt.Sprintf("key%d", i)
		// Few distinct hashes make long probe sequences.
		q := newSubQueue([]byte(k), uint64(i%300)*shardCount, uint64(i), p)
		sh.insert(q)
		qs = append(qs, q)
	}

	// Tables are at most seven eighths and, after growing, five eighths
	// full.
	if n := len(sh.table.Load().slots); 7*n < 8*5000 || 5*n > 16*5000 {
		t.Errorf("table of %d slots for 5000 sub-queues, want between 5715 and 16000", n)
	}
	for i, q := range qs {
		if i%10 != 0 {
			sh.remove(q)
		}
	}

	sh.compact()
	if n := len(sh.table.Load().slots); n > 4*500 {
		t.Errorf("table of %d slots for 500 sub-queues after compact, want at most 2000", n)
	}
	for i, q := range qs {
		got := sh.get(q.hash, []byte(q.key))
		switch {
		case i%10 == 0 && got != q:
			t.Fatalf("key%d not found after compact", i)
		case i%10 != 0 && got != nil:
			t.Fatalf("removed key%d found after compact", i)
		}
	}

	n := 0
	sh.each(func(*SubQueue) { n++ })
	if n != 500 || sh.live != 500 {
		t.Errorf("each visits %d sub-queues and live is %d, want 500", n, sh.live)
	}
}

func TestLoadAliasBomb(t *testing.T) {
	// 2,000 policies that each alias the same 2,000 conditions would
	// make the loader walk four million conditions. The test lowers the
	// node limit to keep it fast; the walk must stop at the limit.
	defer func(n int) { maxNodes = n }(maxNodes)
	maxNodes = 1 << 14

	var b strings.Builder
	b.WriteString("x-cond: &c {if: {localip: 10.0.0.1}, then: {concurrency: 1}}\n")
	b.WriteString("x-conds: &cs [" + strings.Repeat("*c, ", 1999) + "*c]\n")
	b.WriteString("x-policy: &p {fields: [localip], conditions: *cs}\n")
	b.WriteString("policies: [" + strings.Repeat("*p, ", 1999) + "*p]\n")

	_, err := Load("bomb.yaml", []byte(b.String()))
	if err == nil {
		t.Fatal("alias bomb loaded")
	}
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error %T, want ErrorList", err)
	}
	if len(list) > maxErrors+1 {
		t.Errorf("got %d errors, want at most %d", len(list), maxErrors+1)
	}
	if !strings.Contains(err.Error(), "configuration too large") {
		t.Errorf("error does not say the file is too large: %.300s", err)
	}
}

func TestLoadFilesShareRollupsAndLists(t *testing.T) {
	e, _ := newTestEngine(t, "scenario-a.yaml", "suspend-rollup.yaml")
	_, r, ok := e.Pickup(entry("10.0.0.9", "alt3.aspmx.l.google.com"))
	if ok || r.Suspend == nil || r.Suspend.Tag != "google-maintenance" {
		t.Errorf("pickup: ok=%v suspend=%v, want the google-maintenance suspend", ok, r.Suspend)
	}
	if _, _, ok := e.Pickup(entry("10.0.0.1", "alt3.aspmx.l.google.com")); !ok {
		t.Error("pickup from another source IP refused")
	}

	// A dynamic condition may use a list of the second file.
	req := backoffRequest("@backoff-hosts")
	c, _, err := e.AddPolicy(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Explain(entry("10.0.0.1", "mx2.example.net")).Policies[0].Condition; got != c {
		t.Errorf("mx2 condition = %v, want the list condition", got)
	}

	// Alone, the suspend file names a rollup no policy defines.
	if _, err := LoadFiles("testdata/suspend-rollup.yaml"); err == nil || !strings.Contains(err.Error(), `no policy defines rollup "#gsuite" for remotemx`) {
		t.Errorf("suspend file alone: %v", err)
	}
}

func TestParseLimits(t *testing.T) {
	l, err := ParseLimits(map[string]any{
		"concurrency":     float64(3),
		"rate":            []any{float64(10), float64(60)},
		"connectinterval": 1.5,
		"tag":             "slow",
		"properties":      map[string]any{"n": float64(2), "b": true},
		"stop":            true,
		"ignored":         "x",
	})
	if err != nil {
		t.Fatal(err)
	}
	if l.Concurrency != 3 || l.Rate != (Rate{10, time.Minute}) || l.ConnectInterval != 1500*time.Millisecond {
		t.Errorf("limits = %+v", l)
	}
	if len(l.Tags) != 1 || l.Tags[0] != "slow" || l.Properties["n"] != "2" || l.Properties["b"] != "true" || l.Stop == nil || !*l.Stop {
		t.Errorf("tags %v properties %v stop %v", l.Tags, l.Properties, l.Stop)
	}
	for _, c := range []struct {
		in   map[string]any
		want string
	}{
		{map[string]any{"rate": "5/1m"}, ""},
		{map[string]any{"rate": float64(5)}, ""},
		{map[string]any{"concurrency": 1.5}, "concurrency: must be a positive integer, got 1.5"},
		{map[string]any{"concurrency": float64(0)}, "concurrency: must be positive, got 0"},
		{map[string]any{"rate": []any{float64(1)}}, "rate: expected [count, interval], got 1 items"},
		{map[string]any{"tag": "x"}, "no limit set: give at least one of concurrency, rate and connectinterval"},
	} {
		_, err := ParseLimits(c.in)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("ParseLimits(%v) error %q, want %q", c.in, got, c.want)
		}
	}
}

func TestWildcardLongSuffix(t *testing.T) {
	long := strings.Repeat("a", 150) + "." + strings.Repeat("b", 150) + ".example"
	src := "policies:\n  - fields:\n      - remotemx:\n          long: ['*." + long + "', '*.short.example']\n    default: {concurrency: 1}\n"
	cfg, err := Load("w.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	e := New(cfg)
	for _, c := range []struct{ mx, value string }{
		{"mx." + long, "#long"},
		{"x.y.short.example", "#long"},
		{long, long},
		{"mx.other.example", "mx.other.example"},
	} {
		if got := e.Explain(&Entry{RemoteMX: c.mx}).Policies[0].Values[0]; got != c.value {
			t.Errorf("%.20s…: key value %.20q, want %.20q", c.mx, got, c.value)
		}
	}
}

// TestWildcardSuffixRange checks wildcard matching at the shortest and
// longest suffix lengths a set holds and for values shorter than both.
func TestWildcardSuffixRange(t *testing.T) {
	set := newMatcherSet(RemoteMX)
	for _, text := range []string{"*.mx.long.example", "*.example", "*.a.example"} {
		if err := compileMatcher(set, RemoteMX, text, &matcherScope{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		value string
		want  int32
	}{
		{"example", -1},
		{"x.example", 1},
		{"b.a.example", 1},
		{"mx.long.example", 1},
		{"a.mx.long.example", 0},
		{"example.org", -1},
	} {
		if got := set.first(c.value, false, nil); got != c.want {
			t.Errorf("first(%q) = %d, want %d", c.value, got, c.want)
		}
	}
}

func TestLoadFilesDefaultIDs(t *testing.T) {
	e, _ := newTestEngine(t, "no-id.yaml", "no-id.yaml")
	var ids []string
	for _, p := range e.Config().Policies {
		ids = append(ids, p.ID)
	}
	if strings.Join(ids, " ") != "policies[0] policies[1]" {
		t.Errorf("ids = %v, want policies[0] policies[1]", ids)
	}
	x := e.Explain(&Entry{RemoteIP: "192.0.2.1"})
	if x.Policies[1].Key != "policies[1]: remoteip=192.0.2.1" {
		t.Errorf("second policy key = %q", x.Policies[1].Key)
	}
}
