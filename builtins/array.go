package builtins

// Array functions. Callbacks are called with exactly the arguments the
// function documents; an exception thrown by a callback ends the builtin
// and propagates unchanged.

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/halonsh/halonsh/lang/vm"
)

func init() {
	registerFuncs(map[string]vm.BuiltinFunc{
		"array_combine":  builtinArrayCombine,
		"array_every":    builtinArrayEvery,
		"array_filter":   builtinArrayFilter,
		"array_find":     builtinArrayFind,
		"array_includes": builtinArrayIncludes,
		"array_join":     builtinArrayJoin,
		"array_keys":     builtinArrayKeys,
		"array_map":      builtinArrayMap,
		"array_random":   builtinArrayRandom,
		"array_range":    builtinArrayRange,
		"array_reduce":   builtinArrayReduce,
		"array_reverse":  builtinArrayReverse,
		"array_shuffle":  builtinArrayShuffle,
		"array_sort":     builtinArraySort,
		"array_unique":   builtinArrayUnique,
	})
}

// maxRangeElements bounds array_range results.
const maxRangeElements = 10_000_000

// eachPair calls fn for every element of arr in order and stops at the
// first error.
func eachPair(arr *vm.Array, fn func(k vm.Key, v vm.Value) error) error {
	var err error
	arr.Each(func(k vm.Key, v vm.Value) bool {
		err = fn(k, v)
		return err == nil
	})
	return err
}

// callbackAndArray reads the (callback, array) arguments shared by the
// callback functions.
func callbackAndArray(c *vm.Call, args []vm.Value, min, max int) (vm.Value, *vm.Array, error) {
	if err := c.Arity(args, min, max); err != nil {
		return vm.None, nil, err
	}
	a := newLibArgs(c, args)
	fn, err := a.function(0, "callback")
	if err != nil {
		return vm.None, nil, err
	}
	arr, err := a.array(1, "array")
	if err != nil {
		return vm.None, nil, err
	}
	return fn, arr, nil
}

func builtinArrayCombine(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 3); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	keys, err := a.array(0, "keys")
	if err != nil {
		return vm.None, err
	}
	values, err := a.array(1, "values")
	if err != nil {
		return vm.None, err
	}
	fill := vm.None
	if len(args) > 2 {
		fill = args[2]
	}

	vals := values.Values()
	out := vm.NewArray(keys.Len())
	i := 0
	err = eachPair(keys, func(_ vm.Key, kv vm.Value) error {
		key, err := vm.ToKey(kv)
		if err != nil {
			return c.Errorf("key %d: %v", i, err)
		}
		v := fill
		if i < len(vals) {
			v = vals[i]
		}
		out.Set(key, v)
		i++
		return nil
	})
	if err != nil {
		return vm.None, err
	}
	return vm.ArrayValue(out), nil
}

func builtinArrayEvery(c *vm.Call, args []vm.Value) (vm.Value, error) {
	fn, arr, err := callbackAndArray(c, args, 2, 2)
	if err != nil {
		return vm.None, err
	}
	every := true
	err = eachPair(arr, func(_ vm.Key, v vm.Value) error {
		r, err := c.Call(fn, v)
		if err == nil && !r.Truthy() {
			every = false
			return errStopIteration
		}
		return err
	})
	if err != nil && err != errStopIteration {
		return vm.None, err
	}
	return vm.Bool(every), nil
}

// errStopIteration ends an eachPair loop early without an error.
var errStopIteration = &stopIteration{}

type stopIteration struct{}

func (*stopIteration) Error() string { return "stop iteration" }

func builtinArrayFilter(c *vm.Call, args []vm.Value) (vm.Value, error) {
	fn, arr, err := callbackAndArray(c, args, 2, 2)
	if err != nil {
		return vm.None, err
	}
	out := vm.NewArray(0)
	err = eachPair(arr, func(k vm.Key, v vm.Value) error {
		r, err := c.Call(fn, v)
		if err == nil && r.Truthy() {
			out.Set(k, v)
		}
		return err
	})
	if err != nil {
		return vm.None, err
	}
	return vm.ArrayValue(out), nil
}

func builtinArrayFind(c *vm.Call, args []vm.Value) (vm.Value, error) {
	fn, arr, err := callbackAndArray(c, args, 2, 2)
	if err != nil {
		return vm.None, err
	}
	found := vm.None
	err = eachPair(arr, func(_ vm.Key, v vm.Value) error {
		r, err := c.Call(fn, v)
		if err == nil && r.Truthy() {
			found = v
			return errStopIteration
		}
		return err
	})
	if err != nil && err != errStopIteration {
		return vm.None, err
	}
	return found, nil
}

// builtinArrayIncludes calls needle on each value when it is a function,
// and otherwise compares each value with === to it.
func builtinArrayIncludes(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 2); err != nil {
		return vm.None, err
	}
	arr, err := newLibArgs(c, args).array(1, "array")
	if err != nil {
		return vm.None, err
	}
	needle := args[0]
	found := false
	err = eachPair(arr, func(_ vm.Key, v vm.Value) error {
		if needle.Kind() != vm.KindFunction {
			found = vm.StrictEqual(v, needle)
		} else {
			r, err := c.Call(needle, v)
			if err != nil {
				return err
			}
			found = r.Truthy()
		}
		if found {
			return errStopIteration
		}
		return nil
	})
	if err != nil && err != errStopIteration {
		return vm.None, err
	}
	return vm.Bool(found), nil
}

func builtinArrayJoin(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	arr, err := a.array(0, "array")
	if err != nil {
		return vm.None, err
	}
	sep := ""
	if len(args) > 1 {
		if sep, err = a.str(1, "separator"); err != nil {
			return vm.None, err
		}
	}
	return vm.String(joinValues(arr, sep)), nil
}

// joinValues joins string() of each value of arr with sep.
func joinValues(arr *vm.Array, sep string) string {
	var buf []byte
	first := true
	arr.Each(func(_ vm.Key, v vm.Value) bool {
		if !first {
			buf = append(buf, sep...)
		}
		first = false
		buf = v.AppendDisplay(buf)
		return true
	})
	return string(buf)
}

func builtinArrayKeys(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	arr, err := newLibArgs(c, args).array(0, "array")
	if err != nil {
		return vm.None, err
	}
	keys := make([]vm.Value, 0, arr.Len())
	arr.Each(func(k vm.Key, _ vm.Value) bool {
		keys = append(keys, k.Value())
		return true
	})
	return vm.ArrayValue(vm.NewList(keys)), nil
}

func builtinArrayMap(c *vm.Call, args []vm.Value) (vm.Value, error) {
	fn, arr, err := callbackAndArray(c, args, 2, 2)
	if err != nil {
		return vm.None, err
	}
	out := vm.NewArray(arr.Len())
	err = eachPair(arr, func(k vm.Key, v vm.Value) error {
		r, err := c.Call(fn, v)
		if err == nil {
			out.Set(k, r)
		}
		return err
	})
	if err != nil {
		return vm.None, err
	}
	return vm.ArrayValue(out), nil
}

// builtinArrayRandom returns a uniformly chosen pair as [key, value], or
// none for an empty array.
func builtinArrayRandom(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	arr, err := newLibArgs(c, args).array(0, "array")
	if err != nil {
		return vm.None, err
	}
	if arr.Len() == 0 {
		return vm.None, nil
	}
	pick := rand.IntN(arr.Len())
	var pair vm.Value
	i := 0
	arr.Each(func(k vm.Key, v vm.Value) bool {
		if i == pick {
			pair = vm.ArrayValue(vm.NewList([]vm.Value{k.Value(), v}))
			return false
		}
		i++
		return true
	})
	return pair, nil
}

// builtinArrayRange returns start, start+step, ... while below stop (or
// above it for a negative step).
func builtinArrayRange(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 3); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	start, err := a.num(0, "start")
	if err != nil {
		return vm.None, err
	}
	stop, err := a.num(1, "stop")
	if err != nil {
		return vm.None, err
	}
	step := 1.0
	if len(args) > 2 {
		if step, err = a.num(2, "step"); err != nil {
			return vm.None, err
		}
	}
	if step == 0 || math.IsNaN(step) {
		return vm.None, c.Errorf("argument 3 (step) must not be 0")
	}

	count := math.Ceil((stop - start) / step)
	switch {
	case math.IsNaN(count) || count <= 0:
		return vm.ArrayValue(vm.NewArray(0)), nil
	case count > maxRangeElements:
		return vm.None, c.Errorf("range of more than %d elements", maxRangeElements)
	}

	vals := make([]vm.Value, 0, int(count))
	for i := 0; ; i++ {
		// Multiplying avoids the drift of repeated addition.
		v := start + float64(i)*step
		if step > 0 && v >= stop || step < 0 && v <= stop {
			break
		}
		vals = append(vals, vm.Number(v))
	}
	return vm.ArrayValue(vm.NewList(vals)), nil
}

func builtinArrayReduce(c *vm.Call, args []vm.Value) (vm.Value, error) {
	fn, arr, err := callbackAndArray(c, args, 2, 3)
	if err != nil {
		return vm.None, err
	}
	hasCarry := len(args) > 2
	var carry vm.Value
	if hasCarry {
		carry = args[2]
	} else if arr.Len() == 0 {
		return vm.None, c.Errorf("empty array and no initial value")
	}

	err = eachPair(arr, func(_ vm.Key, v vm.Value) error {
		if !hasCarry {
			carry, hasCarry = v, true
			return nil
		}
		var err error
		carry, err = c.Call(fn, carry, v)
		return err
	})
	if err != nil {
		return vm.None, err
	}
	return carry, nil
}

// builtinArrayReverse reverses the order; integer keys are renumbered
// from 0 in the new order and string keys are kept.
func builtinArrayReverse(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	arr, err := newLibArgs(c, args).array(0, "array")
	if err != nil {
		return vm.None, err
	}
	keys, vals := arr.Keys(), arr.Values()
	for i, j := 0, len(keys)-1; i < j; i, j = i+1, j-1 {
		keys[i], keys[j] = keys[j], keys[i]
		vals[i], vals[j] = vals[j], vals[i]
	}
	return vm.ArrayValue(renumbered(keys, vals)), nil
}

// renumbered builds an array of the pairs in order, giving integer keys
// new numbers from 0 and keeping string keys.
func renumbered(keys []vm.Key, vals []vm.Value) *vm.Array {
	out := vm.NewArray(len(vals))
	next := int32(0)
	for i, k := range keys {
		if k.IsString() {
			out.Set(k, vals[i])
			continue
		}
		out.Set(vm.IntKey(next), vals[i])
		next++
	}
	return out
}

// builtinArrayShuffle returns the pairs in uniformly random order with
// integer keys renumbered and string keys kept.
func builtinArrayShuffle(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	arr, err := newLibArgs(c, args).array(0, "array")
	if err != nil {
		return vm.None, err
	}
	keys, vals := arr.Keys(), arr.Values()
	rand.Shuffle(len(keys), func(i, j int) {
		keys[i], keys[j] = keys[j], keys[i]
		vals[i], vals[j] = vals[j], vals[i]
	})
	return vm.ArrayValue(renumbered(keys, vals)), nil
}

// pairSorter sorts key/value pairs with an HSL "less than" callback. The
// first error from the callback stops further calls; the order is then
// left unfinished and the error reported.
type pairSorter struct {
	c      *vm.Call
	fn     vm.Value
	byKeys bool
	keys   []vm.Key
	vals   []vm.Value
	err    error
}

func (s *pairSorter) Len() int { return len(s.keys) }

func (s *pairSorter) Swap(i, j int) {
	s.keys[i], s.keys[j] = s.keys[j], s.keys[i]
	s.vals[i], s.vals[j] = s.vals[j], s.vals[i]
}

func (s *pairSorter) Less(i, j int) bool {
	if s.err != nil {
		return false
	}
	a, b := s.vals[i], s.vals[j]
	if s.byKeys {
		a, b = s.keys[i].Value(), s.keys[j].Value()
	}
	r, err := s.c.Call(s.fn, a, b)
	if err != nil {
		s.err = err
		return false
	}
	return r.Truthy()
}

// builtinArraySort sorts with a callback(a, b) that is truthy when a
// sorts before b. Keys move with their values. A callback that is not a
// strict weak order gives some order, never a crash or an endless loop,
// because sort.Sort bounds its comparisons whatever Less returns.
func builtinArraySort(c *vm.Call, args []vm.Value) (vm.Value, error) {
	fn, arr, err := callbackAndArray(c, args, 2, 3)
	if err != nil {
		return vm.None, err
	}
	opts, err := newLibArgs(c, args).options(2)
	if err != nil {
		return vm.None, err
	}
	byKeys, err := opts.boolean("keys", false)
	if err != nil {
		return vm.None, err
	}

	s := &pairSorter{c: c, fn: fn, byKeys: byKeys, keys: arr.Keys(), vals: arr.Values()}
	sort.Sort(s)
	if s.err != nil {
		return vm.None, s.err
	}

	out := vm.NewArray(len(s.vals))
	for i, k := range s.keys {
		out.Set(k, s.vals[i])
	}
	return vm.ArrayValue(out), nil
}

// scalarIdentity is a map key for values whose === is plain equality:
// none, booleans, numbers and strings. NaN never equals itself, and Go
// maps treat NaN keys the same way.
type scalarIdentity struct {
	kind vm.Kind
	num  float64
	str  string
}

// builtinArrayUnique keeps the first pair of each distinct value, by ===.
func builtinArrayUnique(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	arr, err := newLibArgs(c, args).array(0, "array")
	if err != nil {
		return vm.None, err
	}

	seen := map[scalarIdentity]bool{}
	var others []vm.Value // arrays, functions, objects: compared one by one
	out := vm.NewArray(0)
	arr.Each(func(k vm.Key, v vm.Value) bool {
		switch v.Kind() {
		case vm.KindNone, vm.KindBool, vm.KindNumber, vm.KindString:
			id := scalarIdentity{kind: v.Kind(), num: v.Num(), str: v.Str()}
			if v.Kind() == vm.KindBool && v.Bool() {
				id.num = 1
			}
			if seen[id] {
				return true
			}
			seen[id] = true
		default:
			for _, o := range others {
				if vm.StrictEqual(o, v) {
					return true
				}
			}
			others = append(others, v)
		}
		out.Set(k, v)
		return true
	})
	return vm.ArrayValue(out), nil
}
