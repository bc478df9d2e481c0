package policy

import (
	"time"
)

// Explanation is the pickup decision for one entry at one time, with the
// state of every policy and suspend behind it.
type Explanation struct {
	Time time.Time
	// Allowed is true when a Pickup at Time would be granted.
	Allowed bool
	// Reason and Until are those a Pickup at Time would report.
	Reason Reason
	Until  time.Time
	// Suspends lists every suspend in force that matches the entry.
	Suspends []*Suspend
	// Policies has one item per configured policy, in order.
	Policies []PolicyExplanation
}

// PolicyExplanation is one policy's view of an entry.
type PolicyExplanation struct {
	Policy *Policy
	// Key is the display form of the entry's key, and Values the key's
	// field values in policy field order.
	Key    string
	Values []string
	// Condition is the matching condition, nil when the default applies
	// or nothing does. Default is true when the default applies.
	Condition *Condition
	Default   bool
	// Limits is nil when the policy does not limit the key.
	Limits *Limits
	// Counters of the key now; zero when the key has no sub-queue yet.
	InFlight    int
	RateEvents  int
	NextConnect time.Time
	// Reason is ReasonNone when the key is below its limits; Until is when
	// a time-based limit frees it.
	Reason Reason
	Until  time.Time
}

// Explain reports, without taking anything, what a Pickup of the entry on a
// new connection would decide now and why.
func (e *Engine) Explain(en *Entry) Explanation {
	st := e.state.Load()
	nowTime := e.clock.Now()
	now := nowTime.UnixNano()
	x := Explanation{Time: nowTime, Allowed: true}

	x.Suspends = st.suspends.all(en, now, st.ctx)
	if len(x.Suspends) > 0 {
		x.Allowed, x.Reason = false, ReasonSuspend
		if s := x.Suspends[0]; s.expires != 0 {
			x.Until = s.Expires
		}
	}

	ev := entryValues{en: en, grouping: st.grouping(en)}
	var until int64
	for _, ps := range st.policies {
		var vals [numFields]string
		var rolled [numFields]bool
		buf := buildKey(nil, ps.p, &ev, &vals, &rolled)
		pe := PolicyExplanation{Policy: ps.p}
		for _, f := range ps.p.Fields {
			pe.Values = append(pe.Values, vals[f])
		}
		pe.Key = displayKey(ps.p, pe.Values)
		pe.Condition = ps.lookup(&vals, &rolled, now)
		switch {
		case pe.Condition != nil:
			pe.Limits = pe.Condition.Limits
		case ps.p.Default != nil:
			pe.Limits, pe.Default = ps.p.Default, true
		}

		if q := e.find(buf); q != nil {
			q.mu.Lock()
			pe.InFlight = q.inFlight()
			if pe.Limits != nil && !pe.Limits.Rate.IsZero() {
				pe.RateEvents = q.events.inWindow(pe.Limits.Rate.Interval, now)
			}
			var at int64
			pe.Reason, at = check(q, pe.Limits, now, true)
			if pe.Limits != nil && pe.Limits.ConnectInterval > 0 && q.lastConnect != 0 {
				pe.NextConnect = nowTime.Add(time.Duration(q.lastConnect + int64(pe.Limits.ConnectInterval) - now))
			}
			q.mu.Unlock()
			if at > 0 {
				pe.Until = nowTime.Add(time.Duration(at - now))
				until = max(until, at)
			}
		}
		if pe.Reason != ReasonNone && x.Reason == ReasonNone {
			x.Allowed, x.Reason = false, pe.Reason
		}
		x.Policies = append(x.Policies, pe)
	}
	if x.Reason != ReasonSuspend && until > 0 {
		x.Until = nowTime.Add(time.Duration(until - now))
	}
	return x
}

// SubQueueStats are the counters of one sub-queue.
type SubQueueStats struct {
	Policy string
	Key    string
	Values []string
	// InFlight is the number of attempts holding a slot.
	InFlight int
	// Condition and Limits are those last used for the key; Condition is
	// nil for the default, Limits nil when unlimited.
	Condition *Condition
	Limits    *Limits
	// RateEvents counts pickups inside the current rate window.
	RateEvents int
	// NextConnect is the earliest start of a new connection under the
	// connect interval; zero when not limited.
	NextConnect time.Time
	// Picked counts granted pickups; Refused counts refusals by reason.
	Picked  uint64
	Refused map[Reason]uint64
}

// SubQueues returns the counters of every live sub-queue.
func (e *Engine) SubQueues() []SubQueueStats {
	nowTime := e.clock.Now()
	var out []SubQueueStats
	for i := range e.shards {
		sh := &e.shards[i]
		sh.mu.Lock()
		qs := make([]*SubQueue, 0, sh.live)
		sh.each(func(q *SubQueue) { qs = append(qs, q) })
		sh.mu.Unlock()
		for _, q := range qs {
			out = append(out, q.stats(nowTime))
		}
	}
	return out
}

// Stats returns the counters of q.
func (q *SubQueue) Stats(now time.Time) SubQueueStats { return q.stats(now) }

func (q *SubQueue) stats(nowTime time.Time) SubQueueStats {
	now := nowTime.UnixNano()
	q.mu.Lock()
	defer q.mu.Unlock()
	s := SubQueueStats{
		Policy:    q.policy.ID,
		Key:       q.Key(),
		Values:    q.Values(),
		InFlight:  q.inFlight(),
		Condition: q.cond,
		Limits:    q.limits,
		Picked:    q.picked,
		Refused:   map[Reason]uint64{},
	}
	if q.limits != nil && !q.limits.Rate.IsZero() {
		s.RateEvents = q.events.inWindow(q.limits.Rate.Interval, now)
	}
	if q.limits != nil && q.limits.ConnectInterval > 0 && q.lastConnect != 0 {
		s.NextConnect = nowTime.Add(time.Duration(q.lastConnect + int64(q.limits.ConnectInterval) - now))
	}
	for r := ReasonSuspend; r < numReasons; r++ {
		if q.refused[r] > 0 {
			s.Refused[r] = q.refused[r]
		}
	}
	return s
}

// Counts returns the number of granted pickups and of refusals by reason
// since the engine started.
func (e *Engine) Counts() (picked uint64, refused map[Reason]uint64) {
	refused = map[Reason]uint64{}
	for i := range e.counts {
		c := &e.counts[i]
		picked += c.picked.Load()
		for r := ReasonSuspend; r < numReasons; r++ {
			if n := c.refused[r].Load(); n > 0 {
				refused[r] += n
			}
		}
	}
	return picked, refused
}

// Sweep drops idle sub-queues (no attempt in flight, nothing inside their
// rate window or connect interval) and expired dynamic entries. It
// returns the number of sub-queues dropped. The scheduler calls it every
// few seconds; decisions stay correct without it, but memory grows with
// every key ever seen.
func (e *Engine) Sweep() int {
	now := e.clock.Now()
	e.mu.Lock()
	e.expireLocked(now)
	e.mu.Unlock()

	n := now.UnixNano()
	dropped := 0
	for i := range e.shards {
		sh := &e.shards[i]
		sh.mu.Lock()
		sh.each(func(q *SubQueue) {
			q.mu.Lock()
			if q.idle(n) {
				q.dead = true
				sh.remove(q)
				dropped++
			}
			q.mu.Unlock()
		})
		sh.compact()
		sh.mu.Unlock()
	}
	return dropped
}

// Len returns the number of live sub-queues.
func (e *Engine) Len() int {
	n := 0
	for i := range e.shards {
		sh := &e.shards[i]
		sh.mu.Lock()
		n += sh.live
		sh.mu.Unlock()
	}
	return n
}
