package vm

// refersToRunStart reports whether code of the modules, or an initial
// value, refers to a builtin marked with Library.MarkRunStart: directly,
// or through a function, closure, class or cache site whose code does.
// Builtins are bound at compile time and scripts cannot call a function
// by its name, so every builtin a run can call is a constant somewhere in
// this tree (host-supplied function values aside, see Call.RunStart).
func refersToRunStart(mods []*Module, statics []Value) bool {
	w := runStartWalk{protos: map[*Proto]bool{}, classes: map[*ClassDef]bool{}}
	for _, m := range mods {
		if w.proto(m.Init) || w.values(m.initial) {
			return true
		}
	}
	return w.values(statics)
}

// runStartWalk visits each proto and class once, because recursive
// functions and classes refer to themselves.
type runStartWalk struct {
	protos  map[*Proto]bool
	classes map[*ClassDef]bool
}

func (w *runStartWalk) proto(p *Proto) bool {
	if p == nil || w.protos[p] {
		return false
	}
	w.protos[p] = true
	return w.values(p.Consts) || w.values(p.Defaults)
}

func (w *runStartWalk) values(vs []Value) bool {
	for _, v := range vs {
		if w.value(v) {
			return true
		}
	}
	return false
}

func (w *runStartWalk) value(v Value) bool {
	switch v.kind {
	case KindFunction:
		f := v.Function()
		if f.builtin != nil && f.builtin.runStart {
			return true
		}
		if f.class != nil && w.class(f.class.user) {
			return true
		}
		return w.proto(f.proto)
	case KindResource:
		if site, ok := v.Resource().Data.(*CacheSite); ok {
			return w.value(site.Fn)
		}
	case KindArray:
		// Constant arrays may hold function values.
		found := false
		v.Array().Each(func(_ Key, x Value) bool {
			found = w.value(x)
			return !found
		})
		return found
	}
	return false
}

func (w *runStartWalk) class(def *ClassDef) bool {
	if def == nil || w.classes[def] {
		return false
	}
	w.classes[def] = true
	if w.proto(def.Ctor) {
		return true
	}
	for _, m := range def.Methods {
		if w.proto(m.Proto) {
			return true
		}
	}
	for _, v := range def.Vars {
		if w.value(v.Init) {
			return true
		}
	}
	return false
}
