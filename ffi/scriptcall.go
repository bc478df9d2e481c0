package ffi

import (
	"errors"
	"runtime"

	"github.com/halonsh/halonsh/lang/vm"
)

// callFromScript calls f with HSL arguments.
func callFromScript(c *vm.Call, f *Function, args []vm.Value) (vm.Value, error) {
	var bits uint64
	var err error
	if callbacksCreated.Load() {
		s := sessionOf(c)
		s.scriptCalls = append(s.scriptCalls, c)
		bits, err = f.invokeScript(s, args)
		s.scriptCalls = s.scriptCalls[:len(s.scriptCalls)-1]
	} else {
		bits, err = f.invokeScript(nil, args)
	}

	if err != nil {
		var scriptErr *vm.Error
		if errors.As(err, &scriptErr) {
			return vm.None, scriptErr // an exception a callback raised travels on unchanged
		}
		return vm.None, &vm.Error{Message: err.Error(), Err: err}
	}
	if f.resultIsNil(bits) {
		return vm.None, nil
	}
	return newBoxedValue(f.ret, bits), nil
}

// invokeScript is invoke for HSL arguments. It converts the common ones
// straight from the HSL values and the rest, errors included, through
// argOf and convertArg.
func (f *Function) invokeScript(s *Session, args []vm.Value) (uint64, error) {
	if err := f.checkCount(len(args)); err != nil {
		return 0, err
	}
	fr, own := f.acquireFrame()
	defer f.releaseFrame(fr, own)

	// With a register plan, each argument goes straight to its register.
	slots := f.registerSlots
	for i, v := range args {
		t, bits, ok := f.convertValue(fr, i, v)
		if !ok {
			var err error
			t, bits, err = f.convertArg(fr, i, argOf(v))
			if err != nil {
				return 0, err
			}
		}
		if slots != nil {
			fr.registers.words[slots[i]] = bits
			continue
		}
		fr.types[i], fr.words[i] = t, bits
	}

	var result uint64
	var err error
	if slots != nil {
		fr.registers.fn = f.addr
		fr.registers.nfloats = f.registerFloats
		result, err = f.callLoadedRegisters(s, fr)
	} else {
		result, err = f.perform(s, fr, len(args))
	}
	runtime.KeepAlive(args) // the FFIValues and the memory they own stay valid during the call
	return result, err
}

// convertValue converts argument i as convertArg does, for a number passed
// to a number parameter, a string or none passed to a pointer parameter,
// and an FFIValue that needs no check beyond its type. It reports false
// for every other argument and for a number that does not convert.
func (f *Function) convertValue(fr *frame, i int, v vm.Value) (t Type, bits uint64, ok bool) {
	if i >= len(f.params) {
		if p := ffiValueOf(v); p != nil {
			return p.typ, p.Bits(), true
		}
		return 0, 0, false
	}

	t = f.params[i]
	switch v.Kind() {
	case vm.KindNumber:
		if t == Pointer {
			return 0, 0, false
		}
		bits, err := t.fromNumber(v.Num())
		return t, bits, err == nil
	case vm.KindString:
		if t == Pointer {
			return t, uint64(fr.cString(v.Str())), true
		}
	case vm.KindNone:
		if t == Pointer {
			return t, 0, true
		}
	case vm.KindResource:
		if p := ffiValueOf(v); p != nil && p.typ == t {
			return t, p.Bits(), true
		}
	}
	return 0, 0, false
}

// ffiValueOf returns the value of an FFIValue resource, or nil.
func ffiValueOf(v vm.Value) *Value {
	if v.Kind() != vm.KindResource {
		return nil
	}
	p, _ := v.Resource().Data.(*Value)
	return p
}

// boxedValue is an FFIValue resource and its value in one allocation,
// which saves an allocation on every C call from a script.
type boxedValue struct {
	resource vm.Resource
	value    Value
}

// newBoxedValue returns an FFIValue resource of type t holding bits.
func newBoxedValue(t Type, bits uint64) vm.Value {
	box := &boxedValue{value: Value{typ: t, bits: bits}}
	box.resource = vm.Resource{Type: valueResourceName, Data: &box.value}
	return vm.ResourceValue(&box.resource)
}
