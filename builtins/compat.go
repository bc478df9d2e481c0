package builtins

// Compatibility names from the 5.x releases. Plain renames call the
// current builtin; explode and implode keep their old argument order.
// The other groups register the aliases of their own functions (rand,
// is_subdomain, in_network, GetAddressList).

import "github.com/halonsh/halonsh/lang/vm"

func init() {
	registerAlias("count", "length")
	registerAlias("strlen", "length")
	registerAlias("strpos", "str_find")
	registerAlias("strrpos", "str_rfind")
	registerAlias("substr", "str_slice")
	registerAlias("strtolower", "str_lower")
	registerAlias("strtoupper", "str_upper")
	registerAlias("trim", "str_strip")
	registerAlias("range", "array_range")
	registerAlias("in_array", "array_includes")

	registerFuncs(map[string]vm.BuiltinFunc{
		"explode": builtinExplode,
		"implode": builtinImplode,
	})
}

// builtinExplode is str_split with the delimiter first:
// explode(delimiter, string [, limit]).
func builtinExplode(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 3); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	delim, err := a.str(0, "delimiter")
	if err != nil {
		return vm.None, err
	}
	s, err := a.str(1, "string")
	if err != nil {
		return vm.None, err
	}
	var limit int64
	if len(args) > 2 {
		if limit, err = a.integer(2, "limit"); err != nil {
			return vm.None, err
		}
	}
	return listOfStrings(splitLimit(s, delim, limit)), nil
}

// builtinImplode is array_join with the glue first: implode(glue, array).
func builtinImplode(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	glue, err := a.str(0, "glue")
	if err != nil {
		return vm.None, err
	}
	arr, err := a.array(1, "array")
	if err != nil {
		return vm.None, err
	}
	return vm.String(joinValues(arr, glue)), nil
}
