package vm

import (
	"sync/atomic"
	"unsafe"
)

// The memory limit (Limits.MaxMemory) bounds the strings and arrays a run
// holds at once. Checking it costs two steps:
//
//   - Where the VM builds a string, an array or an object, it subtracts
//     the new storage from th.memBudget: an add and a compare.
//   - When the budget runs out, checkMemory walks every value reachable
//     from the run's roots and sums what they hold. A total above the
//     limit raises the catchable runtime error "memory limit exceeded".
//     Otherwise the budget starts again, sized from the total so that
//     walks stay rare while the run holds much.
//
// The budget only decides when to walk, so counting it roughly is safe.
// The walk alone decides whether the limit is exceeded.

// Sizes of the VM's own structures, as the walk counts them.
const (
	valueSize    = int64(unsafe.Sizeof(Value{}))
	keySize      = int64(unsafe.Sizeof(Key{}))
	arraySize    = int64(unsafe.Sizeof(Array{}))
	objectSize   = int64(unsafe.Sizeof(Object{}))
	functionSize = int64(unsafe.Sizeof(Function{}))
	strBufSize   = int64(unsafe.Sizeof(strBuf{}))
	pointerSize  = int64(unsafe.Sizeof(uintptr(0)))

	// indexEntrySize estimates one entry of an array's hash index (the
	// ints and strs maps) with the map's own overhead.
	indexEntrySize = 32

	// sharedStringMin is the length from which the walk counts the bytes
	// of a string once however many values share them. Shorter strings
	// are counted at every reference, which costs less than a lookup.
	sharedStringMin = 64

	// maxMemoryInterval caps the bytes counted between two walks.
	maxMemoryInterval = 16 << 20
)

// memoryWalks numbers the memory walks of all runs. An array whose
// walked field equals the current walk's number was counted by that walk.
// NOTE: the number wraps after 2^32 walks, so an array left unwalked for
// that long can be skipped once by a walk that draws its old number.
var memoryWalks atomic.Uint32

// memoryInterval returns the budget a run starts with: a quarter of the
// limit, at most maxMemoryInterval.
func memoryInterval(limit int64) int64 {
	return max(min(limit/4, maxMemoryInterval), 1)
}

// account subtracts n bytes of new storage from the run's budget and, once
// the budget is spent, checks the limit. result is the value just built,
// which the walk counts as well because no root may reference it yet.
func (th *thread) account(n int64, result Value) error {
	th.memBudget -= n
	if th.memBudget >= 0 {
		return nil
	}
	return th.checkMemory(result)
}

// accountValue accounts the storage a value just built holds itself (see
// newSize).
func (th *thread) accountValue(v Value) error {
	return th.account(newSize(v), v)
}

// accountGrowth accounts a's backing slices after a store, when the store
// reallocated them (its capacity differs from oldCap).
func (th *thread) accountGrowth(a *Array, oldCap int) error {
	if c := cap(a.vals); c != oldCap {
		return th.account(arrayStorage(a), None)
	}
	return nil
}

// newSize returns the storage of a value just built: a string's bytes, an
// array's slices with what it contains (see freshArraySize), an object's
// or function's own struct.
func newSize(v Value) int64 {
	switch v.kind {
	case KindString:
		return int64(v.u)
	case KindArray:
		a := (*Array)(v.p)
		scan := freshScanFactor*len(a.vals) + freshScanExtra
		return freshArraySize(a, &scan, 0)
	case KindObject:
		return objectSize
	case KindFunction:
		return functionSize + int64(len((*Function)(v.p).cells))*pointerSize
	}
	return 0
}

// A builtin's result may contain arrays shared with its arguments, so
// following every nested array could cost more than the call itself.
// freshArraySize reads at most freshScanFactor elements per element of
// the result, plus freshScanExtra.
const (
	freshScanFactor = 4
	freshScanExtra  = 4096
	freshScanDepth  = 16
)

// freshArraySize returns the storage of a, the strings in it and the
// arrays nested in it, reading the elements of an array only while scan
// covers them. An array whose elements are not read still counts its own
// slices.
//
// NOTE: beyond the scan, nested strings and arrays reach the memory limit
// only at the next walk, so a builtin that returns deep data can build
// more than one interval before the check.
func freshArraySize(a *Array, scan *int, depth int) int64 {
	n := arraySize + arrayStorage(a)
	if len(a.vals) > *scan || depth >= freshScanDepth {
		return n
	}
	*scan -= len(a.vals)
	for _, x := range a.vals {
		switch x.kind {
		case KindString:
			n += int64(x.u)
		case KindArray:
			n += freshArraySize((*Array)(x.p), scan, depth+1)
		}
	}
	return n
}

// arrayStorage returns the bytes of a's value and key slices and of its
// hash index, without the elements' own storage.
func arrayStorage(a *Array) int64 {
	return int64(cap(a.vals))*valueSize + int64(cap(a.keys))*keySize +
		int64(len(a.ints)+len(a.strs))*indexEntrySize
}

// checkMemory measures what the run holds, with extra as one more root,
// and raises "memory limit exceeded" above the limit. The next budget is
// the held size, so while a run grows, each walk comes after the held
// size doubles and all walks together visit about twice the final values.
// The budget is capped at the room left below the limit, but is never
// smaller than one interval.
func (th *thread) checkMemory(extra Value) error {
	limit := th.limits.MaxMemory
	interval := memoryInterval(limit)

	// The first walk gives an upper bound without a lookup per value
	// (see memoryWalk). Only a bound above the limit needs the exact
	// walk.
	held := th.heldMemory(extra, false)
	if held > limit {
		held = th.heldMemory(extra, true)
	}
	if held > limit {
		th.memBudget = interval
		return Errorf(msgMemoryLimit)
	}
	th.memBudget = max(interval, min(held, limit-held))
	return nil
}

// heldMemory returns the bytes of the strings, arrays, objects and
// functions reachable from the run's roots: the value stack, globals,
// class statics, the frames' receivers and closures, and the run's
// per_message cache entries. Storage shared by several values (a
// copy-on-write array, a closure, the bytes of a string) counts once when
// exact is set. Otherwise the result is an upper bound: see memoryWalk.
//
// NOTE: the Go payloads of builtin objects (Object.Native) and resources
// are not counted. Substrings that point into the middle of a longer
// string are counted as if they were copies.
func (th *thread) heldMemory(extra Value, exact bool) int64 {
	w := memoryWalk{seen: map[unsafe.Pointer]int64{}, exact: exact, number: memoryWalks.Add(1)}
	if w.number == 0 {
		// After a wrap-around, 0 stays the number of no walk.
		w.number = memoryWalks.Add(1)
	}

	// The innermost frame's locals are live even when th.sp was last
	// written before the frame was entered.
	top := th.sp
	if n := len(th.frames); n > 0 {
		f := &th.frames[n-1]
		top = max(top, f.bp+f.proto.NumLocals)
	}
	w.values(th.stack[:min(top, len(th.stack))], 0)

	for _, g := range th.globals {
		w.values(g, 0)
	}
	w.values(th.statics, 0)
	for i := range th.frames {
		f := &th.frames[i]
		if f.this != nil {
			w.value(ObjectValue(f.this), 0)
		}
		if f.fn != nil {
			w.value(FunctionValue(f.fn), 0)
		}
	}
	for _, e := range th.msgCache {
		w.value(e.val, 0)
	}
	w.value(extra, 0)

	for len(w.pending) > 0 {
		v := w.pending[len(w.pending)-1]
		w.pending = w.pending[:len(w.pending)-1]
		w.contents(v, 0)
	}
	return w.total
}

// memoryWalk sums the storage reachable from a set of values. Functions
// and cells are looked up in seen, so each counts once and cycles end.
// An object counts its own struct at every reference, and its properties
// once through their array.
//
// Without exact, the walk avoids a map lookup per array and per string,
// at the cost of an upper bound. It marks each array with the walk's
// number instead, and two runs that walk an array shared between them at
// the same time can overwrite each other's mark, so both may count it
// again. It also counts a string's bytes at every reference. With exact,
// arrays and strings of at least sharedStringMin bytes go through seen.
type memoryWalk struct {
	// seen maps the storage already counted to the string length
	// counted for it (0 for anything but string bytes).
	seen   map[unsafe.Pointer]int64
	exact  bool
	number uint32 // this walk's number, for Array.walked
	// pending holds containers found below maxWalkDepth, so that deeply
	// nested arrays cannot exhaust the Go stack.
	pending []Value
	total   int64
}

// maxWalkDepth is the container nesting the walk follows by recursion.
const maxWalkDepth = 64

func (w *memoryWalk) values(vs []Value, depth int) {
	for _, v := range vs {
		if v.kind > KindNumber {
			w.value(v, depth)
		}
	}
}

// value counts v and, unless counted before, what it references.
func (w *memoryWalk) value(v Value, depth int) {
	switch v.kind {
	case KindString:
		w.string(v)
		return
	case KindArray:
		if !w.exact {
			a := (*Array)(v.p)
			if a.walked.Load() == w.number {
				return
			}
			a.walked.Store(w.number)
			break
		}
		if _, ok := w.seen[v.p]; ok {
			return
		}
		w.seen[v.p] = 0
	case KindObject:
	case KindFunction, kindCell, kindIter:
		if _, ok := w.seen[v.p]; ok {
			return
		}
		w.seen[v.p] = 0
	default:
		return
	}
	if depth >= maxWalkDepth {
		w.pending = append(w.pending, v)
		return
	}
	w.contents(v, depth+1)
}

// contents counts a container v and the values it references.
func (w *memoryWalk) contents(v Value, depth int) {
	switch v.kind {
	case KindArray:
		a := (*Array)(v.p)
		w.total += arraySize + arrayStorage(a)
		for _, k := range a.keys {
			if k.isStr && !k.dead {
				w.bytes(unsafe.Pointer(unsafe.StringData(k.s)), int64(len(k.s)))
			}
		}
		w.values(a.vals, depth)
	case KindObject:
		o := (*Object)(v.p)
		w.total += objectSize
		if o.props != nil {
			w.value(ArrayValue(o.props), depth)
		}
	case KindFunction:
		f := (*Function)(v.p)
		w.total += functionSize + int64(len(f.cells))*pointerSize
		for _, c := range f.cells {
			w.value(Value{kind: kindCell, p: unsafe.Pointer(c)}, depth)
		}
		if f.this != nil {
			w.value(ObjectValue(f.this), depth)
		}
	case kindCell:
		w.total += valueSize
		w.value(*(*Value)(v.p), depth)
	case kindIter:
		it := (*iterator)(v.p)
		if it.arr != nil {
			w.value(ArrayValue(it.arr), depth)
		}
		w.values(it.keys, depth)
		w.values(it.vals, depth)
	}
}

func (w *memoryWalk) string(v Value) {
	if !v.buf {
		w.bytes(v.p, int64(v.u))
		return
	}

	// Every value of a growable buffer reads a prefix of it, and the
	// buffer holds its whole capacity.
	n := strBufSize + int64(cap((*strBuf)(v.p).data))
	if w.exact {
		if _, ok := w.seen[v.p]; ok {
			return
		}
		w.seen[v.p] = 0
	}
	w.total += n
}

// bytes counts n string bytes starting at p.
func (w *memoryWalk) bytes(p unsafe.Pointer, n int64) {
	if !w.exact || n < sharedStringMin {
		w.total += n
		return
	}
	counted, ok := w.seen[p]
	if !ok || n > counted {
		w.total += n - counted
		w.seen[p] = n
	}
}
