package policy

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

// PolicyRequest adds or updates a dynamic policy condition, as
// queue_policy() (5.2: PickupPolicy) and the control API do.
type PolicyRequest struct {
	// Fields must equal, as a set, the fields of a configured policy; the
	// first such policy in file order gets the condition.
	Fields []string
	// Condition maps each constrained field to its matchers (the forms of
	// the configuration file). Every key must be in Fields. Empty matches
	// every key of the policy.
	Condition map[string][]string
	// Limits must set at least one limit.
	Limits Limits
	// TTL is how long the condition stays; it must be positive.
	TTL time.Duration
	// KeepExisting leaves an existing condition with the same policy and
	// condition unchanged (queue_policy's update option set to false).
	KeepExisting bool
}

// SuspendRequest adds or refreshes a dynamic suspend, as queue_suspend()
// (5.2: PickupSuspend) and the control API do.
type SuspendRequest struct {
	// Fields maps field names to matchers; at least one.
	Fields map[string][]string
	// Tag is reported as the reason.
	Tag string
	// TTL is how long the suspend stays; it must be positive.
	TTL time.Duration
	// KeepExisting leaves an existing suspend with the same fields
	// unchanged (the update option set to false).
	KeepExisting bool
}

// dynamicStore holds the dynamic conditions and suspends. Guarded by
// Engine.mu; decisions read them through the state snapshot.
type dynamicStore struct {
	conds    map[string]*Condition // by id
	suspends map[string]*Suspend   // by id
	requests map[string]PolicyRequest
	seq      uint64
	order    map[string]uint64 // id → insertion sequence, newest highest
}

func (d *dynamicStore) init() {
	d.conds = map[string]*Condition{}
	d.suspends = map[string]*Suspend{}
	d.requests = map[string]PolicyRequest{}
	d.order = map[string]uint64{}
}

// conditionsOf returns p's dynamic conditions, newest first.
func (d *dynamicStore) conditionsOf(p *Policy) []*Condition {
	var out []*Condition
	for _, c := range d.conds {
		if c.policy == p {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return d.order[out[i].ID] > d.order[out[j].ID] })
	return out
}

// suspendList returns the dynamic suspends, oldest first.
func (d *dynamicStore) suspendList() []*Suspend {
	out := make([]*Suspend, 0, len(d.suspends))
	for _, s := range d.suspends {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return d.order[out[i].ID] < d.order[out[j].ID] })
	return out
}

func (d *dynamicStore) nextOrder(id string) {
	d.seq++
	d.order[id] = d.seq
}

// AddPolicy adds a dynamic condition, or updates the one with the same
// policy and normalised condition. It returns the condition in force and
// whether it was created. Literal values that the policy rolls up are
// replaced by the rollup key, so a condition for one Google MX host applies
// to the policy's whole #gsuite key.
func (e *Engine) AddPolicy(req PolicyRequest) (*Condition, bool, error) {
	if req.TTL <= 0 {
		return nil, false, fmt.Errorf("ttl must be positive, got %s", req.TTL)
	}
	if err := req.Limits.Validate(); err != nil {
		return nil, false, fmt.Errorf("policy: %w", err)
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.state.Load()
	now := e.clock.Now()
	e.expireLocked(now)

	c, err := compileDynamicCondition(st.cfg, req)
	if err != nil {
		return nil, false, err
	}
	for id, old := range e.dyn.conds {
		if old.policy != c.policy || old.identity != c.identity {
			continue
		}
		if req.KeepExisting {
			return old, false, nil
		}
		c.ID, c.Created = id, old.Created
		c.Expires = now.Add(req.TTL)
		c.expires = c.Expires.UnixNano()
		e.dyn.conds[id] = c
		e.dyn.requests[id] = req
		e.rebuildPolicy(c.policy)
		e.log.Info("dynamic queue policy updated", "id", id, "policy", c.policy.ID, "condition", c.String(), "limits", c.Limits.String(), "ttl", req.TTL)
		return c, false, nil
	}

	c.ID = uuid.NewString()
	c.Created = now
	c.Expires = now.Add(req.TTL)
	c.expires = c.Expires.UnixNano()
	e.dyn.conds[c.ID] = c
	e.dyn.requests[c.ID] = req
	e.dyn.nextOrder(c.ID)
	e.rebuildPolicy(c.policy)
	e.log.Info("dynamic queue policy added", "id", c.ID, "policy", c.policy.ID, "condition", c.String(), "limits", c.Limits.String(), "ttl", req.TTL)
	return c, true, nil
}

// compileDynamicCondition checks a request against cfg and compiles its
// condition for the matching policy.
func compileDynamicCondition(cfg *Config, req PolicyRequest) (*Condition, error) {
	var fields []Field
	for _, name := range req.Fields {
		f, ok := ParseField(name)
		if !ok {
			return nil, fmt.Errorf("fields: unknown field %q", name)
		}
		fields = append(fields, f)
	}
	p := cfg.PolicyForFields(fields)
	if p == nil {
		return nil, fmt.Errorf("fields: no configured policy has the fields [%s]", strings.Join(req.Fields, ", "))
	}

	lim := req.Limits
	c := &Condition{Index: -1, policy: p, Limits: &lim}
	names := make([]string, 0, len(req.Condition))
	for name := range req.Condition {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f, ok := ParseField(name)
		if !ok {
			return nil, fmt.Errorf("condition: unknown field %q", name)
		}
		if !p.HasField(f) {
			return nil, fmt.Errorf("condition.%s: field is not one of the policy's fields", name)
		}
		values := req.Condition[name]
		if len(values) == 0 {
			return nil, fmt.Errorf("condition.%s: no value", name)
		}
		set, texts := newMatcherSet(f), []string(nil)
		scope := &matcherScope{lists: cfg.lists, rollups: p.rollups[f]}
		for _, text := range values {
			if err := compileMatcher(set, f, text, scope); err != nil {
				return nil, fmt.Errorf("condition.%s: %v", name, err)
			}
			texts = append(texts, text)
		}
		set, texts = normalizeForRollup(p, f, set, texts)
		c.match[f] = set
		c.If = append(c.If, FieldMatch{Field: f, Values: texts})
	}
	sortMatches(p, c.If)
	c.identity = matchIdentity(c.If)
	return c, nil
}

// matchIdentity returns a canonical text of field matchers: the identity of
// dynamic conditions and suspends. Matchers of host fields compare in lower
// case.
func matchIdentity(ms []FieldMatch) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		vals := make([]string, len(m.Values))
		for j, v := range m.Values {
			if m.Field.foldsCase() {
				v = strings.ToLower(v)
			}
			vals[j] = v
		}
		sort.Strings(vals)
		parts[i] = m.Field.String() + "=" + strings.Join(vals, "\x00")
	}
	sort.Strings(parts)
	return strings.Join(parts, "\x01")
}

func suspendIdentity(ms []FieldMatch) string { return matchIdentity(ms) }

// AddSuspend adds a dynamic suspend, or refreshes the one with the same
// fields. It returns the suspend in force and whether it was created.
func (e *Engine) AddSuspend(req SuspendRequest) (*Suspend, bool, error) {
	if req.TTL <= 0 {
		return nil, false, fmt.Errorf("ttl must be positive, got %s", req.TTL)
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.state.Load()
	now := e.clock.Now()
	e.expireLocked(now)

	s, err := compileSuspend(st.cfg, req.Fields)
	if err != nil {
		return nil, false, err
	}
	s.Tag = req.Tag
	for id, old := range e.dyn.suspends {
		if old.identity != s.identity {
			continue
		}
		if req.KeepExisting {
			return old, false, nil
		}
		s.ID, s.Created = id, old.Created
		s.Expires = now.Add(req.TTL)
		s.expires = s.Expires.UnixNano()
		e.dyn.suspends[id] = s
		e.rebuildSuspends()
		e.log.Info("dynamic queue suspend updated", "id", id, "fields", s.String(), "tag", s.Tag, "ttl", req.TTL)
		return s, false, nil
	}

	s.ID = uuid.NewString()
	s.Created = now
	s.Expires = now.Add(req.TTL)
	s.expires = s.Expires.UnixNano()
	e.dyn.suspends[s.ID] = s
	e.dyn.nextOrder(s.ID)
	e.rebuildSuspends()
	e.log.Info("dynamic queue suspend added", "id", s.ID, "fields", s.String(), "tag", s.Tag, "ttl", req.TTL)
	return s, true, nil
}

func compileSuspend(cfg *Config, fields map[string][]string) (*Suspend, error) {
	if len(fields) == 0 {
		return nil, fmt.Errorf("fields: name at least one field")
	}
	s := &Suspend{}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f, ok := ParseField(name)
		if !ok {
			return nil, fmt.Errorf("fields: unknown field %q", name)
		}
		values := fields[name]
		if len(values) == 0 {
			return nil, fmt.Errorf("fields.%s: no value", name)
		}
		set := newMatcherSet(f)
		scope := &matcherScope{lists: cfg.lists, suspendRollups: rollupNames(cfg.Policies, f)}
		for _, text := range values {
			if err := compileMatcher(set, f, text, scope); err != nil {
				return nil, fmt.Errorf("fields.%s: %v", name, err)
			}
		}
		s.match[f] = set
		s.Match = append(s.Match, FieldMatch{Field: f, Values: append([]string(nil), values...)})
	}
	s.identity = suspendIdentity(s.Match)
	return s, nil
}

// Delete removes the dynamic policy or suspend with the given id at once.
// It returns false for an unknown or expired id.
func (e *Engine) Delete(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	e.expireLocked(now)
	if c, ok := e.dyn.conds[id]; ok {
		delete(e.dyn.conds, id)
		delete(e.dyn.requests, id)
		delete(e.dyn.order, id)
		e.rebuildPolicy(c.policy)
		e.log.Info("dynamic queue policy deleted", "id", id, "policy", c.policy.ID)
		return true
	}
	if _, ok := e.dyn.suspends[id]; ok {
		delete(e.dyn.suspends, id)
		delete(e.dyn.order, id)
		e.rebuildSuspends()
		e.log.Info("dynamic queue suspend deleted", "id", id)
		return true
	}
	return false
}

// DynamicPolicies returns the dynamic conditions in force, oldest first.
// Condition.Expires minus the clock's time is the remaining TTL.
func (e *Engine) DynamicPolicies() []*Condition {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.expireLocked(e.clock.Now())
	out := make([]*Condition, 0, len(e.dyn.conds))
	for _, c := range e.dyn.conds {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return e.dyn.order[out[i].ID] < e.dyn.order[out[j].ID] })
	return out
}

// DynamicSuspends returns the dynamic suspends in force, oldest first.
func (e *Engine) DynamicSuspends() []*Suspend {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.expireLocked(e.clock.Now())
	return e.dyn.suspendList()
}

// expireLocked drops expired dynamic entries. Decisions already ignore
// them; this frees their memory and shortens the condition tables.
func (e *Engine) expireLocked(now time.Time) {
	n := now.UnixNano()
	changed := map[*Policy]bool{}
	for id, c := range e.dyn.conds {
		if c.expires <= n {
			delete(e.dyn.conds, id)
			delete(e.dyn.requests, id)
			delete(e.dyn.order, id)
			changed[c.policy] = true
			e.log.Info("dynamic queue policy expired", "id", id, "policy", c.policy.ID)
		}
	}
	for p := range changed {
		e.rebuildPolicy(p)
	}
	suspendsChanged := false
	for id, s := range e.dyn.suspends {
		if s.expires <= n {
			delete(e.dyn.suspends, id)
			delete(e.dyn.order, id)
			suspendsChanged = true
			e.log.Info("dynamic queue suspend expired", "id", id)
		}
	}
	if suspendsChanged {
		e.rebuildSuspends()
	}
}

// reattach recompiles the dynamic entries for a new configuration. Those
// that no longer fit are dropped and logged. Callers hold e.mu.
func (d *dynamicStore) reattach(e *Engine, cfg *Config) {
	for id, c := range d.conds {
		req := d.requests[id]
		nc, err := compileDynamicCondition(cfg, req)
		if err != nil {
			delete(d.conds, id)
			delete(d.requests, id)
			delete(d.order, id)
			e.log.Warn("dynamic queue policy dropped by reload", "id", id, "error", err)
			continue
		}
		nc.ID, nc.Created, nc.Expires, nc.expires = id, c.Created, c.Expires, c.expires
		d.conds[id] = nc
	}
	for id, s := range d.suspends {
		fields := map[string][]string{}
		for _, m := range s.Match {
			fields[m.Field.String()] = m.Values
		}
		ns, err := compileSuspend(cfg, fields)
		if err != nil {
			delete(d.suspends, id)
			delete(d.order, id)
			e.log.Warn("dynamic queue suspend dropped by reload", "id", id, "error", err)
			continue
		}
		ns.ID, ns.Tag, ns.Created, ns.Expires, ns.expires = id, s.Tag, s.Created, s.Expires, s.expires
		d.suspends[id] = ns
	}
}
