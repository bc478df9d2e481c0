package policy

import (
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Reason is the kind of limit or suspend that holds an entry back.
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
	// Until is the earliest time the entry may go, from the rate limits,
	// connect intervals and dynamic suspends that hold it. A full
	// concurrency limit may hold it longer. Until is zero when only a
	// released concurrency slot can free the entry, and for a configured
	// suspend, because that has no end.
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

	counts [countStripes]stripedCounts
}

// countStripes spreads the engine-wide counters over cache lines, so that
// pickups on different cores rarely touch the same counter. A power of
// two.
const countStripes = 16

type stripedCounts struct {
	picked  atomic.Uint64
	refused [numReasons]atomic.Uint64
	_       [64 - 8*(1+numReasons)%64]byte
}

// countFor returns the counter stripe for a decision whose first sub-queue
// has creation number seq.
func (e *Engine) countFor(seq uint64) *stripedCounts {
	return &e.counts[seq&(countStripes-1)]
}

// state is an immutable snapshot of everything a decision reads besides
// the sub-queues. Changes build a new snapshot and swap it in.
type state struct {
	cfg      *Config
	policies []*policyState
	suspends *suspendTable // configured, then dynamic
	ctx      *matchContext
}

type policyState struct {
	p *Policy
	// dynamic holds the policy's dynamic conditions. A new table, and so a
	// new pointer, replaces it on every change, which is how sub-queues
	// know their cached limits are stale.
	dynamic *condTable
}

// lookup returns the first condition in force at now that matches the key
// values: dynamic conditions newest first, then static ones in order.
func (ps *policyState) lookup(vals *[numFields]string, rolled *[numFields]bool, now int64) *Condition {
	if c := ps.dynamic.lookup(vals, rolled, now); c != nil {
		return c
	}
	return ps.p.static.lookup(vals, rolled, now)
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
	e.leases.New = func() any { return &lease{eng: e} }
	e.dyn.init()
	if cfg == nil {
		cfg = &Config{}
	}
	e.state.Store(e.buildState(cfg))
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
	e.dyn.reattach(e, cfg)
	e.state.Store(e.buildState(cfg))
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
// Callers hold e.mu, except New.
func (e *Engine) buildState(cfg *Config) *state {
	st := &state{cfg: cfg, ctx: &matchContext{policies: cfg.Policies}}
	for _, p := range cfg.Policies {
		st.policies = append(st.policies, &policyState{p: p, dynamic: newCondTable(e.dyn.conditionsOf(p))})
	}
	st.suspends = newSuspendTable(append(append([]*Suspend(nil), cfg.Suspends...), e.dyn.suspendList()...))
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
			ps = &policyState{p: p, dynamic: newCondTable(e.dyn.conditionsOf(p))}
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
	st.suspends = newSuspendTable(append(append([]*Suspend(nil), old.cfg.Suspends...), e.dyn.suspendList()...))
	e.state.Store(st)
}

func (st *state) grouping(e *Entry) string {
	if g := st.cfg.groupings; g != nil {
		return g.resolve(e)
	}
	return e.Grouping
}
