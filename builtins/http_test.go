package builtins

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// newEchoHTTPServer answers /echo with the method, the Content-Type, the
// X-Test header and the body it received, /status/N with status N,
// /redirect/N with a chain of N redirects ending at /echo, /slow after
// 400 ms, and /big with 1000 bytes.
func newEchoHTTPServer() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Reply", "yes")
		fmt.Fprintf(w, "%s|%s|%s|%s", r.Method, r.Header.Get("Content-Type"), r.Header.Get("X-Test"), body)
	})
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		var code int
		fmt.Sscan(r.PathValue("code"), &code)
		w.WriteHeader(code)
		fmt.Fprint(w, "status body")
	})
	mux.HandleFunc("/redirect/{n}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.PathValue("n"), &n)
		if n <= 1 {
			http.Redirect(w, r, "/echo", http.StatusFound)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/redirect/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(400 * time.Millisecond):
		case <-r.Context().Done():
		}
		fmt.Fprint(w, "late")
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, strings.Repeat("x", 1000))
	})
	mux.HandleFunc("/query", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.URL.RawQuery)
	})
	return mux
}

func baseHTTPRequest(url string) httpRequest {
	return httpRequest{url: url, method: "GET", connectTimeout: 2 * time.Second, maxSize: -1, verifyPeer: true}
}

func TestHTTPMethodsAndHeaders(t *testing.T) {
	srv := httptest.NewServer(newEchoHTTPServer())
	defer srv.Close()

	r := baseHTTPRequest(srv.URL + "/echo")
	r.method = "PUT"
	r.headers = []string{"X-Test: hello", "Content-Type: text/plain"}
	r.body = strings.NewReader("payload")
	resp, err := doHTTP(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(resp.body); got != "PUT|text/plain|hello|payload" {
		t.Errorf("body = %q", got)
	}
	if resp.status != 200 {
		t.Errorf("status = %d", resp.status)
	}
	found := false
	for _, h := range resp.headers {
		found = found || h == "X-Reply: yes"
	}
	if !found {
		t.Errorf("headers %q lack X-Reply: yes", resp.headers)
	}

	if _, err := doHTTP(context.Background(), func() httpRequest {
		r := baseHTTPRequest(srv.URL + "/echo")
		r.headers = []string{"no colon"}
		return r
	}()); err == nil {
		t.Error("a header without a colon was sent")
	}
}

func TestHTTPStatusAndRedirects(t *testing.T) {
	srv := httptest.NewServer(newEchoHTTPServer())
	defer srv.Close()

	r := baseHTTPRequest(srv.URL + "/status/503")
	resp, err := doHTTP(context.Background(), r)
	if err != nil || resp.status != 503 || string(resp.body) != "status body" {
		t.Fatalf("503 = %+v, %v", resp, err)
	}

	// Without redirects the 302 itself comes back.
	r = baseHTTPRequest(srv.URL + "/redirect/2")
	resp, err = doHTTP(context.Background(), r)
	if err != nil || resp.status != 302 {
		t.Fatalf("redirect with redirects=0 = %+v, %v", resp, err)
	}

	r.redirects = 2
	resp, err = doHTTP(context.Background(), r)
	if err != nil || resp.status != 200 || !strings.HasPrefix(string(resp.body), "GET|") {
		t.Fatalf("two redirects with redirects=2 = %+v, %v", resp, err)
	}

	r.redirects = 1
	if _, err = doHTTP(context.Background(), r); err == nil {
		t.Fatal("two redirects with redirects=1 succeeded")
	}

	r.redirects = -1
	if resp, err = doHTTP(context.Background(), r); err != nil || resp.status != 200 {
		t.Fatalf("unlimited redirects = %+v, %v", resp, err)
	}
}

func TestHTTPTimeoutAndSize(t *testing.T) {
	srv := httptest.NewServer(newEchoHTTPServer())
	defer srv.Close()

	r := baseHTTPRequest(srv.URL + "/slow")
	r.connectTimeout = 100 * time.Millisecond
	r.timeout = 100 * time.Millisecond
	start := time.Now()
	if _, err := doHTTP(context.Background(), r); err == nil {
		t.Fatal("slow response within the timeout")
	}
	if elapsed := time.Since(start); elapsed > 350*time.Millisecond {
		t.Errorf("timeout of 100ms returned after %v", elapsed)
	}

	r = baseHTTPRequest(srv.URL + "/big")
	r.maxSize = 999
	if _, err := doHTTP(context.Background(), r); !errors.Is(err, errHTTPTooLarge) {
		t.Errorf("1000 bytes with max 999: %v", err)
	}
	r.maxSize = 1000
	if resp, err := doHTTP(context.Background(), r); err != nil || len(resp.body) != 1000 {
		t.Errorf("1000 bytes with max 1000: %v", err)
	}
}

func TestHTTPCancellation(t *testing.T) {
	srv := httptest.NewServer(newEchoHTTPServer())
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := doHTTP(ctx, baseHTTPRequest(srv.URL+"/slow")); err == nil {
		t.Fatal("request outlived its cancelled context")
	}
}

func TestHTTPTLSVerification(t *testing.T) {
	srv := httptest.NewUnstartedServer(newEchoHTTPServer())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // rejected handshakes are expected
	srv.StartTLS()
	defer srv.Close()

	// The test server's certificate is not trusted by default.
	if _, err := doHTTP(context.Background(), baseHTTPRequest(srv.URL+"/echo")); err == nil {
		t.Fatal("untrusted certificate accepted with tls_verify_peer")
	}

	r := baseHTTPRequest(srv.URL + "/echo")
	r.verifyPeer = false
	if _, err := doHTTP(context.Background(), r); err != nil {
		t.Fatalf("tls_verify_peer=false: %v", err)
	}

	// Trusting the test CA: the chain verifies. The certificate is for
	// example.com and 127.0.0.1, so a host name check of "localhost" fails.
	httpRootCAs = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	defer func() { httpRootCAs = nil }()

	localhostURL := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/echo"
	r = baseHTTPRequest(localhostURL)
	if _, err := doHTTP(context.Background(), r); err != nil {
		t.Fatalf("trusted chain without host check: %v", err)
	}
	r.verifyHost = true
	if _, err := doHTTP(context.Background(), r); err == nil {
		t.Fatal("host name localhost accepted for a certificate without it")
	}
	r = baseHTTPRequest(srv.URL + "/echo")
	r.verifyHost = true
	if _, err := doHTTP(context.Background(), r); err != nil {
		t.Fatalf("trusted chain with matching IP: %v", err)
	}
}

func TestExpandURLArgs(t *testing.T) {
	cases := []struct {
		url  string
		get  []string
		want string
	}{
		{"http://x/?q=$1&r=$2", []string{"a b", "c&d"}, "http://x/?q=a%20b&r=c%26d"},
		{"http://x/$1/$3", []string{"p"}, "http://x/p/$3"},
		{"http://x/$0$", []string{"p"}, "http://x/$0$"},
		{"http://x/$10", []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "ten"}, "http://x/ten"},
		{"http://x/~$1", []string{"-._~é"}, "http://x/~-._~%C3%A9"},
	}
	for _, c := range cases {
		if got := expandURLArgs(c.url, c.get); got != c.want {
			t.Errorf("expandURLArgs(%q, %q) = %q, want %q", c.url, c.get, got, c.want)
		}
	}
}

func TestParseURL(t *testing.T) {
	p, ok := parseURL("https://user:pw@example.com:8443/a/b?x=1#frag")
	if !ok {
		t.Fatal("valid URL rejected")
	}
	want := urlParts{scheme: "https", username: "user", password: "pw", hostname: "example.com", port: 8443,
		path: "/a/b", query: "x=1", fragment: "frag",
		hasUser: true, hasPassword: true, hasPort: true, hasQuery: true, hasFragment: true}
	if p != want {
		t.Errorf("parseURL = %+v, want %+v", p, want)
	}

	p, ok = parseURL("http://example.com")
	if !ok || p.hasPort || p.hasQuery || p.hasUser || p.path != "" || p.hostname != "example.com" {
		t.Errorf("parseURL(http://example.com) = %+v, %v", p, ok)
	}
	p, ok = parseURL("http://[2001:db8::1]:80/")
	if !ok || p.hostname != "2001:db8::1" || p.port != 80 {
		t.Errorf("IPv6 URL = %+v, %v", p, ok)
	}
	for _, bad := range []string{"", "example.com/path", "http://x:99999/", "http://x:port/", "%zz"} {
		if _, ok := parseURL(bad); ok {
			t.Errorf("parseURL(%q) accepted", bad)
		}
	}
}

func TestHTTPBuiltin(t *testing.T) {
	srv := httptest.NewServer(newEchoHTTPServer())
	defer srv.Close()
	u := srv.URL

	runScriptCases(t, []scriptCase{
		{src: `echo http("` + u + `/echo");`, want: "GET|||\n"},
		{src: `echo http("` + u + `/echo", ["headers" => ["X-Test: one"]], [], "raw body");`, want: "POST||one|raw body\n"},
		{src: `echo http("` + u + `/echo", [], [], ["a" => "1 2", "b" => 3]);`, want: "POST|application/x-www-form-urlencoded||a=1+2&b=3\n"},
		{src: `echo http("` + u + `/echo", ["method" => "PATCH"], [], "x");`, want: "PATCH|||x\n"},
		{src: `echo http("` + u + `/echo", ["method" => "DELETE"]);`, want: "DELETE|||\n"},
		{src: `echo http("` + u + `/query?q=$1&r=$2", [], ["a b", "c&d"]);`, want: "q=a%20b&r=c%26d\n"},
		{src: `echo http("` + u + `/status/404") === none ? "none" : "value";`, want: "none\n"},
		{src: `echo http("` + u + `/status/404", ["extended_result" => true]);`, want: "[\"status\"=>404,\"content\"=>\"status body\"]\n"},
		{src: `$r = http("` + u + `/echo", ["extended_result" => true, "response_headers" => true]); echo array_includes("X-Reply: yes", $r["headers"]) ? "header" : "missing";`, want: "header\n"},
		{src: `echo http("` + u + `/redirect/1", ["extended_result" => true])["status"];`, want: "302\n"},
		{src: `echo http("` + u + `/redirect/1", ["redirects" => 1]);`, want: "GET|||\n"},
		{src: `echo http("` + u + `/slow", ["timeout" => 0.1]) === none ? "none" : "value";`, want: "none\n"},
		{src: `echo http("` + u + `/big", ["max_file_size" => 10]) === none ? "none" : "value";`, want: "none\n"},
		{src: `echo http("http://127.0.0.1:1/", ["connect_timeout" => 1]) === none ? "none" : "value";`, want: "none\n"},
		{src: `http("` + u + `", ["timeout" => "soon"]);`, err: `http(): option "timeout" must be a number, got string`},
		{src: `http("` + u + `", ["headers" => "X: y"]);`, err: `http(): option "headers" must be an array, got string`},
		{src: `http("` + u + `", [], [], true);`, err: "http(): argument 4 (post) must be a string or an array, got boolean"},
		{src: `http("` + u + `", ["background" => true]);`, err: `http(): option "background" is not available`},
	})
}
