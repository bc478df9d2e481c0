package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/halonsh/halonsh/lang/vm"
	"github.com/halonsh/halonsh/mta/server"
)

const testToken = "s3cret-token"

// deferringSink is an SMTP server on 127.0.0.1 that answers every RCPT
// TO with 421, so delivered-to-it messages stay queued for the API to see.
type deferringSink struct{}

func (deferringSink) NewSession(*gosmtp.Conn) (gosmtp.Session, error) { return deferSession{}, nil }

type deferSession struct{}

func (deferSession) Mail(string, *gosmtp.MailOptions) error { return nil }
func (deferSession) Rcpt(string, *gosmtp.RcptOptions) error {
	return &gosmtp.SMTPError{Code: 421, EnhancedCode: gosmtp.EnhancedCode{4, 7, 0}, Message: "try again later"}
}
func (deferSession) Data(io.Reader) error { return nil }
func (deferSession) Reset()               {}
func (deferSession) Logout() error        { return nil }

func startSink(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := gosmtp.NewServer(deferringSink{})
	srv.Domain = "sink.test"
	srv.AllowInsecureAuth = true
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

// testMTA is a running MTA with queued messages and the API in front of
// it.
type testMTA struct {
	srv *server.Server
	api *httptest.Server
}

func startMTA(t *testing.T, messages int) *testMTA {
	t.Helper()
	sinkPort := startSink(t)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`servers:
  - id: inbound
    listeners:
      - address: 127.0.0.1
        port: 0
    transport: relay
transportgroups:
  - id: default
    retry:
      intervals: "1h"
      count: 10
    session:
      tls: disabled
    transports:
      - id: relay
        connection:
          server: 127.0.0.1
          port: %d
`, sinkPort)
	policyYAML := `policies:
  - id: per-domain
    fields: [recipientdomain]
    default: {concurrency: 5, rate: 100}
`
	for name, text := range map[string]string{"smtpd.yaml": cfg, "smtpd-policy.yaml": policyYAML} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	srv, err := server.New(server.Options{
		ConfigDir: dir,
		SpoolDir:  filepath.Join(dir, "spool"),
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})

	addr := srv.Addrs()[0].String()
	for i := 0; i < messages; i++ {
		to := fmt.Sprintf("user%d@d%d.test", i, i%2)
		body := fmt.Sprintf("Subject: test %d\r\n\r\nbody %d\r\n", i, i)
		if err := smtp.SendMail(addr, nil, "sender@origin.test", []string{to}, []byte(body)); err != nil {
			t.Fatalf("inject message %d: %v", i, err)
		}
	}

	// Wait until every message was tried once and waits for its retry.
	deadline := time.Now().Add(20 * time.Second)
	for {
		n := 0
		for _, e := range srv.Queue().Snapshot() {
			if e.Message.Retry >= 1 && e.State == "waiting" {
				n++
			}
		}
		if n == messages {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d messages were deferred", n, messages)
		}
		time.Sleep(20 * time.Millisecond)
	}

	handler, err := New(Options{
		Queue:  srv.Queue(),
		Policy: srv.Policy(),
		Token:  testToken,
		Reload: srv.Reload,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(handler)
	t.Cleanup(ts.Close)
	return &testMTA{srv: srv, api: ts}
}

// call makes an authenticated request and decodes the JSON answer.
func (m *testMTA) call(t *testing.T, method, path, body string, out any) int {
	t.Helper()
	return m.callWithToken(t, testToken, method, path, body, out)
}

func (m *testMTA) callWithToken(t *testing.T, token, method, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, m.api.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: invalid JSON %q: %v", method, path, data, err)
		}
	}
	return resp.StatusCode
}

type errorBody struct {
	Error struct {
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

func TestAuthRequired(t *testing.T) {
	m := startMTA(t, 1)
	for _, path := range []string{"/api/v1/queue/shape", "/api/v1/policies", "/api/v1/memory", "/metrics", "/api/v1/openapi.json", "/api/v1/nothing"} {
		var e errorBody
		if code := m.callWithToken(t, "", "GET", path, "", nil); code != http.StatusUnauthorized {
			t.Errorf("GET %s without a token: %d, want 401", path, code)
		}
		if code := m.callWithToken(t, "wrong", "GET", path, "", &e); code != http.StatusUnauthorized {
			t.Errorf("GET %s with a wrong token: %d, want 401", path, code)
		}
	}
	if code := m.callWithToken(t, "", "GET", "/ui/", "", nil); code != http.StatusOK {
		t.Errorf("GET /ui/ without a token: %d, want 200 (static files only)", code)
	}
}

func TestQueueShape(t *testing.T) {
	m := startMTA(t, 6)
	var shape shapeResponse
	if code := m.call(t, "GET", "/api/v1/queue/shape?by=recipientdomain", "", &shape); code != 200 {
		t.Fatalf("status %d", code)
	}
	if shape.Total != 6 {
		t.Errorf("total = %d, want 6", shape.Total)
	}
	if len(shape.Buckets) != 10 || shape.Buckets[0] != "0-5" || shape.Buckets[9] != "1280+" {
		t.Errorf("buckets = %v", shape.Buckets)
	}
	if shape.Totals[0] != 6 {
		t.Errorf("first bucket = %d, want 6 fresh messages", shape.Totals[0])
	}
	got := map[string]int{}
	for _, g := range shape.Groups {
		got[g.Key["recipientdomain"]] = g.Total
	}
	if got["d0.test"] != 3 || got["d1.test"] != 3 {
		t.Errorf("groups = %v, want 3 for each domain", got)
	}

	var e errorBody
	if code := m.call(t, "GET", "/api/v1/queue/shape?by=colour", "", &e); code != 400 || e.Error.Field != "by" {
		t.Errorf("unknown field: %d %+v, want 400 naming by", code, e)
	}
	if code := m.call(t, "GET", "/api/v1/queue/shape?buckets=10,5", "", &e); code != 400 || e.Error.Field != "buckets" {
		t.Errorf("descending buckets: %d %+v, want 400 naming buckets", code, e)
	}
}

func TestListAndDetail(t *testing.T) {
	m := startMTA(t, 4)
	var list listResponse
	if code := m.call(t, "GET", "/api/v1/queue/messages?age=0-5&where=recipientdomain=d1.test&limit=1", "", &list); code != 200 {
		t.Fatalf("status %d", code)
	}
	if list.Total != 2 || len(list.Messages) != 1 {
		t.Fatalf("list = %+v, want total 2 with one on the page", list)
	}
	msg := list.Messages[0]
	if !strings.HasSuffix(msg.Recipient, "@d1.test") || msg.Retry != 1 || !strings.Contains(msg.LastResult, "421") {
		t.Errorf("message = %+v", msg)
	}

	var detail messageView
	if code := m.call(t, "GET", "/api/v1/queue/messages/"+msg.ID, "", &detail); code != 200 || detail.ID != msg.ID {
		t.Errorf("detail: %d %+v", code, detail)
	}
	if detail.Fields["subqueue"] != "per-domain: recipientdomain=d1.test" {
		t.Errorf("subqueue = %q", detail.Fields["subqueue"])
	}

	var why whyResponse
	if code := m.call(t, "GET", "/api/v1/queue/messages/"+msg.ID+"/why", "", &why); code != 200 {
		t.Fatalf("why: status %d", code)
	}
	if !strings.Contains(why.Summary, "waiting for its retry") || !strings.Contains(why.Summary, "421") {
		t.Errorf("why summary = %q", why.Summary)
	}
	if len(why.Policies) != 1 || why.Policies[0].Key != "per-domain: recipientdomain=d1.test" {
		t.Errorf("why policies = %+v", why.Policies)
	}

	var e errorBody
	if code := m.call(t, "GET", "/api/v1/queue/messages/nope", "", &e); code != 404 {
		t.Errorf("unknown id: %d", code)
	}
	if code := m.call(t, "GET", "/api/v1/queue/messages?age=ten", "", &e); code != 400 || e.Error.Field != "age" {
		t.Errorf("bad age: %d %+v", code, e)
	}
	if code := m.call(t, "GET", "/api/v1/queue/messages?where=state=held", "", &e); code != 400 || !strings.Contains(e.Error.Message, "hold") {
		t.Errorf("unknown state: %d %+v, want 400 listing the states", code, e)
	}
	if code := m.call(t, "GET", "/api/v1/queue/messages?limit=0", "", &e); code != 400 || e.Error.Field != "limit" {
		t.Errorf("bad limit: %d %+v", code, e)
	}
}

func TestQueueActions(t *testing.T) {
	m := startMTA(t, 4)
	var list listResponse
	m.call(t, "GET", "/api/v1/queue/messages", "", &list)
	first := list.Messages[0].ID

	var res actionResponse
	if code := m.call(t, "POST", "/api/v1/queue/actions", `{"action":"hold","ids":["`+first+`"]}`, &res); code != 200 || len(res.Done) != 1 {
		t.Fatalf("hold: %d %+v", code, res)
	}
	if e, _ := m.srv.Queue().Get(first); e.State != "hold" {
		t.Errorf("state after hold = %s", e.State)
	}

	if code := m.call(t, "POST", "/api/v1/queue/actions", `{"action":"delete","selection":{"where":{"recipientdomain":"d1.test"}},"reason":"cleanup"}`, &res); code != 200 || res.Matched != 2 || len(res.Done) != 2 {
		t.Fatalf("delete by selection: %d %+v", code, res)
	}
	// Post-delivery runs for each deleted entry before it leaves the queue.
	deadline := time.Now().Add(10 * time.Second)
	for len(m.srv.Queue().Snapshot()) != 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(m.srv.Queue().Snapshot()); n != 2 {
		t.Errorf("queued after deleting d1.test: %d, want 2", n)
	}

	// Rejected requests change nothing.
	before := len(m.srv.Queue().Snapshot())
	for body, field := range map[string]string{
		`{"action":"explode","ids":["x"]}`:                    "action",
		`{"action":"delete"}`:                                 "ids",
		`{"action":"delete","ids":["x"],"selection":{}}`:      "ids",
		`{"action":"delete","selection":{"age":"soon"}}`:      "selection.age",
		`{"action":"delete","selection":{"where":{"x":"y"}}}`: "selection.where",
		`{"action":"delete","idz":["x"]}`:                     "idz",
		`{"action":5}`:                                        "action",
		`not json`:                                            "body",
	} {
		var e errorBody
		if code := m.call(t, "POST", "/api/v1/queue/actions", body, &e); code != 400 || e.Error.Field != field {
			t.Errorf("%s: %d %+v, want 400 naming %s", body, code, e, field)
		}
	}
	if after := len(m.srv.Queue().Snapshot()); after != before {
		t.Errorf("rejected requests changed the queue: %d entries, want %d", after, before)
	}
}

func TestPoliciesAndSuspends(t *testing.T) {
	m := startMTA(t, 2)

	var added map[string]any
	body := `{"fields":["recipientdomain"],"condition":{"recipientdomain":"d0.test"},"policy":{"rate":[2,60],"tag":"slow"},"ttl":300}`
	if code := m.call(t, "POST", "/api/v1/policies", body, &added); code != 201 {
		t.Fatalf("add policy: %d %v", code, added)
	}
	id, _ := added["id"].(string)

	var pol struct {
		Policies []policyView `json:"policies"`
	}
	m.call(t, "GET", "/api/v1/policies", "", &pol)
	if len(pol.Policies) != 1 || len(pol.Policies[0].Conditions) != 2 {
		t.Fatalf("policies = %+v, want the dynamic condition and the default", pol)
	}
	dyn := pol.Policies[0].Conditions[0]
	if dyn.ID != id || dyn.Limits.Rate != "2/60" || dyn.TTL == nil || *dyn.TTL > 300 || *dyn.TTL < 299 {
		t.Errorf("dynamic condition = %+v", dyn)
	}

	var e errorBody
	for body, field := range map[string]string{
		`{"fields":["nosuch"],"policy":{"rate":1},"ttl":10}`:              "fields",
		`{"fields":["recipientdomain"],"policy":{"rate":1},"ttl":0}`:      "ttl",
		`{"fields":["recipientdomain"],"policy":{},"ttl":10}`:             "policy",
		`{"fields":["recipientdomain"],"policy":{"rate":"x/y"},"ttl":10}`: "policy.rate",
	} {
		if code := m.call(t, "POST", "/api/v1/policies", body, &e); code != 400 || e.Error.Field != field {
			t.Errorf("%s: %d %+v, want 400 naming %s", body, code, e, field)
		}
	}

	if code := m.call(t, "POST", "/api/v1/suspends", `{"fields":{"recipientdomain":"d1.test"},"ttl":60,"tag":"maintenance"}`, &added); code != 201 {
		t.Fatalf("add suspend: %d %v", code, added)
	}
	var sus struct {
		Suspends []suspendView `json:"suspends"`
	}
	m.call(t, "GET", "/api/v1/suspends", "", &sus)
	if len(sus.Suspends) != 1 || sus.Suspends[0].Tag != "maintenance" || !sus.Suspends[0].Dynamic {
		t.Errorf("suspends = %+v", sus)
	}

	if code := m.call(t, "DELETE", "/api/v1/policies/"+id, "", nil); code != 200 {
		t.Errorf("delete policy: %d", code)
	}
	if code := m.call(t, "DELETE", "/api/v1/policies/"+id, "", &e); code != 404 {
		t.Errorf("delete twice: %d, want 404", code)
	}
	if n := len(m.srv.Policy().DynamicPolicies()); n != 0 {
		t.Errorf("dynamic policies after delete: %d", n)
	}
}

func TestMemoryEndpoints(t *testing.T) {
	m := startMTA(t, 1)
	mem := vm.SharedMemory()
	t.Cleanup(func() { mem.Delete("api-test") })

	if code := m.call(t, "PUT", "/api/v1/memory/api-test", `{"value":{"limit":10,"hosts":["a","b"]}}`, nil); code != 200 {
		t.Fatalf("set: %d", code)
	}
	v, ok := mem.Load("api-test")
	if !ok {
		t.Fatal("memory key not stored")
	}
	if limit, _ := v.Array().GetStr("limit"); limit.Num() != 10 {
		t.Errorf("stored limit = %v", limit)
	}

	var got struct {
		Value map[string]any `json:"value"`
	}
	m.call(t, "GET", "/api/v1/memory/api-test", "", &got)
	if got.Value["limit"] != float64(10) {
		t.Errorf("get = %+v", got)
	}

	var keys struct {
		Keys []string `json:"keys"`
	}
	m.call(t, "GET", "/api/v1/memory", "", &keys)
	if !strings.Contains(strings.Join(keys.Keys, ","), "api-test") {
		t.Errorf("keys = %v", keys.Keys)
	}

	var e errorBody
	if code := m.call(t, "PUT", "/api/v1/memory/api-test", `{"vaule":1}`, &e); code != 400 || e.Error.Field != "vaule" {
		t.Errorf("misspelled key: %d %+v", code, e)
	}
	if code := m.call(t, "DELETE", "/api/v1/memory/api-test", "", nil); code != 200 {
		t.Errorf("delete: %d", code)
	}
	if code := m.call(t, "GET", "/api/v1/memory/api-test", "", &e); code != 404 {
		t.Errorf("get after delete: %d", code)
	}
}

func TestMetrics(t *testing.T) {
	m := startMTA(t, 3)
	req, _ := http.NewRequest("GET", m.api.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	text := string(data)
	for _, want := range []string{
		`halonsh_queue_entries{state="waiting"} 3`,
		`halonsh_deliveries_total{result="deferred"} 3`,
		`halonsh_queue_subqueue_entries{subqueue="per-domain: recipientdomain=d0.test"} 2`,
		`halonsh_pickups_refused_total{reason="rate"}`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestReload(t *testing.T) {
	m := startMTA(t, 1)
	var out map[string]any
	if code := m.call(t, "POST", "/api/v1/reload", "", &out); code != 200 {
		t.Errorf("reload: %d %v", code, out)
	}
}

func TestOpenAPIDocument(t *testing.T) {
	m := startMTA(t, 1)
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if code := m.call(t, "GET", "/api/v1/openapi.json", "", &doc); code != 200 {
		t.Fatalf("status %d", code)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q", doc.OpenAPI)
	}

	// Every route the server handles is documented.
	for _, route := range []string{
		"GET /api/v1/queue/shape", "GET /api/v1/queue/messages", "GET /api/v1/queue/messages/{id}",
		"GET /api/v1/queue/messages/{id}/why", "POST /api/v1/queue/actions",
		"GET /api/v1/policies", "POST /api/v1/policies", "DELETE /api/v1/policies/{id}",
		"GET /api/v1/suspends", "POST /api/v1/suspends", "DELETE /api/v1/suspends/{id}",
		"GET /api/v1/memory", "GET /api/v1/memory/{key}", "PUT /api/v1/memory/{key}", "DELETE /api/v1/memory/{key}",
		"GET /api/v1/rates", "POST /api/v1/reload", "GET /metrics",
	} {
		method, path, _ := strings.Cut(route, " ")
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("openapi.json lacks %s", route)
		}
	}
}

func TestNewRequiresToken(t *testing.T) {
	m := startMTA(t, 1)
	_, err := New(Options{Queue: m.srv.Queue(), Policy: m.srv.Policy()})
	if err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("New without a token: %v, want an error naming the token", err)
	}
}

func TestWrongMethodIs405(t *testing.T) {
	m := startMTA(t, 1)
	var e errorBody
	if code := m.call(t, "DELETE", "/api/v1/queue/shape", "", &e); code != http.StatusMethodNotAllowed {
		t.Errorf("DELETE /api/v1/queue/shape: %d, want 405", code)
	}
	if !strings.Contains(e.Error.Message, "GET") {
		t.Errorf("405 message %q does not name the allowed method", e.Error.Message)
	}
	if code := m.call(t, "GET", "/api/v1/nothing", "", &e); code != http.StatusNotFound {
		t.Errorf("GET /api/v1/nothing: %d, want 404", code)
	}
}
