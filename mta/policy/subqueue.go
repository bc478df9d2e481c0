package policy

import (
	"encoding/binary"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// SubQueue is the state of one key of one policy: attempts in flight, the
// recent pickup times for the rate limit and the last connection start.
// A pointer stays valid after the sub-queue is swept; it then reads as
// idle.
//
// The field order is a memory layout. A pickup reads or writes the first
// four cache lines: lock, key, counters, rate window and cached limits.
// Fields a pickup does not touch come last. The padding rounds the struct
// to 320 bytes on 64-bit platforms, a heap size class whose objects all
// start on a cache line.
type SubQueue struct {
	mu sync.Mutex

	key string // the interned key bytes (see keyPrefix); short keys point into keyBuf
	seq uint64 // creation order; pickups lock sub-queues by seq

	// The attempts in flight are acquired minus released, both counting
	// modulo 2³². A pickup increments acquired under mu, and Release
	// increments released without taking mu, which saves a lock round
	// trip per key. See inFlight.
	acquired uint32
	released atomic.Uint32

	dead bool // removed by Sweep; pickups that find it retry

	// keyBuf holds keys of up to inlineKeyBytes, so that comparing the key
	// reads the sub-queue's first cache lines and no separate string.
	keyBuf [inlineKeyBytes]byte

	lastConnect int64 // Unix ns of the last connection start, 0 for none
	lastPickup  int64

	events eventRing

	// Cached limits: valid while table is the policy's current dynamic
	// condition table and cond, when dynamic, has not expired.
	table  *condTable
	cond   *Condition
	limits *Limits

	picked  uint64
	hash    uint64
	policy  *Policy // the policy the key was created for, for display
	refused [numReasons]uint64

	_ [subQueuePad]byte
}

// subQueuePad rounds SubQueue up to 320 bytes where pointers are 8 bytes.
const subQueuePad = 40 * (unsafe.Sizeof(uintptr(0)) / 8)

// inlineKeyBytes is the longest key stored inside the SubQueue itself.
// Keys of an IPv4 source and a typical MX host name fit.
const inlineKeyBytes = 64

func newSubQueue(buf []byte, hash, seq uint64, p *Policy) *SubQueue {
	q := &SubQueue{hash: hash, seq: seq, policy: p}
	if len(buf) <= inlineKeyBytes {
		n := copy(q.keyBuf[:], buf)
		// keyBuf is never written again, so the string stays immutable.
		q.key = unsafe.String(&q.keyBuf[0], n)
	} else {
		q.key = string(buf)
	}
	return q
}

// inFlight returns the number of attempts holding a slot; the caller holds
// q.mu. A Release running at the same time may or may not be counted yet,
// as if it had run just before or just after.
func (q *SubQueue) inFlight() int {
	return int(int32(q.acquired - q.released.Load()))
}

// PolicyID returns the id of the sub-queue's policy.
func (q *SubQueue) PolicyID() string { return q.policy.ID }

// Values returns the key's field values (after rollup) in policy field
// order.
func (q *SubQueue) Values() []string {
	rest := q.key[len(q.policy.keyPrefix):]
	out := make([]string, 0, len(q.policy.Fields))
	for len(rest) > 0 {
		n, w := binary.Uvarint([]byte(rest[:min(len(rest), binary.MaxVarintLen64)]))
		if w <= 0 || uint64(len(rest)-w) < n {
			break
		}
		out = append(out, rest[w:w+int(n)])
		rest = rest[w+int(n):]
	}
	return out
}

// Key returns the display form "<policy id>: field=value,field=value", or
// "<policy id>: *" for a policy without fields.
func (q *SubQueue) Key() string {
	return displayKey(q.policy, q.Values())
}

func displayKey(p *Policy, vals []string) string {
	if len(p.Fields) == 0 {
		return p.ID + ": *"
	}
	var b strings.Builder
	b.WriteString(p.ID)
	b.WriteString(": ")
	for i, f := range p.Fields {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(f.String())
		b.WriteByte('=')
		if i < len(vals) {
			b.WriteString(vals[i])
		}
	}
	return b.String()
}

// limitsFor returns the limits of the key, from the cache when it is still
// valid, otherwise by looking the conditions up.
func (q *SubQueue) limitsFor(ps *policyState, vals *[numFields]string, rolled *[numFields]bool, now int64) (*Condition, *Limits) {
	if q.table == ps.dynamic && (q.cond == nil || q.cond.expires == 0 || q.cond.expires > now) {
		return q.cond, q.limits
	}
	c := ps.lookup(vals, rolled, now)
	q.table, q.cond = ps.dynamic, c
	switch {
	case c != nil:
		q.limits = c.Limits
	default:
		q.limits = ps.p.Default
	}
	return q.cond, q.limits
}

// idle reports whether the sub-queue holds nothing a later decision
// needs: no attempt in flight and no event inside its rate window or
// connect interval.
func (q *SubQueue) idle(now int64) bool {
	if q.inFlight() > 0 {
		return false
	}
	var keep time.Duration
	if q.limits != nil {
		keep = max(q.limits.Rate.Interval, q.limits.ConnectInterval)
	}
	return now-q.lastPickup >= int64(keep)
}

// eventRing keeps the times of a key's most recent pickups, enough to
// decide an exact sliding-window rate limit of up to len(buf) events. A
// ring of up to len(small) events lives in small, inside the sub-queue,
// which saves an allocation and a cache miss for the usual quiet key.
type eventRing struct {
	buf   []int64
	start int32
	n     int32
	small [4]int64
}

// nthNewest returns the time of the k-th most recent event (k ≥ 1).
func (r *eventRing) nthNewest(k int) (int64, bool) {
	if k > int(r.n) || k < 1 {
		return 0, false
	}
	return r.buf[(int(r.start)+int(r.n)-k)%len(r.buf)], true
}

// blocked reports whether another event at now would exceed rate, and
// when the window frees a slot: the limit is reached when the rate.Count-th
// most recent event lies inside (now-interval, now].
func (r *eventRing) blocked(rate Rate, now int64) (int64, bool) {
	t, ok := r.nthNewest(rate.Count)
	if !ok {
		return 0, false
	}
	until := t + int64(rate.Interval)
	return until, until > now
}

// push records an event at t for a limit of rate. The ring grows only
// while the events it holds are all inside the window, so it never holds
// more than rate.Count events, and fewer when the key is quieter.
//
// NOTE: events older than the current window are overwritten, so when a
// dynamic policy lengthens the window of a key, pickups made before it
// under a shorter window are partly forgotten.
func (r *eventRing) push(t int64, rate Rate) {
	if int(r.n) < len(r.buf) {
		r.buf[(int(r.start)+int(r.n))%len(r.buf)] = t
		r.n++
		return
	}
	oldestOutside := r.n > 0 && r.buf[r.start] <= t-int64(rate.Interval)
	if !oldestOutside && len(r.buf) < rate.Count {
		size := min(max(len(r.small), 2*len(r.buf)), rate.Count)
		var grown []int64
		if size <= len(r.small) && len(r.buf) == 0 {
			grown = r.small[:size]
		} else {
			grown = make([]int64, size)
		}
		for i := 0; i < int(r.n); i++ {
			grown[i] = r.buf[(int(r.start)+i)%len(r.buf)]
		}
		r.buf, r.start = grown, 0
		r.buf[r.n] = t
		r.n++
		return
	}
	if len(r.buf) == 0 {
		return
	}
	r.buf[r.start] = t
	r.start = int32((int(r.start) + 1) % len(r.buf))
}

// inWindow counts the events in (now-interval, now].
func (r *eventRing) inWindow(interval time.Duration, now int64) int {
	count := 0
	for k := 1; k <= int(r.n); k++ {
		t, _ := r.nthNewest(k)
		if t <= now-int64(interval) {
			break
		}
		count++
	}
	return count
}

// entryValues holds an entry's field values as keys store them. Each
// value is normalised on first use, once per decision, however many
// policies key on the field.
type entryValues struct {
	en       *Entry
	grouping string
	filled   uint16 // bit f set when vals[f] holds the value of field f
	vals     [numFields]string
}

func (ev *entryValues) get(f Field) string {
	if ev.filled&(1<<f) == 0 {
		v := ev.grouping
		if f != Grouping {
			v = ev.en.Value(f)
		}
		ev.vals[f] = normalizeValue(f, v)
		ev.filled |= 1 << f
	}
	return ev.vals[f]
}

// buildKey appends the key of policy p for the entry to buf and stores the
// key's values, indexed by field, in vals (rolled marks rollup values).
// It allocates only for values that are not already in lower case.
func buildKey(buf []byte, p *Policy, ev *entryValues, vals *[numFields]string, rolled *[numFields]bool) []byte {
	buf = append(buf, p.keyPrefix...)
	for _, f := range p.Fields {
		v := ev.get(f)
		r := false
		if rs := p.rollups[f]; rs != nil {
			if k, ok := rs.apply(v); ok {
				v, r = k, true
			}
		}
		vals[f], rolled[f] = v, r
		buf = binary.AppendUvarint(buf, uint64(len(v)))
		buf = append(buf, v...)
	}
	return buf
}
