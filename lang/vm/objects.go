package vm

// checkPropAccess enforces private and readonly members of HSL classes.
// The caller's class is that of the innermost frame.
func (th *thread) checkPropAccess(o *Object, name string, write bool) error {
	def := o.class.user
	if def == nil {
		return nil
	}
	v, ok := def.Vars[name]
	if !ok || v.Static {
		return nil
	}
	inside := th.callerClass() == o.class
	if v.Private && !inside {
		return Errorf("cannot access private variable %s->%s", o.class.Name, name)
	}
	if write && v.Readonly && !inside {
		return Errorf("cannot write readonly variable %s->%s", o.class.Name, name)
	}
	return nil
}

func (th *thread) callerClass() *Class {
	if n := len(th.frames); n > 0 {
		return th.frames[n-1].proto.Class
	}
	return nil
}

// methodValue returns a bound method of o by name.
func (th *thread) methodValue(o *Object, name string) (Value, bool) {
	if def := o.class.user; def != nil {
		m, ok := def.Methods[name]
		if !ok || m.Static {
			return None, false
		}
		if m.Private && th.callerClass() != o.class {
			return None, false
		}
		return FunctionValue(&Function{proto: m.Proto, this: o}), true
	}
	if fn, ok := o.class.Methods[name]; ok {
		return FunctionValue(&Function{method: fn, this: o, mname: name}), true
	}
	return None, false
}

// getProp reads obj->name.
func (th *thread) getProp(x Value, name string, caller *Class) (Value, error) {
	if x.kind != KindObject {
		if x.kind == KindNone {
			return None, nil
		}
		return None, Errorf("cannot read property '%s' of %s", name, x.TypeName())
	}
	o := (*Object)(x.p)
	if v, ok := o.Prop(name); ok {
		if err := th.checkPropAccess(o, name, false); err != nil {
			return None, err
		}
		return v, nil
	}
	if def := o.class.user; def != nil {
		if m, ok := def.Methods[name]; ok && !m.Static {
			if m.Private && caller != o.class {
				return None, Errorf("cannot access private method %s->%s", o.class.Name, name)
			}
			return FunctionValue(&Function{proto: m.Proto, this: o}), nil
		}
	} else if fn, ok := o.class.Methods[name]; ok {
		return FunctionValue(&Function{method: fn, this: o, mname: name}), nil
	}
	return None, nil
}

// lookupMethod resolves recv->name(...). An HSL method comes back as its
// definition (called in the interpreter loop); anything else as a
// function value.
func (th *thread) lookupMethod(recv Value, name string, caller *Class) (*MethodDef, Value, error) {
	if recv.kind != KindObject {
		return nil, None, Errorf("cannot call method '%s' on %s", name, recv.TypeName())
	}
	o := (*Object)(recv.p)
	if def := o.class.user; def != nil {
		if m, ok := def.Methods[name]; ok && !m.Static {
			if m.Private && caller != o.class {
				return nil, None, Errorf("cannot call private method %s->%s()", o.class.Name, name)
			}
			return m, None, nil
		}
		if v, ok := o.Prop(name); ok && v.kind == KindFunction {
			return nil, v, nil
		}
		return nil, None, Errorf("%s has no method '%s'", o.class.Name, name)
	}
	if fn, ok := o.class.Methods[name]; ok {
		return nil, FunctionValue(&Function{method: fn, this: o, mname: name}), nil
	}
	if v, ok := o.Prop(name); ok && v.kind == KindFunction {
		return nil, v, nil
	}
	return nil, None, Errorf("%s has no method '%s'", o.class.Name, name)
}

// setProp writes obj->name = v with the access rules.
func (th *thread) setProp(o *Object, name string, v Value) error {
	if err := th.checkPropAccess(o, name, true); err != nil {
		return err
	}
	markShared(v)
	if o.props == nil {
		o.props = NewArray(0)
	}
	oldCap := cap(o.props.vals)
	o.props.set(StrKey(name), v)
	return th.accountGrowth(o.props, oldCap)
}
