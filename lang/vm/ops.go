package vm

import (
	"math"
	"strings"
	"unsafe"
)

// Internal kinds that live only in stack slots and never reach scripts.
const (
	kindUndef  Kind = 200 + iota // an unassigned variable slot
	kindCell                     // a slot boxed into a cell (p is *Value)
	kindProp                     // a property segment of a path (string in u/p)
	kindAppend                   // the empty index of `$a[] = v`
	kindIter                     // a foreach iterator (p is *iterator)
)

var undef = Value{kind: kindUndef}

func propKey(name string) Value {
	v := String(name)
	v.kind = kindProp
	return v
}

func opName(op Opcode) string {
	switch op {
	case OpAdd:
		return "+"
	case OpSub:
		return "-"
	case OpMul:
		return "*"
	case OpDiv:
		return "/"
	case OpMod:
		return "%"
	case OpPow:
		return "**"
	case OpConcat:
		return "."
	case OpBitAnd:
		return "&"
	case OpBitOr:
		return "|"
	case OpBitXor:
		return "^"
	case OpShl:
		return "<<"
	case OpShr:
		return ">>"
	case OpUShr:
		return ">>>"
	}
	return "?"
}

func invalidOperands(op Opcode, a, b Value) error {
	return Errorf("invalid operands to '%s': %s and %s", opName(op), a.TypeName(), b.TypeName())
}

// numeric reports whether v takes part in arithmetic by number(): numbers,
// booleans and strings.
func numeric(v Value) bool {
	return v.kind == KindNumber || v.kind == KindBool || v.kind == KindString
}

// arith applies an arithmetic or bitwise operator with all HSL operand
// rules.
func (th *thread) arith(op Opcode, a, b Value) (Value, error) {
	switch op {
	case OpAdd:
		if a.kind == KindArray {
			return th.arrayAdd(a, b)
		}
	case OpSub:
		if a.kind == KindArray {
			r := arraySub(a, b)
			return r, th.account(arraySize+arrayStorage((*Array)(r.p)), r)
		}
	case OpMul:
		if a.kind == KindString && b.kind == KindNumber {
			return th.repeatString(a.str(), b.num())
		}
		if b.kind == KindString && a.kind == KindNumber {
			return th.repeatString(b.str(), a.num())
		}
		if a.kind == KindArray && b.kind == KindNumber {
			return th.repeatArray((*Array)(a.p), b.num())
		}
		if b.kind == KindArray && a.kind == KindNumber {
			return th.repeatArray((*Array)(b.p), a.num())
		}
	case OpMod:
		if a.kind == KindString && b.kind == KindArray {
			s, err := formatString(a.str(), (*Array)(b.p))
			if err != nil {
				return None, err
			}
			r := String(s)
			return r, th.accountValue(r)
		}
	case OpConcat:
		return th.concat(a, b)
	}
	if !numeric(a) || !numeric(b) {
		return None, invalidOperands(op, a, b)
	}
	x, y := a.ToNumber(), b.ToNumber()
	switch op {
	case OpAdd:
		return Number(x + y), nil
	case OpSub:
		return Number(x - y), nil
	case OpMul:
		return Number(x * y), nil
	case OpDiv:
		if y == 0 {
			return None, Errorf("division by zero")
		}
		return Number(x / y), nil
	case OpMod:
		if y == 0 {
			return None, Errorf("division by zero")
		}
		return Number(math.Mod(x, y)), nil
	case OpPow:
		return Number(math.Pow(x, y)), nil
	case OpBitAnd:
		return Number(float64(ToInt32(x) & ToInt32(y))), nil
	case OpBitOr:
		return Number(float64(ToInt32(x) | ToInt32(y))), nil
	case OpBitXor:
		return Number(float64(ToInt32(x) ^ ToInt32(y))), nil
	case OpShl:
		return Number(float64(ToInt32(x) << (uint32(ToInt32(y)) & 31))), nil
	case OpShr:
		return Number(float64(ToInt32(x) >> (uint32(ToInt32(y)) & 31))), nil
	case OpUShr:
		return Number(float64(uint32(ToInt32(x)) >> (uint32(ToInt32(y)) & 31))), nil
	}
	return None, invalidOperands(op, a, b)
}

func (th *thread) concat(a, b Value) (Value, error) {
	if a.kind == KindNone || b.kind == KindNone {
		return None, Errorf("cannot concatenate none")
	}
	if a.kind == KindString && !a.buf && b.kind == KindNumber {
		// One allocation for the common "key" . $i.
		buf := make([]byte, 0, int(a.u)+24)
		buf = append(buf, a.str()...)
		buf = AppendNumber(buf, b.num())
		r := String(unsafe.String(unsafe.SliceData(buf), len(buf)))
		return r, th.account(int64(cap(buf)), r)
	}
	var bs string
	if b.kind == KindString {
		bs = b.str()
	} else {
		bs = b.String()
	}
	if a.kind == KindString {
		if a.buf {
			if int64(a.u)+int64(len(bs)) > th.limits.MaxMemory {
				return None, Errorf(msgMemoryLimit)
			}
			// In place, the buffer grows by doubling, so the appended
			// bytes stand for its growth.
			r := appendString(a, bs)
			return r, th.account(int64(len(bs)), r)
		}
		if len(bs) == 0 {
			return a, nil
		}
		if int64(a.u)+int64(len(bs)) > th.limits.MaxMemory {
			return None, Errorf(msgMemoryLimit)
		}
		r := String(a.str() + bs)
		return r, th.account(int64(r.u), r)
	}
	r := String(a.String() + bs)
	return r, th.account(int64(r.u), r)
}

func (th *thread) repeatString(s string, n float64) (Value, error) {
	n = math.Trunc(n)
	if n <= 0 || len(s) == 0 {
		return String(""), nil
	}
	if float64(len(s))*n > float64(th.limits.MaxMemory) {
		return None, Errorf(msgMemoryLimit)
	}
	r := String(strings.Repeat(s, int(n)))
	return r, th.account(int64(r.u), r)
}

func (th *thread) repeatArray(a *Array, n float64) (Value, error) {
	n = math.Trunc(n)
	if n <= 0 {
		return ArrayValue(NewArray(0)), nil
	}
	if float64(a.Len())*n*float64(unsafe.Sizeof(Value{})) > float64(th.limits.MaxMemory) {
		return None, Errorf(msgMemoryLimit)
	}
	vals := a.Values()
	out := make([]Value, 0, len(vals)*int(n))
	for i := 0; i < int(n); i++ {
		out = append(out, vals...)
	}
	r := ArrayValue(NewList(out))
	return r, th.account(arraySize+int64(cap(out))*valueSize, r)
}

// arrayAdd is array + x: the union with another array, or x appended.
func (th *thread) arrayAdd(a, b Value) (Value, error) {
	r := (*Array)(a.p).Clone()
	if b.kind != KindArray {
		markShared(b)
		if err := r.appendValue(b); err != nil {
			return None, err
		}
		return ArrayValue(r), th.account(arraySize+arrayStorage(r), ArrayValue(r))
	}
	var err error
	(*Array)(b.p).Each(func(k Key, v Value) bool {
		markShared(v)
		if k.isStr {
			r.set(k, v)
		} else if err = r.appendValue(v); err != nil {
			return false
		}
		return true
	})
	if err != nil {
		return None, err
	}
	return ArrayValue(r), th.account(arraySize+arrayStorage(r), ArrayValue(r))
}

// arraySub is array - x: the elements not strictly equal to x or to any
// value of the array x; keys are kept.
func arraySub(a, b Value) Value {
	src := (*Array)(a.p)
	r := NewArray(0)
	r.makeSparse()
	src.Each(func(k Key, v Value) bool {
		drop := false
		if b.kind == KindArray {
			(*Array)(b.p).Each(func(_ Key, w Value) bool {
				if StrictEqual(v, w) {
					drop = true
					return false
				}
				return true
			})
		} else {
			drop = StrictEqual(v, b)
		}
		if !drop {
			markShared(v)
			r.set(k, v)
		}
		return true
	})
	r.next = src.next
	return ArrayValue(r)
}

func (th *thread) compare(op Opcode, a, b Value) bool {
	if a.kind == KindNumber && b.kind == KindNumber {
		x, y := a.num(), b.num()
		switch op {
		case OpLess:
			return x < y
		case OpLessEq:
			return x <= y
		case OpGreater:
			return x > y
		}
		return x >= y
	}
	c, ok := Compare(a, b)
	if !ok {
		return false
	}
	switch op {
	case OpLess:
		return c < 0
	case OpLessEq:
		return c <= 0
	case OpGreater:
		return c > 0
	}
	return c >= 0
}

func regexMatch(a, b Value) (bool, error) {
	if a.kind == KindNone {
		return false, nil
	}
	re, err := PatternOf(b)
	if err != nil {
		return false, err
	}
	var s string
	if a.kind == KindString {
		s = a.str()
	} else {
		s = a.String()
	}
	return re.MatchString(s)
}

// index reads x[k] with the HSL rules for every kind of x.
func (th *thread) index(x, k Value) (Value, error) {
	switch x.kind {
	case KindArray:
		a := (*Array)(x.p)
		if k.kind == KindNumber && a.keys == nil {
			f := k.num()
			i := int(f)
			if float64(i) == f && i >= 0 && i < len(a.vals) {
				return a.vals[i], nil
			}
		}
		key, err := ToKey(k)
		if err != nil {
			return None, err
		}
		v, _ := a.Get(key)
		return v, nil
	case KindString:
		if k.kind != KindNumber {
			return None, nil
		}
		f := k.num()
		s := x.str()
		if f < 0 || f >= float64(len(s)) || f != math.Trunc(f) {
			return None, nil
		}
		i := int(f)
		return String(s[i : i+1]), nil
	case KindObject:
		o := (*Object)(x.p)
		name := k.String()
		if v, ok := o.Prop(name); ok {
			if err := th.checkPropAccess(o, name, false); err != nil {
				return None, err
			}
			return v, nil
		}
		if m, ok := th.methodValue(o, name); ok {
			return m, nil
		}
		return None, nil
	case KindNone, KindBool, KindNumber:
		return None, nil
	}
	return None, Errorf("cannot index %s", x.TypeName())
}

// sliceBounds computes Python slice positions for a sequence of length n.
func sliceBounds(n int, lo, hi, step Value) (start, stop, st int, err error) {
	st = 1
	if step.kind != KindNone {
		st = int(math.Trunc(step.ToNumber()))
		if st == 0 {
			return 0, 0, 0, Errorf("slice step cannot be zero")
		}
	}
	clamp := func(v Value, def int) int {
		if v.kind == KindNone {
			return def
		}
		i := int(math.Max(math.Min(math.Trunc(v.ToNumber()), 1<<40), -(1 << 40)))
		if i < 0 {
			i += n
			if i < 0 {
				if st < 0 {
					return -1
				}
				return 0
			}
		}
		if i >= n {
			if st < 0 {
				return n - 1
			}
			return n
		}
		return i
	}
	if st > 0 {
		start, stop = clamp(lo, 0), clamp(hi, n)
	} else {
		start, stop = clamp(lo, n-1), clamp(hi, -1)
	}
	return start, stop, st, nil
}

func sliceIndexes(start, stop, st int) []int {
	var idx []int
	if st > 0 {
		for i := start; i < stop; i += st {
			idx = append(idx, i)
		}
	} else {
		for i := start; i > stop; i += st {
			idx = append(idx, i)
		}
	}
	return idx
}

func slice(x, lo, hi, step Value) (Value, error) {
	switch x.kind {
	case KindString:
		s := x.str()
		start, stop, st, err := sliceBounds(len(s), lo, hi, step)
		if err != nil {
			return None, err
		}
		if st == 1 {
			if start >= stop {
				return String(""), nil
			}
			return String(s[start:stop]), nil
		}
		var b []byte
		for _, i := range sliceIndexes(start, stop, st) {
			b = append(b, s[i])
		}
		return String(string(b)), nil
	case KindArray:
		a := (*Array)(x.p)
		if a.holes > 0 {
			a = a.Clone()
		}
		start, stop, st, err := sliceBounds(a.Len(), lo, hi, step)
		if err != nil {
			return None, err
		}
		var out []Value
		if st == 1 {
			if start < stop {
				out = make([]Value, stop-start)
				copy(out, a.vals[start:stop])
			}
		} else {
			for _, i := range sliceIndexes(start, stop, st) {
				out = append(out, a.vals[i])
			}
		}
		return ArrayValue(NewList(out)), nil
	}
	return None, Errorf("cannot slice %s", x.TypeName())
}
