package queue

import (
	"context"
	"maps"
	"time"
)

// Stop drains the queue: no new pickups, and the attempts in flight run
// to their end. When ctx ends first, the attempts still running are
// cancelled; each then ends as a temporary failure and is requeued in the
// store, so the spool is consistent when Stop returns.
func (q *Queue) Stop(ctx context.Context) error {
	q.mu.Lock()
	q.draining = true
	q.mu.Unlock()

	idle := make(chan struct{})
	go func() {
		q.wg.Wait()
		close(idle)
	}()
	var err error
	select {
	case <-idle:
	case <-ctx.Done():
		err = ctx.Err()
		q.cancel()
		<-idle
	}

	q.mu.Lock()
	q.stopped = true
	q.mu.Unlock()
	q.poke()
	if q.started.Load() {
		<-q.done
	}
	q.cancel()
	return err
}

// EntryInfo is a snapshot of one queued entry for operators.
type EntryInfo struct {
	Message Message
	// State is waiting, routing, ready, active, hold or finishing.
	State string
	// Fields are the policy fields of its latest routing (RemoteMX and
	// RemoteIP are empty before the first one), with LocalIP set to the
	// transport's first source IP when it has any.
	Fields Fields
	// Refusal is why its sub-queue is parked, when it is.
	Refusal *Refusal
}

func (q *Queue) info(e *entry) EntryInfo {
	in := EntryInfo{Message: e.msg.clone(), State: e.state.String()}
	if e.sq != nil {
		in.Fields = e.sq.fields
		// The source IP is chosen at pickup; report the first one tried,
		// so the fields give the policy keys its next pickup asks for.
		if ips := e.sq.transport.SourceIPs; len(ips) > 0 {
			in.Fields.LocalIP = ips[0].Address
		}
		if e.state == stateReady && e.sq.state == sqParked {
			r := e.sq.refusal
			in.Refusal = &r
		}
	} else {
		in.Fields = Fields{TransportID: e.msg.TransportID, JobID: e.msg.JobID, TenantID: e.msg.TenantID, RecipientDomain: e.msg.RecipientDomain()}
	}
	return in
}

// Snapshot returns every queued entry. It copies the whole queue, so it is
// for operator requests, not for hot paths.
func (q *Queue) Snapshot() []EntryInfo {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]EntryInfo, 0, len(q.entries))
	for _, e := range q.entries {
		out = append(out, q.info(e))
	}
	return out
}

// Get returns one entry by queue id.
func (q *Queue) Get(id string) (EntryInfo, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	e, ok := q.entries[id]
	if !ok {
		return EntryInfo{}, false
	}
	return q.info(e), true
}

// Stats are the queue's counters and sizes.
type Stats struct {
	Counters
	InFlight  int
	Entries   int
	Subqueues int
	Parked    int
	// States counts entries by state.
	States map[string]int
}

// Stats returns the current counters.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := Stats{Counters: q.counters, InFlight: q.inflight, Entries: len(q.entries), Subqueues: len(q.subqueues), Parked: len(q.parked), States: map[string]int{}}
	s.Refused = maps.Clone(q.counters.Refused)
	for _, e := range q.entries {
		s.States[e.state.String()]++
	}
	return s
}

// detach takes a waiting, ready or held entry out of its structure and
// reports whether it was in one. Called with q.mu held.
func (q *Queue) detach(e *entry) bool {
	switch e.state {
	case stateWaiting:
		q.retry.remove(e)
	case stateReady:
		e.sq.remove(e)
	case stateHeld, stateRouting:
		// A routing entry is skipped by its lookup once its state changes.
	default:
		return false
	}
	return true
}

// RetryNow makes a waiting or held entry due at once. Its pickup still
// goes through the policy engine, so a retry-now never exceeds a limit.
// It reports false for an unknown entry or one in flight.
func (q *Queue) RetryNow(id string) bool {
	now := q.clock.Now()
	q.mu.Lock()
	e, ok := q.entries[id]
	if !ok || (e.state != stateWaiting && e.state != stateHeld) {
		q.mu.Unlock()
		return false
	}
	q.detach(e)
	e.msg.Hold = false
	e.msg.NextAttempt = now
	msg := e.msg.clone()
	q.schedule(e, now)
	q.mu.Unlock()
	q.persist(&msg)
	q.poke()
	return true
}

// Hold moves an entry to the hold queue, where it stays until Release.
func (q *Queue) Hold(id string) bool {
	q.mu.Lock()
	e, ok := q.entries[id]
	if !ok || !q.detach(e) {
		q.mu.Unlock()
		return false
	}
	e.state = stateHeld
	e.msg.Hold = true
	msg := e.msg.clone()
	q.mu.Unlock()
	q.persist(&msg)
	return true
}

// Release takes an entry out of the hold queue and makes it due at once.
func (q *Queue) Release(id string) bool {
	q.mu.Lock()
	e, ok := q.entries[id]
	held := ok && e.state == stateHeld
	q.mu.Unlock()
	if !held {
		return false
	}
	return q.RetryNow(id)
}

// Bounce removes an entry that is not in flight and sends a DSN (or
// deletes it when the sender is null); Delete removes it without one.
// Post-delivery runs with action BOUNCE or DELETE first.
func (q *Queue) Bounce(id, reason string) bool { return q.drop(id, ActionBounce, reason) }

// Delete removes an entry without a DSN; see Bounce.
func (q *Queue) Delete(id, reason string) bool { return q.drop(id, ActionDelete, reason) }

func (q *Queue) drop(id string, kind ActionKind, reason string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	e, ok := q.entries[id]
	if !ok || !q.detach(e) {
		return false
	}
	e.state = stateFinishing
	q.wg.Add(1)
	go q.finishWithoutAttempt(e, kind, false, reason)
	return true
}

func (q *Queue) persist(msg *Message) {
	if err := q.store.Update(msg); err != nil {
		q.log.Error("cannot store the entry state", "msg_id", msg.TransactionID, "queue_id", msg.ID, "err", err)
	}
}

// Now returns the queue clock's time.
func (q *Queue) Now() time.Time { return q.clock.Now() }
