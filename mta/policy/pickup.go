package policy

import (
	"sync/atomic"
	"time"
)

// maxKeyBytes sizes the buffer for building keys; longer keys still work
// but allocate.
const maxKeyBytes = 512

// Lease is one granted pickup. Release it when the attempt ends. Only the
// first Release has an effect, so a repeated call is harmless. The zero
// Lease holds nothing.
type Lease struct {
	l   *lease
	gen uint64
}

// lease is the pooled state behind a Lease. gen advances on release, so a
// stale Lease of a reused lease cannot release it again.
type lease struct {
	eng   *Engine
	gen   atomic.Uint64
	items []leaseItem
	order []int // scratch for lockOrder
	// Key values by field, one array per policy, filled by buildKey.
	vals   [][numFields]string
	rolled [][numFields]bool
	// applied is the view returned by Policies.
	applied []Applied
	// keyBuf is scratch for building keys. It lives here rather than on
	// the stack, because Go would clear a stack array on every pickup.
	keyBuf [maxKeyBytes]byte
}

type leaseItem struct {
	q    *SubQueue
	ps   *policyState
	cond *Condition
	lim  *Limits
}

// Applied is one policy that gave limits to a granted pickup.
type Applied struct {
	Policy    *Policy
	SubQueue  *SubQueue
	Condition *Condition // nil when the default applied
	Limits    *Limits
}

// Pickup decides whether an entry may start an attempt on a new connection
// now. When every policy's key is below its limits and no suspend matches,
// it takes a concurrency slot, records a rate event and a connection start
// in every key, all at once, and returns the lease and true. Otherwise it
// returns the refusal and false, and takes nothing.
//
// Values of remotemx, recipientdomain and the IP fields should already be
// in lower case; others are lowered at the cost of an allocation.
func (e *Engine) Pickup(en *Entry) (Lease, Refusal, bool) {
	return e.pickup(en, true)
}

// PickupOnConnection is Pickup for an attempt that reuses an open
// connection: the connect interval is neither checked nor recorded.
func (e *Engine) PickupOnConnection(en *Entry) (Lease, Refusal, bool) {
	return e.pickup(en, false)
}

func (e *Engine) pickup(en *Entry, newConn bool) (Lease, Refusal, bool) {
	for {
		st := e.state.Load()
		nowTime := e.clock.Now()
		now := nowTime.UnixNano()

		if len(st.suspends.list) > 0 {
			if s := st.suspends.find(en, now, st.ctx); s != nil {
				e.countFor(uint64(now)).refused[ReasonSuspend].Add(1)
				r := Refusal{Reason: ReasonSuspend, Suspend: s}
				if s.expires != 0 {
					r.Until = s.Expires
				}
				return Lease{}, r, false
			}
		}

		l := e.leases.Get().(*lease)
		lease, refusal, ok, retry := e.decide(l, st, en, nowTime, now, newConn)
		if retry {
			continue
		}
		return lease, refusal, ok
	}
}

// decide finds the keys, locks them, checks and commits. retry is true when
// a key was swept between lookup and lock.
func (e *Engine) decide(l *lease, st *state, en *Entry, nowTime time.Time, now int64, newConn bool) (lease Lease, refusal Refusal, ok, retry bool) {
	n := len(st.policies)
	l.reset(n)
	ev := entryValues{en: en, grouping: st.grouping(en)}

	for i, ps := range st.policies {
		buf := buildKey(l.keyBuf[:0], ps.p, &ev, &l.vals[i], &l.rolled[i])
		l.items[i] = leaseItem{q: e.lookup(ps.p, buf), ps: ps}
	}

	order := l.lockOrder()
	for j, i := range order {
		q := l.items[i].q
		q.mu.Lock()
		if q.dead {
			for _, k := range order[:j+1] {
				l.items[k].q.mu.Unlock()
			}
			e.leases.Put(l)
			return Lease{}, Refusal{}, false, true
		}
	}

	var until int64
	for i := range l.items {
		it := &l.items[i]
		it.cond, it.lim = it.q.limitsFor(it.ps, &l.vals[i], &l.rolled[i], now)
		reason, at := check(it.q, it.lim, now, newConn)
		if reason == ReasonNone {
			continue
		}
		it.q.refused[reason]++
		if refusal.Reason == ReasonNone {
			refusal = Refusal{Reason: reason, Policy: it.ps.p, SubQueue: it.q, Condition: it.cond, Limits: it.lim}
		}
		if at > until {
			until = at
		}
	}

	if refusal.Reason != ReasonNone {
		for _, i := range order {
			l.items[i].q.mu.Unlock()
		}
		e.countFor(l.items[order[0]].q.seq).refused[refusal.Reason].Add(1)
		e.leases.Put(l)
		if until > 0 {
			refusal.Until = nowTime.Add(time.Duration(until - now))
		}
		return Lease{}, refusal, false, false
	}

	for i := range l.items {
		it := &l.items[i]
		q := it.q
		q.acquired++
		q.picked++
		q.lastPickup = now
		if it.lim != nil && !it.lim.Rate.IsZero() {
			q.events.push(now, it.lim.Rate)
		}
		if newConn {
			q.lastConnect = now
		}
	}
	for _, i := range order {
		l.items[i].q.mu.Unlock()
	}
	if n > 0 {
		e.countFor(l.items[order[0]].q.seq).picked.Add(1)
	} else {
		e.countFor(uint64(now)).picked.Add(1)
	}
	return Lease{l: l, gen: l.gen.Load()}, Refusal{}, true, false
}

// check tests one key against its limits; the caller holds q.mu. It
// returns the reason and, for time-based limits, when the key frees.
func check(q *SubQueue, lim *Limits, now int64, newConn bool) (Reason, int64) {
	if lim == nil {
		return ReasonNone, 0
	}
	if lim.Concurrency > 0 && q.inFlight() >= lim.Concurrency {
		return ReasonConcurrency, 0
	}
	if !lim.Rate.IsZero() {
		if at, blocked := q.events.blocked(lim.Rate, now); blocked {
			return ReasonRate, at
		}
	}
	if newConn && lim.ConnectInterval > 0 && q.lastConnect != 0 {
		if at := q.lastConnect + int64(lim.ConnectInterval); at > now {
			return ReasonConnectInterval, at
		}
	}
	return ReasonNone, 0
}

func (l *lease) reset(n int) {
	if cap(l.items) < n {
		l.items = make([]leaseItem, n)
		l.vals = make([][numFields]string, n)
		l.rolled = make([][numFields]bool, n)
		l.applied = make([]Applied, 0, n)
	}
	l.items = l.items[:n]
	l.vals = l.vals[:n]
	l.rolled = l.rolled[:n]
}

// lockOrder returns the item positions sorted by sub-queue creation order.
// Every pickup locks in this global order, so two pickups never wait for
// each other in a cycle, even across a reload that reorders policies.
func (l *lease) lockOrder() []int {
	order := l.order[:0]
	for i := range l.items {
		order = append(order, i)
	}
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && l.items[order[j]].q.seq < l.items[order[j-1]].q.seq; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	l.order = order
	return order
}

// Held reports whether the lease holds slots that Release gives back.
func (l Lease) Held() bool {
	return l.l != nil && l.l.gen.Load() == l.gen
}

// Release gives back the concurrency slots of the pickup. Only the first
// call on a lease has an effect.
func (l Lease) Release() {
	if l.l == nil || !l.l.gen.CompareAndSwap(l.gen, l.gen+1) {
		return
	}
	for i := range l.l.items {
		l.l.items[i].q.released.Add(1)
	}
	clear(l.l.items)
	clear(l.l.vals)
	l.l.eng.leases.Put(l.l)
}

// Policies returns the policies that gave limits to the pickup, in
// configuration order; policies that do not limit the entry's key are left
// out. The slice is valid until Release, and Policies is not safe to call
// from two goroutines at once.
func (l Lease) Policies() []Applied {
	if !l.Held() {
		return nil
	}
	out := l.l.applied[:0]
	for i := range l.l.items {
		it := &l.l.items[i]
		if it.lim == nil {
			continue
		}
		out = append(out, Applied{Policy: it.ps.p, SubQueue: it.q, Condition: it.cond, Limits: it.lim})
	}
	l.l.applied = out
	return out
}

// Tags returns the tags of every condition or default that gave limits to
// the pickup, in configuration order.
func (l Lease) Tags() []string {
	var tags []string
	for _, a := range l.Policies() {
		tags = append(tags, a.Limits.Tags...)
	}
	return tags
}
