// Package hooktest runs hook scripts against simulated delivery attempts
// on a simulated clock: the engine behind `halonsh simulate` and
// `halonsh test`.
//
// A Simulator owns a policy engine on a fake clock and a hooks.Runner
// whose queue functions change that engine, so queue_policy and
// queue_suspend calls of the script show up as dynamic policies and
// suspends in force, exactly as they would in the MTA.
package hooktest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/halonsh/halonsh/builtins"
	"github.com/halonsh/halonsh/ffi"
	"github.com/halonsh/halonsh/lang/vm"
	"github.com/halonsh/halonsh/mta/hooks"
	"github.com/halonsh/halonsh/mta/policy"
	"github.com/halonsh/halonsh/mta/queue"
)

// DefaultStart is the simulated clock's start when none is given: a fixed
// instant, so that runs repeat exactly.
var DefaultStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Options configure a Simulator.
type Options struct {
	Kind   hooks.Kind
	Script string // path of the hook script
	// Source is the script text; when nil it is read from Script.
	Source []byte
	// Policy is the smtpd-policy.yaml path; "" means no configured
	// policies, so queue_policy calls fail as in an MTA without them.
	Policy  string
	Message *Message
	Start   time.Time
	// FFI configures the FFI class; the zero value disables it.
	FFI ffi.Config
}

// Simulator runs one hook script against simulated attempts.
type Simulator struct {
	clock   *policy.FakeClock
	engine  *policy.Engine
	runner  *hooks.Runner
	kind    hooks.Kind
	message *Message
	start   time.Time
	runs    int
}

// New compiles the script and sets up the policy engine and clock.
func New(opts Options) (*Simulator, error) {
	start := opts.Start
	if start.IsZero() {
		start = DefaultStart
	}
	clock := policy.NewFakeClock(start)

	cfg := &policy.Config{}
	if opts.Policy != "" {
		var err error
		if cfg, err = policy.LoadFile(opts.Policy); err != nil {
			return nil, err
		}
	}
	// The report carries what the engine would log, so its log is quiet.
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	engine := policy.New(cfg, policy.WithClock(clock), policy.WithLogger(quiet))

	src := opts.Source
	if src == nil {
		var err error
		if src, err = os.ReadFile(opts.Script); err != nil {
			return nil, err
		}
	}
	lib := vm.NewLibrary()
	builtins.Install(lib)
	ffi.Install(lib, opts.FFI)
	script, err := hooks.Compile(lib, opts.Kind, opts.Script, src)
	if err != nil {
		return nil, err
	}

	runner := &hooks.Runner{Queue: &hooks.PolicyQueue{Engine: engine}, CollectEcho: true, Logger: quiet}
	switch opts.Kind {
	case hooks.PreDelivery:
		runner.Pre = script
	case hooks.PostDelivery:
		runner.Post = script
	default:
		return nil, fmt.Errorf("unknown hook context %d", opts.Kind)
	}

	useClock(clock)
	return &Simulator{
		clock:   clock,
		engine:  engine,
		runner:  runner,
		kind:    opts.Kind,
		message: opts.Message,
		start:   start,
	}, nil
}

// Now is the simulated time.
func (s *Simulator) Now() time.Time { return s.clock.Now() }

// Advance moves the simulated clock forward.
func (s *Simulator) Advance(d time.Duration) { s.clock.Advance(d) }

// Set moves the simulated clock to t; it never goes backwards.
func (s *Simulator) Set(t time.Time) {
	if t.After(s.clock.Now()) {
		s.clock.Set(t)
	}
}

// Engine is the simulation's policy engine.
func (s *Simulator) Engine() *policy.Engine { return s.engine }

// Run is the report of one hook run.
type Run struct {
	Run  int    `json:"run"`
	Time string `json:"time"`
	// Offset is the simulated seconds since the start.
	Offset float64 `json:"offset"`
	// Action is what the entry gets: TRY, QUEUE, BOUNCE, DELETE, or
	// DELIVERED when post-delivery keeps a successful delivery.
	Action string `json:"action"`
	// Explicit is true when a context function decided the action.
	Explicit bool    `json:"explicit"`
	Delay    float64 `json:"delay,omitempty"`
	Hold     bool    `json:"hold,omitempty"`
	Reason   string  `json:"reason,omitempty"`
	Echo     string  `json:"echo"`
	Error    string  `json:"error,omitempty"`
}

// Attempt runs the script once with the attempt at the current simulated
// time. A pre-delivery script ignores the attempt's result.
func (s *Simulator) Attempt(ctx context.Context, a *Attempt) Run {
	s.runs++
	msg := s.message
	if a.Message != nil {
		msg = a.Message
	}
	m := msg.queueMessage()
	m.Retry = a.Retry

	var out hooks.Outcome
	def := a.defaultAction()
	if s.kind == hooks.PreDelivery {
		out = s.runner.RunPre(ctx, &queue.PreDelivery{Message: m, Retry: a.Retry})
	} else {
		in := &queue.PostDelivery{
			Message: m,
			Retry:   a.Retry,
			Expired: a.Expired,
			Action:  def,
			DSN:     a.DSN,
		}
		if a.Attempt != nil {
			res := a.Attempt.Result
			res.Duration = time.Duration(a.Attempt.Duration * float64(time.Second))
			res.Delivered = a.delivered()
			in.Attempt = &res
			in.Policy = s.appliedPolicies(&m, &res)
		}
		if in.DSN == nil && def != "" {
			in.DSN = defaultDSN(def, a)
		}
		out = s.runner.RunPost(ctx, in)
	}

	r := Run{
		Run:      s.runs,
		Time:     s.clock.Now().UTC().Format(time.RFC3339Nano),
		Offset:   s.clock.Now().Sub(s.start).Seconds(),
		Action:   resolveAction(out.Action.Kind, def),
		Explicit: out.Explicit,
		Hold:     out.Action.Hold,
		Reason:   out.Action.Reason,
		Echo:     out.Echo,
	}
	if out.Action.DelaySet {
		r.Delay = out.Action.Delay.Seconds()
	}
	if out.Err != nil {
		r.Error = out.Err.Error()
	}
	return r
}

// appliedPolicies asks the policy engine which policies give limits to an
// entry with the attempt's connection, as the MTA's pickup did, and hands
// them to the script as $arguments["policy"]. Explain takes nothing, so
// the simulation holds no slots and records no rate events.
func (s *Simulator) appliedPolicies(m *queue.Message, r *queue.Result) *queue.PolicyInfo {
	en := policy.Entry{
		TransportID:     m.TransportID,
		JobID:           m.JobID,
		TenantID:        m.TenantID,
		RecipientDomain: m.RecipientDomain(),
	}
	if c := r.Connection; c != nil {
		en.LocalIP, en.RemoteIP, en.RemoteMX = c.LocalIP, c.RemoteIP, strings.ToLower(c.RemoteMX)
	}

	info := &queue.PolicyInfo{}
	for _, p := range s.engine.Explain(&en).Policies {
		if p.Limits == nil {
			continue
		}
		ap := queue.AppliedPolicy{
			ID:         p.Policy.ID,
			Key:        p.Key,
			Fields:     p.Policy.FieldNames(),
			Tags:       p.Limits.Tags,
			Properties: p.Limits.Properties,
			Stop:       p.Limits.Stop,
			Cluster:    p.Limits.Cluster,
		}
		if c := p.Condition; c != nil {
			ap.Condition = map[string][]string{}
			for _, fm := range c.If {
				ap.Condition[fm.Field.String()] = fm.Values
			}
			if c.Dynamic() {
				ref := queue.DynamicRef{ID: c.ID}
				if len(p.Limits.Tags) > 0 {
					ref.Tag = p.Limits.Tags[0]
				}
				ap.Dynamic = []queue.DynamicRef{ref}
			}
		}
		info.Tags = append(info.Tags, p.Limits.Tags...)
		info.Policies = append(info.Policies, ap)
	}
	return info
}

func resolveAction(kind queue.ActionKind, def string) string {
	if kind != queue.ActionDefault {
		return kind.String()
	}
	if def == "" {
		return "DELIVERED"
	}
	return def
}

// defaultDSN builds $arguments["dsn"] for a failed attempt.
func defaultDSN(action string, a *Attempt) *queue.DSNInfo {
	d := &queue.DSNInfo{Action: "failed", DiagnosticType: "x-error"}
	if action == "QUEUE" {
		d.Action = "delayed"
	}
	if a.Attempt == nil {
		return d
	}
	if s := a.Attempt.SMTP; s != nil {
		d.DiagnosticType = "smtp"
		parts := []string{fmt.Sprint(s.Code)}
		if len(s.Enhanced) == 3 {
			copy(d.Status[:], s.Enhanced)
			parts = append(parts, fmt.Sprintf("%d.%d.%d", s.Enhanced[0], s.Enhanced[1], s.Enhanced[2]))
		}
		d.DiagnosticCode = strings.Join(append(parts, s.Reason...), " ")
	} else if e := a.Attempt.Error; e != nil {
		d.DiagnosticCode = e.Message
		if e.Temporary {
			d.Status = [3]int{4, 4, 1}
		} else {
			d.Status = [3]int{5, 4, 1}
		}
	}
	return d
}

// DynamicPolicy is one dynamic policy in force, for reports.
type DynamicPolicy struct {
	ID        string              `json:"id"`
	Policy    string              `json:"policy"`
	Fields    []string            `json:"fields"`
	Condition map[string][]string `json:"condition"`
	// Concurrency and Rate are 0 and "" when not limited.
	Concurrency     int      `json:"concurrency,omitempty"`
	Rate            string   `json:"rate,omitempty"`
	ConnectInterval float64  `json:"connectinterval,omitempty"`
	Tags            []string `json:"tags,omitempty"`
	// TTL is the remaining time to live in seconds.
	TTL float64 `json:"ttl"`
}

// DynamicSuspend is one dynamic suspend in force, for reports.
type DynamicSuspend struct {
	ID     string              `json:"id"`
	Fields map[string][]string `json:"fields"`
	Tag    string              `json:"tag,omitempty"`
	TTL    float64             `json:"ttl"`
}

// State is what is in force after the runs.
type State struct {
	Time     string           `json:"time"`
	Policies []DynamicPolicy  `json:"policies"`
	Suspends []DynamicSuspend `json:"suspends"`
	// Rates are the rate() keys with events in their window.
	Rates []builtins.RateCounter `json:"rates"`
	// Memory is the memory_* store, as JSON-compatible values.
	Memory map[string]any `json:"memory"`
}

// State reports the dynamic policies and suspends in force and the memory
// store at the current simulated time.
func (s *Simulator) State() State {
	now := s.clock.Now()
	st := State{
		Time:     now.UTC().Format(time.RFC3339Nano),
		Policies: []DynamicPolicy{},
		Suspends: []DynamicSuspend{},
		Rates:    builtins.RateCounters(),
		Memory:   memorySnapshot(),
	}
	if st.Rates == nil {
		st.Rates = []builtins.RateCounter{}
	}
	for _, c := range s.engine.DynamicPolicies() {
		if !c.Expires.After(now) {
			continue
		}
		p := DynamicPolicy{
			ID:        c.ID,
			Policy:    c.Policy().ID,
			Fields:    c.Policy().FieldNames(),
			Condition: map[string][]string{},
			TTL:       c.Expires.Sub(now).Seconds(),
		}
		for _, m := range c.If {
			p.Condition[m.Field.String()] = m.Values
		}
		if l := c.Limits; l != nil {
			p.Concurrency = l.Concurrency
			p.Rate = l.Rate.String()
			p.ConnectInterval = l.ConnectInterval.Seconds()
			p.Tags = l.Tags
		}
		st.Policies = append(st.Policies, p)
	}
	for _, sus := range s.engine.DynamicSuspends() {
		if !sus.Expires.After(now) {
			continue
		}
		d := DynamicSuspend{ID: sus.ID, Fields: map[string][]string{}, Tag: sus.Tag, TTL: sus.Expires.Sub(now).Seconds()}
		for _, m := range sus.Match {
			d.Fields[m.Field.String()] = m.Values
		}
		st.Suspends = append(st.Suspends, d)
	}
	sort.Slice(st.Policies, func(i, j int) bool { return st.Policies[i].TTL < st.Policies[j].TTL })
	sort.Slice(st.Suspends, func(i, j int) bool { return st.Suspends[i].TTL < st.Suspends[j].TTL })
	return st
}
