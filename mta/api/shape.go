package api

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/halonsh/halonsh/mta/policy"
	"github.com/halonsh/halonsh/mta/queue"
)

// DefaultBuckets are the upper bounds of the queue shape's age buckets,
// the qshape intervals: 0-5, 5-10, 10-20, ... 640-1280 minutes, and
// 1280+ for the rest.
var DefaultBuckets = []time.Duration{
	5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 40 * time.Minute,
	80 * time.Minute, 160 * time.Minute, 320 * time.Minute, 640 * time.Minute,
	1280 * time.Minute,
}

// groupFields are the fields the queue can be grouped and filtered by.
var groupFields = []string{"transportid", "localip", "remotemx", "remoteip", "recipientdomain", "senderdomain", "jobid", "tenantid", "subqueue", "state"}

func validField(name string) bool {
	for _, f := range groupFields {
		if f == name {
			return true
		}
	}
	return false
}

// entryView is one queued entry with what grouping and filtering need.
type entryView struct {
	info queue.EntryInfo
	age  time.Duration
	// keys are the policy sub-queue keys, filled on first use.
	keys string
}

func (s *Server) snapshot() ([]*entryView, time.Time) {
	now := s.opts.Queue.Now()
	entries := s.opts.Queue.Snapshot()
	out := make([]*entryView, len(entries))
	for i := range entries {
		out[i] = &entryView{info: entries[i], age: now.Sub(queuedAt(&entries[i].Message))}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].age != out[j].age {
			return out[i].age > out[j].age
		}
		return out[i].info.Message.ID < out[j].info.Message.ID
	})
	return out, now
}

func queuedAt(m *queue.Message) time.Time {
	if !m.QueuedAt.IsZero() {
		return m.QueuedAt
	}
	return m.ReceivedAt
}

// field returns the value of a grouping field for e.
func (s *Server) field(e *entryView, name string) string {
	f := &e.info.Fields
	switch name {
	case "transportid":
		return f.TransportID
	case "localip":
		return f.LocalIP
	case "remotemx":
		return f.RemoteMX
	case "remoteip":
		return f.RemoteIP
	case "recipientdomain":
		if f.RecipientDomain != "" {
			return f.RecipientDomain
		}
		return e.info.Message.RecipientDomain()
	case "senderdomain":
		sender := e.info.Message.Sender
		if at := strings.LastIndexByte(sender, '@'); at >= 0 {
			return strings.ToLower(sender[at+1:])
		}
		return ""
	case "jobid":
		return e.info.Message.JobID
	case "tenantid":
		return e.info.Message.TenantID
	case "state":
		return e.info.State
	case "subqueue":
		if e.keys == "" {
			e.keys = subqueueKeys(s.opts.Policy, f)
		}
		return e.keys
	}
	return ""
}

// subqueueKeys returns the display form of every policy key that limits
// an entry with these fields, joined by "; ".
func subqueueKeys(eng *policy.Engine, f *queue.Fields) string {
	en := policyEntry(f)
	var keys []string
	for _, p := range eng.Explain(&en).Policies {
		if p.Limits != nil {
			keys = append(keys, p.Key)
		}
	}
	if len(keys) == 0 {
		return "(unlimited)"
	}
	return strings.Join(keys, "; ")
}

func policyEntry(f *queue.Fields) policy.Entry {
	return policy.Entry{
		TenantID:        f.TenantID,
		JobID:           f.JobID,
		TransportID:     f.TransportID,
		LocalIP:         f.LocalIP,
		Grouping:        f.Grouping,
		RemoteIP:        f.RemoteIP,
		RemoteMX:        f.RemoteMX,
		RecipientDomain: f.RecipientDomain,
	}
}

// bucketLabels names the age buckets: "0-5", ..., "1280+" (minutes).
func bucketLabels(bounds []time.Duration) []string {
	labels := make([]string, 0, len(bounds)+1)
	lo := 0.0
	for _, b := range bounds {
		hi := b.Minutes()
		labels = append(labels, fmt.Sprintf("%g-%g", lo, hi))
		lo = hi
	}
	return append(labels, fmt.Sprintf("%g+", lo))
}

// bucketOf returns the index of the bucket an age falls in.
func bucketOf(bounds []time.Duration, age time.Duration) int {
	return sort.Search(len(bounds), func(i int) bool { return age < bounds[i] })
}

// parseBuckets reads a "buckets" parameter: ascending minute bounds.
func parseBuckets(q url.Values, def []time.Duration) ([]time.Duration, error) {
	raw := q.Get("buckets")
	if raw == "" {
		return def, nil
	}
	var out []time.Duration
	for _, part := range strings.Split(raw, ",") {
		m, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil || m <= 0 {
			return nil, &fieldError{"buckets", fmt.Sprintf("expected ascending positive minute values, got %q", part)}
		}
		d := time.Duration(m * float64(time.Minute))
		if len(out) > 0 && d <= out[len(out)-1] {
			return nil, &fieldError{"buckets", "values must ascend"}
		}
		out = append(out, d)
	}
	return out, nil
}

// parseBy reads the "by" parameter: grouping fields, comma-separated.
func parseBy(q url.Values) ([]string, error) {
	raw := q.Get("by")
	if raw == "" {
		return nil, nil
	}
	fields := strings.Split(raw, ",")
	for i, f := range fields {
		fields[i] = strings.TrimSpace(f)
		if !validField(fields[i]) {
			return nil, &fieldError{"by", fmt.Sprintf("unknown field %q; use %s", fields[i], strings.Join(groupFields, ", "))}
		}
	}
	return fields, nil
}

// shapeGroup is one row of the queue shape.
type shapeGroup struct {
	Key    map[string]string `json:"key"`
	Counts []int             `json:"counts"`
	Total  int               `json:"total"`
}

type shapeResponse struct {
	Time    time.Time    `json:"time"`
	By      []string     `json:"by"`
	Buckets []string     `json:"buckets"`
	Groups  []shapeGroup `json:"groups"`
	Totals  []int        `json:"totals"`
	Total   int          `json:"total"`
}

func (s *Server) handleShape(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	by, err := parseBy(q)
	if err != nil {
		badRequest(w, err)
		return
	}
	bounds, err := parseBuckets(q, s.opts.Buckets)
	if err != nil {
		badRequest(w, err)
		return
	}
	filter, err := parseWhere(q)
	if err != nil {
		badRequest(w, err)
		return
	}

	entries, now := s.snapshot()
	labels := bucketLabels(bounds)
	resp := shapeResponse{Time: now, By: by, Buckets: labels, Totals: make([]int, len(labels)), Groups: []shapeGroup{}}
	if resp.By == nil {
		resp.By = []string{}
	}
	groups := map[string]*shapeGroup{}
	var order []string

	for _, e := range entries {
		if !s.matches(e, filter) {
			continue
		}
		values := make([]string, len(by))
		for i, f := range by {
			values[i] = s.field(e, f)
		}
		id := strings.Join(values, "\x00")
		g := groups[id]
		if g == nil {
			g = &shapeGroup{Key: map[string]string{}, Counts: make([]int, len(labels))}
			for i, f := range by {
				g.Key[f] = values[i]
			}
			groups[id] = g
			order = append(order, id)
		}
		b := bucketOf(bounds, e.age)
		g.Counts[b]++
		g.Total++
		resp.Totals[b]++
		resp.Total++
	}

	for _, id := range order {
		resp.Groups = append(resp.Groups, *groups[id])
	}
	sort.SliceStable(resp.Groups, func(i, j int) bool { return resp.Groups[i].Total > resp.Groups[j].Total })
	writeJSON(w, http.StatusOK, resp)
}
