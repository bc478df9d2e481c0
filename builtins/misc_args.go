package builtins

import (
	"math"
	"strings"

	"github.com/halonsh/halonsh/lang/vm"
)

// libArgs reads the arguments of one builtin call with the conversions
// every builtin applies:
//
//   - a string parameter accepts a string, or a number converted with
//     string();
//   - a number parameter accepts a number, or a string whose whole text is
//     a number for number();
//   - a boolean parameter accepts a boolean, or a number (0 is false);
//   - array and function parameters accept only that type.
//
// Anything else is a runtime error naming the function, the position and
// the parameter, as vm.Call.ArgError words it.
type libArgs struct {
	c    *vm.Call
	args []vm.Value
}

func newLibArgs(c *vm.Call, args []vm.Value) libArgs {
	return libArgs{c: c, args: args}
}

// has reports whether optional argument i was given and is not none.
func (a libArgs) has(i int) bool {
	return vm.OptArg(a.args, i)
}

func (a libArgs) value(i int) vm.Value {
	if i < len(a.args) {
		return a.args[i]
	}
	return vm.None
}

func (a libArgs) str(i int, name string) (string, error) {
	s, ok := convertString(a.value(i))
	if !ok {
		return "", a.c.ArgError(i, name, "a string", a.value(i))
	}
	return s, nil
}

func (a libArgs) num(i int, name string) (float64, error) {
	f, ok := convertNumber(a.value(i))
	if !ok {
		return 0, a.c.ArgError(i, name, "a number", a.value(i))
	}
	return f, nil
}

// integer returns a number argument truncated toward zero.
func (a libArgs) integer(i int, name string) (int64, error) {
	f, err := a.num(i, name)
	if err != nil {
		return 0, err
	}
	n, ok := truncateNumber(f)
	if !ok {
		return 0, a.c.Errorf("argument %d (%s) is out of range: %s", i+1, name, vm.FormatNumber(f))
	}
	return n, nil
}

func (a libArgs) boolean(i int, name string) (bool, error) {
	b, ok := convertBool(a.value(i))
	if !ok {
		return false, a.c.ArgError(i, name, "a boolean", a.value(i))
	}
	return b, nil
}

func (a libArgs) array(i int, name string) (*vm.Array, error) {
	return a.c.ArrayArg(a.args, i, name)
}

func (a libArgs) function(i int, name string) (vm.Value, error) {
	return a.c.FunctionArg(a.args, i, name)
}

// options returns the options array at position i; an absent or none
// argument gives an empty set of options.
func (a libArgs) options(i int) (libOptions, error) {
	if !a.has(i) {
		return libOptions{c: a.c}, nil
	}
	arr, err := a.c.ArrayArg(a.args, i, "options")
	if err != nil {
		return libOptions{}, err
	}
	return libOptions{c: a.c, arr: arr}, nil
}

// libOptions reads an options array. Unknown keys are ignored; a value of
// the wrong type is an error naming the option:
// `http(): option "timeout" must be a number, got array`. A none value
// counts as absent.
type libOptions struct {
	c   *vm.Call
	arr *vm.Array
	// what is the word for an entry in errors: "option", or for a
	// structured argument such as queue_policy's policy, "policy".
	what string
}

// nested returns a reader for an array that follows the option rules but
// whose errors call its entries what (for example `policy "rate"`).
func nestedOptions(c *vm.Call, arr *vm.Array, what string) libOptions {
	return libOptions{c: c, arr: arr, what: what}
}

func (o libOptions) get(name string) (vm.Value, bool) {
	if o.arr == nil {
		return vm.None, false
	}
	v, ok := o.arr.GetStr(name)
	if !ok || v.IsNone() {
		return vm.None, false
	}
	return v, true
}

func (o libOptions) typeError(name, want string, got vm.Value) error {
	what := o.what
	if what == "" {
		what = "option"
	}
	return o.c.Errorf("%s %q must be %s, got %s", what, name, want, got.TypeName())
}

func (o libOptions) str(name, def string) (string, bool, error) {
	v, ok := o.get(name)
	if !ok {
		return def, false, nil
	}
	s, ok := convertString(v)
	if !ok {
		return "", true, o.typeError(name, "a string", v)
	}
	return s, true, nil
}

func (o libOptions) num(name string, def float64) (float64, bool, error) {
	v, ok := o.get(name)
	if !ok {
		return def, false, nil
	}
	f, ok := convertNumber(v)
	if !ok {
		return 0, true, o.typeError(name, "a number", v)
	}
	return f, true, nil
}

func (o libOptions) boolean(name string, def bool) (bool, error) {
	v, ok := o.get(name)
	if !ok {
		return def, nil
	}
	b, ok := convertBool(v)
	if !ok {
		return false, o.typeError(name, "a boolean", v)
	}
	return b, nil
}

func (o libOptions) array(name string) (*vm.Array, error) {
	v, ok := o.get(name)
	if !ok {
		return nil, nil
	}
	if v.Kind() != vm.KindArray {
		return nil, o.typeError(name, "an array", v)
	}
	return v.Array(), nil
}

// convertString applies the string parameter rule.
func convertString(v vm.Value) (string, bool) {
	switch v.Kind() {
	case vm.KindString:
		return v.Str(), true
	case vm.KindNumber:
		return v.String(), true
	}
	return "", false
}

// convertNumber applies the number parameter rule.
func convertNumber(v vm.Value) (float64, bool) {
	switch v.Kind() {
	case vm.KindNumber:
		return v.Num(), true
	case vm.KindString:
		if !isNumericText(v.Str()) {
			return 0, false
		}
		return vm.ParseNumber(v.Str()), true
	}
	return 0, false
}

// convertBool applies the boolean parameter rule.
func convertBool(v vm.Value) (bool, bool) {
	switch v.Kind() {
	case vm.KindBool:
		return v.Bool(), true
	case vm.KindNumber:
		return v.Num() != 0, true
	}
	return false, false
}

// isNumericText reports whether number() reads the whole of s as a number
// rather than falling back to 0: surrounding whitespace, one optional sign,
// then a decimal number (12, 1.5, .5, 5., 1e3) or 0x and hex digits.
func isNumericText(s string) bool {
	s = strings.Trim(s, " \t\n\r\v\f")
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}

	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		return strings.Trim(s[2:], "0123456789abcdefABCDEF") == ""
	}

	i, digits := 0, 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i, digits = i+1, digits+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exponent := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i, exponent = i+1, exponent+1
		}
		if exponent == 0 {
			return false
		}
	}
	return i == len(s)
}

// truncateNumber converts f to an integer toward zero; NaN and values
// beyond ±2^53 are out of range.
func truncateNumber(f float64) (int64, bool) {
	if math.IsNaN(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}
