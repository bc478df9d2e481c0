package vm

import (
	"iter"
	"maps"
	"math"
	"strconv"
	"sync/atomic"
)

// Key is an array key: an int32 or a string.
type Key struct {
	s     string
	i     int32
	isStr bool
	dead  bool // a deleted slot inside Array.keys
}

// IntKey returns the integer key i.
func IntKey(i int32) Key { return Key{i: i} }

// StrKey returns the string key s as given, without the integer casting of
// ToKey: StrKey("1") is the string key "1". Use ToKey(String(s)) for the
// HSL key rules.
func StrKey(s string) Key { return Key{s: s, isStr: true} }

// IsString reports whether k is a string key.
func (k Key) IsString() bool { return k.isStr }

// Int returns the integer of an integer key.
func (k Key) Int() int32 { return k.i }

// Str returns the string of a string key.
func (k Key) Str() string { return k.s }

// Value returns the key as an HSL value (a number or a string).
func (k Key) Value() Value {
	if k.isStr {
		return String(k.s)
	}
	return Number(float64(k.i))
}

// String returns the key in the array display form: integers bare,
// strings quoted.
func (k Key) String() string {
	if k.isStr {
		return quoteDisplay(k.s)
	}
	return strconv.Itoa(int(k.i))
}

// ToKey converts a value to an array key with the HSL rules: integer-valued
// numbers and canonical decimal strings become integer keys, other numbers
// are truncated toward zero, booleans become 0 or 1, other strings stay
// strings. none, arrays, functions, objects, regexes and resources raise
// "invalid array key"; numbers outside int32 raise "array key out of
// range".
func ToKey(v Value) (Key, error) {
	switch v.kind {
	case KindNumber:
		f := math.Trunc(v.num())
		if f != f || f < math.MinInt32 || f > math.MaxInt32 {
			return Key{}, errKeyRange
		}
		return Key{i: int32(f)}, nil
	case KindString:
		s := v.str()
		if i, ok := canonicalInt(s); ok {
			return Key{i: i}, nil
		}
		return Key{s: s, isStr: true}, nil
	case KindBool:
		return Key{i: int32(v.u)}, nil
	}
	return Key{}, errKeyType
}

var (
	errKeyRange = plainError("array key out of range")
	errKeyType  = plainError("invalid array key")
)

// canonicalInt reports whether s matches ^-?(0|[1-9][0-9]*)$ within int32.
func canonicalInt(s string) (int32, bool) {
	n := len(s)
	if n == 0 || n > 11 {
		return 0, false
	}
	i := 0
	if s[0] == '-' {
		i = 1
		if n == 1 {
			return 0, false
		}
	}
	if s[i] == '0' && n > i+1 {
		return 0, false
	}
	if s == "-0" {
		return 0, false
	}
	var x int64
	for ; i < n; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		x = x*10 + int64(c-'0')
	}
	if s[0] == '-' {
		x = -x
	}
	if x < math.MinInt32 || x > math.MaxInt32 {
		return 0, false
	}
	return int32(x), true
}

// Array is the HSL array: an ordered map whose keys are int32s or strings,
// iterated in insertion order. An array sequentially keyed from 0 is stored
// densely (a plain slice); any other key layout adds a key list and hash
// indexes.
//
// Copy-on-write: HSL arrays are values, but copying one only copies the
// pointer. An array reachable from more than one place is marked shared,
// and a shared array must never change: the writer takes Clone and changes
// the copy. For Go code this means:
//   - An *Array obtained from a Value (an argument, an element, a host
//     variable) may be shared. Read it freely; call Clone before changing.
//   - An array made with NewArray belongs to its maker until it is returned
//     or stored; build results that way.
//   - Set, Append and SetStr mark an array value they store as shared,
//     because it is now reachable from two places.
type Array struct {
	vals  []Value
	keys  []Key // nil while dense: then the key of vals[i] is i
	ints  map[int32]int32
	strs  map[string]int32
	holes int32 // deleted slots in vals and keys
	next  int32 // next automatic integer key
	// walked is the number of the last memory walk that counted the
	// array (see memory.go). It is atomic because several runs may walk
	// an array shared between them at once.
	walked atomic.Uint32
	// shared is set once the array may be reachable from more than one
	// place; it is never cleared.
	shared bool
}

// NewArray returns an empty array with room for capacity dense elements.
func NewArray(capacity int) *Array {
	return &Array{vals: make([]Value, 0, capacity)}
}

// NewList returns a dense array holding vals (not copied) under keys 0..n-1.
func NewList(vals []Value) *Array {
	for _, v := range vals {
		markShared(v)
	}
	return &Array{vals: vals, next: int32(len(vals))}
}

// Len returns the number of elements.
func (a *Array) Len() int { return len(a.vals) - int(a.holes) }

// Shared reports whether the array may be reachable from several places
// and so must not be changed in place.
func (a *Array) Shared() bool { return a.shared }

// markShared marks v's array, if any, as shared.
func markShared(v Value) {
	if v.kind == KindArray {
		a := (*Array)(v.p)
		if !a.shared {
			a.shared = true
		}
	}
}

// Clone returns an unshared copy of a. Elements are copied as values, so
// nested arrays become shared between the two.
func (a *Array) Clone() *Array {
	b := &Array{next: a.next}
	if a.holes > 0 {
		b.vals = make([]Value, 0, a.Len())
		b.keys = make([]Key, 0, a.Len())
		for i, k := range a.keys {
			if !k.dead {
				b.vals = append(b.vals, a.vals[i])
				b.keys = append(b.keys, k)
			}
		}
		b.reindex()
	} else {
		b.vals = make([]Value, len(a.vals), cap(a.vals))
		copy(b.vals, a.vals)
		if a.keys != nil {
			b.keys = make([]Key, len(a.keys), cap(a.keys))
			copy(b.keys, a.keys)
			b.ints = maps.Clone(a.ints)
			b.strs = maps.Clone(a.strs)
		}
	}
	for _, v := range b.vals {
		markShared(v)
	}
	return b
}

// reindex rebuilds the hash indexes from keys (which has no holes).
func (a *Array) reindex() {
	a.ints, a.strs = nil, nil
	a.holes = 0
	for i, k := range a.keys {
		a.index(k, int32(i))
	}
}

func (a *Array) index(k Key, pos int32) {
	if k.isStr {
		if a.strs == nil {
			a.strs = make(map[string]int32)
		}
		a.strs[k.s] = pos
		return
	}
	if a.ints == nil {
		a.ints = make(map[int32]int32)
	}
	a.ints[k.i] = pos
}

// makeSparse switches a dense array to the keyed layout.
func (a *Array) makeSparse() {
	if a.keys != nil {
		return
	}
	a.keys = make([]Key, len(a.vals), cap(a.vals))
	if len(a.vals) > 0 {
		a.ints = make(map[int32]int32, len(a.vals))
	}
	for i := range a.vals {
		a.keys[i] = Key{i: int32(i)}
		a.ints[int32(i)] = int32(i)
	}
}

// find returns the slot of k, or -1.
func (a *Array) find(k Key) int {
	if a.keys == nil {
		if !k.isStr && k.i >= 0 && int(k.i) < len(a.vals) {
			return int(k.i)
		}
		return -1
	}
	if k.isStr {
		if p, ok := a.strs[k.s]; ok {
			return int(p)
		}
		return -1
	}
	if p, ok := a.ints[k.i]; ok {
		return int(p)
	}
	return -1
}

// Get returns the element under k.
func (a *Array) Get(k Key) (Value, bool) {
	if p := a.find(k); p >= 0 {
		return a.vals[p], true
	}
	return None, false
}

// GetInt returns the element under the integer key i.
func (a *Array) GetInt(i int) (Value, bool) {
	if i < math.MinInt32 || i > math.MaxInt32 {
		return None, false
	}
	return a.Get(Key{i: int32(i)})
}

// GetStr returns the element under key s, cast with the HSL key rules
// (GetStr("1") reads integer key 1).
func (a *Array) GetStr(s string) (Value, bool) {
	if i, ok := canonicalInt(s); ok {
		return a.Get(Key{i: i})
	}
	return a.Get(Key{s: s, isStr: true})
}

// Has reports whether k is present.
func (a *Array) Has(k Key) bool { return a.find(k) >= 0 }

// Set stores v under k, keeping the position of an existing key. An array
// value v is marked shared.
func (a *Array) Set(k Key, v Value) {
	markShared(v)
	a.set(k, v)
}

// SetStr stores v under s, cast with the HSL key rules.
func (a *Array) SetStr(s string, v Value) {
	if i, ok := canonicalInt(s); ok {
		a.Set(Key{i: i}, v)
		return
	}
	a.Set(Key{s: s, isStr: true}, v)
}

// set stores without marking v shared; the VM uses it for fresh values.
func (a *Array) set(k Key, v Value) {
	if a.keys == nil {
		if !k.isStr && k.i >= 0 {
			n := len(a.vals)
			if int(k.i) < n {
				a.vals[k.i] = v
				return
			}
			if int(k.i) == n {
				a.vals = append(a.vals, v)
				a.next = int32(n + 1)
				return
			}
		}
		a.makeSparse()
	}
	if p := a.find(k); p >= 0 {
		a.vals[p] = v
		return
	}
	a.index(k, int32(len(a.vals)))
	a.keys = append(a.keys, k)
	a.vals = append(a.vals, v)
	if !k.isStr && k.i >= a.next {
		if k.i == math.MaxInt32 {
			a.next = math.MaxInt32 // the next Append raises "array key out of range"
		} else {
			a.next = k.i + 1
		}
	}
}

// Append stores v under the next automatic integer key. It fails only when
// that key would leave the int32 range. An array value v is marked shared.
func (a *Array) Append(v Value) error {
	markShared(v)
	return a.appendValue(v)
}

// grow makes room for one more element, doubling the capacity: Go's own
// append grows large slices by only 1.25x, which copies a long array
// built by appends several times over.
func (a *Array) grow() {
	if len(a.vals) < cap(a.vals) {
		return
	}
	nv := make([]Value, len(a.vals), max(8, 2*cap(a.vals)))
	copy(nv, a.vals)
	a.vals = nv
}

func (a *Array) appendValue(v Value) error {
	if a.keys == nil {
		a.grow()
		a.vals = append(a.vals, v)
		a.next++
		return nil
	}
	if a.next == math.MaxInt32 && a.Has(Key{i: math.MaxInt32}) {
		return errKeyRange
	}
	a.set(Key{i: a.next}, v)
	return nil
}

// Delete removes k and reports whether it was present. Other keys keep
// their positions; nothing is re-indexed.
func (a *Array) Delete(k Key) bool {
	p := a.find(k)
	if p < 0 {
		return false
	}
	if a.keys == nil && p == len(a.vals)-1 {
		// Removing the last element of a dense array keeps it dense, but
		// the automatic index must not fall back.
		a.makeSparse()
	}
	a.makeSparse()
	if k.isStr {
		delete(a.strs, k.s)
	} else {
		delete(a.ints, k.i)
	}
	a.keys[p].dead = true
	a.vals[p] = None
	a.holes++
	if a.holes > 16 && int(a.holes) > len(a.vals)/2 {
		a.compact()
	}
	return true
}

// compact drops deleted slots.
func (a *Array) compact() {
	if a.holes == 0 {
		return
	}
	j := 0
	for i, k := range a.keys {
		if !k.dead {
			a.keys[j] = k
			a.vals[j] = a.vals[i]
			j++
		}
	}
	clear(a.vals[j:])
	a.keys = a.keys[:j]
	a.vals = a.vals[:j]
	a.reindex()
}

// All iterates the elements in order.
func (a *Array) All() iter.Seq2[Key, Value] {
	return func(yield func(Key, Value) bool) {
		a.Each(yield)
	}
}

// keyAt returns the key and value of slot i; for a deleted slot it returns
// a dead key, which All and Each skip.
func (a *Array) keyAt(i int) (Key, Value) {
	if a.keys == nil {
		return Key{i: int32(i)}, a.vals[i]
	}
	return a.keys[i], a.vals[i]
}

// Each calls fn for every element in order until fn returns false.
func (a *Array) Each(fn func(k Key, v Value) bool) {
	for i := 0; i < len(a.vals); i++ {
		if a.keys != nil {
			if a.keys[i].dead {
				continue
			}
			if !fn(a.keys[i], a.vals[i]) {
				return
			}
			continue
		}
		if !fn(Key{i: int32(i)}, a.vals[i]) {
			return
		}
	}
}

// Values returns the values in order, as a new slice.
func (a *Array) Values() []Value {
	out := make([]Value, 0, a.Len())
	a.Each(func(_ Key, v Value) bool {
		out = append(out, v)
		return true
	})
	return out
}

// Keys returns the keys in order, as a new slice.
func (a *Array) Keys() []Key {
	out := make([]Key, 0, a.Len())
	a.Each(func(k Key, _ Value) bool {
		out = append(out, k)
		return true
	})
	return out
}

// IsList reports whether the keys are exactly 0..Len()-1 in order.
func (a *Array) IsList() bool {
	if a.keys == nil {
		return true
	}
	n := int32(0)
	ok := true
	a.Each(func(k Key, _ Value) bool {
		if k.isStr || k.i != n {
			ok = false
			return false
		}
		n++
		return true
	})
	return ok
}

// NextIndex returns the key the next Append will use.
func (a *Array) NextIndex() int32 { return a.next }

// At returns the key and value at position i (0-based, in order).
func (a *Array) At(i int) (Key, Value) {
	if a.holes > 0 {
		a.compact()
	}
	return a.keyAt(i)
}
