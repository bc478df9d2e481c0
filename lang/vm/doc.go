// Package vm is the HSL runtime: the value model, the bytecode
// interpreter, runtime errors, the process-wide state behind `cache`,
// `barrier` and the memory store, and the API that builtins and hosts use.
//
// # Values
//
// Value is a small struct passed by value. Construct one with None, True,
// False, Bool, Number, Int, String, Bytes, ArrayValue, FunctionValue,
// ObjectValue, RegexValue or ResourceValue, and inspect it with Kind and
// the accessors Bool, Num, Str, Array, Function, Object, Regex and
// Resource. None, booleans, numbers and strings never allocate when
// copied.
//
// The conversions follow the language reference exactly:
//   - v.String() is string(), the display form (echo, `.`, interpolation);
//     numbers use FormatNumber (the ECMAScript algorithm, nan/inf/-inf).
//   - v.ToNumber() is number(); ParseNumber converts strings.
//   - v.Truthy() is boolean().
//   - LooseEqual is ==, StrictEqual is ===, Compare orders for < <= > >=.
//   - ToKey converts a value to an array Key; ToInt32 is the bitwise
//     integer conversion.
//
// # Arrays
//
// Array is an ordered map with int32 and string keys (Get, Set, Append,
// Delete, Len, All and Each in insertion order). Arrays are values with
// copy-on-write: an array reachable from a Value may be shared, so Go code
// reads it freely and calls Clone before changing it. Arrays made with
// NewArray or NewList belong to their maker until returned or stored.
//
// # Builtins
//
// A builtin is a BuiltinFunc registered on a Library:
//
//	lib := vm.NewLibrary()
//	lib.Define("str_repeat", func(c *vm.Call, args []vm.Value) (vm.Value, error) {
//		if err := c.Arity(args, 2, 2); err != nil {
//			return vm.None, err
//		}
//		s, err := c.StringArg(args, 0, "string")
//		if err != nil {
//			return vm.None, err
//		}
//		n, err := c.IntArg(args, 1, "count")
//		if err != nil {
//			return vm.None, err
//		}
//		return vm.String(strings.Repeat(s, max(n, 0))), nil
//	})
//
// An error returned by a builtin becomes a catchable runtime error at the
// call's position (an Exception object in catch). Build messages with
// c.Errorf, which prefixes the function name, and the argument helpers
// (StringArg, NumberArg, IntArg, BoolArg, ArrayArg, FunctionArg,
// ObjectArg, ArgError), which produce messages like
// `str_split(): argument 2 (delimiter) must be a string, got array`.
// A Go panic in a builtin is recovered and becomes a runtime error of the
// script. Returning ErrHalt (or an error wrapping it) ends the run at once
// without an error; terminating context functions use it.
//
// A builtin calls an HSL function value it received (a callback for
// array_map, a memory_* callback, a cache ttl_function) with c.Call(fn,
// args...). An error from c.Call must be returned unchanged so the
// exception propagates.
//
// Classes: a builtin class is a *Class with Name, New (the constructor for
// `Name(args)`), Methods (`$o->m()`), Statics (`Name::f()`) and an
// optional Iterate for foreach; register it with lib.DefineClass. Its
// objects are *Object values made with NewObject, carrying a Go payload
// in Native and script-visible properties (Prop, SetProp).
//
// # Hosts
//
// Names are resolved at compile time against a Library, so a host builds a
// base library (the standard library) and, per context, lib.Extend() with
// its context functions, then compiles each script once (package
// lang/compile) into a *Program. Program.Run executes it, and many
// goroutines may run one Program at once. RunOptions give each run its
// predefined variables (Globals by name, or Bind by the slot from
// Program.GlobalSlot, declared at compile time), the echo writer (Out), an
// opaque Host value that host functions read with c.Host(), and limit
// overrides. The context.Context passed to Run cancels the run.
// Library.Invoke calls a builtin outside any run, for example to decode
// data at compile time.
//
// Process-wide state: SharedMemory is the keyed store and lock table that
// `barrier` and the memory_* builtins share (Lock is re-entrant per run,
// identified by c.Owner()).
package vm
