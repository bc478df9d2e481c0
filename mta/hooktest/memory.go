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
			out[key] = plain(v)
		}
	}
	return out
}

// plain converts a value of the memory store (none, booleans, numbers,
// strings and arrays of those) to a JSON-compatible Go value: lists become
// slices, other arrays maps.
func plain(v vm.Value) any {
	switch v.Kind() {
	case vm.KindNone:
		return nil
	case vm.KindBool:
		return v.Bool()
	case vm.KindNumber:
		return v.Num()
	case vm.KindString:
		return v.Str()
	case vm.KindArray:
		a := v.Array()
		if a.IsList() {
			out := make([]any, 0, a.Len())
			for _, item := range a.Values() {
				out = append(out, plain(item))
			}
			return out
		}
		out := map[string]any{}
		a.Each(func(k vm.Key, item vm.Value) bool {
			out[k.String()] = plain(item)
			return true
		})
		return out
	}
	return v.String()
}
