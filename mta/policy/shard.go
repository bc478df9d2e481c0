package policy

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// shardCount splits the sub-queue index over independent locks. A power
// of two, so the shard index is a mask of the key hash.
const shardCount = 256

// shard indexes the sub-queues whose key hashes select it. Pickups read
// the index without a lock, which saves two atomic operations per key.
// This is safe because a published table changes in two ways only, each
// by one atomic store: an empty slot gets a sub-queue, and a sub-queue's
// slot gets the tombstone. A table that fills up is replaced by a new
// one, never resized in place. A reader that still holds the old table
// may miss a new key, and then takes mu and looks again. It may also find
// a swept sub-queue, which is marked dead under the sub-queue's own lock
// before it is removed, so the pickup retries.
type shard struct {
	mu    sync.Mutex // held by writers: new keys and Sweep
	table atomic.Pointer[subQueueTable]
	live  int // sub-queues in table, guarded by mu

	// Pad to a cache line of its own so neighbouring locks do not contend
	// through false sharing.
	_ [40]byte
}

// subQueueTable is an open-addressing hash table with linear probing. Its
// length is a power of two and at least one slot is always empty, so every
// probe ends.
type subQueueTable struct {
	slots []tableSlot
	used  int // slots holding a sub-queue or the tombstone, guarded by the shard's mu
}

type tableSlot struct {
	// hash is written once, before q, and read only after q, so a probe
	// skips other keys without reading their sub-queues.
	hash uint64
	q    atomic.Pointer[SubQueue]
}

// tombstone fills the slot of a removed sub-queue, so that probes for keys
// stored past it go on.
var tombstone = new(SubQueue)

const minTableSlots = 8

// slotIndex returns the first slot to probe for hash h. The low bits of h
// chose the shard, so the table uses the bits above them.
func slotIndex(h uint64, mask uint64) uint64 {
	return (h / shardCount) & mask
}

// get returns the sub-queue with hash h and key buf, or nil. It needs no
// lock.
func (t *subQueueTable) get(h uint64, buf []byte) *SubQueue {
	mask := uint64(len(t.slots) - 1)
	for i := slotIndex(h, mask); ; i = (i + 1) & mask {
		s := &t.slots[i]
		q := s.q.Load()
		if q == nil {
			return nil
		}
		if s.hash == h && q != tombstone && q.key == string(buf) {
			return q
		}
	}
}

// put stores q in the first empty slot of its probe sequence; the caller
// holds the shard's mu and has made room.
func (t *subQueueTable) put(q *SubQueue) {
	mask := uint64(len(t.slots) - 1)
	for i := slotIndex(q.hash, mask); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.q.Load() == nil {
			s.hash = q.hash
			s.q.Store(q)
			t.used++
			return
		}
	}
}

// get returns the sub-queue with hash h and key buf, or nil. It needs no
// lock.
func (sh *shard) get(h uint64, buf []byte) *SubQueue {
	t := sh.table.Load()
	if t == nil {
		return nil
	}
	return t.get(h, buf)
}

// insert adds q, which must not be in the shard; the caller holds sh.mu.
func (sh *shard) insert(q *SubQueue) {
	t := sh.table.Load()
	if t == nil || (t.used+1)*8 > len(t.slots)*7 {
		t = sh.rebuild(sh.live + 1)
	}
	t.put(q)
	sh.live++
}

// rebuild publishes a table with the live sub-queues and room for n, at
// most five eighths full, and returns it; the caller holds sh.mu. insert
// lets a table fill to seven eighths, so at least a quarter of the slots
// take new keys before the next rebuild.
func (sh *shard) rebuild(n int) *subQueueTable {
	size := minTableSlots
	for size*5 < n*8 {
		size *= 2
	}
	t := &subQueueTable{slots: make([]tableSlot, size)}
	if old := sh.table.Load(); old != nil {
		for i := range old.slots {
			if q := old.slots[i].q.Load(); q != nil && q != tombstone {
				t.put(q)
			}
		}
	}
	sh.table.Store(t)
	return t
}

// remove replaces q by the tombstone; the caller holds sh.mu.
func (sh *shard) remove(q *SubQueue) {
	t := sh.table.Load()
	if t == nil {
		return
	}
	mask := uint64(len(t.slots) - 1)
	for i := slotIndex(q.hash, mask); ; i = (i + 1) & mask {
		switch t.slots[i].q.Load() {
		case nil:
			return
		case q:
			t.slots[i].q.Store(tombstone)
			sh.live--
			return
		}
	}
}

// compact rebuilds the table after a Sweep when tombstones fill a quarter
// of it or live sub-queues fill less than an eighth. The caller holds
// sh.mu.
func (sh *shard) compact() {
	t := sh.table.Load()
	if t == nil {
		return
	}
	tombstones := t.used - sh.live
	if tombstones*4 > len(t.slots) || sh.live*8 < len(t.slots) && len(t.slots) > minTableSlots {
		sh.rebuild(sh.live)
	}
}

// each calls fn for every sub-queue of the shard; the caller holds sh.mu.
// fn may remove the sub-queue it is given.
func (sh *shard) each(fn func(q *SubQueue)) {
	t := sh.table.Load()
	if t == nil {
		return
	}
	for i := range t.slots {
		if q := t.slots[i].q.Load(); q != nil && q != tombstone {
			fn(q)
		}
	}
}

// lookup finds or creates the sub-queue with the key bytes in buf. It
// allocates only when the key is new.
func (e *Engine) lookup(p *Policy, buf []byte) *SubQueue {
	h := maphash.Bytes(e.seed, buf)
	sh := &e.shards[h&(shardCount-1)]
	if q := sh.get(h, buf); q != nil {
		return q
	}

	sh.mu.Lock()
	defer sh.mu.Unlock()
	if q := sh.get(h, buf); q != nil {
		return q
	}
	q := newSubQueue(buf, h, e.subQueueSeq.Add(1), p)
	sh.insert(q)
	return q
}

// find returns the sub-queue with the key bytes in buf, or nil.
func (e *Engine) find(buf []byte) *SubQueue {
	h := maphash.Bytes(e.seed, buf)
	return e.shards[h&(shardCount-1)].get(h, buf)
}
