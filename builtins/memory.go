package builtins

import (
	"context"

	"github.com/halonsh/halonsh/lang/vm"
)

// The memory_* functions work on vm.SharedMemory(), the process-wide store
// that `barrier` uses too. Every call holds the key's lock for its whole
// duration, callbacks included, so a read-modify-write through a callback
// is atomic. Locks are re-entrant per run: a callback may use its own key
// again. Using another key from inside a callback, with memory_* or with
// barrier, is a runtime error, because two runs doing that in opposite
// order would deadlock.

func init() {
	registerFuncs(map[string]vm.BuiltinFunc{
		"memory_add":    builtinMemoryAdd,
		"memory_store":  builtinMemoryStore,
		"memory_fetch":  builtinMemoryFetch,
		"memory_exists": builtinMemoryExists,
		"memory_delete": builtinMemoryDelete,
		"memory_inc":    builtinMemoryInc,
		"memory_dec":    builtinMemoryDec,
		"memory_update": builtinMemoryUpdate,
	})
}

// checkMemoryKey rejects a key other than the one whose callback the run
// is executing.
func checkMemoryKey(c *vm.Call, key string) error {
	if held, ok := c.HeldKey(); ok && held != key {
		return c.Errorf("cannot use key %q inside a callback for key %q", key, held)
	}
	return nil
}

// withMemoryKey runs fn while the run holds key's lock.
func withMemoryKey(c *vm.Call, key string, fn func(mem *vm.Memory) (vm.Value, error)) (vm.Value, error) {
	if err := checkMemoryKey(c, key); err != nil {
		return vm.None, err
	}
	return lockedMemory(c.Context(), c.Owner(), key, fn)
}

// lockedMemory takes key's lock for owner, runs fn and releases the lock.
// It returns fn's result, or ctx's error when ctx ends while another run
// holds the key.
func lockedMemory(ctx context.Context, owner any, key string, fn func(mem *vm.Memory) (vm.Value, error)) (vm.Value, error) {
	mem := vm.SharedMemory()
	unlock, err := mem.Lock(ctx, owner, key)
	if err != nil {
		return vm.None, err
	}
	defer unlock()
	return fn(mem)
}

// callMemoryCallback calls a memory callback with the key marked as held,
// so that the callback may use the same key (in memory_* calls and in
// barrier) but no other.
func callMemoryCallback(c *vm.Call, key string, fn vm.Value, args ...vm.Value) (vm.Value, error) {
	return c.CallHoldingKey(key, fn, args...)
}

// memoryKeyArgs reads the key argument and, when present, the function at
// position cbIndex.
func memoryKeyArgs(c *vm.Call, args []vm.Value, cbIndex int) (key string, callback vm.Value, err error) {
	a := newLibArgs(c, args)
	if key, err = a.str(0, "key"); err != nil {
		return "", vm.None, err
	}
	if cbIndex >= 0 && a.has(cbIndex) {
		if callback, err = a.function(cbIndex, "callback"); err != nil {
			return "", vm.None, err
		}
	}
	return key, callback, nil
}

// storeMemory stores v under key, turning a value that cannot be shared
// into an error of the calling builtin.
func storeMemory(c *vm.Call, mem *vm.Memory, key string, v vm.Value) error {
	if err := mem.Store(key, v); err != nil {
		return c.Errorf("%s", err.Error())
	}
	return nil
}

func builtinMemoryAdd(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 2); err != nil {
		return vm.None, err
	}
	key, _, err := memoryKeyArgs(c, args, -1)
	if err != nil {
		return vm.None, err
	}
	return withMemoryKey(c, key, func(mem *vm.Memory) (vm.Value, error) {
		if _, ok := mem.Load(key); ok {
			return vm.False, nil
		}
		if err := storeMemory(c, mem, key, args[1]); err != nil {
			return vm.None, err
		}
		return vm.True, nil
	})
}

// builtinMemoryStore is memory_store(key, value [, callback]): the callback
// sees the old value before it is replaced.
func builtinMemoryStore(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 3); err != nil {
		return vm.None, err
	}
	key, callback, err := memoryKeyArgs(c, args, 2)
	if err != nil {
		return vm.None, err
	}
	value := args[1]
	return withMemoryKey(c, key, func(mem *vm.Memory) (vm.Value, error) {
		old, existed := mem.Load(key)
		if existed && !callback.IsNone() {
			if _, err := callMemoryCallback(c, key, callback, vm.String(key), old); err != nil {
				return vm.None, err
			}
		}
		if err := storeMemory(c, mem, key, value); err != nil {
			return vm.None, err
		}
		return vm.Bool(existed), nil
	})
}

// builtinMemoryFetch is memory_fetch(key [, callback]): an absent key gives
// none, or the callback's result, which is not stored.
func builtinMemoryFetch(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	key, callback, err := memoryKeyArgs(c, args, 1)
	if err != nil {
		return vm.None, err
	}
	return withMemoryKey(c, key, func(mem *vm.Memory) (vm.Value, error) {
		if v, ok := mem.Load(key); ok {
			return v, nil
		}
		if callback.IsNone() {
			return vm.None, nil
		}
		return callMemoryCallback(c, key, callback, vm.String(key))
	})
}

func builtinMemoryExists(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	key, callback, err := memoryKeyArgs(c, args, 1)
	if err != nil {
		return vm.None, err
	}
	return withMemoryKey(c, key, func(mem *vm.Memory) (vm.Value, error) {
		v, ok := mem.Load(key)
		if !ok {
			return vm.False, nil
		}
		if !callback.IsNone() {
			if _, err := callMemoryCallback(c, key, callback, vm.String(key), v); err != nil {
				return vm.None, err
			}
		}
		return vm.True, nil
	})
}

// builtinMemoryDelete is memory_delete(key [, callback]): the callback gets
// the removed value after the removal.
func builtinMemoryDelete(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	key, callback, err := memoryKeyArgs(c, args, 1)
	if err != nil {
		return vm.None, err
	}
	return withMemoryKey(c, key, func(mem *vm.Memory) (vm.Value, error) {
		v, ok := mem.Load(key)
		if !ok {
			return vm.False, nil
		}
		mem.Delete(key)
		if !callback.IsNone() {
			if _, err := callMemoryCallback(c, key, callback, vm.String(key), v); err != nil {
				return vm.None, err
			}
		}
		return vm.True, nil
	})
}

// addMemoryNumber adds offset to the number under key (an absent key
// counts as 0) and returns the new value, or none without a change when
// the stored value is not a number. With removeIfZero a result of 0
// deletes the key.
func addMemoryNumber(ctx context.Context, owner any, key string, offset float64, removeIfZero bool) (vm.Value, error) {
	return lockedMemory(ctx, owner, key, func(mem *vm.Memory) (vm.Value, error) {
		current := 0.0
		if v, ok := mem.Load(key); ok {
			if v.Kind() != vm.KindNumber {
				return vm.None, nil
			}
			current = v.Num()
		}

		result := vm.Number(current + offset)
		if removeIfZero && result.Num() == 0 {
			mem.Delete(key)
			return result, nil
		}
		if err := mem.Store(key, result); err != nil {
			return vm.None, err
		}
		return result, nil
	})
}

func builtinMemoryInc(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	return memoryCounter(c, args, 1, false)
}

func builtinMemoryDec(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 3); err != nil {
		return vm.None, err
	}
	removeIfZero := false
	if a := newLibArgs(c, args); a.has(2) {
		var err error
		if removeIfZero, err = a.boolean(2, "remove_if_zero"); err != nil {
			return vm.None, err
		}
	}
	return memoryCounter(c, args, -1, removeIfZero)
}

// memoryCounter implements memory_inc (sign 1) and memory_dec (sign -1).
func memoryCounter(c *vm.Call, args []vm.Value, sign float64, removeIfZero bool) (vm.Value, error) {
	a := newLibArgs(c, args)
	key, err := a.str(0, "key")
	if err != nil {
		return vm.None, err
	}
	offset := 1.0
	if a.has(1) {
		if offset, err = a.num(1, "offset"); err != nil {
			return vm.None, err
		}
	}
	if err := checkMemoryKey(c, key); err != nil {
		return vm.None, err
	}
	return addMemoryNumber(c.Context(), c.Owner(), key, sign*offset, removeIfZero)
}

// builtinMemoryUpdate is memory_update(key, value, callback [, initial]):
// it stores callback(key, current, value) when the key exists, or
// callback(key, initial, value) when it does not and initial is given,
// and reports whether it stored a result.
func builtinMemoryUpdate(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 3, 4); err != nil {
		return vm.None, err
	}
	key, callback, err := memoryKeyArgs(c, args, 2)
	if err != nil {
		return vm.None, err
	}
	if callback.IsNone() {
		return vm.None, c.ArgError(2, "callback", "a function", args[2])
	}
	value := args[1]
	return withMemoryKey(c, key, func(mem *vm.Memory) (vm.Value, error) {
		current, ok := mem.Load(key)
		if !ok {
			if len(args) < 4 {
				return vm.False, nil
			}
			current = args[3]
		}
		result, err := callMemoryCallback(c, key, callback, vm.String(key), current, value)
		if err != nil {
			return vm.None, err
		}
		if err := storeMemory(c, mem, key, result); err != nil {
			return vm.None, err
		}
		return vm.True, nil
	})
}
