package delivery

import (
	"hash/maphash"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// poolKey names the connections that can carry a message: same source,
// same MX, same remote address, same TLS policy and EHLO name.
type poolKey struct {
	local  netip.Addr
	mx     string
	remote netip.AddrPort
	tls    TLSMode
	helo   string
}

const poolShards = 64

// pool keeps idle connections for reuse, newest first.
type pool struct {
	idle    time.Duration // <= 0: no reuse
	maxIdle int
	seed    maphash.Seed
	shards  [poolShards]poolShard
}

type poolShard struct {
	mu sync.Mutex
	m  map[poolKey][]*smtpConn
}

func newPool(idle time.Duration, maxIdle int) *pool {
	p := &pool{idle: idle, maxIdle: maxIdle, seed: maphash.MakeSeed()}
	for i := range p.shards {
		p.shards[i].m = make(map[poolKey][]*smtpConn)
	}
	return p
}

func (p *pool) shard(k poolKey) *poolShard {
	var h maphash.Hash
	h.SetSeed(p.seed)
	h.WriteString(k.mx)
	b := k.remote.Addr().As16()
	h.Write(b[:])
	return &p.shards[h.Sum64()%poolShards]
}

// get takes the most recently used idle connection for k, or returns nil.
// Connections past their idle time are returned in stale for the caller
// to close outside the lock.
func (p *pool) get(k poolKey, now time.Time) (sc *smtpConn, stale []*smtpConn) {
	if p.idle <= 0 {
		return nil, nil
	}
	sh := p.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()

	list := sh.m[k]
	for len(list) > 0 {
		last := list[len(list)-1]
		list = list[:len(list)-1]
		if now.Sub(last.lastUsed) < p.idle {
			sc = last
			break
		}
		stale = append(stale, last)
	}
	if len(list) == 0 {
		delete(sh.m, k)
	} else {
		sh.m[k] = list
	}
	return sc, stale
}

// hasIdle reports whether a connection to remote, named mx, is parked and
// still fresh. An invalid local matches any source address.
func (p *pool) hasIdle(mx string, remote, local netip.Addr, now time.Time) bool {
	if p.idle <= 0 {
		return false
	}
	sh := p.shard(poolKey{mx: mx, remote: netip.AddrPortFrom(remote, 0)})
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for k, list := range sh.m {
		if k.mx != mx || k.remote.Addr() != remote || local.IsValid() && k.local != local {
			continue
		}
		// The newest connection is last.
		if len(list) > 0 && now.Sub(list[len(list)-1].lastUsed) < p.idle {
			return true
		}
	}
	return false
}

// put parks a connection; it reports false when the key already has the
// maximum of idle connections, and the caller then closes sc.
func (p *pool) put(sc *smtpConn) bool {
	if p.idle <= 0 {
		return false
	}
	sh := p.shard(sc.key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if len(sh.m[sc.key]) >= p.maxIdle {
		return false
	}
	sh.m[sc.key] = append(sh.m[sc.key], sc)
	return true
}

// expired removes and returns the connections idle for too long.
func (p *pool) expired(now time.Time) []*smtpConn {
	var out []*smtpConn
	for i := range p.shards {
		sh := &p.shards[i]
		sh.mu.Lock()
		for k, list := range sh.m {
			// The list is ordered oldest first.
			n := 0
			for n < len(list) && now.Sub(list[n].lastUsed) >= p.idle {
				n++
			}
			if n == 0 {
				continue
			}
			out = append(out, list[:n]...)
			if n == len(list) {
				delete(sh.m, k)
			} else {
				sh.m[k] = append([]*smtpConn(nil), list[n:]...)
			}
		}
		sh.mu.Unlock()
	}
	return out
}

// drain removes and returns every idle connection.
func (p *pool) drain() []*smtpConn {
	var out []*smtpConn
	for i := range p.shards {
		sh := &p.shards[i]
		sh.mu.Lock()
		for k, list := range sh.m {
			out = append(out, list...)
			delete(sh.m, k)
		}
		sh.mu.Unlock()
	}
	return out
}

// idleCount returns the number of parked connections.
func (p *pool) idleCount() int {
	n := 0
	for i := range p.shards {
		sh := &p.shards[i]
		sh.mu.Lock()
		for _, list := range sh.m {
			n += len(list)
		}
		sh.mu.Unlock()
	}
	return n
}

type atomicCounter struct{ v atomic.Uint64 }

func (c *atomicCounter) next() uint64 { return c.v.Add(1) }
