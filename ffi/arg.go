package ffi

import "fmt"

// Arg is one HSL value handed to a C call, to NewNumber or returned from a
// callback. It mirrors the HSL value kinds that FFI accepts, so that errors
// can name the kind a script passed.
type Arg struct {
	kind   argKind
	number float64
	bits   uint64 // a [high, low] pair joined into 64 bits
	str    string // the string, or the HSL type name of an unsupported value
	value  *Value
}

type argKind uint8

const (
	argNone argKind = iota
	argNumber
	argString
	argPair
	argValue
	argOther
)

// NumberArg is an HSL number.
func NumberArg(x float64) Arg { return Arg{kind: argNumber, number: x} }

// StringArg is an HSL string.
func StringArg(s string) Arg { return Arg{kind: argString, str: s} }

// NoneArg is HSL none; it passes NULL for a pointer.
func NoneArg() Arg { return Arg{kind: argNone} }

// PairArg is an HSL array [high, low]: the two 32-bit halves of an exact
// 64-bit integer.
func PairArg(high, low uint32) Arg {
	return Arg{kind: argPair, bits: uint64(high)<<32 | uint64(low)}
}

// ValueArg is an FFIValue. A nil v is the same as NoneArg.
func ValueArg(v *Value) Arg {
	if v == nil {
		return NoneArg()
	}
	return Arg{kind: argValue, value: v}
}

// OtherArg is an HSL value FFI never accepts (a boolean, an object, ...);
// typeName names its type in the error.
func OtherArg(typeName string) Arg { return Arg{kind: argOther, str: typeName} }

// typeName describes the argument in an error message.
func (a Arg) typeName() string {
	switch a.kind {
	case argNone:
		return "none"
	case argNumber:
		return "number"
	case argString:
		return "string"
	case argPair:
		return "array"
	case argValue:
		return fmt.Sprintf("FFIValue of type %s", a.value.typ)
	}
	return a.str
}
