// Package api is the MTA's HTTP control plane: JSON endpoints to see and
// steer the queue, its policies and suspends, and the memory store of
// scripts; Prometheus metrics; and a web view of the queue.
//
// Every request under /api/ and /metrics must carry the configured
// bearer token (`Authorization: Bearer TOKEN`), compared in constant
// time; without it the answer is 401. The web view's static files under
// /ui/ hold no data and load without a token: the page asks for the token
// and sends it with each API request.
//
// A rejected request (4xx) changes nothing. Its body is
// {"error": {"message": "...", "field": "..."}}, with field naming the
// parameter or JSON key at fault when there is one. The routes are
// described in openapi.json, served at /api/v1/openapi.json.
package api

import (
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/halonsh/halonsh/mta/policy"
	"github.com/halonsh/halonsh/mta/queue"
)

//go:embed openapi.json
var openapiDoc []byte

//go:embed web
var webFiles embed.FS

// Options configure the API.
type Options struct {
	Queue  *queue.Queue
	Policy *policy.Engine
	// Token is the bearer token every API request must carry; it must not
	// be empty.
	Token string
	// Reload validates and applies the configuration and scripts again;
	// nil answers reload requests with 501.
	Reload func() error
	Logger *slog.Logger
	// Buckets are the upper bounds of the queue shape's age buckets; nil
	// means DefaultBuckets.
	Buckets []time.Duration
	// Registry receives the MTA's metrics; nil means a new registry.
	Registry *prometheus.Registry
	// Metrics are extra collectors registered with the MTA's own, such as
	// the hook runner's.
	Metrics []prometheus.Collector
}

// Server is the control API's HTTP handler.
type Server struct {
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux

	// lastAuthLog (Unix nanoseconds) and authSuppressed rate-limit the log
	// of rejected tokens.
	lastAuthLog    atomic.Int64
	authSuppressed atomic.Int64
}

// New checks the options and builds the handler.
func New(opts Options) (*Server, error) {
	if opts.Queue == nil || opts.Policy == nil {
		return nil, errors.New("api: Queue and Policy are required")
	}
	if opts.Token == "" {
		return nil, errors.New("api: a token is required; set api.token or api.tokenfile in smtpd.yaml")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Buckets == nil {
		opts.Buckets = DefaultBuckets
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	s := &Server{opts: opts, log: opts.Logger, mux: http.NewServeMux()}

	if err := opts.Registry.Register(newCollector(opts.Queue, opts.Policy)); err != nil {
		return nil, err
	}
	for _, c := range opts.Metrics {
		if err := opts.Registry.Register(c); err != nil {
			return nil, err
		}
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	auth := s.authenticated

	s.mux.Handle("GET /api/v1/openapi.json", auth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapiDoc)
	})))

	s.mux.Handle("GET /api/v1/queue/shape", auth(http.HandlerFunc(s.handleShape)))
	s.mux.Handle("GET /api/v1/queue/messages", auth(http.HandlerFunc(s.handleList)))
	s.mux.Handle("GET /api/v1/queue/messages/{id}", auth(http.HandlerFunc(s.handleMessage)))
	s.mux.Handle("GET /api/v1/queue/messages/{id}/why", auth(http.HandlerFunc(s.handleWhy)))
	s.mux.Handle("POST /api/v1/queue/actions", auth(http.HandlerFunc(s.handleAction)))

	s.mux.Handle("GET /api/v1/policies", auth(http.HandlerFunc(s.handlePolicies)))
	s.mux.Handle("POST /api/v1/policies", auth(http.HandlerFunc(s.handleAddPolicy)))
	s.mux.Handle("DELETE /api/v1/policies/{id}", auth(http.HandlerFunc(s.handleDeleteDynamic)))
	s.mux.Handle("GET /api/v1/suspends", auth(http.HandlerFunc(s.handleSuspends)))
	s.mux.Handle("POST /api/v1/suspends", auth(http.HandlerFunc(s.handleAddSuspend)))
	s.mux.Handle("DELETE /api/v1/suspends/{id}", auth(http.HandlerFunc(s.handleDeleteDynamic)))

	s.mux.Handle("GET /api/v1/memory", auth(http.HandlerFunc(s.handleMemoryList)))
	s.mux.Handle("GET /api/v1/memory/{key}", auth(http.HandlerFunc(s.handleMemoryGet)))
	s.mux.Handle("PUT /api/v1/memory/{key}", auth(http.HandlerFunc(s.handleMemorySet)))
	s.mux.Handle("DELETE /api/v1/memory/{key}", auth(http.HandlerFunc(s.handleMemoryDelete)))
	s.mux.Handle("GET /api/v1/rates", auth(http.HandlerFunc(s.handleRates)))

	s.mux.Handle("POST /api/v1/reload", auth(http.HandlerFunc(s.handleReload)))

	s.mux.Handle("GET /metrics", auth(promhttp.HandlerFor(s.opts.Registry, promhttp.HandlerOpts{})))

	ui, _ := fs.Sub(webFiles, "web")
	s.mux.Handle("GET /ui/", http.StripPrefix("/ui/", http.FileServerFS(ui)))
	s.mux.Handle("GET /{$}", http.RedirectHandler("/ui/", http.StatusFound))

	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r) {
			s.unauthorized(w, r)
			return
		}
		if allowed := s.allowedMethods(r); len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeError(w, http.StatusMethodNotAllowed, "", r.Method+" is not allowed on "+r.URL.Path+"; use "+strings.Join(allowed, " or "))
			return
		}
		writeError(w, http.StatusNotFound, "", "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
}

// allowedMethods returns the methods that have a route for the request's
// path, for a 405 answer.
func (s *Server) allowedMethods(r *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/api/" && pattern != "" {
			out = append(out, m)
		}
	}
	return out
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

func (s *Server) authorized(r *http.Request) bool {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(token), []byte(s.opts.Token)) == 1
}

func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request) {
	// A scanner can send thousands of these; log at most one a second,
	// with the count of those left out since the last line.
	now := time.Now().UnixNano()
	last := s.lastAuthLog.Load()
	if now-last >= int64(time.Second) && s.lastAuthLog.CompareAndSwap(last, now) {
		s.log.Warn("api request without a valid token", "remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path, "suppressed", s.authSuppressed.Swap(0))
	} else {
		s.authSuppressed.Add(1)
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="halonsh"`)
	writeError(w, http.StatusUnauthorized, "", "missing or invalid bearer token")
}

func (s *Server) authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r) {
			s.unauthorized(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// operator names who made a request, for the log of queue actions: the
// X-Operator header when given (halonsh ctl sends the local user name),
// and the remote address.
func operator(r *http.Request) []any {
	return []any{"operator", r.Header.Get("X-Operator"), "remote", r.RemoteAddr}
}

// apiError is the body of a rejected request.
type apiError struct {
	Error struct {
		Message string `json:"message"`
		Field   string `json:"field,omitempty"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, field, msg string) {
	var e apiError
	e.Error.Message = msg
	e.Error.Field = field
	writeJSON(w, status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// fieldError is a request error that names the parameter or key at fault.
type fieldError struct {
	field, msg string
}

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

func badRequest(w http.ResponseWriter, err error) {
	var fe *fieldError
	if errors.As(err, &fe) {
		writeError(w, http.StatusBadRequest, fe.field, fe.msg)
		return
	}
	writeError(w, http.StatusBadRequest, "", err.Error())
}

// decodeBody decodes a JSON request body strictly: unknown keys and
// trailing data are errors, so a typo never passes silently.
func decodeBody(r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(nil, r.Body, 1<<20)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var fe *fieldError
		if errors.As(err, &fe) {
			return fe
		}
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return &fieldError{ute.Field, "must be " + jsonType(ute.Type.Kind().String()) + ", got " + ute.Value}
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return &fieldError{strings.Trim(name, `"`), "unknown key"}
		}
		return &fieldError{"body", "invalid JSON: " + err.Error()}
	}
	if dec.More() {
		return &fieldError{"body", "unexpected data after the JSON value"}
	}
	return nil
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return "a number"
}
