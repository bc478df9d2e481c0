package builtins

// Data types: length, the conversions and the type tests.

import "github.com/halonsh/halonsh/lang/vm"

func init() {
	registerFuncs(map[string]vm.BuiltinFunc{
		"length":  builtinLength,
		"boolean": builtinBoolean,
		"number":  builtinNumber,
		"string":  builtinString,

		"is_array":    typeTest(vm.KindArray),
		"is_boolean":  typeTest(vm.KindBool),
		"is_function": typeTest(vm.KindFunction),
		"is_number":   typeTest(vm.KindNumber),
		"is_object":   typeTest(vm.KindObject),
		"is_string":   typeTest(vm.KindString),
	})
}

// builtinLength returns the element count of an array, the byte count of
// a string and none for anything else.
func builtinLength(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	switch v := args[0]; v.Kind() {
	case vm.KindArray:
		return vm.Int(v.Array().Len()), nil
	case vm.KindString:
		return vm.Int(len(v.Str())), nil
	}
	return vm.None, nil
}

func builtinBoolean(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	return vm.Bool(args[0].Truthy()), nil
}

func builtinNumber(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	return vm.Number(args[0].ToNumber()), nil
}

func builtinString(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	if args[0].Kind() == vm.KindString {
		return args[0], nil
	}
	return vm.String(args[0].String()), nil
}

// typeTest returns an is_* builtin that reports whether its argument is
// of kind; it accepts every value, none included.
func typeTest(kind vm.Kind) vm.BuiltinFunc {
	return func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		if err := c.Arity(args, 1, 1); err != nil {
			return vm.None, err
		}
		return vm.Bool(args[0].Kind() == kind), nil
	}
}
