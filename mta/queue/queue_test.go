package queue

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halonsh/halonsh/mta/config"
)

// memStore is an in-memory Store that records what the queue asked of it.
type memStore struct {
	mu       sync.Mutex
	updates  map[string]Message
	removed  map[string]int
	injected [][]byte
	next     int
}

func newMemStore() *memStore {
	return &memStore{updates: map[string]Message{}, removed: map[string]int{}}
}

func (s *memStore) Update(m *Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.updates[m.ID] = m.clone()
	return nil
}

func (s *memStore) Remove(m *Message, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removed[m.ID]++
	return nil
}

func (s *memStore) Inject(sender string, rcpts []string, transport string, data []byte) ([]Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.injected = append(s.injected, data)
	var out []Message
	for i, r := range rcpts {
		s.next++
		out = append(out, Message{ID: fmt.Sprintf("dsn-%d", s.next), TransactionID: fmt.Sprintf("dsn-%d", s.next), Index: i, Sender: sender, Recipient: r, TransportID: transport})
	}
	return out, nil
}

func (s *memStore) Header(m *Message) ([]byte, error) {
	return []byte("Subject: test " + m.ID + "\r\nFrom: <" + m.Sender + ">\r\n"), nil
}

func (s *memStore) removedCount(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.removed[id]
}

// funcDeliverer returns the result of answer for each attempt and records
// the largest number of attempts in flight per remote MX.
type funcDeliverer struct {
	answer func(a *Attempt) *Result
	hold   time.Duration

	mu       sync.Mutex
	attempts map[string]int // by recipient
	inflight map[string]int // by remote MX
	peak     map[string]int
	total    atomic.Int64
}

func newDeliverer(answer func(a *Attempt) *Result) *funcDeliverer {
	return &funcDeliverer{answer: answer, attempts: map[string]int{}, inflight: map[string]int{}, peak: map[string]int{}}
}

func (d *funcDeliverer) Deliver(ctx context.Context, a *Attempt) *Result {
	mx := a.Hops[0].MX
	d.mu.Lock()
	d.attempts[a.Message.Recipient]++
	d.inflight[mx]++
	d.peak[mx] = max(d.peak[mx], d.inflight[mx])
	d.mu.Unlock()
	if d.hold > 0 {
		select {
		case <-time.After(d.hold):
		case <-ctx.Done():
		}
	}
	r := d.answer(a)
	d.mu.Lock()
	d.inflight[mx]--
	d.mu.Unlock()
	d.total.Add(1)
	if r.Connection == nil && r.SMTP != nil {
		r.Connection = &ConnectionInfo{RemoteMX: mx, RemoteIP: a.Hops[0].IP, LocalIP: a.SourceIP.Address}
	}
	return r
}

func (d *funcDeliverer) attemptsFor(rcpt string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.attempts[rcpt]
}

func accepted(*Attempt) *Result {
	return &Result{Delivered: true, SMTP: &SMTPResult{Code: 250, Enhanced: []int{2, 0, 0}, Reason: []string{"ok"}, State: "EOD"}}
}

// mxRouter gives each domain the MX host "mx.DOMAIN" at 127.0.0.1.
type mxRouter struct{ lookups atomic.Int64 }

func (r *mxRouter) Resolve(_ context.Context, domain string) ([]Hop, error) {
	r.lookups.Add(1)
	if strings.HasPrefix(domain, "nx.") {
		return nil, &RouteError{DNS: "nxdomain", Err: fmt.Errorf("%s: no such domain", domain)}
	}
	return []Hop{{MX: "mx." + domain, IP: "127.0.0.1"}}, nil
}

func (r *mxRouter) ResolveHost(_ context.Context, host string) ([]string, error) {
	return []string{"127.0.0.1"}, nil
}

// mxLimit is an Admission that allows a fixed number of attempts in flight
// per remote MX.
type mxLimit struct {
	mu       sync.Mutex
	limit    int
	inflight map[string]int
}

type mxGrant struct {
	l  *mxLimit
	mx string
}

func (g *mxGrant) Release() {
	g.l.mu.Lock()
	g.l.inflight[g.mx]--
	g.l.mu.Unlock()
}
func (g *mxGrant) Info() *PolicyInfo {
	return &PolicyInfo{Policies: []AppliedPolicy{{ID: "per-mx", Key: "per-mx: remotemx=" + g.mx, Fields: []string{"remotemx"}}}}
}

func (l *mxLimit) Acquire(f *Fields) (Grant, *Refusal) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inflight[f.RemoteMX] >= l.limit {
		return nil, &Refusal{Reason: "concurrency", Key: "per-mx: remotemx=" + f.RemoteMX}
	}
	l.inflight[f.RemoteMX]++
	return &mxGrant{l, f.RemoteMX}, nil
}

func testConfig(t *testing.T, src string) *config.Config {
	t.Helper()
	cfg, err := testConfigB(src)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func testConfigB(src string) (*config.Config, error) {
	return config.Parse("smtpd.yaml", []byte(src), ".")
}

type harness struct {
	q     *Queue
	store *memStore
	del   *funcDeliverer
	log   *syncBuffer // the attempt log
	slog  *syncBuffer // the slog lines, as JSON
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) records(t *testing.T) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(s.b.Bytes()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("attempt log line %q: %v", sc.Text(), err)
		}
		out = append(out, rec)
	}
	return out
}

func newHarness(t *testing.T, cfgSrc string, del *funcDeliverer, adm Admission, hooks Hooks) *harness {
	t.Helper()
	h := &harness{store: newMemStore(), del: del, log: &syncBuffer{}, slog: &syncBuffer{}}
	q, err := New(Options{
		Config: testConfig(t, cfgSrc), Store: h.store, Deliverer: del, Router: &mxRouter{},
		Admission: adm, Hooks: hooks, AttemptLog: h.log, Hostname: "mta.test",
		Logger: slog.New(slog.NewJSONHandler(h.slog, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.q = q
	q.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	return h
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func messages(n, domains int) []Message {
	out := make([]Message, n)
	for i := range out {
		out[i] = Message{
			ID: fmt.Sprintf("m%d.0", i), TransactionID: fmt.Sprintf("m%d", i),
			Sender: "sender@origin.test", Recipient: fmt.Sprintf("user%d@d%d.test", i, i%domains),
			TransportID: "mx",
		}
	}
	return out
}

func TestQueueDeliversEachEntryOnce(t *testing.T) {
	del := newDeliverer(accepted)
	h := newHarness(t, "", del, nil, nil)
	msgs := messages(2000, 20)
	h.q.Add(msgs...)

	waitFor(t, "all deliveries", func() bool { return h.q.Stats().Delivered == 2000 })
	for _, m := range msgs {
		if n := del.attemptsFor(m.Recipient); n != 1 {
			t.Errorf("%s: %d attempts, want 1", m.Recipient, n)
		}
		if n := h.store.removedCount(m.ID); n != 1 {
			t.Errorf("%s: removed %d times, want 1", m.ID, n)
		}
	}
	if s := h.q.Stats(); s.Entries != 0 || s.InFlight != 0 {
		t.Errorf("after delivery: %d entries, %d in flight", s.Entries, s.InFlight)
	}

	// A replay reads the attempt log in order, so its times must not go
	// back even though attempts end concurrently.
	recs := h.log.records(t)
	if len(recs) != 2000 {
		t.Errorf("attempt log has %d lines, want 2000", len(recs))
	}
	for i := 1; i < len(recs); i++ {
		prev, _ := time.Parse(time.RFC3339Nano, recs[i-1]["ts"].(string))
		cur, _ := time.Parse(time.RFC3339Nano, recs[i]["ts"].(string))
		if cur.Before(prev) {
			t.Fatalf("attempt log line %d: ts %v before the previous line's %v", i+1, cur, prev)
		}
	}
}

func TestQueueConcurrencyWithoutHeadOfLineBlocking(t *testing.T) {
	// d0.test's attempts hang until the test ends; d1.test's finish at
	// once and must all get through meanwhile.
	release := make(chan struct{})
	del := newDeliverer(func(a *Attempt) *Result {
		if strings.HasSuffix(a.Message.Recipient, "@d0.test") {
			<-release
		}
		return accepted(a)
	})
	adm := &mxLimit{limit: 3, inflight: map[string]int{}}
	h := newHarness(t, "", del, adm, nil)
	defer close(release)

	h.q.Add(messages(200, 2)...)
	waitFor(t, "d1.test deliveries", func() bool { return h.q.Stats().Delivered == 100 })
	// The stuck MX's third attempt may start after d1.test is done on a
	// busy machine; what matters is that it starts and no fourth does.
	waitFor(t, "three attempts to the stuck MX", func() bool {
		del.mu.Lock()
		defer del.mu.Unlock()
		return del.peak["mx.d0.test"] >= 3
	})

	del.mu.Lock()
	slow, fast := del.peak["mx.d0.test"], del.peak["mx.d1.test"]
	del.mu.Unlock()
	if slow != 3 {
		t.Errorf("peak in flight to the stuck MX = %d, want its limit 3", slow)
	}
	if fast > 3 {
		t.Errorf("peak in flight to mx.d1.test = %d, above the limit 3", fast)
	}
	if got := del.attemptsFor("user0@d0.test") + del.attemptsFor("user2@d0.test") + del.attemptsFor("user4@d0.test"); got != 3 {
		t.Errorf("the first three d0.test entries got %d attempts, want 3", got)
	}
	if s := h.q.Stats(); s.Refused["concurrency"] == 0 {
		t.Errorf("no concurrency refusals counted: %+v", s.Counters)
	}
}

func TestQueueRetriesOnSchedule(t *testing.T) {
	var calls atomic.Int64
	del := newDeliverer(func(a *Attempt) *Result {
		if calls.Add(1) <= 2 {
			return &Result{SMTP: &SMTPResult{Code: 421, Enhanced: []int{4, 7, 0}, Reason: []string{"try later"}, State: "RCPT"}}
		}
		return accepted(a)
	})
	cfg := `
transportgroups:
  - retry:
      intervals: "100ms, 200ms"
      jitter: 0
    transports:
      - id: mx
`
	h := newHarness(t, cfg, del, nil, nil)
	start := time.Now()
	h.q.Add(messages(1, 1)...)
	waitFor(t, "delivery after two deferrals", func() bool { return h.q.Stats().Delivered == 1 })
	if elapsed := time.Since(start); elapsed < 300*time.Millisecond {
		t.Errorf("delivered after %v, before the schedule's 100ms + 200ms", elapsed)
	}

	recs := h.log.records(t)
	if len(recs) != 3 {
		t.Fatalf("attempt log has %d lines, want 3", len(recs))
	}
	for i, want := range []float64{0.1, 0.2} {
		if recs[i]["outcome"] != "QUEUE" || recs[i]["delay"] != want {
			t.Errorf("line %d: outcome %v delay %v, want QUEUE after %vs", i, recs[i]["outcome"], recs[i]["delay"], want)
		}
		if recs[i]["action"] != "QUEUE" {
			t.Errorf("line %d: default action %v, want QUEUE", i, recs[i]["action"])
		}
		attempt := recs[i]["attempt"].(map[string]any)
		result := attempt["result"].(map[string]any)
		if result["code"] != 421.0 || result["state"] != "RCPT" {
			t.Errorf("line %d: result %v", i, result)
		}
		conn := attempt["connection"].(map[string]any)
		if conn["remotemx"] != "mx.d0.test" || conn["remoteip"] != "127.0.0.1" {
			t.Errorf("line %d: connection %v", i, conn)
		}
		if recs[i]["retry"] != float64(i) {
			t.Errorf("line %d: retry %v, want %d", i, recs[i]["retry"], i)
		}
	}
	// The slog line of each attempt counts retries as the attempt log does.
	var lines []map[string]any
	for _, l := range h.slog.records(t) {
		if l["msg"] == "delivery attempt" {
			lines = append(lines, l)
		}
	}
	if len(lines) != 3 {
		t.Fatalf("%d delivery attempt log lines, want 3", len(lines))
	}
	for i := range lines {
		if lines[i]["retry"] != recs[i]["retry"] {
			t.Errorf("attempt %d: slog retry %v, attempt log retry %v", i, lines[i]["retry"], recs[i]["retry"])
		}
	}
	if recs[2]["outcome"] != "DELIVERED" {
		t.Errorf("last line outcome %v", recs[2]["outcome"])
	}
	msg := recs[2]["message"].(map[string]any)
	if msg["recipient"] != "user0@d0.test" || msg["sender"] != "sender@origin.test" {
		t.Errorf("message record %v", msg)
	}
}

func TestJitterSpreadsDelays(t *testing.T) {
	seen := map[time.Duration]bool{}
	for range 100 {
		d := jitter(time.Minute, 0.1)
		if d < 54*time.Second || d > 66*time.Second {
			t.Fatalf("jitter(1m, 0.1) = %v, outside 54s-66s", d)
		}
		seen[d] = true
	}
	if len(seen) < 50 {
		t.Errorf("only %d distinct delays of 100", len(seen))
	}
}

// queueHook defers every attempt with a fixed delay.
type queueHook struct {
	DefaultHooks
	delay time.Duration
}

func (h queueHook) PostDelivery(_ context.Context, in *PostDelivery) Action {
	if in.Action == "QUEUE" {
		return Action{Kind: ActionQueue, Delay: h.delay, DelaySet: true}
	}
	return Action{Kind: ActionDefault}
}

func TestHookDelayIsExact(t *testing.T) {
	del := newDeliverer(func(*Attempt) *Result {
		return &Result{Error: &AttemptError{Temporary: true, Type: "network", Message: "connection refused"}}
	})
	cfg := "transportgroups:\n  - retry: {intervals: 1h, jitter: 50%}\n    transports: [{id: mx}]\n"
	h := newHarness(t, cfg, del, nil, queueHook{delay: 37 * time.Second})
	h.q.Add(messages(20, 1)...)
	waitFor(t, "deferrals", func() bool { return h.q.Stats().Deferred == 20 })

	for _, rec := range h.log.records(t) {
		if rec["delay"] != 37.0 {
			t.Errorf("delay %v, want exactly 37", rec["delay"])
		}
	}
	h.store.mu.Lock()
	defer h.store.mu.Unlock()
	for id, m := range h.store.updates {
		if m.Retry != 1 || m.LastResult != "connection refused" {
			t.Errorf("%s stored retry %d last result %q", id, m.Retry, m.LastResult)
		}
	}
}

func TestPermanentFailureBouncesWithDSN(t *testing.T) {
	del := newDeliverer(func(*Attempt) *Result {
		return &Result{SMTP: &SMTPResult{Code: 550, Enhanced: []int{5, 1, 1}, Reason: []string{"no such user"}, State: "RCPT"},
			Connection: &ConnectionInfo{RemoteMX: "mx.d0.test", RemoteIP: "127.0.0.1"}}
	})
	h := newHarness(t, "", del, nil, nil)
	msgs := messages(2, 1)
	msgs[1].Sender = "" // a bounce to the null sender is deleted instead
	msgs[1].Recipient = "other@d0.test"
	h.q.Add(msgs...)
	// The DSN itself goes to the same failing MX; with its null sender it
	// is deleted, not bounced again.
	waitFor(t, "bounce and deletes", func() bool {
		s := h.q.Stats()
		return s.Bounced == 1 && s.Deleted == 2
	})

	h.store.mu.Lock()
	defer h.store.mu.Unlock()
	if len(h.store.injected) != 1 {
		t.Fatalf("%d DSNs stored, want 1", len(h.store.injected))
	}
	dsn := string(h.store.injected[0])
	for _, want := range []string{
		"To: <sender@origin.test>",
		"Content-Type: multipart/report; report-type=delivery-status;",
		"Content-Type: message/delivery-status",
		"Reporting-MTA: dns; mta.test",
		"Final-Recipient: rfc822; user0@d0.test",
		"Action: failed",
		"Status: 5.1.1",
		"Remote-MTA: dns; mx.d0.test",
		"Diagnostic-Code: smtp; 550 5.1.1 no such user",
		"Content-Type: text/rfc822-headers",
		"Subject: test m0.0",
	} {
		if !strings.Contains(dsn, want) {
			t.Errorf("DSN lacks %q:\n%s", want, dsn)
		}
	}
}

func TestMaxAgeExpiresHeldEntry(t *testing.T) {
	del := newDeliverer(accepted)
	cfg := "transportgroups:\n  - retry: {maxage: 300ms}\n    dsn: {onexpire: delete}\n    transports: [{id: mx}]\n"
	h := newHarness(t, cfg, del, nil, nil)
	msgs := messages(1, 1)
	msgs[0].Hold = true
	h.q.Add(msgs...)

	if info, ok := h.q.Get(msgs[0].ID); !ok || info.State != "hold" {
		t.Fatalf("entry state %+v, want hold", info)
	}
	waitFor(t, "expiry", func() bool { return h.q.Stats().Deleted == 1 })
	if del.total.Load() != 0 {
		t.Errorf("%d attempts made for a held entry", del.total.Load())
	}
	recs := h.log.records(t)
	if len(recs) != 1 || recs[0]["expired"] != true || recs[0]["outcome"] != "DELETE" {
		t.Errorf("attempt log %v, want one expired DELETE", recs)
	}
}

func TestDNSFailureBouncesPermanent(t *testing.T) {
	del := newDeliverer(accepted)
	h := newHarness(t, "", del, nil, nil)
	msgs := messages(1, 1)
	msgs[0].Recipient = "user@nx.test"
	h.q.Add(msgs...)
	waitFor(t, "bounce", func() bool { return h.q.Stats().Bounced == 1 })
	recs := h.log.records(t)
	attempt := recs[0]["attempt"].(map[string]any)
	errInfo := attempt["error"].(map[string]any)
	if errInfo["type"] != "dns" || errInfo["dns"] != "nxdomain" || errInfo["temporary"] != false {
		t.Errorf("attempt error %v", errInfo)
	}
}

func TestRetryNowAndHold(t *testing.T) {
	del := newDeliverer(func(a *Attempt) *Result {
		return &Result{SMTP: &SMTPResult{Code: 451, Reason: []string{"later"}, State: "RCPT"}}
	})
	cfg := "transportgroups:\n  - retry: {intervals: 1h}\n    transports: [{id: mx}]\n"
	h := newHarness(t, cfg, del, nil, nil)
	msgs := messages(1, 1)
	h.q.Add(msgs...)
	waitFor(t, "first deferral", func() bool { return h.q.Stats().Deferred == 1 })

	if !h.q.Hold(msgs[0].ID) {
		t.Fatal("Hold refused a waiting entry")
	}
	if info, _ := h.q.Get(msgs[0].ID); info.State != "hold" || !info.Message.Hold {
		t.Errorf("after Hold: %+v", info)
	}
	if !h.q.Release(msgs[0].ID) {
		t.Fatal("Release refused a held entry")
	}
	waitFor(t, "second attempt", func() bool { return del.total.Load() == 2 })
	waitFor(t, "second deferral", func() bool { return h.q.Stats().Deferred == 2 })
	if !h.q.RetryNow(msgs[0].ID) {
		t.Fatal("RetryNow refused a waiting entry")
	}
	waitFor(t, "third attempt", func() bool { return del.total.Load() == 3 })
}

func TestStopRequeuesCancelledAttempts(t *testing.T) {
	del := newDeliverer(func(a *Attempt) *Result {
		return &Result{Error: &AttemptError{Temporary: true, Type: "network", Message: "cancelled"}}
	})
	del.hold = time.Hour
	h := newHarness(t, "", del, nil, nil)
	h.q.Add(messages(5, 5)...)
	waitFor(t, "attempts in flight", func() bool { return h.q.Stats().InFlight == 5 })

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := h.q.Stop(ctx); err == nil {
		t.Error("Stop returned no error although it had to cancel attempts")
	}
	h.store.mu.Lock()
	defer h.store.mu.Unlock()
	if len(h.store.updates) != 5 {
		t.Errorf("%d entries stored for retry, want 5", len(h.store.updates))
	}
}

func TestMaxAgeExpiresRefusedEntry(t *testing.T) {
	// Every pickup of blocked.test is refused, as under a suspend or a
	// full concurrency; the entry must still expire on time.
	del := newDeliverer(accepted)
	cfg := "transportgroups:\n  - retry: {maxage: 300ms}\n    transports: [{id: mx}]\n"
	h := newHarness(t, cfg, del, blockDomain{"blocked.test"}, nil)
	msgs := messages(2, 1)
	msgs[0].Recipient = "held@blocked.test"
	msgs[1].Recipient = "free@open.test"
	h.q.Add(msgs...)

	waitFor(t, "the free entry's delivery", func() bool { return h.q.Stats().Delivered == 1 })
	if info, ok := h.q.Get(msgs[0].ID); !ok || info.State != "ready" || info.Refusal == nil || info.Refusal.Reason != "concurrency" {
		t.Errorf("refused entry = %+v, want ready with a concurrency refusal", info)
	}
	waitFor(t, "expiry of the refused entry", func() bool { return h.q.Stats().Bounced == 1 })
	if n := del.attemptsFor("held@blocked.test"); n != 0 {
		t.Errorf("%d attempts for a refused entry", n)
	}
	h.store.mu.Lock()
	defer h.store.mu.Unlock()
	if len(h.store.injected) != 1 || !strings.Contains(string(h.store.injected[0]), "Status: 4.4.7") {
		t.Errorf("want one DSN with status 4.4.7 for the expired entry, got %d", len(h.store.injected))
	}
}
