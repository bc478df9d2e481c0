package vm

import "unsafe"

// rootRef returns the storage of a path root. ok is false for a root that
// is not addressable ($this), whose value comes back in val instead.
func (th *thread) rootRef(root int32, fr *frame) (ref *Value) {
	slot := int(root & 0xffffff)
	switch root >> 24 {
	case RootLocal:
		return &th.stack[fr.bp+slot]
	case RootCell:
		return (*Value)(th.stack[fr.bp+slot].p)
	case RootFree:
		return fr.fn.cells[slot]
	case RootGlobal:
		return &th.globals[fr.proto.Module][slot]
	case RootStatic:
		return &th.statics[slot]
	}
	v := None
	if fr.this != nil {
		v = ObjectValue(fr.this)
	}
	return &v
}

func (th *thread) rootName(root int32, fr *frame) string {
	slot := int(root & 0xffffff)
	switch root >> 24 {
	case RootLocal, RootCell:
		return fr.proto.LocalNames[slot]
	case RootGlobal:
		return th.prog.modules[fr.proto.Module].Globals[slot]
	}
	return "this"
}

// pathOp executes the path instructions (element and property writes,
// isset, unset, slice writes) and returns the new stack top.
func (th *thread) pathOp(in Instr, fr *frame, sp int) (int, error) {
	n := int(in.B & 0xff)
	stack := th.stack
	ref := th.rootRef(in.A, fr)
	switch in.Op {
	case OpSetPath:
		keys := stack[sp-n : sp]
		v := stack[sp-n-1]
		if err := th.assign(ref, keys, v); err != nil {
			return sp, err
		}
		return sp - n, nil
	case OpUpdatePath:
		keys := stack[sp-n : sp]
		rhs := stack[sp-n-1]
		if n == 0 && ref.kind == kindUndef {
			return sp, Errorf("undefined variable $%s", th.rootName(in.A, fr))
		}
		r, err := th.update(ref, keys, rhs, (in.B>>8)&0xff|in.B&^0xffff)
		if err != nil {
			return sp, err
		}
		stack[sp-n-1] = r
		return sp - n, nil
	case OpIssetPath:
		keys := stack[sp-n : sp]
		ok := th.isset(*ref, keys)
		sp -= n
		stack[sp] = Bool(ok)
		return sp + 1, nil
	case OpUnsetPath:
		keys := stack[sp-n : sp]
		ok, err := th.unset(ref, keys)
		if err != nil {
			return sp, err
		}
		sp -= n
		stack[sp] = Bool(ok)
		return sp + 1, nil
	case OpSetSlice, OpUnsetSlice:
		lo, hi := None, None
		if in.B&(1<<9) != 0 {
			sp--
			hi = stack[sp]
		}
		if in.B&(1<<8) != 0 {
			sp--
			lo = stack[sp]
		}
		keys := stack[sp-n : sp]
		if in.Op == OpUnsetSlice {
			ok, err := th.sliceWrite(ref, keys, lo, hi, None, true)
			if err != nil {
				return sp, err
			}
			sp -= n
			stack[sp] = Bool(ok)
			return sp + 1, nil
		}
		v := stack[sp-n-1]
		if _, err := th.sliceWrite(ref, keys, lo, hi, v, false); err != nil {
			return sp, err
		}
		return sp - n, nil
	}
	return sp, Errorf("internal error: bad path opcode")
}

// container prepares *ref for a write through key: objects stay, arrays
// are made unshared, anything else becomes a new array. The caller
// accounts the copy or the new array with accountWrite.
func (th *thread) container(ref *Value) (*Array, *Object) {
	switch ref.kind {
	case KindObject:
		return nil, (*Object)(ref.p)
	case KindArray:
		a := (*Array)(ref.p)
		if a.shared {
			a = a.Clone()
			*ref = Value{kind: KindArray, p: unsafe.Pointer(a)}
		}
		return a, nil
	}
	a := NewArray(0)
	*ref = Value{kind: KindArray, p: unsafe.Pointer(a)}
	return a, nil
}

// arrayCap returns the array v references with the capacity of its
// values, for accountWrite.
func arrayCap(v Value) (*Array, int) {
	if v.kind != KindArray {
		return nil, 0
	}
	a := (*Array)(v.p)
	return a, cap(a.vals)
}

// accountWrite accounts the storage a write into arr added: all of arr
// when container copied or created it (arr is not old), else the new
// slices when the write reallocated them (the capacity is not oldCap).
func (th *thread) accountWrite(arr, old *Array, oldCap int) error {
	if arr != old {
		return th.account(arraySize+arrayStorage(arr), None)
	}
	return th.accountGrowth(arr, oldCap)
}

// assign performs ref[k1]...[kn] = v.
func (th *thread) assign(ref *Value, keys []Value, v Value) error {
	if len(keys) == 0 {
		markShared(v)
		*ref = v
		return nil
	}
	k := keys[0]
	old, oldCap := arrayCap(*ref)
	arr, obj := th.container(ref)
	if obj != nil {
		name := k.String()
		if k.kind == kindProp {
			name = k.str()
		}
		if len(keys) == 1 {
			return th.setProp(obj, name, v)
		}
		if err := th.checkPropAccess(obj, name, true); err != nil {
			return err
		}
		child, _ := obj.Prop(name)
		if err := th.assign(&child, keys[1:], v); err != nil {
			return err
		}
		return th.setProp(obj, name, child)
	}
	if k.kind == kindProp {
		return Errorf("cannot set property '%s' of array", k.str())
	}
	if k.kind == kindAppend {
		child := undef
		if len(keys) == 1 {
			markShared(v)
			child = v
		} else if err := th.assign(&child, keys[1:], v); err != nil {
			return err
		}
		if err := arr.appendValue(child); err != nil {
			return err
		}
		return th.accountWrite(arr, old, oldCap)
	}
	key, err := ToKey(k)
	if err != nil {
		return err
	}
	if len(keys) == 1 {
		markShared(v)
		arr.set(key, v)
		return th.accountWrite(arr, old, oldCap)
	}
	child, ok := arr.Get(key)
	if !ok {
		child = undef
	}
	if err := th.assign(&child, keys[1:], v); err != nil {
		return err
	}
	arr.set(key, child)
	return th.accountWrite(arr, old, oldCap)
}

// update performs ref[k1]...[kn] op= rhs (or ++/--) and returns the
// expression's value.
func (th *thread) update(ref *Value, keys []Value, rhs Value, flags int32) (Value, error) {
	if len(keys) == 0 {
		return th.updateLeaf(ref, rhs, flags, ref.kind == kindUndef)
	}
	k := keys[0]
	old, oldCap := arrayCap(*ref)
	arr, obj := th.container(ref)
	if obj != nil {
		name := k.String()
		if k.kind == kindProp {
			name = k.str()
		}
		if err := th.checkPropAccess(obj, name, true); err != nil {
			return None, err
		}
		child, ok := obj.Prop(name)
		if !ok {
			child = undef
		}
		r, err := th.update(&child, keys[1:], rhs, flags)
		if err != nil {
			return None, err
		}
		return r, th.setProp(obj, name, child)
	}
	if k.kind == kindProp {
		return None, Errorf("cannot set property '%s' of array", k.str())
	}
	if k.kind == kindAppend {
		child := undef
		r, err := th.update(&child, keys[1:], rhs, flags)
		if err != nil {
			return None, err
		}
		if err := arr.appendValue(child); err != nil {
			return None, err
		}
		return r, th.accountWrite(arr, old, oldCap)
	}
	key, err := ToKey(k)
	if err != nil {
		return None, err
	}
	child, ok := arr.Get(key)
	if !ok {
		child = undef
	}
	r, err := th.update(&child, keys[1:], rhs, flags)
	if err != nil {
		return None, err
	}
	arr.set(key, child)
	return r, th.accountWrite(arr, old, oldCap)
}

// updateLeaf applies the operator to *ref. A missing element (undef)
// counts as 0, "" or [] depending on the operator and right side.
func (th *thread) updateLeaf(ref *Value, rhs Value, flags int32, missing bool) (Value, error) {
	op := Opcode(flags & 0xff)
	old := *ref
	if missing {
		switch {
		case flags&UpdIncDec != 0:
			old = Number(0)
		case op == OpConcat:
			old = String("")
		case op == OpAdd && rhs.kind == KindArray:
			old = ArrayValue(NewArray(0))
		default:
			old = Number(0)
		}
	}
	var nv Value
	var err error
	if flags&UpdIncDec != 0 {
		old = Number(old.ToNumber())
		nv, err = th.arith(op, old, rhs)
	} else {
		nv, err = th.arith(op, old, rhs)
	}
	if err != nil {
		return None, err
	}
	if op == OpConcat && old.kind == KindString {
		nv = growable(old, nv)
	}
	markShared(nv)
	*ref = nv
	if flags&UpdPostfix != 0 {
		return old, nil
	}
	return nv, nil
}

// isset reports whether every key of the path exists.
func (th *thread) isset(v Value, keys []Value) bool {
	if v.kind == kindUndef {
		return false
	}
	for _, k := range keys {
		switch v.kind {
		case KindArray:
			if k.kind == kindProp {
				return false
			}
			key, err := ToKey(k)
			if err != nil {
				return false
			}
			var ok bool
			if v, ok = (*Array)(v.p).Get(key); !ok {
				return false
			}
		case KindObject:
			name := k.String()
			if k.kind == kindProp {
				name = k.str()
			}
			o := (*Object)(v.p)
			var ok bool
			if v, ok = o.Prop(name); !ok {
				if _, ok := th.methodValue(o, name); ok {
					v = True
					continue
				}
				return false
			}
		case KindString:
			if k.kind != KindNumber {
				return false
			}
			f := k.num()
			if f < 0 || f >= float64(v.u) || f != float64(int(f)) {
				return false
			}
			v = String("")
		default:
			return false
		}
	}
	return true
}

// unset removes the variable or the last key of the path.
func (th *thread) unset(ref *Value, keys []Value) (bool, error) {
	if len(keys) == 0 {
		was := ref.kind != kindUndef
		*ref = undef
		return was, nil
	}
	switch ref.kind {
	case KindArray, KindObject:
	default:
		return false, nil
	}
	k := keys[0]
	if ref.kind == KindObject {
		o := (*Object)(ref.p)
		name := k.String()
		if k.kind == kindProp {
			name = k.str()
		}
		if len(keys) == 1 {
			if err := th.checkPropAccess(o, name, true); err != nil {
				return false, err
			}
			return o.DeleteProp(name), nil
		}
		child, ok := o.Prop(name)
		if !ok {
			return false, nil
		}
		r, err := th.unset(&child, keys[1:])
		if err != nil || !r {
			return r, err
		}
		return true, th.setProp(o, name, child)
	}
	if k.kind == kindProp || k.kind == kindAppend {
		return false, nil
	}
	key, err := ToKey(k)
	if err != nil {
		return false, nil
	}
	if !(*Array)(ref.p).Has(key) {
		return false, nil
	}
	old, oldCap := arrayCap(*ref)
	arr, _ := th.container(ref)
	if len(keys) == 1 {
		return arr.Delete(key), th.accountWrite(arr, old, oldCap)
	}
	child, _ := arr.Get(key)
	r, err := th.unset(&child, keys[1:])
	if err != nil {
		return false, err
	}
	arr.set(key, child)
	return r, th.accountWrite(arr, old, oldCap)
}

// sliceWrite performs `$a[lo:hi] = v` or `unset($a[lo:hi])` on the value
// at the end of the path.
func (th *thread) sliceWrite(ref *Value, keys []Value, lo, hi, v Value, remove bool) (bool, error) {
	if len(keys) > 0 {
		old, oldCap := arrayCap(*ref)
		arr, obj := th.container(ref)
		k := keys[0]
		if obj != nil {
			name := k.String()
			if k.kind == kindProp {
				name = k.str()
			}
			child, _ := obj.Prop(name)
			r, err := th.sliceWrite(&child, keys[1:], lo, hi, v, remove)
			if err != nil {
				return false, err
			}
			return r, th.setProp(obj, name, child)
		}
		key, err := ToKey(k)
		if err != nil {
			return false, err
		}
		child, _ := arr.Get(key)
		r, err := th.sliceWrite(&child, keys[1:], lo, hi, v, remove)
		if err != nil {
			return false, err
		}
		arr.set(key, child)
		return r, th.accountWrite(arr, old, oldCap)
	}

	if ref.kind == KindString {
		s := ref.str()
		start, stop, _, err := sliceBounds(len(s), lo, hi, None)
		if err != nil {
			return false, err
		}
		if stop < start {
			stop = start
		}
		ins := ""
		if !remove {
			ins = v.String()
		}
		*ref = String(s[:start] + ins + s[stop:])
		return stop > start, th.account(int64(ref.u), None)
	}
	if ref.kind != KindArray {
		if remove {
			return false, nil
		}
		*ref = ArrayValue(NewArray(0))
	}
	src := (*Array)(ref.p)
	keysIn := src.Keys()
	vals := src.Values()
	start, stop, _, err := sliceBounds(len(vals), lo, hi, None)
	if err != nil {
		return false, err
	}
	if stop < start {
		stop = start
	}
	out := NewArray(len(vals))
	add := func(k Key, x Value) {
		markShared(x)
		if k.isStr {
			out.set(k, x)
		} else {
			out.appendValue(x)
		}
	}
	for i := 0; i < start; i++ {
		add(keysIn[i], vals[i])
	}
	if !remove {
		if v.kind == KindArray {
			(*Array)(v.p).Each(func(k Key, x Value) bool {
				add(k, x)
				return true
			})
		} else {
			add(Key{}, v)
		}
	}
	for i := stop; i < len(vals); i++ {
		add(keysIn[i], vals[i])
	}
	*ref = ArrayValue(out)
	return stop > start, th.account(arraySize+arrayStorage(out), None)
}
