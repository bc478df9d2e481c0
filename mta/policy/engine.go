package policy

import (
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Reason says why an entry may not be picked up now.
type Reason uint8

// Reasons, in the order a refusal reports them.
const (
	ReasonNone Reason = iota
	ReasonSuspend
	ReasonConcurrency
	ReasonRate
	ReasonConnectInterval

	numReasons
)

var reasonNames = [numReasons]string{"", "suspend", "concurrency", "rate", "connectinterval"}

// String returns "suspend", "concurrency", "rate", "connectinterval", or ""
// for ReasonNone.
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "unknown"
}

// Refusal describes why a pickup was refused.
type Refusal struct {
	Reason Reason
	// Policy, SubQueue, Condition and Limits name the first policy, in
	// configuration order, whose key is at a limit. Condition is nil when
	// the default applied. All are nil for a suspend.
	Policy    *Policy
	SubQueue  *SubQueue
	Condition *Condition
	Limits    *Limits
	// Suspend is the matching suspend for ReasonSuspend.
	Suspend *Suspend
	// Until is the earliest time the entry may go, considering every
	// policy that holds it. It is zero when only a released concurrency
	// slot can free it, or for a configured suspend, which has no end.
	Until time.Time
}

// Engine makes pickup decisions for one configuration and its dynamic
// policies and suspends. All methods are safe for concurrent use.
type Engine struct {
	clock Clock
	log   *slog.Logger

	state atomic.Pointer[state]

	// mu serialises changes of state: reloads and dynamic entries.
	mu  sync.Mutex
	dyn dynamicStore

	seed        maphash.Seed
	shards      [shardCount]shard
	subQueueSeq atomic.Uint64
	leases      sync.Pool

	refused [numReasons]atomic.Uint64
	picked  atomic.Uint64
}

// state is an immutable snapshot of everything a decision reads besides
// the sub-queues. Changes build a new snapshot and swap it in.
type state struct {
	cfg      *Config
	policies []*policyState
	suspends []*Suspend // configured, then dynamic
	ctx      *matchContext
}

type policyState struct {
	p     *Policy
	table *condTable
}

// Option configures an Engine.
type Option func(*Engine)

// WithClock sets the engine's clock; the default is SystemClock.
func WithClock(c Clock) Option {
	return func(e *Engine) { e.clock = c }
}

// WithLogger sets the logger for reloads and dynamic policy changes; the
// default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(e *Engine) { e.log = l }
}

// New returns an engine for cfg. A nil cfg is an empty configuration: every
// entry may be picked up.
func New(cfg *Config, opts ...Option) *Engine {
	e := &Engine{clock: SystemClock{}, log: slog.Default(), seed: maphash.MakeSeed()}
	for _, opt := range opts {
		opt(e)
	}
	for i := range e.shards {
		e.shards[i].m = make(map[string]*SubQueue)
	}
	e.leases.New = func() any { return &lease{eng: e} }
	e.dyn.init()
	if cfg == nil {
		cfg = &Config{}
	}
	e.state.Store(e.buildState(cfg, nil))
	return e
}

// Clock returns the engine's clock.
func (e *Engine) Clock() Clock { return e.clock }

// Config returns the running configuration.
func (e *Engine) Config() *Config { return e.state.Load().cfg }

// Reload replaces the configuration. Keys that exist in both keep their
// in-flight counts and rate windows. Dynamic policies move to the new
// policy with the same field set; those that no longer fit are dropped and
// logged.
func (e *Engine) Reload(cfg *Config) {
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.state.Load()
	e.dyn.reattach(e, cfg)
	e.state.Store(e.buildState(cfg, old))
	e.log.Info("queue policy configuration loaded", "file", cfg.File, "policies", len(cfg.Policies), "suspends", len(cfg.Suspends))
}

// ReloadFiles loads the files and, only when they are valid, replaces the
// configuration. On error the running configuration stays.
func (e *Engine) ReloadFiles(paths ...string) error {
	cfg, err := LoadFiles(paths...)
	if err != nil {
		e.log.Error("queue policy configuration not loaded; keeping the running one", "files", paths, "error", err)
		return err
	}
	e.Reload(cfg)
	return nil
}

// buildState compiles a snapshot for cfg with the current dynamic entries.
// old, when set, lends its condition tables to policies whose dynamic
// conditions did not change. Callers hold e.mu, except New.
func (e *Engine) buildState(cfg *Config, old *state) *state {
	st := &state{cfg: cfg, ctx: &matchContext{policies: cfg.Policies}}
	for _, p := range cfg.Policies {
		st.policies = append(st.policies, &policyState{p: p, table: newCondTable(p, e.dyn.conditionsOf(p))})
	}
	st.suspends = append(append(st.suspends, cfg.Suspends...), e.dyn.suspendList()...)
	return st
}

// rebuildPolicy swaps in a snapshot with a new condition table for p after
// its dynamic conditions changed. Callers hold e.mu.
func (e *Engine) rebuildPolicy(p *Policy) {
	old := e.state.Load()
	st := &state{cfg: old.cfg, ctx: old.ctx, suspends: old.suspends}
	st.policies = make([]*policyState, len(old.policies))
	for i, ps := range old.policies {
		if ps.p == p {
			ps = &policyState{p: p, table: newCondTable(p, e.dyn.conditionsOf(p))}
		}
		st.policies[i] = ps
	}
	e.state.Store(st)
}

// rebuildSuspends swaps in a snapshot with the current suspends. Callers
// hold e.mu.
func (e *Engine) rebuildSuspends() {
	old := e.state.Load()
	st := &state{cfg: old.cfg, ctx: old.ctx, policies: old.policies}
	st.suspends = append(append([]*Suspend(nil), old.cfg.Suspends...), e.dyn.suspendList()...)
	e.state.Store(st)
}

// suspendFor returns the first suspend in force that matches e.
func (st *state) suspendFor(e *Entry, now int64) *Suspend {
	for _, s := range st.suspends {
		if s.expires != 0 && s.expires <= now {
			continue
		}
		if s.matches(e, st.ctx) {
			return s
		}
	}
	return nil
}

func (st *state) grouping(e *Entry) string {
	if g := st.cfg.groupings; g != nil {
		return g.resolve(e)
	}
	return e.Grouping
}
