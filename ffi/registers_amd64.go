//go:build !windows

package ffi

import "unsafe"

// registerCalls is set where callRegisters exists: amd64 with the System V
// calling convention.
const registerCalls = true

// Argument registers of the System V amd64 calling convention.
const (
	integerRegisters = 6 // DI, SI, DX, CX, R8, R9
	floatRegisters   = 8 // X0 to X7
)

// registerCall is the C call that callRegisters in trampoline_amd64.s
// makes: every argument in a register, none on the stack. It must live
// in Go heap memory, which does not move, because a callback can grow and
// so move the goroutine stack while C runs.
type registerCall struct {
	fn uintptr

	// words are the argument registers: the integer registers DI, SI, DX,
	// CX, R8 and R9, then the vector registers X0 to X7. A float takes the
	// low 32 bits of its word.
	words [integerRegisters + floatRegisters]uint64

	nfloats uint64 // AL, read by variadic callees
	r1      uint64 // RAX after the call
	f1      uint64 // X0 after the call
}

// The offsets that trampoline_amd64.s uses. An index out of range here
// fails the build when the layout changes.
var _ = [1]struct{}{}[unsafe.Offsetof(registerCall{}.words)-8]
var _ = [1]struct{}{}[unsafe.Offsetof(registerCall{}.nfloats)-120]
var _ = [1]struct{}{}[unsafe.Offsetof(registerCall{}.r1)-128]
var _ = [1]struct{}{}[unsafe.Offsetof(registerCall{}.f1)-136]

// callRegistersABI0 is the address of the assembly function callRegisters,
// set in trampoline_amd64.s.
var callRegistersABI0 uintptr

// runtimeCgocall runs the C function fn with argument arg on the system
// stack, as cgo does, so that the scheduler runs other goroutines and
// callbacks into Go work meanwhile. purego enters C the same way, and the
// Go runtime keeps this linkname open for it. It needs the runtime's cgo
// support, which purego installs even when cgo is disabled.
//
//go:linkname runtimeCgocall runtime.cgocall
func runtimeCgocall(fn uintptr, arg unsafe.Pointer) int32

// call calls rc.fn with the registers set in rc and stores its results in
// rc.r1 and rc.f1.
func (rc *registerCall) call() {
	runtimeCgocall(callRegistersABI0, unsafe.Pointer(rc))
}
