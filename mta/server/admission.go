package server

import (
	"github.com/halonsh/halonsh/mta/policy"
	"github.com/halonsh/halonsh/mta/queue"
)

// admission lets the policy engine decide the queue's pickups.
type admission struct {
	engine *policy.Engine
	// idle reports whether an open connection waits for the entry's
	// destination; nil means never. The connect interval of a policy
	// spaces out new connections only, so a pickup that will reuse one
	// neither waits for nor restarts it.
	idle func(f *queue.Fields) bool
}

func (a *admission) Acquire(f *queue.Fields) (queue.Grant, *queue.Refusal) {
	en := policy.Entry{
		TenantID:        f.TenantID,
		JobID:           f.JobID,
		TransportID:     f.TransportID,
		LocalIP:         f.LocalIP,
		Grouping:        f.Grouping,
		RemoteIP:        f.RemoteIP,
		RemoteMX:        f.RemoteMX,
		RecipientDomain: f.RecipientDomain,
	}
	pickup := a.engine.Pickup
	if a.idle != nil && a.idle(f) {
		pickup = a.engine.PickupOnConnection
	}
	lease, refusal, ok := pickup(&en)
	if !ok {
		r := &queue.Refusal{Reason: refusal.Reason.String(), RetryAt: refusal.Until}
		if refusal.SubQueue != nil {
			r.Key = refusal.SubQueue.Key()
		}
		return nil, r
	}
	return &grant{lease: lease, info: policyInfo(lease)}, nil
}

type grant struct {
	lease policy.Lease
	info  *queue.PolicyInfo
}

func (g *grant) Release()                { g.lease.Release() }
func (g *grant) Info() *queue.PolicyInfo { return g.info }

// policyInfo copies what the lease says about the policies that limited
// the pickup, because the lease's own view ends with Release and
// post-delivery runs after that.
func policyInfo(l policy.Lease) *queue.PolicyInfo {
	applied := l.Policies()
	if len(applied) == 0 {
		return nil
	}
	info := &queue.PolicyInfo{Policies: make([]queue.AppliedPolicy, 0, len(applied))}
	for _, a := range applied {
		p := queue.AppliedPolicy{
			ID:         a.Policy.ID,
			Key:        a.SubQueue.Key(),
			Fields:     a.Policy.FieldNames(),
			Tags:       a.Limits.Tags,
			Properties: a.Limits.Properties,
			Stop:       a.Limits.Stop,
			Cluster:    a.Limits.Cluster,
		}
		if c := a.Condition; c != nil {
			p.Condition = make(map[string][]string, len(c.If))
			for _, m := range c.If {
				p.Condition[m.Field.String()] = m.Values
			}
			if c.Dynamic() {
				ref := queue.DynamicRef{ID: c.ID}
				if len(a.Limits.Tags) > 0 {
					ref.Tag = a.Limits.Tags[0]
				}
				p.Dynamic = []queue.DynamicRef{ref}
			}
		}
		info.Tags = append(info.Tags, a.Limits.Tags...)
		info.Policies = append(info.Policies, p)
	}
	return info
}
