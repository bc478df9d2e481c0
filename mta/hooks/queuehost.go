package hooks

import (
	"sort"
	"time"

	"github.com/halonsh/halonsh/builtins"
	"github.com/halonsh/halonsh/mta/policy"
)

// PolicyQueue lets the queue functions of HSL (queue_policy, queue_suspend,
// queue_policy_delete and their 5.2 names) change a policy engine's dynamic
// policies and suspends. The MTA and the hook tester share it, so a script
// behaves the same in both.
type PolicyQueue struct {
	Engine *policy.Engine
	// Quota reports queue_quota(); nil reports zero for every name.
	QuotaFunc func(name string) builtins.QuotaUsage
}

var _ builtins.QueueHost = (*PolicyQueue)(nil)

// AddPolicy adds or updates a dynamic condition of the configured policy
// whose field set equals p.Fields.
func (q *PolicyQueue) AddPolicy(p builtins.DynamicPolicy, update bool) (string, error) {
	cond, _, err := q.Engine.AddPolicy(policy.PolicyRequest{
		Fields:       p.Fields,
		Condition:    p.Condition,
		Limits:       toPolicyLimits(p.Limits),
		TTL:          p.TTL,
		KeepExisting: !update,
	})
	if err != nil {
		return "", err
	}
	return cond.ID, nil
}

// AddSuspend adds or refreshes a dynamic suspend.
func (q *PolicyQueue) AddSuspend(s builtins.DynamicSuspend, update bool) (string, error) {
	sus, _, err := q.Engine.AddSuspend(policy.SuspendRequest{
		Fields:       s.Fields,
		Tag:          s.Tag,
		TTL:          s.TTL,
		KeepExisting: !update,
	})
	if err != nil {
		return "", err
	}
	return sus.ID, nil
}

// DeleteDynamic removes a dynamic policy or suspend by id.
func (q *PolicyQueue) DeleteDynamic(id string) bool {
	return q.Engine.Delete(id)
}

// ListDynamic returns the unexpired dynamic policies, then suspends, each
// group ordered by expiry.
func (q *PolicyQueue) ListDynamic() []builtins.DynamicEntry {
	now := q.Engine.Clock().Now()
	var out []builtins.DynamicEntry

	conds := q.Engine.DynamicPolicies()
	sort.SliceStable(conds, func(i, j int) bool { return conds[i].Expires.Before(conds[j].Expires) })
	for _, c := range conds {
		out = append(out, builtins.DynamicEntry{
			ID:        c.ID,
			Policy:    c.Policy().ID,
			Condition: matchMap(c.If),
			Limits:    fromPolicyLimits(c.Limits),
			Remaining: remaining(c.Expires, now),
		})
	}

	suspends := q.Engine.DynamicSuspends()
	sort.SliceStable(suspends, func(i, j int) bool { return suspends[i].Expires.Before(suspends[j].Expires) })
	for _, s := range suspends {
		out = append(out, builtins.DynamicEntry{
			ID:        s.ID,
			Condition: matchMap(s.Match),
			Tag:       s.Tag,
			Remaining: remaining(s.Expires, now),
		})
	}
	return out
}

// Quota reports what is queued under a quota name.
func (q *PolicyQueue) Quota(name string) builtins.QuotaUsage {
	if q.QuotaFunc == nil {
		return builtins.QuotaUsage{}
	}
	return q.QuotaFunc(name)
}

func remaining(expires, now time.Time) time.Duration {
	if d := expires.Sub(now); d > 0 {
		return d
	}
	return 0
}

func matchMap(ms []policy.FieldMatch) map[string][]string {
	m := make(map[string][]string, len(ms))
	for _, fm := range ms {
		m[fm.Field.String()] = append([]string(nil), fm.Values...)
	}
	return m
}

func toPolicyLimits(l builtins.PolicyLimits) policy.Limits {
	out := policy.Limits{
		Concurrency:     l.Concurrency,
		ConnectInterval: l.ConnectInterval,
		Tags:            l.Tags,
		Properties:      l.Properties,
	}
	if l.RateCount > 0 {
		out.Rate = policy.Rate{Count: l.RateCount, Interval: l.RateInterval}
	}
	if l.Stop {
		out.Stop = &l.Stop
	}
	if l.Cluster {
		out.Cluster = &l.Cluster
	}
	return out
}

func fromPolicyLimits(l *policy.Limits) builtins.PolicyLimits {
	if l == nil {
		return builtins.PolicyLimits{}
	}
	return builtins.PolicyLimits{
		Concurrency:     l.Concurrency,
		RateCount:       l.Rate.Count,
		RateInterval:    l.Rate.Interval,
		ConnectInterval: l.ConnectInterval,
		Tags:            l.Tags,
		Properties:      l.Properties,
		Stop:            l.Stop != nil && *l.Stop,
		Cluster:         l.Cluster != nil && *l.Cluster,
	}
}
