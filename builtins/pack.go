package builtins

// pack and unpack (layout in pack_format.go).

import "github.com/halonsh/halonsh/lang/vm"

func init() {
	registerFuncs(map[string]vm.BuiltinFunc{
		"pack":   builtinPack,
		"unpack": builtinUnpack,
	})
}

// builtinPack returns the binary string of format and the arguments, or
// none for an unknown code, too few or wrong-typed arguments or leftover
// arguments. Arguments convert like parameters: a number is accepted for
// a string code and a numeric string for a number code.
func builtinPack(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, -1); err != nil {
		return vm.None, err
	}
	format, err := newLibArgs(c, args).str(0, "format")
	if err != nil {
		return vm.None, err
	}
	values := args[1:]
	src := packSource{
		n:   len(values),
		str: func(i int) (string, bool) { return convertString(values[i]) },
		num: func(i int) (float64, bool) { return convertNumber(values[i]) },
	}
	out, ok := packBytes(format, src)
	if !ok {
		return vm.None, nil
	}
	return vm.String(string(out)), nil
}

func builtinUnpack(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 3); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	format, err := a.str(0, "format")
	if err != nil {
		return vm.None, err
	}
	data, err := a.str(1, "data")
	if err != nil {
		return vm.None, err
	}
	var offset int64
	if len(args) > 2 {
		if offset, err = a.integer(2, "offset"); err != nil {
			return vm.None, err
		}
	}
	if offset < 0 || offset > int64(len(data)) {
		return vm.None, nil
	}

	items, ok := unpackBytes(format, data, int(offset))
	if !ok {
		return vm.None, nil
	}
	vals := make([]vm.Value, len(items))
	for i, item := range items {
		switch x := item.(type) {
		case string:
			vals[i] = vm.String(x)
		case float64:
			vals[i] = vm.Number(x)
		}
	}
	return vm.ArrayValue(vm.NewList(vals)), nil
}
