package ffi

import (
	"fmt"
	"math"
)

// Type is a C type that FFI values, arguments and return values can have.
type Type uint8

// The C types, named as in FFI::type(). The zero Type is invalid.
const (
	Void Type = iota + 1
	Uint8
	Sint8
	Uint16
	Sint16
	Uint32
	Sint32
	Uint64
	Sint64
	Float
	Double
	Pointer
	// Variadic is the "..." marker that ends a variadic parameter list.
	Variadic
)

var typeNames = [...]string{
	Void:     "void",
	Uint8:    "uint8",
	Sint8:    "sint8",
	Uint16:   "uint16",
	Sint16:   "sint16",
	Uint32:   "uint32",
	Sint32:   "sint32",
	Uint64:   "uint64",
	Sint64:   "sint64",
	Float:    "float",
	Double:   "double",
	Pointer:  "pointer",
	Variadic: "...",
}

// ParseType returns the type that FFI::type(name) names.
func ParseType(name string) (Type, error) {
	for t, n := range typeNames {
		if n == name && t != 0 {
			return Type(t), nil
		}
	}
	return 0, fmt.Errorf("unknown type %q", name)
}

func (t Type) String() string {
	if int(t) < len(typeNames) && t != 0 {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// Size returns the size in bytes of a value of type t, 0 for void and "...".
func (t Type) Size() int {
	switch t {
	case Uint8, Sint8:
		return 1
	case Uint16, Sint16:
		return 2
	case Uint32, Sint32, Float:
		return 4
	case Uint64, Sint64, Double, Pointer:
		return 8
	}
	return 0
}

// IsInteger reports whether t is one of the eight integer types.
func (t Type) IsInteger() bool { return t >= Uint8 && t <= Sint64 }

// IsFloating reports whether t is float or double.
func (t Type) IsFloating() bool { return t == Float || t == Double }

// isValue reports whether values of type t exist: every type but void and "...".
func (t Type) isValue() bool { return t >= Uint8 && t <= Pointer }

func (t Type) signed() bool {
	return t == Sint8 || t == Sint16 || t == Sint32 || t == Sint64
}

// narrow truncates the 64-bit word w to the width of t and extends it back
// to 64 bits, with the sign for signed types. A C function returns narrow
// integers in a full register whose upper bits are unspecified, and this is
// how such a result gets its declared value.
func (t Type) narrow(w uint64) uint64 {
	switch t {
	case Uint8:
		return uint64(uint8(w))
	case Sint8:
		return uint64(int64(int8(w)))
	case Uint16:
		return uint64(uint16(w))
	case Sint16:
		return uint64(int64(int16(w)))
	case Uint32, Float:
		return uint64(uint32(w))
	case Sint32:
		return uint64(int64(int32(w)))
	}
	return w
}

// fromNumber converts the HSL number x to the bits of a value of type t:
// integers are truncated toward zero and wrapped modulo 2^width, float is
// rounded to float32. NaN and infinities are invalid for integer and
// pointer types.
func (t Type) fromNumber(x float64) (uint64, error) {
	switch t {
	case Float:
		return uint64(math.Float32bits(float32(x))), nil
	case Double:
		return math.Float64bits(x), nil
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("%v cannot be converted to %s", x, t)
	}
	return t.narrow(wrap64(x)), nil
}

// wrap64 truncates x toward zero and reduces it modulo 2^64.
func wrap64(x float64) uint64 {
	if x > -(1<<63) && x < 1<<63 {
		return uint64(int64(x)) // the conversion truncates toward zero
	}
	const two64 = 1 << 64
	m := math.Mod(math.Trunc(x), two64) // in (-2^64, 2^64), exact
	switch {
	case m >= 1<<63:
		return uint64(m)
	case m >= -(1 << 63):
		return uint64(int64(m))
	default:
		// m is in (-2^64, -2^63) and m+2^64 is exact in float64 because
		// m is a multiple of 2^11 in that range.
		return uint64(m + two64)
	}
}

// toNumber converts the bits of a value of type t to an HSL number.
// 64-bit integers above 2^53 lose precision, which FFI::number64 avoids.
func (t Type) toNumber(bits uint64) float64 {
	switch t {
	case Float:
		return float64(math.Float32frombits(uint32(bits)))
	case Double:
		return math.Float64frombits(bits)
	}
	if t.signed() {
		return float64(int64(bits))
	}
	return float64(bits)
}
