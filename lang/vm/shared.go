package vm

import (
	"context"
	"sync"
)

// Memory is the process-wide key/value store behind `barrier` and the
// memory_* builtins. Each key has a value slot and a lock; both share one
// namespace, so barrier "x" and memory_fetch("x") see the same entry and
// wait for each other.
//
// Locks are re-entrant per run: the owner is Call.Owner(). Values stored
// are deep copies of none, booleans, numbers, strings and arrays of those.
type Memory struct {
	mu      sync.Mutex
	entries map[string]*memEntry
}

type memEntry struct {
	val     Value
	present bool
	owner   any
	depth   int
	wait    chan struct{} // closed when the lock is released
}

var sharedMemory = &Memory{entries: map[string]*memEntry{}}

// SharedMemory returns the process-wide store.
func SharedMemory() *Memory { return sharedMemory }

func (m *Memory) entry(key string) *memEntry {
	e := m.entries[key]
	if e == nil {
		e = &memEntry{}
		m.entries[key] = e
	}
	return e
}

// gc drops an entry that holds neither a value nor a lock. m.mu is held.
func (m *Memory) gc(key string, e *memEntry) {
	if !e.present && e.owner == nil {
		delete(m.entries, key)
	}
}

// Lock takes the lock of key for owner, waiting while another owner holds
// it, and returns the function that releases it. Locking a key the owner
// already holds nests. It fails only when ctx ends while waiting.
func (m *Memory) Lock(ctx context.Context, owner any, key string) (unlock func(), err error) {
	for {
		m.mu.Lock()
		e := m.entry(key)
		if e.owner == nil || e.owner == owner {
			e.owner = owner
			e.depth++
			m.mu.Unlock()
			return func() { m.unlock(key, e) }, nil
		}
		if e.wait == nil {
			e.wait = make(chan struct{})
		}
		ch := e.wait
		m.mu.Unlock()

		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (m *Memory) unlock(key string, e *memEntry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e.depth--
	if e.depth > 0 {
		return
	}
	e.owner = nil
	if e.wait != nil {
		close(e.wait)
		e.wait = nil
	}
	m.gc(key, e)
}

// Holder returns the owner holding key's lock, nil when it is free.
func (m *Memory) Holder(key string) any {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.entries[key]; e != nil {
		return e.owner
	}
	return nil
}

// Load returns the value stored under key. The value is a private copy
// for the caller's run only when it was copied in by Store; treat arrays
// as shared (Clone before changing).
func (m *Memory) Load(key string) (Value, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.entries[key]; e != nil && e.present {
		return e.val, true
	}
	return None, false
}

// Store deep-copies v into key. It fails when v holds anything but none,
// booleans, numbers, strings and arrays of those; the error message names
// the offending type.
func (m *Memory) Store(key string, v Value) error {
	c, err := CopyShared(v)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entry(key)
	e.val, e.present = c, true
	return nil
}

// Delete removes the value under key and reports whether one was stored.
func (m *Memory) Delete(key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entries[key]
	if e == nil || !e.present {
		return false
	}
	e.val, e.present = None, false
	m.gc(key, e)
	return true
}

// Keys returns the keys that hold a value.
func (m *Memory) Keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for k, e := range m.entries {
		if e.present {
			out = append(out, k)
		}
	}
	return out
}

// CopyShared returns a copy of v that may be handed to other runs: strings
// are detached from growable buffers and arrays are copied deeply and
// marked shared. Values other than none, booleans, numbers, strings and
// arrays of those give an error "cannot store <type>".
func CopyShared(v Value) (Value, error) {
	switch v.kind {
	case KindNone, KindBool, KindNumber:
		return v, nil
	case KindString:
		return v.detach(), nil
	case KindArray:
		src := (*Array)(v.p)
		dst := &Array{next: src.next}
		var err error
		src.Each(func(k Key, ev Value) bool {
			var c Value
			if c, err = CopyShared(ev); err != nil {
				return false
			}
			dst.set(k, c)
			return true
		})
		if err != nil {
			return None, err
		}
		dst.next = src.next
		dst.shared = true
		return ArrayValue(dst), nil
	}
	return None, Errorf("cannot store %s", v.TypeName())
}

// shareValue returns a copy of v for a process-wide cache: like CopyShared,
// but objects, functions and other references are kept as references.
func shareValue(v Value) Value {
	switch v.kind {
	case KindString:
		return v.detach()
	case KindArray:
		src := (*Array)(v.p)
		dst := &Array{next: src.next}
		src.Each(func(k Key, ev Value) bool {
			dst.set(k, shareValue(ev))
			return true
		})
		dst.next = src.next
		dst.shared = true
		return ArrayValue(dst)
	}
	return v
}
