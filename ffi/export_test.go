package ffi

// RegisterCaller returns a function that calls the C function fn with one
// integer argument through callRegisters alone, with no argument
// conversion and no frame pool, or nil where callRegisters does not exist.
// Benchmarks use it for the floor of a call.
func RegisterCaller(fn uintptr) func(arg uint64) uint64 {
	if !registerCalls {
		return nil
	}
	fr := new(frame)
	fr.types[0] = Sint64
	return func(arg uint64) uint64 {
		fr.words[0] = arg
		fr.loadRegisters(fn, 1)
		fr.registers.call()
		return fr.registers.r1
	}
}
