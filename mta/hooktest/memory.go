package hooktest

import (
	"github.com/halonsh/halonsh/lang/vm"
)

// memorySnapshot returns the memory_* store as plain Go values.
func memorySnapshot() map[string]any {
	mem := vm.SharedMemory()
	out := map[string]any{}
	for _, key := range mem.Keys() {
		if v, ok := mem.Load(key); ok {
			out[key] = vm.ToPlain(v)
		}
	}
	return out
}
