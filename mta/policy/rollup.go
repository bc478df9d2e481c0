package policy

import (
	"sync"
)

// rollupSet holds the rollups one policy defines for one field, in file
// order.
type rollupSet struct {
	field      Field
	names      []string // rollup names in file order
	keys       []string // "#" + name, the value keys store
	set        *matcherSet
	itemRollup []int32 // item index in set → index in names

	// cache remembers results for fields whose rollups contain regexes,
	// because a regex costs far more than a map lookup. Nil otherwise.
	cache *rollupCache
}

func (r *rollupSet) has(name string) bool {
	for _, n := range r.names {
		if n == name {
			return true
		}
	}
	return false
}

// apply returns "#name" of the first rollup with an item matching the
// normalised value v.
func (r *rollupSet) apply(v string) (string, bool) {
	if r.cache != nil {
		if k, ok := r.cache.get(v); ok {
			return k, k != ""
		}
	}
	i := r.set.first(v, false, nil)
	k := ""
	if i >= 0 {
		k = r.keys[r.itemRollup[i]]
	}
	if r.cache != nil {
		r.cache.put(v, k)
	}
	return k, i >= 0
}

// rollupCacheSize bounds the regex rollup cache; when full it is cleared,
// which keeps memory bounded without bookkeeping on every hit.
const rollupCacheSize = 1 << 16

// rollupCache maps raw values to their rollup key ("" for none).
type rollupCache struct {
	mu sync.RWMutex
	m  map[string]string
}

func (c *rollupCache) get(v string) (string, bool) {
	c.mu.RLock()
	k, ok := c.m[v]
	c.mu.RUnlock()
	return k, ok
}

func (c *rollupCache) put(v, k string) {
	c.mu.Lock()
	if len(c.m) >= rollupCacheSize {
		clear(c.m)
	}
	c.m[v] = k
	c.mu.Unlock()
}
