package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/halonsh/halonsh/mta/queue"
)

// entryStates are the states a queued entry can be in.
var entryStates = []string{"waiting", "routing", "ready", "active", "hold", "finishing"}

func validState(s string) bool {
	for _, st := range entryStates {
		if st == s {
			return true
		}
	}
	return false
}

// filter selects entries by age interval and field values.
type filter struct {
	minAge, maxAge time.Duration // maxAge 0 means no upper bound
	hasAge         bool
	where          map[string]string
}

// parseWhere reads "where" parameters (field=value, repeatable) and an
// "age" parameter ("10-20" or "1280+" minutes, as the shape's bucket
// labels read).
func parseWhere(q url.Values) (filter, error) {
	f := filter{where: map[string]string{}}
	for _, w := range q["where"] {
		for _, part := range strings.Split(w, ",") {
			name, value, ok := strings.Cut(part, "=")
			name = strings.TrimSpace(name)
			if !ok || !validField(name) {
				return f, &fieldError{"where", fmt.Sprintf("expected FIELD=VALUE with a field of %s, got %q", strings.Join(groupFields, ", "), part)}
			}
			if name == "state" && !validState(value) {
				return f, &fieldError{"where", fmt.Sprintf("unknown state %q; use %s", value, strings.Join(entryStates, ", "))}
			}
			f.where[name] = value
		}
	}

	age := q.Get("age")
	if age == "" {
		return f, nil
	}
	f.hasAge = true
	lo, hi, isRange := strings.Cut(age, "-")
	if !isRange {
		var ok bool
		lo, ok = strings.CutSuffix(age, "+")
		if !ok {
			return f, &fieldError{"age", fmt.Sprintf("expected MIN-MAX or MIN+ in minutes, got %q", age)}
		}
	}
	loMin, err := strconv.ParseFloat(lo, 64)
	if err != nil || loMin < 0 {
		return f, &fieldError{"age", fmt.Sprintf("invalid minimum age %q", lo)}
	}
	f.minAge = time.Duration(loMin * float64(time.Minute))
	if isRange && hi != "" {
		hiMin, err := strconv.ParseFloat(hi, 64)
		if err != nil || hiMin <= loMin {
			return f, &fieldError{"age", fmt.Sprintf("invalid maximum age %q", hi)}
		}
		f.maxAge = time.Duration(hiMin * float64(time.Minute))
	}
	return f, nil
}

func (s *Server) matches(e *entryView, f filter) bool {
	if f.hasAge && (e.age < f.minAge || (f.maxAge > 0 && e.age >= f.maxAge)) {
		return false
	}
	for name, want := range f.where {
		if s.field(e, name) != want {
			return false
		}
	}
	return true
}

// messageView is one queued entry as the API shows it.
type messageView struct {
	ID          string            `json:"id"`
	Transaction string            `json:"transaction"`
	Sender      string            `json:"sender"`
	Recipient   string            `json:"recipient"`
	TransportID string            `json:"transportid"`
	State       string            `json:"state"`
	Age         float64           `json:"age"` // seconds
	Retry       int               `json:"retry"`
	NextAttempt *time.Time        `json:"next_attempt,omitempty"`
	LastResult  string            `json:"last_result,omitempty"`
	Hold        bool              `json:"hold"`
	Size        int64             `json:"size"`
	Fields      map[string]string `json:"fields"`
	Refusal     *refusalView      `json:"refusal,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

type refusalView struct {
	Reason  string     `json:"reason"`
	Key     string     `json:"key,omitempty"`
	RetryAt *time.Time `json:"retry_at,omitempty"`
}

func (s *Server) view(e *entryView, detail bool) messageView {
	m := &e.info.Message
	v := messageView{
		ID:          m.ID,
		Transaction: m.TransactionID,
		Sender:      m.Sender,
		Recipient:   m.Recipient,
		TransportID: m.TransportID,
		State:       e.info.State,
		Age:         e.age.Seconds(),
		Retry:       m.Retry,
		LastResult:  m.LastResult,
		Hold:        m.Hold,
		Size:        m.Size,
		Fields:      map[string]string{},
	}
	if !m.NextAttempt.IsZero() {
		t := m.NextAttempt
		v.NextAttempt = &t
	}
	for _, name := range []string{"localip", "remotemx", "remoteip", "recipientdomain"} {
		if value := s.field(e, name); value != "" {
			v.Fields[name] = value
		}
	}
	if r := e.info.Refusal; r != nil {
		v.Refusal = refusalOf(r)
	}
	if detail {
		v.Fields["subqueue"] = s.field(e, "subqueue")
		v.Metadata = m.Metadata
	}
	return v
}

func refusalOf(r *queue.Refusal) *refusalView {
	rv := &refusalView{Reason: r.Reason, Key: r.Key}
	if !r.RetryAt.IsZero() {
		t := r.RetryAt
		rv.RetryAt = &t
	}
	return rv
}

type listResponse struct {
	Total    int           `json:"total"`
	Offset   int           `json:"offset"`
	Limit    int           `json:"limit"`
	Messages []messageView `json:"messages"`
}

const maxPage = 1000

func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := parseWhere(q)
	if err != nil {
		badRequest(w, err)
		return
	}
	limit, err := intParam(q, "limit", 50, 1, maxPage)
	if err != nil {
		badRequest(w, err)
		return
	}
	offset, err := intParam(q, "offset", 0, 0, 1<<31-1)
	if err != nil {
		badRequest(w, err)
		return
	}

	entries, _ := s.snapshot()
	resp := listResponse{Offset: offset, Limit: limit, Messages: []messageView{}}
	for _, e := range entries {
		if !s.matches(e, f) {
			continue
		}
		if resp.Total >= offset && len(resp.Messages) < limit {
			resp.Messages = append(resp.Messages, s.view(e, false))
		}
		resp.Total++
	}
	writeJSON(w, http.StatusOK, resp)
}

func intParam(q url.Values, name string, def, lo, hi int) (int, error) {
	raw := q.Get(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, &fieldError{name, fmt.Sprintf("expected a whole number from %d to %d, got %q", lo, hi, raw)}
	}
	return n, nil
}

// entry returns one entry by id, or writes 404.
func (s *Server) entry(w http.ResponseWriter, r *http.Request) (*entryView, bool) {
	id := r.PathValue("id")
	info, ok := s.opts.Queue.Get(id)
	if !ok {
		writeError(w, http.StatusNotFound, "id", fmt.Sprintf("no queued message with id %q", id))
		return nil, false
	}
	return &entryView{info: info, age: s.opts.Queue.Now().Sub(queuedAt(&info.Message))}, true
}

func (s *Server) handleMessage(w http.ResponseWriter, r *http.Request) {
	if e, ok := s.entry(w, r); ok {
		writeJSON(w, http.StatusOK, s.view(e, true))
	}
}

// whyResponse says why a message waits.
type whyResponse struct {
	ID          string         `json:"id"`
	State       string         `json:"state"`
	Retry       int            `json:"retry"`
	LastResult  string         `json:"last_result,omitempty"`
	NextAttempt *time.Time     `json:"next_attempt,omitempty"`
	Hold        bool           `json:"hold"`
	Summary     string         `json:"summary"`
	Allowed     bool           `json:"allowed"`
	Reason      string         `json:"reason,omitempty"`
	Until       *time.Time     `json:"until,omitempty"`
	Refusal     *refusalView   `json:"refusal,omitempty"`
	Suspends    []suspendView  `json:"suspends"`
	Policies    []policyReason `json:"policies"`
}

type policyReason struct {
	Policy     string              `json:"policy"`
	Key        string              `json:"key"`
	Condition  map[string][]string `json:"condition,omitempty"`
	Default    bool                `json:"default"`
	Dynamic    string              `json:"dynamic,omitempty"`
	Limits     string              `json:"limits"`
	InFlight   int                 `json:"in_flight"`
	RateEvents int                 `json:"rate_events"`
	Reason     string              `json:"reason,omitempty"`
	Until      *time.Time          `json:"until,omitempty"`
}

func (s *Server) handleWhy(w http.ResponseWriter, r *http.Request) {
	e, ok := s.entry(w, r)
	if !ok {
		return
	}
	m := &e.info.Message
	en := policyEntry(&e.info.Fields)
	x := s.opts.Policy.Explain(&en)

	resp := whyResponse{
		ID:         m.ID,
		State:      e.info.State,
		Retry:      m.Retry,
		LastResult: m.LastResult,
		Hold:       m.Hold,
		Allowed:    x.Allowed,
		Suspends:   []suspendView{},
		Policies:   []policyReason{},
	}
	if !m.NextAttempt.IsZero() {
		t := m.NextAttempt
		resp.NextAttempt = &t
	}
	if !x.Allowed {
		resp.Reason = x.Reason.String()
		if !x.Until.IsZero() {
			t := x.Until
			resp.Until = &t
		}
	}
	if rf := e.info.Refusal; rf != nil {
		resp.Refusal = refusalOf(rf)
	}
	now := s.opts.Queue.Now()
	for _, sus := range x.Suspends {
		resp.Suspends = append(resp.Suspends, suspendOf(sus, now))
	}
	for _, p := range x.Policies {
		if p.Limits == nil {
			// The policy does not limit this entry, so it has no say.
			continue
		}
		pr := policyReason{Policy: p.Policy.ID, Key: p.Key, Default: p.Default, Limits: p.Limits.String(), InFlight: p.InFlight, RateEvents: p.RateEvents}
		if c := p.Condition; c != nil {
			pr.Condition = matchMap(c.If)
			if c.Dynamic() {
				pr.Dynamic = c.ID
			}
		}
		if p.Reason.String() != "none" && p.Reason.String() != "" {
			pr.Reason = p.Reason.String()
		}
		if !p.Until.IsZero() {
			t := p.Until
			pr.Until = &t
		}
		resp.Policies = append(resp.Policies, pr)
	}
	resp.Summary = whySummary(&resp, e.info.State, s.opts.Queue.Now())
	writeJSON(w, http.StatusOK, resp)
}

// whySummary puts the explanation in one sentence for people.
func whySummary(w *whyResponse, state string, now time.Time) string {
	switch {
	case w.Hold || state == "hold":
		return "held: it waits until an operator releases it"
	case state == "active":
		return "a delivery attempt is in progress"
	case len(w.Suspends) > 0:
		return fmt.Sprintf("suspended by %s", w.Suspends[0].ID)
	case w.NextAttempt != nil && w.NextAttempt.After(now) && state == "waiting":
		return fmt.Sprintf("waiting for its retry at %s after: %s", w.NextAttempt.UTC().Format(time.RFC3339), orNone(w.LastResult))
	case !w.Allowed:
		for _, p := range w.Policies {
			if p.Reason != "" {
				return fmt.Sprintf("held by policy %s, sub-queue %s: %s limit (%s)", p.Policy, p.Key, p.Reason, p.Limits)
			}
		}
		return "held by " + w.Reason
	}
	return "ready: it may be picked up now"
}

func orNone(s string) string {
	if s == "" {
		return "no attempt yet"
	}
	return s
}

// actionRequest is a queue action on a selection of messages.
type actionRequest struct {
	Action string `json:"action"`
	// IDs selects messages by queue id; Selection by age and fields.
	// Exactly one of them is given.
	IDs       []string `json:"ids,omitempty"`
	Selection *struct {
		Age   string            `json:"age,omitempty"`
		Where map[string]string `json:"where,omitempty"`
	} `json:"selection,omitempty"`
	Reason string `json:"reason,omitempty"`
}

type actionResponse struct {
	Action  string   `json:"action"`
	Matched int      `json:"matched"`
	Done    []string `json:"done"`
	// Skipped lists ids the action did not apply to: unknown ids, entries
	// already in the state the action makes, and entries in flight.
	Skipped []string `json:"skipped"`
}

func (s *Server) handleAction(w http.ResponseWriter, r *http.Request) {
	var req actionRequest
	if err := decodeBody(r, &req); err != nil {
		badRequest(w, err)
		return
	}
	apply, ok := s.actions()[req.Action]
	if !ok {
		badRequest(w, &fieldError{"action", fmt.Sprintf("unknown action %q; use retry, hold, release, bounce or delete", req.Action)})
		return
	}
	if (len(req.IDs) == 0) == (req.Selection == nil) {
		badRequest(w, &fieldError{"ids", "give exactly one of ids and selection"})
		return
	}

	ids := req.IDs
	if req.Selection != nil {
		q := url.Values{}
		if req.Selection.Age != "" {
			q.Set("age", req.Selection.Age)
		}
		for k, v := range req.Selection.Where {
			q.Add("where", k+"="+v)
		}
		f, err := parseWhere(q)
		if err != nil {
			if fe, ok := err.(*fieldError); ok {
				fe.field = "selection." + fe.field
			}
			badRequest(w, err)
			return
		}
		entries, _ := s.snapshot()
		for _, e := range entries {
			if s.matches(e, f) {
				ids = append(ids, e.info.Message.ID)
			}
		}
	}

	resp := actionResponse{Action: req.Action, Matched: len(ids), Done: []string{}, Skipped: []string{}}
	for _, id := range ids {
		if apply(id, req.Reason) {
			resp.Done = append(resp.Done, id)
		} else {
			resp.Skipped = append(resp.Skipped, id)
		}
	}
	s.log.Info("queue action", append(operator(r), "action", req.Action, "matched", resp.Matched, "done", len(resp.Done), "skipped", len(resp.Skipped), "ids", strings.Join(resp.Done, ","), "reason", req.Reason)...)
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) actions() map[string]func(id, reason string) bool {
	q := s.opts.Queue
	return map[string]func(id, reason string) bool{
		"retry":   func(id, _ string) bool { return q.RetryNow(id) },
		"hold":    func(id, _ string) bool { return q.Hold(id) },
		"release": func(id, _ string) bool { return q.Release(id) },
		"bounce": func(id, reason string) bool {
			return q.Bounce(id, orDefault(reason, "bounced by an operator"))
		},
		"delete": func(id, reason string) bool {
			return q.Delete(id, orDefault(reason, "deleted by an operator"))
		},
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
