package vm

import (
	"math"
	"strings"
	"unsafe"
)

// Kind is the type of a Value as HSL scripts see it.
type Kind uint8

const (
	KindNone Kind = iota
	KindBool
	KindNumber
	KindString
	KindArray
	KindFunction
	KindObject
	KindRegex
	KindResource
)

var kindNames = [...]string{"none", "boolean", "number", "string", "array", "function", "object", "regex", "resource"}

// String returns the type name used in error messages ("number", "array").
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

// Value is one HSL value. It is a small struct passed by value: none,
// booleans, numbers and strings are stored inline and never allocate
// when copied; arrays, functions, objects, regexes and resources point to
// their heap data.
//
// The zero Value is none.
type Value struct {
	kind Kind
	// buf marks a string whose bytes live in a *strBuf (p) that may grow
	// in place; u is still the length.
	buf bool
	// u holds the float64 bits of a number, 0/1 for a boolean and the byte
	// length of a string.
	u uint64
	// p points to the string bytes, the *strBuf, or the *Array, *Function,
	// *Object, *Regex or *Resource.
	p unsafe.Pointer
}

// strBuf is the backing store of a string grown by `.=`. Bytes below
// len(data) are never written again, so every Value that references the
// buffer with a length ≤ len(data) reads an immutable prefix. Only the
// Value whose length equals len(data) may append in place.
type strBuf struct {
	data []byte
}

// None is the HSL value none.
var None = Value{}

// True and False are the two booleans.
var (
	True  = Value{kind: KindBool, u: 1}
	False = Value{kind: KindBool}
)

// Bool returns the boolean b.
func Bool(b bool) Value {
	if b {
		return True
	}
	return False
}

// Number returns the number f.
func Number(f float64) Value {
	return Value{kind: KindNumber, u: math.Float64bits(f)}
}

// Int returns the number i; integers beyond 2^53 lose precision.
func Int(i int) Value {
	return Number(float64(i))
}

// String returns a string value that shares s's bytes.
func String(s string) Value {
	return Value{kind: KindString, u: uint64(len(s)), p: unsafe.Pointer(unsafe.StringData(s))}
}

// Bytes returns a string value holding a copy of b.
func Bytes(b []byte) Value {
	return String(string(b))
}

// ArrayValue returns a value referencing a. The array follows value
// semantics from then on: see Array for the copy-on-write rules.
func ArrayValue(a *Array) Value {
	return Value{kind: KindArray, p: unsafe.Pointer(a)}
}

// FunctionValue returns a value referencing f.
func FunctionValue(f *Function) Value {
	return Value{kind: KindFunction, p: unsafe.Pointer(f)}
}

// ObjectValue returns a value referencing o.
func ObjectValue(o *Object) Value {
	return Value{kind: KindObject, p: unsafe.Pointer(o)}
}

// RegexValue returns a value referencing r.
func RegexValue(r *Regex) Value {
	return Value{kind: KindRegex, p: unsafe.Pointer(r)}
}

// ResourceValue returns a value referencing r.
func ResourceValue(r *Resource) Value {
	return Value{kind: KindResource, p: unsafe.Pointer(r)}
}

// Kind returns the type of v.
func (v Value) Kind() Kind { return v.kind }

// TypeName returns the name used in error messages: the kind name, or for
// a resource its type name.
func (v Value) TypeName() string {
	if v.kind == KindResource {
		return v.Resource().Type
	}
	return v.kind.String()
}

// IsNone reports whether v is none.
func (v Value) IsNone() bool { return v.kind == KindNone }

// Bool returns the boolean stored in v, false when v is not a boolean.
// Use Truthy for the HSL conversion.
func (v Value) Bool() bool { return v.kind == KindBool && v.u != 0 }

// Num returns the number stored in v, 0 when v is not a number. Use
// ToNumber for the HSL conversion.
func (v Value) Num() float64 {
	if v.kind != KindNumber {
		return 0
	}
	return math.Float64frombits(v.u)
}

// Str returns the bytes of a string value, "" when v is not a string. Use
// String for the display form of any value.
func (v Value) Str() string {
	if v.kind != KindString {
		return ""
	}
	return v.str()
}

// str returns the bytes of a value known to be a string.
func (v Value) str() string {
	if v.u == 0 {
		return ""
	}
	if v.buf {
		b := (*strBuf)(v.p)
		return unsafe.String(unsafe.SliceData(b.data), int(v.u))
	}
	return unsafe.String((*byte)(v.p), int(v.u))
}

// num returns the number of a value known to be a number.
func (v Value) num() float64 { return math.Float64frombits(v.u) }

// Array returns the array v references, nil when v is not an array. The
// array may be shared with other values: do not change it without Clone.
func (v Value) Array() *Array {
	if v.kind != KindArray {
		return nil
	}
	return (*Array)(v.p)
}

// Function returns the function v references, nil when v is not a function.
func (v Value) Function() *Function {
	if v.kind != KindFunction {
		return nil
	}
	return (*Function)(v.p)
}

// Object returns the object v references, nil when v is not an object.
func (v Value) Object() *Object {
	if v.kind != KindObject {
		return nil
	}
	return (*Object)(v.p)
}

// Regex returns the regex v references, nil when v is not a regex.
func (v Value) Regex() *Regex {
	if v.kind != KindRegex {
		return nil
	}
	return (*Regex)(v.p)
}

// Resource returns the resource v references, nil when v is not a resource.
func (v Value) Resource() *Resource {
	if v.kind != KindResource {
		return nil
	}
	return (*Resource)(v.p)
}

// Resource is an opaque host handle (X509Resource, FFIValue, ...). Copies
// of a resource value name the same handle.
type Resource struct {
	// Type is the resource type name shown by string() and in errors.
	Type string
	// Data is the host's payload.
	Data any
}

// appendString returns the string value a . b. When a is the newest
// value of a growable buffer, the bytes are appended in place, so a loop of
// `$s .= x` costs amortized O(len(x)) per append.
func appendString(a Value, b string) Value {
	n := int(a.u)
	if a.buf {
		sb := (*strBuf)(a.p)
		if len(sb.data) == n {
			sb.data = append(sb.data, b...)
			return Value{kind: KindString, buf: true, u: uint64(len(sb.data)), p: unsafe.Pointer(sb)}
		}
	}
	if n+len(b) < 64 {
		return String(a.str() + b)
	}
	data := make([]byte, 0, (n+len(b))*2)
	data = append(data, a.str()...)
	data = append(data, b...)
	sb := &strBuf{data: data}
	return Value{kind: KindString, buf: true, u: uint64(len(data)), p: unsafe.Pointer(sb)}
}

// growable returns nv, the result of `old .= x`, with a buffer that has
// room to grow when nv is a long plain string, so that the next appends to
// the same variable are in place instead of copies.
func growable(old, nv Value) Value {
	if !old.buf && nv.kind == KindString && !nv.buf && nv.u >= 64 {
		return appendString(String(""), nv.str())
	}
	return nv
}

// detach returns v with any growable string buffer replaced by a plain
// string, so the value can be handed to another goroutine.
func (v Value) detach() Value {
	if v.kind == KindString && v.buf {
		return String(strings.Clone(v.str()))
	}
	return v
}

func unsafePointer(v *Value) unsafe.Pointer { return unsafe.Pointer(v) }

// AppendKey returns the marker of an empty index (`$a[] = v`) in a
// compiled path.
func AppendKey() Value { return Value{kind: kindAppend} }
