package builtins

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/halonsh/halonsh/lang/vm"
)

func init() {
	registerFuncs(map[string]vm.BuiltinFunc{"http": builtinHTTP})
}

// httpRootCAs replaces the system roots when set; tests use it to trust
// their own certificate authority.
var httpRootCAs *x509.CertPool

// httpRequest is one http() call after its arguments are read.
type httpRequest struct {
	url     string
	method  string
	headers []string // "Name: value"
	body    io.Reader
	// contentType is set for form bodies unless headers name one.
	contentType string

	connectTimeout time.Duration
	timeout        time.Duration // 0: no limit after connecting
	maxSize        int64         // < 0: no limit
	sourceIP       string
	redirects      int // -1: unlimited
	verifyPeer     bool
	verifyHost     bool
	proxy          *string // nil: from the environment
}

// httpResponse is the status, body and headers of a completed request.
type httpResponse struct {
	status  int
	body    []byte
	headers []string
}

// errHTTPTooLarge reports a body over max_file_size.
var errHTTPTooLarge = errors.New("response body exceeds max_file_size")

// doHTTP performs the request. Any failure to get a complete, valid HTTP
// response is an error.
func doHTTP(ctx context.Context, r httpRequest) (*httpResponse, error) {
	transport, err := r.transport()
	if err != nil {
		return nil, err
	}
	defer transport.CloseIdleConnections()

	client := &http.Client{
		Transport: transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if r.redirects == 0 {
				return http.ErrUseLastResponse
			}
			if r.redirects > 0 && len(via) > r.redirects {
				return fmt.Errorf("more than %d redirects", r.redirects)
			}
			return nil
		},
	}

	req, err := http.NewRequestWithContext(ctx, r.method, r.url, r.body)
	if err != nil {
		return nil, err
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	for _, h := range r.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("header %q is not \"Name: value\"", h)
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if strings.EqualFold(name, "Host") {
			req.Host = value
			continue
		}
		req.Header.Add(name, value)
	}

	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()

	var reader io.Reader = resp.Body
	if r.maxSize >= 0 {
		reader = io.LimitReader(resp.Body, r.maxSize+1)
	}
	body, err := io.ReadAll(reader)
	if err != nil {
		return nil, err
	}
	if r.maxSize >= 0 && int64(len(body)) > r.maxSize {
		return nil, errHTTPTooLarge
	}

	// Go does not keep the order of response headers, so they are listed
	// by name to keep the result stable.
	out := &httpResponse{status: resp.StatusCode, body: body}
	for _, name := range slices.Sorted(maps.Keys(resp.Header)) {
		for _, v := range resp.Header[name] {
			out.headers = append(out.headers, name+": "+v)
		}
	}
	return out, nil
}

// transport builds a transport for the request's connection and TLS
// settings.
func (r httpRequest) transport() (*http.Transport, error) {
	dialer := &net.Dialer{Timeout: r.connectTimeout}
	if r.sourceIP != "" {
		addr, err := netip.ParseAddr(r.sourceIP)
		if err != nil {
			return nil, fmt.Errorf("sourceip %q is not an IP address", r.sourceIP)
		}
		dialer.LocalAddr = &net.TCPAddr{IP: addr.AsSlice()}
	}

	// The transfer timeout starts once the connection is open: it becomes
	// the connection's deadline, which covers the TLS handshake, the
	// request and the whole response body.
	dial := func(ctx context.Context, network, address string) (net.Conn, error) {
		conn, err := dialer.DialContext(ctx, network, address)
		if err == nil && r.timeout > 0 {
			conn.SetDeadline(time.Now().Add(r.timeout))
		}
		return conn, err
	}

	t := &http.Transport{
		DialContext:         dial,
		TLSHandshakeTimeout: r.connectTimeout,
		DisableKeepAlives:   true,
		TLSClientConfig:     r.tlsConfig(),
		Proxy:               http.ProxyFromEnvironment,
	}
	if r.proxy != nil {
		t.Proxy = nil
		if *r.proxy != "" {
			u, err := url.Parse(*r.proxy)
			if err != nil {
				return nil, fmt.Errorf("invalid proxy %q: %v", *r.proxy, err)
			}
			t.Proxy = http.ProxyURL(u)
		}
	}
	return t, nil
}

// tlsConfig applies tls_verify_peer and tls_verify_host: the chain is
// checked only with peer verification, the host name only with both.
func (r httpRequest) tlsConfig() *tls.Config {
	cfg := &tls.Config{RootCAs: httpRootCAs}
	switch {
	case !r.verifyPeer:
		cfg.InsecureSkipVerify = true
	case !r.verifyHost:
		// Go verifies the name together with the chain, so skip its check
		// and verify the chain alone.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			return verifyChain(cs.PeerCertificates, httpRootCAs)
		}
	}
	return cfg
}

// verifyChain checks that the certificates chain up to a trusted root,
// without checking any host name.
func verifyChain(certs []*x509.Certificate, roots *x509.CertPool) error {
	if len(certs) == 0 {
		return errors.New("no peer certificate")
	}
	intermediates := x509.NewCertPool()
	for _, c := range certs[1:] {
		intermediates.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: intermediates})
	return err
}

// expandURLArgs replaces $1, $2, ... in rawURL by the URL-encoded values
// of get, in order; $0 and numbers beyond the list stay as they are.
func expandURLArgs(rawURL string, get []string) string {
	var b strings.Builder
	for i := 0; i < len(rawURL); i++ {
		if rawURL[i] == '$' {
			j := i + 1
			for j < len(rawURL) && '0' <= rawURL[j] && rawURL[j] <= '9' {
				j++
			}
			if n, err := strconv.Atoi(rawURL[i+1 : j]); err == nil && n >= 1 && n <= len(get) {
				b.WriteString(encodeURLComponent(get[n-1]))
				i = j - 1
				continue
			}
		}
		b.WriteByte(rawURL[i])
	}
	return b.String()
}

// builtinHTTP is http(url [, options [, get [, post]]]).
func builtinHTTP(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 4); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	rawURL, err := a.str(0, "url")
	if err != nil {
		return vm.None, err
	}
	opts, err := a.options(1)
	if err != nil {
		return vm.None, err
	}

	if a.has(2) {
		getList, err := a.array(2, "get")
		if err != nil {
			return vm.None, err
		}
		get, err := stringList(c, getList, "get")
		if err != nil {
			return vm.None, err
		}
		rawURL = expandURLArgs(rawURL, get)
	}

	req, settings, err := readHTTPOptions(c, opts)
	if err != nil {
		return vm.None, err
	}
	req.url = rawURL

	if a.has(3) {
		if err := setHTTPBody(c, &req, a.value(3)); err != nil {
			return vm.None, err
		}
	}
	if req.method == "" {
		req.method = http.MethodGet
	}
	if settings.background {
		// NOTE: background requests need a persistent request queue,
		// which does not exist yet.
		return vm.None, c.Errorf(`option "background" is not available`)
	}
	if settings.unsupported != "" {
		slog.Warn("http request not sent", "url", rawURL, "reason", settings.unsupported)
		return vm.None, nil
	}

	resp, err := doHTTP(c.Context(), req)
	if err != nil {
		slog.Debug("http request failed", "url", rawURL, "error", err)
		return vm.None, nil
	}

	if !settings.extended {
		if resp.status < 200 || resp.status > 299 {
			return vm.None, nil
		}
		return vm.Bytes(resp.body), nil
	}
	out := vm.NewArray(3)
	out.SetStr("status", vm.Int(resp.status))
	out.SetStr("content", vm.Bytes(resp.body))
	if settings.responseHeaders {
		headers := make([]vm.Value, len(resp.headers))
		for i, h := range resp.headers {
			headers[i] = vm.String(h)
		}
		out.SetStr("headers", vm.ArrayValue(vm.NewList(headers)))
	}
	return vm.ArrayValue(out), nil
}

// httpResultSettings are the options that shape http()'s result rather
// than the request.
type httpResultSettings struct {
	extended        bool
	responseHeaders bool
	background      bool
	// unsupported names a requested feature that cannot be honoured, so
	// the request is not sent.
	unsupported string
}

func readHTTPOptions(c *vm.Call, opts libOptions) (httpRequest, httpResultSettings, error) {
	var s httpResultSettings
	r := httpRequest{maxSize: -1}
	var err error

	if s.extended, err = opts.boolean("extended_result", false); err != nil {
		return r, s, err
	}
	if s.responseHeaders, err = opts.boolean("response_headers", false); err != nil {
		return r, s, err
	}
	if s.background, err = opts.boolean("background", false); err != nil {
		return r, s, err
	}

	connect, _, err := opts.num("connect_timeout", 10)
	if err != nil {
		return r, s, err
	}
	timeout, _, err := opts.num("timeout", 0)
	if err != nil {
		return r, s, err
	}
	if !(connect > 0) || timeout < 0 {
		return r, s, c.Errorf("timeouts must be positive seconds")
	}
	r.connectTimeout = secondsDuration(connect)
	r.timeout = secondsDuration(timeout)

	if size, given, err := opts.num("max_file_size", 0); err != nil {
		return r, s, err
	} else if given {
		r.maxSize = int64(max(size, 0))
	}
	if r.sourceIP, _, err = opts.str("sourceip", ""); err != nil {
		return r, s, err
	}
	if id, given, err := opts.str("sourceipid", ""); err != nil {
		return r, s, err
	} else if given {
		s.unsupported = fmt.Sprintf("sourceipid %q: no source IP ids are configured", id)
	}
	if r.method, _, err = opts.str("method", ""); err != nil {
		return r, s, err
	}
	if list, err := opts.array("headers"); err != nil {
		return r, s, err
	} else if list != nil {
		if r.headers, err = stringList(c, list, `option "headers"`); err != nil {
			return r, s, err
		}
	}

	redirects, _, err := opts.num("redirects", 0)
	if err != nil {
		return r, s, err
	}
	r.redirects = int(redirects)
	if r.redirects < 0 {
		r.redirects = -1
	}

	if r.verifyPeer, err = opts.boolean("tls_verify_peer", true); err != nil {
		return r, s, err
	}
	if r.verifyHost, err = opts.boolean("tls_verify_host", false); err != nil {
		return r, s, err
	}
	if _, err = opts.boolean("tls_default_ca", false); err != nil {
		return r, s, err
	}
	if cert, given, err := opts.str("tls_client_cert", ""); err != nil {
		return r, s, err
	} else if given {
		s.unsupported = fmt.Sprintf("tls_client_cert %q: no certificates are configured", cert)
	}
	if proxy, given, err := opts.str("proxy", ""); err != nil {
		return r, s, err
	} else if given {
		r.proxy = &proxy
	}

	return r, s, nil
}

// setHTTPBody applies the post argument: an array becomes a form body, a
// string the raw body. Either makes the default method POST.
func setHTTPBody(c *vm.Call, r *httpRequest, post vm.Value) error {
	switch post.Kind() {
	case vm.KindArray:
		form := url.Values{}
		for k, v := range post.Array().All() {
			s, ok := convertString(v)
			if !ok {
				return c.Errorf("argument 4 (post) values must be strings, got %s", v.TypeName())
			}
			form.Add(k.Value().String(), s)
		}
		r.body = strings.NewReader(form.Encode())
		if !hasHeader(r.headers, "Content-Type") {
			r.contentType = "application/x-www-form-urlencoded"
		}
	case vm.KindString, vm.KindNumber:
		s, _ := convertString(post)
		r.body = strings.NewReader(s)
	default:
		return c.ArgError(3, "post", "a string or an array", post)
	}
	if r.method == "" {
		r.method = http.MethodPost
	}
	return nil
}

func hasHeader(headers []string, name string) bool {
	for _, h := range headers {
		if n, _, ok := strings.Cut(h, ":"); ok && strings.EqualFold(strings.TrimSpace(n), name) {
			return true
		}
	}
	return false
}
