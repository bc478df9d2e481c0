package vm

// iterator walks a foreach snapshot: an array (never changed in place
// while iterated, because the array is marked shared) or the entries an
// object's class produced.
type iterator struct {
	arr  *Array
	pos  int
	keys []Value
	vals []Value
}

func (th *thread) newIterator(x Value) (*iterator, error) {
	switch x.kind {
	case KindArray:
		a := (*Array)(x.p)
		markShared(x)
		return &iterator{arr: a}, nil
	case KindObject:
		o := (*Object)(x.p)
		if o.class.Iterate == nil {
			return nil, Errorf("cannot iterate %s", o.class.Name)
		}
		it := &iterator{}
		c := &Call{th: th, name: o.class.Name}
		err := o.class.Iterate(c, o, func(k, v Value) bool {
			it.keys = append(it.keys, k)
			it.vals = append(it.vals, v)
			return true
		})
		if err != nil {
			return nil, err
		}
		return it, nil
	}
	return nil, Errorf("cannot iterate %s", x.TypeName())
}

func (it *iterator) next() (Value, Value, bool) {
	if a := it.arr; a != nil {
		for it.pos < len(a.vals) {
			i := it.pos
			it.pos++
			if a.keys == nil {
				return Number(float64(i)), a.vals[i], true
			}
			k := a.keys[i]
			if k.dead {
				continue
			}
			if k.isStr {
				return String(k.s), a.vals[i], true
			}
			return Number(float64(k.i)), a.vals[i], true
		}
		return None, None, false
	}
	if it.pos < len(it.vals) {
		i := it.pos
		it.pos++
		return it.keys[i], it.vals[i], true
	}
	return None, None, false
}
