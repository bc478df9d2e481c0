package queue

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/halonsh/halonsh/mta/config"
)

// entryState is the place of an entry in the queue. Every entry is in
// exactly one state, and the state names the one structure that holds it.
type entryState uint8

const (
	stateWaiting   entryState = iota // in the retry heap
	stateRouting                     // waiting for its next-hop lookup
	stateReady                       // in a sub-queue's ready list
	stateInFlight                    // picked up, attempt running
	stateHeld                        // in the hold queue
	stateFinishing                   // leaving the queue (bounce, delete)
)

func (s entryState) String() string {
	return [...]string{"waiting", "routing", "ready", "active", "hold", "finishing"}[s]
}

type entry struct {
	msg       Message
	state     entryState
	expiresAt time.Time

	retryIndex  int // index in Queue.retry, -1 when not there
	expireIndex int // index in Queue.expire, -1 when not there

	// Ready-list links and the sub-queue of the latest routing. priority
	// is the message priority the entry was queued with.
	prev, next *entry
	priority   int
	sq         *subqueue
	hops       []Hop
}

type subqueueState uint8

const (
	sqIdle     subqueueState = iota // empty, or being looked at by pickup
	sqRunnable                      // in Queue.runnable
	sqParked                        // refused; in Queue.parked until a recheck or a wake-up
)

// subqueue is one ready list: the entries with equal policy fields (except
// the source IP) that are due, highest priority first and oldest first
// within a priority.
type subqueue struct {
	key       string
	fields    Fields
	transport *config.Transport

	head, tail *entry
	length     int
	// bands has one element per priority in the list, highest first, with
	// the last entry of that priority: a new entry goes right after it.
	bands []band

	state     subqueueState
	parkUntil time.Time
	parkIndex int
	parkGen   uint64 // changes at every park, so stale waiter records are skipped
	refusal   Refusal
	inflight  int
}

// band is the run of entries of one priority in a ready list.
type band struct {
	priority int
	tail     *entry
}

// append adds e after the entries of its priority and of every higher
// one. Messages carry few distinct priorities, so the scan is short.
func (sq *subqueue) append(e *entry) {
	p := e.msg.Priority
	e.priority = p
	i := 0
	for i < len(sq.bands) && sq.bands[i].priority > p {
		i++
	}
	if i < len(sq.bands) && sq.bands[i].priority == p {
		sq.insertAfter(sq.bands[i].tail, e)
		sq.bands[i].tail = e
		return
	}
	var after *entry
	if i > 0 {
		after = sq.bands[i-1].tail
	}
	sq.insertAfter(after, e)
	sq.bands = append(sq.bands, band{})
	copy(sq.bands[i+1:], sq.bands[i:])
	sq.bands[i] = band{priority: p, tail: e}
}

// insertAfter links e after at, or at the head when at is nil.
func (sq *subqueue) insertAfter(at, e *entry) {
	if at == nil {
		e.prev, e.next = nil, sq.head
		if sq.head != nil {
			sq.head.prev = e
		} else {
			sq.tail = e
		}
		sq.head = e
	} else {
		e.prev, e.next = at, at.next
		if at.next != nil {
			at.next.prev = e
		} else {
			sq.tail = e
		}
		at.next = e
	}
	sq.length++
}

func (sq *subqueue) remove(e *entry) {
	for i := range sq.bands {
		if sq.bands[i].tail != e {
			continue
		}
		if e.prev != nil && e.prev.priority == e.priority {
			sq.bands[i].tail = e.prev
		} else {
			sq.bands = append(sq.bands[:i], sq.bands[i+1:]...)
		}
		break
	}
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		sq.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		sq.tail = e.prev
	}
	e.prev, e.next = nil, nil
	sq.length--
}

// waiter is a sub-queue parked on a concurrency refusal of one policy key.
type waiter struct {
	sq  *subqueue
	gen uint64
}

// Options configure a Queue. Store, Deliverer and Router are required.
type Options struct {
	Config    *config.Config
	Store     Store
	Deliverer Deliverer
	Router    Router
	// Admission is the queue policy engine; nil picks up without limits.
	Admission Admission
	// Journal, when set, hears of every attempt before its pre-delivery
	// hook runs, so that a restart can tell which attempts a crash cut
	// short (see AddInterrupted).
	Journal AttemptJournal
	// Hooks default to DefaultHooks.
	Hooks Hooks
	// Clock defaults to SystemClock.
	Clock  Clock
	Logger *slog.Logger
	// AttemptLog receives one JSON object per line for every attempt and
	// every entry that leaves the queue without one; nil disables it.
	AttemptLog io.Writer
	// Hostname names this MTA in generated DSNs.
	Hostname string
}

// Queue is the outbound scheduler. See the package documentation.
type Queue struct {
	store     Store
	deliverer Deliverer
	router    Router
	admission Admission
	journal   AttemptJournal
	clock     Clock
	log       *slog.Logger
	attempts  *attemptLog
	hostname  string

	cfg   atomic.Pointer[config.Config]
	hooks atomic.Pointer[hooksBox]

	mu         sync.Mutex
	entries    map[string]*entry
	retry      retryHeap
	expire     expireHeap
	parked     parkHeap
	subqueues  map[string]*subqueue
	runnable   []*subqueue
	runHead    int
	waiters    map[string][]waiter
	resolving  map[string][]*entry
	inflight   int
	draining   bool
	stopped    bool
	counters   Counters
	attemptCtx context.Context
	cancel     context.CancelFunc

	kick    chan struct{}
	done    chan struct{}
	started atomic.Bool
	wg      sync.WaitGroup // attempt and lookup goroutines
}

type hooksBox struct{ h Hooks }

// Counters are running totals since the queue started.
type Counters struct {
	Pickups   uint64
	Delivered uint64
	Deferred  uint64
	Bounced   uint64
	Deleted   uint64
	// Refused counts pickup refusals by reason.
	Refused map[string]uint64
}

// New returns a stopped queue; Start runs it.
func New(opts Options) (*Queue, error) {
	if opts.Config == nil || opts.Store == nil || opts.Deliverer == nil || opts.Router == nil {
		return nil, errors.New("queue: Config, Store, Deliverer and Router are required")
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Hooks == nil {
		opts.Hooks = DefaultHooks{}
	}
	if opts.Hostname == "" {
		opts.Hostname = "localhost"
	}
	ctx, cancel := context.WithCancel(context.Background())
	q := &Queue{
		store:      opts.Store,
		deliverer:  opts.Deliverer,
		router:     opts.Router,
		admission:  opts.Admission,
		journal:    opts.Journal,
		clock:      opts.Clock,
		log:        opts.Logger,
		hostname:   opts.Hostname,
		entries:    map[string]*entry{},
		subqueues:  map[string]*subqueue{},
		waiters:    map[string][]waiter{},
		resolving:  map[string][]*entry{},
		counters:   Counters{Refused: map[string]uint64{}},
		attemptCtx: ctx,
		cancel:     cancel,
		kick:       make(chan struct{}, 1),
		done:       make(chan struct{}),
	}
	if opts.AttemptLog != nil {
		q.attempts = &attemptLog{w: opts.AttemptLog, clock: opts.Clock}
	}
	q.cfg.Store(opts.Config)
	q.hooks.Store(&hooksBox{opts.Hooks})
	return q, nil
}

// Start runs the scheduling goroutine. Entries added before Start wait
// until then.
func (q *Queue) Start() {
	if q.started.Swap(true) {
		return
	}
	go q.run()
}

// SetConfig replaces the transports and queue settings. Entries keep their
// transport ids; an id that no longer exists falls back to the default
// transport at the next attempt.
func (q *Queue) SetConfig(cfg *config.Config) {
	q.cfg.Store(cfg)
	q.PolicyChanged()
}

// SetHooks replaces the hooks for attempts that start from now on.
func (q *Queue) SetHooks(h Hooks) {
	if h == nil {
		h = DefaultHooks{}
	}
	q.hooks.Store(&hooksBox{h})
}

// PolicyChanged rechecks every parked sub-queue at once. Call it after
// dynamic policies or suspends change, so that a lifted limit or removed
// suspend takes effect at the next decision instead of the next recheck.
func (q *Queue) PolicyChanged() {
	q.mu.Lock()
	for len(q.parked) > 0 {
		q.wake(q.parked[0])
	}
	q.mu.Unlock()
	q.poke()
}

// Add schedules entries that are already durable in the store: new mail
// and entries recovered at startup. An entry whose NextAttempt is zero or
// past is due at once; one with Hold set goes to the hold queue.
func (q *Queue) Add(msgs ...Message) {
	now := q.clock.Now()
	q.mu.Lock()
	for i := range msgs {
		m := msgs[i]
		if _, dup := q.entries[m.ID]; dup {
			q.log.Warn("entry already queued", "queue_id", m.ID, "msg_id", m.TransactionID)
			continue
		}
		if m.QueuedAt.IsZero() {
			m.QueuedAt = now
		}
		e := &entry{msg: m, retryIndex: -1, expireIndex: -1}
		e.expiresAt = m.QueuedAt.Add(q.transport(m.TransportID).Retry.MaxAge)
		q.entries[m.ID] = e
		q.expire.push(e)
		q.schedule(e, now)
	}
	q.mu.Unlock()
	q.poke()
}

// AddInterrupted schedules entries whose last attempt the end of the
// process cut short, such as a crash in a hook's C call. That attempt
// counts as failed: the entry waits its transport's retry interval rather
// than running again at once, so one message cannot crash the MTA at every
// start. The new retry state is stored before the entries are added.
func (q *Queue) AddInterrupted(msgs ...Message) {
	now := q.clock.Now()
	for i := range msgs {
		m := &msgs[i]
		t := q.transport(m.TransportID)
		m.Retry++
		delay := jitter(t.Retry.Intervals.Delay(m.Retry), t.Retry.Jitter)
		m.NextAttempt = now.Add(delay)
		m.LastResult = "interrupted: the process ended during an attempt"
		if err := q.store.Update(m); err != nil {
			q.log.Error("cannot store the retry state of an interrupted entry",
				"msg_id", m.TransactionID, "queue_id", m.ID, "err", err)
		}
		q.log.Warn("entry was in an attempt when the process ended; counted as a failed attempt",
			"msg_id", m.TransactionID, "queue_id", m.ID, "recipient", m.Recipient, "retry", m.Retry, "delay", delay)
	}
	q.Add(msgs...)
}

// transport returns the entry's transport, or the default one when the id
// is unknown (a reload removed it, or mail was queued with a bad id).
func (q *Queue) transport(id string) *config.Transport {
	cfg := q.cfg.Load()
	if t := cfg.Transport(id); t != nil {
		return t
	}
	return cfg.DefaultTransport()
}

// schedule puts a waiting entry in the hold queue, in the retry heap, or
// into routing when it is due. Called with q.mu held.
func (q *Queue) schedule(e *entry, now time.Time) {
	switch {
	case e.msg.Hold:
		e.state = stateHeld
	case e.msg.NextAttempt.After(now):
		e.state = stateWaiting
		q.retry.push(e)
	default:
		q.route(e)
	}
}

// poke wakes the scheduling goroutine without blocking.
func (q *Queue) poke() {
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// run is the scheduling goroutine: it moves due entries to routing,
// expires old ones, rechecks parked sub-queues and picks up ready entries,
// then sleeps until the next deadline or a poke.
func (q *Queue) run() {
	defer close(q.done)
	timer := q.clock.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		q.mu.Lock()
		now := q.clock.Now()
		q.fireDue(now)
		q.pickup(now)
		wait, ok := q.nextDeadline(now)
		stopped := q.stopped
		q.mu.Unlock()
		if stopped {
			return
		}

		if !ok {
			wait = time.Hour
		}
		if !timer.Stop() {
			select {
			case <-timer.C():
			default:
			}
		}
		timer.Reset(max(wait, time.Millisecond))
		select {
		case <-q.kick:
		case <-timer.C():
		}
	}
}

// fireDue handles every deadline that has passed. Called with q.mu held.
func (q *Queue) fireDue(now time.Time) {
	for e := q.retry.peek(); e != nil && !e.msg.NextAttempt.After(now); e = q.retry.peek() {
		q.retry.remove(e)
		q.route(e)
	}
	for e := q.expire.peek(); e != nil && !e.expiresAt.After(now); e = q.expire.peek() {
		q.expire.remove(e)
		q.expireEntry(e)
	}
	for t, ok := q.parked.peekTime(); ok && !t.After(now); t, ok = q.parked.peekTime() {
		q.wake(q.parked[0])
	}
}

func (q *Queue) nextDeadline(now time.Time) (time.Duration, bool) {
	var next time.Time
	consider := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	if e := q.retry.peek(); e != nil {
		consider(e.msg.NextAttempt)
	}
	if e := q.expire.peek(); e != nil {
		consider(e.expiresAt)
	}
	if t, ok := q.parked.peekTime(); ok {
		consider(t)
	}
	if next.IsZero() {
		return 0, false
	}
	return next.Sub(now), true
}

// expireEntry takes an entry past its maximum age out of wherever it
// waits and bounces or deletes it. An entry in flight is left to its
// attempt, which checks the age when it ends. Called with q.mu held.
func (q *Queue) expireEntry(e *entry) {
	switch e.state {
	case stateInFlight, stateFinishing:
		return
	case stateWaiting:
		q.retry.remove(e)
	case stateReady:
		e.sq.remove(e)
	}
	// A routing entry stays in q.resolving; the lookup skips entries that
	// are no longer routing.
	e.state = stateFinishing
	t := q.transport(e.msg.TransportID)
	action := ActionBounce
	if t.OnExpire == "delete" {
		action = ActionDelete
	}
	q.wg.Add(1)
	go q.finishWithoutAttempt(e, action, true, "maximum age reached")
}

// route finds the entry's next hops and puts it in its sub-queue, at once
// for a fixed next hop given as an address or a cached lookup, otherwise
// after a lookup on its own goroutine. Called with q.mu held.
func (q *Queue) route(e *entry) {
	e.state = stateRouting
	t := q.transport(e.msg.TransportID)

	if t.Server != "" {
		if addr, err := netip.ParseAddr(t.Server); err == nil {
			q.routed(e, t, []Hop{{MX: addr.String(), IP: addr.String(), Port: t.Port}}, nil)
			return
		}
		q.lookup(e, "host:"+strings.ToLower(t.Server))
		return
	}

	domain := e.msg.RecipientDomain()
	if domain == "" {
		q.routed(e, t, nil, &RouteError{DNS: "other", Err: errors.New("recipient has no domain")})
		return
	}
	if cr, ok := q.router.(CachedRouter); ok {
		if hops, err, hit := cr.Cached(domain); hit {
			q.routed(e, t, hops, err)
			return
		}
	}
	q.lookup(e, "mx:"+domain)
}

// lookup resolves key ("mx:DOMAIN" or "host:NAME") once for every entry
// that waits on it. Called with q.mu held.
func (q *Queue) lookup(e *entry, key string) {
	if waiting, ok := q.resolving[key]; ok {
		q.resolving[key] = append(waiting, e)
		return
	}
	q.resolving[key] = []*entry{e}
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		hops, err := q.resolve(key)

		q.mu.Lock()
		waiting := q.resolving[key]
		delete(q.resolving, key)
		for _, e := range waiting {
			if e.state == stateRouting {
				q.routed(e, q.transport(e.msg.TransportID), hops, err)
			}
		}
		q.mu.Unlock()
		q.poke()
	}()
}

func (q *Queue) resolve(key string) ([]Hop, error) {
	ctx, cancel := context.WithTimeout(q.attemptCtx, q.cfg.Load().Resolver.Timeout*2)
	defer cancel()
	kind, name, _ := strings.Cut(key, ":")
	if kind == "mx" {
		return q.router.Resolve(ctx, name)
	}
	addrs, err := q.router.ResolveHost(ctx, name)
	if err != nil {
		return nil, err
	}
	hops := make([]Hop, len(addrs))
	for i, a := range addrs {
		hops[i] = Hop{MX: name, IP: a}
	}
	return hops, nil
}

// routed files an entry under its sub-queue once its hops are known. A
// lookup failure ends in post-delivery with a DNS error and no attempt.
// Called with q.mu held.
func (q *Queue) routed(e *entry, t *config.Transport, hops []Hop, err error) {
	if err == nil && len(hops) == 0 {
		err = &RouteError{Temporary: true, DNS: "nodata", Err: errors.New("no address for the next hop")}
	}
	if err != nil {
		e.state = stateFinishing
		q.wg.Add(1)
		go q.finishRouteError(e, err)
		return
	}

	if hops[0].Port == 0 {
		withPort := make([]Hop, len(hops))
		for i, h := range hops {
			if h.Port == 0 {
				h.Port = t.Port
			}
			withPort[i] = h
		}
		hops = withPort
	}
	e.hops = hops
	f := Fields{
		TransportID:     t.ID,
		JobID:           e.msg.JobID,
		TenantID:        e.msg.TenantID,
		RecipientDomain: e.msg.RecipientDomain(),
		RemoteMX:        strings.TrimSuffix(strings.ToLower(hops[0].MX), "."),
		RemoteIP:        hops[0].IP,
	}
	key := f.subqueueKey()
	sq := q.subqueues[key]
	if sq == nil {
		sq = &subqueue{key: key, fields: f, transport: t, parkIndex: -1}
		q.subqueues[key] = sq
	}
	sq.transport = t
	e.sq = sq
	e.state = stateReady
	sq.append(e)
	if sq.state == sqIdle {
		q.makeRunnable(sq)
	}
}

func (q *Queue) makeRunnable(sq *subqueue) {
	sq.state = sqRunnable
	q.runnable = append(q.runnable, sq)
}

// pickup offers the head entry of each runnable sub-queue to the policy
// engine, round robin, until no sub-queue is runnable or the global
// concurrency is reached. A refused sub-queue is parked, so its entries
// cost nothing until it is woken. Called with q.mu held.
func (q *Queue) pickup(now time.Time) {
	limit := q.cfg.Load().Queues.Concurrency
	for q.runHead < len(q.runnable) && !q.draining && q.inflight < limit {
		sq := q.runnable[q.runHead]
		q.runnable[q.runHead] = nil
		q.runHead++
		sq.state = sqIdle

		e := sq.head
		if e == nil {
			q.dropIfEmpty(sq)
			continue
		}
		grant, source, refusal := q.acquire(sq)
		if refusal != nil {
			q.counters.Refused[refusal.Reason]++
			q.park(sq, refusal, now)
			continue
		}

		sq.remove(e)
		e.state = stateInFlight
		q.inflight++
		sq.inflight++
		q.counters.Pickups++
		if sq.head != nil {
			q.makeRunnable(sq)
		} else {
			q.dropIfEmpty(sq)
		}
		q.wg.Add(1)
		// The attempt gets the transport as of its pickup: routing may
		// point the sub-queue at a reloaded one meanwhile.
		go q.attempt(e, sq, sq.transport, grant, source)
	}

	// Reclaim the consumed front of the runnable slice.
	if q.runHead > 1024 && q.runHead*2 > len(q.runnable) {
		n := copy(q.runnable, q.runnable[q.runHead:])
		clear(q.runnable[n:])
		q.runnable = q.runnable[:n]
		q.runHead = 0
	} else if q.runHead == len(q.runnable) {
		q.runnable = q.runnable[:0]
		q.runHead = 0
	}
}

// dropIfEmpty removes an idle sub-queue without entries from the map, so
// the map only contains sub-queues with something to do. In-flight entries keep their
// pointer for the release.
func (q *Queue) dropIfEmpty(sq *subqueue) {
	if sq.head == nil && sq.state == sqIdle && q.subqueues[sq.key] == sq {
		delete(q.subqueues, sq.key)
	}
}

// acquire requests a pickup of the sub-queue's head from the policy engine,
// trying the transport's source IPs in order. Called with q.mu held.
func (q *Queue) acquire(sq *subqueue) (Grant, SourceIP, *Refusal) {
	if q.admission == nil {
		return noGrant{}, firstSource(sq.transport), nil
	}
	f := sq.fields
	if len(sq.transport.SourceIPs) == 0 {
		g, r := q.admission.Acquire(&f)
		return g, SourceIP{}, r
	}

	var first *Refusal
	for _, ip := range sq.transport.SourceIPs {
		f.LocalIP = ip.Address
		g, r := q.admission.Acquire(&f)
		if r == nil {
			return g, SourceIP{ID: ip.ID, Address: ip.Address, HELO: ip.HELO}, nil
		}
		if first == nil {
			copied := *r
			first = &copied
		} else if r.Reason == "concurrency" && r.Key != "" {
			// Register on every key that refused, so a release on any of
			// them wakes this sub-queue.
			q.waiters[r.Key] = append(q.waiters[r.Key], waiter{sq, sq.parkGen + 1})
		} else if !r.RetryAt.IsZero() && (first.RetryAt.IsZero() || r.RetryAt.Before(first.RetryAt)) {
			first.RetryAt = r.RetryAt
		}
	}
	return nil, SourceIP{}, first
}

func firstSource(t *config.Transport) SourceIP {
	if len(t.SourceIPs) == 0 {
		return SourceIP{}
	}
	ip := t.SourceIPs[0]
	return SourceIP{ID: ip.ID, Address: ip.Address, HELO: ip.HELO}
}

// Fallback rechecks for parked sub-queues. A concurrency refusal is
// normally lifted by a release on the refusing key; the recheck covers
// changes the queue is not notified of (a limit raised by a reload or a
// dynamic policy, a suspend removed before its expiry). A rate or
// connect-interval refusal without a RetryAt hint is polled.
const (
	changeRecheck = time.Second
	pollRecheck   = 50 * time.Millisecond
)

// park takes a refused sub-queue out of the runnable list until its
// refusal can have changed. Called with q.mu held.
func (q *Queue) park(sq *subqueue, r *Refusal, now time.Time) {
	sq.parkGen++
	sq.state = sqParked
	sq.refusal = *r

	until := r.RetryAt
	switch r.Reason {
	case "concurrency":
		if r.Key != "" {
			q.waiters[r.Key] = append(q.waiters[r.Key], waiter{sq, sq.parkGen})
		}
		if until.IsZero() || until.After(now.Add(changeRecheck)) {
			until = now.Add(changeRecheck)
		}
	case "suspend":
		if until.IsZero() || until.After(now.Add(changeRecheck)) {
			until = now.Add(changeRecheck)
		}
	}
	if !until.After(now) {
		until = now.Add(pollRecheck)
	}
	sq.parkUntil = until
	q.parked.push(sq)
}

// wake makes a parked sub-queue runnable again. Called with q.mu held.
func (q *Queue) wake(sq *subqueue) {
	if sq.state != sqParked {
		return
	}
	q.parked.remove(sq)
	sq.parkGen++
	if sq.head == nil {
		sq.state = sqIdle
		q.dropIfEmpty(sq)
		return
	}
	q.makeRunnable(sq)
}

// wakeWaiter wakes the oldest sub-queue still parked on a concurrency
// refusal of key: one release frees one slot, so one waiter is enough.
// Called with q.mu held.
func (q *Queue) wakeWaiter(key string) {
	list := q.waiters[key]
	for len(list) > 0 {
		w := list[0]
		list[0] = waiter{}
		list = list[1:]
		if w.sq.state == sqParked && w.sq.parkGen == w.gen {
			q.wake(w.sq)
			break
		}
	}
	if len(list) == 0 {
		delete(q.waiters, key)
	} else {
		q.waiters[key] = list
	}
}

// release ends a pickup: the policy slots go back and sub-queues waiting
// for them are woken.
func (q *Queue) release(sq *subqueue, grant Grant, info *PolicyInfo) {
	grant.Release()
	q.mu.Lock()
	q.inflight--
	sq.inflight--
	if len(q.waiters) > 0 && info != nil {
		for i := range info.Policies {
			q.wakeWaiter(info.Policies[i].Key)
		}
	}
	if sq.state == sqParked && sq.refusal.Reason == "concurrency" {
		q.wake(sq)
	}
	q.mu.Unlock()
	q.poke()
}

// noGrant is the grant of a queue without a policy engine.
type noGrant struct{}

func (noGrant) Release()          {}
func (noGrant) Info() *PolicyInfo { return nil }

// jitter spreads d uniformly by up to fraction either way.
func jitter(d time.Duration, fraction float64) time.Duration {
	if fraction <= 0 {
		return d
	}
	f := 1 + fraction*(2*rand.Float64()-1)
	return time.Duration(float64(d) * f)
}
