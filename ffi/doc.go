// Package ffi calls functions in C shared libraries from HSL scripts, on
// github.com/ebitengine/purego and without cgo code of its own.
//
// The Go layer has four parts:
//
//   - Library and Config open a shared library with dlopen semantics,
//     once per process, subject to an allow-list.
//   - Function calls a C function from a declared signature. Arguments
//     are HSL values (Arg) converted by the declared Types; the result is a
//     Value.
//   - Value is a C number or pointer. Allocate, CString, ByRef, Deref,
//     Offset, Memcpy and ReadString work on C memory, which always comes
//     from libc calloc, so C code can keep it and free it. A value that owns
//     memory releases it when it is garbage collected, unless Detach gave
//     the ownership up.
//   - NewCallback hands C a function pointer that runs Go code, within a
//     Session: the FFI state of one script run.
//
// Calls whose arguments and result are all integers or pointers take
// purego.SyscallN, without reflection. Calls that pass or return float or
// double go through purego.RegisterFunc, which sorts the arguments into
// integer and vector registers and costs several times more.
//
// Misuse that this package can detect is an error, never a crash: a wrong
// argument count or kind, a missing library or symbol, NULL given to
// Deref, ReadString or Memcpy. An invalid non-NULL address is not
// detectable and may crash the process, which is why FFI is off unless
// the host enables it.
package ffi
