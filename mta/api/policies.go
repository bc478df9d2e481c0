package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/halonsh/halonsh/mta/policy"
)

// conditionView is one condition of a policy: configured, dynamic or the
// default.
type conditionView struct {
	// ID is the dynamic condition's id; "" for configured ones.
	ID        string              `json:"id,omitempty"`
	Index     int                 `json:"index"` // position among configured conditions, -1 otherwise
	Default   bool                `json:"default,omitempty"`
	Condition map[string][]string `json:"condition,omitempty"`
	Limits    limitsView          `json:"limits"`
	// TTL is the remaining time to live of a dynamic condition, seconds.
	TTL *float64 `json:"ttl,omitempty"`
}

type limitsView struct {
	Concurrency     int               `json:"concurrency,omitempty"`
	Rate            string            `json:"rate,omitempty"`
	ConnectInterval float64           `json:"connectinterval,omitempty"`
	Tags            []string          `json:"tags,omitempty"`
	Properties      map[string]string `json:"properties,omitempty"`
}

type counterView struct {
	Key        string `json:"key"`
	InFlight   int    `json:"in_flight"`
	RateEvents int    `json:"rate_events"`
	Limits     string `json:"limits"`
	Picked     uint64 `json:"picked"`
	Refused    uint64 `json:"refused"`
}

type policyView struct {
	ID         string          `json:"id"`
	Fields     []string        `json:"fields"`
	Conditions []conditionView `json:"conditions"`
	// Counters are the live sub-queues of the policy, busiest first.
	Counters []counterView `json:"counters"`
}

func limitsOf(l *policy.Limits) limitsView {
	if l == nil {
		return limitsView{}
	}
	return limitsView{
		Concurrency:     l.Concurrency,
		Rate:            l.Rate.String(),
		ConnectInterval: l.ConnectInterval.Seconds(),
		Tags:            l.Tags,
		Properties:      l.Properties,
	}
}

func matchMap(ms []policy.FieldMatch) map[string][]string {
	out := make(map[string][]string, len(ms))
	for _, m := range ms {
		out[m.Field.String()] = m.Values
	}
	return out
}

func ttlOf(expires, now time.Time) *float64 {
	ttl := max(expires.Sub(now).Seconds(), 0)
	return &ttl
}

func (s *Server) handlePolicies(w http.ResponseWriter, r *http.Request) {
	eng := s.opts.Policy
	now := eng.Clock().Now()
	cfg := eng.Config()

	dynamic := map[*policy.Policy][]*policy.Condition{}
	for _, c := range eng.DynamicPolicies() {
		dynamic[c.Policy()] = append(dynamic[c.Policy()], c)
	}
	counters := map[string][]counterView{}
	for _, st := range eng.SubQueues() {
		var refused uint64
		for _, n := range st.Refused {
			refused += n
		}
		counters[st.Policy] = append(counters[st.Policy], counterView{
			Key: st.Key, InFlight: st.InFlight, RateEvents: st.RateEvents,
			Limits: st.Limits.String(), Picked: st.Picked, Refused: refused,
		})
	}

	out := []policyView{}
	for _, p := range cfg.Policies {
		v := policyView{ID: p.ID, Fields: p.FieldNames(), Conditions: []conditionView{}, Counters: counters[p.ID]}
		for _, c := range dynamic[p] {
			v.Conditions = append(v.Conditions, conditionView{ID: c.ID, Index: -1, Condition: matchMap(c.If), Limits: limitsOf(c.Limits), TTL: ttlOf(c.Expires, now)})
		}
		for _, c := range p.Conditions {
			v.Conditions = append(v.Conditions, conditionView{Index: c.Index, Condition: matchMap(c.If), Limits: limitsOf(c.Limits)})
		}
		if p.Default != nil {
			v.Conditions = append(v.Conditions, conditionView{Index: -1, Default: true, Limits: limitsOf(p.Default)})
		}
		sort.Slice(v.Counters, func(i, j int) bool { return v.Counters[i].InFlight > v.Counters[j].InFlight })
		if v.Counters == nil {
			v.Counters = []counterView{}
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"time": now, "policies": out})
}

// suspendView is one suspend: configured (no TTL) or dynamic.
type suspendView struct {
	ID      string              `json:"id"`
	Fields  map[string][]string `json:"fields"`
	Tag     string              `json:"tag,omitempty"`
	Dynamic bool                `json:"dynamic"`
	TTL     *float64            `json:"ttl,omitempty"`
}

func suspendOf(sus *policy.Suspend, now time.Time) suspendView {
	v := suspendView{ID: sus.ID, Fields: matchMap(sus.Match), Tag: sus.Tag, Dynamic: sus.Dynamic()}
	if v.Dynamic {
		v.TTL = ttlOf(sus.Expires, now)
	}
	return v
}

func (s *Server) handleSuspends(w http.ResponseWriter, r *http.Request) {
	eng := s.opts.Policy
	now := eng.Clock().Now()
	out := []suspendView{}
	for _, sus := range eng.Config().Suspends {
		out = append(out, suspendOf(sus, now))
	}
	for _, sus := range eng.DynamicSuspends() {
		out = append(out, suspendOf(sus, now))
	}
	writeJSON(w, http.StatusOK, map[string]any{"time": now, "suspends": out})
}

// matchers reads a condition value: one matcher or a list of them.
type matchers []string

func (m *matchers) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*m = []string{one}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return &fieldError{"condition", "expected a matcher string or a list of them"}
	}
	*m = list
	return nil
}

// rateValue reads a rate as queue_policy takes it: [count, interval], a
// number per second, or "N/I".
type rateValue struct{ rate policy.Rate }

func (v *rateValue) UnmarshalJSON(b []byte) error {
	var pair []float64
	if err := json.Unmarshal(b, &pair); err == nil {
		if len(pair) != 2 || pair[0] < 1 || pair[1] <= 0 || pair[0] != float64(int(pair[0])) {
			return &fieldError{"policy.rate", "expected [count, seconds] with a whole count of at least 1"}
		}
		v.rate = policy.Rate{Count: int(pair[0]), Interval: time.Duration(pair[1] * float64(time.Second))}
		return nil
	}
	var n float64
	if err := json.Unmarshal(b, &n); err == nil {
		if n < 1 || n != float64(int(n)) {
			return &fieldError{"policy.rate", fmt.Sprintf("expected a whole number of at least 1, got %g", n)}
		}
		v.rate = policy.Rate{Count: int(n), Interval: time.Second}
		return nil
	}
	var text string
	if err := json.Unmarshal(b, &text); err != nil {
		return &fieldError{"policy.rate", "expected [count, seconds], a number or \"N/I\""}
	}
	r, err := policy.ParseRate(text)
	if err != nil {
		return &fieldError{"policy.rate", err.Error()}
	}
	v.rate = r
	return nil
}

type policyRequest struct {
	Fields    []string            `json:"fields"`
	Condition map[string]matchers `json:"condition"`
	Policy    struct {
		Concurrency     int               `json:"concurrency"`
		Rate            *rateValue        `json:"rate"`
		ConnectInterval float64           `json:"connectinterval"`
		Tag             string            `json:"tag"`
		Properties      map[string]string `json:"properties"`
	} `json:"policy"`
	TTL    float64 `json:"ttl"`
	Update *bool   `json:"update"`
}

func (s *Server) handleAddPolicy(w http.ResponseWriter, r *http.Request) {
	var req policyRequest
	if err := decodeBody(r, &req); err != nil {
		badRequest(w, err)
		return
	}
	if len(req.Fields) == 0 {
		badRequest(w, &fieldError{"fields", "missing: list the fields of a configured policy"})
		return
	}
	if req.TTL <= 0 {
		badRequest(w, &fieldError{"ttl", "must be a positive number of seconds"})
		return
	}
	lim := policy.Limits{
		Concurrency:     req.Policy.Concurrency,
		ConnectInterval: time.Duration(req.Policy.ConnectInterval * float64(time.Second)),
		Properties:      req.Policy.Properties,
	}
	if req.Policy.Rate != nil {
		lim.Rate = req.Policy.Rate.rate
	}
	if req.Policy.Tag != "" {
		lim.Tags = []string{req.Policy.Tag}
	}
	if err := lim.Validate(); err != nil {
		badRequest(w, &fieldError{"policy", err.Error()})
		return
	}
	cond := map[string][]string{}
	for k, v := range req.Condition {
		cond[k] = v
	}

	c, created, err := s.opts.Policy.AddPolicy(policy.PolicyRequest{
		Fields:       req.Fields,
		Condition:    cond,
		Limits:       lim,
		TTL:          time.Duration(req.TTL * float64(time.Second)),
		KeepExisting: req.Update != nil && !*req.Update,
	})
	if err != nil {
		badRequest(w, &fieldError{guessField(err.Error(), "condition"), err.Error()})
		return
	}
	s.opts.Queue.PolicyChanged()
	s.log.Info("dynamic policy set through the API", append(operator(r), "id", c.ID, "policy", c.Policy().ID, "condition", c.String(), "created", created)...)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, map[string]any{"id": c.ID, "policy": c.Policy().ID, "created": created, "condition": matchMap(c.If), "limits": limitsOf(c.Limits), "ttl": ttlOf(c.Expires, s.opts.Policy.Clock().Now())})
}

type suspendRequest struct {
	Fields map[string]matchers `json:"fields"`
	TTL    float64             `json:"ttl"`
	Tag    string              `json:"tag"`
	Update *bool               `json:"update"`
}

func (s *Server) handleAddSuspend(w http.ResponseWriter, r *http.Request) {
	var req suspendRequest
	if err := decodeBody(r, &req); err != nil {
		badRequest(w, err)
		return
	}
	if len(req.Fields) == 0 {
		badRequest(w, &fieldError{"fields", "missing: give at least one field and matcher"})
		return
	}
	if req.TTL <= 0 {
		badRequest(w, &fieldError{"ttl", "must be a positive number of seconds"})
		return
	}
	fields := map[string][]string{}
	for k, v := range req.Fields {
		fields[k] = v
	}
	sus, created, err := s.opts.Policy.AddSuspend(policy.SuspendRequest{
		Fields:       fields,
		Tag:          req.Tag,
		TTL:          time.Duration(req.TTL * float64(time.Second)),
		KeepExisting: req.Update != nil && !*req.Update,
	})
	if err != nil {
		badRequest(w, &fieldError{"fields", err.Error()})
		return
	}
	s.opts.Queue.PolicyChanged()
	s.log.Info("dynamic suspend set through the API", append(operator(r), "id", sus.ID, "fields", sus.String(), "created", created)...)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, map[string]any{"id": sus.ID, "created": created, "suspend": suspendOf(sus, s.opts.Policy.Clock().Now())})
}

func (s *Server) handleDeleteDynamic(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !s.opts.Policy.Delete(id) {
		writeError(w, http.StatusNotFound, "id", fmt.Sprintf("no dynamic policy or suspend with id %q (configured ones change through the policy file)", id))
		return
	}
	s.opts.Queue.PolicyChanged()
	s.log.Info("dynamic policy or suspend deleted through the API", append(operator(r), "id", id)...)
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "deleted": true})
}

// guessField picks the request key an engine error is about: the key
// the message starts with, or one its wording points at.
func guessField(msg, def string) string {
	for _, key := range []string{"fields", "condition", "policy", "ttl"} {
		if strings.HasPrefix(msg, key) {
			return key
		}
	}
	switch {
	case strings.Contains(msg, "field set"), strings.Contains(msg, "no policy"):
		return "fields"
	case strings.Contains(msg, "ttl"):
		return "ttl"
	}
	return def
}

func (s *Server) handleReload(w http.ResponseWriter, r *http.Request) {
	if s.opts.Reload == nil {
		writeError(w, http.StatusNotImplemented, "", "reload is not available")
		return
	}
	if err := s.opts.Reload(); err != nil {
		s.log.Error("reload through the API failed; the running configuration stays", append(operator(r), "error", err)...)
		writeError(w, http.StatusUnprocessableEntity, "", "reload failed, the running configuration stays: "+err.Error())
		return
	}
	s.log.Info("configuration reloaded through the API", operator(r)...)
	writeJSON(w, http.StatusOK, map[string]any{"reloaded": true})
}
