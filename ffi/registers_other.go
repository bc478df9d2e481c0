//go:build !amd64 || windows

package ffi

// registerCalls is false where no callRegisters trampoline exists. Calls
// then go through purego.
const registerCalls = false

const (
	integerRegisters = 0
	floatRegisters   = 0
)

// registerCall is unused without a trampoline.
type registerCall struct {
	fn      uintptr
	words   [integerRegisters + floatRegisters]uint64
	nfloats uint64
	r1      uint64
	f1      uint64
}

func (rc *registerCall) call() { panic("ffi: no register call trampoline on this platform") }
