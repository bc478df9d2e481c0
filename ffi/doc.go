// Package ffi calls functions in C shared libraries from HSL scripts, on
// github.com/ebitengine/purego and without cgo code of its own.
//
// # Go layer
//
//   - Library and Config open a shared library with dlopen semantics,
//     once per process, subject to an allow-list.
//   - Function calls a C function from a declared signature. Arguments
//     are HSL values (Arg) converted by the declared Types, and the result
//     is a Value.
//   - Value is a C number or pointer. Allocate, CString, ByRef, Deref,
//     Offset, Memcpy and ReadString work on C memory, which always comes
//     from libc calloc, so C code can keep it and free it. A value that owns
//     memory releases it when it is garbage collected, unless Detach gave
//     the ownership up.
//   - NewCallback hands C a function pointer that runs Go code within a
//     Session, the FFI state of one script run.
//
// On amd64 (System V calling convention), a call whose arguments fit in
// registers, at most six integers or pointers and eight floats or doubles,
// goes through a small assembly trampoline entered with runtime.cgocall,
// as purego enters C. Other calls, and every call on other platforms, use
// purego: purego.SyscallN for integers and pointers, and
// purego.RegisterFunc, which sorts the arguments by reflection and costs
// several times more, for float and double.
//
// # HSL layer
//
// Install defines the FFI class on a vm.Library: FFI(path) with ->func
// and ->symbol, and the statics FFI::type, cnumber, cstring, nullptr,
// allocate, memcpy, byref, deref, offset, string, number, number64,
// attach, detach and callback. FFIType and FFIValue are resources, an
// FFIFunction is a builtin function value. The class is always defined,
// so scripts that mention FFI compile. Config decides at run time whether
// they may use it.
//
// # Safety and limits
//
// Misuse that this package can detect is a runtime error of the script,
// never a crash: a wrong argument count or kind, a missing library or
// symbol, NULL given to FFI::deref, FFI::string or FFI::memcpy. Reads and
// writes of C memory done in Go (Deref, ReadString, Memcpy) check the
// bounds of buffers of known size (Allocate, CString,
// ByRef and offsets into them, a *BoundsError), and turn a memory fault
// at any other address into a *FaultError. Memory that is mapped but
// belongs to something else is not detected: a write there corrupts it.
// C code given an invalid pointer crashes the process, which is why FFI
// is off unless the host enables it.
//
// Limits of purego v0.11.3 that scripts see:
//
//   - At most MaxArguments (32) arguments per call, fixed and variadic
//     together.
//   - On amd64, float and double variadic arguments are rejected, because
//     purego sets the vector register count of a variadic call (register
//     AL) to zero, so the callee would read garbage.
//   - Callbacks take at most six integer or pointer and eight float or
//     double arguments, and return void, an integer or a pointer. At most
//     CallbackSlots callbacks exist at once.
//   - A callback runs only while the script run that created it is inside
//     a C call, on the thread of that call. Otherwise it returns zero to C
//     and logs an error.
package ffi
