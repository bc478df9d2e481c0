package vm

import (
	"container/list"
	"math"
	"strconv"
	"sync"
	"time"
)

// The `cache` statement's process-wide caches, one per (namespace,
// function). Concurrent misses of one key run the function once; the other
// runs wait for its result.
var caches = struct {
	sync.Mutex
	m map[string]*cacheStore
}{m: map[string]*cacheStore{}}

type cacheStore struct {
	mu      sync.Mutex
	size    int
	entries map[string]*cacheEntry
	order   *list.List // most recently used first
}

type cacheEntry struct {
	key     string
	val     Value
	has     bool // val holds a stored value (possibly expired)
	expires time.Time
	loading chan struct{} // non-nil while one run computes the value
	elem    *list.Element
}

// CacheOptionNames are the valid option keys of the cache statement.
var CacheOptionNames = []string{"ttl", "ttl_override", "ttl_function", "update_function", "argv_filter", "force", "size", "namespace", "per_message", "lru"}

type cacheOptions struct {
	ttl         float64
	ttlOverride *Array
	ttlFunction Value
	update      Value
	argvFilter  []int
	force       bool
	size        int
	namespace   string
	lru         bool
	perMessage  bool
}

func parseCacheOptions(opts Value) (cacheOptions, error) {
	o := cacheOptions{ttl: 60, size: 32, lru: true}
	if opts.kind != KindArray {
		return o, Errorf("cache: options must be an array, got %s", opts.TypeName())
	}
	var err error
	(*Array)(opts.p).Each(func(k Key, v Value) bool {
		bad := func(want string) bool {
			err = Errorf("cache: option %s must be %s, got %s", k.s, want, v.TypeName())
			return false
		}
		switch k.s {
		case "ttl":
			if v.kind != KindNumber {
				return bad("a number")
			}
			o.ttl = v.num()
		case "ttl_override":
			if v.kind != KindArray {
				return bad("an array")
			}
			o.ttlOverride = (*Array)(v.p)
		case "ttl_function":
			if v.kind != KindFunction {
				return bad("a function")
			}
			o.ttlFunction = v
		case "update_function":
			if v.kind != KindFunction {
				return bad("a function")
			}
			o.update = v
		case "argv_filter":
			if v.kind != KindArray {
				return bad("an array")
			}
			(*Array)(v.p).Each(func(_ Key, x Value) bool {
				o.argvFilter = append(o.argvFilter, int(x.ToNumber()))
				return true
			})
		case "force":
			if v.kind != KindBool {
				return bad("a boolean")
			}
			o.force = v.u != 0
		case "size":
			if v.kind != KindNumber || v.num() < 0 {
				return bad("a non-negative number")
			}
			o.size = int(v.num())
		case "namespace":
			if v.kind != KindString {
				return bad("a string")
			}
			o.namespace = v.str()
		case "per_message":
			if v.kind != KindBool {
				return bad("a boolean")
			}
			o.perMessage = v.u != 0
		case "lru":
			if v.kind != KindBool {
				return bad("a boolean")
			}
			o.lru = v.u != 0
		default:
			err = Errorf("cache: unknown option %s", k.String())
			return false
		}
		return true
	})
	return o, err
}

// appendCacheKey encodes a value for the cache key: type-tagged so 1 and
// "1" differ.
func appendCacheKey(b []byte, v Value) []byte {
	switch v.kind {
	case KindString:
		b = append(b, 's')
		b = strconv.AppendInt(b, int64(v.u), 10)
		b = append(b, ':')
		return append(b, v.str()...)
	case KindNumber:
		b = append(b, 'n')
		return strconv.AppendUint(b, math.Float64bits(v.num()), 16)
	case KindArray:
		b = append(b, 'a', '[')
		(*Array)(v.p).Each(func(k Key, x Value) bool {
			b = appendCacheKey(b, k.Value())
			b = append(b, '=')
			b = appendCacheKey(b, x)
			b = append(b, ',')
			return true
		})
		return append(b, ']')
	case KindObject, KindFunction, KindResource, KindRegex:
		b = append(b, 'r')
		return strconv.AppendUint(b, uint64(uintptr(v.p)), 16)
	}
	b = append(b, 'k', byte(v.kind))
	return strconv.AppendUint(b, v.u, 10)
}

// cacheCall runs `cache [opts] f(args)`.
func (th *thread) cacheCall(siteVal, optsVal, argsVal Value) (Value, error) {
	site := siteVal.Resource().Data.(*CacheSite)
	opts, err := parseCacheOptions(optsVal)
	if err != nil {
		return None, err
	}
	if argsVal.kind != KindArray {
		return None, Errorf("cannot spread %s into arguments", argsVal.TypeName())
	}
	args := (*Array)(argsVal.p).Values()

	key := make([]byte, 0, 64)
	if opts.argvFilter != nil {
		for _, i := range opts.argvFilter {
			if i >= 1 && i <= len(args) {
				key = appendCacheKey(key, args[i-1])
			} else {
				key = append(key, '-')
			}
			key = append(key, 0)
		}
	} else {
		for _, a := range args {
			key = appendCacheKey(key, a)
			key = append(key, 0)
		}
	}

	if opts.perMessage {
		return th.runCacheCall(site, opts, args, opts.namespace+"\x00"+site.ID+"\x00"+string(key))
	}
	store := cacheStoreFor(opts.namespace+"\x00"+site.ID, opts.size)
	k := string(key)
	for {
		store.mu.Lock()
		e := store.entries[k]
		if e != nil && e.loading != nil {
			ch := e.loading
			store.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-th.ctx.Done():
				return None, &Error{Message: "run canceled: " + th.ctx.Err().Error(), Fatal: true}
			}
		}
		if e != nil && e.has && !opts.force && Now().Before(e.expires) {
			if e.elem != nil {
				store.order.MoveToFront(e.elem)
			}
			v := e.val
			store.mu.Unlock()
			return v, nil
		}
		if e == nil {
			e = &cacheEntry{key: k}
			store.entries[k] = e
		}
		e.loading = make(chan struct{})
		old, hadOld := e.val, e.has
		store.mu.Unlock()

		v, ttl, err := th.cacheCompute(site, opts, args, old, hadOld)

		store.mu.Lock()
		close(e.loading)
		e.loading = nil
		switch {
		case err != nil || ttl <= 0:
			if !e.has {
				store.remove(e)
			}
		default:
			e.val, e.has = shareValue(v), true
			e.expires = Now().Add(time.Duration(ttl * float64(time.Second)))
			if e.elem == nil {
				if store.size > 0 && store.order.Len() >= store.size {
					if !opts.lru {
						store.remove(e)
						store.mu.Unlock()
						return v, nil
					}
					store.remove(store.order.Back().Value.(*cacheEntry))
				}
				if store.size > 0 {
					e.elem = store.order.PushFront(e)
				} else {
					store.remove(e)
				}
			} else {
				store.order.MoveToFront(e.elem)
			}
		}
		store.mu.Unlock()
		return v, err
	}
}

func (s *cacheStore) remove(e *cacheEntry) {
	if e.elem != nil {
		s.order.Remove(e.elem)
		e.elem = nil
	}
	if s.entries[e.key] == e {
		delete(s.entries, e.key)
	}
}

func cacheStoreFor(id string, size int) *cacheStore {
	caches.Lock()
	defer caches.Unlock()
	s := caches.m[id]
	if s == nil {
		s = &cacheStore{size: size, entries: map[string]*cacheEntry{}, order: list.New()}
		caches.m[id] = s
	}
	s.mu.Lock()
	if size < s.size {
		s.size = size
		for s.order.Len() > s.size {
			s.remove(s.order.Back().Value.(*cacheEntry))
		}
	}
	s.mu.Unlock()
	return s
}

// cacheCompute calls the function and works out the value to store and
// its ttl.
func (th *thread) cacheCompute(site *CacheSite, opts cacheOptions, args []Value, old Value, hadOld bool) (Value, float64, error) {
	v, err := th.callValue(site.Fn, args)
	if err != nil {
		return None, 0, err
	}
	ttl := opts.ttl
	if opts.ttlFunction.kind == KindFunction {
		t, err := th.callValue(opts.ttlFunction, []Value{v})
		if err != nil {
			return None, 0, err
		}
		ttl = t.ToNumber()
	} else if opts.ttlOverride != nil {
		if k, err := ToKey(v); err == nil {
			if t, ok := opts.ttlOverride.Get(k); ok {
				ttl = t.ToNumber()
			}
		}
	}
	if hadOld && opts.update.kind == KindFunction {
		if v, err = th.callValue(opts.update, []Value{old, v}); err != nil {
			return None, 0, err
		}
	}
	return v, ttl, nil
}

// runCacheCall serves a per_message cache entry. A run handles one message
// or transaction, so the entries live in the run and are dropped when it
// ends.
func (th *thread) runCacheCall(site *CacheSite, opts cacheOptions, args []Value, key string) (Value, error) {
	if e, ok := th.msgCache[key]; ok && !opts.force && Now().Before(e.expires) {
		return e.val, nil
	}
	old, hadOld := th.msgCache[key]
	v, ttl, err := th.cacheCompute(site, opts, args, old.val, hadOld)
	if err != nil {
		return None, err
	}
	if ttl > 0 {
		if th.msgCache == nil {
			th.msgCache = map[string]runCacheEntry{}
		}
		markShared(v)
		th.msgCache[key] = runCacheEntry{val: v, expires: Now().Add(time.Duration(ttl * float64(time.Second)))}
	}
	return v, nil
}

type runCacheEntry struct {
	val     Value
	expires time.Time
}
