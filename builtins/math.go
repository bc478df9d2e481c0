package builtins

// Mathematical functions.

import (
	"math"
	"math/big"

	"github.com/halonsh/halonsh/lang/vm"
)

func init() {
	registerFuncs(map[string]vm.BuiltinFunc{
		"abs":   mathUnary(math.Abs),
		"ceil":  mathUnary(math.Ceil),
		"floor": mathUnary(math.Floor),
		"sqrt":  mathUnary(math.Sqrt),
		"round": builtinRound,
		"pow":   builtinPow,
		"log":   builtinLog,
	})
}

// mathUnary returns a builtin applying fn to its one number argument.
func mathUnary(fn func(float64) float64) vm.BuiltinFunc {
	return func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		if err := c.Arity(args, 1, 1); err != nil {
			return vm.None, err
		}
		x, err := newLibArgs(c, args).num(0, "number")
		if err != nil {
			return vm.None, err
		}
		return vm.Number(fn(x)), nil
	}
}

func builtinRound(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	x, err := a.num(0, "number")
	if err != nil {
		return vm.None, err
	}
	var decimals int64
	if len(args) > 1 {
		if decimals, err = a.integer(1, "decimals"); err != nil {
			return vm.None, err
		}
	}
	return vm.Number(roundHalfAway(x, int(decimals))), nil
}

// roundHalfAway rounds x half away from zero at decimals places after the
// point (negative: to tens, hundreds, ...). Ties are decided on the exact
// binary value of x, so round(1.005, 2) is 1 because 1.005 is stored as
// 1.00499999999999989...
func roundHalfAway(x float64, decimals int) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || x == 0 {
		return x
	}
	if decimals > 330 {
		return x // finer than the smallest float64 step
	}
	if decimals < -330 {
		return math.Copysign(0, x)
	}

	scale := math.Pow(10, math.Abs(float64(decimals)))
	var scaled float64
	if decimals >= 0 {
		scaled = x * scale
	} else {
		scaled = x / scale
	}
	if math.IsInf(scaled, 0) || math.Abs(scaled) >= 1<<52 {
		return x // no fraction left to round at this precision
	}

	n := math.Trunc(scaled)
	frac := math.Abs(scaled - n)
	ulp := math.Nextafter(math.Abs(scaled), math.Inf(1)) - math.Abs(scaled)
	switch {
	case math.Abs(frac-0.5) > 1e-6+4*ulp:
		// Far from a tie: the float product decides correctly.
		n = math.Round(scaled)
	default:
		// Near a tie: compare the exact value of x with the midpoint.
		exact := new(big.Rat).SetFloat64(x)
		pow := new(big.Rat).SetFrac(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(absInt(decimals))), nil), big.NewInt(1))
		if decimals >= 0 {
			exact.Mul(exact, pow)
		} else {
			exact.Quo(exact, pow)
		}
		exact.Abs(exact)
		mid := new(big.Rat).Add(new(big.Rat).SetFloat64(math.Abs(n)), big.NewRat(1, 2))
		if exact.Cmp(mid) >= 0 {
			n = math.Copysign(math.Abs(n)+1, x)
		}
	}

	if decimals >= 0 {
		return n / scale
	}
	return n * scale
}

func absInt(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

func builtinPow(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	base, err := a.num(0, "base")
	if err != nil {
		return vm.None, err
	}
	exponent, err := a.num(1, "exponent")
	if err != nil {
		return vm.None, err
	}
	return vm.Number(math.Pow(base, exponent)), nil
}

// builtinLog computes the natural logarithm, or the logarithm to a base.
// Bases 2 and 10 use the exact library functions, so log(1000, 10) is 3.
func builtinLog(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	x, err := a.num(0, "number")
	if err != nil {
		return vm.None, err
	}
	if len(args) == 1 {
		return vm.Number(math.Log(x)), nil
	}
	base, err := a.num(1, "base")
	if err != nil {
		return vm.None, err
	}
	switch base {
	case 2:
		return vm.Number(math.Log2(x)), nil
	case 10:
		return vm.Number(math.Log10(x)), nil
	}
	return vm.Number(math.Log(x) / math.Log(base)), nil
}
